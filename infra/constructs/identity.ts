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

export type IdentityProps =
  | {
      mode: 'cognito';
      /** Where the hosted UI may send users back after sign-in / sign-out. */
      callbackUrls: string[];
      logoutUrls: string[];
      removalPolicy: RemovalPolicy;
    }
  | {
      mode: 'oidc';
      issuer: string;
      audience: string[];
      /** @default `<issuer>/.well-known/jwks.json` */
      jwksUri?: string;
      usernameClaim: string;
      groupsClaim: string;
    };

export class Identity extends Construct {
  /** Environment of the authorizer function. */
  readonly authorizerEnvironment: Record<string, string>;
  readonly userPool?: cognito.UserPool;
  readonly userPoolClient?: cognito.UserPoolClient;

  constructor(scope: Construct, id: string, props: IdentityProps) {
    super(scope, id);
    if (props.mode === 'oidc') {
      this.authorizerEnvironment = {
        AUTH_MODE: 'oidc',
        OIDC_ISSUER: props.issuer,
        OIDC_AUDIENCE: props.audience.join(','),
        OIDC_JWKS_URI: props.jwksUri ?? `${props.issuer.replace(/\/+$/, '')}/.well-known/jwks.json`,
        OIDC_USERNAME_CLAIM: props.usernameClaim,
        OIDC_GROUPS_CLAIM: props.groupsClaim,
      };
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

    this.authorizerEnvironment = {
      AUTH_MODE: 'cognito',
      COGNITO_USER_POOL_ID: this.userPool.userPoolId,
      COGNITO_CLIENT_ID: this.userPoolClient.userPoolClientId,
      COGNITO_TOKEN_USE: 'id',
    };
  }
}
