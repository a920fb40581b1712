// GET /openapi.json: the OpenAPI 3.1 description of the REST API (public, like GET /health).
import { openApiDocument } from '../openapi/document.js';
import { httpHandler, type HttpEvent } from '../shared/http.js';

let cached: { server: string; body: string } | undefined;

function serverOf(event: HttpEvent): string {
  const host = event.headers?.host ?? event.requestContext?.domainName ?? 'localhost';
  const proto = event.headers?.['x-forwarded-proto'] ?? (/^(127\.|localhost|\[::1\])/.test(host) ? 'http' : 'https');
  return `${proto}://${host}`;
}

export const handler = httpHandler(async (event) => {
  const server = serverOf(event);
  if (cached?.server !== server) cached = { server, body: JSON.stringify(openApiDocument(server)) };
  return { status: 200, body: cached.body, contentType: 'application/json; charset=utf-8' };
});
