/**
 * A CodeDeploy Lambda deployment, replayed locally: the blue version (the gateway's config) and the
 * green version (another config) run side by side behind a weighted `live` alias; the pre-traffic
 * check runs first; traffic shifts on the configured schedule, time-scaled; after every alarm
 * period the cutover alarms are evaluated on the metrics green emitted, and any alarm in ALARM
 * shifts everything back to blue.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { cutoverAlarms, type CutoverAlarmId } from '../../functions/core/cutover/alarms';
import { alarmState, periodValue } from './evaluate';
import { percentAt, shiftMinutes, trafficSteps } from './schedule';
import type { CutoverSettings } from '../../functions/core/cutover/settings';
import { DIMENSIONS, LOCAL_STACK, METRICS } from '../../functions/core/telemetry/metric-names';
import { checkVersion, type CheckReport } from '../../functions/pre-traffic/check-version';
import type { LocalGateway } from '../gateway';
import type { StreamingHandler } from '../lambda-streaming';
import { localVersionInvoker } from './invoke-local';
import { ALIAS_NAME, LOCAL_FUNCTION_NAME, VersionMetrics } from './version-metrics';
import { WeightedAlias, type AliasVersion } from './weighted-alias';
import { cutoverView } from './console-view';
import type { AlarmReading, CutoverEvent, CutoverOutcome, CutoverResult, PeriodRecord } from './events';

export type { CutoverEvent, CutoverOutcome, CutoverResult } from './events';

export interface CutoverRunOptions {
  gateway: LocalGateway;
  /** The new version's config as written (its providers are pointed at the simulator like blue's). */
  greenConfig: unknown;
  /** Real milliseconds per minute of the schedule (60_000 = real time). */
  minuteMs: number;
  /** Default: the green config's `cutover` section, as on AWS (the new stack defines the deployment). */
  settings?: CutoverSettings;
  onEvent?: (e: CutoverEvent) => void;
  /** Called after the pre-traffic check passed, right before the first shift (fault injection). */
  beforeFirstShift?: () => void | Promise<void>;
}

const BLUE = '1';
const GREEN = '2';

/** The version's handler, counting invocations that throw as Lambda `Errors` (what CodeDeploy's alarm sees). */
function countingErrors(handler: StreamingHandler, version: string, metrics: VersionMetrics): StreamingHandler {
  const wrapped: StreamingHandler = async (event, stream, context) => {
    metrics.invocation(version);
    try {
      await handler(event, stream, context);
    } catch (err) {
      metrics.functionError(version);
      throw err;
    }
  };
  return globalThis.awslambda.streamifyResponse(wrapped as never) as unknown as StreamingHandler;
}

/**
 * Rates, latencies and error counts do not change when time is scaled, but the number of requests
 * in a period does: a 1-second "minute" sees a sixtieth of a real minute's traffic. The sample-size
 * guard scales with it, or the rate alarms of a short local run would never have enough requests.
 */
export function timeScaled(settings: CutoverSettings, minuteMs: number): CutoverSettings {
  const minRequests = Math.max(1, Math.ceil((settings.alarms.minRequests * Math.min(minuteMs, 60_000)) / 60_000));
  return { ...settings, alarms: { ...settings.alarms, minRequests } };
}

export async function runCutover(opts: CutoverRunOptions): Promise<CutoverResult> {
  const { gateway: gw, minuteMs } = opts;
  const metrics = new VersionMetrics();
  const blueInstance = gw.newRouterInstance({ telemetry: metrics.telemetry() });
  const greenInstance = gw.newRouterInstance({ telemetry: metrics.telemetry() }, { configJson: opts.greenConfig });
  const blue: AliasVersion = {
    version: BLUE,
    handler: countingErrors(blueInstance.handler as unknown as StreamingHandler, BLUE, metrics),
  };
  const green: AliasVersion = {
    version: GREEN,
    handler: countingErrors(greenInstance.handler as unknown as StreamingHandler, GREEN, metrics),
  };
  const settings = timeScaled(opts.settings ?? greenInstance.deps.config.settings.cutover, minuteMs);

  const alias = new WeightedAlias(blue);
  gw.setTargetSelector(() => alias.select());

  const events: CutoverEvent[] = [];
  const emit = (e: CutoverEvent) => {
    events.push(e);
    opts.onEvent?.(e);
    // The console's cutover view follows the rehearsal.
    gw.publishCutover(cutoverView(events, alias.weights(), Date.now()));
  };
  const result = (outcome: CutoverOutcome, extra: Partial<CutoverResult> = {}): CutoverResult => ({
    outcome,
    settings,
    blue: BLUE,
    green: GREEN,
    events,
    alias,
    metrics,
    ...extra,
  });

  emit({ type: 'start', settings, blue: BLUE, green: GREEN });

  // BeforeAllowTraffic: green is invoked directly, never through the alias.
  let preTraffic: CheckReport | undefined;
  if (settings.preTraffic.enabled) {
    preTraffic = await checkVersion(greenInstance.deps.config, localVersionInvoker(green.handler, GREEN), {
      requestTimeoutMs: settings.preTraffic.requestTimeoutMs,
      retryDelayMs: 100,
      requestIdPrefix: 'pre-traffic-local',
    });
    emit({ type: 'pre_traffic', version: GREEN, report: preTraffic });
    if (!preTraffic.ok) return result('refused', { preTraffic });
  }

  const specs = cutoverAlarms(settings.alarms, {
    functionName: LOCAL_FUNCTION_NAME,
    aliasName: ALIAS_NAME,
    stack: LOCAL_STACK,
    version: GREEN,
  });
  const steps = trafficSteps(settings);
  const periodMinutes = settings.alarms.periodSeconds / 60;
  const endMinute = shiftMinutes(settings);

  // Every moment something happens, in schedule minutes: alarm periods end, traffic steps begin.
  const moments: Array<{ minute: number; kind: 'period' | 'step' }> = [];
  for (let k = 1; k * periodMinutes <= endMinute; k++) moments.push({ minute: k * periodMinutes, kind: 'period' });
  for (const s of steps) moments.push({ minute: s.atMinute, kind: 'step' });
  // At the same minute the alarms are read before the next step shifts more traffic.
  moments.sort((a, b) => a.minute - b.minute || (a.kind === 'period' ? -1 : 1));

  await opts.beforeFirstShift?.();
  const history = new Map<CutoverAlarmId, Array<number | undefined>>(specs.map((s) => [s.id, []]));
  const t0 = Date.now();
  const at = (minute: number) => t0 + minute * minuteMs;
  let index = 0;
  for (const m of moments) {
    const wait = at(m.minute) - Date.now();
    if (wait > 0) await sleep(wait);

    if (m.kind === 'step') {
      const percent = percentAt(steps, m.minute);
      if (percent >= 100) {
        alias.route(green, 1);
        alias.promote();
        emit({ type: 'complete', atMinute: m.minute, weights: alias.weights() });
        return result('completed', { preTraffic });
      }
      alias.route(green, percent / 100);
      emit({ type: 'shift', atMinute: m.minute, weights: alias.weights() });
      continue;
    }

    const from = at(m.minute - periodMinutes);
    const to = at(m.minute);
    const samples = metrics.samples();
    const alarms = {} as Record<CutoverAlarmId, AlarmReading>;
    for (const spec of specs) {
      const value = periodValue(spec, samples, from, to);
      const values = history.get(spec.id)!;
      values.push(value);
      alarms[spec.id] = { value, state: alarmState(spec, values) };
    }
    const requestsOf = (version: string) =>
      samples.filter(
        (s) =>
          s.at >= from &&
          s.at < to &&
          s.metricName === METRICS.requests &&
          Object.keys(s.dimensions).length === 2 &&
          s.dimensions[DIMENSIONS.version] === version,
      ).length;
    const period: PeriodRecord = {
      index: ++index,
      atMinute: m.minute,
      greenPercent: percentAt(steps, m.minute - periodMinutes),
      requests: { blue: requestsOf(BLUE), green: requestsOf(GREEN) },
      alarms,
    };
    emit({ type: 'period', period, specs });

    const firing = specs.filter((s) => alarms[s.id].state === 'ALARM').map((s) => s.id);
    if (firing.length > 0) {
      alias.rollback();
      emit({ type: 'rollback', atMinute: m.minute, alarms: firing, weights: alias.weights() });
      return result('rolled_back', { preTraffic, alarms: firing });
    }
  }
  // Unreachable with a valid schedule (its last step is 100%); kept for an empty one.
  return result('completed', { preTraffic });
}
