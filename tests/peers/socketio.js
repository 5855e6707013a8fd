'use strict';
// A real Socket.IO server (the `socket.io` package: Engine.IO 4 + Socket.IO 5) on an http server,
// path /socket.io/, WebSocket transport only. Engine.IO pings every 300 ms and drops a client
// whose pong is 600 ms late, so every test exercises the protocol's own keep-alive.
//
// Namespaces "/" and "/admin" share the handlers below; "/admin" also greets each connection
// with a `welcome` event ({nsp, sid}) right after the CONNECT ack. Other namespaces do not
// exist (the server answers connect_error "Invalid namespace").
//
// Auth (a middleware on both namespaces reads socket.handshake.auth.token):
//   "bad"   refused: connect_error {"message":"invalid token","data":{"code":401}}
//   "slow"  accepted 400 ms later (the client must wait for the CONNECT ack)
//   other or none: accepted
//
// Events a client emits:
//   chat(...args)            re-broadcast as chat(...args) to every socket of the namespace,
//                            the sender included
//   auth({token})            what a first-message auth template sends: remembered for whoami
//   push({event, args})      the server emits event(...args) to this socket
//   add(a, b, ack)           ack(a + b)
//   echo(...args, ack)       ack(...args)
//   fail(ack)                ack({error: {message: "failed on purpose"}}): Socket.IO's acks have
//                            no error flag, so an error is an ordinary argument
//   never(ack)               never acknowledged
//   whoami(ack)              ack({nsp, sid, token, authMessage})
//   pongs(atLeast, ack)      acks the count of Engine.IO pongs received on this connection once
//                            it reaches atLeast
//   connections(atLeast, ack) acks the count of connections this namespace has accepted once it
//                            reaches atLeast
//   kick()                   socket.disconnect(true): DISCONNECT 41, then the connection closes
//   drop()                   socket.conn.close(): the WebSocket closes with no Socket.IO goodbye
//   engine_close()           an Engine.IO close packet 1, then the connection closes
const http = require('http');
const { Server } = require('socket.io');

const log = (...args) => console.error('[socketio-peer]', ...args);

// Long-poll conditions: each change re-checks every waiter.
const waiters = [];
function until(test, resolve) {
  const value = test();
  if (value !== undefined) resolve(value);
  else waiters.push({ test, resolve });
}
function changed() {
  for (let i = waiters.length - 1; i >= 0; --i) {
    const value = waiters[i].test();
    if (value !== undefined) {
      const { resolve } = waiters[i];
      waiters.splice(i, 1);
      resolve(value);
    }
  }
}

// The last argument of an event, when the client asked for an ack.
const ackOf = (args) => (typeof args[args.length - 1] === 'function' ? args.pop() : () => {});

const httpServer = http.createServer();
const io = new Server(httpServer, {
  path: '/socket.io/',
  transports: ['websocket'],
  serveClient: false,
  pingInterval: 300,
  pingTimeout: 600,
});

const accepted = new Map();  // namespace -> connections accepted

function serve(nsp) {
  nsp.use((socket, next) => {
    const token = socket.handshake.auth && socket.handshake.auth.token;
    if (token === 'bad') {
      const err = new Error('invalid token');
      err.data = { code: 401 };
      log(nsp.name, 'refused a bad token');
      return next(err);
    }
    if (token === 'slow') return setTimeout(next, 400);
    return next();
  });

  nsp.on('connection', (socket) => {
    accepted.set(nsp.name, (accepted.get(nsp.name) || 0) + 1);
    log(nsp.name, 'connected', socket.id, 'auth', JSON.stringify(socket.handshake.auth));
    let pongs = 0;
    socket.conn.on('packet', (packet) => {
      if (packet.type === 'pong') {
        ++pongs;
        changed();
      }
    });
    socket.on('disconnect', (reason) => log(nsp.name, socket.id, 'disconnected:', reason));

    socket.on('chat', (...args) => { ackOf(args); nsp.emit('chat', ...args); });
    socket.on('auth', (payload) => {
      socket.data.authMessage = payload && payload.token !== undefined ? payload.token : payload;
    });
    socket.on('push', (spec) => {
      if (spec && typeof spec.event === 'string') socket.emit(spec.event, ...(spec.args || []));
    });
    socket.on('add', (a, b, ack) => ack(a + b));
    socket.on('echo', (...args) => { const ack = ackOf(args); ack(...args); });
    socket.on('fail', (...args) => ackOf(args)({ error: { message: 'failed on purpose' } }));
    socket.on('never', () => {});
    socket.on('whoami', (...args) => ackOf(args)({
      nsp: nsp.name,
      sid: socket.id,
      token: socket.handshake.auth.token === undefined ? null : socket.handshake.auth.token,
      authMessage: socket.data.authMessage === undefined ? null : socket.data.authMessage,
    }));
    socket.on('pongs', (atLeast, ack) => until(() => (pongs >= atLeast ? pongs : undefined), ack));
    socket.on('connections', (atLeast, ack) => until(() => {
      const n = accepted.get(nsp.name) || 0;
      return n >= atLeast ? n : undefined;
    }, ack));
    socket.on('kick', () => socket.disconnect(true));
    socket.on('drop', () => socket.conn.close());
    socket.on('engine_close', () => {
      socket.conn.sendPacket('close');
      socket.conn.close();
    });

    if (nsp.name === '/admin') socket.emit('welcome', { nsp: nsp.name, sid: socket.id });
    changed();
  });
}

serve(io.of('/'));
serve(io.of('/admin'));

httpServer.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: httpServer.address().port }) + '\n');
});

process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
