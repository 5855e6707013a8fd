/*
 * bench_common.h - what the native benchmark clients share: the command line of issue 8, the
 * message flow of the rtt/pipeline/bulk modes, the clock, memory readings and the one JSON line.
 *
 * Sharing it keeps tether and raw Beast measured by the same code; only the WebSocket calls
 * differ between bench/clients/tether_c.c and bench/clients/beast_raw.cpp. ws_client.js follows
 * the same rules in JavaScript (bench/README.md states them).
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { BENCH_RTT, BENCH_PIPELINE, BENCH_BULK, BENCH_CONNS } bench_mode;

typedef struct {
    const char *url;       /* ws://host:port[/path] or wss://... */
    bench_mode mode;
    const char *mode_name; /* as given: "rtt", "pipeline", "bulk", "conns" */
    long count;            /* measured messages (rtt, pipeline, bulk) */
    size_t size;           /* payload bytes of every message */
    int window;            /* messages in flight: 1 for rtt; --window, default 64 pipeline, 4 bulk */
    int conns;             /* conns mode: concurrent connections (--conns, default 1000) */
    /* The URL in parts, for clients that connect by host and port. */
    int tls;
    char host[256];
    char port[8];
    char target[1024];
} bench_args;

/* Parses the command line; prints the usage and exits with status 2 on a bad one. Raises the
 * soft limit on open files to the hard limit (the conns mode holds thousands of sockets). */
void bench_parse_args(bench_args *args, int argc, char **argv);

/* Payload of every message: printable ASCII (valid UTF-8, so it may go as text or binary). The
 * rtt and pipeline modes send text messages, bulk sends binary. Caller frees with free(). */
char *bench_payload(size_t size);

/* A monotonic clock in nanoseconds. */
uint64_t bench_now_ns(void);

/* Resident memory of this process in KiB: now (VmRSS) and the peak so far (VmHWM). */
long bench_rss_kb(void);
long bench_peak_rss_kb(void);

/*
 * The message flow of the rtt, pipeline and bulk modes on one connection.
 *
 * A warm-up of count/10 messages (at most 1000) runs first and is not measured; the clock starts
 * when its last echo is back, with nothing in flight. Then count messages are sent with at most
 * `window` in flight; each one's round trip (send call to echo delivered) is recorded.
 * Echoes come back in order, so the k-th echo answers the k-th message.
 *
 * Use: bench_flow_start() once the connection is open; then, each time bench_flow_may_send()
 * says so, call bench_flow_sending() and send one message (in that order: a send call may write
 * to the socket before it returns); on each echo call bench_flow_received() and send again while
 * allowed. bench_flow_done() turns true after the last echo.
 */
typedef struct {
    long warmup, total;     /* total = warmup + count */
    long sent, received;
    int window;
    size_t size;
    uint64_t *send_ns;      /* ring of `window` send times */
    uint64_t *rtt_ns;       /* one per measured message */
    uint64_t start_ns, end_ns;
    int failed;             /* an echo of the wrong size came back */
} bench_flow;

void bench_flow_init(bench_flow *flow, const bench_args *args);
void bench_flow_free(bench_flow *flow);
void bench_flow_start(bench_flow *flow);
int bench_flow_may_send(const bench_flow *flow);
void bench_flow_sending(bench_flow *flow);
void bench_flow_received(bench_flow *flow, size_t size);
int bench_flow_done(const bench_flow *flow);

/* Prints the JSON line of a finished rtt/pipeline/bulk run. Returns the exit status: 0, or 1
 * when the flow failed (the line is printed to stderr then, never to stdout). */
int bench_flow_report(const char *client, const bench_args *args, const bench_flow *flow);

/*
 * The conns mode: `conns` connections opened at once, one echo each, then held.
 * seconds = first connection started to last echo back; msgs_per_s = connections per second;
 * p50/p99 = one connection's start to its echo; rss_per_conn_kb = (RSS while all are held -
 * RSS before the first one) / conns.
 */
typedef struct {
    int conns;
    int echoed;
    uint64_t start_ns, end_ns;
    uint64_t *open_ns;      /* per connection: start to echo */
    long rss_before_kb, rss_held_kb;
} bench_conns;

void bench_conns_init(bench_conns *c, const bench_args *args); /* reads rss_before_kb */
void bench_conns_free(bench_conns *c);
void bench_conns_start(bench_conns *c);           /* before the first connection is made */
/* Connection `index` has its echo, `started_ns` being when that connection was started. Returns
 * 1 when it was the last one. */
int bench_conns_echoed(bench_conns *c, int index, uint64_t started_ns);
/* Call once every connection is held and idle: waits a moment for memory to settle, reads it. */
void bench_conns_hold(bench_conns *c);
int bench_conns_report(const char *client, const bench_args *args, const bench_conns *c);

/* How long the conns mode holds idle connections before measuring memory, in milliseconds. */
#define BENCH_HOLD_MS 200

#ifdef __cplusplus
}
#endif

#endif
