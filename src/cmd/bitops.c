/* Bitmap commands (Redis 7.0 "bitmap" group). Family table filled as they land. */
#include "cmd/cmd.h"

const kv_cmddef kv_cmds_bitops[] = {
    KV_CMDDEF_END
};
