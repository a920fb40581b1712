import { Alert, Anchor, List } from '@mantine/core';
import type { Issue } from '../api.js';

export const fieldId = (path: string) => `field-${path.replace(/[^A-Za-z0-9_-]/g, '-') || 'form'}`;

/** Every problem of a form at its top, each linking to its field (WCAG error identification). */
export function ErrorSummary({ issues, labels, title = 'Please correct the following' }: { issues: readonly Issue[]; labels: Readonly<Record<string, string>>; title?: string }) {
  // One message per field, like the fields themselves show.
  const firstPerPath = issues.filter((i, n) => issues.findIndex((j) => j.path === i.path) === n);
  if (firstPerPath.length === 0) return null;
  const labelOf = (path: string) => {
    if (labels[path]) return labels[path];
    const parent = Object.keys(labels).find((k) => path.startsWith(`${k}.`));
    return parent ? labels[parent] : path || 'The form';
  };
  return (
    <Alert color="red" variant="light" title={title} role="alert" data-testid="error-summary">
      <List size="sm" spacing={2}>
        {firstPerPath.map((i) => (
          <List.Item key={`${i.path}|${i.message}`}>
            <Anchor
              href={`#${fieldId(i.path)}`}
              c="red.9"
              onClick={(e) => {
                e.preventDefault();
                document.getElementById(fieldId(i.path))?.focus();
              }}
            >
              {labelOf(i.path)} {i.message}
            </Anchor>
          </List.Item>
        ))}
      </List>
    </Alert>
  );
}
