#include "impl/common/error.hpp"

namespace tether {

namespace {

struct StatusText {
    tether_status status;
    const char *text;
    const char *name;
};

// One row per code of tether.h; a retired code keeps its row.
constexpr StatusText kStatusTable[] = {
    {TETHER_OK, "ok", "TETHER_OK"},
    {TETHER_E_INVALID_ARGUMENT, "invalid argument", "TETHER_E_INVALID_ARGUMENT"},
    {TETHER_E_UNKNOWN_OPTION, "unknown option", "TETHER_E_UNKNOWN_OPTION"},
    {TETHER_E_BAD_OPTION_VALUE, "bad option value", "TETHER_E_BAD_OPTION_VALUE"},
    {TETHER_E_BAD_URL, "bad URL", "TETHER_E_BAD_URL"},
    {TETHER_E_NO_MEMORY, "out of memory", "TETHER_E_NO_MEMORY"},
    {TETHER_E_BAD_STATE, "operation not allowed in the current state", "TETHER_E_BAD_STATE"},
    {TETHER_E_QUEUE_FULL, "outgoing queue full", "TETHER_E_QUEUE_FULL"},
    {TETHER_E_NOT_CONNECTED, "not connected", "TETHER_E_NOT_CONNECTED"},
    {TETHER_E_TIMEOUT, "timed out", "TETHER_E_TIMEOUT"},
    {TETHER_E_WOULD_DEADLOCK, "blocking call on a library I/O thread would deadlock",
     "TETHER_E_WOULD_DEADLOCK"},
    {TETHER_E_INVALID_JSON, "invalid JSON", "TETHER_E_INVALID_JSON"},
    {TETHER_E_INVALID_UTF8, "invalid UTF-8", "TETHER_E_INVALID_UTF8"},
    {TETHER_E_DNS, "host name could not be resolved", "TETHER_E_DNS"},
    {TETHER_E_CONNECT, "connection failed", "TETHER_E_CONNECT"},
    {TETHER_E_TLS, "TLS failure", "TETHER_E_TLS"},
    {TETHER_E_HANDSHAKE, "WebSocket handshake failed", "TETHER_E_HANDSHAKE"},
    {TETHER_E_AUTH, "authentication failed", "TETHER_E_AUTH"},
    {TETHER_E_PROXY, "proxy failure", "TETHER_E_PROXY"},
    {TETHER_E_PROTOCOL, "WebSocket protocol error", "TETHER_E_PROTOCOL"},
    {TETHER_E_MESSAGE_TOO_BIG, "message too big", "TETHER_E_MESSAGE_TOO_BIG"},
    {TETHER_E_CLOSED, "closed", "TETHER_E_CLOSED"},
    {TETHER_E_PONG_TIMEOUT, "no pong in time", "TETHER_E_PONG_TIMEOUT"},
    {TETHER_E_IO, "I/O error", "TETHER_E_IO"},
    {TETHER_E_NOT_SUPPORTED, "not supported", "TETHER_E_NOT_SUPPORTED"},
    {TETHER_E_INTERNAL, "internal error", "TETHER_E_INTERNAL"},
    {TETHER_E_CANCELLED, "cancelled", "TETHER_E_CANCELLED"},
    {TETHER_E_REMOTE, "the server answered with an error", "TETHER_E_REMOTE"},
};

const StatusText *find_status(tether_status status) noexcept {
    for (const StatusText &row : kStatusTable) {
        if (row.status == status) return &row;
    }
    return nullptr;
}

}  // namespace

const char *status_str(tether_status status) noexcept {
    const StatusText *row = find_status(status);
    return row ? row->text : "unknown status";
}

const char *status_name(tether_status status) noexcept {
    const StatusText *row = find_status(status);
    return row ? row->name : "TETHER_E_UNKNOWN";
}

}  // namespace tether
