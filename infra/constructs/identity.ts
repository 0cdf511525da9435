/**
 * Who may call the API. By default a Cognito user pool (no self sign-up, e-mail sign-in, an app client
 * for the web console using the authorization-code flow with PKCE, an `admins` group, and a hosted-UI
 * domain when a prefix is configured); or, with authMode=oidc, an existing issuer (Keycloak, Auth0, an
 * institute's IdP) and no user pool at all. Either way the result is the authorizer's environment, plus
 * what a browser needs to sign in: the issuer and the origins it talks to.
 */
import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { environmentOf } from './access';

/** Either a user pool created here (`cognito`) or an existing OIDC issuer (`oidc`). */
export type IdentityProps =
  | {
      mode: 'cognito';
      /** Where the hosted UI may send users back after sign-in (the web UI's own URLs). */
      callbackUrls: string[];
      /** Where the hosted UI may send users back after sign-out. */
      logoutUrls: string[];
      /**
       * Prefix of the hosted-UI domain (`https://<prefix>.auth.<region>.amazoncognito.com`), which browsers
       * sign in through. Unique across all AWS accounts in the region, hence chosen per deployment.
       * @default no domain: the client's OAuth flows cannot be used until ops add one
       */
      domainPrefix?: string;
      /** RETAIN keeps the user pool (and so every account) when the stack is deleted. */
      removalPolicy: RemovalPolicy;
    }
  | {
      mode: 'oidc';
      /** The `iss` claim the tokens must carry, e.g. `https://idp.example.org/realms/research`. */
      issuer: string;
      /** Accepted `aud` claims (any one of them). */
      audience: string[];
      /** @default `<issuer>/.well-known/jwks.json` (aws-jwt-verify's default; Keycloak needs its own) */
      jwksUri?: string;
      /** Claim that holds the username shown in logs and listings. */
      usernameClaim: string;
      /** Claim that holds the caller's groups (`admins` is the operators' group). */
      groupsClaim: string;
    };

export class Identity extends Construct {
  /** Environment of the authorizer function (read by shared/auth/verifier.ts). */
  readonly authorizerEnvironment: Record<string, string>;
  /** Only in `cognito` mode. */
  readonly userPool?: cognito.UserPool;
  /** The browser app client; only in `cognito` mode. */
  readonly userPoolClient?: cognito.UserPoolClient;
  /** The hosted-UI domain; only in `cognito` mode with a domain prefix. */
  readonly domain?: cognito.UserPoolDomain;
  /** The tokens' `iss`; a browser client discovers the endpoints at `<issuer>/.well-known/openid-configuration`. */
  readonly issuer: string;
  /** Origins a browser calls while signing in: discovery and keys, token endpoint (CSP connect-src). */
  readonly browserOrigins: string[];

  constructor(scope: Construct, id: string, props: IdentityProps) {
    super(scope, id);
    if (props.mode === 'oidc') {
      this.authorizerEnvironment = environmentOf({
        AUTH_MODE: 'oidc',
        OIDC_ISSUER: props.issuer,
        OIDC_AUDIENCE: props.audience,
        OIDC_JWKS_URI: props.jwksUri ?? `${props.issuer.replace(/\/+$/, '')}/.well-known/jwks.json`,
        OIDC_USERNAME_CLAIM: props.usernameClaim,
        OIDC_GROUPS_CLAIM: props.groupsClaim,
        // The console sends its ID token; an access token of the same issuer is refused.
        OIDC_TOKEN_USE: 'id',
      });
      this.issuer = props.issuer;
      // Its token endpoint is on the issuer's host for the usual providers (Keycloak, Auth0, Entra ID).
      this.browserOrigins = [new URL(props.issuer).origin];
      return;
    }

    this.userPool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      removalPolicy: props.removalPolicy,
    });
    NagSuppressions.addResourceSuppressions(this.userPool, [
      {
        id: 'AwsSolutions-COG2',
        reason: 'MFA is offered (TOTP) but left optional: institutes enforce it in their own sign-in policy.',
      },
      {
        id: 'AwsSolutions-COG3',
        reason:
          'Threat protection (advanced security) needs the Plus feature plan and its cost; ops can enable it per deployment.',
      },
      {
        id: 'AwsSolutions-COG8',
        reason:
          'The Essentials plan keeps an idle deployment free; the Plus plan is a per-deployment choice of ops.',
      },
    ]);

    // The hosted-UI domain only with a configured prefix: a Cognito prefix domain must be unique across all
    // AWS accounts in the region, so a fixed name would make the stack fail to deploy for everyone but the
    // first. The classic hosted UI needs nothing more; managed login (version 2) shows an error page until
    // a branding style exists for the client. Without a domain the console cannot sign in (the stack warns).
    if (props.domainPrefix) {
      this.domain = this.userPool.addDomain('HostedUi', {
        cognitoDomain: { domainPrefix: props.domainPrefix },
        managedLoginVersion: cognito.ManagedLoginVersion.CLASSIC_HOSTED_UI,
      });
    }
    const stack = Stack.of(this);
    const idp = `https://cognito-idp.${stack.region}.${stack.urlSuffix}`;
    this.issuer = `${idp}/${this.userPool.userPoolId}`;
    this.browserOrigins = this.domain ? [idp, this.domain.baseUrl()] : [idp];

    // The client is public (no secret) and uses the code flow: PKCE is the browser's half of it, and
    // Cognito checks the code_verifier whenever the authorization request carried a code_challenge. The
    // refresh token (30 days) is what the console renews its tokens with, silently.
    // Without any redirect URL (no console, none configured) the client has no OAuth flow at all, rather
    // than CDK's placeholder https://example.com.
    this.userPoolClient = this.userPool.addClient('WebClient', {
      generateSecret: false,
      authFlows: { userSrp: true },
      preventUserExistenceErrors: true,
      ...(props.callbackUrls.length === 0
        ? { disableOAuth: true }
        : {
            oAuth: {
              flows: { authorizationCodeGrant: true },
              scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
              callbackUrls: props.callbackUrls,
              logoutUrls: props.logoutUrls,
            },
          }),
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });

    new cognito.CfnUserPoolGroup(this, 'AdminsGroup', {
      userPoolId: this.userPool.userPoolId,
      groupName: 'admins',
      description: 'Operators of the imputation gateway',
    });

    this.authorizerEnvironment = environmentOf({
      AUTH_MODE: 'cognito',
      COGNITO_USER_POOL_ID: this.userPool.userPoolId,
      COGNITO_CLIENT_ID: [this.userPoolClient.userPoolClientId],
      COGNITO_TOKEN_USE: 'id',
    });
  }
}
