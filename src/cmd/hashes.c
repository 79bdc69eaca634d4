/* Hash commands (Redis 7.0 "hash" group). Family table filled as they land. */
#include "cmd/cmd.h"

const kv_cmddef kv_cmds_hashes[] = {
    KV_CMDDEF_END
};
