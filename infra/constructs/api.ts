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
import { type AccessResources, grantAccess } from './access';
import { GatewayFunction } from './gateway-function';

export interface ApiProps {
  resources: AccessResources;
  /** Environment of the authorizer (from the Identity construct). */
  authorizerEnvironment: Record<string, string>;
  corsAllowedOrigins: string[];
  serviceCatalog: ServiceDefinition[];
  throttleRateLimit: number;
  throttleBurstLimit: number;
  maxUploadBytes: number;
  inputExpiryDays: number;
  logRetention: logs.RetentionDays;
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

    const corsHeaders: Record<string, string> = cors ? { 'Access-Control-Allow-Origin': "'*'" } : {};
    const gatewayError = (type: apigw.ResponseType, status: string, code: string, message: string) =>
      this.restApi.addGatewayResponse(`${code}Response`, {
        type,
        statusCode: status,
        responseHeaders: corsHeaders,
        templates: { 'application/json': JSON.stringify({ error: { code, message } }) },
      });
    gatewayError(apigw.ResponseType.UNAUTHORIZED, '401', 'UNAUTHORIZED', 'Missing or invalid bearer token');
    gatewayError(apigw.ResponseType.ACCESS_DENIED, '403', 'FORBIDDEN', 'Access denied');
    gatewayError(apigw.ResponseType.THROTTLED, '429', 'THROTTLED', 'Too many requests; slow down');
    gatewayError(apigw.ResponseType.DEFAULT_4XX, '400', 'BAD_REQUEST', 'The request could not be handled');
    gatewayError(
      apigw.ResponseType.DEFAULT_5XX,
      '502',
      'GATEWAY_ERROR',
      'The API could not answer; try again',
    );

    const commonEnvironment = {
      SERVICE_CATALOG: JSON.stringify(props.serviceCatalog),
      CORS_ALLOWED_ORIGINS: props.corsAllowedOrigins.join(','),
      MAX_UPLOAD_BYTES: String(props.maxUploadBytes),
      INPUT_EXPIRY_DAYS: String(props.inputExpiryDays),
    };
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
          requestValidator: validator,
          requestParameters: Object.fromEntries(
            pathParameters.map((p) => [`method.request.path.${p}`, true]),
          ),
        });
    }

    NagSuppressions.addResourceSuppressions(
      this.restApi,
      [
        {
          id: 'AwsSolutions-APIG3',
          reason:
            'No WAF by default: it costs while idle. Throttling and the JWT authorizer protect the API; ops may attach a web ACL.',
        },
        {
          id: 'AwsSolutions-COG4',
          reason:
            'A Lambda authorizer (aws-jwt-verify) verifies Cognito and bring-your-own OIDC tokens alike.',
        },
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
    for (const method of this.restApi.methods.filter((m) => m.httpMethod === 'OPTIONS')) {
      NagSuppressions.addResourceSuppressions(method, [
        { id: 'AwsSolutions-APIG4', reason: 'CORS preflight: browsers send OPTIONS without credentials.' },
      ]);
    }
  }
}
