// cdk-nag names a wildcard finding after the resource it saw in the template, with intrinsics
// flattened (`<LogicalId.Attr>`, `<Ref>`, `${X}` of Fn::Sub as `<X>`). Acknowledgements name the
// same string, computed here from the construct's own token so they follow renames and regions.
import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** A value (usually an ARN) as cdk-nag prints it inside a finding id such as `AwsSolutions-IAM5[Resource::...]`. */
export function nagResource(scope: IConstruct, value: string): string {
  const flatten = (node: unknown): string => {
    if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
    const o = node as Record<string, unknown>;
    if (o['Fn::Join']) {
      const [delimiter, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(flatten).join(delimiter);
    }
    if (o['Fn::Sub']) return flatten(o['Fn::Sub']);
    if (o['Fn::GetAtt']) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
    if (o.Ref) return `<${String(o.Ref)}>`;
    return JSON.stringify(node);
  };
  return flatten(Stack.of(scope).resolve(value));
}
