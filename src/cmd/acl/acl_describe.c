/* Describing a user as ACL GETUSER and ACL LIST (and ACL SAVE, CONFIG
 * REWRITE) do: command rules are rebuilt from the bits with Redis 7.0's
 * algorithm (the categories that fit best, then single commands and their
 * first-argument rules), over kevy's commands; then key and channel
 * patterns, flags and passwords. */
#include "cmd/acl/acl.h"

#include <string.h>

/* Redis 7.0's ACLDescribeSelectorCommandRules: start from +@all or -@all,
 * add the category that fits best while one has more commands in common
 * than differing, then fix single commands (kevy's in name order). */
void kv_acl_sel_describe_cmds(const kv_server *srv, const kv_acl_sel *s, kv_buf *b)
{
    const kv_cmd_index *ix = &srv->index;
    kv_acl_sel fake, temp;
    int additive = !(s->flags & KV_SEL_FUTURE), applied[KV_ACL_COUNT] = {0};
    size_t start = b->len;
    unsigned i, t;
    memset(&fake, 0, sizeof fake);
    kv_acl_sel_all(&fake, !additive);
    kv_buf_append(b, additive ? "-@all " : "+@all ", 6);
    temp = *s;
    temp.fas = NULL; /* only its bits change */
    temp.nfas = 0;
    for (;;) {
        int best = -1, c;
        unsigned long mindiff = (unsigned long)-1, maxsame = 0;
        for (c = 0; c < KV_ACL_COUNT; c++) {
            unsigned long on = 0, off = 0, diff, same;
            if (applied[c])
                continue;
            for (i = 0; i < ix->ncmd; i++)
                if (ix->desc[i].acl & (1ul << c)) {
                    if (kv_acl_sel_bit(&temp, ix->desc[i].pos))
                        on++;
                    else
                        off++;
                }
            diff = additive ? off : on;
            same = additive ? on : off;
            if (same > diff && (diff < mindiff || (diff == mindiff && same > maxsame))) {
                best = c;
                mindiff = diff;
                maxsame = same;
            }
        }
        if (best < 0)
            break;
        kv_acl_sel_category(srv, &fake, 1ul << best, additive);
        kv_acl_sel_category(srv, &temp, 1ul << best, !additive);
        kv_buf_append(b, additive ? "+@" : "-@", 2);
        kv_buf_append(b, kv_acl_names[best], strlen(kv_acl_names[best]));
        kv_buf_append(b, " ", 1);
        applied[best] = 1;
    }
    for (t = 0; t < ix->ntop; t++) {
        const kv_cmd *cmd = &ix->cmd[ix->top[t]], *subs;
        const kv_acl_fa *fa;
        size_t nsubs = 0, k;
        unsigned pos = kv_desc(cmd)->pos;
        int ub = kv_acl_sel_bit(s, pos), j;
        if (ub != kv_acl_sel_bit(&fake, pos)) {
            kv_buf_append(b, ub ? "+" : "-", 1);
            kv_buf_append(b, cmd->name, strlen(cmd->name));
            kv_buf_append(b, " ", 1);
            kv_acl_sel_perm(&fake, cmd, ub);
        }
        /* an allowed command's first arguments are kept but not shown */
        for (j = 0; !ub && (fa = kv_acl_sel_firstargs(s, pos)) && j < fa->nargs; j++) {
            kv_buf_append(b, "+", 1);
            kv_buf_append(b, cmd->name, strlen(cmd->name));
            kv_buf_append(b, "|", 1);
            kv_buf_append(b, fa->args[j], strlen(fa->args[j]));
            kv_buf_append(b, " ", 1);
        }
        subs = kv_cmd_subs(cmd, &nsubs);
        for (k = 0; subs && k < nsubs; k++) {
            unsigned sp = kv_desc(&subs[k])->pos;
            int sb = kv_acl_sel_bit(s, sp);
            if (sb != kv_acl_sel_bit(&fake, sp)) {
                kv_buf_append(b, sb ? "+" : "-", 1);
                kv_buf_append(b, subs[k].name, strlen(subs[k].name));
                kv_buf_append(b, " ", 1);
                kv_acl_sel_perm(&fake, &subs[k], sb);
            }
        }
    }
    if (b->len > start)
        b->len--; /* the last space */
}

static void describe_keys(const kv_acl_sel *s, kv_buf *b, int list)
{
    int i;
    if (s->flags & KV_SEL_ALLKEYS) {
        kv_buf_append(b, "~* ", list ? 3 : 2);
        return;
    }
    for (i = 0; i < s->nkeys; i++) {
        const kv_acl_pat *p = &s->keys[i];
        if (i && !list)
            kv_buf_append(b, " ", 1);
        if (p->perm == KV_ACL_R)
            kv_buf_append(b, "%R~", 3);
        else if (p->perm == KV_ACL_W)
            kv_buf_append(b, "%W~", 3);
        else
            kv_buf_append(b, "~", 1);
        kv_buf_append(b, p->p, p->n);
        if (list)
            kv_buf_append(b, " ", 1);
    }
}

static void describe_chans(const kv_acl_sel *s, kv_buf *b, int list)
{
    int i;
    if (s->flags & KV_SEL_ALLCHANNELS) {
        kv_buf_append(b, "&* ", list ? 3 : 2);
        return;
    }
    if (list)
        kv_buf_append(b, "resetchannels ", 14);
    for (i = 0; i < s->nchans; i++) {
        if (i && !list)
            kv_buf_append(b, " ", 1);
        kv_buf_append(b, "&", 1);
        kv_buf_append(b, s->chans[i].p, s->chans[i].n);
        if (list)
            kv_buf_append(b, " ", 1);
    }
}

static void flag_names(const kv_acl_user *u, const char **names, int *n)
{
    *n = 0;
    names[(*n)++] = (u->flags & KV_USER_ON) ? "on" : "off";
    if (u->flags & KV_USER_NOPASS)
        names[(*n)++] = "nopass";
    if (u->flags & KV_USER_SKIP_SANITIZE)
        names[(*n)++] = "skip-sanitize-payload";
    if (u->flags & KV_USER_SANITIZE)
        names[(*n)++] = "sanitize-payload";
}

void kv_acl_user_describe(const kv_server *srv, const kv_acl_user *u, kv_buf *b)
{
    const char *names[4];
    int n, i;
    kv_buf_append(b, "user ", 5);
    kv_buf_append(b, u->name, u->namelen);
    flag_names(u, names, &n);
    for (i = 0; i < n; i++) {
        kv_buf_append(b, " ", 1);
        kv_buf_append(b, names[i], strlen(names[i]));
    }
    for (i = 0; i < u->npass; i++) {
        kv_buf_append(b, " #", 2);
        kv_buf_append(b, u->pass[i], 64);
    }
    for (i = 0; i < u->nsels; i++) {
        kv_buf_append(b, i ? " (" : " ", i ? 2 : 1);
        describe_keys(&u->sels[i], b, 1);
        describe_chans(&u->sels[i], b, 1);
        kv_acl_sel_describe_cmds(srv, &u->sels[i], b);
        if (i)
            kv_buf_append(b, ")", 1);
    }
}

static void reply_buf(kv_reply *r, kv_buf *b)
{
    kv_reply_bulk(r, b->p ? b->p : "", b->len);
    b->len = 0;
}

static void reply_sel(const kv_server *srv, const kv_acl_sel *s, kv_reply *r, kv_buf *b)
{
    kv_reply_bulk_cstr(r, "commands");
    kv_acl_sel_describe_cmds(srv, s, b);
    reply_buf(r, b);
    kv_reply_bulk_cstr(r, "keys");
    describe_keys(s, b, 0);
    reply_buf(r, b);
    kv_reply_bulk_cstr(r, "channels");
    describe_chans(s, b, 0);
    reply_buf(r, b);
}

void kv_acl_getuser_reply(const kv_server *srv, const kv_acl_user *u, kv_reply *r)
{
    const char *names[4];
    kv_buf b;
    int n, i;
    kv_buf_init(&b);
    kv_reply_map(r, 6);
    kv_reply_bulk_cstr(r, "flags");
    flag_names(u, names, &n);
    kv_reply_array(r, n);
    for (i = 0; i < n; i++)
        kv_reply_bulk_cstr(r, names[i]);
    kv_reply_bulk_cstr(r, "passwords");
    kv_reply_array(r, u->npass);
    for (i = 0; i < u->npass; i++)
        kv_reply_bulk(r, u->pass[i], 64);
    reply_sel(srv, &u->sels[0], r, &b);
    kv_reply_bulk_cstr(r, "selectors");
    kv_reply_array(r, u->nsels - 1);
    for (i = 1; i < u->nsels; i++) {
        kv_reply_map(r, 3);
        reply_sel(srv, &u->sels[i], r, &b);
    }
    kv_buf_free(&b);
}
