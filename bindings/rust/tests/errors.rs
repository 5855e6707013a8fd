//! Bad input fails with an `Err` that says what is wrong; no server needed except where noted.

mod common;

use common::{TestServer, options};
use tether::{Client, Event, MessageFormat, Options, Status};

#[test]
fn a_bad_url_is_refused_naming_the_problem() {
    let mut opts = Options::new();
    for url in ["http://example.com/", "ws://", "not a url", "ws://host:99999/"] {
        let err = opts.url(url).unwrap_err();
        assert_eq!(err.status, Status::BAD_URL, "{url}: {err}");
        assert!(!err.message.is_empty());
        assert!(err.to_string().starts_with("TETHER_E_BAD_URL: "), "{err}");
    }
    // Nothing changed on failure.
    assert_eq!(opts.get("url").unwrap(), "");
}

#[test]
fn an_unknown_option_names_the_key() {
    let mut opts = Options::new();
    let err = opts.set("pingIntervall", "1000").unwrap_err();
    assert_eq!(err.status, Status::UNKNOWN_OPTION);
    assert!(err.message.contains("pingIntervall"), "{err}");
    let err = Options::from_json(r#"{"url":"ws://127.0.0.1:1/","bogusKey":1}"#).unwrap_err();
    assert_eq!(err.status, Status::UNKNOWN_OPTION);
    assert!(err.message.contains("bogusKey"), "{err}");
}

#[test]
fn a_bad_option_value_names_the_key_and_never_echoes_a_secret() {
    let mut opts = Options::new();
    let err = opts.set("pingInterval", "soon").unwrap_err();
    assert_eq!(err.status, Status::BAD_OPTION_VALUE);
    assert!(err.message.contains("pingInterval"), "{err}");
    let err = opts.set("autoReconnect", "maybe").unwrap_err();
    assert!(err.message.contains("autoReconnect"), "{err}");
    let err = opts.set("authToken", "bad\u{1}token-value").map(|_| ()).err();
    if let Some(err) = err {
        assert!(!err.message.contains("token-value"), "{err}");
    }
    let err = opts.set("url", "ws://a\0b").unwrap_err();
    assert_eq!(err.status, Status::INVALID_ARGUMENT);
    assert!(err.message.contains("NUL"), "{err}");
}

#[test]
fn invalid_json_options_are_refused_all_or_nothing() {
    let err = Options::from_json("{not json").unwrap_err();
    assert_eq!(err.status, Status::INVALID_JSON);
    let mut opts = Options::new();
    let err = opts.set_json(r#"{"pingInterval":5,"pongTimeout":"x"}"#).unwrap_err();
    assert!(err.message.contains("pongTimeout"), "{err}");
    assert_eq!(opts.get("pingInterval").unwrap(), "30000", "nothing was applied");
}

#[test]
fn a_client_needs_a_url() {
    let err = Client::new(&Options::new()).unwrap_err();
    assert_eq!(err.status, Status::BAD_OPTION_VALUE);
    assert!(err.message.contains("url"), "{err}");
}

#[test]
fn sending_invalid_json_with_message_format_json_is_refused() {
    let mut opts = Options::new();
    opts.url("ws://127.0.0.1:1/").unwrap().message_format(MessageFormat::Json).unwrap();
    let client = Client::new(&opts).unwrap();
    let err = client.send("{not json").unwrap_err();
    assert_eq!(err.status, Status::INVALID_JSON);
    assert!(err.message.contains("not JSON"), "{err}");
    // Explicit text frames are not JSON-checked, but must be UTF-8.
    client.send_text("plain text").unwrap();
    let err = client.send_message(tether::MessageType::TEXT, b"\xc3\x28", 0).unwrap_err();
    assert_eq!(err.status, Status::INVALID_UTF8);
    let err = client.send_message(tether::MessageType(7), b"x", 0).unwrap_err();
    assert_eq!(err.status, Status::INVALID_ARGUMENT);
    assert_eq!(client.buffered().messages, 1, "only the valid message was queued");
}

#[test]
fn close_arguments_and_state_errors() {
    let client = Client::new(&options(&[("url", "ws://127.0.0.1:1/")])).unwrap();
    assert_eq!(client.close(999, "").unwrap_err().status, Status::INVALID_ARGUMENT);
    assert_eq!(client.close(1000, &"x".repeat(124)).unwrap_err().status, Status::INVALID_ARGUMENT);
    assert_eq!(client.set_token("a\0b").unwrap_err().status, Status::INVALID_ARGUMENT);
    assert!(tether::Runtime::new(65).is_err());
}

#[test]
fn a_refused_connection_ends_in_error_after_the_attempt_budget() {
    let client = Client::new(&options(&[
        ("url", "ws://127.0.0.1:1/"),
        ("maxReconnectAttempts", "2"),
        ("reconnectDelay", "10"),
    ]))
    .unwrap();
    client.connect().unwrap();
    assert_eq!(client.connect().unwrap_err().status, Status::BAD_STATE);
    let events = common::poll_until(&client, std::time::Duration::from_secs(10), |e| {
        matches!(e, Event::State { state: tether::State::ERROR, .. })
    });
    let errors: Vec<_> =
        events.iter().filter_map(|e| if let Event::Error(err) = e { Some(err) } else { None }).collect();
    assert_eq!(errors[0].status, Status::CONNECT);
    assert!(errors.last().unwrap().message.contains("gave up after 2"), "{errors:?}");
}

#[test]
fn message_utilities() {
    let json = tether::create_message("chat", Some(r#"{"a":1}"#), Some("id-1")).unwrap();
    assert!(json.starts_with(r#"{"type":"chat","payload":{"a":1},"id":"id-1","timestamp":"#), "{json}");
    let no_payload = tether::create_message("ping", None, None).unwrap();
    assert!(no_payload.starts_with(r#"{"type":"ping","payload":null,"timestamp":"#), "{no_payload}");
    let envelope = tether::parse_message(json.as_bytes()).unwrap();
    assert!(envelope.contains(r#""id":"id-1""#), "{envelope}");
    assert_eq!(
        tether::parse_message(b"[1,2]").unwrap(),
        r#"{"type":null,"payload":[1,2],"id":null,"timestamp":null}"#
    );
    assert_eq!(tether::parse_message(b"\xff").unwrap_err().status, Status::INVALID_UTF8);
    assert_eq!(tether::close_code_str(1000), "Normal closure");
    assert_eq!(tether::close_code_str(1), "Unknown close code");
}

#[test]
fn statuses_match_the_library() {
    let all = [
        (Status::OK, "TETHER_OK"),
        (Status::INVALID_ARGUMENT, "TETHER_E_INVALID_ARGUMENT"),
        (Status::UNKNOWN_OPTION, "TETHER_E_UNKNOWN_OPTION"),
        (Status::BAD_OPTION_VALUE, "TETHER_E_BAD_OPTION_VALUE"),
        (Status::BAD_URL, "TETHER_E_BAD_URL"),
        (Status::NO_MEMORY, "TETHER_E_NO_MEMORY"),
        (Status::BAD_STATE, "TETHER_E_BAD_STATE"),
        (Status::QUEUE_FULL, "TETHER_E_QUEUE_FULL"),
        (Status::NOT_CONNECTED, "TETHER_E_NOT_CONNECTED"),
        (Status::TIMEOUT, "TETHER_E_TIMEOUT"),
        (Status::WOULD_DEADLOCK, "TETHER_E_WOULD_DEADLOCK"),
        (Status::INVALID_JSON, "TETHER_E_INVALID_JSON"),
        (Status::INVALID_UTF8, "TETHER_E_INVALID_UTF8"),
        (Status::DNS, "TETHER_E_DNS"),
        (Status::CONNECT, "TETHER_E_CONNECT"),
        (Status::TLS, "TETHER_E_TLS"),
        (Status::HANDSHAKE, "TETHER_E_HANDSHAKE"),
        (Status::AUTH, "TETHER_E_AUTH"),
        (Status::PROXY, "TETHER_E_PROXY"),
        (Status::PROTOCOL, "TETHER_E_PROTOCOL"),
        (Status::MESSAGE_TOO_BIG, "TETHER_E_MESSAGE_TOO_BIG"),
        (Status::CLOSED, "TETHER_E_CLOSED"),
        (Status::PONG_TIMEOUT, "TETHER_E_PONG_TIMEOUT"),
        (Status::IO, "TETHER_E_IO"),
        (Status::NOT_SUPPORTED, "TETHER_E_NOT_SUPPORTED"),
        (Status::INTERNAL, "TETHER_E_INTERNAL"),
        (Status::CANCELLED, "TETHER_E_CANCELLED"),
    ];
    for (status, name) in all {
        assert_eq!(status.name(), name);
        assert_ne!(status.description(), "unknown status", "{name}");
    }
    assert_eq!(Status(-999).name(), "TETHER_E_UNKNOWN");
    for (i, name) in [
        "disconnected",
        "connecting",
        "connected",
        "authenticating",
        "authenticated",
        "reconnecting",
        "error",
    ]
    .iter()
    .enumerate()
    {
        assert_eq!(tether::State(i as i32).name(), *name);
    }
    for (i, name) in
        ["ready", "open", "message", "close", "error", "state", "reconnect", "sent", "send_failed", "drained"]
            .iter()
            .enumerate()
    {
        assert_eq!(tether::EventType(i as i32).name(), *name, "event type {i}");
    }
    assert_eq!(tether::version(), "0.1.0");
    assert_eq!(tether::sys::TETHER_VERSION_NUMBER, 100);
}

#[test]
fn every_schema_key_has_a_typed_setter() {
    // The typed setters cover the schema: each key below is set through its setter and read back.
    use std::time::Duration;
    let mut opts = Options::new();
    opts.url("wss://127.0.0.1:1/x")
        .unwrap()
        .auth_method(tether::AuthMethod::FirstMessage)
        .unwrap()
        .message_format(MessageFormat::Binary)
        .unwrap()
        .protocol(tether::Protocol::Json)
        .unwrap()
        .auth_token("t")
        .unwrap()
        .token_param_name("tk")
        .unwrap()
        .auth_message_type("login")
        .unwrap()
        .auth_message_template(r#"{"t":"{{token}}"}"#)
        .unwrap()
        .auth_success_type("ok")
        .unwrap()
        .auth_timeout(Duration::from_millis(1234))
        .unwrap()
        .subprotocols(["a", "b"])
        .unwrap()
        .ping_interval(Duration::from_secs(2))
        .unwrap()
        .pong_timeout(Duration::from_millis(300))
        .unwrap()
        .auto_reconnect(false)
        .unwrap()
        .max_reconnect_attempts(3)
        .unwrap()
        .reconnect_delay(Duration::from_millis(50))
        .unwrap()
        .max_reconnect_delay(Duration::from_secs(5))
        .unwrap()
        .connect_timeout(Duration::from_secs(1))
        .unwrap()
        .handshake_timeout(Duration::from_secs(2))
        .unwrap()
        .close_timeout(Duration::from_secs(3))
        .unwrap()
        .max_message_size(1024)
        .unwrap()
        .queue_while_offline(false)
        .unwrap()
        .max_queued_messages(10)
        .unwrap()
        .max_queued_bytes(2048)
        .unwrap()
        .max_poll_queue(7)
        .unwrap()
        .headers([("X-A", "1"), ("X-Quote", "say \"hi\"")])
        .unwrap()
        .user_agent("ua/1")
        .unwrap()
        .per_message_deflate(true)
        .unwrap()
        .proxy("http://127.0.0.1:3128")
        .unwrap()
        .ca_file("/tmp/ca.pem")
        .unwrap()
        .client_cert_file("/tmp/c.pem")
        .unwrap()
        .client_key_file("/tmp/c.key")
        .unwrap()
        .insecure_skip_tls_verify(true)
        .unwrap()
        .provider(tether::Provider::SocketIo) // after the keys above: they keep their values
        .unwrap()
        .namespace("/admin")
        .unwrap()
        .query_params([("EIO", "4"), ("q", "a \"b\"")])
        .unwrap();
    let expected = [
        ("url", "wss://127.0.0.1:1/x"),
        ("authMethod", "first-message"),
        ("messageFormat", "binary"),
        ("protocol", "json"),
        ("authToken", "***"),
        ("tokenParamName", "tk"),
        ("authMessageType", "login"),
        ("authMessageTemplate", r#"{"t":"{{token}}"}"#),
        ("authSuccessType", "ok"),
        ("authTimeout", "1234"),
        ("subprotocols", "a, b"), // the library normalises the list
        ("pingInterval", "2000"),
        ("pongTimeout", "300"),
        ("autoReconnect", "false"),
        ("maxReconnectAttempts", "3"),
        ("reconnectDelay", "50"),
        ("maxReconnectDelay", "5000"),
        ("connectTimeout", "1000"),
        ("handshakeTimeout", "2000"),
        ("closeTimeout", "3000"),
        ("maxMessageSize", "1024"),
        ("queueWhileOffline", "false"),
        ("maxQueuedMessages", "10"),
        ("maxQueuedBytes", "2048"),
        ("maxPollQueue", "7"),
        ("userAgent", "ua/1"),
        ("perMessageDeflate", "true"),
        ("proxy", "http://127.0.0.1:3128"),
        ("caFile", "/tmp/ca.pem"),
        ("clientCertFile", "/tmp/c.pem"),
        ("clientKeyFile", "/tmp/c.key"),
        ("insecureSkipTlsVerify", "true"),
        ("provider", "socketio"),
        ("namespace", "/admin"),
        ("queryParams", r#"{"EIO":"4","q":"a \"b\""}"#),
    ];
    for (key, value) in expected {
        assert_eq!(opts.get(key).unwrap(), value, "{key}");
    }
    opts.ping_interval(Duration::from_micros(500)).unwrap();
    assert_eq!(opts.get("pingInterval").unwrap(), "1", "sub-millisecond rounds up, never to 0 (off)");
    let headers = opts.get("headers").unwrap();
    assert!(headers.contains(r#""X-Quote":"say \"hi\"""#), "{headers}");
    // Every key of the schema is covered above (headers checked separately).
    let schema = Options::schema_json();
    let mut schema_keys = 0;
    for (pos, _) in schema.match_indices("\"name\":\"") {
        let rest = &schema[pos + 8..];
        let key = &rest[..rest.find('"').unwrap()];
        assert!(
            key == "headers" || expected.iter().any(|(k, _)| *k == key),
            "no typed setter tested for {key}"
        );
        schema_keys += 1;
    }
    assert_eq!(schema_keys, expected.len() + 1);
}

#[test]
fn wss_with_the_test_ca() {
    let server = TestServer::start();
    let mut opts = Options::new();
    opts.url(&format!("wss://localhost:{}/echo", server.wss))
        .unwrap()
        .ca_file(&server.ca_file)
        .unwrap()
        .message_format(MessageFormat::Text)
        .unwrap();
    let client = Client::new(&opts).unwrap();
    client.connect().unwrap();
    client.send("over tls").unwrap();
    let events =
        common::poll_until(&client, std::time::Duration::from_secs(10), |e| matches!(e, Event::Message(_)));
    assert_eq!(common::texts(&events), ["over tls"]);
}

/// The `allowed` values of one option in the schema.
fn allowed_values(key: &str) -> Vec<String> {
    let schema = Options::schema_json();
    let entry = &schema[schema.find(&format!("\"name\":\"{key}\"")).unwrap()..];
    let list = &entry[entry.find("\"allowed\":[").unwrap() + 11..];
    let list = &list[..list.find(']').unwrap()];
    list.split(',').map(|value| value.trim_matches('"').to_owned()).collect()
}

#[test]
fn every_protocol_and_provider_of_the_schema_has_a_variant() {
    let protocols: Vec<&str> = tether::Protocol::ALL.iter().map(|p| p.as_str()).collect();
    assert_eq!(protocols, allowed_values("protocol"));
    let providers: Vec<&str> = tether::Provider::ALL.iter().map(|p| p.as_str()).collect();
    assert_eq!(providers, allowed_values("provider"));
    let mut opts = Options::new();
    for &protocol in tether::Protocol::ALL {
        assert_eq!(opts.protocol(protocol).unwrap().get("protocol").unwrap(), protocol.to_string());
    }
    for &provider in tether::Provider::ALL {
        assert_eq!(opts.provider(provider).unwrap().get("provider").unwrap(), provider.to_string());
    }
}

#[test]
fn a_provider_preset_yields_to_the_application_and_is_undone_by_the_next() {
    use tether::{AuthMethod, Provider};
    let mut opts = Options::new();
    opts.provider(Provider::SocketIo).unwrap();
    assert_eq!(opts.get("protocol").unwrap(), "socketio");
    assert_eq!(opts.get("authMethod").unwrap(), "first-message");
    assert!(opts.get("queryParams").unwrap().contains(r#""EIO":"4""#));
    // Switching: the keys of the previous preset go back to their defaults.
    opts.provider(Provider::SignalR).unwrap();
    assert_eq!(opts.get("protocol").unwrap(), "signalr");
    assert_eq!(opts.get("authMethod").unwrap(), "query-param");
    assert_eq!(opts.get("tokenParamName").unwrap(), "access_token");
    assert_eq!(opts.get("queryParams").unwrap(), "{}");
    // A key the application sets itself wins, before or after the preset.
    opts.token_param_name("jwt").unwrap().provider(Provider::Phoenix).unwrap();
    opts.auth_method(AuthMethod::None).unwrap();
    assert_eq!(opts.get("protocol").unwrap(), "phoenix");
    assert_eq!(opts.get("tokenParamName").unwrap(), "jwt");
    assert_eq!(opts.get("authMethod").unwrap(), "none");
    opts.provider(Provider::None).unwrap();
    assert_eq!(opts.get("protocol").unwrap(), "raw");
    assert_eq!(opts.get("tokenParamName").unwrap(), "jwt");
    // Values the option does not take.
    assert_eq!(opts.namespace("admin").unwrap_err().status, Status::BAD_OPTION_VALUE);
    assert_eq!(opts.set("queryParams", r#"{"n":1}"#).unwrap_err().status, Status::BAD_OPTION_VALUE);
    assert_eq!(opts.set("provider", "socket.io").unwrap_err().status, Status::BAD_OPTION_VALUE);
}

#[test]
fn operations_a_protocol_does_not_have_fail_at_the_call() {
    use tether::Provider;
    let cases = [
        (Provider::Graphql, "publish", "graphql-transport-ws"),
        (Provider::Apollo, "publish", "graphql-ws"),
        (Provider::Binance, "publish", "binance"),
        (Provider::Pusher, "request", "pusher"),
        (Provider::ActionCable, "request", "actioncable"),
    ];
    for (provider, operation, protocol) in cases {
        let mut opts = Options::new();
        opts.url("ws://127.0.0.1:9/x").unwrap().provider(provider).unwrap();
        let client = Client::new(&opts).unwrap();
        let err = match operation {
            "publish" => client.publish("room", r#"{"event":"e","data":{}}"#, 0),
            _ => client.request("method", None, None, 1),
        }
        .unwrap_err();
        assert_eq!(err.status, Status::NOT_SUPPORTED, "{provider}: {err}");
        let expected = format!("{operation} is not supported by protocol {protocol}");
        assert!(err.message.contains(&expected), "{provider}: {err}");
    }
}
