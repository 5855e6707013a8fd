'use strict';
// Starts tether-test-server (TETHER_TEST_SERVER) and the protocol peers (tests/peers) for a test
// file and builds their URLs; waiting and assertion helpers the suites share.
const { spawn } = require('node:child_process');
const readline = require('node:readline');
const { once } = require('node:events');
const path = require('node:path');
const assert = require('node:assert/strict');

function serverBinary() {
  const bin = process.env.TETHER_TEST_SERVER;
  if (!bin) {
    throw new Error('TETHER_TEST_SERVER is not set: point it at the tether-test-server binary (e.g. /work/stage/bin/tether-test-server)');
  }
  return bin;
}

/** Spawns the server with a pipe on stdin (it exits when the pipe closes) and reads its ports. */
async function startServer() {
  const proc = spawn(serverBinary(), [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const spawnError = once(proc, 'error').then(([err]) => { throw err; });
  const lines = readline.createInterface({ input: proc.stdout });
  const [line] = await Promise.race([once(lines, 'line'), spawnError]);
  lines.close();
  const info = JSON.parse(line);
  return {
    info,
    url: (path) => `ws://127.0.0.1:${info.ws}${path}`,
    wssUrl: (path) => `wss://localhost:${info.wss}${path}`,
    async stop() {
      proc.stdin.end();
      proc.kill('SIGTERM');
      if (proc.exitCode === null && proc.signalCode === null) await once(proc, 'exit');
    },
  };
}

/** Resolves with the arguments of the next `event` of `emitter`, or rejects after ms. */
function next(emitter, event, ms = 5000, filter = () => true) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`no '${event}' event within ${ms} ms`));
    }, ms);
    function on(...args) {
      if (!filter(...args)) return;
      clearTimeout(timer);
      emitter.off(event, on);
      resolve(args);
    }
    emitter.on(event, on);
  });
}

let keyCounter = 0;
/** A fresh /flaky key per test (the server counts connections per key for its whole life). */
function freshKey(name) {
  keyCounter += 1;
  return `${name}-${process.pid}-${keyCounter}`;
}

/** tests/peers of the repository (TETHER_PEERS_DIR overrides it). */
function peersDir() {
  return process.env.TETHER_PEERS_DIR || path.resolve(__dirname, '..', '..', '..', 'tests', 'peers');
}

/**
 * Starts `node tests/peers/<name>.js` (a real protocol server on 127.0.0.1): it prints
 * {"port":N} once listening and exits when its stdin ends, so stop() just closes the pipe.
 */
async function startPeer(name) {
  const script = path.join(peersDir(), `${name}.js`);
  // The peers log every connection to stderr: shown with TETHER_PEER_LOG=1.
  const log = process.env.TETHER_PEER_LOG === '1' ? 'inherit' : 'ignore';
  const proc = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', log] });
  const spawnError = once(proc, 'error').then(([err]) => { throw err; });
  const exited = once(proc, 'exit').then(([code]) => { throw new Error(`peer ${script} exited (${code}) before listening`); });
  const lines = readline.createInterface({ input: proc.stdout });
  const [line] = await Promise.race([once(lines, 'line'), spawnError, exited]);
  lines.close();
  const { port } = JSON.parse(line);
  return {
    port,
    url: (urlPath) => `ws://127.0.0.1:${port}${urlPath}`,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = once(proc, 'exit');
      proc.stdin.end();
      await gone;
    },
  };
}

/**
 * Collects values: push(v) until `n` arrived, then `done` resolves with them; it rejects after
 * ms with what arrived so far. `got` is everything pushed, also after n.
 */
function collector(n, ms = 5000) {
  const got = [];
  let resolve;
  let reject;
  const done = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const timer = setTimeout(() => reject(new Error(`got ${got.length} of ${n}: ${JSON.stringify(got)}`)), ms);
  return {
    push(v) {
      got.push(v);
      if (got.length === n) {
        clearTimeout(timer);
        resolve(got.slice());
      }
    },
    done,
    got,
  };
}

/**
 * Connects a manager whose credentials the server refuses: connect() must reject with
 * TETHER_E_AUTH (check(err) looks further), the manager must end in 'error', and no reconnect
 * may follow (waited for `settleMs`, longer than the manager's reconnectDelay).
 */
async function assertRefusedForGood(manager, check, settleMs = 300) {
  let reconnects = 0;
  manager.client.on('reconnect', () => { reconnects += 1; });
  await assert.rejects(manager.connect(), (err) => {
    assert.equal(err.name, 'TetherError');
    assert.equal(err.code, 'TETHER_E_AUTH');
    check(err);
    return true;
  });
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  assert.equal(manager.getState(), 'error');
  assert.equal(reconnects, 0);
}

module.exports = { startServer, startPeer, next, freshKey, collector, assertRefusedForGood, serverBinary };
