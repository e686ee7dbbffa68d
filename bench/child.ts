/**
 * A system under test in its own Node process, driven over IPC: the load generator's CPU is never
 * charged to it, and its own CPU and memory can be read on their own. The bench's processes and the
 * soak's gateway both run this way.
 *
 * The child sends `{ ready: info }` once listening (or `{ failed }`), then answers each command
 * `{ id, cmd, ...fields }` with `{ id, result }` or `{ id, error }`. Messages without an id are
 * pushes the parent may listen to. `serveChild` is the child's half.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export type ChildReply = { id: number; result?: unknown; error?: string } | { ready: unknown } | { failed: string };
/** A command as the parent writes it; the id is added when it is sent. */
export type CommandBody = { cmd: string } & Record<string, unknown>;
export type ChildCommand = CommandBody & { id: number };

export interface ChildOptions {
  env?: Record<string, string>;
  /** Node flags for the child (default: this process's, which carry tsx's loader). */
  execArgv?: string[];
  /** Messages the child sends unasked (anything without an `id`). */
  onPush?: (message: unknown) => void;
  /** Each line the child writes to stdout or stderr; default: copied to this process's stderr. */
  onLine?: (line: string) => void;
}

export class Child<Info> {
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** The child's exit code once it has exited. */
  exited: number | null | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly info: Info,
    onPush: ChildOptions['onPush'],
  ) {
    child.on('message', (m: ChildReply) => {
      if (!('id' in m)) {
        onPush?.(m);
        return;
      }
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error) p?.reject(new Error(m.error));
      else p?.resolve(m.result);
    });
    // A crashed child must fail the run, not hang it.
    child.on('exit', (code) => {
      this.exited = code;
      for (const p of this.pending.values()) p.reject(new Error(`${child.spawnfile} child exited (${code})`));
      this.pending.clear();
    });
  }

  /** Forks `script` (TypeScript: tsx's loader is in process.execArgv, which fork() passes on). */
  static start<Info>(script: string, opts: ChildOptions = {}): Promise<Child<Info>> {
    const child = fork(script, [], {
      stdio: ['ignore', 'pipe', opts.onLine ? 'pipe' : 'inherit', 'ipc'],
      env: { ...process.env, ...opts.env },
      ...(opts.execArgv ? { execArgv: opts.execArgv } : {}),
    });
    if (opts.onLine) {
      for (const stream of [child.stdout, child.stderr])
        if (stream) createInterface({ input: stream }).on('line', opts.onLine);
    } else {
      // Keep the parent's stdout for its own output: anything the child prints goes to stderr.
      child.stdout?.pipe(process.stderr);
    }
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`${script} exited (${code}) before it was ready`));
      child.once('exit', onExit);
      child.once('message', (m: ChildReply) => {
        child.off('exit', onExit);
        if ('ready' in m) resolve(new Child<Info>(child, m.ready as Info, opts.onPush));
        else reject(new Error(`${script} failed: ${'failed' in m ? m.failed : JSON.stringify(m)}`));
      });
    });
  }

  call<T = unknown>(body: CommandBody): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (this.exited !== undefined || !this.child.connected) return reject(new Error(`child exited (${this.exited})`));
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ ...body, id } satisfies ChildCommand);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Asks the child to close (bounded wait), then kills it if it is still there. */
  async close(): Promise<void> {
    const exited = new Promise<void>((r) =>
      this.child.exitCode !== null || this.child.signalCode !== null ? r() : this.child.once('exit', () => r()),
    );
    if (this.child.connected) {
      try {
        await Promise.race([this.call({ cmd: 'close' }), new Promise((r) => setTimeout(r, 10_000).unref())]);
      } catch {
        // already gone
      }
    }
    const timer = setTimeout(() => this.child.kill(), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

/** The child's half: announce `info`, then serve commands until `close`. */
export function serveChild<M extends CommandBody>(
  info: unknown,
  handlers: { [C in Exclude<M['cmd'], 'close'>]: (message: Extract<M, { cmd: C }>) => unknown },
  close: () => Promise<void>,
): void {
  const send = (m: ChildReply) => process.send?.(m);
  let closing: Promise<void> | undefined;
  const closeOnce = () => (closing ??= close());
  process.on('message', async (m: M & { id: number }) => {
    try {
      if (m.cmd === 'close') {
        await closeOnce();
        process.send?.({ id: m.id } satisfies ChildReply, () => process.exit(0));
        return;
      }
      const handler = (handlers as unknown as Record<string, ((message: M) => unknown) | undefined>)[m.cmd];
      if (!handler) throw new Error(`unknown command ${m.cmd}`);
      send({ id: m.id, result: await handler(m) });
    } catch (e) {
      send({ id: m.id, error: String((e as Error)?.stack ?? e) });
    }
  });
  // The parent died without a `close` (a crash, ^C): do not outlive it.
  process.once('disconnect', () => void closeOnce().finally(() => process.exit(0)));
  send({ ready: info });
}

export function failChild(e: unknown): void {
  process.send?.({ failed: String((e as Error)?.stack ?? e) } satisfies ChildReply);
  process.exitCode = 1;
}
