/**
 * The reading side of a submitted file part: its bytes are inflated as they pass (node:zlib's gunzip reads
 * BGZF, a series of gzip members, as one stream) and handed to the scanner, so a multi-GB upload costs no
 * memory; a write waits while zlib is behind, which slows the upload instead of buffering it. The first
 * bytes tell BGZF from plain gzip from no gzip at all (then the bytes are scanned as they are, as the
 * services' reader does). Nothing a client sends can throw out of here: a corrupt stream or a file that
 * is no VCF becomes the summary's `problem`, and once the scanner has its verdict the rest is not inflated.
 */
import { once } from 'node:events';
import { createGunzip, type Gunzip } from 'node:zlib';
import type { SubmittedVcf } from './types';
import { type Compression, VcfScanner } from './vcf-scan';

/** The first bytes of a BGZF block: gzip, deflate, FEXTRA, XLEN 6, subfield `BC` of length 2. */
const BGZF_MAGIC_LENGTH = 16;

function compressionOf(first: Buffer): Compression {
  if (first.length < 2 || first[0] !== 0x1f || first[1] !== 0x8b) return 'plain';
  const bgzf =
    first.length >= BGZF_MAGIC_LENGTH &&
    first[2] === 0x08 &&
    ((first[3] ?? 0) & 0x04) !== 0 &&
    first.readUInt16LE(10) === 6 &&
    first[12] === 0x42 &&
    first[13] === 0x43 &&
    first.readUInt16LE(14) === 2;
  return bgzf ? 'bgzf' : 'gzip';
}

export class VcfCapture {
  private readonly scanner: VcfScanner;
  private sniffed: Buffer[] = [];
  private sniffedBytes = 0;
  private compression: Compression | undefined;
  private gunzip: Gunzip | undefined;
  private inflateError: string | undefined;

  constructor(fileName: string) {
    this.scanner = new VcfScanner(fileName);
  }

  /** The next bytes of the part; wait for the promise, when there is one, before writing more. */
  write(data: Buffer): Promise<void> | undefined {
    if (this.scanner.stopped || this.inflateError || data.length === 0) return undefined;
    if (this.compression === undefined) {
      this.sniffed.push(data);
      this.sniffedBytes += data.length;
      if (this.sniffedBytes < BGZF_MAGIC_LENGTH) return undefined;
      return this.start(Buffer.concat(this.sniffed, this.sniffedBytes));
    }
    return this.pass(data);
  }

  /** The part ended: the summary of everything read. */
  async end(): Promise<SubmittedVcf> {
    if (this.compression === undefined) await this.start(Buffer.concat(this.sniffed, this.sniffedBytes));
    const gunzip = this.gunzip;
    if (gunzip && !gunzip.destroyed) {
      const closed = once(gunzip, 'close').catch(() => undefined);
      gunzip.end();
      await closed;
    }
    return this.scanner.finish(this.compression ?? 'plain', this.inflateError);
  }

  private start(first: Buffer): Promise<void> | undefined {
    this.sniffed = [];
    const compression = compressionOf(first);
    this.compression = compression;
    if (compression === 'plain') {
      this.scanner.feed(first);
      return undefined;
    }
    const gunzip = createGunzip();
    this.gunzip = gunzip;
    gunzip.on('data', (chunk: Buffer) => {
      this.scanner.feed(chunk);
      if (this.scanner.stopped) gunzip.destroy();
    });
    gunzip.on('error', (error: NodeJS.ErrnoException) => {
      this.inflateError =
        error.code === 'Z_BUF_ERROR'
          ? 'Unexpected end of ZLIB input stream'
          : `Invalid compressed data: ${error.message}`;
    });
    return this.pass(first);
  }

  private pass(data: Buffer): Promise<void> | undefined {
    const gunzip = this.gunzip;
    if (!gunzip) {
      this.scanner.feed(data);
      return undefined;
    }
    if (gunzip.destroyed || gunzip.write(data)) return undefined;
    return this.drained(gunzip);
  }

  /** Resolves once zlib wants more, or has stopped (an error, or the scanner is done). */
  private async drained(gunzip: Gunzip): Promise<void> {
    const stop = new AbortController();
    try {
      await Promise.race([
        once(gunzip, 'drain', { signal: stop.signal }),
        once(gunzip, 'close', { signal: stop.signal }),
      ]);
    } catch {
      // An error: its handler above recorded it, and the stream closes.
    } finally {
      stop.abort();
    }
  }
}
