'use strict';
// Garbage collection, process exit with open clients, worker_threads.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { Worker } = require('node:worker_threads');
const { once } = require('node:events');
const { Client } = require('..');
const { startServer } = require('./helpers');

let server;
let base;
before(async () => {
  server = await startServer();
  base = server.url('').replace(/\/$/, '');
});
after(async () => {
  await server.stop();
});

/** Runs a fixture in a fresh node; resolves { code, signal, stdout, stderr, ms }; kills it after limitMs. */
function runNode(args, limitMs = 15000) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

const fixture = (name) => path.join(__dirname, 'fixtures', name);

test('garbage collection: idle and closed clients are collected, an open one is kept', async () => {
  const r = await runNode(['--expose-gc', fixture('gc.js'), base]);
  assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stderr}`);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop());
  assert.equal(out.closeCode, 4001, 'the unreferenced open client still delivered its close');
  assert.equal(out.collected, 221, 'every client became collectable once idle');
});

test('process.exit() with busy open clients neither crashes nor hangs', async () => {
  const r = await runNode([fixture('exit.js'), base, 'exit']);
  assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stderr}`);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.ms < 5000, `took ${r.ms} ms`);
});

test('an uncaught exception with open clients exits with code 1, no crash', async () => {
  const r = await runNode([fixture('exit.js'), base, 'throw']);
  assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stderr}`);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /boom with open clients/);
});

test('idle, closed and destroyed clients let the process end by itself', async () => {
  const r = await runNode([fixture('exit.js'), base, 'natural']);
  assert.equal(r.signal, null, `hung: ${r.stderr}`);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /natural end/);
  assert.ok(r.ms < 5000, `took ${r.ms} ms`);
});

test('an open connection keeps the process alive until it closes', async () => {
  const r = await runNode([fixture('exit.js'), base, 'open-until-closed']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /closed 4000/);
  assert.ok(r.ms >= 650, `exited after ${r.ms} ms, before the server closed`);
});

test('the addon works inside worker_threads, and a terminated worker leaves the process sound', async () => {
  const round = new Worker(fixture('worker.js'), { workerData: { url: `${base}/echo`, mode: 'echo' } });
  const streaming = new Worker(fixture('worker.js'), { workerData: { url: `${base}/echo`, mode: 'stream' } });
  const streamingReady = once(streaming, 'message');
  const roundExit = once(round, 'exit'); // listen before awaiting: 'exit' may follow 'message' at once
  const [result] = await once(round, 'message');
  assert.equal(result.error, undefined, result.error);
  assert.deepEqual(result.got, Array.from({ length: 100 }, (_, i) => i));
  const [code] = await roundExit;
  assert.equal(code, 0, 'the worker ended by itself after close()');

  const [ready] = await streamingReady;
  assert.equal(ready.streaming, true);
  await new Promise((r) => setTimeout(r, 100)); // let it stream
  await streaming.terminate();

  // The main thread's own client is unaffected.
  const c = new Client({ url: `${base}/echo`, messageFormat: 'text', pingInterval: 0 });
  await c.connect();
  const echoed = once(c, 'message');
  c.send('main thread');
  assert.equal((await echoed)[0], 'main thread');
  await c.close();
});
