#!/usr/bin/env node
/**
 * The CDK app (`npx cdk synth` / `deploy`; cdk.json runs it with tsx). Settings come from the
 * `switchyard:*` context keys in cdk.json, overridable with `-c key=value`, e.g.
 *
 *   npx cdk deploy -c switchyard:removalPolicy=destroy -c switchyard:configPath=config/dev.json
 *
 * CDK_VALIDATION=false skips aws-cdk-lib's built-in template validation (~9 s) for quick local synths;
 * cdk-nag's AwsSolutions checks always run and fail the synth on any unacknowledged finding.
 */
import { compileConfig } from '../functions/core/config/compile';
import { createSwitchyardApp } from '../lib/app';

createSwitchyardApp({
  stackProps: {
    // Refuse to synthesise (and so to deploy) a routing config the router would reject at cold start.
    validateConfig: (config) => void compileConfig(config),
  },
});
