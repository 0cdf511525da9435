/**
 * The imputed data of one chromosome as minimac4 writes it for the services (`--format GT,DS,GP,HDS
 * --all-typed-sites --sites`): `chrN.dose.vcf.gz` with the submitted samples, the submitted sites that
 * passed QC (TYPED, or TYPED_ONLY when the panel lacks them) and one imputed site (IMPUTED) in each gap
 * between them, and `chrN.info.gz` with the same sites and INFO (AF, MAF, AVG_CS, R2, ER2). Genotypes and
 * dosages are drawn from a seeded generator, so a job always gets the same file; AF and MAF are those of
 * the dosages written. Small on purpose: at most ~80,000 genotype cells, fewer sites for more samples.
 * Chromosome names follow the panel's build, as the services write them (`chr20` for hg38, `20` for hg19).
 */
import { seededRandom, textSeed } from './seeded-random';
import { siteHash } from './site-qc';
import type { CapturedSite } from './types';

const CELL_BUDGET = 80_000;
const BASES = ['A', 'C', 'G', 'T'];

export interface ImputationInput {
  /** Without `chr` (`20`); the files are named `chr20.*` whatever the build. */
  chromosome: string;
  build: 'hg19' | 'hg38';
  samples: readonly string[];
  /** The submitted sites to impute around, by position. */
  sites: readonly CapturedSite[];
  /** Imputed sites with a lower R2 are left out (the job's `r2Filter`). */
  minR2: number;
  seed: string;
  /** For the `##mis_*` header lines the services add. */
  panel: string;
  phasing: string;
}

export interface ImputedChromosome {
  /** VCF text of `chrN.dose.vcf.gz` (bgzip it). */
  dose: string;
  /** VCF text (sites only) of `chrN.info.gz`. */
  info: string;
  records: number;
}

const INFO_HEADER = [
  '##INFO=<ID=AF,Number=1,Type=Float,Description="Estimated Alternate Allele Frequency">',
  '##INFO=<ID=MAF,Number=1,Type=Float,Description="Estimated Minor Allele Frequency">',
  '##INFO=<ID=AVG_CS,Number=1,Type=Float,Description="Average Call Score">',
  '##INFO=<ID=R2,Number=1,Type=Float,Description="Estimated Imputation Accuracy (R-square)">',
  '##INFO=<ID=ER2,Number=1,Type=Float,Description="Empirical (Leave-One-Out) R-square (available only for genotyped variants)">',
  '##INFO=<ID=IMPUTED,Number=0,Type=Flag,Description="Marker was imputed but NOT genotyped">',
  '##INFO=<ID=TYPED,Number=0,Type=Flag,Description="Marker was genotyped AND imputed">',
  '##INFO=<ID=TYPED_ONLY,Number=0,Type=Flag,Description="Marker was genotyped but NOT imputed">',
];
const FORMAT_HEADER = [
  '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
  '##FORMAT=<ID=DS,Number=A,Type=Float,Description="Estimated Alternate Allele Dosage : [P(0/1)+2*P(1/1)]">',
  '##FORMAT=<ID=GP,Number=3,Type=Float,Description="Estimated Posterior Probabilities for Genotypes 0/0, 0/1 and 1/1">',
  '##FORMAT=<ID=HDS,Number=2,Type=Float,Description="Estimated Haploid Alternate Allele Dosage">',
];
const COLUMNS = ['#CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO'];

type Kind = 'TYPED' | 'TYPED_ONLY' | 'IMPUTED';
interface Site {
  position: number;
  ref: string;
  alt: string;
  kind: Kind;
}

/** The typed sites kept under the cell budget (evenly spread), each followed by an imputed one in its gap. */
function outputSites(input: ImputationInput): Site[] {
  const typed = input.sites;
  const keep = Math.max(1, Math.floor(CELL_BUDGET / Math.max(1, input.samples.length) / 2));
  const chosen =
    typed.length <= keep
      ? typed
      : Array.from({ length: keep }, (_, i) => typed[Math.floor((i * typed.length) / keep)]!);
  const sites: Site[] = [];
  chosen.forEach((site, index) => {
    sites.push({
      position: site.position,
      ref: site.ref,
      alt: site.alt,
      kind: site.typedOnly ? 'TYPED_ONLY' : 'TYPED',
    });
    const next = chosen[index + 1];
    if (!next || next.position - site.position < 2) return;
    const hash = siteHash(site);
    const ref = BASES[hash % 4]!;
    sites.push({
      position: site.position + 1 + (hash % (next.position - site.position - 1)),
      ref,
      alt: BASES[(hash + 1 + ((hash >>> 2) % 3)) % 4]!,
      kind: 'IMPUTED',
    });
  });
  return sites;
}

/** `0.000` … `2.000`: dosages are written with three decimals, looked up rather than formatted. */
const DECIMALS = Array.from({ length: 2001 }, (_, i) => (i / 1000).toFixed(3));
const f3 = (x: number) => DECIMALS[Math.round(x * 1000)] ?? x.toFixed(3);
const f5 = (x: number) => x.toFixed(5);

export function imputeChromosome(input: ImputationInput): ImputedChromosome {
  const random = seededRandom(textSeed(`${input.seed}:${input.chromosome}`));
  const contig = input.build === 'hg38' ? `chr${input.chromosome}` : input.chromosome;
  const meta = [
    '##fileformat=VCFv4.2',
    '##source=Minimac v4.1.6 (Cloudgene simulator)',
    '##phasing=full',
    `##contig=<ID=${contig}>`,
    ...INFO_HEADER,
  ];
  const dose = [
    ...meta,
    ...FORMAT_HEADER,
    `##mis_phasing=${input.phasing}`,
    `##mis_panel=${input.panel}`,
    [...COLUMNS, 'FORMAT', ...input.samples].join('\t'),
  ];
  const info = [...meta, COLUMNS.join('\t')];
  for (const site of outputSites(input)) {
    const frequency = 0.02 + 0.96 * random();
    const certainty = site.kind === 'IMPUTED' ? 0.3 + 0.7 * random() : 0.9 + 0.1 * random();
    // Mostly near-certain haplotypes, as imputed data is: dosages of 0.000 and 1.000 dominate.
    const haplotype = () => {
      const noise = random() < certainty ? 0 : random() * 0.5;
      return random() < frequency ? 1 - noise : noise;
    };
    let dosage = 0;
    const cells = input.samples.map(() => {
      const h1 = haplotype();
      const h2 = haplotype();
      dosage += h1 + h2;
      const p0 = (1 - h1) * (1 - h2);
      const p2 = h1 * h2;
      const gt = `${h1 > 0.5 ? 1 : 0}|${h2 > 0.5 ? 1 : 0}`;
      return `${gt}:${f3(h1 + h2)}:${f3(p0)},${f3(1 - p0 - p2)},${f3(p2)}:${f3(h1)},${f3(h2)}`;
    });
    const r2 = Math.min(1, certainty * (0.95 + 0.05 * random()));
    if (site.kind === 'IMPUTED' && r2 < input.minR2) continue;
    const af = input.samples.length === 0 ? 0 : dosage / (2 * input.samples.length);
    const fields = [`AF=${f5(af)}`, `MAF=${f5(Math.min(af, 1 - af))}`, `AVG_CS=${f5(certainty)}`];
    if (site.kind !== 'TYPED_ONLY') fields.push(`R2=${f5(r2)}`);
    if (site.kind === 'TYPED') fields.push(`ER2=${f5(r2 * (0.9 + 0.1 * random()))}`);
    fields.push(site.kind === 'TYPED_ONLY' ? 'TYPED;TYPED_ONLY' : site.kind);
    const columns = [
      contig,
      site.position,
      `${contig}:${site.position}:${site.ref}:${site.alt}`,
      site.ref,
      site.alt,
      '.',
      'PASS',
      fields.join(';'),
    ];
    dose.push([...columns, 'GT:DS:GP:HDS', ...cells].join('\t'));
    info.push(columns.join('\t'));
  }
  return {
    dose: `${dose.join('\n')}\n`,
    info: `${info.join('\n')}\n`,
    records: info.length - meta.length - 1,
  };
}
