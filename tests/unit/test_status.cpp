#include <catch2/catch.hpp>

#include <cstring>
#include <set>
#include <string>

#include "impl/common/error.hpp"

using namespace tether;

TEST_CASE("status_str and status_name cover every code of tether.h", "[status]") {
    std::set<std::string> names, texts;
    for (tether_status s = TETHER_E_CANCELLED; s <= TETHER_OK; ++s) {
        CAPTURE(s);
        const std::string name = status_name(s);
        const std::string text = status_str(s);
        CHECK(name.rfind("TETHER_", 0) == 0);
        CHECK(name != "TETHER_E_UNKNOWN");
        CHECK(text != "unknown status");
        CHECK(!text.empty());
        names.insert(name);
        texts.insert(text);
    }
    CHECK(names.size() == 27);
    CHECK(texts.size() == 27);
}

TEST_CASE("status texts and names of known codes", "[status]") {
    CHECK(std::string(status_str(TETHER_OK)) == "ok");
    CHECK(std::string(status_name(TETHER_OK)) == "TETHER_OK");
    CHECK(std::string(status_str(TETHER_E_INVALID_ARGUMENT)) == "invalid argument");
    CHECK(std::string(status_name(TETHER_E_INVALID_ARGUMENT)) == "TETHER_E_INVALID_ARGUMENT");
    CHECK(std::string(status_name(TETHER_E_QUEUE_FULL)) == "TETHER_E_QUEUE_FULL");
    CHECK(std::string(status_name(TETHER_E_WOULD_DEADLOCK)) == "TETHER_E_WOULD_DEADLOCK");
    CHECK(std::string(status_name(TETHER_E_CANCELLED)) == "TETHER_E_CANCELLED");
    CHECK(std::string(status_name(TETHER_E_BAD_URL)) == "TETHER_E_BAD_URL");
}

TEST_CASE("unknown status codes", "[status]") {
    for (tether_status s : {1, 5, -28, -1000, INT32_MIN, INT32_MAX}) {
        CAPTURE(s);
        CHECK(std::string(status_str(s)) == "unknown status");
        CHECK(std::string(status_name(s)) == "TETHER_E_UNKNOWN");
    }
}

TEST_CASE("Error helpers", "[status]") {
    const Error good = ok();
    CHECK_FALSE(good.failed());
    CHECK_FALSE(static_cast<bool>(good));
    const Error bad = make_error(TETHER_E_TIMEOUT, "waited too long");
    CHECK(bad.failed());
    CHECK(static_cast<bool>(bad));
    CHECK(bad.status == TETHER_E_TIMEOUT);
    CHECK(bad.message == "waited too long");
}
