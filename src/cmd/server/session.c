/* Per-connection data (client name, authentication, CLIENT LIST flags) and
 * the protected-mode decision taken when a connection opens. */
#include "cmd/server/session.h"

#include <stdlib.h>
#include <string.h>

kv_session *kv_session_get(kv_conn *c, int need_auth)
{
    kv_session *s = kv_conn_data(c);
    if (s)
        return s;
    if (!(s = calloc(1, sizeof *s)))
        abort();
    kv_conn_set_data(c, s);
    s->acl_uid = KV_ACL_DEFAULT_UID;
    kv_session_set_auth(c, s, !need_auth);
    return s;
}

void kv_session_free(kv_conn *c)
{
    kv_session *s = kv_conn_data(c);
    if (!s)
        return;
    free(s->name);
    free(s->user);
    free(s);
    kv_conn_set_data(c, NULL);
}

void kv_session_set_name(kv_session *s, const char *p, size_t n)
{
    free(s->name);
    s->name = NULL;
    if (n == 0)
        return;
    if (!(s->name = malloc(n + 1)))
        abort();
    memcpy(s->name, p, n);
    s->name[n] = '\0';
}

int kv_session_valid_name(const char *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (p[i] < '!' || p[i] > '~')
            return 0;
    return 1;
}

void kv_session_set_auth(kv_conn *c, kv_session *s, int authed)
{
    if (authed)
        s->flags |= KV_SESS_AUTHED;
    else
        s->flags &= ~KV_SESS_AUTHED;
    kv_conn_set_auth_required(c, !authed);
}

/* ------------------------------------------------------- protected mode */

/* 127.0.0.0/8, ::1 and IPv4-mapped loopback, from "ip:port". */
int kv_peer_is_loopback(const char *peer)
{
    const char *colon = strrchr(peer, ':');
    size_t n = colon ? (size_t)(colon - peer) : strlen(peer);
    if (n >= 4 && strncmp(peer, "127.", 4) == 0)
        return 1;
    if (n == 3 && strncmp(peer, "::1", 3) == 0)
        return 1;
    if (n >= 11 && strncmp(peer, "::ffff:127.", 11) == 0)
        return 1;
    return 0;
}

int kv_protected_refuse(int protected_mode, int has_password, const char *peer)
{
    return protected_mode && !has_password && !kv_peer_is_loopback(peer);
}

const char kv_protected_denied[] =
    "-DENIED Redis is running in protected mode because protected mode is enabled and no "
    "password is set for the default user. In this mode connections are only accepted from "
    "the loopback interface. If you want to connect from external computers to Redis you may "
    "adopt one of the following solutions: 1) Just disable protected mode sending the "
    "command 'CONFIG SET protected-mode no' from the loopback interface by connecting to "
    "Redis from the same host the server is running, however MAKE SURE Redis is not "
    "publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change "
    "permanent. 2) Alternatively you can just disable the protected mode by editing the "
    "Redis configuration file, and setting the protected mode option to 'no', and then "
    "restarting the server. 3) If you started the server manually just for testing, restart "
    "it with the '--protected-mode no' option. 4) Setup a an authentication password for the "
    "default user. NOTE: You only need to do one of the above things in order for the server "
    "to start accepting connections from the outside.\r\n";
