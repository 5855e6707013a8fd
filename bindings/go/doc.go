// Package tether is the Go binding of tether, a resilient WebSocket client: reconnect with
// exponential backoff and full jitter, keep-alive pings that detect a dead peer, a bounded queue
// that holds messages while offline, four ways to authenticate, token refresh and TLS that
// verifies by default. The work is done by libtether (C++ behind a C ABI), found with pkg-config.
//
// Dial connects and returns a *Client; its events (open, message, close, error, state changes,
// reconnects, send acknowledgements) arrive in order on the channel that Events returns, fed by
// one goroutine that polls the library (no C-to-Go callbacks). Sends never block: they queue, and
// a full queue is ErrQueueFull. Close is graceful and waits, bounded by a context.
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
// Each client's poller spends its time in a bounded wait inside the library, so it holds an OS
// thread: a program with thousands of clients should expect thousands of threads.
package tether
