/**
 * Checks a presigned S3 URL the way S3 does (SigV4, query-string form): recomputes its signature from the
 * method, path, query and the values of the headers it names as signed, with the secret key it was signed
 * with. The local S3 checks no signature, so this is how a test proves what a URL binds: valid with the
 * headers the API hands out, invalid with any other length or checksum.
 */
import { createHash, createHmac } from 'node:crypto';

const hmac = (key: string | Buffer, text: string) => createHmac('sha256', key).update(text).digest();
const encode = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export function presignedUrlAccepts(
  url: string,
  request: { method: string; headers: Record<string, string> },
  secretAccessKey: string,
): boolean {
  const parsed = new URL(url);
  const query = [...parsed.searchParams.entries()].filter(([key]) => key !== 'X-Amz-Signature');
  const param = (name: string) => parsed.searchParams.get(name) ?? '';
  const signedHeaders = param('X-Amz-SignedHeaders').split(';');
  const headers: Record<string, string> = { host: parsed.host };
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value.trim();
  if (signedHeaders.some((name) => headers[name] === undefined)) return false;
  const canonicalRequest = [
    request.method,
    parsed.pathname,
    query
      .map(([key, value]) => `${encode(key)}=${encode(value)}`)
      .sort()
      .join('&'),
    ...signedHeaders.map((name) => `${name}:${headers[name]}`),
    '',
    signedHeaders.join(';'),
    param('X-Amz-Content-Sha256') || 'UNSIGNED-PAYLOAD',
  ].join('\n');
  const [, date, region, service] = param('X-Amz-Credential').split('/');
  const amzDate = param('X-Amz-Date');
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    `${date}/${region}/${service}/aws4_request`,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  let key = hmac(`AWS4${secretAccessKey}`, date!);
  for (const part of [region!, service!, 'aws4_request']) key = hmac(key, part);
  return hmac(key, stringToSign).toString('hex') === param('X-Amz-Signature');
}
