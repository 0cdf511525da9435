/**
 * What the bundled functions use in place of `@aws-sdk/credential-provider-node` (an esbuild alias set in
 * infra/constructs/bundling.ts). The Lambda runtime hands a function its role's credentials in
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, so the default chain's SSO, ini-file,
 * process, web-identity, container and instance-metadata providers — and the STS and SSO clients they
 * bring — are ~95 KiB of every bundle that can never run there. Tests and the local stack run the
 * sources with the full chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

type EnvInit = Parameters<typeof fromEnv>[0];

/** The chain's signature (`defaultProvider(init)`), reduced to its first link: the environment. */
export const defaultProvider = (init: EnvInit = {}) => fromEnv(init);

// The two helpers @aws-sdk/credential-provider-node also exports; env credentials never need a refresh.
export const credentialsWillNeedRefresh = (): boolean => false;
export const credentialsTreatedAsExpired = (): boolean => false;
