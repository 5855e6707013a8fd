/* Compiled, not linked, by header_c89: as C89 with -pedantic and as C++11. It uses the types,
 * macros and callback typedefs the way an application does; any warning fails the test. */
#include "tether.h"
#include "tether.h" /* the include guard works */

#ifdef __cplusplus
/* Redeclaring with C linkage is an error unless the header's extern "C" block gave it already. */
extern "C" const char *tether_version(void);
#endif

static void TETHER_CALL on_event(const tether_event *ev, void *user_data) {
    size_t size = 0;
    const uint8_t *data = tether_event_data(ev, &size);
    (void)data;
    (void)user_data;
}

static void TETHER_CALL on_release(void *user_data) {
    (void)user_data;
}

int header_check(void);

int header_check(void) {
    tether_event_cb cb = on_event;
    tether_release_cb release = on_release;
    tether_status status = TETHER_OK;
    tether_client *client = 0;
    tether_options *options = 0;
    tether_runtime *runtime = 0;
    int32_t mode = TETHER_MODE_POLL;
    uint64_t id = 0;
    long number = TETHER_VERSION_NUMBER;

    (void)cb;
    (void)release;
    (void)client;
    (void)options;
    (void)runtime;
    (void)mode;
    (void)id;
    (void)number;
    return status == TETHER_E_CANCELLED ? TETHER_EVENT_DRAINED : TETHER_STATE_ERROR;
}
