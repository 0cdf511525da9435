/**
 * The API's side of the failure vocabulary: one status for every code (and no code without one), domain
 * errors that carry no status, and a Cloudgene failure retold for the user with the status, code and
 * message the API has always answered with.
 */
import { describe, expect, it } from 'vitest';
import type { ServiceDefinition } from '#shared/catalog/service-catalog';
import { callService } from '#shared/catalog/service-client';
import {
  CLOUDGENE_ERROR_CODES,
  CloudgeneBadRequestError,
  CloudgeneNotFoundError,
  CloudgeneProtocolError,
  ServiceTokenInvalidError,
  ServiceUnavailableError,
} from '#shared/cloudgene/errors';
import {
  APP_ERROR_CODES,
  type AppError,
  ConflictError,
  NotFoundError,
  UnprocessableError,
  UpstreamError,
  ValidationError,
} from '#shared/errors';
import { errorResponse } from '#shared/http/error-response';
import { HTTP_STATUS_BY_CODE } from '#shared/http/status-codes';

const michigan = { id: 'michigan', name: 'Michigan Imputation Server' } as ServiceDefinition;
const answer = (error: unknown): Record<string, unknown> => {
  const response = errorResponse(error);
  return {
    status: response.statusCode,
    ...(JSON.parse(response.body) as { error: Record<string, unknown> }).error,
  };
};

describe('the code → HTTP status map', () => {
  it('has exactly one status for every code of the vocabulary', () => {
    expect(Object.keys(HTTP_STATUS_BY_CODE).sort()).toEqual(
      [...APP_ERROR_CODES, ...CLOUDGENE_ERROR_CODES].sort(),
    );
    expect(new Set([...APP_ERROR_CODES, ...CLOUDGENE_ERROR_CODES]).size).toBe(
      APP_ERROR_CODES.length + CLOUDGENE_ERROR_CODES.length,
    );
  });

  it('gives each domain error the status of its code; the errors themselves carry none', () => {
    const cases: [AppError, number, string][] = [
      [new ValidationError('bad', [{ path: 'x' }]), 400, 'VALIDATION_FAILED'],
      [new NotFoundError(), 404, 'NOT_FOUND'],
      [new NotFoundError('Job x not found', 'JOB_NOT_FOUND'), 404, 'JOB_NOT_FOUND'],
      [new ConflictError('busy'), 409, 'CONFLICT'],
      [new ConflictError('none stored', 'SERVICE_TOKEN_MISSING'), 409, 'SERVICE_TOKEN_MISSING'],
      [new UnprocessableError('SERVICE_TOKEN_EXPIRED', 'expired'), 422, 'SERVICE_TOKEN_EXPIRED'],
      [new UpstreamError('SERVICE_UNAVAILABLE', 'down'), 502, 'SERVICE_UNAVAILABLE'],
    ];
    for (const [error, status, code] of cases) {
      expect(error).not.toHaveProperty('status');
      expect(error).not.toHaveProperty('statusCode');
      expect(answer(error)).toMatchObject({ status, code, message: error.message });
    }
    expect(answer(cases[0]![0]).details).toEqual([{ path: 'x' }]);
  });
});

describe('a Cloudgene failure retold for the user (callService)', () => {
  it.each([
    [
      new ServiceTokenInvalidError(403, 'Access denied.'),
      422,
      'SERVICE_TOKEN_INVALID',
      'Michigan Imputation Server rejected your API token (invalid, expired or replaced by a newer one). ' +
        'Create a new token at the service and store it with PUT /me/credentials/michigan.',
    ],
    [
      new ServiceUnavailableError('The service answered 503', { serviceMessage: 'Under maintenance.' }),
      502,
      'SERVICE_UNAVAILABLE',
      'Michigan Imputation Server is not reachable right now: Under maintenance.',
    ],
    [
      new ServiceUnavailableError('could not be reached'),
      502,
      'SERVICE_UNAVAILABLE',
      'Michigan Imputation Server is not reachable right now',
    ],
    [
      new CloudgeneBadRequestError('refused', { serviceMessage: "Parameter 'meta' not found." }),
      502,
      'SERVICE_REJECTED',
      "Michigan Imputation Server rejected the request: Parameter 'meta' not found.",
    ],
    [
      new CloudgeneNotFoundError('Application not found.'),
      502,
      'SERVICE_REJECTED',
      'Michigan Imputation Server rejected the request: Application not found.',
    ],
    [
      new CloudgeneProtocolError('Unexpected app definition from the service: params: expected array'),
      502,
      'SERVICE_PROTOCOL_ERROR',
      'Michigan Imputation Server sent an answer we could not understand',
    ],
  ])('%s → %i %s', async (error, status, code, message) => {
    const thrown = await callService(michigan, () => Promise.reject(error)).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(UpstreamError);
    expect(answer(thrown)).toEqual({ status, code, message });
  });

  it('passes other errors on untouched, and answers with the call’s result', async () => {
    const other = new ConflictError('busy', 'JOB_ACTIVE');
    await expect(callService(michigan, () => Promise.reject(other))).rejects.toBe(other);
    await expect(callService(michigan, async () => 42)).resolves.toBe(42);
  });
});
