/*
 * The C quick start: connect, say hello, print the reply, close.
 *
 *   tether-quickstart ws://127.0.0.1:8080/echo
 *
 * CALLBACK mode: events arrive on a library I/O thread, so main() waits on a condition variable
 * until the CLOSE event ends the conversation.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "tether.h"

typedef struct {
    tether_client *client;
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    int replied; /* written by the callback only: one client's callbacks never overlap */
    int closed;  /* guarded by mutex */
} conversation;

static void finish(conversation *conv) {
    pthread_mutex_lock(&conv->mutex);
    conv->closed = 1;
    pthread_cond_signal(&conv->cond);
    pthread_mutex_unlock(&conv->mutex);
}

static void TETHER_CALL on_event(const tether_event *ev, void *user_data) {
    conversation *conv = user_data;
    static const char hello[] = "Hello, tether!";
    const uint8_t *data;
    size_t size = 0;

    switch (tether_event_type(ev)) {
    case TETHER_EVENT_OPEN:
        /* A callback may call back into its own client. */
        tether_client_send(conv->client, TETHER_MESSAGE_TEXT, hello, strlen(hello), 0);
        break;
    case TETHER_EVENT_MESSAGE:
        data = tether_event_data(ev, &size);
        printf("received: %.*s\n", (int)size, (const char *)data);
        conv->replied = 1;
        tether_client_close(conv->client, 1000, "bye");
        break;
    case TETHER_EVENT_ERROR:
        fprintf(stderr, "error %s: %s\n", tether_status_name(tether_event_status(ev)),
                tether_event_text(ev));
        break;
    case TETHER_EVENT_CLOSE:
        printf("closed: %d (%s)\n", (int)tether_event_code(ev),
               tether_close_code_str(tether_event_code(ev)));
        finish(conv);
        break;
    default:
        break;
    }
}

int main(int argc, char **argv) {
    conversation conv = {NULL, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    tether_options *options = NULL;

    if (argc != 2) {
        fprintf(stderr, "usage: %s ws://host:port/path\n", argv[0]);
        return 2;
    }

    /* Options are checked as they are set; a failure names the key. */
    tether_options_new(&options);
    if (tether_options_set(options, "url", argv[1]) != TETHER_OK ||
        tether_options_set(options, "messageFormat", "text") != TETHER_OK ||
        tether_options_set(options, "autoReconnect", "false") != TETHER_OK ||
        tether_client_new(&conv.client, NULL, options, TETHER_MODE_CALLBACK, on_event, NULL,
                          &conv) != TETHER_OK) {
        fprintf(stderr, "%s\n", tether_last_error_message());
        tether_options_destroy(options);
        return 2;
    }
    tether_options_destroy(options); /* the client keeps its own copy */

    if (tether_client_connect(conv.client) != TETHER_OK) {
        fprintf(stderr, "%s\n", tether_last_error_message());
        tether_client_destroy(conv.client);
        return 1;
    }

    pthread_mutex_lock(&conv.mutex);
    while (!conv.closed)
        pthread_cond_wait(&conv.cond, &conv.mutex);
    pthread_mutex_unlock(&conv.mutex);

    tether_client_destroy(conv.client);
    return conv.replied ? 0 : 1;
}
