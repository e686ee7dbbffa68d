import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { ModelSlo, SloAlarmSettings } from '../../functions/core/slo/objectives';
import { DIMENSIONS, METRICS, METRIC_NAMESPACE } from '../../functions/core/telemetry/metric-names';

export interface SloAlarmsProps {
  readonly slos: readonly ModelSlo[];
  readonly settings: SloAlarmSettings;
  /** Notified on ALARM and back to OK. @default - no notifications */
  readonly topic?: sns.ITopic;
}

/**
 * One alarm per model and latency objective (config `slo`, core/slo/objectives.ts): the model's
 * time to first token (FirstTokenLatency) and/or whole-request time (Latency) at the objective's
 * percentile, on the router's version-less per-model metrics, so the alarm keeps watching through
 * cutovers and rollbacks.
 *
 * - M of N periods above the target alarm (default three 5-minute periods): one slow minute does not page.
 * - No traffic is not a breach (missing data: not breaching).
 * - A period with too few samples for the percentile to mean anything (CloudWatch: fewer than
 *   1/(1-p), e.g. 20 for p95) leaves the state as it is instead of judging (`ignore`).
 */
export class SloAlarms extends Construct {
  /** Keyed `<model>:ttft` or `<model>:total`. */
  readonly alarms: ReadonlyMap<string, cloudwatch.Alarm>;
  readonly all: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: SloAlarmsProps) {
    super(scope, id);
    const prefix = Stack.of(this).stackName;
    const s = props.settings;
    if (s.datapointsToAlarm > s.evaluationPeriods)
      throw new Error(`slo.alarm.datapointsToAlarm (${s.datapointsToAlarm}) exceeds evaluationPeriods`);
    const period = Duration.seconds(s.periodSeconds);
    const window = `${s.datapointsToAlarm} of ${s.evaluationPeriods} periods of ${s.periodSeconds / 60} min`;
    const cid = (v: string) => v.replace(/\//g, '_');
    const alarms = new Map<string, cloudwatch.Alarm>();

    for (const slo of props.slos) {
      const measures = [
        { key: 'ttft', metricName: METRICS.firstTokenLatency, target: slo.ttftMs, what: 'time to first token' },
        { key: 'total', metricName: METRICS.latency, target: slo.totalMs, what: 'request time' },
      ] as const;
      for (const m of measures) {
        if (m.target === undefined) continue;
        const metric = new cloudwatch.Metric({
          namespace: METRIC_NAMESPACE,
          metricName: m.metricName,
          dimensionsMap: { [DIMENSIONS.stack]: prefix, [DIMENSIONS.model]: slo.model },
          statistic: slo.percentile,
          period,
        });
        const tier = slo.tier ? ` (tier ${slo.tier})` : '';
        alarms.set(
          `${slo.model}:${m.key}`,
          metric.createAlarm(this, `Slo-${cid(slo.model)}-${m.key === 'ttft' ? 'Ttft' : 'Total'}`, {
            alarmName: `${prefix}-slo-${slo.model}-${m.key}`,
            alarmDescription: `Switchyard: ${slo.percentile} ${m.what} of model ${slo.model} above its ${m.target} ms objective${tier} in ${window}.`,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            threshold: m.target,
            evaluationPeriods: s.evaluationPeriods,
            datapointsToAlarm: s.datapointsToAlarm,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
            evaluateLowSampleCountPercentile: 'ignore',
          }),
        );
      }
    }
    this.alarms = alarms;
    this.all = [...alarms.values()];
    if (props.topic) {
      const action = new actions.SnsAction(props.topic);
      for (const alarm of this.all) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }
  }
}
