/**
 * The operator console in a real browser (Debian's Chromium through playwright-core) against the
 * local gateway: sign in with the demo admin key, four healthy models, an injected upstream fault
 * taking an endpoint down and opening its breaker, traffic moving spend and the A/B table, a key
 * created and revoked from the page and then refused. Fails on any console error or page error;
 * takes a screenshot of every view (docs/images/console-*.png with SWITCHYARD_UPDATE_SCREENSHOTS=1).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CONSOLE_CSP } from '../../functions/router/routes/console';
import type { LocalGateway } from '../../local/gateway';
import { hi, post, startTestGateway } from '../helpers/local-gateway';

const CHROMIUM = '/usr/bin/chromium';
// The docs' screenshots are refreshed on request (SWITCHYARD_UPDATE_SCREENSHOTS=1), so `npm test` never
// dirties the tree; otherwise they are still taken, into a scratch folder.
const IMAGES =
  process.env.SWITCHYARD_UPDATE_SCREENSHOTS === '1'
    ? join(__dirname, '..', '..', 'docs', 'images')
    : mkdtempSync(join(tmpdir(), 'switchyard-console-shots-'));
const USER = 'sk-sy-console-user-key-0000000000000000000';
// Without Chromium (a machine that skipped .ci/run's install) the suite says so instead of failing obscurely.
const describeBrowser = existsSync(CHROMIUM) ? describe : describe.skip;

describeBrowser('operator console in Chromium', () => {
  let gw: LocalGateway;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    gw = await startTestGateway((cfg) => {
      // An A/B split on the everyday route, so the comparison table has something to compare.
      cfg.routes['chat-default'].variants = [
        { model: 'gemini-2.5-flash', weight: 1 },
        { model: 'deepseek-v3.2', weight: 1 },
      ];
    });
    await gw.keys.create(USER, { name: 'console user', admin: false });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Generous bounds, not pacing: on a loaded 2-core machine a poll and a render can take seconds.
    page.setDefaultTimeout(60_000);
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`page: ${err.message}`));
    // Any request leaving the gateway's origin would be a third-party call.
    page.on('request', (req) => {
      if (!req.url().startsWith(gw.url) && !req.url().startsWith('data:'))
        problems.push(`foreign request: ${req.url()}`);
    });
    mkdirSync(IMAGES, { recursive: true });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    if (IMAGES.startsWith(tmpdir())) rmSync(IMAGES, { recursive: true, force: true });
  });

  afterEach(() => {
    // Every step must leave the page without an error (CSP violations are console errors too).
    expect(problems).toEqual([]);
  });

  async function show(view: string) {
    const before = await page.locator('#main').getAttribute('data-rendered');
    // Selectors rather than page functions: the page's CSP forbids the eval a string predicate needs
    // (and the test project compiles without the DOM library).
    await page.evaluate(`location.hash = ${JSON.stringify(view)}`);
    await page.waitForSelector(`#main[data-view="${view}"]:not([data-rendered="${before}"])`);
  }

  /** Waits until a refresh of the live view shows `attr="value"` on the element. */
  async function until(selector: string, attr: string, value: string) {
    await page.waitForSelector(`${selector}[${attr}="${value}"]`, { timeout: 60_000 });
  }

  const shot = (name: string) => page.screenshot({ path: join(IMAGES, `console-${name}.png`), fullPage: true });

  it('serves the page with its CSP and signs in with the demo admin key', async () => {
    const res = await page.goto(`${gw.url}/console`);
    expect(res!.status()).toBe(200);
    expect(res!.headers()['content-security-policy']).toBe(CONSOLE_CSP);
    await page.fill('[data-testid=key-input]', gw.demoKey);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=tiles]', { timeout: 80_000 });
    // The key lives in this tab's sessionStorage only: not in the URL, not in a cookie.
    expect(page.url()).not.toContain(gw.demoKey);
    expect(await page.context().cookies()).toEqual([]);
    expect(await page.evaluate("sessionStorage.getItem('switchyard.adminKey')")).toBe(gw.demoKey);
    // Generous: the overview's 7-day /v1/stats reads every day's ledger shards (seconds on a busy machine).
  }, 180_000);

  it('shows the four default models healthy', async () => {
    for (let i = 0; i < 2; i++) await gw.runHealthRound();
    await show('models');
    for (const model of ['gpt-4.1', 'claude-sonnet-4.5', 'gemini-2.5-flash', 'deepseek-v3.2'])
      await until(`[data-testid="model-${model}"]`, 'data-status', 'healthy');
    // Every default model is capped (defaults.maxConcurrency): slots held across the fleet of its cap.
    expect(await page.locator('[data-testid="concurrency-gpt-4.1"]').textContent()).toMatch(
      /^concurrency in use: \d+ of \d+$/,
    );
    await shot('models');
  }, 180_000);

  it('shows an endpoint going down and its breaker opening after an upstream fault', async () => {
    const fault = await fetch(`${gw.providers!.url}/_admin/faults`, {
      method: 'POST',
      body: JSON.stringify({ provider: 'openai', status: 503 }),
    });
    expect(fault.ok).toBe(true);
    // Requests that fail on gpt-4.1 (and fall back) open its breaker; from two keys, since one key
    // alone must not be able to open a shared breaker.
    for (let i = 0; i < 8; i++)
      await post(gw, '/v1/chat/completions', hi('gpt-4.1'), i % 2 ? { authorization: `Bearer ${USER}` } : {});
    for (let i = 0; i < 3; i++) await gw.runHealthRound();
    await page
      .locator('[data-testid="endpoint-openai-gpt-4.1-status"]', { hasText: /^down$/ })
      .waitFor({ timeout: 60_000 });
    await page
      .locator('[data-testid="endpoint-openai-gpt-4.1-breaker"] .badge', { hasText: /^open$/ })
      .waitFor({ timeout: 60_000 });
    await until('[data-testid="model-gpt-4.1"]', 'data-status', 'down');
    await shot('models-fault');
    await fetch(`${gw.providers!.url}/_admin/faults`, { method: 'DELETE' });
  }, 180_000);

  it('moves spend and the A/B table when traffic flows', async () => {
    await show('routes');
    expect(await page.locator('[data-testid=ab-table]').count()).toBe(0);
    for (let i = 0; i < 12; i++) await post(gw, '/v1/chat/completions', hi('chat-default'));
    await page.waitForSelector('[data-testid=ab-table] tbody tr', { timeout: 60_000 });
    const rows = await page.locator('[data-testid=ab-table] tbody tr').allTextContents();
    expect(rows.join('\n')).toMatch(/gemini-2\.5-flash|deepseek-v3\.2/);
    await shot('routes');

    await show('overview');
    const spend = await page.locator('[data-testid=tile-spend] b').textContent();
    expect(Number(spend!.replace('$', ''))).toBeGreaterThan(0);
    // The gpt-4.1 requests of the fault step fell back to another model.
    expect(Number(await page.locator('[data-testid=tile-fallbacks] b').textContent())).toBeGreaterThan(0);
    await page.waitForSelector('[data-testid="budget-global"]');
    await page.waitForSelector('[data-testid=chart-7d] canvas');
    // Each model that served today against its latency objective, and each endpoint's breaker now.
    await page.waitForSelector('[data-testid=slo-table] tbody tr');
    expect(await page.locator('[data-testid=slo-table]').textContent()).toMatch(/gemini-2\.5-flash|deepseek-v3\.2/);
    expect(await page.locator('[data-testid=endpoint-table] tbody tr').count()).toBe(gw.deps.config.endpoints.size);
    await shot('overview');

    await show('requests');
    await page.waitForSelector('[data-testid=requests-table] tbody tr');
    expect(await page.locator('[data-testid=requests-table]').textContent()).toContain('chat-default');
    await shot('requests');

    await show('cutover');
    await page.waitForSelector('[data-testid=cutover-idle]');
    await shot('cutover');
  }, 180_000);

  it('creates a key (secret shown once), then revokes it, and the revoked key is refused', async () => {
    await show('keys');
    await page.fill('[data-testid=create-name]', 'browser-made');
    await page.fill('[data-testid=create-rpm]', '30');
    await page.click('[data-testid=create-submit]');
    const secret = (await page.locator('[data-testid=secret-value]').textContent({ timeout: 60_000 }))!.trim();
    expect(secret).toMatch(/^sk-sy-/);
    const created = (await gw.keys.list()).find((k) => k.name === 'browser-made')!;
    expect(created.rpm).toBe(30);
    expect(
      (await post(gw, '/v1/chat/completions', hi('deepseek-v3.2'), { authorization: `Bearer ${secret}` })).status,
    ).toBe(200);
    await shot('keys');

    await page.click(`[data-testid="revoke-${created.keyId}"]`);
    await page
      .locator('tr', { has: page.locator(`[data-testid="key-${created.keyId}"]`) })
      .filter({ hasText: 'revoked' })
      .waitFor();
    // The test gateway caches no authorizer decisions: refusal is immediate.
    expect(
      (await post(gw, '/v1/chat/completions', hi('deepseek-v3.2'), { authorization: `Bearer ${secret}` })).status,
    ).toBe(401);
    // The secret is shown once: a fresh render of the view no longer has it.
    await show('overview');
    await show('keys');
    expect(await page.locator('[data-testid=secret-value]').count()).toBe(0);
  }, 180_000);

  it('sets weekly and monthly budgets when creating a key, shows them, and changes or clears them', async () => {
    // A fresh render of the view (the step before may have left the page on it).
    await show('overview');
    await show('keys');
    await page.fill('[data-testid=create-name]', 'browser-budgets');
    await page.fill('[data-testid=create-dailyBudgetUsd]', '2');
    await page.fill('[data-testid=create-weeklyBudgetUsd]', '5');
    await page.fill('[data-testid=create-monthlyBudgetUsd]', '20.25');
    await page.click('[data-testid=create-submit]');
    const secret = (await page.locator('[data-testid=secret-value]').textContent({ timeout: 60_000 }))!.trim();
    const created = (await gw.keys.list()).find((k) => k.name === 'browser-budgets')!;
    expect(created).toMatchObject({ dailyBudgetUsd: 2, weeklyBudgetUsd: 5, monthlyBudgetUsd: 20.25 });
    const limits = page.locator(`[data-testid="limits-${created.keyId}"]`);
    expect(await limits.textContent()).toBe('$2/day · $5/week · $20.25/month');
    // The row's form starts from the stored values.
    const edit = (f: string) => page.locator(`[data-testid="edit-${created.keyId}-${f}"]`);
    expect(await edit('weeklyBudgetUsd').inputValue()).toBe('5');
    expect(await edit('monthlyBudgetUsd').inputValue()).toBe('20.25');
    await shot('keys-budgets');

    // Change the weekly budget, clear the monthly one, limit the models to a pattern; the daily
    // budget is kept as it was.
    await edit('weeklyBudgetUsd').fill('7.5');
    await edit('monthlyBudgetUsd').fill('');
    await edit('allowedModels').fill('gemini-*');
    await page.click(`[data-testid="save-${created.keyId}"]`);
    await page.locator(`[data-testid="limits-${created.keyId}"]`, { hasText: '$7.5/week' }).waitFor();
    expect(await limits.textContent()).toBe('$2/day · $7.5/week · models gemini-*');
    const updated = (await gw.keys.list()).find((k) => k.keyId === created.keyId)!;
    expect([updated.dailyBudgetUsd, updated.weeklyBudgetUsd, updated.monthlyBudgetUsd]).toEqual([2, 7.5, undefined]);
    expect(updated.allowedModels).toEqual(['gemini-*']);
    const as = { authorization: `Bearer ${secret}` };
    expect((await post(gw, '/v1/chat/completions', hi('gemini-2.5-flash'), as)).status).toBe(200);
    const other = await post(gw, '/v1/chat/completions', hi('gpt-4.1'), as);
    expect([other.status, other.json.error.code]).toEqual([403, 'model_not_allowed']);

    // A negative budget is stopped by the form itself (min=0), and the API would refuse it too.
    await edit('monthlyBudgetUsd').fill('-1');
    expect(await page.locator(`[data-testid="edit-${created.keyId}-monthlyBudgetUsd"]:invalid`).count()).toBe(1);
    const refused = await fetch(`${gw.url}/v1/admin/keys/${created.keyId}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${gw.demoKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ monthlyBudgetUsd: -1 }),
    });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { param: string } }).error.param).toBe('monthlyBudgetUsd');
  }, 180_000);

  it('refuses a non-admin key on every data call the console makes', async () => {
    for (const path of [
      '/v1/stats?days=7',
      '/v1/admin/state',
      '/v1/admin/keys',
      '/v1/admin/requests',
      '/v1/admin/cutover',
    ]) {
      const res = await fetch(gw.url + path, { headers: { authorization: `Bearer ${USER}` } });
      expect([path, res.status]).toEqual([path, 403]);
    }
  });
});
