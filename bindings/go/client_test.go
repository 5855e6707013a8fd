package tether_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tether "github.com/tether-ws/tether/bindings/go"
)

func dial(t *testing.T, url string, opts ...tether.Option) *tether.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := tether.Dial(ctx, url, opts...)
	if err != nil {
		t.Fatalf("Dial(%s): %v", url, err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

func closeClient(t *testing.T, c *tether.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestEcho(t *testing.T) {
	s := startServer(t)
	c := dial(t, s.url("/echo"), tether.WithMessageFormat(tether.FormatJSON))
	rec := record(c, nil)
	if got := c.State(); got != tether.StateAuthenticated {
		t.Fatalf("State() = %s after Dial", got)
	}
	must(t, c.Send([]byte(`{"type":"chat","message":"Hello!"}`)))
	must(t, c.SendText("nul\x00inside"))
	must(t, c.SendBinary([]byte{0, 0xff, 1}))
	must(t, c.SendJSON(map[string]int{"n": 1}))
	msgs := rec.waitFor(t, tether.EventMessage, 4)
	want := []string{`{"type":"chat","message":"Hello!"}`, "nul\x00inside", "\x00\xff\x01", `{"n":1}`}
	if got := messages(msgs); !reflect.DeepEqual(got, want) {
		t.Fatalf("echoes = %q, want %q", got, want)
	}
	types := []tether.MessageType{msgs[0].MessageType, msgs[1].MessageType, msgs[2].MessageType, msgs[3].MessageType}
	if !reflect.DeepEqual(types, []tether.MessageType{tether.MessageText, tether.MessageText, tether.MessageBinary, tether.MessageText}) {
		t.Fatalf("message types = %v", types)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	must(t, c.CloseWith(ctx, 1000, "User logged out"))
	evs := rec.closed(t)
	wantStates := []tether.State{tether.StateConnecting, tether.StateConnected, tether.StateAuthenticated, tether.StateDisconnected}
	if got := states(evs); !reflect.DeepEqual(got, wantStates) {
		t.Fatalf("states = %v, want %v", got, wantStates)
	}
	closes := ofType(evs, tether.EventClose)
	if len(closes) != 1 || closes[0].Code != 1000 || closes[0].Text != "User logged out" || !closes[0].WasClean || closes[0].Err != nil {
		t.Fatalf("close events = %v", closes)
	}
	if evs[len(evs)-1].Type != tether.EventState {
		t.Fatalf("the last event is %v, want the state that CLOSE leads to", evs[len(evs)-1])
	}
	if len(ofType(evs, tether.EventReconnect)) != 0 {
		t.Fatal("a close by the application reconnected")
	}
	if err := c.SendText("late"); !errors.Is(err, tether.ErrClosed) {
		t.Fatalf("Send after Close = %v, want ErrClosed", err)
	}
	must(t, c.Close(ctx)) // closing again does nothing
}

func TestAuthQueryParam(t *testing.T) {
	s := startServer(t)
	t.Run("right token", func(t *testing.T) {
		c := dial(t, s.url("/auth/query?param=access_token&expect=s3cr3t-tok"),
			tether.WithAuth(tether.AuthQueryParam, "s3cr3t-tok"), tether.WithTokenParamName("access_token"))
		st, err := c.Stats()
		must(t, err)
		if !contains(st.URL, "access_token=***") || contains(st.URL, "access_token=s3cr3t") {
			t.Fatalf("stats URL %q is not redacted", st.URL)
		}
	})
	t.Run("wrong token", func(t *testing.T) {
		_, err := tether.Dial(context.Background(), s.url("/auth/query?param=token&expect=right"),
			tether.WithAuth(tether.AuthQueryParam, "wrong-secret-value"))
		if !errors.Is(err, tether.ErrAuth) {
			t.Fatalf("Dial = %v, want ErrAuth", err)
		}
		if !contains(err.Error(), "401") || contains(err.Error(), "wrong-secret-value") {
			t.Fatalf("error text %q should name 401 and never the token", err)
		}
	})
}

func TestAuthSubprotocol(t *testing.T) {
	s := startServer(t)
	c := dial(t, s.url("/auth/subprotocol?expect=tok-123"),
		tether.WithAuth(tether.AuthSubprotocol, "tok-123"), tether.WithSubprotocols("chat.v1"))
	open := record(c, nil).waitFor(t, tether.EventOpen, 1)
	if open[0].Text != "chat.v1" {
		t.Fatalf("negotiated subprotocol = %q, want chat.v1", open[0].Text)
	}
}

func TestAuthFirstMessage(t *testing.T) {
	s := startServer(t)
	t.Run("confirmed by the reply type, queued message after auth", func(t *testing.T) {
		c, err := tether.New(tether.Options{
			URL:             s.url("/auth/first-message?expect=tk-9x&type=authenticate&reply=auth_ok"),
			AuthMethod:      tether.AuthFirstMessage,
			AuthToken:       "tk-9x",
			AuthSuccessType: "auth_ok",
			MessageFormat:   tether.FormatText,
		})
		must(t, err)
		t.Cleanup(func() { _ = c.Close(context.Background()) })
		rec := record(c, nil)
		must(t, c.SendText("queued before auth"))
		must(t, c.Connect())
		rec.waitFor(t, tether.EventOpen, 1)
		msgs := rec.waitFor(t, tether.EventMessage, 1)
		if string(msgs[0].Data) != "queued before auth" {
			t.Fatalf("first message = %q", msgs[0].Data)
		}
		want := []tether.State{tether.StateConnecting, tether.StateConnected, tether.StateAuthenticating, tether.StateAuthenticated}
		if got := states(rec.snapshot()); !reflect.DeepEqual(got, want) {
			t.Fatalf("states = %v, want %v", got, want)
		}
	})
	t.Run("a custom template", func(t *testing.T) {
		dial(t, s.url("/auth/first-message?expect=jwt-1&type=connection_init&reply=connection_ack"),
			tether.WithAuth(tether.AuthFirstMessage, "jwt-1"),
			tether.WithAuthMessage("", `{"type":"connection_init","payload":{"authorization":"Bearer {{token}}"}}`, "connection_ack"))
	})
	t.Run("refused token: no reconnect", func(t *testing.T) {
		_, err := tether.Dial(context.Background(), s.url("/auth/first-message?expect=good"),
			tether.WithAuth(tether.AuthFirstMessage, "bad"), tether.WithAuthMessage("", "", "auth_ok"))
		// The server answers with close 1008 while the client authenticates: an auth failure.
		if !errors.Is(err, tether.ErrAuth) || !contains(err.Error(), "1008") {
			t.Fatalf("Dial = %v, want ErrAuth naming 1008", err)
		}
	})
	t.Run("no reply within authTimeout", func(t *testing.T) {
		_, err := tether.Dial(context.Background(), s.url("/auth/first-message?expect=t&silent=1"),
			tether.WithAuth(tether.AuthFirstMessage, "t"), tether.WithAuthMessage("", "", "auth_ok"),
			tether.WithAuthTimeout(200*time.Millisecond), tether.WithReconnect(1, 10*time.Millisecond, 0))
		if !errors.Is(err, tether.ErrTimeout) {
			t.Fatalf("Dial = %v, want ErrTimeout", err)
		}
	})
}

func TestTLS(t *testing.T) {
	s := startServer(t)
	t.Run("trusted CA", func(t *testing.T) {
		c := dial(t, s.tlsURL("/echo"), tether.WithCAFile(s.CAFile), tether.WithMessageFormat(tether.FormatText))
		rec := record(c, nil)
		must(t, c.SendText("secure"))
		if m := rec.waitFor(t, tether.EventMessage, 1); string(m[0].Data) != "secure" {
			t.Fatalf("echo = %q", m[0].Data)
		}
	})
	t.Run("system store only: refused", func(t *testing.T) {
		_, err := tether.Dial(context.Background(), s.tlsURL("/echo"))
		if !errors.Is(err, tether.ErrTLS) {
			t.Fatalf("Dial = %v, want ErrTLS", err)
		}
	})
}

func TestReconnectFlushesQueuedMessagesInOrder(t *testing.T) {
	s := startServer(t)
	c, err := tether.New(tether.Options{
		URL:            s.url("/flaky?key=order&fail_first=1&after_messages=0&mode=drop"),
		MessageFormat:  tether.FormatText,
		ReconnectDelay: 200 * time.Millisecond,
	})
	must(t, err)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	rec := record(c, nil)
	must(t, c.Connect())
	rec.waitFor(t, tether.EventReconnect, 1)
	for i := 0; i < 100; i++ {
		must(t, c.SendWithID(tether.MessageDefault, []byte("m"+strconv.Itoa(i)), uint64(1000+i)))
	}
	sent := rec.waitFor(t, tether.EventSent, 100)
	for i, ev := range sent {
		if ev.ID != uint64(1000+i) {
			t.Fatalf("SENT #%d has id %d", i, ev.ID)
		}
	}
	evs := rec.waitUntil(t, 10*time.Second, "100 echoes", func(evs []tether.Event) bool {
		return len(echoes(evs, "m")) >= 100
	})
	for i, m := range echoes(evs, "m") {
		if m != "m"+strconv.Itoa(i) {
			t.Fatalf("echo #%d = %q: out of order", i, m)
		}
	}
	st, err := c.Stats()
	must(t, err)
	if st.Reconnects != 1 {
		t.Fatalf("stats reconnects = %d, want 1", st.Reconnects)
	}
}

func echoes(evs []tether.Event, prefix string) []string {
	var out []string
	for _, m := range messages(evs) {
		if strings.HasPrefix(m, prefix) {
			out = append(out, m)
		}
	}
	return out
}

func TestTokenRefreshAtReconnect(t *testing.T) {
	s := startServer(t)
	c, err := tether.New(tether.Options{
		URL:           s.url("/flaky?key=refresh&fail_first=1"),
		AuthMethod:    tether.AuthQueryParam,
		AuthToken:     "first-token",
		MessageFormat: tether.FormatText,
	})
	must(t, err)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	rec := record(c, func(ev tether.Event) {
		if ev.Type == tether.EventReconnect {
			_ = c.SetToken("second-token")
		}
	})
	must(t, c.Connect())
	got := messages(rec.waitFor(t, tether.EventMessage, 2))
	want := []string{`{"connection":1,"token":"first-token"}`, `{"connection":2,"token":"second-token"}`}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("greetings = %q, want %q", got, want)
	}
}

func TestDialSeesTheOutcomeWhileNobodyReads(t *testing.T) {
	s := startServer(t)
	// Four refused upgrades make more events than the channel holds before Dial returns.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	_, err := tether.Dial(ctx, s.url("/reject?status=503"), tether.WithEventBuffer(1),
		tether.WithReconnect(3, 10*time.Millisecond, 20*time.Millisecond))
	if !errors.Is(err, tether.ErrHandshake) || !contains(err.Error(), "gave up after 3") {
		t.Fatalf("Dial = %v, want ErrHandshake giving up after 3 attempts", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Dial took %s", d)
	}
}

func TestCloseWhileReconnecting(t *testing.T) {
	c, err := tether.New(tether.Options{URL: "ws://127.0.0.1:1/", ReconnectDelay: time.Hour, MaxReconnectDelay: time.Hour})
	must(t, err)
	rec := record(c, nil)
	must(t, c.Connect())
	rec.waitFor(t, tether.EventReconnect, 1)
	start := time.Now()
	must(t, c.Close(context.Background()))
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Close took %s", d)
	}
	evs := rec.closed(t)
	if last := evs[len(evs)-1]; last.Type != tether.EventState || last.State != tether.StateDisconnected {
		t.Fatalf("last event %v, want state disconnected; events %v", last, evs)
	}
}

func TestKeepAliveTimeout(t *testing.T) {
	s := startServer(t)
	c := dial(t, s.url("/silent"), tether.WithKeepAlive(100*time.Millisecond, 200*time.Millisecond),
		tether.WithReconnect(1, 0, 0))
	rec := record(c, nil)
	rec.waitFor(t, tether.EventReconnect, 1)
	evs := rec.snapshot()
	errs := ofType(evs, tether.EventError)
	if len(errs) == 0 || !errors.Is(errs[0].Err, tether.ErrPongTimeout) {
		t.Fatalf("error events = %v, want a pong timeout", errs)
	}
	if cl := ofType(evs, tether.EventClose); len(cl) == 0 || cl[0].Code != 1006 {
		t.Fatalf("close events = %v, want code 1006", cl)
	}
}

func TestCloseCodes(t *testing.T) {
	s := startServer(t)
	t.Run("server 1011 reconnects", func(t *testing.T) {
		c := dial(t, s.url("/close?code=1011&reason=oops&after_ms=50"), tether.WithReconnect(1, 0, 0))
		rec := record(c, nil)
		rec.waitFor(t, tether.EventReconnect, 1)
		cl := ofType(rec.snapshot(), tether.EventClose)[0]
		if cl.Code != 1011 || cl.Text != "oops" || !cl.WasClean {
			t.Fatalf("close = %v", cl)
		}
		if tether.CloseCodeString(cl.Code) == "Unknown close code" {
			t.Fatalf("no meaning for 1011")
		}
	})
	t.Run("server 1008 does not reconnect", func(t *testing.T) {
		c := dial(t, s.url("/close?code=1008&after_ms=50"))
		rec := record(c, nil)
		rec.waitState(t, tether.StateError)
		if n := len(ofType(rec.snapshot(), tether.EventReconnect)); n != 0 {
			t.Fatalf("%d reconnects after 1008", n)
		}
	})
	t.Run("application code and reason", func(t *testing.T) {
		c := dial(t, s.url("/echo"))
		rec := record(c, nil)
		if err := c.CloseWith(context.Background(), 1006, ""); !errors.Is(err, tether.ErrInvalidArgument) {
			t.Fatalf("CloseWith(1006) = %v, want ErrInvalidArgument", err)
		}
		if err := c.CloseWith(context.Background(), 4000, "\xff"); !errors.Is(err, tether.ErrInvalidUTF8) {
			t.Fatalf("CloseWith(bad UTF-8) = %v, want ErrInvalidUTF8", err)
		}
		must(t, c.SendText(`"still open"`)) // a refused close changes nothing
		must(t, c.CloseWith(context.Background(), 4000, "bye"))
		cl := ofType(rec.closed(t), tether.EventClose)
		if len(cl) != 1 || cl[0].Code != 4000 || cl[0].Text != "bye" {
			t.Fatalf("close = %v", cl)
		}
	})
	for code, want := range map[int]string{1000: "Normal closure", 4001: "Application-defined", 42: "Unknown close code"} {
		if got := tether.CloseCodeString(code); got != want {
			t.Errorf("CloseCodeString(%d) = %q, want %q", code, got, want)
		}
	}
}

func TestConcurrentSendFrom50Goroutines(t *testing.T) {
	s := startServer(t)
	c := dial(t, s.url("/echo"), tether.WithMessageFormat(tether.FormatText), tether.WithQueueLimits(100000, 0))
	rec := record(c, nil)
	const goroutines, each = 50, 40
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				msg := fmt.Sprintf("%d:%d", g, i)
				err := c.SendText(msg)
				for errors.Is(err, tether.ErrQueueFull) {
					runtime.Gosched()
					err = c.SendText(msg)
				}
				if err != nil {
					errs <- err
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
	msgs := messages(rec.waitFor(t, tether.EventMessage, goroutines*each))
	next := make([]int, goroutines)
	for _, m := range msgs {
		var g, i int
		if _, err := fmt.Sscanf(m, "%d:%d", &g, &i); err != nil {
			t.Fatalf("unexpected echo %q", m)
		}
		if i != next[g] {
			t.Fatalf("goroutine %d: got message %d, want %d", g, i, next[g])
		}
		next[g]++
	}
}

func TestContextCancellation(t *testing.T) {
	s := startServer(t)
	t.Run("Dial gives up when its context ends", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := tether.Dial(ctx, s.url("/hang"), tether.WithTimeouts(0, 10*time.Second, 0))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Dial = %v, want context.DeadlineExceeded", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("Dial returned after %s", d)
		}
	})
	t.Run("Dial with a cancelled context does nothing", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := tether.Dial(ctx, s.url("/echo")); !errors.Is(err, context.Canceled) {
			t.Fatalf("Dial = %v, want context.Canceled", err)
		}
	})
	t.Run("Close stops waiting for a silent peer", func(t *testing.T) {
		c := dial(t, s.url("/silent"), tether.WithTimeouts(0, 0, 5*time.Second))
		rec := record(c, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancel()
		start := time.Now()
		if err := c.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Close = %v, want context.DeadlineExceeded", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("Close returned after %s", d)
		}
		rec.closed(t) // the client is released all the same
		if c.State() != tether.StateDisconnected {
			t.Fatalf("State() = %s after Close", c.State())
		}
	})
	t.Run("without a deadline, Close ends within closeTimeout", func(t *testing.T) {
		c := dial(t, s.url("/silent"), tether.WithTimeouts(0, 0, 300*time.Millisecond))
		rec := record(c, nil)
		start := time.Now()
		must(t, c.Close(context.Background()))
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("Close returned after %s", d)
		}
		cl := ofType(rec.closed(t), tether.EventClose)
		if len(cl) != 1 || cl[0].WasClean {
			t.Fatalf("close = %v, want one unclean close", cl)
		}
	})
}

func TestBadInput(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	expect := func(t *testing.T, err, want error, inMessage string) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Fatalf("error = %v, want %v", err, want)
		}
		var te *tether.Error
		if !errors.As(err, &te) || !contains(te.Message, inMessage) {
			t.Fatalf("error %v should mention %q", err, inMessage)
		}
	}
	t.Run("options", func(t *testing.T) {
		_, err := tether.Dial(ctx, "http://example.com/")
		expect(t, err, tether.ErrBadURL, "http")
		_, err = tether.Dial(ctx, "")
		expect(t, err, tether.ErrBadOptionValue, "url")
		_, err = tether.Dial(ctx, s.url("/echo"), tether.WithOption("pingIntervall", "1"))
		expect(t, err, tether.ErrUnknownOption, "pingIntervall")
		_, err = tether.Dial(ctx, s.url("/echo"), tether.WithOption("pingInterval", "soon"))
		expect(t, err, tether.ErrBadOptionValue, "pingInterval")
		_, err = tether.Dial(ctx, s.url("/echo"), tether.WithKeepAlive(0, -time.Second))
		expect(t, err, tether.ErrBadOptionValue, "pongTimeout")
		_, err = tether.Dial(ctx, s.url("/echo"), tether.WithAuth(tether.AuthQueryParam, "to\x00ken"))
		expect(t, err, tether.ErrInvalidArgument, "NUL")
		_, err = tether.Dial(ctx, s.url("/echo"), tether.WithHeaders(map[string]string{"Host": "x"}))
		expect(t, err, tether.ErrBadOptionValue, "headers")
		_, err = tether.NewRuntime(0)
		expect(t, err, tether.ErrInvalidArgument, "threads")
	})
	t.Run("sends", func(t *testing.T) {
		c, err := tether.New(tether.Options{URL: s.url("/echo"), MaxMessageSize: 10, MaxQueuedMessages: 3})
		must(t, err)
		defer closeClient(t, c)
		expect(t, c.Send([]byte("{not json")), tether.ErrInvalidJSON, "JSON")
		expect(t, c.SendText("\xc3\x28"), tether.ErrInvalidUTF8, "")
		expect(t, c.SendBinary(make([]byte, 11)), tether.ErrMessageTooBig, "")
		expect(t, c.SendWithID(7, []byte("x"), 0), tether.ErrInvalidArgument, "")
		var unsupported *json.UnsupportedTypeError
		if err := c.SendJSON(make(chan int)); !errors.As(err, &unsupported) {
			t.Fatalf("SendJSON(chan) = %v", err)
		}
		expect(t, c.SetToken("\xff"), tether.ErrInvalidUTF8, "")
		for i := 0; i < 3; i++ {
			must(t, c.Send([]byte("1")))
		}
		err = c.Send([]byte("1"))
		expect(t, err, tether.ErrQueueFull, "maxQueuedMessages")
		if errors.Is(err, tether.ErrAuth) {
			t.Fatal("ErrQueueFull matched ErrAuth")
		}
		if m, b := c.Buffered(); m != 3 || b != 3 {
			t.Fatalf("Buffered() = %d, %d; want 3, 3", m, b)
		}
	})
	t.Run("offline queue off", func(t *testing.T) {
		c, err := tether.New(tether.Options{URL: s.url("/echo"), DisableOfflineQueue: true})
		must(t, err)
		defer closeClient(t, c)
		expect(t, c.Send([]byte("1")), tether.ErrNotConnected, "")
	})
	t.Run("connect twice", func(t *testing.T) {
		c := dial(t, s.url("/echo"))
		expect(t, c.Connect(), tether.ErrBadState, "")
	})
}

func TestStatusTable(t *testing.T) {
	table := map[*tether.Error]string{
		tether.ErrInvalidArgument: "INVALID_ARGUMENT", tether.ErrUnknownOption: "UNKNOWN_OPTION",
		tether.ErrBadOptionValue: "BAD_OPTION_VALUE", tether.ErrBadURL: "BAD_URL",
		tether.ErrNoMemory: "NO_MEMORY", tether.ErrBadState: "BAD_STATE",
		tether.ErrQueueFull: "QUEUE_FULL", tether.ErrNotConnected: "NOT_CONNECTED",
		tether.ErrTimeout: "TIMEOUT", tether.ErrWouldDeadlock: "WOULD_DEADLOCK",
		tether.ErrInvalidJSON: "INVALID_JSON", tether.ErrInvalidUTF8: "INVALID_UTF8",
		tether.ErrDNS: "DNS", tether.ErrConnect: "CONNECT", tether.ErrTLS: "TLS",
		tether.ErrHandshake: "HANDSHAKE", tether.ErrAuth: "AUTH", tether.ErrProxy: "PROXY",
		tether.ErrProtocol: "PROTOCOL", tether.ErrMessageTooBig: "MESSAGE_TOO_BIG",
		tether.ErrClosed: "CLOSED", tether.ErrPongTimeout: "PONG_TIMEOUT", tether.ErrIO: "IO",
		tether.ErrNotSupported: "NOT_SUPPORTED", tether.ErrInternal: "INTERNAL",
		tether.ErrCancelled: "CANCELLED", tether.ErrRemote: "REMOTE",
	}
	seen := map[tether.Status]bool{}
	for e, name := range table {
		if got := e.Status.Name(); got != "TETHER_E_"+name {
			t.Errorf("status %d is %s in the library, want TETHER_E_%s", e.Status, got, name)
		}
		if seen[e.Status] {
			t.Errorf("status %d used twice", e.Status)
		}
		seen[e.Status] = true
		if e.Error() == "" || e.Status.String() == "" {
			t.Errorf("no text for %s", name)
		}
	}
	// Every status the library knows has its Err* value here: a code added to tether.h shows up.
	for st := tether.Status(-1); st >= -200; st-- {
		if name := st.Name(); name != "TETHER_E_UNKNOWN" && !seen[st] {
			t.Errorf("status %d (%s) has no Err* value in the binding", st, name)
		}
	}
	if tether.StatusOK.Name() != "TETHER_OK" {
		t.Errorf("StatusOK is %s", tether.StatusOK.Name())
	}
	err := fmt.Errorf("wrapped: %w", &tether.Error{Status: tether.StatusQueueFull, Message: "detail"})
	if !errors.Is(err, tether.ErrQueueFull) || errors.Is(err, tether.ErrClosed) {
		t.Fatal("errors.Is does not compare by status through wrapping")
	}
	for st := tether.StateDisconnected; st <= tether.StateError; st++ {
		if strings.HasPrefix(st.String(), "unknown") || st.String() == "" {
			t.Errorf("state %d has no name", st)
		}
	}
	if tether.EventMessage.String() != "message" {
		t.Errorf("EventMessage is %q", tether.EventMessage.String())
	}
	if tether.Version() == "" {
		t.Error("no version")
	}
}

func TestMessageUtilities(t *testing.T) {
	msg, err := tether.CreateMessage("chat", map[string]string{"text": "hi"}, "42")
	must(t, err)
	var m map[string]any
	must(t, json.Unmarshal(msg, &m))
	if m["type"] != "chat" || m["id"] != "42" || m["payload"].(map[string]any)["text"] != "hi" || m["timestamp"].(float64) <= 0 {
		t.Fatalf("CreateMessage = %s", msg)
	}
	msg, err = tether.CreateMessage("ping", nil, "")
	must(t, err)
	m = nil
	must(t, json.Unmarshal(msg, &m))
	if _, hasID := m["id"]; hasID || m["payload"] != nil {
		t.Fatalf("CreateMessage without payload and id = %s", msg)
	}
	if _, err := tether.CreateMessage("", nil, ""); err == nil {
		t.Fatal("CreateMessage with an empty type succeeded")
	}

	env, err := tether.ParseMessage([]byte(`{"type":"t","payload":{"a":1},"id":7,"timestamp":1700000000000}`))
	must(t, err)
	if env.Type != "t" || env.ID != "7" || string(env.Payload) != `{"a":1}` || env.Timestamp != 1700000000000 {
		t.Fatalf("ParseMessage = %+v", env)
	}
	env, err = tether.ParseMessage([]byte("plain text"))
	must(t, err)
	if env.Type != "" || string(env.Payload) != `"plain text"` {
		t.Fatalf("ParseMessage(text) = %+v", env)
	}
	if _, err := tether.ParseMessage(nil); err != nil {
		t.Fatalf("ParseMessage(empty) = %v", err)
	}
	if _, err := tether.ParseMessage([]byte{0xff}); !errors.Is(err, tether.ErrInvalidUTF8) {
		t.Fatalf("ParseMessage(bad UTF-8) = %v", err)
	}
}

func TestStatsAndRuntime(t *testing.T) {
	s := startServer(t)
	rt, err := tether.NewRuntime(2)
	must(t, err)
	var clients []*tether.Client
	for i := 0; i < 3; i++ {
		clients = append(clients, dial(t, s.url("/echo"), tether.WithRuntime(rt), tether.WithMessageFormat(tether.FormatText)))
	}
	rt.Close() // the clients keep it running
	if _, err := tether.New(tether.Options{URL: s.url("/echo"), Runtime: rt}); !errors.Is(err, tether.ErrClosed) {
		t.Fatalf("New on a closed runtime = %v", err)
	}
	for _, c := range clients {
		rec := record(c, nil)
		must(t, c.SendText("12345"))
		rec.waitFor(t, tether.EventMessage, 1)
		st, err := c.Stats()
		must(t, err)
		if st.State != tether.StateAuthenticated || st.MessagesSent != 1 || st.MessagesReceived != 1 || st.BytesSent != 5 {
			t.Fatalf("stats = %+v", st)
		}
	}
}

// baselineGoroutines counts goroutines once those of earlier tests have had time to end.
func baselineGoroutines() int {
	runtime.GC()
	time.Sleep(100 * time.Millisecond)
	return runtime.NumGoroutine()
}

// settledGoroutines waits until the goroutine count falls to want, returning the last count.
func settledGoroutines(want int) int {
	n := runtime.NumGoroutine()
	for deadline := time.Now().Add(3 * time.Second); n > want && time.Now().Before(deadline); {
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}

func TestNoGoroutineLeakAfterClose(t *testing.T) {
	s := startServer(t)
	before := baselineGoroutines()
	for i := 0; i < 5; i++ {
		c, err := tether.Dial(context.Background(), s.url("/echo"), tether.WithMessageFormat(tether.FormatText))
		must(t, err)
		must(t, c.SendText("x"))
		for ev := range c.Events() {
			if ev.Type == tether.EventMessage {
				break
			}
		}
		closeClient(t, c)
	}
	// A client nobody reads from, closed while its channel is full.
	c, err := tether.Dial(context.Background(), s.url("/echo"), tether.WithMessageFormat(tether.FormatText), tether.WithEventBuffer(1))
	must(t, err)
	for i := 0; i < 20; i++ {
		must(t, c.SendText("unread"))
	}
	time.Sleep(50 * time.Millisecond)
	closeClient(t, c)
	// Failed and abandoned dials, and a client that never connected.
	if _, err := tether.Dial(context.Background(), s.url("/reject?status=403")); err == nil {
		t.Fatal("Dial to /reject succeeded")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := tether.Dial(ctx, s.url("/hang")); err == nil {
		t.Fatal("Dial to /hang succeeded")
	}
	idle, err := tether.New(tether.Options{URL: s.url("/echo")})
	must(t, err)
	closeClient(t, idle)
	if after := settledGoroutines(before); after > before {
		t.Fatalf("%d goroutines before, %d after Close", before, after)
	}
}

func TestFinalizerReleasesAnAbandonedClient(t *testing.T) {
	s := startServer(t)
	before := baselineGoroutines()
	func() {
		c, err := tether.New(tether.Options{URL: s.url("/echo")})
		must(t, err)
		must(t, c.Connect())
	}()
	if after := settledGoroutines(before); after > before {
		t.Fatalf("%d goroutines before, %d after the client became unreachable", before, after)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
