// A CloudFormation value as text for assertions: intrinsics written out as `<Ref>` and
// `<LogicalId.Attr>`, joins joined, so a test can match an ARN the template builds.
export function text(value: unknown): string {
  if (typeof value === 'string') return value;
  const o = value as Record<string, unknown>;
  if (o['Fn::Join']) {
    const [delimiter, parts] = o['Fn::Join'] as [string, unknown[]];
    return parts.map(text).join(delimiter);
  }
  if (o['Fn::GetAtt']) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
  if (o.Ref) return `<${String(o.Ref)}>`;
  return JSON.stringify(value);
}
