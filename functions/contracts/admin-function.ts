/**
 * What the stack tells the admin function (`/v1/admin/keys...`, `/v1/admin/cutover` on AWS), declared
 * once for lib/constructs/admin-function.ts (which sets it) and the function (which reads it).
 */

/** The admin endpoints API Gateway sends to the admin function instead of the router. */
export const ADMIN_FUNCTION_RESOURCES = ['/v1/admin/keys', '/v1/admin/keys/{proxy+}', '/v1/admin/cutover'] as const;

/** JSON of `CutoverTarget`: what the cutover view reads. */
export const CUTOVER_TARGET_ENV = 'SWITCHYARD_CUTOVER_TARGET';

export interface CutoverTarget {
  /** The router function's name and its `live` alias. */
  functionName: string;
  aliasName: string;
  /** The CodeDeploy application and deployment group that shift the alias. */
  applicationName: string;
  deploymentGroupName: string;
  /** The cutover alarms of the deployed version (router and authorizer). */
  alarmNames: string[];
}

/** The target from the environment, or undefined when it is absent or not the expected shape. */
export function cutoverTargetFrom(env: NodeJS.ProcessEnv): CutoverTarget | undefined {
  const raw = env[CUTOVER_TARGET_ENV];
  if (!raw) return undefined;
  try {
    const t = JSON.parse(raw) as Partial<CutoverTarget>;
    const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
    if (!str(t.functionName) || !str(t.aliasName) || !str(t.applicationName) || !str(t.deploymentGroupName))
      return undefined;
    const alarmNames = Array.isArray(t.alarmNames) ? t.alarmNames.filter(str) : [];
    return {
      functionName: t.functionName,
      aliasName: t.aliasName,
      applicationName: t.applicationName,
      deploymentGroupName: t.deploymentGroupName,
      alarmNames,
    };
  } catch {
    return undefined;
  }
}
