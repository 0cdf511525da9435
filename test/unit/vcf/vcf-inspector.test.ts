import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { checkVcfForImputation, inspectVcfHead } from '#shared/vcf/vcf-inspector';
import { makeVcfGz } from '#test/support/vcf-fixtures';

/** Feeds a buffer in small chunks, as an S3 body would arrive. */
const chunked = (data: Buffer, size = 4096) =>
  Readable.from(
    (function* () {
      for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
    })(),
  );

const inspect = (data: Buffer) => inspectVcfHead(chunked(data));

describe('VCF head inspection before submission', () => {
  it('accepts a bgzipped VCF with 51 samples on chromosome 20 for hg19', async () => {
    const result = await inspect(makeVcfGz({ samples: 51, chromosome: '20' }));
    expect(result).toMatchObject({
      bgzip: true,
      fileformat: 'VCFv4.2',
      sampleCount: 51,
      chromosomes: ['20'],
    });
    expect(checkVcfForImputation(result, 'hg19')).toEqual([]);
  });

  it('accepts chr-prefixed names for hg38 and rejects them for hg19', async () => {
    const result = await inspect(makeVcfGz({ chromosome: 'chr20' }));
    expect(checkVcfForImputation(result, 'hg38')).toEqual([]);
    expect(checkVcfForImputation(result, 'hg19').map((p) => p.code)).toEqual(['CHROMOSOME_NAMING']);
  });

  it('rejects names without prefix for hg38', async () => {
    const result = await inspect(makeVcfGz({ chromosome: '20' }));
    const [problem] = checkVcfForImputation(result, 'hg38');
    expect(problem?.code).toBe('CHROMOSOME_NAMING');
    expect(problem?.message).toMatch(/chr20/);
  });

  it('rejects a file that is not gzip at all', async () => {
    const result = await inspect(Buffer.from('##fileformat=VCFv4.2\n#CHROM\tPOS\n'));
    expect(checkVcfForImputation(result, 'hg19').map((p) => p.code)).toEqual(['NOT_GZIP']);
  });

  it('rejects plain gzip (not bgzip)', async () => {
    const result = await inspect(makeVcfGz({ gzipOnly: true }));
    expect(result.gzip).toBe(true);
    expect(checkVcfForImputation(result, 'hg19').map((p) => p.code)).toEqual(['NOT_BGZIP']);
  });

  it('rejects too few samples with the count in the message', async () => {
    const result = await inspect(makeVcfGz({ samples: 5 }));
    const problems = checkVcfForImputation(result, 'hg19');
    expect(problems.map((p) => p.code)).toEqual(['TOO_FEW_SAMPLES']);
    expect(problems[0]?.message).toMatch(/5 samples/);
  });

  it('rejects a gzip file that is not a VCF', async () => {
    const { gzipSync } = await import('node:zlib');
    const { bgzip } = await import('#test/support/vcf-fixtures');
    expect(checkVcfForImputation(await inspect(bgzip('hello world\n')), 'hg19')[0]?.code).toBe('NOT_VCF');
    expect(checkVcfForImputation(await inspect(gzipSync('x')), 'hg19')[0]?.code).toBe('NOT_BGZIP');
  });

  it('reads only the head of a large file and tolerates a cut in the middle of a block', async () => {
    const big = makeVcfGz({ samples: 60, records: 20_000 });
    const head = big.subarray(0, 64 * 1024);
    const result = await inspect(head);
    expect(result.decodeError).toBeNull();
    expect(result.sampleCount).toBe(60);
    expect(result.recordsRead).toBeGreaterThan(0);
    expect(checkVcfForImputation(result, 'hg19')).toEqual([]);
  });
});
