// A write journal in front of DynamoDB Local. DynamoDB Local acknowledges a write before it is
// durable (killed with -9 right after an acknowledgement it loses the write on restart; after
// 500 ms it keeps it: see PLATFORM.md). The SDK's DynamoDB endpoint is this proxy: every write
// DynamoDB Local accepted is appended to an fsync'd journal before the product sees the answer,
// and when DynamoDB Local (re)starts the journal's recent entries are sent again, in the order
// they were acknowledged. Replay is safe because the product's writes are conditional (the patient
// record on its revision, audit events and referral guards on not existing yet): an entry that
// survived fails its condition and is skipped. The one unconditional write, the case-number
// counter, can skip a number after a crash (never hand one out twice).
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { accessKeyIdOf } from './aws-endpoint.js';

const WRITE_TARGETS = new Set(['TransactWriteItems', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'].map((op) => `DynamoDB_20120810.${op}`));

/** How long an acknowledged write stays in the journal once DynamoDB Local holds it (10x the measured safe delay). */
export const JOURNAL_RETAIN_MS = 5_000;
/** A new journal segment after this long, so old ones can be deleted whole. */
const SEGMENT_MS = 1_000;

interface Entry {
  readonly at: number;
  readonly target: string;
  readonly body: string;
}

interface Segment {
  readonly file: string;
  readonly handle: FileHandle;
  readonly openedAt: number;
  lastAt: number;
}

export class WriteJournal {
  private segment: Segment | undefined;
  private closed: { file: string; lastAt: number }[] = [];
  private queue: { line: string; done: (err?: Error) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private seq = 0;
  /** Entries are trimmed only once DynamoDB Local has held them for JOURNAL_RETAIN_MS. */
  private heldSince = Number.POSITIVE_INFINITY;

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** Every entry still in the journal, oldest first (segments are named by time and sequence). */
  entries(): Entry[] {
    const files = readdirSync(this.dir).filter((f) => f.endsWith('.jsonl')).sort();
    const out: Entry[] = [];
    for (const f of files) {
      for (const line of readFileSync(join(this.dir, f), 'utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          out.push(JSON.parse(line) as Entry);
        } catch {
          // a torn last line: that write was never acknowledged
        }
      }
    }
    return out;
  }

  /** DynamoDB Local is up (again) and holds what was replayed: the retention clock starts now. */
  markHeld(now = Date.now()): void {
    this.heldSince = now;
  }

  markLost(): void {
    this.heldSince = Number.POSITIVE_INFINITY;
  }

  /** Append one acknowledged write; resolves once it is on disk (writes close together share one fsync). */
  append(target: string, body: string): Promise<void> {
    const line = `${JSON.stringify({ at: Date.now(), target, body } satisfies Entry)}\n`;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ line, done: (err) => (err ? reject(err) : resolve()) });
      this.flushing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0);
        try {
          const segment = await this.current();
          await segment.handle.write(batch.map((b) => b.line).join(''));
          await segment.handle.datasync();
          segment.lastAt = Date.now();
          for (const b of batch) b.done();
        } catch (err) {
          for (const b of batch) b.done(err as Error);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async current(): Promise<Segment> {
    const now = Date.now();
    if (this.segment && now - this.segment.openedAt < SEGMENT_MS) return this.segment;
    if (this.segment) {
      await this.segment.handle.close();
      this.closed.push({ file: this.segment.file, lastAt: this.segment.lastAt });
    }
    const file = join(this.dir, `${String(now).padStart(15, '0')}-${String(this.seq++).padStart(6, '0')}.jsonl`);
    const handle = await open(file, 'a');
    // The new file's directory entry must survive a crash too.
    const dir = await open(this.dir, 'r');
    await dir.sync().finally(() => dir.close());
    this.segment = { file, handle, openedAt: now, lastAt: now };
    return this.segment;
  }

  /** Delete closed segments whose every entry DynamoDB Local has held long enough. */
  trim(now = Date.now()): void {
    this.closed = this.closed.filter((s) => {
      if (Math.max(s.lastAt, this.heldSince) + JOURNAL_RETAIN_MS > now) return true;
      rmSync(s.file, { force: true });
      return false;
    });
  }

  /** Segments left by an earlier run (they are replayed, then trimmed like any other). */
  adoptExisting(): void {
    for (const f of readdirSync(this.dir).filter((f) => f.endsWith('.jsonl')).sort()) {
      const file = join(this.dir, f);
      this.closed.push({ file, lastAt: statSync(file).mtimeMs });
    }
  }

  async close(): Promise<void> {
    await this.flushing;
    if (this.segment) {
      await this.segment.handle.close();
      this.closed.push({ file: this.segment.file, lastAt: this.segment.lastAt });
      this.segment = undefined;
    }
  }
}

/** Hop-by-hop headers: they describe one connection, not the message, so they are not passed on. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);
const endToEnd = (headers: IncomingMessage['headers']) => Object.fromEntries(Object.entries(headers).filter(([k]) => !HOP_BY_HOP.has(k.toLowerCase())));

function forward(upstreamPort: number, req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const out = request(
      { host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: { ...endToEnd(req.headers), 'content-length': String(body.length) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 500, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    out.on('error', reject);
    out.end(body);
  });
}

/** Replay the journal into a freshly started DynamoDB Local; returns how many entries applied again. */
export async function replayJournal(journal: WriteJournal, upstreamPort: number): Promise<{ replayed: number; applied: number }> {
  const entries = journal.entries();
  let applied = 0;
  for (const e of entries) {
    const body = Buffer.from(e.body, 'utf8');
    const res = await new Promise<number>((resolve, reject) => {
      const out = request(
        {
          host: '127.0.0.1',
          port: upstreamPort,
          method: 'POST',
          path: '/',
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            'x-amz-target': e.target,
            'content-length': String(body.length),
            // DynamoDB Local checks that a request is signed, not the signature.
            authorization: 'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
          },
        },
        (r) => {
          r.resume();
          r.on('end', () => resolve(r.statusCode ?? 500));
        },
      );
      out.on('error', reject);
      out.end(body);
    });
    if (res >= 500) throw new Error(`journal replay: DynamoDB Local answered ${res}`);
    if (res < 300) applied++;
  }
  return { replayed: entries.length, applied };
}

const unavailable = (res: ServerResponse) => {
  res.writeHead(503, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': 'ServiceUnavailableException' });
  res.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ServiceUnavailableException', message: 'DynamoDB Local is restarting.' }));
};

/**
 * The endpoint the product talks to: forwards to DynamoDB Local while it is up (503, which the SDK
 * and the product treat as transient, while it is not) and journals every accepted write before
 * answering.
 */
/** An IAM refusal to send instead of forwarding (local/stack.ts authorizes each call against the caller's policies). */
export type DynamoAuthorize = (call: { readonly accessKeyId: string | undefined; readonly target: string; readonly body: string }) => Promise<{ readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: string } | undefined>;

/** Sees every call a caller made (the bench's capacity meter): may rewrite the request, reads the answer. */
export interface DynamoObserver {
  request(call: { readonly accessKeyId: string | undefined; readonly target: string; readonly body: string }): string;
  response(call: { readonly accessKeyId: string | undefined; readonly target: string; readonly body: string }, status: number, answer: Buffer): void;
}

export function startJournalProxy(opts: { host: string; port: number; journal: WriteJournal; upstream: () => number | undefined; authorize?: DynamoAuthorize; observe?: DynamoObserver }): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const port = opts.upstream();
        if (port === undefined) return unavailable(res);
        const target = String(req.headers['x-amz-target'] ?? '');
        const accessKeyId = accessKeyIdOf(req.headers.authorization);
        const call = { accessKeyId, target, body: Buffer.concat(chunks).toString('utf8') };
        const body = opts.observe ? Buffer.from(opts.observe.request(call), 'utf8') : Buffer.concat(chunks);
        if (opts.authorize) {
          const refusal = await opts.authorize(call);
          if (refusal) {
            res.writeHead(refusal.status, { ...refusal.headers, 'content-length': String(Buffer.byteLength(refusal.body)) });
            res.end(refusal.body);
            return;
          }
        }
        let answer;
        try {
          answer = await forward(port, req, body);
        } catch {
          return unavailable(res);
        }
        opts.observe?.response(call, answer.status, answer.body);
        if (answer.status < 300 && WRITE_TARGETS.has(target)) {
          try {
            await opts.journal.append(target, body.toString('utf8'));
          } catch {
            // Not durable: the product must not take it as done (it retries a 5xx).
            return unavailable(res);
          }
        }
        res.writeHead(answer.status, { ...endToEnd(answer.headers), 'content-length': String(answer.body.length) });
        res.end(answer.body);
      })().catch(() => {
        if (!res.headersSent) unavailable(res);
        else res.destroy();
      });
    });
  });
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve(server));
  });
}
