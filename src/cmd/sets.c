/* Set commands (Redis 7.0 "set" group). Family table filled as they land. */
#include "cmd/cmd.h"

const kv_cmddef kv_cmds_sets[] = {
    KV_CMDDEF_END
};
