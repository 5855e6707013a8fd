/*
 * dlopen_symbols: loads the built libtether.so.0 the way a binding does (Python ctypes, .NET
 * NativeLibrary, Node ffi), resolves every function of tether.h by name and calls
 * tether_version(). It also scans tether.h for every `tether_name(` and fails when this list
 * misses a function, so that a new declaration cannot go unchecked.
 *   dlopen_symbols LIBRARY_PATH TETHER_H
 */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tether.h"

/* Every function declared in tether.h, in the header's order. */
static const char *const kFunctions[] = {
    "tether_version",
    "tether_status_str",
    "tether_status_name",
    "tether_last_error_message",
    "tether_free",
    "tether_runtime_new",
    "tether_runtime_destroy",
    "tether_options_new",
    "tether_options_destroy",
    "tether_options_set",
    "tether_options_set_json",
    "tether_options_get",
    "tether_options_schema_json",
    "tether_event_type",
    "tether_event_data",
    "tether_event_message_type",
    "tether_event_text",
    "tether_event_code",
    "tether_event_was_clean",
    "tether_event_status",
    "tether_event_state",
    "tether_event_previous_state",
    "tether_event_attempt",
    "tether_event_delay_ms",
    "tether_event_id",
    "tether_event_channel",
    "tether_event_destroy",
    "tether_event_type_str",
    "tether_state_str",
    "tether_client_new",
    "tether_client_destroy",
    "tether_client_connect",
    "tether_client_send",
    "tether_client_close",
    "tether_client_poll",
    "tether_client_poll_many",
    "tether_client_set_token",
    "tether_client_state",
    "tether_client_buffered",
    "tether_client_stats_json",
    "tether_client_subscribe",
    "tether_client_unsubscribe",
    "tether_client_publish",
    "tether_client_request",
    "tether_message_create",
    "tether_message_parse",
    "tether_close_code_str",
};
#define FUNCTION_COUNT (sizeof kFunctions / sizeof kFunctions[0])

/* The index of name[0..length) in kFunctions, or -1. */
static int find_listed(const char *name, size_t length) {
    size_t i;
    for (i = 0; i < FUNCTION_COUNT; ++i) {
        if (strlen(kFunctions[i]) == length && strncmp(kFunctions[i], name, length) == 0)
            return (int)i;
    }
    return -1;
}

static int is_identifier_char(char c) {
    return isalnum((unsigned char)c) || c == '_';
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    size_t size = 0;
    size_t n;
    char chunk[4096];
    if (f == NULL) return NULL;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        char *grown = realloc(text, size + n + 1);
        if (grown == NULL) break;
        text = grown;
        memcpy(text + size, chunk, n);
        size += n;
        text[size] = '\0';
    }
    fclose(f);
    return text;
}

/* Fails for every `tether_[a-z0-9_]*(` in the header that is not in kFunctions, and for every
 * listed name that the header no longer mentions (removing a function would break the ABI). */
static int check_list_against_header(const char *header_path) {
    char *text = read_file(header_path);
    char *seen = calloc(FUNCTION_COUNT, 1);
    const char *p;
    size_t i;
    int index;
    int failures = 0;
    if (text == NULL || seen == NULL) {
        fprintf(stderr, "FAIL: cannot read %s\n", header_path);
        free(seen);
        free(text);
        return 1;
    }
    for (p = strstr(text, "tether_"); p != NULL; p = strstr(p + 1, "tether_")) {
        const char *end = p + strlen("tether_");
        if (p > text && is_identifier_char(p[-1])) continue;
        while (islower((unsigned char)*end) || isdigit((unsigned char)*end) || *end == '_')
            ++end;
        if (*end != '(') continue;
        index = find_listed(p, (size_t)(end - p));
        if (index < 0) {
            fprintf(stderr,
                    "FAIL: tether.h declares %.*s() but dlopen_symbols.c does not list it\n",
                    (int)(end - p), p);
            ++failures;
        } else {
            seen[index] = 1;
        }
    }
    for (i = 0; i < FUNCTION_COUNT; ++i) {
        if (!seen[i]) {
            fprintf(stderr,
                    "FAIL: %s is listed but tether.h no longer declares it (an ABI break)\n",
                    kFunctions[i]);
            ++failures;
        }
    }
    free(seen);
    free(text);
    return failures;
}

int main(int argc, char **argv) {
    void *library;
    size_t i;
    int failures;
    const char *(*version)(void);
    void *symbol;
    char expected[32];

    if (argc != 3) {
        fprintf(stderr, "usage: %s LIBRARY_PATH TETHER_H\n", argv[0]);
        return 2;
    }
    failures = check_list_against_header(argv[2]);

    library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        fprintf(stderr, "FAIL: dlopen(%s): %s\n", argv[1], dlerror());
        return 1;
    }
    for (i = 0; i < FUNCTION_COUNT; ++i) {
        dlerror();
        if (dlsym(library, kFunctions[i]) == NULL) {
            fprintf(stderr, "FAIL: dlsym(%s): %s\n", kFunctions[i], dlerror());
            ++failures;
        }
    }
    printf("resolved %lu functions\n", (unsigned long)FUNCTION_COUNT);

    symbol = dlsym(library, "tether_version");
    if (symbol != NULL) {
        /* POSIX guarantees that a data pointer from dlsym converts to a function pointer. */
        memcpy(&version, &symbol, sizeof version);
        snprintf(expected, sizeof expected, "%d.%d.%d", TETHER_VERSION_MAJOR, TETHER_VERSION_MINOR,
                 TETHER_VERSION_PATCH);
        printf("tether_version() = %s\n", version());
        if (strcmp(version(), expected) != 0) {
            fprintf(stderr, "FAIL: tether_version() is \"%s\", the header says \"%s\"\n", version(),
                    expected);
            ++failures;
        }
    }
    dlclose(library);

    if (failures == 0) printf("PASS\n");
    return failures == 0 ? 0 : 1;
}
