/**
 * Circuit breakers shared by every router instance. Reads come from the instance's state snapshot
 * (memory); transitions are single-item conditional updates in the state table, so two instances
 * can never both move a breaker from the same state, and failure counts use atomic ADD so none is
 * lost. A success in CLOSED writes nothing: the common path costs no DynamoDB call at all.
 *
 * A counted failure is still one write: the failing key goes into the window's `failingKeys` string
 * set in the same update (ADD to a set is atomic and idempotent), and only while the window lacks
 * keys, so the item stays a few hundred bytes (one write unit).
 *
 * When DynamoDB cannot be reached the same transitions are applied to local memory (fail open).
 */
import {
  GetItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  admission,
  CLOSED,
  isWindowExpired,
  msUntilProbe,
  recordsKey,
  shouldClose,
  shouldTrip,
  withFailure,
  type BreakerSettings,
  type BreakerState,
} from '../../core/resilience/breaker';
import type { BreakerStore } from '../../ports/breakers';
import { isConditionFailure, type DynamoHealth } from './dynamo-health';
import { breakerFromItem, breakerKey } from './breaker-item';
import type { DynamoStateSnapshot } from './state-snapshot';

const num = (v: number): AttributeValue => ({ N: String(v) });

export function createDynamoBreakerStore(opts: {
  ddb: DynamoDBClient;
  table: string;
  snapshot: DynamoStateSnapshot;
  settings: BreakerSettings;
  dynamo: DynamoHealth;
  now: () => number;
}): BreakerStore {
  const { ddb, table, snapshot, settings, dynamo, now } = opts;
  const key = breakerKey;
  const view = (id: string) => snapshot.breaker(id) ?? CLOSED;
  const remember = (id: string, attrs: Record<string, AttributeValue> | undefined) => {
    if (attrs) snapshot.putBreaker(id, breakerFromItem(attrs));
  };
  const rememberLocal = (id: string, s: BreakerState) => snapshot.putBreaker(id, s);

  /** Runs a conditional update; true if applied, false if the condition failed (state re-read), null if DynamoDB is down. */
  async function update(id: string, input: Omit<UpdateItemCommandInput, 'TableName' | 'Key'>): Promise<boolean | null> {
    try {
      const res = await ddb.send(
        new UpdateItemCommand({ TableName: table, Key: key(id), ReturnValues: 'ALL_NEW', ...input }),
      );
      remember(id, res.Attributes);
      dynamo.ok();
      return true;
    } catch (err) {
      if (isConditionFailure(err)) {
        await reread(id);
        return false;
      }
      dynamo.failed('breaker update', err);
      return null;
    }
  }

  async function reread(id: string): Promise<void> {
    try {
      const res = await ddb.send(new GetItemCommand({ TableName: table, Key: key(id), ConsistentRead: true }));
      remember(id, res.Item ?? { phase: { S: 'closed' } });
    } catch (err) {
      dynamo.failed('breaker read', err);
    }
  }

  async function claimHalfOpen(id: string, s: BreakerState): Promise<boolean | null> {
    const t = now();
    return update(id, {
      UpdateExpression: 'SET phase = :half, changedAt = :now, probes = :one, successes = :zero',
      ConditionExpression: 'phase = :open AND changedAt = :changed',
      ExpressionAttributeValues: {
        ':half': { S: 'half_open' },
        ':open': { S: 'open' },
        ':now': num(t),
        ':one': num(1),
        ':zero': num(0),
        ':changed': num(s.changedAt),
      },
    });
  }

  async function claimProbe(id: string, s: BreakerState): Promise<boolean | null> {
    const t = now();
    if (t - s.changedAt >= settings.cooldownMs) {
      // Earlier probes never reported back (their instance died): restart the half-open period.
      return update(id, {
        UpdateExpression: 'SET changedAt = :now, probes = :one, successes = :zero',
        ConditionExpression: 'phase = :half AND changedAt = :changed',
        ExpressionAttributeValues: {
          ':half': { S: 'half_open' },
          ':now': num(t),
          ':one': num(1),
          ':zero': num(0),
          ':changed': num(s.changedAt),
        },
      });
    }
    return update(id, {
      UpdateExpression: 'ADD probes :one',
      ConditionExpression: 'phase = :half AND probes < :max',
      ExpressionAttributeValues: { ':half': { S: 'half_open' }, ':one': num(1), ':max': num(settings.halfOpenProbes) },
    });
  }

  /** Opens the breaker if it is still in phase `from`; true when this instance opened it. */
  async function trip(id: string, from: 'closed' | 'half_open', seen: BreakerState, t: number): Promise<boolean> {
    const r = await update(id, {
      UpdateExpression: 'SET phase = :open, changedAt = :now',
      ConditionExpression: 'phase = :from',
      ExpressionAttributeValues: { ':open': { S: 'open' }, ':from': { S: from }, ':now': num(t) },
    });
    if (r === null) rememberLocal(id, { ...seen, phase: 'open', changedAt: t });
    return r !== false;
  }

  return {
    view,
    async admit(id) {
      for (let round = 0; round < 2; round++) {
        const s = view(id);
        const a = admission(s, now(), settings);
        if (a === 'allow') return { allowed: true, probe: false, retryAfterMs: 0 };
        if (a === 'reject')
          return { allowed: false, probe: false, retryAfterMs: Math.max(1_000, msUntilProbe(s, now(), settings)) };
        const claimed = a === 'try_half_open' ? await claimHalfOpen(id, s) : await claimProbe(id, s);
        if (claimed === true) return { allowed: true, probe: true, retryAfterMs: 0 };
        if (claimed === null) {
          // DynamoDB is down: decide locally so this instance still probes and recovers.
          rememberLocal(id, {
            ...s,
            phase: 'half_open',
            changedAt: now(),
            probes: s.phase === 'half_open' ? s.probes + 1 : 1,
            successes: 0,
          });
          return { allowed: true, probe: true, retryAfterMs: 0 };
        }
        // Another instance moved the breaker first; the state was re-read, decide again.
      }
      const s = view(id);
      return { allowed: false, probe: false, retryAfterMs: Math.max(1_000, msUntilProbe(s, now(), settings)) };
    },

    async onFailure(id, probe, keyId) {
      const t = now();
      const s = view(id);
      if (probe || s.phase === 'half_open') return trip(id, 'half_open', s, t);
      if (s.phase === 'open') return false;

      const keys: AttributeValue = { SS: [keyId] };
      let counted = isWindowExpired(s, t, settings)
        ? await update(id, {
            UpdateExpression: 'SET phase = :closed, failures = :one, windowStart = :now, failingKeys = :keys',
            ConditionExpression: 'attribute_not_exists(pk) OR (phase = :closed AND windowStart = :ws)',
            ExpressionAttributeValues: {
              ':closed': { S: 'closed' },
              ':one': num(1),
              ':now': num(t),
              ':ws': num(s.windowStart),
              ':keys': keys,
            },
          })
        : false;
      if (counted === false) {
        // Someone else started this window: add to it atomically (the key too, while the window needs keys).
        const addKey = recordsKey(view(id), keyId, settings);
        counted = await update(id, {
          UpdateExpression: addKey ? 'ADD failures :one, failingKeys :keys' : 'ADD failures :one',
          ConditionExpression: 'phase = :closed',
          ExpressionAttributeValues: {
            ':closed': { S: 'closed' },
            ':one': num(1),
            ...(addKey ? { ':keys': keys } : {}),
          },
        });
      }
      if (counted === null) {
        const local = withFailure(s, keyId, t, settings);
        const opens = shouldTrip(local, settings);
        rememberLocal(id, opens ? { ...local, phase: 'open', changedAt: t } : local);
        return opens;
      }
      const after = view(id);
      if (after.phase !== 'closed' || !shouldTrip(after, settings)) return false;
      return trip(id, 'closed', after, t);
    },

    async releaseProbe(id) {
      const s = view(id);
      const r = await update(id, {
        UpdateExpression: 'ADD probes :minus',
        ConditionExpression: 'phase = :half AND probes > :zero',
        ExpressionAttributeValues: { ':half': { S: 'half_open' }, ':minus': num(-1), ':zero': num(0) },
      });
      if (r === null && s.phase === 'half_open') rememberLocal(id, { ...s, probes: Math.max(0, s.probes - 1) });
    },

    async onSuccess(id, probe) {
      const s = view(id);
      if (!probe && s.phase !== 'half_open') return;
      // A finished probe frees its slot: `probes` counts probes in flight, bounded by halfOpenProbes.
      const r = await update(id, {
        UpdateExpression: 'ADD successes :one, probes :minus',
        ConditionExpression: 'phase = :half',
        ExpressionAttributeValues: { ':half': { S: 'half_open' }, ':one': num(1), ':minus': num(-1) },
      });
      if (r === null) {
        const local = { ...s, successes: s.successes + 1, probes: Math.max(0, s.probes - 1) };
        rememberLocal(id, shouldClose(local.successes, settings) ? { ...CLOSED, windowStart: now() } : local);
        return;
      }
      if (!r || !shouldClose(view(id).successes, settings)) return;
      await update(id, {
        UpdateExpression:
          'SET phase = :closed, failures = :zero, windowStart = :now, probes = :zero, successes = :zero, changedAt = :now REMOVE failingKeys',
        ConditionExpression: 'phase = :half',
        ExpressionAttributeValues: {
          ':closed': { S: 'closed' },
          ':half': { S: 'half_open' },
          ':zero': num(0),
          ':now': num(now()),
        },
      });
    },
  };
}
