/*
 * tether-soak: churn many clients against tether-test-server for a while and fail when the
 * process grows (memory, file descriptors, threads).
 *
 *   tether-soak ws://127.0.0.1:PORT SECONDS [CLIENTS]
 *
 * Written against tether.h alone, as an application would be. CLIENTS slots (default 16) each run
 * cycles: create a client, connect, exchange messages, lose the connection on purpose (the test
 * server's /drop, /flaky and /json?drop_after_messages paths), reconnect, then end the cycle in
 * one of three ways (graceful close, destroy while connected, destroy from inside the client's
 * own callback) and start again with a new client. Slots alternate between CALLBACK and POLL
 * mode, the shared runtime and the default one; one slot makes a private runtime per cycle so
 * runtime threads start and stop too.
 *
 * Every second the process's RSS, open fds and threads are sampled (/proc/self), and a line is
 * printed every few seconds. After the run:
 *   - RSS: the smallest sample of the last window must not exceed the largest sample of the
 *     window right after warm-up by more than 10% + 2 MiB (a leak rises steadily; allocator
 *     noise does not survive taking the min of the end against the max of the start);
 *   - threads and fds: the end window's smallest count must not exceed the start window's
 *     largest (both already hold the live connections and runtimes of the steady state), and
 *     once every client is destroyed both must come back to their idle counts (within
 *     TETHER_SOAK_SETTLE_MS, default 10 s: destroy cancels every timer of a client, so what is
 *     left is the polite close of an open connection, bounded by the closeTimeout of 1 s set
 *     here; the rest is room for a machine busy with other tests);
 *   - every destroyed client's release_user_data must have run (exactly once), every echo must
 *     come back in order (no duplicate), and traffic must have flowed.
 * Exit status 0 when all hold, 1 with a "soak: FAIL" line per broken rule, 2 for bad arguments.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tether.h"

#define MAX_CLIENTS 256
#define MESSAGES_PER_CONNECTION 24 /* then the connection waits for its drop or the cycle end */
#define IN_FLIGHT 4                /* messages sent on open; each echo sends one more */
#define LARGE_MESSAGE 32768        /* every 8th message */
#define CYCLE_TIMEOUT_MS 15000     /* a cycle that does not end by then is a stall */
#define SAMPLE_MS 1000
#define REPORT_EVERY_S 5

enum kind { KIND_DROP, KIND_FLAKY, KIND_JSON, KIND_ECHO, KIND_COUNT };
enum ending { END_CLOSE, END_DESTROY, END_SELF_DESTROY, END_COUNT };
static const char *const kind_names[KIND_COUNT] = {"drop", "flaky", "json", "echo"};

/* ---- totals, updated from I/O threads and the main thread ------------------------------------ */
static atomic_ullong total_opens, total_closes, total_errors, total_sent, total_received,
    total_send_refused, total_order_violations, total_cycles, total_stalls, total_releases,
    total_channel_messages, total_responses, total_self_destroys;
static unsigned long long total_created;

/* ---- one client's conversation ---------------------------------------------------------------
 * Allocated per client and freed by the main thread only after release_user_data has run, so a
 * callback (or a self-destroy) can never outlive it. Plain fields are used by one client's
 * events only (which never overlap); the atomics are shared with the main thread. */
typedef struct conversation {
    tether_client *client;
    enum kind kind;
    enum ending ending;
    int poll_mode;
    int opens_wanted;    /* the cycle is done after this many OPEN events (and, for echo, traffic) */
    int opens;
    int sent_on_connection;
    int received;
    uint64_t next_seq;
    uint64_t last_seq;
    uint64_t subscription;
    uint64_t next_request;
    atomic_int done;      /* the cycle reached its goal */
    atomic_int closed;    /* a CLOSE arrived after tether_client_close */
    atomic_int closing;   /* tether_client_close was called */
    atomic_int destroyed; /* whoever sets it first destroys the client */
    atomic_int released;  /* release_user_data ran */
    atomic_int gave_up;   /* reached state error */
    /* With TETHER_SOAK_GUARDED=1: held while an event is handled and while the main thread
     * destroys the client. tether.h lets a callback that runs while another thread destroys its
     * client go on using the handle, so by default the soak takes no such lock and checks that
     * promise (an earlier tether freed the handle at once, and ASan caught it here). */
    pthread_mutex_t guard;
    struct conversation *next_retired;
} conversation;

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

static uint32_t rng_state = 2463534242u;
static uint32_t rng(void) { /* xorshift32; the main thread only */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void count_send(tether_status status) {
    if (status == TETHER_OK)
        atomic_fetch_add(&total_sent, 1);
    else if (status != TETHER_E_CLOSED) /* sending while closing is expected to be refused */
        atomic_fetch_add(&total_send_refused, 1);
}

static void send_one(conversation *conv) {
    char head[32];
    size_t size;
    int len;
    uint64_t seq = ++conv->next_seq;

    conv->sent_on_connection++;
    if (conv->kind == KIND_JSON) {
        char payload[96];
        if (seq % 2 == 0) {
            snprintf(payload, sizeof payload, "{\"seq\":%llu}", (unsigned long long)seq);
            count_send(tether_client_publish(conv->client, "soak", payload, 0));
        } else {
            snprintf(payload, sizeof payload, "{\"seq\":%llu}", (unsigned long long)seq);
            count_send(tether_client_request(conv->client, "echo", payload, 3000,
                                             ++conv->next_request));
        }
        return;
    }
    /* "s<seq> " then padding: the echo tells which message it answers. */
    len = snprintf(head, sizeof head, "s%llu ", (unsigned long long)seq);
    size = seq % 8 == 0 ? LARGE_MESSAGE : (size_t)len + seq % 200;
    if (size <= 256) {
        char small[256];
        memset(small, 'x', size);
        memcpy(small, head, (size_t)len);
        count_send(tether_client_send(conv->client, TETHER_MESSAGE_TEXT, small, size,
                                      seq % 5 == 0 ? seq : 0));
    } else {
        char *large = malloc(size);
        if (!large) return;
        memset(large, 'x', size);
        memcpy(large, head, (size_t)len);
        count_send(tether_client_send(conv->client, TETHER_MESSAGE_TEXT, large, size, 0));
        free(large);
    }
}

/* Ends the cycle from inside the callback when that is this cycle's ending. */
static void reach_goal(conversation *conv, int in_callback) {
    if (atomic_exchange(&conv->done, 1)) return;
    if (in_callback && conv->ending == END_SELF_DESTROY && !conv->poll_mode) {
        int expected = 0;
        if (atomic_compare_exchange_strong(&conv->destroyed, &expected, 1)) {
            atomic_fetch_add(&total_self_destroys, 1);
            tether_client_destroy(conv->client);
        }
    }
}

static void handle_event(conversation *conv, const tether_event *ev, int in_callback) {
    const uint8_t *data;
    size_t size = 0;
    int i;

    switch (tether_event_type(ev)) {
    case TETHER_EVENT_OPEN:
        atomic_fetch_add(&total_opens, 1);
        conv->opens++;
        conv->sent_on_connection = 0;
        if (conv->kind == KIND_JSON && conv->subscription == 0) {
            /* Subscribed once: the client restores it after every reconnect. */
            tether_client_subscribe(&conv->subscription, conv->client, "soak", NULL);
        }
        for (i = 0; i < IN_FLIGHT; ++i) send_one(conv);
        if (conv->opens >= conv->opens_wanted && conv->kind != KIND_ECHO) reach_goal(conv, in_callback);
        break;
    case TETHER_EVENT_MESSAGE:
        data = tether_event_data(ev, &size);
        if (size > 1 && data[0] == 's') {
            uint64_t seq = strtoull((const char *)data + 1, NULL, 10);
            if (seq <= conv->last_seq) atomic_fetch_add(&total_order_violations, 1);
            conv->last_seq = seq;
            atomic_fetch_add(&total_received, 1);
            conv->received++;
            if (conv->sent_on_connection < MESSAGES_PER_CONNECTION && !atomic_load(&conv->closing))
                send_one(conv);
            if (conv->kind == KIND_ECHO && conv->received >= MESSAGES_PER_CONNECTION)
                reach_goal(conv, in_callback);
        }
        break;
    case TETHER_EVENT_CHANNEL_MESSAGE:
    case TETHER_EVENT_RESPONSE:
        atomic_fetch_add(tether_event_type(ev) == TETHER_EVENT_RESPONSE ? &total_responses
                                                                      : &total_channel_messages,
                         1);
        atomic_fetch_add(&total_received, 1);
        if (conv->sent_on_connection < MESSAGES_PER_CONNECTION && !atomic_load(&conv->closing))
            send_one(conv);
        break;
    case TETHER_EVENT_ERROR:
        atomic_fetch_add(&total_errors, 1);
        break;
    case TETHER_EVENT_CLOSE:
        atomic_fetch_add(&total_closes, 1);
        if (atomic_load(&conv->closing)) atomic_store(&conv->closed, 1);
        break;
    case TETHER_EVENT_STATE:
        if (tether_event_state(ev) == TETHER_STATE_ERROR) atomic_store(&conv->gave_up, 1);
        if (tether_event_state(ev) == TETHER_STATE_DISCONNECTED && atomic_load(&conv->closing))
            atomic_store(&conv->closed, 1);
        break;
    default:
        break;
    }
}

static int unguarded = 1; /* 0 with TETHER_SOAK_GUARDED=1 */

static void TETHER_CALL on_event(const tether_event *ev, void *user_data) {
    conversation *conv = user_data;
    if (unguarded) {
        handle_event(conv, ev, 1);
        return;
    }
    pthread_mutex_lock(&conv->guard);
    if (!atomic_load(&conv->destroyed)) handle_event(conv, ev, 1);
    pthread_mutex_unlock(&conv->guard);
}

static void TETHER_CALL on_release(void *user_data) {
    conversation *conv = user_data;
    if (atomic_exchange(&conv->released, 1)) {
        fprintf(stderr, "soak: release_user_data ran twice\n");
        abort();
    }
    atomic_fetch_add(&total_releases, 1);
}

/* ---- slots ------------------------------------------------------------------------------------ */
typedef struct {
    conversation *conv; /* NULL between cycles */
    int64_t started_ms;
    int64_t next_start_ms;
    int64_t close_started_ms;
    unsigned cycle;
} slot;

static conversation *retired; /* destroyed, waiting for release_user_data */

static void retire(conversation *conv) {
    conv->next_retired = retired;
    retired = conv;
}

static unsigned reap_retired(void) {
    conversation **link = &retired;
    unsigned waiting = 0;
    while (*link) {
        conversation *conv = *link;
        if (atomic_load(&conv->released)) {
            *link = conv->next_retired;
            pthread_mutex_destroy(&conv->guard);
            free(conv);
        } else {
            waiting++;
            link = &conv->next_retired;
        }
    }
    return waiting;
}

static int set_option(tether_options *options, const char *key, const char *value) {
    if (tether_options_set(options, key, value) == TETHER_OK) return 1;
    fprintf(stderr, "soak: option %s: %s\n", key, tether_last_error_message());
    return 0;
}

static int start_cycle(slot *s, int index, const char *base, tether_runtime *shared) {
    conversation *conv = calloc(1, sizeof *conv);
    tether_options *options = NULL;
    tether_runtime *private_runtime = NULL;
    tether_runtime *runtime;
    char url[512];
    char reconnect_delay[16];
    unsigned cycle = s->cycle++;
    int ok;

    if (!conv) return 0;
    pthread_mutex_init(&conv->guard, NULL);
    conv->kind = (enum kind)((index + cycle) % KIND_COUNT);
    conv->ending = (enum ending)((index / 2 + cycle) % END_COUNT);
    conv->poll_mode = index % 2;
    conv->opens_wanted = 2 + (int)(rng() % 3);

    switch (conv->kind) {
    case KIND_DROP:
        snprintf(url, sizeof url, "%s/drop?after_messages=%u", base, 3 + rng() % 10);
        break;
    case KIND_FLAKY:
        snprintf(url, sizeof url,
                 "%s/flaky?key=soak-%llu&fail_first=%d&after_messages=%u&mode=%s&code=1012", base,
                 total_created, conv->opens_wanted - 1, rng() % 6, cycle % 2 ? "drop" : "close");
        break;
    case KIND_JSON:
        snprintf(url, sizeof url, "%s/json?key=soak-%llu&drop_after_messages=%u", base,
                 total_created, 2 + rng() % 8);
        conv->opens_wanted = 2; /* only the first /json connection of a key is dropped */
        break;
    default:
        snprintf(url, sizeof url, "%s/echo", base);
        conv->opens_wanted = 1;
        break;
    }
    snprintf(reconnect_delay, sizeof reconnect_delay, "%u", 5 + rng() % 20);

    tether_options_new(&options);
    ok = set_option(options, "url", url) && set_option(options, "messageFormat", "text") &&
         set_option(options, "reconnectDelay", reconnect_delay) &&
         set_option(options, "maxReconnectDelay", "100") &&
         set_option(options, "maxReconnectAttempts", "0") &&
         set_option(options, "closeTimeout", "1000") &&
         set_option(options, "pingInterval", cycle % 3 == 0 ? "200" : "30000") &&
         (conv->kind != KIND_JSON || set_option(options, "protocol", "json")) &&
         (cycle % 4 != 1 || set_option(options, "perMessageDeflate", "true"));
    if (!ok) {
        tether_options_destroy(options);
        free(conv);
        return 0;
    }

    /* Slot 0 makes a runtime per cycle; even slots share one; odd ones use the default runtime. */
    if (index == 0) {
        if (tether_runtime_new(&private_runtime, 1) != TETHER_OK) {
            tether_options_destroy(options);
            free(conv);
            return 0;
        }
        runtime = private_runtime;
    } else {
        runtime = index % 4 == 2 ? shared : NULL;
    }

    if (tether_client_new(&conv->client, runtime, options,
                          conv->poll_mode ? TETHER_MODE_POLL : TETHER_MODE_CALLBACK,
                          conv->poll_mode ? NULL : on_event, on_release, conv) != TETHER_OK) {
        fprintf(stderr, "soak: tether_client_new: %s\n", tether_last_error_message());
        tether_options_destroy(options);
        tether_runtime_destroy(private_runtime);
        free(conv);
        return 0;
    }
    tether_options_destroy(options);
    tether_runtime_destroy(private_runtime); /* the client keeps it running */
    total_created++;
    s->conv = conv;
    s->started_ms = now_ms();
    s->close_started_ms = 0;
    if (tether_client_connect(conv->client) != TETHER_OK) {
        fprintf(stderr, "soak: tether_client_connect: %s\n", tether_last_error_message());
        return 0;
    }
    return 1;
}

static void destroy_client(conversation *conv) {
    int expected = 0;
    if (!unguarded) pthread_mutex_lock(&conv->guard);
    if (atomic_compare_exchange_strong(&conv->destroyed, &expected, 1))
        tether_client_destroy(conv->client);
    if (!unguarded) pthread_mutex_unlock(&conv->guard);
}

static void end_cycle(slot *s, int stalled) {
    conversation *conv = s->conv;
    if (stalled) {
        atomic_fetch_add(&total_stalls, 1);
        fprintf(stderr, "soak: stall: a %s cycle (%s mode, opens %d of %d) did not end in %d ms\n",
                kind_names[conv->kind], conv->poll_mode ? "poll" : "callback", conv->opens,
                conv->opens_wanted, CYCLE_TIMEOUT_MS);
    }
    destroy_client(conv);
    retire(conv);
    atomic_fetch_add(&total_cycles, 1);
    s->conv = NULL;
    s->next_start_ms = now_ms() + (int64_t)(rng() % 50);
}

/* Drives one slot; returns 0 on a failure to create a client. */
static int drive(slot *s, int index, const char *base, tether_runtime *shared, int64_t now) {
    conversation *conv = s->conv;
    if (!conv) return now < s->next_start_ms || start_cycle(s, index, base, shared);

    if (conv->poll_mode && !atomic_load(&conv->destroyed)) {
        tether_event *ev = NULL;
        int budget = 256;
        while (budget-- > 0 && tether_client_poll(conv->client, 0, &ev) == TETHER_OK) {
            handle_event(conv, ev, 0);
            tether_event_destroy(ev);
        }
    }

    if (now - s->started_ms > CYCLE_TIMEOUT_MS) {
        end_cycle(s, 1);
    } else if (atomic_load(&conv->gave_up) || atomic_load(&conv->destroyed)) {
        end_cycle(s, 0);
    } else if (atomic_load(&conv->done)) {
        if (conv->ending != END_CLOSE) {
            end_cycle(s, 0);
        } else if (!atomic_load(&conv->closing)) {
            atomic_store(&conv->closing, 1);
            tether_client_close(conv->client, 1000, "soak cycle done");
            s->close_started_ms = now;
        } else if (atomic_load(&conv->closed)) {
            end_cycle(s, 0);
        }
    }
    return 1;
}

/* ---- process statistics ---------------------------------------------------------------------- */
typedef struct {
    int64_t t_ms;
    long rss_kib;
    long threads;
    long fds;
} sample;

static sample take_sample(int64_t t0) {
    sample smp = {0, -1, -1, 0};
    char line[256];
    FILE *status = fopen("/proc/self/status", "r");
    DIR *dir;
    struct dirent *entry;

    smp.t_ms = now_ms() - t0;
    if (status) {
        while (fgets(line, sizeof line, status)) {
            if (strncmp(line, "VmRSS:", 6) == 0) smp.rss_kib = strtol(line + 6, NULL, 10);
            if (strncmp(line, "Threads:", 8) == 0) smp.threads = strtol(line + 8, NULL, 10);
        }
        fclose(status);
    }
    dir = opendir("/proc/self/fd");
    if (dir) {
        while ((entry = readdir(dir)) != NULL)
            if (entry->d_name[0] != '.') smp.fds++;
        closedir(dir);
        smp.fds--; /* the directory stream itself */
    }
    return smp;
}

static void print_sample(const sample *smp, int live) {
    printf("soak: t=%4llds rss=%7.1f MiB fds=%4ld threads=%3ld live=%3d cycles=%llu opens=%llu "
           "sent=%llu received=%llu stalls=%llu\n",
           (long long)(smp->t_ms / 1000), smp->rss_kib / 1024.0, smp->fds, smp->threads, live,
           (unsigned long long)atomic_load(&total_cycles),
           (unsigned long long)atomic_load(&total_opens),
           (unsigned long long)atomic_load(&total_sent),
           (unsigned long long)atomic_load(&total_received),
           (unsigned long long)atomic_load(&total_stalls));
    fflush(stdout);
}

/* After a leak of threads or fds: which ones (thread names, fd targets), for the log. */
static void print_threads_and_fds(void) {
    char path[320], text[256];
    DIR *dir = opendir("/proc/self/task");
    struct dirent *entry;
    if (dir) {
        printf("soak: threads:");
        while ((entry = readdir(dir)) != NULL) {
            FILE *comm;
            if (entry->d_name[0] == '.') continue;
            /* name, then what it waits in: the kernel function and the system call (number
             * first: 232 epoll_wait = idle, 202 futex = a lock or a join) */
            printf(" [%s", entry->d_name);
            snprintf(path, sizeof path, "/proc/self/task/%s/comm", entry->d_name);
            if ((comm = fopen(path, "r")) != NULL) {
                if (fgets(text, sizeof text, comm)) printf(" %.*s", (int)strcspn(text, "\n"), text);
                fclose(comm);
            }
            snprintf(path, sizeof path, "/proc/self/task/%s/wchan", entry->d_name);
            if ((comm = fopen(path, "r")) != NULL) {
                if (fgets(text, sizeof text, comm)) printf(" wchan=%.*s", (int)strcspn(text, "\n"), text);
                fclose(comm);
            }
            snprintf(path, sizeof path, "/proc/self/task/%s/syscall", entry->d_name);
            if ((comm = fopen(path, "r")) != NULL) {
                if (fgets(text, sizeof text, comm)) printf(" syscall=%.*s", (int)strcspn(text, " \n"), text);
                fclose(comm);
            }
            printf("]");
        }
        printf("\n");
        closedir(dir);
    }
    dir = opendir("/proc/self/fd");
    if (dir) {
        printf("soak: fds:");
        while ((entry = readdir(dir)) != NULL) {
            ssize_t n;
            if (entry->d_name[0] == '.') continue;
            snprintf(path, sizeof path, "/proc/self/fd/%s", entry->d_name);
            n = readlink(path, text, sizeof text - 1);
            text[n > 0 ? n : 0] = '\0';
            printf(" %s=%s", entry->d_name, text);
        }
        printf("\n");
        closedir(dir);
    }
}

static int failures;
static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...) {
    va_list args;
    printf("soak: FAIL: ");
    va_start(args, fmt);
    vprintf(fmt, args);
    va_end(args);
    printf("\n");
    failures++;
}

/* One cycle on the shared runtime before measuring, so lazily made things (resolver thread,
 * OpenSSL and Boost singletons, the default runtime) exist in the idle baseline. */
static int warm_up(const char *base, tether_runtime *shared) {
    slot s;
    int i;
    memset(&s, 0, sizeof s);
    for (i = 0; i < 4; ++i) {
        int64_t deadline = now_ms() + CYCLE_TIMEOUT_MS;
        s.cycle = (unsigned)i; /* drop, flaky, json, echo: one of each */
        if (!start_cycle(&s, i == 0 ? 2 : 4 * i - 1, base, shared)) return 0;
        while (s.conv && now_ms() < deadline) {
            drive(&s, i == 0 ? 2 : 4 * i - 1, base, shared, now_ms());
            sleep_ms(5);
        }
        if (s.conv) end_cycle(&s, 1);
    }
    return 1;
}

int main(int argc, char **argv) {
    const char *base;
    int seconds, clients, i, live;
    tether_runtime *shared = NULL;
    slot *slots;
    sample *samples;
    size_t nsamples = 0, cap;
    sample idle, last;
    int64_t t0, end_ms, next_sample, next_report, deadline;
    double warmup_s, window_s;
    long base_rss = 0, base_threads = 0, base_fds = 0, end_rss = -1, end_threads = -1,
         end_fds = -1, max_fds = 0;
    unsigned waiting;
    /* TETHER_SOAK_CHECK_GROWTH=0 (sanitizer builds): RSS and thread counts are printed, not
     * judged; everything else still is. */
    const char *growth_env = getenv("TETHER_SOAK_CHECK_GROWTH");
    int check_growth = !(growth_env && strcmp(growth_env, "0") == 0);
    const char *guarded_env = getenv("TETHER_SOAK_GUARDED");
    const char *settle_env = getenv("TETHER_SOAK_SETTLE_MS");
    int settle_ms = settle_env ? atoi(settle_env) : 10000;
    unguarded = !(guarded_env && strcmp(guarded_env, "1") == 0);

    if (argc < 3 || argc > 4 || (seconds = atoi(argv[2])) < 10 ||
        (clients = argc > 3 ? atoi(argv[3]) : 16) < 1 || clients > MAX_CLIENTS) {
        fprintf(stderr, "usage: %s ws://127.0.0.1:PORT SECONDS(>=10) [CLIENTS(1-%d)]\n", argv[0],
                MAX_CLIENTS);
        return 2;
    }
    base = argv[1];
    setvbuf(stdout, NULL, _IOLBF, 0);

    if (tether_runtime_new(&shared, 2) != TETHER_OK) {
        fprintf(stderr, "soak: tether_runtime_new: %s\n", tether_last_error_message());
        return 1;
    }
    t0 = now_ms();
    if (!warm_up(base, shared)) return 1;
    deadline = now_ms() + 5000;
    while (reap_retired() > 0 && now_ms() < deadline) sleep_ms(10);
    sleep_ms(300); /* a private runtime's thread exits just after its last client's release */
    idle = take_sample(t0);
    printf("soak: %d clients for %d s against %s; idle after warm-up: rss=%.1f MiB fds=%ld "
           "threads=%ld\n",
           clients, seconds, base, idle.rss_kib / 1024.0, idle.fds, idle.threads);

    /* The start window follows a warm-up of a quarter of the run (10 s at least); the end
     * window is the last 10 s (a quarter of shorter runs). */
    window_s = seconds / 4.0 < 10.0 ? seconds / 4.0 : 10.0;
    warmup_s = seconds / 4.0 > 10.0 ? seconds / 4.0 : 10.0;
    if (warmup_s + 2 * window_s > seconds) warmup_s = seconds - 2 * window_s;

    slots = calloc((size_t)clients, sizeof *slots);
    cap = (size_t)seconds * 1000 / SAMPLE_MS + 16;
    samples = calloc(cap, sizeof *samples);
    if (!slots || !samples) return 1;

    t0 = now_ms();
    end_ms = t0 + (int64_t)seconds * 1000;
    next_sample = t0 + SAMPLE_MS;
    next_report = t0 + REPORT_EVERY_S * 1000;
    for (;;) {
        int64_t now = now_ms();
        if (now >= end_ms) break;
        live = 0;
        for (i = 0; i < clients; ++i) {
            if (!drive(&slots[i], i, base, shared, now)) fail("could not start a client");
            if (slots[i].conv) live++;
        }
        if (failures) break;
        reap_retired();
        if (now >= next_sample) {
            last = take_sample(t0);
            if (nsamples < cap) samples[nsamples++] = last;
            if (last.fds > max_fds) max_fds = last.fds;
            next_sample += SAMPLE_MS;
            if (now >= next_report) {
                print_sample(&last, live);
                next_report += REPORT_EVERY_S * 1000;
            }
        }
        sleep_ms(5);
    }

    /* End every cycle, wait for every release, then for the fds and threads to settle. */
    for (i = 0; i < clients; ++i)
        if (slots[i].conv) end_cycle(&slots[i], 0);
    deadline = now_ms() + 10000;
    while ((waiting = reap_retired()) > 0 && now_ms() < deadline) sleep_ms(10);
    deadline = now_ms() + settle_ms;
    do {
        sleep_ms(50);
        last = take_sample(t0);
        if (now_ms() >= next_report) {
            print_sample(&last, 0);
            next_report = now_ms() + REPORT_EVERY_S * 1000;
        }
    } while ((last.fds > idle.fds || last.threads > idle.threads) && now_ms() < deadline);

    for (i = 0; i < (int)nsamples; ++i) {
        double t = samples[i].t_ms / 1000.0;
        if (t >= warmup_s && t < warmup_s + window_s) {
            if (samples[i].rss_kib > base_rss) base_rss = samples[i].rss_kib;
            if (samples[i].threads > base_threads) base_threads = samples[i].threads;
            if (samples[i].fds > base_fds) base_fds = samples[i].fds;
        }
        if (t > seconds - window_s) {
            if (end_rss < 0 || samples[i].rss_kib < end_rss) end_rss = samples[i].rss_kib;
            if (end_threads < 0 || samples[i].threads < end_threads) end_threads = samples[i].threads;
            if (end_fds < 0 || samples[i].fds < end_fds) end_fds = samples[i].fds;
        }
    }

    printf("soak: done: %llu cycles (%llu self-destroyed in a callback), %llu clients created, "
           "%llu released, %llu opens, %llu closes, %llu errors, %llu sent, %llu received "
           "(%llu channel messages, %llu responses), %llu refused sends, %llu out of order, "
           "%llu stalls\n",
           (unsigned long long)atomic_load(&total_cycles),
           (unsigned long long)atomic_load(&total_self_destroys), total_created,
           (unsigned long long)atomic_load(&total_releases),
           (unsigned long long)atomic_load(&total_opens),
           (unsigned long long)atomic_load(&total_closes),
           (unsigned long long)atomic_load(&total_errors),
           (unsigned long long)atomic_load(&total_sent),
           (unsigned long long)atomic_load(&total_received),
           (unsigned long long)atomic_load(&total_channel_messages),
           (unsigned long long)atomic_load(&total_responses),
           (unsigned long long)atomic_load(&total_send_refused),
           (unsigned long long)atomic_load(&total_order_violations),
           (unsigned long long)atomic_load(&total_stalls));
    printf("soak: rss after warm-up (max of %.0f-%.0f s) %.1f MiB, at the end (min of the last "
           "%.0f s) %.1f MiB; threads %ld -> %ld; fds %ld -> %ld (idle %ld, peak %ld, after the "
           "last destroy %ld); threads after the last destroy %ld (idle %ld)\n",
           warmup_s, warmup_s + window_s, base_rss / 1024.0, window_s, end_rss / 1024.0,
           base_threads, end_threads, base_fds, end_fds, idle.fds, max_fds, last.fds,
           last.threads, idle.threads);

    if (!failures && check_growth) {
        if (end_rss > base_rss + base_rss / 10 + 2048)
            fail("RSS grew from %.1f MiB to %.1f MiB (limit: +10%% + 2 MiB)", base_rss / 1024.0,
                 end_rss / 1024.0);
        if (end_threads > base_threads)
            fail("threads grew from %ld to %ld", base_threads, end_threads);
    }
    if (!failures) {
        if (end_fds > base_fds)
            fail("open fds grew from %ld to %ld", base_fds, end_fds);
        if (last.fds > idle.fds)
            fail("%ld fds still open after every client was destroyed (idle: %ld)", last.fds,
                 idle.fds);
        if (last.threads > idle.threads)
            fail("%ld threads after every client was destroyed (idle: %ld)", last.threads,
                 idle.threads);
        if (last.fds > idle.fds || last.threads > idle.threads) print_threads_and_fds();
        if (waiting > 0 || atomic_load(&total_releases) != total_created)
            fail("%llu clients created but %llu released",
                 total_created, (unsigned long long)atomic_load(&total_releases));
        if (atomic_load(&total_order_violations) > 0)
            fail("%llu echoes out of order or duplicated",
                 (unsigned long long)atomic_load(&total_order_violations));
        if (atomic_load(&total_stalls) > 0)
            fail("%llu cycles stalled", (unsigned long long)atomic_load(&total_stalls));
        if (atomic_load(&total_send_refused) > 0)
            fail("%llu sends refused", (unsigned long long)atomic_load(&total_send_refused));
        if (atomic_load(&total_cycles) < (unsigned long long)clients ||
            atomic_load(&total_received) == 0)
            fail("too little traffic: %llu cycles, %llu messages received",
                 (unsigned long long)atomic_load(&total_cycles),
                 (unsigned long long)atomic_load(&total_received));
    }

    free(slots);
    free(samples);
    tether_runtime_destroy(shared);
    if (failures) return 1;
    printf("soak: PASS\n");
    return 0;
}
