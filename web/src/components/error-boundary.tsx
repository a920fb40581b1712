import { Alert, Button } from '@mantine/core';
import { Component, type ReactNode } from 'react';

/** A screen that throws shows a message instead of a blank page; other screens keep working. */
export class ErrorBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <Alert color="red" role="alert" title="This screen failed">
        {this.state.error.message}{' '}
        <Button size="xs" variant="default" onClick={() => location.reload()}>
          Reload
        </Button>
      </Alert>
    );
  }
}
