// Prints a Mermaid flowchart of statemachines/care-pathway.asl.json (for the README).
// Run: npx tsx scripts/asl-diagram.ts
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type State = { Type: string; Next?: string; Default?: string; Choices?: { Next: string }[]; Catch?: { Next: string; ErrorEquals: string[] }[] };

export function aslDiagram(asl: { StartAt: string; States: Record<string, State> }): string {
  const lines = ['flowchart TD', `  Start((start)) --> ${asl.StartAt}`];
  for (const [name, s] of Object.entries(asl.States)) {
    const shape = s.Type === 'Choice' ? `{${name}}` : s.Type === 'Succeed' || s.Type === 'Fail' ? `([${name}])` : `[${name}]`;
    lines.push(`  ${name}${shape}`);
    const targets = new Set<string>();
    if (s.Next) targets.add(s.Next);
    for (const c of s.Choices ?? []) targets.add(c.Next);
    if (s.Default) targets.add(s.Default);
    for (const t of targets) lines.push(`  ${name} --> ${t}`);
    // Every task also catches into RecordPathwayFailure / PathwayClosed: left out to keep it legible.
    for (const c of s.Catch ?? []) if (!targets.has(c.Next) && !['RecordPathwayFailure', 'PathwayClosed'].includes(c.Next)) lines.push(`  ${name} -. ${c.ErrorEquals.join(', ').replace(/\./g, '_')} .-> ${c.Next}`);
  }
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = fileURLToPath(new URL('../statemachines/care-pathway.asl.json', import.meta.url));
  console.log(aslDiagram(JSON.parse(readFileSync(file, 'utf8'))));
}
