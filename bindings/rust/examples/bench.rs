//! The benchmark client of issue 8 through this crate ("tether-rust" in bench/run.py).
//!
//! ```text
//! bench --url ws://127.0.0.1:PORT --mode rtt|pipeline|bulk|conns --count N --size BYTES
//!       [--window W] [--conns C]
//! ```
//!
//! Prints one JSON line. The rules (warm-up, window, clock start, size checks, nearest-rank
//! percentiles, memory from /proc) are those of bench/clients/bench_common.c, written again in
//! Rust so that the numbers compare with the C ABI client's. Like that client it uses callback
//! mode on the default runtime, and the handler sends the next message itself.
//!
//! Build: `cargo build --release --example bench` (bench/run.py does it).
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::exit;
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError, Weak, mpsc};
use std::time::{Duration, Instant};

use tether::{Client, Event, MessageType, Options};

const CLIENT_NAME: &str = "tether-rust";
/// How long the conns mode holds idle connections before it reads memory (BENCH_HOLD_MS).
const HOLD: Duration = Duration::from_millis(200);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Rtt,
    Pipeline,
    Bulk,
    Conns,
}

struct Args {
    url: String,
    mode: Mode,
    mode_name: String,
    count: u64,
    size: usize,
    window: u64,
    conns: usize,
    tls: bool,
}

fn usage(problem: &str) -> ! {
    eprintln!(
        "{CLIENT_NAME}: {problem}\nusage: {CLIENT_NAME} --url ws://127.0.0.1:PORT --mode \
         rtt|pipeline|bulk|conns --count N --size BYTES [--window W] [--conns C]"
    );
    exit(2);
}

fn fail(what: &str, detail: &dyn std::fmt::Display) -> ! {
    eprintln!("{CLIENT_NAME}: {what}: {detail}");
    exit(1);
}

fn parse_number(flag: &str, text: &str, min: u64) -> u64 {
    match text.parse::<u64>() {
        Ok(value) if value >= min => value,
        _ => usage(&format!("{flag} needs a whole number >= {min}")),
    }
}

fn parse_args() -> Args {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let (mut url, mut mode_name, mut count) = (None, None, None);
    let (mut size, mut window, mut conns) = (0usize, 0u64, 1000usize);
    for pair in argv.chunks(2) {
        let [flag, value] = pair else { usage("every option takes a value") };
        match flag.as_str() {
            "--url" => url = Some(value.clone()),
            "--mode" => mode_name = Some(value.clone()),
            "--count" => count = Some(parse_number(flag, value, 1)),
            "--size" => size = usize::try_from(parse_number(flag, value, 0)).unwrap_or(usize::MAX),
            "--window" => window = parse_number(flag, value, 1),
            "--conns" => conns = usize::try_from(parse_number(flag, value, 1)).unwrap_or(usize::MAX),
            _ => usage("unknown option"),
        }
    }
    let (Some(url), Some(mode_name), Some(count)) = (url, mode_name, count) else {
        usage("--url, --mode and --count are required")
    };
    let mode = match mode_name.as_str() {
        "rtt" => Mode::Rtt,
        "pipeline" => Mode::Pipeline,
        "bulk" => Mode::Bulk,
        "conns" => Mode::Conns,
        _ => usage("--mode must be rtt, pipeline, bulk or conns"),
    };
    let tls = if url.starts_with("wss://") {
        true
    } else if url.starts_with("ws://") {
        false
    } else {
        usage("--url must start with ws:// or wss://")
    };
    let window = match mode {
        Mode::Rtt => 1,
        _ if window > 0 => window,
        Mode::Bulk => 4,
        _ => 64,
    };
    raise_open_file_limit();
    Args { url, mode, mode_name, count, size, window, conns, tls }
}

/// The conns mode holds thousands of sockets: raise the soft limit on open files to the hard
/// one, as bench_common.c does. std has no call for it, so this declares the two from libc.
fn raise_open_file_limit() {
    #[repr(C)]
    struct Rlimit {
        current: u64,
        max: u64,
    }
    const RLIMIT_NOFILE: i32 = 7; // Linux
    unsafe extern "C" {
        fn getrlimit(resource: i32, limit: *mut Rlimit) -> i32;
        fn setrlimit(resource: i32, limit: *const Rlimit) -> i32;
    }
    let mut limit = Rlimit { current: 0, max: 0 };
    // SAFETY: a valid pointer to a struct laid out as Linux's `struct rlimit` (two rlim_t).
    if unsafe { getrlimit(RLIMIT_NOFILE, &mut limit) } == 0 && limit.current < limit.max {
        limit.current = limit.max;
        // SAFETY: as above; a failure only leaves the limit as it was.
        unsafe { setrlimit(RLIMIT_NOFILE, &limit) };
    }
}

/// Printable ASCII, so that it may go as text or binary.
fn payload(size: usize) -> Vec<u8> {
    (0..size).map(|i| b'a' + (i % 26) as u8).collect()
}

/// Options of every mode: no reconnects (a failure must show), no JSON check on send, no
/// certificate check (the server's is self-signed; every client skips it).
fn options(args: &Args) -> Options {
    let max_size = (args.size as u64 + 1024).max(16 * 1024 * 1024);
    let mut options = Options::new();
    let set = |options: &mut Options| -> tether::Result<()> {
        options.set("url", &args.url)?;
        options.set("messageFormat", "text")?;
        options.set("autoReconnect", "false")?;
        options.set("maxMessageSize", &max_size.to_string())?;
        if args.tls {
            options.set("insecureSkipTlsVerify", "true")?;
        }
        Ok(())
    };
    if let Err(err) = set(&mut options) {
        fail("setting up a client", &err);
    }
    options
}

fn status_kb(field: &str) -> i64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else { return -1 };
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(-1)
}

/// Nearest-rank percentile in microseconds of sorted nanosecond samples.
fn percentile_us(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0 * sorted.len() as f64 + 0.999999) as usize).clamp(1, sorted.len());
    sorted[rank - 1] as f64 / 1000.0
}

fn json_line(args: &Args, count: u64, seconds: f64, samples: &mut [u64], per_conn_kb: Option<f64>) -> String {
    samples.sort_unstable();
    let per_second = |amount: f64| if seconds > 0.0 { amount / seconds } else { 0.0 };
    let mut line = String::new();
    let _ = write!(
        line,
        "{{\"client\":\"{CLIENT_NAME}\",\"mode\":\"{}\",\"count\":{count},\"size\":{},\"seconds\":{seconds:.6},\
         \"msgs_per_s\":{:.1},\"mb_per_s\":{:.3},\"p50_us\":{:.1},\"p99_us\":{:.1},\"rss_kb\":{},\
         \"rss_per_conn_kb\":",
        args.mode_name,
        args.size,
        per_second(count as f64),
        per_second(count as f64 * args.size as f64) / 1e6,
        percentile_us(samples, 50.0),
        percentile_us(samples, 99.0),
        status_kb("VmHWM"),
    );
    match per_conn_kb {
        Some(kb) => write!(line, "{kb:.2}}}"),
        None => write!(line, "null}}"),
    }
    .expect("writing to a String");
    line
}

// ---- rtt, pipeline, bulk: one connection (bench_flow of bench_common.c) -------------------------

struct Flow {
    warmup: u64,
    total: u64,
    sent: u64,
    received: u64,
    window: u64,
    size: usize,
    send_at: Vec<Instant>, // ring of `window` send times
    rtt_ns: Vec<u64>,      // one per measured message
    start: Option<Instant>,
    end: Option<Instant>,
    failed: bool, // an echo of the wrong size came back
}

impl Flow {
    fn new(args: &Args) -> Flow {
        let warmup = (args.count / 10).min(1000);
        Flow {
            warmup,
            total: warmup + args.count,
            sent: 0,
            received: 0,
            window: args.window,
            size: args.size,
            send_at: vec![Instant::now(); args.window as usize],
            rtt_ns: vec![0; args.count as usize],
            start: None,
            end: None,
            failed: false,
        }
    }

    fn start(&mut self) {
        if self.warmup == 0 {
            self.start = Some(Instant::now());
        }
    }

    fn may_send(&self) -> bool {
        if self.sent >= self.total || self.sent - self.received >= self.window {
            return false;
        }
        // The measured part starts with nothing in flight.
        self.sent != self.warmup || self.received == self.warmup
    }

    /// Call before the send: a send may write to the socket before it returns.
    fn sending(&mut self) {
        self.send_at[(self.sent % self.window) as usize] = Instant::now();
        self.sent += 1;
    }

    fn received(&mut self, size: usize) {
        let now = Instant::now();
        let index = self.received;
        self.received += 1;
        if size != self.size {
            self.failed = true;
        }
        if index >= self.warmup {
            let sent_at = self.send_at[(index % self.window) as usize];
            self.rtt_ns[(index - self.warmup) as usize] = now.duration_since(sent_at).as_nanos() as u64;
        }
        if self.received == self.warmup {
            self.start = Some(now);
        }
        if self.received == self.total {
            self.end = Some(now);
        }
    }

    fn done(&self) -> bool {
        self.received >= self.total
    }
}

/// What the handler tells the main thread.
enum Outcome {
    /// The last echo is back (or one had the wrong size): the flow, to report.
    Finished(Box<Flow>),
    /// The connection closed.
    Closed,
}

fn run_flow(args: &Args) -> i32 {
    let kind = if args.mode == Mode::Bulk { MessageType::BINARY } else { MessageType::TEXT };
    let data = payload(args.size);
    let mut flow = Flow::new(args);
    let (outcomes, outcome) = mpsc::channel();
    // The handler sends through the client that owns it: a weak reference, set before connect,
    // so that the two do not keep each other alive.
    let slot: Arc<OnceLock<Weak<Client>>> = Arc::new(OnceLock::new());
    let handler_slot = Arc::clone(&slot);
    let send_while_allowed = move |flow: &mut Flow, client: &Client| {
        while flow.may_send() {
            flow.sending();
            if let Err(err) = client.send_message(kind, &data, 0) {
                fail("send", &err);
            }
        }
    };
    let handler = move |event: Event| {
        let Some(client) = handler_slot.get().and_then(Weak::upgrade) else { return };
        match event {
            Event::Open { .. } => {
                flow.start();
                send_while_allowed(&mut flow, &client);
            }
            Event::Message(message) if !flow.done() => {
                flow.received(message.data.len());
                if flow.done() {
                    let finished = std::mem::replace(&mut flow, Flow::new_empty());
                    let _ = outcomes.send(Outcome::Finished(Box::new(finished)));
                } else {
                    send_while_allowed(&mut flow, &client);
                }
            }
            Event::Error(error) => eprintln!("{CLIENT_NAME}: {error}"),
            Event::Close { .. } => {
                let _ = outcomes.send(Outcome::Closed);
            }
            _ => {}
        }
    };
    let client = match Client::builder(&options(args)).on_event(handler).build() {
        Ok(client) => Arc::new(client),
        Err(err) => fail("setting up a client", &err),
    };
    let _ = slot.set(Arc::downgrade(&client));
    if let Err(err) = client.connect() {
        fail("connect", &err);
    }

    let (status, mut closed) = match outcome.recv() {
        Ok(Outcome::Finished(flow)) => (report_flow(args, *flow), false),
        _ => {
            eprintln!("{CLIENT_NAME}: the connection closed before the run ended");
            (1, true)
        }
    };
    let _ = client.close(1000, "");
    // Wait for the close, as tether-c does, so that the server sees a clean closing handshake.
    while !closed {
        closed = !matches!(outcome.recv(), Ok(Outcome::Finished(_)));
    }
    status
}

impl Flow {
    /// What is left in the handler once the finished flow was handed over.
    fn new_empty() -> Flow {
        Flow {
            warmup: 0,
            total: 0,
            sent: 0,
            received: 0,
            window: 1,
            size: 0,
            send_at: Vec::new(),
            rtt_ns: Vec::new(),
            start: None,
            end: None,
            failed: false,
        }
    }
}

fn report_flow(args: &Args, mut flow: Flow) -> i32 {
    let count = flow.total - flow.warmup;
    let seconds = match (flow.start, flow.end) {
        (Some(start), Some(end)) => end.duration_since(start).as_secs_f64(),
        _ => 0.0,
    };
    let line = json_line(args, count, seconds, &mut flow.rtt_ns, None);
    if flow.failed || !flow.done() {
        let why = if flow.failed { "an echo of the wrong size came back" } else { "the run did not finish" };
        eprintln!("{CLIENT_NAME}: {why}\n{line}");
        return 1;
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
    0
}

// ---- conns: many connections, one echo each, then held (bench_conns of bench_common.c) ----------

#[derive(Default)]
struct Conns {
    echoed: usize,
    closed: usize,
    failed: bool,
    end: Option<Instant>,
    open_ns: Vec<u64>, // per connection: start to echo
}

/// State shared by every connection's handler; `changed` wakes the main thread.
#[derive(Default)]
struct SharedConns {
    state: Mutex<Conns>,
    changed: Condvar,
}

impl SharedConns {
    fn update(&self, f: impl FnOnce(&mut Conns)) {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner));
        self.changed.notify_all();
    }

    fn wait_until(&self, done: impl Fn(&Conns) -> bool) -> std::sync::MutexGuard<'_, Conns> {
        let guard = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        self.changed.wait_while(guard, |c| !done(c)).unwrap_or_else(PoisonError::into_inner)
    }
}

fn run_conns(args: &Args) -> i32 {
    let data = payload(args.size);
    let shared = Arc::new(SharedConns::default());
    shared.update(|c| c.open_ns = vec![0; args.conns]);
    let options = options(args);
    let rss_before_kb = status_kb("VmRSS");
    let start = Instant::now();
    let mut clients = Vec::with_capacity(args.conns);
    for index in 0..args.conns {
        let started = Instant::now();
        let shared = Arc::clone(&shared);
        let mut echoed = false;
        let handler = move |event: Event| match event {
            Event::Message(_) if !echoed => {
                echoed = true;
                let now = Instant::now();
                shared.update(|c| {
                    c.open_ns[index] = now.duration_since(started).as_nanos() as u64;
                    c.echoed += 1;
                    if c.echoed == c.open_ns.len() {
                        c.end = Some(now);
                    }
                });
            }
            Event::Error(error) => eprintln!("{CLIENT_NAME}: connection {index}: {error}"),
            Event::Close { .. } => shared.update(|c| {
                c.failed |= !echoed;
                c.closed += 1;
            }),
            _ => {}
        };
        let client = Client::builder(&options)
            .on_event(handler)
            .build()
            .unwrap_or_else(|err| fail("setting up a client", &err));
        // Queued until the connection is ready, then sent: one echo per connection.
        if let Err(err) = client.connect().and_then(|()| client.send_message(MessageType::TEXT, &data, 0)) {
            fail("connect", &err);
        }
        clients.push(client);
    }

    let status = {
        let conns = shared.wait_until(|c| c.echoed == args.conns || c.failed);
        if conns.failed {
            eprintln!("{CLIENT_NAME}: a connection closed before its echo");
            1
        } else {
            let seconds = conns.end.map_or(0.0, |end| end.duration_since(start).as_secs_f64());
            let mut samples = conns.open_ns.clone();
            drop(conns);
            std::thread::sleep(HOLD);
            let per_conn = (status_kb("VmRSS") - rss_before_kb) as f64 / args.conns as f64;
            println!(
                "{}",
                json_line(args, args.conns as u64, seconds, &mut samples, Some(per_conn.max(0.0)))
            );
            0
        }
    };
    for client in &clients {
        let _ = client.close(1000, "");
    }
    drop(shared.wait_until(|c| c.closed == args.conns));
    drop(clients);
    status
}

fn main() {
    let args = parse_args();
    exit(if args.mode == Mode::Conns { run_conns(&args) } else { run_flow(&args) });
}
