// The local stack's readable API reference: /api-docs renders /openapi.json with Redoc's
// standalone bundle from node_modules (no CDN: the page works on a closed network).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { IncomingMessage, ServerResponse } from 'node:http';

const require = createRequire(import.meta.url);
const REDOC_BUNDLE = require.resolve('redoc/bundles/redoc.standalone.js');

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CSF Leak Pathway API reference</title>
<style>body { margin: 0; }</style>
</head>
<body>
<redoc spec-url="/openapi.json" hide-download-button="false"></redoc>
<script src="/api-docs/redoc.standalone.js"></script>
</body>
</html>
`;

/** Answers GET /api-docs and its script; false for anything else. */
export async function apiReference(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (path === '/api-docs' || path === '/api-docs/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    res.end(PAGE);
    return true;
  }
  if (path === '/api-docs/redoc.standalone.js') {
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'max-age=3600', 'x-content-type-options': 'nosniff' });
    res.end(await readFile(REDOC_BUNDLE));
    return true;
  }
  return false;
}
