/**
 * What the functions emit is CloudWatch EMF that the dashboard's queries match: the namespace, the
 * service dimension and the metric name in one line per data point, with the unit of the metric list.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { gatewayMetrics, METRICS_NAMESPACE, recordMetric, SERVICE_DIMENSION } from '#shared/metrics';

let lines: string[];
beforeEach(() => {
  lines = [];
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('business metrics', () => {
  it('emits one EMF line per data point, dimensioned by the imputation service', () => {
    recordMetric('BytesCopied', 'michigan', 4096);
    recordMetric('JobsCreated', 'topmed');
    const emitted = lines.map((line) => JSON.parse(line));
    expect(emitted).toHaveLength(2);
    const [bytes, created] = emitted;
    expect(bytes._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: METRICS_NAMESPACE,
        Dimensions: [expect.arrayContaining([SERVICE_DIMENSION])],
        Metrics: [{ Name: 'BytesCopied', Unit: gatewayMetrics.BytesCopied.unit }],
      },
    ]);
    expect(bytes).toMatchObject({ BytesCopied: 4096, [SERVICE_DIMENSION]: 'michigan' });
    expect(created).toMatchObject({ JobsCreated: 1, [SERVICE_DIMENSION]: 'topmed' });
  });
});
