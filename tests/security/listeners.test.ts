// Every local part listens on the configured host (127.0.0.1 by default) and nowhere else: the
// stack's listening sockets, read from /proc, and a connection to this machine's other addresses.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStackUnderTest } from '../support/local-stack.js';

interface Listener {
  readonly address: string;
  readonly port: number;
  readonly inode: string;
}

/** Listening TCP sockets from /proc/net/tcp and tcp6 (state 0A is LISTEN). */
function listeners(): Listener[] {
  const out: Listener[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== '0A') continue;
      const [hexAddr, hexPort] = (cols[1] as string).split(':') as [string, string];
      out.push({ address: decodeAddress(hexAddr), port: parseInt(hexPort, 16), inode: cols[9] as string });
    }
  }
  return out;
}

function decodeAddress(hex: string): string {
  // Each 32-bit word is in host (little-endian) byte order.
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse().map((b) => parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** Socket inodes a process holds open. */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1] as string);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

const isLoopback = (address: string) => address === '127.0.0.1' || address === '::ffff:127.0.0.1' || address === '::1';

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: 3_000 });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

describe('local listeners', () => {
  let stack: LocalStackUnderTest;
  let owned: Listener[];
  beforeAll(async () => {
    stack = await LocalStackUnderTest.start();
    const pids = [stack.pid(), stack.dynamodbPid()].filter((p): p is number => p !== undefined);
    const inodes = new Set(pids.flatMap((p) => [...socketInodes(p)]));
    owned = listeners().filter((l) => inodes.has(l.inode));
  });
  afterAll(async () => stack?.stop());

  it('are the four configured ports plus four private ones, each on loopback only', () => {
    const ports = Object.values(stack.ports);
    for (const port of ports) expect(owned.some((l) => l.port === port), `port ${port} listens`).toBe(true);
    // Private ports: DynamoDB Local behind its journal, the SES inbox behind its IAM gate, and the
    // local EventBridge and Cognito endpoints the functions reach by endpoint variable.
    expect(owned.length).toBe(ports.length + 4);
    for (const l of owned) expect(isLoopback(l.address), `${l.address}:${l.port}`).toBe(true);
  });

  it('cannot be reached on this machine’s other addresses', async () => {
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && !a.internal)
      .map((a) => a!.address);
    for (const address of others) {
      for (const l of owned) expect(await reachable(address, l.port), `${address}:${l.port}`).toBe(false);
    }
  });
});
