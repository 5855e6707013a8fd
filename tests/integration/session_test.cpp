// The reconnect table and the backoff, tested deterministically with a pinned random source.
#include <catch2/catch.hpp>

#include "impl/session/reconnect.hpp"

using tether::session::Backoff;
using tether::session::decide_reconnect;
using tether::transport::Failure;

namespace {
Failure close_frame(int32_t code) {
    Failure f;
    f.close_code = code;
    f.clean = true;
    return f;
}
Failure error(tether_status status, int32_t http = 0) {
    Failure f;
    f.error = tether::make_error(status, "x");
    f.http_status = http;
    return f;
}
}  // namespace

TEST_CASE("the reconnect table", "[session][reconnect]") {
    for (int code : {1000, 1001, 1005, 1006, 1011, 1012, 1013, 1014, 4000}) {
        INFO("close code " << code);
        CHECK(decide_reconnect(close_frame(code)).reconnect);
    }
    for (int code : {1002, 1003, 1007, 1008, 1009, 1010, 1015}) {
        INFO("close code " << code);
        CHECK_FALSE(decide_reconnect(close_frame(code)).reconnect);
    }
    for (tether_status s : {TETHER_E_DNS, TETHER_E_CONNECT, TETHER_E_TIMEOUT, TETHER_E_IO, TETHER_E_PONG_TIMEOUT}) {
        INFO("status " << s);
        CHECK(decide_reconnect(error(s)).reconnect);
    }
    for (tether_status s : {TETHER_E_AUTH, TETHER_E_TLS, TETHER_E_PROTOCOL, TETHER_E_MESSAGE_TOO_BIG}) {
        INFO("status " << s);
        CHECK_FALSE(decide_reconnect(error(s)).reconnect);
    }
    CHECK_FALSE(decide_reconnect(error(TETHER_E_HANDSHAKE, 404)).reconnect);
    CHECK(decide_reconnect(error(TETHER_E_HANDSHAKE, 429)).reconnect);
    CHECK(decide_reconnect(error(TETHER_E_HANDSHAKE, 503)).reconnect);
    CHECK(decide_reconnect(error(TETHER_E_HANDSHAKE, 0)).reconnect);
    CHECK_FALSE(decide_reconnect(error(TETHER_E_PROXY, 407)).reconnect);
    CHECK_FALSE(decide_reconnect(error(TETHER_E_PROXY, 401)).reconnect);
    CHECK(decide_reconnect(error(TETHER_E_PROXY, 502)).reconnect);
}

TEST_CASE("backoff doubles from reconnectDelay up to the cap, with full jitter", "[session][backoff]") {
    double r = 0.999999;
    Backoff b(1000, 30000, [&] { return r; });
    CHECK(b.ceiling_ms(1) == 1000);
    CHECK(b.ceiling_ms(2) == 2000);
    CHECK(b.ceiling_ms(3) == 4000);
    CHECK(b.ceiling_ms(5) == 16000);
    CHECK(b.ceiling_ms(6) == 30000);
    CHECK(b.ceiling_ms(1000) == 30000);
    CHECK(b.delay_ms(3) == 3999);
    r = 0.0;
    CHECK(b.delay_ms(3) == 0);
    r = 0.5;
    CHECK(b.delay_ms(2) == 1000);
}

TEST_CASE("backoff from the system source stays within the ceiling", "[session][backoff]") {
    Backoff b(100, 1000, tether::session::system_uniform01());
    for (int attempt = 1; attempt < 20; ++attempt) {
        const int64_t d = b.delay_ms(attempt);
        CHECK(d >= 0);
        CHECK(d <= b.ceiling_ms(attempt));
    }
}
