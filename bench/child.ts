/**
 * A system under test in its own Node process, driven over IPC: the load generator's CPU is never
 * charged to it, and its own CPU and memory can be read on their own.
 *
 * The child sends `{ ready: info }` once listening (or `{ failed }`), then answers `{ id, cmd, arg }`
 * with `{ id, result }` or `{ id, error }`. `serveChild` is the child's half.
 */
import { fork, type ChildProcess } from 'node:child_process';

export type ChildReply = { id: number; result?: unknown; error?: string } | { ready: unknown } | { failed: string };
export type ChildCommand = { id: number; cmd: string; arg?: unknown };

export class Child<Info> {
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(
    private readonly child: ChildProcess,
    readonly info: Info,
  ) {
    child.on('message', (m: ChildReply) => {
      if (!('id' in m)) return;
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error) p?.reject(new Error(m.error));
      else p?.resolve(m.result);
    });
    // A crashed child must fail the bench, not hang it.
    child.on('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`bench child exited (${code})`));
      this.pending.clear();
    });
  }

  /** Forks `script` (TypeScript: tsx's loader is in process.execArgv, which fork() passes on). */
  static start<Info>(script: string, env: Record<string, string> = {}): Promise<Child<Info>> {
    const child = fork(script, [], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env: { ...process.env, ...env } });
    // Keep the parent's stdout for the tables: anything the child prints goes to stderr.
    child.stdout?.pipe(process.stderr);
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`${script} exited (${code}) before it was ready`));
      child.once('exit', onExit);
      child.once('message', (m: ChildReply) => {
        child.off('exit', onExit);
        if ('ready' in m) resolve(new Child<Info>(child, m.ready as Info));
        else reject(new Error(`${script} failed: ${'failed' in m ? m.failed : JSON.stringify(m)}`));
      });
    });
  }

  call<T = unknown>(cmd: string, arg?: unknown): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, cmd, arg } satisfies ChildCommand);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((r) => (this.child.exitCode !== null ? r() : this.child.once('exit', () => r())));
    if (!this.child.connected) return exited;
    try {
      await Promise.race([this.call('close'), new Promise((r) => setTimeout(r, 5_000).unref())]);
    } catch {
      // already gone
    }
    const timer = setTimeout(() => this.child.kill(), 3_000);
    await exited;
    clearTimeout(timer);
  }
}

/** The child's half: announce `info`, then serve commands until `close`. */
export function serveChild(
  info: unknown,
  handlers: Record<string, (arg: unknown) => unknown>,
  close: () => Promise<void>,
): void {
  const send = (m: ChildReply) => process.send?.(m);
  process.on('message', async (m: ChildCommand) => {
    try {
      if (m.cmd === 'close') {
        await close();
        process.send?.({ id: m.id } satisfies ChildReply, () => process.exit(0));
        return;
      }
      const handler = handlers[m.cmd];
      if (!handler) throw new Error(`unknown command ${m.cmd}`);
      send({ id: m.id, result: await handler(m.arg) });
    } catch (e) {
      send({ id: m.id, error: String((e as Error)?.stack ?? e) });
    }
  });
  // The parent died without a `close` (a crash, ^C): do not outlive it.
  process.once('disconnect', () => void close().finally(() => process.exit(0)));
  send({ ready: info });
}

export function failChild(e: unknown): void {
  process.send?.({ failed: String((e as Error)?.stack ?? e) } satisfies ChildReply);
  process.exitCode = 1;
}
