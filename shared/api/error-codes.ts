/**
 * Every `error.code` the API answers, with the HTTP status it comes with and what it tells a client. The
 * route table names, per route, the codes its handler can answer; the OpenAPI document adds the ones every
 * route shares (the gateway's, the HTTP stack's) and turns each status into a response whose `code` is an
 * enum of exactly those codes. A unit test scans the sources for codes thrown and finds each of them here.
 */
import type { ErrorCode as DomainErrorCode } from '#shared/errors';
import { httpStatusOf } from '#shared/http/status-codes';

export interface ErrorCodeInfo {
  /** The statuses this code comes with (one, except the gateway's own failures). */
  statuses: readonly number[];
  description: string;
}

/**
 * What each code of the domain's vocabulary (shared/errors.ts, shared/cloudgene/errors.ts) tells a
 * client. Its status is not repeated here: it is the one shared/http/status-codes.ts maps it to.
 */
const domainDescriptions = {
  BAD_REQUEST: 'The request is malformed (e.g. invalid URL encoding); answered by the gateway',
  VALIDATION_FAILED: 'A path, query, header or body value is invalid; `details` lists every problem',
  INVALID_JSON: 'The request body is not valid JSON',
  UNSUPPORTED_MEDIA_TYPE: 'The request body must be sent as application/json',
  NOT_FOUND: "Not found (or not the caller's: the API never confirms either way)",
  SERVICE_NOT_FOUND: 'No imputation service with this id in this deployment',
  CREDENTIAL_NOT_FOUND: 'The caller has no token stored for this service',
  UPLOAD_NOT_FOUND: 'The caller has no upload with this id',
  JOB_NOT_FOUND: 'The caller has no job with this id',
  CONFLICT: 'The current state of the resource does not allow this',
  SERVICE_TOKEN_MISSING:
    'The caller has no token stored for the service: store one with PUT /me/credentials/{serviceId}',
  IDEMPOTENCY_KEY_REUSED: 'This Idempotency-Key was already used for a different job request',
  UPLOAD_NOT_READY:
    'An upload has not been PUT (or completed) yet, was abandoned, or its stored size differs from the announced one',
  UPLOAD_COMPLETED: 'The upload is complete (READY): it has no parts any more and can no longer be abandoned',
  UPLOAD_ABORTED: 'The upload was abandoned, or S3 discarded its unfinished parts: announce the file again',
  UPLOAD_NOT_MULTIPART: 'The upload is a single presigned PUT (`transfer: single`): it has no parts',
  UPLOAD_PARTS_INVALID:
    'The listed parts are not what S3 stores (missing, changed, too small or out of order); `details` says which',
  UPLOAD_EXPIRED:
    'An input upload is no longer kept, or was uploaded too long ago to be kept for another job (inputs are kept at most a fixed number of days after upload): upload the file again',
  NO_SERVICE_FOR_PANEL:
    'No service can take the job for this panel now: `details.considered` says, per service, why not (down, in maintenance, no usable token, panel or options not offered)',
  INPUT_INVALID:
    "The uploads' own checks already show the job cannot run: `message` has one line per problem (file, line, what to do), `details` lists them",
  JOB_FINISHED: 'The job has already finished (or is copying its results)',
  JOB_STATE_CHANGED: 'The job changed state while cancelling; try again',
  RESULTS_NOT_READY: 'The job is still running: results are listed once it ends',
  JOB_ACTIVE: 'The job is still active: cancel it first',
  JOB_IS_PARENT:
    'The job is a parent of several jobs (`kind: parent`): it has no results, password or resubmission of its own; ask its children',
  SERVICE_TOKEN_INVALID: 'The service did not accept the token (invalid, revoked or replaced by a newer one)',
  SERVICE_TOKEN_EXPIRED: 'The token has expired',
  SERVICE_TOKEN_REJECTED: 'The service refused the stored token on an earlier call: store a new one',
  QUOTA_EXCEEDED:
    'A per-user quota is reached (active jobs, pending uploads or stored bytes): `message` names the limit, its value and what frees it, `details` has `quota`, `limit`, `used`, `retryAfterSeconds` (and `freesAt` when known); retry after the `Retry-After` seconds',
  INTERNAL: 'An unexpected error of ours; `requestId` identifies it in the logs',
  TEMPORARILY_UNAVAILABLE:
    'AWS throttled or failed the gateway beyond its retries; retry after the `Retry-After` seconds',
  SERVICE_ERROR: 'The imputation service failed in a way we could not place more precisely',
  SERVICE_UNAVAILABLE: 'The imputation service is not reachable right now; retry later',
  SERVICE_REJECTED: 'The imputation service refused the request (its message)',
  SERVICE_PROTOCOL_ERROR: 'The imputation service sent an answer we could not understand',
  CONCURRENCY_LIMIT: "The service's per-user job limit is reached (the workflow waits; no route answers it)",
  DOWNLOADS_EXHAUSTED: 'The service allows no more downloads of a result file (no route answers it)',
} as const satisfies Record<DomainErrorCode, string>;

/** Codes only API Gateway or the HTTP server answers, never our code: their statuses are theirs. */
const gatewayCodes = {
  UNAUTHORIZED: {
    statuses: [401],
    description: 'No bearer token, or one that is malformed, forged or expired; answered by the gateway',
  },
  PAYLOAD_TOO_LARGE: { statuses: [413], description: 'The request body is too large' },
  THROTTLED: {
    statuses: [429],
    description:
      "Too many requests: the stage's rate limit, or one caller's (per bearer token and minute, with `Retry-After`); slow down and retry",
  },
  GATEWAY_ERROR: {
    statuses: [500, 502, 504],
    description:
      'The gateway could not get an answer: the authorizer failed (500), the function failed (502) or ran ' +
      'past the 29 s integration timeout (504); retry later',
  },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = DomainErrorCode | keyof typeof gatewayCodes;

/** Every code the API answers, with its statuses (the domain's from the one code → status map). */
export const errorCodes: Record<ErrorCode, ErrorCodeInfo> = {
  ...domainInfo(),
  ...gatewayCodes,
};

function domainInfo(): Record<DomainErrorCode, ErrorCodeInfo> {
  const info = {} as Record<DomainErrorCode, ErrorCodeInfo>;
  for (const code of Object.keys(domainDescriptions) as DomainErrorCode[]) {
    info[code] = { statuses: [httpStatusOf(code)], description: domainDescriptions[code] };
  }
  return info;
}

/**
 * What any route can answer: the gateway's refusals (malformed request, bearer token, throttling), its
 * own failures, and the HTTP stack's 500 for anything unexpected.
 */
export const everyRouteErrors: readonly ErrorCode[] = [
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'THROTTLED',
  'INTERNAL',
  'TEMPORARILY_UNAVAILABLE',
  'GATEWAY_ERROR',
];

/** What a route that takes a JSON body can answer besides: the body parser's and the gateway's size limit. */
export const bodyRouteErrors: readonly ErrorCode[] = [
  'INVALID_JSON',
  'UNSUPPORTED_MEDIA_TYPE',
  'PAYLOAD_TOO_LARGE',
];

/**
 * Answers that belong to no route, for the document's introduction: a preflight refused, a path or method
 * the table does not have, and the HTTP server refusing a request before it is routed.
 */
export const unroutedErrors = [
  { status: 403, code: 'FORBIDDEN', description: 'A CORS preflight from an origin that is not allowed' },
  { status: 404, code: 'NOT_FOUND', description: 'No such route (path or method)' },
  { status: 408, code: 'REQUEST_TIMEOUT', description: 'The request was not received in time' },
  { status: 431, code: 'REQUEST_HEADER_FIELDS_TOO_LARGE', description: 'The request headers are too large' },
] as const;
