#!/usr/bin/env node
// ws-node: Node's `ws` (with bufferutil) as its users write a client: `new WebSocket(url)`,
// `send()` from the 'message' handler. The measurement follows bench/clients/bench_common.h line
// for line (warm-up, window, clock start, nearest-rank percentiles, memory from /proc), so its
// JSON line compares with the native clients'.
//
// Interface (issue 8): --url URL --mode rtt|pipeline|bulk|conns --count N --size BYTES
//                      [--window W] [--conns C]
'use strict';

const fs = require('fs');
const WebSocket = require('ws');

// ws masks and unmasks with bufferutil when it loads, and silently without it: fail instead.
require('bufferutil');

const CLIENT_NAME = 'ws-node';
const HOLD_MS = 200; // BENCH_HOLD_MS

function usage(problem) {
  process.stderr.write(`ws_client.js: ${problem}\n` +
    'usage: ws_client.js --url ws://127.0.0.1:PORT --mode rtt|pipeline|bulk|conns --count N ' +
    '--size BYTES [--window W] [--conns C]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const args = { conns: 1000, window: 0 };
  const number = (flag, text, min) => {
    if (!/^-?\d+$/.test(text) || Number(text) < min) usage(`${flag} needs a whole number >= ${min}`);
    return Number(text);
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) usage('every option takes a value');
    switch (flag) {
      case '--url': args.url = value; break;
      case '--mode': args.mode = value; break;
      case '--count': args.count = number(flag, value, 1); break;
      case '--size': args.size = number(flag, value, 0); break;
      case '--window': args.window = number(flag, value, 1); break;
      case '--conns': args.conns = number(flag, value, 1); break;
      default: usage('unknown option');
    }
  }
  if (!args.url || !args.mode || args.count === undefined) usage('--url, --mode and --count are required');
  if (!['rtt', 'pipeline', 'bulk', 'conns'].includes(args.mode)) usage('--mode must be rtt, pipeline, bulk or conns');
  if (!/^wss?:\/\//.test(args.url)) usage('--url must start with ws:// or wss://');
  args.size = args.size || 0;
  if (args.mode === 'rtt') args.window = 1;
  else if (!args.window) args.window = args.mode === 'bulk' ? 4 : 64;
  return args;
}

const nowNs = () => Number(process.hrtime.bigint());

function statusKb(field) {
  const match = fs.readFileSync('/proc/self/status', 'utf8').match(new RegExp(`^${field}:\\s+(\\d+)`, 'm'));
  return match ? Number(match[1]) : -1;
}

function payload(size) {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; ++i) bytes[i] = 97 + (i % 26);
  return bytes;
}

// Nearest-rank percentile in microseconds of sorted nanosecond samples.
function percentileUs(sorted, p) {
  if (sorted.length === 0) return 0;
  const rank = Math.min(Math.max(Math.ceil((p / 100) * sorted.length - 1e-6), 1), sorted.length);
  return sorted[rank - 1] / 1000;
}

function report(args, count, seconds, samplesNs, rssPerConnKb) {
  const sorted = Float64Array.from(samplesNs).sort();
  const round = (x, digits) => Number(x.toFixed(digits));
  const line = {
    client: CLIENT_NAME,
    mode: args.mode,
    count,
    size: args.size,
    seconds: round(seconds, 6),
    msgs_per_s: round(seconds > 0 ? count / seconds : 0, 1),
    mb_per_s: round(seconds > 0 ? (count * args.size) / seconds / 1e6 : 0, 3),
    p50_us: round(percentileUs(sorted, 50), 1),
    p99_us: round(percentileUs(sorted, 99), 1),
    rss_kb: statusKb('VmHWM'),
    rss_per_conn_kb: rssPerConnKb === null ? null : round(rssPerConnKb, 2),
  };
  process.stdout.write(JSON.stringify(line) + '\n');
}

function fail(what) {
  process.stderr.write(`${CLIENT_NAME}: ${what}\n`);
  process.exit(1);
}

// Every client of the suite skips the check of the server's self-signed certificate.
function connect(args) {
  return new WebSocket(args.url, { perMessageDeflate: false, rejectUnauthorized: false });
}

// rtt, pipeline, bulk: one connection (see bench_flow in bench_common.h).
function runFlow(args) {
  const warmup = Math.min(Math.floor(args.count / 10), 1000);
  const total = warmup + args.count;
  const sendNs = new Float64Array(args.window);
  const rttNs = new Float64Array(args.count);
  // Text messages go as a string, binary as a Buffer: what applications pass to send().
  const message = args.mode === 'bulk' ? payload(args.size) : payload(args.size).toString('latin1');
  let sent = 0;
  let received = 0;
  let startNs = 0;
  let endNs = 0;
  let done = false;

  const ws = connect(args);
  const maySend = () => sent < total && sent - received < args.window &&
    (sent !== warmup || received === warmup);
  const sendWhileAllowed = () => {
    while (maySend()) {
      sendNs[sent % args.window] = nowNs();
      ++sent;
      ws.send(message);
    }
  };
  ws.on('open', () => {
    if (warmup === 0) startNs = nowNs();
    sendWhileAllowed();
  });
  ws.on('message', (data) => {
    const now = nowNs();
    const index = received++;
    if (data.length !== args.size) fail('an echo of the wrong size came back');
    if (index >= warmup) rttNs[index - warmup] = now - sendNs[index % args.window];
    if (received === warmup) startNs = now;
    if (received < total) return sendWhileAllowed();
    endNs = now;
    done = true;
    report(args, args.count, (endNs - startNs) / 1e9, rttNs, null);
    ws.close(1000);
  });
  ws.on('error', (err) => fail(err.message));
  ws.on('close', () => { if (!done) fail('the connection closed before the run ended'); });
}

// conns: many connections at once, one echo each, then held (see bench_conns).
function runConns(args) {
  const rssBeforeKb = statusKb('VmRSS');
  const message = payload(args.size).toString('latin1');
  const openNs = new Float64Array(args.conns);
  const sockets = [];
  let echoed = 0;
  let closed = 0;
  let allEchoed = false;
  const startNs = nowNs();
  for (let i = 0; i < args.conns; ++i) {
    const startedNs = nowNs();
    const ws = connect(args);
    let gotEcho = false;
    ws.on('open', () => ws.send(message));
    ws.on('message', () => {
      const now = nowNs();
      gotEcho = true;
      openNs[i] = now - startedNs;
      if (++echoed === args.conns) {
        allEchoed = true;
        const endNs = now;
        setTimeout(() => {
          const perConn = Math.max(0, (statusKb('VmRSS') - rssBeforeKb) / args.conns);
          report(args, args.conns, (endNs - startNs) / 1e9, openNs, perConn);
          for (const s of sockets) s.close(1000);
        }, HOLD_MS);
      }
    });
    ws.on('error', (err) => fail(`connection ${i}: ${err.message}`));
    ws.on('close', () => {
      if (!gotEcho || !allEchoed) fail(`connection ${i} closed before the run ended`);
      if (++closed === args.conns) process.exit(0);
    });
    sockets.push(ws);
  }
}

const args = parseArgs(process.argv.slice(2));
if (args.mode === 'conns') runConns(args);
else runFlow(args);
