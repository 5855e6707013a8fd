package tether

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// quickPolls is how many times the poller looks at the queue again, yielding to other goroutines
// in between, after it found it empty. Then it waits up to shortWaitMs inside the library (its
// thread blocked in C, woken at once by the next event), and only then parks in Go until the
// doorbell rings (see doorbell.go): a ring is a call into Go from the library's I/O thread, which
// costs that thread microseconds, so a client in a steady flow of messages should not need one.
const (
	quickPolls  = 4
	shortWaitMs = 1
)

// Client is one resilient WebSocket connection. All its methods are safe for concurrent use.
//
// Events arrive in order on the channel that Events returns, fed by one goroutine that polls
// the library's event queue. Close the client with Close, which stops that goroutine. A Client
// that the program drops without Close is destroyed by a finalizer as a safety net: keep the
// *Client reachable for as long as you read its events.
type Client struct {
	*client // the state lives in an inner struct that the poller may hold without keeping the Client reachable
}

type client struct {
	mu     sync.RWMutex // read-held by every call into the library, write-held to destroy the handle
	native nativeClient // zero once destroyed

	events   chan Event
	bell     doorbell      // rung by the library when its queue of events becomes non-empty
	stop     chan struct{} // closed to ask the poller to finish
	stopOnce sync.Once
	done     chan struct{} // closed once the poller has destroyed the handle and closed events

	// While Dial or Close waits, nobody may be reading events: the poller then keeps what it
	// cannot deliver instead of waiting for a reader, so that it sees the outcome.
	dialing        atomic.Bool
	dialResult     chan error // receives the outcome of the connect that Dial waits for
	closeRequested atomic.Bool
	closing        chan struct{} // closed once a close was accepted: wakes a poller waiting for a reader
	closed         chan struct{} // closed when, after Close, the client reached disconnected or error
	closedOnce     sync.Once

	closeMu   sync.Mutex // serialises Close
	closeDone bool
	closeWait time.Duration

	// The connection manager (manager.go).
	messageBuffer int // capacity of each Subscription's Messages channel
	subsMu        sync.Mutex
	subs          map[uint64]*Subscription // live subscriptions by id
	subsClosed    bool                     // set once the handle is gone: no new subscription
	reqMu         sync.Mutex
	pending       map[uint64]chan response // requests waiting for their RESPONSE, by id
	reqClosed     bool                     // set once the handle is gone: no new request
	nextRequestID atomic.Uint64
	lateResponses atomic.Uint64 // responses that came after their Request had returned
}

// New makes a client from opts without connecting it; call Connect to start, then read Events.
// Most programs use Dial instead.
func New(opts Options) (*Client, error) {
	settings, err := opts.settings()
	if err != nil {
		return nil, err
	}
	no, err := newNativeOptions()
	if err != nil {
		return nil, err
	}
	defer no.destroy()
	for _, s := range settings {
		if err := no.set(s.key, s.value); err != nil {
			return nil, err
		}
	}
	var nc nativeClient
	bell := newDoorbell()
	err = opts.Runtime.withNative(func(rt nativeRuntime) error {
		var err error
		nc, err = newNativeClient(rt, no, bell)
		return err
	})
	if err != nil {
		return nil, err
	}
	buffer := opts.EventBuffer
	if buffer <= 0 {
		buffer = DefaultEventBuffer
	}
	inner := &client{
		native:     nc,
		events:     make(chan Event, buffer),
		bell:       bell,
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
		dialResult: make(chan error, 1),
		closing:    make(chan struct{}),
		closed:     make(chan struct{}),
		closeWait:  opts.closeWait(),

		messageBuffer: buffer,
		subs:          make(map[uint64]*Subscription),
		pending:       make(map[uint64]chan response),
	}
	go inner.run()
	c := &Client{inner}
	runtime.SetFinalizer(c, func(c *Client) { c.client.shutdown() })
	return c, nil
}

// Dial makes a client for url with the given options, connects it and waits until it is ready
// (authenticated): then it returns the client, whose Events channel holds everything that
// happened so far. Failed attempts are retried as the reconnect options say; Dial fails when the
// client gives up (the error is the last failure, e.g. ErrAuth or ErrConnect) or when ctx ends
// (the error wraps ctx.Err()). A client that Dial does not return is already released.
func Dial(ctx context.Context, url string, opts ...Option) (*Client, error) {
	o := Options{URL: url}
	for _, opt := range opts {
		opt(&o)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("tether: dial: %w", err)
	}
	c, err := New(o)
	if err != nil {
		return nil, err
	}
	c.dialing.Store(true)
	if err := c.Connect(); err != nil {
		c.release()
		return nil, err
	}
	select {
	case err = <-c.dialResult:
	case <-ctx.Done():
		err = fmt.Errorf("tether: dial: %w", ctx.Err())
	}
	if err != nil {
		c.release()
		return nil, err
	}
	c.dialing.Store(false)
	c.bell.ring() // what the poller kept while Dial waited can go to Events now
	return c, nil
}

// Connect starts connecting a client made with New. It returns at once; events report the
// progress. After a close that ended in StateDisconnected or StateError it starts over.
func (c *Client) Connect() error {
	return c.withNative(func(n nativeClient) error { return n.connect() })
}

// Events returns the channel of the client's events, in order. It is closed once Close has
// finished. Read it steadily: when it is full the client stops reading from the socket
// (Options.EventBuffer and Options.MaxPollQueue set how much waits).
func (c *Client) Events() <-chan Event { return c.events }

// Send queues data as one message, text or binary as Options.MessageFormat says (with FormatJSON
// it must be JSON). It never blocks: a full queue is ErrQueueFull. Messages sent while the
// client is not ready are sent in order once it is, unless queueing offline is turned off.
func (c *Client) Send(data []byte) error { return c.SendWithID(MessageDefault, data, 0) }

// SendText queues text (which must be UTF-8) as one text message.
func (c *Client) SendText(text string) error {
	return c.withNative(func(n nativeClient) error { return n.sendString(MessageText, text, 0) })
}

// SendBinary queues data as one binary message.
func (c *Client) SendBinary(data []byte) error { return c.SendWithID(MessageBinary, data, 0) }

// SendJSON encodes v with encoding/json and queues it as one text message.
func (c *Client) SendJSON(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.SendWithID(MessageText, data, 0)
}

// SendWithID queues one message of type t. A non-zero id comes back in an EventSent once the
// message is written to the socket, or in an EventSendFailed if it never will be.
func (c *Client) SendWithID(t MessageType, data []byte, id uint64) error {
	return c.withNative(func(n nativeClient) error { return n.send(t, data, id) })
}

// SetToken replaces the token that the next (re)connect presents; "" clears it. The
// EventReconnect event is the moment to call it: the attempt that event announces uses the new
// token. The current connection is not touched.
func (c *Client) SetToken(token string) error {
	return c.withNative(func(n nativeClient) error { return n.setToken(token) })
}

// State returns the current connection state (StateDisconnected once closed).
func (c *Client) State() State {
	s := StateDisconnected
	_ = c.withNative(func(n nativeClient) error { s = n.state(); return nil })
	return s
}

// Buffered returns what waits in the outgoing queue, in messages and bytes (the specification's
// bufferedAmount); zero once closed.
func (c *Client) Buffered() (messages, bytes uint64) {
	_ = c.withNative(func(n nativeClient) error { messages, bytes = n.buffered(); return nil })
	return messages, bytes
}

// Stats is a snapshot of a client's counters.
type Stats struct {
	State            State
	MessagesSent     uint64
	MessagesReceived uint64
	BytesSent        uint64
	BytesReceived    uint64
	Reconnects       uint64
	Latency          time.Duration // the last ping round trip; negative before the first pong
	QueuedMessages   uint64
	QueuedBytes      uint64
	URL              string // with any token replaced by "***"

	// The connection manager's counters (zero with ProtocolRaw).
	ActiveSubscriptions uint64   // subscriptions made and not ended
	PendingRequests     uint64   // requests the library still waits an answer for
	Protocol            Protocol // the protocol spoken (ProtocolRaw when none)
}

// Stats returns a snapshot of the client's counters.
func (c *Client) Stats() (Stats, error) {
	var text string
	err := c.withNative(func(n nativeClient) error {
		var err error
		text, err = n.statsJSON()
		return err
	})
	if err != nil {
		return Stats{}, err
	}
	var raw struct {
		State            string `json:"state"`
		MessagesSent     uint64 `json:"messagesSent"`
		MessagesReceived uint64 `json:"messagesReceived"`
		BytesSent        uint64 `json:"bytesSent"`
		BytesReceived    uint64 `json:"bytesReceived"`
		Reconnects       uint64 `json:"reconnects"`
		LatencyMs        int64  `json:"latencyMs"`
		QueuedMessages   uint64 `json:"queuedMessages"`
		QueuedBytes      uint64 `json:"queuedBytes"`
		URL              string `json:"url"`

		ActiveSubscriptions uint64 `json:"activeSubscriptions"`
		PendingRequests     uint64 `json:"pendingRequests"`
		Protocol            string `json:"protocol"`
	}
	if err := json.Unmarshal([]byte(text), &raw); err != nil {
		return Stats{}, &Error{Status: StatusInternal, Message: "stats: " + err.Error()}
	}
	s := Stats{
		State:            parseState(raw.State),
		MessagesSent:     raw.MessagesSent,
		MessagesReceived: raw.MessagesReceived,
		BytesSent:        raw.BytesSent,
		BytesReceived:    raw.BytesReceived,
		Reconnects:       raw.Reconnects,
		Latency:          time.Duration(raw.LatencyMs) * time.Millisecond,
		QueuedMessages:   raw.QueuedMessages,
		QueuedBytes:      raw.QueuedBytes,
		URL:              raw.URL,

		ActiveSubscriptions: raw.ActiveSubscriptions,
		PendingRequests:     raw.PendingRequests,
		Protocol:            Protocol(raw.Protocol),
	}
	if s.Protocol == "" {
		s.Protocol = ProtocolRaw // the library names the protocol only when it is not raw
	}
	return s, nil
}

func parseState(name string) State {
	for s := StateDisconnected; s <= StateError; s++ {
		if s.String() == name {
			return s
		}
	}
	return StateDisconnected
}

// Close closes the client gracefully with code 1000; see CloseWith.
func (c *Client) Close(ctx context.Context) error { return c.CloseWith(ctx, 1000, "") }

// CloseWith closes the client gracefully: messages already queued are sent, then a close frame
// with code (1000 or 3000-4999) and reason (at most 123 bytes of UTF-8), and it waits for the
// close to finish (the library bounds that by Options.CloseTimeout) or for ctx to end. Then it
// stops the poller, releases the client and closes the Events channel, whatever happened: the
// result is nil, or ctx's error when ctx ended first. Invalid arguments change nothing and are
// reported as ErrInvalidArgument or ErrInvalidUTF8. Closing a closed client does nothing.
func (c *Client) CloseWith(ctx context.Context, code int, reason string) error {
	c.closeMu.Lock()
	defer c.closeMu.Unlock()
	if c.closeDone {
		return nil
	}
	// The flag goes up before the state is read: a terminal STATE event that the poller took
	// before it is already visible in that state, and one after it signals c.closed.
	c.closeRequested.Store(true)
	state := c.State()
	if err := c.withNative(func(n nativeClient) error { return n.close(code, reason) }); err != nil {
		c.closeRequested.Store(false)
		c.bell.ring() // as after Dial: the poller may hand over what it kept
		return err
	}
	close(c.closing)
	var waitErr error
	if state != StateDisconnected && state != StateError {
		timer := time.NewTimer(c.closeWait)
		defer timer.Stop()
		select {
		case <-c.closed:
		case <-ctx.Done():
			waitErr = ctx.Err()
		case <-c.done: // released meanwhile (only a finalizer could): nothing left to wait for
		case <-timer.C:
			waitErr = &Error{Status: StatusTimeout, Message: "the close did not finish within closeTimeout"}
		}
	}
	c.release()
	c.closeDone = true
	runtime.KeepAlive(c) // the finalizer must not release the client while Close waits
	return waitErr
}

// release stops the poller and waits until it has destroyed the handle.
func (c *client) release() {
	c.shutdown()
	<-c.done
}

// shutdown asks the poller to finish without waiting; the finalizer's path.
func (c *client) shutdown() { c.stopOnce.Do(func() { close(c.stop) }) }

// withNative runs f with the handle, which cannot be destroyed meanwhile.
func (c *client) withNative(f func(nativeClient) error) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.native.p == nil {
		return &Error{Status: StatusClosed, Message: "the client is closed"}
	}
	return f(c.native)
}

// outcome is what the poller has learnt so far about how a connect went.
type outcome struct {
	reported bool
	lastErr  *Error
	close    *Event
}

// delivery is one thing the poller has to hand over: an event for Events (sub == nil) or a
// channel message for a Subscription's Messages.
type delivery struct {
	ev  Event
	sub *Subscription
}

// run is the poller goroutine: it moves events from the library's queue to c.events and to
// the subscriptions, in order, and answers the waiting requests.
func (c *client) run() {
	var backlog []delivery
	var polled []Event
	idlePolls := quickPolls + 1 // looks in a row that found nothing; see quickPolls
	var dial outcome
	defer func() { c.finish(backlog) }()
	for {
		var stopped bool
		if backlog, stopped = c.deliver(backlog); stopped {
			return
		}
		// Only as many as Events has room for: when the reader lags, the rest stays in the
		// library's queue, whose limit (maxPollQueue) pauses reading from the socket.
		room := cap(c.events) - len(c.events)
		timeout := 0
		if idlePolls == quickPolls {
			timeout = shortWaitMs
		}
		park := idlePolls > quickPolls // park if this look finds nothing
		err := c.withNative(func(n nativeClient) error {
			if park {
				n.armBell() // before the look: an event that comes after it rings the bell
			}
			var err error
			polled, err = n.poll(polled[:0], timeout, room)
			if park && len(polled) > 0 {
				n.disarmBell()
			}
			return err
		})
		switch {
		case len(polled) > 0:
			idlePolls = 0
		case !park:
			idlePolls++
			if timeout == 0 {
				// Let the reader run on this thread: what it sends is often answered before
				// the next look at the queue.
				runtime.Gosched()
			}
		case err == nil:
			// The next event rings the bell (READY), and so do Dial and Close when what the
			// poller keeps may go to Events.
			select {
			case <-c.bell:
			case <-c.stop:
			}
		}
		for i := range polled {
			c.observe(polled[i], &dial)
			if d, keep := c.route(polled[i]); keep {
				backlog = append(backlog, d)
			}
			polled[i] = Event{} // the reader owns it now
		}
		if err != nil {
			// Only a bug can bring us here; report it once and stop rather than spin.
			backlog = append(backlog, delivery{ev: Event{Type: EventError, Text: err.Error(), Err: asError(err)}})
			return
		}
	}
}

// deliver hands waiting events to the reader. It blocks only when the program may be reading
// (neither Dial nor Close is waiting); stopped is true when the poller must finish.
func (c *client) deliver(backlog []delivery) (rest []delivery, stopped bool) {
	for len(backlog) > 0 {
		wait := !c.dialing.Load() && !c.closeRequested.Load()
		done, stopped := c.handOver(backlog[0], wait)
		if stopped {
			return backlog, true
		}
		if done {
			backlog = backlog[1:]
			continue
		}
		if !wait {
			return backlog, false // keep polling; the rest waits, in order
		}
		// c.closing fired: go round again, now without waiting
	}
	select {
	case <-c.stop:
		return nil, true
	default:
		return nil, false
	}
}

// handOver gives d to its reader. done is true once it was taken (or dropped: the
// subscription ended); with wait, it blocks until then, until a close is requested (done
// false) or until the poller must stop (stopped).
func (c *client) handOver(d delivery, wait bool) (done, stopped bool) {
	if d.sub != nil {
		return d.sub.offer(d.ev, wait, c.closing, c.stop)
	}
	// The common case first: a send with room, without a select over three channels.
	select {
	case c.events <- d.ev:
		return true, false
	default:
	}
	if !wait {
		select {
		case c.events <- d.ev:
			return true, false
		case <-c.stop:
			return false, true
		default:
			return false, false
		}
	}
	select {
	case c.events <- d.ev:
		return true, false
	case <-c.closing:
		return false, false
	case <-c.stop:
		return false, true
	}
}

// tryHandOver gives d to its reader if that takes no waiting (or drops it when its
// subscription ended); false when the reader has no room.
func (c *client) tryHandOver(d delivery) bool {
	if d.sub != nil {
		done, _ := d.sub.offer(d.ev, false, nil, nil)
		return done
	}
	select {
	case c.events <- d.ev:
		return true
	default:
		return false
	}
}

// observe notes what Dial and Close wait for.
func (c *client) observe(ev Event, dial *outcome) {
	switch ev.Type {
	case EventError:
		dial.lastErr = ev.Err
	case EventClose:
		closeEv := ev
		dial.close = &closeEv
	case EventOpen:
		if c.dialing.Load() && !dial.reported {
			dial.reported = true
			c.dialResult <- nil
		}
	case EventState:
		if ev.State != StateDisconnected && ev.State != StateError {
			return
		}
		if c.dialing.Load() && !dial.reported {
			dial.reported = true
			c.dialResult <- dial.failure()
		}
		if c.closeRequested.Load() {
			c.closedOnce.Do(func() { close(c.closed) })
		}
	}
}

func (o *outcome) failure() error {
	if o.lastErr != nil {
		return o.lastErr
	}
	if o.close != nil && o.close.Err != nil {
		return o.close.Err
	}
	if o.close != nil {
		return &Error{Status: StatusClosed, Message: fmt.Sprintf(
			"the server closed the connection before it was ready: code %d (%s) reason %q",
			o.close.Code, CloseCodeString(o.close.Code), o.close.Text)}
	}
	return &Error{Status: StatusClosed, Message: "the connection ended before it was ready"}
}

// finish runs when the poller stops: what is still queued is handed over if the reader has room
// (the last CLOSE and STATE events, typically), then the handle is destroyed and events closed.
func (c *client) finish(backlog []delivery) {
	delivered := true
	offer := func(d delivery) {
		if !delivered {
			return
		}
		if !c.tryHandOver(d) {
			delivered = false // drop the rest rather than deliver out of order
		}
	}
	for _, d := range backlog {
		offer(d)
	}
	var polled []Event
	for delivered {
		err := c.withNative(func(n nativeClient) error {
			var err error
			polled, err = n.poll(polled[:0], 0, maxPollBatch)
			return err
		})
		for _, ev := range polled {
			if d, keep := c.route(ev); keep {
				offer(d)
			}
		}
		if err != nil || len(polled) == 0 {
			break
		}
	}
	c.mu.Lock()
	c.native.destroy()
	c.native = nativeClient{}
	c.mu.Unlock()
	c.endManager()
	close(c.events)
	close(c.done)
}

func asError(err error) *Error {
	if e, ok := err.(*Error); ok {
		return e
	}
	return &Error{Status: StatusInternal, Message: err.Error()}
}
