/**
 * What `npm run keys` does to keys, in two ways: straight to a keys table (DynamoDB credentials, the
 * local runtime's dynalite or a deployed table) or over HTTP through the gateway's admin endpoints
 * (`/v1/admin/keys...`, an admin key; on AWS served by the admin function). The commands and their
 * output are the same either way (bin/keys-cli.ts).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoKeyStore } from '../functions/adapters/dynamo/key-store';
import { generateApiKey, type KeyLimits, type KeyRecord, type KeyUpdate } from '../functions/core/keys';
import { isLoopbackEndpoint } from '../functions/adapters/dynamo/client';

export interface KeyAdmin {
  /** The secret is generated where the key is stored (here, or by the admin endpoint) and shown once. */
  create(fields: { name: string; admin: boolean } & KeyLimits): Promise<{ record: KeyRecord; secret: string }>;
  list(): Promise<KeyRecord[]>;
  show(keyId: string): Promise<KeyRecord | undefined>;
  update(keyId: string, changes: KeyUpdate): Promise<KeyRecord | undefined>;
  /** Undefined when the key is unknown or revoked. */
  rotate(
    keyId: string,
    graceMs: number,
  ): Promise<{ record: KeyRecord; secret: string; graceUntil: string } | undefined>;
  revoke(keyId: string): Promise<boolean>;
}

export function dynamoKeyAdmin(ddb: DynamoDBClient, table: string, now: () => number): KeyAdmin {
  const keys = createDynamoKeyStore(ddb, table, { now });
  return {
    async create(fields) {
      const secret = generateApiKey();
      return { record: await keys.create(secret, fields), secret };
    },
    list: () => keys.list(),
    show: (id) => keys.getById(id),
    update: (id, changes) => keys.update(id, changes),
    async rotate(id, graceMs) {
      const graceUntil = new Date(now() + graceMs).toISOString();
      const secret = generateApiKey();
      const record = await keys.rotate(id, secret, graceUntil);
      return record ? { record, secret, graceUntil } : undefined;
    },
    revoke: (id) => keys.setStatus(id, 'revoked'),
  };
}

/** An answer of the admin API that is not a success, with the API's own error message. */
export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * `--api URL`: the gateway's base URL (`https://<api>/prod`, with or without `/v1`, or the local
 * runtime's `http://127.0.0.1:8787`). Plain http only to this machine: an admin key must never cross
 * a network in clear text.
 */
export function adminApiBase(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(
      `--api must be a URL such as https://abc123.execute-api.us-east-1.amazonaws.com/prod, got "${url}"`,
    );
  }
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && isLoopbackEndpoint(url)))
    throw new Error(
      '--api must be an https:// URL (http:// only for this machine): the admin key would cross the network in clear',
    );
  return parsed.toString().replace(/\/+$/, '').replace(/\/v1$/, '');
}

/** Seconds as the API's duration text (the CLI turned the flag into a time; the API takes a duration). */
const seconds = (ms: number) => `${Math.max(0, Math.round(ms / 1000))}s`;

export function httpKeyAdmin(opts: {
  baseUrl: string;
  adminKey: string;
  now: () => number;
  fetch?: typeof fetch;
}): KeyAdmin {
  const doFetch = opts.fetch ?? fetch;
  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
    const res = await doFetch(`${opts.baseUrl}/v1/admin/keys${path}`, {
      method,
      headers: {
        authorization: `Bearer ${opts.adminKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (res.status === 404 && json?.error?.code === 'key_not_found') return { status: 404, json };
    if (res.status >= 400) {
      const why = typeof json?.error?.message === 'string' ? json.error.message : `HTTP ${res.status}`;
      throw new AdminApiError(
        res.status,
        res.status === 401 || res.status === 403 ? `the admin key was refused (${res.status}): ${why}` : why,
      );
    }
    return { status: res.status, json };
  }
  /** The limits as the API's body: a time becomes `expiresIn`, null (clear) stays null. */
  function body(limits: KeyUpdate): Record<string, unknown> {
    const { validUntil, ...rest } = limits;
    const out: Record<string, unknown> = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
    if (validUntil === null) out.expiresIn = null;
    else if (validUntil !== undefined) out.expiresIn = seconds(Date.parse(validUntil) - opts.now());
    return out;
  }
  const path = (id: string) => `/${encodeURIComponent(id)}`;
  return {
    async create(fields) {
      const { name, admin, ...limits } = fields;
      const r = await call('POST', '', { name, admin, ...body(limits) });
      return { record: r.json.key, secret: r.json.secret };
    },
    async list() {
      return (await call('GET', '')).json.data;
    },
    async show(id) {
      const r = await call('GET', path(id));
      return r.status === 404 ? undefined : r.json;
    },
    async update(id, changes) {
      const r = await call('PATCH', path(id), body(changes));
      return r.status === 404 ? undefined : r.json;
    },
    async rotate(id, graceMs) {
      const r = await call('POST', `${path(id)}/rotate`, { grace: seconds(graceMs) });
      if (r.status === 404) return undefined;
      return { record: r.json.key, secret: r.json.secret, graceUntil: r.json.previousSecretValidUntil };
    },
    async revoke(id) {
      return (await call('POST', `${path(id)}/revoke`)).status !== 404;
    },
  };
}
