/* SORT and SORT_RO commands (Redis 7.0 "generic" group). Family table filled as they land. */
#include "cmd/cmd.h"

const kv_cmddef kv_cmds_sort[] = {
    KV_CMDDEF_END
};
