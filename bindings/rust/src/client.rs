//! The client: connect, send, close, and the three ways to receive events.

use std::cell::Cell;
use std::collections::HashMap;
use std::ffi::{CString, c_char, c_void};
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::ptr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, mpsc};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::error::{Error, Result, Status, check};
use crate::event::{Event, MessageType, State, Subscription};
use crate::options::Options;
use crate::runtime::Runtime;
use crate::stats::Stats;
use crate::sys;
use crate::text::{take_library_string, to_cstring};

type Handler = Box<dyn FnMut(Event) + Send + 'static>;

/// What the library's callbacks reach through `user_data`: one `Arc` reference is owned by the
/// library from `tether_client_new` until `release_user_data`, another by the [`Client`].
struct Shared {
    /// CALLBACK mode: the application's handler. Events of one client arrive one at a time, so
    /// the lock is never contended; it is there to make `Shared` `Sync`.
    handler: Option<Mutex<Handler>>,
    /// POLL mode: tasks waiting in [`Client::next_event`], woken by the READY callback.
    wakers: Mutex<Wakers>,
    /// CALLBACK mode: [`Client::request_wait`] calls waiting for the RESPONSE with their id.
    /// Such responses go to the waiter instead of the handler.
    waiters: Mutex<HashMap<u64, mpsc::SyncSender<Result<String>>>>,
    /// The next id [`Client::request_wait`] uses (in the reserved range, see [`WAIT_ID_BASE`]).
    next_wait_id: AtomicU64,
}

/// Request ids from here up are reserved for [`Client::request_wait`].
const WAIT_ID_BASE: u64 = 1 << 63;

thread_local! {
    /// `true` while this thread runs a callback of this crate (a library I/O thread inside an
    /// event): waiting there for another event would wait forever.
    static IN_CALLBACK: Cell<bool> = const { Cell::new(false) };
}

/// Marks the current thread as inside a callback until dropped (also when the handler panics).
struct CallbackScope;

impl CallbackScope {
    fn enter() -> CallbackScope {
        IN_CALLBACK.with(|flag| flag.set(true));
        CallbackScope
    }
}

impl Drop for CallbackScope {
    fn drop(&mut self) {
        IN_CALLBACK.with(|flag| flag.set(false));
    }
}

#[derive(Default)]
struct Wakers {
    next_key: u64,
    waiting: Vec<(u64, Waker)>,
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Shared>();
};

/// Locks, carrying on after a panic in another holder: every guarded value stays consistent
/// (a handler that panicked is simply called again with the next event).
fn lock<T: ?Sized>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// Runs on a library I/O thread for every event (CALLBACK mode) or READY (POLL mode).
    ///
    /// # Safety
    /// `ev` is the event borrowed by the current callback.
    unsafe fn deliver(&self, ev: *const sys::tether_event) {
        match &self.handler {
            Some(handler) => {
                // SAFETY: `ev` is valid for the duration of the callback, per this fn's contract.
                let event = unsafe { Event::from_raw(ev) };
                if let Some(event) = self.route_to_waiter(event) {
                    (lock(handler))(event);
                }
            }
            None => {
                // SAFETY: as above.
                if unsafe { sys::tether_event_type(ev) } == sys::TETHER_EVENT_READY {
                    self.wake_all();
                }
            }
        }
    }

    /// Hands a RESPONSE that a [`Client::request_wait`] waits for to it; returns every other
    /// event for the handler.
    fn route_to_waiter(&self, event: Event) -> Option<Event> {
        match event {
            Event::Response { id, result, error_json } if id >= WAIT_ID_BASE => {
                match lock(&self.waiters).remove(&id) {
                    Some(waiter) => {
                        // Capacity 1 and one message: never blocks. A waiter that gave up is
                        // gone: nothing to do.
                        let _ = waiter.try_send(result);
                        None
                    }
                    None => Some(Event::Response { id, result, error_json }),
                }
            }
            event => Some(event),
        }
    }

    fn wake_all(&self) {
        let waiting = std::mem::take(&mut lock(&self.wakers).waiting);
        for (_, waker) in waiting {
            waker.wake();
        }
    }
}

/// `tether_event_cb` for every client of this crate.
unsafe extern "C" fn on_event_trampoline(ev: *const sys::tether_event, user_data: *mut c_void) {
    // Nothing may unwind into C: a panicking handler is stopped here (the panic hook has already
    // reported it) and the next event is delivered as usual.
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let shared = user_data.cast_const().cast::<Shared>();
        // SAFETY: `user_data` is the `Arc<Shared>` pointer given to tether_client_new; the library
        // holds that reference until release_user_data, which runs only after the last callback
        // returns. Taking our own reference keeps `Shared` alive even if the handler drops the
        // client (tether_client_destroy from inside a callback is allowed).
        let shared = unsafe {
            Arc::increment_strong_count(shared);
            Arc::from_raw(shared)
        };
        let _scope = CallbackScope::enter();
        // SAFETY: `ev` is borrowed for the duration of this callback.
        unsafe { shared.deliver(ev) };
    }));
}

/// `tether_release_cb`: drops the library's reference to `Shared`, exactly once.
unsafe extern "C" fn release_trampoline(user_data: *mut c_void) {
    // Dropping the handler runs application destructors: they must not unwind into C either.
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the reference created by Arc::into_raw in ClientBuilder::build; tether.h
        // promises release_user_data runs exactly once, after the last callback.
        drop(unsafe { Arc::from_raw(user_data.cast_const().cast::<Shared>()) });
    }));
}

/// Configures a [`Client`] before it is created: the runtime and how events are delivered.
///
/// Without [`on_event`](ClientBuilder::on_event) the client is in poll mode: take events with
/// [`Client::recv`], [`Client::recv_timeout`], [`Client::events`] or [`Client::next_event`].
///
/// ```
/// let mut options = tether::Options::new();
/// options.url("ws://127.0.0.1:8080/echo")?;
/// let client = tether::Client::builder(&options)
///     .on_event(|event| println!("{event:?}"))
///     .build()?;
/// # Ok::<(), tether::Error>(())
/// ```
#[must_use = "a builder does nothing until build() is called"]
pub struct ClientBuilder<'a> {
    options: &'a Options,
    runtime: Option<&'a Runtime>,
    handler: Option<Handler>,
}

impl<'a> ClientBuilder<'a> {
    /// Serve the client on `runtime` instead of the default one-thread runtime. The client
    /// keeps the runtime's threads running after the `Runtime` is dropped.
    ///
    /// ```
    /// let runtime = tether::Runtime::new(4)?;
    /// let mut options = tether::Options::new();
    /// options.url("ws://127.0.0.1:8080/echo")?;
    /// let client = tether::Client::builder(&options).runtime(&runtime).build()?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn runtime(mut self, runtime: &'a Runtime) -> Self {
        self.runtime = Some(runtime);
        self
    }

    /// Deliver every event to `handler` (callback mode) instead of the poll queue.
    ///
    /// The handler runs on a library I/O thread, one event at a time and in order, never inside
    /// a call of yours. It must not block for long: other clients of the same runtime wait. It
    /// may call anything on its own client, including dropping it; a panic in it is caught at
    /// the boundary and the next event is delivered as usual. The handler is dropped on the I/O
    /// thread (or in `drop(client)`) after its last call.
    ///
    /// ```
    /// use std::sync::mpsc;
    /// let (tx, rx) = mpsc::channel();
    /// let mut options = tether::Options::new();
    /// options.url("ws://127.0.0.1:8080/echo")?;
    /// let client = tether::Client::builder(&options)
    ///     .on_event(move |event| { let _ = tx.send(event); })
    ///     .build()?;
    /// # drop(rx);
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn on_event<F>(mut self, handler: F) -> Self
    where
        F: FnMut(Event) + Send + 'static,
    {
        self.handler = Some(Box::new(handler));
        self
    }

    /// Creates the client. It does not connect until [`Client::connect`].
    ///
    /// Fails when the options have no `url`, or a TLS file cannot be read.
    ///
    /// ```
    /// let err = tether::Client::builder(&tether::Options::new()).build().unwrap_err();
    /// assert_eq!(err.status, tether::Status::BAD_OPTION_VALUE);
    /// assert!(err.message.contains("url"));
    /// ```
    pub fn build(self) -> Result<Client> {
        let mode = if self.handler.is_some() { sys::TETHER_MODE_CALLBACK } else { sys::TETHER_MODE_POLL };
        let shared = Arc::new(Shared {
            handler: self.handler.map(Mutex::new),
            wakers: Mutex::default(),
            waiters: Mutex::default(),
            next_wait_id: AtomicU64::new(WAIT_ID_BASE),
        });
        let user_data = Arc::into_raw(Arc::clone(&shared)).cast_mut().cast::<c_void>();
        let runtime = self.runtime.map_or(ptr::null_mut(), Runtime::as_raw);
        let mut raw = ptr::null_mut();
        // SAFETY: valid out-pointer, live runtime (or NULL) and options; the trampolines match
        // the callback types and `user_data` stays valid until release_trampoline takes it back.
        let status = unsafe {
            sys::tether_client_new(
                &mut raw,
                runtime,
                self.options.as_raw(),
                mode,
                Some(on_event_trampoline),
                Some(release_trampoline),
                user_data,
            )
        };
        if let Err(err) = check(status) {
            // SAFETY: on failure the library does not call release_user_data: the reference
            // handed over above is still ours to drop.
            drop(unsafe { Arc::from_raw(user_data.cast_const().cast::<Shared>()) });
            return Err(err);
        }
        Ok(Client { raw, shared })
    }
}

/// Messages and bytes waiting in the outgoing queue (the specification's `bufferedAmount`).
///
/// ```
/// let empty = tether::Buffered { messages: 0, bytes: 0 };
/// assert_eq!(empty, tether::Buffered::default());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Buffered {
    /// Queued messages.
    pub messages: u64,
    /// Queued payload bytes.
    pub bytes: u64,
}

/// A resilient WebSocket client: reconnects with backoff, detects dead peers, queues messages
/// while offline and authenticates as its [`Options`] say.
///
/// Every method takes `&self` and may be called from any thread at once; share a client with
/// [`Arc`]. Dropping it closes the connection in the background (code 1001) and never blocks.
///
/// Receiving: a client made with [`Client::new`] (poll mode) is read with
/// [`recv`](Client::recv), [`recv_timeout`](Client::recv_timeout), [`try_recv`](Client::try_recv),
/// the iterator [`events`](Client::events) or `async` [`next_event`](Client::next_event). One
/// made with [`ClientBuilder::on_event`] gets every event in its handler instead.
///
/// ```no_run
/// use std::time::Duration;
/// use tether::{Client, Event, Options};
///
/// # fn main() -> tether::Result<()> {
/// let mut options = Options::new();
/// options.url("ws://127.0.0.1:8080/echo")?;
/// let client = Client::new(&options)?;
/// client.connect()?;
/// client.send(r#"{"type":"chat","message":"Hello!"}"#)?; // queued until ready
/// while let Some(event) = client.recv_timeout(Duration::from_secs(5))? {
///     if let Event::Message(message) = event {
///         println!("received {:?}", message.text());
///         break;
///     }
/// }
/// client.close(1000, "bye")?;
/// # Ok(())
/// # }
/// ```
pub struct Client {
    raw: *mut sys::tether_client,
    shared: Arc<Shared>,
}

// SAFETY: tether.h's threading contract, item 3: "Every client function is safe to call from any
// thread, concurrently, including from inside that client's own callback (send, close, even
// destroy)", and item 4: tether_client_destroy "may run on any thread". `Shared` is Send + Sync
// (checked above). So the handle may move to another thread (Send) and be used through `&Client`
// from many threads at once (Sync). Calls that would block on the I/O thread fail with
// TETHER_E_WOULD_DEADLOCK instead of hanging (item 3), so no `&self` method can deadlock.
unsafe impl Send for Client {}
// SAFETY: see `Send` above.
unsafe impl Sync for Client {}

impl Client {
    /// A poll-mode client on the default runtime. Same as `Client::builder(options).build()`.
    ///
    /// ```
    /// let mut options = tether::Options::new();
    /// options.url("ws://127.0.0.1:8080/echo")?;
    /// let client = tether::Client::new(&options)?;
    /// assert_eq!(client.state(), tether::State::DISCONNECTED);
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn new(options: &Options) -> Result<Client> {
        Client::builder(options).build()
    }

    /// A [`ClientBuilder`] to choose the runtime or a callback. The options are copied by
    /// [`ClientBuilder::build`].
    ///
    /// ```
    /// let mut options = tether::Options::new();
    /// options.url("ws://127.0.0.1:8080/echo")?;
    /// let client = tether::Client::builder(&options).on_event(|_event| {}).build()?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn builder(options: &Options) -> ClientBuilder<'_> {
        ClientBuilder { options, runtime: None, handler: None }
    }

    /// Starts connecting and returns at once; events report the progress. After a close that
    /// ended in [`State::DISCONNECTED`] or [`State::ERROR`] it starts over with a fresh
    /// reconnect budget.
    ///
    /// ```no_run
    /// # let mut options = tether::Options::new();
    /// # options.url("ws://127.0.0.1:8080/echo")?;
    /// let client = tether::Client::new(&options)?;
    /// client.connect()?;
    /// assert_eq!(client.connect().unwrap_err().status, tether::Status::BAD_STATE);
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn connect(&self) -> Result<()> {
        // SAFETY: `self.raw` is live until drop.
        check(unsafe { sys::tether_client_connect(self.raw) })
    }

    /// Queues a message of the default type (text for `messageFormat` `json`/`text`, binary for
    /// `binary`). With `json`, the text must be JSON. Never blocks; sent in order once ready.
    ///
    /// ```no_run
    /// # let mut options = tether::Options::new();
    /// # options.url("ws://127.0.0.1:8080/echo")?;
    /// let client = tether::Client::new(&options)?;
    /// client.send(r#"{"type":"ping"}"#)?;
    /// assert_eq!(client.send("{oops").unwrap_err().status, tether::Status::INVALID_JSON);
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn send(&self, data: impl AsRef<[u8]>) -> Result<()> {
        self.send_message(MessageType::DEFAULT, data.as_ref(), 0)
    }

    /// Queues a text message (never validated as JSON; must be UTF-8, which `&str` is).
    ///
    /// ```no_run
    /// # let mut options = tether::Options::new();
    /// # options.url("ws://127.0.0.1:8080/echo")?;
    /// let client = tether::Client::new(&options)?;
    /// client.send_text("hello")?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn send_text(&self, text: &str) -> Result<()> {
        self.send_message(MessageType::TEXT, text.as_bytes(), 0)
    }

    /// Queues a binary message.
    ///
    /// ```no_run
    /// # let mut options = tether::Options::new();
    /// # options.url("ws://127.0.0.1:8080/echo")?;
    /// let client = tether::Client::new(&options)?;
    /// client.send_binary(&[0x00, 0xff])?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn send_binary(&self, data: &[u8]) -> Result<()> {
        self.send_message(MessageType::BINARY, data, 0)
    }

    /// Queues a message of any type. A non-zero `id` comes back in [`Event::Sent`] once the
    /// message is written, or in [`Event::SendFailed`] if it never will be.
    ///
    /// Fails at once with [`Status::QUEUE_FULL`], [`Status::NOT_CONNECTED`] (offline and
    /// `queueWhileOffline` off), [`Status::CLOSED`], [`Status::MESSAGE_TOO_BIG`],
    /// [`Status::INVALID_JSON`] or [`Status::INVALID_UTF8`]; nothing is queued then.
    ///
    /// ```no_run
    /// # let mut options = tether::Options::new();
    /// # options.url("ws://127.0.0.1:8080/echo")?;
    /// let client = tether::Client::new(&options)?;
    /// client.send_message(tether::MessageType::TEXT, b"important", 7)?;
    /// // ... later: Event::Sent { id: 7 }
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn send_message(&self, kind: MessageType, data: &[u8], id: u64) -> Result<()> {
        // SAFETY: `self.raw` is live; `data` is valid for its length and copied.
        check(unsafe { sys::tether_client_send(self.raw, kind.0, data.as_ptr().cast(), data.len(), id) })
    }

    /// Closes gracefully: what was queued is sent first, then a close frame with `code` (1000
    /// or 3000-4999) and `reason` (at most 123 bytes). Stops reconnecting. An [`Event::Close`]
    /// always follows within `closeTimeout`. Closing again does nothing.
    ///
    /// ```no_run
    /// # let mut options = tether::Options::new();
    /// # options.url("ws://127.0.0.1:8080/echo")?;
    /// let client = tether::Client::new(&options)?;
    /// client.close(1000, "User logged out")?;
    /// assert!(client.close(1006, "").is_err()); // not a code an application may send
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn close(&self, code: u16, reason: &str) -> Result<()> {
        let reason = to_cstring("close reason", reason)?;
        // SAFETY: `self.raw` is live; the reason is NUL-terminated and copied.
        check(unsafe { sys::tether_client_close(self.raw, i32::from(code), reason.as_ptr()) })
    }

    /// Replaces the token used by the next (re)connect; `""` clears it. The current connection
    /// is not touched. [`Event::Reconnect`] is the moment to call it: the attempt it announces
    /// uses the new token.
    ///
    /// ```no_run
    /// # let mut options = tether::Options::new();
    /// # options.url("ws://127.0.0.1:8080/echo")?;
    /// let client = tether::Client::new(&options)?;
    /// client.connect()?;
    /// for event in client.events() {
    ///     if let tether::Event::Reconnect { .. } = event {
    ///         client.set_token("fresh-token")?;
    ///     }
    /// }
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn set_token(&self, token: &str) -> Result<()> {
        let token = to_cstring("token", token)?;
        // SAFETY: `self.raw` is live; the token is copied.
        check(unsafe { sys::tether_client_set_token(self.raw, token.as_ptr()) })
    }

    /// Subscribes to `channel` (under any protocol but raw, see [`Options::protocol`] and
    /// [`Options::provider`]); its messages arrive as [`Event::ChannelMessage`] with the
    /// returned id. `params` is `None` or JSON sent along with the subscription (e.g. a filter,
    /// or GraphQL variables). What a channel is depends on the protocol: a channel of the json
    /// envelope, a Socket.IO event name, a GraphQL subscription document, a SignalR client
    /// method, a Phoenix topic, a Pusher channel, an Action Cable channel, a Binance stream.
    ///
    /// Works offline: the subscription is sent once the client is ready, and again after every
    /// reconnect. [`Event::Subscribed`] or [`Event::SubscribeFailed`] follows when the server
    /// answers (for Socket.IO, GraphQL and SignalR, whose servers do not confirm, `Subscribed`
    /// once it is sent). Several subscriptions to one channel share one on the wire; each gets
    /// its own events. Fails with [`Status::NOT_SUPPORTED`] under protocol raw (the default),
    /// [`Status::INVALID_JSON`] for bad `params`, [`Status::INVALID_ARGUMENT`] for `params` the
    /// protocol has no place for, [`Status::CLOSED`].
    ///
    /// ```
    /// let mut options = tether::Options::new();
    /// options.url("ws://127.0.0.1:8080/json")?.protocol(tether::Protocol::Json)?;
    /// let client = tether::Client::new(&options)?;
    /// let chat = client.subscribe("chat", None)?; // offline: sent once connected
    /// let news = client.subscribe("news", Some(r#"{"since":0}"#))?;
    /// assert_ne!(chat, news);
    /// assert_eq!(client.stats()?.active_subscriptions, Some(2));
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn subscribe(&self, channel: &str, params: Option<&str>) -> Result<Subscription> {
        let channel = to_cstring("channel", channel)?;
        let params = optional_cstring("subscription params", params)?;
        let mut id = 0u64;
        // SAFETY: valid out-pointer, live client, NUL-terminated strings (or NULL) that are copied.
        check(unsafe {
            sys::tether_client_subscribe(&mut id, self.raw, channel.as_ptr(), as_ptr_or_null(&params))
        })?;
        Ok(Subscription(id))
    }

    /// Ends a subscription. [`Event::ChannelMessage`]s for it that are already under way may
    /// still arrive; no others will. When it was the channel's last subscription the server is
    /// told to stop sending it. Fails with [`Status::INVALID_ARGUMENT`] when the subscription
    /// is not live (already ended, or refused by the server).
    ///
    /// ```
    /// # let mut options = tether::Options::new();
    /// # options.url("ws://127.0.0.1:8080/json")?.protocol(tether::Protocol::Json)?;
    /// let client = tether::Client::new(&options)?;
    /// let chat = client.subscribe("chat", None)?;
    /// client.unsubscribe(chat)?;
    /// assert_eq!(client.unsubscribe(chat).unwrap_err().status, tether::Status::INVALID_ARGUMENT);
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn unsubscribe(&self, subscription: Subscription) -> Result<()> {
        // SAFETY: `self.raw` is live.
        check(unsafe { sys::tether_client_unsubscribe(self.raw, subscription.0) })
    }

    /// Publishes `payload_json` to `channel`, queued in order with [`send`](Client::send)
    /// messages. A non-zero `id` comes back in [`Event::Sent`] or [`Event::SendFailed`].
    /// Fails as [`send_message`](Client::send_message) does, plus [`Status::NOT_SUPPORTED`]
    /// under protocol raw and in protocols without publish (GraphQL: use a mutation with
    /// [`request`](Client::request); Binance), and [`Status::INVALID_ARGUMENT`] when the
    /// payload does not have the shape the protocol needs (the message says which).
    ///
    /// ```
    /// # let mut options = tether::Options::new();
    /// # options.url("ws://127.0.0.1:8080/json")?.protocol(tether::Protocol::Json)?;
    /// let client = tether::Client::new(&options)?;
    /// client.publish("chat", r#"{"text":"Hello!"}"#, 0)?; // queued until ready
    /// assert_eq!(client.publish("chat", "{oops", 0).unwrap_err().status, tether::Status::INVALID_JSON);
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn publish(&self, channel: &str, payload_json: &str, id: u64) -> Result<()> {
        let channel = to_cstring("channel", channel)?;
        let payload = to_cstring("payload", payload_json)?;
        // SAFETY: live client; NUL-terminated strings, copied.
        check(unsafe { sys::tether_client_publish(self.raw, channel.as_ptr(), payload.as_ptr(), id) })
    }

    /// Sends a request for `method` with `params` (`None` or JSON). Exactly one
    /// [`Event::Response`] with the same `id` follows: the result as JSON, the server's error
    /// ([`Status::REMOTE`]), a timeout ([`Status::TIMEOUT`]) or a lost connection
    /// ([`Status::CLOSED`]; a request still queued when the connection drops is sent after the
    /// reconnect instead). In Socket.IO a request is an event with an acknowledgement (a JSON
    /// array of `params` is the argument list), in GraphQL a query or mutation document, in
    /// SignalR a hub method invocation. Protocols without requests (Pusher, Action Cable)
    /// fail with [`Status::NOT_SUPPORTED`].
    ///
    /// `timeout`: `None` waits without limit; otherwise the longest wait from now (rounded up
    /// to whole milliseconds, at least one). `id` is yours; it must not be the id of a request
    /// still pending ([`Status::INVALID_ARGUMENT`]). Ids from 2^63 up are reserved for
    /// [`request_wait`](Client::request_wait).
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use tether::Event;
    /// # let mut options = tether::Options::new();
    /// # options.url("ws://127.0.0.1:8080/json")?.protocol(tether::Protocol::Json)?;
    /// let client = tether::Client::new(&options)?;
    /// client.connect()?;
    /// client.request("add", Some(r#"{"a":2,"b":40}"#), Some(Duration::from_secs(5)), 1)?;
    /// for event in client.events() {
    ///     if let Event::Response { id: 1, result, .. } = event {
    ///         println!("{}", result?); // {"sum":42}
    ///         break;
    ///     }
    /// }
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn request(
        &self,
        method: &str,
        params: Option<&str>,
        timeout: Option<Duration>,
        id: u64,
    ) -> Result<()> {
        let method = to_cstring("method", method)?;
        let params = optional_cstring("request params", params)?;
        let timeout_ms = timeout.map_or(0, |timeout| round_up_millis(timeout).max(1));
        // SAFETY: live client; NUL-terminated strings (or NULL), copied.
        check(unsafe {
            sys::tether_client_request(self.raw, method.as_ptr(), as_ptr_or_null(&params), timeout_ms, id)
        })
    }

    /// Sends a request and blocks until its answer: the result as JSON, or the error of its
    /// [`Event::Response`] ([`Status::REMOTE`], [`Status::TIMEOUT`], [`Status::CLOSED`]).
    ///
    /// Only for callback-mode clients ([`ClientBuilder::on_event`]): the response is taken
    /// out of the event stream on the I/O thread and handed to this call, so the handler does
    /// not see it. A poll-mode client fails with [`Status::BAD_STATE`]: its responses sit in the
    /// poll queue, where only the application's own loop can meet them (use
    /// [`request`](Client::request) and match [`Event::Response`] there). Called from inside a
    /// handler (a library I/O thread) it fails with [`Status::WOULD_DEADLOCK`]: that thread is
    /// the one that would deliver the answer.
    ///
    /// `timeout` is the request's timeout (at least one millisecond); the call returns within
    /// it, or soon after when the connection is lost.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// # let mut options = tether::Options::new();
    /// # options.url("ws://127.0.0.1:8080/json")?.protocol(tether::Protocol::Json)?;
    /// let client = tether::Client::builder(&options).on_event(|event| println!("{event:?}")).build()?;
    /// client.connect()?;
    /// let sum = client.request_wait("add", Some(r#"{"a":2,"b":40}"#), Duration::from_secs(5))?;
    /// assert_eq!(sum, r#"{"sum":42}"#);
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn request_wait(&self, method: &str, params: Option<&str>, timeout: Duration) -> Result<String> {
        if self.shared.handler.is_none() {
            return Err(Error::new(
                Status::BAD_STATE,
                "request_wait needs a callback-mode client (ClientBuilder::on_event); \
                 in poll mode use request and match Event::Response",
            ));
        }
        if IN_CALLBACK.with(Cell::get) {
            return Err(Error::new(
                Status::WOULD_DEADLOCK,
                "request_wait inside an event handler: the I/O thread would wait for itself",
            ));
        }
        let id = self.shared.next_wait_id.fetch_add(1, Ordering::Relaxed);
        let (sender, receiver) = mpsc::sync_channel(1);
        // Registered before the request goes out, so that even an immediate answer finds it.
        lock(&self.shared.waiters).insert(id, sender);
        if let Err(err) = self.request(method, params, Some(timeout), id) {
            lock(&self.shared.waiters).remove(&id);
            return Err(err);
        }
        // The library answers every request exactly once, at the latest when its timeout fires;
        // the margin only guards against waiting forever should that promise ever break.
        match receiver.recv_timeout(timeout.saturating_add(Duration::from_secs(30))) {
            Ok(result) => result,
            Err(_) => {
                lock(&self.shared.waiters).remove(&id);
                Err(Error::new(Status::TIMEOUT, format!("request_wait: no response to {id} in time")))
            }
        }
    }

    /// The current state.
    ///
    /// ```
    /// # let mut options = tether::Options::new();
    /// # options.url("ws://127.0.0.1:8080/echo")?;
    /// let client = tether::Client::new(&options)?;
    /// assert_eq!(client.state(), tether::State::DISCONNECTED);
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn state(&self) -> State {
        let mut state = sys::TETHER_STATE_ERROR;
        // SAFETY: valid out-pointer and live client; it only fails for NULL arguments.
        let status = unsafe { sys::tether_client_state(&mut state, self.raw) };
        debug_assert_eq!(status, sys::TETHER_OK);
        State(state)
    }

    /// What waits in the outgoing queue.
    ///
    /// ```
    /// # let mut options = tether::Options::new();
    /// # options.url("ws://127.0.0.1:8080/echo")?.message_format(tether::MessageFormat::Text)?;
    /// let client = tether::Client::new(&options)?;
    /// client.send("queued while offline")?;
    /// assert_eq!(client.buffered(), tether::Buffered { messages: 1, bytes: 20 });
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn buffered(&self) -> Buffered {
        let mut buffered = Buffered::default();
        // SAFETY: valid out-pointers and live client; it only fails for NULL arguments.
        let status =
            unsafe { sys::tether_client_buffered(&mut buffered.messages, &mut buffered.bytes, self.raw) };
        debug_assert_eq!(status, sys::TETHER_OK);
        buffered
    }

    /// A snapshot of the counters.
    ///
    /// ```
    /// # let mut options = tether::Options::new();
    /// # options.url("ws://127.0.0.1:8080/echo")?;
    /// let client = tether::Client::new(&options)?;
    /// let stats = client.stats()?;
    /// assert_eq!(stats.messages_sent, 0);
    /// assert_eq!(stats.url, "ws://127.0.0.1:8080/echo");
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn stats(&self) -> Result<Stats> {
        Stats::from_json(&self.stats_json()?)
    }

    /// The library's statistics JSON as it is, for logging or fields newer than [`Stats`].
    ///
    /// ```
    /// # let mut options = tether::Options::new();
    /// # options.url("ws://127.0.0.1:8080/echo")?;
    /// let client = tether::Client::new(&options)?;
    /// assert!(client.stats_json()?.contains("\"reconnects\":0"));
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn stats_json(&self) -> Result<String> {
        let mut json: *mut c_char = ptr::null_mut();
        // SAFETY: valid out-pointer and live client.
        check(unsafe { sys::tether_client_stats_json(&mut json, self.raw) })?;
        // SAFETY: on success `json` is library-allocated text that we now own.
        Ok(unsafe { take_library_string(json) })
    }

    /// Waits for the next event (poll mode).
    ///
    /// Fails with [`Status::BAD_STATE`] on a callback-mode client.
    ///
    /// ```no_run
    /// # let mut options = tether::Options::new();
    /// # options.url("ws://127.0.0.1:8080/echo")?;
    /// let client = tether::Client::new(&options)?;
    /// client.connect()?;
    /// let first = client.recv()?; // Event::State { state: CONNECTING, .. }
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn recv(&self) -> Result<Event> {
        loop {
            if let Some(event) = self.poll_raw(-1)? {
                return Ok(event);
            }
        }
    }

    /// Waits at most `timeout` for the next event (poll mode); `Ok(None)` when none came.
    ///
    /// ```
    /// # let mut options = tether::Options::new();
    /// # options.url("ws://127.0.0.1:8080/echo")?;
    /// let client = tether::Client::new(&options)?;
    /// let nothing = client.recv_timeout(std::time::Duration::from_millis(10))?;
    /// assert!(nothing.is_none()); // not connecting: nothing happens
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Option<Event>> {
        // Round up so that a short non-zero wait never becomes "do not wait".
        self.poll_raw(round_up_millis(timeout))
    }

    /// Takes the next event if one is waiting (poll mode); never blocks.
    ///
    /// ```
    /// # let mut options = tether::Options::new();
    /// # options.url("ws://127.0.0.1:8080/echo")?;
    /// let client = tether::Client::new(&options)?;
    /// assert!(client.try_recv()?.is_none());
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn try_recv(&self) -> Result<Option<Event>> {
        self.poll_raw(0)
    }

    /// A blocking iterator over the events (poll mode). It ends only when receiving fails,
    /// e.g. on a callback-mode client; `break` out of it when you are done.
    ///
    /// ```no_run
    /// # let mut options = tether::Options::new();
    /// # options.url("ws://127.0.0.1:8080/echo")?;
    /// let client = tether::Client::new(&options)?;
    /// client.connect()?;
    /// for event in client.events() {
    ///     if let tether::Event::Open { .. } = event {
    ///         break;
    ///     }
    /// }
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn events(&self) -> Events<'_> {
        Events { client: self }
    }

    /// Waits for the next event without blocking a thread (poll mode). Works under any
    /// executor: the library's READY callback wakes the task.
    ///
    /// ```no_run
    /// # async fn run() -> tether::Result<()> {
    /// # let mut options = tether::Options::new();
    /// # options.url("ws://127.0.0.1:8080/echo")?;
    /// let client = tether::Client::new(&options)?;
    /// client.connect()?;
    /// loop {
    ///     match client.next_event().await? {
    ///         tether::Event::Open { .. } => client.send_text("hi")?,
    ///         tether::Event::Message(message) => break println!("{:?}", message.text()),
    ///         _ => {}
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn next_event(&self) -> Result<Event> {
        NextEvent { client: self, key: None }.await
    }

    /// The raw handle, still owned by `self`, for calls through [`sys`](crate::sys).
    ///
    /// ```
    /// # let mut options = tether::Options::new();
    /// # options.url("ws://127.0.0.1:8080/echo")?;
    /// let client = tether::Client::new(&options)?;
    /// assert!(!client.as_raw().is_null());
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn as_raw(&self) -> *mut sys::tether_client {
        self.raw
    }

    /// One `tether_client_poll`: `Ok(None)` on timeout.
    fn poll_raw(&self, timeout_ms: i32) -> Result<Option<Event>> {
        let mut ev = ptr::null_mut();
        // SAFETY: `self.raw` is live; valid out-pointer.
        let status = unsafe { sys::tether_client_poll(self.raw, timeout_ms, &mut ev) };
        if status == Status::TIMEOUT.0 {
            return Ok(None);
        }
        check(status)?;
        // SAFETY: on success `ev` is an event we own; it is copied, then destroyed once.
        let event = unsafe { Event::from_raw(ev) };
        // SAFETY: as above.
        unsafe { sys::tether_event_destroy(ev) };
        Ok(Some(event))
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // SAFETY: `self.raw` came from tether_client_new and is destroyed once, here. It never
        // blocks and is allowed inside the client's own callback; the library's reference to
        // `Shared` is released later by release_trampoline.
        unsafe { sys::tether_client_destroy(self.raw) };
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("state", &self.state())
            .field("callback_mode", &self.shared.handler.is_some())
            .finish_non_exhaustive()
    }
}

/// Whole milliseconds, rounded up (a short non-zero wait never becomes 0), at most `i32::MAX`.
fn round_up_millis(duration: Duration) -> i32 {
    i32::try_from(duration.as_nanos().div_ceil(1_000_000)).unwrap_or(i32::MAX)
}

fn optional_cstring(what: &str, value: Option<&str>) -> Result<Option<CString>> {
    value.map(|value| to_cstring(what, value)).transpose()
}

fn as_ptr_or_null(value: &Option<CString>) -> *const c_char {
    value.as_ref().map_or(ptr::null(), |value| value.as_ptr())
}

/// The blocking iterator of [`Client::events`].
///
/// ```no_run
/// # let mut options = tether::Options::new();
/// # options.url("ws://127.0.0.1:8080/echo")?;
/// let client = tether::Client::new(&options)?;
/// let messages = client.events().filter_map(|event| match event {
///     tether::Event::Message(message) => Some(message),
///     _ => None,
/// });
/// # Ok::<(), tether::Error>(())
/// ```
#[derive(Debug)]
pub struct Events<'a> {
    client: &'a Client,
}

impl Iterator for Events<'_> {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        self.client.recv().ok()
    }
}

impl<'a> IntoIterator for &'a Client {
    type Item = Event;
    type IntoIter = Events<'a>;

    fn into_iter(self) -> Events<'a> {
        self.events()
    }
}

/// The future behind [`Client::next_event`].
struct NextEvent<'a> {
    client: &'a Client,
    /// Our slot in `Shared::wakers` while we wait.
    key: Option<u64>,
}

impl NextEvent<'_> {
    fn register(&mut self, waker: &Waker) {
        let mut wakers = lock(&self.client.shared.wakers);
        let key = match self.key {
            Some(key) => key,
            None => {
                wakers.next_key += 1;
                wakers.next_key
            }
        };
        self.key = Some(key);
        match wakers.waiting.iter_mut().find(|(k, _)| *k == key) {
            Some((_, stored)) => stored.clone_from(waker),
            None => wakers.waiting.push((key, waker.clone())),
        }
    }
}

impl Future for NextEvent<'_> {
    type Output = Result<Event>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<Event>> {
        if let Some(ready) = self.client.try_recv().transpose() {
            return Poll::Ready(ready);
        }
        // READY fires only when the queue goes from empty to non-empty: an event that arrived
        // between the poll above and this registration is caught by the poll below.
        self.register(cx.waker());
        match self.client.try_recv().transpose() {
            Some(ready) => Poll::Ready(ready),
            None => Poll::Pending,
        }
    }
}

impl Drop for NextEvent<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            lock(&self.client.shared.wakers).waiting.retain(|(k, _)| *k != key);
        }
    }
}
