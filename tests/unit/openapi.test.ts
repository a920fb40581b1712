// The OpenAPI document without servers: valid 3.1, built from the handlers' zod schemas, and its
// answer schemas strict enough to catch a drifted answer.
import { describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import * as z from 'zod';
import { referralSchema } from '../../functions/domain/schemas.js';
import { openApiDocument } from '../../functions/openapi/document.js';
import { API_ROUTES, TEAM_API_ROUTES } from '../../local/stack.js';

const doc = openApiDocument('http://127.0.0.1:3000') as any;

function schemaAt(path: string, method: string, status: number) {
  const ajv = new Ajv2020({ strict: false });
  addFormats.default(ajv);
  ajv.addSchema({ ...doc, $id: 'https://api.example.org/openapi.json' });
  const p = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
  const fn = ajv.getSchema(`https://api.example.org/openapi.json#/paths/${p(path)}/${method}/responses/${status}/content/${p('application/json')}/schema`);
  if (!fn) throw new Error('no schema');
  return fn;
}

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1 by a standard validator', async () => {
    const result = await new Validator().validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('has an operation for every route the local API serves, team work included', () => {
    for (const route of [...API_ROUTES, ...TEAM_API_ROUTES]) {
      expect(doc.paths[route.path]?.[route.method.toLowerCase()], `${route.method} ${route.path}`).toBeDefined();
    }
  });

  it('describes the team routes with their own request schemas and path ids', () => {
    const booking = doc.paths['/patients/{patientId}/bookings/{bookingId}'].put;
    expect(booking.parameters.map((p: { name: string }) => p.name)).toEqual(['patientId', 'bookingId']);
    expect(Object.keys(booking.requestBody.content['application/json'].schema.properties ?? {})).toEqual(expect.arrayContaining(['status']));
    expect(doc.paths['/filters/{filterId}'].delete.responses['204']).toBeDefined();
    expect(doc.paths['/patients/{patientId}/owner'].post.description).toContain('coordinators');
  });

  it('takes the referral body from the intake schema itself', () => {
    const body = doc.paths['/referrals'].post.requestBody.content['application/json'].schema;
    expect(body).toEqual((({ $schema: _, ...rest }) => rest)(z.toJSONSchema(referralSchema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>));
  });

  it('refuses an answer that lost a field or changed its type', () => {
    const validate = schemaAt('/patients', 'get', 200);
    const item = { patientId: 'P', caseRef: 'CSF-2026-000001', stage: 'TRIAGE', status: 'active', site: 'santa-clara', stageEnteredAt: '2026-12-01T00:00:00Z', dueAt: null, overdue: false, awaiting: null };
    expect(validate({ items: [item], nextToken: null })).toBe(true);
    const { caseRef: _c, ...withoutCaseRef } = item;
    expect(validate({ items: [withoutCaseRef], nextToken: null })).toBe(false);
    expect(validate({ items: [{ ...item, overdue: 'no' }], nextToken: null })).toBe(false);
    expect(schemaAt('/referrals', 'post', 400)({ message: 'not the contract error body' })).toBe(false);
  });
});
