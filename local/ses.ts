// The SES server (aws-ses-v2-local) with its web inbox and GET /store. Its store lives in
// memory; we keep a copy of every email under the data folder and load it back on start, so the
// inbox survives restarts like everything else.
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

interface SesStore {
  saveEmail: (email: unknown) => void;
  getStoreReadonly: () => { emails: unknown[] };
}

export async function startSes(dataDir: string, host: string, port: number): Promise<{ url: string; stop(): Promise<void> }> {
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
  const server = require('aws-ses-v2-local').default as (c: { host: string; port: number }) => Promise<Server>;
  const http = await server({ host, port });
  return {
    url: `http://${host}:${port}`,
    stop: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
}
