/*
 * tether-wscat: a command-line WebSocket client in the spirit of wscat, written against tether.h
 * alone.
 *
 * It uses the POLL mode: the READY callback only writes a byte to a pipe, and a single thread
 * waits on that pipe and on standard input with poll(2), so every event is handled, and every
 * line printed, on the main thread. SIGINT wakes the same loop through the same pipe.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tether.h"

#define EXIT_USAGE 2
#define EXIT_INTERRUPTED 130

static const char kUsage[] =
    "usage: tether-wscat [options] URL\n"
    "\n"
    "Connects to a WebSocket server, prints what it receives and sends each line of standard\n"
    "input as one message. End of input or Ctrl-C closes the connection gracefully (1000);\n"
    "a second Ctrl-C exits at once.\n"
    "\n"
    "Connection:\n"
    "      --auth-method M        none, query-param, first-message or subprotocol\n"
    "      --token TOKEN          authentication token (default: $TETHER_TOKEN; prefer the\n"
    "                             variable, a command line is visible to other users)\n"
    "      --token-param NAME     query parameter of query-param auth (default: token)\n"
    "      --auth-template TEXT   first-message auth template; {{token}} and {{type}} are filled\n"
    "      --auth-success-type T  first-message auth: ready once a reply with \"type\": T arrives\n"
    "      --subprotocol P        offer subprotocol P (repeatable)\n"
    "  -H, --header 'Name: value' extra header of the upgrade request (repeatable)\n"
    "      --format F             json, text or binary: how input lines are sent (default: text)\n"
    "      --ca-file FILE         PEM CA certificates to trust instead of the system store\n"
    "      --insecure             DANGEROUS: do not verify the server's TLS certificate\n"
    "      --proxy URL            HTTP CONNECT proxy, http://[user:password@]host[:port]\n"
    "      --ping-interval MS     keep-alive ping interval in milliseconds, 0 turns it off\n"
    "      --no-reconnect         do not reconnect after the connection is lost\n"
    "      --max-attempts N       reconnect attempts before giving up, 0 for no limit\n"
    "      --option KEY=VALUE     set any tether option, e.g. closeTimeout=2000 (repeatable)\n"
    "      --provider P           a provider preset: socketio, pusher, ably, phoenix,\n"
    "                             actioncable, signalr, graphql, apollo, aws-apigateway,\n"
    "                             binance or echo (sets protocol, auth and URL parameters)\n"
    "\n"
    "Session:\n"
    "      --send TEXT            send TEXT once connected, before standard input (repeatable)\n"
    "      --count N              close and exit after receiving N messages; end of input\n"
    "                             then does not close, so replies to piped input arrive\n"
    "  -q, --quiet                do not print state changes, reconnects and closes\n"
    "  -h, --help                 print this text\n"
    "      --version              print the tether version\n"
    "\n"
    "Input lines (and --send) that start with / are connection manager commands, for a\n"
    "client with a protocol (--provider, or --option protocol=...):\n"
    "  /subscribe CHANNEL [PARAMS]   /unsubscribe ID   /publish CHANNEL PAYLOAD\n"
    "  /request METHOD [PARAMS]\n"
    "PARAMS and PAYLOAD are JSON; a CHANNEL or METHOD with spaces is written as a JSON string.\n"
    "A line starting with // is sent as a message without its first /.\n"
    "Channel messages print as \"< CHANNEL: payload\" (\"< CHANNEL EVENT: payload\" when the\n"
    "protocol names events) and responses as \"< response N: result\".\n"
    "\n"
    "Flags and --option are applied in command-line order, so a later one wins.\n"
    "Received messages go to stdout as \"< text\" or \"< [binary N bytes]\"; state changes,\n"
    "reconnects and closes (\"* ...\") and errors (\"! ...\") go to stderr.\n"
    "Exit status: 0 after a normal close, 1 after a final error, 2 for bad arguments.\n";

/* ---- small helpers ---------------------------------------------------------------------- */

static void *xrealloc(void *ptr, size_t size) {
    void *p = realloc(ptr, size);
    if (p == NULL) {
        fputs("tether-wscat: out of memory\n", stderr);
        exit(EXIT_FAILURE);
    }
    return p;
}

/* A growable byte string, always NUL-terminated. */
typedef struct {
    char *data;
    size_t size;
    size_t capacity;
} buffer;

static void buffer_append(buffer *b, const char *bytes, size_t n) {
    if (b->size + n + 1 > b->capacity) {
        size_t capacity = b->capacity ? b->capacity : 64;
        while (b->size + n + 1 > capacity)
            capacity *= 2;
        b->data = xrealloc(b->data, capacity);
        b->capacity = capacity;
    }
    memcpy(b->data + b->size, bytes, n);
    b->size += n;
    b->data[b->size] = '\0';
}

static void buffer_append_str(buffer *b, const char *s) {
    buffer_append(b, s, strlen(s));
}

/* Appends s as a JSON string literal. Bytes >= 0x80 pass through; tether checks UTF-8. */
static void buffer_append_json_string(buffer *b, const char *s, size_t n) {
    size_t i;
    buffer_append(b, "\"", 1);
    for (i = 0; i < n; ++i) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char escaped[2] = {'\\', (char)c};
            buffer_append(b, escaped, 2);
        } else if (c < 0x20) {
            char escaped[8];
            snprintf(escaped, sizeof escaped, "\\u%04x", c);
            buffer_append_str(b, escaped);
        } else {
            buffer_append(b, (const char *)&s[i], 1);
        }
    }
    buffer_append(b, "\"", 1);
}

static void usage_error(const char *fmt, ...) {
    va_list args;
    fputs("tether-wscat: ", stderr);
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fputs("\n\n", stderr);
    fputs(kUsage, stderr);
    exit(EXIT_USAGE);
}

/* Sets one tether option or exits with tether's own explanation (it names the key). */
static void set_option(tether_options *options, const char *key, const char *value) {
    tether_status status = tether_options_set(options, key, value);
    if (status != TETHER_OK) {
        fprintf(stderr, "tether-wscat: %s (%s)\n", tether_last_error_message(),
                tether_status_name(status));
        exit(EXIT_USAGE);
    }
}

/* ---- command line ------------------------------------------------------------------------ */

typedef struct {
    const char *long_name;
    char short_name; /* 0: none */
    int takes_value;
    const char *key;   /* the tether option set directly, or NULL for wscat's own flags */
    const char *fixed; /* the value of a tether option set by a flag without a value */
} flag_spec;

static const flag_spec kFlags[] = {
    {"auth-method", 0, 1, "authMethod", NULL},
    {"token", 0, 1, "authToken", NULL},
    {"token-param", 0, 1, "tokenParamName", NULL},
    {"auth-template", 0, 1, "authMessageTemplate", NULL},
    {"auth-success-type", 0, 1, "authSuccessType", NULL},
    {"format", 0, 1, "messageFormat", NULL},
    {"ca-file", 0, 1, "caFile", NULL},
    {"insecure", 0, 0, "insecureSkipTlsVerify", "true"},
    {"proxy", 0, 1, "proxy", NULL},
    {"ping-interval", 0, 1, "pingInterval", NULL},
    {"no-reconnect", 0, 0, "autoReconnect", "false"},
    {"max-attempts", 0, 1, "maxReconnectAttempts", NULL},
    {"provider", 0, 1, "provider", NULL},
    {"subprotocol", 0, 1, NULL, NULL},
    {"header", 'H', 1, NULL, NULL},
    {"option", 0, 1, NULL, NULL},
    {"send", 0, 1, NULL, NULL},
    {"count", 0, 1, NULL, NULL},
    {"quiet", 'q', 0, NULL, NULL},
    {"help", 'h', 0, NULL, NULL},
    {"version", 0, 0, NULL, NULL},
};

typedef struct {
    tether_options *options;
    const char *url;
    long count; /* 0: no limit */
    int quiet;
    const char **sends;
    size_t send_count;
    buffer headers;      /* the members of the "headers" JSON object so far */
    buffer subprotocols; /* comma-separated */
} settings;

static const flag_spec *find_flag(const char *arg, const char **inline_value) {
    size_t i;
    *inline_value = NULL;
    if (arg[0] == '-' && arg[1] == '-') {
        const char *name = arg + 2;
        const char *equals = strchr(name, '=');
        size_t length = equals ? (size_t)(equals - name) : strlen(name);
        for (i = 0; i < sizeof kFlags / sizeof kFlags[0]; ++i) {
            if (strlen(kFlags[i].long_name) == length &&
                strncmp(kFlags[i].long_name, name, length) == 0) {
                if (equals) *inline_value = equals + 1;
                return &kFlags[i];
            }
        }
    } else if (arg[0] == '-' && arg[1] != '\0' && arg[2] == '\0') {
        for (i = 0; i < sizeof kFlags / sizeof kFlags[0]; ++i) {
            if (kFlags[i].short_name == arg[1]) return &kFlags[i];
        }
    }
    return NULL;
}

static void add_header(settings *s, const char *line) {
    const char *colon = strchr(line, ':');
    const char *name_end;
    const char *value = colon ? colon + 1 : NULL;
    buffer json = {NULL, 0, 0};
    while (*line == ' ' || *line == '\t')
        ++line;
    name_end = colon;
    while (name_end && name_end > line && (name_end[-1] == ' ' || name_end[-1] == '\t'))
        --name_end;
    if (colon == NULL || name_end == line) {
        usage_error("--header needs 'Name: value', not '%s'", line);
    }
    while (*value == ' ' || *value == '\t')
        ++value;

    if (s->headers.size > 0) buffer_append(&s->headers, ",", 1);
    buffer_append_json_string(&s->headers, line, (size_t)(name_end - line));
    buffer_append(&s->headers, ":", 1);
    buffer_append_json_string(&s->headers, value, strlen(value));

    buffer_append(&json, "{", 1);
    buffer_append(&json, s->headers.data, s->headers.size);
    buffer_append(&json, "}", 1);
    set_option(s->options, "headers", json.data);
    free(json.data);
}

static void add_subprotocol(settings *s, const char *protocol) {
    if (s->subprotocols.size > 0) buffer_append(&s->subprotocols, ",", 1);
    buffer_append_str(&s->subprotocols, protocol);
    set_option(s->options, "subprotocols", s->subprotocols.data);
}

static void add_option(settings *s, const char *key_value) {
    const char *equals = strchr(key_value, '=');
    char *key;
    if (equals == NULL || equals == key_value) {
        usage_error("--option needs KEY=VALUE, not '%s'", key_value);
    }
    key = xrealloc(NULL, (size_t)(equals - key_value) + 1);
    memcpy(key, key_value, (size_t)(equals - key_value));
    key[equals - key_value] = '\0';
    set_option(s->options, key, equals + 1);
    free(key);
}

static long parse_count(const char *text) {
    char *end = NULL;
    long n;
    errno = 0;
    n = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || n < 1) {
        fprintf(stderr, "tether-wscat: --count needs a whole number of at least 1, not '%s'\n",
                text);
        exit(EXIT_USAGE);
    }
    return n;
}

static void apply_flag(settings *s, const flag_spec *flag, const char *value) {
    const char *name = flag->long_name;
    if (flag->key != NULL) {
        set_option(s->options, flag->key, flag->fixed ? flag->fixed : value);
    } else if (strcmp(name, "subprotocol") == 0) {
        add_subprotocol(s, value);
    } else if (strcmp(name, "header") == 0) {
        add_header(s, value);
    } else if (strcmp(name, "option") == 0) {
        add_option(s, value);
    } else if (strcmp(name, "send") == 0) {
        s->sends[s->send_count++] = value;
    } else if (strcmp(name, "count") == 0) {
        s->count = parse_count(value);
    } else if (strcmp(name, "quiet") == 0) {
        s->quiet = 1;
    } else if (strcmp(name, "help") == 0) {
        fputs(kUsage, stdout);
        exit(EXIT_SUCCESS);
    } else if (strcmp(name, "version") == 0) {
        printf("tether-wscat %s\n", tether_version());
        exit(EXIT_SUCCESS);
    }
}

static void parse_command_line(settings *s, int argc, char **argv) {
    const char *token = getenv("TETHER_TOKEN");
    int only_positional = 0;
    int i;

    /* wscat sends whatever is typed; the library's default (json) would refuse plain words. */
    set_option(s->options, "messageFormat", "text");
    if (token != NULL && token[0] != '\0') set_option(s->options, "authToken", token);

    for (i = 1; i < argc; ++i) {
        const char *arg = argv[i];
        const char *value = NULL;
        const flag_spec *flag;
        if (only_positional || arg[0] != '-' || strcmp(arg, "-") == 0) {
            if (s->url != NULL) usage_error("one URL only, but got '%s' and '%s'", s->url, arg);
            s->url = arg;
            set_option(s->options, "url", arg);
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_positional = 1;
            continue;
        }
        flag = find_flag(arg, &value);
        if (flag == NULL) usage_error("unknown flag '%s'", arg);
        if (flag->takes_value && value == NULL) {
            if (i + 1 >= argc) usage_error("%s needs a value", arg);
            value = argv[++i];
        } else if (!flag->takes_value && value != NULL) {
            usage_error("--%s takes no value", flag->long_name);
        }
        apply_flag(s, flag, value);
    }
    if (s->url == NULL) usage_error("no URL given");
}

/* ---- waking the main loop ----------------------------------------------------------------- */

static int g_wake_pipe[2] = {-1, -1};
static volatile sig_atomic_t g_interrupted = 0;

static void wake(void) {
    const char byte = 1;
    int saved = errno;
    ssize_t written = write(g_wake_pipe[1], &byte, 1);
    (void)written; /* EAGAIN: the full pipe already holds a wake-up, so none is lost */
    errno = saved;
}

/* POLL mode: runs on a library I/O thread whenever the event queue becomes non-empty. */
static void TETHER_CALL on_ready(const tether_event *ev, void *user_data) {
    (void)ev;
    (void)user_data;
    wake();
}

static void on_signal(int signo) {
    (void)signo;
    if (g_interrupted) _exit(EXIT_INTERRUPTED);
    g_interrupted = 1;
    wake();
}

static void setup_wakeups(void) {
    struct sigaction action;
    int i;
    if (pipe(g_wake_pipe) != 0) {
        perror("tether-wscat: pipe");
        exit(EXIT_FAILURE);
    }
    for (i = 0; i < 2; ++i) {
        fcntl(g_wake_pipe[i], F_SETFL, fcntl(g_wake_pipe[i], F_GETFL) | O_NONBLOCK);
        fcntl(g_wake_pipe[i], F_SETFD, FD_CLOEXEC);
    }
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
}

static void drain_wake_pipe(void) {
    char bytes[64];
    while (read(g_wake_pipe[0], bytes, sizeof bytes) > 0) {
    }
}

/* ---- the session ---------------------------------------------------------------------------- */

typedef struct {
    const settings *settings;
    tether_client *client;
    long received;
    int opened;        /* the first OPEN has been seen */
    int reading_input; /* standard input is watched */
    int close_requested;
    int exit_status; /* -1 while running */
    uint64_t next_request; /* the id of the last /request */
    buffer line;     /* the start of an input line whose newline has not arrived yet */
} session;

static void note(const session *ses, const char *fmt, ...) {
    va_list args;
    if (ses->settings->quiet) return;
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fputc('\n', stderr);
}

static void request_close(session *ses) {
    tether_status status;
    ses->reading_input = 0;
    if (ses->close_requested) return;
    ses->close_requested = 1;
    status = tether_client_close(ses->client, 1000, NULL);
    if (status != TETHER_OK) {
        fprintf(stderr, "! close %s: %s\n", tether_status_name(status),
                tether_last_error_message());
        ses->exit_status = EXIT_FAILURE;
    }
}

static void send_message(session *ses, const char *data, size_t size) {
    tether_status status = tether_client_send(ses->client, TETHER_MESSAGE_DEFAULT, data, size, 0);
    if (status != TETHER_OK) {
        fprintf(stderr, "! send %s: %s\n", tether_status_name(status), tether_last_error_message());
    }
}

static void count_output(session *ses) {
    if (++ses->received == ses->settings->count) request_close(ses);
}

/* Splits off the next word of a command: a JSON string ("a b") or text up to a space. Returns a
 * copy to free, or NULL at the end of the line; *rest moves past the word. */
static char *next_word(const char **rest) {
    const char *p = *rest;
    buffer word = {NULL, 0, 0};
    while (*p == ' ' || *p == '\t')
        ++p;
    if (*p == '\0') return NULL;
    if (*p == '"') {
        for (++p; *p != '\0' && *p != '"'; ++p) {
            if (*p == '\\' && p[1] != '\0') ++p; /* \" and \\ keep the character after them */
            buffer_append(&word, p, 1);
        }
        if (*p == '"') ++p;
    } else {
        const char *start = p;
        while (*p != '\0' && *p != ' ' && *p != '\t')
            ++p;
        buffer_append(&word, start, (size_t)(p - start));
    }
    buffer_append(&word, "", 1);
    *rest = p;
    return word.data;
}

/* What is left of a command line after its words: the JSON argument, or NULL when none. */
static const char *json_rest(const char *rest) {
    while (*rest == ' ' || *rest == '\t')
        ++rest;
    return *rest ? rest : NULL;
}

static void report(const char *what, tether_status status) {
    if (status != TETHER_OK) {
        fprintf(stderr, "! %s %s: %s\n", what, tether_status_name(status), tether_last_error_message());
    }
}

static void run_command(session *ses, const char *line) {
    const char *rest = line + 1;
    char *command = next_word(&rest);
    char *name = next_word(&rest);
    const char *json = json_rest(rest);
    if (command == NULL) command = xrealloc(NULL, 1), command[0] = '\0';
    if (strcmp(command, "subscribe") == 0 && name != NULL) {
        uint64_t id = 0;
        tether_status status = tether_client_subscribe(&id, ses->client, name, json);
        report("subscribe", status);
        if (status == TETHER_OK) note(ses, "* subscription %" PRIu64 " to %s", id, name);
    } else if (strcmp(command, "unsubscribe") == 0 && name != NULL) {
        report("unsubscribe", tether_client_unsubscribe(ses->client, strtoull(name, NULL, 10)));
    } else if (strcmp(command, "publish") == 0 && name != NULL) {
        report("publish", tether_client_publish(ses->client, name, json ? json : "null", 0));
    } else if (strcmp(command, "request") == 0 && name != NULL) {
        report("request", tether_client_request(ses->client, name, json, 10000, ++ses->next_request));
    } else {
        fprintf(stderr, "! unknown command '%s': /subscribe CHANNEL [PARAMS], /unsubscribe ID, "
                        "/publish CHANNEL PAYLOAD, /request METHOD [PARAMS]\n", line);
    }
    free(command);
    free(name);
}

/* One line of input or one --send: a manager command, or a message. */
static void submit(session *ses, const char *line, size_t size) {
    char *text;
    if (size > 1 && line[0] == '/' && line[1] == '/') {
        send_message(ses, line + 1, size - 1);
        return;
    }
    if (size == 0 || line[0] != '/') {
        send_message(ses, line, size);
        return;
    }
    text = xrealloc(NULL, size + 1);
    memcpy(text, line, size);
    text[size] = '\0';
    run_command(ses, text);
    free(text);
}

static void send_line(session *ses, const char *line, size_t size) {
    if (size > 0 && line[size - 1] == '\r') --size;
    if (size > 0) submit(ses, line, size);
}

static void read_input(session *ses) {
    char chunk[4096];
    ssize_t n = read(STDIN_FILENO, chunk, sizeof chunk);
    ssize_t start = 0, i;
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
        if (n < 0) perror("! stdin");
        send_line(ses, ses->line.data, ses->line.size);
        ses->line.size = 0;
        ses->reading_input = 0;
        if (ses->settings->count == 0) request_close(ses);
        return;
    }
    for (i = 0; i < n; ++i) {
        if (chunk[i] != '\n') continue;
        if (ses->line.size > 0) {
            buffer_append(&ses->line, chunk + start, (size_t)(i - start));
            send_line(ses, ses->line.data, ses->line.size);
            ses->line.size = 0;
        } else {
            send_line(ses, chunk + start, (size_t)(i - start));
        }
        start = i + 1;
    }
    buffer_append(&ses->line, chunk + start, (size_t)(n - start));
}

static void on_open(session *ses, const tether_event *ev) {
    const char *subprotocol = tether_event_text(ev);
    size_t i;
    if (subprotocol[0] != '\0') {
        note(ses, "* open (subprotocol %s)", subprotocol);
    } else {
        note(ses, "* open");
    }
    if (ses->opened) return;
    ses->opened = 1;
    for (i = 0; i < ses->settings->send_count; ++i) {
        submit(ses, ses->settings->sends[i], strlen(ses->settings->sends[i]));
    }
    if (!ses->close_requested) ses->reading_input = 1;
}

static void on_message(session *ses, const tether_event *ev) {
    size_t size = 0;
    const uint8_t *data = tether_event_data(ev, &size);
    if (ses->settings->count > 0 && ses->received >= ses->settings->count) return;
    if (tether_event_message_type(ev) == TETHER_MESSAGE_BINARY) {
        printf("< [binary %lu bytes]\n", (unsigned long)size);
    } else {
        fputs("< ", stdout);
        fwrite(data, 1, size, stdout);
        fputc('\n', stdout);
    }
    fflush(stdout);
    count_output(ses);
}

static void on_channel_message(session *ses, const tether_event *ev) {
    size_t size = 0;
    const uint8_t *data = tether_event_data(ev, &size);
    const char *channel = tether_event_channel(ev);
    const char *event = tether_event_text(ev);
    if (ses->settings->count > 0 && ses->received >= ses->settings->count) return;
    if (event[0] != '\0' && strcmp(event, channel) != 0) {
        printf("< %s %s: ", channel, event);
    } else {
        printf("< %s: ", channel);
    }
    fwrite(data, 1, size, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    count_output(ses);
}

static void on_response(session *ses, const tether_event *ev) {
    size_t size = 0;
    const uint8_t *data = tether_event_data(ev, &size);
    tether_status status = tether_event_status(ev);
    if (ses->settings->count > 0 && ses->received >= ses->settings->count) return;
    if (status == TETHER_OK) {
        printf("< response %" PRIu64 ": ", tether_event_id(ev));
        fwrite(data, 1, size, stdout);
        fputc('\n', stdout);
        fflush(stdout);
    } else {
        fprintf(stderr, "! response %" PRIu64 " %s: %s\n", tether_event_id(ev), tether_status_name(status),
                tether_event_text(ev));
    }
    count_output(ses);
}

static void on_close(session *ses, const tether_event *ev) {
    int32_t code = tether_event_code(ev);
    const char *reason = tether_event_text(ev);
    note(ses, "* close %d (%s)%s%s%s%s", (int)code, tether_close_code_str(code),
         reason[0] ? " reason \"" : "", reason, reason[0] ? "\"" : "",
         tether_event_was_clean(ev) ? "" : ", not clean");
}

static void handle_event(session *ses, const tether_event *ev) {
    switch (tether_event_type(ev)) {
    case TETHER_EVENT_OPEN:
        on_open(ses, ev);
        break;
    case TETHER_EVENT_MESSAGE:
        on_message(ses, ev);
        break;
    case TETHER_EVENT_CLOSE:
        on_close(ses, ev);
        break;
    case TETHER_EVENT_CHANNEL_MESSAGE:
        on_channel_message(ses, ev);
        break;
    case TETHER_EVENT_RESPONSE:
        on_response(ses, ev);
        break;
    case TETHER_EVENT_SUBSCRIBED:
        note(ses, "* subscribed %" PRIu64 " (%s)", tether_event_id(ev), tether_event_channel(ev));
        break;
    case TETHER_EVENT_SUBSCRIBE_FAILED:
        fprintf(stderr, "! subscription %" PRIu64 " %s: %s\n", tether_event_id(ev),
                tether_status_name(tether_event_status(ev)), tether_event_text(ev));
        break;
    case TETHER_EVENT_ERROR:
        fprintf(stderr, "! error %s: %s\n", tether_status_name(tether_event_status(ev)),
                tether_event_text(ev));
        break;
    case TETHER_EVENT_SEND_FAILED:
        fprintf(stderr, "! send failed %s: %s\n", tether_status_name(tether_event_status(ev)),
                tether_event_text(ev));
        break;
    case TETHER_EVENT_RECONNECT:
        note(ses, "* reconnect #%d in %" PRId64 " ms", (int)tether_event_attempt(ev),
             tether_event_delay_ms(ev));
        break;
    case TETHER_EVENT_STATE: {
        int32_t state = tether_event_state(ev);
        note(ses, "* state: %s", tether_state_str(state));
        /* Every ending reports its CLOSE first, then one of these two final states. */
        if (state == TETHER_STATE_DISCONNECTED) ses->exit_status = EXIT_SUCCESS;
        if (state == TETHER_STATE_ERROR) ses->exit_status = EXIT_FAILURE;
        break;
    }
    default:
        break;
    }
}

static void drain_events(session *ses) {
    while (ses->exit_status < 0) {
        tether_event *ev = NULL;
        tether_status status = tether_client_poll(ses->client, 0, &ev);
        if (status == TETHER_E_TIMEOUT) return;
        if (status != TETHER_OK) {
            fprintf(stderr, "! poll %s: %s\n", tether_status_name(status),
                    tether_last_error_message());
            ses->exit_status = EXIT_FAILURE;
            return;
        }
        handle_event(ses, ev);
        tether_event_destroy(ev);
    }
}

/* Says so loudly when TLS verification is off, however it was turned off. */
static void warn_if_insecure(const tether_options *options) {
    char *value = NULL;
    if (tether_options_get(&value, options, "insecureSkipTlsVerify") == TETHER_OK &&
        strcmp(value, "true") == 0) {
        fputs("! warning: TLS certificate and host name verification is OFF\n", stderr);
    }
    tether_free(value);
}

static int run(const settings *s) {
    session ses;
    tether_status status;
    memset(&ses, 0, sizeof ses);
    ses.settings = s;
    ses.exit_status = -1;

    warn_if_insecure(s->options);
    status =
        tether_client_new(&ses.client, NULL, s->options, TETHER_MODE_POLL, on_ready, NULL, NULL);
    if (status != TETHER_OK) {
        fprintf(stderr, "tether-wscat: %s (%s)\n", tether_last_error_message(),
                tether_status_name(status));
        return status == TETHER_E_BAD_OPTION_VALUE ? EXIT_USAGE : EXIT_FAILURE;
    }
    status = tether_client_connect(ses.client);
    if (status != TETHER_OK) {
        fprintf(stderr, "! connect %s: %s\n", tether_status_name(status),
                tether_last_error_message());
        tether_client_destroy(ses.client);
        return EXIT_FAILURE;
    }

    while (ses.exit_status < 0) {
        struct pollfd fds[2];
        nfds_t count = ses.reading_input ? 2 : 1;
        fds[0].fd = g_wake_pipe[0];
        fds[0].events = POLLIN;
        fds[0].revents = 0;
        fds[1].fd = STDIN_FILENO;
        fds[1].events = POLLIN;
        fds[1].revents = 0;
        if (poll(fds, count, -1) < 0 && errno != EINTR) {
            perror("tether-wscat: poll");
            ses.exit_status = EXIT_FAILURE;
            break;
        }
        if (g_interrupted) request_close(&ses);
        /* Empty the pipe before the queue: an event queued after that still wakes us. */
        drain_wake_pipe();
        drain_events(&ses);
        if (ses.exit_status < 0 && count == 2 && ses.reading_input && fds[1].revents != 0) {
            read_input(&ses);
        }
    }

    tether_client_destroy(ses.client);
    free(ses.line.data);
    return ses.exit_status;
}

int main(int argc, char **argv) {
    settings s;
    int status;
    memset(&s, 0, sizeof s);
    if (tether_options_new(&s.options) != TETHER_OK) {
        fprintf(stderr, "tether-wscat: %s\n", tether_last_error_message());
        return EXIT_FAILURE;
    }
    s.sends = xrealloc(NULL, sizeof *s.sends * (size_t)argc);
    parse_command_line(&s, argc, argv);

    setup_wakeups();
    status = run(&s);

    tether_options_destroy(s.options);
    free(s.sends);
    free(s.headers.data);
    free(s.subprotocols.data);
    return status;
}
