/**
 * The benches bundle handlers exactly as `cdk deploy` does: the options live in
 * infra/constructs/bundling.ts, which the stack reads too, so the benches cannot drift from it.
 */

export { type Bundle, bundleAsDeployed } from '#infra/constructs/bundle-as-deployed';
export { DEPLOYED_NODE_OPTIONS, REPOSITORY_ROOT } from '#infra/constructs/bundling';
