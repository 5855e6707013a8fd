// The measurement rules of issue 8 for the JavaScript clients (ws-node, tether-node): the same
// lines as bench_common.c (argument parsing, warm-up, window, clock start, nearest-rank
// percentiles, memory from /proc, the JSON line), kept in one place so that every Node client
// is measured the same way and compares with the native ones.
'use strict';

const fs = require('fs');
const path = require('path');

const HOLD_MS = 200; // BENCH_HOLD_MS: idle time before the RSS of held connections is read

function usage(program, problem) {
  process.stderr.write(`${program}: ${problem}\n` +
    `usage: ${program} --url ws://127.0.0.1:PORT --mode rtt|pipeline|bulk|conns --count N ` +
    '--size BYTES [--window W] [--conns C]\n');
  process.exit(2);
}

/** The interface of issue 8: --url --mode --count --size [--window] [--conns]. */
function parseArgs(argv) {
  const program = path.basename(process.argv[1] || 'client');
  const args = { conns: 1000, window: 0 };
  const number = (flag, text, min) => {
    if (!/^-?\d+$/.test(text) || Number(text) < min) usage(program, `${flag} needs a whole number >= ${min}`);
    return Number(text);
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) usage(program, 'every option takes a value');
    switch (flag) {
      case '--url': args.url = value; break;
      case '--mode': args.mode = value; break;
      case '--count': args.count = number(flag, value, 1); break;
      case '--size': args.size = number(flag, value, 0); break;
      case '--window': args.window = number(flag, value, 1); break;
      case '--conns': args.conns = number(flag, value, 1); break;
      default: usage(program, 'unknown option');
    }
  }
  if (!args.url || !args.mode || args.count === undefined) usage(program, '--url, --mode and --count are required');
  if (!['rtt', 'pipeline', 'bulk', 'conns'].includes(args.mode)) usage(program, '--mode must be rtt, pipeline, bulk or conns');
  if (!/^wss?:\/\//.test(args.url)) usage(program, '--url must start with ws:// or wss://');
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

/** Printable ASCII, as bench_payload() makes it. */
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

function report(client, args, count, seconds, samplesNs, rssPerConnKb) {
  const sorted = Float64Array.from(samplesNs).sort();
  const round = (x, digits) => Number(x.toFixed(digits));
  const line = {
    client,
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

function fail(client, what) {
  process.stderr.write(`${client}: ${what}\n`);
  process.exit(1);
}

/** rtt, pipeline, bulk on one connection: bench_flow of bench_common.c. */
class Flow {
  constructor(client, args) {
    this.client = client;
    this.args = args;
    this.warmup = Math.min(Math.floor(args.count / 10), 1000);
    this.total = this.warmup + args.count;
    this.sendNs = new Float64Array(args.window);
    this.rttNs = new Float64Array(args.count);
    this.sent = 0;
    this.received = 0;
    this.startNs = 0;
    this.endNs = 0;
  }

  /** The connection is open. */
  start() {
    if (this.warmup === 0) this.startNs = nowNs();
  }

  maySend() {
    if (this.sent >= this.total || this.sent - this.received >= this.args.window) return false;
    // The measured part starts with nothing in flight.
    return this.sent !== this.warmup || this.received === this.warmup;
  }

  /** Called right before each send. */
  sending() {
    this.sendNs[this.sent % this.args.window] = nowNs();
    ++this.sent;
  }

  /** One echo of `size` bytes (characters for text: the payload is ASCII) came back. */
  echoed(size) {
    const now = nowNs();
    const index = this.received++;
    if (size !== this.args.size) fail(this.client, 'an echo of the wrong size came back');
    if (index >= this.warmup) this.rttNs[index - this.warmup] = now - this.sendNs[index % this.args.window];
    if (this.received === this.warmup) this.startNs = now;
    if (this.received === this.total) this.endNs = now;
  }

  done() {
    return this.received >= this.total;
  }

  report() {
    report(this.client, this.args, this.args.count, (this.endNs - this.startNs) / 1e9, this.rttNs, null);
  }
}

/** conns: many connections at once, one echo each, then held (bench_conns of bench_common.c). */
class Conns {
  constructor(client, args) {
    this.client = client;
    this.args = args;
    this.rssBeforeKb = statusKb('VmRSS');
    this.openNs = new Float64Array(args.conns);
    this.echoedCount = 0;
    this.startNs = 0;
    this.endNs = 0;
  }

  start() {
    this.startNs = nowNs();
  }

  /** Connection `index`, started at `startedNs`, got its echo; true for the last one. */
  echoed(index, startedNs) {
    const now = nowNs();
    this.openNs[index] = now - startedNs;
    if (++this.echoedCount < this.args.conns) return false;
    this.endNs = now;
    return true;
  }

  /** Holds every connection idle for HOLD_MS, prints the line, then calls then(). */
  holdAndReport(then) {
    setTimeout(() => {
      const perConn = Math.max(0, (statusKb('VmRSS') - this.rssBeforeKb) / this.args.conns);
      report(this.client, this.args, this.args.conns, (this.endNs - this.startNs) / 1e9, this.openNs, perConn);
      then();
    }, HOLD_MS);
  }
}

module.exports = { parseArgs, nowNs, payload, fail, Flow, Conns };
