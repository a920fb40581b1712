// Grants follow calls (STYLE 17): a function is allowed exactly what the adapters its handler uses
// declare (functions/shared/aws-access.ts), on the resource each declaration names, and nothing
// else. Resources are named as the stack creates them, and each grant is made beside the
// construct it reaches; actions on one resource share one statement per function.
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { AWS_RESOURCES, type AwsAccess, type AwsResource, type StartQualifier } from '../functions/shared/aws-access.js';
import type { PathwayFunction } from './pathway-function.js';

export interface AccessTarget {
  /** The resource's ARN, unqualified and without wildcards where AWS can say more. */
  readonly arn: string;
  /**
   * The customer-managed key of a DynamoDB table (or of the table an index belongs to). DynamoDB
   * unwraps the table key with the caller's own permissions, and for that needs kms:Decrypt and
   * nothing else from the caller, whatever the call.
   */
  readonly tableKey?: IKey;
}

export class AccessGrants {
  private readonly targets = new Map<AwsResource, AccessTarget>();
  private readonly statements = new Map<PathwayFunction, Map<string, PolicyStatement>>();

  /** @param liveAlias the alias new referrals start through (states:StateMachineQualifier) */
  constructor(private readonly liveAlias: string) {}

  /** Says which resource of this stack a logical resource of the declarations is. */
  name(resource: AwsResource, target: AccessTarget): void {
    if (this.targets.has(resource)) throw new Error(`${resource} is already named`);
    this.targets.set(resource, target);
  }

  /** Allows `fn` each declared capability, on the named resources. */
  grant(fn: PathwayFunction, ...capabilities: AwsAccess[]): void {
    for (const capability of capabilities) {
      for (const resource of AWS_RESOURCES) {
        const actions: readonly string[] = capability[resource] ?? [];
        if (actions.length === 0) continue;
        const target = this.targets.get(resource);
        if (!target) throw new Error(`grant to ${fn.node.path}: ${resource} has not been named yet; grant beside its construct`);
        const qualifier = resource === 'stateMachine' ? this.qualifierOf(capability, actions) : undefined;
        this.allow(fn, `${resource}|${qualifier ?? ''}`, target.arn, actions, qualifier);
        if (target.tableKey) this.allow(fn, `key|${target.tableKey.node.path}`, target.tableKey.keyArn, ['kms:Decrypt']);
      }
    }
  }

  /** The functions granted anything on `resource` (for acknowledgements that follow the grants). */
  granteesOf(resource: AwsResource): PathwayFunction[] {
    return [...this.statements].filter(([, byResource]) => [...byResource.keys()].some((k) => k.startsWith(`${resource}|`))).map(([fn]) => fn);
  }

  /** A start names its qualifier; nothing else on the state machine may carry one. */
  private qualifierOf(capability: AwsAccess, actions: readonly string[]): StartQualifier | undefined {
    const starts = actions.includes('states:StartExecution');
    if (starts !== (capability.startQualifier !== undefined) || (starts && actions.length > 1)) {
      throw new Error(`states:StartExecution must be declared alone with its startQualifier: ${JSON.stringify(capability)}`);
    }
    return capability.startQualifier;
  }

  private allow(fn: PathwayFunction, key: string, arn: string, actions: readonly string[], qualifier?: StartQualifier): void {
    let byResource = this.statements.get(fn);
    if (!byResource) this.statements.set(fn, (byResource = new Map()));
    const statement = byResource.get(key);
    if (statement) {
      // Statements render at synthesis, so a later grant on the same resource joins this one.
      const have = new Set(statement.actions);
      statement.addActions(...actions.filter((a) => !have.has(a)));
      return;
    }
    // Step Functions authorizes a start through an alias or version against the unqualified
    // machine and passes the alias name or version number as states:StateMachineQualifier
    // (https://docs.aws.amazon.com/step-functions/latest/dg/auth-version-alias.html). The key is
    // multivalued (ArrayOfString), so only the set operators match it: ForAnyValue for "through the
    // alias"; ForAllValues for "anything but the alias", which also holds when the key is absent
    // (an unqualified start: reopen, or a pathway that predates versions).
    const conditions = qualifier && { [qualifier === 'liveAlias' ? 'ForAnyValue:StringEquals' : 'ForAllValues:StringNotEquals']: { 'states:StateMachineQualifier': this.liveAlias } };
    const created = new PolicyStatement({ actions: [...new Set(actions)], resources: [arn], ...(conditions ? { conditions } : {}) });
    byResource.set(key, created);
    fn.role.addToPrincipalPolicy(created);
  }
}
