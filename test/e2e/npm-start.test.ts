/**
 * The README's first promise: `npm start` brings the gateway up with a banner that carries a URL, a
 * demo key and a curl line that works. Runs the real entry point (bin/local.ts) as a child process.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = join(__dirname, '..', '..');

/** Bounds are for a failing start only; a busy machine may take a while to compile and boot it. */
function startLocal(): Promise<{ child: ChildProcess; banner: string }> {
  const env = { ...process.env };
  delete env.PORT;
  delete env.SWITCHYARD_CONFIG;
  const child = spawn(
    process.execPath,
    [join(REPO, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'bin/local.ts', '--fast', '--port', '0'],
    {
      cwd: REPO,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 90 s; output:\n${out}`)), 90_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('Ctrl-C stops it.')) {
        clearTimeout(timer);
        resolve({ child, banner: out });
      }
    });
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code}:\n${out}`));
    });
  });
}

describe('npm start', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGTERM');
  });

  it('prints a banner whose curl line answers a chat completion with usage and decision headers', async () => {
    const started = await startLocal();
    child = started.child;
    const url = started.banner.match(/running at (http:\/\/127\.0\.0\.1:\d+)/)?.[1];
    const key = started.banner.match(/demo API key: (\S+)/)?.[1];
    const curl = started.banner.split('\n').find((l) => l.trim().startsWith('curl -s http'));
    expect(url && key && curl).toBeTruthy();
    // The curl line, executed as written: URL, Authorization header and body.
    const target = curl!.match(/curl -s (\S+)/)![1];
    const body = curl!.match(/-d '(.+)'/)![1];
    expect(curl).toContain(`Bearer ${key}`);
    const res = await fetch(target, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(200);
    const json = (await res.json()) as { object: string; usage: { total_tokens: number } };
    expect(json.object).toBe('chat.completion');
    expect(json.usage.total_tokens).toBeGreaterThan(0);
    expect(res.headers.get('x-switchyard-model')).toBe('gpt-4.1');
    expect(res.headers.get('x-switchyard-attempts')).toBe('gpt-4.1:200');
    // The console's URL sits next to the demo key and serves the page.
    const consoleUrl = started.banner.match(/console: (\S+)/)?.[1];
    expect(consoleUrl).toBe(`${url}/console`);
    const page = await fetch(consoleUrl!);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
  }, 120_000);
});

describe('npm start with an invalid config', () => {
  it('refuses to start and names the bad field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-badconfig-'));
    try {
      const cfg = JSON.parse(readFileSync(join(REPO, 'config', 'switchyard.json'), 'utf8'));
      cfg.models[2].contextWindow = -5;
      const path = join(dir, 'bad.json');
      writeFileSync(path, JSON.stringify(cfg));
      const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          [join(REPO, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'bin/local.ts', '--port', '0'],
          { cwd: REPO, env: { ...process.env, SWITCHYARD_CONFIG: path }, timeout: 90_000 },
          (err, _stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
        );
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('models[2].contextWindow');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
