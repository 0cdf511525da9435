import { build } from 'esbuild';
import { esbuildOptionsAsDeployed } from '#infra/constructs/bundling';
import { routes } from '#shared/api/routes';
import { workflowTasks } from '#shared/workflow/tasks';
const entries = [{ id: 'authorizer', entry: 'functions/authorizer/handler.ts' }, ...routes.map(r=>({id:r.id,entry:r.entry})), ...workflowTasks.map(t=>({id:t.id,entry:t.entry}))];
const only = process.argv[2];
for (const { id, entry } of entries) {
  if (only && id !== only) continue;
  const r = await build({ ...esbuildOptionsAsDeployed(), entryPoints: [entry], write: false, outfile: '/tmp/x/index.mjs', metafile: true, logLevel: 'error' });
  const out = Object.values(r.metafile.outputs).find(o => o.entryPoint)!;
  const groups = new Map<string, number>();
  for (const [path, v] of Object.entries(out.inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    const key = m ? m[1]! : path.startsWith('shared') || path.startsWith('functions') ? '(ours)' : path;
    groups.set(key, (groups.get(key) ?? 0) + v.bytesInOutput);
  }
  const top = [...groups].sort((a, b) => b[1] - a[1]).slice(0, only ? 30 : 6).map(([k, v]) => `${k}=${(v/1024).toFixed(0)}`).join(' ');
  console.log(`${id.padEnd(20)} ${(out.bytes/1024).toFixed(0).padStart(5)} KiB  ${top}`);
}
