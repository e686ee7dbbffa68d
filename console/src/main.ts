/**
 * The operator console: one page, six views, data only from the gateway's own JSON endpoints with
 * the admin key (typed once, kept in sessionStorage: never in a URL or a cookie).
 */
import { api, ApiError, session } from './api';
import { sevenDayChart } from './chart';
import { badge, bar, h, section, table } from './dom';
import type { CutoverView, KeyRecord, LiveEndpoint, RequestEntry, ScopeStats, StateView, StatsReport } from './types';

const VIEWS = ['overview', 'models', 'routes', 'cutover', 'requests', 'keys'] as const;
type View = (typeof VIEWS)[number];
const TITLES: Record<View, string> = {
  overview: 'Overview',
  models: 'Models and endpoints',
  routes: 'Routes and A/B',
  cutover: 'Cutover',
  requests: 'Requests',
  keys: 'Keys',
};
const REFRESH_MS = 2_000;

const main = document.getElementById('main') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
const signOut = document.getElementById('sign-out') as HTMLButtonElement;
let timer: number | undefined;
let renderSeq = 0;
/** Bumped by every start(): an older refresh loop sees it and stops. */
let generation = 0;

const usd = (micros: number) => `$${(micros / 1e6).toFixed(micros > 0 && micros < 10_000 ? 4 : 2)}`;
const ms = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${Math.round(v)} ms`);
const pct = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(1)}%` : '–');

function currentView(): View {
  const v = location.hash.replace(/^#/, '') as View;
  return VIEWS.includes(v) ? v : 'overview';
}

function showError(err: unknown): void {
  if (err instanceof ApiError && err.status === 401) {
    session.clear();
    renderSignIn('The key was refused (401). Sign in again.');
    return;
  }
  const msg = err instanceof ApiError ? `${err.status}: ${err.message}` : String((err as Error)?.message ?? err);
  main.replaceChildren(h('p', { class: 'error', role: 'alert', 'data-testid': 'error' }, msg));
}

function renderSignIn(message?: string): void {
  window.clearTimeout(timer);
  generation++;
  nav.hidden = true;
  signOut.hidden = true;
  const input = h('input', {
    type: 'password',
    name: 'key',
    autocomplete: 'off',
    placeholder: 'sk-sy-…',
    required: true,
    'data-testid': 'key-input',
  });
  const status = h('p', { class: 'error', role: 'alert', 'data-testid': 'sign-in-error' }, message ?? '');
  const form = h(
    'form',
    { class: 'sign-in', 'data-testid': 'sign-in' },
    h('label', {}, 'Admin API key', input),
    h('button', { type: 'submit' }, 'Sign in'),
    status,
    h('p', { class: 'hint' }, 'Kept in this tab only (sessionStorage) and sent as a Bearer header.'),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const key = input.value.trim();
    try {
      await api('/v1/admin/state', {}, key);
      session.set(key);
      input.value = '';
      start();
    } catch (err) {
      status.textContent =
        err instanceof ApiError && err.status === 403
          ? 'This key is not an admin key (403).'
          : err instanceof ApiError && err.status === 401
            ? 'Unknown, revoked or expired key (401).'
            : `Sign-in failed: ${(err as Error).message}`;
    }
  });
  main.replaceChildren(form);
  input.focus();
}

function renderNav(active: View): void {
  nav.hidden = false;
  signOut.hidden = false;
  nav.replaceChildren(
    ...VIEWS.map((v) =>
      h('a', { href: `#${v}`, class: v === active ? 'active' : undefined, 'data-testid': `nav-${v}` }, TITLES[v]),
    ),
  );
}

async function overview(): Promise<HTMLElement[]> {
  const stats = await api<StatsReport>('/v1/stats?days=7');
  const today = stats.days[0];
  const t = today.total;
  let fallbacks = '–';
  try {
    const reqs = await api<{ data: RequestEntry[] }>('/v1/admin/requests?limit=500');
    // `attempts` is `model:outcome,...`: a request that tried more than one model fell back.
    const models = (r: RequestEntry) => new Set((r.attempts ?? '').split(',').map((a) => a.split(':')[0])).size;
    fallbacks = String(reqs.data.filter((r) => models(r) > 1).length);
  } catch {
    // No request log on this runtime: fallbacks are on the CloudWatch dashboard.
  }
  const tiles = h(
    'div',
    { class: 'tiles', 'data-testid': 'tiles' },
    ...[
      ['requests', String(t.requests)],
      ['errors', `${t.errors} (${pct(t.errors, t.requests)})`],
      ['fallbacks (recent)', fallbacks],
      ['p50', ms(t.p50Ms)],
      ['p95', ms(t.p95Ms)],
      ['p99', ms(t.p99Ms)],
      ['spend today', usd(t.costMicros)],
    ].map(([k, v]) =>
      h('div', { class: 'tile', 'data-testid': `tile-${k.split(' ')[0]}` }, h('span', {}, k), h('b', {}, v)),
    ),
  );
  const bars = today.budgets.map((b) =>
    bar(
      b.scope,
      b.usedPercent,
      b.usedPercent === null
        ? `$${b.spentUsd} spent, no limit`
        : `$${b.spentUsd} spent + $${b.reservedUsd} reserved of $${b.limitUsd} (${b.usedPercent}%)`,
    ),
  );
  const width = Math.min(900, Math.max(320, main.clientWidth - 40));
  return [
    section(`Today (${today.day}, UTC)`, tiles),
    section('Latency SLOs (today)', sloTable(today.models)),
    section('Endpoints now', endpointTable(stats.endpoints ?? [])),
    section('Spend against budgets', bars.length ? bars : h('p', {}, 'No budget figures yet.')),
    section('Last 7 days', sevenDayChart(stats.days, width)),
  ];
}

const verdict = (met: boolean | null | undefined) =>
  met === null || met === undefined ? badge('–', 'unknown') : met ? badge('met', 'healthy') : badge('missed', 'down');

function sloTable(models: ScopeStats[]): HTMLElement {
  const judged = models.filter((m) => m.slo);
  if (!judged.length)
    return h('p', { 'data-testid': 'slo-table-empty' }, 'No model with a latency objective served today.');
  const target = (x: { targetMs: number; observedMs: number | null } | null | undefined) =>
    x ? `${ms(x.observedMs)} / ${x.targetMs} ms` : '–';
  return table(
    ['model', 'tier', 'percentile', 'first token (seen / target)', 'total (seen / target)', 'avg', 'SLO'],
    judged.map((m) => [
      m.name,
      m.slo!.tier ?? '–',
      m.slo!.percentile,
      target(m.slo!.ttft),
      target(m.slo!.total),
      ms(m.avgMs),
      h('span', { 'data-testid': `slo-${m.name}` }, verdict(m.slo!.met)),
    ]),
    'slo-table',
  );
}

function endpointTable(endpoints: LiveEndpoint[]): HTMLElement {
  if (!endpoints.length) return h('p', {}, 'No endpoint figures from this gateway.');
  return table(
    ['endpoint', 'model', 'health', 'breaker', 'failure rate (breaker window)', 'in flight'],
    endpoints.map((e) => [
      e.id,
      e.model,
      badge(e.status),
      h(
        'span',
        { 'data-testid': `live-${e.id}-breaker` },
        badge(e.breaker.state),
        ` ${e.breaker.failuresInWindow}/${e.breaker.failureThreshold}`,
      ),
      e.window && e.window.failureRate !== null
        ? `${(e.window.failureRate * 100).toFixed(1)}% of ${e.window.calls}`
        : '–',
      String(e.inFlight),
    ]),
    'endpoint-table',
  );
}

async function models(): Promise<HTMLElement[]> {
  const state = await api<StateView>('/v1/admin/state');
  return [
    section(
      `Config ${state.config.version} (${state.config.fingerprint.slice(0, 12)}), version ${state.version}`,
      h('p', {}, state.dynamo.reachable ? 'DynamoDB reachable.' : 'DynamoDB unreachable: serving from local state.'),
    ),
    ...state.models.map((m) =>
      h(
        'section',
        { 'data-testid': `model-${m.id}`, 'data-status': m.status },
        h('h2', {}, m.id, ' ', badge(m.status)),
        h(
          'p',
          {},
          h(
            'span',
            { 'data-testid': `concurrency-${m.id}` },
            m.maxConcurrency === null
              ? 'concurrency: no cap'
              : `concurrency in use: ${m.concurrencyInUse ?? '?'} of ${m.maxConcurrency}`,
          ),
          ` · daily budget: ${m.dailyBudgetUsd === null ? 'none' : `$${m.dailyBudgetUsd}`} · fallbacks: ${m.fallbacks.join(', ') || 'none'}`,
        ),
        table(
          ['endpoint', 'region', 'health', 'latency (EWMA)', 'breaker', 'last error'],
          m.endpoints.map((e) => [
            e.id,
            e.region ?? '–',
            h('span', { 'data-testid': `endpoint-${e.id}-status` }, badge(e.status)),
            ms(e.latencyEwmaMs),
            h(
              'span',
              { 'data-testid': `endpoint-${e.id}-breaker` },
              badge(e.breaker.phase),
              e.breaker.failures ? ` ${e.breaker.failures} failures` : '',
            ),
            e.lastError ?? '',
          ]),
        ),
      ),
    ),
  ];
}

async function routes(): Promise<HTMLElement[]> {
  const [state, stats] = await Promise.all([api<StateView>('/v1/admin/state'), api<StatsReport>('/v1/stats?days=1')]);
  const b = state.budgets;
  const variants = stats.days[0].scopes.filter((s) => s.kind === 'variant' || s.scope.startsWith('variant#'));
  return [
    section(
      'Budget-factor tiers',
      h(
        'p',
        {},
        `factor < ${b.lowFactor}: cheapest candidates · ${b.lowFactor}..${b.highFactor}: mid-priced · > ${b.highFactor}: any. Global budget $${b.globalDailyUsd}/day.`,
      ),
    ),
    ...state.routes.map((r) =>
      h(
        'section',
        { 'data-testid': `route-${r.name}` },
        h('h2', {}, r.name),
        r.description ? h('p', {}, r.description) : null,
        table(
          ['intent', 'candidates'],
          Object.entries(r.intents).map(([intent, chain]) => [intent, chain.join(' → ')]),
        ),
        h(
          'p',
          {},
          `fallbacks: ${r.fallbacks.join(', ') || 'none'} · default budget factor ${r.defaultBudgetFactor}`,
          r.variants.length ? ` · A/B: ${r.variants.map((v) => `${v.model} ${v.weight}`).join(' / ')}` : '',
        ),
      ),
    ),
    section(
      'A/B comparison (today)',
      variants.length
        ? table(
            ['variant', 'requests', 'success', 'avg', 'p50', 'p99', 'tokens in/out', 'cost / request'],
            variants.map((v) => [
              v.name || v.scope.replace(/^variant#/, ''),
              v.requests,
              pct(v.successes, v.requests),
              ms(v.avgMs),
              ms(v.p50Ms),
              ms(v.p99Ms),
              `${v.inputTokens} / ${v.outputTokens}`,
              v.costPerRequestMicros !== undefined && v.costPerRequestMicros !== null
                ? usd(v.costPerRequestMicros)
                : v.requests
                  ? usd(v.costMicros / v.requests)
                  : '–',
            ]),
            'ab-table',
          )
        : h('p', { 'data-testid': 'ab-table-empty' }, 'No A/B traffic today.'),
    ),
  ];
}

async function cutover(): Promise<HTMLElement[]> {
  const c = await api<CutoverView>('/v1/admin/cutover');
  if (c.state === 'idle')
    return [section('Cutover', h('p', { 'data-testid': 'cutover-idle' }, 'No deployment in progress.'))];
  return [
    section(
      `Deployment ${c.blue} → ${c.green}: ${c.state}`,
      h(
        'div',
        { 'data-testid': 'cutover-weights' },
        ...Object.entries(c.weights ?? {}).map(([v, w]) => bar(`version ${v}`, w, `${w}%`)),
      ),
      table(
        ['alarm', 'state', 'green', 'blue'],
        (c.alarms ?? []).map((a) => [a.id, badge(a.state), a.green ?? '–', a.blue ?? '–']),
      ),
      h('pre', {}, (c.events ?? []).join('\n')),
    ),
  ];
}

async function requests(): Promise<HTMLElement[]> {
  const r = await api<{ data: RequestEntry[] }>('/v1/admin/requests?limit=100');
  return [
    section(
      'Latest requests (newest first)',
      table(
        ['time', 'request', 'status', 'model', 'route', 'attempts', 'cost', 'ms', 'overhead'],
        [...r.data]
          .reverse()
          .map((e) => [
            e.at.slice(11, 19),
            `${e.method} ${e.path}`,
            badge(String(e.status), e.status < 400 ? 'ok' : 'down'),
            e.model ?? '',
            [e.route, e.variant].filter(Boolean).join(' / '),
            e.attempts ?? '',
            e.costUsd ? `$${e.costUsd}` : '',
            e.ms,
            e.overheadMs === undefined ? '' : `${e.overheadMs} ms`,
          ]),
        'requests-table',
      ),
    ),
  ];
}

function limitsText(k: KeyRecord): string {
  return (
    [
      k.rpm !== undefined ? `rpm ${k.rpm}` : '',
      k.tpm !== undefined ? `tpm ${k.tpm}` : '',
      k.dailyBudgetUsd !== undefined ? `$${k.dailyBudgetUsd}/day` : '',
      k.weeklyBudgetUsd !== undefined ? `$${k.weeklyBudgetUsd}/week` : '',
      k.monthlyBudgetUsd !== undefined ? `$${k.monthlyBudgetUsd}/month` : '',
      k.defaultBudgetFactor !== undefined ? `factor ${k.defaultBudgetFactor}` : '',
      k.maxConcurrency !== undefined ? `concurrency ${k.maxConcurrency}` : '',
      k.allowedModels?.length ? `models ${k.allowedModels.join(',')}` : '',
      k.validUntil ? `expires ${k.validUntil.slice(0, 16)}Z` : '',
    ]
      .filter(Boolean)
      .join(' · ') || 'no limits'
  );
}

const optionalNumber = (v: string) => (v.trim() === '' ? undefined : Number(v));
/** `a, b*` -> ['a', 'b*']; undefined when nothing is listed (every model). */
function modelList(v: string): string[] | undefined {
  const list = v
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean);
  return list.length ? list : undefined;
}

/** Shows a secret once, with the one chance to copy it. */
function secretBox(title: string, secret: string): HTMLElement {
  return h(
    'div',
    { class: 'secret', role: 'status', 'data-testid': 'secret' },
    h('b', {}, title),
    h('code', { 'data-testid': 'secret-value' }, secret),
    h('p', {}, 'Shown only now: store it, it cannot be recovered.'),
  );
}

async function keys(): Promise<HTMLElement[]> {
  const list = await api<{ data: KeyRecord[] }>('/v1/admin/keys');
  const out = h('div', { 'data-testid': 'keys-output' });
  const field = (name: string, label: string, type = 'text', extra: Record<string, string> = {}) =>
    h('label', {}, label, h('input', { name, type, 'data-testid': `create-${name}`, ...extra }));
  const form = h(
    'form',
    { class: 'inline-form', 'data-testid': 'create-key' },
    field('name', 'name', 'text', { required: 'required', maxlength: '100' }),
    field('allowedModels', 'models (a,b*)'),
    field('rpm', 'rpm', 'number', { min: '1' }),
    field('tpm', 'tpm', 'number', { min: '1' }),
    field('dailyBudgetUsd', 'USD/day', 'number', { min: '0', step: 'any' }),
    field('weeklyBudgetUsd', 'USD/week', 'number', { min: '0', step: 'any' }),
    field('monthlyBudgetUsd', 'USD/month', 'number', { min: '0', step: 'any' }),
    field('maxConcurrency', 'concurrency', 'number', { min: '1' }),
    field('expiresIn', 'expires in (30d)'),
    h('label', {}, h('input', { name: 'admin', type: 'checkbox', 'data-testid': 'create-admin' }), 'admin'),
    h('button', { type: 'submit', 'data-testid': 'create-submit' }, 'Create key'),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    const text = (k: string) => String(f.get(k) ?? '');
    const body = {
      name: text('name'),
      admin: f.get('admin') === 'on',
      allowedModels: modelList(text('allowedModels')),
      rpm: optionalNumber(text('rpm')),
      tpm: optionalNumber(text('tpm')),
      dailyBudgetUsd: optionalNumber(text('dailyBudgetUsd')),
      weeklyBudgetUsd: optionalNumber(text('weeklyBudgetUsd')),
      monthlyBudgetUsd: optionalNumber(text('monthlyBudgetUsd')),
      maxConcurrency: optionalNumber(text('maxConcurrency')),
      expiresIn: text('expiresIn') || undefined,
    };
    try {
      const created = await api<{ key: KeyRecord; secret: string }>('/v1/admin/keys', { method: 'POST', body });
      await render('keys', [secretBox(`Created ${created.key.keyId} (${created.key.name})`, created.secret)]);
    } catch (err) {
      out.replaceChildren(h('p', { class: 'error', role: 'alert' }, (err as Error).message));
    }
  });

  const act = async (what: () => Promise<HTMLElement | undefined>) => {
    try {
      const note = await what();
      await render('keys', note ? [note] : []);
    } catch (err) {
      out.replaceChildren(h('p', { class: 'error', role: 'alert' }, (err as Error).message));
    }
  };
  const rows = list.data.map((k) => {
    const edit = h('form', { class: 'row-form', 'data-testid': `edit-${k.keyId}` });
    // Labelled: a filled field has no placeholder left to say what it is.
    const input = (name: string, value: number | undefined, label: string) =>
      h(
        'label',
        {},
        label,
        h('input', {
          name,
          type: 'number',
          min: name.endsWith('BudgetUsd') ? '0' : '1',
          step: name.endsWith('BudgetUsd') ? 'any' : '1',
          'data-testid': `edit-${k.keyId}-${name}`,
          placeholder: 'none',
          title: `${label} (empty = no limit)`,
          value: value === undefined ? undefined : String(value),
        }),
      );
    edit.append(
      input('rpm', k.rpm, 'rpm'),
      input('tpm', k.tpm, 'tpm'),
      input('dailyBudgetUsd', k.dailyBudgetUsd, 'USD/day'),
      input('weeklyBudgetUsd', k.weeklyBudgetUsd, 'USD/week'),
      input('monthlyBudgetUsd', k.monthlyBudgetUsd, 'USD/month'),
      input('maxConcurrency', k.maxConcurrency, 'concurrency'),
      h(
        'label',
        {},
        'models (a,b*)',
        h('input', {
          name: 'allowedModels',
          type: 'text',
          'data-testid': `edit-${k.keyId}-allowedModels`,
          placeholder: 'all',
          title: 'model, route or alias names, or prefix* patterns (empty = every model)',
          value: k.allowedModels?.join(',') || undefined,
        }),
      ),
      h('button', { type: 'submit', 'data-testid': `save-${k.keyId}` }, 'Save'),
    );
    edit.addEventListener('submit', (e) => {
      e.preventDefault();
      const f = new FormData(edit);
      const num = (n: string) => optionalNumber(String(f.get(n) ?? '')) ?? null;
      void act(async () => {
        await api(`/v1/admin/keys/${k.keyId}`, {
          method: 'PATCH',
          body: {
            rpm: num('rpm'),
            tpm: num('tpm'),
            dailyBudgetUsd: num('dailyBudgetUsd'),
            weeklyBudgetUsd: num('weeklyBudgetUsd'),
            monthlyBudgetUsd: num('monthlyBudgetUsd'),
            maxConcurrency: num('maxConcurrency'),
            allowedModels: modelList(String(f.get('allowedModels') ?? '')) ?? null,
          },
        });
        return h('p', { role: 'status' }, `Updated ${k.keyId}; requests see it within the authorizer cache TTL.`);
      });
    });
    const active = k.status === 'active';
    return [
      h('span', { 'data-testid': `key-${k.keyId}` }, k.keyId),
      k.name,
      badge(k.status, active ? 'healthy' : 'down'),
      k.admin ? 'admin' : '',
      k.lastUsedAt ? k.lastUsedAt.slice(0, 19).replace('T', ' ') : '–',
      h('span', { 'data-testid': `limits-${k.keyId}` }, limitsText(k)),
      active ? edit : '',
      active
        ? h(
            'span',
            { class: 'actions' },
            h(
              'button',
              {
                type: 'button',
                'data-testid': `rotate-${k.keyId}`,
                title: 'New secret; the old one keeps working for 24 hours',
                onclick: () =>
                  void act(async () => {
                    const r = await api<{ secret: string; previousSecretValidUntil: string }>(
                      `/v1/admin/keys/${k.keyId}/rotate`,
                      { method: 'POST', body: { grace: '24h' } },
                    );
                    return secretBox(
                      `Rotated ${k.keyId}; the old secret works until ${r.previousSecretValidUntil}`,
                      r.secret,
                    );
                  }),
              },
              'Rotate',
            ),
            h(
              'button',
              {
                type: 'button',
                class: 'danger',
                'data-testid': `revoke-${k.keyId}`,
                onclick: () =>
                  void act(async () => {
                    await api(`/v1/admin/keys/${k.keyId}/revoke`, { method: 'POST' });
                    return h('p', { role: 'status' }, `Revoked ${k.keyId}.`);
                  }),
              },
              'Revoke',
            ),
          )
        : '',
    ];
  });
  return [
    section('Create a key', form, out),
    section(
      'Keys',
      table(['id', 'name', 'status', 'admin', 'last used', 'limits', 'edit limits', ''], rows, 'keys-table'),
    ),
  ];
}

const RENDERERS: Record<View, () => Promise<HTMLElement[]>> = { overview, models, routes, cutover, requests, keys };
/** Views that refresh themselves (forms would lose what is being typed elsewhere). */
const LIVE: ReadonlySet<View> = new Set(['overview', 'models', 'routes', 'requests', 'cutover']);

async function render(view: View, prepend: HTMLElement[] = []): Promise<void> {
  const seq = ++renderSeq;
  renderNav(view);
  try {
    const parts = await RENDERERS[view]();
    if (seq !== renderSeq) return;
    main.replaceChildren(...prepend, ...parts);
    main.setAttribute('data-view', view);
    main.setAttribute('data-rendered', String(seq));
  } catch (err) {
    if (seq === renderSeq) showError(err);
  }
}

function start(): void {
  window.clearTimeout(timer);
  const view = currentView();
  const gen = ++generation;
  // The next refresh starts only after this one finished: a slow answer (the 7-day stats on a busy
  // gateway) must not be overtaken, and discarded, by the refresh after it.
  const loop = async () => {
    await render(view);
    if (LIVE.has(view) && generation === gen)
      timer = window.setTimeout(() => void loop().catch(() => undefined), REFRESH_MS);
  };
  void loop();
}

signOut.addEventListener('click', () => {
  session.clear();
  renderSignIn();
});
window.addEventListener('hashchange', () => {
  if (session.get()) start();
});

if (session.get()) start();
else renderSignIn();
