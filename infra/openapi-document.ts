/**
 * Writes the API's OpenAPI document (shared/api/openapi.ts) into the cloud assembly at synth, as
 * `cdk.out/openapi.json`, beside the templates it describes: `npm run synth` produces both from the same
 * route table, and the document carries the deployment's own values (upload limit, catalog, region). It is
 * an artefact for clients (a console generates its typed calls from it), not a deployed resource: serving
 * it from API Gateway would inline ~200 KB into a mock integration for a file that only changes with a
 * deploy; the local stack serves it at GET /openapi.json.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Stack, Token } from 'aws-cdk-lib';
import { createOpenApiDocument, type OpenApiDocument, type OpenApiOptions } from '#shared/api/openapi';
import type { Settings } from './settings';

export const OPENAPI_FILE = 'openapi.json';

export function openApiOptions(settings: Settings, stack?: Stack): OpenApiOptions {
  const region = stack && !Token.isUnresolved(stack.region) ? stack.region : 'us-east-1';
  return {
    maxUploadBytes: settings.maxUploadBytes,
    serviceIds: settings.resolvedCatalog.map((service) => service.id),
    servers: [
      {
        url: 'https://{apiId}.execute-api.{region}.amazonaws.com/v1',
        description: `The deployed stage of ${settings.stackName} (its ApiUrl output)`,
        variables: { apiId: { default: 'your-api-id' }, region: { default: region } },
      },
    ],
  };
}

/** Writes `<outdir>/openapi.json` and returns the document. */
export function writeOpenApiDocument(outdir: string, settings: Settings, stack?: Stack): OpenApiDocument {
  const document = createOpenApiDocument(openApiOptions(settings, stack));
  writeFileSync(join(outdir, OPENAPI_FILE), `${JSON.stringify(document, null, 2)}\n`);
  return document;
}
