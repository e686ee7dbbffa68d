// dynalite in its own thread: the local runtime's DynamoDB then costs the gateway's event loop only
// the AWS SDK's side of each call, as on AWS, where DynamoDB is another machine. Plain CommonJS so
// it runs as a worker under tsx and under Jest alike (neither transforms a worker's entry file).
'use strict';
const { createRequire } = require('node:module');
const { parentPort, workerData, isMainThread } = require('node:worker_threads');

/**
 * dynalite 4 reads Query and Scan results through an abstract-level iterator wrapped in a stream
 * whose destroy() calls `iterator.return()` to close it, but abstract-level iterators only have
 * `close()`. So no iterator was ever closed: each stayed attached to the database and pinned its
 * snapshot of the in-memory tree, and every later write kept old tree nodes and value buffers
 * alive. The local runtime grew by ~1 KB per request (the health check's reservation sweep queries
 * the ledger every round; /v1/stats queries too), found by `npm run soak`. Giving the iterators the
 * `return()` the wrapper calls closes each one when its stream ends or is destroyed.
 */
function closeLevelIteratorsOnReturn() {
  const fromDynalite = createRequire(require.resolve('dynalite'));
  // The copy memory-level (and classic-level, for --data-dir) extend: resolved from where they live.
  for (const store of ['memory-level', 'classic-level']) {
    let abstractLevel;
    try {
      abstractLevel = createRequire(fromDynalite.resolve(store))('abstract-level');
    } catch {
      continue;
    }
    // AbstractIterator, AbstractKeyIterator and AbstractValueIterator share this base prototype.
    const common = Object.getPrototypeOf(abstractLevel.AbstractIterator.prototype);
    if (typeof common.return !== 'function') {
      common.return = function () {
        return this.close();
      };
    }
  }
}

/** Counts requests by operation into a shared array the gateway thread reads without a message. */
function countRequests(server, counts, ops) {
  server.on('request', (req) => {
    const op = String(req.headers['x-amz-target'] || '')
      .split('.')
      .pop();
    const i = ops.indexOf(op);
    Atomics.add(counts, i === -1 ? ops.length : i, 1);
  });
}

module.exports = { closeLevelIteratorsOnReturn };

if (!isMainThread && workerData && workerData.switchyardDynalite) {
  closeLevelIteratorsOnReturn();
  const dynalite = require('dynalite');
  const server = dynalite({
    createTableMs: workerData.createTableMs || 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(workerData.path ? { path: workerData.path } : {}),
  });
  countRequests(server, new Int32Array(workerData.counts), workerData.ops);
  server.once('error', (e) => parentPort.postMessage({ error: String(e && e.message ? e.message : e) }));
  // Node closes a keep-alive connection idle for 5 s; a client that reuses it at that moment gets
  // "socket hang up" for a write the server never read, which the stores must treat as maybe
  // applied (stranding quota). A periodic caller such as the sweep hits that race. Local servers
  // keep idle connections open for the life of a run instead.
  server.keepAliveTimeout = 10 * 60_000;
  server.listen(workerData.port || 0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
  parentPort.on('message', (m) => {
    if (m !== 'close') return;
    if (server.closeAllConnections) server.closeAllConnections();
    server.close(() => parentPort.postMessage('closed'));
  });
}
