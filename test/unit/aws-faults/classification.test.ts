/**
 * Which SDK errors a workflow task hands to the state machine's retry, and what is said of them: a
 * fault of the moment is retried, a client error (or any error that never passed through an SDK client)
 * is not, and the description names the error, never the message AWS wrote.
 */
import { DynamoDBServiceException, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { describeAwsFault, isTransientAwsFault } from '#shared/aws/aws-faults';
import {
  conditionFailed,
  networkDown,
  s3InternalError,
  secretsManagerDown,
  throttled,
  throughputExceeded,
} from './support';

const serviceError = (name: string, status: number, fault: 'client' | 'server' = 'client') =>
  new DynamoDBServiceException({
    name,
    $fault: fault,
    message: `${name}: value 'secret-ish' is not valid`,
    $metadata: { httpStatusCode: status, attempts: 1 },
  });

describe('transient AWS faults', () => {
  it('are throttling, 5xx, 429, timeouts and dropped connections out of an SDK call', () => {
    for (const error of [
      throughputExceeded(),
      throttled(),
      secretsManagerDown(),
      s3InternalError(),
      networkDown(),
      serviceError('ServiceUnavailable', 503, 'server'),
      serviceError('TooManyRequests', 429),
      Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: {} }),
    ]) {
      expect({ name: error.name, transient: isTransientAwsFault(error) }).toEqual({
        name: error.name,
        transient: true,
      });
    }
  });

  it('are not client errors, nor errors from outside the SDK', () => {
    for (const error of [
      conditionFailed(),
      new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }),
      serviceError('ValidationException', 400),
      serviceError('AccessDeniedException', 400),
      // The same network failure outside an SDK client (e.g. the service's own fetch): not ours to judge.
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      new Error('boom'),
      'a string',
      undefined,
    ]) {
      expect(isTransientAwsFault(error)).toBe(false);
    }
  });

  it('are described by name, status and attempts only', () => {
    expect(describeAwsFault(throughputExceeded())).toBe(
      'AWS ProvisionedThroughputExceededException (HTTP 400) after 4 attempts',
    );
    expect(describeAwsFault(networkDown())).toBe('AWS ECONNREFUSED after 3 attempts');
    expect(describeAwsFault(serviceError('ServiceUnavailable', 503, 'server'))).toBe(
      'AWS ServiceUnavailable (HTTP 503) after 1 attempt',
    );
    expect(describeAwsFault(serviceError('ValidationException', 400))).not.toContain('secret-ish');
  });
});
