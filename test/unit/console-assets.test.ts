/**
 * The console the router serves is the one built from console/: the committed bundle is current
 * (rebuild with `npm run console:build`), small, and carries no inline script or third-party origin.
 */
import { gzipSync } from 'node:zlib';
import { buildConsoleAssets } from '../../bin/build-console';
import { CONSOLE_ASSETS } from '../../functions/router/console/assets.generated';
import { CONSOLE_CSP } from '../../functions/router/routes/console';

describe('console assets', () => {
  it('are current: functions/router/console/assets.generated.ts matches a fresh build of console/', async () => {
    const fresh = await buildConsoleAssets();
    expect(Object.keys(CONSOLE_ASSETS).sort()).toEqual(Object.keys(fresh).sort());
    for (const [name, asset] of Object.entries(fresh)) expect(CONSOLE_ASSETS[name]).toEqual(asset);
  }, 30_000);

  it('load in well under 100 KB gzipped', () => {
    const gz = Object.values(CONSOLE_ASSETS).reduce((n, a) => n + gzipSync(a.body).length, 0);
    expect(gz).toBeLessThan(100 * 1024);
  });

  it('reference only same-origin files, with no inline script or style in the page', () => {
    const html = CONSOLE_ASSETS['index.html'].body;
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(body.trim()).toBe('');
      expect(attrs).toMatch(/src="console\/app\.js"/);
    }
    expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
    expect(html).not.toMatch(/https?:\/\//);
    expect(CONSOLE_ASSETS['app.js'].body).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  });
});
