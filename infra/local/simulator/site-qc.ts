/**
 * The per-site quality control the services run before imputing (imputationserver's StatisticsTask), as
 * far as one pass over a submission can play it without a reference panel: the checks that need only the
 * record — FILTER flag, allele validity, multiallelic and non-SNP sites, duplicates — are real; the ones
 * that need the panel — allele mismatch, a site the panel lacks (typed only) — are drawn from a hash of
 * the site, about 1 % each, so the same file always gets the same verdicts. Chunks are the services'
 * 20 Mb windows, numbered as their VcfFileUtil numbers them.
 */

/** Why a site was excluded, in the order the QC statistics message lists them. */
export const SITE_FILTERS = [
  'Filter flag set',
  'Invalid alleles',
  'Multiallelic sites',
  'Duplicated sites',
  'NonSNP sites',
  'Monomorphic sites',
  'Allele mismatch',
  'SNPs call rate < 90%',
] as const;
export type SiteFilter = (typeof SITE_FILTERS)[number];

export type SiteVerdict = SiteFilter | 'typed-only' | 'match';

/** The imputationserver chunk size (`--chunksize`, 20 Mb). */
export const CHUNK_SIZE = 20_000_000;

/** A position's chunk: `position / size`, a position on a boundary belonging to the chunk before. */
export function chunkOf(position: number): number {
  const chunk = Math.floor(position / CHUNK_SIZE);
  return position % CHUNK_SIZE === 0 ? chunk - 1 : chunk;
}

/** `chunk_20_0020000001_0040000000`, as chunks-excluded.txt names a chunk. */
export function chunkName(chromosome: string, chunk: number): string {
  const pad = (n: number) => String(n).padStart(10, '0');
  return `chunk_${chromosome}_${pad(chunk * CHUNK_SIZE + 1)}_${pad((chunk + 1) * CHUNK_SIZE)}`;
}

export interface SiteFields {
  position: number;
  ref: string;
  alt: string;
  /** The FILTER column. */
  filter: string;
}

const BASES = /^[ACGT]$/;
/** Per mille of sites whose alleles the (imagined) panel has differently, and that it lacks. */
const ALLELE_MISMATCH_PER_MILLE = 10;
const TYPED_ONLY_PER_MILLE = 10;

/** The QC verdict on one site; `previousPosition` is the position of the record before it. */
export function classifySite(site: SiteFields, previousPosition: number): SiteVerdict {
  if (site.filter !== 'PASS' && site.filter !== '.') return 'Filter flag set';
  if (site.alt.includes(',')) return 'Multiallelic sites';
  if (site.ref.length !== 1 || site.alt.length !== 1) return 'NonSNP sites';
  if (!BASES.test(site.ref) || !BASES.test(site.alt)) return 'Invalid alleles';
  if (site.position === previousPosition) return 'Duplicated sites';
  const draw = siteHash(site) % 1000;
  if (draw < ALLELE_MISMATCH_PER_MILLE) return 'Allele mismatch';
  if (draw < ALLELE_MISMATCH_PER_MILLE + TYPED_ONLY_PER_MILLE) return 'typed-only';
  return 'match';
}

/** A well-mixed 32-bit hash of position and alleles (murmur3's finalizer), cheap enough for every record. */
export function siteHash(site: Pick<SiteFields, 'position' | 'ref' | 'alt'>): number {
  let h = Math.imul(site.position ^ 0x9e3779b9, 0x85ebca6b);
  h ^= (site.ref.charCodeAt(0) << 8) | site.alt.charCodeAt(0);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** `true` for the chromosome names the services accept (1–22, 23, X, with or without `chr`). */
export function isValidChromosome(raw: string): boolean {
  return /^(chr)?([1-9]|1[0-9]|2[0-3]|X)$/.test(raw);
}

/** The chromosome as the services name it in messages and result files: without `chr`. */
export function bareChromosome(raw: string): string {
  return raw.replaceAll('chr', '');
}
