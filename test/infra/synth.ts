/**
 * Synthesizes the real app (with the cdk-nag checks applied by buildApp) once per set of context values,
 * shared by the infra tests. Bundling with esbuild is kept for one synthesis — proof that every handler
 * bundles — and skipped for the others (`aws:cdk:bundling-stacks: []`) to keep the suite fast. The console
 * deployed is a tiny fixture build (test/infra/fixtures/console), so no test needs `npm run build:web`.
 * Template.fromStack also refuses a template with a dependency cycle, which CloudFormation cannot deploy.
 */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Annotations, Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/app';

export const CONSOLE_FIXTURE = 'test/infra/fixtures/console';

export function synthesize(context: Record<string, unknown> = {}, options: { bundle?: boolean } = {}) {
  // The feature flags of cdk.json apply here as they do in `cdk synth`.
  const flags = (JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: Record<string, unknown> })
    .context;
  const app = new App({
    context: {
      ...flags,
      consoleDir: CONSOLE_FIXTURE,
      ...context,
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  const { stack, settings } = buildApp(app);
  const template = Template.fromStack(stack);
  return { app, stack, settings, template, annotations: Annotations.fromStack(stack) };
}
