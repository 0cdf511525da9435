/**
 * How the simulator reads a submitted file while it streams in (vcf-capture.ts, vcf-scan.ts): the same
 * summary however the bytes are cut, bounded whatever the file's size or sample count, and the first
 * problem the services would report, in their words.
 */
import { describe, expect, it } from 'vitest';
import { VcfCapture } from '#infra/local/simulator/vcf-capture';
import { bgzip, makeVcfGz, recordPosition, truncateBgzf, vcfText } from '#test/support/vcf-fixtures';

/** Feeds `file` in pieces of `piece` bytes, waiting whenever the capture asks to. */
async function capture(file: Buffer, piece = 64 * 1024) {
  const reader = new VcfCapture('input.vcf.gz');
  for (let at = 0; at < file.length; at += piece) await reader.write(file.subarray(at, at + piece));
  return reader.end();
}

describe('reading a submitted VCF as it streams', () => {
  it('reads the same summary whether the file arrives whole or a few bytes at a time', async () => {
    const file = makeVcfGz({ samples: 30, records: 150 });
    const whole = await capture(file);
    expect(await capture(file, 3)).toEqual(whole);
    expect(whole).toMatchObject({ sampleCount: 30, chromosome: '20', snps: 150, phased: true });
    expect(whole.problem).toBeUndefined();
    const excluded = Object.values(whole.excluded).reduce((sum, n) => sum + n, 0);
    expect(whole.sites).toHaveLength(150 - excluded);
    expect(whole.chunks).toEqual([{ chunk: 0, sites: 150, passed: 150 - excluded - whole.typedOnly }]);
  });

  it('keeps a bounded sample of the sites of a long file: the first 200 and a reservoir of 200, in order', async () => {
    const spec = { samples: 20, records: 5000 };
    const summary = await capture(makeVcfGz(spec));
    expect(summary.snps).toBe(5000);
    expect(summary.sites).toHaveLength(400);
    const positions = summary.sites.map((s) => s.position);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(positions[0]).toBe(recordPosition(spec, 0));
    expect(positions.at(-1)).toBeGreaterThan(recordPosition(spec, 2500));
    expect(summary.excludedSites.length).toBe(Object.values(summary.excluded).reduce((sum, n) => sum + n, 0));
  });

  it('keeps the first 50,000 sample ids of a larger header, counts them all, and reads records longer than 64 KiB', async () => {
    const summary = await capture(makeVcfGz({ samples: 60_000, records: 3, unphased: true }));
    expect(summary.sampleCount).toBe(60_000);
    expect(summary.samples).toHaveLength(50_000);
    expect(summary.samples.at(-1)).toBe('S50000');
    expect(summary).toMatchObject({ snps: 3, phased: false });
    expect(summary.problem).toBeUndefined();
  });

  it('reads a plain VCF, which the services then refuse for not being bgzipped', async () => {
    const summary = await capture(Buffer.from(vcfText({ samples: 20, records: 10 })));
    expect(summary).toMatchObject({ sampleCount: 20, snps: 10 });
    expect(summary.problem).toMatch(/^The provided VCF file is malformed\. Error during index creation/);
  });

  it.each([
    ['no header', Buffer.from('20\t100\trs1\tA\tC\n'), /We never saw the required CHROM header line/],
    [
      'a cut upload',
      truncateBgzf(makeVcfGz({ samples: 20 }), 'mid-block'),
      /^Unexpected end of ZLIB input stream$/,
    ],
    [
      'an unsorted record',
      makeVcfGz({ samples: 20, fault: { kind: 'unsorted', at: 7 } }),
      /not sorted by start position\. \nWe saw a record with a start of 20:60822 after a record with a start of 20:60959$/,
    ],
    [
      'a second chromosome',
      makeVcfGz({ samples: 20, fault: { kind: 'secondChromosome', at: 3 } }),
      /^The provided VCF file contains more than one chromosome\./,
    ],
    [
      'a duplicated sample',
      bgzip(vcfText({ samples: 3, records: 2 }).replace('\tS3', '\tS1')),
      /^Two individuals or more have the following ID: S1$/,
    ],
    [
      'REF equal to ALT',
      bgzip(`${vcfText({ samples: 2, records: 1 })}20\t70000\trs7\tA\tA\t.\tPASS\t.\tGT\t0|1\t1|1\n`),
      /^The provided VCF file is malformed at variation rs7: reference allele \(A\) and alternate allele {2}\(A\) are the same\.$/,
    ],
    [
      'a position that is no number',
      bgzip(`${vcfText({ samples: 2, records: 1 })}20\tabc\trs7\tA\tC\n`),
      /^For input string: "abc"$/,
    ],
  ])('reports the first problem in the services words: %s', async (_, file, problem) => {
    expect((await capture(file)).problem).toMatch(problem);
  });
});
