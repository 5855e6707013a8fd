package tether_test

// Provider protocols against real servers from the repository's tests/peers, started with node:
// socket.io (the `socket.io` package), GraphQL (the `graphql-ws` library) and Pusher (protocol
// 7, written from its reference). The scenarios follow tests/integration/protocol_*_test.cpp.
// Every test ends by checking that no goroutine outlived its clients.

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	tether "github.com/tether-ws/tether/bindings/go"
)

func socketIOURL(p *peer) string { return p.url("/socket.io/") }

// newClient makes an unconnected client, closed when the test ends.
func newClient(t *testing.T, opts tether.Options) *tether.Client {
	t.Helper()
	c, err := tether.New(opts)
	must(t, err)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// ended waits until sub's Messages channel closes, failing on a message, and returns sub.Err().
func ended(t *testing.T, sub *tether.Subscription) error {
	t.Helper()
	select {
	case m, open := <-sub.Messages():
		if open {
			t.Fatalf("message %s on subscription %d, want its end", m.Payload, sub.ID())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("subscription %d did not end", sub.ID())
	}
	return sub.Err()
}

func TestSocketIOSubscribePublishUnsubscribe(t *testing.T) {
	p := startPeer(t, "socketio.js")
	checkGoroutines(t)
	alice := newClient(t, tether.Options{URL: socketIOURL(p), Provider: tether.ProviderSocketIO})
	rec := record(alice, nil)
	chat := subscribe(t, alice, "chat", nil) // made offline: listened for once ready
	must(t, alice.Connect())
	bob := dial(t, socketIOURL(p), tether.WithProvider(tether.ProviderSocketIO))
	bobRec := record(bob, nil)
	waitConfirmed(t, chat)
	if ev := rec.waitFor(t, tether.EventSubscribed, 1)[0]; ev.ID != chat.ID() || ev.Channel != "chat" {
		t.Fatalf("subscribed event = %v", ev)
	}
	if st := stats(t, alice); st.Protocol != tether.ProtocolSocketIO || st.ActiveSubscriptions != 1 {
		t.Fatalf("stats = %+v", st)
	}

	// The server re-broadcasts chat to every socket: one argument, then several.
	must(t, bob.Publish("chat", map[string]string{"text": "Hello!"}))
	must(t, bob.Publish("chat", []any{"bob", map[string]string{"text": "hi"}, 3}))
	for _, want := range []string{`{"text":"Hello!"}`, `["bob",{"text":"hi"},3]`} {
		m := nextMessage(t, chat)
		if m.Subscription != chat.ID() || m.Channel != "chat" || m.EventName != "chat" || string(m.Payload) != want {
			t.Fatalf("message = %+v (%s), want event chat with %s", m, m.Payload, want)
		}
	}
	// bob listens for nothing: the broadcast reaches him as the plain packet.
	bobRec.waitUntil(t, 10*time.Second, "bob's plain chat packet", func(evs []tether.Event) bool {
		for _, m := range messages(evs) {
			if m == `42["chat",{"text":"Hello!"}]` {
				return true
			}
		}
		return false
	})

	must(t, chat.Unsubscribe())
	if _, open := <-chat.Messages(); open {
		t.Fatal("Messages still open after Unsubscribe")
	}
	must(t, bob.Publish("chat", map[string]string{"text": "after"}))
	rec.waitUntil(t, 10*time.Second, "alice's plain chat packet", func(evs []tether.Event) bool {
		for _, m := range messages(evs) {
			if m == `42["chat",{"text":"after"}]` {
				return true
			}
		}
		return false
	})
	if st := stats(t, alice); st.ActiveSubscriptions != 0 {
		t.Fatalf("activeSubscriptions = %d after Unsubscribe", st.ActiveSubscriptions)
	}
	if n := len(ofType(rec.snapshot(), tether.EventChannelMessage)); n != 0 {
		t.Fatalf("%d channel messages on Events: they belong to the subscription", n)
	}
}

func TestSocketIORequests(t *testing.T) {
	p := startPeer(t, "socketio.js")
	checkGoroutines(t)
	c := dial(t, socketIOURL(p), tether.WithProvider(tether.ProviderSocketIO))
	record(c, nil)

	// An array of params is the argument list: add(2, 40, ack) computes on the server.
	got, err := request(t, c, "add", []int{2, 40})
	must(t, err)
	if string(got) != "42" {
		t.Fatalf("add = %s", got)
	}
	got, err = request(t, c, "echo", []any{"x", map[string]int{"y": 1}})
	must(t, err)
	if string(got) != `["x",{"y":1}]` {
		t.Fatalf("echo = %s", got)
	}
	// Socket.IO acks have no error flag: a server's error is part of the result.
	got, err = request(t, c, "fail", nil)
	must(t, err)
	if string(got) != `{"error":{"message":"failed on purpose"}}` {
		t.Fatalf("fail = %s", got)
	}

	// never is never acknowledged: the context's deadline ends it, and the library's timeout
	// (the same deadline) forgets it.
	requestUnanswered(t, c, "never")
	// Cancelled while waiting.
	ctx, cancelNever := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancelNever)
	if _, err := c.Request(ctx, "never", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled never = %v, want context.Canceled", err)
	}
	// The client still answers, and only the cancelled request (no deadline) is pending.
	got, err = request(t, c, "add", []int{1, 2})
	must(t, err)
	if string(got) != "3" {
		t.Fatalf("add after the cancellations = %s", got)
	}
	if st := stats(t, c); st.PendingRequests != 1 {
		t.Fatalf("pendingRequests = %d, want 1 (the cancelled one)", st.PendingRequests)
	}
}

func TestSocketIONamespace(t *testing.T) {
	p := startPeer(t, "socketio.js")
	checkGoroutines(t)
	// The server greets each /admin socket right after the CONNECT ack: a subscription made
	// before connecting hears it.
	admin := newClient(t, tether.Options{URL: socketIOURL(p), Provider: tether.ProviderSocketIO, Namespace: "/admin"})
	record(admin, nil)
	welcome := subscribe(t, admin, "welcome", nil)
	must(t, admin.Connect())
	m := nextMessage(t, welcome)
	var greeting struct{ Nsp string }
	if err := json.Unmarshal(m.Payload, &greeting); err != nil || m.EventName != "welcome" || greeting.Nsp != "/admin" {
		t.Fatalf("welcome = %+v (%s)", m, m.Payload)
	}
	got, err := request(t, admin, "whoami", nil)
	must(t, err)
	if !contains(string(got), `"nsp":"/admin"`) {
		t.Fatalf("whoami = %s", got)
	}

	_, err = tether.Dial(context.Background(), socketIOURL(p),
		tether.WithProvider(tether.ProviderSocketIO), tether.WithNamespace("/nope"))
	if !errors.Is(err, tether.ErrAuth) || !contains(err.Error(), "Invalid namespace") {
		t.Fatalf("Dial to namespace /nope = %v, want ErrAuth naming the invalid namespace", err)
	}
	if _, err := tether.New(tether.Options{URL: socketIOURL(p), Provider: tether.ProviderSocketIO, Namespace: "admin"}); !errors.Is(err, tether.ErrBadOptionValue) {
		t.Fatalf("namespace without its slash = %v, want ErrBadOptionValue", err)
	}
}

func TestSocketIOResubscribesAfterDrop(t *testing.T) {
	p := startPeer(t, "socketio.js")
	checkGoroutines(t)
	alice := newClient(t, tether.Options{URL: socketIOURL(p), Provider: tether.ProviderSocketIO, AuthToken: "alice"})
	rec := record(alice, nil)
	chat := subscribe(t, alice, "chat", nil)
	must(t, alice.Connect())
	bob := dial(t, socketIOURL(p), tether.WithProvider(tether.ProviderSocketIO))
	record(bob, nil)
	waitConfirmed(t, chat)
	first, err := request(t, alice, "whoami", nil)
	must(t, err)

	// drop: the server closes the engine connection under the session, with no goodbye.
	must(t, alice.Publish("drop", []any{}))
	rec.waitFor(t, tether.EventReconnect, 1)
	rec.waitFor(t, tether.EventOpen, 2)
	// A new session, joined with the token again, and the subscription renewed without asking.
	second, err := request(t, alice, "whoami", nil)
	must(t, err)
	if string(second) == string(first) || !contains(string(second), `"token":"alice"`) {
		t.Fatalf("whoami before %s, after %s", first, second)
	}
	for _, ev := range rec.waitFor(t, tether.EventSubscribed, 2) {
		if ev.ID != chat.ID() {
			t.Fatalf("subscribed event %v is not for %d", ev, chat.ID())
		}
	}
	must(t, bob.Publish("chat", map[string]string{"after": "reconnect"}))
	if m := nextMessage(t, chat); string(m.Payload) != `{"after":"reconnect"}` || m.EventName != "chat" {
		t.Fatalf("message after the reconnect = %+v (%s)", m, m.Payload)
	}
	if errs := ofType(rec.snapshot(), tether.EventError); len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	if st := stats(t, alice); st.Reconnects != 1 || st.ActiveSubscriptions != 1 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestSocketIORefusesABadToken(t *testing.T) {
	p := startPeer(t, "socketio.js")
	checkGoroutines(t)
	// The server's middleware refuses the token "bad": ErrAuth, and no reconnect.
	_, err := tether.Dial(context.Background(), socketIOURL(p),
		tether.WithProvider(tether.ProviderSocketIO), tether.WithAuthToken("bad"))
	if !errors.Is(err, tether.ErrAuth) || !contains(err.Error(), "invalid token") {
		t.Fatalf("Dial with a bad token = %v, want ErrAuth with the server's message", err)
	}

	c := newClient(t, tether.Options{URL: socketIOURL(p), Provider: tether.ProviderSocketIO, AuthToken: "bad"})
	rec := record(c, nil)
	must(t, c.Connect())
	rec.waitState(t, tether.StateError) // failed for good: no reconnect follows
	evs := rec.snapshot()
	errs := ofType(evs, tether.EventError)
	if len(errs) != 1 || !errors.Is(errs[0].Err, tether.ErrAuth) || !contains(errs[0].Text, "invalid token") {
		t.Fatalf("errors = %v, want one ErrAuth", errs)
	}
	if n := len(ofType(evs, tether.EventReconnect)) + len(ofType(evs, tether.EventOpen)); n != 0 {
		t.Fatalf("events after the refusal: %v", evs)
	}
	if got := c.State(); got != tether.StateError {
		t.Fatalf("state = %s", got)
	}
}

// A GraphQL server: subscriptions, their refusal and end (with the server's error data),
// queries as requests, and no publish.
func TestGraphQLProvider(t *testing.T) {
	p := startPeer(t, "graphql-transport-ws.js")
	checkGoroutines(t)
	c := dial(t, p.url("/"), tether.WithProvider(tether.ProviderGraphQL), tether.WithAuthToken("good"))
	rec := record(c, nil)
	if st := stats(t, c); st.Protocol != tether.ProtocolGraphQLTransportWS {
		t.Fatalf("protocol = %q", st.Protocol)
	}

	// GraphQL has no publish: a mutation is a request.
	err := c.Publish("room", map[string]string{"text": "hi"})
	var te *tether.Error
	if !errors.Is(err, tether.ErrNotSupported) || !errors.As(err, &te) || !contains(te.Message, "graphql-transport-ws") {
		t.Fatalf("Publish = %v, want ErrNotSupported naming the protocol", err)
	}

	got, err := request(t, c, "query Add($a: Int!, $b: Int!) { add(a: $a, b: $b) }", map[string]int{"a": 2, "b": 40})
	must(t, err)
	if string(got) != `{"data":{"add":42}}` {
		t.Fatalf("add = %s", got)
	}
	// A resolver's error: ErrRemote, the whole result (partial data included) as its Data.
	_, err = request(t, c, "{ hello fail }", nil)
	if !errors.Is(err, tether.ErrRemote) || !errors.As(err, &te) || !contains(te.Message, "failed on purpose") ||
		!contains(string(te.Data()), `"data":{"hello":"world","fail":null}`) {
		t.Fatalf("{ hello fail } = %v (data %s)", err, te.Data())
	}

	room := subscribe(t, c, `subscription { messages(channel: "room") { channel text } }`, nil)
	waitConfirmed(t, room)
	_, err = request(t, c, `{ subscribers(channel: "room", atLeast: 1) }`, nil)
	must(t, err)
	_, err = request(t, c, "mutation Post($channel: String!, $text: String!) { post(channel: $channel, text: $text) }",
		map[string]string{"channel": "room", "text": "Hello!"})
	must(t, err)
	if m := nextMessage(t, room); string(m.Payload) != `{"data":{"messages":{"channel":"room","text":"Hello!"}}}` || m.EventName != "" {
		t.Fatalf("room message = %+v (%s)", m, m.Payload)
	}
	must(t, room.Unsubscribe())

	// The server refuses to start a subscription: it ends with ErrRemote and the server's errors.
	refused := subscribe(t, c, "subscription S($channel: String!) { messages(channel: $channel) { text } }",
		map[string]string{"channel": "forbidden"})
	err = ended(t, refused)
	if !errors.Is(err, tether.ErrRemote) || !errors.As(err, &te) || !contains(te.Message, "subscription to forbidden refused") ||
		!json.Valid(te.Data()) {
		t.Fatalf("refused subscription: Err = %v, Data = %s", err, te.Data())
	}
	failed := rec.waitFor(t, tether.EventSubscribeFailed, 1)[0]
	if failed.ID != refused.ID() || !errors.Is(failed.Err, tether.ErrRemote) || string(failed.Data) != string(failed.Err.Data()) {
		t.Fatalf("subscribe failed event = %v (data %s)", failed, failed.Data)
	}
	if err := refused.Unsubscribe(); !errors.Is(err, tether.ErrInvalidArgument) {
		t.Fatalf("Unsubscribe of a refused subscription = %v", err)
	}

	// The server completes a running subscription: it ends with ErrClosed.
	short := subscribe(t, c, `subscription { messages(channel: "short") { text } }`, nil)
	_, err = request(t, c, `{ subscribers(channel: "short", atLeast: 1) }`, nil)
	must(t, err)
	_, err = request(t, c, `mutation { end(channel: "short") }`, nil)
	must(t, err)
	if err := ended(t, short); !errors.Is(err, tether.ErrClosed) || !contains(err.Error(), "ended") {
		t.Fatalf("completed subscription: Err = %v, want ErrClosed", err)
	}
	if st := stats(t, c); st.ActiveSubscriptions != 0 || st.PendingRequests != 0 {
		t.Fatalf("stats = %+v", st)
	}
}

// A Pusher server: server events carry their event name, a refused private channel carries
// the server's error data, and there is no request.
func TestPusherProvider(t *testing.T) {
	p := startPeer(t, "pusher.js")
	checkGoroutines(t)
	c := newClient(t, tether.Options{URL: p.url("/app/app-key"), Provider: tether.ProviderPusher})
	record(c, nil)
	control := subscribe(t, c, "private-control", map[string]string{"auth": "good"}) // the peer's hooks
	news := subscribe(t, c, "news", nil)
	must(t, c.Connect())
	waitConfirmed(t, control)
	waitConfirmed(t, news)

	// Pusher has no request/response.
	_, err := request(t, c, "anything", map[string]int{})
	if !errors.Is(err, tether.ErrNotSupported) || !contains(err.Error(), "request is not supported by protocol pusher") {
		t.Fatalf("Request = %v, want ErrNotSupported", err)
	}

	// client-trigger asks the server to send an event to the channel's subscribers.
	must(t, c.Publish("private-control", map[string]any{
		"event": "client-trigger",
		"data":  map[string]any{"channel": "news", "event": "headline", "data": map[string]string{"title": "tether ships"}},
	}))
	if m := nextMessage(t, news); m.EventName != "headline" || m.Channel != "news" || string(m.Payload) != `{"title":"tether ships"}` {
		t.Fatalf("news message = %+v (%s)", m, m.Payload)
	}

	// A private channel without a valid auth: refused, with the server's error.
	room := subscribe(t, c, "private-room", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = room.Wait(ctx)
	var te *tether.Error
	if !errors.Is(err, tether.ErrRemote) || !errors.As(err, &te) || !contains(te.Message, "private-room") ||
		!contains(string(te.Data()), `"type":"AuthError"`) {
		t.Fatalf("Wait = %v (data %s), want ErrRemote with the server's AuthError", err, te.Data())
	}
	if err := ended(t, room); !errors.Is(err, tether.ErrRemote) {
		t.Fatalf("Err = %v", err)
	}
}

// Provider presets and query parameters, seen in the request-target that the test server's
// /headers path reports: the preset's parameters, the application's own winning over them.
func TestProviderPresetAndQueryParams(t *testing.T) {
	s := startServer(t)
	checkGoroutines(t)
	target := func(t *testing.T, url string, opts ...tether.Option) string {
		t.Helper()
		c := dial(t, url, opts...)
		rec := record(c, nil)
		var report struct{ Target string }
		must(t, json.Unmarshal(rec.waitFor(t, tether.EventMessage, 1)[0].Data, &report))
		closeClient(t, c)
		return report.Target
	}
	// ably: protocol raw, the token as ?key=, and format=json.
	got := target(t, s.url("/headers"), tether.WithProvider(tether.ProviderAbly), tether.WithAuthToken("k-1"))
	if !contains(got, "format=json") || !contains(got, "key=k-1") {
		t.Fatalf("ably target = %q", got)
	}
	// The application's queryParams replace the preset's, and its authMethod wins too.
	got = target(t, s.url("/headers?keep=url"), tether.WithProvider(tether.ProviderAbly),
		tether.WithQueryParams(map[string]string{"v": "2", "keep": "param"}), tether.WithAuth(tether.AuthNone, "k-1"))
	if !contains(got, "v=2") || !contains(got, "keep=url") || contains(got, "keep=param") || contains(got, "format=") || contains(got, "key=") {
		t.Fatalf("target with the application's options = %q", got)
	}
	// Query parameters without a provider.
	c := dial(t, s.url("/auth/query?param=token&expect=from-params"),
		tether.WithQueryParams(map[string]string{"token": "from-params"}))
	closeClient(t, c)

	if _, err := tether.New(tether.Options{URL: s.url("/echo"), Provider: "nope"}); !errors.Is(err, tether.ErrBadOptionValue) {
		t.Fatalf("provider nope = %v, want ErrBadOptionValue", err)
	}
	if _, err := tether.New(tether.Options{URL: s.url("/echo"), QueryParams: map[string]string{"": "x"}}); !errors.Is(err, tether.ErrBadOptionValue) {
		t.Fatalf("empty query parameter name = %v, want ErrBadOptionValue", err)
	}
}
