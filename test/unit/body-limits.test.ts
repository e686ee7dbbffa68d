/** The router's body limit can never be configured at or above what Lambda accepts in one invocation. */
import defaultConfig from '../../config/switchyard.json';
import {
  LAMBDA_SYNC_PAYLOAD_BYTES,
  MAX_ROUTER_BODY_BYTES,
  WAF_BODY_LIMIT_BYTES,
} from '../../functions/core/body-limits';
import { compileConfig } from '../../functions/core/config/compile';

describe('body limits', () => {
  it('caps gateway.maxBodyBytes below the Lambda payload limit, naming the field', () => {
    const withLimit = (maxBodyBytes: number) => ({
      ...defaultConfig,
      gateway: { ...defaultConfig.gateway, maxBodyBytes },
    });
    expect(compileConfig(withLimit(MAX_ROUTER_BODY_BYTES)).settings.gateway.maxBodyBytes).toBe(MAX_ROUTER_BODY_BYTES);
    expect(() => compileConfig(withLimit(MAX_ROUTER_BODY_BYTES + 1))).toThrow(
      expect.objectContaining({ problems: [expect.stringMatching(/^gateway\.maxBodyBytes: must be <= 4194304/)] }),
    );
  });

  it('orders the limits: router cap < WAF refusal < Lambda payload limit', () => {
    expect(MAX_ROUTER_BODY_BYTES).toBeLessThan(WAF_BODY_LIMIT_BYTES);
    expect(WAF_BODY_LIMIT_BYTES).toBeLessThan(LAMBDA_SYNC_PAYLOAD_BYTES);
  });
});
