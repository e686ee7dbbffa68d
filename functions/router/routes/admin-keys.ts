/**
 * `/v1/admin/keys...` (admin keys only): the key lifecycle over HTTP, for the console and scripts.
 *   GET    /v1/admin/keys                 list (never a secret, never a hash)
 *   POST   /v1/admin/keys                 create: {name, admin?, ...limits, expiresIn?}; the secret is in this answer only
 *   PATCH  /v1/admin/keys/{keyId}         update limits: {rpm?, tpm?, dailyBudgetUsd?, weeklyBudgetUsd?,
 *                                         monthlyBudgetUsd?, defaultBudgetFactor?, allowedModels?,
 *                                         maxConcurrency?, cacheTtlSeconds?, expiresIn?}; null clears one
 *   POST   /v1/admin/keys/{keyId}/revoke  revoke every secret of the key
 *   POST   /v1/admin/keys/{keyId}/rotate  {grace?: "24h"}: a new secret (in this answer only); the old one works until the grace ends
 * Every change is audited as one log line (actor keyId, action, target keyId; never a secret).
 */
import {
  generateApiKey,
  keyFieldProblems,
  keyUpdateProblems,
  parseDuration,
  type KeyLimits,
  type KeyRecord,
  type KeyUpdate,
} from '../../core/keys';
import { errors, GatewayError } from '../../core/openai/errors';
import type { RouterDeps } from '../deps';
import { json, type HttpResult } from '../http';
import { requireAdmin } from '../key-policy';
import type { RequestContext } from '../request-context';

const MAX_ADMIN_BODY_BYTES = 16 * 1024;
const KEY_ID = /^key_[0-9a-f]{16}$/;
const DEFAULT_GRACE = '24h';

type Fields = Record<string, unknown>;

/** What these routes use of the router's deps: the admin function (admin/app.ts) has only these. */
export type AdminKeyDeps = Pick<RouterDeps, 'admin' | 'log' | 'now'>;

function keyStore(deps: AdminKeyDeps) {
  const keys = deps.admin?.keys;
  if (!keys)
    throw new GatewayError(404, 'Key management is not available on this runtime.', 'not_found_error', 'not_available');
  return keys;
}

function body(ctx: RequestContext): Fields {
  if (ctx.body === null || ctx.body === '') return {};
  const text = ctx.isBase64Encoded ? Buffer.from(ctx.body, 'base64').toString('utf8') : ctx.body;
  if (Buffer.byteLength(text, 'utf8') > MAX_ADMIN_BODY_BYTES) throw errors.bodyTooLarge(MAX_ADMIN_BODY_BYTES);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw errors.malformedJson((e as Error).message);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw errors.invalidField('body', 'expected a JSON object');
  return parsed as Fields;
}

const NUMBER_FIELDS = [
  'rpm',
  'tpm',
  'dailyBudgetUsd',
  'weeklyBudgetUsd',
  'monthlyBudgetUsd',
  'defaultBudgetFactor',
  'maxConcurrency',
  'cacheTtlSeconds',
] as const;
const UPDATABLE = new Set<string>([...NUMBER_FIELDS, 'allowedModels', 'expiresIn']);

function expiryFrom(v: unknown, nowMs: number): string {
  const ms = typeof v === 'string' ? parseDuration(v) : undefined;
  if (ms === undefined) throw errors.invalidField('expiresIn', 'a duration such as "90s", "15m", "24h" or "30d"');
  return new Date(nowMs + ms).toISOString();
}

/** The limit fields of a body: undefined = not given, null = clear (update only). */
function limitsFrom(b: Fields, nowMs: number, allowNull: boolean): KeyUpdate {
  const out: KeyUpdate = {};
  for (const field of NUMBER_FIELDS) {
    const v = b[field];
    if (v === undefined) continue;
    if (v === null && allowNull) out[field] = null;
    else if (typeof v === 'number' && Number.isFinite(v)) out[field] = v;
    else throw errors.invalidField(field, allowNull ? 'expected a number or null' : 'expected a number');
  }
  const models = b.allowedModels;
  if (models !== undefined) {
    if (models === null && allowNull) out.allowedModels = null;
    else if (
      Array.isArray(models) &&
      models.length <= 100 &&
      models.every((m) => typeof m === 'string' && m.length <= 200)
    )
      out.allowedModels = models as string[];
    else
      throw errors.invalidField(
        'allowedModels',
        'expected a list of up to 100 model, route or alias names or prefix* patterns',
      );
  }
  if (b.expiresIn !== undefined)
    out.validUntil = b.expiresIn === null && allowNull ? null : expiryFrom(b.expiresIn, nowMs);
  return out;
}

/** The first problem as a 400 naming its field (`field: message`). */
function refuse(problems: string[]): never {
  const [field, ...rest] = problems[0].split(': ');
  throw errors.invalidField(rest.length ? field : 'body', rest.join(': ') || problems[0]);
}

/** What a list or an answer shows of a key: its record, minus nothing secret (records hold no secret or hash). */
function view(r: KeyRecord) {
  return r;
}

function audit(
  deps: AdminKeyDeps,
  ctx: RequestContext,
  action: string,
  target: string,
  extra: Record<string, unknown> = {},
) {
  deps.log('info', `admin: ${action}`, {
    audit: true,
    action,
    actor: ctx.key?.keyId,
    target,
    requestId: ctx.requestId,
    sourceIp: ctx.sourceIp,
    ...extra,
  });
}

const noStore = (ctx: RequestContext) => ({ 'x-request-id': ctx.requestId, 'cache-control': 'no-store' });

export async function listKeys(ctx: RequestContext, deps: AdminKeyDeps): Promise<HttpResult> {
  requireAdmin(ctx);
  const keys = await keyStore(deps).list();
  return json(200, { object: 'list', data: keys.map(view) }, noStore(ctx));
}

export async function createKey(ctx: RequestContext, deps: AdminKeyDeps): Promise<HttpResult> {
  requireAdmin(ctx);
  const store = keyStore(deps);
  const b = body(ctx);
  for (const k of Object.keys(b))
    if (k !== 'name' && k !== 'admin' && !UPDATABLE.has(k)) throw errors.invalidField(k, 'unknown field');
  if (typeof b.name !== 'string') throw errors.invalidField('name', 'expected a string');
  if (b.admin !== undefined && typeof b.admin !== 'boolean')
    throw errors.invalidField('admin', 'expected true or false');
  const limits = Object.fromEntries(
    Object.entries(limitsFrom(b, deps.now(), false)).filter(([, v]) => v !== null),
  ) as KeyLimits;
  if (limits.allowedModels && !limits.allowedModels.length) delete limits.allowedModels;
  const fields = { name: b.name, admin: b.admin === true, ...limits };
  const problems = keyFieldProblems(fields);
  if (problems.length) refuse(problems);
  const secret = generateApiKey();
  const record = await store.create(secret, fields);
  audit(deps, ctx, 'key created', record.keyId, { admin: record.admin });
  return json(201, { key: view(record), secret }, noStore(ctx));
}

/** `/v1/admin/keys/{keyId}` and `/v1/admin/keys/{keyId}/{action}`. */
export async function keyById(ctx: RequestContext, deps: AdminKeyDeps): Promise<HttpResult> {
  requireAdmin(ctx);
  const rest = ctx.path.slice(ctx.path.indexOf('/v1/admin/keys/') + '/v1/admin/keys/'.length).split('/');
  const [keyId, action, ...extra] = rest;
  if (!KEY_ID.test(keyId ?? '') || extra.length) throw errors.notFound(ctx.method, '/v1/admin/keys/{keyId}');
  const store = keyStore(deps);
  const missing = () => new GatewayError(404, `No key with id ${keyId}.`, 'not_found_error', 'key_not_found');

  if (action === undefined) {
    if (ctx.method === 'GET') {
      const record = await store.getById(keyId);
      if (!record) throw missing();
      return json(200, view(record), noStore(ctx));
    }
    if (ctx.method !== 'PATCH') throw errors.methodNotAllowed(ctx.method, '/v1/admin/keys/{keyId}');
    const b = body(ctx);
    for (const k of Object.keys(b)) if (!UPDATABLE.has(k)) throw errors.invalidField(k, 'unknown or read-only field');
    const changes = limitsFrom(b, deps.now(), true);
    const problems = keyUpdateProblems(changes);
    if (problems.length) refuse(problems);
    const record = await store.update(keyId, changes);
    if (!record) throw missing();
    audit(deps, ctx, 'key updated', keyId, { fields: Object.keys(changes) });
    return json(200, view(record), noStore(ctx));
  }
  if (ctx.method !== 'POST') throw errors.methodNotAllowed(ctx.method, `/v1/admin/keys/{keyId}/${action}`);
  if (action === 'revoke') {
    if (!(await store.setStatus(keyId, 'revoked'))) throw missing();
    audit(deps, ctx, 'key revoked', keyId);
    return json(200, { keyId, status: 'revoked' }, noStore(ctx));
  }
  if (action === 'rotate') {
    const b = body(ctx);
    for (const k of Object.keys(b)) if (k !== 'grace') throw errors.invalidField(k, 'unknown field');
    const graceText = b.grace ?? DEFAULT_GRACE;
    const graceMs = typeof graceText === 'string' ? parseDuration(graceText) : undefined;
    if (graceMs === undefined) throw errors.invalidField('grace', 'a duration such as "0s", "15m", "24h" or "7d"');
    const graceUntil = new Date(deps.now() + graceMs).toISOString();
    const secret = generateApiKey();
    const record = await store.rotate(keyId, secret, graceUntil);
    if (!record) throw new GatewayError(404, `No active key with id ${keyId}.`, 'not_found_error', 'key_not_found');
    audit(deps, ctx, 'key rotated', keyId, { graceUntil });
    return json(200, { key: view(record), secret, previousSecretValidUntil: graceUntil }, noStore(ctx));
  }
  throw errors.notFound(ctx.method, '/v1/admin/keys/{keyId}/{action}');
}
