/**
 * What s3rver 3.7 lacks of S3's multipart uploads, added to its Koa app so the local stack and the tests
 * behave like real S3: ListParts (GET ?uploadId, paged with max-parts / part-number-marker) and
 * AbortMultipartUpload (DELETE ?uploadId), which s3rver does not route; and S3's refusals on the
 * operations it does implement — a part or a completion for an upload it does not have (NoSuchUpload, as
 * S3 answers once an upload is completed or aborted), parts missing or with another ETag (InvalidPart),
 * out of order (InvalidPartOrder) or too small (EntityTooSmall) at completion, and SHA-256 part checksums
 * as S3 checks them: an upload created with `x-amz-checksum-algorithm: SHA256` needs one on every part
 * (BadDigest when the bytes differ) and in the completion, one created without takes none.
 * It works on s3rver's own files, <bucket>/._S3rver_uploads/<uploadId>/{key,metadata,<n>,<n>.md5}, next
 * to which it keeps <n>.sha256. Signatures stay unchecked, as everywhere in s3rver.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type S3rver from 's3rver';

const MIN_PART_BYTES = 5 * 1024 ** 2;

/** s3rver's error class: what it throws is answered as S3's XML error with S3's status. */
type S3ErrorClass = new (code: string, message: string, detail?: Record<string, string>) => Error;
const S3Error = createRequire(import.meta.url)('s3rver/lib/models/error') as S3ErrorClass;

interface KoaContext {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  req: Readable;
  status: number;
  body: unknown;
  params?: Record<string, string>;
}
type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;
interface FilesystemStore {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  putPart(bucket: string, uploadId: string, partNumber: string, content: Readable): Promise<{ md5: string }>;
  putObjectMultipart(
    bucket: string,
    uploadId: string,
    parts: { number: number; etag: string }[],
  ): Promise<{ md5: string; size: number }>;
}
interface S3rverInternals {
  middleware: Middleware[];
  store: FilesystemStore;
}

interface StoredPart {
  number: number;
  size: number;
  md5: string;
  sha256: string | null;
  lastModified: Date;
}

export function addMultipartOperations(server: S3rver, options: { pageSize?: number } = {}): void {
  const app = server as unknown as S3rverInternals;
  const { store } = app;
  const pageSize = options.pageSize ?? 1000;
  const uploadDir = (bucket: string, uploadId: string) =>
    join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId);

  /** The upload's key and whether it checks SHA-256 part checksums; NoSuchUpload when there is none. */
  async function upload(bucket: string, uploadId: string, key?: string) {
    const dir = uploadDir(bucket, uploadId);
    const [storedKey, metadata] = await Promise.all([
      readFile(join(dir, 'key'), 'utf8').catch(() => undefined),
      readFile(join(dir, 'metadata'), 'utf8').catch(() => '{}'),
    ]);
    if (storedKey === undefined || (key !== undefined && storedKey !== key)) {
      throw new S3Error('NoSuchUpload', 'The specified upload does not exist.', { UploadId: uploadId });
    }
    const headers = JSON.parse(metadata) as Record<string, string>;
    return { dir, key: storedKey, sha256: headers['x-amz-checksum-algorithm']?.toUpperCase() === 'SHA256' };
  }

  async function storedParts(dir: string): Promise<StoredPart[]> {
    const names = (await readdir(dir)).filter((name) => /^\d+$/.test(name));
    const parts = await Promise.all(
      names.map(async (name) => {
        const [info, md5, sha256] = await Promise.all([
          stat(join(dir, name)),
          readFile(join(dir, `${name}.md5`), 'utf8'),
          readFile(join(dir, `${name}.sha256`), 'utf8').catch(() => null),
        ]);
        return { number: Number(name), size: info.size, md5, sha256, lastModified: info.mtime };
      }),
    );
    return parts.sort((a, b) => a.number - b.number);
  }

  // UploadPart stays routed by s3rver (behind its CORS handling, which browsers need); its store's part
  // writer is replaced by one with S3's checks that resolves once the part is on disk (s3rver's resolves
  // before its write stream has flushed) and keeps the part it replaces when the new one is refused.
  store.putPart = async (bucket, uploadId, partNumber, content) => {
    const { dir, sha256 } = await upload(bucket, uploadId);
    const number = Number(partNumber);
    if (!Number.isInteger(number) || number < 1 || number > 10_000) {
      throw new S3Error('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive');
    }
    const given = (content as unknown as { headers: Record<string, string | undefined> }).headers[
      'x-amz-checksum-sha256'
    ];
    if (sha256 !== (given !== undefined)) {
      throw new S3Error(
        'InvalidRequest',
        `Checksum Type mismatch occurred, expected checksum Type: ${sha256 ? 'sha256' : 'null'}, ` +
          `actual checksum Type: ${given === undefined ? 'null' : 'sha256'}`,
      );
    }
    const md5 = createHash('md5');
    const sha = createHash('sha256');
    const path = join(dir, String(number));
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        md5.update(chunk);
        sha.update(chunk);
        done(null, chunk);
      },
    });
    await pipeline(content, hashing, createWriteStream(`${path}.upload`));
    const digest = sha.digest('base64');
    if (given !== undefined && given !== digest) {
      await rm(`${path}.upload`, { force: true });
      throw new S3Error('BadDigest', 'The SHA256 you specified did not match the calculated checksum.');
    }
    const etag = md5.digest('hex');
    await rename(`${path}.upload`, path);
    await writeFile(`${path}.md5`, etag);
    if (given !== undefined) await writeFile(`${path}.sha256`, digest);
    else await rm(`${path}.sha256`, { force: true });
    return { md5: etag };
  };

  const operations: Middleware = async (ctx, next) => {
    const uploadId = ctx.query.uploadId;
    if (typeof uploadId !== 'string' || !['GET', 'DELETE', 'POST'].includes(ctx.method)) return next();
    const [bucket = '', ...keyParts] = ctx.path.slice(1).split('/');
    const key = decodeURIComponent(keyParts.join('/'));
    const { dir, sha256 } = await upload(bucket, uploadId, key);
    if (ctx.method === 'DELETE') {
      await rm(dir, { recursive: true, force: true });
      ctx.status = 204;
      ctx.body = '';
      return;
    }
    const parts = await storedParts(dir);
    if (ctx.method === 'GET') {
      ctx.body = listPartsResult({ bucket, key, uploadId, parts, query: ctx.query, pageSize });
      return;
    }
    const listed = parseCompletion(await readBody(ctx.req));
    checkCompletion(listed, parts, sha256);
    const { md5 } = await store.putObjectMultipart(
      bucket,
      uploadId,
      listed.map((part) => ({ number: part.number, etag: part.etag })),
    );
    ctx.body = {
      CompleteMultipartUploadResult: {
        Location: `/${bucket}/${key}`,
        Bucket: bucket,
        Key: key,
        ETag: `"${md5}"`,
      },
    };
  };
  // Before s3rver's router (the last middleware), which refuses these methods with ?uploadId.
  app.middleware.splice(app.middleware.length - 1, 0, operations);
}

function listPartsResult(options: {
  bucket: string;
  key: string;
  uploadId: string;
  parts: StoredPart[];
  query: KoaContext['query'];
  pageSize: number;
}) {
  const marker = Number(options.query['part-number-marker'] ?? 0) || 0;
  const maxParts = Math.min(Number(options.query['max-parts'] ?? options.pageSize) || options.pageSize, 1000);
  const after = options.parts.filter((part) => part.number > marker);
  const page = after.slice(0, maxParts);
  const truncated = after.length > page.length;
  return {
    ListPartsResult: {
      Bucket: options.bucket,
      Key: options.key,
      UploadId: options.uploadId,
      PartNumberMarker: marker,
      NextPartNumberMarker: page.at(-1)?.number ?? marker,
      MaxParts: maxParts,
      IsTruncated: truncated,
      StorageClass: 'STANDARD',
      // Real S3 quotes ETags; a client must not assume either way.
      Part: page.map((part) => ({
        PartNumber: part.number,
        LastModified: part.lastModified.toISOString(),
        ETag: `"${part.md5}"`,
        Size: part.size,
        ...(part.sha256 ? { ChecksumSHA256: part.sha256 } : {}),
      })),
    },
  };
}

interface ListedPart {
  number: number;
  etag: string;
  sha256?: string;
}

/** S3's refusals of a completion, in the order S3 reports them. */
function checkCompletion(listed: ListedPart[], stored: StoredPart[], sha256: boolean): void {
  const byNumber = new Map(stored.map((part) => [part.number, part]));
  if (listed.some((part, index) => index > 0 && part.number <= listed[index - 1]!.number)) {
    throw new S3Error('InvalidPartOrder', 'The list of parts was not in ascending order.');
  }
  listed.forEach((part, index) => {
    const held = byNumber.get(part.number);
    if (!held || held.md5 !== part.etag || (part.sha256 !== undefined && part.sha256 !== held.sha256)) {
      throw new S3Error(
        'InvalidPart',
        'One or more of the specified parts could not be found. The part may not have been uploaded, or ' +
          "the specified entity tag may not match the part's entity tag.",
      );
    }
    if (sha256 && part.sha256 === undefined) {
      throw new S3Error(
        'InvalidRequest',
        'The upload was created using a sha256 checksum. The complete request must include the checksum ' +
          `for each part. It was missing for part ${part.number} in the request.`,
      );
    }
    if (index < listed.length - 1 && held.size < MIN_PART_BYTES) {
      throw new S3Error(
        'EntityTooSmall',
        'Your proposed upload is smaller than the minimum allowed object size.',
      );
    }
  });
}

const ENTITIES: Record<string, string> = {
  '&quot;': '"',
  '&apos;': "'",
  '&lt;': '<',
  '&gt;': '>',
  '&amp;': '&',
};
const text = (xml: string, tag: string) =>
  new RegExp(`<${tag}>([^<]*)</${tag}>`)
    .exec(xml)?.[1]
    ?.replace(/&(quot|apos|lt|gt|amp);/g, (e) => ENTITIES[e]!);

/** The parts of a CompleteMultipartUpload body (the SDK's XML: flat, one element per field). */
function parseCompletion(xml: string): ListedPart[] {
  const parts = [...xml.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map(([, part]) => ({
    number: Number(text(part!, 'PartNumber')),
    etag: (text(part!, 'ETag') ?? '').replaceAll('"', ''),
    sha256: text(part!, 'ChecksumSHA256'),
  }));
  if (!xml.includes('<CompleteMultipartUpload') || parts.length === 0) {
    throw new S3Error(
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema.',
    );
  }
  return parts;
}

async function readBody(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
