'use strict';
// Starts tether-test-server (TETHER_TEST_SERVER) for a test file and builds its URLs.
const { spawn } = require('node:child_process');
const readline = require('node:readline');
const { once } = require('node:events');

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

module.exports = { startServer, next, freshKey, serverBinary };
