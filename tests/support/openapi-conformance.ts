// Real answers against the OpenAPI document the local stack serves: the schema the document gives
// for the route and status, compiled once with Ajv (JSON Schema 2020-12, as OpenAPI 3.1 uses).
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const DOC_ID = 'https://api.example.org/openapi.json';
const pointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

export interface Conformance {
  /** The document's path template a concrete path matches (`/patients/01H…/notes` -> `/patients/{patientId}/notes`). */
  templateOf(method: string, path: string): string | undefined;
  /** Errors of `body` against the schema for method, template and status; throws if the document has none. */
  errors(method: string, template: string, status: number, body: unknown): string[];
  /** Whether the document gives a schema for that answer. */
  hasSchema(method: string, template: string, status: number): boolean;
}

export async function conformanceOf(apiUrl: string): Promise<Conformance> {
  const doc = (await (await fetch(`${apiUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ ...doc, $id: DOC_ID });
  const compiled = new Map<string, ValidateFunction | undefined>();
  const schemaFor = (method: string, template: string, status: number) => {
    const ref = `${DOC_ID}#/paths/${pointer(template)}/${method.toLowerCase()}/responses/${status}/content/${pointer('application/json')}/schema`;
    if (!compiled.has(ref)) {
      let fn: ValidateFunction | undefined;
      try {
        fn = ajv.getSchema(ref);
      } catch {
        fn = undefined;
      }
      compiled.set(ref, fn);
    }
    return compiled.get(ref);
  };
  const templates = Object.keys(doc.paths).map((t) => ({ t, re: new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`) }));
  return {
    templateOf(method, path) {
      const bare = path.split('?')[0] ?? path;
      const m = method.toLowerCase();
      // A literal segment beats a parameter (`/referrer/patients` is not `/referrer/{x}`).
      return templates
        .filter(({ t, re }) => re.test(bare) && doc.paths[t]?.[m] !== undefined)
        .sort((a, b) => (a.t.match(/\{/g)?.length ?? 0) - (b.t.match(/\{/g)?.length ?? 0))[0]?.t;
    },
    hasSchema: (method, template, status) => schemaFor(method, template, status) !== undefined,
    errors(method, template, status, body) {
      const fn = schemaFor(method, template, status);
      if (!fn) throw new Error(`the OpenAPI document has no schema for ${method} ${template} ${status}`);
      return fn(body) ? [] : (fn.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
    },
  };
}
