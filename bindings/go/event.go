package tether

import (
	"fmt"
	"time"
)

// EventType says what an Event reports. The values are tether.h's TETHER_EVENT_* numbers.
type EventType int32

// Event types. EventReady (the poll queue's wake-up signal) never reaches a Go program: the
// client's poller goroutine consumes the queue itself.
const (
	EventOpen       EventType = 1 // Ready to use (authenticated); Text is the subprotocol.
	EventMessage    EventType = 2 // A message: Data and MessageType.
	EventClose      EventType = 3 // The connection closed: Code, Text (reason), WasClean, Err.
	EventError      EventType = 4 // A failure: Err (Text repeats its message).
	EventState      EventType = 5 // The state changed: State and PreviousState.
	EventReconnect  EventType = 6 // A reconnect is scheduled: Attempt and Delay.
	EventSent       EventType = 7 // A message sent with a non-zero id was written: ID.
	EventSendFailed EventType = 8 // A queued message will never be sent: ID and Err.
	EventDrained    EventType = 9 // The outgoing queue emptied after backpressure.

	// The connection manager's events (Options.Protocol, or Options.Provider, other than
	// ProtocolRaw).

	// A message on a subscribed channel. It is not put on Events: the poller hands it to the
	// Subscription's Messages channel as a ChannelMessage.
	EventChannelMessage EventType = 10
	// The outcome of a request. It is not put on Events: the poller hands it to the Request
	// call that waits for it.
	EventResponse EventType = 11
	// The server confirmed a subscription (again after every reconnect): ID is the
	// Subscription's ID, Channel its channel.
	EventSubscribed EventType = 12
	// A subscription is over and removed (its Messages channel closes): ID, Channel, and Err:
	// ErrRemote with the server's message when the server refused or failed it (Data and
	// Err.Data() hold the server's error JSON), ErrClosed when the server ended it (a GraphQL
	// subscription completed).
	EventSubscribeFailed EventType = 13
)

// String returns the library's name of the event type, e.g. "message".
func (t EventType) String() string { return eventTypeText(t) }

// State is a connection state; the values are tether.h's TETHER_STATE_* numbers.
type State int32

// Connection states, as the specification names them.
const (
	StateDisconnected   State = 0 // Not connected.
	StateConnecting     State = 1 // TCP, TLS and WebSocket handshakes in progress.
	StateConnected      State = 2 // WebSocket open, not yet ready.
	StateAuthenticating State = 3 // Awaiting the reply to the first-message auth, or the protocol's handshake.
	StateAuthenticated  State = 4 // Ready to use.
	StateReconnecting   State = 5 // Waiting for the next reconnect attempt.
	StateError          State = 6 // Failed for good: no reconnect will follow.
)

// String returns the state as the specification spells it, e.g. "authenticated".
func (s State) String() string { return stateText(s) }

// MessageType is the frame type of a message.
type MessageType int32

// Message types. MessageDefault is for sending only: text for messageFormat json and text,
// binary for binary.
const (
	MessageDefault MessageType = 0
	MessageText    MessageType = 1
	MessageBinary  MessageType = 2
)

// String returns "default", "text" or "binary".
func (t MessageType) String() string {
	switch t {
	case MessageDefault:
		return "default"
	case MessageText:
		return "text"
	case MessageBinary:
		return "binary"
	}
	return fmt.Sprintf("MessageType(%d)", int32(t))
}

// Event is one thing that happened to a client, delivered in order on Client.Events. Type says
// which of the other fields are meaningful; the rest hold their zero values, except State and
// PreviousState, which hold the client's state when the event was made for every other type.
type Event struct {
	Type EventType

	// EventMessage: the payload (owned by the Event) and its frame type. EventSubscribeFailed:
	// the server's error as JSON, when it sent one.
	Data        []byte
	MessageType MessageType

	// The subprotocol (EventOpen), the close reason (EventClose) or the error message
	// (EventError, EventSendFailed, EventSubscribeFailed).
	Text string

	// EventClose: the close code (1006 when no close frame arrived) and whether the closing
	// handshake completed.
	Code     int
	WasClean bool

	// The failure of an EventError, EventSendFailed or EventSubscribeFailed, or the one behind
	// an EventClose; nil otherwise. Compare it with errors.Is against the Err* values.
	Err *Error

	// EventState: the new and previous states.
	State         State
	PreviousState State

	// EventReconnect: the attempt number (1, 2, ...) and the delay before it. This is the
	// moment to call Client.SetToken with a fresh token.
	Attempt int
	Delay   time.Duration

	// EventSent, EventSendFailed: the id given to Client.SendWithID. EventSubscribed,
	// EventSubscribeFailed: the Subscription's ID.
	ID uint64

	// EventSubscribed, EventSubscribeFailed: the channel.
	Channel string
}

// String describes the event in one line, for logs. Payloads are summarised by their length.
func (e Event) String() string {
	switch e.Type {
	case EventOpen:
		return fmt.Sprintf("open subprotocol=%q", e.Text)
	case EventMessage:
		return fmt.Sprintf("message %s %d bytes", e.MessageType, len(e.Data))
	case EventClose:
		return fmt.Sprintf("close code=%d reason=%q clean=%t", e.Code, e.Text, e.WasClean)
	case EventError:
		return fmt.Sprintf("error %v", e.Err)
	case EventState:
		return fmt.Sprintf("state %s -> %s", e.PreviousState, e.State)
	case EventReconnect:
		return fmt.Sprintf("reconnect attempt=%d delay=%s", e.Attempt, e.Delay)
	case EventSent:
		return fmt.Sprintf("sent id=%d", e.ID)
	case EventSendFailed:
		return fmt.Sprintf("send failed id=%d: %v", e.ID, e.Err)
	case EventChannelMessage:
		return fmt.Sprintf("channel message subscription=%d channel=%q event=%q %d bytes", e.ID, e.Channel, e.Text, len(e.Data))
	case EventResponse:
		if e.Err != nil {
			return fmt.Sprintf("response id=%d: %v", e.ID, e.Err)
		}
		return fmt.Sprintf("response id=%d %d bytes", e.ID, len(e.Data))
	case EventSubscribed:
		return fmt.Sprintf("subscribed subscription=%d channel=%q", e.ID, e.Channel)
	case EventSubscribeFailed:
		return fmt.Sprintf("subscribe failed subscription=%d channel=%q: %v", e.ID, e.Channel, e.Err)
	}
	return e.Type.String()
}
