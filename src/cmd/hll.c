/* HyperLogLog commands (Redis 7.0 "hyperloglog" group). Family table filled as they land. */
#include "cmd/cmd.h"

const kv_cmddef kv_cmds_hll[] = {
    KV_CMDDEF_END
};
