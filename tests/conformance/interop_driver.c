/*
 * The tether side of the interop tests: connects through the C ABI to a conformance peer (see
 * README.md in this folder for the commands it obeys) and checks echoes of every size and type,
 * fragmented messages, server pings, the negotiated extension and both close handshakes.
 *
 *   tether-interop-driver ws://127.0.0.1:PORT/ [--deflate]
 *
 * --deflate offers permessage-deflate and then requires the peer to report it negotiated;
 * without it the peer must report no extension. Prints one line per check and exits 0 only
 * when every check passed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tether.h"

#define WAIT_MS 20000

static int passed_count = 0;
static int failed_count = 0;

static void check(int ok, const char *what) {
    printf("%s: %s\n", ok ? "ok  " : "FAIL", what);
    fflush(stdout);
    if (ok) ++passed_count; else ++failed_count;
}

typedef struct received {
    int32_t event;   /* TETHER_EVENT_MESSAGE or TETHER_EVENT_CLOSE; 0 on timeout */
    int32_t type;    /* MESSAGE: TETHER_MESSAGE_TEXT or _BINARY */
    uint8_t *data;   /* MESSAGE: owned copy; CLOSE: the reason, NUL-terminated */
    size_t size;
    int32_t code;    /* CLOSE */
    int32_t was_clean;
} received;

static void received_free(received *r) {
    free(r->data);
    memset(r, 0, sizeof *r);
}

/* The next MESSAGE or CLOSE event; other events are reported but skipped. */
static received next_event(tether_client *client) {
    received r;
    memset(&r, 0, sizeof r);
    for (;;) {
        tether_event *ev = NULL;
        int32_t type;
        if (tether_client_poll(client, WAIT_MS, &ev) != TETHER_OK) return r;
        type = tether_event_type(ev);
        if (type == TETHER_EVENT_MESSAGE) {
            const uint8_t *data = tether_event_data(ev, &r.size);
            r.event = type;
            r.type = tether_event_message_type(ev);
            r.data = (uint8_t *)malloc(r.size + 1);
            if (r.size) memcpy(r.data, data, r.size);
            r.data[r.size] = 0;
        } else if (type == TETHER_EVENT_CLOSE) {
            const char *reason = tether_event_text(ev);
            r.event = type;
            r.code = tether_event_code(ev);
            r.was_clean = tether_event_was_clean(ev);
            r.size = strlen(reason);
            r.data = (uint8_t *)malloc(r.size + 1);
            memcpy(r.data, reason, r.size + 1);
        } else if (type == TETHER_EVENT_ERROR) {
            printf("     error %s: %s\n", tether_status_name(tether_event_status(ev)),
                   tether_event_text(ev));
        }
        tether_event_destroy(ev);
        if (r.event) return r;
    }
}

static tether_client *open_client(const char *url, int deflate) {
    tether_options *options = NULL;
    tether_client *client = NULL;
    tether_status status;

    tether_options_new(&options);
    status = tether_options_set(options, "url", url);
    if (status == TETHER_OK) status = tether_options_set(options, "autoReconnect", "false");
    if (status == TETHER_OK) {
        status = tether_options_set(options, "perMessageDeflate", deflate ? "true" : "false");
    }
    if (status == TETHER_OK) {
        status = tether_client_new(&client, NULL, options, TETHER_MODE_POLL, NULL, NULL, NULL);
    }
    tether_options_destroy(options);
    if (status == TETHER_OK) status = tether_client_connect(client);
    if (status != TETHER_OK) {
        printf("FAIL: setup: %s: %s\n", tether_status_name(status), tether_last_error_message());
        tether_client_destroy(client);
        return NULL;
    }
    for (;;) {
        tether_event *ev = NULL;
        int32_t type;
        if (tether_client_poll(client, WAIT_MS, &ev) != TETHER_OK) break;
        type = tether_event_type(ev);
        if (type == TETHER_EVENT_ERROR) {
            printf("     error %s: %s\n", tether_status_name(tether_event_status(ev)),
                   tether_event_text(ev));
        }
        tether_event_destroy(ev);
        if (type == TETHER_EVENT_OPEN) return client;
        if (type == TETHER_EVENT_CLOSE) break;
    }
    check(0, "open");
    tether_client_destroy(client);
    return NULL;
}

/* Printable ASCII for text (valid UTF-8), every byte value for binary. */
static uint8_t *make_payload(size_t size, int binary) {
    uint8_t *p = (uint8_t *)malloc(size ? size : 1);
    size_t i;
    for (i = 0; i < size; ++i) {
        p[i] = binary ? (uint8_t)(i * 31 + 7) : (uint8_t)(0x20 + (i * 13) % 95);
    }
    return p;
}

static int is_message(const received *r, int32_t type, const void *data, size_t size) {
    return r->event == TETHER_EVENT_MESSAGE && r->type == type && r->size == size &&
           (size == 0 || memcmp(r->data, data, size) == 0);
}

static void send_text(tether_client *client, const char *text) {
    if (tether_client_send(client, TETHER_MESSAGE_TEXT, text, strlen(text), 0) != TETHER_OK) {
        printf("     send %s: %s\n", text, tether_last_error_message());
    }
}

static void check_reply(tether_client *client, const char *command, const char *expected,
                        const char *what) {
    received r;
    send_text(client, command);
    r = next_event(client);
    if (!is_message(&r, TETHER_MESSAGE_TEXT, expected, strlen(expected))) {
        printf("     expected \"%s\", got \"%.200s\"\n", expected, r.data ? (char *)r.data : "");
    }
    check(is_message(&r, TETHER_MESSAGE_TEXT, expected, strlen(expected)), what);
    received_free(&r);
}

static void check_echoes(tether_client *client) {
    static const size_t sizes[] = {0, 125, 126, 65535, 65536, 1048576};
    size_t i;
    int binary;
    for (binary = 0; binary <= 1; ++binary) {
        for (i = 0; i < sizeof sizes / sizeof sizes[0]; ++i) {
            int32_t type = binary ? TETHER_MESSAGE_BINARY : TETHER_MESSAGE_TEXT;
            uint8_t *payload = make_payload(sizes[i], binary);
            char what[64];
            received r;
            tether_client_send(client, type, payload, sizes[i], 0);
            r = next_event(client);
            snprintf(what, sizeof what, "%s echo of %lu bytes", binary ? "binary" : "text",
                     (unsigned long)sizes[i]);
            check(is_message(&r, type, payload, sizes[i]), what);
            received_free(&r);
            free(payload);
        }
    }
}

/* The peers send 200,000 bytes of 0x21 + (i * 7 + 3) % 90 in several frames. */
static void check_fragmented(tether_client *client, int binary) {
    size_t i, size = 200000;
    uint8_t *expected = (uint8_t *)malloc(size);
    received r;
    for (i = 0; i < size; ++i) expected[i] = (uint8_t)(0x21 + (i * 7 + 3) % 90);
    send_text(client, binary ? "cmd:fragment binary" : "cmd:fragment text");
    r = next_event(client);
    check(is_message(&r, binary ? TETHER_MESSAGE_BINARY : TETHER_MESSAGE_TEXT, expected, size),
          binary ? "fragmented binary message from the server" :
                   "fragmented text message from the server");
    received_free(&r);
    free(expected);
}

static void check_close(const received *r, int32_t code, const char *reason, const char *what) {
    int ok = r->event == TETHER_EVENT_CLOSE && r->code == code && r->was_clean &&
             strcmp((const char *)r->data, reason) == 0;
    if (!ok) {
        printf("     expected close %d \"%s\" clean, got event %d code %d \"%s\" clean=%d\n",
               (int)code, reason, (int)r->event, (int)r->code,
               r->data ? (const char *)r->data : "", (int)r->was_clean);
    }
    check(ok, what);
}

int main(int argc, char **argv) {
    const char *url;
    int deflate = 0;
    tether_client *client;
    received r;

    if (argc < 2) {
        fprintf(stderr, "usage: %s ws://127.0.0.1:PORT/ [--deflate]\n", argv[0]);
        return 2;
    }
    url = argv[1];
    deflate = argc > 2 && strcmp(argv[2], "--deflate") == 0;

    client = open_client(url, deflate);
    if (!client) return 1;
    check(1, "open");

    /* The peer reports the extensions it agreed to in its handshake response. */
    send_text(client, "cmd:ext");
    r = next_event(client);
    check(r.event == TETHER_EVENT_MESSAGE && r.size >= 4 && memcmp(r.data, "ext:", 4) == 0 &&
              (strstr((const char *)r.data, "permessage-deflate") != NULL) == deflate,
          deflate ? "permessage-deflate negotiated" : "no extension negotiated");
    if (r.data) printf("     peer reports \"%s\"\n", (const char *)r.data);
    received_free(&r);

    check_echoes(client);
    check_fragmented(client, 0);
    check_fragmented(client, 1);
    check_reply(client, "cmd:ping 1", "pong:server-ping-1", "server ping answered with its payload");
    check_reply(client, "cmd:ping 2", "pong:server-ping-2", "second server ping answered");
    check_echoes(client); /* still in step after the pings (and the compression context reused) */

    tether_client_close(client, 4001, "client bye");
    r = next_event(client);
    check_close(&r, 4001, "client bye", "client-initiated close completes");
    received_free(&r);
    tether_client_destroy(client);

    client = open_client(url, deflate);
    if (client) {
        check_reply(client, "cmd:lastclose", "lastclose:4001 client bye",
                    "server received the client's close code and reason");
        send_text(client, "cmd:close");
        r = next_event(client);
        check_close(&r, 4002, "server bye", "server-initiated close with code and reason");
        received_free(&r);
        tether_client_destroy(client);
    }

    printf("%d passed, %d failed\n", passed_count, failed_count);
    return failed_count == 0 && passed_count > 0 ? 0 : 1;
}
