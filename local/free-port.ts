import { createServer } from 'node:net';

/**
 * Ports this process has handed out. The OS may give a just-closed port again, so four calls in
 * a row (a stack's API, SES, DynamoDB and Step Functions ports) could name one port twice, and
 * the stack then never becomes healthy.
 */
const handedOut = new Set<number>();

function ask(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A loopback port free right now and not handed out before by this process (tests and benchmarks run several stacks side by side). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await ask();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free loopback port that this process has not handed out already');
}
