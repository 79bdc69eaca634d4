/* HSCAN/SSCAN (and ZSCAN's cursor) argument handling with Redis 7.0's rules
 * (parseScanCursorOrReply and scanGenericCommand's option loop), shared by
 * the collection families so their errors are identical. */
#ifndef KV_CMD_COLLSCAN_H
#define KV_CMD_COLLSCAN_H

#include "cmd/core/cmd.h"

typedef struct kv_scan_opts {
    long count;          /* COUNT, default 10 */
    const char *pat;     /* MATCH pattern, binary */
    size_t patlen;
    int use_pattern;     /* 0 when there is none or it is just "*" */
} kv_scan_opts;

/* The cursor argument, parsed as SCAN does (kv_scan_cursor in scan.c:
 * strtoul rules, "-1" wraps, "" is 0): 0, or -1 after replying
 * "ERR invalid cursor". */
int kv_scan_cursor_or_reply(kv_ctx *ctx, const kv_str *arg, unsigned long *cursor);
/* COUNT n / MATCH p pairs from argv[first..]: 0, or -1 after replying. */
int kv_scan_options(kv_ctx *ctx, int argc, const kv_str *argv, int first, kv_scan_opts *o);
/* 1 if s[0..n) passes the MATCH filter. */
int kv_scan_match(const kv_scan_opts *o, const char *s, size_t n);
/* The reply to a scan of a missing key: cursor 0, no elements. */
void kv_scan_reply_empty(kv_ctx *ctx);

#endif
