/**
 * Result files in our bucket, under `results/<owner>/<jobId>/<name>` (the owner part encoded like the
 * token vault's). Owners download through short-lived presigned GETs that name the file for the browser.
 */
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { s3Client } from '#shared/aws/clients';
import { encodeSubject } from '#shared/credentials/token-vault';
import { settings } from '#shared/settings';

export const resultsEnv = settings.results;

export function resultPrefix(owner: string, jobId: string): string {
  return `results/${encodeSubject(owner)}/${jobId}/`;
}

export function resultKey(owner: string, jobId: string, name: string): string {
  return resultPrefix(owner, jobId) + name;
}

/**
 * Only the last path segment, and nothing a Content-Disposition header or a file system could be tricked
 * with: letters, digits, `.`, `_` and `-`, never starting with a dot (no `..`, no hidden file), at most
 * 200 characters.
 */
export function downloadFileName(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? '';
  const safe = base
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^\.+/, (dots) => '_'.repeat(dots.length))
    .slice(-200);
  return /[A-Za-z0-9]/.test(safe) ? safe : 'result';
}

/** What a result download is served as: bytes to save, never a page or script the browser would render. */
export const RESULT_CONTENT_TYPE = 'application/octet-stream';

export async function presignResultDownload(key: string, name: string, s3: S3Client = s3Client()) {
  const env = resultsEnv();
  const url = await getSignedUrl(
    s3,
    new GetObjectCommand({
      Bucket: env.RESULTS_BUCKET,
      Key: key,
      // S3 answers with these headers, whatever the object was stored with: a result is always saved
      // under a safe name, never rendered in the console's origin or elsewhere.
      ResponseContentType: RESULT_CONTENT_TYPE,
      ResponseContentDisposition: `attachment; filename="${downloadFileName(name)}"`,
    }),
    { expiresIn: env.DOWNLOAD_URL_TTL_SECONDS },
  );
  return { url, expiresAt: new Date(Date.now() + env.DOWNLOAD_URL_TTL_SECONDS * 1000).toISOString() };
}

/** Deletes one object (absent is fine). */
export async function deleteResultObject(key: string, s3: S3Client = s3Client()): Promise<void> {
  await s3.send(new DeleteObjectCommand({ Bucket: resultsEnv().RESULTS_BUCKET, Key: key }));
}

/** Deletes every object under a job's prefix; returns how many were deleted. */
export async function deleteResults(
  owner: string,
  jobId: string,
  s3: S3Client = s3Client(),
): Promise<number> {
  const bucket = resultsEnv().RESULTS_BUCKET;
  let deleted = 0;
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: resultPrefix(owner, jobId),
        ContinuationToken: token,
      }),
    );
    const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []));
    if (keys.length > 0) {
      await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
      deleted += keys.length;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return deleted;
}
