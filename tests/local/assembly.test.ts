// The local stack is wired from the synthesized template alone: these tests read the cloud
// assembly `npm start` uses and check that what the product declares (routes, handlers, tables,
// schedules) is what the template holds, so a route, variable, index or schedule that lives only
// in lib/ or only in functions/ cannot pass unseen.
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_ROUTES, API_HANDLERS } from '../../functions/api/routes.js';
import { AUDIT_TABLE, PATHWAY_TABLE } from '../../functions/store/table-layout.js';
import { PROJECT_ROOT, synthesize } from '../../local/assembly/synth.js';
import { ResolvedTemplate, type CfnTemplate } from '../../local/assembly/template.js';
import { mayInvoke, readAssembly, type LocalAssembly } from '../../local/assembly/wiring.js';

let raw: CfnTemplate;
let stackName: string;
let assembly: LocalAssembly;

beforeAll(async () => {
  const synth = await synthesize();
  raw = synth.template;
  stackName = synth.stackName;
  assembly = readAssembly(raw, stackName, () => 1);
}, 120_000);

const routeKey = (r: { method: string; path: string }) => `${r.method} ${r.path}`;

describe('the local stack reads the synthesized template', () => {
  it('serves exactly the routes the product declares, each by the function of its handler module', () => {
    const declared = ALL_ROUTES.map((r) => `${routeKey(r)} -> ${API_HANDLERS[r.handler]}`).sort();
    const served = assembly.routes.map((r) => `${routeKey(r)} -> ${assembly.functions.find((f) => f.arn === r.functionArn)?.entry}`).sort();
    expect(served).toEqual(declared);
  });

  it('marks only the public routes as served without a token, and API Gateway may invoke every route function', () => {
    for (const route of assembly.routes) {
      const declared = ALL_ROUTES.find((r) => routeKey(r) === routeKey(route));
      expect(route.authorization, routeKey(route)).toBe(declared?.public ? 'NONE' : 'JWT');
      const sourceArn = `arn:aws:execute-api:us-east-1:000000000000:localapi/$default/${route.method}${route.path}`;
      expect(mayInvoke(assembly, route.functionArn, 'apigateway.amazonaws.com', sourceArn), routeKey(route)).toBe(true);
    }
  });

  it('runs every function of ours from a handler module that exists, with its tables named in its environment', () => {
    expect(assembly.functions.length).toBeGreaterThanOrEqual(15);
    for (const fn of assembly.functions) {
      expect(existsSync(join(PROJECT_ROOT, fn.entry)), fn.entry).toBe(true);
      expect(fn.environment.PATHWAY_TABLE_NAME, fn.logicalId).toBe(assembly.tables.find((t) => t.name.includes('PathwayTable'))?.name);
      expect(assembly.roles.has(fn.roleArn), fn.logicalId).toBe(true);
    }
    // CDK's own deployment helper (the dashboard's BucketDeployment) is not ours to run.
    expect(assembly.notRun.every((id) => id.startsWith('Custom'))).toBe(true);
  });

  it('gives the state machine a definition whose every Lambda task is a function of the template, invokable by its role', () => {
    expect(assembly.stateMachine.definition).not.toMatch(/\$\{/);
    const arns = new Set([...assembly.stateMachine.definition.matchAll(/"(arn:aws:lambda:[^"]+)"/g)].map((m) => m[1]));
    expect(arns.size).toBeGreaterThan(0);
    for (const arn of arns) expect(assembly.functions.some((f) => f.arn === arn), arn).toBe(true);
    expect(assembly.roles.has(assembly.stateMachine.roleArn)).toBe(true);
    expect(assembly.stateMachine.aliases.map((a) => a.name)).toContain('live');
  });

  it('creates the tables with the keys and indexes the repository uses', () => {
    for (const layout of [
      { table: PATHWAY_TABLE, index: PATHWAY_TABLE.worklistIndex },
      { table: AUDIT_TABLE, index: AUDIT_TABLE.monthIndex },
    ]) {
      const found = assembly.tables.find((t) => {
        const keys = (t.create.KeySchema as { AttributeName: string }[]).map((k) => k.AttributeName);
        const gsis = (t.create.GlobalSecondaryIndexes as { IndexName: string; KeySchema: { AttributeName: string }[] }[] | undefined) ?? [];
        return keys.join() === [layout.table.partitionKey, layout.table.sortKey].join() && gsis.some((g) => g.IndexName === layout.index.name && g.KeySchema.map((k) => k.AttributeName).join() === [layout.index.partitionKey, layout.index.sortKey].join());
      });
      expect(found, layout.index.name).toBeDefined();
      expect(found?.kmsKeyArn).toMatch(/^arn:aws:kms:/);
    }
  });

  it('runs each schedule of the template against a function EventBridge may invoke', () => {
    expect(assembly.schedules.length).toBeGreaterThanOrEqual(2);
    for (const s of assembly.schedules) {
      expect(assembly.functions.some((f) => f.arn === s.functionArn), s.logicalId).toBe(true);
      expect(mayInvoke(assembly, s.functionArn, 'events.amazonaws.com', s.ruleArn), s.logicalId).toBe(true);
    }
  });

  it('loses a route, and EventBridge its permission, when the template lacks them', () => {
    const edited = structuredClone(raw) as { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
    const [routeId] = Object.entries(edited.Resources).find(([, r]) => r.Type === 'AWS::ApiGatewayV2::Route' && r.Properties?.RouteKey === 'POST /referrals') ?? [];
    const [permissionId] = Object.entries(edited.Resources).find(([, r]) => r.Type === 'AWS::Lambda::Permission' && r.Properties?.Principal === 'events.amazonaws.com') ?? [];
    delete edited.Resources[routeId as string];
    delete edited.Resources[permissionId as string];

    const changed = readAssembly(edited as CfnTemplate, stackName, () => 1);

    expect(changed.routes.map(routeKey)).not.toContain('POST /referrals');
    expect(changed.schedules.filter((s) => !mayInvoke(changed, s.functionArn, 'events.amazonaws.com', s.ruleArn))).toHaveLength(1);
  });

  it('refuses a template construct it cannot resolve instead of guessing', () => {
    const t = new ResolvedTemplate({ Resources: {} }, { stackName: 'S' });
    expect(() => t.resolve({ 'Fn::ImportValue': 'elsewhere' })).toThrow(/cannot resolve Fn::ImportValue/);
    expect(() => t.resolve({ Ref: 'Missing' })).toThrow(/no resource Missing/);
    expect(t.resolve({ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${AWS::AccountId}-x' })).toBe('arn:aws:s3:::000000000000-x');
  });
});
