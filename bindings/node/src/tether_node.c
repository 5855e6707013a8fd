/*
 * tether_node.c - the Node-API addon under the tether Node binding (plain node_api.h, C11).
 *
 * One client = one `struct client_ctx`, one POLL-mode tether_client and ONE
 * napi_threadsafe_function (TSFN):
 *
 *   tether I/O thread                         JavaScript thread
 *   -----------------                         -----------------
 *   READY (queue empty -> non-empty)  ---->   call_js: tether_client_poll(0) up to a batch,
 *   napi_call_threadsafe_function             each event -> dispatch(target, event) at once
 *   (non-blocking, never waits on JS;         (a message as its string or Buffer, any other
 *   skipped while JS is draining)             event as a plain object)
 *
 * Why POLL mode and not CALLBACK mode with copied events: the I/O thread only ever pokes the TSFN
 * (no per-event allocation or copy on that thread, no unbounded queue inside the TSFN), JS drains
 * up to a whole batch per wake-up, and when JS stops draining (paused async iterator, slow consumer) the
 * tether poll queue fills to maxPollQueue and tether stops reading the socket: real backpressure
 * down to TCP. Order is tether's queue order; only the JS thread polls.
 *
 * Lifetime. The context has three owners, counted atomically:
 *   - the JS object it is wrapped onto (dropped by the napi_wrap finalizer),
 *   - tether's user_data (dropped by release_user_data, which runs exactly once after the last
 *     callback; it also releases the TSFN, exactly once),
 *   - the TSFN (dropped by the TSFN finalizer, which also runs at environment teardown).
 * A mutex guards `tsfn_open`, so the I/O thread never touches a TSFN that Node has finalized
 * (environment teardown of a worker or of the process can finalize it while tether still runs).
 *
 * Keeping the process alive: while the client is active (connecting, open, reconnecting) the TSFN
 * is ref'd and the wrapped JS object is held by a strong reference; once the client is
 * disconnected, in error, or destroyed, the TSFN is unref'd and the reference becomes weak, so an
 * idle client neither holds the event loop nor escapes garbage collection.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <tether.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DRAIN_BATCH 1024
/* A drain also ends after this long, so that a steady stream of messages, each there by the time
 * the one before it was handled (see drain), cannot keep timers and other I/O of the loop waiting. */
#define DRAIN_BUDGET_NS 2000000

static int64_t monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

typedef struct client_ctx {
    atomic_int refs;
    pthread_mutex_t mu;
    int tsfn_open; /* guarded by mu: the TSFN may be called/released */
    napi_threadsafe_function tsfn;
    /* A READY that comes while the JS thread is polling needs no TSFN call: see on_tether_event. */
    atomic_int draining;     /* set by the JS thread around its polls */
    atomic_int ready_missed; /* a READY was seen and not yet turned into a drain */

    /* JS thread only. */
    tether_client *client; /* NULL once destroyed by us */
    napi_ref self;         /* reference to the wrapped object; strong while active */
    int wrapper_alive;
    int active;
    int connect_pending; /* connect() called, its first STATE (or CLOSE) event not drained yet */
    int paused;
    int drain_scheduled;
} client_ctx;

static void ctx_unref(client_ctx *c) {
    if (atomic_fetch_sub(&c->refs, 1) == 1) {
        pthread_mutex_destroy(&c->mu);
        free(c);
    }
}

/* ---- helpers ---------------------------------------------------------------------------- */

#define CHECK_NAPI(env, call)                                                                  \
    do {                                                                                       \
        if ((call) != napi_ok) {                                                               \
            throw_last_napi_error(env, #call);                                                 \
            return NULL;                                                                       \
        }                                                                                      \
    } while (0)

static void throw_last_napi_error(napi_env env, const char *what) {
    const napi_extended_error_info *info = NULL;
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) return;
    napi_get_last_error_info(env, &info);
    napi_throw_error(env, "TETHER_E_INTERNAL",
                     info && info->error_message ? info->error_message : what);
}

static napi_value make_int(napi_env env, int64_t v) {
    napi_value out;
    napi_create_int64(env, v, &out);
    return out;
}

static napi_value make_str(napi_env env, const char *s, size_t len) {
    napi_value out;
    napi_create_string_utf8(env, s ? s : "", s ? len : 0, &out);
    return out;
}

static napi_value make_cstr(napi_env env, const char *s) {
    return make_str(env, s, s ? strlen(s) : 0);
}

static napi_value make_bool(napi_env env, int v) {
    napi_value out;
    napi_get_boolean(env, v != 0, &out);
    return out;
}

static void set(napi_env env, napi_value obj, const char *key, napi_value v) {
    napi_set_named_property(env, obj, key, v);
}

/* Reads a JS string into malloc'd UTF-8 (NUL-terminated); *len gets its byte length. */
static char *get_string(napi_env env, napi_value v, size_t *len) {
    size_t n = 0;
    if (napi_get_value_string_utf8(env, v, NULL, 0, &n) != napi_ok) return NULL;
    char *buf = malloc(n + 1);
    if (!buf) return NULL;
    napi_get_value_string_utf8(env, v, buf, n + 1, &n);
    if (len) *len = n;
    return buf;
}

static int is_nullish(napi_env env, napi_value v) {
    napi_valuetype t;
    napi_typeof(env, v, &t);
    return t == napi_null || t == napi_undefined;
}

/* Bytes of a Buffer / TypedArray / DataView / ArrayBuffer, borrowed. Returns 0 if not one. */
static int get_bytes(napi_env env, napi_value v, void **data, size_t *len) {
    bool yes = false;
    napi_is_buffer(env, v, &yes);
    if (yes) return napi_get_buffer_info(env, v, data, len) == napi_ok;
    napi_is_typedarray(env, v, &yes);
    if (yes) {
        napi_typedarray_type type;
        size_t count = 0, offset = 0;
        napi_value ab;
        if (napi_get_typedarray_info(env, v, &type, &count, data, &ab, &offset) != napi_ok) return 0;
        size_t elem = 1;
        switch (type) {
        case napi_int16_array: case napi_uint16_array: elem = 2; break;
        case napi_int32_array: case napi_uint32_array: case napi_float32_array: elem = 4; break;
        case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: elem = 8; break;
        default: elem = 1;
        }
        *len = count * elem;
        return 1;
    }
    napi_is_dataview(env, v, &yes);
    if (yes) {
        napi_value ab;
        size_t offset = 0;
        return napi_get_dataview_info(env, v, len, data, &ab, &offset) == napi_ok;
    }
    napi_is_arraybuffer(env, v, &yes);
    if (yes) return napi_get_arraybuffer_info(env, v, data, len) == napi_ok;
    return 0;
}

static client_ctx *unwrap(napi_env env, napi_value obj) {
    void *p = NULL;
    if (napi_unwrap(env, obj, &p) != napi_ok || !p) {
        napi_throw_type_error(env, "TETHER_E_INVALID_ARGUMENT", "not a tether client handle");
        return NULL;
    }
    return (client_ctx *)p;
}

/* ---- activity: TSFN ref + strong self reference while a connection is wanted ------------- */

static void set_active(napi_env env, client_ctx *c, int on) {
    if (on == c->active) return;
    c->active = on;
    uint32_t count = 0;
    if (on) {
        napi_ref_threadsafe_function(env, c->tsfn);
        if (c->wrapper_alive) napi_reference_ref(env, c->self, &count);
    } else {
        napi_unref_threadsafe_function(env, c->tsfn);
        if (c->wrapper_alive) napi_reference_unref(env, c->self, &count);
    }
}

static void update_active(napi_env env, client_ctx *c) {
    if (!c->client) return;
    int32_t st = TETHER_STATE_DISCONNECTED;
    tether_client_state(&st, c->client);
    /* tether changes the state on its I/O thread, so right after connect() it may still read
     * "disconnected": stay active until that attempt has reported itself. */
    set_active(env, c,
               c->connect_pending || (st != TETHER_STATE_DISCONNECTED && st != TETHER_STATE_ERROR));
}

/* Asks for a drain on a later turn of the loop. JS thread only, client alive (so TSFN alive). */
static void schedule_drain(client_ctx *c) {
    if (c->drain_scheduled) return;
    pthread_mutex_lock(&c->mu);
    if (c->tsfn_open &&
        napi_call_threadsafe_function(c->tsfn, NULL, napi_tsfn_nonblocking) == napi_ok)
        c->drain_scheduled = 1;
    pthread_mutex_unlock(&c->mu);
}

/* JS thread: tether_client_destroy once, then the client can no longer hold the loop. */
static void destroy_client(napi_env env, client_ctx *c) {
    if (!c->client) return;
    set_active(env, c, 0);
    tether_client *cl = c->client;
    c->client = NULL;
    tether_client_destroy(cl); /* never blocks; release_user_data follows later */
}

/* ---- tether callbacks (I/O thread) ------------------------------------------------------- */

/* READY: the queue went from empty to non-empty. While the JS thread is inside drain() it takes
 * the event itself, and a TSFN call would only queue a wasted turn of the loop: a drain that
 * finds the queue empty (in the pipeline benchmark 87% of drains were such). So the
 * READY is noted in ready_missed and the TSFN is called only when no drain is running. drain()
 * clears draining and then takes ready_missed; here ready_missed is set and then draining read
 * (both sequentially consistent), so at least one side sees the other and no event is left
 * without a drain. */
static void TETHER_CALL on_tether_event(const tether_event *ev, void *user_data) {
    client_ctx *c = (client_ctx *)user_data;
    if (tether_event_type(ev) != TETHER_EVENT_READY) return;
    atomic_store(&c->ready_missed, 1);
    if (atomic_load(&c->draining) || !atomic_exchange(&c->ready_missed, 0)) return;
    pthread_mutex_lock(&c->mu);
    if (c->tsfn_open) napi_call_threadsafe_function(c->tsfn, NULL, napi_tsfn_nonblocking);
    pthread_mutex_unlock(&c->mu);
}

static void TETHER_CALL on_tether_release(void *user_data) {
    client_ctx *c = (client_ctx *)user_data;
    pthread_mutex_lock(&c->mu);
    if (c->tsfn_open) {
        c->tsfn_open = 0;
        napi_release_threadsafe_function(c->tsfn, napi_tsfn_release);
    }
    pthread_mutex_unlock(&c->mu);
    ctx_unref(c);
}

/* ---- events -> JS -------------------------------------------------------------------------- */

/* One event as dispatch() takes it. A message is its data alone (a string for text, a Buffer for
 * binary): no object per message. Every other event is an object with a `type`.
 *
 * A binary message is copied into a new Buffer and its event freed at once. A Buffer over the
 * event's own bytes (napi_create_external_buffer) saves that copy but keeps the bytes until the
 * next garbage collection, so tether's I/O thread, the busier one, allocates every next message
 * in fresh memory: in the bulk benchmark (256 KiB messages) that was 12% slower than copying. */
static napi_value event_to_js(napi_env env, const tether_event *ev) {
    napi_value o;
    int32_t type = tether_event_type(ev);
    if (type == TETHER_EVENT_MESSAGE) {
        size_t n = 0;
        const uint8_t *data = tether_event_data(ev, &n);
        if (tether_event_message_type(ev) != TETHER_MESSAGE_BINARY)
            return make_str(env, (const char *)data, n);
        void *copy = NULL;
        napi_create_buffer_copy(env, n, n ? data : (const uint8_t *)"", &copy, &o);
        return o;
    }
    napi_create_object(env, &o);
    set(env, o, "type", make_int(env, type));
    switch (type) {
    case TETHER_EVENT_OPEN:
        set(env, o, "protocol", make_cstr(env, tether_event_text(ev)));
        break;
    case TETHER_EVENT_CLOSE:
        set(env, o, "code", make_int(env, tether_event_code(ev)));
        set(env, o, "reason", make_cstr(env, tether_event_text(ev)));
        set(env, o, "wasClean", make_bool(env, tether_event_was_clean(ev)));
        set(env, o, "status", make_int(env, tether_event_status(ev)));
        break;
    case TETHER_EVENT_ERROR:
        set(env, o, "status", make_int(env, tether_event_status(ev)));
        set(env, o, "message", make_cstr(env, tether_event_text(ev)));
        break;
    case TETHER_EVENT_STATE:
        set(env, o, "state", make_int(env, tether_event_state(ev)));
        set(env, o, "previous", make_int(env, tether_event_previous_state(ev)));
        break;
    case TETHER_EVENT_RECONNECT:
        set(env, o, "attempt", make_int(env, tether_event_attempt(ev)));
        set(env, o, "delayMs", make_int(env, tether_event_delay_ms(ev)));
        break;
    case TETHER_EVENT_SENT:
        set(env, o, "id", make_int(env, (int64_t)tether_event_id(ev)));
        break;
    case TETHER_EVENT_SEND_FAILED:
        set(env, o, "id", make_int(env, (int64_t)tether_event_id(ev)));
        set(env, o, "status", make_int(env, tether_event_status(ev)));
        set(env, o, "message", make_cstr(env, tether_event_text(ev)));
        break;
    case TETHER_EVENT_CHANNEL_MESSAGE:
    case TETHER_EVENT_RESPONSE:
    case TETHER_EVENT_SUBSCRIBED:
    case TETHER_EVENT_SUBSCRIBE_FAILED: {
        size_t n = 0;
        const uint8_t *data = tether_event_data(ev, &n);
        set(env, o, "id", make_int(env, (int64_t)tether_event_id(ev)));
        set(env, o, "channel", make_cstr(env, tether_event_channel(ev)));
        set(env, o, "status", make_int(env, tether_event_status(ev)));
        /* The text is the protocol's event name on a CHANNEL_MESSAGE, else a message. */
        set(env, o, type == TETHER_EVENT_CHANNEL_MESSAGE ? "event" : "message",
            make_cstr(env, tether_event_text(ev)));
        set(env, o, "data", make_str(env, (const char *)data, data ? n : 0));
        break;
    }
    default:
        break;
    }
    return o;
}

/* Calls dispatch(target, event); a throwing listener is an uncaught exception, as in any
 * event handler, and the events after it are still delivered. */
static void dispatch_one(napi_env env, napi_value dispatch, napi_value target, napi_value event) {
    napi_value argv[2] = {target, event}, global, result;
    napi_get_global(env, &global);
    if (napi_call_function(env, global, dispatch, 2, argv, &result) == napi_pending_exception) {
        napi_value err;
        napi_get_and_clear_last_exception(env, &err);
        napi_fatal_exception(env, err);
    }
}

/* Takes up to DRAIN_BATCH events, for up to DRAIN_BUDGET_NS, and hands each to
 * dispatch(target, event) in order. JS thread.
 *
 * Each event is dispatched as soon as it is taken, not collected into a batch first: the
 * application's answer (the next send) then leaves before the next poll, and a message that
 * arrives meanwhile is taken by that poll in the same drain, without a READY and a TSFN call. */
static void drain(napi_env env, client_ctx *c, napi_value dispatch) {
    if (!c->client || c->paused || !c->wrapper_alive || !dispatch) return;
    napi_value target = NULL;
    if (napi_get_reference_value(env, c->self, &target) != napi_ok || !target) return;

    uint32_t taken = 0;
    int more = 0; /* stopped by the batch or the time budget, not by an empty queue */
    const int64_t deadline = monotonic_ns() + DRAIN_BUDGET_NS;
    atomic_store(&c->draining, 1);
    while (c->client && !c->paused) {
        if (taken == DRAIN_BATCH || monotonic_ns() > deadline) {
            more = 1;
            break;
        }
        tether_event *ev = NULL;
        /* A READY raised before this poll is for an event the poll takes (or an earlier one). */
        atomic_store(&c->ready_missed, 0);
        if (tether_client_poll(c->client, 0, &ev) != TETHER_OK) break;
        int32_t type = tether_event_type(ev);
        if (type == TETHER_EVENT_READY) {
            tether_event_destroy(ev);
            continue;
        }
        ++taken;
        if (type == TETHER_EVENT_STATE || type == TETHER_EVENT_CLOSE) {
            c->connect_pending = 0;
            update_active(env, c);
        }
        napi_handle_scope scope;
        napi_open_handle_scope(env, &scope);
        dispatch_one(env, dispatch, target, event_to_js(env, ev));
        napi_close_handle_scope(env, scope);
        tether_event_destroy(ev);
    }
    atomic_store(&c->draining, 0);
    update_active(env, c);
    /* More waiting, or an event that came after the last poll: its READY was left to us. */
    if ((more || atomic_exchange(&c->ready_missed, 0)) && c->client && !c->paused)
        schedule_drain(c);
}

static void tsfn_call_js(napi_env env, napi_value js_cb, void *context, void *data) {
    (void)data;
    client_ctx *c = (client_ctx *)context;
    if (!env) return; /* the TSFN is being torn down */
    c->drain_scheduled = 0;
    drain(env, c, js_cb);
}

static void tsfn_finalize(napi_env env, void *data, void *hint) {
    (void)data;
    client_ctx *c = (client_ctx *)hint;
    pthread_mutex_lock(&c->mu);
    c->tsfn_open = 0;
    pthread_mutex_unlock(&c->mu);
    /* At environment teardown Node finalizes the TSFN while the client may still be running. */
    if (c->client) {
        tether_client *cl = c->client;
        c->client = NULL;
        tether_client_destroy(cl);
    }
    (void)env;
    ctx_unref(c);
}

static void wrapper_finalize(napi_env env, void *data, void *hint) {
    (void)hint;
    client_ctx *c = (client_ctx *)data;
    c->wrapper_alive = 0;
    if (c->client) {
        tether_client *cl = c->client;
        c->client = NULL;
        tether_client_destroy(cl);
        /* The TSFN may still be ref'd if the client was active; never hold the loop for a
         * client whose object is gone. */
        if (c->active) {
            c->active = 0;
            napi_unref_threadsafe_function(env, c->tsfn);
        }
    }
    napi_delete_reference(env, c->self);
    c->self = NULL;
    ctx_unref(c);
}

/* ---- exported functions ------------------------------------------------------------------- */

#define ARGS(n)                                                                                \
    size_t argc = (n);                                                                         \
    napi_value argv[(n) > 0 ? (n) : 1];                                                        \
    CHECK_NAPI(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL))

/* create(target, optionsJson, dispatch) -> status. Wraps target. */
static napi_value js_create(napi_env env, napi_callback_info info) {
    ARGS(3);
    size_t len = 0;
    char *json = get_string(env, argv[1], &len);
    if (!json) {
        napi_throw_type_error(env, "TETHER_E_INVALID_ARGUMENT", "options must be a JSON string");
        return NULL;
    }
    tether_options *opts = NULL;
    tether_status st = tether_options_new(&opts);
    if (st == TETHER_OK) st = tether_options_set_json(opts, json);
    free(json);
    if (st != TETHER_OK) {
        tether_options_destroy(opts);
        return make_int(env, st);
    }

    client_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        tether_options_destroy(opts);
        return make_int(env, TETHER_E_NO_MEMORY);
    }
    pthread_mutex_init(&c->mu, NULL);
    atomic_init(&c->refs, 1); /* ours, until handed over below */
    atomic_init(&c->draining, 0);
    atomic_init(&c->ready_missed, 0);

    napi_value name;
    napi_create_string_utf8(env, "tether.client", NAPI_AUTO_LENGTH, &name);
    if (napi_create_threadsafe_function(env, argv[2], NULL, name, 0, 1, NULL, tsfn_finalize, c,
                                        tsfn_call_js, &c->tsfn) != napi_ok) {
        tether_options_destroy(opts);
        pthread_mutex_destroy(&c->mu);
        free(c);
        throw_last_napi_error(env, "napi_create_threadsafe_function");
        return NULL;
    }
    /* From here the TSFN owns the initial reference (dropped in tsfn_finalize). */
    c->tsfn_open = 1;
    napi_unref_threadsafe_function(env, c->tsfn); /* idle until connect() */

    atomic_fetch_add(&c->refs, 1); /* tether's user_data */
    st = tether_client_new(&c->client, NULL, opts, TETHER_MODE_POLL, on_tether_event,
                           on_tether_release, c);
    tether_options_destroy(opts);
    if (st != TETHER_OK) {
        /* release_user_data is not called on failure: give back tether's share and the TSFN. */
        pthread_mutex_lock(&c->mu);
        c->tsfn_open = 0;
        napi_release_threadsafe_function(c->tsfn, napi_tsfn_release);
        pthread_mutex_unlock(&c->mu);
        ctx_unref(c);
        return make_int(env, st);
    }

    atomic_fetch_add(&c->refs, 1); /* the wrapper */
    if (napi_wrap(env, argv[0], c, wrapper_finalize, NULL, NULL) != napi_ok ||
        napi_create_reference(env, argv[0], 0, &c->self) != napi_ok) {
        /* Cannot happen for a plain object; keep the accounting right anyway. */
        destroy_client(env, c);
        ctx_unref(c);
        throw_last_napi_error(env, "napi_wrap");
        return NULL;
    }
    c->wrapper_alive = 1;
    return make_int(env, TETHER_OK);
}

#define GET_CTX(i)                                                                             \
    client_ctx *c = unwrap(env, argv[i]);                                                      \
    if (!c) return NULL

static napi_value closed_status(napi_env env) { return make_int(env, TETHER_E_CLOSED); }

static napi_value js_connect(napi_env env, napi_callback_info info) {
    ARGS(1);
    GET_CTX(0);
    if (!c->client) return closed_status(env);
    tether_status st = tether_client_connect(c->client);
    if (st == TETHER_OK) {
        c->connect_pending = 1;
        set_active(env, c, 1);
    }
    return make_int(env, st);
}

/* send(target, type, data, id) -> status. data: string or bytes. */
static napi_value js_send(napi_env env, napi_callback_info info) {
    ARGS(4);
    GET_CTX(0);
    if (!c->client) return closed_status(env);
    int32_t type = 0;
    int64_t id = 0;
    napi_get_value_int32(env, argv[1], &type);
    napi_get_value_int64(env, argv[3], &id);
    void *data = NULL;
    size_t len = 0;
    tether_status st;
    if (get_bytes(env, argv[2], &data, &len)) {
        st = tether_client_send(c->client, type, data, len, (uint64_t)id);
    } else {
        /* Most text messages are short: encode them on the stack (tether copies them anyway) and
         * use the heap only for one that may not have fitted. V8 never splits a character, so a
         * string that stops more than 3 bytes short of the end is complete. */
        char small[1024];
        if (napi_get_value_string_utf8(env, argv[2], small, sizeof small, &len) != napi_ok) {
            napi_throw_type_error(env, "TETHER_E_INVALID_ARGUMENT",
                                  "data must be a string, Buffer, TypedArray or ArrayBuffer");
            return NULL;
        }
        if (len + 4 < sizeof small) {
            st = tether_client_send(c->client, type, small, len, (uint64_t)id);
        } else {
            char *s = get_string(env, argv[2], &len);
            if (!s) return make_int(env, TETHER_E_NO_MEMORY);
            st = tether_client_send(c->client, type, s, len, (uint64_t)id);
            free(s);
        }
    }
    return make_int(env, st);
}

/* subscribe(target, channel, paramsJson|null) -> subscription id (> 0) or status (< 0). */
static napi_value js_subscribe(napi_env env, napi_callback_info info) {
    ARGS(3);
    GET_CTX(0);
    if (!c->client) return closed_status(env);
    char *channel = get_string(env, argv[1], NULL);
    char *params = is_nullish(env, argv[2]) ? NULL : get_string(env, argv[2], NULL);
    uint64_t sub = 0;
    tether_status st = channel ? tether_client_subscribe(&sub, c->client, channel, params)
                               : TETHER_E_INVALID_ARGUMENT;
    free(channel);
    free(params);
    return make_int(env, st != TETHER_OK ? (int64_t)st : (int64_t)sub);
}

static napi_value js_unsubscribe(napi_env env, napi_callback_info info) {
    ARGS(2);
    GET_CTX(0);
    if (!c->client) return closed_status(env);
    int64_t sub = 0;
    napi_get_value_int64(env, argv[1], &sub);
    return make_int(env, tether_client_unsubscribe(c->client, (uint64_t)sub));
}

/* publish(target, channel, payloadJson, id) -> status. */
static napi_value js_publish(napi_env env, napi_callback_info info) {
    ARGS(4);
    GET_CTX(0);
    if (!c->client) return closed_status(env);
    char *channel = get_string(env, argv[1], NULL);
    char *payload = get_string(env, argv[2], NULL);
    int64_t id = 0;
    napi_get_value_int64(env, argv[3], &id);
    tether_status st = channel && payload
                           ? tether_client_publish(c->client, channel, payload, (uint64_t)id)
                           : TETHER_E_INVALID_ARGUMENT;
    free(channel);
    free(payload);
    return make_int(env, st);
}

/* request(target, method, paramsJson|null, timeoutMs, id) -> status. */
static napi_value js_request(napi_env env, napi_callback_info info) {
    ARGS(5);
    GET_CTX(0);
    if (!c->client) return closed_status(env);
    char *method = get_string(env, argv[1], NULL);
    char *params = is_nullish(env, argv[2]) ? NULL : get_string(env, argv[2], NULL);
    int32_t timeout = 0;
    int64_t id = 0;
    napi_get_value_int32(env, argv[3], &timeout);
    napi_get_value_int64(env, argv[4], &id);
    tether_status st = method ? tether_client_request(c->client, method, params, timeout,
                                                      (uint64_t)id)
                              : TETHER_E_INVALID_ARGUMENT;
    free(method);
    free(params);
    return make_int(env, st);
}

static napi_value js_close(napi_env env, napi_callback_info info) {
    ARGS(3);
    GET_CTX(0);
    if (!c->client) return make_int(env, TETHER_OK);
    int32_t code = 1000;
    napi_get_value_int32(env, argv[1], &code);
    char *reason = is_nullish(env, argv[2]) ? NULL : get_string(env, argv[2], NULL);
    tether_status st = tether_client_close(c->client, code, reason);
    free(reason);
    return make_int(env, st);
}

static napi_value js_set_token(napi_env env, napi_callback_info info) {
    ARGS(2);
    GET_CTX(0);
    if (!c->client) return closed_status(env);
    char *token = is_nullish(env, argv[1]) ? NULL : get_string(env, argv[1], NULL);
    tether_status st = tether_client_set_token(c->client, token);
    free(token);
    return make_int(env, st);
}

/* state(target) -> state number (TETHER_STATE_DISCONNECTED once destroyed). */
static napi_value js_state(napi_env env, napi_callback_info info) {
    ARGS(1);
    GET_CTX(0);
    int32_t st = TETHER_STATE_DISCONNECTED;
    if (c->client) tether_client_state(&st, c->client);
    return make_int(env, st);
}

static napi_value js_buffered(napi_env env, napi_callback_info info) {
    ARGS(1);
    GET_CTX(0);
    uint64_t msgs = 0, bytes = 0;
    if (c->client) tether_client_buffered(&msgs, &bytes, c->client);
    napi_value arr;
    napi_create_array_with_length(env, 2, &arr);
    napi_set_element(env, arr, 0, make_int(env, (int64_t)msgs));
    napi_set_element(env, arr, 1, make_int(env, (int64_t)bytes));
    return arr;
}

static napi_value js_stats(napi_env env, napi_callback_info info) {
    ARGS(1);
    GET_CTX(0);
    if (!c->client) return make_cstr(env, "");
    char *json = NULL;
    if (tether_client_stats_json(&json, c->client) != TETHER_OK) return make_cstr(env, "");
    napi_value out = make_cstr(env, json);
    tether_free(json);
    return out;
}

static napi_value js_destroy(napi_env env, napi_callback_info info) {
    ARGS(1);
    GET_CTX(0);
    destroy_client(env, c);
    return NULL;
}

/* setPaused(target, bool): a paused client is not drained, so tether's poll queue fills and
 * tether stops reading the socket. Resuming schedules a drain (no READY comes for a queue that
 * never became empty). */
static napi_value js_set_paused(napi_env env, napi_callback_info info) {
    ARGS(2);
    GET_CTX(0);
    bool paused = false;
    napi_get_value_bool(env, argv[1], &paused);
    int was = c->paused;
    c->paused = paused;
    if (was && !paused && c->client) schedule_drain(c);
    return NULL;
}

/* lastError() -> tether_last_error_message() of this thread. */
static napi_value js_last_error(napi_env env, napi_callback_info info) {
    (void)info;
    return make_cstr(env, tether_last_error_message());
}

static napi_value js_version(napi_env env, napi_callback_info info) {
    (void)info;
    return make_cstr(env, tether_version());
}

static napi_value js_schema(napi_env env, napi_callback_info info) {
    (void)info;
    return make_cstr(env, tether_options_schema_json());
}

/* statuses() -> [[code, name, text], ...] for every known status. */
static napi_value js_statuses(napi_env env, napi_callback_info info) {
    (void)info;
    napi_value arr;
    napi_create_array(env, &arr);
    uint32_t i = 0;
    for (int32_t code = 0; code > -1000; --code) {
        const char *name = tether_status_name(code);
        if (strcmp(name, "TETHER_E_UNKNOWN") == 0) break;
        napi_value row;
        napi_create_array_with_length(env, 3, &row);
        napi_set_element(env, row, 0, make_int(env, code));
        napi_set_element(env, row, 1, make_cstr(env, name));
        napi_set_element(env, row, 2, make_cstr(env, tether_status_str(code)));
        napi_set_element(env, arr, i++, row);
    }
    return arr;
}

static napi_value js_state_names(napi_env env, napi_callback_info info) {
    (void)info;
    napi_value arr;
    napi_create_array(env, &arr);
    for (int32_t s = TETHER_STATE_DISCONNECTED; s <= TETHER_STATE_ERROR; ++s)
        napi_set_element(env, arr, (uint32_t)s, make_cstr(env, tether_state_str(s)));
    return arr;
}

static napi_value js_close_code_str(napi_env env, napi_callback_info info) {
    ARGS(1);
    int32_t code = 0;
    napi_get_value_int32(env, argv[0], &code);
    return make_cstr(env, tether_close_code_str(code));
}

/* messageCreate(type, payloadJson|null, id|null) -> json string, or status number. */
static napi_value js_message_create(napi_env env, napi_callback_info info) {
    ARGS(3);
    char *type = get_string(env, argv[0], NULL);
    char *payload = is_nullish(env, argv[1]) ? NULL : get_string(env, argv[1], NULL);
    char *id = is_nullish(env, argv[2]) ? NULL : get_string(env, argv[2], NULL);
    char *out = NULL;
    tether_status st = type ? tether_message_create(&out, type, payload, id)
                            : TETHER_E_INVALID_ARGUMENT;
    free(type);
    free(payload);
    free(id);
    if (st != TETHER_OK) return make_int(env, st);
    napi_value v = make_cstr(env, out);
    tether_free(out);
    return v;
}

/* messageParse(string|bytes) -> json string, or status number. */
static napi_value js_message_parse(napi_env env, napi_callback_info info) {
    ARGS(1);
    void *data = NULL;
    size_t len = 0;
    char *s = NULL;
    if (!get_bytes(env, argv[0], &data, &len)) {
        s = get_string(env, argv[0], &len);
        if (!s) return make_int(env, TETHER_E_INVALID_ARGUMENT);
        data = s;
    }
    char *out = NULL;
    tether_status st = tether_message_parse(&out, len ? data : "", len);
    free(s);
    if (st != TETHER_OK) return make_int(env, st);
    napi_value v = make_cstr(env, out);
    tether_free(out);
    return v;
}

NAPI_MODULE_INIT() {
    static const struct {
        const char *name;
        napi_callback fn;
    } fns[] = {
        {"create", js_create},
        {"connect", js_connect},
        {"send", js_send},
        {"close", js_close},
        {"subscribe", js_subscribe},
        {"unsubscribe", js_unsubscribe},
        {"publish", js_publish},
        {"request", js_request},
        {"setToken", js_set_token},
        {"state", js_state},
        {"buffered", js_buffered},
        {"stats", js_stats},
        {"destroy", js_destroy},
        {"setPaused", js_set_paused},
        {"lastError", js_last_error},
        {"version", js_version},
        {"schema", js_schema},
        {"statuses", js_statuses},
        {"stateNames", js_state_names},
        {"closeCodeStr", js_close_code_str},
        {"messageCreate", js_message_create},
        {"messageParse", js_message_parse},
    };
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; ++i) {
        napi_value f;
        if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f) !=
                napi_ok ||
            napi_set_named_property(env, exports, fns[i].name, f) != napi_ok)
            return NULL;
    }
    return exports;
}
