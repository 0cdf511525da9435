/**
 * The console's check of a picked file says what the server's check of the whole file says, for the same
 * cause and in the same words (both come from shared/vcf/): every broken file small enough to be read
 * whole gets exactly the server's verdict; a large file is judged from its head and tail, so a file cut
 * short is caught there too (said without the line count only the whole file gives), and what lies
 * between is left to the server's check.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type FileVerdict, validateVcf } from '#shared/vcf/vcf-validator';
import {
  bgzip,
  makeVcfGz,
  storedBgzf,
  tarGz,
  truncateBgzf,
  type VcfSpec,
  vcfText,
} from '#test/support/vcf-fixtures';
import { contentFingerprint, HEAD_BYTES, precheckVcf } from '../../../web/src/lib/vcf-precheck';
import { chunked } from '../vcf/support';

const base: VcfSpec = { samples: 30, records: 200 };
const GRCH38_CHR20 = 64_444_167;

/** The server's verdict on the file alone (no job's rules). */
async function serverVerdict(file: Buffer): Promise<FileVerdict> {
  return validateVcf(chunked(file), {});
}

const precheck = (file: Buffer) => precheckVcf(new Blob([new Uint8Array(file)]));

/** A file with records well past the first MiB, so only its head and tail are read. */
const large = (spec: VcfSpec = {}) => storedBgzf(vcfText({ samples: 30, records: 12_000, ...spec }));

function withHeader(lines: string[]): Buffer {
  return bgzip(`${lines.join('\n')}\n`);
}
const chromLine = (...samples: string[]) =>
  ['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO', 'FORMAT', ...samples].join('\t');

const brokenFiles: { cause: string; file: () => Buffer }[] = [
  { cause: 'a plain-text VCF named .vcf.gz', file: () => Buffer.from(vcfText(base)) },
  { cause: 'a zip archive', file: () => Buffer.concat([Buffer.from([0x50, 0x4b, 3, 4]), Buffer.alloc(60)]) },
  { cause: 'a spreadsheet export', file: () => Buffer.from('sample,rs1,rs2\nS1,AA,AG\n') },
  { cause: 'an empty file', file: () => Buffer.alloc(0) },
  { cause: 'plain gzip', file: () => makeVcfGz({ ...base, gzipOnly: true }) },
  { cause: 'a .tar.gz holding a VCF', file: () => tarGz('cohort.chr20.vcf', vcfText(base)) },
  { cause: 'a gzipped table', file: () => gzipSync('sample,rs1\nS1,AA\n') },
  { cause: 'a bgzipped table', file: () => bgzip('sample,rs1\nS1,AA\n') },
  { cause: 'a BCF', file: () => bgzip(Buffer.concat([Buffer.from('BCF\x02\x02\x10\x00\x00\x00\n')])) },
  {
    cause: 'a file cut inside a block',
    file: () => truncateBgzf(makeVcfGz({ samples: 30, records: 4000 }), 'mid-block'),
  },
  {
    cause: 'a file cut at a block boundary',
    file: () => truncateBgzf(makeVcfGz({ samples: 30, records: 4000 }), 'no-eof'),
  },
  { cause: 'unsorted positions', file: () => makeVcfGz({ ...base, fault: { kind: 'unsorted', at: 50 } }) },
  {
    cause: 'two chromosomes',
    file: () => makeVcfGz({ ...base, fault: { kind: 'secondChromosome', at: 120 } }),
  },
  {
    cause: 'a chromosome the services do not impute',
    file: () => makeVcfGz({ ...base, chromosome: 'chrUn' }),
  },
  {
    cause: 'a duplicate sample id',
    file: () =>
      withHeader([
        '##fileformat=VCFv4.2',
        chromLine('S1', 'S2', 'S1'),
        '20\t1\t.\tA\tC\t.\t.\t.\tGT\t0|0\t0|1\t1|1',
      ]),
  },
  { cause: 'no #CHROM line', file: () => withHeader(['##fileformat=VCFv4.2', '##contig=<ID=20>']) },
  { cause: 'a header without records', file: () => withHeader(['##fileformat=VCFv4.2', chromLine('S1')]) },
  { cause: 'no lines at all', file: () => bgzip('') },
];

describe('a broken file read whole gets the server’s verdict, word for word', () => {
  it.each(brokenFiles)('$cause', async ({ file }) => {
    const bytes = file();
    expect(bytes.length).toBeLessThanOrEqual(HEAD_BYTES);
    const verdict = await serverVerdict(bytes);
    if (verdict.status !== 'invalid') throw new Error(`the server finds ${verdict.status}`);
    expect(await precheck(bytes)).toEqual({ ok: false, ...verdict.problem });
  });

  it('says a plain-text VCF is uncompressed and how to compress it', async () => {
    expect(await precheck(Buffer.from(vcfText(base)))).toEqual({
      ok: false,
      code: 'NOT_GZIP',
      message:
        'The file is an uncompressed VCF with a .vcf.gz name: give it back its .vcf name and compress it (`mv file.vcf.gz file.vcf && bgzip file.vcf` writes file.vcf.gz), then upload that.',
    });
  });

  it('finds a damaged block where the server does', async () => {
    const file = makeVcfGz(base);
    for (let i = 40; i < 60; i++) file[i] = file[i]! ^ 0xff;
    const result = await precheck(file);
    expect(result).toMatchObject({ ok: false, code: 'BGZF_CORRUPT' });
    expect(result.ok === false && result.message).toMatch(
      /^the compressed block at byte 0 is damaged \(.+\): the file itself is corrupt \(`bgzip -t file\.vcf\.gz` shows it\); re-create it/,
    );
  });
});

describe('a file past the first MiB is judged from its head and its tail', () => {
  it('reads the samples, the chromosome and the build evidence, with the last position from the tail', async () => {
    const file = large({ chromosome: 'chr20', contigLength: GRCH38_CHR20, startPosition: 62_000_000 });
    expect(file.length).toBeGreaterThan(HEAD_BYTES);
    const verdict = await serverVerdict(file);
    if (verdict.status !== 'valid') throw new Error('the fixture should be valid');
    const result = await precheck(file);
    if (!result.ok) throw new Error(result.message);
    expect(result).toMatchObject({ samples: 30, chromosome: 'chr20', wholeFile: false });
    expect(result.recordsRead).toBeGreaterThan(1000);
    expect(result.recordsRead).toBeLessThan(12_000);
    expect(result.facts.lastPosition).toBe(verdict.facts.lastPosition);
    expect(result.judgement.build).toBe('hg38');
    expect(result.judgement.evidence.map((e) => e.source)).toEqual(['positions', 'contigs']);
  });

  it.each(['no-eof', 'mid-block'] as const)(
    'catches a file cut short (%s), said as the server says it',
    async (how) => {
      const file = truncateBgzf(large(), how);
      const verdict = await serverVerdict(file);
      if (verdict.status !== 'invalid') throw new Error('the server should refuse it');
      const result = await precheck(file);
      expect(result).toEqual({
        ok: false,
        code: 'TRUNCATED',
        message: verdict.problem.message.replace(/^after line \d+, /, ''),
      });
    },
  );

  it('leaves what lies between head and tail to the server (unsorted near the end)', async () => {
    const file = large({ fault: { kind: 'unsorted', at: 11_000 } });
    expect((await precheck(file)).ok).toBe(true);
    expect((await serverVerdict(file)).status).toBe('invalid');
  });

  it('judges a small file that inflates past what it reads from its head and tail too', async () => {
    const file = makeVcfGz({ samples: 2_000, records: 2_200 });
    expect(file.length).toBeLessThan(HEAD_BYTES);
    expect(await precheck(file)).toMatchObject({ ok: true, samples: 2_000, wholeFile: false });
    const cut = truncateBgzf(file, 'mid-block');
    const verdict = await serverVerdict(cut);
    if (verdict.status !== 'invalid') throw new Error('the server should refuse it');
    expect(await precheck(cut)).toEqual({
      ok: false,
      code: 'TRUNCATED',
      message: verdict.problem.message.replace(/^after line \d+, /, ''),
    });
  });

  it('takes milliseconds, not the file’s size', async () => {
    const file = large();
    const started = performance.now();
    await precheck(file);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('the fingerprint of a picked file', () => {
  it('is the same for the same bytes and differs for another file of the same size', async () => {
    const a = makeVcfGz(base);
    const b = makeVcfGz({ ...base, startPosition: 70_000 });
    const print = (bytes: Buffer) => contentFingerprint(new Blob([new Uint8Array(bytes)]));
    expect(await print(a)).toBe(await print(Buffer.from(a)));
    expect(await print(a)).not.toBe(await print(b));
    expect(await print(a)).toMatch(new RegExp(`^${a.length}:[0-9a-f]{64}$`));
  });
});
