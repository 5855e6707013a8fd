#!/usr/bin/env node
// ws-node: Node's `ws` (with bufferutil) as its users write a client: `new WebSocket(url)`,
// `send()` from the 'message' handler. The measurement is bench_common.js, the same rules as
// bench_common.c (warm-up, window, clock start, nearest-rank percentiles, memory from /proc), so
// its JSON line compares with the native clients'.
//
// Interface (issue 8): --url URL --mode rtt|pipeline|bulk|conns --count N --size BYTES
//                      [--window W] [--conns C]
'use strict';

const WebSocket = require('ws');
const { parseArgs, payload, nowNs, fail: failWith, Flow, Conns } = require('./bench_common');

// ws masks and unmasks with bufferutil when it loads, and silently without it: fail instead.
require('bufferutil');

const CLIENT_NAME = 'ws-node';
const fail = (what) => failWith(CLIENT_NAME, what);

// Every client of the suite skips the check of the server's self-signed certificate.
function connect(args) {
  return new WebSocket(args.url, { perMessageDeflate: false, rejectUnauthorized: false });
}

// rtt, pipeline, bulk: one connection.
function runFlow(args) {
  const flow = new Flow(CLIENT_NAME, args);
  // Text messages go as a string, binary as a Buffer: what applications pass to send().
  const message = args.mode === 'bulk' ? payload(args.size) : payload(args.size).toString('latin1');
  let done = false;

  const ws = connect(args);
  const sendWhileAllowed = () => {
    while (flow.maySend()) {
      flow.sending();
      ws.send(message);
    }
  };
  ws.on('open', () => {
    flow.start();
    sendWhileAllowed();
  });
  ws.on('message', (data) => {
    flow.echoed(data.length);
    if (!flow.done()) return sendWhileAllowed();
    done = true;
    flow.report();
    ws.close(1000);
  });
  ws.on('error', (err) => fail(err.message));
  ws.on('close', () => { if (!done) fail('the connection closed before the run ended'); });
}

// conns: many connections at once, one echo each, then held.
function runConns(args) {
  const conns = new Conns(CLIENT_NAME, args);
  const message = payload(args.size).toString('latin1');
  const sockets = [];
  let closed = 0;
  let allEchoed = false;
  conns.start();
  for (let i = 0; i < args.conns; ++i) {
    const startedNs = nowNs();
    const ws = connect(args);
    let gotEcho = false;
    ws.on('open', () => ws.send(message));
    ws.on('message', () => {
      gotEcho = true;
      if (!conns.echoed(i, startedNs)) return;
      allEchoed = true;
      conns.holdAndReport(() => { for (const s of sockets) s.close(1000); });
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
