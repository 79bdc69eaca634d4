/* Redis's long double text conversions (util.c's string2ld and ld2string in
 * LD_STR_HUMAN mode), shared by the commands that do float arithmetic on
 * stored strings: HINCRBYFLOAT and INCRBYFLOAT. */
#ifndef KV_CMD_FMT_FLOAT_H
#define KV_CMD_FMT_FLOAT_H

#include <stddef.h>

/* Redis's MAX_LONG_DOUBLE_CHARS: longer inputs are not floats, and every
 * finite long double fits in this many characters in human form. */
#define KV_LD_MAX_CHARS (5 * 1024)

/* string2ld rules: the whole of s[0..n) must be a strtold number (no leading
 * space, no NUL inside), not NaN, not an overflow or an underflow to zero;
 * "inf" is accepted. 1 if valid. */
int kv_str2ld(const char *s, size_t n, long double *out);

/* "%.17Lf" with trailing zeros (and a trailing '.') removed, "-0" as "0",
 * infinities as "inf"/"-inf". buf holds at least KV_LD_MAX_CHARS bytes;
 * returns the length. */
size_t kv_ld2str_human(char *buf, size_t len, long double v);

#endif
