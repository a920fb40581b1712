// @medplum/core reads WebSocket's ready-state constants when it loads; Node 20 has no global
// WebSocket (Node 22+ and the Lambda runtime do). We never open a socket: the constants suffice.
const g = globalThis as { WebSocket?: unknown };
g.WebSocket ??= class WebSocketUnavailable {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  constructor() {
    throw new Error('WebSocket is not available in this runtime');
  }
};
export {};
