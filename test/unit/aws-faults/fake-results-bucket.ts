/**
 * The results bucket as the result copy uses it, played in memory behind aws-sdk-client-mock: objects
 * with their metadata, multipart uploads whose parts are listed (ListParts, paged) and assembled on
 * completion (S3's InvalidPart for a part it does not have), aborts, and a hook on UploadPart and
 * CompleteMultipartUpload that lets a test fail them as the SDK throws once its own retries are spent.
 */
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';

export interface StoredObject {
  body: Buffer;
  metadata: Record<string, string>;
  contentType?: string;
}

interface Upload {
  key: string;
  metadata: Record<string, string>;
  contentType?: string;
  parts: Map<number, { body: Buffer; etag: string }>;
}

const s3Error = (name: string, status: number) =>
  new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    message: `${name} (fake)`,
    $metadata: { httpStatusCode: status, attempts: status >= 500 ? 3 : 1 },
  });

/** SlowDown as the SDK throws it when S3 keeps throttling past its retries. */
export const s3SlowDown = () =>
  new S3ServiceException({
    name: 'SlowDown',
    $fault: 'server',
    message: 'Please reduce your request rate.',
    $metadata: { httpStatusCode: 503, attempts: 3, totalRetryDelay: 900 },
  });

function bodyBytes(body: unknown): Buffer {
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  throw new Error(`the fake bucket takes strings and bytes, not ${typeof body}`);
}

export class FakeResultsBucket {
  readonly objects = new Map<string, StoredObject>();
  readonly uploads = new Map<string, Upload>();
  /** Runs before a part is stored; throw to fail it. */
  onUploadPart: (input: { PartNumber?: number }) => void | Promise<void> = () => undefined;
  /** Runs before a completion; throw to fail it. */
  onComplete: () => void | Promise<void> = () => undefined;
  readonly stub: AwsClientStub<S3Client>;
  private uploadsMade = 0;

  constructor(private readonly pageSize = 1000) {
    const s3 = mockClient(S3Client);
    this.stub = s3;
    s3.on(HeadObjectCommand).callsFake(async ({ Key }) => {
      const object = this.objects.get(Key);
      if (!object) throw s3Error('NotFound', 404);
      return {
        ContentLength: object.body.length,
        Metadata: object.metadata,
        ContentType: object.contentType,
      };
    });
    s3.on(GetObjectCommand).callsFake(async ({ Key }) => {
      const object = this.objects.get(Key);
      if (!object) throw s3Error('NoSuchKey', 404);
      const body = Object.assign(Readable.from([object.body]), {
        transformToString: async () => object.body.toString('utf8'),
      });
      return { Body: body, ContentLength: object.body.length, Metadata: object.metadata };
    });
    s3.on(PutObjectCommand).callsFake(async ({ Key, Body, Metadata, ContentType }) => {
      this.objects.set(Key, { body: bodyBytes(Body), metadata: Metadata ?? {}, contentType: ContentType });
      return { ETag: '"put"' };
    });
    s3.on(DeleteObjectCommand).callsFake(async ({ Key }) => {
      this.objects.delete(Key);
      return {};
    });
    s3.on(CreateMultipartUploadCommand).callsFake(async ({ Key, Metadata, ContentType }) => {
      const id = `upload-${++this.uploadsMade}`;
      this.uploads.set(id, {
        key: Key,
        metadata: Metadata ?? {},
        contentType: ContentType,
        parts: new Map(),
      });
      return { UploadId: id, Key };
    });
    s3.on(UploadPartCommand).callsFake(async (input) => {
      await this.onUploadPart(input);
      const upload = this.upload(input.UploadId, input.Key);
      const body = bodyBytes(input.Body);
      const etag = `"${input.PartNumber}-${body.length}-${upload.parts.size}"`;
      upload.parts.set(input.PartNumber, { body, etag });
      return { ETag: etag };
    });
    s3.on(ListPartsCommand).callsFake(async ({ UploadId, Key, PartNumberMarker }) => {
      const upload = this.upload(UploadId, Key);
      const after = Number(PartNumberMarker ?? 0);
      const numbers = [...upload.parts.keys()].sort((a, b) => a - b).filter((n) => n > after);
      const page = numbers.slice(0, this.pageSize);
      return {
        Parts: page.map((n) => ({
          PartNumber: n,
          ETag: upload.parts.get(n)!.etag,
          Size: upload.parts.get(n)!.body.length,
        })),
        IsTruncated: numbers.length > page.length,
        NextPartNumberMarker: page.length ? String(page[page.length - 1]) : undefined,
      };
    });
    s3.on(CompleteMultipartUploadCommand).callsFake(async ({ UploadId, Key, MultipartUpload }) => {
      await this.onComplete();
      const upload = this.upload(UploadId, Key);
      const bodies = (MultipartUpload?.Parts ?? []).map(({ PartNumber, ETag }: CompletedPart) => {
        const part = upload.parts.get(PartNumber!);
        if (!part || part.etag !== ETag) throw s3Error('InvalidPart', 400);
        return part.body;
      });
      this.objects.set(Key, {
        body: Buffer.concat(bodies),
        metadata: upload.metadata,
        contentType: upload.contentType,
      });
      this.uploads.delete(UploadId);
      return { Key };
    });
    s3.on(AbortMultipartUploadCommand).callsFake(async ({ UploadId, Key }) => {
      this.upload(UploadId, Key);
      this.uploads.delete(UploadId);
      return {};
    });
  }

  private upload(id: string | undefined, key: string | undefined): Upload {
    const upload = id ? this.uploads.get(id) : undefined;
    if (!upload || upload.key !== key) throw s3Error('NoSuchUpload', 404);
    return upload;
  }

  /** An upload begun for `key` (as CreateMultipartUpload would), for tests that drive the parts alone. */
  begin(key: string): string {
    const id = `upload-${++this.uploadsMade}`;
    this.uploads.set(id, { key, metadata: {}, parts: new Map() });
    return id;
  }

  /** The stored part numbers of the one upload in progress (none: empty). */
  partsInProgress(): number[] {
    return [...this.uploads.values()].flatMap((upload) => [...upload.parts.keys()]).sort((a, b) => a - b);
  }

  /** How many times the copy sent `command`. */
  calls(command: Parameters<AwsClientStub<S3Client>['commandCalls']>[0]): number {
    return this.stub.commandCalls(command).length;
  }

  restore(): void {
    this.stub.restore();
  }
}
