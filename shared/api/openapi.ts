/**
 * The OpenAPI 3.1 document of the API, generated from the route table and the same zod schemas the
 * handlers validate with (zod-openapi): every route with its parameters, headers and body, every success
 * answer with its schema and headers, and every error answer, one response per status whose `code` is an
 * enum of exactly the codes that route can answer there. `cdk synth` writes it to cdk.out/openapi.json
 * (infra/openapi-document.ts) and the local stack serves it at GET /openapi.json. Only infra/, the local
 * stack and tests import this module; no handler does, so it is in no Lambda bundle (test/infra checks).
 */
import * as z from 'zod/mini';
import {
  createDocument,
  type ZodOpenApiObject,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponseObject,
} from 'zod-openapi';
import { serviceIdSchema } from '#shared/catalog/service-catalog';
import { createJobBodySchema, jobIdSchema } from '#shared/jobs/job-request';
import { DEFAULT_MAX_UPLOAD_BYTES } from '#shared/uploads/s3-limits';
import { sha256Schema, uploadFileNameSchema, uploadIdSchema } from '#shared/uploads/uploads';
import packageJson from '../../package.json' with { type: 'json' };
import { bodyRouteErrors, type ErrorCode, errorCodes, everyRouteErrors, unroutedErrors } from './error-codes';
import { serviceIdPath, uploadSizeSchema } from './requests';
import { described } from './response-parts';
import { errorBodySchema, validationIssueSchema } from './responses';
import { type RouteDefinition, routes } from './routes';

type ServerObject = NonNullable<ZodOpenApiObject['servers']>[number];
export type OpenApiDocument = ReturnType<typeof createDocument>;

export interface OpenApiOptions {
  /** Where the API is; default: the deployed stage URL with the API id and region as variables. */
  servers?: ServerObject[];
  /** The deployment's largest upload (MAX_UPLOAD_BYTES), the documented maximum of an upload's `size`. */
  maxUploadBytes?: number;
  /** The deployment's catalog, listed as examples of `serviceId`. */
  serviceIds?: string[];
}

/** The settings' default (MAX_UPLOAD_BYTES, the deployment's `maxUploadBytes`): one number for all three. */
export { DEFAULT_MAX_UPLOAD_BYTES } from '#shared/uploads/s3-limits';

/** API Gateway's integration timeout: a function allowed to run this long may be answered with a 504. */
const INTEGRATION_TIMEOUT_SECONDS = 29;

const deployedServer: ServerObject = {
  url: 'https://{apiId}.execute-api.{region}.amazonaws.com/v1',
  description: 'The deployed stage (the stack output ApiUrl)',
  variables: { apiId: { default: 'your-api-id' }, region: { default: 'us-east-1' } },
};

export function createOpenApiDocument(options: OpenApiOptions = {}): OpenApiDocument {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes) {
    const method = route.method.toLowerCase() as 'get' | 'put' | 'post' | 'delete';
    paths[route.path] = { ...paths[route.path], [method]: operation(route) };
  }
  const extra = schemaMetadata(options);
  return createDocument(
    {
      openapi: '3.1.0',
      info: {
        title: 'Imputation Gateway API',
        version: packageJson.version,
        description: introduction(),
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      servers: options.servers ?? [deployedServer],
      security: [{ bearerAuth: [] }],
      tags: [
        { name: 'services', description: 'The imputation services of this deployment' },
        { name: 'credentials', description: "The caller's API tokens at the services" },
        { name: 'uploads', description: 'Input files, uploaded straight to S3' },
        { name: 'jobs', description: 'Imputation jobs and their results' },
      ],
      paths,
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: "A JWT of the platform's identity provider (Cognito or the configured OIDC issuer)",
          },
        },
        schemas: {
          Error: errorBodySchema,
          ValidationIssue: validationIssueSchema,
        },
      },
    },
    {
      // Descriptions and deployment values for schemas other modules own, without touching them.
      override: ({ jsonSchema, zodSchema }) => {
        const meta = extra.get(zodSchema);
        if (meta) Object.assign(jsonSchema, meta);
      },
    },
  );
}

function operation(route: RouteDefinition): ZodOpenApiOperationObject {
  const { body, path, query, headers } = route.request;
  const responses: Record<string, ZodOpenApiResponseObject> = {};
  for (const [status, answer] of Object.entries(route.responses)) {
    responses[status] = {
      description: answer.description,
      ...(answer.headers ? { headers: answer.headers } : {}),
      ...(answer.body ? { content: { 'application/json': { schema: answer.body } } } : {}),
    };
  }
  for (const [status, codes] of errorsByStatus(route)) {
    responses[String(status)] = {
      description: codes.map((code) => `\`${code}\`: ${errorCodes[code].description}`).join('\n\n'),
      ...(status === 429 || status === 503 ? { headers: retryAfterHeaders } : {}),
      content: { 'application/json': { schema: errorResponseSchema(status, codes) } },
    };
  }
  return {
    operationId: route.id,
    summary: route.summary,
    description: route.description,
    tags: [route.entry.split('/')[2]!],
    requestParams: {
      ...(path ? { path } : {}),
      ...(query ? { query } : {}),
      ...(headers ? { header: headers } : {}),
    },
    ...(body
      ? {
          requestBody: {
            required: !route.request.optionalBody,
            content: { 'application/json': { schema: body } },
          },
        }
      : {}),
    responses,
  };
}

/** The codes a route can answer, grouped by status in ascending order. */
export function errorsByStatus(route: RouteDefinition): [number, ErrorCode[]][] {
  const codes = new Set<ErrorCode>([
    ...everyRouteErrors,
    ...(route.request.body ? bodyRouteErrors : []),
    ...route.errors,
  ]);
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    for (const status of errorCodes[code].statuses) {
      if (status === 504 && (route.timeoutSeconds ?? 0) < INTEGRATION_TIMEOUT_SECONDS) continue;
      byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
    }
  }
  return [...byStatus.entries()].sort(([a], [b]) => a - b);
}

/** A quota refusal (429 QUOTA_EXCEEDED) and a busy gateway (503) say when to try again; the stage's own 429 does not. */
const retryAfterHeaders = z.strictObject({
  'Retry-After': z.optional(
    described(z.string().check(z.regex(/^\d+$/)), 'Seconds to wait before trying again'),
  ),
});

function errorResponseSchema(status: number, codes: ErrorCode[]) {
  const validation = codes.includes('VALIDATION_FAILED');
  return z.strictObject({
    error: z.strictObject({
      code: z.enum(codes as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      details: z.optional(validation ? z.array(validationIssueSchema) : z.unknown()),
      ...(status === 500 ? { requestId: z.optional(z.string()) } : {}),
    }),
  });
}

function schemaMetadata(options: OpenApiOptions): Map<unknown, Record<string, unknown>> {
  const serviceIds = options.serviceIds?.length ? { examples: options.serviceIds } : {};
  const job = createJobBodySchema.shape;
  return new Map<unknown, Record<string, unknown>>([
    [jobIdSchema, { description: 'A job id (a ULID)' }],
    [uploadIdSchema, { description: 'An upload id (a ULID)' }],
    [serviceIdSchema, { description: 'A service id', ...serviceIds }],
    [serviceIdPath.shape.serviceId, serviceIds],
    [uploadSizeSchema, { maximum: options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES }],
    [uploadFileNameSchema, { description: 'A plain file name ending in .vcf.gz: no folders, no ".."' }],
    [sha256Schema, { description: 'A SHA-256, hex or base64; the PUT it is given for must then carry it' }],
    [job.name, { description: 'A name for the job; no control characters' }],
    [
      job.serviceId,
      { description: 'The service to run the job at (with `refPanel`); leave out with `panel`' },
    ],
    [
      job.refPanel,
      { description: 'A panel id of the service options (its version may be left out); with `serviceId`' },
    ],
    [
      job.panel,
      {
        description:
          'Instead of `serviceId` and `refPanel`: a `panelKey` of GET /panels. The gateway picks a service that is UP ' +
          '(DEGRADED after), offers the panel with the options asked for, and holds your active token; the job ' +
          'records why (`routing`). None: 409 NO_SERVICE_FOR_PANEL',
      },
    ],
    [job.phasing, { description: 'A phasing id of the service options' }],
    [job.population, { description: 'A population id of the panel, or `off`' }],
    [job.mode, { description: 'A mode id of the service options' }],
    [job.r2Filter, { description: 'An r2 filter id of the service options; a number is sent as text' }],
    [job.uploadIds, { description: 'READY uploads of the caller, each at most once' }],
    [job.aesEncryption, { description: 'Ask the service for AES-encrypted result zips' }],
    [job.meta, { description: 'Ask the service for meta-imputation files' }],
  ]);
}

function introduction(): string {
  // The codes some route can answer; the vocabulary's others (e.g. the workflow's) never reach a caller.
  const answered = new Set(routes.flatMap((route) => errorsByStatus(route).flatMap(([, codes]) => codes)));
  const rows = Object.entries(errorCodes)
    .filter(([code]) => answered.has(code as ErrorCode))
    .map(([code, info]) => `| ${info.statuses.join(', ')} | \`${code}\` | ${info.description} |`);
  const unrouted = unroutedErrors.map((e) => `| ${e.status} | \`${e.code}\` | ${e.description} |`);
  return [
    'The federated genotype-imputation gateway: store your API token of an imputation service, upload VCFs',
    'straight to S3, run jobs at the service and download their results from our bucket.',
    '',
    "Every route needs `Authorization: Bearer <JWT>`; the caller is the token's `sub`. Another user's job,",
    'upload or token answers 404, never 403. Lists are newest first, paged with `limit` and `cursor`.',
    '',
    'Errors are always `{"error":{"code","message","details?"}}`; each response below lists the codes that',
    'route can answer with that status. All codes:',
    '',
    '| status | code | meaning |',
    '| --- | --- | --- |',
    ...rows,
    '',
    'Answered before a request reaches a route:',
    '',
    '| status | code | meaning |',
    '| --- | --- | --- |',
    ...unrouted,
  ].join('\n');
}
