/**
 * Every `error.code` the API answers, with the HTTP status it comes with and what it tells a client. The
 * route table names, per route, the codes its handler can answer; the OpenAPI document adds the ones every
 * route shares (the gateway's, the HTTP stack's) and turns each status into a response whose `code` is an
 * enum of exactly those codes. A unit test scans the sources for codes thrown and finds each of them here.
 */

export interface ErrorCodeInfo {
  /** The statuses this code comes with (one, except the gateway's own failures). */
  statuses: readonly number[];
  description: string;
}

export const errorCodes = {
  BAD_REQUEST: {
    statuses: [400],
    description: 'The request is malformed (e.g. invalid URL encoding); answered by the gateway',
  },
  VALIDATION_FAILED: {
    statuses: [400],
    description: 'A path, query, header or body value is invalid; `details` lists every problem',
  },
  INVALID_JSON: { statuses: [400], description: 'The request body is not valid JSON' },
  UNAUTHORIZED: {
    statuses: [401],
    description: 'No bearer token, or one that is malformed, forged or expired; answered by the gateway',
  },
  SERVICE_NOT_FOUND: {
    statuses: [404],
    description: 'No imputation service with this id in this deployment',
  },
  CREDENTIAL_NOT_FOUND: { statuses: [404], description: 'The caller has no token stored for this service' },
  UPLOAD_NOT_FOUND: { statuses: [404], description: 'The caller has no upload with this id' },
  JOB_NOT_FOUND: { statuses: [404], description: 'The caller has no job with this id' },
  SERVICE_TOKEN_MISSING: {
    statuses: [409],
    description:
      'The caller has no token stored for the service: store one with PUT /me/credentials/{serviceId}',
  },
  IDEMPOTENCY_KEY_REUSED: {
    statuses: [409],
    description: 'This Idempotency-Key was already used for a different job request',
  },
  UPLOAD_NOT_READY: {
    statuses: [409],
    description: 'An upload has not been PUT yet, or its stored size differs from the announced one',
  },
  JOB_FINISHED: { statuses: [409], description: 'The job has already finished (or is copying its results)' },
  JOB_STATE_CHANGED: { statuses: [409], description: 'The job changed state while cancelling; try again' },
  RESULTS_NOT_READY: {
    statuses: [409],
    description: 'The job is still running: results are listed once it ends',
  },
  JOB_ACTIVE: { statuses: [409], description: 'The job is still active: cancel it first' },
  PAYLOAD_TOO_LARGE: { statuses: [413], description: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: {
    statuses: [415],
    description: 'The request body must be sent as application/json',
  },
  SERVICE_TOKEN_INVALID: {
    statuses: [422],
    description: 'The service did not accept the token (invalid, revoked or replaced by a newer one)',
  },
  SERVICE_TOKEN_EXPIRED: { statuses: [422], description: 'The token has expired' },
  SERVICE_TOKEN_REJECTED: {
    statuses: [422],
    description: 'The service refused the stored token on an earlier call: store a new one',
  },
  THROTTLED: {
    statuses: [429],
    description: "Too many requests: the stage's rate limit; slow down and retry",
  },
  INTERNAL: {
    statuses: [500],
    description: 'An unexpected error of ours; `requestId` identifies it in the logs',
  },
  GATEWAY_ERROR: {
    statuses: [500, 502, 504],
    description:
      'The gateway could not get an answer: the authorizer failed (500), the function failed (502) or ran ' +
      'past the 29 s integration timeout (504); retry later',
  },
  SERVICE_UNAVAILABLE: {
    statuses: [502],
    description: 'The imputation service is not reachable right now; retry later',
  },
  SERVICE_REJECTED: {
    statuses: [502],
    description: 'The imputation service refused the request (its message)',
  },
  SERVICE_PROTOCOL_ERROR: {
    statuses: [502],
    description: 'The imputation service sent an answer we could not understand',
  },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof errorCodes;

/**
 * What any route can answer: the gateway's refusals (malformed request, bearer token, throttling), its
 * own failures, and the HTTP stack's 500 for anything unexpected.
 */
export const everyRouteErrors: readonly ErrorCode[] = [
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'THROTTLED',
  'INTERNAL',
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
