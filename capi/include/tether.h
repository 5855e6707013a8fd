/*
 * tether.h - the public C interface of tether, a resilient WebSocket client.
 *
 * This is the only public header. It compiles as C89 and as C++, and includes only <stddef.h>
 * and <stdint.h>.
 *
 * ----------------------------------------------------------------------------------------------
 * Conventions
 * ----------------------------------------------------------------------------------------------
 * - Every function that can fail returns a tether_status: TETHER_OK (0) or a negative code from
 *   the table below. Codes are permanent: they are never renumbered or reused.
 * - After a failure, tether_last_error_message() returns text for the last failure on the calling
 *   thread; it names the problem (the option key, the part of the URL, the state...). A failed
 *   call has no side effects and never leads to a callback.
 * - Out-parameters come first, a void *user_data comes last, right after its callback(s).
 * - Every input (strings, buffers, options) is copied before the call returns.
 * - Memory that the library allocates for the caller is released with tether_free().
 * - Every _destroy function accepts NULL.
 * - Strings are UTF-8 and NUL-terminated unless a length is passed with them. Received payloads
 *   are bytes + length, so text may contain U+0000.
 * - Authentication tokens never appear in error text, events, stats or logs; URLs are reported
 *   with the token replaced by "***".
 *
 * ----------------------------------------------------------------------------------------------
 * Threading and lifetime contract
 * ----------------------------------------------------------------------------------------------
 * 1. A client delivers its events either to its callback (TETHER_MODE_CALLBACK) or to a bounded
 *    queue that the application drains with tether_client_poll() (TETHER_MODE_POLL). In POLL mode
 *    the callback, if given, receives a TETHER_EVENT_READY event each time the queue goes from
 *    empty to non-empty; it must not block and is the place to wake a poller.
 * 2. Callbacks run only on a library I/O thread, never inside a tether_* call. The events of one
 *    client are delivered in order, one at a time. An event passed to a callback is borrowed and
 *    valid until the callback returns; a polled event is owned by the caller until
 *    tether_event_destroy().
 * 3. Every client function is safe to call from any thread, concurrently, including from inside
 *    that client's own callback (send, close, even destroy). A call that would have to wait on the
 *    I/O thread from the I/O thread fails with TETHER_E_WOULD_DEADLOCK instead.
 * 4. tether_client_destroy() never blocks and may run on any thread (finalizers too). Once it
 *    returns, no new callback for that client starts. The release_user_data callback runs exactly
 *    once, after the last callback has returned: it is the one safe place to free user_data.
 *    A callback that is running while destroy is called may still call its own client until it
 *    returns; the handle is freed after release_user_data. No other call may use the handle once
 *    destroy has been called.
 * 5. tether_client_close() is the graceful close. It always ends in a TETHER_EVENT_CLOSE within
 *    the closeTimeout, whatever the peer does.
 * 6. Operations that complete later carry a caller-chosen uint64_t id that comes back in their
 *    completion event (TETHER_EVENT_SENT or TETHER_EVENT_SEND_FAILED for tether_client_send).
 * 7. Backpressure: the outgoing queue is bounded in messages and bytes (maxQueuedMessages,
 *    maxQueuedBytes); a full queue is TETHER_E_QUEUE_FULL, never a block. In POLL mode reading
 *    from the socket pauses while the event queue holds maxPollQueue or more events.
 */
#ifndef TETHER_H
#define TETHER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- export and calling-convention macros ------------------------------------------------- */
#if defined(_WIN32)
#  define TETHER_CALL __cdecl
#  if defined(TETHER_BUILDING_LIBRARY)
#    define TETHER_API __declspec(dllexport)
#  else
#    define TETHER_API __declspec(dllimport)
#  endif
#else
#  define TETHER_CALL
#  if defined(TETHER_BUILDING_LIBRARY)
#    define TETHER_API __attribute__((visibility("default")))
#  else
#    define TETHER_API
#  endif
#endif

/* ---- version --------------------------------------------------------------------------------- */
#define TETHER_VERSION_MAJOR 0
#define TETHER_VERSION_MINOR 1
#define TETHER_VERSION_PATCH 0
/** The compile-time version as one number: MAJOR * 10000 + MINOR * 100 + PATCH. */
#define TETHER_VERSION_NUMBER \
    (TETHER_VERSION_MAJOR * 10000 + TETHER_VERSION_MINOR * 100 + TETHER_VERSION_PATCH)

/**
 * @brief The run-time version of the library, "MAJOR.MINOR.PATCH".
 * @returns Static text; never NULL. Thread-safe.
 */
TETHER_API const char *TETHER_CALL tether_version(void);

/* ---- status codes ----------------------------------------------------------------------------
 * Permanent: a code keeps its number forever; a retired code keeps its slot. */
typedef int32_t tether_status;

#define TETHER_OK                      0   /**< Success. */
#define TETHER_E_INVALID_ARGUMENT     -1   /**< A NULL pointer, bad length or out-of-range number. */
#define TETHER_E_UNKNOWN_OPTION       -2   /**< No option has that key. */
#define TETHER_E_BAD_OPTION_VALUE     -3   /**< The value does not fit the option's type or range. */
#define TETHER_E_BAD_URL              -4   /**< The URL is malformed or not ws:// / wss://. */
#define TETHER_E_NO_MEMORY            -5   /**< An allocation failed. */
#define TETHER_E_BAD_STATE            -6   /**< The call does not fit the client's state. */
#define TETHER_E_QUEUE_FULL           -7   /**< The outgoing queue is at its message or byte limit. */
#define TETHER_E_NOT_CONNECTED        -8   /**< Not ready and queueing while offline is off. */
#define TETHER_E_TIMEOUT              -9   /**< A wait, connect, handshake or auth timed out. */
#define TETHER_E_WOULD_DEADLOCK      -10   /**< A blocking call was made on a library I/O thread. */
#define TETHER_E_INVALID_JSON        -11   /**< Text that must be JSON is not. */
#define TETHER_E_INVALID_UTF8        -12   /**< Text that must be UTF-8 is not. */
#define TETHER_E_DNS                 -13   /**< The host name could not be resolved. */
#define TETHER_E_CONNECT             -14   /**< The TCP connection failed (refused, unreachable). */
#define TETHER_E_TLS                 -15   /**< TLS failed: certificate, host name or handshake. */
#define TETHER_E_HANDSHAKE           -16   /**< The HTTP upgrade was refused or malformed. */
#define TETHER_E_AUTH                -17   /**< The server refused the credentials. */
#define TETHER_E_PROXY               -18   /**< The HTTP CONNECT proxy refused or failed. */
#define TETHER_E_PROTOCOL            -19   /**< The peer broke the WebSocket protocol. */
#define TETHER_E_MESSAGE_TOO_BIG     -20   /**< A message exceeded maxMessageSize. */
#define TETHER_E_CLOSED              -21   /**< The connection or client is closed. */
#define TETHER_E_PONG_TIMEOUT        -22   /**< No pong within pongTimeout: the peer is dead. */
#define TETHER_E_IO                  -23   /**< A socket read or write failed. */
#define TETHER_E_NOT_SUPPORTED       -24   /**< The operation is not supported here. */
#define TETHER_E_INTERNAL            -25   /**< A bug in tether; the message says where. */
#define TETHER_E_CANCELLED           -26   /**< The operation was cancelled by close or destroy. */
#define TETHER_E_REMOTE              -27   /**< The server answered a request or subscription
                                                with an error (the text says what it said). */

/**
 * @brief Static English text for a status ("invalid argument", ...).
 * @returns Never NULL; unknown codes give "unknown status". Thread-safe.
 */
TETHER_API const char *TETHER_CALL tether_status_str(tether_status status);

/**
 * @brief The symbolic name of a status ("TETHER_E_QUEUE_FULL"), for bindings and logs.
 * @returns Never NULL; unknown codes give "TETHER_E_UNKNOWN". Thread-safe.
 */
TETHER_API const char *TETHER_CALL tether_status_name(tether_status status);

/**
 * @brief Detail about the last failed tether_* call on the calling thread.
 * @returns Thread-local text, never NULL ("" when nothing failed yet). Valid until the next
 *          tether_* call on this thread. A successful call does not clear it.
 */
TETHER_API const char *TETHER_CALL tether_last_error_message(void);

/**
 * @brief Releases memory that the library allocated for the caller (JSON text, copied strings).
 * @param ptr May be NULL.
 */
TETHER_API void TETHER_CALL tether_free(void *ptr);

/* ---- runtime ---------------------------------------------------------------------------------
 * A runtime owns the I/O threads. One runtime serves thousands of clients. Clients created with a
 * NULL runtime share a default runtime with one I/O thread, made on first use and kept until the
 * process exits. */
typedef struct tether_runtime tether_runtime;

/**
 * @brief Creates a runtime with its own I/O threads.
 * @param out     Receives the runtime. Unchanged on failure.
 * @param threads Number of I/O threads, 1 to 64.
 * @returns TETHER_OK, TETHER_E_INVALID_ARGUMENT (NULL out, threads out of range).
 * @remark Thread-safe.
 */
TETHER_API tether_status TETHER_CALL tether_runtime_new(tether_runtime **out, int32_t threads);

/**
 * @brief Drops the caller's reference to a runtime. Never blocks.
 *
 * Clients created on the runtime keep it running; its threads stop once the last of them is
 * destroyed and its connections are closed. May be called from any thread, including an I/O
 * thread of the runtime itself.
 * @param runtime May be NULL.
 */
TETHER_API void TETHER_CALL tether_runtime_destroy(tether_runtime *runtime);

/* ---- options ---------------------------------------------------------------------------------
 * Options are string key/value pairs named as in the specification (camelCase). Values are
 * validated when they are set. tether_options_schema_json() lists every key with its type,
 * default, whether it is required or secret, its allowed values and its documentation.
 *
 * Keys (see the schema or the README for the full table):
 *   url, authMethod, messageFormat, protocol, authToken, tokenParamName, authMessageType,
 *   authMessageTemplate, authSuccessType, authTimeout, subprotocols, pingInterval, pongTimeout,
 *   autoReconnect, maxReconnectAttempts, reconnectDelay, maxReconnectDelay, connectTimeout,
 *   handshakeTimeout, closeTimeout, maxMessageSize, queueWhileOffline, maxQueuedMessages,
 *   maxQueuedBytes, maxPollQueue, headers, userAgent, perMessageDeflate, proxy, caFile,
 *   clientCertFile, clientKeyFile, insecureSkipTlsVerify, provider, namespace, queryParams.
 *
 * "provider" applies a preset, one per row of the specification's provider table (socketio,
 * pusher, ably, phoenix, actioncable, signalr, graphql, apollo, aws-apigateway, binance, echo):
 * it sets protocol, authMethod, tokenParamName, subprotocols and queryParams as that provider's
 * own clients do. A key the application sets itself, before or after the provider, keeps the
 * application's value; changing the provider puts the previous preset's other keys back to
 * their defaults.
 */
typedef struct tether_options tether_options;

/**
 * @brief Creates an options object holding every default.
 * @param out Receives the object. Unchanged on failure.
 * @returns TETHER_OK, TETHER_E_INVALID_ARGUMENT.
 * @remark An options object is not synchronised: use it from one thread at a time.
 */
TETHER_API tether_status TETHER_CALL tether_options_new(tether_options **out);

/** @brief Destroys an options object. @param options May be NULL. */
TETHER_API void TETHER_CALL tether_options_destroy(tether_options *options);

/**
 * @brief Sets one option from its text form.
 *
 * Booleans are "true"/"false", numbers are decimal integers, "headers" is a JSON object of
 * string values, everything else is text. The value is validated now.
 * @param options The object to change.
 * @param key     An option key, e.g. "pingInterval".
 * @param value   The value as text, e.g. "30000". Copied.
 * @returns TETHER_OK; TETHER_E_UNKNOWN_OPTION (the message names the key);
 *          TETHER_E_BAD_OPTION_VALUE (the message names the key and the expected form);
 *          TETHER_E_BAD_URL (for url and proxy); TETHER_E_INVALID_ARGUMENT (NULL argument);
 *          TETHER_E_INVALID_UTF8. On failure the object is unchanged.
 * @remark The message of a failure on a secret key (authToken) never repeats the value.
 */
TETHER_API tether_status TETHER_CALL tether_options_set(tether_options *options, const char *key,
                                                        const char *value);

/**
 * @brief Sets many options from one JSON object, e.g. {"url":"ws://...","pingInterval":30000}.
 *
 * Numbers and booleans may be given as JSON numbers/booleans or as strings. All keys are checked
 * first: on any failure nothing is changed and the message names the first bad key.
 * @returns As tether_options_set(), plus TETHER_E_INVALID_JSON when the text is not one object.
 */
TETHER_API tether_status TETHER_CALL tether_options_set_json(tether_options *options,
                                                             const char *json);

/**
 * @brief Reads one option's current value in its text form.
 * @param out_value Receives a copy to release with tether_free(). Secret values read as "***"
 *                  when set and "" when not.
 * @returns TETHER_OK, TETHER_E_UNKNOWN_OPTION, TETHER_E_INVALID_ARGUMENT.
 */
TETHER_API tether_status TETHER_CALL tether_options_get(char **out_value,
                                                        const tether_options *options,
                                                        const char *key);

/**
 * @brief Describes every option as a JSON array of
 *        {"name","type","default","required","secret","allowed","min","max","doc"}.
 * @returns Static text, never NULL. Thread-safe.
 */
TETHER_API const char *TETHER_CALL tether_options_schema_json(void);

/* ---- events ------------------------------------------------------------------------------- */
typedef struct tether_event tether_event;

/* Event types. */
#define TETHER_EVENT_READY         0  /**< POLL mode only: the queue became non-empty. */
#define TETHER_EVENT_OPEN          1  /**< Ready to use (authenticated). text = subprotocol. */
#define TETHER_EVENT_MESSAGE       2  /**< A message. data/size, message_type. */
#define TETHER_EVENT_CLOSE         3  /**< The connection closed. code, text = reason, was_clean;
                                           a STATE event with the state it leads to follows. */
#define TETHER_EVENT_ERROR         4  /**< A failure. status, text = message. */
#define TETHER_EVENT_STATE         5  /**< The state changed. state, previous_state. */
#define TETHER_EVENT_RECONNECT     6  /**< A reconnect is scheduled. attempt, delay_ms. */
#define TETHER_EVENT_SENT          7  /**< A message with a non-zero id was written. id. */
#define TETHER_EVENT_SEND_FAILED   8  /**< A queued message will never be sent. id, status, text. */
#define TETHER_EVENT_DRAINED       9  /**< The outgoing queue became empty after it had reached half
                                           of a limit or refused a message (backpressure). */
#define TETHER_EVENT_CHANNEL_MESSAGE 10 /**< A message on a subscribed channel: id = subscription,
                                             channel, data = payload JSON, text = the protocol's
                                             event name where it has one (socketio, phoenix,
                                             pusher, signalr, binance), else "". One per
                                             subscription. */
#define TETHER_EVENT_RESPONSE      11  /**< The outcome of tether_client_request: id = the caller's,
                                           data = result JSON (status OK), or status
                                           TETHER_E_REMOTE (data = the error JSON), _TIMEOUT or
                                           _CLOSED with text. Exactly one per request. */
#define TETHER_EVENT_SUBSCRIBED    12  /**< The server confirmed a subscription: id, channel. */
#define TETHER_EVENT_SUBSCRIBE_FAILED 13 /**< A subscription is over and removed: the server
                                             refused it or failed it (status TETHER_E_REMOTE,
                                             data = the error JSON) or ended it (a GraphQL
                                             complete: status TETHER_E_CLOSED). id, channel,
                                             text says which. */

/* Connection states, as the specification names them. */
#define TETHER_STATE_DISCONNECTED   0  /**< Not connected. */
#define TETHER_STATE_CONNECTING     1  /**< TCP, TLS and WebSocket handshakes in progress. */
#define TETHER_STATE_CONNECTED      2  /**< WebSocket open, not yet ready. */
#define TETHER_STATE_AUTHENTICATING 3  /**< Awaiting the reply to the first-message auth, or the protocol's handshake. */
#define TETHER_STATE_AUTHENTICATED  4  /**< Ready to use. */
#define TETHER_STATE_RECONNECTING   5  /**< Waiting for the next reconnect attempt. */
#define TETHER_STATE_ERROR          6  /**< Failed for good (no reconnect will follow). */

/* Message types. */
#define TETHER_MESSAGE_DEFAULT 0  /**< For send: text or binary as messageFormat says. */
#define TETHER_MESSAGE_TEXT    1
#define TETHER_MESSAGE_BINARY  2

/** @brief The event's type, a TETHER_EVENT_* value. ev must not be NULL. */
TETHER_API int32_t TETHER_CALL tether_event_type(const tether_event *ev);

/**
 * @brief The payload of a MESSAGE, CHANNEL_MESSAGE or RESPONSE event, or the error JSON of a
 *        SUBSCRIBE_FAILED event.
 * @param size Receives the length in bytes (may be NULL).
 * @returns A pointer owned by the event (valid as long as the event), or NULL with *size = 0 for
 *          other event types. Text messages are not NUL-terminated and may contain U+0000.
 */
TETHER_API const uint8_t *TETHER_CALL tether_event_data(const tether_event *ev, size_t *size);

/** @brief TETHER_MESSAGE_TEXT or TETHER_MESSAGE_BINARY for events with data, else 0. */
TETHER_API int32_t TETHER_CALL tether_event_message_type(const tether_event *ev);

/**
 * @brief NUL-terminated text of the event: the negotiated subprotocol (OPEN), the close reason
 *        (CLOSE), the error message (ERROR, SEND_FAILED, RESPONSE, SUBSCRIBE_FAILED), the
 *        protocol's event name (CHANNEL_MESSAGE). Owned by the event; "" when none.
 */
TETHER_API const char *TETHER_CALL tether_event_text(const tether_event *ev);

/** @brief The close code of a CLOSE event (1006 when no close frame arrived), else 0. */
TETHER_API int32_t TETHER_CALL tether_event_code(const tether_event *ev);

/** @brief 1 when a CLOSE event followed a complete closing handshake, else 0. */
TETHER_API int32_t TETHER_CALL tether_event_was_clean(const tether_event *ev);

/** @brief The tether_status of an ERROR or SEND_FAILED event, or of the failure behind a CLOSE
 *         event (TETHER_OK for a close frame from the peer or from us), else TETHER_OK. */
TETHER_API tether_status TETHER_CALL tether_event_status(const tether_event *ev);

/** @brief The new state of a STATE event, else the state when the event was made. */
TETHER_API int32_t TETHER_CALL tether_event_state(const tether_event *ev);

/** @brief The previous state of a STATE event, else the same as tether_event_state(). */
TETHER_API int32_t TETHER_CALL tether_event_previous_state(const tether_event *ev);

/** @brief The attempt number (1, 2, ...) of a RECONNECT event, else 0. */
TETHER_API int32_t TETHER_CALL tether_event_attempt(const tether_event *ev);

/** @brief The delay before the attempt of a RECONNECT event in milliseconds, else 0. */
TETHER_API int64_t TETHER_CALL tether_event_delay_ms(const tether_event *ev);

/** @brief The id of a SENT, SEND_FAILED or RESPONSE event (the caller's), or the subscription
 *         of a CHANNEL_MESSAGE, SUBSCRIBED or SUBSCRIBE_FAILED event; else 0. */
TETHER_API uint64_t TETHER_CALL tether_event_id(const tether_event *ev);

/** @brief The channel of a CHANNEL_MESSAGE, SUBSCRIBED or SUBSCRIBE_FAILED event, owned by the
 *         event; "" for other events. */
TETHER_API const char *TETHER_CALL tether_event_channel(const tether_event *ev);

/**
 * @brief Releases an event taken with tether_client_poll().
 * @param ev May be NULL. Never pass an event borrowed by a callback.
 */
TETHER_API void TETHER_CALL tether_event_destroy(tether_event *ev);

/** @brief Static name of an event type ("message"), never NULL. */
TETHER_API const char *TETHER_CALL tether_event_type_str(int32_t type);

/** @brief Static name of a state as the specification spells it ("authenticated"), never NULL. */
TETHER_API const char *TETHER_CALL tether_state_str(int32_t state);

/* ---- client ----------------------------------------------------------------------------------- */
typedef struct tether_client tether_client;

/* Event delivery modes. */
#define TETHER_MODE_CALLBACK 0
#define TETHER_MODE_POLL     1

/**
 * @brief Receives events (CALLBACK mode) or the READY signal (POLL mode).
 *
 * Runs on a library I/O thread. ev is borrowed until the function returns. The function may call
 * any tether_client_* function on its own client, including tether_client_destroy().
 */
typedef void(TETHER_CALL *tether_event_cb)(const tether_event *ev, void *user_data);

/** @brief Runs exactly once, after the last callback of a destroyed client. */
typedef void(TETHER_CALL *tether_release_cb)(void *user_data);

/**
 * @brief Creates a client. It does not connect until tether_client_connect().
 *
 * @param out        Receives the client. Unchanged on failure.
 * @param runtime    The runtime whose threads serve the client, or NULL for the default one.
 * @param options    Read and copied now: later changes to it do not affect the client. The url
 *                   option must be set.
 * @param mode       TETHER_MODE_CALLBACK or TETHER_MODE_POLL.
 * @param on_event   CALLBACK mode: required, receives every event. POLL mode: optional, receives
 *                   TETHER_EVENT_READY when the queue becomes non-empty.
 * @param release_user_data Optional; called once with user_data after the last callback.
 * @param user_data  Passed to both callbacks.
 * @returns TETHER_OK; TETHER_E_INVALID_ARGUMENT (NULL out or options, bad mode, CALLBACK mode
 *          without on_event); TETHER_E_BAD_OPTION_VALUE (url missing, or a TLS file that cannot
 *          be read). On failure release_user_data is not called.
 * @remark Thread-safe.
 */
TETHER_API tether_status TETHER_CALL tether_client_new(tether_client **out, tether_runtime *runtime,
                                                       const tether_options *options, int32_t mode,
                                                       tether_event_cb on_event,
                                                       tether_release_cb release_user_data,
                                                       void *user_data);

/**
 * @brief Destroys a client. Never blocks; any thread, including inside its own callback.
 *
 * An open connection is closed (code 1001, best effort, bounded by closeTimeout) in the
 * background; queued messages are dropped without further events. Once this returns no new
 * callback starts; release_user_data runs once after the last callback has returned.
 * @param client May be NULL.
 */
TETHER_API void TETHER_CALL tether_client_destroy(tether_client *client);

/**
 * @brief Starts connecting; events report the progress. Returns at once.
 * @returns TETHER_OK; TETHER_E_BAD_STATE when already connecting or connected (the message
 *          names the state); TETHER_E_INVALID_ARGUMENT for NULL.
 * @remark After a CLOSE that ended in state disconnected or error, calling it again starts over
 *         with a fresh reconnect budget.
 */
TETHER_API tether_status TETHER_CALL tether_client_connect(tether_client *client);

/**
 * @brief Queues one message. Never blocks.
 *
 * @param type TETHER_MESSAGE_DEFAULT (text for messageFormat json/text, binary for binary),
 *             TETHER_MESSAGE_TEXT or TETHER_MESSAGE_BINARY.
 * @param data The payload, copied. May be NULL when size is 0.
 * @param size Its length in bytes.
 * @param id   0, or a caller-chosen id: a SENT event with it follows once the message is written
 *             to the socket, or a SEND_FAILED event if it never will be.
 * @returns TETHER_OK (queued: it is sent in order once the client is ready);
 *          TETHER_E_INVALID_JSON (messageFormat json and a DEFAULT message that is not JSON);
 *          TETHER_E_INVALID_UTF8 (text that is not UTF-8); TETHER_E_MESSAGE_TOO_BIG (over
 *          maxMessageSize); TETHER_E_QUEUE_FULL; TETHER_E_NOT_CONNECTED (not ready and
 *          queueWhileOffline is false); TETHER_E_CLOSED (closing or closed by the application);
 *          TETHER_E_INVALID_ARGUMENT.
 */
TETHER_API tether_status TETHER_CALL tether_client_send(tether_client *client, int32_t type,
                                                        const void *data, size_t size,
                                                        uint64_t id);

/**
 * @brief Closes gracefully with a close frame, then a CLOSE event within closeTimeout.
 *
 * Stops reconnecting. When the client is ready, messages queued before the call are sent first,
 * then the close frame; as with a browser's WebSocket, messages that arrive after the call are
 * not delivered. When it is not ready (connecting, reconnecting), queued messages get
 * SEND_FAILED (TETHER_E_CANCELLED) when they have an id. Calling it while already closing or
 * closed is TETHER_OK and does nothing.
 * @param code   1000, or 3000-4999 (application codes). Other codes: TETHER_E_INVALID_ARGUMENT.
 * @param reason NULL or UTF-8 text of at most 123 bytes; copied.
 * @returns TETHER_OK, TETHER_E_INVALID_ARGUMENT, TETHER_E_INVALID_UTF8.
 */
TETHER_API tether_status TETHER_CALL tether_client_close(tether_client *client, int32_t code,
                                                         const char *reason);

/**
 * @brief Takes the next event from a POLL-mode client.
 *
 * @param out_event  Receives an owned event; release it with tether_event_destroy().
 * @param timeout_ms 0 returns at once, -1 waits without limit, otherwise the longest wait.
 * @returns TETHER_OK; TETHER_E_TIMEOUT (no event in time); TETHER_E_BAD_STATE (not a POLL-mode
 *          client); TETHER_E_WOULD_DEADLOCK (a waiting poll on a library I/O thread);
 *          TETHER_E_INVALID_ARGUMENT.
 * @remark Safe from any thread; concurrent pollers each get different events.
 */
TETHER_API tether_status TETHER_CALL tether_client_poll(tether_client *client, int32_t timeout_ms,
                                                        tether_event **out_event);

/**
 * @brief Takes several events at once from a POLL-mode client: waits like tether_client_poll()
 *        for the first, then takes those already queued behind it, up to max_events in all.
 *
 * One call and one lock for a burst of events, for a binding whose every call into the library
 * has a cost of its own (cgo, P/Invoke).
 * @param out_events Receives the events, in order, in out_events[0 .. *out_count - 1]; each is
 *                   owned by the caller and released with tether_event_destroy(). The array is
 *                   the caller's, with room for max_events pointers.
 * @param max_events At least 1.
 * @param out_count  Receives how many events were taken: at least 1 on TETHER_OK, 0 otherwise.
 * @returns As tether_client_poll(): TETHER_OK; TETHER_E_TIMEOUT (no event in time);
 *          TETHER_E_BAD_STATE (not a POLL-mode client); TETHER_E_WOULD_DEADLOCK (a waiting poll
 *          on a library I/O thread); TETHER_E_INVALID_ARGUMENT (NULL client, out_events or
 *          out_count, or max_events 0).
 * @remark Safe from any thread; concurrent pollers each get different events, and the events
 *         of one call are consecutive in the client's order.
 */
TETHER_API tether_status TETHER_CALL tether_client_poll_many(tether_client *client,
                                                             int32_t timeout_ms,
                                                             tether_event **out_events,
                                                             size_t max_events, size_t *out_count);

/**
 * @brief Replaces the token used by the next (re)connect (token refresh).
 *
 * The RECONNECT event is the moment to call it: the new token is used for the attempt that the
 * event announces. The current connection is not touched.
 * @param token The new token, copied; NULL or "" clears it. It follows the rules of the authToken
 *              option: no control characters or tabs, and with subprotocol auth an HTTP token.
 * @returns TETHER_OK, TETHER_E_INVALID_ARGUMENT, TETHER_E_INVALID_UTF8, TETHER_E_BAD_OPTION_VALUE
 *          (the token breaks those rules; the message does not show it).
 */
TETHER_API tether_status TETHER_CALL tether_client_set_token(tether_client *client,
                                                             const char *token);

/**
 * @brief The current state, a TETHER_STATE_* value.
 * @returns TETHER_OK, TETHER_E_INVALID_ARGUMENT.
 */
TETHER_API tether_status TETHER_CALL tether_client_state(int32_t *out_state,
                                                         const tether_client *client);

/**
 * @brief What waits in the outgoing queue: messages and bytes (the spec's bufferedAmount).
 * @returns TETHER_OK, TETHER_E_INVALID_ARGUMENT.
 */
TETHER_API tether_status TETHER_CALL tether_client_buffered(uint64_t *out_messages,
                                                            uint64_t *out_bytes,
                                                            const tether_client *client);

/**
 * @brief A snapshot of the client's statistics as a JSON object:
 *        {"state","messagesSent","messagesReceived","bytesSent","bytesReceived","reconnects",
 *         "latencyMs","queuedMessages","queuedBytes","url"}, plus "activeSubscriptions",
 *         "pendingRequests" and "protocol" when a protocol other than raw is set. latencyMs is
 *         the last ping round trip (-1 before the first pong); url is redacted.
 * @param out_json Receives text to release with tether_free().
 * @returns TETHER_OK, TETHER_E_INVALID_ARGUMENT, TETHER_E_NO_MEMORY.
 */
TETHER_API tether_status TETHER_CALL tether_client_stats_json(char **out_json,
                                                              const tether_client *client);

/* ---- connection manager: channels and requests ----------------------------------------------
 * The specification's WebSocketConnectionManager. These speak the wire protocol chosen with the
 * "protocol" option (or a "provider" preset): json (the spec's envelope), socketio,
 * graphql-transport-ws, graphql-ws, signalr, phoenix, pusher, actioncable, binance or
 * aws-apigateway; the README maps each call to each protocol's frames (what a channel, a
 * publish and a request are there). With protocol "raw" (the default) they fail with
 * TETHER_E_NOT_SUPPORTED, as does an operation a protocol does not have (publish in GraphQL,
 * request in Pusher); the message names the protocol and the operation.
 *
 * Protocols with a handshake (socketio, graphql-*, signalr, pusher, actioncable) keep the client
 * AUTHENTICATING until the server completes it and carry the token where the protocol does; a
 * refusal is an ERROR with TETHER_E_AUTH and no reconnect. Subscriptions live across reconnects:
 * after every (re)authentication the client re-subscribes every live channel, then flushes the
 * outgoing queue in order; subscriptions made while offline are sent once ready. */

/**
 * @brief Subscribes to a channel; its messages arrive as CHANNEL_MESSAGE events.
 *
 * Several subscriptions to one channel share one subscription on the wire; each gets its own
 * events. A SUBSCRIBED or SUBSCRIBE_FAILED event follows when the server answers (at once when
 * the channel is already confirmed on the current connection; once written for protocols whose
 * servers do not confirm subscriptions: socketio, graphql-*, signalr).
 * @param out_subscription Receives the subscription id (never 0).
 * @param channel     The channel name, UTF-8, copied.
 * @param params_json NULL or JSON sent along with the subscription (e.g. a filter); validated.
 * @returns TETHER_OK, TETHER_E_NOT_SUPPORTED (protocol raw), TETHER_E_INVALID_JSON,
 *          TETHER_E_INVALID_UTF8, TETHER_E_INVALID_ARGUMENT, TETHER_E_CLOSED.
 */
TETHER_API tether_status TETHER_CALL tether_client_subscribe(uint64_t *out_subscription,
                                                             tether_client *client,
                                                             const char *channel,
                                                             const char *params_json);

/**
 * @brief Ends a subscription. CHANNEL_MESSAGE events for it that are already under way (in the
 *        poll queue, or being decoded on the I/O thread) may still arrive; no others will. When
 *        it was the channel's last subscription the server is told to stop sending it.
 * @returns TETHER_OK; TETHER_E_INVALID_ARGUMENT (no live subscription with that id);
 *          TETHER_E_NOT_SUPPORTED.
 */
TETHER_API tether_status TETHER_CALL tether_client_unsubscribe(tether_client *client,
                                                               uint64_t subscription);

/**
 * @brief Publishes a payload to a channel, queued in order with tether_client_send messages.
 * @param payload_json JSON text; validated.
 * @param id 0, or an id for SENT / SEND_FAILED as with tether_client_send.
 * @returns As tether_client_send, plus TETHER_E_NOT_SUPPORTED, and TETHER_E_INVALID_ARGUMENT
 *          when the payload does not have the shape the protocol needs (the message says which).
 */
TETHER_API tether_status TETHER_CALL tether_client_publish(tether_client *client,
                                                           const char *channel,
                                                           const char *payload_json, uint64_t id);

/**
 * @brief Sends a request; exactly one RESPONSE event with the same id follows: the result, the
 *        server's error (TETHER_E_REMOTE), a timeout (TETHER_E_TIMEOUT) or a lost connection
 *        (TETHER_E_CLOSED; a request still queued when the connection drops is sent after the
 *        reconnect instead).
 * @param method      The method name, UTF-8.
 * @param params_json NULL or JSON parameters; validated.
 * @param timeout_ms  0 for no timeout, else the longest wait for the response (from now).
 * @param id          Caller-chosen; must not equal the id of a request still pending.
 * @returns As tether_client_send, plus TETHER_E_NOT_SUPPORTED and TETHER_E_INVALID_ARGUMENT for
 *          a pending id or a negative timeout.
 */
TETHER_API tether_status TETHER_CALL tether_client_request(tether_client *client,
                                                           const char *method,
                                                           const char *params_json,
                                                           int32_t timeout_ms, uint64_t id);

/* ---- message utilities (the spec's createMessage / parseMessage / getCloseReason) ------------ */

/**
 * @brief Builds {"type":type,"payload":payload,"id":id,"timestamp":<ms since epoch>}.
 * @param out_json     Receives text to release with tether_free().
 * @param type         Required text.
 * @param payload_json NULL (payload null) or JSON text; validated.
 * @param id           NULL to omit the id, or text.
 * @returns TETHER_OK, TETHER_E_INVALID_ARGUMENT, TETHER_E_INVALID_JSON, TETHER_E_INVALID_UTF8.
 */
TETHER_API tether_status TETHER_CALL tether_message_create(char **out_json, const char *type,
                                                           const char *payload_json,
                                                           const char *id);

/**
 * @brief Parses a received message into the envelope {"type","payload","id","timestamp"}.
 *
 * JSON objects keep their fields (type/id/timestamp are null when absent, payload is the
 * "payload" field or, when there is none, the whole object); other JSON values and non-JSON text
 * become {"type":null,"payload":<value or the text as a string>,"id":null,"timestamp":null}.
 * @param out_json Receives text to release with tether_free().
 * @returns TETHER_OK, TETHER_E_INVALID_ARGUMENT, TETHER_E_INVALID_UTF8.
 */
TETHER_API tether_status TETHER_CALL tether_message_parse(char **out_json, const void *data,
                                                          size_t size);

/**
 * @brief The meaning of a WebSocket close code as the specification's table gives it.
 * @returns Static text, never NULL: "Normal closure", ..., "Application-defined" for 4000-4999,
 *          "Unknown close code" otherwise. Thread-safe.
 */
TETHER_API const char *TETHER_CALL tether_close_code_str(int32_t code);

#ifdef __cplusplus
}
#endif

#endif /* TETHER_H */
