// The README stays true where it can drift silently: its state-machine diagram is drawn from the
// ASL file, and it shows the two commands.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { aslDiagram } from '../../scripts/asl-diagram.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('the README', () => {
  it('draws the state machine the ASL file defines', () => {
    const asl = JSON.parse(readFileSync(new URL('../../statemachines/care-pathway.asl.json', import.meta.url), 'utf8'));
    expect(readme).toContain(`\`\`\`mermaid\n${aslDiagram(asl)}\n\`\`\``);
  });

  it('gives the two commands', () => {
    expect(readme).toContain('npm start');
    expect(readme).toContain('npm test');
  });
});
