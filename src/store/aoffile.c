/* AOF files (aoffile.h), the building and writing side: the manifest in
 * memory with Redis 7.0's list operations on it, the text its
 * getAofManifestAsString writes, the file names, the manifest on disk
 * (loaded through aoffile_read.c's parser), and the command writer, byte
 * for byte what Redis appends. */
#include "store/aoffile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "store/mem.h"

void kv_aof_set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || !errlen)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(kv_xmalloc(n), s, n);
}

/* ------------------------------------------------------------ manifest */

void kv_aof_manifest_init(kv_aof_manifest *m)
{
    memset(m, 0, sizeof *m);
    m->next_seq_base = m->next_seq_incr = 1;
}

void kv_aof_manifest_free(kv_aof_manifest *m)
{
    int i;
    free(m->base.name);
    for (i = 0; i < m->nincr; i++)
        free(m->incr[i].name);
    for (i = 0; i < m->nhist; i++)
        free(m->hist[i].name);
    free(m->incr);
    free(m->hist);
    kv_aof_manifest_init(m);
}

static kv_aof_file *dup_files(const kv_aof_file *f, int n)
{
    kv_aof_file *d = n ? kv_xmalloc((size_t)n * sizeof *d) : NULL;
    int i;
    for (i = 0; i < n; i++) {
        d[i] = f[i];
        d[i].name = xstrdup(f[i].name);
    }
    return d;
}

void kv_aof_manifest_dup(kv_aof_manifest *dst, const kv_aof_manifest *src)
{
    *dst = *src;
    if (src->base.name)
        dst->base.name = xstrdup(src->base.name);
    dst->incr = dup_files(src->incr, src->nincr);
    dst->hist = dup_files(src->hist, src->nhist);
}

/* Room for one more at index at (0: the head, n: the tail). */
static kv_aof_file *insert_file(kv_aof_file **v, int *n, int at)
{
    *v = kv_xrealloc(*v, (size_t)(*n + 1) * sizeof **v);
    memmove(*v + at + 1, *v + at, (size_t)(*n - at) * sizeof **v);
    (*n)++;
    return *v + at;
}

/* The seq after s; 0 (no positive seq left) past LLONG_MAX. */
static long long seq_after(long long s)
{
    return s < LLONG_MAX ? s + 1 : 0;
}

void kv_aof_manifest_add(kv_aof_manifest *m, const char *name, long long seq, char type)
{
    kv_aof_file *f;
    if (type == 'b') {
        free(m->base.name);
        f = &m->base;
        m->next_seq_base = seq_after(seq);
    } else if (type == 'i') {
        f = insert_file(&m->incr, &m->nincr, m->nincr);
        m->next_seq_incr = seq_after(seq);
    } else {
        f = insert_file(&m->hist, &m->nhist, m->nhist);
        type = 'h';
    }
    f->name = xstrdup(name);
    f->seq = seq;
    f->type = type;
}

/* Redis's sdsneedsrepr (a byte outside 0x21..0x7e, a backslash or double
 * quote), plus what its sdssplitargs cannot read bare: nothing at all, or a
 * single quote (which opens a quoted part even mid-word). */
static int needs_quotes(const char *s)
{
    if (!*s)
        return 1;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x21 || c > 0x7e || c == '\\' || c == '"' || c == '\'')
            return 1;
    }
    return 0;
}

/* sdscatrepr's escapes. */
static void put_quoted(kv_buf *out, const char *s)
{
    kv_buf_append(out, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char e[8];
        const char *esc = c == '\\' ? "\\\\" : c == '"' ? "\\\"" : c == '\n' ? "\\n"
                          : c == '\r' ? "\\r" : c == '\t' ? "\\t" : c == '\a' ? "\\a"
                          : c == '\b' ? "\\b" : NULL;
        if (esc) {
            kv_buf_append(out, esc, strlen(esc));
        } else if (c >= 0x20 && c <= 0x7e) {
            kv_buf_append(out, s, 1);
        } else {
            snprintf(e, sizeof e, "\\x%02x", c);
            kv_buf_append(out, e, 4);
        }
    }
    kv_buf_append(out, "\"", 1);
}

static void put_line(kv_buf *out, const kv_aof_file *f, char type)
{
    char tail[64];
    int n;
    kv_buf_append(out, "file ", 5);
    if (needs_quotes(f->name))
        put_quoted(out, f->name);
    else
        kv_buf_append(out, f->name, strlen(f->name));
    n = snprintf(tail, sizeof tail, " seq %lld type %c\n", f->seq, type);
    kv_buf_append(out, tail, (size_t)n);
}

void kv_aof_manifest_format(const kv_aof_manifest *m, kv_buf *out)
{
    int i;
    /* The type written is the list's: what the loader files it under. */
    if (m->base.name)
        put_line(out, &m->base, 'b');
    for (i = 0; i < m->nhist; i++)
        put_line(out, &m->hist[i], 'h');
    for (i = 0; i < m->nincr; i++)
        put_line(out, &m->incr[i], 'i');
}

/* ----------------------------------------------------------- file names */

static int name_fit(char *out, size_t n, int r)
{
    if (r < 0 || (size_t)r >= n) {
        if (n)
            out[0] = '\0';
        return -1;
    }
    return 0;
}

int kv_aof_name_base(char *out, size_t n, const char *appendfilename, long long seq,
                     int rdb_preamble)
{
    return name_fit(out, n,
                    snprintf(out, n, "%s.%lld%s", appendfilename, seq,
                             rdb_preamble ? ".base.rdb" : ".base.aof"));
}

int kv_aof_name_incr(char *out, size_t n, const char *appendfilename, long long seq)
{
    return name_fit(out, n, snprintf(out, n, "%s.%lld.incr.aof", appendfilename, seq));
}

int kv_aof_name_manifest(char *out, size_t n, const char *appendfilename)
{
    return name_fit(out, n, snprintf(out, n, "%s" KV_AOF_MANIFEST_SUFFIX, appendfilename));
}

int kv_aof_name_temp_incr(char *out, size_t n, const char *appendfilename)
{
    return name_fit(out, n, snprintf(out, n, KV_AOF_TEMP_PREFIX "%s.incr", appendfilename));
}

/* ------------------------------------------------- Redis's list changes */

static char *seq_name(const char *appendfilename, long long seq, const char *suffix)
{
    size_t n = strlen(appendfilename) + strlen(suffix) + 24;
    char *s = kv_xmalloc(n);
    snprintf(s, n, "%s.%lld%s", appendfilename, seq, suffix);
    return s;
}

const char *kv_aof_manifest_new_base(kv_aof_manifest *m, const char *appendfilename,
                                     int rdb_preamble)
{
    long long seq = m->next_seq_base;
    if (seq <= 0)
        return NULL;
    if (m->base.name) {
        kv_aof_file *h = insert_file(&m->hist, &m->nhist, 0);
        *h = m->base;
        h->type = 'h';
    }
    m->base.name = seq_name(appendfilename, seq, rdb_preamble ? ".base.rdb" : ".base.aof");
    m->base.seq = seq;
    m->base.type = 'b';
    m->next_seq_base = seq_after(seq);
    return m->base.name;
}

const char *kv_aof_manifest_new_incr(kv_aof_manifest *m, const char *appendfilename)
{
    long long seq = m->next_seq_incr;
    kv_aof_file *f;
    if (seq <= 0)
        return NULL;
    f = insert_file(&m->incr, &m->nincr, m->nincr);
    f->name = seq_name(appendfilename, seq, ".incr.aof");
    f->seq = seq;
    f->type = 'i';
    m->next_seq_incr = seq_after(seq);
    return f->name;
}

void kv_aof_manifest_incr_to_history(kv_aof_manifest *m, int keep_last)
{
    int k = m->nincr - (keep_last && m->nincr > 0), i;
    if (k <= 0)
        return;
    /* Redis walks incr from the tail, pushing each on hist's head: the
     * moved files end up first in hist, in their incr order. */
    m->hist = kv_xrealloc(m->hist, (size_t)(m->nhist + k) * sizeof *m->hist);
    memmove(m->hist + k, m->hist, (size_t)m->nhist * sizeof *m->hist);
    for (i = 0; i < k; i++) {
        m->hist[i] = m->incr[i];
        m->hist[i].type = 'h';
    }
    m->nhist += k;
    memmove(m->incr, m->incr + k, (size_t)(m->nincr - k) * sizeof *m->incr);
    m->nincr -= k;
}

void kv_aof_manifest_clear_history(kv_aof_manifest *m)
{
    int i;
    for (i = 0; i < m->nhist; i++)
        free(m->hist[i].name);
    free(m->hist);
    m->hist = NULL;
    m->nhist = 0;
}

/* ------------------------------------------------------------- on disk */

static char *concat(const char *a, const char *b, const char *c, const char *d)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + strlen(d) + 1;
    char *s = kv_xmalloc(n);
    snprintf(s, n, "%s%s%s%s", a, b, c, d);
    return s;
}

int kv_aof_manifest_load(const char *dir, const char *appendfilename, kv_aof_manifest *m,
                         char *err, size_t errlen)
{
    char *path = concat(dir, "/", appendfilename, KV_AOF_MANIFEST_SUFFIX);
    kv_buf b;
    int fd, rc = -1;
    kv_aof_manifest_init(m);
    if (err && errlen)
        err[0] = '\0';
    kv_buf_init(&b);
    if ((fd = open(path, O_RDONLY)) < 0) {
        /* No directory or no manifest: Redis starts as if AOF were new. */
        if (errno == ENOENT || errno == ENOTDIR)
            rc = 1;
        else
            kv_aof_set_err(err, errlen, "Fatal error: can't open the AOF manifest file %s for reading: %s",
                    path, strerror(errno));
        free(path);
        return rc;
    }
    for (;;) {
        ssize_t got = read(fd, kv_buf_reserve(&b, 4096), 4096);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            kv_aof_set_err(err, errlen, "Read AOF manifest failed");
            goto out;
        }
        if (got == 0)
            break;
        b.len += (size_t)got;
    }
    rc = kv_aof_manifest_parse(b.p, b.len, m, err, errlen);
out:
    close(fd);
    kv_buf_free(&b);
    free(path);
    return rc;
}

/* Redis's fsyncFileDir: systems that cannot open or fsync a directory are
 * let off. */
static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY), e;
    if (fd < 0)
        return errno == EISDIR ? 0 : -1;
    if (fsync(fd) != 0 && errno != EBADF && errno != EINVAL) {
        e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    close(fd);
    return 0;
}

int kv_aof_manifest_save(const char *dir, const char *appendfilename, const kv_aof_manifest *m,
                         char *err, size_t errlen)
{
    char *name = concat(appendfilename, KV_AOF_MANIFEST_SUFFIX, "", "");
    char *tmpname = concat(KV_AOF_TEMP_PREFIX, appendfilename, KV_AOF_MANIFEST_SUFFIX, "");
    char *path = concat(dir, "/", name, ""), *tmppath = concat(dir, "/", tmpname, "");
    kv_aof_manifest check;
    kv_buf b;
    size_t off = 0;
    int fd = -1, rc = -1;
    if (err && errlen)
        err[0] = '\0';
    kv_buf_init(&b);
    kv_aof_manifest_format(m, &b);
    /* Never leave a manifest that stops the next start: empty, a line
     * over 1024 bytes, a path for a name, incr seqs out of order... */
    if (kv_aof_manifest_parse(b.p, b.len, &check, err, errlen) != 0)
        goto out;
    kv_aof_manifest_free(&check);
    if ((fd = open(tmppath, O_WRONLY | O_TRUNC | O_CREAT, 0644)) < 0) {
        kv_aof_set_err(err, errlen, "Can't open the AOF manifest file %s: %s", tmpname,
                strerror(errno));
        goto out;
    }
    while (off < b.len) {
        ssize_t w = write(fd, b.p + off, b.len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            kv_aof_set_err(err, errlen, "Error trying to write the temporary AOF manifest file %s: %s",
                    tmpname, w < 0 ? strerror(errno) : "short write");
            goto fail;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0) {
        kv_aof_set_err(err, errlen, "Fail to fsync the temp AOF file %s: %s.", tmpname, strerror(errno));
        goto fail;
    }
    if (close(fd) != 0) {
        fd = -1;
        kv_aof_set_err(err, errlen, "Error trying to write the temporary AOF manifest file %s: %s",
                tmpname, strerror(errno));
        goto fail;
    }
    fd = -1;
    if (rename(tmppath, path) != 0) {
        kv_aof_set_err(err, errlen,
                "Error trying to rename the temporary AOF manifest file %s into %s: %s", tmpname,
                name, strerror(errno));
        goto fail;
    }
    /* The new files the manifest names may be new entries of dir too. */
    if (fsync_dir(dir) != 0) {
        kv_aof_set_err(err, errlen, "Fail to fsync AOF directory %s: %s.", path, strerror(errno));
        goto out;
    }
    rc = 0;
    goto out;
fail:
    if (fd >= 0)
        close(fd);
    fd = -1;
    (void)unlink(tmppath);
out:
    if (fd >= 0)
        close(fd);
    kv_buf_free(&b);
    free(name);
    free(tmpname);
    free(path);
    free(tmppath);
    return rc;
}

/* ---------------------------------------------------- command stream */

static size_t u64_dec(char *buf, unsigned long long v)
{
    char tmp[24];
    size_t n = 0, i;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    return n;
}

/* "<c><v>\r\n" */
static void put_head(kv_buf *out, char c, unsigned long long v)
{
    char buf[32];
    size_t n;
    buf[0] = c;
    n = 1 + u64_dec(buf + 1, v);
    buf[n++] = '\r';
    buf[n++] = '\n';
    kv_buf_append(out, buf, n);
}

void kv_aof_write_cmd(kv_buf *out, int argc, const kv_str *argv)
{
    int i;
    put_head(out, '*', (unsigned long long)argc);
    for (i = 0; i < argc; i++) {
        put_head(out, '$', argv[i].n);
        if (argv[i].n)
            kv_buf_append(out, argv[i].p, argv[i].n);
        kv_buf_append(out, "\r\n", 2);
    }
}

void kv_aof_write_select(kv_buf *out, int db)
{
    char d[24];
    kv_str argv[2];
    argv[0].p = "SELECT";
    argv[0].n = 6;
    argv[1].p = d;
    argv[1].n = (size_t)snprintf(d, sizeof d, "%d", db);
    kv_aof_write_cmd(out, 2, argv);
}

int kv_aof_write_annotation(kv_buf *out, const char *text)
{
    size_t n = strlen(text);
    if (memchr(text, '\n', n) || n + 3 > KV_AOF_ANNOTATION_MAX_LINE)
        return -1;
    kv_buf_append(out, "#", 1);
    kv_buf_append(out, text, n);
    kv_buf_append(out, "\r\n", 2);
    return 0;
}

void kv_aof_write_timestamp(kv_buf *out, long long unix_s)
{
    char buf[48];
    int n = snprintf(buf, sizeof buf, "#TS:%lld\r\n", unix_s);
    kv_buf_append(out, buf, (size_t)n);
}

int kv_aof_is_rdb(const unsigned char *p, size_t n)
{
    return n >= 5 && memcmp(p, "REDIS", 5) == 0;
}
