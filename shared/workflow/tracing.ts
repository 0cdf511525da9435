/**
 * X-Ray tracing of the workflow tasks (Powertools Tracer): each task invocation is a subsegment
 * `## <task>` annotated with the job id and the imputation service, every AWS SDK call made through the
 * runtime's clients is a subsegment of it, and so are the calls to the service (Powertools traces
 * `fetch`). Step Functions passes the trace on, so one job's tasks line up in one X-Ray trace.
 *
 * Only the workflow tasks import this module: the tracer and the X-Ray SDK cost ~135 KB and tens of ms
 * of module init, which the API functions' user-facing cold starts do not pay (they keep Lambda's own
 * active-tracing segment). Outside Lambda the tracer is off and every call here does nothing.
 */
import { Tracer } from '@aws-lambda-powertools/tracer';
import { instrumentAwsClients } from '#shared/aws/clients';

export const tracer = new Tracer({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'imputation-gateway',
});

instrumentAwsClients((client) => tracer.captureAWSv3Client(client));

/** Annotations X-Ray can search by (`annotation.jobId = "…"`); on the current task's subsegment. */
export function annotate(annotations: Record<string, string>): void {
  if (!tracer.isTracingEnabled()) return;
  for (const [key, value] of Object.entries(annotations)) tracer.putAnnotation(key, value);
}

/** Runs one task invocation in its own subsegment (annotations cannot go on Lambda's facade segment). */
export async function traced<R>(task: string, annotations: Record<string, string>, run: () => Promise<R>) {
  const parent = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
  if (!parent) return run();
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
    tracer.setSegment(parent);
  }
}
