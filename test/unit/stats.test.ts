/** GET /v1/stats shaping and the report table, pure (no I/O, no mocks). */
import { GatewayError } from '../../functions/core/openai/errors';
import { latencyBucket, quantileMs } from '../../functions/core/latency-histogram';
import { parseStatsDays, recentUtcDays } from '../../functions/core/stats/days';
import { dayStats, statsReport, withConfiguredLimits, type UsageRow } from '../../functions/core/stats/stats-report';
import { parseTableRow, renderStatsTable } from '../../bin/lib/stats-table';

function row(scope: string, over: Partial<UsageRow> = {}, latencies: number[] = []): UsageRow {
  const latency: Record<number, number> = {};
  for (const ms of latencies) latency[latencyBucket(ms)] = (latency[latencyBucket(ms)] ?? 0) + 1;
  return {
    scope,
    requests: latencies.length,
    successes: latencies.length,
    errors: 0,
    promptTokens: 0,
    completionTokens: 0,
    costMicros: 0,
    latency,
    ...over,
  };
}

describe('stats days', () => {
  it('defaults to today and yesterday and accepts 1..31', () => {
    expect(parseStatsDays(undefined)).toBe(2);
    expect(parseStatsDays('')).toBe(2);
    expect(parseStatsDays('7')).toBe(7);
    expect(parseStatsDays('31')).toBe(31);
  });

  it.each(['0', '32', '-1', '2.5', 'abc', '1e1', '9999'])('rejects %p with a 400 naming the parameter', (raw) => {
    let err: unknown;
    try {
      parseStatsDays(raw);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).status).toBe(400);
    expect((err as GatewayError).param).toBe('days');
  });

  it('lists UTC days newest first, across a month boundary', () => {
    expect(recentUtcDays(Date.parse('2026-03-01T00:30:00Z'), 3)).toEqual(['2026-03-01', '2026-02-28', '2026-02-27']);
  });
});

describe('dayStats', () => {
  const usage = [
    row(
      'model#gpt-4.1',
      { promptTokens: 100, completionTokens: 50, costMicros: 600, errors: 1, successes: 2, requests: 3 },
      [100, 200, 900],
    ),
    row('model#deepseek-v3.2', { promptTokens: 40, completionTokens: 10, costMicros: 16 }, [50]),
    row('route#auto', { costMicros: 16 }, [50]),
    row('key#key_0123', { costMicros: 616 }, [100, 200, 900, 50]),
  ];

  it('totals the model rows (each request is in exactly one), with merged latency percentiles', () => {
    const d = dayStats('2026-11-23', usage);
    expect(d.total).toMatchObject({
      scope: 'total',
      requests: 4,
      successes: 3,
      errors: 1,
      inputTokens: 140,
      outputTokens: 60,
      costMicros: 616,
      costUsd: '0.000616',
    });
    expect(d.total.p50Ms).toBe(
      quantileMs(
        { [latencyBucket(50)]: 1, [latencyBucket(100)]: 1, [latencyBucket(200)]: 1, [latencyBucket(900)]: 1 },
        0.5,
      ),
    );
    expect(d.total.p99Ms).toBeGreaterThanOrEqual(900);
    expect(d.models.map((m) => m.name)).toEqual(['gpt-4.1', 'deepseek-v3.2']); // most expensive first
    expect(d.scopes.map((s) => [s.kind, s.name])).toEqual([
      ['key', 'key_0123'],
      ['route', 'auto'],
    ]);
  });

  it('turns ledger rows into USD and percent used, global first', () => {
    const d = dayStats(
      '2026-11-23',
      [],
      [
        { scope: 'model#gpt-4.1', limitMicros: 0, spentMicros: 5, reservedMicros: 0 },
        { scope: 'global', limitMicros: 100_000_000, spentMicros: 80_000_000, reservedMicros: 500_000 },
      ],
    );
    expect(d.budgets[0]).toEqual({
      scope: 'global',
      limitMicros: 100_000_000,
      limitUsd: '100.000000',
      spentMicros: 80_000_000,
      spentUsd: '80.000000',
      reservedMicros: 500_000,
      reservedUsd: '0.500000',
      usedPercent: 80.5,
    });
    expect(d.budgets[1].usedPercent).toBeNull();
    expect(d.total.requests).toBe(0);
    expect(d.total.p50Ms).toBeNull();
  });
});

describe('withConfiguredLimits', () => {
  it('replaces the ledger limit (summed over touched shards only) by the configured one and lists configured scopes without spend', () => {
    const rows = withConfiguredLimits(
      [
        { scope: 'global', limitMicros: 37_500_000, spentMicros: 1_185, reservedMicros: 0 },
        { scope: 'key#key_1', limitMicros: 5_000_000, spentMicros: 10, reservedMicros: 2 },
      ],
      { global: 100_000_000, 'model#gpt-4.1': 25_000_000 },
    );
    expect(rows).toEqual([
      { scope: 'global', limitMicros: 100_000_000, spentMicros: 1_185, reservedMicros: 0 },
      { scope: 'key#key_1', limitMicros: 5_000_000, spentMicros: 10, reservedMicros: 2 },
      { scope: 'model#gpt-4.1', limitMicros: 25_000_000, spentMicros: 0, reservedMicros: 0 },
    ]);
  });
});

describe('renderStatsTable', () => {
  it('prints the same values as the JSON, one row per scope', () => {
    const report = statsReport(
      [
        {
          day: '2026-11-23',
          usage: [
            row('model#gpt-4.1', { costMicros: 1234567, promptTokens: 9, completionTokens: 3 }, [120]),
            row('route#chat-default', {}, [120]),
          ],
          budgets: [{ scope: 'global', limitMicros: 100_000_000, spentMicros: 1_234_567, reservedMicros: 0 }],
        },
        { day: '2026-11-22', usage: [] },
      ],
      Date.parse('2026-11-23T12:00:00Z'),
    );
    const text = renderStatsTable(report);
    const lines = text.split('\n');
    expect(lines[0]).toBe('2026-11-23 (today, UTC)');
    const cells = (label: string) => parseTableRow(lines.find((l) => l.startsWith(label + ' '))!);
    const m = report.days[0].models[0];
    expect(cells('model gpt-4.1')).toEqual([
      'model gpt-4.1',
      '1',
      '1',
      '0',
      '9',
      '3',
      m.costUsd,
      m.costPerRequestUsd,
      String(m.avgMs),
      String(m.p50Ms),
      String(m.p95Ms),
      String(m.p99Ms),
    ]);
    expect(cells('route chat-default').slice(0, 2)).toEqual(['route chat-default', '1']);
    expect(cells('global')).toEqual(['global', '100.000000', '1.234567', '0.000000', '1.2%']);
    expect(text).toContain('2026-11-22 (yesterday)');
    // An empty day still has its total row, with dashes for percentiles.
    const yesterday = lines.slice(lines.indexOf('2026-11-22 (yesterday)'));
    expect(parseTableRow(yesterday.find((l) => l.startsWith('total'))!)).toEqual([
      'total',
      '0',
      '0',
      '0',
      '0',
      '0',
      '0.000000',
      '-',
      '-',
      '-',
      '-',
      '-',
    ]);
  });
});
