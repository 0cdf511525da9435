/**
 * The gateway's own business metrics, as CloudWatch embedded-metric-format lines (Powertools Metrics):
 * no PutMetricData call, no extra IAM, no latency — CloudWatch Logs extracts them from the function's
 * log. Each is one EMF line emitted at once (`singleMetric`), dimensioned by the imputation service, so
 * nothing has to be flushed at the end of an invocation and a crashed task still counted what it did.
 * The names and the namespace are read by the dashboard (infra/constructs/monitoring.ts): one list.
 * Off where POWERTOOLS_METRICS_DISABLED=true (the local stack and the tests, where they would only be
 * noise in the log).
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

export const METRICS_NAMESPACE = 'ImputationGateway';
export const SERVICE_DIMENSION = 'ImputationService';

/** Every metric the functions emit, with its unit and what one data point means. */
export const gatewayMetrics = {
  JobsCreated: { unit: MetricUnit.Count, label: 'Jobs created' },
  JobsSucceeded: { unit: MetricUnit.Count, label: 'Jobs succeeded' },
  JobsFailed: { unit: MetricUnit.Count, label: 'Jobs failed' },
  BytesCopied: { unit: MetricUnit.Bytes, label: 'Result bytes copied' },
  Polls: { unit: MetricUnit.Count, label: 'Status polls' },
  SlotWaits: { unit: MetricUnit.Count, label: 'Waits for a free slot' },
  ServiceWaits: { unit: MetricUnit.Count, label: 'Waits for a service that is down or in maintenance' },
  JobsRedriven: {
    unit: MetricUnit.Count,
    label: 'Jobs whose execution was lost, driven again by the watcher',
  },
  ValidationFailures: { unit: MetricUnit.Count, label: 'Inputs refused by validation' },
} as const;

export type GatewayMetric = keyof typeof gatewayMetrics;

let metrics: Metrics | undefined;

/** Records one data point of `name` for `serviceId` (emitted immediately). */
export function recordMetric(name: GatewayMetric, serviceId: string, value = 1): void {
  metrics ??= new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'imputation-gateway',
  });
  const single = metrics.singleMetric();
  single.addDimension(SERVICE_DIMENSION, serviceId);
  single.addMetric(name, gatewayMetrics[name].unit, value);
}
