/*
 * An echo agent for the Autobahn|Testsuite fuzzing server: runs every case of the suite against
 * tether and asks the server to write its report.
 *
 *   tether-autobahn-agent [--deflate] [--agent NAME] [ws://127.0.0.1:9001]
 *
 * With the testsuite's own server (its documentation shows it started from its Docker image):
 *
 *   wstest -m fuzzingserver -s fuzzingserver.json      # listens on ws://127.0.0.1:9001
 *   tether-autobahn-agent --deflate                     # then open reports/clients/index.html
 *
 * The protocol, one connection per step:
 *   GET /getCaseCount                   the server sends the number of cases as a text message
 *   GET /runCase?case=N&agent=NAME      for N = 1..count: echo every message back exactly, text
 *                                       as text and binary as binary, until the server closes
 *   GET /updateReports?agent=NAME       the server writes the reports and closes
 *
 * --deflate offers permessage-deflate, which the cases 12.* and 13.* need. The agent name
 * defaults to "tether-<version>". Exit status: 0 when every step could connect, 1 otherwise;
 * whether tether passed a case is in the server's report, not here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tether.h"

/* The suite's largest messages are 16 MiB (cases 9.*); leave room above that. */
#define MAX_MESSAGE "67108864"
#define MAX_QUEUED "268435456"
/* Some cases stay silent for a while (close timeouts): wait that long for the next event. */
#define IDLE_LIMIT_MS 60000

typedef struct step {
    int echo;        /* echo every message back */
    char *first_text; /* else: a copy of the first text message, NUL-terminated */
} step;

/* The URL-safe form of an agent name (RFC 3986 unreserved characters kept, others %XX). */
static void percent_encode(char *out, size_t out_size, const char *in) {
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (; *in && n + 4 < out_size; ++in) {
        unsigned char c = (unsigned char)*in;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            out[n++] = (char)c;
        } else {
            out[n++] = '%';
            out[n++] = hex[c >> 4];
            out[n++] = hex[c & 15];
        }
    }
    out[n] = 0;
}

/* One connection to base + path, served until it ends. Returns 0 when it opened. */
static int run_step(const char *base, const char *path, int deflate, step *s) {
    tether_options *options = NULL;
    tether_client *client = NULL;
    tether_status status;
    char url[1024];
    int opened = 0;
    int done = 0;

    snprintf(url, sizeof url, "%s%s", base, path);
    tether_options_new(&options);
    status = tether_options_set(options, "url", url);
    if (status == TETHER_OK) status = tether_options_set(options, "messageFormat", "text");
    if (status == TETHER_OK) status = tether_options_set(options, "autoReconnect", "false");
    /* The cases count every frame: no keep-alive pings of our own. */
    if (status == TETHER_OK) status = tether_options_set(options, "pingInterval", "0");
    if (status == TETHER_OK) status = tether_options_set(options, "maxMessageSize", MAX_MESSAGE);
    if (status == TETHER_OK) status = tether_options_set(options, "maxQueuedBytes", MAX_QUEUED);
    if (status == TETHER_OK) {
        status = tether_options_set(options, "perMessageDeflate", deflate ? "true" : "false");
    }
    if (status == TETHER_OK) {
        status = tether_client_new(&client, NULL, options, TETHER_MODE_POLL, NULL, NULL, NULL);
    }
    tether_options_destroy(options);
    if (status == TETHER_OK) status = tether_client_connect(client);
    if (status != TETHER_OK) {
        fprintf(stderr, "%s: %s: %s\n", url, tether_status_name(status),
                tether_last_error_message());
        tether_client_destroy(client);
        return -1;
    }

    while (!done) {
        tether_event *ev = NULL;
        const uint8_t *data;
        size_t size = 0;

        if (tether_client_poll(client, IDLE_LIMIT_MS, &ev) != TETHER_OK) {
            fprintf(stderr, "%s: nothing happened for %d s, giving up\n", url,
                    IDLE_LIMIT_MS / 1000);
            break;
        }
        switch (tether_event_type(ev)) {
        case TETHER_EVENT_OPEN:
            opened = 1;
            break;
        case TETHER_EVENT_MESSAGE:
            data = tether_event_data(ev, &size);
            if (s->echo) {
                /* A send after the server has started closing fails; the case is over then. */
                tether_client_send(client, tether_event_message_type(ev), data, size, 0);
            } else if (!s->first_text && tether_event_message_type(ev) == TETHER_MESSAGE_TEXT) {
                s->first_text = (char *)malloc(size + 1);
                if (s->first_text) {
                    memcpy(s->first_text, data, size);
                    s->first_text[size] = 0;
                }
            }
            break;
        case TETHER_EVENT_CLOSE:
            done = 1; /* autoReconnect is off: the first close is the last */
            break;
        case TETHER_EVENT_STATE:
            /* A connect that fails before opening ends in state error without a CLOSE. */
            if (tether_event_state(ev) == TETHER_STATE_ERROR ||
                tether_event_state(ev) == TETHER_STATE_DISCONNECTED) {
                done = 1;
            }
            break;
        case TETHER_EVENT_ERROR:
            if (!opened) {
                fprintf(stderr, "%s: %s\n", url, tether_event_text(ev));
            }
            break;
        default:
            break;
        }
        tether_event_destroy(ev);
    }
    tether_client_destroy(client);
    return opened ? 0 : -1;
}

int main(int argc, char **argv) {
    const char *base = "ws://127.0.0.1:9001";
    char agent_name[128];
    char agent[3 * sizeof agent_name];
    char path[512];
    int deflate = 0;
    int failures = 0;
    int count;
    int i;
    step s;

    snprintf(agent_name, sizeof agent_name, "tether-%s", tether_version());
    for (i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "--deflate") == 0) {
            deflate = 1;
        } else if (strcmp(argv[i], "--agent") == 0 && i + 1 < argc) {
            snprintf(agent_name, sizeof agent_name, "%s", argv[++i]);
        } else if (strncmp(argv[i], "ws://", 5) == 0 || strncmp(argv[i], "wss://", 6) == 0) {
            base = argv[i];
        } else {
            fprintf(stderr, "usage: %s [--deflate] [--agent NAME] [ws://127.0.0.1:9001]\n",
                    argv[0]);
            return 2;
        }
    }
    /* "ws://host:port/" and "ws://host:port" both work: the paths below bring their slash. */
    if (base[0] && base[strlen(base) - 1] == '/') {
        static char trimmed[512];
        snprintf(trimmed, sizeof trimmed, "%.*s", (int)strlen(base) - 1, base);
        base = trimmed;
    }
    percent_encode(agent, sizeof agent, agent_name);

    memset(&s, 0, sizeof s);
    if (run_step(base, "/getCaseCount", 0, &s) != 0 || !s.first_text) {
        fprintf(stderr, "could not read the case count from %s/getCaseCount\n", base);
        free(s.first_text);
        return 1;
    }
    count = atoi(s.first_text);
    free(s.first_text);
    printf("%d cases, agent %s\n", count, agent_name);

    for (i = 1; i <= count; ++i) {
        memset(&s, 0, sizeof s);
        s.echo = 1;
        snprintf(path, sizeof path, "/runCase?case=%d&agent=%s", i, agent);
        if (run_step(base, path, deflate, &s) != 0) ++failures;
        printf("case %d/%d done\n", i, count);
        fflush(stdout);
    }

    memset(&s, 0, sizeof s);
    snprintf(path, sizeof path, "/updateReports?agent=%s", agent);
    if (run_step(base, path, 0, &s) != 0) ++failures;
    printf("reports updated; %d step(s) could not connect\n", failures);
    return failures == 0 ? 0 : 1;
}
