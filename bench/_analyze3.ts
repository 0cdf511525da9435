import { build } from 'esbuild';
import { esbuildOptionsAsDeployed } from '#infra/constructs/bundling';
const entry = process.argv[2]!;
const r = await build({ ...esbuildOptionsAsDeployed(), entryPoints: [entry], write: false, outfile: '/tmp/x/index.mjs', metafile: true, logLevel: 'error' });
const out = Object.values(r.metafile.outputs).find(o => o.entryPoint)!;
const s = new Map<string, number>();
for (const [p, v] of Object.entries(out.inputs)) { const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)/.exec(p); const k = m ? m[1]! : '(ours)'; s.set(k, (s.get(k) ?? 0) + v.bytesInOutput); }
for (const [k, b] of [...s].sort((a, b) => b[1] - a[1])) console.log((b/1024).toFixed(1).padStart(7), k);
