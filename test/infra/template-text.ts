/**
 * Reads CloudFormation intrinsics as text with the logical ids in place (`${ApiRestApi…}` for a Ref,
 * `${StorageInputs….RegionalDomainName}` for a GetAtt), so a test can state a deploy-time value — a CSP,
 * a URL in config.json — as one string.
 */

/** A property value as text; references become `${LogicalId}` / `${LogicalId.Attribute}`. */
export function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const intrinsic = value as Record<string, unknown>;
  if (typeof intrinsic.Ref === 'string') return `\${${intrinsic.Ref}}`;
  if (Array.isArray(intrinsic['Fn::GetAtt'])) return `\${${(intrinsic['Fn::GetAtt'] as string[]).join('.')}}`;
  if (Array.isArray(intrinsic['Fn::Join'])) {
    const [separator, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
    return parts.map(asText).join(separator);
  }
  if (typeof intrinsic['Fn::Sub'] === 'string') return intrinsic['Fn::Sub'];
  throw new Error(`not readable as text: ${JSON.stringify(value)}`);
}

/** How asText writes a reference: `${LogicalId}`, or `${LogicalId.Attribute}`. */
export function ref(logicalId: string, attribute?: string): string {
  return `\${${attribute ? `${logicalId}.${attribute}` : logicalId}}`;
}
