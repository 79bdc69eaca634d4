/* A library's first line, "#!<engine> name=<lib>", read as Redis 7.0
 * reads it (words split as sdssplitargs splits them, quotes included),
 * with its errors; and the rule for library and function names. */
#include "cmd/script/script.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* One word of the first line as Redis's sdssplitargs reads it (quotes);
 * returns the position after it, or NULL for unbalanced quotes. */
static const char *word(const char *p, const char *end, char *w, size_t cap, size_t *wl)
{
    int q = 0;
    *wl = 0;
    for (; p < end; p++) {
        char c = *p;
        if (q) {
            if (c == '\\' && q == '"' && p + 1 < end) {
                c = *++p;
            } else if (c == q) {
                if (p + 1 < end && !isspace((unsigned char)p[1]))
                    return NULL;
                q = 0;
                continue;
            }
        } else if (isspace((unsigned char)c)) {
            break;
        } else if (c == '"' || c == '\'') {
            q = c;
            continue;
        }
        if (*wl + 1 < cap)
            w[(*wl)++] = c;
    }
    if (q)
        return NULL;
    w[*wl] = '\0';
    return p;
}

/* The library's name and engine from its first line; skip: the bytes of
 * that line (its newline stays, so line numbers count it). */
int kv_fnlib_meta(const char *code, size_t n, char *name, size_t namecap, char *engine,
                  size_t engcap, size_t *skip, char *err, size_t errlen)
{
    const char *nl, *p, *end;
    char w[1024];
    size_t wl;
    int first = 1, named = 0;
    if (n < 2 || code[0] != '#' || code[1] != '!') {
        snprintf(err, errlen, "Missing library metadata");
        return -1;
    }
    if (!(nl = memchr(code, '\n', n))) {
        snprintf(err, errlen, "Invalid library metadata");
        return -1;
    }
    *skip = (size_t)(nl - code);
    p = code;
    end = nl;
    while (p < end) {
        while (p < end && isspace((unsigned char)*p))
            p++;
        if (p >= end)
            break;
        if (!(p = word(p, end, w, sizeof w, &wl))) {
            snprintf(err, errlen, "Invalid library metadata");
            return -1;
        }
        if (first) {
            snprintf(engine, engcap, "%s", w + 2);
            first = 0;
        } else {
            char *eq = strchr(w, '=');
            if (!eq || strchr(eq + 1, '=')) {
                snprintf(err, errlen, "Invalid metadata value given: %s", w);
                return -1;
            }
            if ((size_t)(eq - w) != 4 || strncmp(w, "name", 4) != 0) {
                snprintf(err, errlen, "Invalid metadata value given: %s", w);
                return -1;
            }
            if (named) {
                snprintf(err, errlen,
                         "Invalid metadata value, name argument was given multiple times");
                return -1;
            }
            snprintf(name, namecap, "%s", eq + 1);
            named = 1;
        }
    }
    if (!named) {
        snprintf(err, errlen, "Library name was not given");
        return -1;
    }
    return 0;
}

int kv_fn_valid_name(const char *s, size_t n)
{
    size_t i;
    if (n == 0)
        return 0;
    for (i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_')
            return 0;
    return 1;
}

