/**
 * Result downloads (shared/jobs/result-store.ts): a presigned GET that makes S3 answer with
 * `application/octet-stream` and an attachment under a safe file name, whatever the object was stored
 * with, so a result is saved, never rendered.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { downloadFileName, presignResultDownload, RESULT_CONTENT_TYPE } from '#shared/jobs/result-store';
import { useSettings } from '#test/support/settings';

const s3 = new S3Client({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
});

beforeAll(() => {
  useSettings({ RESULTS_BUCKET: 'results-test', DOWNLOAD_URL_TTL_SECONDS: 900 });
});

describe('a presigned result download', () => {
  it('makes S3 answer application/octet-stream, as an attachment with the file’s safe name', async () => {
    const { url } = await presignResultDownload(
      'results/owner/job/local/chr_20.html',
      'local/chr_20.html',
      s3,
    );
    const query = new URL(url).searchParams;
    expect(RESULT_CONTENT_TYPE).toBe('application/octet-stream');
    expect(query.get('response-content-type')).toBe('application/octet-stream');
    expect(query.get('response-content-disposition')).toBe('attachment; filename="chr_20.html"');
    // Both are part of the signature: a holder of the URL cannot change them.
    expect(query.get('X-Amz-SignedHeaders')).toBe('host');
    expect(query.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('names the file safely whatever the service called it', async () => {
    const { url } = await presignResultDownload('results/k', '../../etc/"pass wd";.sh', s3);
    expect(new URL(url).searchParams.get('response-content-disposition')).toBe(
      'attachment; filename="_pass_wd__.sh"',
    );
  });
});

describe('the download file name', () => {
  it.each([
    ['chr_20.zip', 'chr_20.zip'],
    ['local/chr_20.dose.vcf.gz', 'chr_20.dose.vcf.gz'],
    ['statistics\\report.txt', 'report.txt'],
    ['..', 'result'],
    ['../..', 'result'],
    ['', 'result'],
    ['.hidden', '_hidden'],
    ['a"b;c\r\nd', 'a_b_c__d'],
    ['qc report (final).txt', 'qc_report__final_.txt'],
    ['ünïcödé.txt', '_n_c_d_.txt'],
  ])('%j → %j', (name, expected) => {
    expect(downloadFileName(name)).toBe(expected);
  });

  it('is at most 200 characters, keeping the extension', () => {
    const name = downloadFileName(`${'x'.repeat(300)}.dose.vcf.gz`);
    expect(name).toHaveLength(200);
    expect(name.endsWith('.dose.vcf.gz')).toBe(true);
  });
});
