"""INFO, every section: Redis 7.0's section lists for default / all /
everything, every field of every section in Redis's order, and the
counters that move with commands, summed over the shards: commandstats,
errorstats, latencystats, rdb_changes_since_last_save,
instantaneous_ops_per_sec."""

import re
import threading
import time

import pytest

from helpers import OK, parse_info, spread_keys, wait_until
from resp_client import RespClient

DEFAULT = ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU",
           "Modules", "Errorstats", "Cluster", "Keyspace"]
ALL = ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Modules",
       "Commandstats", "Errorstats", "Latencystats", "Cluster", "Keyspace"]

FIELDS = {
    "server": ['redis_version', 'redis_git_sha1', 'redis_git_dirty', 'redis_build_id', 'redis_mode', 'os', 'arch_bits', 'monotonic_clock', 'multiplexing_api', 'atomicvar_api', 'gcc_version', 'process_id', 'process_supervised', 'run_id', 'tcp_port', 'server_time_usec', 'uptime_in_seconds', 'uptime_in_days', 'hz', 'configured_hz', 'lru_clock', 'executable', 'config_file', 'io_threads_active'],
    "clients": ['connected_clients', 'cluster_connections', 'maxclients', 'client_recent_max_input_buffer', 'client_recent_max_output_buffer', 'blocked_clients', 'tracking_clients', 'clients_in_timeout_table'],
    "memory": ['used_memory', 'used_memory_human', 'used_memory_rss', 'used_memory_rss_human', 'used_memory_peak', 'used_memory_peak_human', 'used_memory_peak_perc', 'used_memory_overhead', 'used_memory_startup', 'used_memory_dataset', 'used_memory_dataset_perc', 'allocator_allocated', 'allocator_active', 'allocator_resident', 'total_system_memory', 'total_system_memory_human', 'used_memory_lua', 'used_memory_vm_eval', 'used_memory_lua_human', 'used_memory_scripts_eval', 'number_of_cached_scripts', 'number_of_functions', 'number_of_libraries', 'used_memory_vm_functions', 'used_memory_vm_total', 'used_memory_vm_total_human', 'used_memory_functions', 'used_memory_scripts', 'used_memory_scripts_human', 'maxmemory', 'maxmemory_human', 'maxmemory_policy', 'allocator_frag_ratio', 'allocator_frag_bytes', 'allocator_rss_ratio', 'allocator_rss_bytes', 'rss_overhead_ratio', 'rss_overhead_bytes', 'mem_fragmentation_ratio', 'mem_fragmentation_bytes', 'mem_not_counted_for_evict', 'mem_replication_backlog', 'mem_total_replication_buffers', 'mem_clients_slaves', 'mem_clients_normal', 'mem_cluster_links', 'mem_aof_buffer', 'mem_allocator', 'active_defrag_running', 'lazyfree_pending_objects', 'lazyfreed_objects'],
    "persistence": ['loading', 'async_loading', 'current_cow_peak', 'current_cow_size', 'current_cow_size_age', 'current_fork_perc', 'current_save_keys_processed', 'current_save_keys_total', 'rdb_changes_since_last_save', 'rdb_bgsave_in_progress', 'rdb_last_save_time', 'rdb_last_bgsave_status', 'rdb_last_bgsave_time_sec', 'rdb_current_bgsave_time_sec', 'rdb_saves', 'rdb_last_cow_size', 'rdb_last_load_keys_expired', 'rdb_last_load_keys_loaded', 'aof_enabled', 'aof_rewrite_in_progress', 'aof_rewrite_scheduled', 'aof_last_rewrite_time_sec', 'aof_current_rewrite_time_sec', 'aof_last_bgrewrite_status', 'aof_rewrites', 'aof_rewrites_consecutive_failures', 'aof_last_write_status', 'aof_last_cow_size', 'module_fork_in_progress', 'module_fork_last_cow_size'],
    "stats": ['total_connections_received', 'total_commands_processed', 'instantaneous_ops_per_sec', 'total_net_input_bytes', 'total_net_output_bytes', 'total_net_repl_input_bytes', 'total_net_repl_output_bytes', 'instantaneous_input_kbps', 'instantaneous_output_kbps', 'instantaneous_input_repl_kbps', 'instantaneous_output_repl_kbps', 'rejected_connections', 'sync_full', 'sync_partial_ok', 'sync_partial_err', 'expired_keys', 'expired_stale_perc', 'expired_time_cap_reached_count', 'expire_cycle_cpu_milliseconds', 'evicted_keys', 'evicted_clients', 'total_eviction_exceeded_time', 'current_eviction_exceeded_time', 'keyspace_hits', 'keyspace_misses', 'pubsub_channels', 'pubsub_patterns', 'pubsubshard_channels', 'latest_fork_usec', 'total_forks', 'migrate_cached_sockets', 'slave_expires_tracked_keys', 'active_defrag_hits', 'active_defrag_misses', 'active_defrag_key_hits', 'active_defrag_key_misses', 'total_active_defrag_time', 'current_active_defrag_time', 'tracking_total_keys', 'tracking_total_items', 'tracking_total_prefixes', 'unexpected_error_replies', 'total_error_replies', 'dump_payload_sanitizations', 'total_reads_processed', 'total_writes_processed', 'io_threaded_reads_processed', 'io_threaded_writes_processed', 'reply_buffer_shrinks', 'reply_buffer_expands'],
    "replication": ['role', 'connected_slaves', 'master_failover_state', 'master_replid', 'master_replid2', 'master_repl_offset', 'second_repl_offset', 'repl_backlog_active', 'repl_backlog_size', 'repl_backlog_first_byte_offset', 'repl_backlog_histlen'],
    "cpu": ['used_cpu_sys', 'used_cpu_user', 'used_cpu_sys_children', 'used_cpu_user_children', 'used_cpu_sys_main_thread', 'used_cpu_user_main_thread'],
    "cluster": ['cluster_enabled'],
}


def headers(body):
    return [line[2:] for line in body.decode().split("\r\n") if line.startswith("# ")]


def info(c, *sections):
    return parse_info(c.value("INFO", *sections))


def stats(c):
    return info(c, "stats")["stats"]


def cmdstat(value):
    m = re.fullmatch(r"calls=(\d+),usec=(\d+),usec_per_call=(\d+\.\d\d),rejected_calls=(\d+),"
                     r"failed_calls=(\d+)", value)
    assert m, value
    calls, usec, per, rejected, failed = m.groups()
    assert per == "%.2f" % (int(usec) / int(calls) if int(calls) else 0)
    return int(calls), int(rejected), int(failed)


@pytest.fixture
def fresh(server, connect):
    """A client after CONFIG RESETSTAT (stats tables start empty)."""
    c = connect()
    assert c.raw("CONFIG", "RESETSTAT") == OK
    return c


# --------------------------------------------------------------- sections

@pytest.mark.parametrize("args,want", [
    ([], DEFAULT), (["default"], DEFAULT), (["all"], ALL), (["everything"], ALL),
    (["commandstats", "latencystats"], ["Commandstats", "Latencystats"]),
    (["default", "commandstats"], DEFAULT[:8] + ["Commandstats"] + DEFAULT[8:]),
    (["ERRORSTATS"], ["Errorstats"]), (["modules"], ["Modules"]),
])
def test_section_lists(raw, args, want):
    assert headers(raw.value("INFO", *args)) == want


@pytest.mark.parametrize("section", sorted(FIELDS))
def test_every_field_in_redis_order(raw, section):
    got = list(info(raw, section)[section])
    redis_fields = [f for f in got if not f.startswith("kevy_")]
    assert redis_fields == FIELDS[section]


def test_field_formats(raw):
    everything = info(raw, "everything")
    mem = everything["memory"]
    for name in ("used_memory_human", "used_memory_rss_human", "used_memory_peak_human",
                 "maxmemory_human", "total_system_memory_human"):
        assert re.fullmatch(r"\d+B|\d+\.\d\d[KMGT]", mem[name]), (name, mem[name])
    for name in ("used_memory_peak_perc", "used_memory_dataset_perc"):
        assert re.fullmatch(r"\d+\.\d\d%", mem[name]), (name, mem[name])
    assert re.fullmatch(r"\d+\.\d\d", mem["mem_fragmentation_ratio"])
    assert mem["maxmemory"] == "0" and mem["maxmemory_policy"] == "noeviction"
    assert int(mem["used_memory_peak"]) >= int(mem["used_memory"]) > 0
    st = everything["stats"]
    for name in ("instantaneous_input_kbps", "instantaneous_output_kbps", "expired_stale_perc"):
        assert re.fullmatch(r"\d+\.\d\d", st[name])
    assert st["evicted_keys"] == "0" and st["pubsub_channels"] == "0"
    assert everything["clients"]["blocked_clients"] == "0"
    cpu = everything["cpu"]
    for name in FIELDS["cpu"]:
        assert re.fullmatch(r"\d+\.\d{6}", cpu[name]), (name, cpu[name])
    p = everything["persistence"]
    assert p["aof_enabled"] == "0" and p["rdb_bgsave_in_progress"] == "0"
    assert everything["replication"]["role"] == "master"


def test_maxmemory_reported_live(raw):
    old = raw.value("CONFIG", "GET", "maxmemory")[1]
    assert raw.raw("CONFIG", "SET", "maxmemory", "3mb", "maxmemory-policy", "allkeys-lru") == OK
    try:
        mem = info(raw, "memory")["memory"]
        assert mem["maxmemory"] == "3145728" and mem["maxmemory_human"] == "3.00M"
        assert mem["maxmemory_policy"] == "allkeys-lru"
    finally:
        raw.call("CONFIG", "SET", "maxmemory", old, "maxmemory-policy", "noeviction")


# ------------------------------------------------------------ commandstats

def test_commandstats(fresh, connect):
    clients = [connect() for _ in range(6)]
    for i, c in enumerate(clients):
        c.call("SET", "k:%d" % i, "v")
        c.call("GET", "k:%d" % i)
        c.call("GET")                      # rejected: arity
        c.call("LPUSH", "k:%d" % i, "x")   # failed: WRONGTYPE
        c.call("CONFIG", "GET", "hz")
        c.call("INCR", "a", "b")           # rejected, never called
    c.call("NOSUCHCOMMAND")                # no cmdstat at all
    got = info(fresh, "commandstats")["commandstats"]
    assert cmdstat(got["cmdstat_set"]) == (6, 0, 0)
    assert cmdstat(got["cmdstat_get"]) == (6, 6, 0)
    assert cmdstat(got["cmdstat_lpush"]) == (6, 0, 6)
    assert cmdstat(got["cmdstat_config|get"]) == (6, 0, 0)
    assert cmdstat(got["cmdstat_incr"]) == (0, 6, 0)
    assert cmdstat(got["cmdstat_config|resetstat"]) == (1, 0, 0)
    assert not any("nosuch" in k for k in got)


def test_errorstats(fresh, connect):
    clients = [connect() for _ in range(4)]
    for i, c in enumerate(clients):
        c.call("SET", "s:%d" % i, "v")
        c.call("LPUSH", "s:%d" % i, "x")
        c.call("NOSUCHCOMMAND")
        c.call("GET")
        c.call("INCR", "s:%d" % i)
    got = info(fresh, "errorstats")["errorstats"]
    assert got == {"errorstat_ERR": "count=12", "errorstat_WRONGTYPE": "count=4"}
    assert stats(fresh)["total_error_replies"] == "16"


def test_latencystats(fresh):
    for _ in range(20):
        fresh.call("PING")
    lat = info(fresh, "latencystats")["latencystats"]
    value = lat["latency_percentiles_usec_ping"]
    assert re.fullmatch(r"p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}", value), value
    p50, p99, p999 = [float(x.split("=")[1]) for x in value.split(",")]
    assert 0 < p50 <= p99 <= p999
    old = fresh.value("CONFIG", "GET", "latency-tracking-info-percentiles")[1]
    assert fresh.raw("CONFIG", "SET", "latency-tracking-info-percentiles", "50 90.5") == OK
    try:
        value = info(fresh, "latencystats")["latencystats"]["latency_percentiles_usec_ping"]
        assert re.fullmatch(r"p50=\d+\.\d{3},p90\.5=\d+\.\d{3}", value), value
    finally:
        fresh.call("CONFIG", "SET", "latency-tracking-info-percentiles", old)


def test_latency_tracking_off(fresh):
    assert fresh.raw("CONFIG", "SET", "latency-tracking", "no") == OK
    try:
        assert fresh.raw("CONFIG", "RESETSTAT") == OK
        fresh.call("PING")
        assert info(fresh, "latencystats")["latencystats"] == {}
    finally:
        fresh.call("CONFIG", "SET", "latency-tracking", "yes")


# ------------------------------------------------------------- the counters

def dirty(c):
    return int(info(c, "persistence")["persistence"]["rdb_changes_since_last_save"])


@pytest.mark.parametrize("cmds,changes", [
    ([["SET", "k", "v"]], 1),
    ([["SET", "k", "v"], ["GET", "k"]], 1),
    ([["MSET", "a", "1", "b", "2", "c", "3"]], 3),
    ([["SET", "a", "1"], ["SET", "b", "2"], ["DEL", "a", "b", "nosuch"]], 4),
    ([["SET", "k", "v"], ["SET", "k", "w", "NX"]], 1),
    ([["SET", "k", "v"], ["LPUSH", "k", "x"]], 1),
    ([["SET", "k", "v"], ["EXPIRE", "k", "100"], ["EXPIRE", "nosuch", "100"]], 2),
    ([["INCR", "n"], ["INCR", "n"]], 2),
    ([["DEL", "nosuch"]], 0),
    ([["RPUSH", "l", "a", "b", "c"]], 3),
])
def test_rdb_changes_since_last_save(raw, cmds, changes):
    before = dirty(raw)
    for cmd in cmds:
        raw.call(*cmd)
    assert dirty(raw) - before == changes


def test_dirty_counts_writes_of_every_shard(raw, connect, r):
    before = dirty(raw)
    keys = spread_keys(40)
    clients = [connect() for _ in range(4)]
    for i, k in enumerate(keys):
        assert clients[i % 4].raw("SET", k, "v") == OK
    assert dirty(raw) - before == 40


def test_instantaneous_ops_per_sec(server, connect, raw):
    stop = threading.Event()

    def load():
        c = connect()
        while not stop.is_set():
            c.pipeline([["PING"]] * 50)

    threads = [threading.Thread(target=load) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        assert wait_until(lambda: int(stats(raw)["instantaneous_ops_per_sec"]) > 100,
                          timeout=5)
        assert float(stats(raw)["instantaneous_input_kbps"]) > 0
    finally:
        stop.set()
        for t in threads:
            t.join()


def test_keyspace_counters_over_shards(raw, r):
    keys = spread_keys(100)
    r.mset({k: "v" for k in keys})
    before = stats(raw)
    r.mget(keys + ["nosuch:%d" % i for i in range(30)])
    after = stats(raw)
    assert int(after["keyspace_hits"]) - int(before["keyspace_hits"]) == 100
    assert int(after["keyspace_misses"]) - int(before["keyspace_misses"]) == 30


def test_expired_keys_counted(raw):
    before = int(stats(raw)["expired_keys"])
    for k in spread_keys(20, "e:"):
        assert raw.raw("SET", k, "v", "PX", "1") == OK
    time.sleep(0.05)
    for k in spread_keys(20, "e:"):
        raw.call("GET", k)
    assert int(stats(raw)["expired_keys"]) - before == 20


def test_connected_clients_counts_every_shard(raw, connect):
    count = lambda: int(info(raw, "clients")["clients"]["connected_clients"])
    others = [connect() for _ in range(8)]
    for c in others:
        c.raw("PING")
    n = count()
    assert n >= 9
    for c in others:
        c.close()
    assert wait_until(lambda: count() <= n - 8)


LIB = ("#!lua name=infolib\n"
       "redis.register_function('f1', function(keys, args) return 1 end)\n"
       "redis.register_function('f2', function(keys, args) return 2 end)\n")


def test_function_counts_and_memory(server_factory):
    """number_of_functions / number_of_libraries count what FUNCTION LOAD
    added, on any connection; used_memory_functions grows with a library
    and shrinks when it goes."""
    srv = server_factory()
    with RespClient(srv.host, srv.port) as c:
        before = info(c, "memory")["memory"]
        assert before["number_of_functions"] == "0"
        assert before["number_of_libraries"] == "0"
        assert c.value("FUNCTION", "LOAD", LIB) == b"infolib"
    for _ in range(4):  # connections land on every shard of kevy
        with RespClient(srv.host, srv.port) as c:
            mem = info(c, "memory")["memory"]
            assert mem["number_of_functions"] == "2"
            assert mem["number_of_libraries"] == "1"
            assert int(mem["used_memory_functions"]) > int(before["used_memory_functions"])
            loaded = int(mem["used_memory_functions"])
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("FUNCTION", "DELETE", "infolib") == OK
        mem = info(c, "memory")["memory"]
        assert (mem["number_of_functions"], mem["number_of_libraries"]) == ("0", "0")
        assert int(mem["used_memory_functions"]) < loaded


def test_expire_cycle_cpu_milliseconds_counts(server_factory):
    """The active expiry cycle's time is measured: an integer that never
    goes back, and that work on many expiring keys moves."""
    srv = server_factory()
    with RespClient(srv.host, srv.port) as c:
        first = int(stats(c)["expire_cycle_cpu_milliseconds"])
        assert first >= 0
        for i in range(0, 200000, 10000):
            args = sum((["exp:%d" % j, "v"] for j in range(i, i + 10000)), [])
            assert c.raw("MSET", *args) == OK
        keys = ["exp:%d" % j for j in range(200000)]
        for i in range(0, len(keys), 10000):
            for k in keys[i:i + 10000]:
                c.send("PEXPIRE", k, "1")
            c.read_many(10000)
        assert wait_until(lambda: int(stats(c)["expire_cycle_cpu_milliseconds"]) > first,
                          timeout=20)


def test_memory_overhead_and_dataset(server_factory):
    """used_memory_overhead is measured: it grows with the key table, and
    used_memory_dataset is used_memory less it."""
    srv = server_factory()
    with RespClient(srv.host, srv.port) as c:
        before = info(c, "memory")["memory"]
        for i in range(0, 20000, 1000):
            assert c.raw("MSET", *sum((["ovh:%d" % j, "v"] for j in range(i, i + 1000)),
                                      [])) == OK
        after = info(c, "memory")["memory"]
        for m in (before, after):
            used, overhead = int(m["used_memory"]), int(m["used_memory_overhead"])
            assert int(m["used_memory_dataset"]) == max(used - overhead, 0), m
            assert int(m["mem_aof_buffer"]) >= 0
        assert int(after["used_memory_overhead"]) > int(before["used_memory_overhead"])
        assert int(after["used_memory_dataset"]) > int(before["used_memory_dataset"])
