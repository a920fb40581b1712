// Loading, empty and failed states that say which they are: a skeleton while loading (never
// "0 patients"), an empty state only once an answer said so, and a retry when a load failed.
import { Alert, Button, Group, Paper, Skeleton, Stack, Text } from '@mantine/core';

export function PageSkeleton({ rows = 4 }: { rows?: number }) {
  return (
    <Stack gap="sm" aria-busy="true" aria-label="Loading" role="status" data-testid="loading">
      <Text className="visually-hidden">Loading…</Text>
      {Array.from({ length: rows }, (_, i) => (
        <Skeleton key={i} height={i === 0 ? 28 : 56} radius="md" width={i === 0 ? '40%' : '100%'} />
      ))}
    </Stack>
  );
}

export function CardsSkeleton({ count = 3 }: { count?: number }) {
  return (
    <Stack gap={6} aria-hidden="true">
      {Array.from({ length: count }, (_, i) => (
        <Skeleton key={i} height={64} radius="sm" />
      ))}
    </Stack>
  );
}

export function EmptyState({ children }: { children: React.ReactNode }) {
  return (
    <Paper withBorder radius="md" p="md" bg="gray.0" data-testid="empty-state">
      <Text size="sm">{children}</Text>
    </Paper>
  );
}

/** A failed load: what failed, why, and a way to try again. */
export function LoadFailure({ title, message, onRetry }: { title: string; message: string; onRetry?: () => void }) {
  return (
    <Alert color="red" role="alert" title={title} data-testid="load-failure">
      <Group justify="space-between" gap="xs" wrap="wrap">
        <Text size="sm">{message}</Text>
        {onRetry ? (
          <Button size="xs" variant="default" onClick={onRetry}>
            Try again
          </Button>
        ) : null}
      </Group>
    </Alert>
  );
}
