// The phoenix and pusher dialects on their own: the frames each manager operation becomes, and
// what each received frame means, including the state a dialect keeps across a reconnect.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "dialect_test_support.hpp"

using namespace dialect_test;

namespace {

// The frame of a subscribe, which must succeed.
std::string subscribed(Dialect &d, const std::string &wire, const std::string &channel, const std::string &params = "") {
    std::string out;
    return encoded(d.subscribe(out, wire, channel, params), out);
}

// Every prefix of every frame: decode must survive text cut anywhere.
void decode_prefixes(Dialect &d, const std::vector<std::string> &frames) {
    for (const std::string &frame : frames) {
        for (size_t n = 0; n <= frame.size(); ++n) {
            (void)d.decode(frame.substr(0, n), false);
            (void)d.decode(frame.substr(0, n), true);
        }
    }
}

}  // namespace

// ---- phoenix ---------------------------------------------------------------------------------

TEST_CASE("phoenix: ready at open, no frames", "[phoenix]") {
    auto d = dialect_for("phoenix");
    CHECK(std::string(d->name()) == "phoenix");
    const Opening opening = d->open("tok", "");
    CHECK(opening.frames.empty());
    CHECK_FALSE(opening.wait_for_ready);
    CHECK(d->confirms_subscriptions());
}

TEST_CASE("phoenix: join, its replies, and the params it takes", "[phoenix]") {
    auto d = dialect_for("phoenix");
    d->open("", "");
    CHECK(subscribed(*d, "3", "room:lobby") == R"(["3","3","room:lobby","phx_join",{}])");
    CHECK(subscribed(*d, "4", "room:b", R"({"since":1})") == R"(["4","4","room:b","phx_join",{"since":1}])");
    CHECK(subscribed(*d, "5", "room:c", "null") == R"(["5","5","room:c","phx_join",{}])");
    std::string out;
    const Error e = d->subscribe(out, "6", "room:d", "[1]");
    CHECK(e.status == TETHER_E_INVALID_ARGUMENT);
    CHECK_THAT(e.message, Contains("JSON object"));

    Decoded ok = one(*d, R"(["3","3","room:lobby","phx_reply",{"status":"ok","response":{}}])");
    CHECK(ok.kind == Kind::subscribed);
    CHECK(ok.wire_id == "3");
    Decoded refused = one(*d, R"(["4","4","room:b","phx_reply",{"status":"error","response":{"reason":"unauthorized"}}])");
    CHECK(refused.kind == Kind::subscribe_error);
    CHECK(refused.wire_id == "4");
    CHECK(refused.error_message == "unauthorized");
    CHECK(refused.payload == R"({"reason":"unauthorized"})");
    // An unmatched topic is refused without a join_ref; a reason that is no text is shown whole.
    Decoded unmatched = one(*d, R"([null,"5","room:c","phx_reply",{"status":"error","response":{"code":7}}])");
    CHECK(unmatched.kind == Kind::subscribe_error);
    CHECK(unmatched.wire_id == "5");
    CHECK(unmatched.error_message == R"({"code":7})");
    // Refs some servers send back as numbers.
    subscribed(*d, "8", "room:e");
    CHECK(one(*d, R"([8,8,"room:e","phx_reply",{"status":"ok","response":{}}])").kind == Kind::subscribed);
}

TEST_CASE("phoenix: publish and request are pushes of {event, payload}", "[phoenix]") {
    auto d = dialect_for("phoenix");
    d->open("", "");
    std::string out;
    // Not joined: no join_ref to give.
    CHECK(encoded(d->publish(out, "room:x", R"({"event":"new_msg","payload":{"a":1}})"), out) ==
          R"([null,null,"room:x","new_msg",{"a":1}])");
    subscribed(*d, "3", "room:lobby");
    CHECK(encoded(d->publish(out, "room:lobby", R"({"event":"new_msg","payload":"hi"})"), out) ==
          R"(["3",null,"room:lobby","new_msg","hi"])");
    CHECK(encoded(d->publish(out, "room:lobby", R"({"event":"poke"})"), out) ==
          R"(["3",null,"room:lobby","poke",{}])");
    CHECK(encoded(d->request(out, "7", "room:lobby", R"({"event":"add","payload":{"a":1}})"), out) ==
          R"(["3","7","room:lobby","add",{"a":1}])");

    for (const char *bad : {"", "5", R"({"payload":1})", R"({"event":3})", R"({"event":""})", "[]"}) {
        INFO(bad);
        const Error p = d->publish(out, "room:lobby", bad);
        CHECK(p.status == TETHER_E_INVALID_ARGUMENT);
        CHECK_THAT(p.message, Contains(R"({"event": "<name>", "payload": <any>})"));
        CHECK(d->request(out, "9", "room:lobby", bad).status == TETHER_E_INVALID_ARGUMENT);
    }
    const Error reserved = d->publish(out, "room:lobby", R"({"event":"phx_join"})");
    CHECK(reserved.status == TETHER_E_INVALID_ARGUMENT);
    CHECK_THAT(reserved.message, Contains("reserved"));

    Decoded answer = one(*d, R"(["3","7","room:lobby","phx_reply",{"status":"ok","response":{"sum":3}}])");
    CHECK(answer.kind == Kind::response);
    CHECK(answer.wire_id == "7");
    CHECK(answer.payload == R"({"sum":3})");
    CHECK_FALSE(answer.is_error);
    Decoded failed = one(*d, R"(["3","10","room:lobby","phx_reply",{"status":"error","response":{"reason":"nope"}}])");
    CHECK(failed.kind == Kind::response);
    CHECK(failed.is_error);
    CHECK(failed.error_message == "nope");
    Decoded bare = one(*d, R"(["3","11","room:lobby","phx_reply",{"status":"timeout"}])");
    CHECK(bare.is_error);
    CHECK(bare.error_message == "timeout");
    CHECK(bare.payload == "null");
    // A reply without a ref answers a publish: nothing to report.
    CHECK(one(*d, R"(["3",null,"room:lobby","phx_reply",{"status":"ok","response":{}}])").kind == Kind::ignore);
}

TEST_CASE("phoenix: pushes, broadcasts and the channel's end", "[phoenix]") {
    auto d = dialect_for("phoenix");
    d->open("", "");
    std::string out;
    subscribed(*d, "3", "room:lobby");
    one(*d, R"(["3","3","room:lobby","phx_reply",{"status":"ok","response":{}}])");

    Decoded broadcast = one(*d, R"([null,null,"room:lobby","new_msg",{"body":"x"}])");
    CHECK(broadcast.kind == Kind::channel_message);
    CHECK(broadcast.channel == "room:lobby");
    CHECK(broadcast.wire_id.empty());
    CHECK(broadcast.event == "new_msg");
    CHECK(broadcast.payload == R"({"body":"x"})");
    CHECK(one(*d, R"(["3",null,"room:lobby","shout",[1,2]])").payload == "[1,2]");
    // A push for an earlier join of the topic is stale.
    CHECK(one(*d, R"(["1",null,"room:lobby","shout",{}])").kind == Kind::ignore);

    CHECK(one(*d, R"(["1","1","room:lobby","phx_error",{}])").kind == Kind::ignore);  // stale too
    Decoded crashed = one(*d, R"(["3","3","room:lobby","phx_error",{}])");
    CHECK(crashed.kind == Kind::subscription_ended);
    CHECK(crashed.wire_id == "3");
    CHECK(crashed.is_error);
    // Gone: a publish there has no join_ref any more.
    CHECK(encoded(d->publish(out, "room:lobby", R"({"event":"e"})"), out) ==
          R"([null,null,"room:lobby","e",{}])");

    subscribed(*d, "4", "room:b");
    Decoded closed = one(*d, R"(["4","4","room:b","phx_close",{}])");
    CHECK(closed.kind == Kind::subscription_ended);
    CHECK(closed.wire_id == "4");
    CHECK_FALSE(closed.is_error);
}

TEST_CASE("phoenix: leave, and the answers that follow it", "[phoenix]") {
    auto d = dialect_for("phoenix");
    d->open("", "");
    std::string out;
    subscribed(*d, "3", "room:lobby");
    CHECK(encoded(d->unsubscribe(out, "3", "8", "room:lobby"), out) ==
          R"(["3","8","room:lobby","phx_leave",{}])");
    CHECK(one(*d, R"(["3","8","room:lobby","phx_reply",{"status":"ok","response":{}}])").kind == Kind::ignore);
    CHECK(one(*d, R"(["3","3","room:lobby","phx_close",{}])").kind == Kind::ignore);
}

TEST_CASE("phoenix: a rejoin after a reconnect keeps the subscription's join_ref", "[phoenix][reconnect]") {
    auto d = dialect_for("phoenix");
    std::string out;
    subscribed(*d, "1", "room:lobby");  // offline: checked, not sent
    d->open("", "");
    CHECK(subscribed(*d, "2", "room:lobby") == R"(["1","2","room:lobby","phx_join",{}])");
    CHECK(one(*d, R"(["1","2","room:lobby","phx_reply",{"status":"ok","response":{}}])").wire_id == "2");
    d->open("", "");  // the next connection
    CHECK(subscribed(*d, "5", "room:lobby") == R"(["1","5","room:lobby","phx_join",{}])");
    // A publish encoded in between names the same join_ref, which the server knows again.
    CHECK(encoded(d->publish(out, "room:lobby", R"({"event":"e"})"), out) ==
          R"(["1",null,"room:lobby","e",{}])");
    // A reply to the previous connection's join means nothing now.
    CHECK(one(*d, R"(["1","2","room:lobby","phx_reply",{"status":"ok","response":{}}])").kind == Kind::response);
    CHECK(one(*d, R"(["1","5","room:lobby","phx_reply",{"status":"ok","response":{}}])").kind == Kind::subscribed);
    Decoded ended = one(*d, R"(["1","1","room:lobby","phx_close",{}])");
    CHECK(ended.kind == Kind::subscription_ended);
    CHECK(ended.wire_id == "5");  // the manager knows the channel by this connection's id
    // Joined again after that end: a fresh join_ref.
    CHECK(subscribed(*d, "9", "room:lobby") == R"(["9","9","room:lobby","phx_join",{}])");
}

TEST_CASE("phoenix: the heartbeat", "[phoenix]") {
    auto d = dialect_for("phoenix");
    CHECK(d->heartbeat_interval_ms() == 30000);
    CHECK(d->heartbeat("12") == R"([null,"12","phoenix","heartbeat",{}])");
    CHECK(one(*d, R"([null,"12","phoenix","phx_reply",{"status":"ok","response":{}}])").kind == Kind::ignore);
    CHECK(d->on_close(1000, "").decision == ClosePolicy::Decision::table);
    CHECK(d->on_close(4000, "").decision == ClosePolicy::Decision::table);
}

TEST_CASE("phoenix: frames that are not V2 messages are not the manager's", "[phoenix]") {
    auto d = dialect_for("phoenix");
    d->open("", "");
    for (const char *frame : {"", "not json", "{}", "[]", R"([null,null,"t","e"])", R"([null,null,1,"e",{}])",
                              R"([null,null,"t",null,{}])", R"([null,null,"t","e",{},6])", "\xff\xfe"}) {
        INFO(frame);
        CHECK(one(*d, frame).kind == Kind::other);
    }
    CHECK(d->decode(R"([null,null,"room:a","e",{}])", true).messages.at(0).kind == Kind::other);
    decode_prefixes(*d, {R"(["3","3","room:lobby","phx_reply",{"status":"error","response":{"reason":"x"}}])",
                         R"([null,null,"room:lobby","new_msg",{"body":"\u00e9"}])"});
}

// ---- pusher ----------------------------------------------------------------------------------

TEST_CASE("pusher: ready on connection_established, with its activity_timeout", "[pusher]") {
    auto d = dialect_for("pusher");
    CHECK(std::string(d->name()) == "pusher");
    Opening opening = d->open("tok", "");
    CHECK(opening.frames.empty());
    CHECK(opening.wait_for_ready);
    CHECK(d->confirms_subscriptions());

    Incoming in = d->decode(
        R"({"event":"pusher:connection_established","data":"{\"socket_id\":\"1.2\",\"activity_timeout\":30}"})", false);
    REQUIRE(in.messages.size() == 1);
    CHECK(in.messages[0].kind == Kind::ready);
    CHECK(in.replies.empty());
    CHECK(d->heartbeat_interval_ms() == 30000);
    CHECK(d->heartbeat("4") == R"({"event":"pusher:ping","data":{}})");

    // The next connection starts from the default; data sent as an object is read too.
    d->open("", "");
    CHECK(d->heartbeat_interval_ms() == 120000);
    CHECK(one(*d, R"({"event":"pusher:connection_established","data":{"socket_id":"1.2","activity_timeout":7}})").kind ==
          Kind::ready);
    CHECK(d->heartbeat_interval_ms() == 7000);
    for (const char *timeout : {"0", "-5", "1e12", "\"60\"", "null"}) {
        INFO(timeout);
        d->open("", "");
        one(*d, std::string(R"({"event":"pusher:connection_established","data":{"activity_timeout":)") + timeout + "}}");
        CHECK(d->heartbeat_interval_ms() == 120000);
    }
}

TEST_CASE("pusher: the auth message goes out right after connection_established", "[pusher][auth]") {
    auto d = dialect_for("pusher");
    const std::string signin = R"({"event":"pusher:signin","data":{"auth":"k:sig","user_data":"{}"}})";
    d->open("tok", signin);
    Incoming in = d->decode(R"({"event":"pusher:connection_established","data":"{}"})", false);
    CHECK(in.replies == std::vector<std::string>{signin});
    CHECK(in.messages.at(0).kind == Kind::ready);
}

TEST_CASE("pusher: subscribe, unsubscribe and their answers", "[pusher]") {
    auto d = dialect_for("pusher");
    d->open("", "");
    CHECK(subscribed(*d, "1", "news") == R"({"event":"pusher:subscribe","data":{"channel":"news"}})");
    CHECK(subscribed(*d, "2", "private-x", R"({"auth":"k:s","channel_data":"{}","channel":"other"})") ==
          R"({"event":"pusher:subscribe","data":{"channel":"private-x","auth":"k:s","channel_data":"{}"}})");
    std::string out;
    const Error e = d->subscribe(out, "3", "private-x", R"("k:s")");
    CHECK(e.status == TETHER_E_INVALID_ARGUMENT);
    CHECK_THAT(e.message, Contains("JSON object"));
    CHECK(encoded(d->unsubscribe(out, "1", "4", "news"), out) ==
          R"({"event":"pusher:unsubscribe","data":{"channel":"news"}})");

    Decoded ok = one(*d, R"({"event":"pusher_internal:subscription_succeeded","channel":"news","data":"{}"})");
    CHECK(ok.kind == Kind::subscribed);
    CHECK(ok.channel == "news");
    CHECK(ok.wire_id.empty());
    Decoded refused = one(
        *d, R"({"event":"pusher:subscription_error","channel":"private-x","data":{"type":"AuthError","error":"Invalid signature","status":401}})");
    CHECK(refused.kind == Kind::subscribe_error);
    CHECK(refused.channel == "private-x");
    CHECK(refused.error_message == "Invalid signature");
    CHECK(refused.payload == R"({"type":"AuthError","error":"Invalid signature","status":401})");
    Decoded encoded = one(*d, R"({"event":"pusher:subscription_error","channel":"private-x","data":"{\"message\":\"no\"}"})");
    CHECK(encoded.error_message == "no");
}

TEST_CASE("pusher: publish is a client event, request is not in the protocol", "[pusher]") {
    auto d = dialect_for("pusher");
    d->open("", "");
    std::string out;
    CHECK(encoded(d->publish(out, "private-c", R"({"event":"client-typing","data":{"a":1}})"), out) ==
          R"({"event":"client-typing","channel":"private-c","data":{"a":1}})");
    CHECK(encoded(d->publish(out, "private-c", R"({"event":"client-x"})"), out) ==
          R"({"event":"client-x","channel":"private-c","data":{}})");
    const Error server_event = d->publish(out, "private-c", R"({"event":"typing","data":{}})");
    CHECK(server_event.status == TETHER_E_INVALID_ARGUMENT);
    CHECK_THAT(server_event.message, Contains("'typing'"));
    for (const char *bad : {"", "1", R"({"data":{}})", R"({"event":7})"}) {
        INFO(bad);
        const Error e = d->publish(out, "private-c", bad);
        CHECK(e.status == TETHER_E_INVALID_ARGUMENT);
        CHECK_THAT(e.message, Contains(R"({"event": "client-<name>", "data": <any>})"));
    }
    const Error request = d->request(out, "5", "m", "{}");
    CHECK(request.status == TETHER_E_NOT_SUPPORTED);
    CHECK(request.message == "request is not supported by protocol pusher");
}

TEST_CASE("pusher: channel events carry their name and their data, decoded", "[pusher]") {
    auto d = dialect_for("pusher");
    d->open("", "");
    Decoded event = one(*d, R"({"event":"headline","channel":"news","data":"{\"title\":\"x\"}"})");
    CHECK(event.kind == Kind::channel_message);
    CHECK(event.channel == "news");
    CHECK(event.event == "headline");
    CHECK(event.payload == R"({"title":"x"})");
    CHECK(one(*d, R"({"event":"plain","channel":"news","data":"just text"})").payload == R"("just text")");
    CHECK(one(*d, R"({"event":"client-a","channel":"private-c","data":{"a":1}})").payload == R"({"a":1})");
    CHECK(one(*d, R"({"event":"n","channel":"news","data":"42"})").payload == "42");
    CHECK(one(*d, R"({"event":"n","channel":"news"})").payload == "null");
    Decoded member = one(*d, R"({"event":"pusher_internal:member_added","channel":"presence-r","data":"{\"user_id\":\"1\"}"})");
    CHECK(member.kind == Kind::channel_message);
    CHECK(member.event == "pusher_internal:member_added");
    // Without a channel it is none of the manager's.
    CHECK(one(*d, R"({"event":"pusher:signin_success","data":"{}"})").kind == Kind::other);
}

TEST_CASE("pusher: ping and pong", "[pusher][keepalive]") {
    auto d = dialect_for("pusher");
    d->open("", "");
    Incoming ping = d->decode(R"({"event":"pusher:ping","data":{}})", false);
    CHECK(ping.replies == std::vector<std::string>{R"({"event":"pusher:pong","data":{}})"});
    CHECK(ping.messages.at(0).kind == Kind::ignore);
    CHECK(one(*d, R"({"event":"pusher:pong","data":"{}"})").kind == Kind::ignore);
}

TEST_CASE("pusher: errors and close codes", "[pusher]") {
    auto d = dialect_for("pusher");
    d->open("", "");
    // An error that announces a close is left to the close; its text explains the close.
    CHECK(one(*d, R"({"event":"pusher:error","data":{"code":4009,"message":"Connection is unauthorized"}})").kind ==
          Kind::ignore);
    ClosePolicy unauthorized = d->on_close(4009, "");
    CHECK(unauthorized.decision == ClosePolicy::Decision::stop);
    CHECK(unauthorized.status == TETHER_E_AUTH);
    CHECK_THAT(unauthorized.why, Contains("4009") && Contains("Connection is unauthorized"));
    // The rest stays on the connection: the application sees it as a MESSAGE.
    CHECK(one(*d, R"({"event":"pusher:error","data":{"code":null,"message":"Client event rejected"}})").kind == Kind::other);
    CHECK(one(*d, R"({"event":"pusher:error","data":{"code":4301,"message":"rate limited"}})").kind == Kind::other);

    CHECK(d->on_close(4001, "App key x does not exist").status == TETHER_E_AUTH);
    CHECK(d->on_close(4003, "").status == TETHER_E_AUTH);
    ClosePolicy tls = d->on_close(4000, "");
    CHECK(tls.decision == ClosePolicy::Decision::stop);
    CHECK(tls.status == TETHER_E_CLOSED);
    CHECK_THAT(tls.why, Contains("wss://"));
    CHECK(d->on_close(4099, "").decision == ClosePolicy::Decision::stop);
    for (int32_t code : {4100, 4199}) {
        ClosePolicy later = d->on_close(code, "Over capacity");
        CHECK(later.decision == ClosePolicy::Decision::reconnect);
        CHECK(later.delay_ms == 1000);
    }
    for (int32_t code : {4200, 4201, 4299}) {
        ClosePolicy now = d->on_close(code, "");
        CHECK(now.decision == ClosePolicy::Decision::reconnect);
        CHECK(now.delay_ms == 0);
    }
    for (int32_t code : {1000, 1006, 3999, 4300, 4399, 4999}) {
        INFO(code);
        CHECK(d->on_close(code, "").decision == ClosePolicy::Decision::table);
    }
}

TEST_CASE("pusher: frames that are not the protocol's are not the manager's", "[pusher]") {
    auto d = dialect_for("pusher");
    d->open("", "");
    for (const char *frame : {"", "nope", "[]", "{}", R"({"event":1})", R"({"event":""})", R"({"data":"{}"})", "\xff"}) {
        INFO(frame);
        CHECK(one(*d, frame).kind == Kind::other);
    }
    CHECK(d->decode(R"({"event":"e","channel":"c","data":"{}"})", true).messages.at(0).kind == Kind::other);
    decode_prefixes(*d, {R"({"event":"pusher:connection_established","data":"{\"activity_timeout\":1}"})",
                         R"({"event":"pusher:error","data":{"code":4009,"message":"m"}})",
                         R"({"event":"x","channel":"c","data":"{\"a\":[1,2]}"})"});
}
