/**
 * What s3rver 3.7 lacks of S3's conditional reads: `If-Match` on GET and HEAD of an object. S3 answers 412
 * PreconditionFailed when the object's ETag is another; s3rver ignores the header and serves whatever is
 * stored. The gateway relies on it twice — a validation resumed by a range read, and a submission that
 * must send the very object that was validated — so the local stack and the tests answer it as S3 does.
 */
import { createRequire } from 'node:module';
import type S3rver from 's3rver';

type S3ErrorClass = new (code: string, message: string, detail?: Record<string, string>) => Error;
const S3Error = createRequire(import.meta.url)('s3rver/lib/models/error') as S3ErrorClass;

interface KoaContext {
  method: string;
  status: number;
  body: unknown;
  get(header: string): string;
  response: { get(header: string): string };
}
type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

export function addConditionalReads(server: S3rver): void {
  const app = server as unknown as { middleware: Middleware[] };
  const ifMatch: Middleware = async (ctx, next) => {
    const expected = ctx.get('if-match');
    if (!expected || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
    await next();
    const etag = ctx.response.get('etag');
    if (!etag || ctx.status >= 300 || expected === '*' || expected === etag) return;
    (ctx.body as { destroy?: () => void } | undefined)?.destroy?.();
    throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
      Condition: 'If-Match',
    });
  };
  // Inside s3rver's error handling (which turns the S3Error into S3's XML answer), before its routes.
  app.middleware.splice(app.middleware.length - 1, 0, ifMatch);
}
