package tether

// The connection manager: channels (Subscribe, Unsubscribe, Publish) and requests (Request),
// spoken over the protocol of Options.Protocol or of Options.Provider's preset (ProtocolJSON,
// ProtocolSocketIO, ...). With ProtocolRaw every call here fails with ErrNotSupported, and so
// does an operation the protocol does not have.

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"sync"
	"time"
)

// ChannelMessage is one message published on a subscribed channel.
type ChannelMessage struct {
	Subscription uint64          // the ID of the Subscription it was delivered to
	Channel      string          // the channel
	Payload      json.RawMessage // the published payload, JSON text (owned by the message)

	// EventName is the protocol's name for the message, where it has one: the Socket.IO
	// event, the Phoenix or Pusher event, the SignalR target, the Binance event type ("trade");
	// "" for the others (json, GraphQL, Action Cable).
	EventName string
}

// Subscription is a live subscription to a channel, made with Client.Subscribe. Its methods
// are safe for concurrent use.
//
// Messages published on the channel arrive on Messages, in order. That channel holds up to
// Options.EventBuffer messages (DefaultEventBuffer when zero); when it is full the client's
// poller waits for the reader, exactly as it does for a full Events channel, so every event of
// the client (and every Request's answer) waits too: read each subscription steadily, or
// Unsubscribe. Messages closes when the subscription ends: Unsubscribe, the server's refusal
// or end (see Err) or the client's Close.
//
// A subscription lives across reconnects: the client subscribes again after each one, and an
// EventSubscribed with the same ID appears on Events each time.
type Subscription struct {
	id      uint64
	channel string
	owner   *client // not *Client: a subscription must not keep an abandoned Client from its finalizer

	messages  chan ChannelMessage
	ended     chan struct{} // closed when the subscription ends, before messages is closed
	endOnce   sync.Once
	confirmed chan struct{} // closed on the server's first answer: confirmation or refusal
	confOnce  sync.Once

	mu     sync.RWMutex // read-held by the poller while it hands over a message, write-held to close messages
	closed bool         // messages is closed

	infoMu     sync.Mutex
	err        error // why it ended; nil while live and after Unsubscribe
	confirmErr error // the refusal, once confirmed is closed
}

// ID returns the subscription's id, never 0. It is the ID of the EventSubscribed and
// EventSubscribeFailed events about this subscription.
func (s *Subscription) ID() uint64 { return s.id }

// Channel returns the channel the subscription is for.
func (s *Subscription) Channel() string { return s.channel }

// Messages returns the channel of the subscription's messages; see Subscription for its buffer
// and when it closes.
func (s *Subscription) Messages() <-chan ChannelMessage { return s.messages }

// Wait waits until the server confirmed the subscription (nil), refused it (an *Error with
// ErrRemote's status, the server's message and its error JSON in Data), the subscription
// ended first (ErrClosed) or ctx ended (ctx.Err()). A subscription made while offline is
// confirmed once the client is ready. With protocols whose servers do not confirm
// subscriptions (socketio, GraphQL, SignalR) the client confirms it itself once the
// subscription is in place on the current connection.
func (s *Subscription) Wait(ctx context.Context) error {
	select {
	case <-s.confirmed:
		return s.confirmation()
	case <-s.ended:
		select {
		case <-s.confirmed:
			return s.confirmation()
		default:
		}
		if err := s.Err(); err != nil {
			return err
		}
		return &Error{Status: StatusClosed, Message: "the subscription ended before the server confirmed it"}
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Err reports why the subscription ended: the server's refusal or failure (ErrRemote, with
// its message, and its error JSON in the *Error's Data), the server's end of it (ErrClosed:
// a GraphQL subscription completed) or the client's close (ErrClosed). It is nil while the
// subscription lives and after Unsubscribe.
func (s *Subscription) Err() error {
	s.infoMu.Lock()
	defer s.infoMu.Unlock()
	return s.err
}

// Unsubscribe ends the subscription; see Client.Unsubscribe.
func (s *Subscription) Unsubscribe() error {
	err := s.owner.withNative(func(n nativeClient) error {
		s.owner.subsMu.Lock()
		defer s.owner.subsMu.Unlock()
		if err := n.unsubscribe(s.id); err != nil {
			return err
		}
		delete(s.owner.subs, s.id)
		return nil
	})
	if err != nil {
		return err
	}
	s.end(nil)
	return nil
}

func newSubscription(owner *client, id uint64, channel string) *Subscription {
	return &Subscription{
		id:        id,
		channel:   channel,
		owner:     owner,
		messages:  make(chan ChannelMessage, owner.messageBuffer),
		ended:     make(chan struct{}),
		confirmed: make(chan struct{}),
	}
}

// confirmedOK reports whether the server has confirmed the subscription.
func (s *Subscription) confirmedOK() bool {
	select {
	case <-s.confirmed:
		return s.confirmation() == nil
	default:
		return false
	}
}

func (s *Subscription) confirmation() error {
	s.infoMu.Lock()
	defer s.infoMu.Unlock()
	return s.confirmErr
}

// confirm records the server's first answer; later ones (after reconnects) change nothing.
func (s *Subscription) confirm(refusal *Error) {
	s.confOnce.Do(func() {
		if refusal != nil {
			s.infoMu.Lock()
			s.confirmErr = refusal
			s.infoMu.Unlock()
		}
		close(s.confirmed)
	})
}

// end ends the subscription once: ended is closed first, which wakes a poller waiting to hand
// over a message, then messages is closed under the write lock, which no sender holds then.
func (s *Subscription) end(reason *Error) {
	s.endOnce.Do(func() {
		if reason != nil {
			s.infoMu.Lock()
			s.err = reason
			s.infoMu.Unlock()
		}
		close(s.ended)
		s.mu.Lock()
		s.closed = true
		close(s.messages)
		s.mu.Unlock()
	})
}

// offer hands a CHANNEL_MESSAGE event to the reader of Messages; see client.handOver. A message
// for a subscription that has ended is dropped (done).
func (s *Subscription) offer(ev Event, wait bool, closing, stop <-chan struct{}) (done, stopped bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return true, false
	}
	m := ChannelMessage{Subscription: s.id, Channel: ev.Channel, Payload: json.RawMessage(ev.Data), EventName: ev.Text}
	if !wait {
		select {
		case s.messages <- m:
			return true, false
		case <-s.ended:
			return true, false
		case <-stop:
			return false, true
		default:
			return false, false
		}
	}
	select {
	case s.messages <- m:
		return true, false
	case <-s.ended:
		return true, false
	case <-closing:
		return false, false
	case <-stop:
		return false, true
	}
}

// Subscribe subscribes to channel. params, when not nil, is encoded with encoding/json and sent
// along (a filter, a starting point...). It returns at once: the server's answer comes later as
// an EventSubscribed or EventSubscribeFailed on Events (Subscription.Wait waits for it). A
// subscription made before the client is ready is sent once it is. Several subscriptions to one
// channel share one on the wire (the params of the first are the ones sent), and each gets
// every message; a subscription to a channel the server has already confirmed is confirmed at
// once, as the server is not asked again.
//
// What channel and params mean is the protocol's: an event name for Socket.IO (no params), a
// subscription document and its variables for GraphQL, a topic and its join payload for
// Phoenix; see README.md. Errors: ErrNotSupported (ProtocolRaw), ErrInvalidUTF8,
// ErrInvalidArgument (also params the protocol has no place for), ErrClosed, or the encoding
// error of params.
func (c *Client) Subscribe(channel string, params any) (*Subscription, error) {
	p, err := marshalOptional(params)
	if err != nil {
		return nil, err
	}
	var sub *Subscription
	err = c.withNative(func(n nativeClient) error {
		// Held across the call: the poller cannot look the id up before it is in the map.
		c.subsMu.Lock()
		defer c.subsMu.Unlock()
		if c.subsClosed {
			return &Error{Status: StatusClosed, Message: "the client is closed"}
		}
		id, err := n.subscribe(channel, p)
		if err != nil {
			return err
		}
		sub = newSubscription(c.client, id, channel)
		// The library shares one subscription per channel on the wire: when the server already
		// confirmed the channel, no new confirmation comes, so this one is confirmed now.
		for _, other := range c.subs {
			if other.channel == channel && other.confirmedOK() {
				sub.confirm(nil)
				break
			}
		}
		c.subs[id] = sub
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sub, nil
}

// Unsubscribe ends sub: its Messages channel is closed once this returns, and the server is told
// when it was the channel's last subscription. Ending a subscription that already ended (or
// that the server refused) is ErrInvalidArgument; ErrNotSupported with ProtocolRaw.
func (c *Client) Unsubscribe(sub *Subscription) error {
	if sub == nil || sub.owner != c.client {
		return &Error{Status: StatusInvalidArgument, Message: "not a subscription of this client"}
	}
	return sub.Unsubscribe()
}

// Publish encodes payload with encoding/json and publishes it on channel. Like Send it never
// blocks: it is queued in order with the client's other messages, also while the client
// reconnects. With ProtocolSocketIO and ProtocolSignalR a JSON array payload is the argument
// list; Phoenix and Pusher take {"event","payload"} / {"event","data"}. Errors are those of
// Send, plus ErrNotSupported with ProtocolRaw and with protocols that have no publish
// (GraphQL, where a mutation is a Request; Binance), and ErrInvalidArgument for a payload
// without the shape the protocol needs.
func (c *Client) Publish(channel string, payload any) error {
	data, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	return c.withNative(func(n nativeClient) error { return n.publish(channel, string(data), 0) })
}

// response is the outcome of one request, handed from the poller to Request.
type response struct {
	result json.RawMessage
	err    error
}

// Request calls method on the server with params (encoded with encoding/json; nil sends none)
// and waits for the answer, which it returns as JSON text. With ProtocolSocketIO it emits the
// event method with an ack (a JSON array of params is the argument list) and returns the ack's
// arguments; with GraphQL method is the query or mutation and params its variables. Protocols
// without requests (Pusher, Action Cable) fail with ErrNotSupported.
//
// It fails with an *Error whose Status is StatusRemote (errors.Is(err, ErrRemote)), whose
// Message is the server's and whose Data is the server's error JSON when the server answers
// with an error (Socket.IO acks have no error flag: an error is part of the result); with ErrClosed when the
// connection drops after the request was sent (a request still queued then is sent after the
// reconnect instead) or the client closes; with ctx.Err() when ctx ends first, in which case a
// later answer is dropped. When ctx has a deadline, the time left is passed on as the
// request's timeout, so that the library forgets the request then too; without one the library
// waits for the answer as long as the connection lives. Any number of goroutines may wait for
// requests at once; each gets its own answer.
//
// The answer is taken from the library by the client's poller, the goroutine that feeds Events:
// while Events (or a Subscription's Messages) is full, answers wait too.
func (c *Client) Request(ctx context.Context, method string, params any) (json.RawMessage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := marshalOptional(params)
	if err != nil {
		return nil, err
	}
	var timeoutMs int32
	deadline, hasDeadline := ctx.Deadline()
	if hasDeadline {
		left := time.Until(deadline)
		if left <= 0 {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		// Rounded up, so that the library's timer never fires before ctx's. A deadline beyond
		// the library's range leaves the request without a library timeout.
		if ms := durationMillis(left); ms <= math.MaxInt32 {
			timeoutMs = int32(ms)
		}
	}
	id := c.nextRequestID.Add(1)
	answer := make(chan response, 1)
	c.reqMu.Lock()
	if c.reqClosed {
		c.reqMu.Unlock()
		return nil, &Error{Status: StatusClosed, Message: "the client is closed"}
	}
	c.pending[id] = answer
	c.reqMu.Unlock()
	if err := c.withNative(func(n nativeClient) error { return n.request(method, p, timeoutMs, id) }); err != nil {
		c.forgetRequest(id)
		return nil, err
	}
	select {
	case r := <-answer:
		if timeoutMs > 0 && errors.Is(r.err, ErrTimeout) {
			// The library's timeout is ctx's deadline, which passes at the same moment.
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return r.result, r.err
	case <-ctx.Done():
		c.forgetRequest(id) // its answer, if one still comes, is dropped by the poller
		return nil, ctx.Err()
	}
}

func (c *client) forgetRequest(id uint64) {
	c.reqMu.Lock()
	delete(c.pending, id)
	c.reqMu.Unlock()
}

// route is where the poller sorts an event: answers go to their Request, channel messages to
// their Subscription, the rest to Events. keep is false when nothing is left to deliver.
func (c *client) route(ev Event) (d delivery, keep bool) {
	switch ev.Type {
	case EventResponse:
		c.reqMu.Lock()
		answer := c.pending[ev.ID]
		delete(c.pending, ev.ID)
		c.reqMu.Unlock()
		if answer == nil {
			c.lateResponses.Add(1) // its Request returned already (ctx ended)
			return delivery{}, false
		}
		r := response{result: json.RawMessage(ev.Data)}
		if ev.Err != nil {
			r = response{err: ev.Err}
		}
		answer <- r // never blocks: one slot, one answer per id
		return delivery{}, false
	case EventChannelMessage:
		c.subsMu.Lock()
		sub := c.subs[ev.ID]
		c.subsMu.Unlock()
		if sub == nil {
			return delivery{}, false // unsubscribed while the message was under way
		}
		return delivery{ev: ev, sub: sub}, true
	case EventSubscribed, EventSubscribeFailed:
		c.subsMu.Lock()
		sub := c.subs[ev.ID]
		if ev.Type == EventSubscribeFailed {
			delete(c.subs, ev.ID) // the library has removed it
		} else if sub != nil {
			// Confirmed under subsMu, with the channel's other subscriptions (see Subscribe).
			for _, other := range c.subs {
				if other.channel == sub.channel {
					other.confirm(nil)
				}
			}
		}
		c.subsMu.Unlock()
		if sub != nil {
			sub.confirm(ev.Err)
			if ev.Type == EventSubscribeFailed {
				refusal := ev.Err
				if refusal == nil {
					refusal = &Error{Status: StatusRemote, Message: "the server refused the subscription"}
				}
				sub.end(refusal)
			}
		}
	}
	return delivery{ev: ev}, true
}

// endManager runs once the handle is destroyed: subscriptions end and waiting requests fail.
func (c *client) endManager() {
	c.subsMu.Lock()
	subs := c.subs
	c.subs = map[uint64]*Subscription{}
	c.subsClosed = true
	c.subsMu.Unlock()
	for _, s := range subs {
		s.end(&Error{Status: StatusClosed, Message: "the client is closed"})
	}
	c.reqMu.Lock()
	pending := c.pending
	c.pending = map[uint64]chan response{}
	c.reqClosed = true
	c.reqMu.Unlock()
	for _, answer := range pending {
		answer <- response{err: &Error{Status: StatusClosed, Message: "the client was closed before the answer came"}}
	}
}

// marshalOptional encodes v as JSON text; nil stays absent.
func marshalOptional(v any) (*string, error) {
	if v == nil {
		return nil, nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	s := string(data)
	return &s, nil
}
