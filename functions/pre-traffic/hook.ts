/**
 * CodeDeploy's BeforeAllowTraffic hook: check the new version, then tell CodeDeploy. The report is
 * sent whatever happens (a hook that never reports holds the deployment for an hour), and anything
 * unexpected counts as a failed check: a version nobody could verify takes no traffic.
 */
import type { CompiledConfig } from '../core/config/compile';
import { checkVersion, describeReport, type CheckReport, type VersionInvoker } from './check-version';

export interface CodeDeployHookEvent {
  DeploymentId: string;
  LifecycleEventHookExecutionId: string;
}

export type HookStatus = 'Succeeded' | 'Failed';

export interface HookDeps {
  /** The config bundled with the hook: the same file, in the same synth, as the version under test. */
  config: () => CompiledConfig;
  invoke: VersionInvoker;
  report: (deploymentId: string, lifecycleEventHookExecutionId: string, status: HookStatus) => Promise<void>;
  log: (level: 'info' | 'error', msg: string, fields?: Record<string, unknown>) => void;
  sleep?: (ms: number) => Promise<void>;
  /**
   * Time left in the invocation (the Lambda context's getRemainingTimeInMillis). The checks are cut
   * off `REPORT_MARGIN_MS` before it runs out so that Failed is still reported: a hook killed by its
   * timeout reports nothing and holds the deployment for an hour.
   */
  remainingMs?: () => number;
  /** Providers whose key was never set. Failing or absent: none counted as unset. */
  unsetProviders?: () => Promise<ReadonlySet<string>>;
  /** Model ids of the version serving now (alias `live`). Failing or absent: unknown. */
  servingModels?: () => Promise<ReadonlySet<string> | undefined>;
}

/** A lookup that must not stop the check: its failure is logged and means "unknown". */
async function optional<T>(
  what: string,
  lookup: (() => Promise<T>) | undefined,
  deps: HookDeps,
  deploymentId: string,
): Promise<T | undefined> {
  if (!lookup) return undefined;
  try {
    return await lookup();
  } catch (err) {
    deps.log('error', `pre-traffic check: could not read ${what}`, {
      deploymentId,
      error: String((err as Error)?.message ?? err),
    });
    return undefined;
  }
}

/** Time kept back from the invocation's end for the report itself. */
export const REPORT_MARGIN_MS = 5_000;

/** `work`, or a rejection once `ms` have passed (the work is abandoned, not cancelled). */
async function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the checks did not finish in the ${Math.max(0, ms)} ms the hook had left`)),
      Math.max(0, ms),
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function runPreTrafficHook(
  event: CodeDeployHookEvent,
  deps: HookDeps,
): Promise<{ status: HookStatus; report?: CheckReport }> {
  let status: HookStatus = 'Failed';
  let report: CheckReport | undefined;
  try {
    const config = deps.config();
    const settings = config.settings.cutover.preTraffic;
    if (!settings.enabled) {
      status = 'Succeeded';
      deps.log('info', 'pre-traffic check disabled in the config', { deploymentId: event.DeploymentId });
    } else {
      const [unsetProviders, servingModels] = await Promise.all([
        optional('which provider keys are set', deps.unsetProviders, deps, event.DeploymentId),
        optional("the serving version's models", deps.servingModels, deps, event.DeploymentId),
      ]);
      if (unsetProviders?.size) {
        deps.log('info', 'pre-traffic check: provider keys not set yet', {
          deploymentId: event.DeploymentId,
          providers: [...unsetProviders].sort(),
        });
      }
      const checks = checkVersion(config, deps.invoke, {
        requestTimeoutMs: settings.requestTimeoutMs,
        requestIdPrefix: `pre-traffic-${event.DeploymentId}`,
        sleep: deps.sleep,
        unsetProviders,
        servingModels,
      });
      report = deps.remainingMs ? await within(checks, deps.remainingMs() - REPORT_MARGIN_MS) : await checks;
      status = report.ok ? 'Succeeded' : 'Failed';
      deps.log(
        report.ok ? 'info' : 'error',
        report.ok ? 'pre-traffic check passed' : 'pre-traffic check failed: the new version takes no traffic',
        {
          deploymentId: event.DeploymentId,
          results: describeReport(report),
        },
      );
    }
  } catch (err) {
    deps.log('error', 'pre-traffic check could not run', {
      deploymentId: event.DeploymentId,
      error: String((err as Error)?.message ?? err),
    });
  }
  await deps.report(event.DeploymentId, event.LifecycleEventHookExecutionId, status);
  return { status, report };
}
