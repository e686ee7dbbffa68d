import { Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { ObservedConfig } from '../observed-config';
import { SwitchyardDashboard } from './dashboard';
import { CapacityAlarms, type CapacityAlarmsProps } from './capacity-alarms';
import { OperationalAlarms } from './operational-alarms';
import { SloAlarms } from './slo-alarms';
import { DEFAULT_SLO_ALARM } from '../../functions/core/slo/objectives';

export interface ObservabilityProps {
  readonly config: ObservedConfig;
  /** Subscribe this address to alarm notifications (a topic is created unless `alarmTopicArn` is given). */
  readonly alarmEmail?: string;
  /** Send notifications to this existing topic (e.g. one wired to chat or paging). */
  readonly alarmTopicArn?: string;
  /** @default 10 */
  readonly breakerOpenAlarmMinutes?: number;
  /** Shown on the dashboard next to the operational alarms (they act through CodeDeploy, not the topic). */
  readonly cutoverAlarms?: readonly cloudwatch.IAlarm[];
  /** Throttles, concurrency, DynamoDB throttling and the 5xx rate. @default - none */
  readonly capacity?: CapacityAlarmsProps;
}

/**
 * The dashboard, the operational alarms and, when asked for, where the alarms notify. Without
 * `alarmEmail` or `alarmTopicArn` nothing is notified: alarms still change state and show on the
 * dashboard, and the cutover alarms (which act through CodeDeploy) need no topic at all.
 */
export class Observability extends Construct {
  readonly topic?: sns.ITopic;
  readonly alarms: OperationalAlarms;
  /** One alarm per model and latency objective (config `slo`). */
  readonly slo: SloAlarms;
  readonly capacity?: CapacityAlarms;
  readonly dashboard: SwitchyardDashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    if (props.alarmTopicArn) {
      this.topic = sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn);
    } else if (props.alarmEmail) {
      const topic = new sns.Topic(this, 'AlarmTopic', { displayName: 'Switchyard alarms', enforceSSL: true });
      Validations.of(topic).acknowledge({
        id: 'AwsSolutions-SNS2',
        reason:
          'Alarm notifications carry alarm names, metric values and thresholds, no request data or secrets. CloudWatch ' +
          'cannot publish to a topic encrypted with the AWS-managed SNS key, and a customer-managed key per stack is not ' +
          'worth it for this content; pass alarmTopicArn to use an encrypted topic of your own.',
      });
      this.topic = topic;
    }
    if (props.alarmEmail) this.topic!.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

    this.alarms = new OperationalAlarms(this, 'Alarms', {
      config: props.config,
      topic: this.topic,
      breakerOpenMinutes: props.breakerOpenAlarmMinutes,
    });
    this.slo = new SloAlarms(this, 'Slo', {
      slos: props.config.slos ?? [],
      settings: props.config.sloAlarm ?? DEFAULT_SLO_ALARM,
      topic: this.topic,
    });
    if (props.capacity) {
      this.capacity = new CapacityAlarms(this, 'Capacity', props.capacity);
      if (this.topic) {
        const action = new actions.SnsAction(this.topic);
        for (const alarm of this.capacity.all) {
          alarm.addAlarmAction(action);
          alarm.addOkAction(action);
        }
      }
    }
    this.dashboard = new SwitchyardDashboard(this, 'Dashboard', {
      config: props.config,
      alarms: this.alarms.all,
      cutoverAlarms: props.cutoverAlarms,
    });
    if (this.capacity)
      this.dashboard.addAlarmStatus('Capacity alarms (throttles, concurrency, DynamoDB, 5xx rate)', this.capacity.all);
    if (this.slo.all.length) this.dashboard.addAlarmStatus('Latency SLOs per model', this.slo.all);
  }
}
