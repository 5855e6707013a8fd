#define _POSIX_C_SOURCE 200809L
#include "bench_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static void usage(const char *prog, const char *problem) {
    fprintf(stderr,
            "%s: %s\n"
            "usage: %s --url ws://127.0.0.1:PORT --mode rtt|pipeline|bulk|conns --count N "
            "--size BYTES [--window W] [--conns C]\n",
            prog, problem, prog);
    exit(2);
}

static long parse_number(const char *prog, const char *flag, const char *text, long min) {
    char *end = NULL;
    long value = strtol(text, &end, 10);
    if (end == text || *end != '\0' || value < min) {
        char problem[128];
        snprintf(problem, sizeof problem, "%s needs a whole number >= %ld", flag, min);
        usage(prog, problem);
    }
    return value;
}

static void split_url(bench_args *args, const char *prog) {
    const char *rest;
    const char *path;
    const char *port = NULL;
    size_t host_len;
    if (strncmp(args->url, "ws://", 5) == 0) {
        args->tls = 0;
        rest = args->url + 5;
    } else if (strncmp(args->url, "wss://", 6) == 0) {
        args->tls = 1;
        rest = args->url + 6;
    } else {
        usage(prog, "--url must start with ws:// or wss://");
        return;
    }
    path = strchr(rest, '/');
    if (!path) path = rest + strlen(rest);
    if (rest[0] == '[') { /* [IPv6]:port */
        const char *close = memchr(rest, ']', (size_t)(path - rest));
        if (!close) usage(prog, "--url has an unclosed [");
        host_len = (size_t)(close - rest - 1);
        if (host_len >= sizeof args->host) usage(prog, "--url host is too long");
        memcpy(args->host, rest + 1, host_len);
        if (close[1] == ':') port = close + 2;
    } else {
        const char *colon = memchr(rest, ':', (size_t)(path - rest));
        host_len = (size_t)((colon ? colon : path) - rest);
        if (host_len >= sizeof args->host) usage(prog, "--url host is too long");
        memcpy(args->host, rest, host_len);
        if (colon) port = colon + 1;
    }
    args->host[host_len] = '\0';
    if (port && port < path) {
        size_t n = (size_t)(path - port);
        if (n >= sizeof args->port) usage(prog, "--url port is too long");
        memcpy(args->port, port, n);
        args->port[n] = '\0';
    } else {
        strcpy(args->port, args->tls ? "443" : "80");
    }
    if (strlen(path) >= sizeof args->target) usage(prog, "--url path is too long");
    strcpy(args->target, *path ? path : "/");
}

void bench_parse_args(bench_args *args, int argc, char **argv) {
    const char *prog = argc > 0 ? argv[0] : "client";
    long window = 0;
    int i;
    struct rlimit files;

    memset(args, 0, sizeof *args);
    args->count = -1;
    args->conns = 1000;
    for (i = 1; i < argc; i += 2) {
        const char *flag = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (!value) usage(prog, "every option takes a value");
        if (strcmp(flag, "--url") == 0) {
            args->url = value;
        } else if (strcmp(flag, "--mode") == 0) {
            args->mode_name = value;
        } else if (strcmp(flag, "--count") == 0) {
            args->count = parse_number(prog, flag, value, 1);
        } else if (strcmp(flag, "--size") == 0) {
            args->size = (size_t)parse_number(prog, flag, value, 0);
        } else if (strcmp(flag, "--window") == 0) {
            window = parse_number(prog, flag, value, 1);
        } else if (strcmp(flag, "--conns") == 0) {
            args->conns = (int)parse_number(prog, flag, value, 1);
        } else {
            usage(prog, "unknown option");
        }
    }
    if (!args->url || !args->mode_name || args->count < 0) usage(prog, "--url, --mode and --count are required");
    if (strcmp(args->mode_name, "rtt") == 0) args->mode = BENCH_RTT;
    else if (strcmp(args->mode_name, "pipeline") == 0) args->mode = BENCH_PIPELINE;
    else if (strcmp(args->mode_name, "bulk") == 0) args->mode = BENCH_BULK;
    else if (strcmp(args->mode_name, "conns") == 0) args->mode = BENCH_CONNS;
    else usage(prog, "--mode must be rtt, pipeline, bulk or conns");
    if (args->mode == BENCH_RTT) args->window = 1;
    else if (window > 0) args->window = (int)window;
    else args->window = args->mode == BENCH_BULK ? 4 : 64;
    split_url(args, prog);

    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        setrlimit(RLIMIT_NOFILE, &files);
    }
}

char *bench_payload(size_t size) {
    char *data = malloc(size ? size : 1);
    size_t i;
    if (!data) abort();
    for (i = 0; i < size; ++i) data[i] = (char)('a' + i % 26);
    return data;
}

uint64_t bench_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static long status_kb(const char *field) {
    char line[256];
    size_t n = strlen(field);
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            kb = strtol(line + n + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

long bench_rss_kb(void) { return status_kb("VmRSS"); }
long bench_peak_rss_kb(void) { return status_kb("VmHWM"); }

/* ---- percentiles and the JSON line ------------------------------------------------------------ */

static int compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile in microseconds; sorts the samples in place. */
static double percentile_us(uint64_t *ns, size_t n, double p) {
    size_t rank;
    if (n == 0) return 0.0;
    rank = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return (double)ns[rank - 1] / 1000.0;
}

static void print_line(FILE *out, const char *client, const bench_args *args, long count,
                       double seconds, uint64_t *samples, size_t n_samples,
                       double rss_per_conn_kb) {
    char per_conn[32];
    qsort(samples, n_samples, sizeof *samples, compare_u64);
    if (rss_per_conn_kb < 0) strcpy(per_conn, "null");
    else snprintf(per_conn, sizeof per_conn, "%.2f", rss_per_conn_kb);
    fprintf(out,
            "{\"client\":\"%s\",\"mode\":\"%s\",\"count\":%ld,\"size\":%lu,\"seconds\":%.6f,"
            "\"msgs_per_s\":%.1f,\"mb_per_s\":%.3f,\"p50_us\":%.1f,\"p99_us\":%.1f,"
            "\"rss_kb\":%ld,\"rss_per_conn_kb\":%s}\n",
            client, args->mode_name, count, (unsigned long)args->size, seconds,
            seconds > 0 ? (double)count / seconds : 0.0,
            seconds > 0 ? (double)count * (double)args->size / seconds / 1e6 : 0.0,
            percentile_us(samples, n_samples, 50), percentile_us(samples, n_samples, 99),
            bench_peak_rss_kb(), per_conn);
    fflush(out);
}

/* ---- rtt, pipeline, bulk ---------------------------------------------------------------------- */

void bench_flow_init(bench_flow *flow, const bench_args *args) {
    memset(flow, 0, sizeof *flow);
    flow->warmup = args->count / 10 < 1000 ? args->count / 10 : 1000;
    flow->total = flow->warmup + args->count;
    flow->window = args->window;
    flow->size = args->size;
    flow->send_ns = calloc((size_t)flow->window, sizeof *flow->send_ns);
    flow->rtt_ns = calloc((size_t)args->count, sizeof *flow->rtt_ns);
    if (!flow->send_ns || !flow->rtt_ns) abort();
}

void bench_flow_free(bench_flow *flow) {
    free(flow->send_ns);
    free(flow->rtt_ns);
}

void bench_flow_start(bench_flow *flow) {
    if (flow->warmup == 0) flow->start_ns = bench_now_ns();
}

int bench_flow_may_send(const bench_flow *flow) {
    if (flow->sent >= flow->total || flow->sent - flow->received >= flow->window) return 0;
    /* The measured part starts with nothing in flight. */
    return flow->sent != flow->warmup || flow->received == flow->warmup;
}

void bench_flow_sending(bench_flow *flow) {
    flow->send_ns[flow->sent % flow->window] = bench_now_ns();
    ++flow->sent;
}

void bench_flow_received(bench_flow *flow, size_t size) {
    uint64_t now = bench_now_ns();
    long index = flow->received++;
    if (size != flow->size) flow->failed = 1;
    if (index >= flow->warmup)
        flow->rtt_ns[index - flow->warmup] = now - flow->send_ns[index % flow->window];
    if (flow->received == flow->warmup) flow->start_ns = now;
    if (flow->received == flow->total) flow->end_ns = now;
}

int bench_flow_done(const bench_flow *flow) { return flow->received >= flow->total; }

int bench_flow_report(const char *client, const bench_args *args, const bench_flow *flow) {
    long count = flow->total - flow->warmup;
    double seconds = (double)(flow->end_ns - flow->start_ns) / 1e9;
    if (flow->failed || !bench_flow_done(flow)) {
        fprintf(stderr, "%s: %s\n", client,
                flow->failed ? "an echo of the wrong size came back" : "the run did not finish");
        print_line(stderr, client, args, count, seconds, flow->rtt_ns, (size_t)count, -1);
        return 1;
    }
    print_line(stdout, client, args, count, seconds, flow->rtt_ns, (size_t)count, -1);
    return 0;
}

/* ---- conns ------------------------------------------------------------------------------------ */

void bench_conns_init(bench_conns *c, const bench_args *args) {
    memset(c, 0, sizeof *c);
    c->conns = args->conns;
    c->open_ns = calloc((size_t)c->conns, sizeof *c->open_ns);
    if (!c->open_ns) abort();
    c->rss_before_kb = bench_rss_kb();
}

void bench_conns_free(bench_conns *c) { free(c->open_ns); }

void bench_conns_start(bench_conns *c) { c->start_ns = bench_now_ns(); }

int bench_conns_echoed(bench_conns *c, int index, uint64_t started_ns) {
    uint64_t now = bench_now_ns();
    c->open_ns[index] = now - started_ns;
    if (++c->echoed < c->conns) return 0;
    c->end_ns = now;
    return 1;
}

void bench_conns_hold(bench_conns *c) {
    struct timespec pause;
    pause.tv_sec = BENCH_HOLD_MS / 1000;
    pause.tv_nsec = (long)(BENCH_HOLD_MS % 1000) * 1000000L;
    nanosleep(&pause, NULL);
    c->rss_held_kb = bench_rss_kb();
}

int bench_conns_report(const char *client, const bench_args *args, const bench_conns *c) {
    double seconds = (double)(c->end_ns - c->start_ns) / 1e9;
    double per_conn = (double)(c->rss_held_kb - c->rss_before_kb) / c->conns;
    if (c->echoed < c->conns) {
        fprintf(stderr, "%s: only %d of %d connections echoed\n", client, c->echoed, c->conns);
        return 1;
    }
    print_line(stdout, client, args, c->conns, seconds, c->open_ns, (size_t)c->conns,
               per_conn < 0 ? 0 : per_conn);
    return 0;
}
