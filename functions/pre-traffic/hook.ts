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
}

export async function runPreTrafficHook(event: CodeDeployHookEvent, deps: HookDeps): Promise<{ status: HookStatus; report?: CheckReport }> {
  let status: HookStatus = 'Failed';
  let report: CheckReport | undefined;
  try {
    const config = deps.config();
    const settings = config.raw.cutover.preTraffic;
    if (!settings.enabled) {
      status = 'Succeeded';
      deps.log('info', 'pre-traffic check disabled in the config', { deploymentId: event.DeploymentId });
    } else {
      report = await checkVersion(config, deps.invoke, {
        requestTimeoutMs: settings.requestTimeoutMs,
        requestIdPrefix: `pre-traffic-${event.DeploymentId}`,
        sleep: deps.sleep,
      });
      status = report.ok ? 'Succeeded' : 'Failed';
      deps.log(report.ok ? 'info' : 'error', report.ok ? 'pre-traffic check passed' : 'pre-traffic check failed: the new version takes no traffic', {
        deploymentId: event.DeploymentId,
        results: describeReport(report),
      });
    }
  } catch (err) {
    deps.log('error', 'pre-traffic check could not run', { deploymentId: event.DeploymentId, error: String((err as Error)?.message ?? err) });
  }
  await deps.report(event.DeploymentId, event.LifecycleEventHookExecutionId, status);
  return { status, report };
}
