/**
 * What the authorizer tests share: its denial log, watched around every test; an OIDC issuer and the
 * authorizer that trusts it.
 */
import { afterEach, beforeEach, expect, type MockInstance, vi } from 'vitest';
import { createAuthorizerHandler } from '#functions/authorizer/handler';
import { createTokenIssuer } from '#infra/local/token-issuer';
import { createTokenVerifier } from '#shared/auth/verifier';
import { logger } from '#shared/logger';
import { parseSettings } from '#shared/settings';

export const methodArn = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/GET/jobs/01ABC';

/** A token issuer standing in for the institute's identity provider. */
export const issuer = createTokenIssuer({
  issuer: 'https://idp.example.org/realms/research',
  audience: 'imputation-gateway',
});

/** The authorizer in OIDC mode, trusting `issuer` (settings in `env` added or replaced). */
export function oidcAuthorizer(env: Record<string, string> = {}) {
  const config = parseSettings('auth', {
    AUTH_MODE: 'oidc',
    OIDC_ISSUER: issuer.issuer,
    OIDC_AUDIENCE: issuer.audience,
    ...env,
  });
  const verifier = createTokenVerifier(config, { jwks: issuer.jwks });
  return createAuthorizerHandler(() => verifier);
}

/** Spies on the log line the authorizer writes for each denial (restored after each test). */
export function watchDenials() {
  let denials: MockInstance<typeof logger.info>;
  beforeEach(() => {
    denials = vi.spyOn(logger, 'info');
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  return {
    /** A 401 from API Gateway, for the stated reason (so each case proves the check it is about). */
    async expectDenied(result: Promise<unknown>, reason: string) {
      await expect(result).rejects.toThrowError(/^Unauthorized$/);
      expect(denials).toHaveBeenCalledWith('Request denied', { reason });
    },
    expectNoDenial() {
      expect(denials).not.toHaveBeenCalledWith('Request denied', expect.anything());
    },
  };
}
