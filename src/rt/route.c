/* Where a command runs, worked out once per command into a kv_plan: the
 * shard owning its keys, or KV_BUSY_MANY when they span shards (with each
 * key's shard for a split, or the lock set of a command that locks what
 * its client's state says: EXEC). Also the lock checks: would running a
 * command now cut into a transaction's locks? With one shard nothing is
 * hashed at all. */
#include "rt/internal.h"

#include <stdlib.h>
#include <string.h>

/* Key argument positions, Redis's legacy (first, last, step) spec. Returns
 * the number of keys; 0 if the command has none at this argc. */
static int kv_key_range(const kv_cmd *cmd, int argc, int *first, int *last)
{
    int f = cmd->first_key, l = cmd->last_key, step = cmd->key_step > 0 ? cmd->key_step : 1;
    if (f <= 0 || f >= argc)
        return 0;
    if (l < 0)
        l = argc + l;
    if (l >= argc)
        l = argc - 1;
    if (l < f)
        return 0;
    *first = f;
    *last = f + ((l - f) / step) * step;
    return (l - f) / step + 1;
}

int kv_cmd_key_positions(const kv_cmd *cmd, int argc, const kv_str *argv, int *pos, int max)
{
    int first, last, n, i, step = cmd->key_step > 0 ? cmd->key_step : 1;
    if (cmd->getkeys)
        return cmd->getkeys(argc, argv, pos, max);
    n = kv_key_range(cmd, argc, &first, &last);
    for (i = 0; i < n && i < max; i++)
        pos[i] = first + i * step;
    return n;
}

int kv_command_keys(const kv_cmd *cmd, int argc, const kv_str *argv, int *pos, int max)
{
    return kv_cmd_key_positions(cmd, argc, argv, pos, max);
}

int kv_shard_of_key(const kv_shard *sh, const char *key, size_t n)
{
    return sh->n == 1 ? 0 : kv_slot_shard(kv_key_slot(key, n), sh->n);
}

/* The keys a command names, into keys (at most 16 there, else allocated):
 * returns the count, keys possibly replaced by an allocation. */
static int kv_named_keys(const kv_cmd *cmd, int argc, const kv_str *argv, kv_str **keys)
{
    int posbuf[16], *pos = posbuf, n, i;
    n = kv_cmd_key_positions(cmd, argc, argv, pos, 16);
    if (n <= 0)
        return 0;
    if (n > 16) {
        if (!(pos = malloc((size_t)n * sizeof *pos)) || !(*keys = malloc((size_t)n * sizeof **keys)))
            abort();
        n = kv_cmd_key_positions(cmd, argc, argv, pos, n);
    }
    for (i = 0; i < n; i++)
        (*keys)[i] = argv[pos[i]];
    if (pos != posbuf)
        free(pos);
    return n;
}

/* Does a command of transaction `txn` (0: none) cut into another
 * transaction's locks here? Callers test sh->locks.held first: the hot
 * path pays that one branch. */
static int kv_keys_locked(kv_shard *sh, unsigned long long txn, const kv_cmd *cmd, int argc,
                          const kv_str *argv)
{
    kv_str keybuf[16], *keys = keybuf;
    int n, blocked;
    if (sh->locks.whole && sh->locks.whole != txn && cmd->route != KV_ROUTE_LOCAL)
        return 1;
    n = kv_named_keys(cmd, argc, argv, &keys);
    blocked = n > 0 && kv_locks_conflict(&sh->locks, txn, keys, n);
    if (keys != keybuf)
        free(keys);
    return blocked;
}

int kv_req_blocked(kv_shard *sh, const kv_req *r)
{
    return sh->locks.held && !r->txn && kv_keys_locked(sh, 0, r->cmd, r->argc, r->argv);
}

int kv_shard_key_locked(const kv_shard *sh, const char *key, size_t n)
{
    kv_str k;
    k.p = key;
    k.n = n;
    return sh->locks.held && kv_locks_conflict(&sh->locks, 0, &k, 1);
}

/* The lock set of a command with a lockkeys hook (EXEC: every queued and
 * watched key), into p->lock; -1 (p->lock NULL) if this call has none and
 * routes by its keys (XREAD without BLOCK). */
static int kv_plan_lockkeys(kv_shard *sh, kv_conn *c, int db, const kv_cmd *cmd, int argc,
                            const kv_str *argv, kv_plan *p)
{
    kv_req r;
    kv_ctx ctx;
    int n, whole = 0;
    kv_req_for(&r, c, db, cmd, argc, argv);
    kv_ctx_init(&ctx, sh, &r, (c->flags & KV_CONN_CLOSED) ? NULL : c, NULL);
    p->lock = p->lockbuf;
    n = cmd->lockkeys(&ctx, argc, argv, p->lock, 16, &whole);
    if (n < 0) {
        p->lock = NULL;
        return -1;
    }
    if (n > 16) {
        if (!(p->lock = malloc((size_t)n * sizeof *p->lock)))
            abort();
        n = cmd->lockkeys(&ctx, argc, argv, p->lock, n, &whole);
    }
    p->nlock = n > 0 ? n : 0;
    p->lock_whole = whole;
    return 0;
}

void kv_plan_route_shards(kv_shard *sh, kv_conn *c, int db, const kv_cmd *cmd, int argc,
                          const kv_str *argv, kv_plan *p)
{
    int posbuf[16], *pos = posbuf, n, i, target = sh->id;
    p->nlock = p->lock_whole = 0;
    p->lock = NULL;
    p->nkeys = 0;
    if (cmd->route == KV_ROUTE_CUSTOM) {
        int t = cmd->target(sh->n, argc, argv);
        p->target = t >= 0 && t < sh->n ? t : sh->id;
        return;
    }
    if (cmd->route == KV_ROUTE_COORD && (cmd->flags & KV_CMD_COORD_ALWAYS)) {
        p->target = sh->n > 1 ? KV_BUSY_MANY : sh->id;
        return;
    }
    if (cmd->route == KV_ROUTE_COORD && cmd->lockkeys &&
        kv_plan_lockkeys(sh, c, db, cmd, argc, argv, p) == 0) {
        /* Its state is the client's (EXEC, WATCH): run at home, alone when
         * every key it locks is here, else coordinated; never forwarded. */
        int one = -1;
        if (p->lock_whole)
            p->target = KV_BUSY_MANY;
        for (i = 0; i < p->nlock; i++) {
            int s = kv_shard_of_key(sh, p->lock[i].p, p->lock[i].n);
            one = i == 0 || s == one ? s : KV_BUSY_MANY;
            if (s != sh->id)
                p->target = KV_BUSY_MANY;
        }
        /* Every key on one other shard: its exec delegates to that shard. */
        if ((cmd->flags & KV_CMD_DELEGATES) && !p->lock_whole && one >= 0)
            p->target = sh->id;
        return;
    }
    if (cmd->route == KV_ROUTE_KEYS) {
        int step = cmd->key_step > 0 ? cmd->key_step : 1;
        n = kv_key_range(cmd, argc, &p->first, &p->last);
        if (n <= 0)
            return;
        p->owner = n <= 16 ? p->ownerbuf : malloc((size_t)n * sizeof *p->owner);
        if (!p->owner)
            abort();
        for (i = 0; i < n; i++) {
            const kv_str *k = &argv[p->first + i * step];
            p->owner[i] = kv_slot_shard(kv_key_slot(k->p, k->n), sh->n);
            if (i == 0)
                target = p->owner[0];
            else if (p->owner[i] != target)
                target = KV_BUSY_MANY;
        }
        p->nkeys = n;
        p->target = target;
        return;
    }
    n = kv_cmd_key_positions(cmd, argc, argv, pos, 16);
    if (n > 16) {
        if (!(pos = malloc((size_t)n * sizeof *pos)))
            abort();
        n = kv_cmd_key_positions(cmd, argc, argv, pos, n);
    }
    if (cmd->route == KV_ROUTE_KEY && n > 1)
        n = 1;
    /* No keys, or malformed: run at home, where exec reports the error. */
    for (i = 0; i < n; i++) {
        const kv_str *k = &argv[pos[i]];
        int s = kv_slot_shard(kv_key_slot(k->p, k->n), sh->n);
        if (i == 0)
            target = s;
        else if (s != target)
            target = KV_BUSY_MANY;
    }
    if (pos != posbuf)
        free(pos);
    p->target = target;
}

void kv_plan_free(kv_plan *p)
{
    if (p->owner && p->owner != p->ownerbuf)
        free(p->owner);
    if (p->lock && p->lock != p->lockbuf)
        free(p->lock);
    p->owner = NULL;
    p->lock = NULL;
}

/* Would this command, about to run here for a client, cut into a
 * transaction's locks? */
int kv_plan_locked(kv_shard *sh, const kv_plan *p, const kv_cmd *cmd, int argc,
                   const kv_str *argv)
{
    if (cmd->lockkeys && cmd->route == KV_ROUTE_COORD && p->lock)
        return (p->lock_whole && sh->locks.held) ||
               kv_locks_conflict(&sh->locks, 0, p->lock, p->nlock);
    return kv_keys_locked(sh, 0, cmd, argc, argv);
}
