package tether

import "encoding/json"

// Status is a tether_status code from tether.h. Codes are permanent: a code keeps its number
// forever, so they are written out here as numbers.
type Status int32

// The status codes of tether.h, one per TETHER_E_* value.
const (
	StatusOK              Status = 0   // Success.
	StatusInvalidArgument Status = -1  // A bad argument: out-of-range number, bad length.
	StatusUnknownOption   Status = -2  // No option has that key.
	StatusBadOptionValue  Status = -3  // The value does not fit the option's type or range.
	StatusBadURL          Status = -4  // The URL is malformed or not ws:// / wss://.
	StatusNoMemory        Status = -5  // An allocation failed.
	StatusBadState        Status = -6  // The call does not fit the client's state.
	StatusQueueFull       Status = -7  // The outgoing queue is at its message or byte limit.
	StatusNotConnected    Status = -8  // Not ready and queueing while offline is off.
	StatusTimeout         Status = -9  // A wait, connect, handshake or auth timed out.
	StatusWouldDeadlock   Status = -10 // A blocking call was made on a library I/O thread.
	StatusInvalidJSON     Status = -11 // Text that must be JSON is not.
	StatusInvalidUTF8     Status = -12 // Text that must be UTF-8 is not.
	StatusDNS             Status = -13 // The host name could not be resolved.
	StatusConnect         Status = -14 // The TCP connection failed (refused, unreachable).
	StatusTLS             Status = -15 // TLS failed: certificate, host name or handshake.
	StatusHandshake       Status = -16 // The HTTP upgrade was refused or malformed.
	StatusAuth            Status = -17 // The server refused the credentials.
	StatusProxy           Status = -18 // The HTTP CONNECT proxy refused or failed.
	StatusProtocol        Status = -19 // The peer broke the WebSocket protocol.
	StatusMessageTooBig   Status = -20 // A message exceeded maxMessageSize.
	StatusClosed          Status = -21 // The connection or client is closed.
	StatusPongTimeout     Status = -22 // No pong within pongTimeout: the peer is dead.
	StatusIO              Status = -23 // A socket read or write failed.
	StatusNotSupported    Status = -24 // The operation is not supported here.
	StatusInternal        Status = -25 // A bug in tether; the message says where.
	StatusCancelled       Status = -26 // The operation was cancelled by close or destroy.
	StatusRemote          Status = -27 // The server answered a request or subscription with an error.
)

// String returns the library's English text for the status, e.g. "outgoing queue is full".
func (s Status) String() string { return statusText(s) }

// Name returns the symbolic C name of the status, e.g. "TETHER_E_QUEUE_FULL".
func (s Status) Name() string { return statusName(s) }

// Error is the error type of every failure that the library reports: the status code and the
// library's message, which names the problem (the option key, the part of the URL, the state).
//
// Compare errors with errors.Is against the sentinel values (ErrQueueFull, ErrBadURL, ...):
// two *Error values match when their Status is the same, whatever their messages.
//
// An error the server sent (a refused or failed subscription, a request's error answer) also
// carries the server's error as JSON: see Data.
type Error struct {
	Status  Status // the tether_status code
	Message string // the detail; may be empty

	data string // the server's error JSON, or ""; a string keeps Error comparable
}

// Data returns the server's error as JSON text when the error came from the server: the error
// of a refused subscription (EventSubscribeFailed, Subscription.Err, Subscription.Wait) or of a
// request's error answer (Request), as the protocol has it, e.g. Pusher's
// {"type":"AuthError","error":...,"status":401} or a GraphQL result with its errors. It is nil
// when there is none.
func (e *Error) Data() json.RawMessage {
	if e == nil || e.data == "" {
		return nil
	}
	return json.RawMessage(e.data)
}

// Error formats the error as "tether: <status text>: <message>".
func (e *Error) Error() string {
	if e.Message == "" {
		return "tether: " + e.Status.String()
	}
	return "tether: " + e.Status.String() + ": " + e.Message
}

// Is reports whether target is an *Error with the same Status, so that
// errors.Is(err, tether.ErrQueueFull) works for any message.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t != nil && e != nil && t.Status == e.Status
}

// Sentinel errors, one per status code, for use with errors.Is. Their Message is empty.
var (
	ErrInvalidArgument = &Error{Status: StatusInvalidArgument}
	ErrUnknownOption   = &Error{Status: StatusUnknownOption}
	ErrBadOptionValue  = &Error{Status: StatusBadOptionValue}
	ErrBadURL          = &Error{Status: StatusBadURL}
	ErrNoMemory        = &Error{Status: StatusNoMemory}
	ErrBadState        = &Error{Status: StatusBadState}
	ErrQueueFull       = &Error{Status: StatusQueueFull}
	ErrNotConnected    = &Error{Status: StatusNotConnected}
	ErrTimeout         = &Error{Status: StatusTimeout}
	ErrWouldDeadlock   = &Error{Status: StatusWouldDeadlock}
	ErrInvalidJSON     = &Error{Status: StatusInvalidJSON}
	ErrInvalidUTF8     = &Error{Status: StatusInvalidUTF8}
	ErrDNS             = &Error{Status: StatusDNS}
	ErrConnect         = &Error{Status: StatusConnect}
	ErrTLS             = &Error{Status: StatusTLS}
	ErrHandshake       = &Error{Status: StatusHandshake}
	ErrAuth            = &Error{Status: StatusAuth}
	ErrProxy           = &Error{Status: StatusProxy}
	ErrProtocol        = &Error{Status: StatusProtocol}
	ErrMessageTooBig   = &Error{Status: StatusMessageTooBig}
	ErrClosed          = &Error{Status: StatusClosed}
	ErrPongTimeout     = &Error{Status: StatusPongTimeout}
	ErrIO              = &Error{Status: StatusIO}
	ErrNotSupported    = &Error{Status: StatusNotSupported}
	ErrInternal        = &Error{Status: StatusInternal}
	ErrCancelled       = &Error{Status: StatusCancelled}
	ErrRemote          = &Error{Status: StatusRemote}
)
