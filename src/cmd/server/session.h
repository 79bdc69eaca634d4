/* Per-connection data of the command set, hung on the runtime's kv_conn
 * (kv_conn_set_data) on the connection's home shard and freed through the
 * conn_closed hook: the client name, authentication and the flags CLIENT
 * LIST shows. Created lazily, so in-process clients (kv_local) have one too. */
#ifndef KV_CMD_SESSION_H
#define KV_CMD_SESSION_H

#include "kevy/rt.h"

#define KV_SESS_AUTHED 0x01u   /* may run commands that need authentication */
#define KV_SESS_MONITOR 0x02u  /* MONITOR: receives every command */
#define KV_SESS_NO_EVICT 0x04u /* CLIENT NO-EVICT on */
#define KV_SESS_REPLY_OFF 0x08u /* CLIENT REPLY OFF in effect */

struct kv_multi;
struct kv_psclient;
struct kv_trkclient;

typedef struct kv_session {
    char *name; /* CLIENT SETNAME; NULL for none */
    unsigned flags;
    struct kv_multi *multi; /* MULTI queue and WATCHed keys (multi.c), or NULL */
    struct kv_block *block; /* the blocking command it waits in (block/blocked.c), or NULL */
    struct kv_block *served; /* the last one served, until its reply left (or the close undoes it) */
    int block_end;          /* how the last block ended: KV_BLOCK_END_* (block/block.h) */
    struct kv_psclient *ps; /* its subscriptions (pubsub/), or NULL */
    struct kv_trkclient *trk; /* CLIENT TRACKING state (pubsub/tracking.h), or NULL */
    /* Its ACL user (acl/acl.h): by id; the pointer is valid only while
     * the shard holds the snapshot of version acl_ver. */
    unsigned long long acl_uid, acl_ver;
    const struct kv_acl_user *acl_user;
    char *user; /* its name; NULL: "default" */
} kv_session;

#ifndef KV_ACL_DEFAULT_UID
#define KV_ACL_DEFAULT_UID 1ull /* as in acl/acl.h */
#endif
static inline const char *kv_session_user_name(const kv_session *s)
{
    return s && s->user ? s->user : "default";
}

/* The connection's session, created on first use: authenticated unless
 * need_auth (a password is required: requirepass set). */
kv_session *kv_session_get(kv_conn *c, int need_auth);
/* Its MULTI state must be gone first (kv_multi_forget). */
void kv_session_free(kv_conn *c);
/* Set or clear (NULL/empty) the name. */
void kv_session_set_name(kv_session *s, const char *p, size_t n);
/* Redis's validateClientName: printable ASCII, no spaces. */
int kv_session_valid_name(const char *p, size_t n);
/* Mark authenticated (1) or not (0), telling the parser which request
 * limits apply. */
void kv_session_set_auth(kv_conn *c, kv_session *s, int authed);

/* 1 if a peer address ("ip:port") is loopback (127.0.0.0/8, ::1). */
int kv_peer_is_loopback(const char *peer);
/* protected-mode: 1 if a connection from `peer` ("ip:port") must be refused
 * (protected mode on, no password set, and the peer is not loopback). */
int kv_protected_refuse(int protected_mode, int has_password, const char *peer);
/* Redis's DENIED reply for such a connection (with "-" and CRLF). */
extern const char kv_protected_denied[];

#endif
