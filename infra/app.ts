/**
 * The CDK app (`cdk.json` → `npx tsx infra/app.ts`): settings from context, one stack, and the cdk-nag
 * AWS Solutions checks on everything, so an unacknowledged finding fails `cdk synth`. After synthesis the
 * API's OpenAPI document is written into the assembly (`cdk.out/openapi.json`, infra/openapi-document.ts).
 */
import { App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { writeOpenApiDocument } from './openapi-document';
import { readSettings } from './settings';
import { ImputationGatewayStack } from './stack';

export function buildApp(app = new App()) {
  const settings = readSettings((key) => app.node.tryGetContext(key));
  const stack = new ImputationGatewayStack(app, settings.stackName, {
    settings,
    description: 'Federated genotype-imputation gateway (Michigan, TOPMed, H3Africa/AfriGen-D)',
  });
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  return { app, stack, settings };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { app, stack, settings } = buildApp();
  writeOpenApiDocument(app.synth().directory, settings, stack);
}
