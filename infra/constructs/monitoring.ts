/**
 * A few alarms that matter for a service nobody watches all day: the API answering 5xx, any function
 * erroring, and job executions failing or timing out. They notify an SNS topic (optionally e-mailed).
 */
import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { GatewayFunction } from './gateway-function';

export interface MonitoringProps {
  api: apigw.RestApi;
  functions: GatewayFunction[];
  stateMachine: sfn.StateMachine;
  /** Encrypts the alarm topic. */
  key: kms.IKey;
  alarmEmail?: string;
}

export class Monitoring extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Alarms', { masterKey: props.key, enforceSSL: true });
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const notify = new actions.SnsAction(this.topic);

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
      return created;
    };

    alarm(
      'Api5xx',
      props.api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
      5,
      'The API answered 5xx five times in 5 minutes',
    );
    // An alarm's math expression may use at most 10 metrics: one alarm per group of ten functions.
    for (let start = 0, group = 1; start < props.functions.length; start += 10, group++) {
      const chunk = props.functions.slice(start, start + 10);
      const errors = new cloudwatch.MathExpression({
        expression: chunk.map((_, index) => `e${index}`).join(' + '),
        usingMetrics: Object.fromEntries(
          chunk.map((fn, index) => [
            `e${index}`,
            fn.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
          ]),
        ),
        period: Duration.minutes(5),
        label: `Errors of gateway functions (group ${group})`,
      });
      alarm(
        `FunctionErrors${group}`,
        errors,
        5,
        `Gateway functions (group ${group}) failed five times in 5 minutes`,
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
  }
}
