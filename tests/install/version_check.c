/* The program an installed tether is tested with: it compiles against the installed tether.h,
 * links the installed libtether.so, and checks that the run-time version matches the header. */
#include <stdio.h>
#include <string.h>

#include "tether.h"

int main(void) {
    char expected[32];
    const char *actual = tether_version();
    snprintf(expected, sizeof expected, "%d.%d.%d", TETHER_VERSION_MAJOR, TETHER_VERSION_MINOR,
             TETHER_VERSION_PATCH);
    printf("tether_version() = %s\n", actual);
    if (strcmp(actual, expected) != 0) {
        fprintf(stderr,
                "FAIL: tether_version() is \"%s\" but the TETHER_VERSION_* macros say \"%s\"\n",
                actual, expected);
        return 1;
    }
    return 0;
}
