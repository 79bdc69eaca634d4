/* The runtime's message model. A request (kv_req) is a command ready to run
 * anywhere: the same shape whether it runs inline, on another shard, as a
 * part of a fan-out or a step of a coordination. A message is one header
 * (kind, sender, outbox link) and one payload per kind; a request's message
 * also says, in `done`, who gets the reply back home. A message and its
 * bytes are one allocation, owned by whichever shard holds it. */
#ifndef KV_RT_MSG_H
#define KV_RT_MSG_H

#include "kevy/rt.h"

typedef struct kv_msg kv_msg;
typedef struct kv_fan kv_fan;
struct kv_txn;

/* A command to run, with what it runs for. */
typedef struct kv_req {
    const kv_cmd *cmd;
    int db;
    int proto;
    int home;                     /* the client's home shard */
    unsigned long long client_id; /* 0: internal work */
    unsigned long long txn;       /* runs under this transaction's locks; 0: none */
    unsigned client_flags;        /* the connection's request flags (kv_conn_set_req_flags) */
    int refs_ok;                  /* its reply may refer to stored bytes (kv_ctx.ref_buf) */
    const kv_blob *blob;          /* an argument a command may keep (kv_ctx.arg_blob), or NULL */
    int argc;
    const kv_str *argv;
} kv_req;

/* Where a request's reply goes once it is back home: the completion. */
typedef enum kv_done_kind {
    KV_DONE_NONE = 0, /* nowhere (a broadcast) */
    KV_DONE_CLIENT,   /* the reply `seq` of a client (a forwarded command) */
    KV_DONE_FAN,      /* part `index` of a fan-out */
    KV_DONE_COORD     /* reply `index` of a coordination's current step */
} kv_done_kind;

typedef struct kv_done {
    kv_done_kind kind;
    int index;              /* FAN: the part; COORD: the reply slot */
    int drop;               /* CLIENT: CLIENT REPLY OFF or SKIP */
    unsigned long long seq; /* CLIENT */
    union {
        kv_conn *conn; /* held (kv_inflight_add) until the reply is in */
        kv_fan *fan;
        kv_coord *coord;
    } to;
} kv_done;

typedef enum kv_msg_kind {
    KV_MSG_EXEC = 1, /* run the request, send the reply back (KV_MSG_REPLY) */
    KV_MSG_REPLY,    /* an EXEC's reply, back where it came from */
    KV_MSG_CAST,     /* run the request, no reply (kv_shard_broadcast) */
    KV_MSG_PUSH,     /* bytes for a client of this shard (kv_shard_push/resume) */
    KV_MSG_LOCK,     /* lock keys, or the whole shard, for a transaction */
    KV_MSG_GRANT,    /* a LOCK granted, back at the transaction's home */
    KV_MSG_UNLOCK    /* release every lock of a transaction */
} kv_msg_kind;

typedef struct kv_msg_exec {
    kv_req req;       /* argv points into the message */
    kv_done done;     /* dereferenced only back home */
    long long dur_us; /* execution time on the shard that ran it */
    kv_buf reply;
    kv_blob blob;     /* the message's reference to req.blob's argument (h NULL: none) */
} kv_msg_exec;

typedef struct kv_msg_push {
    unsigned long long client_id;
    unsigned long long seq; /* resume: the suspended reply; push: unused */
    int resume;             /* 1: the reply of a suspended command */
    kv_str bytes;           /* into the message */
} kv_msg_push;

typedef struct kv_msg_lock {
    unsigned long long txn;
    struct kv_txn *t; /* the transaction, dereferenced only at its home */
    int whole;        /* the whole shard */
    int nkeys;
    kv_str *keys;     /* into the message */
} kv_msg_lock;

struct kv_msg {
    kv_msg *next;     /* outbox chain, private to the holder */
    kv_msg_kind kind;
    int from;         /* the sending shard */
    union {
        kv_msg_exec exec; /* EXEC, REPLY, CAST */
        kv_msg_push push;
        kv_msg_lock lock; /* LOCK, GRANT, UNLOCK */
    } as;
};

/* A request's message: argv copied in, but for req->blob's argument, which
 * it references instead; `done` may be NULL (CAST). */
kv_msg *kv_msg_exec_new(kv_msg_kind kind, int from, const kv_req *req, const kv_done *done);
kv_msg *kv_msg_push_new(int from, unsigned long long client_id, const char *p, size_t n);
kv_msg *kv_msg_lock_new(kv_msg_kind kind, int from, unsigned long long txn, struct kv_txn *t,
                        int whole, int nkeys, const kv_str *keys);
void kv_msg_free(kv_msg *m);

/* Bytes for an argv copy (array + arguments), and the copy into `mem`. */
size_t kv_argv_bytes(int argc, const kv_str *argv);
kv_str *kv_argv_copy_into(void *mem, int argc, const kv_str *argv);

#endif
