/**
 * The route table: the single source of truth for which handler serves which method and path, what each
 * handler may touch, and what it accepts and answers. The CDK stack builds API Gateway resources,
 * functions and IAM grants from it; the local stack routes requests with it; the OpenAPI document
 * (shared/api/openapi.ts) is generated from it. Adding a route here is the only way to add a route.
 * (About 430 lines: one table for all of it is worth more than a split.)
 */
import type * as z from 'zod/mini';
import type { TableAction } from '#shared/aws/table-definition';
import { createJobBodySchema, jobIdPath, resubmitJobBodySchema } from '#shared/jobs/job-request';
import type { ErrorCode } from './error-codes';
import {
  completeUploadBody,
  createJobHeaders,
  createUploadBody,
  listJobsQuery,
  listUploadsQuery,
  putCredentialBody,
  serviceIdPath,
  signPartsBody,
  storedServiceIdPath,
  uploadIdPath,
} from './requests';
import * as body from './responses';

/** What a handler needs beyond its own code; the CDK turns each entry into a least-privilege grant. */
export interface RouteAccess {
  /** The jobs/credentials table: exactly the actions the handler issues. */
  table?: readonly TableAction[];
  /** Per-user service tokens in Secrets Manager (under the users/ prefix only). */
  secrets?: 'read' | 'readWrite';
  /** The inputs bucket (under inputs/ only): what the handler does there (InputsBucketAccess). */
  inputsBucket?: readonly InputsBucketAccess[];
  /** The results bucket: `read` presigns downloads, `delete` lists and deletes a job's results. */
  resultsBucket?: 'read' | 'delete';
  /** The job workflow: start executions, stop them. */
  stateMachine?: Array<'start' | 'stop'>;
  /** The deployment key the result zip passwords are derived from. */
  resultPasswordKey?: 'read';
}

/**
 * What a handler may do in the inputs bucket: `read` confirms objects (HEAD/GET); `put` signs PUTs and
 * part uploads and creates and completes multipart uploads (all s3:PutObject); `listParts` lists the parts
 * of a multipart upload; `abort` discards one; `delete` deletes an object; `tag` sets an object's
 * retention tag (shared/uploads/input-retention.ts: confirming an upload, holding a job's inputs).
 */
export type InputsBucketAccess = 'read' | 'put' | 'listParts' | 'abort' | 'delete' | 'tag';

export interface RouteDefinition {
  /** Stable id, used for construct ids and function names (camelCase). */
  id: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** API Gateway path with `{param}` placeholders. */
  path: string;
  /** Handler module, relative to the repository root; it exports `handler`. */
  entry: string;
  description: string;
  access: RouteAccess;
  /** Handlers that call an external imputation service need time for its slow answers. */
  timeoutSeconds?: number;
  /** Title of the operation in the API document. */
  summary: string;
  /** The schemas the handler validates with: the very objects its module exports as `request`. */
  request: RouteRequest;
  /** Success answers by status. */
  responses: Partial<Record<200 | 201 | 202 | 204, RouteResponse>>;
  /**
   * Error codes the handler can answer (shared/api/error-codes.ts). The document adds those of every
   * route (gateway, authorizer, unexpected errors) and, for routes with a body, the body parser's.
   */
  errors: readonly ErrorCode[];
}

export interface RouteRequest {
  body?: z.core.$ZodType;
  /** The body may be left out (then it is `{}`); the document marks it not required. */
  optionalBody?: true;
  path?: z.core.$ZodObject;
  query?: z.core.$ZodObject;
  headers?: z.core.$ZodObject;
}

export interface RouteResponse {
  description: string;
  /** JSON body; none for 204. */
  body?: z.core.$ZodType;
  headers?: z.core.$ZodObject;
}

/** A call to the imputation service (to verify a token, to read options). */
const serviceErrors: readonly ErrorCode[] = [
  'SERVICE_TOKEN_INVALID',
  'SERVICE_UNAVAILABLE',
  'SERVICE_REJECTED',
  'SERVICE_PROTOCOL_ERROR',
];
/** Using the caller's stored token: none, expired, or refused by the service before. */
const storedTokenErrors: readonly ErrorCode[] = [
  'SERVICE_TOKEN_MISSING',
  'SERVICE_TOKEN_EXPIRED',
  'SERVICE_TOKEN_REJECTED',
];
const jobErrors: readonly ErrorCode[] = ['VALIDATION_FAILED', 'JOB_NOT_FOUND'];
/** A request about the parts of one of the caller's uploads, which must still be pending. */
const multipartErrors: readonly ErrorCode[] = [
  'VALIDATION_FAILED',
  'UPLOAD_NOT_FOUND',
  'UPLOAD_COMPLETED',
  'UPLOAD_ABORTED',
];

export const routes: readonly RouteDefinition[] = [
  {
    id: 'listServices',
    method: 'GET',
    path: '/services',
    entry: 'functions/api/services/list-services.ts',
    description: 'List the imputation services this deployment can submit to',
    access: { table: ['GetItem', 'Query'] },
    summary: 'List services',
    request: {},
    responses: { 200: { description: 'The services', body: body.serviceListSchema } },
    errors: [],
  },
  {
    id: 'getService',
    method: 'GET',
    path: '/services/{serviceId}',
    entry: 'functions/api/services/get-service.ts',
    description: 'One imputation service, with whether the caller has a token for it',
    access: { table: ['GetItem'] },
    summary: 'Get a service',
    request: { path: serviceIdPath },
    responses: { 200: { description: 'The service', body: body.serviceSchema } },
    errors: ['SERVICE_NOT_FOUND'],
  },
  {
    id: 'getServiceOptions',
    method: 'GET',
    path: '/services/{serviceId}/options',
    entry: 'functions/api/services/get-service-options.ts',
    description: 'Reference panels, populations, builds, phasing and modes available to the caller',
    access: { table: ['GetItem', 'UpdateItem'], secrets: 'read' },
    timeoutSeconds: 29,
    summary: "Get a service's options",
    request: { path: serviceIdPath },
    responses: {
      200: {
        description: 'The options; cached for 5 minutes per caller and token',
        body: body.serviceOptionsSchema,
        headers: body.optionsCacheHeaders,
      },
    },
    errors: ['SERVICE_NOT_FOUND', ...storedTokenErrors, ...serviceErrors],
  },
  {
    id: 'listPanels',
    method: 'GET',
    path: '/panels',
    entry: 'functions/api/services/list-panels.ts',
    description:
      'The reference panels of the services where the caller holds a token, equivalent ones grouped by ' +
      "`panelKey` with each service's own id; services that cannot say now are in `unavailable`, with why",
    access: { table: ['GetItem', 'UpdateItem'], secrets: 'read' },
    timeoutSeconds: 29,
    summary: 'List panels across services',
    request: {},
    responses: {
      200: {
        description: "The caller's panels, read with their tokens (each service's options cached 5 minutes)",
        body: body.panelListSchema,
      },
    },
    errors: [],
  },
  {
    id: 'listCredentials',
    method: 'GET',
    path: '/me/credentials',
    entry: 'functions/api/credentials/list-credentials.ts',
    description: "The caller's stored service tokens (metadata only)",
    access: { table: ['Query'] },
    summary: 'List my service tokens',
    request: {},
    responses: { 200: { description: 'The stored tokens (metadata)', body: body.credentialListSchema } },
    errors: [],
  },
  {
    id: 'putCredential',
    method: 'PUT',
    path: '/me/credentials/{serviceId}',
    entry: 'functions/api/credentials/put-credential.ts',
    description: 'Verify a service token at the service and store it',
    access: { table: ['GetItem', 'UpdateItem'], secrets: 'readWrite' },
    timeoutSeconds: 29,
    summary: 'Store a service token',
    request: { path: serviceIdPath, body: putCredentialBody },
    responses: {
      200: { description: 'Verified; it replaced the stored token', body: body.credentialSchema },
      201: { description: 'Verified and stored', body: body.credentialSchema },
    },
    errors: ['VALIDATION_FAILED', 'SERVICE_NOT_FOUND', 'SERVICE_TOKEN_EXPIRED', ...serviceErrors],
  },
  {
    id: 'deleteCredential',
    method: 'DELETE',
    path: '/me/credentials/{serviceId}',
    entry: 'functions/api/credentials/delete-credential.ts',
    description: "Delete the caller's token for a service",
    access: { table: ['DeleteItem'], secrets: 'readWrite' },
    summary: 'Delete a service token',
    request: { path: storedServiceIdPath },
    responses: { 204: { description: 'Deleted (secret and metadata)' } },
    errors: ['VALIDATION_FAILED', 'CREDENTIAL_NOT_FOUND'],
  },
  {
    id: 'createUpload',
    method: 'POST',
    path: '/uploads',
    entry: 'functions/api/uploads/create-upload.ts',
    description:
      'Announce an input VCF: up to the multipart threshold a presigned PUT bound to its size and checksum, ' +
      'above it a multipart upload plan (`transfer`)',
    access: { table: ['BatchGetItem', 'GetItem', 'PutItem', 'UpdateItem'], inputsBucket: ['put'] },
    summary: 'Announce an upload',
    request: { body: createUploadBody },
    responses: {
      201: {
        description:
          'Announced: PUT the bytes to `uploadUrl`, or sign and PUT its parts (`transfer: multipart`)',
        body: body.createdUploadSchema,
      },
    },
    errors: ['VALIDATION_FAILED', 'QUOTA_EXCEEDED'],
  },
  {
    id: 'listUploads',
    method: 'GET',
    path: '/uploads',
    entry: 'functions/api/uploads/list-uploads.ts',
    description: "The caller's uploads, newest first (abandoned ones left out)",
    access: { table: ['Query'] },
    summary: 'List my uploads',
    request: { query: listUploadsQuery },
    responses: { 200: { description: 'A page of uploads', body: body.uploadListSchema } },
    errors: ['VALIDATION_FAILED'],
  },
  {
    id: 'getUpload',
    method: 'GET',
    path: '/uploads/{uploadId}',
    entry: 'functions/api/uploads/get-upload.ts',
    description: 'One upload, confirmed against S3',
    access: { table: ['GetItem', 'UpdateItem'], inputsBucket: ['read', 'tag'], stateMachine: ['start'] },
    summary: 'Get an upload',
    request: { path: uploadIdPath },
    responses: {
      200: { description: 'The upload, confirmed against S3', body: body.uploadWithProblemSchema },
    },
    errors: ['VALIDATION_FAILED', 'UPLOAD_NOT_FOUND'],
  },
  {
    id: 'deleteUpload',
    method: 'DELETE',
    path: '/uploads/{uploadId}',
    entry: 'functions/api/uploads/delete-upload.ts',
    description: 'Abandon a pending upload: S3 discards its parts or object, and no job can use it',
    access: { table: ['GetItem', 'UpdateItem'], inputsBucket: ['abort', 'delete'] },
    summary: 'Abandon an upload',
    request: { path: uploadIdPath },
    responses: { 204: { description: 'Abandoned (also when it was already)' } },
    errors: ['VALIDATION_FAILED', 'UPLOAD_NOT_FOUND', 'UPLOAD_COMPLETED'],
  },
  {
    id: 'signUploadParts',
    method: 'POST',
    path: '/uploads/{uploadId}/parts',
    entry: 'functions/api/uploads/sign-upload-parts.ts',
    description:
      "Presigned PUTs for parts of a pending multipart upload, each bound to its part's length and, when " +
      'given, its SHA-256',
    // s3:PutObject covers creating the S3 multipart upload and signing its parts; a request that loses
    // the race to create it discards its own.
    access: { table: ['GetItem', 'UpdateItem'], inputsBucket: ['put', 'abort'] },
    summary: 'Sign part uploads',
    request: { path: uploadIdPath, body: signPartsBody },
    responses: {
      200: { description: 'PUT each part to its `url` with its `headers`', body: body.signedPartsSchema },
    },
    errors: [...multipartErrors, 'UPLOAD_NOT_MULTIPART'],
  },
  {
    id: 'listUploadParts',
    method: 'GET',
    path: '/uploads/{uploadId}/parts',
    entry: 'functions/api/uploads/list-upload-parts.ts',
    description: 'The parts S3 already stores of a pending multipart upload (to resume it)',
    access: {
      table: ['GetItem', 'UpdateItem'],
      inputsBucket: ['listParts', 'read', 'tag'],
      stateMachine: ['start'],
    },
    summary: 'List uploaded parts',
    request: { path: uploadIdPath },
    responses: { 200: { description: 'The stored parts', body: body.storedPartsSchema } },
    errors: [...multipartErrors, 'UPLOAD_NOT_MULTIPART', 'UPLOAD_PARTS_INVALID'],
  },
  {
    id: 'completeUpload',
    method: 'POST',
    path: '/uploads/{uploadId}/complete',
    entry: 'functions/api/uploads/complete-upload.ts',
    description:
      'Assemble the parts of a multipart upload and confirm the object (READY); answers the state of an ' +
      'upload completed already',
    access: {
      table: ['GetItem', 'UpdateItem'],
      inputsBucket: ['listParts', 'put', 'read', 'tag'],
      stateMachine: ['start'],
    },
    // S3 may take a while to assemble thousands of parts; a retry after a timeout answers the outcome.
    timeoutSeconds: 29,
    summary: 'Complete a multipart upload',
    request: { path: uploadIdPath, body: completeUploadBody },
    responses: {
      200: { description: 'The upload, confirmed against S3', body: body.completedUploadSchema },
    },
    errors: [...multipartErrors, 'UPLOAD_NOT_MULTIPART', 'UPLOAD_PARTS_INVALID'],
  },
  {
    id: 'createJob',
    method: 'POST',
    path: '/jobs',
    entry: 'functions/api/jobs/create-job.ts',
    description:
      'Create an imputation job from confirmed uploads and start its workflow: at a service (`serviceId`, ' +
      '`refPanel`), by `panel` (the gateway picks), or with `targets`: a parent job and one child job per ' +
      'target (a refused target is named)',
    access: {
      table: ['BatchGetItem', 'GetItem', 'PutItem', 'UpdateItem'],
      secrets: 'read',
      inputsBucket: ['read', 'tag'],
      stateMachine: ['start'],
    },
    timeoutSeconds: 29,
    summary: 'Create a job',
    request: { body: createJobBodySchema, headers: createJobHeaders },
    responses: {
      200: {
        description:
          'The job (or parent job) this Idempotency-Key created before; a parent with children missing gets them',
        body: body.jobOrParentSchema,
        headers: body.jobLocationHeaders,
      },
      202: {
        description: 'Created; its workflow runs (with `targets`: the parent job, each child running)',
        body: body.jobOrParentSchema,
        headers: body.jobLocationHeaders,
      },
    },
    errors: [
      'VALIDATION_FAILED',
      'IDEMPOTENCY_KEY_REUSED',
      'SERVICE_NOT_FOUND',
      ...storedTokenErrors,
      ...serviceErrors,
      'UPLOAD_NOT_FOUND',
      'UPLOAD_NOT_READY',
      'UPLOAD_EXPIRED',
      'INPUT_INVALID',
      'NO_SERVICE_FOR_PANEL',
      'QUOTA_EXCEEDED',
    ],
  },
  {
    id: 'listJobs',
    method: 'GET',
    path: '/jobs',
    entry: 'functions/api/jobs/list-jobs.ts',
    description: "The caller's jobs, newest first, optionally filtered by status",
    access: { table: ['GetItem', 'Query'] },
    summary: 'List my jobs',
    request: { query: listJobsQuery },
    responses: { 200: { description: 'A page of jobs', body: body.jobListSchema } },
    errors: ['VALIDATION_FAILED'],
  },
  {
    id: 'getJob',
    method: 'GET',
    path: '/jobs/{jobId}',
    entry: 'functions/api/jobs/get-job.ts',
    description:
      'One job with progress, messages, history, error and results; a parent job with its derived status and children',
    access: { table: ['GetItem'] },
    summary: 'Get a job',
    request: { path: jobIdPath },
    responses: { 200: { description: 'The job, or the parent job', body: body.jobOrParentSchema } },
    errors: jobErrors,
  },
  {
    id: 'cancelJob',
    method: 'POST',
    path: '/jobs/{jobId}/cancel',
    entry: 'functions/api/jobs/cancel-job.ts',
    description:
      'Cancel a job (our workflow before submission, the service job after); a parent job: each active child, reported per child',
    access: { table: ['GetItem', 'UpdateItem'], secrets: 'read', stateMachine: ['stop'] },
    timeoutSeconds: 29,
    summary: 'Cancel a job',
    request: { path: jobIdPath },
    responses: {
      202: {
        description:
          "`CANCELED`, or `CANCEL_REQUESTED` until the service confirms; a parent job with `cancel`: each child's outcome",
        body: body.jobCancelSchema,
      },
    },
    errors: [...jobErrors, 'JOB_FINISHED', 'JOB_STATE_CHANGED'],
  },
  {
    id: 'resubmitJob',
    method: 'POST',
    path: '/jobs/{jobId}/resubmit',
    entry: 'functions/api/jobs/resubmit-job.ts',
    description:
      'A new job from the uploads and options of a finished one, at its service, at another with an ' +
      'equivalent panel (`serviceId`) or where the gateway picks (`panel`); linked both ways. The body may ' +
      'be left out',
    access: {
      table: ['BatchGetItem', 'GetItem', 'PutItem', 'UpdateItem'],
      secrets: 'read',
      inputsBucket: ['read', 'tag'],
      stateMachine: ['start'],
    },
    timeoutSeconds: 29,
    summary: 'Resubmit a job',
    request: { path: jobIdPath, body: resubmitJobBodySchema, optionalBody: true, headers: createJobHeaders },
    responses: {
      200: {
        description: 'The job this Idempotency-Key created before',
        body: body.jobSchema,
        headers: body.jobLocationHeaders,
      },
      202: {
        description: 'The new job; its workflow runs',
        body: body.jobSchema,
        headers: body.jobLocationHeaders,
      },
    },
    errors: [
      ...jobErrors,
      'JOB_ACTIVE',
      'JOB_IS_PARENT',
      'IDEMPOTENCY_KEY_REUSED',
      'SERVICE_NOT_FOUND',
      ...storedTokenErrors,
      ...serviceErrors,
      'UPLOAD_NOT_READY',
      'UPLOAD_EXPIRED',
      'INPUT_INVALID',
      'NO_SERVICE_FOR_PANEL',
      'QUOTA_EXCEEDED',
    ],
  },
  {
    id: 'getJobResults',
    method: 'GET',
    path: '/jobs/{jobId}/results',
    entry: 'functions/api/jobs/get-job-results.ts',
    description: 'Presigned download URLs of the result files',
    access: { table: ['GetItem'], resultsBucket: 'read' },
    summary: "Get a job's results",
    request: { path: jobIdPath },
    responses: { 200: { description: 'The result files', body: body.jobResultsSchema } },
    errors: [...jobErrors, 'RESULTS_NOT_READY', 'JOB_IS_PARENT'],
  },
  {
    id: 'getJobPassword',
    method: 'GET',
    path: '/jobs/{jobId}/password',
    entry: 'functions/api/jobs/get-job-password.ts',
    description: 'The result zip password (owner only)',
    access: { table: ['GetItem'], resultPasswordKey: 'read' },
    summary: "Get a job's zip password",
    request: { path: jobIdPath },
    responses: { 200: { description: 'The password', body: body.jobPasswordSchema } },
    errors: [...jobErrors, 'JOB_IS_PARENT'],
  },
  {
    id: 'deleteJob',
    method: 'DELETE',
    path: '/jobs/{jobId}',
    entry: 'functions/api/jobs/delete-job.ts',
    description:
      'Delete a finished job and its results; a parent job once every child has ended, with all its children ' +
      '(a child alone is refused: 409 CONFLICT)',
    // PutItem: a deleted job's unpublished events move to an item of their own (job-repository.ts).
    access: { table: ['GetItem', 'PutItem', 'DeleteItem'], resultsBucket: 'delete' },
    summary: 'Delete a job',
    request: { path: jobIdPath },
    responses: { 204: { description: 'Deleted, with its result files (a parent: with every child)' } },
    errors: [...jobErrors, 'JOB_ACTIVE', 'CONFLICT'],
  },
];

/** Matches a concrete path against the table, returning the route and its path parameters. */
export function matchRoute(
  method: string,
  path: string,
): { route: RouteDefinition; pathParameters: Record<string, string> } | undefined {
  const segments = path.split('/').filter(Boolean);
  for (const route of routes) {
    if (route.method !== method.toUpperCase()) continue;
    const pattern = route.path.split('/').filter(Boolean);
    if (pattern.length !== segments.length) continue;
    const pathParameters: Record<string, string> = {};
    const matches = pattern.every((part, index) => {
      const segment = segments[index]!;
      if (part.startsWith('{') && part.endsWith('}')) {
        pathParameters[part.slice(1, -1)] = segment;
        return true;
      }
      return part === segment;
    });
    if (matches) return { route, pathParameters };
  }
  return undefined;
}
