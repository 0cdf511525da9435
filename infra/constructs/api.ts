/**
 * The REST API: one Lambda per route of the route table (shared/api/routes.ts), all behind the JWT
 * authorizer — only CORS preflights are open — with stage throttling, JSON access logs, tracing, and
 * gateway responses that use the API's own error shape, so a 401 from the authorizer looks like any
 * other error to clients.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { routes } from '#shared/api/routes';
import type { ServiceDefinition } from '#shared/catalog/service-catalog';
import { type AccessResources, environmentOf, grantAccess } from './access';
import { CallerThrottle } from './caller-throttle';
import { GatewayFunction } from './gateway-function';

export interface ApiProps {
  /** Table, buckets, key and state machine that route grants refer to. */
  resources: AccessResources;
  /** Environment of the authorizer (from the Identity construct). */
  authorizerEnvironment: Record<string, string>;
  /** Browser origins for CORS; empty means no preflight methods at all. */
  corsAllowedOrigins: string[];
  /** The resolved catalog, handed to every route function as SERVICE_CATALOG. */
  serviceCatalog: ServiceDefinition[];
  /** Stage-wide steady-state requests per second. */
  throttleRateLimit: number;
  /** Stage-wide burst of requests. */
  throttleBurstLimit: number;
  /** Largest upload the presigned PUT allows (MAX_UPLOAD_BYTES). */
  maxUploadBytes: number;
  /** Days an upload record lives (INPUT_EXPIRY_DAYS), matching the inputs bucket's expiry. */
  inputExpiryDays: number;
  /** Requests per minute one caller may send (caller-throttle.ts); 0: no per-caller limit. */
  callerRateLimit: number;
  /** Per-user quotas (shared/quotas/user-quotas.ts): active jobs, pending uploads, stored bytes. */
  quotas: { activeJobs: number; pendingUploads: number; storedBytes: number };
  /** Retention of the function logs and the access logs. */
  logRetention: logs.RetentionDays;
  /** What happens to the log groups when the stack is deleted. */
  removalPolicy: RemovalPolicy;
}

export class Api extends Construct {
  readonly restApi: apigw.RestApi;
  readonly functions: Record<string, GatewayFunction> = {};
  readonly authorizerFunction: GatewayFunction;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });

    this.authorizerFunction = new GatewayFunction(this, 'Authorizer', {
      entry: 'functions/authorizer/handler.ts',
      description: 'JWT authorizer of the imputation gateway API',
      environment: props.authorizerEnvironment,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    const authorizer = new apigw.TokenAuthorizer(this, 'JwtAuthorizer', {
      handler: this.authorizerFunction.function,
      identitySource: apigw.IdentitySource.header('Authorization'),
      resultsCacheTtl: Duration.minutes(5),
    });

    const cors = props.corsAllowedOrigins.length > 0;
    this.restApi = new apigw.RestApi(this, 'RestApi', {
      description: 'Federated genotype-imputation gateway',
      // Execution logging (errors) needs API Gateway's account-wide CloudWatch role; cdk.json turns the
      // default off, so this API asks for it explicitly (it is kept when the stack is deleted).
      cloudWatchRole: true,
      deployOptions: {
        stageName: 'v1',
        throttlingRateLimit: props.throttleRateLimit,
        throttlingBurstLimit: props.throttleBurstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
      },
      defaultMethodOptions: { authorizer, authorizationType: apigw.AuthorizationType.CUSTOM },
      defaultCorsPreflightOptions: cors
        ? {
            allowOrigins: props.corsAllowedOrigins,
            allowMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
            allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key'],
            maxAge: Duration.hours(1),
          }
        : undefined,
      endpointTypes: [apigw.EndpointType.REGIONAL],
    });
    // Path parameters are required at the gateway; bodies are validated by each handler's zod schema
    // (body validation here has no model, so it lets every body through to the handler).
    const validator = this.restApi.addRequestValidator('RequestValidator', {
      validateRequestParameters: true,
      validateRequestBody: true,
    });

    // Errors API Gateway answers itself (authorizer 401/403, throttling, unknown routes, timeouts) carry
    // the handlers' error shape and CORS headers, so a browser can read them like any other error. The
    // origin is the configured one, or `*` with several: these bodies are generic and the API takes
    // bearer tokens, never cookies, so the wildcard exposes nothing.
    const allowOrigin = props.corsAllowedOrigins.length === 1 ? props.corsAllowedOrigins[0] : '*';
    const responseHeaders: Record<string, string> = cors
      ? { 'Access-Control-Allow-Origin': `'${allowOrigin}'`, 'Cache-Control': "'no-store'" }
      : { 'Cache-Control': "'no-store'" };
    const gatewayError = (
      type: apigw.ResponseType,
      code: string,
      /** Literal text, or undefined for API Gateway's own message (already a quoted JSON string). */
      message: string | undefined,
      /** Undefined keeps the status API Gateway chose (the DEFAULT_* types cover many). */
      statusCode?: string,
    ) =>
      this.restApi.addGatewayResponse(`${type.responseType}Response`, {
        type,
        statusCode,
        responseHeaders,
        templates: {
          'application/json': `{"error":{"code":"${code}","message":${
            message === undefined ? '$context.error.messageString' : JSON.stringify(message)
          }}}`,
        },
      });
    gatewayError(apigw.ResponseType.UNAUTHORIZED, 'UNAUTHORIZED', 'Missing or invalid bearer token', '401');
    gatewayError(apigw.ResponseType.ACCESS_DENIED, 'FORBIDDEN', 'Access denied', '403');
    gatewayError(apigw.ResponseType.THROTTLED, 'THROTTLED', 'Too many requests; slow down', '429');
    // Without IAM-authorized methods, this type only means "no such resource or method" (API Gateway's
    // 403 "Missing Authentication Token"); answer it like the local stack does.
    gatewayError(apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, 'NOT_FOUND', 'No such route', '404');
    gatewayError(apigw.ResponseType.REQUEST_TOO_LARGE, 'PAYLOAD_TOO_LARGE', 'Request body too large', '413');
    gatewayError(apigw.ResponseType.DEFAULT_4XX, 'BAD_REQUEST', undefined);
    gatewayError(apigw.ResponseType.DEFAULT_5XX, 'GATEWAY_ERROR', undefined);

    const commonEnvironment = environmentOf({
      SERVICE_CATALOG: props.serviceCatalog,
      CORS_ALLOWED_ORIGINS: props.corsAllowedOrigins,
      MAX_UPLOAD_BYTES: props.maxUploadBytes,
      INPUT_EXPIRY_DAYS: props.inputExpiryDays,
      MAX_ACTIVE_JOBS_PER_USER: props.quotas.activeJobs,
      MAX_PENDING_UPLOADS_PER_USER: props.quotas.pendingUploads,
      MAX_STORED_BYTES_PER_USER: props.quotas.storedBytes,
    });
    for (const route of routes) {
      const fn = new GatewayFunction(this, route.id, {
        entry: route.entry,
        description: `${route.method} ${route.path}: ${route.description}`,
        timeout: Duration.seconds(route.timeoutSeconds ?? 10),
        environment: commonEnvironment,
        logRetention: props.logRetention,
        removalPolicy: props.removalPolicy,
      });
      grantAccess(fn, route.access, props.resources);
      this.functions[route.id] = fn;
      const pathParameters = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
      this.restApi.root
        .resourceForPath(route.path)
        .addMethod(route.method, new apigw.LambdaIntegration(fn.function), {
          operationName: route.id,
          requestValidator: validator,
          requestParameters: Object.fromEntries(
            pathParameters.map((p) => [`method.request.path.${p}`, true]),
          ),
        });
    }

    if (props.callerRateLimit > 0) {
      new CallerThrottle(this, 'CallerThrottle', {
        stage: this.restApi.deploymentStage,
        requestsPerMinute: props.callerRateLimit,
        corsOrigin: cors ? allowOrigin : undefined,
      });
    } else {
      NagSuppressions.addResourceSuppressions(this.restApi, [
        {
          id: 'AwsSolutions-APIG3',
          reason:
            'callerRateLimit=0: no web ACL (it costs while idle). The stage throttle and the JWT authorizer protect the API.',
        },
      ]);
    }
    NagSuppressions.addResourceSuppressions(
      this.restApi,
      [
        {
          id: 'AwsSolutions-IAM4',
          reason:
            "API Gateway's account-level CloudWatch role uses the AWS managed push-to-logs policy, as documented.",
          appliesTo: [
            'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs',
          ],
        },
      ],
      true,
    );
    for (const method of this.restApi.methods) {
      if (method.httpMethod === 'OPTIONS') {
        NagSuppressions.addResourceSuppressions(method, [
          { id: 'AwsSolutions-APIG4', reason: 'CORS preflight: browsers send OPTIONS without credentials.' },
          { id: 'AwsSolutions-COG4', reason: 'CORS preflight: browsers send OPTIONS without credentials.' },
        ]);
      } else {
        NagSuppressions.addResourceSuppressions(method, [
          {
            id: 'AwsSolutions-COG4',
            reason:
              'Guarded by the Lambda token authorizer (aws-jwt-verify), which verifies Cognito and bring-your-own OIDC tokens alike.',
          },
        ]);
      }
    }
  }
}
