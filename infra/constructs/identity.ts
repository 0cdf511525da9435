/**
 * Who may call the API. By default a Cognito user pool (no self sign-up, e-mail sign-in, an app client
 * for a browser UI using the authorization-code flow with PKCE, an `admins` group); or, with
 * authMode=oidc, an existing issuer (Keycloak, Auth0, an institute's IdP) and no user pool at all.
 * Either way the result is the authorizer's environment.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
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
      });
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

    // No hosted-UI domain: a Cognito prefix domain must be unique across all AWS accounts in the region,
    // so a fixed name would make the stack fail to deploy for everyone but the first. Ops add one (or a
    // custom domain) per deployment with `userPool.addDomain`; until then the web UI signs in with SRP.
    // The client is public (no secret) and uses the code flow: PKCE is the browser's half of it, and
    // Cognito checks the code_verifier whenever the authorization request carried a code_challenge.
    this.userPoolClient = this.userPool.addClient('WebClient', {
      generateSecret: false,
      authFlows: { userSrp: true },
      preventUserExistenceErrors: true,
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: props.callbackUrls,
        logoutUrls: props.logoutUrls,
      },
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
