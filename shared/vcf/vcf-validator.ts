/**
 * Validates one whole bgzipped VCF as a stream: BGZF framing (bgzf-reader), lines (line-reader), the
 * header (vcf-header) and every record (vcf-record), one chromosome per file — everything that holds
 * whatever the job — and returns the file's facts (vcf-facts.ts), from which a job's own rules are
 * judged without reading it again (job-input-rules.ts; `rules` applies them here too). It stops at the first problem,
 * with its line number, and can pause at a line boundary when asked (a Lambda's time is running out),
 * returning a small cursor from which a later call resumes with a range read starting at the cursor's
 * block. Memory stays flat: one compressed block, one inflated block, at most one joined line.
 */
import * as z from 'zod/mini';
import { type BgzfReadStats, readBgzfBlocks } from './bgzf-reader';
import { fileRuleProblems } from './job-input-rules';
import { DEFAULT_MAX_LINE_BYTES, LineReader } from './line-reader';
import type { VcfFacts } from './vcf-facts';
import { checkHeaderLine, emptyHeaderState, type HeaderState, MAX_CONTIGS_KEPT } from './vcf-header';
import {
  invalidChromosomeProblem,
  MISSING_PART_PROBLEMS,
  mixedChromosomesProblem,
  VcfInputError,
  type VcfProblem,
  type VcfRules,
} from './vcf-problems';
import { RecordScanner, type RecordState } from './vcf-record';

/** A whole number from 0 up. */
const count = () => z.int().check(z.nonnegative());

/** Where and in which state a paused file resumes: a BGZF virtual offset plus what the checks carry on. */
export const fileCursorSchema = z.object({
  /** Compressed offset of the BGZF block in which the next line starts (the range GET starts here). */
  block: count(),
  /** Offset of that line in the block's inflated data (0…65,536). */
  within: z.int().check(z.minimum(0), z.maximum(65_536)),
  /** Lines read before it: the next line is `line + 1`. */
  line: count(),
  fileformat: z.boolean(),
  /** Null while the header is still being read. */
  sampleCount: z.nullable(count()),
  chromosome: z.nullable(z.string().check(z.maxLength(256))),
  lastPosition: count(),
  records: count(),
  phaseLocked: z.boolean(),
  chromLine: z._default(count(), 0),
  firstRecordLine: z._default(count(), 0),
  reference: z._default(z.nullable(z.string().check(z.maxLength(300))), null),
  contigs: z._default(
    z
      .array(z.object({ name: z.string().check(z.maxLength(256)), length: count() }))
      .check(z.maxLength(MAX_CONTIGS_KEPT)),
    [],
  ),
  firstUnphased: z._default(z.nullable(z.object({ line: count(), sample: count() })), null),
});
export type FileCursor = z.infer<typeof fileCursorSchema>;

export interface FileSummary {
  sampleCount: number | null;
  /** Chromosomes of the records read (one for a valid file). */
  chromosomes: string[];
  records: number;
  lines: number;
}

export interface ValidationStats extends BgzfReadStats {
  /** Largest line that had to be joined across blocks. */
  peakLineBytes: number;
}

export type FileVerdict = { summary: FileSummary; stats: ValidationStats } & (
  | { status: 'valid'; facts: VcfFacts }
  | { status: 'invalid'; problem: VcfProblem }
  /** `interrupted`: the source failed (a dropped connection) and the cursor is the last line start read. */
  | { status: 'paused'; cursor: FileCursor; interrupted?: string }
);

/** An error of the byte source itself (network, S3), as opposed to one of the file or of this code. */
class SourceInterrupted extends Error {
  override name = 'SourceInterrupted';
}

async function* guarded(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    yield* source;
  } catch (error) {
    throw new SourceInterrupted((error as Error).message ?? String(error));
  }
}

export interface ValidateVcfOptions {
  /** A job's rules to judge the file by too (sample limits, build, phasing); none: the file alone. */
  rules?: VcfRules;
  /** Continue from a paused call; `source` must then start at `resume.block`. */
  resume?: FileCursor;
  /** Asked at line boundaries once this call has read a whole block; true pauses the validation. */
  shouldPause?: (stats: Readonly<ValidationStats>) => boolean;
  maxLineBytes?: number;
}

export async function validateVcf(
  source: AsyncIterable<Uint8Array>,
  options: ValidateVcfOptions,
): Promise<FileVerdict> {
  const { rules, resume } = options;
  const header: HeaderState = resume
    ? {
        fileformat: resume.fileformat,
        sampleCount: resume.sampleCount,
        chromLine: resume.chromLine,
        reference: resume.reference,
        contigs: [...resume.contigs],
      }
    : emptyHeaderState();
  const state: RecordState = {
    chromosome: resume?.chromosome ?? null,
    lastPosition: resume?.lastPosition ?? 0,
    records: resume?.records ?? 0,
    phaseLocked: resume?.phaseLocked ?? false,
    firstRecordLine: resume?.firstRecordLine ?? 0,
    firstUnphased: resume?.firstUnphased ?? null,
  };
  const chromosomes = state.chromosome === null ? [] : [state.chromosome];
  const stats: ValidationStats = {
    peakPendingBytes: 0,
    compressedBytes: 0,
    decompressedBytes: 0,
    peakLineBytes: 0,
  };

  const onChromosome = (name: string, previous: string | null, line: number) => {
    if (previous !== null) {
      const mixed = mixedChromosomesProblem(name, previous);
      throw new VcfInputError(mixed.code, mixed.message, line);
    }
    const invalid = invalidChromosomeProblem(name);
    if (invalid) throw new VcfInputError(invalid.code, invalid.message, line);
    chromosomes.push(name);
  };
  const newScanner = (samples: number) => new RecordScanner(samples, state, onChromosome);
  let scanner = header.sampleCount === null ? null : newScanner(header.sampleCount);

  const reader = new LineReader(
    (buffer, start, end, line) => {
      if (scanner) return scanner.scan(buffer, start, end, line);
      checkHeaderLine(buffer.toString('utf8', start, end), line, header);
      if (header.sampleCount !== null) scanner = newScanner(header.sampleCount);
    },
    options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
    resume?.line ?? 0,
  );

  const summary = (): FileSummary => ({
    sampleCount: header.sampleCount,
    chromosomes,
    records: state.records,
    lines: reader.lines,
  });
  const done = (
    outcome: { status: 'valid'; facts: VcfFacts } | { status: 'invalid'; problem: VcfProblem },
  ): FileVerdict => {
    stats.peakLineBytes = reader.peakJoinedBytes;
    return { ...outcome, summary: summary(), stats };
  };

  const shouldPause = options.shouldPause ?? (() => false);
  let blocksRead = 0;
  const mayPause = () => blocksRead > 0 && shouldPause(stats);
  let skip = resume?.within ?? 0;
  let nextBlock = resume?.block ?? 0;
  const cursorAt = (at: { block: number; within: number }): FileCursor => ({
    ...at,
    line: reader.lines,
    fileformat: header.fileformat,
    sampleCount: header.sampleCount,
    chromLine: header.chromLine,
    reference: header.reference,
    contigs: header.contigs,
    ...state,
  });
  try {
    for await (const block of readBgzfBlocks(guarded(source), resume?.block ?? 0, stats)) {
      if (skip > block.data.length) {
        throw new VcfInputError(
          'BGZF_CORRUPT',
          `the block at byte ${block.offset} is shorter than the checkpoint says (the file changed?).`,
        );
      }
      const pausedAt = reader.feed(block, skip, mayPause);
      skip = 0;
      if (pausedAt !== -1) {
        stats.peakLineBytes = reader.peakJoinedBytes;
        const cursor = cursorAt({ block: block.offset, within: pausedAt });
        return { status: 'paused', cursor, summary: summary(), stats };
      }
      blocksRead += 1;
      nextBlock = block.offset + block.size;
    }
    reader.finish();
  } catch (error) {
    if (error instanceof SourceInterrupted && blocksRead > 0) {
      // Everything up to the last line start is checked: the next call resumes there.
      const cursor = cursorAt(reader.partialStart ?? { block: nextBlock, within: 0 });
      stats.peakLineBytes = reader.peakJoinedBytes;
      return { status: 'paused', cursor, interrupted: error.message, summary: summary(), stats };
    }
    if (!(error instanceof VcfInputError)) throw error;
    return done({ status: 'invalid', problem: toProblem(error, header, reader.lines) });
  }

  if (header.sampleCount === null) {
    return done({
      status: 'invalid',
      problem: header.fileformat ? MISSING_PART_PROBLEMS.noChromLine : MISSING_PART_PROBLEMS.noLines,
    });
  }
  if (state.records === 0) {
    return done({
      status: 'invalid',
      problem: MISSING_PART_PROBLEMS.noRecords,
    });
  }
  const facts: VcfFacts = {
    samples: header.sampleCount,
    chromosome: state.chromosome!,
    records: state.records,
    lines: reader.lines,
    chromLine: header.chromLine,
    firstRecordLine: state.firstRecordLine,
    lastPosition: state.lastPosition,
    reference: header.reference,
    contigs: header.contigs,
    firstUnphased: state.firstUnphased,
  };
  const broken = rules ? fileRuleProblems(facts, rules)[0] : undefined;
  return done(broken ? { status: 'invalid', problem: broken } : { status: 'valid', facts });
}

function toProblem(error: VcfInputError, header: HeaderState, lines: number): VcfProblem {
  if (error.code === 'LINE_TOO_LONG' && !header.fileformat) {
    // Megabytes without a newline before any header: binary data compressed with bgzip, not a VCF.
    return {
      code: 'NOT_VCF',
      message:
        'The file does not start with a VCF header (##fileformat=VCFv4.x): it holds megabytes without a line break, binary data compressed with bgzip — is it a VCF?',
      line: 1,
    };
  }
  if (error.line !== undefined) return { code: error.code, message: error.message, line: error.line };
  // Framing problems belong to no line; say how far the file was readable.
  return { code: error.code, message: lines > 0 ? `after line ${lines}, ${error.message}` : error.message };
}
