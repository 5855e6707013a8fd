//! The connection manager over providers' own protocols, against real servers from tests/peers
//! started with node: Socket.IO (the `socket.io` package), GraphQL over WebSocket (the
//! `graphql-ws` library) and Pusher (a server written from the protocol reference). Each test
//! starts its own peer; the scenarios follow tests/integration/protocol_*_test.cpp.

mod common;

use std::time::{Duration, Instant};

use common::{Peer, Recorder, block_on, is_open, poll_until, texts};
use tether::{Client, Event, EventType, Options, Provider, State, Status, Subscription};

const WAIT: Duration = Duration::from_secs(10);

/// A received channel message, its fields owned.
#[derive(Debug, PartialEq)]
struct ChannelMessage {
    subscription: Subscription,
    channel: String,
    event: Option<String>,
    data: String,
}

fn channel_messages(events: &[Event]) -> Vec<ChannelMessage> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ChannelMessage { subscription, channel, data, event } => Some(ChannelMessage {
                subscription: *subscription,
                channel: channel.clone(),
                event: event.clone(),
                data: data.clone(),
            }),
            _ => None,
        })
        .collect()
}

fn count(events: &[Event], wanted: EventType) -> usize {
    events.iter().filter(|e| e.event_type() == wanted).count()
}

fn subscribed(events: &[Event], wanted: Subscription) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, Event::Subscribed { subscription, .. } if *subscription == wanted))
        .count()
}

fn errors(events: &[Event]) -> Vec<tether::Error> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Error(error) => Some(error.clone()),
            _ => None,
        })
        .collect()
}

/// Connects and expects the server to refuse: one [`Status::AUTH`] error whose message has
/// `reason`, the state [`State::ERROR`], and no reconnect, now or a little later. Returns the
/// events.
fn refused_for_good(options: &Options, reason: &str) -> Vec<Event> {
    let (client, recorder) = recorded(options);
    client.connect().unwrap();
    recorder
        .wait_until(WAIT, |evs| evs.iter().any(|e| matches!(e, Event::State { state: State::ERROR, .. })));
    std::thread::sleep(Duration::from_millis(300));
    let events = recorder.snapshot();
    let errors = errors(&events);
    assert_eq!(errors.len(), 1, "{events:#?}");
    assert_eq!(errors[0].status, Status::AUTH);
    assert!(errors[0].message.contains(reason), "{}", errors[0]);
    assert_eq!(count(&events, EventType::OPEN), 0, "{events:#?}");
    assert_eq!(count(&events, EventType::RECONNECT), 0, "{events:#?}");
    assert_eq!(client.state(), State::ERROR);
    events
}

/// Options for `provider` at `url`.
fn provider_options(provider: Provider, url: &str) -> Options {
    let mut options = Options::new();
    options.url(url).unwrap().provider(provider).unwrap();
    options
}

/// A callback-mode client recording its events.
fn recorded(options: &Options) -> (Client, Recorder) {
    let recorder = Recorder::default();
    let client = Client::builder(options).on_event(recorder.handler()).build().unwrap();
    (client, recorder)
}

fn connected(options: &Options) -> (Client, Recorder) {
    let (client, recorder) = recorded(options);
    client.connect().unwrap();
    recorder.wait_until(WAIT, |evs| evs.iter().any(is_open));
    (client, recorder)
}

// ---- Socket.IO ---------------------------------------------------------------------------------

fn socketio(peer: &Peer) -> Options {
    provider_options(Provider::SocketIo, &peer.ws_url("/socket.io/"))
}

#[test]
fn socketio_channel_messages_carry_payload_and_event_name_until_unsubscribed() {
    let peer = Peer::node("socketio.js");
    let (alice, alice_events) = recorded(&socketio(&peer));
    let chat = alice.subscribe("chat", None).unwrap(); // made offline: listened for once ready
    alice.connect().unwrap();
    let (bob, bob_events) = connected(&socketio(&peer));
    alice_events.wait_until(WAIT, |evs| subscribed(evs, chat) == 1);

    // The server re-broadcasts chat to every socket: one argument, then several.
    bob.publish("chat", r#"{"text":"Hello!"}"#, 0).unwrap();
    bob.publish("chat", r#"["bob",{"text":"hi"},3]"#, 0).unwrap();
    let events = alice_events.wait_until(WAIT, |evs| channel_messages(evs).len() == 2);
    let message = |data: &str| ChannelMessage {
        subscription: chat,
        channel: "chat".into(),
        event: Some("chat".into()), // the Socket.IO event's name
        data: data.into(),
    };
    assert_eq!(
        channel_messages(&events),
        [message(r#"{"text":"Hello!"}"#), message(r#"["bob",{"text":"hi"},3]"#)]
    );
    assert!(texts(&events).is_empty(), "every packet was the protocol's: {events:#?}");
    // bob listens for nothing: the broadcast reaches him as the plain packet.
    bob_events.wait_until(WAIT, |evs| texts(evs).iter().any(|t| t == r#"42["chat",{"text":"Hello!"}]"#));

    let stats = alice.stats().unwrap();
    assert_eq!(stats.protocol.as_deref(), Some("socketio"));
    assert_eq!(stats.active_subscriptions, Some(1));

    alice.unsubscribe(chat).unwrap();
    bob.publish("chat", r#"{"text":"after"}"#, 0).unwrap();
    let events = alice_events.wait_until(WAIT, |evs| texts(evs).iter().any(|t| t.contains("after")));
    assert_eq!(texts(&events), [r#"42["chat",{"text":"after"}]"#]);
    assert_eq!(channel_messages(&events).len(), 2, "no channel message after unsubscribe");
    assert_eq!(alice.stats().unwrap().active_subscriptions, Some(0));
    assert_eq!(alice.unsubscribe(chat).unwrap_err().status, Status::INVALID_ARGUMENT);
}

#[test]
fn socketio_requests_are_answered_by_acks_in_poll_mode() {
    let peer = Peer::node("socketio.js");
    let client = Client::new(&socketio(&peer)).unwrap();
    client.connect().unwrap();
    poll_until(&client, WAIT, is_open);
    let five = Some(Duration::from_secs(5));
    // An array of params is the argument list: add(2, 40, ack) computes on the server.
    client.request("add", Some("[2,40]"), five, 1).unwrap();
    client.request("echo", Some(r#"["x",{"y":1}]"#), five, 2).unwrap();
    // Socket.IO acks have no error flag: the server's error is part of the result.
    client.request("fail", None, five, 3).unwrap();
    client.request("never", None, Some(Duration::from_millis(300)), 4).unwrap();
    let mut answers = Vec::new();
    poll_until(&client, WAIT, |event| {
        if let Event::Response { id, result, error_json } = event {
            answers.push((*id, result.clone(), error_json.clone()));
        }
        answers.len() == 4
    });
    answers.sort_by_key(|(id, ..)| *id);
    assert_eq!(answers[0], (1, Ok("42".to_owned()), None));
    assert_eq!(answers[1], (2, Ok(r#"["x",{"y":1}]"#.to_owned()), None));
    assert_eq!(answers[2], (3, Ok(r#"{"error":{"message":"failed on purpose"}}"#.to_owned()), None));
    assert_eq!(answers[3].1.as_ref().unwrap_err().status, Status::TIMEOUT);
    assert_eq!(client.stats().unwrap().pending_requests, Some(0));
}

#[test]
fn socketio_request_wait_and_async_requests() {
    let peer = Peer::node("socketio.js");
    // Blocking, on a callback-mode client.
    let (waiting, _events) = connected(&socketio(&peer));
    assert_eq!(waiting.request_wait("add", Some("[2,40]"), WAIT).unwrap(), "42");
    assert_eq!(waiting.request_wait("echo", Some(r#"{"only":1}"#), WAIT).unwrap(), r#"{"only":1}"#);

    // Async, on a poll-mode client: next_event is woken by the library's READY callback.
    let polled = Client::new(&socketio(&peer)).unwrap();
    let (sum, wakes) = block_on(WAIT, async {
        polled.connect().unwrap();
        while !is_open(&polled.next_event().await.unwrap()) {}
        polled.request("add", Some("[2,40]"), Some(Duration::from_secs(5)), 7).unwrap();
        loop {
            if let Event::Response { id: 7, result, .. } = polled.next_event().await.unwrap() {
                break result;
            }
        }
    });
    assert_eq!(sum.unwrap(), "42");
    assert!(wakes >= 1, "the task should have waited for the answer");
}

#[test]
fn socketio_reconnects_and_resubscribes_after_the_server_drops_the_connection() {
    let peer = Peer::node("socketio.js");
    let mut options = socketio(&peer);
    options.auth_token("alice").unwrap().reconnect_delay(Duration::from_millis(100)).unwrap();
    let (alice, alice_events) = recorded(&options);
    let chat = alice.subscribe("chat", None).unwrap();
    alice.connect().unwrap();
    let (bob, _bob_events) = connected(&socketio(&peer));
    alice_events.wait_until(WAIT, |evs| subscribed(evs, chat) == 1);
    let first = alice.request_wait("whoami", None, WAIT).unwrap();

    // The peer closes the engine connection under the session: no Socket.IO goodbye.
    alice.publish("drop", "[]", 0).unwrap();
    alice_events.wait_until(WAIT, |evs| count(evs, EventType::RECONNECT) >= 1);
    let events =
        alice_events.wait_until(WAIT, |evs| count(evs, EventType::OPEN) == 2 && subscribed(evs, chat) == 2);
    // A new Socket.IO session, joined with the token again, and the subscription kept.
    let second = alice.request_wait("whoami", None, WAIT).unwrap();
    assert_ne!(first, second);
    assert!(second.contains(r#""token":"alice""#), "{second}");
    assert!(events.iter().all(|e| !matches!(e, Event::SubscribeFailed { .. })), "{events:#?}");

    bob.publish("chat", r#"{"after":"reconnect"}"#, 0).unwrap();
    let events = alice_events.wait_until(WAIT, |evs| !channel_messages(evs).is_empty());
    let expected = ChannelMessage {
        subscription: chat,
        channel: "chat".into(),
        event: Some("chat".into()),
        data: r#"{"after":"reconnect"}"#.into(),
    };
    assert_eq!(channel_messages(&events), [expected]);
    assert!(alice.stats().unwrap().reconnects >= 1);
}

#[test]
fn socketio_refuses_a_bad_token_for_good() {
    let peer = Peer::node("socketio.js");
    let mut options = socketio(&peer);
    options.auth_token("bad").unwrap();
    let events = refused_for_good(&options, "invalid token");
    assert!(!format!("{events:?}").contains("\"bad\""), "the token never shows");
}

#[test]
fn socketio_namespace_option() {
    let peer = Peer::node("socketio.js");
    let mut options = socketio(&peer);
    options.namespace("/admin").unwrap();
    let (admin, recorder) = recorded(&options);
    // The server greets each /admin socket right after it joins: a listener made before
    // connecting hears it.
    let welcome = admin.subscribe("welcome", None).unwrap();
    admin.connect().unwrap();
    let events = recorder.wait_until(WAIT, |evs| !channel_messages(evs).is_empty());
    let greeting = &channel_messages(&events)[0];
    assert_eq!((greeting.subscription, greeting.event.as_deref()), (welcome, Some("welcome")));
    assert!(greeting.data.contains(r#""nsp":"/admin""#), "{greeting:?}");
    let me = admin.request_wait("whoami", None, WAIT).unwrap();
    assert!(me.contains(r#""nsp":"/admin""#), "{me}");

    // A namespace the server does not have is refused like bad credentials.
    options.namespace("/nope").unwrap();
    refused_for_good(&options, "Invalid namespace");
}

// ---- GraphQL over WebSocket (graphql-transport-ws) ---------------------------------------------

const ROOM: &str = r#"subscription { messages(channel: "room") { channel text } }"#;

#[test]
fn graphql_subscriptions_and_no_publish() {
    let peer = Peer::node("graphql-transport-ws.js");
    let (client, recorder) = connected(&provider_options(Provider::Graphql, &peer.ws_url("/")));
    let room = client.subscribe(ROOM, None).unwrap();
    // The subscription is running once the server counts it.
    let running = client.request_wait(r#"{ subscribers(channel: "room", atLeast: 1) }"#, None, WAIT).unwrap();
    assert_eq!(running, r#"{"data":{"subscribers":1}}"#);

    // GraphQL has no publish: a mutation is a request.
    let err = client.publish("room", r#"{"text":"hi"}"#, 0).unwrap_err();
    assert_eq!(err.status, Status::NOT_SUPPORTED);
    assert!(err.message.contains("publish is not supported by protocol graphql-transport-ws"), "{err}");
    assert!(err.message.contains("mutation"), "the message says what to do instead: {err}");
    assert_eq!(count(&recorder.snapshot(), EventType::SEND_FAILED), 0, "nothing was queued");

    let posted =
        client.request_wait(r#"mutation { post(channel: "room", text: "Hello!") }"#, None, WAIT).unwrap();
    assert_eq!(posted, r#"{"data":{"post":1}}"#);
    let events = recorder.wait_until(WAIT, |evs| !channel_messages(evs).is_empty());
    let expected = ChannelMessage {
        subscription: room,
        channel: ROOM.into(),
        event: None, // GraphQL results have no event name
        data: r#"{"data":{"messages":{"channel":"room","text":"Hello!"}}}"#.into(),
    };
    assert_eq!(channel_messages(&events), [expected]);
}

#[test]
fn graphql_subscription_failures_carry_status_and_error_data() {
    let peer = Peer::node("graphql-transport-ws.js");
    let (client, recorder) = connected(&provider_options(Provider::Graphql, &peer.ws_url("/")));
    let failures = |events: &[Event], wanted: Subscription| -> Vec<(tether::Error, Option<String>)> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::SubscribeFailed { subscription, error, error_json, .. } if *subscription == wanted => {
                    Some((error.clone(), error_json.clone()))
                }
                _ => None,
            })
            .collect()
    };

    // The server refuses to start it: its error, as text and as the server's JSON.
    let forbidden = r#"subscription S($channel: String!) { messages(channel: $channel) { text } }"#;
    let refused = client.subscribe(forbidden, Some(r#"{"channel":"forbidden"}"#)).unwrap();
    let events = recorder.wait_until(WAIT, |evs| !failures(evs, refused).is_empty());
    let (error, error_json) = failures(&events, refused).remove(0);
    assert_eq!(error.status, Status::REMOTE);
    assert!(error.message.contains("subscription to forbidden refused"), "{error}");
    let error_json = error_json.expect("the server's errors as JSON");
    assert!(error_json.contains(r#""message":"subscription to forbidden refused""#), "{error_json}");
    assert_eq!(client.unsubscribe(refused).unwrap_err().status, Status::INVALID_ARGUMENT, "removed");

    // The server completes a running one: it ends without an error.
    let short = client.subscribe(r#"subscription { messages(channel: "short") { text } }"#, None).unwrap();
    client.request_wait(r#"{ subscribers(channel: "short", atLeast: 1) }"#, None, WAIT).unwrap();
    assert_eq!(
        client.request_wait(r#"mutation { end(channel: "short") }"#, None, WAIT).unwrap(),
        r#"{"data":{"end":1}}"#
    );
    let events = recorder.wait_until(WAIT, |evs| !failures(evs, short).is_empty());
    let (error, error_json) = failures(&events, short).remove(0);
    assert_eq!(error.status, Status::CLOSED);
    assert!(error.message.contains("ended"), "{error}");
    assert_eq!(error_json, None);
    assert_eq!(client.stats().unwrap().active_subscriptions, Some(0));
}

#[test]
fn query_params_reach_the_server() {
    let peer = Peer::node("graphql-transport-ws.js");
    // The peer delays its connection_ack by the ack_delay query parameter: 3 s, ten times the
    // auth timeout, so the handshake times out.
    let mut options = provider_options(Provider::Graphql, &peer.ws_url("/"));
    options
        .query_params([("ack_delay", "3000")])
        .unwrap()
        .auth_timeout(Duration::from_millis(300))
        .unwrap()
        .auto_reconnect(false)
        .unwrap();
    let (client, recorder) = recorded(&options);
    let started = Instant::now();
    client.connect().unwrap();
    let events = recorder.wait_until(WAIT, |evs| !errors(evs).is_empty());
    assert!(started.elapsed() < Duration::from_millis(2500), "the auth timeout, not the ack, ended it");
    let error = &errors(&events)[0];
    assert_eq!(error.status, Status::TIMEOUT, "{error}");
    assert!(error.message.contains("handshake"), "{error}");
    assert_eq!(count(&events, EventType::OPEN), 0);
}

// ---- Pusher ------------------------------------------------------------------------------------

#[test]
fn pusher_has_no_requests_and_reports_refused_subscriptions_with_their_data() {
    let peer = Peer::node("pusher.js");
    let (client, recorder) = connected(&provider_options(Provider::Pusher, &peer.ws_url("/app/app-key")));

    let err = client.request("anything", Some("{}"), None, 1).unwrap_err();
    assert_eq!(err.status, Status::NOT_SUPPORTED);
    assert!(err.message.contains("request is not supported by protocol pusher"), "{err}");
    // Not even request_wait gets one.
    let err = client.request_wait("anything", None, WAIT).unwrap_err();
    assert_eq!(err.status, Status::NOT_SUPPORTED);

    // A private channel without a valid signature: pusher:subscription_error, data included.
    let private = client.subscribe("private-room", Some(r#"{"auth":"wrong"}"#)).unwrap();
    let events = recorder.wait_until(WAIT, |evs| count(evs, EventType::SUBSCRIBE_FAILED) == 1);
    let Some(Event::SubscribeFailed { subscription, channel, error, error_json }) =
        events.iter().find(|e| matches!(e, Event::SubscribeFailed { .. }))
    else {
        unreachable!()
    };
    assert_eq!((*subscription, channel.as_str()), (private, "private-room"));
    assert_eq!(error.status, Status::REMOTE);
    let error_json = error_json.as_deref().expect("the server's error data");
    assert!(error_json.contains(r#""type":"AuthError""#), "{error_json}");
    assert_eq!(count(&events, EventType::RESPONSE), 0);
}
