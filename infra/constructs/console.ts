/**
 * The web console in the cloud: its files in a private bucket that only CloudFront reads (origin access
 * control), served over HTTPS with the console's security headers (infra/console-headers.ts, the same
 * definition the local console server uses), and a `config.json` beside index.html written at deploy with
 * this deployment's API, issuer and client, so one build of `web/` serves every deployment.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import {
  CONSOLE_HSTS_SECONDS,
  CONSOLE_STATIC_HEADERS,
  type ConsoleConfig,
  type ConsoleOrigins,
  consoleContentSecurityPolicy,
} from '../console-headers';

export interface WebConsoleProps {
  /** The built console (`npm run build:web` → web/dist): index.html beside content-hashed `assets/*`. */
  assetDir: string;
  /**
   * What the console connects to (the CSP's connect-src). Nothing here may depend on the distribution:
   * the API's CORS and the user pool client depend on it, so that would be a dependency cycle.
   */
  origins: ConsoleOrigins;
  /** The deployment's `config.json`; its values may be deploy-time tokens. */
  config: ConsoleConfig;
  /** Where the console bucket's server access logs go (the stack's access-log bucket). */
  accessLogsBucket: s3.IBucket;
  /** Retention of the deployment function's log. */
  logRetention: logs.RetentionDays;
  /** DESTROY also removes the console's files and logs with the stack; RETAIN keeps the buckets. */
  removalPolicy: RemovalPolicy;
}

/**
 * Viewer-request function (cloudfront-js-2.0) of the single-page app: a path whose last segment has no
 * file extension (`/`, `/jobs/01J…`) is a route of the console, answered with /index.html; anything else
 * (`/assets/index-3f9a.js`, `/config.json`) is fetched as is. Preferred over mapping 403/404 error
 * responses to index.html, which would also turn a missing asset or config.json into a 200 HTML page
 * (a script the browser refuses with a MIME error, a config that fails to parse) instead of an honest 403.
 * It runs before the cache lookup, so every route shares the one cached /index.html.
 */
export const SPA_REWRITE_FUNCTION = `function handler(event) {
  var request = event.request;
  if (!/\\.[^/]*$/.test(request.uri)) request.uri = '/index.html';
  return request;
}`;

/** Content-hashed files never change under their name; everything else is revalidated on every load. */
const IMMUTABLE = [
  s3deploy.CacheControl.setPublic(),
  s3deploy.CacheControl.maxAge(Duration.days(365)),
  s3deploy.CacheControl.immutable(),
];
const REVALIDATE = [s3deploy.CacheControl.noCache()];
/** Paths whose content changes with a deploy under the same name (everything else is content-hashed). */
const CONSOLE_INVALIDATED_PATHS = ['/index.html', '/config.json'];

export class WebConsole extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  /** `https://<distribution domain>`: what the API's CORS and the user pool client allow. */
  readonly origin: string;

  constructor(scope: Construct, id: string, props: WebConsoleProps) {
    super(scope, id);
    if (!existsSync(join(props.assetDir, 'index.html'))) {
      throw new Error(
        `The web console is not built: ${join(props.assetDir, 'index.html')} is missing. Run \`npm run build:web\` ` +
          'first, or deploy without the console (-c console=false).',
      );
    }
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'console/',
      removalPolicy: props.removalPolicy,
    });

    // CloudFront's standard logs are delivered with object ACLs, which the access-log bucket has turned
    // off (BucketOwnerEnforced): they get a bucket of their own that accepts ACLs (BucketOwnerPreferred
    // keeps the objects ours), rather than enabling ACLs on the bucket every other log goes to.
    const distributionLogs = new s3.Bucket(this, 'DistributionLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'console-distribution-logs/',
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: props.removalPolicy,
    });

    const spaRewrite = new cloudfront.Function(this, 'SpaRewrite', {
      comment: 'Console routes (paths without a file extension) are answered with /index.html',
      code: cloudfront.FunctionCode.fromInline(SPA_REWRITE_FUNCTION),
      runtime: cloudfront.FunctionRuntime.JS_2_0,
    });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Web console of the imputation gateway',
      defaultRootObject: 'index.html',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      enableLogging: true,
      logBucket: distributionLogs,
      logFilePrefix: 'console/',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        // Honours each object's Cache-Control (set per file class below) within 1 s … 1 year.
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        compress: true,
        responseHeadersPolicy: this.headersPolicy(props.origins),
        functionAssociations: [
          { function: spaRewrite, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST },
        ],
      },
    });
    this.origin = `https://${this.distribution.distributionDomainName}`;
    NagSuppressions.addResourceSuppressions(this.distribution, [
      {
        id: 'AwsSolutions-CFR1',
        reason:
          'No geo restriction: researchers sign in from anywhere, and the console is public static files.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'No WAF by default: a web ACL costs while idle and the distribution serves static files only (the API is throttled and needs a token); ops may attach one.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'The default *.cloudfront.net certificate, whose TLS policy CloudFront fixes; a custom domain with its own certificate (TLSv1.2_2021) is a per-deployment choice.',
      },
    ]);

    this.deployFiles(props);
  }

  /** The console's headers: every entry of CONSOLE_STATIC_HEADERS, and the CSP naming what it connects to. */
  private headersPolicy(connectTo: ConsoleOrigins): cloudfront.ResponseHeadersPolicy {
    const typed = new Set([
      'X-Content-Type-Options',
      'X-Frame-Options',
      'Referrer-Policy',
      'Strict-Transport-Security',
    ]);
    const hsts = CONSOLE_STATIC_HEADERS['Strict-Transport-Security'];
    return new cloudfront.ResponseHeadersPolicy(this, 'Headers', {
      comment: 'Security headers of the imputation gateway console (infra/console-headers.ts)',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: consoleContentSecurityPolicy(connectTo),
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: {
          frameOption: member(cloudfront.HeadersFrameOption, CONSOLE_STATIC_HEADERS['X-Frame-Options']),
          override: true,
        },
        referrerPolicy: {
          referrerPolicy: member(cloudfront.HeadersReferrerPolicy, CONSOLE_STATIC_HEADERS['Referrer-Policy']),
          override: true,
        },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.seconds(CONSOLE_HSTS_SECONDS),
          includeSubdomains: /includeSubDomains/i.test(hsts),
          preload: /preload/i.test(hsts),
          override: true,
        },
      },
      // CloudFront refuses security headers as custom headers, hence the typed fields above.
      customHeadersBehavior: {
        customHeaders: Object.entries(CONSOLE_STATIC_HEADERS)
          .filter(([header]) => !typed.has(header))
          .map(([header, value]) => ({ header, value, override: true })),
      },
    });
  }

  /**
   * Hashed files first (kept across deploys, so a page loaded before a deploy still finds its chunks),
   * then index.html, config.json and any other top-level file, pruned of stale ones and invalidated.
   */
  private deployFiles(props: WebConsoleProps): void {
    const retainOnDelete = props.removalPolicy !== RemovalPolicy.DESTROY;
    const logGroup = new logs.LogGroup(this, 'DeploymentLogs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    // A config.json in the build (a local one) never overrides the deployment's.
    const files = s3deploy.Source.asset(props.assetDir, { exclude: ['config.json'] });
    const assets = new s3deploy.BucketDeployment(this, 'DeployAssets', {
      sources: [files],
      destinationBucket: this.bucket,
      exclude: ['*'],
      include: ['assets/*'],
      prune: false,
      cacheControl: IMMUTABLE,
      retainOnDelete,
      logGroup,
    });
    const site = new s3deploy.BucketDeployment(this, 'DeploySite', {
      sources: [files, s3deploy.Source.jsonData('config.json', props.config)],
      destinationBucket: this.bucket,
      // Excluded files are neither uploaded nor pruned: the hashed assets stay.
      exclude: ['assets/*'],
      prune: true,
      cacheControl: REVALIDATE,
      distribution: this.distribution,
      distributionPaths: CONSOLE_INVALIDATED_PATHS,
      retainOnDelete,
      logGroup,
    });
    site.node.addDependency(assets);
    this.acknowledgeDeploymentFunction();
  }

  /** The BucketDeployment's function and role are CDK's own (one per stack), not ours to shape. */
  private acknowledgeDeploymentFunction(): void {
    const stack = Stack.of(this);
    for (const child of stack.node.children) {
      if (!child.node.id.startsWith('Custom::CDKBucketDeployment')) continue;
      NagSuppressions.addResourceSuppressions(
        child,
        [
          {
            id: 'AwsSolutions-L1',
            reason: "CDK's BucketDeployment provider pins its own runtime (it bundles the AWS CLI for it).",
          },
          {
            id: 'AwsSolutions-IAM4',
            reason: "CDK's BucketDeployment provider role uses the AWS managed basic execution policy.",
            appliesTo: [
              'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
            ],
          },
          {
            id: 'AwsSolutions-IAM5',
            reason:
              "CDK's BucketDeployment provider reads the staged asset zips and syncs (puts, prunes) every object of the console bucket; being one provider for every deployment of the stack, it may invalidate any distribution.",
            appliesTo: [
              ...['GetBucket', 'GetObject', 'List', 'Abort', 'DeleteObject'].map(
                (action) => `Action::s3:${action}*`,
              ),
              {
                regex:
                  '/^Resource::arn:<AWS::Partition>:s3:::cdk-[a-z0-9]+-assets-<AWS::AccountId>-<AWS::Region>\\/\\*$/g',
              },
              { regex: '/^Resource::<Console\\w*Bucket\\w*\\.Arn>\\/\\*$/g' },
              'Resource::*',
            ],
          },
        ],
        true,
      );
    }
  }
}

/** The enum member whose value is `value`: the typed CloudFront setting of a header given as text. */
function member<E extends Record<string, string>>(enumeration: E, value: string): E[keyof E] {
  const found = Object.values(enumeration).find((candidate) => candidate === value);
  if (found === undefined) throw new Error(`CloudFront has no typed setting for the header value ${value}`);
  return found as E[keyof E];
}
