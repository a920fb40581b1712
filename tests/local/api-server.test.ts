// The local API server against slow clients and odd requests: tight timeouts, a connection cap,
// and the contract's error body for what Node's parser or a malformed Host header would otherwise
// answer with a bare status or a 500. Raw sockets, because fetch cannot send such requests.
import { connect, type Socket } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, startApiServer } from '../../local/api-server.js';
import { freePort } from '../../local/free-port.js';

const SHORT = { headersTimeoutMs: 1_000, requestTimeoutMs: 2_000, keepAliveTimeoutMs: 1_000, maxConnections: 5 };

let server: Server;
let port: number;

beforeAll(async () => {
  port = await freePort();
  server = await startApiServer({
    host: '127.0.0.1',
    port,
    routes: [{ method: 'GET', path: '/patients', handler: async () => async () => ({ statusCode: 200, body: '{"items":[]}' }) }],
    verify: async () => ({ sub: 'u1' }),
    isReady: () => true,
    limits: SHORT,
  });
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** Everything the server sends until it closes the connection (or ends its answer). */
function answer(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('close', () => resolve(text));
    socket.on('error', () => resolve(text));
    socket.on('end', () => resolve(text));
  });
}

async function raw(request: string): Promise<{ status: number; body: any; text: string }> {
  const socket = await open();
  const done = answer(socket);
  socket.write(request);
  const text = await done;
  socket.destroy();
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
  const bodyText = text.slice(text.indexOf('\r\n\r\n') + 4);
  const json = /\{.*\}/s.exec(bodyText)?.[0];
  return { status, body: json ? JSON.parse(json) : undefined, text };
}

describe('the local API server', () => {
  it('ships limits far tighter than Node defaults', () => {
    expect(DEFAULT_LIMITS.headersTimeoutMs).toBeLessThanOrEqual(10_000);
    expect(DEFAULT_LIMITS.requestTimeoutMs).toBeLessThanOrEqual(30_000);
    expect(DEFAULT_LIMITS.maxConnections).toBeGreaterThan(0);
  });

  it.each([['['], ['a b'], ['%'], ['']])('answers a malformed Host header %j with 400 and the contract error body', async (host) => {
    const res = await raw(`GET /patients HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer t\r\nConnection: close\r\n\r\n`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('ValidationError');
    expect(res.body.error.issues[0].path).toBe('headers.host');
  });

  it('still answers a well-formed Host header, names and addresses alike', async () => {
    for (const host of ['localhost', `127.0.0.1:${port}`, '[::1]:3000', 'care.example.org']) {
      const res = await raw(`GET /patients HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer t\r\nConnection: close\r\n\r\n`);
      expect(res.status).toBe(200);
    }
  });

  it('answers a 100 KB bearer token with 431 and the contract error body', async () => {
    const res = await raw(`GET /patients HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${'a'.repeat(100 * 1024)}\r\n\r\n`);
    expect(res.status).toBe(431);
    expect(res.body.error.code).toBe('RequestHeaderFieldsTooLarge');
  });

  it('answers garbage that is not HTTP with 400 and the contract error body', async () => {
    const res = await raw('HELLO THERE\r\n\r\n');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('ValidationError');
  });

  it('cuts off a client that trickles its headers, with 408 and the contract error body', async () => {
    const socket = await open();
    const done = answer(socket);
    socket.write('GET /patients HTTP/1.1\r\nHost: localhost\r\n');
    // Keeps sending a header byte now and then, never finishing the head.
    const trickle = setInterval(() => socket.writable && socket.write('X'), 200);
    const text = await done;
    clearInterval(trickle);
    socket.destroy();
    expect(text).toMatch(/^HTTP\/1\.1 408/);
    expect(JSON.parse(/\{.*\}/s.exec(text)?.[0] ?? '{}').error.code).toBe('RequestTimeout');
  });

  it('refuses connections beyond the cap and serves again once they go', async () => {
    const held = await Promise.all(Array.from({ length: SHORT.maxConnections }, () => open()));
    // Wait until the server counts all of them, then one more is dropped at once.
    await new Promise<void>((resolve) => {
      const poll = () => server.getConnections((_, n) => (n >= SHORT.maxConnections ? resolve() : setTimeout(poll, 20)));
      poll();
    });
    const extra = await open();
    const extraAnswer = await answer(extra);
    expect(extraAnswer).toBe('');
    expect(extra.destroyed || extra.readableEnded).toBe(true);
    for (const s of held) s.destroy();
    await new Promise<void>((resolve) => {
      const poll = () => server.getConnections((_, n) => (n === 0 ? resolve() : setTimeout(poll, 20)));
      poll();
    });
    const res = await raw('GET /patients HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer t\r\nConnection: close\r\n\r\n');
    expect(res.status).toBe(200);
  });
});
