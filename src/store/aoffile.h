/* The AOF *file* layer: Redis 7.0's multi-part append-only file. The
 * manifest that names the files of appenddirname, the names Redis gives
 * them, and the command stream of an incr (or RESP base) file, written and
 * read back from memory. Pure store code: no server state; the only I/O is
 * kv_aof_manifest_load and kv_aof_manifest_save.
 *
 * A directory as Redis 7.0.15 leaves it (appendfilename appendonly.aof,
 * after one BGREWRITEAOF with aof-disable-auto-gc yes):
 *   appendonly.aof.manifest       file appendonly.aof.2.base.rdb seq 2 type b
 *                                 file appendonly.aof.1.incr.aof seq 1 type h
 *                                 file appendonly.aof.1.base.rdb seq 1 type h
 *                                 file appendonly.aof.2.incr.aof seq 2 type i
 *   appendonly.aof.2.base.rdb     the snapshot (.base.aof, RESP, with
 *                                 aof-use-rdb-preamble no)
 *   appendonly.aof.2.incr.aof     commands since: [#TS:<unix s>\r\n]
 *                                 *2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET...
 * Type b is the base (at most one), h a history file awaiting deletion, i
 * an incr file (seqs strictly increasing). Loading replays the base, then
 * every incr file in order; history files are never read. */
#ifndef KEVY_STORE_AOFFILE_H
#define KEVY_STORE_AOFFILE_H

#include <stddef.h>

#include "kevy/resp.h"

#define KV_AOF_MANIFEST_SUFFIX ".manifest"
#define KV_AOF_TEMP_PREFIX "temp-" /* the manifest's temp file, the temp incr */
/* Redis reads a manifest line with a 1025-byte fgets: a line (its '\n'
 * included) longer than this is "too long". */
#define KV_AOF_MANIFEST_MAX_LINE 1024
/* Redis reads an annotation line with a 1024-byte fgets: longer lines (the
 * '#' and the line end included) break its loader. */
#define KV_AOF_ANNOTATION_MAX_LINE 1023

/* What Redis 7.0 logs, for callers that mirror it (%s: the file's name). */
#define KV_AOF_MSG_BAD                                                                     \
    "Bad file format reading the append only file %s: make a backup of your AOF file, " \
    "then use ./redis-check-aof --fix <filename.manifest>"
#define KV_AOF_MSG_TRUNCATED                                                              \
    "Unexpected end of file reading the append only file %s. You can: 1) Make a backup " \
    "of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) "        \
    "Alternatively you can set the 'aof-load-truncated' configuration option to yes "    \
    "and restart the server."
#define KV_AOF_MSG_REVERT_MULTI "Revert incomplete MULTI/EXEC transaction in AOF file %s"
#define KV_AOF_MSG_MANIFEST_FATAL "*** FATAL AOF MANIFEST FILE ERROR ***"

/* ------------------------------------------------------------- manifest */

typedef struct kv_aof_file {
    char *name;    /* malloc'd, owned by the manifest */
    long long seq;
    char type;     /* 'b', 'h' or 'i' */
} kv_aof_file;

/* hist and incr are in the order of Redis's lists, which is the order of
 * the file's lines: incr by increasing seq; hist as Redis builds it, not
 * sorted by seq (after a rewrite: the rewritten incr files, then the old
 * base, then older history). The kv_aof_manifest_* operations below keep
 * that order. next_seq_*: the seq the next new base / incr file gets (Redis's
 * curr_*_file_seq + 1: after the base's seq and the last incr's; history
 * lines do not count). */
typedef struct kv_aof_manifest {
    kv_aof_file base; /* name NULL: none */
    kv_aof_file *incr;
    int nincr;
    kv_aof_file *hist;
    int nhist;
    long long next_seq_base, next_seq_incr;
} kv_aof_manifest;

/* No files, next seqs 1. */
void kv_aof_manifest_init(kv_aof_manifest *m);
void kv_aof_manifest_free(kv_aof_manifest *m); /* then as after init */
/* A deep copy into dst (not initialised): Redis changes a copy and swaps
 * it in once the new manifest is on disk. */
void kv_aof_manifest_dup(kv_aof_manifest *dst, const kv_aof_manifest *src);

/* Parse a manifest's text exactly as Redis 7.0's aofLoadManifestFromFile
 * (line by line as its fgets reads, '#' lines skipped, trimmed lines split
 * like sdssplitargs into key/value pairs, keys case-insensitive, unknown
 * keys ignored, seq read like atoll, type = first byte of its value). m is
 * overwritten (empty on failure). Returns 0, or -1 with err (may be NULL)
 * set to Redis's message, one of:
 *   "Found an empty AOF manifest"                 (n == 0)
 *   "The AOF manifest file contains too long line" (a line over 1024 bytes
 *                                                   or without '\n', or
 *                                                   with a NUL byte)
 *   "Invalid AOF manifest file format"            (blank line, bad quoting,
 *                                                   odd or < 6 fields, no
 *                                                   file, seq 0 or no seq,
 *                                                   empty type)
 *   "File can't be a path, just a filename"       ('/' or '\' in a name)
 *   "Unknown AOF file type"                       (type not b, h, i)
 *   "Found duplicate base file information"
 *   "Found a non-monotonic sequence number"       (incr seq <= the last)
 * A manifest of comments alone is no error: it names no file. */
int kv_aof_manifest_parse(const char *text, size_t n, kv_aof_manifest *m, char *err,
                          size_t errlen);
/* The same, and line (may be NULL) gets the 1-based line Redis names in its
 * log ("Reading the manifest file, at line %d"; 0 where it names none: an
 * empty manifest, a too long line). */
int kv_aof_manifest_parse_ex(const char *text, size_t n, kv_aof_manifest *m, int *line,
                             char *err, size_t errlen);
/* Append the text Redis writes: "file <name> seq <n> type <t>\n" for the
 * base, then hist, then incr, in array order. Names are written bare unless
 * they need quoting (as Redis's sdsneedsrepr: space, quote, backslash, a
 * byte outside 0x21..0x7e), then "..." with \n \r \t \a \b \\ \" and \xHH
 * escapes as sdscatrepr. kevy also quotes what Redis's own parser could not
 * read back bare: an empty name and one with a single quote. */
void kv_aof_manifest_format(const kv_aof_manifest *m, kv_buf *out);

/* A line as the loader files it (no check: build only what it accepts):
 * type 'b' replaces the base, next_seq_base following its seq; 'i' goes
 * to the tail of incr, next_seq_incr following; anything else to the tail
 * of hist as 'h'. name is copied. (Redis's upgrade of an old single
 * appendfilename: add(m, appendfilename, 1, 'b').) */
void kv_aof_manifest_add(kv_aof_manifest *m, const char *name, long long seq, char type);

/* Redis's changes to a manifest (each sets what the next save writes):
 * new_base: a new base named from appendfilename with next_seq_base (the
 *   old base, if any, moves to the head of hist as type h);
 * new_incr: a new incr file with next_seq_incr at the tail of incr;
 * incr_to_history: every incr file but the last (keep_last, while AOF is
 *   on: that one is being written) moves to the head of hist as type h,
 *   the newest first, as markRewrittenIncrAofAsHistory;
 * clear_history: hist emptied (once the caller deleted the files).
 * new_base/new_incr return the new file's name (owned by m), or NULL (m
 * unchanged) when no positive seq is left (a hand-made manifest with seq
 * LLONG_MAX, or a negative one, which Redis accepts). */
const char *kv_aof_manifest_new_base(kv_aof_manifest *m, const char *appendfilename,
                                     int rdb_preamble);
const char *kv_aof_manifest_new_incr(kv_aof_manifest *m, const char *appendfilename);
void kv_aof_manifest_incr_to_history(kv_aof_manifest *m, int keep_last);
void kv_aof_manifest_clear_history(kv_aof_manifest *m);

/* File names as Redis builds them from appendfilename:
 *   base: <appendfilename>.<seq>.base.rdb (rdb_preamble) or .base.aof
 *   incr: <appendfilename>.<seq>.incr.aof
 *   manifest: <appendfilename>.manifest
 *   temp incr (written during a rewrite while AOF waits to be on):
 *     temp-<appendfilename>.incr
 * Each returns 0, or -1 when it does not fit n (out is then "").
 * (temp-<appendfilename>.manifest is kv_aof_manifest_save's business.) */
int kv_aof_name_base(char *out, size_t n, const char *appendfilename, long long seq,
                     int rdb_preamble);
int kv_aof_name_incr(char *out, size_t n, const char *appendfilename, long long seq);
int kv_aof_name_manifest(char *out, size_t n, const char *appendfilename);
int kv_aof_name_temp_incr(char *out, size_t n, const char *appendfilename);

/* Read dir/<appendfilename>.manifest and parse it. Returns 1 if it does not
 * exist (nor dir: m is then empty, as after init), 0 on success, -1 with err:
 * Redis's "Fatal error: can't open the AOF manifest file <path> for reading:
 * <errno text>", "Read AOF manifest failed" or a parse message as above. */
int kv_aof_manifest_load(const char *dir, const char *appendfilename, kv_aof_manifest *m,
                         char *err, size_t errlen);
/* Write m as dir/<appendfilename>.manifest atomically, as Redis's
 * writeAofManifestFile: dir/temp-<appendfilename>.manifest, written, fsync'd,
 * renamed over the manifest, then the directory fsync'd. Returns 0, or -1
 * with err set to Redis's message for the step that failed ("Can't open the
 * AOF manifest file temp-...: <errno text>", ...; the temp file is then
 * removed). A manifest the loader would refuse (no file at all, a line over
 * KV_AOF_MANIFEST_MAX_LINE, a name with a '/'...) is refused with the
 * loader's message before anything is written: Redis would write it and
 * then fail to start. */
int kv_aof_manifest_save(const char *dir, const char *appendfilename, const kv_aof_manifest *m,
                         char *err, size_t errlen);

/* ------------------------------------------------------ writing commands */

/* A RESP array of bulk strings, byte for byte as Redis's
 * catAppendOnlyGenericCommand (binary safe; empty arguments allowed). */
void kv_aof_write_cmd(kv_buf *out, int argc, const kv_str *argv);
/* *2\r\n$6\r\nSELECT\r\n$<len>\r\n<db>\r\n, as feedAppendOnlyFile. */
void kv_aof_write_select(kv_buf *out, int db);
/* "#<text>\r\n". Returns 0, or -1 (out unchanged) if text holds a '\n' or
 * the line would exceed KV_AOF_ANNOTATION_MAX_LINE. */
int kv_aof_write_annotation(kv_buf *out, const char *text);
/* "#TS:<unix_s>\r\n", what aof-timestamp-enabled writes. */
void kv_aof_write_timestamp(kv_buf *out, long long unix_s);

/* ------------------------------------------------------ reading commands */

typedef struct kv_aof_read_cb {
    void *arg;
    /* Each whole command, argc >= 1, offset = its '*'; argv[i] point into
     * the input, the argv array lives for the call only. 0 goes on, -1
     * stops (the reader then returns KV_AOF_STOPPED). May be NULL: a check
     * of the file. */
    int (*cmd)(void *arg, int argc, const kv_str *argv, size_t offset);
    /* Optional: each whole annotation line, p/n = what follows the '#'
     * without the line end ("\r\n" or "\n"), offset = its '#'. */
    void (*annotation)(void *arg, const char *p, size_t n, size_t offset);
} kv_aof_read_cb;

/* KV_AOF_TRUNCATED: the file ends inside a command (valid_len: the bytes up
 * to the last whole command). KV_AOF_BAD: malformed at bad_offset (Redis
 * logs KV_AOF_MSG_BAD). KV_AOF_STOPPED: cb.cmd said stop. */
#define KV_AOF_OK 0
#define KV_AOF_TRUNCATED 1
#define KV_AOF_BAD (-1)
#define KV_AOF_STOPPED (-2)

typedef struct kv_aof_read_info {
    /* OK: n. Otherwise the end of the last whole command handed to cb.cmd
     * and accepted (annotations after it are not counted): where Redis's
     * loader, with aof-load-truncated, cuts a truncated file. (redis-check-aof
     * --fix cuts at the start of the torn item instead, keeping annotations
     * before it.) */
    size_t valid_len;
    /* BAD: the first byte at which the input stops being the beginning of
     * any well-formed file (so the bytes before it read as OK or TRUNCATED).
     * Otherwise n. */
    size_t bad_offset;
    long long commands, annotations; /* handed to the callbacks */
    /* The transaction rule. in_multi: a MULTI was read with no EXEC after
     * it (argv[0] compared case-insensitively), whatever the return code.
     * multi_offset: that MULTI's '*' (the outermost one if several: Redis
     * never writes nested MULTIs). multi_cut: where Redis's loader cuts to
     * revert it, the end of the last command before that MULTI (annotations
     * between go with the MULTI; 0 if none; redis-check-aof --fix cuts at
     * multi_offset). At a whole end of file Redis logs
     * KV_AOF_MSG_REVERT_MULTI and treats the file as truncated at
     * multi_cut (cut there with aof-load-truncated, else it refuses to
     * start); on a truncated file it cuts at valid_len, keeping the MULTI
     * for the next load to revert. The commands after the MULTI were handed
     * to cb.cmd: a loader queues them and drops the queue. */
    int in_multi;
    size_t multi_offset, multi_cut;
} kv_aof_read_info;

/* Read an incr (or RESP base) file held in memory, one pass, calling cb per
 * command and annotation. The stream is what Redis writes, and no more:
 * '#' lines (annotations, at most KV_AOF_ANNOTATION_MAX_LINE bytes, ending
 * in '\n') and commands "*<argc>\r\n" then argc times
 * "$<len>\r\n<len bytes>\r\n", argc 1..INT_MAX, every line end \r\n (as
 * redis-check-aof wants), numbers as plain decimal digits (Redis's readers
 * would also take "+3", " 3" or "03", which no Redis writes).
 * No length is trusted: one that runs past the end makes the file truncated,
 * nothing is sized by argc. Returns KV_AOF_OK (n == 0 included: Redis's
 * "empty" file), KV_AOF_TRUNCATED (also for an annotation cut off at the
 * end: Redis's loader would take it whole, and whatever is appended after
 * it would be lost to the annotation), KV_AOF_BAD or KV_AOF_STOPPED. err
 * (may be NULL) gets a message naming the offset ("" on OK): "Bad file
 * format at offset N: ...", "Unexpected end of file at offset N: ...",
 * "Stopped by the command callback at offset N". An RDB base or preamble
 * (kv_aof_is_rdb) is the RDB loader's: the RESP tail of an old-style
 * preamble file starts at its kv_rdbf_load_info.bytes, offsets here are
 * then from that point. */
int kv_aof_read_ex(const unsigned char *p, size_t n, const kv_aof_read_cb *cb,
                   kv_aof_read_info *info, char *err, size_t errlen);
/* The same with just the two offsets (either may be NULL). */
int kv_aof_read(const unsigned char *p, size_t n, const kv_aof_read_cb *cb, size_t *valid_len,
                size_t *bad_offset, char *err, size_t errlen);
/* 1 if the file starts as an RDB image ("REDIS"), as Redis's loader tests:
 * an RDB base (.base.rdb) or an old-style file with an RDB preamble. */
int kv_aof_is_rdb(const unsigned char *p, size_t n);

/* For aoffile.c and aoffile_read.c: a formatted message into err (if any). */
void kv_aof_set_err(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
