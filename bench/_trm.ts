import { bundleAsDeployed } from '#infra/constructs/bundle-as-deployed';
import { execFileSync } from 'node:child_process';
const b = await bundleAsDeployed('bench/_tr.ts', '/tmp/trb');
console.log(b.bytes);
for (let i = 0; i < 7; i++) console.log(execFileSync('node_modules/node/bin/node', ['--enable-source-maps', '--input-type=module', '-e', `const t=performance.now(); await import('/tmp/trb/index.mjs'); console.log(performance.now()-t)`], { env: { PATH: process.env.PATH, AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR', AWS_LAMBDA_FUNCTION_NAME: 'f' }, encoding: 'utf8' }).trim());
