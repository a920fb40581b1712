// The local Step Functions service's on-disk journal: one JSON file per execution (its status and
// the checkpoint written before each state acts; atomic tmp + rename) and an append-only JSONL
// history beside it. A write that answers a caller (StartExecution, SendTaskSuccess/Failure,
// StopExecution) is made durable (fsync of the file and its folder) before the caller hears back;
// checkpoints in between are re-run after a crash anyway (at-least-once, like AWS).
import { createHash } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionRecord, JsonObject, StoredHistoryEvent } from './definition.js';

export class ExecutionJournal {
  private readonly historyCounts = new Map<string, number>();
  private tmpCounter = 0;
  /** Set on shutdown: from then on nothing is written, so RUNNING executions stay RUNNING on disk. */
  closing = false;

  constructor(private readonly executionsDir: string) {
    mkdirSync(executionsDir, { recursive: true });
  }

  private fileBase(executionArn: string): string {
    return join(this.executionsDir, `exec-${createHash('sha256').update(executionArn).digest('hex').slice(0, 40)}`);
  }

  save(rec: ExecutionRecord, options: { durable?: boolean } = {}): void {
    if (this.closing) return;
    const target = `${this.fileBase(rec.executionArn)}.json`;
    const tmp = `${target}.${process.pid}.${++this.tmpCounter}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify(rec));
      if (options.durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
    if (options.durable) {
      // The rename itself is durable only once the folder is.
      const dir = openSync(this.executionsDir, 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    }
  }

  appendHistory(rec: ExecutionRecord, type: string, details?: JsonObject): void {
    if (this.closing) return;
    const id = (this.historyCounts.get(rec.executionArn) ?? 0) + 1;
    const event: StoredHistoryEvent = {
      id,
      previousEventId: id - 1,
      timestamp: Date.now(),
      type,
      ...(details ? { details } : {}),
    };
    appendFileSync(`${this.fileBase(rec.executionArn)}.history.jsonl`, `${JSON.stringify(event)}\n`);
    this.historyCounts.set(rec.executionArn, id);
  }

  readHistory(rec: ExecutionRecord): StoredHistoryEvent[] {
    const path = `${this.fileBase(rec.executionArn)}.history.jsonl`;
    if (!existsSync(path)) return [];
    const events: StoredHistoryEvent[] = [];
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        events.push(JSON.parse(line) as StoredHistoryEvent);
      } catch {
        // A line torn by a crash mid-append.
      }
    }
    return events;
  }

  /** Every execution on disk (torn temporary files removed, torn history lines terminated). */
  load(): ExecutionRecord[] {
    const out: ExecutionRecord[] = [];
    for (const file of readdirSync(this.executionsDir)) {
      const path = join(this.executionsDir, file);
      if (file.endsWith('.tmp')) {
        rmSync(path, { force: true });
        continue;
      }
      if (!file.endsWith('.json')) continue;
      let rec: ExecutionRecord;
      try {
        rec = JSON.parse(readFileSync(path, 'utf8')) as ExecutionRecord;
      } catch {
        console.warn(`local-sfn: skipping unreadable execution file ${file}`);
        continue;
      }
      if (typeof rec.executionArn !== 'string' || !Array.isArray(rec.closedTokens)) {
        console.warn(`local-sfn: skipping malformed execution file ${file}`);
        continue;
      }
      out.push(rec);
      const historyPath = `${this.fileBase(rec.executionArn)}.history.jsonl`;
      if (existsSync(historyPath)) {
        const text = readFileSync(historyPath, 'utf8');
        // Terminate a torn last line so the next append starts cleanly.
        if (text.length > 0 && !text.endsWith('\n')) appendFileSync(historyPath, '\n');
        this.historyCounts.set(rec.executionArn, this.readHistory(rec).reduce((max, e) => Math.max(max, e.id), 0));
      }
    }
    return out;
  }
}
