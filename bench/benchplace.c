/* Where a load generator's clients connect relative to a key's shard
 * (kevy): --place-* parsing, and opening connections until each is local
 * or remote as asked (a new connection lands on any shard). */
#include "benchlib.h"

#include <string.h>

#define PLACE_TRIES 500

int parse_place(const char *s)
{
    return !strcmp(s, "any") ? PLACE_ANY : !strcmp(s, "local") ? PLACE_LOCAL
           : !strcmp(s, "remote") ? PLACE_REMOTE : -1;
}

const char *place_name(int place)
{
    return place == PLACE_LOCAL ? "local" : place == PLACE_REMOTE ? "remote" : "any";
}

/* One connection that satisfies `place` (a random one lands on any shard:
 * reconnect until it is where it must be). */
static int open_placed(conn_t *c, const char *host, const char *port, double timeout_s,
                       const char *key, int place, long *reconnects)
{
    int tries;
    for (tries = 0; tries < PLACE_TRIES; tries++) {
        int local;
        if (conn_open(c, host, port, timeout_s) < 0)
            return -1;
        if (place == PLACE_ANY)
            return 0;
        local = key_is_local(c, key);
        if (local < 0) {
            if (local == -2)
                fail("--place-* needs kevy (INFO has no kevy_forwarded_commands)");
            conn_close(c);
            return -1;
        }
        if (local == (place == PLACE_LOCAL))
            return 0;
        conn_close(c);
        (*reconnects)++;
    }
    fail("no %s connection after %d tries (one shard only?)", place_name(place), PLACE_TRIES);
    return -1;
}

int open_placed_all(conn_t *conns, int n, const char *host, const char *port, double timeout_s,
                    const char *key, int place, long *reconnects)
{
    int i;
    for (i = 0; i < n; i++)
        if (open_placed(&conns[i], host, port, timeout_s, key, place, reconnects) < 0)
            return -1;
    return 0;
}
