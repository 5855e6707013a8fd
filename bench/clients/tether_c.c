/*
 * bench-tether-c: tether through its C ABI (tether.h only), in callback mode, on the default
 * runtime (one I/O thread). The callback sends the next message itself, as an application that
 * answers messages would; the main thread only starts the run and waits for its end.
 *
 * Interface (issue 8): --url URL --mode rtt|pipeline|bulk|conns --count N --size BYTES
 *                      [--window W] [--conns C]; prints one JSON line (bench_common.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tether.h>

#include "bench_common.h"

#define CLIENT_NAME "tether-c"

/* Signals the main thread from the I/O thread. */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int count;
} counter;

static void counter_init(counter *c) {
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->changed, NULL);
    c->count = 0;
}

static void counter_add(counter *c) {
    pthread_mutex_lock(&c->lock);
    ++c->count;
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
}

static void counter_wait(counter *c, int target) {
    pthread_mutex_lock(&c->lock);
    while (c->count < target) pthread_cond_wait(&c->changed, &c->lock);
    pthread_mutex_unlock(&c->lock);
}

static void fail(const char *what, const char *detail) {
    fprintf(stderr, CLIENT_NAME ": %s: %s\n", what, detail);
    exit(1);
}

/* Options shared by every mode: no reconnects (a failure must show), no JSON check on send, and
 * no certificate check, as the server's certificate is self-signed (every client skips it).
 * Built once and handed to every client, as a program that opens many connections to one server
 * would (the clients share the values until one of them is changed). */
static tether_options *client_options = NULL; /* built by shared_options, destroyed by main */

static tether_options *shared_options(const bench_args *args) {
    char max_size[32];
    if (client_options) return client_options;
    snprintf(max_size, sizeof max_size, "%lu", (unsigned long)(args->size + 1024 > 16777216u ? args->size + 1024 : 16777216u));
    if (tether_options_new(&client_options) != TETHER_OK ||
        tether_options_set(client_options, "url", args->url) != TETHER_OK ||
        tether_options_set(client_options, "messageFormat", "text") != TETHER_OK ||
        tether_options_set(client_options, "autoReconnect", "false") != TETHER_OK ||
        tether_options_set(client_options, "maxMessageSize", max_size) != TETHER_OK ||
        (args->tls && tether_options_set(client_options, "insecureSkipTlsVerify", "true") != TETHER_OK))
        fail("setting the options", tether_last_error_message());
    return client_options;
}

static tether_client *new_client(const bench_args *args, tether_event_cb on_event, void *user_data) {
    tether_client *client = NULL;
    if (tether_client_new(&client, NULL, shared_options(args), TETHER_MODE_CALLBACK, on_event, NULL, user_data) != TETHER_OK)
        fail("setting up a client", tether_last_error_message());
    return client;
}

/* ---- rtt, pipeline, bulk: one connection ------------------------------------------------------ */

typedef struct {
    bench_args args;
    bench_flow flow;
    tether_client *client;
    char *payload;
    int32_t type;
    counter finished; /* 1: the flow ended (done or failed); 2: the connection closed */
    int failed;
} one_run;

static void send_while_allowed(one_run *run) {
    while (bench_flow_may_send(&run->flow)) {
        bench_flow_sending(&run->flow);
        if (tether_client_send(run->client, run->type, run->payload, run->args.size, 0) != TETHER_OK)
            fail("send", tether_last_error_message());
    }
}

static void TETHER_CALL on_flow_event(const tether_event *ev, void *user_data) {
    one_run *run = user_data;
    switch (tether_event_type(ev)) {
    case TETHER_EVENT_OPEN:
        bench_flow_start(&run->flow);
        send_while_allowed(run);
        break;
    case TETHER_EVENT_MESSAGE: {
        size_t size = 0;
        tether_event_data(ev, &size);
        bench_flow_received(&run->flow, size);
        if (bench_flow_done(&run->flow)) counter_add(&run->finished);
        else send_while_allowed(run);
        break;
    }
    case TETHER_EVENT_ERROR:
        fprintf(stderr, CLIENT_NAME ": %s\n", tether_event_text(ev));
        break;
    case TETHER_EVENT_CLOSE:
        if (!bench_flow_done(&run->flow)) {
            run->failed = 1;
            counter_add(&run->finished);
        }
        counter_add(&run->finished);
        break;
    default:
        break;
    }
}

static int run_flow(const bench_args *args) {
    one_run run;
    int status;
    memset(&run, 0, sizeof run);
    run.args = *args;
    bench_flow_init(&run.flow, args);
    run.payload = bench_payload(args->size);
    run.type = args->mode == BENCH_BULK ? TETHER_MESSAGE_BINARY : TETHER_MESSAGE_TEXT;
    counter_init(&run.finished);
    run.client = new_client(args, on_flow_event, &run);
    if (tether_client_connect(run.client) != TETHER_OK) fail("connect", tether_last_error_message());

    counter_wait(&run.finished, 1);
    status = run.failed ? 1 : bench_flow_report(CLIENT_NAME, args, &run.flow);
    if (run.failed) fprintf(stderr, CLIENT_NAME ": the connection closed before the run ended\n");
    tether_client_close(run.client, 1000, NULL);
    counter_wait(&run.finished, 2);
    tether_client_destroy(run.client);
    bench_flow_free(&run.flow);
    free(run.payload);
    return status;
}

/* ---- conns: many connections, one echo each, then held ---------------------------------------- */

typedef struct conns_run conns_run;

typedef struct {
    conns_run *run;
    int index;
    uint64_t started_ns;
    int echoed;
} one_conn;

struct conns_run {
    bench_args args;
    bench_conns conns;
    char *payload;
    pthread_mutex_t lock; /* guards conns and failed: a runtime may have several I/O threads */
    counter echoed;       /* 1 once every connection echoed, or one failed */
    counter closed;
    int failed;
};

static void TETHER_CALL on_conn_event(const tether_event *ev, void *user_data) {
    one_conn *conn = user_data;
    conns_run *run = conn->run;
    switch (tether_event_type(ev)) {
    case TETHER_EVENT_OPEN:
        break;
    case TETHER_EVENT_MESSAGE: {
        int last;
        pthread_mutex_lock(&run->lock);
        conn->echoed = 1;
        last = bench_conns_echoed(&run->conns, conn->index, conn->started_ns);
        pthread_mutex_unlock(&run->lock);
        if (last) counter_add(&run->echoed);
        break;
    }
    case TETHER_EVENT_ERROR:
        fprintf(stderr, CLIENT_NAME ": connection %d: %s\n", conn->index, tether_event_text(ev));
        break;
    case TETHER_EVENT_CLOSE: {
        int early;
        pthread_mutex_lock(&run->lock);
        early = !conn->echoed && !run->failed;
        if (early) run->failed = 1;
        pthread_mutex_unlock(&run->lock);
        if (early) counter_add(&run->echoed);
        counter_add(&run->closed);
        break;
    }
    default:
        break;
    }
}

static int run_conns(const bench_args *args) {
    conns_run run;
    tether_client **clients;
    one_conn *conns;
    int i, status;
    memset(&run, 0, sizeof run);
    run.args = *args;
    run.payload = bench_payload(args->size);
    pthread_mutex_init(&run.lock, NULL);
    counter_init(&run.echoed);
    counter_init(&run.closed);
    clients = calloc((size_t)args->conns, sizeof *clients);
    conns = calloc((size_t)args->conns, sizeof *conns);
    if (!clients || !conns) fail("memory", "out of memory");
    bench_conns_init(&run.conns, args);

    bench_conns_start(&run.conns);
    for (i = 0; i < args->conns; ++i) {
        conns[i].run = &run;
        conns[i].index = i;
        conns[i].started_ns = bench_now_ns();
        clients[i] = new_client(args, on_conn_event, &conns[i]);
        /* Queued until the connection is ready, then sent: one echo per connection. */
        if (tether_client_connect(clients[i]) != TETHER_OK ||
            tether_client_send(clients[i], TETHER_MESSAGE_TEXT, run.payload, args->size, 0) != TETHER_OK)
            fail("connect", tether_last_error_message());
    }
    counter_wait(&run.echoed, 1);
    if (run.failed) {
        fprintf(stderr, CLIENT_NAME ": a connection closed before its echo\n");
        status = 1;
    } else {
        bench_conns_hold(&run.conns);
        status = bench_conns_report(CLIENT_NAME, args, &run.conns);
    }

    for (i = 0; i < args->conns; ++i) tether_client_close(clients[i], 1000, NULL);
    counter_wait(&run.closed, args->conns);
    for (i = 0; i < args->conns; ++i) tether_client_destroy(clients[i]);
    bench_conns_free(&run.conns);
    free(clients);
    free(conns);
    free(run.payload);
    return status;
}

int main(int argc, char **argv) {
    bench_args args;
    int status;
    bench_parse_args(&args, argc, argv);
    status = args.mode == BENCH_CONNS ? run_conns(&args) : run_flow(&args);
    tether_options_destroy(client_options);
    return status;
}
