package tether_test

// The connection manager against tether-test-server's /json path (tests/server/README.md), the
// scenarios of tests/integration/manager_test.cpp.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	tether "github.com/tether-ws/tether/bindings/go"
)

func jsonClient(t *testing.T, url string, opts ...tether.Option) *tether.Client {
	t.Helper()
	return dial(t, url, append([]tether.Option{tether.WithProtocol(tether.ProtocolJSON)}, opts...)...)
}

func subscribe(t *testing.T, c *tether.Client, channel string, params any) *tether.Subscription {
	t.Helper()
	sub, err := c.Subscribe(channel, params)
	must(t, err)
	if sub.ID() == 0 || sub.Channel() != channel {
		t.Fatalf("subscription id %d channel %q", sub.ID(), sub.Channel())
	}
	return sub
}

func waitConfirmed(t *testing.T, sub *tether.Subscription) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	must(t, sub.Wait(ctx))
}

func nextMessage(t *testing.T, sub *tether.Subscription) tether.ChannelMessage {
	t.Helper()
	select {
	case m, ok := <-sub.Messages():
		if !ok {
			t.Fatalf("Messages of subscription %d closed: %v", sub.ID(), sub.Err())
		}
		return m
	case <-time.After(10 * time.Second):
		t.Fatalf("no message on subscription %d", sub.ID())
	}
	panic("unreachable")
}

func request(t *testing.T, c *tether.Client, method string, params any) (json.RawMessage, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.Request(ctx, method, params)
}

// requestUnanswered calls method, which the server never answers, with a 200 ms deadline: the
// call must end with context.DeadlineExceeded at that deadline.
func requestUnanswered(t *testing.T, c *tether.Client, method string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := c.Request(ctx, method, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%s = %v, want context.DeadlineExceeded", method, err)
	}
	if d := time.Since(start); d < 190*time.Millisecond || d > 2*time.Second {
		t.Fatalf("%s returned after %s", method, d)
	}
}

func stats(t *testing.T, c *tether.Client) tether.Stats {
	t.Helper()
	st, err := c.Stats()
	must(t, err)
	return st
}

func TestChannelsSubscribePublishUnsubscribe(t *testing.T) {
	s := startServer(t)
	alice, err := tether.New(tether.Options{URL: s.url("/json"), Protocol: tether.ProtocolJSON})
	must(t, err)
	t.Cleanup(func() { _ = alice.Close(context.Background()) })
	rec := record(alice, nil)
	chat := subscribe(t, alice, "chat", nil) // made offline: sent once ready
	must(t, alice.Connect())
	bob := jsonClient(t, s.url("/json"))
	record(bob, nil)
	waitConfirmed(t, chat)
	subscribed := rec.waitFor(t, tether.EventSubscribed, 1)[0]
	if subscribed.ID != chat.ID() || subscribed.Channel != "chat" {
		t.Fatalf("subscribed event = %+v", subscribed)
	}
	chatToo := subscribe(t, alice, "chat", map[string]int{"since": 0}) // a second handler, same channel
	waitConfirmed(t, chatToo)

	must(t, bob.Publish("chat", map[string]string{"text": "Hello!"}))
	for _, sub := range []*tether.Subscription{chat, chatToo} {
		m := nextMessage(t, sub)
		if m.Subscription != sub.ID() || m.Channel != "chat" || string(m.Payload) != `{"text":"Hello!"}` {
			t.Fatalf("message on %d = %+v (%s)", sub.ID(), m, m.Payload)
		}
	}
	if st := stats(t, alice); st.ActiveSubscriptions != 2 || st.Protocol != tether.ProtocolJSON {
		t.Fatalf("stats = %+v", st)
	}

	must(t, alice.Unsubscribe(chat))
	must(t, chatToo.Unsubscribe())
	if err := alice.Unsubscribe(chat); !errors.Is(err, tether.ErrInvalidArgument) {
		t.Fatalf("second Unsubscribe = %v, want ErrInvalidArgument", err)
	}
	if err := bob.Unsubscribe(chatToo); !errors.Is(err, tether.ErrInvalidArgument) {
		t.Fatalf("Unsubscribe on another client = %v, want ErrInvalidArgument", err)
	}
	for _, sub := range []*tether.Subscription{chat, chatToo} {
		if _, open := <-sub.Messages(); open {
			t.Fatalf("Messages of %d still open after Unsubscribe", sub.ID())
		}
		if sub.Err() != nil {
			t.Fatalf("Err after Unsubscribe = %v", sub.Err())
		}
	}
	if st := stats(t, alice); st.ActiveSubscriptions != 0 {
		t.Fatalf("activeSubscriptions = %d after Unsubscribe", st.ActiveSubscriptions)
	}
	// The server was told (alice's unsubscribe goes out before her request).
	got, err := request(t, alice, "subscribers", map[string]string{"channel": "chat"})
	must(t, err)
	if string(got) != `{"count":0}` {
		t.Fatalf("subscribers = %s", got)
	}
	if n := len(ofType(rec.snapshot(), tether.EventMessage)); n != 0 {
		t.Fatalf("%d plain MESSAGE events: channel messages belong to the subscriptions", n)
	}
	if n := len(ofType(rec.snapshot(), tether.EventChannelMessage)) + len(ofType(rec.snapshot(), tether.EventResponse)); n != 0 {
		t.Fatalf("%d channel-message/response events on Events", n)
	}
}

func TestChannelsRefusedSubscription(t *testing.T) {
	s := startServer(t)
	c := jsonClient(t, s.url("/json"))
	rec := record(c, nil)
	sub := subscribe(t, c, "forbidden-room", map[string]int{"since": 0})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := sub.Wait(ctx)
	var te *tether.Error
	if !errors.Is(err, tether.ErrRemote) || !errors.As(err, &te) || !contains(te.Message, "forbidden-room") {
		t.Fatalf("Wait = %v, want ErrRemote naming the channel", err)
	}
	failed := rec.waitFor(t, tether.EventSubscribeFailed, 1)[0]
	if failed.ID != sub.ID() || failed.Channel != "forbidden-room" || !errors.Is(failed.Err, tether.ErrRemote) {
		t.Fatalf("subscribe failed event = %v", failed)
	}
	if _, open := <-sub.Messages(); open {
		t.Fatal("Messages of a refused subscription is open")
	}
	if !errors.Is(sub.Err(), tether.ErrRemote) {
		t.Fatalf("Err = %v", sub.Err())
	}
	if err := c.Unsubscribe(sub); !errors.Is(err, tether.ErrInvalidArgument) {
		t.Fatalf("Unsubscribe of a refused subscription = %v", err)
	}
}

func TestRequests(t *testing.T) {
	s := startServer(t)
	c := jsonClient(t, s.url("/json"))
	record(c, nil)

	got, err := request(t, c, "add", map[string]int{"a": 2, "b": 40})
	must(t, err)
	if string(got) != `{"sum":42}` {
		t.Fatalf("add = %s", got)
	}
	got, err = request(t, c, "echo", json.RawMessage(`{"n":12}`))
	must(t, err)
	if string(got) != `{"n":12}` {
		t.Fatalf("echo = %s", got)
	}
	got, err = request(t, c, "echo", nil)
	must(t, err)
	if string(got) != `null` {
		t.Fatalf("echo without params = %s", got)
	}
	_, err = request(t, c, "fail", nil)
	var te *tether.Error
	if !errors.Is(err, tether.ErrRemote) || !errors.As(err, &te) || te.Status != tether.StatusRemote ||
		!contains(te.Message, "request failed on purpose") {
		t.Fatalf("fail = %v, want ErrRemote with the server's message", err)
	}
	if _, err = request(t, c, "nope", nil); !errors.Is(err, tether.ErrRemote) || !contains(err.Error(), "unknown method") {
		t.Fatalf("nope = %v", err)
	}

	// never: the context's deadline ends it, and is passed on as the request's timeout.
	requestUnanswered(t, c, "never")
	time.Sleep(300 * time.Millisecond)
	if st := stats(t, c); st.PendingRequests != 0 {
		t.Fatalf("pendingRequests = %d: the library did not get the deadline", st.PendingRequests)
	}
	if n := tether.LateResponses(c); n > 1 {
		t.Fatalf("%d late responses; at most the timed-out one", n)
	}
	late := tether.LateResponses(c)

	// Cancelled while waiting: ctx.Err(), and the answer that comes later is dropped.
	ctx, cancelSlow := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancelSlow)
	if _, err := c.Request(ctx, "slow", map[string]int{"delay_ms": 300}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled slow = %v, want context.Canceled", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for tether.LateResponses(c) != late+1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := tether.LateResponses(c); n != late+1 {
		t.Fatalf("late responses = %d, want %d: the slow answer was not dropped", n, late+1)
	}
	if _, err := c.Request(ctx, "echo", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Request with a cancelled context = %v", err)
	}
	// Everything else was answered exactly once: no other late answer ever came.
	time.Sleep(100 * time.Millisecond)
	if n := tether.LateResponses(c); n != late+1 {
		t.Fatalf("late responses = %d, want %d", n, late+1)
	}
	if st := stats(t, c); st.PendingRequests != 0 {
		t.Fatalf("pendingRequests = %d", st.PendingRequests)
	}
}

func TestConcurrentRequests(t *testing.T) {
	s := startServer(t)
	c := jsonClient(t, s.url("/json"), tether.WithQueueLimits(100000, 0))
	record(c, nil)
	const goroutines, each = 50, 20
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				method, params := "echo", map[string]int{"g": g, "i": i}
				if i%5 == 0 {
					method, params = "slow", map[string]int{"g": g, "i": i, "delay_ms": 20} // overtaken by later answers
				}
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				got, err := c.Request(ctx, method, params)
				cancel()
				if err != nil {
					errs <- err
					return
				}
				var back map[string]int
				if err := json.Unmarshal(got, &back); err != nil || back["g"] != g || back["i"] != i {
					errs <- fmt.Errorf("goroutine %d request %d got %s", g, i, got)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := tether.LateResponses(c); n != 0 {
		t.Fatalf("%d answers had no waiting request", n)
	}
	if st := stats(t, c); st.PendingRequests != 0 {
		t.Fatalf("pendingRequests = %d", st.PendingRequests)
	}
}

func TestResubscribeAfterReconnect(t *testing.T) {
	s := startServer(t)
	// The server drops the first connection once it has received two messages.
	c, err := tether.New(tether.Options{
		URL:            s.url("/json?key=go-resub&drop_after_messages=2"),
		Protocol:       tether.ProtocolJSON,
		ReconnectDelay: 300 * time.Millisecond,
	})
	must(t, err)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	rec := record(c, nil)
	room := subscribe(t, c, "room", nil) // message 1
	must(t, c.Connect())
	waitConfirmed(t, room)

	// Message 2 is dropped with the connection: the request fails with ErrClosed.
	if _, err := request(t, c, "never", nil); !errors.Is(err, tether.ErrClosed) {
		t.Fatalf("request on the dropped connection = %v, want ErrClosed", err)
	}
	rec.waitFor(t, tether.EventReconnect, 1)
	// Made while reconnecting: queued, sent after the re-subscription.
	got, err := request(t, c, "subscribers", map[string]string{"channel": "room"})
	must(t, err)
	if string(got) != `{"count":1}` {
		t.Fatalf("subscribers after the reconnect = %s", got)
	}
	for _, ev := range rec.waitFor(t, tether.EventSubscribed, 2) {
		if ev.ID != room.ID() {
			t.Fatalf("subscribed event %v is not for %d", ev, room.ID())
		}
	}
	must(t, c.Publish("room", map[string]string{"after": "reconnect"}))
	if m := nextMessage(t, room); string(m.Payload) != `{"after":"reconnect"}` {
		t.Fatalf("message after the reconnect = %s", m.Payload)
	}
	if st := stats(t, c); st.Reconnects != 1 || st.ActiveSubscriptions != 1 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestManagerAfterClose(t *testing.T) {
	s := startServer(t)
	c := jsonClient(t, s.url("/json"))
	rec := record(c, nil)
	sub := subscribe(t, c, "news", nil)
	waitConfirmed(t, sub)
	result := make(chan error, 1)
	go func() {
		_, err := c.Request(context.Background(), "never", nil)
		result <- err
	}()
	time.Sleep(100 * time.Millisecond)
	closeClient(t, c)
	rec.closed(t)
	select {
	case err := <-result:
		if !errors.Is(err, tether.ErrClosed) {
			t.Fatalf("pending request after Close = %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the pending request did not end with Close")
	}
	if _, open := <-sub.Messages(); open || !errors.Is(sub.Err(), tether.ErrClosed) {
		t.Fatalf("subscription after Close: open=%t err=%v", open, sub.Err())
	}
	if _, err := c.Subscribe("news", nil); !errors.Is(err, tether.ErrClosed) {
		t.Fatalf("Subscribe after Close = %v", err)
	}
	if _, err := c.Request(context.Background(), "echo", nil); !errors.Is(err, tether.ErrClosed) {
		t.Fatalf("Request after Close = %v", err)
	}
}

func TestManagerErrors(t *testing.T) {
	s := startServer(t)
	raw := dial(t, s.url("/echo"))
	if _, err := raw.Subscribe("chat", nil); !errors.Is(err, tether.ErrNotSupported) {
		t.Fatalf("Subscribe with protocol raw = %v, want ErrNotSupported", err)
	}
	if err := raw.Publish("chat", map[string]int{}); !errors.Is(err, tether.ErrNotSupported) {
		t.Fatalf("Publish with protocol raw = %v, want ErrNotSupported", err)
	}
	if _, err := request(t, raw, "m", nil); !errors.Is(err, tether.ErrNotSupported) {
		t.Fatalf("Request with protocol raw = %v, want ErrNotSupported", err)
	}
	if st := stats(t, raw); st.Protocol != tether.ProtocolRaw {
		t.Fatalf("protocol = %q", st.Protocol)
	}

	c, err := tether.New(tether.Options{URL: s.url("/json"), Protocol: tether.ProtocolJSON})
	must(t, err)
	defer closeClient(t, c)
	if _, err := c.Subscribe("\xff", nil); !errors.Is(err, tether.ErrInvalidUTF8) {
		t.Fatalf("Subscribe(bad UTF-8) = %v", err)
	}
	if _, err := c.Subscribe("chat", json.RawMessage(`{oops`)); err == nil {
		t.Fatal("Subscribe with invalid JSON params succeeded")
	}
	var unsupported *json.UnsupportedTypeError
	if err := c.Publish("chat", make(chan int)); !errors.As(err, &unsupported) {
		t.Fatalf("Publish(chan) = %v", err)
	}
	if _, err := c.Request(context.Background(), "m", func() {}); !errors.As(err, &unsupported) {
		t.Fatalf("Request(func) = %v", err)
	}
	if _, err := tether.New(tether.Options{URL: s.url("/json"), Protocol: "xml"}); !errors.Is(err, tether.ErrBadOptionValue) {
		t.Fatalf("protocol xml = %v, want ErrBadOptionValue", err)
	}
}
