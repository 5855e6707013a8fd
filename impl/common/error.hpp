// The error value of the core: a tether_status plus a message that names the problem.
// Every fallible core function returns an Error; the C ABI copies it to the thread-local text.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "tether.h"

namespace tether {

struct Error {
    tether_status status = TETHER_OK;
    std::string message;

    bool failed() const noexcept { return status != TETHER_OK; }
    explicit operator bool() const noexcept { return failed(); }
};

inline Error ok() { return {}; }
inline Error make_error(tether_status status, std::string message) {
    return Error{status, std::move(message)};
}

// Static texts for the status table of tether.h (implemented in impl/common/status.cpp).
const char *status_str(tether_status status) noexcept;
const char *status_name(tether_status status) noexcept;

}  // namespace tether
