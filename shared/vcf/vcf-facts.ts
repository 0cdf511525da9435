/**
 * What the check of one file found, kept so that nothing reads the file again to answer a job's
 * questions: the upload's record carries it once its check is done, and a job's rules (sample limits,
 * build, phasing, one chromosome per file, the same samples everywhere) are judged from it alone
 * (job-input-rules.ts). Small and bounded: it lives in a DynamoDB item and in Step Functions state.
 */
import * as z from 'zod/mini';
import { MAX_CONTIGS_KEPT } from './vcf-header';

const count = () => z.int().check(z.nonnegative());
const line = () => z.int().check(z.nonnegative());

export const vcfFactsSchema = z.object({
  samples: count(),
  /** The one chromosome of the records. */
  chromosome: z.string().check(z.maxLength(256)),
  records: count(),
  lines: count(),
  /** Line of the `#CHROM` header line (where sample problems are). */
  chromLine: line(),
  /** Line of the first record (where chromosome naming problems are). */
  firstRecordLine: line(),
  lastPosition: count(),
  /** The `##reference=` value, shortened. */
  reference: z.nullable(z.string().check(z.maxLength(300))),
  /** `##contig` lines with a length, at most MAX_CONTIGS_KEPT. */
  contigs: z
    .array(z.object({ name: z.string().check(z.maxLength(256)), length: count() }))
    .check(z.maxLength(MAX_CONTIGS_KEPT)),
  /** The first unphased genotype ("/"), which a job without phasing cannot impute. */
  firstUnphased: z.nullable(z.object({ line: line(), sample: count() })),
});
export type VcfFacts = z.infer<typeof vcfFactsSchema>;
