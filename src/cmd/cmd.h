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
/* A server description with fixed values (seed, run id, start time), for
 * in-process runs (tests, fuzzers) that must be reproducible. */
void kv_server_fixed(kv_server *srv, int nshards);

#endif
