/* The permission check before a command (Redis's ACLCheckAllPerm) and what
 * it needs from the shard: the snapshot it holds (adopted when the
 * registry's pointer moved: one acquire load per command), the
 * connection's user resolved at that snapshot (by id, so a deleted and
 * re-created user is another user), clients of deleted users killed, and
 * the ACL log entry of a denial. */
#include "cmd/acl/acl.h"
#include "cmd/config/cfg.h"
#include "cmd/lib/glob.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------ selectors */

static int bit_get(const kv_acl_sel *s, unsigned pos)
{
    return (int)((s->allowed[pos / 64] >> (pos % 64)) & 1);
}

static int key_ok(const kv_acl_sel *s, const kv_str *k, int need)
{
    int i;
    for (i = 0; i < s->nkeys; i++)
        if ((s->keys[i].perm & need) == need &&
            kv_glob_match(s->keys[i].p, s->keys[i].n, k->p, k->n, 0))
            return 1;
    return 0;
}

/* A channel against the patterns; a pattern argument (PSUBSCRIBE) must be
 * one of them literally. */
static int chan_ok(const kv_acl_sel *s, const kv_str *ch, int literal)
{
    int i;
    for (i = 0; i < s->nchans; i++) {
        const kv_acl_pat *p = &s->chans[i];
        if (literal ? (p->n == ch->n && !memcmp(p->p, ch->p, ch->n))
                    : kv_glob_match(p->p, p->n, ch->p, ch->n, 0))
            return 1;
    }
    return 0;
}

/* A command whose bit is off may still run with one of its first-argument
 * rules' arguments ("+select|0"), compared as Redis's strcasecmp does (a
 * NUL byte ends the argument). */
static int firstarg_ok(const kv_acl_sel *s, unsigned pos, int argc, const kv_str *argv)
{
    const kv_acl_fa *fa = argc >= 2 && s->nfas ? kv_acl_sel_firstargs(s, pos) : NULL;
    size_t n = fa ? kv_arg_cstrlen(&argv[1]) : 0;
    int i;
    for (i = 0; fa && i < fa->nargs; i++)
        if (strlen(fa->args[i]) == n && !strncasecmp(fa->args[i], argv[1].p, n))
            return 1;
    return 0;
}

static int sel_check(const kv_acl *a, const kv_acl_sel *s, const kv_cmd *cmd,
                     const kv_cmddesc *d, int argc, const kv_str *argv, int *errpos)
{
    int j;
    if (!(s->flags & KV_SEL_ALLCMDS) && !(d->rflags & KV_RF_NO_AUTH) && !bit_get(s, d->pos) &&
        !firstarg_ok(s, d->pos, argc, argv))
        return KV_ACL_DENIED_CMD;
    if (!(s->flags & KV_SEL_ALLKEYS) && (cmd->first_key > 0 || cmd->getkeys)) {
        int buf[16], *pos = buf, n = kv_command_keys(cmd, argc, argv, buf, 16), r = KV_ACL_OK;
        if (n > 16) {
            if (!(pos = malloc((size_t)n * sizeof *pos)))
                abort();
            kv_command_keys(cmd, argc, argv, pos, n);
        }
        for (j = 0; j < n && r == KV_ACL_OK; j++)
            if (!key_ok(s, &argv[pos[j]], kv_acl_hooks_of(a)->key_access(cmd, argc, argv, j, pos[j]))) {
                *errpos = pos[j];
                r = KV_ACL_DENIED_KEY;
            }
        if (pos != buf)
            free(pos);
        if (r != KV_ACL_OK)
            return r;
    }
    if (!(s->flags & KV_SEL_ALLCHANNELS) && (d->flags & (KV_CMDF_CHAN1 | KV_CMDF_CHANS))) {
        int last = (d->flags & KV_CMDF_CHAN1) ? 2 : argc;
        for (j = 1; j < last && j < argc; j++)
            if (!chan_ok(s, &argv[j], (d->flags & KV_CMDF_CHANPAT) != 0)) {
                *errpos = j;
                return KV_ACL_DENIED_CHANNEL;
            }
    }
    return KV_ACL_OK;
}

int kv_acl_permits(const kv_acl *a, const kv_acl_user *u, const kv_cmd *cmd, int argc,
                   const kv_str *argv, int *errpos)
{
    const kv_cmddesc *d = kv_desc(cmd);
    int i, worst = KV_ACL_DENIED_CMD, worstpos = 0;
    if (u->free_pass || !d)
        return KV_ACL_OK;
    /* Any selector that allows it is enough; else the most specific
     * denial (Redis's order of reasons), at the latest argument. */
    for (i = 0; i < u->nsels; i++) {
        int pos = 0, r = sel_check(a, &u->sels[i], cmd, d, argc, argv, &pos);
        if (r == KV_ACL_OK)
            return KV_ACL_OK;
        if (r > worst || (r == worst && pos > worstpos)) {
            worst = r;
            worstpos = pos;
        }
    }
    *errpos = worstpos;
    return worst;
}

/* --------------------------------------------------- the shard's view */

struct kv_acl_sweep {
    const kv_acl_snap *snap;
};

static void kill_deleted(void *arg, kv_conn *c)
{
    const kv_acl_snap *snap = ((struct kv_acl_sweep *)arg)->snap;
    kv_session *s = kv_conn_data(c);
    if (s && s->acl_uid != KV_ACL_DEFAULT_UID && s->acl_uid != KV_ACL_NO_UID &&
        !kv_acl_find_uid(snap, s->acl_uid))
        kv_conn_kill(c); /* its own running command keeps its reply */
}

const kv_acl_snap *kv_acl_shard_snap(kv_shard *sh, kv_cmdstate *st)
{
    kv_acl *a = st->srv->acl;
    kv_acl_rev *revs = NULL;
    if (kv_acl_current(a) == st->acl_snap || !kv_acl_adopt(a, sh, &st->acl_snap, &revs))
        return st->acl_snap;
    if (st->acl_snap->deletions != st->acl_deletions) {
        struct kv_acl_sweep sw;
        sw.snap = st->acl_snap;
        st->acl_deletions = sw.snap->deletions;
        kv_shard_foreach_conn(sh, kill_deleted, &sw);
    }
    if (revs) { /* subscribers whose channels their user no longer has */
        kv_acl_revoke_sweep(sh, kv_acl_hooks_of(a), revs);
        kv_acl_revs_free(revs);
    }
    return st->acl_snap;
}

int kv_acl_need_auth(kv_shard *sh, kv_cmdstate *st)
{
    const kv_acl_user *d = kv_acl_shard_snap(sh, st)->dflt;
    return (d->flags & (KV_USER_ON | KV_USER_NOPASS)) != (KV_USER_ON | KV_USER_NOPASS);
}

const kv_acl_user *kv_acl_session_user(kv_shard *sh, kv_cmdstate *st, kv_session *s)
{
    const kv_acl_snap *snap = kv_acl_shard_snap(sh, st);
    if (s->acl_ver != snap->ver) {
        s->acl_user = s->acl_uid == KV_ACL_DEFAULT_UID ? snap->dflt
                                                        : kv_acl_find_uid(snap, s->acl_uid);
        s->acl_ver = snap->ver;
    }
    return s->acl_user;
}

void kv_acl_session_login(kv_session *s, const kv_acl_user *u, const kv_acl_snap *snap)
{
    free(s->user);
    s->user = NULL;
    if (u->uid != KV_ACL_DEFAULT_UID) {
        if (!(s->user = malloc(u->namelen + 1)))
            abort();
        memcpy(s->user, u->name, u->namelen + 1);
    }
    s->acl_uid = u->uid;
    s->acl_user = u;
    s->acl_ver = snap->ver;
}

/* ---------------------------------------------------------------- log */

void kv_acl_log_denial(kv_ctx *ctx, kv_session *s, int reason, const char *where,
                       const char *object, size_t on, const char *user)
{
    kv_cmdstate *st = kv_state(ctx);
    const kv_acl_hooks *h = kv_acl_hooks_of(st->srv->acl);
    kv_buf b;
    kv_buf_init(&b);
    if (ctx->conn)
        h->client_line(&b, ctx->conn, kv_now_ms(ctx));
    kv_buf_append(&b, "", 1);
    kv_acl_log_add(st->srv->acl, reason,
                   where ? where : ctx->conn && h->in_multi(ctx->conn) ? "multi" : "toplevel",
                   object, on, user ? user : kv_session_user_name(s), b.p, kv_now_ms(ctx),
                   kv_cfg_ll(st->cfg, "acllog-max-len"));
    kv_buf_free(&b);
}

/* -------------------------------------------------------- before_exec */

int kv_acl_before_exec(kv_ctx *ctx, kv_session *s, const kv_cmddesc *d, int argc,
                       const kv_str *argv)
{
    kv_cmdstate *st = kv_state(ctx);
    const kv_acl_user *u = kv_acl_session_user(ctx->shard, st, s);
    int r, pos = 0;
    if (u && u->free_pass)
        return 0;
    if (!u) { /* deleted: the sweep closes it after this (empty) reply */
        kv_conn_kill(ctx->conn);
        return -1;
    }
    if ((r = kv_acl_permits(st->srv->acl, u, d->cmd, argc, argv, &pos)) == KV_ACL_OK)
        return 0;
    if (r == KV_ACL_DENIED_CMD) {
        kv_acl_log_denial(ctx, s, r, NULL, d->cmd->name, strlen(d->cmd->name), NULL);
        kv_reply_errorf(&ctx->out, "NOPERM this user has no permissions to run the '%s' command",
                        d->cmd->name);
    } else {
        kv_acl_log_denial(ctx, s, r, NULL, argv[pos].p, argv[pos].n, NULL);
        kv_reply_errorf(&ctx->out,
                        "NOPERM this user has no permissions to access one of the %s used as "
                        "arguments",
                        r == KV_ACL_DENIED_KEY ? "keys" : "channels");
    }
    return -1;
}

/* ------------------------------------------------------------ scripts */

/* The user of the client running a script, or NULL when everything is
 * allowed (no client: the server's own, or one gone meanwhile). */
static const kv_acl_user *script_user(kv_ctx *ctx, kv_session **sp)
{
    kv_session *s;
    const kv_acl_user *u;
    if (!ctx || !ctx->conn || kv_conn_is_internal(ctx->conn) || !(s = kv_conn_data(ctx->conn)))
        return NULL;
    u = kv_acl_session_user(ctx->shard, kv_state(ctx), s);
    *sp = s;
    return u && !u->free_pass ? u : NULL;
}

int kv_acl_script_allows(kv_ctx *ctx, const kv_cmd *cmd, int argc, const kv_str *argv)
{
    kv_session *s = NULL;
    const kv_acl_user *u = script_user(ctx, &s);
    int pos = 0;
    return !u || kv_acl_permits(kv_state(ctx)->srv->acl, u, cmd, argc, argv, &pos) == KV_ACL_OK;
}

const char *kv_acl_script_denied(kv_ctx *ctx, const kv_cmd *cmd, int argc, const kv_str *argv)
{
    kv_session *s = NULL;
    const kv_acl_user *u = script_user(ctx, &s);
    int pos = 0, r;
    if (!u || (r = kv_acl_permits(kv_state(ctx)->srv->acl, u, cmd, argc, argv, &pos)) == KV_ACL_OK)
        return NULL;
    if (r == KV_ACL_DENIED_CMD) {
        kv_acl_log_denial(ctx, s, r, "lua", cmd->name, strlen(cmd->name), NULL);
        return "ERR The user executing the script can't run this command or subcommand";
    }
    kv_acl_log_denial(ctx, s, r, "lua", argv[pos].p, argv[pos].n, NULL);
    return r == KV_ACL_DENIED_KEY ? "ERR The user executing the script can't access at least one "
                                    "of the keys mentioned in the command arguments"
                                  : "ERR The user executing the script can't publish to the "
                                    "channel mentioned in the command";
}

/* ---------------------------------------------------------------- EXEC */

int kv_acl_exec_denied(kv_ctx *ctx, const kv_cmd *cmd, int argc, const kv_str *argv,
                       kv_reply *out)
{
    kv_session *s = NULL;
    const kv_acl_user *u = script_user(ctx, &s);
    int pos = 0, r;
    if (!u || (r = kv_acl_permits(kv_state(ctx)->srv->acl, u, cmd, argc, argv, &pos)) == KV_ACL_OK)
        return 0;
    if (r == KV_ACL_DENIED_CMD)
        kv_acl_log_denial(ctx, s, r, "multi", cmd->name, strlen(cmd->name), NULL);
    else
        kv_acl_log_denial(ctx, s, r, "multi", argv[pos].p, argv[pos].n, NULL);
    kv_reply_errorf(out,
                    "NOPERM ACLs rules changed between the moment the transaction was accumulated "
                    "and the EXEC call. This command is no longer allowed for the following "
                    "reason: %s",
                    r == KV_ACL_DENIED_CMD   ? "no permission to execute the command or subcommand"
                    : r == KV_ACL_DENIED_KEY ? "no permission to touch the specified keys"
                                             : "no permission to access one of the channels used "
                                               "as arguments");
    return 1;
}
