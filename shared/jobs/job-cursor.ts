/**
 * The cursor of a job listing: DynamoDB's LastEvaluatedKey, base64url-encoded so it is opaque to
 * clients, and bound to the owner: a cursor whose key lies in another partition is refused, so no one
 * can page through another user's keys by forging one.
 */
import { userPartition } from '#shared/aws/table';

export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

export function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, owner: string): Record<string, unknown> {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    const partition = String(key.PK ?? '');
    if (partition !== userPartition(owner)) throw new Error('cursor of another partition');
    return key;
  } catch {
    throw new InvalidCursorError('The cursor is not valid for this listing');
  }
}
