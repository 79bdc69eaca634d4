/* The list of every command table, for the wiring (commands.c) only: each
 * family file defines its table (const kv_cmdspec kv_cmds_<...>[]) and
 * includes nothing of the wiring, so no family depends on the list of
 * families. A new file with commands adds its table here; a new command in
 * an existing file touches nothing but that file. */
#ifndef KV_CMD_FAMILIES_H
#define KV_CMD_FAMILIES_H

#define KV_FAMILY_TABLES(X)                                                                    \
    X(kv_cmds_string) X(kv_cmds_string_range) X(kv_cmds_string_incrbyfloat)                   \
    X(kv_cmds_string_lcs) X(kv_cmds_string_bitmap) X(kv_cmds_string_bitfield)                 \
    X(kv_cmds_string_hyperloglog)                                                             \
    X(kv_cmds_keys) X(kv_cmds_keys_rename) X(kv_cmds_keys_db) X(kv_cmds_keys_dump)            \
    X(kv_cmds_keys_scan) X(kv_cmds_keys_object) X(kv_cmds_keys_sort)                          \
    X(kv_cmds_list) X(kv_cmds_list_move) X(kv_cmds_list_blocking) X(kv_cmds_block_wait)      \
    X(kv_cmds_hash)                                                                           \
    X(kv_cmds_set) X(kv_cmds_set_ops)                                                         \
    X(kv_cmds_zset) X(kv_cmds_zset_range) X(kv_cmds_zset_ops) X(kv_cmds_zset_pop)             \
    X(kv_cmds_zset_geo) X(kv_cmds_zset_geosearch) X(kv_cmds_zset_blocking)                    \
    X(kv_cmds_stream) X(kv_cmds_stream_add) X(kv_cmds_stream_xread) X(kv_cmds_stream_xinfo)   \
    X(kv_cmds_stream_cg) X(kv_cmds_stream_claim) X(kv_cmds_stream_xreadgroup)                 \
    X(kv_cmds_server_connection) X(kv_cmds_server_admin) X(kv_cmds_server_monitor)            \
    X(kv_cmds_server_client) X(kv_cmds_server_config) X(kv_cmds_server_slowlog)               \
    X(kv_cmds_server_debug) X(kv_cmds_server_command) X(kv_cmds_server_info)                  \
    X(kv_cmds_server_memory) X(kv_cmds_server_latency) X(kv_cmds_server_lolwut)               \
    X(kv_cmds_multi) X(kv_cmds_pubsub) X(kv_cmds_pubsub_cmd) X(kv_cmds_persist) X(kv_cmds_persist_aof) \
    X(kv_cmds_script) X(kv_cmds_function) X(kv_cmds_acl)

#endif
