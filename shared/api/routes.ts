/**
 * The route table: the single source of truth for which handler serves which method and path, and
 * what each handler may touch. The CDK stack builds API Gateway resources, functions and IAM grants from
 * it; the local stack routes requests with it. Adding a route here is the only way to add a route.
 */

/** What a handler needs beyond its own code; the CDK turns each entry into a least-privilege grant. */
export interface RouteAccess {
  /** The jobs/credentials table. */
  table?: 'read' | 'readWrite';
  /** Per-user service tokens in Secrets Manager (under the users/ prefix only). */
  secrets?: 'read' | 'readWrite';
  /** The inputs bucket: `presignPut` signs uploads (needs s3:PutObject), `read` confirms them (HEAD/GET). */
  inputsBucket?: 'read' | 'presignPut';
  /** The results bucket: `read` presigns downloads, `delete` lists and deletes a job's results. */
  resultsBucket?: 'read' | 'delete';
  /** The job workflow: start executions, stop them. */
  stateMachine?: Array<'start' | 'stop'>;
  /** The deployment key the result zip passwords are derived from. */
  resultPasswordKey?: 'read';
}

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
}

export const routes: readonly RouteDefinition[] = [
  {
    id: 'listServices',
    method: 'GET',
    path: '/services',
    entry: 'functions/api/services/list-services.ts',
    description: 'List the imputation services this deployment can submit to',
    access: { table: 'read' },
  },
  {
    id: 'getService',
    method: 'GET',
    path: '/services/{serviceId}',
    entry: 'functions/api/services/get-service.ts',
    description: 'One imputation service, with whether the caller has a token for it',
    access: { table: 'read' },
  },
  {
    id: 'getServiceOptions',
    method: 'GET',
    path: '/services/{serviceId}/options',
    entry: 'functions/api/services/get-service-options.ts',
    description: 'Reference panels, populations, builds, phasing and modes available to the caller',
    access: { table: 'read', secrets: 'read' },
    timeoutSeconds: 29,
  },
  {
    id: 'listCredentials',
    method: 'GET',
    path: '/me/credentials',
    entry: 'functions/api/credentials/list-credentials.ts',
    description: "The caller's stored service tokens (metadata only)",
    access: { table: 'read' },
  },
  {
    id: 'putCredential',
    method: 'PUT',
    path: '/me/credentials/{serviceId}',
    entry: 'functions/api/credentials/put-credential.ts',
    description: 'Verify a service token at the service and store it',
    access: { table: 'readWrite', secrets: 'readWrite' },
    timeoutSeconds: 29,
  },
  {
    id: 'deleteCredential',
    method: 'DELETE',
    path: '/me/credentials/{serviceId}',
    entry: 'functions/api/credentials/delete-credential.ts',
    description: "Delete the caller's token for a service",
    access: { table: 'readWrite', secrets: 'readWrite' },
  },
  {
    id: 'createUpload',
    method: 'POST',
    path: '/uploads',
    entry: 'functions/api/uploads/create-upload.ts',
    description: 'Announce an input VCF and get a presigned PUT URL bound to its size and checksum',
    access: { table: 'readWrite', inputsBucket: 'presignPut' },
  },
  {
    id: 'listUploads',
    method: 'GET',
    path: '/uploads',
    entry: 'functions/api/uploads/list-uploads.ts',
    description: "The caller's uploads, newest first",
    access: { table: 'read' },
  },
  {
    id: 'getUpload',
    method: 'GET',
    path: '/uploads/{uploadId}',
    entry: 'functions/api/uploads/get-upload.ts',
    description: 'One upload, confirmed against S3',
    access: { table: 'readWrite', inputsBucket: 'read' },
  },
  {
    id: 'createJob',
    method: 'POST',
    path: '/jobs',
    entry: 'functions/api/jobs/create-job.ts',
    description: 'Create an imputation job from confirmed uploads and start its workflow',
    access: { table: 'readWrite', secrets: 'read', inputsBucket: 'read', stateMachine: ['start'] },
    timeoutSeconds: 29,
  },
  {
    id: 'listJobs',
    method: 'GET',
    path: '/jobs',
    entry: 'functions/api/jobs/list-jobs.ts',
    description: "The caller's jobs, newest first, optionally filtered by status",
    access: { table: 'read' },
  },
  {
    id: 'getJob',
    method: 'GET',
    path: '/jobs/{jobId}',
    entry: 'functions/api/jobs/get-job.ts',
    description: 'One job with progress, messages, history, error and results',
    access: { table: 'read' },
  },
  {
    id: 'cancelJob',
    method: 'POST',
    path: '/jobs/{jobId}/cancel',
    entry: 'functions/api/jobs/cancel-job.ts',
    description: 'Cancel a job (our workflow before submission, the service job after)',
    access: { table: 'readWrite', secrets: 'read', stateMachine: ['stop'] },
    timeoutSeconds: 29,
  },
  {
    id: 'getJobResults',
    method: 'GET',
    path: '/jobs/{jobId}/results',
    entry: 'functions/api/jobs/get-job-results.ts',
    description: 'Presigned download URLs of the result files',
    access: { table: 'read', resultsBucket: 'read' },
  },
  {
    id: 'getJobPassword',
    method: 'GET',
    path: '/jobs/{jobId}/password',
    entry: 'functions/api/jobs/get-job-password.ts',
    description: 'The result zip password (owner only)',
    access: { table: 'read', resultPasswordKey: 'read' },
  },
  {
    id: 'deleteJob',
    method: 'DELETE',
    path: '/jobs/{jobId}',
    entry: 'functions/api/jobs/delete-job.ts',
    description: 'Delete a finished job and its results',
    access: { table: 'readWrite', resultsBucket: 'delete' },
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
