// Which pathway definition this deployment runs: the care pathway, or (for a variant, e.g. the
// test that proves the pathway can grow) the module named by PATHWAY_DEFINITION_MODULE, which
// exports `pathway`. The ASL the state machine runs must be generated from the same definition.
import { pathToFileURL } from 'node:url';
import { CARE_PATHWAY, type PathwayDefinition } from './pathway.js';

let loaded: Promise<PathwayDefinition> | undefined;

export function activePathway(env: Record<string, string | undefined> = process.env): Promise<PathwayDefinition> {
  const module = env.PATHWAY_DEFINITION_MODULE;
  if (!module) return Promise.resolve(CARE_PATHWAY);
  loaded ??= import(pathToFileURL(module).href).then((m: { pathway?: PathwayDefinition }) => {
    if (!m.pathway) throw new Error(`PATHWAY_DEFINITION_MODULE ${module} exports no pathway`);
    return m.pathway;
  });
  return loaded;
}
