/**
 * Splits inflated BGZF blocks into lines without decoding them to strings: a line inside one block is
 * handed over as (buffer, start, end) of that block — no copy —, and only a line that crosses blocks is
 * joined, once, under a cap so a file without newlines cannot take the memory. Each line's start is a
 * BGZF virtual offset (the block's compressed offset, the offset inside its data), which is what a
 * checkpoint records so that the next invocation resumes at a line start with a range GET.
 */
import type { BgzfBlock } from './bgzf-reader';
import { VcfInputError } from './vcf-problems';

/** A 50,000-sample line is ~200 KB (GT only) to a few MB (with dosages); nothing sane is near this. */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** Receives one line, without its `\n` (and `\r`), as `buffer[start, end)`; throws to reject it. */
export type LineHandler = (buffer: Buffer, start: number, end: number, line: number) => void;

export class LineReader {
  private fragments: Buffer[] = [];
  private fragmentBytes = 0;
  /** Where the line being assembled across blocks starts (a virtual offset), while there is one. */
  partialStart: { block: number; within: number } | null = null;
  /** Largest line joined across blocks, for the memory accounting of the caller. */
  peakJoinedBytes = 0;

  /** @param lines lines already read before the first fed byte (a resumed file starts past them) */
  constructor(
    private readonly onLine: LineHandler,
    private readonly maxLineBytes: number,
    public lines = 0,
  ) {}

  /** True while a line that started in an earlier block is still being assembled. */
  get inLine(): boolean {
    return this.fragmentBytes > 0;
  }

  /**
   * Feeds `block.data` from `from`. After each complete line `mayPause()` is asked; when it says yes the
   * reader stops and returns the offset in this block where the next line starts. Returns -1 when the
   * whole block was consumed.
   */
  feed(block: BgzfBlock, from: number, mayPause: () => boolean): number {
    const data = block.data;
    let position = from;
    while (position < data.length) {
      const newline = data.indexOf(NEWLINE, position);
      if (newline === -1) {
        if (this.fragmentBytes === 0) this.partialStart = { block: block.offset, within: position };
        this.keep(data.subarray(position));
        return -1;
      }
      if (this.fragmentBytes > 0) {
        this.keep(data.subarray(position, newline));
        const joined = Buffer.concat(this.fragments, this.fragmentBytes);
        this.fragments = [];
        this.fragmentBytes = 0;
        this.partialStart = null;
        this.emit(joined, 0, joined.length);
      } else {
        this.emit(data, position, newline);
      }
      position = newline + 1;
      if (mayPause()) return position;
    }
    return -1;
  }

  /** The last line when the file does not end with a newline. */
  finish(): void {
    if (this.fragmentBytes === 0) return;
    const joined = Buffer.concat(this.fragments, this.fragmentBytes);
    this.fragments = [];
    this.fragmentBytes = 0;
    this.emit(joined, 0, joined.length);
  }

  private keep(piece: Buffer): void {
    if (piece.length === 0) return;
    this.fragmentBytes += piece.length;
    if (this.fragmentBytes > this.maxLineBytes) {
      throw new VcfInputError(
        'LINE_TOO_LONG',
        `the line is longer than ${Math.round(this.maxLineBytes / 1024 / 1024)} MiB, more than any VCF record needs: is the file a VCF with one record per line?`,
        this.lines + 1,
      );
    }
    if (this.fragmentBytes > this.peakJoinedBytes) this.peakJoinedBytes = this.fragmentBytes;
    this.fragments.push(piece);
  }

  private emit(buffer: Buffer, start: number, end: number): void {
    this.lines += 1;
    const stop = end > start && buffer[end - 1] === CARRIAGE_RETURN ? end - 1 : end;
    this.onLine(buffer, start, stop, this.lines);
  }
}
