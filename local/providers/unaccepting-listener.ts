/**
 * A loopback address that takes no new connections: a real connect timeout without leaving the machine.
 *
 * A connect timeout needs a TCP handshake that never completes. Faults in the simulated providers
 * cannot give one (the server has already accepted the connection when it sees a request, and the
 * gateway reuses keep-alive connections), a closed port answers RST at once (connection refused, not a
 * timeout), and a non-routable address (10.255.255.1 and friends) would send packets off the machine.
 * So: a socket that listens but never accepts, with its accept queue full.
 *
 * The listening socket lives in a worker thread whose event loop is blocked in `Atomics.wait`, so
 * nothing ever calls accept() on it. The kernel completes handshakes into the accept queue on its own
 * until the queue is full (backlog 1 = 2 connections on Linux); we fill it with our own idle
 * connections, and from then on the kernel drops every SYN to that port (`ListenOverflows`), so a
 * client's connect() stays in SYN_SENT until the client's own connect timeout fires. That is what an
 * upstream behind a firewall that drops packets, or an overloaded server, looks like from the gateway.
 * Nothing leaves 127.0.0.1. A kernel that completes handshakes anyway (SYN cookies forced on,
 * `tcp_syncookies=2`) makes `start` fail with a clear message instead of giving a listener that connects.
 */
import { connect, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';

export interface UnacceptingListener {
  host: string;
  port: number;
  /** `http://host:port`: point a provider's baseUrl at `${url}/v1`. */
  url: string;
  close(): Promise<void>;
}

const LISTENER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const net = require('node:net');
const wake = new Int32Array(workerData.wake);
const server = net.createServer();
server.on('error', (e) => parentPort.postMessage({ error: String(e) }));
server.listen({ host: workerData.host, port: 0, backlog: 1 }, () => {
  parentPort.postMessage({ port: server.address().port });
  // Block this thread's event loop until close(): no accept() ever runs on the socket.
  Atomics.wait(wake, 0, 0);
  server.close();
});
`;

/** Resolves 'connected' or 'pending' (no handshake within `ms`); the socket stays open either way. */
function tryConnect(
  host: string,
  port: number,
  ms: number,
): Promise<{ state: 'connected' | 'pending' | 'error'; socket: Socket }> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.on('error', () => resolve({ state: 'error', socket }));
    const timer = setTimeout(() => resolve({ state: 'pending', socket }), ms);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve({ state: 'connected', socket });
    });
  });
}

export async function startUnacceptingListener(host = '127.0.0.1'): Promise<UnacceptingListener> {
  const wake = new SharedArrayBuffer(4);
  const worker = new Worker(LISTENER_SOURCE, { eval: true, workerData: { host, wake } });
  worker.unref(); // a forgotten close() must not keep the process alive
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (m: { port?: number; error?: string }) =>
      m.port ? resolve(m.port) : reject(new Error(`unaccepting listener: ${m.error}`)),
    );
    worker.once('error', reject);
  });

  const fillers: Socket[] = [];
  const close = async () => {
    for (const s of fillers) s.destroy();
    Atomics.store(new Int32Array(wake), 0, 1);
    Atomics.notify(new Int32Array(wake), 0);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 1_000))]);
    await worker.terminate();
  };

  // Fill the accept queue until a handshake no longer completes (2 connections on Linux).
  for (let i = 0; i < 16; i++) {
    const { state, socket } = await tryConnect(host, port, 150);
    fillers.push(socket);
    if (state === 'pending') {
      return { host, port, url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, close };
    }
    if (state === 'error') break;
  }
  await close();
  throw new Error(
    'unaccepting listener: this kernel completes TCP handshakes the listener never accepts (SYN cookies forced on?); no connect timeout can be produced here',
  );
}
