//! The safe layer end to end against tether-test-server on loopback.

mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::thread;
use std::time::{Duration, Instant};

use common::{Recorder, TestServer, eventually, is_open, options, poll_until, states, texts};
use tether::{Client, Event, MessageType, Runtime, State, Status};

const WAIT: Duration = Duration::from_secs(10);

fn is_state(wanted: State) -> impl Fn(&Event) -> bool {
    move |event| matches!(event, Event::State { state, .. } if *state == wanted)
}

#[test]
fn echo_text_binary_and_json_in_poll_mode() {
    let server = TestServer::start();
    let client =
        Client::new(&options(&[("url", &server.ws_url("/echo")), ("messageFormat", "json")])).unwrap();
    client.connect().unwrap();
    let events = poll_until(&client, WAIT, is_open);
    assert_eq!(states(&events), [State::CONNECTING, State::CONNECTED, State::AUTHENTICATED]);
    assert_eq!(client.state(), State::AUTHENTICATED);

    client.send(r#"{"type":"chat","message":"Hello!"}"#).unwrap();
    client.send_text("nul\0inside").unwrap();
    client.send_binary(&[0x00, 0xff, 0x01]).unwrap();
    let mut messages = Vec::new();
    poll_until(&client, WAIT, |event| {
        if let Event::Message(message) = event {
            messages.push(message.clone());
        }
        messages.len() == 3
    });
    assert_eq!(messages[0].text(), Some(r#"{"type":"chat","message":"Hello!"}"#));
    assert_eq!(messages[0].kind, MessageType::TEXT);
    assert_eq!(messages[1].data, b"nul\0inside");
    assert_eq!(messages[2].data, [0x00, 0xff, 0x01]);
    assert_eq!(messages[2].kind, MessageType::BINARY);
    assert_eq!(messages[2].text(), None);

    client.close(1000, "User logged out").unwrap();
    let events = poll_until(&client, WAIT, is_state(State::DISCONNECTED));
    let close = events.iter().find(|e| matches!(e, Event::Close { .. })).expect("a CLOSE event");
    assert_eq!(
        close,
        &Event::Close { code: 1000, reason: "User logged out".into(), was_clean: true, status: Status::OK }
    );
    assert!(!events.iter().any(|e| matches!(e, Event::Reconnect { .. })));
}

#[test]
fn callback_mode_delivers_every_event_in_order() {
    let server = TestServer::start();
    let recorder = Recorder::default();
    let opts = options(&[("url", &server.ws_url("/echo")), ("messageFormat", "text"), ("pingInterval", "0")]);
    let client = Client::builder(&opts).on_event(recorder.handler()).build().unwrap();
    for i in 0..5 {
        client.send(format!("cb-{i}")).unwrap(); // queued before connect, flushed in order
    }
    client.connect().unwrap();
    let events = recorder.wait_until(WAIT, |evs| texts(evs).len() == 5);
    assert_eq!(texts(&events), ["cb-0", "cb-1", "cb-2", "cb-3", "cb-4"]);
    assert_eq!(states(&events), [State::CONNECTING, State::CONNECTED, State::AUTHENTICATED]);
    assert!(!events.contains(&Event::Ready), "READY is for poll mode only");
    // A callback-mode client has no queue to poll.
    assert_eq!(client.try_recv().unwrap_err().status, Status::BAD_STATE);
}

#[test]
fn iterator_over_the_poll_queue() {
    let server = TestServer::start();
    let client =
        Client::new(&options(&[("url", &server.ws_url("/echo")), ("messageFormat", "text")])).unwrap();
    client.connect().unwrap();
    client.send("via iterator").unwrap();
    let message = client
        .events()
        .find_map(|event| match event {
            Event::Message(message) => Some(message),
            _ => None,
        })
        .unwrap();
    assert_eq!(message.text(), Some("via iterator"));
}

#[test]
fn auth_query_param_right_and_wrong_token() {
    let server = TestServer::start();
    let client = Client::new(&options(&[
        ("url", &server.ws_url("/auth/query?param=access_token&expect=s3cr3t-tok")),
        ("authMethod", "query-param"),
        ("tokenParamName", "access_token"),
        ("authToken", "s3cr3t-tok"),
    ]))
    .unwrap();
    client.connect().unwrap();
    poll_until(&client, WAIT, is_open);
    let stats = client.stats().unwrap();
    assert!(stats.url.contains("access_token=***"), "{}", stats.url);
    // The test's own URL names the expected value; the parameter tether adds reads redacted.
    assert!(!client.stats_json().unwrap().contains("access_token=s3cr3t"));

    let wrong = Client::new(&options(&[
        ("url", &server.ws_url("/auth/query?param=token&expect=right")),
        ("authMethod", "query-param"),
        ("authToken", "wrong-secret-value"),
    ]))
    .unwrap();
    wrong.connect().unwrap();
    let events = poll_until(&wrong, WAIT, is_state(State::ERROR));
    let Some(Event::Error(error)) = events.iter().find(|e| matches!(e, Event::Error(_))) else {
        panic!("no ERROR event: {events:#?}");
    };
    assert_eq!(error.status, Status::AUTH);
    assert!(error.message.contains("401"), "{error}");
    assert!(!events.iter().any(|e| matches!(e, Event::Reconnect { .. })));
    assert!(!format!("{events:?}").contains("wrong-secret-value"));
}

#[test]
fn auth_first_message_confirmed_by_reply_type() {
    let server = TestServer::start();
    let mut opts = tether::Options::new();
    opts.url(&server.ws_url("/auth/first-message?expect=tk-9x&type=authenticate&reply=auth_ok"))
        .unwrap()
        .auth_method(tether::AuthMethod::FirstMessage)
        .unwrap()
        .auth_token("tk-9x")
        .unwrap()
        .auth_success_type("auth_ok")
        .unwrap()
        .message_format(tether::MessageFormat::Text)
        .unwrap();
    let client = Client::new(&opts).unwrap();
    client.send("queued before auth").unwrap();
    client.connect().unwrap();
    let events = poll_until(&client, WAIT, |e| matches!(e, Event::Message(_)));
    assert_eq!(
        states(&events),
        [State::CONNECTING, State::CONNECTED, State::AUTHENTICATING, State::AUTHENTICATED]
    );
    assert_eq!(texts(&events), ["queued before auth"]);
}

#[test]
fn auth_subprotocol_offers_the_token() {
    let server = TestServer::start();
    let mut opts = tether::Options::new();
    opts.url(&server.ws_url("/auth/subprotocol?expect=tok-123"))
        .unwrap()
        .auth_method(tether::AuthMethod::Subprotocol)
        .unwrap()
        .auth_token("tok-123")
        .unwrap()
        .subprotocols(["chat.v1"])
        .unwrap();
    let client = Client::new(&opts).unwrap();
    client.connect().unwrap();
    let events = poll_until(&client, WAIT, is_open);
    assert_eq!(events.last(), Some(&Event::Open { subprotocol: "chat.v1".into() }));
}

#[test]
fn reconnect_after_a_drop_flushes_queued_messages_in_order() {
    let server = TestServer::start();
    let client = Client::new(&options(&[
        ("url", &server.ws_url("/flaky?key=rust-order&fail_first=1&after_messages=0&mode=drop")),
        ("messageFormat", "text"),
        ("reconnectDelay", "200"),
    ]))
    .unwrap();
    client.connect().unwrap();
    let mut events = poll_until(&client, WAIT, |e| matches!(e, Event::Reconnect { .. }));
    for i in 0..100u64 {
        client.send_message(MessageType::DEFAULT, format!("m{i}").as_bytes(), 1000 + i).unwrap();
    }
    let mut echoed = 0;
    events.extend(poll_until(&client, WAIT, |e| {
        if matches!(e, Event::Message(m) if m.data.starts_with(b"m")) {
            echoed += 1;
        }
        echoed == 100
    }));
    let echoed: Vec<String> = texts(&events).into_iter().filter(|t| t.starts_with('m')).collect();
    let expected: Vec<String> = (0..100).map(|i| format!("m{i}")).collect();
    assert_eq!(echoed, expected);
    // SENT events arrive before the echoes; they may trail the last echo by a little.
    let mut sent: Vec<u64> =
        events.iter().filter_map(|e| if let Event::Sent { id } = e { Some(*id) } else { None }).collect();
    while sent.len() < 100 {
        if let Some(Event::Sent { id }) = client.recv_timeout(WAIT).unwrap() {
            sent.push(id);
        }
    }
    assert_eq!(sent, (1000..1100).collect::<Vec<u64>>());
    assert_eq!(client.stats().unwrap().reconnects, 1);
    assert_eq!(states(&events).iter().filter(|s| **s == State::RECONNECTING).count(), 1);
}

#[test]
fn token_refresh_at_the_reconnect_event() {
    let server = TestServer::start();
    let client = Client::new(&options(&[
        ("url", &server.ws_url("/flaky?key=rust-refresh&fail_first=1")),
        ("authMethod", "query-param"),
        ("authToken", "first-token"),
        ("messageFormat", "text"),
        ("reconnectDelay", "50"),
    ]))
    .unwrap();
    client.connect().unwrap();
    let mut greetings = Vec::new();
    poll_until(&client, WAIT, |event| {
        match event {
            Event::Reconnect { .. } => client.set_token("second-token").unwrap(),
            Event::Message(m) => greetings.push(m.text().unwrap().to_owned()),
            _ => {}
        }
        greetings.len() == 2
    });
    assert_eq!(
        greetings,
        [r#"{"connection":1,"token":"first-token"}"#, r#"{"connection":2,"token":"second-token"}"#]
    );
}

#[test]
fn keep_alive_detects_a_silent_peer() {
    let server = TestServer::start();
    let client = Client::new(&options(&[
        ("url", &server.ws_url("/silent")),
        ("pingInterval", "100"),
        ("pongTimeout", "200"),
        ("maxReconnectAttempts", "1"),
    ]))
    .unwrap();
    client.connect().unwrap();
    poll_until(&client, WAIT, is_open);
    let started = Instant::now();
    let events = poll_until(&client, Duration::from_secs(3), |e| matches!(e, Event::Reconnect { .. }));
    assert!(started.elapsed() < Duration::from_secs(3));
    let error = events.iter().find_map(|e| if let Event::Error(err) = e { Some(err) } else { None });
    assert_eq!(error.expect("an ERROR event").status, Status::PONG_TIMEOUT);
}

#[test]
fn close_1011_from_the_server_reconnects() {
    let server = TestServer::start();
    let client = Client::new(&options(&[
        ("url", &server.ws_url("/close?code=1011&reason=oops")),
        ("maxReconnectAttempts", "1"),
    ]))
    .unwrap();
    client.connect().unwrap();
    let events = poll_until(&client, WAIT, |e| matches!(e, Event::Reconnect { .. }));
    let close = events.iter().find(|e| matches!(e, Event::Close { .. })).unwrap();
    assert_eq!(
        close,
        &Event::Close { code: 1011, reason: "oops".into(), was_clean: true, status: Status::OK }
    );
    assert_eq!(tether::close_code_str(1011), "Server error");
}

#[test]
fn close_1008_from_the_server_does_not_reconnect() {
    let server = TestServer::start();
    let client = Client::new(&options(&[("url", &server.ws_url("/close?code=1008"))])).unwrap();
    client.connect().unwrap();
    let events = poll_until(&client, WAIT, is_state(State::ERROR));
    assert!(events.iter().any(|e| matches!(e, Event::Close { code: 1008, .. })));
    assert!(!events.iter().any(|e| matches!(e, Event::Reconnect { .. })));
}

#[test]
fn many_threads_send_at_once_and_each_keeps_its_order() {
    let server = TestServer::start();
    let recorder = Recorder::default();
    let opts = options(&[
        ("url", &server.ws_url("/echo")),
        ("messageFormat", "text"),
        ("maxQueuedMessages", "100000"),
    ]);
    let client = Arc::new(Client::builder(&opts).on_event(recorder.handler()).build().unwrap());
    client.connect().unwrap();
    recorder.wait_until(WAIT, |evs| evs.iter().any(is_open));
    const THREADS: usize = 8;
    const EACH: usize = 300;
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let client = Arc::clone(&client);
            thread::spawn(move || {
                for i in 0..EACH {
                    loop {
                        match client.send(format!("{t}:{i}")) {
                            Ok(()) => break,
                            Err(e) if e.status == Status::QUEUE_FULL => thread::yield_now(),
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let events = recorder.wait_until(Duration::from_secs(20), |evs| texts(evs).len() == THREADS * EACH);
    let mut next = [0usize; THREADS];
    for text in texts(&events) {
        let (t, i) = text.split_once(':').unwrap();
        let (t, i): (usize, usize) = (t.parse().unwrap(), i.parse().unwrap());
        assert_eq!(i, next[t], "thread {t} out of order");
        next[t] = i + 1;
    }
}

/// Counts how often it is dropped: stands for user data captured by a handler.
struct DropCounter(Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn dropping_the_client_inside_its_own_callback() {
    let server = TestServer::start();
    let released = Arc::new(AtomicUsize::new(0));
    let calls_after_drop = Arc::new(AtomicUsize::new(0));
    let slot: Arc<Mutex<Option<Client>>> = Arc::new(Mutex::new(None));
    let opts = options(&[("url", &server.ws_url("/echo")), ("pingInterval", "0")]);
    let handler = {
        let slot = Arc::clone(&slot);
        let calls_after_drop = Arc::clone(&calls_after_drop);
        let guard = DropCounter(Arc::clone(&released));
        let mut dropped = false;
        move |event: Event| {
            let _keep = &guard;
            if dropped {
                calls_after_drop.fetch_add(1, Ordering::SeqCst);
            }
            if matches!(event, Event::Open { .. }) {
                let client = slot.lock().unwrap().take();
                drop(client); // tether_client_destroy on the I/O thread, inside the callback
                dropped = true;
            }
        }
    };
    let client = Client::builder(&opts).on_event(handler).build().unwrap();
    client.connect().unwrap();
    *slot.lock().unwrap() = Some(client);
    assert!(eventually(WAIT, || released.load(Ordering::SeqCst) == 1), "the handler was never released");
    thread::sleep(Duration::from_millis(100));
    assert_eq!(released.load(Ordering::SeqCst), 1, "released exactly once");
    assert_eq!(calls_after_drop.load(Ordering::SeqCst), 0, "no callback after destroy");
    assert!(slot.lock().unwrap().is_none());
}

#[test]
fn repeated_create_and_drop_releases_every_handler() {
    let server = TestServer::start();
    let released = Arc::new(AtomicUsize::new(0));
    let runtime = Runtime::new(2).unwrap();
    const ROUNDS: usize = 60;
    for round in 0..ROUNDS {
        let opts =
            options(&[("url", &server.ws_url("/echo")), ("messageFormat", "text"), ("pingInterval", "0")]);
        let guard = DropCounter(Arc::clone(&released));
        let client = Client::builder(&opts)
            .runtime(&runtime)
            .on_event(move |_event| {
                let _keep = &guard;
            })
            .build()
            .unwrap();
        client.connect().unwrap();
        for _ in 0..20 {
            client.send("x").unwrap();
        }
        thread::sleep(Duration::from_millis((round % 4) as u64));
        drop(client);
        // Poll-mode clients too: their events are freed with the queue.
        let polled = Client::builder(&opts).runtime(&runtime).build().unwrap();
        polled.connect().unwrap();
        polled.send("y").unwrap();
        drop(polled);
    }
    assert!(
        eventually(WAIT, || released.load(Ordering::SeqCst) == ROUNDS),
        "released {} of {ROUNDS}",
        released.load(Ordering::SeqCst)
    );
}

/// The panic message every test of a panicking handler uses; the hook keeps it off stderr.
const EXPECTED_PANIC: &str = "handler panic (expected by the test)";

fn silence_expected_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<&str>() != Some(&EXPECTED_PANIC) {
                default_hook(info);
            }
        }));
    });
}

#[test]
fn a_panicking_handler_is_contained() {
    silence_expected_panics();
    let server = TestServer::start();
    let recorder = Recorder::default();
    let opts = options(&[("url", &server.ws_url("/echo")), ("messageFormat", "text")]);
    let record = recorder.handler();
    let mut record = record;
    let client = Client::builder(&opts)
        .on_event(move |event| {
            let panics = matches!(&event, Event::Message(m) if m.data == b"boom");
            record(event);
            if panics {
                std::panic::panic_any(EXPECTED_PANIC);
            }
        })
        .build()
        .unwrap();
    client.connect().unwrap();
    client.send("boom").unwrap();
    client.send("after").unwrap();
    let events = recorder.wait_until(WAIT, |evs| texts(evs).len() == 2);
    assert_eq!(texts(&events), ["boom", "after"]);
}

#[test]
fn an_explicit_runtime_serves_clients_after_its_handle_is_dropped() {
    let server = TestServer::start();
    let runtime = Runtime::new(2).unwrap();
    let opts = options(&[("url", &server.ws_url("/echo")), ("messageFormat", "text")]);
    let clients: Vec<Client> =
        (0..10).map(|_| Client::builder(&opts).runtime(&runtime).build().unwrap()).collect();
    drop(runtime);
    for client in &clients {
        client.connect().unwrap();
        client.send("hi").unwrap();
    }
    for client in &clients {
        let events = poll_until(client, WAIT, |e| matches!(e, Event::Message(_)));
        assert_eq!(texts(&events), ["hi"]);
    }
}

#[test]
fn stats_and_buffered_count_traffic() {
    let server = TestServer::start();
    let client =
        Client::new(&options(&[("url", &server.ws_url("/echo")), ("messageFormat", "text")])).unwrap();
    client.send("12345").unwrap();
    assert_eq!(client.buffered(), tether::Buffered { messages: 1, bytes: 5 });
    client.connect().unwrap();
    poll_until(&client, WAIT, |e| matches!(e, Event::Message(_)));
    let stats = client.stats().unwrap();
    assert_eq!(stats.state, State::AUTHENTICATED);
    assert_eq!((stats.messages_sent, stats.messages_received), (1, 1));
    assert_eq!((stats.bytes_sent, stats.bytes_received), (5, 5));
    assert_eq!((stats.queued_messages, stats.queued_bytes), (0, 0));
    assert_eq!(client.buffered(), tether::Buffered::default());
}

// ---- async --------------------------------------------------------------------------------------

fn block_on<F: Future>(future: F) -> (F::Output, usize) {
    common::block_on(WAIT, future)
}

#[test]
fn async_next_event_is_woken_by_ready() {
    let server = TestServer::start();
    let client =
        Client::new(&options(&[("url", &server.ws_url("/echo")), ("messageFormat", "text")])).unwrap();
    let ((open, message), _) = block_on(async {
        client.connect().unwrap();
        let mut seen = Vec::new();
        loop {
            let event = client.next_event().await.unwrap();
            let open = matches!(event, Event::Open { .. });
            seen.push(event);
            if open {
                break;
            }
        }
        client.send("async hello").unwrap();
        let message = loop {
            if let Event::Message(m) = client.next_event().await.unwrap() {
                break m;
            }
        };
        (seen, message)
    });
    assert_eq!(states(&open), [State::CONNECTING, State::CONNECTED, State::AUTHENTICATED]);
    assert_eq!(message.text(), Some("async hello"));

    // Now deterministically: the task goes to sleep on an empty queue, and only then is the
    // message sent whose echo must wake it.
    while client.try_recv().unwrap().is_some() {}
    let (late, wakes) = block_on(async {
        let mut next = pin!(client.next_event());
        let first = std::future::poll_fn(|cx| Poll::Ready(next.as_mut().poll(cx))).await;
        assert!(first.is_pending(), "nothing should be queued yet: {first:?}");
        client.send("late").unwrap();
        next.await.unwrap()
    });
    assert!(matches!(&late, Event::Message(m) if m.data == b"late"), "{late:?}");
    assert!(wakes >= 1, "READY should have woken the waiting task");
}

#[test]
fn async_next_event_on_a_callback_client_is_an_error() {
    let server = TestServer::start();
    let opts = options(&[("url", &server.ws_url("/echo"))]);
    let client = Client::builder(&opts).on_event(|_| {}).build().unwrap();
    let (result, _) = block_on(client.next_event());
    assert_eq!(result.unwrap_err().status, Status::BAD_STATE);
}

#[test]
fn a_blocking_receive_on_an_io_thread_fails_instead_of_deadlocking() {
    let server = TestServer::start();
    let polled = Arc::new(Client::new(&options(&[("url", &server.ws_url("/echo"))])).unwrap());
    let outcome: Arc<Mutex<Option<tether::Result<Option<Event>>>>> = Arc::default();
    let opts = options(&[("url", &server.ws_url("/echo")), ("pingInterval", "0")]);
    let watcher = {
        let (polled, outcome) = (Arc::clone(&polled), Arc::clone(&outcome));
        Client::builder(&opts)
            .on_event(move |event| {
                if matches!(event, Event::Open { .. }) {
                    // This handler runs on the I/O thread: a waiting poll there would deadlock.
                    *outcome.lock().unwrap() = Some(polled.recv_timeout(Duration::from_millis(100)));
                }
            })
            .build()
            .unwrap()
    };
    watcher.connect().unwrap();
    assert!(eventually(WAIT, || outcome.lock().unwrap().is_some()));
    let err = outcome.lock().unwrap().take().unwrap().unwrap_err();
    assert_eq!(err.status, Status::WOULD_DEADLOCK);
    assert!(!err.message.is_empty());
}
