/**
 * A few alarms that matter for a service nobody watches all day: the API answering 5xx, functions
 * erroring or being throttled, and job executions failing or timing out. They notify an SNS topic
 * (optionally e-mailed). A dashboard shows them beside the gateway's own metrics (shared/metrics.ts):
 * jobs created / succeeded / failed, bytes copied, polls, slot waits and validation failures, one line
 * per imputation service (a SEARCH over the service dimension, so a service added to the catalog
 * appears without a deploy).
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { type GatewayMetric, gatewayMetrics, METRICS_NAMESPACE, SERVICE_DIMENSION } from '#shared/metrics';
import { DEPLOYED_SERVICE_NAME, type GatewayFunction } from './gateway-function';

export interface MonitoringProps {
  /** Its 5xx answers are watched. */
  api: apigw.RestApi;
  /** Every function of the stack; their errors and throttles are watched. */
  functions: GatewayFunction[];
  /** Its failed and timed-out executions are watched. */
  stateMachine: sfn.StateMachine;
  /** The catalog's services: a job driven again at any of them raises an alarm. */
  serviceIds: string[];
  /** Subscribed to the alarm topic when given (the address must confirm the subscription). */
  alarmEmail?: string;
  /** What happens to the topic's key when the stack is deleted. */
  removalPolicy: RemovalPolicy;
}

/** An alarm's math expression may use at most 10 metrics. */
const METRICS_PER_EXPRESSION = 10;

/** One line per imputation service: every series of `name` in our namespace, whatever its service. */
export function perServiceMetric(name: GatewayMetric, period: Duration): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE},${SERVICE_DIMENSION},service} MetricName="${name}"', 'Sum', ${period.toSeconds()})`,
    label: '',
    period,
  });
}

/** One service's series of a business metric, as the functions emit it (shared/metrics.ts). */
function gatewayMetric(name: GatewayMetric, serviceId: string, period: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { [SERVICE_DIMENSION]: serviceId, service: DEPLOYED_SERVICE_NAME },
    statistic: 'Sum',
    period,
  });
}

const fifteenMinutes = Duration.minutes(15);

export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    // A key of its own: CloudWatch must be allowed to use the topic's key to publish, and that grant
    // does not belong on the key that guards users' service tokens (nor can the AWS-managed SNS key
    // be granted to CloudWatch at all).
    const key = new kms.Key(this, 'TopicKey', {
      description: 'Encrypts the alarm notifications of the imputation gateway',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new sns.Topic(this, 'Alarms', { masterKey: key, enforceSSL: true });
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const notify = new actions.SnsAction(this.topic);

    const alarms: cloudwatch.Alarm[] = [];
    const alarm = (id: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const created = new cloudwatch.Alarm(this, id, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      created.addAlarmAction(notify);
      alarms.push(created);
      return created;
    };
    const fiveMinutes = { period: Duration.minutes(5), statistic: 'Sum' };

    alarm(
      'Api5xx',
      props.api.metricServerError(fiveMinutes),
      5,
      'The API answered 5xx five times in 5 minutes',
    );

    // One sum per group of functions (the expression limit), for errors and for throttles.
    for (let start = 0, group = 1; start < props.functions.length; start += METRICS_PER_EXPRESSION, group++) {
      const chunk = props.functions.slice(start, start + METRICS_PER_EXPRESSION);
      const names = chunk.map((fn) => fn.node.path.split('/').slice(-2).join('/')).join(', ');
      const sumOf = (label: string, metricOf: (fn: GatewayFunction) => cloudwatch.IMetric) =>
        new cloudwatch.MathExpression({
          expression: chunk.map((_, index) => `m${index}`).join(' + '),
          usingMetrics: Object.fromEntries(chunk.map((fn, index) => [`m${index}`, metricOf(fn)])),
          period: fiveMinutes.period,
          label,
        });
      alarm(
        `FunctionErrors${group}`,
        sumOf(`Errors (group ${group})`, (fn) => fn.function.metricErrors(fiveMinutes)),
        5,
        `Functions failed five times in 5 minutes: ${names}`,
      );
      alarm(
        `FunctionThrottles${group}`,
        sumOf(`Throttles (group ${group})`, (fn) => fn.function.metricThrottles(fiveMinutes)),
        1,
        `Functions were throttled (account concurrency exhausted?): ${names}`,
      );
    }

    alarm(
      'ExecutionsFailed',
      props.stateMachine.metricFailed({ period: Duration.minutes(15), statistic: 'Sum' }),
      3,
      'Three or more job workflows failed in 15 minutes (check the services and tokens)',
    );
    alarm(
      'ExecutionsTimedOut',
      props.stateMachine.metricTimedOut({ period: Duration.minutes(15), statistic: 'Sum' }),
      1,
      'A job workflow timed out',
    );

    // A job whose execution was gone while the job was not over (a bug, a manual stop, a redrive gone
    // wrong): the watcher drove it again, and someone should find out why. One sum per group of services.
    for (
      let start = 0, group = 1;
      start < props.serviceIds.length;
      start += METRICS_PER_EXPRESSION, group++
    ) {
      const chunk = props.serviceIds.slice(start, start + METRICS_PER_EXPRESSION);
      alarm(
        props.serviceIds.length > METRICS_PER_EXPRESSION ? `JobsRedriven${group}` : 'JobsRedriven',
        new cloudwatch.MathExpression({
          expression: chunk.map((_, index) => `FILL(m${index}, 0)`).join(' + '),
          usingMetrics: Object.fromEntries(
            chunk.map((serviceId, index) => [
              `m${index}`,
              gatewayMetric('JobsRedriven', serviceId, fifteenMinutes),
            ]),
          ),
          period: fifteenMinutes,
          label: `Jobs driven again (${chunk.join(', ')})`,
        }),
        1,
        `The watcher found a job whose execution had ended without moving it on, and drove it again (${chunk.join(', ')}); its timeline and the watcher's log say which`,
      );
    }

    const hour = Duration.hours(1);
    const graph = (names: GatewayMetric[], title: string, unit = 'per hour') =>
      new cloudwatch.GraphWidget({
        title: `${title} (${unit})`,
        width: 12,
        height: 6,
        left: names.map((name) => perServiceMetric(name, hour)),
        leftYAxis: { min: 0 },
      });
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(7),
      widgets: [
        [
          graph(['JobsCreated', 'JobsSucceeded', 'JobsFailed'], 'Jobs by imputation service'),
          graph(['BytesCopied'], gatewayMetrics.BytesCopied.label),
        ],
        [
          graph(
            ['Polls', 'SlotWaits', 'ServiceWaits', 'JobsRedriven'],
            'Status polls, waits for a slot or a service, jobs driven again',
          ),
          graph(['ValidationFailures'], gatewayMetrics.ValidationFailures.label),
        ],
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 24, height: 4, alarms })],
        alarms.map((created) => new cloudwatch.AlarmWidget({ alarm: created, width: 6, height: 5 })),
      ],
    });
  }
}
