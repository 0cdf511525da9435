/**
 * S3 for the local stack and the tests: s3rver keeping objects under a folder, with the gateway's buckets
 * created on start, and the multipart operations it lacks (ListParts, AbortMultipartUpload) and S3's
 * checks of the ones it has added (s3-multipart.ts), and If-Match on reads (s3-conditional-reads.ts). The SDK must talk to it path-style on 127.0.0.1 and with
 * AWS_REQUEST_CHECKSUM_CALCULATION=WHEN_REQUIRED (s3rver predates the default CRC32 checksums), and
 * paginated listings need NODE_OPTIONS=--openssl-legacy-provider (its MD5-based markers).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { addConditionalReads } from './s3-conditional-reads';
import { addMultipartOperations } from './s3-multipart';

export interface S3Emulator {
  url: string;
  port: number;
  directory: string;
  close(): Promise<void>;
}

export async function startS3Emulator(
  options: {
    port?: number;
    directory?: string;
    buckets: string[];
    corsOrigins?: string[];
    /** Parts per ListParts page (S3's 1,000 unless a test wants several pages of a few parts). */
    partsPageSize?: number;
  } = { buckets: [] },
): Promise<S3Emulator> {
  const temporary = options.directory === undefined;
  const directory = options.directory ?? mkdtempSync(join(tmpdir(), 's3-emulator-'));
  const corsXml = corsConfiguration(options.corsOrigins ?? ['*']);
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    directory,
    silent: true,
    // Presigned URLs bind the signature to the length and checksum; s3rver cannot verify them anyway.
    allowMismatchedSignatures: true,
    vhostBuckets: false,
    configureBuckets: options.buckets.map((name) => ({ name, configs: [corsXml] })),
  });
  addMultipartOperations(server, { pageSize: options.partsPageSize });
  addConditionalReads(server);
  const address = await server.run();
  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    directory,
    close: async () => {
      server.httpServer?.closeAllConnections();
      await server.close();
      if (temporary) rmSync(directory, { recursive: true, force: true });
    },
  };
}

function corsConfiguration(origins: string[]): string {
  const allowed = origins.map((origin) => `<AllowedOrigin>${origin}</AllowedOrigin>`).join('');
  return `<CORSConfiguration><CORSRule>${allowed}<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedMethod>HEAD</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>`;
}
