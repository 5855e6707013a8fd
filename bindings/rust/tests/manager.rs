//! The connection manager (channels, request/response) over the json protocol, against
//! tether-test-server's `/json` path: the scenarios of tests/integration/manager_test.cpp.

mod common;

use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use common::{Recorder, TestServer, is_open, options, poll_until};
use tether::{Client, Event, EventType, Options, Protocol, Status, Subscription};

const WAIT: Duration = Duration::from_secs(10);

fn json_options(url: &str) -> Options {
    let mut opts = Options::new();
    opts.url(url).unwrap().protocol(Protocol::Json).unwrap();
    opts
}

fn recorded(url: &str) -> (Client, Recorder) {
    let recorder = Recorder::default();
    let client = Client::builder(&json_options(url)).on_event(recorder.handler()).build().unwrap();
    (client, recorder)
}

fn channel_messages(events: &[Event]) -> Vec<(Subscription, String, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ChannelMessage { subscription, channel, data, .. } => {
                Some((*subscription, channel.clone(), data.clone()))
            }
            _ => None,
        })
        .collect()
}

fn subscribed(events: &[Event]) -> Vec<(Subscription, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Subscribed { subscription, channel } => Some((*subscription, channel.clone())),
            _ => None,
        })
        .collect()
}

fn responses(events: &[Event]) -> Vec<(u64, Result<String, tether::Error>)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Response { id, result, .. } => Some((*id, result.clone())),
            _ => None,
        })
        .collect()
}

fn count(events: &[Event], wanted: EventType) -> usize {
    events.iter().filter(|e| e.event_type() == wanted).count()
}

#[test]
fn subscribe_publish_between_two_clients_then_unsubscribe() {
    let server = TestServer::start();
    let (alice, alice_events) = recorded(&server.ws_url("/json"));
    let (bob, bob_events) = recorded(&server.ws_url("/json"));
    let chat = alice.subscribe("chat", None).unwrap(); // made offline: sent once ready
    assert_ne!(chat.0, 0);
    alice.connect().unwrap();
    bob.connect().unwrap();
    let events = alice_events.wait_until(WAIT, |evs| !subscribed(evs).is_empty());
    assert_eq!(subscribed(&events), [(chat, "chat".to_owned())]);
    bob_events.wait_until(WAIT, |evs| evs.iter().any(is_open));
    let chat_too = alice.subscribe("chat", None).unwrap(); // a second handler on the same channel
    assert_ne!(chat, chat_too);

    bob.publish("chat", r#"{"text":"Hello!"}"#, 0).unwrap();
    let events = alice_events.wait_until(WAIT, |evs| channel_messages(evs).len() == 2);
    let hello = r#"{"text":"Hello!"}"#.to_owned();
    assert_eq!(
        channel_messages(&events),
        [(chat, "chat".to_owned(), hello.clone()), (chat_too, "chat".to_owned(), hello)]
    );
    assert_eq!(count(&events, EventType::MESSAGE), 0, "the manager's messages are not plain MESSAGEs");
    assert_eq!(alice.stats().unwrap().active_subscriptions, Some(2));

    alice.unsubscribe(chat).unwrap();
    alice.unsubscribe(chat_too).unwrap();
    assert_eq!(alice.unsubscribe(chat).unwrap_err().status, Status::INVALID_ARGUMENT);
    assert_eq!(alice.stats().unwrap().active_subscriptions, Some(0));
    // The server was told: it counts no subscriber now (alice's unsubscribe frame goes out
    // before her request on the same connection).
    let count = alice.request_wait("subscribers", Some(r#"{"channel":"chat"}"#), WAIT).unwrap();
    assert_eq!(count, r#"{"count":0}"#);
    bob.publish("chat", r#"{"text":"anyone?"}"#, 0).unwrap();
    // A request after the publish: its answer comes after the (undelivered) channel message.
    bob.request_wait("echo", None, WAIT).unwrap(); // the server has handled the publish
    alice.request_wait("echo", None, WAIT).unwrap(); // and alice would have had it by now
    assert_eq!(channel_messages(&alice_events.snapshot()).len(), 2, "nothing after unsubscribe");
}

#[test]
fn a_refused_subscription_is_reported_and_removed() {
    let server = TestServer::start();
    let (client, recorder) = recorded(&server.ws_url("/json"));
    client.connect().unwrap();
    recorder.wait_until(WAIT, |evs| evs.iter().any(is_open));
    let room = client.subscribe("forbidden-room", Some(r#"{"since":0}"#)).unwrap();
    let events = recorder.wait_until(WAIT, |evs| count(evs, EventType::SUBSCRIBE_FAILED) == 1);
    let Some(Event::SubscribeFailed { subscription, channel, error, .. }) =
        events.iter().find(|e| matches!(e, Event::SubscribeFailed { .. }))
    else {
        unreachable!()
    };
    assert_eq!(*subscription, room);
    assert_eq!(channel, "forbidden-room");
    assert_eq!(error.status, Status::REMOTE);
    assert!(error.message.contains("forbidden-room"), "{error}");
    assert!(subscribed(&events).is_empty());
    assert_eq!(client.unsubscribe(room).unwrap_err().status, Status::INVALID_ARGUMENT);
    assert_eq!(client.stats().unwrap().active_subscriptions, Some(0));
}

#[test]
fn requests_each_answered_exactly_once_in_poll_mode() {
    let server = TestServer::start();
    let client = Client::new(&json_options(&server.ws_url("/json"))).unwrap();
    client.connect().unwrap();
    poll_until(&client, WAIT, is_open);
    let five = Some(Duration::from_secs(5));
    client.request("add", Some(r#"{"a":2,"b":40}"#), five, 10).unwrap();
    client.request("slow", Some(r#"{"delay_ms":300,"n":11}"#), five, 11).unwrap();
    client.request("echo", Some(r#"{"n":12}"#), five, 12).unwrap();
    client.request("fail", None, five, 13).unwrap();
    client.request("nope", None, five, 14).unwrap();
    client.request("never", None, Some(Duration::from_millis(200)), 15).unwrap();
    let err = client.request("echo", None, None, 11).unwrap_err(); // 11 is still pending
    assert_eq!(err.status, Status::INVALID_ARGUMENT);
    assert!(err.message.contains("already pending"), "{err}");
    // Some may be answered already: up to six are pending.
    assert!(client.stats().unwrap().pending_requests.is_some_and(|n| n <= 6));

    let mut answered = 0;
    let events = poll_until(&client, WAIT, |e| {
        answered += usize::from(matches!(e, Event::Response { .. }));
        answered == 6
    });
    let answers = responses(&events);
    let answer = |id: u64| {
        let found: Vec<_> = answers.iter().filter(|(i, _)| *i == id).map(|(_, r)| r.clone()).collect();
        assert_eq!(found.len(), 1, "response {id}: {found:?}");
        found.into_iter().next().unwrap()
    };
    assert_eq!(answer(10).unwrap(), r#"{"sum":42}"#);
    assert_eq!(answer(11).unwrap(), r#"{"delay_ms":300,"n":11}"#);
    assert_eq!(answer(12).unwrap(), r#"{"n":12}"#);
    let fail = answer(13).unwrap_err();
    assert_eq!(fail.status, Status::REMOTE);
    assert!(fail.message.contains("request failed on purpose"), "{fail}");
    let Some(Event::Response { error_json: Some(error_json), .. }) =
        events.iter().find(|e| matches!(e, Event::Response { id: 13, .. }))
    else {
        panic!("no error JSON for 13: {events:#?}")
    };
    assert!(error_json.contains("400"), "{error_json}");
    assert_eq!(answer(14).unwrap_err().status, Status::REMOTE);
    assert_eq!(answer(15).unwrap_err().status, Status::TIMEOUT);
    let order: Vec<u64> = answers.iter().map(|(id, _)| *id).collect();
    let at = |id| order.iter().position(|i| *i == id).unwrap();
    assert!(at(12) < at(11), "the slow answer came last: {order:?}");

    // None twice: nothing more arrives.
    let deadline = Instant::now() + Duration::from_millis(150);
    while let Some(event) = client.recv_timeout(deadline.saturating_duration_since(Instant::now())).unwrap() {
        assert!(!matches!(event, Event::Response { .. }), "a second response: {event:?}");
        if Instant::now() >= deadline {
            break;
        }
    }
    assert_eq!(client.stats().unwrap().pending_requests, Some(0));
}

#[test]
fn after_a_reconnect_channels_are_resubscribed() {
    let server = TestServer::start();
    // The server drops the first connection when its second message arrives.
    let mut opts = json_options(&server.ws_url("/json?key=rust-resub&drop_after_messages=2"));
    opts.reconnect_delay(Duration::from_millis(300)).unwrap();
    let recorder = Recorder::default();
    let client = Client::builder(&opts).on_event(recorder.handler()).build().unwrap();
    let room = client.subscribe("room", None).unwrap(); // message 1
    client.connect().unwrap();
    recorder.wait_until(WAIT, |evs| subscribed(evs).len() == 1);
    client.request("never", None, None, 1).unwrap(); // message 2: the connection drops
    let events = recorder.wait_until(WAIT, |evs| responses(evs).iter().any(|(id, _)| *id == 1));
    assert_eq!(responses(&events)[0].1.as_ref().unwrap_err().status, Status::CLOSED);
    recorder.wait_until(WAIT, |evs| count(evs, EventType::RECONNECT) > 0);

    // Made while reconnecting: queued, sent after the re-subscription.
    client.request("subscribers", Some(r#"{"channel":"room"}"#), Some(WAIT), 2).unwrap();
    let events = recorder.wait_until(WAIT, |evs| responses(evs).iter().any(|(id, _)| *id == 2));
    let count_now = responses(&events).into_iter().find(|(id, _)| *id == 2).unwrap().1;
    assert_eq!(count_now.unwrap(), r#"{"count":1}"#);
    let events = recorder.wait_until(WAIT, |evs| subscribed(evs).len() == 2);
    assert_eq!(subscribed(&events), [(room, "room".to_owned()), (room, "room".to_owned())]);
    assert_eq!(client.stats().unwrap().reconnects, 1);

    // And the channel works on the new connection.
    client.publish("room", r#"{"after":"reconnect"}"#, 77).unwrap();
    let events = recorder
        .wait_until(WAIT, |evs| !channel_messages(evs).is_empty() && evs.contains(&Event::Sent { id: 77 }));
    assert_eq!(channel_messages(&events), [(room, "room".to_owned(), r#"{"after":"reconnect"}"#.to_owned())]);
    // Exactly one response each.
    assert_eq!(responses(&events).len(), 2);
}

#[test]
fn request_wait_in_callback_mode() {
    let server = TestServer::start();
    let (client, recorder) = recorded(&server.ws_url("/json"));
    client.connect().unwrap(); // request_wait does not need to wait for open: queued
    assert_eq!(client.request_wait("echo", Some(r#"{"n":1}"#), WAIT).unwrap(), r#"{"n":1}"#);
    assert_eq!(client.request_wait("echo", None, WAIT).unwrap(), "null");
    let fail = client.request_wait("fail", None, WAIT).unwrap_err();
    assert_eq!(fail.status, Status::REMOTE);
    assert!(fail.message.contains("request failed on purpose"), "{fail}");
    let started = Instant::now();
    let never = client.request_wait("never", None, Duration::from_millis(200)).unwrap_err();
    assert_eq!(never.status, Status::TIMEOUT);
    assert!(started.elapsed() < Duration::from_secs(5));
    // Several threads at once, each gets its own answer.
    let client = Arc::new(client);
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let client = Arc::clone(&client);
            std::thread::spawn(move || {
                let params = format!(r#"{{"delay_ms":{},"n":{i}}}"#, (8 - i) * 20);
                let answer = client.request_wait("slow", Some(&params), WAIT).unwrap();
                assert_eq!(answer, params);
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    // The waited responses went to request_wait, not to the handler.
    assert_eq!(count(&recorder.snapshot(), EventType::RESPONSE), 0);
    assert_eq!(client.stats().unwrap().pending_requests, Some(0));

    // Pending when the client closes: CLOSED.
    let waiter = {
        let client = Arc::clone(&client);
        std::thread::spawn(move || client.request_wait("never", None, WAIT))
    };
    std::thread::sleep(Duration::from_millis(200));
    client.close(1000, "").unwrap();
    assert_eq!(waiter.join().unwrap().unwrap_err().status, Status::CLOSED);
}

#[test]
fn request_wait_refuses_poll_mode_and_handlers() {
    let server = TestServer::start();
    let poll = Client::new(&json_options(&server.ws_url("/json"))).unwrap();
    assert_eq!(poll.request_wait("echo", None, WAIT).unwrap_err().status, Status::BAD_STATE);
    assert_eq!(poll.stats().unwrap().pending_requests, Some(0), "nothing was sent");

    // Inside a handler (an I/O thread) waiting would deadlock: refused.
    let (other, _other_events) = recorded(&server.ws_url("/json"));
    let other = Arc::new(other);
    let (tx, rx) = mpsc::channel();
    let in_handler = Arc::clone(&other);
    let client = Client::builder(&json_options(&server.ws_url("/json")))
        .on_event(move |event| {
            if let Event::Open { .. } = event {
                let _ = tx.send(in_handler.request_wait("echo", None, WAIT));
            }
        })
        .build()
        .unwrap();
    client.connect().unwrap();
    let result = rx.recv_timeout(WAIT).unwrap();
    assert_eq!(result.unwrap_err().status, Status::WOULD_DEADLOCK);
}

#[test]
fn plain_messages_still_arrive_next_to_the_managers() {
    let server = TestServer::start();
    let client = Client::new(&json_options(&server.ws_url("/json"))).unwrap();
    client.connect().unwrap();
    client.send(r#"{"type":"ping"}"#).unwrap();
    let events = poll_until(&client, WAIT, |e| matches!(e, Event::Message(_)));
    let Some(Event::Message(message)) = events.last() else { unreachable!() };
    assert!(message.text().unwrap().contains("pong"), "{message:?}");
}

#[test]
fn raw_protocol_is_not_supported_and_arguments_are_checked() {
    let server = TestServer::start();
    let raw = Client::new(&options(&[("url", &server.ws_url("/echo"))])).unwrap();
    let err = raw.subscribe("chat", None).unwrap_err();
    assert_eq!(err.status, Status::NOT_SUPPORTED);
    assert!(err.message.contains("protocol raw"), "{err}");
    assert_eq!(raw.unsubscribe(Subscription(1)).unwrap_err().status, Status::NOT_SUPPORTED);
    assert_eq!(raw.publish("chat", "{}", 0).unwrap_err().status, Status::NOT_SUPPORTED);
    assert_eq!(raw.request("m", None, None, 1).unwrap_err().status, Status::NOT_SUPPORTED);
    let stats = raw.stats().unwrap();
    assert_eq!((stats.active_subscriptions, stats.pending_requests, stats.protocol), (None, None, None));

    let client = Client::new(&json_options(&server.ws_url("/json"))).unwrap();
    assert_eq!(client.subscribe("chat", Some("{oops")).unwrap_err().status, Status::INVALID_JSON);
    assert_eq!(client.subscribe("ch\0at", None).unwrap_err().status, Status::INVALID_ARGUMENT);
    assert_eq!(client.publish("chat", "", 0).unwrap_err().status, Status::INVALID_JSON);
    assert_eq!(client.request("m", Some("["), None, 1).unwrap_err().status, Status::INVALID_JSON);
    let stats = client.stats().unwrap();
    assert_eq!(stats.protocol.as_deref(), Some("json"));
    assert_eq!((stats.active_subscriptions, stats.pending_requests), (Some(0), Some(0)));

    assert_eq!(EventType::CHANNEL_MESSAGE.name(), "channel_message");
    assert_eq!(EventType::RESPONSE.name(), "response");
    assert_eq!(EventType::SUBSCRIBED.name(), "subscribed");
    assert_eq!(EventType::SUBSCRIBE_FAILED.name(), "subscribe_failed");
    assert_eq!(Status::REMOTE.name(), "TETHER_E_REMOTE");
}
