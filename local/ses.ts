// The SES server (aws-ses-v2-local) with its web inbox and GET /store. Its store lives in
// memory; we keep a copy of every email under the data folder and load it back on start, so the
// inbox survives restarts like everything else.
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { accessKeyIdOf } from './aws-endpoint.js';
import { freePort } from './free-port.js';

const require = createRequire(import.meta.url);

interface SesStore {
  saveEmail: (email: unknown) => void;
  getStoreReadonly: () => { emails: unknown[] };
}

interface AddressList {
  readonly value: readonly { readonly address?: string }[];
}
interface Parsed {
  readonly subject?: string;
  readonly text?: string;
  readonly to?: AddressList | readonly AddressList[];
  readonly headers: Map<string, unknown>;
}
interface MailParser {
  simpleParser: (source: Buffer) => Promise<Parsed>;
}

/** The thread headers of a raw email, as the team's mail client would see them. */
export interface ThreadHeaders {
  readonly references: string | null;
  readonly inReplyTo: string | null;
  readonly notification: string | null;
}

/**
 * aws-ses-v2-local parses a raw email but keeps none of its headers, and keeps the To header as
 * one string. Its parser (the same module instance) is wrapped to note the thread headers and the
 * recipients' addresses of each parsed email by subject and text, and the store takes them from
 * there: the inbox lists each recipient, as for SendEmail, and what a mail client would thread on.
 */
let keeping = false;
function keepThreadHeaders(store: SesStore): void {
  if (keeping) return;
  keeping = true;
  const parser = createRequire(require.resolve('aws-ses-v2-local'))('mailparser') as MailParser;
  const seen = new Map<string, { headers: ThreadHeaders; to: string[] }>();
  const keyOf = (subject: unknown, text: unknown) => `${String(subject)}\u0000${String(text)}`;
  const one = (v: unknown) => (Array.isArray(v) ? v.join(' ') : typeof v === 'string' ? v : null);
  const original = parser.simpleParser;
  parser.simpleParser = async (source) => {
    const mail = await original(source);
    const to = (Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : []).flatMap((l: AddressList) => l.value.flatMap((a) => (a.address ? [a.address] : [])));
    const headers = { references: one(mail.headers.get('references')), inReplyTo: one(mail.headers.get('in-reply-to')), notification: one(mail.headers.get('x-csf-notification')) };
    seen.set(keyOf(mail.subject, mail.text), { headers, to });
    if (seen.size > 1000) seen.delete(seen.keys().next().value as string);
    return mail;
  };
  const save = store.saveEmail;
  store.saveEmail = (email: unknown) => {
    const e = email as { subject?: string; body?: { text?: string }; destination?: Record<string, unknown> };
    const noted = seen.get(keyOf(e.subject, e.body?.text));
    save(noted ? { ...e, destination: { ...e.destination, to: noted.to }, headers: noted.headers } : email);
  };
}

/** An IAM refusal to send instead of the email (local/stack.ts authorizes each call against the caller's policies). */
export type SesAuthorize = (call: { readonly accessKeyId: string | undefined; readonly form?: URLSearchParams; readonly method: string; readonly path: string }) => Promise<{ readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: string } | undefined>;

/**
 * The SES endpoint the functions call: each SES API call is authorized first, then passed to
 * aws-ses-v2-local on its own port; the inbox's own unsigned pages pass straight through.
 */
function startSesGate(host: string, port: number, upstreamPort: number, authorize: SesAuthorize): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        // A signed request is an AWS API call and is authorized: the v1 query API (a form POST)
        // or any SESv2 call. Unsigned ones are the inbox's own pages (GET /store, clear-store).
        const accessKeyId = accessKeyIdOf(req.headers.authorization);
        const form = req.method === 'POST' && String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
        if (form || accessKeyId !== undefined) {
          const refusal = await authorize({ accessKeyId, method: req.method ?? 'GET', path: req.url ?? '/', ...(form ? { form: new URLSearchParams(body.toString('utf8')) } : {}) });
          if (refusal) {
            res.writeHead(refusal.status, { ...refusal.headers, 'content-length': String(Buffer.byteLength(refusal.body)) });
            res.end(refusal.body);
            return;
          }
        }
        const { connection: _c, 'keep-alive': _k, 'transfer-encoding': _t, ...headers } = req.headers;
        const out = request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: { ...headers, 'content-length': String(body.length) } }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        out.on('error', () => {
          if (!res.headersSent) res.writeHead(503).end();
        });
        out.end(body);
      })().catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

export async function startSes(dataDir: string, host: string, port: number, authorize?: SesAuthorize): Promise<{ url: string; stop(): Promise<void> }> {
  const store = require('aws-ses-v2-local/dist/store') as SesStore;
  const dir = join(dataDir, 'ses');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'emails.jsonl');
  const emails = store.getStoreReadonly().emails;
  if (emails.length === 0) {
    try {
      for (const line of readFileSync(file, 'utf8').split('\n')) if (line.trim()) emails.push(JSON.parse(line));
    } catch {
      // no inbox yet
    }
  }
  const original = store.saveEmail;
  store.saveEmail = (email: unknown) => {
    appendFileSync(file, `${JSON.stringify(email)}\n`);
    original(email);
  };
  // Outside the file's copy, so the copy keeps the headers too.
  keepThreadHeaders(store);
  const server = require('aws-ses-v2-local').default as (c: { host: string; port: number }) => Promise<Server>;
  if (!authorize) {
    const http = await server({ host, port });
    return { url: `http://${host}:${port}`, stop: () => new Promise<void>((resolve) => http.close(() => resolve())) };
  }
  const inner = await server({ host: '127.0.0.1', port: await freePort() });
  const innerPort = (inner.address() as AddressInfo).port;
  const gate = await startSesGate(host, port, innerPort, authorize);
  const close = (s: Server) => new Promise<void>((resolve) => {
    s.closeAllConnections();
    s.close(() => resolve());
  });
  return { url: `http://${host}:${port}`, stop: async () => { await close(gate); await close(inner); } };
}
