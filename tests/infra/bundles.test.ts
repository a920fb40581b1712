// The handlers as the CDK bundles them (bench/bundles.ts bundles with the same options as
// lib/pathway-function.ts). Module init is measured by `npm run bench`, never here; these tests
// check the structure that keeps it small: at init a handler loads only the DynamoDB SDK (every
// handler reads the record), and SES, Step Functions, Cognito and EventBridge only on first use.
// A static `import { X } from '@aws-sdk/client-ses'` anywhere in a handler's graph would be hoisted
// to the top of its bundle and load SES in every container.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleHandler, handlerEntries } from '../../bench/bundles.js';
import { PROJECT_ROOT } from '../../bench/stack.js';
import { DEFINITIONS_FILE, DEFINITIONS_SOURCE } from '../../functions/fhir/validated-types.js';

// Inside the project (bench-results/ is git-ignored) so bundles resolve @aws-sdk/* from node_modules.
mkdirSync(join(PROJECT_ROOT, 'bench-results'), { recursive: true });
const dir = mkdtempSync(join(PROJECT_ROOT, 'bench-results', 'bundles-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const AT_INIT = ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb'];

describe('handler bundles', () => {
  it.each(handlerEntries())('%s imports only the DynamoDB SDK at init', async (entry) => {
    const { sdkImports, sdkOnFirstUse } = await bundleHandler(entry, join(dir, `${entry.replace(/\W/g, '-')}.mjs`));
    for (const pkg of sdkImports) expect(AT_INIT).toContain(pkg);
    for (const pkg of ['@aws-sdk/client-ses', '@aws-sdk/client-sfn', '@aws-sdk/client-cognito-identity-provider', '@aws-sdk/client-eventbridge']) {
      expect(sdkImports).not.toContain(pkg);
    }
    if (entry.endsWith('openapi.ts')) expect([...sdkImports, ...sdkOnFirstUse]).toEqual([]);
  });

  it('the FHIR validator reads its definitions from the file beside its bundle, not from the bundle', async () => {
    const out = join(dir, 'fhir-validator');
    mkdirSync(out);
    await bundleHandler('functions/fhir/validator.ts', join(out, 'index.mjs'));
    // The whole bundle: with the definitions inside it was over 0.78 MB.
    expect(statSync(join(out, 'index.mjs')).size).toBeLessThan(250_000);
    copyFileSync(join(PROJECT_ROOT, DEFINITIONS_SOURCE), join(out, DEFINITIONS_FILE)); // what the CDK's afterBundling hook does
    const { structuralIssues } = (await import(pathToFileURL(join(out, 'index.mjs')).href)) as typeof import('../../functions/fhir/validator.js');
    expect(structuralIssues({ resourceType: 'Patient', gender: 'female', birthDate: '1980-02-03' })).toEqual([]);
    const issues = structuralIssues({ resourceType: 'Patient', birthDate: 'yesterday' } as never);
    expect(issues.length).toBeGreaterThan(0);
    expect(JSON.stringify(issues)).toContain('birthDate');
  });
});
