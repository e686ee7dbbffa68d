/**
 * The cutover as the console shows it (GET /v1/admin/cutover): the `live` alias' weights, the
 * deployment's state and the cutover alarms' states. The local runtime builds it from `npm run
 * cutover`'s rehearsal; on AWS `liveCutoverView` builds it from what Lambda (GetAlias), CodeDeploy
 * and CloudWatch (DescribeAlarms) report, handed over as plain facts so this stays pure.
 */

export interface CutoverView {
  state: 'in_progress' | 'completed' | 'rolled_back' | 'refused';
  blue: string;
  green: string;
  /** Version -> percent of traffic on the `live` alias. */
  weights: Record<string, number>;
  alarms: Array<{ id: string; state: string; green?: number; blue?: number }>;
  events: string[];
  updatedAt: string;
}

/** The alias as GetAlias reports it: its main version and the extra versions' weights (0..1). */
export interface AliasFacts {
  version: string;
  additionalWeights: Record<string, number>;
}

/** The newest deployment of the router's deployment group, with its Lambda target when known. */
export interface DeploymentFacts {
  id: string;
  /** CodeDeploy's DeploymentStatus: Created, Queued, InProgress, Baking, Ready, Succeeded, Failed, Stopped. */
  status: string;
  createdAt?: string;
  completedAt?: string;
  errorMessage?: string;
  /** The version traffic shifts away from (blue) and to (green). */
  currentVersion?: string;
  targetVersion?: string;
  /** Lifecycle events in order (BeforeAllowTraffic, AllowTraffic, AfterAllowTraffic). */
  lifecycleEvents: Array<{ name: string; status: string }>;
}

export interface AlarmFacts {
  name: string;
  /** OK, ALARM or INSUFFICIENT_DATA. */
  state: string;
}

const IN_PROGRESS = new Set(['Created', 'Queued', 'InProgress', 'Baking', 'Ready']);
/** The pre-traffic check runs as the BeforeAllowTraffic hook: when it fails, the version was refused. */
const PRE_TRAFFIC_EVENT = 'BeforeAllowTraffic';

export function deploymentState(d: DeploymentFacts): CutoverView['state'] {
  if (IN_PROGRESS.has(d.status)) return 'in_progress';
  if (d.status === 'Succeeded') return 'completed';
  const preTraffic = d.lifecycleEvents.find((e) => e.name === PRE_TRAFFIC_EVENT);
  // Failed or Stopped: the deployment group rolls back on both (autoRollback), so `live` is on blue.
  return preTraffic?.status === 'Failed' ? 'refused' : 'rolled_back';
}

/** Percent per version, to one decimal: the main version carries what the extra versions do not. */
export function aliasPercentages(alias: AliasFacts): Record<string, number> {
  const pct = (w: number) => Math.round(w * 1000) / 10;
  const extra = Object.entries(alias.additionalWeights).filter(([v]) => v !== alias.version);
  const rest = 1 - extra.reduce((sum, [, w]) => sum + w, 0);
  return Object.fromEntries([[alias.version, pct(Math.max(0, rest))], ...extra.map(([v, w]) => [v, pct(w)])]);
}

/** Undefined when the deployment group has never deployed: the route answers `idle`. */
export function liveCutoverView(facts: {
  alias: AliasFacts;
  deployment?: DeploymentFacts;
  alarms: AlarmFacts[];
  now: number;
}): CutoverView | undefined {
  const d = facts.deployment;
  if (!d) return undefined;
  const events = [
    `deployment ${d.id}: ${d.status}${d.createdAt ? ` (started ${d.createdAt})` : ''}`,
    ...d.lifecycleEvents.map((e) => `${e.name}: ${e.status}`),
    ...(d.completedAt ? [`ended ${d.completedAt}`] : []),
    ...(d.errorMessage ? [`error: ${d.errorMessage}`] : []),
  ];
  return {
    state: deploymentState(d),
    blue: d.currentVersion ?? '',
    green: d.targetVersion ?? '',
    weights: aliasPercentages(facts.alias),
    alarms: facts.alarms.map((a) => ({ id: a.name, state: a.state })),
    events,
    updatedAt: new Date(facts.now).toISOString(),
  };
}
