/**
 * Reads just the head of a (possibly multi-GB) bgzipped VCF as a stream — the caller passes a range GET
 * of the first megabytes — and reports what the imputation services check only after a job has taken a
 * slot: bgzip container, VCF header, `#CHROM` line, sample count and chromosome naming. Failing here costs
 * seconds instead of a place in a queue that can be hours long.
 */
import { createGunzip } from 'node:zlib';

export interface VcfInspection {
  /** gzip magic plus the BGZF `BC` extra field: plain gzip is rejected by the services. */
  bgzip: boolean;
  gzip: boolean;
  fileformat: string | null;
  sampleCount: number | null;
  /** Distinct chromosome names of the first records read, in order of appearance. */
  chromosomes: string[];
  recordsRead: number;
  /** Why reading stopped early, when the head could not be decoded. */
  decodeError: string | null;
}

export interface InspectOptions {
  /** Stop after this many data records (enough to see the chromosome naming). */
  maxRecords?: number;
  /** Stop after this many decompressed bytes, whatever was found. */
  maxDecompressedBytes?: number;
}

const BGZF_HEADER = [0x1f, 0x8b, 0x08, 0x04];

export async function inspectVcfHead(
  source: AsyncIterable<Uint8Array>,
  options: InspectOptions = {},
): Promise<VcfInspection> {
  const maxRecords = options.maxRecords ?? 200;
  const maxBytes = options.maxDecompressedBytes ?? 64 * 1024 * 1024;
  const result: VcfInspection = {
    bgzip: false,
    gzip: false,
    fileformat: null,
    sampleCount: null,
    chromosomes: [],
    recordsRead: 0,
    decodeError: null,
  };

  const gunzip = createGunzip();
  let headChecked = false;
  let done = false;
  let pending = '';
  let decompressed = 0;

  const onLine = (line: string) => {
    if (line.startsWith('##')) {
      if (line.startsWith('##fileformat=') && result.fileformat === null)
        result.fileformat = line.slice(13).trim();
      return;
    }
    if (line.startsWith('#CHROM')) {
      result.sampleCount = Math.max(0, line.split('\t').length - 9);
      return;
    }
    if (line.length === 0 || result.sampleCount === null) return;
    const tab = line.indexOf('\t');
    const chromosome = tab === -1 ? line : line.slice(0, tab);
    if (!result.chromosomes.includes(chromosome)) result.chromosomes.push(chromosome);
    result.recordsRead += 1;
    if (result.recordsRead >= maxRecords) done = true;
  };

  const consumeText = (text: string) => {
    pending += text;
    let newline = pending.indexOf('\n');
    while (newline !== -1 && !done) {
      onLine(pending.slice(0, newline).replace(/\r$/, ''));
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
    // A header line never needs to be kept whole beyond the cap; a runaway line means this is not a VCF.
    if (pending.length > maxBytes) done = true;
  };

  const decoder = new TextDecoder();
  gunzip.on('data', (chunk: Buffer) => {
    if (done) return;
    decompressed += chunk.length;
    consumeText(decoder.decode(chunk, { stream: true }));
    if (decompressed >= maxBytes) done = true;
  });
  const finished = new Promise<void>((resolve) => {
    gunzip.on('end', resolve);
    gunzip.on('close', resolve);
    gunzip.on('error', (error) => {
      // A range GET cuts the file mid-block: that ends the head, it is not a broken file.
      if (!/unexpected end of file/i.test(error.message)) result.decodeError = error.message;
      resolve();
    });
  });

  for await (const chunk of source) {
    if (!headChecked) {
      headChecked = true;
      result.gzip = chunk[0] === 0x1f && chunk[1] === 0x8b;
      result.bgzip =
        BGZF_HEADER.every((byte, index) => chunk[index] === byte) && chunk[12] === 0x42 && chunk[13] === 0x43;
      if (!result.gzip) break;
    }
    if (done || result.decodeError) break;
    const accepted = gunzip.write(chunk);
    if (!accepted) await new Promise((resolve) => gunzip.once('drain', resolve));
  }
  if (result.gzip) {
    gunzip.end();
    await finished;
    if (!done && pending.length > 0) onLine(pending);
  }
  gunzip.destroy();
  return result;
}

export type GenomeBuild = 'hg19' | 'hg38';

export interface VcfProblem {
  code:
    | 'NOT_GZIP'
    | 'NOT_BGZIP'
    | 'NOT_VCF'
    | 'NO_CHROM_LINE'
    | 'TOO_FEW_SAMPLES'
    | 'TOO_MANY_SAMPLES'
    | 'NO_RECORDS'
    | 'CHROMOSOME_NAMING';
  message: string;
}

export const SAMPLE_LIMITS = { min: 20, max: 50_000 } as const;

/** The services' own rules (cloudgene-api.md), applied to what the head of the file shows. */
export function checkVcfForImputation(inspection: VcfInspection, build: GenomeBuild): VcfProblem[] {
  if (!inspection.gzip) {
    return [
      { code: 'NOT_GZIP', message: 'The file is not gzip-compressed: compress it with `bgzip file.vcf`.' },
    ];
  }
  if (!inspection.bgzip) {
    return [
      {
        code: 'NOT_BGZIP',
        message:
          'The file is gzip- but not bgzip-compressed: recompress it with `zcat file.vcf.gz | bgzip > fixed.vcf.gz`.',
      },
    ];
  }
  if (inspection.decodeError) {
    return [{ code: 'NOT_VCF', message: `The file could not be decompressed: ${inspection.decodeError}` }];
  }
  if (!inspection.fileformat?.startsWith('VCF')) {
    return [
      { code: 'NOT_VCF', message: 'The file does not start with a VCF header (##fileformat=VCFv4.x).' },
    ];
  }
  if (inspection.sampleCount === null) {
    return [{ code: 'NO_CHROM_LINE', message: 'The VCF header has no #CHROM line.' }];
  }
  const problems: VcfProblem[] = [];
  if (inspection.sampleCount < SAMPLE_LIMITS.min) {
    problems.push({
      code: 'TOO_FEW_SAMPLES',
      message: `The file has ${inspection.sampleCount} samples; the services need at least ${SAMPLE_LIMITS.min}.`,
    });
  }
  if (inspection.sampleCount > SAMPLE_LIMITS.max) {
    problems.push({
      code: 'TOO_MANY_SAMPLES',
      message: `The file has ${inspection.sampleCount} samples; the services accept at most ${SAMPLE_LIMITS.max}.`,
    });
  }
  if (inspection.recordsRead === 0) {
    problems.push({ code: 'NO_RECORDS', message: 'The file has a header but no variant records.' });
  } else {
    const prefixed = inspection.chromosomes.filter((c) => c.startsWith('chr'));
    const wrong = build === 'hg38' ? inspection.chromosomes.filter((c) => !c.startsWith('chr')) : prefixed;
    if (wrong.length > 0) {
      problems.push({
        code: 'CHROMOSOME_NAMING',
        message:
          build === 'hg38'
            ? `Build hg38 needs chromosome names with the "chr" prefix (chr20); the file uses ${wrong.slice(0, 3).join(', ')}.`
            : `Build hg19 needs chromosome names without the "chr" prefix (20); the file uses ${wrong.slice(0, 3).join(', ')}.`,
      });
    }
  }
  return problems;
}
