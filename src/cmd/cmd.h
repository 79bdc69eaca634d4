/* The kevy command set as the rest of the program sees it: the server
 * description main fills in (core/cmd.h's kv_server) and the kv_cmdset to
 * hand the runtime. Only the program, tests and fuzzers include this header;
 * the command families include core/cmd.h and what their folder shares. */
#ifndef KV_CMD_PUBLIC_H
#define KV_CMD_PUBLIC_H

#include "cmd/core/cmd.h"

/* The command set handed to the runtime (udata points to srv). Builds the
 * command descriptors into srv; fill the rest of srv before the runtime
 * starts, and leave it unchanged afterwards. */
void kv_commands_init(kv_cmdset *cs, kv_server *srv);
/* Load dir/dbfilename of srv->cfg (if it exists), or with appendonly yes
 * the append-only files, for srv->nshards shards, before the runtime
 * starts them (cs: the set kv_commands_init filled). 0, or -1 with err naming file and offset. */
int kv_commands_load(const kv_cmdset *cs, kv_server *srv, char *err, size_t errlen);
/* Release what kv_commands_init created in srv (the save state); srv->persist
 * becomes NULL. The runtime using it must be gone. */
void kv_commands_fini(kv_server *srv);
/* A server description with fixed values (seed, run id, start time), for
 * in-process runs (tests, fuzzers) that must be reproducible. */
void kv_server_fixed(kv_server *srv, int nshards);

#endif
