/* List commands (Redis 7.0 "list" group). Family table filled as they land. */
#include "cmd/cmd.h"

const kv_cmddef kv_cmds_lists[] = {
    KV_CMDDEF_END
};
