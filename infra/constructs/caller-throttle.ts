/**
 * Per-caller request throttling in front of the API, besides the stage-wide throttle: an AWS WAF web ACL
 * on the stage with a rate-based rule that counts requests per bearer token (the `Authorization` header)
 * and answers 429 in the API's error shape, with Retry-After, once one caller passes its limit in a
 * minute; a second rule counts per source IP, at ten times that, for what carries no token (or a new one
 * each time: every forged token costs an authorizer invocation).
 *
 * Why WAF and not API Gateway usage plans: usage plans throttle per API key, so every user would need an
 * API key of their own — created and kept in step with the identity provider by some function with
 * apigateway:* rights (at most 10,000 keys per account and region), and looked up by the authorizer to
 * return it as `usageIdentifierKey` — and AWS documents their throttling as best effort, not a security
 * control. A WAF rate-based rule needs no state of ours, works with Cognito and any OIDC issuer alike,
 * and counts requests before they reach the authorizer or a function. WAF cannot read a JWT's `sub`, so
 * the key is the whole token: a user holding several valid tokens at once gets one budget per token,
 * which the identity provider bounds (tokens last an hour), and the per-user quotas (active jobs, uploads,
 * bytes: shared/quotas/user-quotas.ts) hold per `sub` whatever the token. It costs about $6 a month while
 * idle (web ACL and two rules), so `callerRateLimit=0` leaves it out.
 */
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface CallerThrottleProps {
  /** The API stage the web ACL guards. */
  stage: apigw.Stage;
  /** Requests one bearer token may send in a minute. */
  requestsPerMinute: number;
  /** The API's CORS origin, so a browser can read the 429 (undefined: no CORS header). */
  corsOrigin?: string;
}

/** WAF's evaluation window of the rate-based rules, seconds. */
export const CALLER_RATE_WINDOW_SECONDS = 60;
const BODY_KEY = 'callerThrottled';

export class CallerThrottle extends Construct {
  readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: CallerThrottleProps) {
    super(scope, id);
    const block = {
      block: {
        customResponse: {
          responseCode: 429,
          customResponseBodyKey: BODY_KEY,
          responseHeaders: [
            { name: 'Retry-After', value: String(CALLER_RATE_WINDOW_SECONDS) },
            { name: 'Cache-Control', value: 'no-store' },
            ...(props.corsOrigin
              ? [
                  { name: 'Access-Control-Allow-Origin', value: props.corsOrigin },
                  { name: 'Access-Control-Expose-Headers', value: 'Retry-After' },
                ]
              : []),
          ],
        },
      },
    };
    const visibility = (name: string) => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName: name,
    });
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      description: 'Per-caller request limits of the imputation gateway API',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('ImputationGatewayApi'),
      customResponseBodies: {
        [BODY_KEY]: {
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify({
            error: {
              code: 'THROTTLED',
              message: `Too many requests from you: at most ${props.requestsPerMinute} a minute per caller; retry after the Retry-After seconds`,
            },
          }),
        },
      },
      rules: [
        {
          name: 'PerCaller',
          priority: 0,
          action: block,
          visibilityConfig: visibility('PerCaller'),
          statement: {
            rateBasedStatement: {
              limit: props.requestsPerMinute,
              evaluationWindowSec: CALLER_RATE_WINDOW_SECONDS,
              aggregateKeyType: 'CUSTOM_KEYS',
              // Requests without the header are not counted here (the per-IP rule counts them).
              customKeys: [
                { header: { name: 'authorization', textTransformations: [{ priority: 0, type: 'NONE' }] } },
              ],
            },
          },
        },
        {
          name: 'PerAddress',
          priority: 1,
          action: block,
          visibilityConfig: visibility('PerAddress'),
          statement: {
            rateBasedStatement: {
              limit: props.requestsPerMinute * 10,
              evaluationWindowSec: CALLER_RATE_WINDOW_SECONDS,
              aggregateKeyType: 'IP',
            },
          },
        },
      ],
    });
    // The stage's ARN refers to the stage resource, so the association waits for it.
    new wafv2.CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}
