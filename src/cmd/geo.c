/* Geo commands (Redis 7.0 "geo" group). Family table filled as they land. */
#include "cmd/cmd.h"

const kv_cmddef kv_cmds_geo[] = {
    KV_CMDDEF_END
};
