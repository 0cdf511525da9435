/**
 * What the console says when the API refuses something: each code of the API's catalogue
 * (shared/api/error-codes.ts) as a sentence a researcher understands and what to do next. The API's own
 * message is kept as the detail (it often names the field or the service's words); raw JSON is never shown.
 */
export interface ErrorWording {
  title: string;
  /** What to do about it; empty when there is nothing to do but read the detail. */
  action: string;
  /** Whether trying the same thing again later can help. */
  retryable: boolean;
}

const wording: Record<string, ErrorWording> = {
  VALIDATION_FAILED: {
    title: 'Some values are not valid.',
    action: 'Correct them and try again.',
    retryable: false,
  },
  BAD_REQUEST: {
    title: 'The request was malformed.',
    action: 'Reload the page and try again.',
    retryable: false,
  },
  INVALID_JSON: {
    title: 'The request was malformed.',
    action: 'Reload the page and try again.',
    retryable: false,
  },
  UNSUPPORTED_MEDIA_TYPE: {
    title: 'The request was malformed.',
    action: 'Reload the page and try again.',
    retryable: false,
  },
  PAYLOAD_TOO_LARGE: {
    title: 'The request is too large.',
    action: 'Send fewer or smaller values.',
    retryable: false,
  },
  NOT_FOUND: {
    title: 'Not found.',
    action: 'It may have been deleted; go back to the list.',
    retryable: false,
  },
  SERVICE_NOT_FOUND: {
    title: 'This imputation service is not offered here.',
    action: 'Choose another service.',
    retryable: false,
  },
  CREDENTIAL_NOT_FOUND: { title: 'No token is stored for this service.', action: '', retryable: false },
  UPLOAD_NOT_FOUND: {
    title: 'This uploaded file was not found.',
    action: 'It may have expired; upload it again.',
    retryable: false,
  },
  JOB_NOT_FOUND: {
    title: 'Job not found.',
    action: 'It may have been deleted, or it belongs to another account.',
    retryable: false,
  },
  CONFLICT: {
    title: 'This is not possible in the current state.',
    action: 'Reload and try again.',
    retryable: false,
  },
  SERVICE_TOKEN_MISSING: {
    title: 'You have no API token stored for this service.',
    action: 'Add one under Services & tokens.',
    retryable: false,
  },
  SERVICE_TOKEN_EXPIRED: {
    title: 'Your API token for this service has expired.',
    action: "Create a new one on the service's profile page and store it under Services & tokens.",
    retryable: false,
  },
  SERVICE_TOKEN_REJECTED: {
    title: 'The service refused your stored API token.',
    action: 'It was probably revoked or replaced: store a new one under Services & tokens.',
    retryable: false,
  },
  SERVICE_TOKEN_INVALID: {
    title: 'The service did not accept this API token.',
    action: "Copy the token again from the service's profile page (it may have been revoked or replaced).",
    retryable: false,
  },
  IDEMPOTENCY_KEY_REUSED: {
    title: 'This submission was already used for a different job.',
    action: 'Reload the page and submit again.',
    retryable: false,
  },
  UPLOAD_NOT_READY: {
    title: 'A file has not finished uploading.',
    action: 'Wait for every upload to complete, or upload the file again.',
    retryable: false,
  },
  UPLOAD_COMPLETED: {
    title: 'This upload is already complete.',
    action: 'The file is ready to use; there is nothing left to send or abandon.',
    retryable: false,
  },
  UPLOAD_ABORTED: {
    title: 'This upload was abandoned.',
    action: 'Unfinished parts are discarded after a few days; upload the file again.',
    retryable: false,
  },
  UPLOAD_NOT_MULTIPART: {
    title: 'This upload is sent in one piece.',
    action: 'Remove it and upload the file again.',
    retryable: false,
  },
  UPLOAD_PARTS_INVALID: {
    title: 'The uploaded parts do not match the file.',
    action: 'Resume the upload to send the missing parts again, or upload the file again.',
    retryable: false,
  },
  UPLOAD_EXPIRED: {
    title: 'A file of this job is no longer kept.',
    action: 'Uploads are kept for a limited time: upload the file again and start a new job.',
    retryable: false,
  },
  NO_SERVICE_FOR_PANEL: {
    title: 'No service can take a job for this panel right now.',
    action:
      'Each service and why it cannot is listed below: store a token, wait for a service to be up again, or choose other options.',
    retryable: true,
  },
  INPUT_INVALID: {
    title: 'Some files cannot be used for this job.',
    action:
      "Each file's problem and its fix are listed below: fix or remove those files, or change the options they name, then submit again.",
    retryable: false,
  },
  JOB_FINISHED: { title: 'The job has already finished.', action: '', retryable: false },
  JOB_STATE_CHANGED: {
    title: 'The job changed while we were cancelling it.',
    action: 'Try again.',
    retryable: true,
  },
  RESULTS_NOT_READY: {
    title: 'The results are not ready yet.',
    action: 'They are listed once the job ends.',
    retryable: true,
  },
  JOB_ACTIVE: {
    title: 'The job is still running.',
    action: 'Cancel it first, or wait until it has ended.',
    retryable: false,
  },
  JOB_IS_PARENT: {
    title: 'This request runs several jobs.',
    action: 'Open one of its jobs for its results, password or a resubmission.',
    retryable: false,
  },
  SERVICE_UNAVAILABLE: {
    title: 'The imputation service cannot be reached right now.',
    action: 'Try again in a few minutes.',
    retryable: true,
  },
  SERVICE_REJECTED: { title: 'The imputation service refused the request.', action: '', retryable: false },
  SERVICE_PROTOCOL_ERROR: {
    title: 'The imputation service sent an answer we could not understand.',
    action: 'Try again later; if it persists, tell the gateway team.',
    retryable: true,
  },
  SERVICE_ERROR: { title: 'The imputation service failed.', action: 'Try again later.', retryable: true },
  UNAUTHORIZED: { title: 'Your session has ended.', action: 'Sign in again.', retryable: false },
  THROTTLED: { title: 'Too many requests at once.', action: 'Wait a moment and try again.', retryable: true },
  QUOTA_EXCEEDED: {
    title: 'You have reached a limit of your account.',
    action: 'It frees by itself as described below; try again then.',
    retryable: true,
  },
  TEMPORARILY_UNAVAILABLE: {
    title: 'The gateway is busy.',
    action: 'Try again in a moment.',
    retryable: true,
  },
  GATEWAY_ERROR: {
    title: 'The gateway did not answer in time.',
    action: 'Try again in a moment.',
    retryable: true,
  },
  INTERNAL: {
    title: 'Something went wrong on our side.',
    action: 'Try again; if it persists, tell the gateway team the reference below.',
    retryable: true,
  },
  CONCURRENCY_LIMIT: {
    title: 'Your job limit at the service is reached.',
    action: 'The job waits for a free slot by itself.',
    retryable: false,
  },
  DOWNLOADS_EXHAUSTED: {
    title: 'The service allows no more downloads of this file.',
    action: 'Start the job again to get new results.',
    retryable: false,
  },
  NETWORK: {
    title: 'The gateway cannot be reached.',
    action: 'Check your connection and try again.',
    retryable: true,
  },
  UNEXPECTED_ANSWER: {
    title: 'The gateway sent an unexpected answer.',
    action: 'Try again; if it persists, tell the gateway team.',
    retryable: true,
  },
};

export function wordingFor(code: string): ErrorWording {
  return wording[code] ?? { title: 'The request failed.', action: 'Try again.', retryable: true };
}

/**
 * What the researcher can do about a failed job (its error code, set by the workflow). The page shows this
 * before the findings or the service's messages it refers to, with "Start again with these settings"
 * beside it. Input failures name each file's own problem and fix, so no generic fix is added here.
 */
const jobFailures: Record<string, string> = {
  INPUT_INVALID:
    "Each file's problem and its fix are listed below. Fix the files, then start again with these settings and add the fixed files.",
  INPUT_CHANGED:
    'A file was replaced or removed after our check (uploaded again under the same upload, deleted, or expired while the job waited), so nothing was sent: upload the file again, then start again with these settings and pick the new upload.',
  SERVICE_JOB_FAILED:
    "The service's messages below say which step failed and why: correct what they name, then start again with these settings.",
  SERVICE_TOKEN_INVALID:
    'Store a new API token for this service under Services & tokens, then start again with these settings.',
  SERVICE_TOKEN_EXPIRED:
    'Store a new API token for this service under Services & tokens, then start again with these settings.',
  RESULTS_UNAVAILABLE:
    'The service would not serve the results: start again with these settings, or contact the service.',
  DOWNLOADS_EXHAUSTED:
    'The service allows no more downloads of these results: start again with these settings.',
  NO_IMPUTED_RESULTS:
    'The service produced no imputed file: read its messages below, then start again with other settings.',
  SERVICE_UNAVAILABLE:
    'The service could not be reached for too long: start again with these settings later.',
  SERVICE_REJECTED:
    'The service refused the job: correct the options or inputs its message names, then start again.',
};

/**
 * What the page says about a failed job: the headline (what failed, leaving the lists below to the page)
 * and what to do. `serviceMessages`: how many messages of the service the page lists below.
 */
export function jobFailureWording(
  error: { code: string; message: string },
  serviceName: string,
  serviceMessages: number,
): { title: string; advice: string } {
  if (error.code === 'INPUT_INVALID') {
    return { title: 'This job failed our checks of its input files.', advice: jobFailures.INPUT_INVALID! };
  }
  if (error.code === 'SERVICE_JOB_FAILED' && serviceMessages > 0) {
    return {
      title: `${serviceName} stopped this job with an error.`,
      advice: jobFailures.SERVICE_JOB_FAILED!,
    };
  }
  const advice =
    jobFailures[error.code] ??
    (serviceMessages > 0
      ? 'Read the messages below, correct what they name and start again, or contact the service.'
      : 'Start again with these settings; if it fails again, contact the service.');
  return { title: `This job failed: ${error.message}`, advice };
}
