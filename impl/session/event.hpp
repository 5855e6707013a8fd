// The event record behind the opaque tether_event of the C ABI. Made by the session on its
// strand, then either lent to a callback or handed to a poller who owns it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "tether.h"

struct tether_event {
    int32_t type = TETHER_EVENT_READY;
    int32_t message_type = 0;
    std::string data;   // MESSAGE payload
    std::string text;   // subprotocol, close reason or error message
    std::string channel;  // CHANNEL_MESSAGE, SUBSCRIBED, SUBSCRIBE_FAILED
    int32_t code = 0;
    int32_t was_clean = 0;
    tether_status status = TETHER_OK;
    int32_t state = TETHER_STATE_DISCONNECTED;
    int32_t previous_state = TETHER_STATE_DISCONNECTED;
    int32_t attempt = 0;
    int64_t delay_ms = 0;
    uint64_t id = 0;
};

namespace tether::session {
using EventPtr = std::unique_ptr<tether_event>;
}
