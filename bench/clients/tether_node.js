#!/usr/bin/env node
// tether-node: tether through its Node binding (bindings/node, loaded from that folder), as its
// users write a client: `new Client(options)`, `connect()`, and the next message sent from the
// 'message' listener. Messages go with sendNoAck(), the binding's fire-and-forget send: ws's
// send() without a callback, which ws-node uses, tracks no delivery either (send() would add a
// Promise and a SENT event per message). The measurement is bench_common.js, the same rules as
// every other client.
//
// Interface (issue 8): --url URL --mode rtt|pipeline|bulk|conns --count N --size BYTES
//                      [--window W] [--conns C]
'use strict';

const path = require('path');
const { Client } = require(path.join(__dirname, '..', '..', 'bindings', 'node'));
const { parseArgs, payload, nowNs, fail: failWith, Flow, Conns } = require('./bench_common');

const CLIENT_NAME = 'tether-node';
const fail = (what) => failWith(CLIENT_NAME, what);

// The options of tether-c: no reconnects (a failure must show), text messages handed over as
// strings (no JSON parsing), room for the largest message, and no certificate check, as the
// server's certificate is self-signed (every client skips it).
function newClient(args) {
  return new Client({
    url: args.url,
    messageFormat: 'text',
    autoReconnect: false,
    maxMessageSize: Math.max(args.size + 1024, 16777216),
    insecureSkipTlsVerify: args.url.startsWith('wss://'),
  });
}

// rtt, pipeline, bulk: one connection.
function runFlow(args) {
  const flow = new Flow(CLIENT_NAME, args);
  // Text messages go as a string, binary as a Buffer: what applications pass to send().
  const message = args.mode === 'bulk' ? payload(args.size) : payload(args.size).toString('latin1');
  let done = false;

  const client = newClient(args);
  const sendWhileAllowed = () => {
    while (flow.maySend()) {
      flow.sending();
      client.sendNoAck(message);
    }
  };
  client.on('open', () => {
    flow.start();
    sendWhileAllowed();
  });
  client.on('message', (data) => {
    flow.echoed(data.length);
    if (!flow.done()) return sendWhileAllowed();
    done = true;
    flow.report();
    client.close(1000); // the process ends once the client is closed
  });
  client.on('error', (err) => process.stderr.write(`${CLIENT_NAME}: ${err.message}\n`));
  client.on('close', () => { if (!done) fail('the connection closed before the run ended'); });
  client.connect().catch((err) => fail(`connect: ${err.message}`));
}

// conns: many connections at once, one echo each, then held.
function runConns(args) {
  const conns = new Conns(CLIENT_NAME, args);
  const message = payload(args.size).toString('latin1');
  const clients = [];
  let closed = 0;
  let allEchoed = false;
  conns.start();
  for (let i = 0; i < args.conns; ++i) {
    const startedNs = nowNs();
    const client = newClient(args);
    let gotEcho = false;
    client.on('message', () => {
      gotEcho = true;
      if (!conns.echoed(i, startedNs)) return;
      allEchoed = true;
      conns.holdAndReport(() => { for (const c of clients) c.close(1000); });
    });
    client.on('error', (err) => process.stderr.write(`${CLIENT_NAME}: connection ${i}: ${err.message}\n`));
    client.on('close', () => {
      if (!gotEcho || !allEchoed) fail(`connection ${i} closed before the run ended`);
      if (++closed === args.conns) process.exit(0);
    });
    client.connect().catch((err) => fail(`connection ${i}: ${err.message}`));
    // Queued until the connection is ready, then sent (as tether-c does).
    client.sendNoAck(message);
    clients.push(client);
  }
}

const args = parseArgs(process.argv.slice(2));
if (args.mode === 'conns') runConns(args);
else runFlow(args);
