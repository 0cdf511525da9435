/**
 * The genotype rules of a record, on its bytes: GT must be FORMAT's first key, and every sample's GT
 * sub-field must parse (allele indexes or "." joined by "|" or "/") with indexes within the ALT count.
 * The common genotype ("0|1", "0/1") is checked in one comparison chain; anything else goes through the
 * general parser; other FORMAT sub-fields are skipped with `indexOf(TAB)`. It also counts the samples,
 * which is how a record with fewer or more columns than the header is found.
 */
import { excerpt, sampleColumns, VcfInputError } from './vcf-problems';

const TAB = 0x09;
const COLON = 0x3a;
const SLASH = 0x2f;
const PIPE = 0x7c;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const END = -1;

export class GenotypeScanner {
  /** Of the record scanned last: a missing allele ("."), the first sample with an unphased genotype. */
  missing = false;
  firstUnphased = 0;

  constructor(private readonly sampleCount: number) {}

  /** Checks FORMAT and every sample's GT of one record; `missing`/`firstUnphased` describe it after. */
  scan(b: Buffer, formatStart: number, formatEnd: number, end: number, altCount: number, line: number): void {
    if (
      formatEnd - formatStart < 2 ||
      b[formatStart] !== 0x47 ||
      b[formatStart + 1] !== 0x54 ||
      (formatEnd > formatStart + 2 && b[formatStart + 2] !== COLON)
    ) {
      throw new VcfInputError(
        'NO_GENOTYPES',
        `the FORMAT column is "${excerpt(b.toString('latin1', formatStart, formatEnd))}": GT must be its first key, the services impute from genotypes.`,
        line,
      );
    }
    const n = this.sampleCount;
    const maxDigit = ZERO + Math.min(altCount, 9);
    let q = formatEnd + 1;
    this.missing = false;
    this.firstUnphased = 0;
    for (let s = 1; s <= n; s++) {
      const fieldStart = q;
      // Nearly every genotype is "d|d" or "d/d" with single-digit alleles: checked in one comparison
      // chain; anything else (missing, haploid, multi-digit, polyploid) takes the general parser.
      const first = b[q]!;
      const separator = b[q + 1]!;
      const second = b[q + 2]!;
      let c = q + 3 < end ? b[q + 3]! : END;
      if (
        q + 3 <= end &&
        first >= ZERO &&
        first <= maxDigit &&
        second >= ZERO &&
        second <= maxDigit &&
        (separator === PIPE || separator === SLASH) &&
        (c === TAB || c === END || c === COLON)
      ) {
        if (separator === SLASH && this.firstUnphased === 0) this.firstUnphased = s;
        q += 3;
      } else {
        q = this.parseGenotype(b, q, end, s, altCount, line);
        c = q < end ? b[q]! : END;
      }
      if (c === COLON) {
        const tab = b.indexOf(TAB, q);
        q = tab === -1 || tab > end ? end : tab;
        c = q < end ? TAB : END;
      }
      if (c === TAB) {
        if (s === n) {
          const found = n + countTabs(b, q + 1, end) + 1;
          throw new VcfInputError('SAMPLE_COUNT_MISMATCH', sampleColumns(found, n), line);
        }
        q++;
      } else if (c === END) {
        if (s < n) {
          throw new VcfInputError('SAMPLE_COUNT_MISMATCH', sampleColumns(s, n), line);
        }
      } else {
        throw badGenotype(b, fieldStart, end, s, line);
      }
    }
  }

  /** The general GT grammar: alleles (digits or ".") joined by "|" or "/"; returns where GT ends. */
  private parseGenotype(
    b: Buffer,
    q: number,
    end: number,
    sample: number,
    altCount: number,
    line: number,
  ): number {
    const fieldStart = q;
    let c = q < end ? b[q]! : END;
    if (c === PIPE || c === SLASH) c = ++q < end ? b[q]! : END; // VCF 4.4's leading phase marker
    for (;;) {
      if (c === DOT) {
        this.missing = true;
        q++;
      } else if (c >= ZERO && c <= NINE) {
        let allele = 0;
        do {
          allele = allele * 10 + (c - ZERO);
          c = ++q < end ? b[q]! : END;
        } while (c >= ZERO && c <= NINE);
        if (allele > altCount) throw alleleOutOfRange(b, fieldStart, end, sample, altCount, line);
      } else {
        throw badGenotype(b, fieldStart, end, sample, line);
      }
      c = q < end ? b[q]! : END;
      if (c === PIPE) {
        c = ++q < end ? b[q]! : END;
      } else if (c === SLASH) {
        if (this.firstUnphased === 0) this.firstUnphased = sample;
        c = ++q < end ? b[q]! : END;
      } else {
        return q;
      }
    }
  }
}

export function countTabs(b: Buffer, from: number, end: number): number {
  let count = 0;
  for (let i = from; i < end; i++) if (b[i] === TAB) count++;
  return count;
}

/** The GT sub-field of a sample, for a message. */
function genotypeText(b: Buffer, fieldStart: number, end: number): string {
  let stop = fieldStart;
  while (stop < end && b[stop] !== TAB && b[stop] !== COLON) stop++;
  return excerpt(b.toString('latin1', fieldStart, stop));
}

function badGenotype(b: Buffer, fieldStart: number, end: number, sample: number, line: number) {
  return new VcfInputError(
    'BAD_GENOTYPE',
    `sample ${sample} (column ${9 + sample}) has the genotype "${genotypeText(b, fieldStart, end)}": a genotype is allele indexes or "." joined by "/" or "|" (0/1, 1|0, ./.).`,
    line,
  );
}

function alleleOutOfRange(
  b: Buffer,
  fieldStart: number,
  end: number,
  sample: number,
  altCount: number,
  line: number,
) {
  return new VcfInputError(
    'BAD_GENOTYPE',
    `sample ${sample} (column ${9 + sample}) has the genotype "${genotypeText(b, fieldStart, end)}" but the record has ${altCount} ALT allele${altCount === 1 ? '' : 's'}.`,
    line,
  );
}
