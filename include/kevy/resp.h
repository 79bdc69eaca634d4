/* kevy RESP library: an incremental request parser (multibulk and inline) and
 * RESP2/RESP3 reply writers over a growable byte buffer.
 * Depends on nothing else in kevy, so it can be fuzzed and embedded alone.
 * Every length read from the wire is checked against a limit before use. */
#ifndef KEVY_RESP_H
#define KEVY_RESP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A borrowed byte string (binary safe, not NUL terminated). */
typedef struct kv_str {
    const char *p;
    size_t n;
} kv_str;

/* ------------------------------------------------------------------ buffer */

/* A span of bytes a buffer refers to instead of holding: a big stored value
 * sent without being copied (kv_reply_bulk_ref). It sits before the buffer's
 * own byte `at`; release(arg) runs once, when the buffer lets go of it (one
 * that lets go of a span early, once written, sets release to NULL). */
typedef void (*kv_buf_release_fn)(void *arg);
typedef struct kv_buf_span {
    size_t at;
    const char *p;
    size_t n;
    kv_buf_release_fn release;
    void *arg;
} kv_buf_span;

typedef struct kv_buf_spans {
    size_t count, cap;
    size_t bytes; /* the spans' n, summed */
    kv_buf_span s[];
} kv_buf_spans;

/* Growable byte buffer. Allocation failure aborts the process (as Redis's
 * zmalloc does): callers bound sizes through limits, not through NULL checks.
 * A reply buffer may also hold spans (NULL if none): its contents are then
 * p[0..s[0].at), span 0, p[s[0].at..s[1].at), span 1, ..., p[..len). Only a
 * client's reply buffers get spans; whoever reads such a buffer as flat bytes
 * (p, len) must not ask for them (see kv_reply_bulk_ref). */
typedef struct kv_buf {
    char *p;
    size_t len;
    size_t cap;
    kv_buf_spans *spans;
} kv_buf;

void kv_buf_init(kv_buf *b);
void kv_buf_free(kv_buf *b);              /* spans released too */
/* Empty it, spans released, keeping the allocation. */
void kv_buf_clear(kv_buf *b);
/* Keep the first n own bytes and the spans before them (a span at n goes:
 * a span is always followed by bytes of its own reply). */
void kv_buf_truncate(kv_buf *b, size_t n);
/* Add a span at the end. */
void kv_buf_add_span(kv_buf *b, const char *p, size_t n, kv_buf_release_fn release, void *arg);
/* Append src's contents, spans moved not copied; src is left empty. */
void kv_buf_move(kv_buf *dst, kv_buf *src);
/* 1 if it holds nothing: no bytes, no spans. */
int kv_buf_empty(const kv_buf *b);
/* Its contents' size: own bytes plus spans. */
size_t kv_buf_size(const kv_buf *b);
/* Ensure room for `extra` more bytes; returns b->p + b->len. */
char *kv_buf_reserve(kv_buf *b, size_t extra);
void kv_buf_append(kv_buf *b, const void *p, size_t n);
/* Drop the first n bytes, keeping the rest at the front. */
void kv_buf_consume(kv_buf *b, size_t n);
/* Release the allocation if it is larger than `keep` bytes and empty. */
void kv_buf_shrink(kv_buf *b, size_t keep);

/* ------------------------------------------------------------------ parser */

/* Redis's fixed inline / count-line limit (PROTO_INLINE_MAX_SIZE). */
#define KV_PROTO_INLINE_MAX 65536
/* Redis's default proto-max-bulk-len (512mb). */
#define KV_PROTO_MAX_BULK_DEFAULT (512LL * 1024 * 1024)

typedef struct kv_parse_limits {
    long long max_bulk_len; /* proto-max-bulk-len */
    int auth_required;      /* 1: Redis's unauthenticated limits apply (10 args, 16 KiB bulks) */
} kv_parse_limits;

typedef enum kv_parse_status {
    KV_PARSE_ERROR = -1, /* p->err holds the error reply text; close after replying */
    KV_PARSE_OK = 0,     /* a command is complete (argc may be 0: ignore it) */
    KV_PARSE_AGAIN = 1   /* need more bytes */
} kv_parse_status;

/* Incremental parser state. A partially received command keeps its progress
 * here so a large multibulk is scanned once, not once per read. Fields are
 * public only so the struct can be embedded; treat them as private. */
typedef struct kv_parser {
    int state;              /* where the parser stopped inside the command */
    long long multibulk;    /* arguments still to read (multibulk) */
    long long bulk;         /* length of the bulk being read, -1 if unknown */
    size_t pos;             /* bytes of the current command already consumed */
    int argc;               /* arguments complete so far */
    int argcap;             /* capacity of offs/argv */
    size_t *offs;           /* argument offsets relative to the command start */
    kv_str *argv;           /* argument vector handed out on KV_PARSE_OK */
    kv_buf inl;             /* unescaped inline arguments */
    size_t need;            /* on AGAIN: total bytes the command needs, if known, else 0 */
    const char *err;        /* on ERROR: reply text without '-' and CRLF */
    char errbuf[64];
    /* One big payload read into the caller's memory instead of buf
     * (kv_parser_divert): where, its length, the bytes there, its offset in
     * the command, and its state (KV_DIV_*). */
    struct {
        char *data;
        size_t len, have, pos;
        int state;
    } div;
} kv_parser;

enum { KV_DIV_NONE = 0, KV_DIV_FILLING, KV_DIV_FULL, KV_DIV_AGAIN };

void kv_parser_init(kv_parser *p);
void kv_parser_free(kv_parser *p);
/* Forget any partial command (and a diverted payload). */
void kv_parser_reset(kv_parser *p);
/* The command just parsed will be parsed again from the same bytes (it has
 * to wait): like reset, but its diverted payload stays for that parse. */
void kv_parser_rewind(kv_parser *p);

/* Big payloads straight into their final memory (as Redis reads a bulk of
 * 32 KB or more into the object that will hold it). After KV_PARSE_AGAIN:
 * kv_parser_big_bulk gives the length of the payload the command waits for
 * if it is at least min bytes and none is diverted yet, else 0. The caller
 * then moves the payload bytes it has (those from the command's start +
 * p->pos) into memory with room for length + 2 bytes, drops them from its
 * buffer (which then ends where the payload began), and calls
 * kv_parser_divert. Until the payload and its CRLF are all there,
 * kv_parser_divert_room says where the next bytes go; each read is reported
 * with kv_parser_divert_got. The argument then points into that memory,
 * and the rest of the command follows in buf as if the payload had been
 * there. The caller owns the memory: it keeps it until the command is done
 * (or the parser reset) and forgets it with kv_parser_divert_done. */
size_t kv_parser_big_bulk(const kv_parser *p, size_t min);
void kv_parser_divert(kv_parser *p, char *data, size_t have);
int kv_parser_divert_room(const kv_parser *p, char **dst, size_t *want);
void kv_parser_divert_got(kv_parser *p, size_t n);
void kv_parser_divert_done(kv_parser *p);

/* Parse one command from buf[0..len), where buf starts at the first byte of
 * the current command. After KV_PARSE_AGAIN, call again with the same leading
 * bytes plus more (the buffer may have moved). On KV_PARSE_OK, *consumed is the
 * command's size in bytes and *argv[0..*argc) is valid until the next call;
 * multibulk arguments point into buf (zero copy), inline ones into the parser. */
kv_parse_status kv_parse(kv_parser *p, const char *buf, size_t len,
                         const kv_parse_limits *lim, size_t *consumed,
                         int *argc, kv_str **argv);

/* ------------------------------------------------------------------ writer */

/* A reply sink: the buffer, the connection's protocol (2 or 3), and a count of
 * error replies written (Redis counts them in INFO). */
typedef struct kv_reply {
    kv_buf *buf;
    int proto;
    unsigned long errors;
} kv_reply;

void kv_reply_raw(kv_reply *r, const void *p, size_t n);
void kv_reply_status(kv_reply *r, const char *s);             /* +s */
void kv_reply_statusn(kv_reply *r, const char *s, size_t n);
/* -s, where s starts with the error code ("ERR ...", "WRONGTYPE ..."). CR and
 * LF inside s become spaces, as Redis does. */
void kv_reply_error(kv_reply *r, const char *s);
void kv_reply_errorf(kv_reply *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void kv_reply_int(kv_reply *r, long long v);                  /* :v */
void kv_reply_bulk(kv_reply *r, const void *p, size_t n);     /* $n */
/* $n whose bytes are not copied: the buffer refers to p[0..n) until it
 * releases them with release(arg). Only for a buffer that goes to the socket
 * as it is (a client's reply buffer), never one read back as flat bytes. */
void kv_reply_bulk_ref(kv_reply *r, const void *p, size_t n, kv_buf_release_fn release,
                       void *arg);
void kv_reply_bulk_cstr(kv_reply *r, const char *s);
/* argv as a client sends a command: an array of bulks (the same in RESP2
 * and RESP3), appended to out. */
void kv_encode_command(kv_buf *out, int argc, const kv_str *argv);
void kv_reply_bulk_ll(kv_reply *r, long long v);              /* integer as bulk */
void kv_reply_null(kv_reply *r);                              /* $-1  | _ */
void kv_reply_null_array(kv_reply *r);                        /* *-1  | _ */
void kv_reply_array(kv_reply *r, long n);                     /* *n */
void kv_reply_map(kv_reply *r, long n);                       /* *2n  | %n */
void kv_reply_set(kv_reply *r, long n);                       /* *n   | ~n */
void kv_reply_push(kv_reply *r, long n);                      /* *n   | >n */
void kv_reply_double(kv_reply *r, double d);                  /* bulk | ,d */
void kv_reply_bool(kv_reply *r, int v);                       /* :0/1 | #f/#t */
void kv_reply_verbatim(kv_reply *r, const char *p, size_t n,
                       const char *ext);                      /* bulk | =n ext: */
void kv_reply_bignum(kv_reply *r, const char *p, size_t n);   /* bulk | (n */

/* Integer <-> decimal helpers with Redis's exact rules (string2ll/ll2string). */
int kv_ll2str(char *dst, size_t dstlen, long long v); /* returns length */
int kv_str2ll(const char *s, size_t n, long long *out); /* 1 ok, 0 invalid */

/* ---------------------------------------------------------- reply reading */

/* Size in bytes of the one complete reply starting at p, or -1 if p[0..n)
 * holds no complete, well-formed reply. Used to combine replies of commands
 * that ran on several shards. */
long kv_resp_reply_len(const char *p, size_t n);
/* Parse a complete ":<int>\r\n" reply. Returns 1 on success. */
int kv_resp_reply_int(const char *p, size_t n, long long *v);
/* Append to out the RESP2 form of the complete RESP3 reply in p[0..n)
 * (maps flatten, sets/pushes become arrays, doubles/big numbers/verbatim
 * become bulks, booleans integers, null "$-1"). Returns 0, or -1 if malformed. */
int kv_resp3_to_resp2(kv_buf *out, const char *p, size_t n);

#ifdef __cplusplus
}
#endif
#endif
