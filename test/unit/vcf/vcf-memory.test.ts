import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { validateVcf } from '#shared/vcf/vcf-validator';
import { BgzfWriter, bgzfBlock, bgzip, makeVcfGz, vcfText } from '#test/support/vcf-fixtures';
import { chunked, hg19, problemOf, validate } from './support';

const KiB = 1024;

/** A valid VCF of about `megabytes` MB (decompressed), generated block by block while it is read. */
function streamedVcf(megabytes: number, samples = 20): Readable {
  return Readable.from(
    (function* () {
      const out: Buffer[] = [];
      const writer = new BgzfWriter((block) => out.push(block), 1);
      const header = vcfText({ samples, records: 0 });
      writer.write(header);
      const genotypes = Array.from({ length: samples }, (_, s) => (s % 3 === 0 ? '0|1' : '0|0')).join('\t');
      let written = header.length;
      for (let r = 0; written < megabytes * 1e6; r++) {
        const line = `20\t${60_000 + r * 10}\trs${r}\tA\tG\t.\tPASS\t.\tGT\t${genotypes}\n`;
        writer.write(line);
        written += line.length;
        while (out.length > 0) yield out.shift()!;
      }
      writer.end();
      yield* out;
    })(),
  );
}

describe('memory stays flat whatever the file size', () => {
  it('holds about one compressed block at a time for a 2 MB and a 40 MB file alike', async () => {
    const small = await validateVcf(streamedVcf(2), { rules: hg19 });
    const large = await validateVcf(streamedVcf(40), { rules: hg19 });
    expect(small.status).toBe('valid');
    expect(large.status).toBe('valid');
    expect(large.stats.decompressedBytes).toBeGreaterThan(15 * small.stats.decompressedBytes);
    for (const { stats } of [small, large]) {
      // A block is at most 64 KiB compressed; a chunk may bring the start of the next one.
      expect(stats.peakPendingBytes).toBeLessThan(2 * 64 * KiB);
      // Lines of 20 samples are ~100 bytes: joining one across a block boundary is all that is held.
      expect(stats.peakLineBytes).toBeLessThan(200);
    }
  });

  it('joins a line spread over blocks only up to its own size (50,000 samples ≈ 200 KB)', async () => {
    const verdict = await validate(makeVcfGz({ samples: 50_000, records: 4 }), { chunkSize: 64 * KiB });
    expect(verdict.status).toBe('valid');
    expect(verdict.stats.peakLineBytes).toBeGreaterThan(190 * KiB);
    expect(verdict.stats.peakLineBytes).toBeLessThan(400 * KiB);
    expect(verdict.stats.peakPendingBytes).toBeLessThan(2 * 64 * KiB);
  });

  it('refuses a line longer than the cap without holding more than the cap', async () => {
    const verdict = await validate(makeVcfGz({ samples: 50_000, records: 2 }), { maxLineBytes: 100 * KiB });
    expect(problemOf(verdict)).toMatchObject({ code: 'LINE_TOO_LONG', line: 4 });
    expect(verdict.stats.peakLineBytes).toBeLessThanOrEqual(100 * KiB);
  });

  it('refuses megabytes without a newline as not a VCF, within the cap', async () => {
    const verdict = await validate(bgzip(Buffer.alloc(3 * 1024 * KiB, 'x')), { maxLineBytes: 1024 * KiB });
    expect(problemOf(verdict)).toMatchObject({ code: 'NOT_VCF', line: 1 });
  });

  it('stops reading the source at the first problem, however much follows', async () => {
    let pulled = 0;
    const head = bgzip(vcfText({ samples: 30, records: 20, fault: { kind: 'unsorted', at: 10 } })).subarray(
      0,
      -28,
    );
    const more = bgzfBlock(
      Buffer.from(vcfText({ samples: 30, records: 300 }).split('\n').slice(4).join('\n')),
    );
    const endless = Readable.from(
      (function* () {
        pulled += 1;
        yield head;
        for (;;) {
          pulled += 1;
          yield more;
        }
      })(),
    );
    const verdict = await validateVcf(endless, { rules: hg19 });
    expect(problemOf(verdict).code).toBe('UNSORTED');
    expect(pulled).toBeLessThan(40);
  });

  it('reads a file chunk by chunk: 1-byte chunks give the verdict of 1 MiB chunks', async () => {
    const file = makeVcfGz({ samples: 25, records: 300, fault: { kind: 'fewerSamples', at: 250 } });
    const tiny = await validateVcf(chunked(file, 1), { rules: hg19 });
    const big = await validateVcf(chunked(file, 1024 * KiB), { rules: hg19 });
    expect(problemOf(tiny)).toEqual(problemOf(big));
  });
});
