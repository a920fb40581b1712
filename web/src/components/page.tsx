import { Group, Stack, Title } from '@mantine/core';
import { useEffect, useRef, type ReactNode } from 'react';

/** A screen: its <h1>, which takes focus when the screen opens so keyboard and reader users start there. */
export function Page({ title, documentTitle, actions, children }: { title: ReactNode; documentTitle: string; actions?: ReactNode; children: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus({ preventScroll: true });
  }, []);
  useEffect(() => {
    document.title = `${documentTitle} · CSF Leak Pathway`;
  }, [documentTitle]);
  return (
    <Stack gap="md">
      <Group justify="space-between" align="center" wrap="wrap" gap="sm">
        <Title order={1} ref={heading} tabIndex={-1} fz={{ base: 24, md: 28 }} style={{ outline: 'none' }}>
          {title}
        </Title>
        {actions}
      </Group>
      {children}
    </Stack>
  );
}
