package tether

// This file is the only one that talks to C. Every call that can fail goes through a small C
// helper that copies tether_last_error_message() before it returns: the message is
// thread-local, and a goroutine may run on another OS thread by the time a second cgo call
// would read it.

/*
#cgo pkg-config: tether
#include <stdlib.h>
#include <string.h>
#include <tether.h>

typedef struct {
	tether_status status;
	char *message; // malloc'ed copy of tether_last_error_message(), NULL on success
} tg_result;

static tg_result tg_check(tether_status status) {
	tg_result r;
	r.status = status;
	r.message = NULL;
	if (status != TETHER_OK) {
		const char *m = tether_last_error_message();
		size_t n = strlen(m);
		r.message = (char *)malloc(n + 1);
		if (r.message != NULL) memcpy(r.message, m, n + 1);
	}
	return r;
}

static tg_result tg_options_new(tether_options **out) { return tg_check(tether_options_new(out)); }

static tg_result tg_options_set(tether_options *o, const char *key, const char *value) {
	return tg_check(tether_options_set(o, key, value));
}

static tg_result tg_runtime_new(tether_runtime **out, int32_t threads) {
	return tg_check(tether_runtime_new(out, threads));
}

// Defined in doorbell.go. The library calls them on its I/O thread.
extern void tgDoorbellRing(uintptr_t handle);
extern void tgDoorbellRelease(uintptr_t handle);

// The poller's side of READY. parked is 1 while the poller is about to park or parked: only then
// does a READY call into Go (a cgo call from a thread Go did not make costs microseconds). The
// poller sets it before its last look at the queue, and READY clears it after the push that
// ended the emptiness, so one of the two always sees the other (see client.run).
typedef struct {
	int32_t parked; // C11/Go atomics: __atomic_exchange_n here, sync/atomic in Go
	uintptr_t handle; // cgo.Handle of the Go doorbell
} tg_bell;

static void TETHER_CALL tg_on_event(const tether_event *ev, void *user_data) {
	tg_bell *b = (tg_bell *)user_data;
	if (tether_event_type(ev) == TETHER_EVENT_READY && __atomic_exchange_n(&b->parked, 0, __ATOMIC_SEQ_CST))
		tgDoorbellRing(b->handle);
}

static void TETHER_CALL tg_release(void *user_data) {
	tg_bell *b = (tg_bell *)user_data;
	tgDoorbellRelease(b->handle);
	free(b);
}

// A POLL-mode client whose READY rings the poller's doorbell (handle: a cgo.Handle). *bell_out
// receives the C half of the doorbell, freed by the library's release_user_data.
static tg_result tg_client_new(tether_client **out, tether_runtime *rt, const tether_options *o,
                               uintptr_t handle, tg_bell **bell_out) {
	tg_result r;
	tg_bell *b = (tg_bell *)calloc(1, sizeof *b);
	if (b == NULL) return tg_check(TETHER_E_NO_MEMORY);
	b->handle = handle;
	r = tg_check(tether_client_new(out, rt, o, TETHER_MODE_POLL, tg_on_event, tg_release, b));
	if (r.status != TETHER_OK) free(b); // release_user_data runs only for a client it made
	else *bell_out = b;
	return r;
}

static tg_result tg_client_connect(tether_client *c) { return tg_check(tether_client_connect(c)); }

static tg_result tg_client_send(tether_client *c, int32_t type, const void *data, size_t size,
                                uint64_t id) {
	return tg_check(tether_client_send(c, type, data, size, id));
}

static tg_result tg_client_send_string(tether_client *c, int32_t type, _GoString_ s, uint64_t id) {
	return tg_check(tether_client_send(c, type, _GoStringPtr(s), _GoStringLen(s), id));
}

static tg_result tg_client_close(tether_client *c, int32_t code, const char *reason) {
	return tg_check(tether_client_close(c, code, reason));
}

static tg_result tg_client_set_token(tether_client *c, const char *token) {
	return tg_check(tether_client_set_token(c, token));
}

static tg_result tg_client_stats_json(char **out, const tether_client *c) {
	return tg_check(tether_client_stats_json(out, c));
}

static tg_result tg_message_create(char **out, const char *type, const char *payload,
                                   const char *id) {
	return tg_check(tether_message_create(out, type, payload, id));
}

static tg_result tg_message_parse(char **out, const void *data, size_t size) {
	return tg_check(tether_message_parse(out, data, size));
}

static tg_result tg_client_subscribe(uint64_t *out, tether_client *c, const char *channel,
                                     const char *params) {
	return tg_check(tether_client_subscribe(out, c, channel, params));
}

static tg_result tg_client_unsubscribe(tether_client *c, uint64_t subscription) {
	return tg_check(tether_client_unsubscribe(c, subscription));
}

static tg_result tg_client_publish(tether_client *c, const char *channel, const char *payload,
                                   uint64_t id) {
	return tg_check(tether_client_publish(c, channel, payload, id));
}

static tg_result tg_client_request(tether_client *c, const char *method, const char *params,
                                   int32_t timeout_ms, uint64_t id) {
	return tg_check(tether_client_request(c, method, params, timeout_ms, id));
}

// The outcome of a wait for the next event; event is NULL unless status is TETHER_OK. Returned
// by value: a pointer to Go memory passed to C is checked by cgo on every call.
typedef struct {
	tg_result result;
	tether_event *event;
} tg_poll_result;

// A timeout is the common, quiet outcome of a poll: no message is copied for it.
static tg_poll_result tg_client_poll(tether_client *c, int32_t timeout_ms) {
	tg_poll_result r;
	tether_status s;
	r.event = NULL;
	s = tether_client_poll(c, timeout_ms, &r.event);
	if (s == TETHER_E_TIMEOUT) {
		r.result.status = s;
		r.result.message = NULL;
	} else {
		r.result = tg_check(s);
	}
	return r;
}

// Every field of an event, read in one cgo call.
typedef struct {
	int32_t type;
	int32_t message_type;
	int32_t code;
	int32_t was_clean;
	int32_t status;
	int32_t state;
	int32_t previous_state;
	int32_t attempt;
	int64_t delay_ms;
	uint64_t id;
	const uint8_t *data;
	size_t size;
	const char *text;
	const char *channel;
} tg_event_fields;

static void tg_event_read(const tether_event *ev, tg_event_fields *f) {
	f->type = tether_event_type(ev);
	f->message_type = tether_event_message_type(ev);
	f->code = tether_event_code(ev);
	f->was_clean = tether_event_was_clean(ev);
	f->status = tether_event_status(ev);
	f->state = tether_event_state(ev);
	f->previous_state = tether_event_previous_state(ev);
	f->attempt = tether_event_attempt(ev);
	f->delay_ms = tether_event_delay_ms(ev);
	f->id = tether_event_id(ev);
	f->size = 0;
	f->data = tether_event_data(ev, &f->size);
	f->text = tether_event_text(ev);
	f->channel = tether_event_channel(ev);
}

#define TG_BATCH_MAX 64

// A burst of polled events and their fields, in C memory (see tg_poll_result).
typedef struct {
	tether_event *events[TG_BATCH_MAX];
	tg_event_fields fields[TG_BATCH_MAX];
	int32_t count;
} tg_batch;

// Puts first (an event just polled, or NULL) in b, then the events already queued, up to max in
// all (at most TG_BATCH_MAX), with every field of each read: one cgo call and one lock of the
// library's queue for a burst of events. b->count is 0 when first is NULL and the queue is
// empty. The caller copies what it needs, then calls tg_batch_clear.
static void tg_client_drain(tether_client *c, tether_event *first, tg_batch *b, int32_t max) {
	const int32_t taken = first != NULL ? 1 : 0;
	size_t more = 0;
	int32_t i;
	if (max > TG_BATCH_MAX) max = TG_BATCH_MAX;
	if (first != NULL) b->events[0] = first;
	if (max > taken &&
	    tether_client_poll_many(c, 0, &b->events[taken], (size_t)(max - taken), &more) != TETHER_OK)
		more = 0;
	b->count = taken + (int32_t)more;
	for (i = 0; i < b->count; i++) tg_event_read(b->events[i], &b->fields[i]);
}

// Releases the events of b.
static void tg_batch_clear(tg_batch *b) {
	int32_t i;
	for (i = 0; i < b->count; i++) tether_event_destroy(b->events[i]);
	b->count = 0;
}
*/
import "C"

import (
	"runtime/cgo"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"
)

// result turns a helper's tg_result into a Go error, freeing the copied message.
func result(r C.tg_result) error {
	if r.status == C.TETHER_OK {
		return nil
	}
	var msg string
	if r.message != nil {
		msg = C.GoString(r.message)
		C.free(unsafe.Pointer(r.message))
	}
	return &Error{Status: Status(r.status), Message: msg}
}

// cString copies s for C. C strings end at the first NUL, so a Go string holding one would be
// cut short silently; it is refused instead.
func cString(what, s string) (*C.char, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, &Error{Status: StatusInvalidArgument, Message: what + ": must not contain a NUL byte"}
	}
	return C.CString(s), nil
}

// takeCString copies text that the library allocated for us and releases it with tether_free.
func takeCString(p *C.char) string {
	s := C.GoString(p)
	C.tether_free(unsafe.Pointer(p))
	return s
}

// Version returns the run-time version of libtether, "MAJOR.MINOR.PATCH".
func Version() string { return C.GoString(C.tether_version()) }

// CloseCodeString returns the meaning of a WebSocket close code as the specification's table
// gives it: "Normal closure" for 1000, "Application-defined" for 4000-4999, and so on.
func CloseCodeString(code int) string {
	if code < -1<<31 || code > 1<<31-1 {
		return C.GoString(C.tether_close_code_str(-1))
	}
	return C.GoString(C.tether_close_code_str(C.int32_t(code)))
}

func statusText(s Status) string { return C.GoString(C.tether_status_str(C.tether_status(s))) }
func statusName(s Status) string { return C.GoString(C.tether_status_name(C.tether_status(s))) }
func stateText(s State) string   { return C.GoString(C.tether_state_str(C.int32_t(s))) }
func eventTypeText(t EventType) string {
	return C.GoString(C.tether_event_type_str(C.int32_t(t)))
}

// The rest of the package uses these handle types and never names a C type itself.
type (
	nativeOptions struct{ p *C.tether_options }
	nativeRuntime struct{ p *C.tether_runtime }
	nativeClient  struct {
		p    *C.tether_client
		bell *C.tg_bell // C memory, freed by the library after the client's last callback
	}
)

func newNativeOptions() (nativeOptions, error) {
	var p *C.tether_options
	if err := result(C.tg_options_new(&p)); err != nil {
		return nativeOptions{}, err
	}
	return nativeOptions{p}, nil
}

func (o nativeOptions) set(key, value string) error {
	ck, err := cString("option key", key)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(ck))
	cv, err := cString("option "+key, value)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cv))
	return result(C.tg_options_set(o.p, ck, cv))
}

func (o nativeOptions) destroy() { C.tether_options_destroy(o.p) }

func newNativeRuntime(threads int) (nativeRuntime, error) {
	if threads < 1 || threads > 64 {
		return nativeRuntime{}, &Error{Status: StatusInvalidArgument,
			Message: "threads must be from 1 to 64"}
	}
	var p *C.tether_runtime
	if err := result(C.tg_runtime_new(&p, C.int32_t(threads))); err != nil {
		return nativeRuntime{}, err
	}
	return nativeRuntime{p}, nil
}

func (r nativeRuntime) destroy() { C.tether_runtime_destroy(r.p) }

// newNativeClient makes a POLL-mode client that rings bell when an event comes to an empty
// queue while the poller is parked (see armBell).
func newNativeClient(rt nativeRuntime, o nativeOptions, bell doorbell) (nativeClient, error) {
	var p *C.tether_client
	var b *C.tg_bell
	h := cgo.NewHandle(bell)
	if err := result(C.tg_client_new(&p, rt.p, o.p, C.uintptr_t(h), &b)); err != nil {
		h.Delete() // the library calls release_user_data only for a client it made
		return nativeClient{}, err
	}
	return nativeClient{p, b}, nil
}

// armBell tells the library that the poller is about to park: the next READY rings the bell.
// Call it before the last look at the queue.
func (c nativeClient) armBell() { atomic.StoreInt32((*int32)(unsafe.Pointer(&c.bell.parked)), 1) }

// disarmBell is armBell undone when that last look found events. A ring that came meanwhile
// stays in the bell and costs one extra look.
func (c nativeClient) disarmBell() { atomic.StoreInt32((*int32)(unsafe.Pointer(&c.bell.parked)), 0) }

func (c nativeClient) destroy() { C.tether_client_destroy(c.p) }

func (c nativeClient) connect() error { return result(C.tg_client_connect(c.p)) }

func (c nativeClient) send(t MessageType, data []byte, id uint64) error {
	var p unsafe.Pointer
	if len(data) > 0 {
		// The library copies the payload before it returns, and a byte slice holds no Go
		// pointers, so passing Go memory is within cgo's rules.
		p = unsafe.Pointer(&data[0])
	}
	return result(C.tg_client_send(c.p, C.int32_t(t), p, C.size_t(len(data)), C.uint64_t(id)))
}

func (c nativeClient) sendString(t MessageType, s string, id uint64) error {
	return result(C.tg_client_send_string(c.p, C.int32_t(t), s, C.uint64_t(id)))
}

func (c nativeClient) close(code int, reason string) error {
	if code < 0 || code > 65535 {
		return &Error{Status: StatusInvalidArgument, Message: "close code out of range"}
	}
	cr, err := cString("close reason", reason)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cr))
	return result(C.tg_client_close(c.p, C.int32_t(code), cr))
}

func (c nativeClient) setToken(token string) error {
	ct, err := cString("token", token)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(ct))
	return result(C.tg_client_set_token(c.p, ct))
}

func (c nativeClient) state() State {
	var s C.int32_t
	if C.tether_client_state(&s, c.p) != C.TETHER_OK {
		return StateDisconnected
	}
	return State(s)
}

func (c nativeClient) buffered() (messages, bytes uint64) {
	var m, b C.uint64_t
	if C.tether_client_buffered(&m, &b, c.p) != C.TETHER_OK {
		return 0, 0
	}
	return uint64(m), uint64(b)
}

func (c nativeClient) statsJSON() (string, error) {
	var out *C.char
	if err := result(C.tg_client_stats_json(&out, c.p)); err != nil {
		return "", err
	}
	return takeCString(out), nil
}

// maxPollBatch bounds how many events the poller takes from the library in one go.
const maxPollBatch = C.TG_BATCH_MAX

// eventBatches keeps a few C-allocated batches for reuse. A batch is held only while a burst is
// copied, never during a wait, so idle clients hold none.
var eventBatches = make(chan *C.tg_batch, 16)

func getBatch() *C.tg_batch {
	select {
	case b := <-eventBatches:
		return b
	default:
		return (*C.tg_batch)(C.calloc(1, C.sizeof_tg_batch))
	}
}

func putBatch(b *C.tg_batch) {
	select {
	case eventBatches <- b:
	default:
		C.free(unsafe.Pointer(b))
	}
}

// poll waits up to timeoutMs for the next event, then takes the events already queued behind
// it, up to max in all (at least one), and appends them to out in order. Nothing is appended
// when no event came in time. Without a wait it is one call into the library, not two.
func (c nativeClient) poll(out []Event, timeoutMs, max int) ([]Event, error) {
	var first *C.tether_event
	if timeoutMs > 0 {
		r := C.tg_client_poll(c.p, C.int32_t(timeoutMs))
		if r.result.status == C.TETHER_E_TIMEOUT {
			return out, nil
		}
		if err := result(r.result); err != nil {
			return out, err
		}
		first = r.event
	}
	if max < 1 {
		max = 1
	}
	b := getBatch()
	if b == nil {
		if first != nil {
			C.tether_event_destroy(first)
		}
		return out, &Error{Status: StatusNoMemory, Message: "no memory for a batch of events"}
	}
	C.tg_client_drain(c.p, first, b, C.int32_t(max))
	for i := 0; i < int(b.count); i++ {
		out = append(out, eventOf(&b.fields[i]))
	}
	C.tg_batch_clear(b)
	putBatch(b)
	return out, nil
}

// eventOf copies an event's fields, which point into the library's event, into an Event.
func eventOf(f *C.tg_event_fields) Event {
	ev := Event{
		Type:          EventType(f._type),
		MessageType:   MessageType(f.message_type),
		Text:          C.GoString(f.text),
		Code:          int(f.code),
		WasClean:      f.was_clean != 0,
		State:         State(f.state),
		PreviousState: State(f.previous_state),
		Attempt:       int(f.attempt),
		Delay:         time.Duration(f.delay_ms) * time.Millisecond,
		ID:            uint64(f.id),
		Channel:       C.GoString(f.channel),
	}
	if f.status != C.TETHER_OK {
		ev.Err = &Error{Status: Status(f.status)}
		if ev.Type != EventClose {
			ev.Err.Message = ev.Text // for a CLOSE the text is the peer's reason, not an error message
		}
	}
	if f.data != nil {
		ev.Data = make([]byte, int(f.size))
		copy(ev.Data, unsafe.Slice((*byte)(unsafe.Pointer(f.data)), int(f.size)))
		if ev.Err != nil && (ev.Type == EventResponse || ev.Type == EventSubscribeFailed) {
			ev.Err.data = string(ev.Data) // the server's error JSON
		}
	}
	return ev
}

// optionalCString is cString for text that may be absent (nil: NULL).
func optionalCString(what string, s *string) (*C.char, error) {
	if s == nil {
		return nil, nil
	}
	return cString(what, *s)
}

func freeCString(p *C.char) {
	if p != nil {
		C.free(unsafe.Pointer(p))
	}
}

func (c nativeClient) subscribe(channel string, params *string) (uint64, error) {
	cc, err := cString("channel", channel)
	if err != nil {
		return 0, err
	}
	defer freeCString(cc)
	cp, err := optionalCString("subscription params", params)
	if err != nil {
		return 0, err
	}
	defer freeCString(cp)
	var id C.uint64_t
	if err := result(C.tg_client_subscribe(&id, c.p, cc, cp)); err != nil {
		return 0, err
	}
	return uint64(id), nil
}

func (c nativeClient) unsubscribe(id uint64) error {
	return result(C.tg_client_unsubscribe(c.p, C.uint64_t(id)))
}

func (c nativeClient) publish(channel, payload string, id uint64) error {
	cc, err := cString("channel", channel)
	if err != nil {
		return err
	}
	defer freeCString(cc)
	cp, err := cString("payload", payload)
	if err != nil {
		return err
	}
	defer freeCString(cp)
	return result(C.tg_client_publish(c.p, cc, cp, C.uint64_t(id)))
}

func (c nativeClient) request(method string, params *string, timeoutMs int32, id uint64) error {
	cm, err := cString("method", method)
	if err != nil {
		return err
	}
	defer freeCString(cm)
	cp, err := optionalCString("request params", params)
	if err != nil {
		return err
	}
	defer freeCString(cp)
	return result(C.tg_client_request(c.p, cm, cp, C.int32_t(timeoutMs), C.uint64_t(id)))
}

// messageCreate wraps tether_message_create; payload and id may be nil (omitted / null).
func messageCreate(typ string, payload, id *string) (string, error) {
	ct, err := cString("message type", typ)
	if err != nil {
		return "", err
	}
	defer C.free(unsafe.Pointer(ct))
	var cp, ci *C.char
	if payload != nil {
		if cp, err = cString("payload", *payload); err != nil {
			return "", err
		}
		defer C.free(unsafe.Pointer(cp))
	}
	if id != nil {
		if ci, err = cString("message id", *id); err != nil {
			return "", err
		}
		defer C.free(unsafe.Pointer(ci))
	}
	var out *C.char
	if err := result(C.tg_message_create(&out, ct, cp, ci)); err != nil {
		return "", err
	}
	return takeCString(out), nil
}

func messageParse(data []byte) (string, error) {
	if len(data) == 0 {
		data = []byte{0}[:0:1] // a valid pointer for an empty input
	}
	p := unsafe.Pointer(&data[:1][0])
	var out *C.char
	if err := result(C.tg_message_parse(&out, p, C.size_t(len(data)))); err != nil {
		return "", err
	}
	return takeCString(out), nil
}
