import { Duration, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import { STAGE_NAME } from './api';

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
 * to its own API and one Route 53 latency record for it, tied to a health check on that region's
 * `GET /health`. Route 53 answers each client with the lowest-latency region whose health check
 * passes; `/health` answers 503 only when every model of the region is down, so a region drops out
 * of DNS when it cannot serve and comes back by itself.
 */
export class RegionalDomain extends Construct {
  readonly domain: apigateway.DomainName;
  readonly healthCheck: route53.HealthCheck;
  readonly record: route53.ARecord;

  constructor(scope: Construct, id: string, props: RegionalDomainProps) {
    super(scope, id);
    const { region, urlSuffix } = Stack.of(this);
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

    // Checked on this region's own execute-api host: the shared name may resolve to another region.
    this.healthCheck = new route53.HealthCheck(this, 'HealthCheck', {
      type: route53.HealthCheckType.HTTPS,
      fqdn: `${props.api.restApiId}.execute-api.${region}.${urlSuffix}`,
      resourcePath: `/${STAGE_NAME}/health`,
      requestInterval: Duration.seconds(30),
      failureThreshold: 3,
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
