// The conformance peer on Node's `ws` (tests/peers/node_modules): echoes every message with its
// type and obeys the commands listed in README.md. Prints "PORT <n>" once listening on 127.0.0.1.
//
//   node ws_server.js [--deflate]
'use strict';
const path = require('path');
const { WebSocketServer } = require(path.join(__dirname, '..', 'peers', 'node_modules', 'ws'));

const deflate = process.argv.includes('--deflate');
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: deflate,
                                  maxPayload: 64 * 1024 * 1024 });
// The close code and reason of the last connection the client closed; a lastclose command that
// comes first waits for it (the server may see the socket end after the client has moved on).
let lastClose = null;
const lastCloseWaiters = [];

function pattern(size, seed) {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; ++i) b[i] = 0x21 + ((i * 7 + seed) % 90);
  return b;
}

wss.on('connection', (ws) => {
  ws.on('close', (code, reason) => {
    lastClose = `${code} ${reason.toString()}`;
    lastCloseWaiters.splice(0).forEach((reply) => reply(lastClose));
  });
  ws.on('message', (data, isBinary) => {
    if (isBinary || !data.toString().startsWith('cmd:')) {
      ws.send(data, { binary: isBinary });
      return;
    }
    const [cmd, arg] = data.toString().slice(4).split(' ');
    if (cmd === 'fragment') {
      // One message in several frames: fin:false on all but the last.
      const binary = arg === 'binary';
      const whole = pattern(200000, 3);
      const cuts = [0, 70000, 70001, 130000, 200000]; // a 1-byte frame too
      for (let i = 0; i + 1 < cuts.length; ++i) {
        ws.send(whole.subarray(cuts[i], cuts[i + 1]), { binary, fin: i + 2 === cuts.length });
      }
    } else if (cmd === 'ping') {
      const payload = 'server-ping-' + arg;
      ws.once('pong', (p) => ws.send(`pong:${p.toString()}`));
      ws.ping(payload);
    } else if (cmd === 'ext') {
      ws.send(`ext:${ws.extensions || ''}`);
    } else if (cmd === 'lastclose') {
      const reply = (text) => ws.send(`lastclose:${text}`);
      if (lastClose !== null) reply(lastClose); else lastCloseWaiters.push(reply);
    } else if (cmd === 'close') {
      ws.close(4002, 'server bye');
    } else {
      ws.send(`unknown:${cmd}`);
    }
  });
});
wss.on('listening', () => console.log(`PORT ${wss.address().port}`));
process.on('SIGTERM', () => process.exit(0));
