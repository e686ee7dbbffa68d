/** The fleet's mean call time per endpoint, from every instance's recent-call counters. */
import { fleetCallTimes, MIN_CALLS_FOR_CALL_TIME } from '../../functions/core/balancing/fleet-call-time';
import { fromItem, toItem } from '../../functions/adapters/dynamo/health-item';

describe('fleetCallTimes', () => {
  it('is busy time over calls, per endpoint, for endpoints seen often enough', () => {
    const times = fleetCallTimes([
      { endpoint: 'a', calls: 10, faults: 2, busyMs: 4_500 },
      { endpoint: 'b', calls: MIN_CALLS_FOR_CALL_TIME - 1, faults: 0, busyMs: 400 },
      { endpoint: 'c', calls: MIN_CALLS_FOR_CALL_TIME, faults: 0, busyMs: 0 },
    ]);
    expect([...times]).toEqual([
      ['a', 450],
      ['c', 1],
    ]);
  });
});

describe('health item', () => {
  it('keeps the fleet call time through a write and a read, and leaves it out when unknown', () => {
    const base = {
      status: 'healthy' as const,
      consecutiveFailures: 0,
      consecutiveSuccesses: 2,
      probedAt: 5,
      changedAt: 1,
      version: 3,
    };
    expect(fromItem(toItem('e', { ...base, fleetCallMs: 812 }))?.fleetCallMs).toBe(812);
    expect(fromItem(toItem('e', base))).not.toHaveProperty('fleetCallMs');
  });
});
