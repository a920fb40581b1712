// A rest-hook receiver for FHIR subscription notifications: a local HTTP server that records what
// it gets and can fail the first requests to a path, as a flaky receiver would.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { freePort } from '../../local/free-port.js';

export interface Received {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export class Receiver {
  readonly received: Received[] = [];
  /** Answer 500 to this many requests to a path before accepting. */
  readonly failFirst = new Map<string, number>();
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.port = await freePort();
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        const left = this.failFirst.get(req.url ?? '') ?? 0;
        const fail = left > 0;
        if (fail) this.failFirst.set(req.url ?? '', left - 1);
        res.writeHead(fail ? 500 : 200).end();
      });
    });
    await new Promise<void>((r) => this.server?.listen(this.port, '127.0.0.1', () => r()));
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
