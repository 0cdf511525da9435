/**
 * Writes a small, valid, bgzipped VCF to try the gateway with: `npm run --silent make-vcf -- out.vcf.gz`
 * (options: --samples N (default 50), --records N (default 2000), --build hg19|hg38 (default hg19)).
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { makeVcfGz } from '#test/support/vcf-fixtures';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    samples: { type: 'string', default: '50' },
    records: { type: 'string', default: '2000' },
    build: { type: 'string', default: 'hg19' },
  },
});
// npm runs scripts in the package root; write where the user typed the command.
const out = resolve(process.env.INIT_CWD ?? process.cwd(), positionals[0] ?? 'example.chr20.vcf.gz');
const data = makeVcfGz({
  samples: Number(values.samples),
  records: Number(values.records),
  chromosome: values.build === 'hg38' ? 'chr20' : '20',
});
writeFileSync(out, data);
console.error(
  `wrote ${out}: ${data.length} bytes, ${values.samples} samples, ${values.records} records, ${values.build}`,
);
