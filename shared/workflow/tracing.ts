/**
 * X-Ray tracing of the workflow tasks (Powertools Tracer): each task invocation is a subsegment
 * `## <task>` annotated with the job id and the imputation service, every AWS SDK call made through the
 * runtime's clients is a subsegment of it, and so are the calls to the service (`fetch`, traced here).
 * Step Functions passes the trace on, so one job's tasks line up in one X-Ray trace.
 *
 * The trace stays ours: Powertools' own HTTP tracing (`captureHTTPsRequests`) adds an `X-Amzn-Trace-Id`
 * header to every `fetch` and node:http request, which would hand our trace and segment ids to every
 * imputation service and to wherever their downloads redirect. It is off; the calls to the services are
 * recorded by `traceFetch` below, which reads the requests and sends nothing.
 *
 * Only the workflow tasks import this module: the tracer and the X-Ray SDK cost ~135 KB and tens of ms
 * of module init, which the API functions' user-facing cold starts do not pay (they keep Lambda's own
 * active-tracing segment). Outside Lambda the tracer is off and every call here does nothing.
 */
import { subscribe } from 'node:diagnostics_channel';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { instrumentAwsClients } from '#shared/aws/clients';

export const tracer = new Tracer({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'imputation-gateway',
  // No trace header on requests to anyone but AWS (see above).
  captureHTTPsRequests: false,
});

instrumentAwsClients((client) => tracer.captureAWSv3Client(client));
if (tracer.isTracingEnabled()) traceFetch();

type Subsegment = ReturnType<NonNullable<ReturnType<Tracer['getSegment']>>['addNewSubsegment']>;
interface UndiciRequest {
  origin?: string | URL;
  path?: string;
  method?: string;
}

/**
 * A `remote` subsegment per `fetch` (undici's diagnostics channels), named by the host, with method, URL
 * (no query: it may hold a signature) and status. Read-only: the request is sent as the caller built it.
 */
function traceFetch(): void {
  const open = new WeakMap<object, Subsegment>();
  subscribe('undici:request:create', (message) => {
    const { request } = message as { request: UndiciRequest };
    const parent = tracer.getSegment();
    if (!parent || request.method === 'CONNECT' || request.origin === undefined) return;
    const url = new URL(`${String(request.origin).replace(/\/$/, '')}${request.path ?? ''}`);
    const subsegment = parent.addNewSubsegment(url.hostname);
    subsegment.addAttribute('namespace', 'remote');
    (subsegment as unknown as { http: unknown }).http = {
      request: { url: `${url.protocol}//${url.host}${url.pathname}`, method: request.method },
    };
    open.set(request, subsegment);
  });
  subscribe('undici:request:headers', (message) => {
    const { request, response } = message as { request: object; response: { statusCode: number } };
    const subsegment = open.get(request);
    if (!subsegment) return;
    open.delete(request);
    const http = (subsegment as unknown as { http: Record<string, unknown> }).http;
    http.response = { status: response.statusCode };
    if (response.statusCode === 429) subsegment.addThrottleFlag();
    if (response.statusCode >= 400 && response.statusCode < 500) subsegment.addErrorFlag();
    else if (response.statusCode >= 500) subsegment.addFaultFlag();
    subsegment.close();
  });
  subscribe('undici:request:error', (message) => {
    const { request, error } = message as { request: object; error: unknown };
    const subsegment = open.get(request);
    if (!subsegment) return;
    open.delete(request);
    subsegment.addErrorFlag();
    if (error instanceof Error) subsegment.addError(error, true);
    subsegment.close();
  });
}

/** Annotations X-Ray can search by (`annotation.jobId = "…"`); on the current task's subsegment. */
export function annotate(annotations: Record<string, string>): void {
  if (!tracer.isTracingEnabled()) return;
  for (const [key, value] of Object.entries(annotations)) tracer.putAnnotation(key, value);
}

/**
 * Runs one task invocation in its own subsegment (annotations cannot go on Lambda's facade segment).
 *
 * The subsegment is the current segment only inside the invocation's own asynchronous context (a child
 * of the X-Ray SDK's context), not process-wide: work that outlives an invocation or runs beside it (in
 * the local stack and the tests, other tasks and the watcher share the process) keeps its own parent. A
 * call of someone else's still open when the task closes would otherwise be recorded as the task's child,
 * and the SDK sends a closed subsegment only once all its children have closed: after the last of them,
 * it never sends it at all.
 */
export async function traced<R>(task: string, annotations: Record<string, string>, run: () => Promise<R>) {
  const parent = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
  if (!parent) return run();
  return tracer.provider.getNamespace().runPromise(async () => {
    const subsegment = parent.addNewSubsegment(`## ${task}`);
    tracer.setSegment(subsegment);
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
    annotate(annotations);
    try {
      return await run();
    } catch (error) {
      tracer.addErrorAsMetadata(error as Error);
      throw error;
    } finally {
      subsegment.close();
    }
  });
}
