import { build } from 'esbuild';
import { esbuildOptionsAsDeployed } from '#infra/constructs/bundling';
const entry = process.argv[2]!;
const r = await build({ ...esbuildOptionsAsDeployed(), entryPoints: [entry], write: false, outfile: '/tmp/x/index.mjs', metafile: true, logLevel: 'error' });
const out = Object.values(r.metafile.outputs).find(o => o.entryPoint)!;
const rows = Object.entries(out.inputs).map(([p, v]) => [p.replace(/.*node_modules\//, ''), v.bytesInOutput] as const).sort((a, b) => b[1] - a[1]);
for (const [p, b] of rows.slice(0, Number(process.argv[3] ?? 40))) console.log((b/1024).toFixed(1).padStart(7), p);
