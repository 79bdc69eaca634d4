/* Command descriptors: a family's kv_cmdspec joined with Redis's captured
 * metadata (cmdmeta_gen.c) into the runtime's kv_cmd and its kv_cmddesc,
 * once at startup. Redis's facts (arity, key positions, flags, ACL
 * categories) come from the metadata alone, so a family table cannot
 * contradict Redis; the family adds how kevy runs the command. */
#include "cmd/core/cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void kv_desc_fail(const char *what, const char *name)
{
    fprintf(stderr, "kevy: command table: %s '%s'\n", what, name);
    abort();
}

/* The runtime's flags follow Redis's; KV_CMD_WHOLE, KV_CMD_DELEGATES and
 * KV_CMD_COORD_ALWAYS are kevy's own. */
static unsigned kv_rt_flags(unsigned long rflags, unsigned spec_flags)
{
    unsigned f = spec_flags & (KV_CMD_WHOLE | KV_CMD_DELEGATES | KV_CMD_COORD_ALWAYS);
    if (rflags & KV_RF_WRITE)
        f |= KV_CMD_WRITE;
    if (rflags & KV_RF_READONLY)
        f |= KV_CMD_READONLY;
    if (rflags & KV_RF_NOSCRIPT)
        f |= KV_CMD_NOSCRIPT;
    if (rflags & KV_RF_FAST)
        f |= KV_CMD_FAST;
    return f;
}

void kv_desc_build(kv_cmd *cmd, kv_cmddesc *d, const kv_cmdspec *s)
{
    const kv_cmdmeta *m = kv_cmdmeta_find(s->name, strlen(s->name));
    if (!m)
        kv_desc_fail("no Redis metadata (add it to tools/cmdmeta_commands.txt) for", s->name);
    if (!s->exec)
        kv_desc_fail("no exec function for", s->name);
    memset(cmd, 0, sizeof *cmd);
    memset(d, 0, sizeof *d);
    cmd->name = m->name; /* the metadata's copy: the same lower-case name */
    cmd->arity = s->arity ? s->arity : m->arity;
    cmd->flags = kv_rt_flags(m->rflags, s->flags);
    cmd->first_key = m->first_key;
    cmd->last_key = m->last_key;
    cmd->key_step = m->key_step;
    cmd->route = s->route;
    cmd->exec = s->exec;
    cmd->reduce = s->reduce;
    cmd->check = s->check;
    cmd->coord = s->coord;
    cmd->target = s->target;
    cmd->getkeys = s->getkeys;
    cmd->lockkeys = s->lockkeys;
    cmd->meta = d;
    d->cmd = cmd;
    d->rflags = m->rflags;
    d->acl = m->acl;
    d->flags = s->flags & ~(unsigned)(KV_CMD_WHOLE | KV_CMD_DELEGATES | KV_CMD_COORD_ALWAYS);
    d->dirty = s->dirty != KV_DIRTY_AUTO ? s->dirty
               : (m->rflags & KV_RF_WRITE) ? KV_DIRTY_WRITES
                                             : KV_DIRTY_NONE;
    d->data = s->data;
    d->prepare = s->prepare;
    d->redact = s->redact;
    d->keyflags = s->keyflags;
    d->meta = m;
}
