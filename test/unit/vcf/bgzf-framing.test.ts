import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readBgzfBlocks } from '#shared/vcf/bgzf-reader';
import {
  BGZF_EOF,
  bgzfBlock,
  bgzfBlockOffsets,
  bgzip,
  makeVcfGz,
  truncateBgzf,
  vcfText,
} from '#test/support/vcf-fixtures';
import { chunked, problemOf, validate } from './support';

async function readAll(data: Buffer, chunkSize = 4096) {
  const blocks = [];
  for await (const block of readBgzfBlocks(chunked(data, chunkSize))) blocks.push(block);
  return blocks;
}

describe('BGZF framing: the file is read block by block', () => {
  const spec = { samples: 40, records: 3000 };
  const file = makeVcfGz(spec);

  it('yields every block at its compressed offset, with the data bgzip put in it', async () => {
    const blocks = await readAll(file);
    expect(blocks.map((b) => b.offset)).toEqual(bgzfBlockOffsets(file));
    expect(blocks.length).toBeGreaterThan(5);
    expect(Buffer.concat(blocks.map((b) => b.data)).toString()).toBe(vcfText(spec));
    expect(blocks.at(-1)?.data.length).toBe(0);
  });

  it.each([1, 7, 18, 65_536, 1 << 20])(
    'reads the same blocks whatever the chunk size (%i bytes)',
    async (size) => {
      const blocks = await readAll(file, size);
      expect(blocks.map((b) => [b.offset, b.size])).toEqual(
        (await readAll(file)).map((b) => [b.offset, b.size]),
      );
    },
  );

  it('starts at a block offset when resuming with a range read', async () => {
    const offsets = bgzfBlockOffsets(file);
    const from = offsets[3]!;
    const blocks = [];
    for await (const block of readBgzfBlocks(chunked(file.subarray(from)), from)) blocks.push(block);
    expect(blocks.map((b) => b.offset)).toEqual(offsets.slice(3));
  });

  it('accepts empty blocks in the middle, as concatenated BGZF files have', async () => {
    const joined = Buffer.concat([bgzip(vcfText({ samples: 30 })).subarray(0, -28), BGZF_EOF, BGZF_EOF]);
    expect((await validate(joined)).status).toBe('valid');
  });
});

describe('BGZF framing: only bgzip is accepted', () => {
  it('refuses a file that is not gzip at all', async () => {
    const problem = problemOf(await validate(Buffer.from('##fileformat=VCFv4.2\n#CHROM\tPOS\n')));
    expect(problem.code).toBe('NOT_GZIP');
    expect(problem.message).toMatch(
      /^The file is an uncompressed VCF with a \.vcf\.gz name: give it back its \.vcf name and compress it \(`mv file\.vcf\.gz file\.vcf && bgzip file\.vcf`/,
    );
  });

  it('refuses plain gzip with the advice to recompress with bgzip', async () => {
    const problem = problemOf(await validate(makeVcfGz({ samples: 30, gzipOnly: true })));
    expect(problem.code).toBe('NOT_BGZIP');
    expect(problem.message).toMatch(/gzip -dc file.vcf.gz \| bgzip > fixed.vcf.gz/);
  });

  it('refuses an empty upload and one too short to hold a block header', async () => {
    expect(problemOf(await validate(Buffer.alloc(0))).message).toBe(
      'The file is empty (0 bytes): upload the bgzipped VCF itself.',
    );
    expect(problemOf(await validate(Buffer.from([0x1f, 0x8b, 8, 4]))).code).toBe('NOT_BGZIP');
  });

  it('refuses a bgzip file that holds something else than a VCF', async () => {
    const problem = problemOf(await validate(bgzip('hello world\n')));
    expect(problem).toMatchObject({ code: 'NOT_VCF', line: 1 });
  });
});

describe('BGZF framing: a truncated upload is an error, never a shorter file', () => {
  const file = makeVcfGz({ samples: 30, records: 3000 });

  it('refuses a file without the 28-byte EOF block, saying how far it was readable', async () => {
    const problem = problemOf(await validate(truncateBgzf(file, 'no-eof')));
    expect(problem.code).toBe('TRUNCATED');
    expect(problem.message).toMatch(
      /^after line \d+, the file ends at byte \d+ without the BGZF end-of-file block/,
    );
  });

  it('refuses a file cut inside a block', async () => {
    const cut = truncateBgzf(file, 'mid-block');
    const problem = problemOf(await validate(cut));
    expect(problem.code).toBe('TRUNCATED');
    expect(problem.message).toContain(`ends inside a compressed block (at byte ${cut.length}`);
  });
});

describe('BGZF framing: each block is checked against its CRC32 and ISIZE', () => {
  const block = bgzfBlock(Buffer.from(vcfText({ samples: 30, records: 10 })));
  const withEof = (b: Buffer) => Buffer.concat([b, BGZF_EOF]);

  it('refuses a block whose CRC32 does not match its data', async () => {
    const bad = Buffer.from(block);
    bad.writeUInt32LE((bad.readUInt32LE(bad.length - 8) ^ 1) >>> 0, bad.length - 8);
    const problem = problemOf(await validate(withEof(bad)));
    expect(problem).toMatchObject({ code: 'BGZF_CORRUPT' });
    expect(problem.message).toMatch(
      /block at byte 0 is damaged \(CRC32 mismatch\): the file itself is corrupt/,
    );
  });

  it('refuses a block whose ISIZE differs from what it inflates to', async () => {
    const bad = Buffer.from(block);
    bad.writeUInt32LE(bad.readUInt32LE(bad.length - 4) + 1, bad.length - 4);
    expect(problemOf(await validate(withEof(bad))).message).toMatch(/where ISIZE says/);
  });

  it('refuses a block whose deflate data is damaged', async () => {
    const bad = Buffer.from(block);
    bad.fill(0xff, 20, 40);
    expect(problemOf(await validate(withEof(bad))).code).toBe('BGZF_CORRUPT');
  });

  it('refuses bytes after a block that are not a BGZF block', async () => {
    const problem = problemOf(await validate(Buffer.concat([block, Buffer.alloc(40, 7), BGZF_EOF])));
    expect(problem.message).toContain(`the compressed block at byte ${block.length} is damaged`);
  });
});

describe('BGZF framing: reading stops when the consumer stops', () => {
  it('does not pull more of the source than the block it is on', async () => {
    let pulled = 0;
    const block = bgzfBlock(Buffer.from(vcfText({ samples: 30, records: 10 })));
    const endless = Readable.from(
      (function* () {
        for (;;) {
          pulled += 1;
          yield block;
        }
      })(),
    );
    for await (const _ of readBgzfBlocks(endless)) if (pulled >= 3) break;
    expect(pulled).toBeLessThan(40);
  });
});
