// The extern "C" shims: argument checks, status + thread-local error text, and a catch-all so
// that no C++ exception ever crosses the boundary. All behaviour lives in impl/.
#include "tether.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "impl/common/error.hpp"
#include "impl/common/message.hpp"
#include "impl/common/text.hpp"
#include "impl/config/options.hpp"
#include "impl/manager/manager.hpp"
#include "impl/runtime/runtime.hpp"
#include "impl/session/event.hpp"
#include "impl/session/session.hpp"

struct tether_runtime {
    std::shared_ptr<tether::runtime::Runtime> runtime;
};

// Clients share the values they were created with (copy on write): 10,000 clients made from one
// options object hold one copy of its strings, not 10,000.
struct tether_options {
    std::shared_ptr<tether::config::Options> values = std::make_shared<tether::config::Options>();

    // The values to change, copied first if a client still shares them: "read and copied now".
    tether::config::Options &writable() {
        if (values.use_count() > 1) values = std::make_shared<tether::config::Options>(*values);
        return *values;
    }
};

struct tether_client {
    std::shared_ptr<tether::session::Session> session;
    tether::manager::Manager *manager = nullptr;  // owned by the session; null for protocol raw
};

namespace {

thread_local std::string t_last_error;

tether_status fail(tether_status status, std::string message) {
    t_last_error = std::move(message);
    return status;
}

tether_status report(const tether::Error &e) {
    if (!e.failed()) return TETHER_OK;
    return fail(e.status, e.message);
}

tether_status null_argument(const char *function, const char *name) {
    return fail(TETHER_E_INVALID_ARGUMENT, std::string(function) + ": " + name + " must not be NULL");
}

// Runs body, turning any escaped exception into a status.
template <class Body>
tether_status guarded(const char *function, Body &&body) noexcept {
    try {
        return body();
    } catch (const std::bad_alloc &) {
        return fail(TETHER_E_NO_MEMORY, std::string(function) + ": out of memory");
    } catch (const std::exception &e) {
        return fail(TETHER_E_INTERNAL, std::string(function) + ": internal error: " + e.what());
    } catch (...) {
        return fail(TETHER_E_INTERNAL, std::string(function) + ": internal error");
    }
}

// A malloc'd copy for the caller, released with tether_free().
char *copy_out(const std::string &s) {
    char *p = static_cast<char *>(std::malloc(s.size() + 1));
    if (p == nullptr) throw std::bad_alloc();
    std::memcpy(p, s.data(), s.size());
    p[s.size()] = '\0';
    return p;
}

const tether_event kEmptyEvent{};

}  // namespace

extern "C" {

const char *tether_version(void) { return "0.1.0"; }

const char *tether_status_str(tether_status status) { return tether::status_str(status); }

const char *tether_status_name(tether_status status) { return tether::status_name(status); }

const char *tether_last_error_message(void) { return t_last_error.c_str(); }

void tether_free(void *ptr) { std::free(ptr); }

// ---- runtime --------------------------------------------------------------------------------

tether_status tether_runtime_new(tether_runtime **out, int32_t threads) {
    return guarded("tether_runtime_new", [&] {
        if (out == nullptr) return null_argument("tether_runtime_new", "out");
        if (threads < 1 || threads > 64) {
            return fail(TETHER_E_INVALID_ARGUMENT,
                        "tether_runtime_new: threads must be from 1 to 64, got " + std::to_string(threads));
        }
        auto *rt = new tether_runtime{std::make_shared<tether::runtime::Runtime>(threads)};
        *out = rt;
        return TETHER_OK;
    });
}

void tether_runtime_destroy(tether_runtime *runtime) { delete runtime; }

// ---- options --------------------------------------------------------------------------------

tether_status tether_options_new(tether_options **out) {
    return guarded("tether_options_new", [&] {
        if (out == nullptr) return null_argument("tether_options_new", "out");
        *out = new tether_options{};
        return TETHER_OK;
    });
}

void tether_options_destroy(tether_options *options) { delete options; }

tether_status tether_options_set(tether_options *options, const char *key, const char *value) {
    return guarded("tether_options_set", [&] {
        if (options == nullptr) return null_argument("tether_options_set", "options");
        if (key == nullptr) return null_argument("tether_options_set", "key");
        if (value == nullptr) return null_argument("tether_options_set", "value");
        return report(tether::config::set_option(options->writable(), key, value));
    });
}

tether_status tether_options_set_json(tether_options *options, const char *json) {
    return guarded("tether_options_set_json", [&] {
        if (options == nullptr) return null_argument("tether_options_set_json", "options");
        if (json == nullptr) return null_argument("tether_options_set_json", "json");
        return report(tether::config::set_options_json(options->writable(), json));
    });
}

tether_status tether_options_get(char **out_value, const tether_options *options, const char *key) {
    return guarded("tether_options_get", [&] {
        if (out_value == nullptr) return null_argument("tether_options_get", "out_value");
        if (options == nullptr) return null_argument("tether_options_get", "options");
        if (key == nullptr) return null_argument("tether_options_get", "key");
        std::string value;
        if (tether_status s = report(tether::config::get_option(*options->values, key, value))) return s;
        *out_value = copy_out(value);
        return TETHER_OK;
    });
}

const char *tether_options_schema_json(void) {
    try {
        return tether::config::options_schema_json().c_str();
    } catch (...) {
        return "[]";
    }
}

// ---- events ---------------------------------------------------------------------------------

static const tether_event &ev_or_empty(const tether_event *ev) { return ev ? *ev : kEmptyEvent; }

int32_t tether_event_type(const tether_event *ev) { return ev_or_empty(ev).type; }

const uint8_t *tether_event_data(const tether_event *ev, size_t *size) {
    const tether_event &e = ev_or_empty(ev);
    if (e.type != TETHER_EVENT_MESSAGE && e.type != TETHER_EVENT_CHANNEL_MESSAGE && e.type != TETHER_EVENT_RESPONSE &&
        e.type != TETHER_EVENT_SUBSCRIBE_FAILED) {
        if (size) *size = 0;
        return nullptr;
    }
    if (size) *size = e.data.size();
    return reinterpret_cast<const uint8_t *>(e.data.data());
}

int32_t tether_event_message_type(const tether_event *ev) { return ev_or_empty(ev).message_type; }
const char *tether_event_text(const tether_event *ev) { return ev_or_empty(ev).text.c_str(); }
int32_t tether_event_code(const tether_event *ev) { return ev_or_empty(ev).code; }
int32_t tether_event_was_clean(const tether_event *ev) { return ev_or_empty(ev).was_clean; }
tether_status tether_event_status(const tether_event *ev) { return ev_or_empty(ev).status; }
int32_t tether_event_state(const tether_event *ev) { return ev_or_empty(ev).state; }
int32_t tether_event_previous_state(const tether_event *ev) { return ev_or_empty(ev).previous_state; }
int32_t tether_event_attempt(const tether_event *ev) { return ev_or_empty(ev).attempt; }
int64_t tether_event_delay_ms(const tether_event *ev) { return ev_or_empty(ev).delay_ms; }
uint64_t tether_event_id(const tether_event *ev) { return ev_or_empty(ev).id; }
const char *tether_event_channel(const tether_event *ev) { return ev_or_empty(ev).channel.c_str(); }

void tether_event_destroy(tether_event *ev) { delete ev; }

const char *tether_event_type_str(int32_t type) {
    static const char *const names[] = {"ready",     "open",       "message",         "close",
                                        "error",     "state",      "reconnect",       "sent",
                                        "send_failed", "drained",  "channel_message", "response",
                                        "subscribed", "subscribe_failed"};
    return type >= 0 && type <= 13 ? names[type] : "unknown";
}

const char *tether_state_str(int32_t state) { return tether::session::state_name(state); }

// ---- client ---------------------------------------------------------------------------------

tether_status tether_client_new(tether_client **out, tether_runtime *runtime,
                                const tether_options *options, int32_t mode, tether_event_cb on_event,
                                tether_release_cb release_user_data, void *user_data) {
    return guarded("tether_client_new", [&] {
        if (out == nullptr) return null_argument("tether_client_new", "out");
        if (options == nullptr) return null_argument("tether_client_new", "options");
        if (mode != TETHER_MODE_CALLBACK && mode != TETHER_MODE_POLL) {
            return fail(TETHER_E_INVALID_ARGUMENT,
                        "tether_client_new: mode must be TETHER_MODE_CALLBACK or TETHER_MODE_POLL, got " +
                            std::to_string(mode));
        }
        if (mode == TETHER_MODE_CALLBACK && on_event == nullptr) {
            return fail(TETHER_E_INVALID_ARGUMENT,
                        "tether_client_new: on_event must not be NULL in TETHER_MODE_CALLBACK");
        }
        auto rt = runtime ? runtime->runtime : tether::runtime::Runtime::default_runtime();
        std::shared_ptr<tether::session::Session> session;
        if (tether_status s = report(tether::session::Session::create(
                session, std::move(rt), options->values, mode, on_event, release_user_data, user_data))) {
            return s;
        }
        auto client = std::make_unique<tether_client>();
        if (auto dialect = tether::protocol::make_dialect(*options->values)) {
            auto manager = std::make_shared<tether::manager::Manager>(*session, std::move(dialect));
            client->manager = manager.get();
            session->set_interceptor(std::move(manager));
        }
        client->session = std::move(session);
        // The handle lives until the last callback has returned, not just until destroy
        // returns: a callback running meanwhile may still call its own client.
        tether_client *handle = client.release();
        handle->session->set_after_release([handle] { delete handle; });
        *out = handle;
        return TETHER_OK;
    });
}

void tether_client_destroy(tether_client *client) {
    if (client == nullptr) return;
    // The handle is freed once release_user_data has run (maybe inside destroy, maybe when a
    // running callback returns); the local reference keeps the session alive through destroy().
    const std::shared_ptr<tether::session::Session> session = client->session;
    try {
        session->destroy();
    } catch (...) {
        // destroy() only posts; an allocation failure here leaves the session to its timers.
    }
}

tether_status tether_client_connect(tether_client *client) {
    return guarded("tether_client_connect", [&] {
        if (client == nullptr) return null_argument("tether_client_connect", "client");
        return report(client->session->connect());
    });
}

tether_status tether_client_send(tether_client *client, int32_t type, const void *data, size_t size,
                                 uint64_t id) {
    return guarded("tether_client_send", [&] {
        if (client == nullptr) return null_argument("tether_client_send", "client");
        if (data == nullptr && size != 0) return null_argument("tether_client_send", "data (with size > 0)");
        return report(client->session->send(type, data, size, id));
    });
}

tether_status tether_client_close(tether_client *client, int32_t code, const char *reason) {
    return guarded("tether_client_close", [&] {
        if (client == nullptr) return null_argument("tether_client_close", "client");
        if (code != 1000 && (code < 3000 || code > 4999)) {
            return fail(TETHER_E_INVALID_ARGUMENT,
                        "tether_client_close: code must be 1000 or 3000-4999, got " + std::to_string(code));
        }
        std::string text = reason ? reason : "";
        if (!tether::is_valid_utf8(text)) {
            return fail(TETHER_E_INVALID_UTF8, "tether_client_close: reason must be valid UTF-8");
        }
        if (text.size() > 123) {
            return fail(TETHER_E_INVALID_ARGUMENT, "tether_client_close: reason has " +
                                                       std::to_string(text.size()) +
                                                       " bytes; a close frame allows 123");
        }
        return report(client->session->close(code, std::move(text)));
    });
}

tether_status tether_client_poll(tether_client *client, int32_t timeout_ms, tether_event **out_event) {
    return guarded("tether_client_poll", [&] {
        if (client == nullptr) return null_argument("tether_client_poll", "client");
        if (out_event == nullptr) return null_argument("tether_client_poll", "out_event");
        return report(client->session->poll(timeout_ms, out_event));
    });
}

tether_status tether_client_poll_many(tether_client *client, int32_t timeout_ms, tether_event **out_events,
                                      size_t max_events, size_t *out_count) {
    if (out_count != nullptr) *out_count = 0;
    return guarded("tether_client_poll_many", [&] {
        if (client == nullptr) return null_argument("tether_client_poll_many", "client");
        if (out_events == nullptr) return null_argument("tether_client_poll_many", "out_events");
        if (out_count == nullptr) return null_argument("tether_client_poll_many", "out_count");
        if (max_events == 0) {
            return fail(TETHER_E_INVALID_ARGUMENT, "tether_client_poll_many: max_events must be at least 1");
        }
        return report(client->session->poll_many(timeout_ms, out_events, max_events, out_count));
    });
}

tether_status tether_client_set_token(tether_client *client, const char *token) {
    return guarded("tether_client_set_token", [&] {
        if (client == nullptr) return null_argument("tether_client_set_token", "client");
        std::string text = token ? token : "";
        if (!tether::is_valid_utf8(text)) {
            return fail(TETHER_E_INVALID_UTF8, "tether_client_set_token: the token must be valid UTF-8");
        }
        return report(client->session->set_token(std::move(text)));
    });
}

tether_status tether_client_state(int32_t *out_state, const tether_client *client) {
    return guarded("tether_client_state", [&] {
        if (out_state == nullptr) return null_argument("tether_client_state", "out_state");
        if (client == nullptr) return null_argument("tether_client_state", "client");
        *out_state = client->session->state();
        return TETHER_OK;
    });
}

tether_status tether_client_buffered(uint64_t *out_messages, uint64_t *out_bytes, const tether_client *client) {
    return guarded("tether_client_buffered", [&] {
        if (out_messages == nullptr) return null_argument("tether_client_buffered", "out_messages");
        if (out_bytes == nullptr) return null_argument("tether_client_buffered", "out_bytes");
        if (client == nullptr) return null_argument("tether_client_buffered", "client");
        client->session->buffered(*out_messages, *out_bytes);
        return TETHER_OK;
    });
}

tether_status tether_client_stats_json(char **out_json, const tether_client *client) {
    return guarded("tether_client_stats_json", [&] {
        if (out_json == nullptr) return null_argument("tether_client_stats_json", "out_json");
        if (client == nullptr) return null_argument("tether_client_stats_json", "client");
        *out_json = copy_out(client->session->stats_json());
        return TETHER_OK;
    });
}

// ---- connection manager ---------------------------------------------------------------------

namespace {

tether_status no_manager(const char *function) {
    return fail(TETHER_E_NOT_SUPPORTED, std::string(function) +
                                            ": not supported by protocol raw; set the protocol option (e.g. json)");
}

tether_status check_text(const char *function, const char *name, const char *text) {
    if (text == nullptr) return null_argument(function, name);
    if (!tether::is_valid_utf8(text)) {
        return fail(TETHER_E_INVALID_UTF8, std::string(function) + ": " + name + " must be valid UTF-8");
    }
    return TETHER_OK;
}

// NULL means "no JSON"; anything else must parse.
tether_status check_json(const char *function, const char *name, const char *json) {
    if (json == nullptr) return TETHER_OK;
    if (tether::Error e = tether::validate_json(json)) {
        return fail(e.status, std::string(function) + ": " + name + " is not valid JSON: " + e.message);
    }
    return TETHER_OK;
}

}  // namespace

tether_status tether_client_subscribe(uint64_t *out_subscription, tether_client *client, const char *channel,
                                      const char *params_json) {
    static const char *const fn = "tether_client_subscribe";
    return guarded(fn, [&] {
        if (out_subscription == nullptr) return null_argument(fn, "out_subscription");
        if (client == nullptr) return null_argument(fn, "client");
        if (tether_status s = check_text(fn, "channel", channel)) return s;
        if (tether_status s = check_json(fn, "params_json", params_json)) return s;
        if (client->manager == nullptr) return no_manager(fn);
        return report(client->manager->subscribe(*out_subscription, channel, params_json ? params_json : ""));
    });
}

tether_status tether_client_unsubscribe(tether_client *client, uint64_t subscription) {
    static const char *const fn = "tether_client_unsubscribe";
    return guarded(fn, [&] {
        if (client == nullptr) return null_argument(fn, "client");
        if (client->manager == nullptr) return no_manager(fn);
        return report(client->manager->unsubscribe(subscription));
    });
}

tether_status tether_client_publish(tether_client *client, const char *channel, const char *payload_json,
                                    uint64_t id) {
    static const char *const fn = "tether_client_publish";
    return guarded(fn, [&] {
        if (client == nullptr) return null_argument(fn, "client");
        if (tether_status s = check_text(fn, "channel", channel)) return s;
        if (payload_json == nullptr) return null_argument(fn, "payload_json");
        if (tether_status s = check_json(fn, "payload_json", payload_json)) return s;
        if (client->manager == nullptr) return no_manager(fn);
        tether::Error e = client->manager->publish(channel, payload_json, id);
        if (e) e.message = std::string(fn) + ": " + e.message;
        return report(e);
    });
}

tether_status tether_client_request(tether_client *client, const char *method, const char *params_json,
                                    int32_t timeout_ms, uint64_t id) {
    static const char *const fn = "tether_client_request";
    return guarded(fn, [&] {
        if (client == nullptr) return null_argument(fn, "client");
        if (tether_status s = check_text(fn, "method", method)) return s;
        if (tether_status s = check_json(fn, "params_json", params_json)) return s;
        if (timeout_ms < 0) {
            return fail(TETHER_E_INVALID_ARGUMENT,
                        std::string(fn) + ": timeout_ms must be 0 (none) or positive, got " + std::to_string(timeout_ms));
        }
        if (client->manager == nullptr) return no_manager(fn);
        return report(client->manager->request(method, params_json ? params_json : "", timeout_ms, id));
    });
}

// ---- message utilities ------------------------------------------------------------------------

tether_status tether_message_create(char **out_json, const char *type, const char *payload_json,
                                    const char *id) {
    return guarded("tether_message_create", [&] {
        if (out_json == nullptr) return null_argument("tether_message_create", "out_json");
        if (type == nullptr) return null_argument("tether_message_create", "type");
        std::string out;
        if (tether_status s = report(tether::create_message(out, type, payload_json, id, tether::now_ms()))) {
            return s;
        }
        *out_json = copy_out(out);
        return TETHER_OK;
    });
}

tether_status tether_message_parse(char **out_json, const void *data, size_t size) {
    return guarded("tether_message_parse", [&] {
        if (out_json == nullptr) return null_argument("tether_message_parse", "out_json");
        if (data == nullptr && size != 0) return null_argument("tether_message_parse", "data (with size > 0)");
        std::string out;
        if (tether_status s = report(tether::parse_message(
                out, std::string_view(static_cast<const char *>(data), size)))) {
            return s;
        }
        *out_json = copy_out(out);
        return TETHER_OK;
    });
}

const char *tether_close_code_str(int32_t code) { return tether::close_code_str(code); }

}  // extern "C"
