// The spec's message utilities (createMessage, parseMessage, getCloseReason), with the semantics
// that tether.h documents for tether_message_create, tether_message_parse and
// tether_close_code_str.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "impl/common/error.hpp"

namespace tether {

// Builds {"type":type,"payload":payload,"id":id,"timestamp":timestamp_ms} (compact). payload is
// null when payload_json is NULL, else the validated JSON as written (whitespace removed, numbers
// kept digit for digit); "id" is left out when id is NULL. Errors: TETHER_E_INVALID_ARGUMENT
// (empty type), TETHER_E_INVALID_UTF8, TETHER_E_INVALID_JSON. out is unchanged on failure.
Error create_message(std::string &out, std::string_view type, const char *payload_json,
                     const char *id, std::int64_t timestamp_ms);

// Turns received data into {"type","payload","id","timestamp"}: a JSON object keeps its
// type/id/timestamp values (null when absent) and its "payload" field, or the whole object when
// it has none; any other JSON value, and text that is not JSON, becomes the payload (text as a
// string) with the other fields null. Errors: TETHER_E_INVALID_UTF8 only.
Error parse_message(std::string &out, std::string_view data);

// The spec's meaning of a close code; static text, never NULL.
const char *close_code_str(std::int32_t code) noexcept;

// Wall-clock milliseconds since the Unix epoch.
std::int64_t now_ms();

}  // namespace tether
