/** Who uses the response cache, how, for how long and in which scope (core/cache/policy.ts). */
import { decideCache, isSampled, type CachePolicyInput } from '../../functions/core/cache/policy';
import { CacheSchema, RouteCacheSchema } from '../../functions/core/config/cache-schema';
import { GatewayError } from '../../functions/core/openai/errors';

const config = (over: Record<string, unknown> = {}) => CacheSchema.parse(over);
const route = (over: Record<string, unknown> = {}) => RouteCacheSchema.parse(over);

const decide = (over: Partial<CachePolicyInput> = {}, headers: Record<string, string> = {}) =>
  decideCache({ config: config(), headers, request: { temperature: 0 }, hasKey: true, ...over });

describe('decideCache', () => {
  it('leaves the cache out when nobody asks for it', () => {
    expect(decide()).toEqual({ kind: 'off' });
  });

  it('opts in per request, per route or per key, with the key scope by default', () => {
    expect(decide({}, { 'x-switchyard-cache': 'use' })).toEqual({ kind: 'use', ttlSeconds: 3600, scope: 'key' });
    expect(decide({ route: route() })).toEqual({ kind: 'use', ttlSeconds: 3600, scope: 'key' });
    expect(decide({ keyTtlSeconds: 120 })).toEqual({ kind: 'use', ttlSeconds: 120, scope: 'key' });
  });

  it('takes the header value case-insensitively, and refresh as asked', () => {
    expect(decide({}, { 'x-switchyard-cache': ' Refresh ' })).toMatchObject({ kind: 'refresh' });
  });

  it('lets a request skip a route that opted in', () => {
    expect(decide({ route: route() }, { 'x-switchyard-cache': 'skip' })).toEqual({ kind: 'skip', reason: 'client' });
  });

  it('shares entries only when the route says so', () => {
    expect(decide({ route: route({ scope: 'shared' }) })).toMatchObject({ kind: 'use', scope: 'shared' });
    expect(decide({ route: route({ scope: 'shared' }), hasKey: false })).toMatchObject({ scope: 'shared' });
    expect(decide({ hasKey: false }, { 'x-switchyard-cache': 'use' })).toEqual({ kind: 'skip', reason: 'no_key' });
  });

  it('picks the TTL: header, then route, then key, then the default; never above the maximum', () => {
    const r = route({ ttlSeconds: 600 });
    expect(decide({ route: r, keyTtlSeconds: 60 }, { 'x-switchyard-cache-ttl': '30' })).toMatchObject({
      ttlSeconds: 30,
    });
    expect(decide({ route: r, keyTtlSeconds: 60 })).toMatchObject({ ttlSeconds: 600 });
    expect(decide({ keyTtlSeconds: 60 })).toMatchObject({ ttlSeconds: 60 });
    expect(decide({ config: config({ defaultTtlSeconds: 90 }), route: route() })).toMatchObject({ ttlSeconds: 90 });
    expect(decide({ route: route() }, { 'x-switchyard-cache-ttl': '99999999' })).toMatchObject({ ttlSeconds: 86_400 });
    expect(decide({ config: config({ maxTtlSeconds: 100 }), route: r })).toMatchObject({ ttlSeconds: 100 });
  });

  it('caches a sampled request only when the config or the route says so', () => {
    const sampled = { temperature: 0.7 };
    expect(decide({ route: route(), request: sampled })).toEqual({ kind: 'skip', reason: 'sampled' });
    expect(decide({ route: route(), request: {} })).toEqual({ kind: 'skip', reason: 'sampled' });
    expect(decide({ route: route({ sampled: true }), request: sampled })).toMatchObject({ kind: 'use' });
    expect(decide({ config: config({ sampled: true }), route: route(), request: sampled })).toMatchObject({
      kind: 'use',
    });
    expect(decide({ config: config({ sampled: true }), route: route({ sampled: false }), request: sampled })).toEqual({
      kind: 'skip',
      reason: 'sampled',
    });
  });

  it('never caches logprobs (a stream replay could not carry them)', () => {
    expect(decide({ route: route(), request: { temperature: 0, logprobs: true } })).toEqual({
      kind: 'skip',
      reason: 'logprobs',
    });
    expect(decide({ route: route(), request: { temperature: 0, logprobs: false } })).toMatchObject({ kind: 'use' });
  });

  it('lets the operator forbid caching: gateway-wide, per route, per key; the request cannot override', () => {
    const asked = { 'x-switchyard-cache': 'use' };
    expect(decide({ config: config({ enabled: false }) }, asked)).toEqual({ kind: 'skip', reason: 'disabled' });
    expect(decide({ route: route({ enabled: false }) }, asked)).toEqual({ kind: 'skip', reason: 'route' });
    expect(decide({ keyTtlSeconds: 0 }, asked)).toEqual({ kind: 'skip', reason: 'key' });
    expect(decide({ route: route(), keyTtlSeconds: 0 })).toEqual({ kind: 'off' });
    expect(decide({ config: config({ enabled: false }), route: route() })).toEqual({ kind: 'off' });
  });

  it.each([
    [{ 'x-switchyard-cache': 'yes' }, 'x-switchyard-cache'],
    [{ 'x-switchyard-cache-ttl': '0' }, 'x-switchyard-cache-ttl'],
    [{ 'x-switchyard-cache-ttl': '1.5' }, 'x-switchyard-cache-ttl'],
    [{ 'x-switchyard-cache-ttl': '-3' }, 'x-switchyard-cache-ttl'],
    [{ 'x-switchyard-cache-ttl': 'soon' }, 'x-switchyard-cache-ttl'],
  ])('refuses %j with a 400 naming the header, even where caching is off', (headers, param) => {
    for (const over of [{}, { config: config({ enabled: false }) }]) {
      let thrown: unknown;
      try {
        decide(over, headers);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(GatewayError);
      expect(thrown).toMatchObject({ status: 400, param });
    }
  });
});

describe('isSampled', () => {
  it('is true for temperature above 0 and for an unset one (the upstreams default to 1)', () => {
    expect(isSampled({ temperature: 0 })).toBe(false);
    expect(isSampled({ temperature: 0.01 })).toBe(true);
    expect(isSampled({})).toBe(true);
    expect(isSampled({ temperature: null })).toBe(true);
  });
});
