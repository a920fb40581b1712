// Reads the synthesized CloudFormation template the way CloudFormation would deploy it to one
// account and region: every intrinsic (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split)
// resolved to the physical names and ARNs the local stack gives each resource. A value the local
// stack cannot resolve throws, so a template construct nobody taught it fails `npm start` loudly.

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';
/** The id the local HTTP API stands for; the stage URL built from it becomes the local API address. */
export const LOCAL_API_ID = 'localapi';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
}

export interface ResolveOptions {
  readonly stackName: string;
  /** The local version number of each AWS::StepFunctions::StateMachineVersion (logical id -> n). */
  readonly stateMachineVersion?: (logicalId: string) => number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class ResolvedTemplate {
  readonly region = LOCAL_REGION;
  readonly account = LOCAL_ACCOUNT;

  constructor(
    readonly template: CfnTemplate,
    private readonly options: ResolveOptions,
  ) {}

  get stackName(): string {
    return this.options.stackName;
  }

  resources(type: string): [string, CfnResource][] {
    return Object.entries(this.template.Resources).filter(([, r]) => r.Type === type);
  }

  resource(logicalId: string): CfnResource {
    const r = this.template.Resources[logicalId];
    if (!r) throw new Error(`template: no resource ${logicalId}`);
    return r;
  }

  prop(logicalId: string, name: string): unknown {
    return this.resolve(this.resource(logicalId).Properties?.[name]);
  }

  /** The physical name CloudFormation would give a resource without an explicit name. */
  private generatedName(logicalId: string): string {
    return `${this.stackName}-${logicalId}`;
  }

  private arn(service: string, resource: string, region = this.region): string {
    return `arn:aws:${service}:${region}:${this.account}:${resource}`;
  }

  /** What `{ "Ref": logicalId }` returns, by resource type (CloudFormation's documented return values). */
  ref(logicalId: string): string {
    switch (logicalId) {
      case 'AWS::Region':
        return this.region;
      case 'AWS::AccountId':
        return this.account;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.stackName;
    }
    const r = this.resource(logicalId);
    const p = r.Properties ?? {};
    const named = (key: string) => (typeof p[key] === 'string' ? (p[key] as string) : this.generatedName(logicalId));
    switch (r.Type) {
      case 'AWS::DynamoDB::Table':
        return named('TableName');
      case 'AWS::Lambda::Function':
        return named('FunctionName');
      case 'AWS::IAM::Role':
        return named('RoleName');
      case 'AWS::StepFunctions::StateMachine':
        return this.getAtt(logicalId, 'Arn');
      case 'AWS::StepFunctions::StateMachineVersion':
      case 'AWS::StepFunctions::StateMachineAlias':
        return this.getAtt(logicalId, 'Arn');
      case 'AWS::SES::EmailIdentity':
        return String(this.resolve(p.EmailIdentity));
      case 'AWS::Events::EventBus':
        return named('Name');
      case 'AWS::Cognito::UserPool':
        return `${this.region}_${logicalId.replace(/[^A-Za-z0-9]/g, '').slice(0, 9)}`;
      case 'AWS::ApiGatewayV2::Api':
        return LOCAL_API_ID;
      default:
        // Keys, buckets, log groups, clients...: a stable name; the local stack calls none of them.
        return this.generatedName(logicalId);
    }
  }

  getAtt(logicalId: string, attribute: string): string {
    const r = this.resource(logicalId);
    const p = r.Properties ?? {};
    const name = () => this.ref(logicalId);
    switch (`${r.Type}.${attribute}`) {
      case 'AWS::DynamoDB::Table.Arn':
        return this.arn('dynamodb', `table/${name()}`);
      case 'AWS::DynamoDB::Table.StreamArn':
        return this.arn('dynamodb', `table/${name()}/stream/local`);
      case 'AWS::Lambda::Function.Arn':
        return this.arn('lambda', `function:${name()}`);
      case 'AWS::IAM::Role.Arn':
        return `arn:aws:iam::${this.account}:role/${name()}`;
      case 'AWS::StepFunctions::StateMachine.Arn':
        return this.arn('states', `stateMachine:${String(this.resolve(p.StateMachineName) ?? this.generatedName(logicalId))}`);
      case 'AWS::StepFunctions::StateMachine.Name':
        return String(this.resolve(p.StateMachineName) ?? this.generatedName(logicalId));
      case 'AWS::StepFunctions::StateMachine.StateMachineRevisionId':
        return 'local-revision';
      case 'AWS::StepFunctions::StateMachineVersion.Arn': {
        const n = this.options.stateMachineVersion?.(logicalId);
        if (n === undefined) throw new Error(`template: no local version number for ${logicalId}`);
        return `${String(this.resolve(p.StateMachineArn))}:${n}`;
      }
      case 'AWS::StepFunctions::StateMachineAlias.Arn': {
        const routes = p.RoutingConfiguration as { StateMachineVersionArn: unknown }[] | undefined;
        const target = String(this.resolve(routes?.[0]?.StateMachineVersionArn));
        return `${target.slice(0, target.lastIndexOf(':'))}:${String(this.resolve(p.Name))}`;
      }
      case 'AWS::Events::Rule.Arn':
        return this.arn('events', `rule/${String(this.resolve(p.Name) ?? this.generatedName(logicalId))}`);
      case 'AWS::Events::EventBus.Arn':
        return this.arn('events', `event-bus/${name()}`);
      case 'AWS::Events::EventBus.Name':
        return name();
      case 'AWS::Cognito::UserPool.Arn':
        return this.arn('cognito-idp', `userpool/${name()}`);
      case 'AWS::Cognito::UserPool.ProviderURL':
        return `https://cognito-idp.${this.region}.amazonaws.com/${name()}`;
      case 'AWS::Cognito::UserPool.ProviderName':
        return `cognito-idp.${this.region}.amazonaws.com/${name()}`;
      case 'AWS::KMS::Key.Arn':
        return this.arn('kms', `key/${logicalId}`);
      case 'AWS::Logs::LogGroup.Arn':
        return this.arn('logs', `log-group:${String(this.resolve(p.LogGroupName) ?? this.generatedName(logicalId))}:*`);
      case 'AWS::S3::Bucket.Arn':
        return `arn:aws:s3:::${name().toLowerCase()}`;
      case 'AWS::ApiGatewayV2::Api.ApiEndpoint':
        return `https://${LOCAL_API_ID}.execute-api.${this.region}.amazonaws.com`;
      default:
        // Attributes of resources the local stack neither runs nor authorizes against (CloudFront,
        // SNS, Backup...): a recognisable placeholder that never matches a real request.
        return `local:${logicalId}.${attribute}`;
    }
  }

  /** Resolves every intrinsic in `value`. */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (!isObject(value)) return value;
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const [key] = keys as [string];
      const arg = value[key];
      switch (key) {
        case 'Ref':
          return this.ref(String(arg));
        case 'Fn::GetAtt': {
          const [id, attr] = Array.isArray(arg) ? (arg as string[]) : String(arg).split('.');
          return this.getAtt(String(id), String(attr));
        }
        case 'Fn::Join': {
          const [sep, parts] = arg as [string, unknown[]];
          return (this.resolve(parts) as unknown[]).map(String).join(sep);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [unknown, unknown];
          const items = this.resolve(list) as unknown[];
          const picked = items[Number(this.resolve(index))];
          if (picked === undefined) throw new Error(`template: Fn::Select index out of range`);
          return picked;
        }
        case 'Fn::Split': {
          const [sep, source] = arg as [string, unknown];
          return String(this.resolve(source)).split(sep);
        }
        case 'Fn::Sub': {
          const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
          return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
            if (name in vars) return String(this.resolve(vars[name]));
            const dot = name.indexOf('.');
            return dot > 0 && !name.startsWith('AWS::') ? this.getAtt(name.slice(0, dot), name.slice(dot + 1)) : this.ref(name);
          });
        }
      }
      if (key.startsWith('Fn::')) throw new Error(`template: the local stack cannot resolve ${key}`);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(v)]));
  }
}
