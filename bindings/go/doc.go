// Package tether is the Go binding of tether, a resilient WebSocket client: reconnect with
// exponential backoff and full jitter, keep-alive pings that detect a dead peer, a bounded queue
// that holds messages while offline, four ways to authenticate, token refresh and TLS that
// verifies by default. The work is done by libtether (C++ behind a C ABI), found with pkg-config.
//
// Dial connects and returns a *Client; its events (open, message, close, error, state changes,
// reconnects, send acknowledgements) arrive in order on the channel that Events returns, fed by
// one goroutine that takes them from the library (events are copied, never handed over in a
// callback). Sends never block: they queue, and a full queue is ErrQueueFull. Close is graceful and waits, bounded by a context.
//
// With a protocol (Options.Protocol: ProtocolJSON, ProtocolSocketIO, ProtocolGraphQLTransportWS,
// ...) or a provider preset (WithProvider(ProviderSocketIO), ProviderPusher, ...) the client is
// also the specification's connection manager: Subscribe returns a *Subscription whose
// messages arrive on its own Messages channel (with the protocol's event name), Publish sends
// to a channel, and Request(ctx, method, params) waits for the server's answer, which the
// poller matches to the caller by request id.
//
// Failures are *Error values carrying the library's status and message; compare them with
// errors.Is against ErrQueueFull, ErrBadURL, ErrAuth and the other Err* values.
//
// Each client's poller is a goroutine that takes bursts of events from the library and parks in
// Go while the queue is empty; the library wakes it through a callback (READY) when an event
// comes. An idle client holds no OS thread: a program with thousands of clients has thousands of
// parked goroutines.
package tether
