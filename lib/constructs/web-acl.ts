import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { WAF_BODY_LIMIT_BYTES, WAF_CONTENT_LENGTH_REGEX } from '../../functions/core/body-limits';

export interface WebAclOptions {
  /**
   * Requests per client IP per 5 minutes before the IP is blocked (429) until it slows down.
   * @default 3000 (10 per second sustained)
   */
  readonly requestsPerIpPer5Minutes?: number;
}

/**
 * Managed rules whose *_BODY parts would read prompts as attacks: an LLM prompt is often larger
 * than 8 KB, and routinely contains code, HTML, `../` paths, URLs and talk of Log4j. Those parts
 * only COUNT (visible in the WAF metrics), the header, URI and query parts block.
 */
const BODY_RULES_THAT_ONLY_COUNT: Record<string, string[]> = {
  AWSManagedRulesCommonRuleSet: [
    'SizeRestrictions_BODY',
    'CrossSiteScripting_BODY',
    'GenericLFI_BODY',
    'GenericRFI_BODY',
    'EC2MetaDataSSRF_BODY',
  ],
  AWSManagedRulesKnownBadInputsRuleSet: ['Log4JRCE_BODY', 'JavaDeserializationRCE_BODY'],
};

/** The OpenAI-shaped answers WAF sends itself (no request reaches API Gateway's gateway responses). */
const RESPONSE_BODIES = {
  TooLarge: {
    status: 413,
    error: {
      message: `Request body too large (the limit is below ${WAF_BODY_LIMIT_BYTES} bytes).`,
      type: 'invalid_request_error',
      param: null,
      code: 'request_too_large',
    },
  },
  RateLimited: {
    status: 429,
    error: {
      message: 'Too many requests from this address; slow down and retry.',
      type: 'rate_limit_error',
      param: null,
      code: 'ip_rate_limited',
    },
  },
} as const;

/**
 * The stack's own regional web ACL (`-c switchyard:waf=true`): a rate-based rule per client IP,
 * oversized bodies refused with a 413 before they reach Lambda (Content-Length at or above
 * WAF_BODY_LIMIT_BYTES; see functions/core/body-limits.ts), and the AWS managed common and
 * known-bad-inputs rule groups with their body rules counting only.
 */
export class SwitchyardWebAcl extends Construct {
  readonly acl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, options: WebAclOptions = {}) {
    super(scope, id);
    const limit = options.requestsPerIpPer5Minutes ?? 3000;
    if (!Number.isInteger(limit) || limit < 10 || limit > 2_000_000_000)
      throw new Error(`requestsPerIpPer5Minutes must be an integer from 10 to 2e9, got ${limit}`);
    const visibility = (name: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      metricName: `Switchyard${name}`,
      sampledRequestsEnabled: true,
    });
    const block = (key: keyof typeof RESPONSE_BODIES) => ({
      block: { customResponse: { responseCode: RESPONSE_BODIES[key].status, customResponseBodyKey: key } },
    });
    const managed = (priority: number, name: string): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name,
          ruleActionOverrides: (BODY_RULES_THAT_ONLY_COUNT[name] ?? []).map((rule) => ({
            name: rule,
            actionToUse: { count: {} },
          })),
        },
      },
      visibilityConfig: visibility(name),
    });

    this.acl = new wafv2.CfnWebACL(this, 'Acl', {
      scope: 'REGIONAL',
      description: 'Switchyard: per-IP rate limit, oversized bodies, AWS managed rules',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('WebAcl'),
      customResponseBodies: Object.fromEntries(
        Object.entries(RESPONSE_BODIES).map(([key, { error }]) => [
          key,
          { contentType: 'APPLICATION_JSON', content: JSON.stringify({ error }) },
        ]),
      ),
      rules: [
        {
          name: 'BodyTooLarge',
          priority: 0,
          action: block('TooLarge'),
          statement: {
            regexMatchStatement: {
              fieldToMatch: { singleHeader: { Name: 'content-length' } },
              regexString: WAF_CONTENT_LENGTH_REGEX,
              textTransformations: [{ priority: 0, type: 'NONE' }],
            },
          },
          visibilityConfig: visibility('BodyTooLarge'),
        },
        {
          name: 'RateLimitPerIp',
          priority: 1,
          action: block('RateLimited'),
          statement: { rateBasedStatement: { limit, aggregateKeyType: 'IP' } },
          visibilityConfig: visibility('RateLimitPerIp'),
        },
        managed(2, 'AWSManagedRulesCommonRuleSet'),
        managed(3, 'AWSManagedRulesKnownBadInputsRuleSet'),
      ],
    });
  }
}
