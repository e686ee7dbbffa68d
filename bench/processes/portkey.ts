/**
 * The Portkey AI gateway (`@portkey-ai/gateway` from npm, its own `start-server.js`), started on
 * loopback and pointed at the bench's upstream per request with its documented headers
 * (`x-portkey-provider: openai`, `x-portkey-custom-host: <upstream>/openai/v1`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort, waitForPort } from '../ports';

export interface PortkeyGateway {
  pid: number;
  chatUrl: string;
  /** Headers that route a request to the bench's upstream. */
  headers(upstreamOpenAiBaseUrl: string): Record<string, string>;
  close(): Promise<void>;
}

export async function startPortkey(): Promise<PortkeyGateway> {
  const port = await freePort();
  const entry = require.resolve('@portkey-ai/gateway/build/start-server.js');
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', join(__dirname, '..', 'portkey', 'loopback-only.mjs'), entry, `--port=${port}`, '--headless'],
    // NODE_ENV=production: no log UI routes; its banner and spinner go nowhere.
    { env: { ...process.env, NODE_ENV: 'production' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  // Not a forked child: it would outlive a bench that crashes.
  const killOnExit = () => child.kill();
  process.once('exit', killOnExit);
  try {
    await waitForPort(port, 20_000, () => child.exitCode !== null);
  } catch (e) {
    child.kill();
    throw new Error(`Portkey gateway did not start: ${(e as Error).message}\n${stderr}`);
  }
  return {
    pid: child.pid!,
    chatUrl: `http://127.0.0.1:${port}/v1/chat/completions`,
    headers: (base) => ({ 'x-portkey-provider': 'openai', 'x-portkey-custom-host': base }),
    close: async () => {
      process.off('exit', killOnExit);
      if (child.exitCode === null) child.kill();
      await exited;
    },
  };
}
