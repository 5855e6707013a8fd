//! Test support: the tether-test-server child process and event helpers.
#![allow(dead_code)]

use std::future::Future;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::pin::pin;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

use tether::{Client, Event, Options, State};

/// One tether-test-server process, alive as long as this value (its stdin is our pipe: closing
/// it stops the server).
pub struct TestServer {
    child: Child,
    pub ws: u16,
    pub wss: u16,
    pub ca_file: String,
}

impl TestServer {
    pub fn start() -> TestServer {
        let binary = std::env::var_os("TETHER_TEST_SERVER").unwrap_or_else(|| {
            panic!(
                "TETHER_TEST_SERVER is not set: point it at the tether-test-server binary, e.g. \
                 TETHER_TEST_SERVER=/usr/local/bin/tether-test-server cargo test"
            )
        });
        let mut child = Command::new(&binary)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start TETHER_TEST_SERVER={binary:?}: {e}"));
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("reading the server's port line");
        let port = |key: &str| -> u16 {
            json_field(&line, key)
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("no port \"{key}\" in the server's line: {line}"))
        };
        let (ws, wss) = (port("ws"), port("wss"));
        let ca_file = json_field(&line, "ca_file").unwrap_or_default();
        TestServer { child, ws, wss, ca_file }
    }

    pub fn ws_url(&self, path: &str) -> String {
        format!("ws://127.0.0.1:{}{}", self.ws, path)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        drop(self.child.stdin.take()); // EOF on stdin: the server exits
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One protocol peer of tests/peers (`node tests/peers/<script>`), alive as long as this value:
/// closing its stdin stops it. Its log (stderr) is printed when the test fails.
pub struct Peer {
    child: Child,
    pub port: u16,
    log: Arc<Mutex<String>>,
}

impl Peer {
    /// Starts `script` (e.g. `"socketio.js"`) from `$TETHER_PEERS_DIR` (test.sh sets it; the
    /// default is the repository's tests/peers) with `$TETHER_NODE` or `node`, and waits for
    /// its `{"port":N}` line.
    pub fn node(script: &str) -> Peer {
        let dir = std::env::var_os("TETHER_PEERS_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/peers"));
        let path = dir.join(script);
        assert!(path.is_file(), "no peer {} (set TETHER_PEERS_DIR to tether's tests/peers)", path.display());
        let node = std::env::var_os("TETHER_NODE").unwrap_or_else(|| "node".into());
        let mut child = Command::new(&node)
            .arg(&path)
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {node:?} {}: {e} (set TETHER_NODE)", path.display()));
        let log = Arc::new(Mutex::new(String::new()));
        let mut stderr = child.stderr.take().expect("piped stderr");
        let sink = Arc::clone(&log);
        thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n @ 1..) = stderr.read(&mut buffer) {
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        // The first stdout line is the port; the rest is read and dropped so the peer never
        // writes into a closed pipe.
        let (first_line, port_line) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped stdout");
        thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = first_line.send(lines.next().and_then(|line| line.ok()));
            lines.for_each(drop);
        });
        let line = port_line.recv_timeout(Duration::from_secs(30)).ok().flatten().unwrap_or_else(|| {
            let _ = child.kill();
            panic!("peer {script} printed no port line; its log:\n{}", log.lock().unwrap())
        });
        let port = json_field(&line, "port")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no \"port\" in the line of peer {script}: {line}"));
        Peer { child, port, log }
    }

    pub fn ws_url(&self, path: &str) -> String {
        format!("ws://127.0.0.1:{}{}", self.port, path)
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        drop(self.child.stdin.take()); // EOF on stdin: the peer exits
        let deadline = Instant::now() + Duration::from_secs(5);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if thread::panicking() {
            eprintln!("---- peer log ----\n{}", self.log.lock().unwrap());
        }
    }
}

/// The value of `"key":` in a flat JSON line: a number's digits or a string's content.
pub fn json_field(line: &str, key: &str) -> Option<String> {
    let pattern = format!("\"{key}\":");
    let rest = line[line.find(&pattern)? + pattern.len()..].trim_start();
    if let Some(string) = rest.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = string.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return Some(out),
                '\\' => out.push(chars.next()?),
                c => out.push(c),
            }
        }
        None
    } else {
        let end = rest.find(|c: char| !(c.is_ascii_digit() || c == '-')).unwrap_or(rest.len());
        Some(rest[..end].to_owned())
    }
}

/// Options from key/value pairs.
pub fn options(pairs: &[(&str, &str)]) -> Options {
    let mut options = Options::new();
    for (key, value) in pairs {
        options.set(key, value).unwrap_or_else(|e| panic!("option {key}={value}: {e}"));
    }
    options
}

/// Polls until `done` accepts an event; returns every event seen, that one last.
pub fn poll_until(client: &Client, timeout: Duration, mut done: impl FnMut(&Event) -> bool) -> Vec<Event> {
    let deadline = Instant::now() + timeout;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match client.recv_timeout(left).expect("recv_timeout") {
            Some(event) => {
                let finished = done(&event);
                seen.push(event);
                if finished {
                    return seen;
                }
            }
            None => panic!("timed out after {timeout:?}; events seen: {seen:#?}"),
        }
    }
}

pub fn is_open(event: &Event) -> bool {
    matches!(event, Event::Open { .. })
}

pub fn states(events: &[Event]) -> Vec<State> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::State { state, .. } => Some(*state),
            _ => None,
        })
        .collect()
}

pub fn texts(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Message(m) => Some(String::from_utf8_lossy(&m.data).into_owned()),
            _ => None,
        })
        .collect()
}

/// Collects the events of a callback-mode client and lets a test wait on them.
#[derive(Clone, Default)]
pub struct Recorder {
    inner: Arc<(Mutex<Vec<Event>>, Condvar)>,
}

impl Recorder {
    /// A handler for `ClientBuilder::on_event` that records into this recorder.
    pub fn handler(&self) -> impl FnMut(Event) + Send + 'static {
        let recorder = self.clone();
        move |event| recorder.push(event)
    }

    pub fn push(&self, event: Event) {
        let (events, changed) = &*self.inner;
        events.lock().unwrap().push(event);
        changed.notify_all();
    }

    pub fn snapshot(&self) -> Vec<Event> {
        self.inner.0.lock().unwrap().clone()
    }

    /// Waits until `done` holds for the recorded events; panics with them on timeout.
    pub fn wait_until(&self, timeout: Duration, mut done: impl FnMut(&[Event]) -> bool) -> Vec<Event> {
        let (events, changed) = &*self.inner;
        let deadline = Instant::now() + timeout;
        let mut guard = events.lock().unwrap();
        while !done(&guard) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                panic!("timed out after {timeout:?}; events seen: {:#?}", *guard);
            }
            guard = changed.wait_timeout(guard, left).unwrap().0;
        }
        guard.clone()
    }

    pub fn count(&self, pred: impl Fn(&Event) -> bool) -> usize {
        self.inner.0.lock().unwrap().iter().filter(|e| pred(e)).count()
    }
}

/// Polls `check` every few milliseconds until it holds or `timeout` passes.
pub fn eventually(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    check()
}

/// Wakes the thread that runs `block_on`, and counts the wakes.
struct ThreadWaker {
    thread: thread::Thread,
    wakes: AtomicUsize,
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
        self.thread.unpark();
    }
}

/// A minimal executor: polls on this thread, parks until woken. Returns the output and the
/// number of wakes. A wake missing for `timeout` fails the test instead of hanging it.
pub fn block_on<F: Future>(timeout: Duration, future: F) -> (F::Output, usize) {
    let state = Arc::new(ThreadWaker { thread: thread::current(), wakes: AtomicUsize::new(0) });
    let waker = Waker::from(Arc::clone(&state));
    let mut context = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        let wakes_before = state.wakes.load(Ordering::SeqCst);
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return (output, state.wakes.load(Ordering::SeqCst));
        }
        let deadline = Instant::now() + timeout;
        while state.wakes.load(Ordering::SeqCst) == wakes_before {
            assert!(Instant::now() < deadline, "the future was never woken");
            thread::park_timeout(Duration::from_millis(100));
        }
    }
}
