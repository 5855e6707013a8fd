/*
 * The POLL mode in one page: connect, send a few messages, take their echoes with
 * tether_client_poll(), close.
 *
 *   tether-echo-poll ws://127.0.0.1:8080/echo [COUNT]
 *
 * No callback and no thread of our own: events wait in the client's queue until polled.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tether.h"

static int failed(const char *what, tether_status status) {
    fprintf(stderr, "%s: %s: %s\n", what, tether_status_name(status), tether_last_error_message());
    return 1;
}

int main(int argc, char **argv) {
    tether_options *options = NULL;
    tether_client *client = NULL;
    tether_status status;
    int count = argc > 2 ? atoi(argv[2]) : 3;
    int received = 0;
    int done = 0;
    int i;

    if (argc < 2 || count < 1) {
        fprintf(stderr, "usage: %s ws://host:port/path [COUNT]\n", argv[0]);
        return 2;
    }

    tether_options_new(&options);
    status = tether_options_set(options, "url", argv[1]);
    if (status == TETHER_OK) status = tether_options_set(options, "messageFormat", "text");
    /* An example should fail fast rather than retry forever. */
    if (status == TETHER_OK) status = tether_options_set(options, "autoReconnect", "false");
    if (status == TETHER_OK) {
        status = tether_client_new(&client, NULL, options, TETHER_MODE_POLL, NULL, NULL, NULL);
    }
    tether_options_destroy(options);
    if (status != TETHER_OK) return failed("setup", status);

    status = tether_client_connect(client);
    if (status != TETHER_OK) {
        tether_client_destroy(client);
        return failed("connect", status);
    }

    /* Sends made before the connection is ready wait in the outgoing queue (queueWhileOffline). */
    for (i = 1; i <= count; ++i) {
        char text[32];
        snprintf(text, sizeof text, "message %d", i);
        status = tether_client_send(client, TETHER_MESSAGE_TEXT, text, strlen(text), 0);
        if (status != TETHER_OK) failed("send", status);
    }

    while (!done) {
        tether_event *ev = NULL;
        const uint8_t *data;
        size_t size = 0;

        status = tether_client_poll(client, 10000, &ev);
        if (status != TETHER_OK) {
            failed("poll", status); /* TETHER_E_TIMEOUT: nothing happened for 10 s */
            break;
        }
        switch (tether_event_type(ev)) {
        case TETHER_EVENT_OPEN:
            printf("open\n");
            break;
        case TETHER_EVENT_MESSAGE:
            data = tether_event_data(ev, &size);
            printf("echo: %.*s\n", (int)size, (const char *)data);
            if (++received == count) tether_client_close(client, 1000, "done");
            break;
        case TETHER_EVENT_ERROR:
            fprintf(stderr, "error %s: %s\n", tether_status_name(tether_event_status(ev)),
                    tether_event_text(ev));
            break;
        case TETHER_EVENT_CLOSE:
            printf("closed: %d (%s)\n", (int)tether_event_code(ev),
                   tether_close_code_str(tether_event_code(ev)));
            done = 1; /* autoReconnect is off: the first close is the last */
            break;
        default:
            break;
        }
        tether_event_destroy(ev); /* polled events belong to the caller */
    }

    tether_client_destroy(client);
    return received == count ? 0 : 1;
}
