import { Duration, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import { DIMENSIONS, METRICS, METRIC_NAMESPACE } from '../../functions/core/telemetry/metric-names';

/** What a region's stack needs to join the shared, latency-routed API name. */
export interface RegionalDomainOptions {
  /** The API name shared by every region, e.g. `llm.example.com`. */
  readonly domainName: string;
  /** The Route 53 public hosted zone that holds `domainName`. */
  readonly hostedZoneId: string;
  /** That zone's name, e.g. `example.com`. */
  readonly zoneName: string;
  /** A certificate for `domainName` in this stack's region. @default - one is created, validated through the zone */
  readonly certificateArn?: string;
}

export interface RegionalDomainProps extends RegionalDomainOptions {
  readonly api: apigateway.RestApi;
}

/**
 * Multi-region without a home-made geo layer: every region's stack adds the same custom domain name
 * to its own API and one Route 53 latency record for it, tied to a health check. Route 53 answers
 * each client with the lowest-latency region whose health check passes.
 *
 * The health check watches a CloudWatch alarm, not an HTTP endpoint: "no model available in this
 * region" (the health-check function's AvailableModels gauge below 1 for 3 minutes). An HTTP probe
 * of a public path could be failed by anyone who floods that path into its throttle, failing the
 * region over; an alarm on the region's own probe results cannot. A region therefore drops out of
 * DNS when it cannot serve any model and comes back by itself; while the alarm has no data (the
 * health check stopped) Route 53 keeps the last known status.
 */
export class RegionalDomain extends Construct {
  readonly domain: apigateway.DomainName;
  readonly healthCheck: route53.HealthCheck;
  /** ALARM when the region has no model with a healthy endpoint. */
  readonly unavailableAlarm: cloudwatch.Alarm;
  readonly record: route53.ARecord;

  constructor(scope: Construct, id: string, props: RegionalDomainProps) {
    super(scope, id);
    const { region } = Stack.of(this);
    const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
      hostedZoneId: props.hostedZoneId,
      zoneName: props.zoneName,
    });
    const certificate = props.certificateArn
      ? acm.Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn)
      : new acm.Certificate(this, 'Certificate', {
          domainName: props.domainName,
          validation: acm.CertificateValidation.fromDns(zone),
        });

    // The API's stage at the root of the custom domain: https://<domainName>/v1/...
    this.domain = new apigateway.DomainName(this, 'Domain', {
      domainName: props.domainName,
      certificate,
      endpointType: apigateway.EndpointType.REGIONAL,
      securityPolicy: apigateway.SecurityPolicy.TLS_1_2,
      mapping: props.api,
    });

    const stackName = Stack.of(this).stackName;
    this.unavailableAlarm = new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE,
      metricName: METRICS.availableModels,
      dimensionsMap: { [DIMENSIONS.stack]: stackName },
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(1),
    }).createAlarm(this, 'RegionUnavailable', {
      alarmName: `${stackName}-${region}-no-model-available`,
      alarmDescription: `Switchyard: no model in ${region} has a healthy endpoint; Route 53 sends clients to other regions.`,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      threshold: 1,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
    });
    this.healthCheck = new route53.HealthCheck(this, 'HealthCheck', {
      type: route53.HealthCheckType.CLOUDWATCH_METRIC,
      alarmIdentifier: { name: this.unavailableAlarm.alarmName, region },
      insufficientDataHealthStatus: route53.InsufficientDataHealthStatusEnum.LAST_KNOWN_STATUS,
    });

    this.record = new route53.ARecord(this, 'LatencyRecord', {
      zone,
      recordName: props.domainName,
      target: route53.RecordTarget.fromAlias(new route53targets.ApiGatewayDomain(this.domain)),
      region,
      setIdentifier: `switchyard-${region}`,
      healthCheck: this.healthCheck,
      comment: 'Switchyard: latency-routed regional API (one record per region stack)',
    });
  }
}

/**
 * The option from `switchyard:*` context values: all of domainName, hostedZoneId and zoneName, or
 * none (off). A partial set is a mistake worth stopping the synth for.
 */
export function regionalDomainOptions(values: {
  domainName?: string;
  hostedZoneId?: string;
  zoneName?: string;
  certificateArn?: string;
}): RegionalDomainOptions | undefined {
  const { domainName, hostedZoneId, zoneName, certificateArn } = values;
  const given = [domainName, hostedZoneId, zoneName].filter(Boolean).length;
  if (given === 0) return undefined;
  if (!domainName || !hostedZoneId || !zoneName) {
    throw new Error(
      'multi-region needs all of switchyard:domainName, switchyard:hostedZoneId and switchyard:hostedZoneName',
    );
  }
  return { domainName, hostedZoneId, zoneName, ...(certificateArn ? { certificateArn } : {}) };
}
