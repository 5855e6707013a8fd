#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "impl/common/url.hpp"

using namespace tether;
using Catch::Matchers::Contains;

namespace {

WsUrl parse_ok(const std::string &text) {
    WsUrl u;
    const Error e = parse_ws_url(text, u);
    INFO(text << " -> " << e.message);
    REQUIRE(e.status == TETHER_OK);
    return u;
}

Error parse_fail(const std::string &text) {
    WsUrl u;
    u.host = "unchanged";
    const Error e = parse_ws_url(text, u);
    INFO(text);
    CHECK(e.status == TETHER_E_BAD_URL);
    CHECK(u.host == "unchanged");
    return e;
}

}  // namespace

TEST_CASE("ws and wss URLs with default and explicit ports", "[url]") {
    WsUrl u = parse_ok("ws://example.com");
    CHECK_FALSE(u.secure);
    CHECK(u.host == "example.com");
    CHECK(u.port == 80);
    CHECK(u.target == "/");
    CHECK_FALSE(u.ipv6_literal);

    u = parse_ok("wss://api.example.com/ws");
    CHECK(u.secure);
    CHECK(u.port == 443);
    CHECK(u.target == "/ws");

    u = parse_ok("wss://stream.binance.com:9443/ws");
    CHECK(u.port == 9443);
    CHECK(u.target == "/ws");

    u = parse_ok("ws://localhost:1/");
    CHECK(u.port == 1);
    u = parse_ok("ws://localhost:65535/");
    CHECK(u.port == 65535);
    u = parse_ok("ws://localhost:080/");
    CHECK(u.port == 80);
}

TEST_CASE("scheme and host are case-insensitive, path and query are kept", "[url]") {
    WsUrl u = parse_ok("WSS://Example.COM:8443/Path/To?Q=One&b=2");
    CHECK(u.secure);
    CHECK(u.host == "example.com");
    CHECK(u.port == 8443);
    CHECK(u.target == "/Path/To?Q=One&b=2");

    u = parse_ok("Ws://h");
    CHECK_FALSE(u.secure);

    u = parse_ok("wss://server.com/socket.io/?EIO=4&transport=websocket");
    CHECK(u.target == "/socket.io/?EIO=4&transport=websocket");
}

TEST_CASE("query without path and fragments", "[url]") {
    CHECK(parse_ok("ws://h?x=1").target == "/?x=1");
    CHECK(parse_ok("ws://h:81?x=1").target == "/?x=1");
    CHECK(parse_ok("ws://h/p?x=1#frag").target == "/p?x=1");
    CHECK(parse_ok("ws://h#frag").target == "/");
    CHECK(parse_ok("ws://h/#").target == "/");
    CHECK(parse_ok("ws://h/p#a?b").target == "/p");
    CHECK(parse_ok("ws://h:90#x").port == 90);
}

TEST_CASE("bytes not allowed in a request target are percent-encoded", "[url]") {
    CHECK(parse_ok("ws://h/\xC3\xBC").target == "/%C3%BC");
    CHECK(parse_ok("ws://h/a|b{c}").target == "/a%7Cb%7Bc%7D");
    CHECK(parse_ok("ws://h/?f[x]=\"1\"").target == "/?f%5Bx%5D=%221%22");
    CHECK(parse_ok("ws://h/%41%2f").target == "/%41%2f");
    CHECK(parse_ok("ws://h/a:b@c!$&'()*+,;=-._~").target == "/a:b@c!$&'()*+,;=-._~");
    CHECK(parse_ok("ws://h/a\\b").target == "/a%5Cb");
}

TEST_CASE("IPv4, DNS names and their limits", "[url]") {
    CHECK(parse_ok("ws://127.0.0.1:9000/ws").host == "127.0.0.1");
    CHECK(parse_ok("ws://0.0.0.0/").host == "0.0.0.0");
    CHECK(parse_ok("ws://255.255.255.255/").host == "255.255.255.255");
    CHECK(parse_ok("ws://exa_mple-1.com/").host == "exa_mple-1.com");
    CHECK(parse_ok("ws://example.com./").host == "example.com.");
    CHECK(parse_ok("ws://xn--bcher-kva.example/").host == "xn--bcher-kva.example");
    CHECK(parse_ok("ws://1.2.3.4.example/").host == "1.2.3.4.example");
    CHECK(parse_ok("ws://" + std::string(63, 'a') + ".com/").port == 80);

    std::string long_name;
    for (int i = 0; i < 5; ++i) long_name += std::string(50, 'a') + ".";
    long_name += "com";  // 258 characters
    CHECK_THAT(parse_fail("ws://" + long_name + "/").message, Contains("253"));
    CHECK_THAT(parse_fail("ws://" + std::string(64, 'a') + ".com/").message, Contains("63"));
}

TEST_CASE("IPv6 literals", "[url]") {
    WsUrl u = parse_ok("ws://[::1]:8080/x");
    CHECK(u.host == "::1");
    CHECK(u.ipv6_literal);
    CHECK(u.port == 8080);
    CHECK(u.target == "/x");

    u = parse_ok("wss://[2001:DB8::1]");
    CHECK(u.host == "2001:db8::1");
    CHECK(u.port == 443);
    CHECK(u.target == "/");

    for (const char *ok_host :
         {"::", "::1", "1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8",
          "1:2:3:4:5:6:1.2.3.4", "::ffff:192.0.2.1", "fe80::abcd:1", "1::8", "abcd:ef01::"}) {
        CAPTURE(ok_host);
        CHECK(parse_ok(std::string("ws://[") + ok_host + "]/").host == ok_host);
    }
    for (const char *bad_host :
         {"", ":", ":::", "1", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", ":1::", "1:::2", "1::2::3",
          "1:2:3:4:5:6:7:1.2.3.4", "g::1", "12345::", "1:", "::1:", "::1.2.3.256", "::1.2.3",
          "1.2.3.4", "::1.2.3.4:5", "v1.abc"}) {
        CAPTURE(bad_host);
        CHECK_THAT(parse_fail(std::string("ws://[") + bad_host + "]/").message,
                   Contains("invalid IPv6 address"));
    }
}

TEST_CASE("bad URLs are rejected with a message that names the problem", "[url]") {
    struct Case {
        std::string url;
        std::string expected;
    };
    const std::vector<Case> cases = {
        {"", "the URL is empty"},
        {"http://example.com", "unsupported scheme 'http': use ws:// or wss://"},
        {"https://example.com/ws", "unsupported scheme 'https'"},
        {"ftp://x", "unsupported scheme 'ftp'"},
        {"example.com/ws", "missing scheme"},
        {"localhost:8080", "missing scheme"},
        {"//example.com/", "missing scheme"},
        {"ws:example.com", "expected '//' after 'ws:'"},
        {"WSS:/example.com", "expected '//' after 'WSS:'"},
        {"ws://", "missing host"},
        {"ws:///path", "missing host"},
        {"ws://?x=1", "missing host"},
        {"ws://:80/", "missing host"},
        {"ws://host:0", "port 0 is not allowed"},
        {"ws://host:65536", "port 65536 is out of range (1-65535)"},
        {"ws://host:99999999999999999999/", "out of range"},
        {"ws://host:abc", "invalid port 'abc'"},
        {"ws://host:-1", "invalid port '-1'"},
        {"ws://host:+1", "invalid port '+1'"},
        {"ws://host:", "missing port number after ':'"},
        {"ws://ho st/", "the URL contains a space at offset 7"},
        {"ws://host/a b", "space"},
        {" ws://host/", "space at offset 0"},
        {"ws://host/\n", "control character (0x0A)"},
        {std::string("ws://host/\0x", 12), "control character (0x00)"},
        {"ws://host/\x7f", "control character (0x7F)"},
        {"ws://host\t/", "control character (0x09)"},
        {"ws://user@host/", "user name or password in the URL is not supported"},
        {"ws://[::1", "missing ']'"},
        {"ws://[::1]x/", "unexpected text after the IPv6 address"},
        {"ws://[::1]:0/", "port 0"},
        {"ws://[fe80::1%25eth0]/", "zone identifiers are not supported"},
        {"ws://::1/", "must be in brackets"},
        {"ws://1:2:3::/", "must be in brackets"},
        {"ws://host]/", "needs both brackets"},
        {"ws://ex!ample.com/", "invalid character '!' in host"},
        {"ws://a..b/", "empty label"},
        {"ws://.a/", "empty label"},
        {"ws://./", "missing host"},
        {"ws://256.1.1.1/", "invalid IPv4 address"},
        {"ws://1.2.3/", "invalid IPv4 address"},
        {"ws://1.2.3.4.5/", "invalid IPv4 address"},
        {"ws://01.2.3.4/", "invalid IPv4 address"},
        {"ws://0x7f.1/", "invalid IPv4 address"},
        {"ws://\xC3\xBC" "ber.example/", "non-ASCII host names are not supported"},
        {"ws://h%41st/", "percent-encoded host names are not supported"},
        {"ws://host/%zz", "invalid percent-encoding"},
        {"ws://host/%4", "invalid percent-encoding"},
        {"ws://host/?a=%", "invalid percent-encoding"},
    };
    for (const Case &c : cases) {
        CAPTURE(c.url);
        const Error e = parse_fail(c.url);
        CHECK_THAT(e.message, Contains(c.expected));
    }
}

TEST_CASE("messages about bad URLs show the URL without secrets", "[url][secrets]") {
    const char *secret = "S3CR3TVALUE";
    const std::vector<std::string> urls = {
        "http://h/ws?token=S3CR3TVALUE",
        "ws://h:0/?access_token=S3CR3TVALUE&x=1",
        "ws://u:S3CR3TVALUE@h/",
        "ws://S3CR3TVALUE@h/",
        "ws://h/a b#S3CR3TVALUE",
        "u:S3CR3TVALUE@host/path",
        "wss://[::1/?token=S3CR3TVALUE",
    };
    for (const std::string &url : urls) {
        CAPTURE(url);
        WsUrl u;
        const Error e = parse_ws_url(url, u);
        REQUIRE(e.status == TETHER_E_BAD_URL);
        CHECK(e.message.find(secret) == std::string::npos);
        CHECK_THAT(e.message, Contains("***"));
    }
    WsUrl u;
    const Error e = parse_ws_url("http://h/ws?token=abc", u);
    CHECK_THAT(e.message, Contains("http://h/ws?token=***"));
}

TEST_CASE("messages show control characters escaped and long URLs cut", "[url]") {
    WsUrl u;
    Error e = parse_ws_url("ws://host/\r\nX-Injected: 1", u);
    CHECK(e.message.find('\r') == std::string::npos);
    CHECK(e.message.find('\n') == std::string::npos);
    CHECK_THAT(e.message, Contains("\\x0d\\x0a"));

    e = parse_ws_url("http://h/" + std::string(5000, 'a'), u);
    CHECK(e.message.size() < 400);
    CHECK_THAT(e.message, Contains("..."));
}

TEST_CASE("parse_proxy_url", "[url][proxy]") {
    ProxyUrl p;
    REQUIRE(parse_proxy_url("http://proxy.local:3128", p).status == TETHER_OK);
    CHECK(p.host == "proxy.local");
    CHECK(p.port == 3128);
    CHECK(p.username.empty());
    CHECK(p.password.empty());

    REQUIRE(parse_proxy_url("http://proxy/", p).status == TETHER_OK);
    CHECK(p.port == 80);

    REQUIRE(parse_proxy_url("HTTP://us%65r:p%40ss%3Aw0rd@Proxy:8080/", p).status == TETHER_OK);
    CHECK(p.host == "proxy");
    CHECK(p.port == 8080);
    CHECK(p.username == "user");
    CHECK(p.password == "p@ss:w0rd");

    REQUIRE(parse_proxy_url("http://u:p@ss@proxy:1", p).status == TETHER_OK);
    CHECK(p.username == "u");
    CHECK(p.password == "p@ss");

    REQUIRE(parse_proxy_url("http://user@proxy:1", p).status == TETHER_OK);
    CHECK(p.username == "user");
    CHECK(p.password.empty());

    REQUIRE(parse_proxy_url("http://[::1]:3128", p).status == TETHER_OK);
    CHECK(p.host == "::1");
    CHECK(p.port == 3128);
}

TEST_CASE("bad proxy URLs never show the password", "[url][proxy][secrets]") {
    struct Case {
        std::string url;
        std::string expected;
    };
    const std::vector<Case> cases = {
        {"", "empty"},
        {"https://u:PROXYPW@proxy:1", "unsupported proxy scheme 'https'"},
        {"socks5://u:PROXYPW@proxy:1080", "unsupported proxy scheme 'socks5'"},
        {"ws://proxy:1", "unsupported proxy scheme 'ws'"},
        {"proxy:3128", "missing scheme"},
        {"u:PROXYPW@proxy:3128", "missing scheme"},
        {"http://u:PROXYPW@proxy:3128/path", "no path"},
        {"http://proxy:3128?x=1", "no path"},
        {"http://u:PROXYPW@proxy:0", "port 0"},
        {"http://u:PROXYPW@proxy:99999", "out of range"},
        {"http://:PROXYPW@proxy:1", "empty user name"},
        {"http://", "missing host"},
        {"http://u:PROXYPW@", "missing host"},
        {"http://u:PROXYPW@pro xy:1", "space"},
        {"http://u:PROXYPW@[::1:1", "missing ']'"},
    };
    for (const Case &c : cases) {
        CAPTURE(c.url);
        ProxyUrl p;
        p.host = "unchanged";
        const Error e = parse_proxy_url(c.url, p);
        CHECK(e.status == TETHER_E_BAD_URL);
        CHECK_THAT(e.message, Contains(c.expected));
        CHECK(e.message.find("PROXYPW") == std::string::npos);
        CHECK(p.host == "unchanged");
    }
}

TEST_CASE("host_header", "[url]") {
    CHECK(host_header(parse_ok("ws://example.com/")) == "example.com");
    CHECK(host_header(parse_ok("ws://example.com:80/")) == "example.com");
    CHECK(host_header(parse_ok("ws://example.com:443/")) == "example.com:443");
    CHECK(host_header(parse_ok("wss://example.com:443/")) == "example.com");
    CHECK(host_header(parse_ok("wss://example.com:80/")) == "example.com:80");
    CHECK(host_header(parse_ok("wss://Example.com:9443/")) == "example.com:9443");
    CHECK(host_header(parse_ok("ws://[::1]:8080/")) == "[::1]:8080");
    CHECK(host_header(parse_ok("wss://[::1]/")) == "[::1]");
    CHECK(host_header(parse_ok("ws://127.0.0.1:81/")) == "127.0.0.1:81");
}

TEST_CASE("with_query_param", "[url]") {
    CHECK(with_query_param("/", "token", "abc") == "/?token=abc");
    CHECK(with_query_param("", "token", "abc") == "/?token=abc");
    CHECK(with_query_param("/ws", "token", "abc") == "/ws?token=abc");
    CHECK(with_query_param("/ws?x=1", "token", "abc") == "/ws?x=1&token=abc");
    CHECK(with_query_param("/ws?", "token", "abc") == "/ws?token=abc");
    CHECK(with_query_param("/ws?x=1&", "token", "abc") == "/ws?x=1&token=abc");
    CHECK(with_query_param("/p#frag", "t", "v") == "/p?t=v#frag");
    CHECK(with_query_param("/ws", "my token", "a+b/c=d&e \xC3\xA9~-._") ==
          "/ws?my%20token=a%2Bb%2Fc%3Dd%26e%20%C3%A9~-._");
    CHECK(with_query_param("/ws", "token", "") == "/ws?token=");
    // The result is a valid target for parse_ws_url.
    const std::string target = with_query_param("/ws?a=1", "token", "x y%z\"<>");
    CHECK(parse_ok("ws://h" + target).target == target);
}

TEST_CASE("redact_url", "[url][secrets]") {
    CHECK(redact_url("wss://h/ws?token=abc&x=1", "token") == "wss://h/ws?token=***&x=1");
    CHECK(redact_url("wss://h/ws?x=1&token=abc", "token") == "wss://h/ws?x=1&token=***");
    CHECK(redact_url("wss://h/ws?token=a&token=b", "token") == "wss://h/ws?token=***&token=***");
    CHECK(redact_url("/ws?a=1&token=abc", "token") == "/ws?a=1&token=***");
    CHECK(redact_url("?token=abc", "token") == "?token=***");
    CHECK(redact_url("/ws?%74oken=abc", "token") == "/ws?%74oken=***");
    CHECK(redact_url("/ws?access%20token=abc", "access token") == "/ws?access%20token=***");
    CHECK(redact_url("/ws?tokens=abc&xtoken=d", "token") == "/ws?tokens=abc&xtoken=d");
    CHECK(redact_url("/ws?token=", "token") == "/ws?token=");
    CHECK(redact_url("/ws?token", "token") == "/ws?token");
    CHECK(redact_url("/ws?token=abc#frag", "token") == "/ws?token=***#frag");
    CHECK(redact_url("/ws?token=abc", "") == "/ws?token=abc");
    CHECK(redact_url("/ws", "token") == "/ws");
    CHECK(redact_url("", "token") == "");
    CHECK(redact_url("ws://user:pw@h/", "") == "ws://user:***@h/");
    CHECK(redact_url("ws://user:pw@h/?token=t", "token") == "ws://user:***@h/?token=***");
    CHECK(redact_url("http://u:p@proxy:8080", "") == "http://u:***@proxy:8080");
    CHECK(redact_url("http://u:p%40x@proxy:8080", "") == "http://u:***@proxy:8080");
    CHECK(redact_url("ws://user@h/", "") == "ws://user@h/");
    CHECK(redact_url("ws://user:@h/", "") == "ws://user:@h/");
    CHECK(redact_url("ws://h/p?email=a@b.c", "") == "ws://h/p?email=a@b.c");
    CHECK(redact_url("ws://h/p@q:r", "") == "ws://h/p@q:r");
    // Built with with_query_param, redacted with the same name.
    const std::string target = with_query_param("/ws", "api key", "s3cr3t&x=1");
    CHECK(redact_url(target, "api key") == "/ws?api%20key=***");
}

TEST_CASE("percent_decode and percent_encode", "[url]") {
    CHECK(percent_decode("%41%62c") == "Abc");
    CHECK(percent_decode("%e2%82%AC") == "\xE2\x82\xAC");
    CHECK(percent_decode("%zz%4") == "%zz%4");
    CHECK(percent_decode("100%") == "100%");
    CHECK(percent_decode("a+b") == "a+b");
    CHECK(percent_decode("%00") == std::string(1, '\0'));
    CHECK(percent_decode("") == "");
    CHECK(percent_encode("AZaz09-._~") == "AZaz09-._~");
    CHECK(percent_encode(" !*'();:@&=+$,/?#[]%") ==
          "%20%21%2A%27%28%29%3B%3A%40%26%3D%2B%24%2C%2F%3F%23%5B%5D%25");
    const std::string all = [] {
        std::string s;
        for (int c = 0; c < 256; ++c) s += static_cast<char>(c);
        return s;
    }();
    CHECK(percent_decode(percent_encode(all)) == all);
}
