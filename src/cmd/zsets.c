/* Sorted set commands (Redis 7.0 "sorted-set" group). Family table filled as they land. */
#include "cmd/cmd.h"

const kv_cmddef kv_cmds_zsets[] = {
    KV_CMDDEF_END
};
