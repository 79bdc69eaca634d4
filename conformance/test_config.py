"""CONFIG GET / SET / RESETSTAT / REWRITE / HELP, and the configuration
file: every Redis 7.0 parameter with Redis's defaults, value syntaxes,
canonical forms and error texts; values applied on every shard; a
redis.conf-format file with flags that override it."""

import os
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import IMPL, SHARDS, Server, _free_port, _server_bin
from helpers import OK, SYNTAX, bulk, err, parse_info, wait_until
from resp_client import RespClient


def failed(name, why):
    return err("ERR CONFIG SET failed (possibly related to argument '%s') - %s" % (name, why))


def unknown(name):
    return err("ERR Unknown option or number of arguments for CONFIG SET - '%s'" % name)


def get1(c, name):
    value = c.value("CONFIG", "GET", name)
    assert len(value) == 2, value
    return value[1]


def as_dict(value):
    if isinstance(value, dict):
        return dict(value)
    return dict(zip(value[0::2], value[1::2]))


@pytest.fixture
def cfg(server):
    """A raw client; every parameter it changes is put back afterwards."""
    c = RespClient(server.host, server.port)
    before = as_dict(c.value("CONFIG", "GET", "*"))
    yield c
    after = as_dict(c.value("CONFIG", "GET", "*"))
    for name, value in before.items():
        if after.get(name) != value:
            c.call("CONFIG", "SET", name, value)
    c.close()


# ------------------------------------------------------------------- GET

def test_get_one(cfg):
    assert cfg.raw("CONFIG", "GET", "maxmemory") == b"*2\r\n" + bulk("maxmemory") + bulk("0")
    assert cfg.raw("CONFIG", "GET", "slowlog-max-len") == \
        b"*2\r\n" + bulk("slowlog-max-len") + bulk("128")


def test_get_exact_name_is_replied_as_typed(cfg):
    assert cfg.raw("CONFIG", "GET", "MAXMEMORY") == b"*2\r\n" + bulk("MAXMEMORY") + bulk("0")
    # the first spelling wins; names compare without case
    assert cfg.raw("CONFIG", "GET", "maxmemory", "MAXMEMORY") == \
        b"*2\r\n" + bulk("maxmemory") + bulk("0")


def test_get_unknown_is_empty(cfg):
    assert cfg.raw("CONFIG", "GET", "nosuchparameter") == b"*0\r\n"
    assert cfg.raw("CONFIG", "GET", "nosuch*") == b"*0\r\n"


def test_get_patterns(cfg):
    got = as_dict(cfg.value("CONFIG", "GET", "hash-max-*", "hz"))
    assert got == {b"hash-max-listpack-entries": b"512", b"hash-max-listpack-value": b"64",
                   b"hash-max-ziplist-entries": b"512", b"hash-max-ziplist-value": b"64",
                   b"hz": b"10"}
    got = as_dict(cfg.value("CONFIG", "GET", "slowlog-*", "SLOWLOG-MAX-LEN", "h?"))
    assert got == {b"slowlog-log-slower-than": b"10000", b"slowlog-max-len": b"128",
                   b"hz": b"10"}
    assert as_dict(cfg.value("CONFIG", "GET", "*ziplist-entr[i]es")) == {
        b"hash-max-ziplist-entries": b"512", b"zset-max-ziplist-entries": b"128"}


def test_get_hidden_parameters_need_their_exact_name(cfg):
    assert cfg.raw("CONFIG", "GET", "key-load-delay") == \
        b"*2\r\n" + bulk("key-load-delay") + bulk("0")
    assert cfg.raw("CONFIG", "GET", "*load-delay") == b"*0\r\n"
    assert b"key-load-delay" not in as_dict(cfg.value("CONFIG", "GET", "*"))


def test_get_resp3_is_a_map(raw3):
    assert raw3.raw("CONFIG", "GET", "maxmemory") == b"%1\r\n" + bulk("maxmemory") + bulk("0")
    assert raw3.raw("CONFIG", "GET", "nosuch") == b"%0\r\n"


def test_get_arity(cfg):
    assert cfg.raw("CONFIG", "GET") == err("ERR wrong number of arguments for 'config|get' command")
    assert cfg.raw("CONFIG") == err("ERR wrong number of arguments for 'config' command")
    assert cfg.raw("CONFIG", "FOO") == err("ERR unknown subcommand 'FOO'. Try CONFIG HELP.")


def test_get_all_lists_every_parameter(cfg):
    everything = as_dict(cfg.value("CONFIG", "GET", "*"))
    assert len(everything) == 192
    for name in (b"maxmemory", b"appendonly", b"save", b"client-output-buffer-limit",
                 b"notify-keyspace-events", b"tls-port", b"cluster-enabled", b"io-threads",
                 b"latency-tracking-info-percentiles", b"slaveof", b"replicaof"):
        assert name in everything, name


# Redis 7.0.15's defaults, for every parameter whose value does not depend on
# how the server was started (port, bind, dir, save, appendonly do).
DEFAULTS = {
    "acl-pubsub-default": "resetchannels", "aclfile": "", "acllog-max-len": "128",
    "active-defrag-cycle-max": "25", "active-defrag-cycle-min": "1",
    "active-defrag-ignore-bytes": "104857600", "active-defrag-max-scan-fields": "1000",
    "active-defrag-threshold-lower": "10", "active-defrag-threshold-upper": "100",
    "active-expire-effort": "1", "activedefrag": "no", "activerehashing": "yes",
    "always-show-logo": "no", "aof-disable-auto-gc": "no", "aof-load-truncated": "yes",
    "aof-rewrite-incremental-fsync": "yes", "aof-timestamp-enabled": "no",
    "aof-use-rdb-preamble": "yes", "aof_rewrite_cpulist": "", "appenddirname": "appendonlydir",
    "appendfilename": "appendonly.aof", "appendfsync": "everysec",
    "auto-aof-rewrite-min-size": "67108864", "auto-aof-rewrite-percentage": "100",
    "bgsave_cpulist": "", "bind-source-addr": "", "bio_cpulist": "",
    "busy-reply-threshold": "5000",
    "client-output-buffer-limit": "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    "client-query-buffer-limit": "1073741824", "cluster-allow-pubsubshard-when-down": "yes",
    "cluster-allow-reads-when-down": "no", "cluster-allow-replica-migration": "yes",
    "cluster-announce-bus-port": "0", "cluster-announce-hostname": "",
    "cluster-announce-ip": "", "cluster-announce-port": "0", "cluster-announce-tls-port": "0",
    "cluster-config-file": "nodes.conf", "cluster-enabled": "no",
    "cluster-link-sendbuf-limit": "0", "cluster-migration-barrier": "1",
    "cluster-node-timeout": "15000", "cluster-port": "0",
    "cluster-preferred-endpoint-type": "ip", "cluster-replica-no-failover": "no",
    "cluster-replica-validity-factor": "10", "cluster-require-full-coverage": "yes",
    "cluster-slave-no-failover": "no", "cluster-slave-validity-factor": "10",
    "crash-log-enabled": "yes", "crash-memcheck-enabled": "yes", "daemonize": "no",
    "databases": "16", "dbfilename": "dump.rdb", "disable-thp": "yes", "dynamic-hz": "yes",
    "enable-debug-command": "no", "enable-module-command": "no",
    "enable-protected-configs": "no", "hash-max-listpack-entries": "512",
    "hash-max-listpack-value": "64", "hash-max-ziplist-entries": "512",
    "hash-max-ziplist-value": "64", "hll-sparse-max-bytes": "3000", "hz": "10",
    "ignore-warnings": "", "io-threads": "1", "io-threads-do-reads": "no",
    "jemalloc-bg-thread": "yes", "latency-monitor-threshold": "0", "latency-tracking": "yes",
    "latency-tracking-info-percentiles": "50 99 99.9", "lazyfree-lazy-eviction": "no",
    "lazyfree-lazy-expire": "no", "lazyfree-lazy-server-del": "no",
    "lazyfree-lazy-user-del": "no", "lazyfree-lazy-user-flush": "no", "lfu-decay-time": "1",
    "lfu-log-factor": "10", "list-compress-depth": "0", "list-max-listpack-size": "-2",
    "list-max-ziplist-size": "-2", "loglevel": "notice", "lua-time-limit": "5000",
    "masterauth": "", "masteruser": "", "maxclients": "10000", "maxmemory": "0",
    "maxmemory-clients": "0", "maxmemory-eviction-tenacity": "10",
    "maxmemory-policy": "noeviction", "maxmemory-samples": "5", "min-replicas-max-lag": "10",
    "min-replicas-to-write": "0", "min-slaves-max-lag": "10", "min-slaves-to-write": "0",
    "no-appendfsync-on-rewrite": "no", "notify-keyspace-events": "", "oom-score-adj": "no",
    "oom-score-adj-values": "0 200 800", "pidfile": "",
    "proc-title-template": "{title} {listen-addr} {server-mode}",
    "propagation-error-behavior": "ignore", "protected-mode": "yes",
    "proto-max-bulk-len": "536870912", "rdb-del-sync-files": "no",
    "rdb-save-incremental-fsync": "yes", "rdbchecksum": "yes", "rdbcompression": "yes",
    "repl-backlog-size": "1048576", "repl-backlog-ttl": "3600",
    "repl-disable-tcp-nodelay": "no", "repl-diskless-load": "disabled",
    "repl-diskless-sync": "yes", "repl-diskless-sync-delay": "5",
    "repl-diskless-sync-max-replicas": "0", "repl-ping-replica-period": "10",
    "repl-ping-slave-period": "10", "repl-timeout": "60", "replica-announce-ip": "",
    "replica-announce-port": "0", "replica-announced": "yes",
    "replica-ignore-disk-write-errors": "no", "replica-ignore-maxmemory": "yes",
    "replica-lazy-flush": "no", "replica-priority": "100", "replica-read-only": "yes",
    "replica-serve-stale-data": "yes", "replicaof": "", "requirepass": "",
    "sanitize-dump-payload": "no", "server_cpulist": "", "set-max-intset-entries": "512",
    "set-proc-title": "yes", "shutdown-on-sigint": "default", "shutdown-on-sigterm": "default",
    "shutdown-timeout": "10", "slave-announce-ip": "", "slave-announce-port": "0",
    "slave-ignore-maxmemory": "yes", "slave-lazy-flush": "no", "slave-priority": "100",
    "slave-read-only": "yes", "slave-serve-stale-data": "yes", "slaveof": "",
    "slowlog-log-slower-than": "10000", "slowlog-max-len": "128", "socket-mark-id": "0",
    "stop-writes-on-bgsave-error": "yes", "stream-node-max-bytes": "4096",
    "stream-node-max-entries": "100", "supervised": "no", "syslog-enabled": "no",
    "syslog-facility": "local0", "syslog-ident": "redis", "tcp-backlog": "511",
    "tcp-keepalive": "300", "timeout": "0", "tls-auth-clients": "yes", "tls-ca-cert-dir": "",
    "tls-ca-cert-file": "", "tls-cert-file": "", "tls-ciphers": "", "tls-ciphersuites": "",
    "tls-client-cert-file": "", "tls-client-key-file": "", "tls-client-key-file-pass": "",
    "tls-cluster": "no", "tls-dh-params-file": "", "tls-key-file": "", "tls-key-file-pass": "",
    "tls-port": "0", "tls-prefer-server-ciphers": "no", "tls-protocols": "",
    "tls-replication": "no", "tls-session-cache-size": "20480",
    "tls-session-cache-timeout": "300", "tls-session-caching": "yes",
    "tracking-table-max-keys": "1000000", "unixsocket": "", "unixsocketperm": "0",
    "zset-max-listpack-entries": "128", "zset-max-listpack-value": "64",
    "zset-max-ziplist-entries": "128", "zset-max-ziplist-value": "64", "logfile": "",
}


@pytest.mark.restart
def test_defaults_are_redis_defaults(server_factory):
    srv = server_factory()
    with RespClient(srv.host, srv.port) as c:
        got = {k.decode(): v.decode() for k, v in as_dict(c.value("CONFIG", "GET", "*")).items()}
    assert set(got) == set(DEFAULTS) | {"port", "bind", "dir", "save", "appendonly"}
    assert {k: got[k] for k in DEFAULTS} == DEFAULTS
    assert got["port"] == str(srv.port)
    assert got["bind"] == "127.0.0.1"
    assert got["dir"] == os.path.realpath(srv.workdir)


# ------------------------------------------------------------------- SET

def test_set_and_get(cfg):
    assert cfg.raw("CONFIG", "SET", "maxmemory", "1mb") == OK
    assert get1(cfg, "maxmemory") == b"1048576"
    assert cfg.raw("CONFIG", "SET", "Maxmemory", "0") == OK
    assert get1(cfg, "maxmemory") == b"0"


@pytest.mark.parametrize("value,canon", [
    ("1k", "1000"), ("1kb", "1024"), ("1KB", "1024"), ("1Kb", "1024"), ("2m", "2000000"),
    ("2mb", "2097152"), ("1g", "1000000000"), ("1gb", "1073741824"), ("7b", "7"),
    ("01", "1"), ("", "0"), ("18446744073709551615", "18446744073709551615"),
    ("18446744073709551616", "18446744073709551615"), ("17179869184gb", "0"),
])
def test_set_memory_units(cfg, value, canon):
    assert cfg.raw("CONFIG", "SET", "maxmemory", value) == OK
    assert get1(cfg, "maxmemory") == canon.encode()


@pytest.mark.parametrize("value", ["-1", "+1", " 1", "1 ", "1.5", "0x10", "1t", "0.5kb", "1e3"])
def test_set_memory_errors(cfg, value):
    assert cfg.raw("CONFIG", "SET", "maxmemory", value) == \
        failed("maxmemory", "argument must be a memory value")


@pytest.mark.parametrize("name,value,why", [
    ("hz", "x", "argument couldn't be parsed into an integer"),
    ("hz", "01", "argument couldn't be parsed into an integer"),
    ("hz", "1kb", "argument couldn't be parsed into an integer"),
    ("hz", "-5", "argument must be between 0 and 2147483647 inclusive"),
    ("hz", "9223372036854775807", "argument must be between 0 and 2147483647 inclusive"),
    ("hz", "999999999999999999999", "argument couldn't be parsed into an integer"),
    ("timeout", "-1", "argument must be between 0 and 2147483647 inclusive"),
    ("maxclients", "0", "argument must be between 1 and 4294967295 inclusive"),
    ("slowlog-max-len", "-1", "argument must be between 0 and 9223372036854775807 inclusive"),
    ("slowlog-log-slower-than", "-2",
     "argument must be between -1 and 9223372036854775807 inclusive"),
    ("list-max-listpack-size", "-2147483649",
     "argument must be between -2147483648 and 2147483647 inclusive"),
    ("proto-max-bulk-len", "1kb",
     "argument must be between 1048576 and 9223372036854775807 inclusive"),
    ("repl-backlog-size", "18446744073709551615",
     "argument must be between 1 and 9223372036854775807 inclusive"),
    ("activerehashing", "maybe", "argument must be 'yes' or 'no'"),
    ("activerehashing", "1", "argument must be 'yes' or 'no'"),
    ("maxmemory-policy", "lru", "argument(s) must be one of the following: volatile-lru, "
     "volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"),
    ("appendfsync", "x", "argument(s) must be one of the following: everysec, always, no"),
    ("maxmemory-clients", "x", "argument must be a memory or percent value"),
    ("maxmemory-clients", "-5%", "argument must be a memory or percent value"),
    ("maxmemory-clients", "10.5%", "argument must be a memory or percent value"),
    ("maxmemory-clients", "101%", "percentage argument must be less or equal to 100"),
    ("save", "100", "Invalid save parameters"),
    ("save", "100 x", "Invalid save parameters"),
    ("save", "0 1", "Invalid save parameters"),
    ("save", "100 -1", "Invalid save parameters"),
    ("save", " 100 2", "Invalid save parameters"),
    ("save", "100  2", "Invalid save parameters"),
    ("save", "100 2  ", "Invalid save parameters"),
    ("bind", "127.0.0.1  -::1", "Failed to bind to specified addresses."),
    ("client-output-buffer-limit", " normal 1 2 3",
     "Wrong number of arguments in buffer limit configuration."),
    ("oom-score-adj-values", "1  2 3", "wrong number of arguments"),
    ("latency-tracking-info-percentiles", "50  99",
     "Invalid latency-tracking-info-percentiles parameters"),
    ("client-output-buffer-limit", "normal 1 2", "Wrong number of arguments in buffer limit configuration."),
    ("client-output-buffer-limit", "master 1 2 3",
     "Invalid client class specified in buffer limit configuration."),
    ("client-output-buffer-limit", "normal x 2 3",
     "Error in hard, soft or soft_seconds setting in buffer limit configuration."),
    ("client-output-buffer-limit", "normal 1 2 -3",
     "Error in hard, soft or soft_seconds setting in buffer limit configuration."),
    ("client-output-buffer-limit", "normal 1 2 3x",
     "Error in hard, soft or soft_seconds setting in buffer limit configuration."),
    ("notify-keyspace-events", "w", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."),
    ("notify-keyspace-events", "K E", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."),
    ("oom-score-adj-values", "1 2", "wrong number of arguments"),
    ("oom-score-adj-values", "1 2 x",
     "Invalid oom-score-adj-values, elements must be between -2000 and 2000."),
    ("oom-score-adj-values", "1 2 3000",
     "Invalid oom-score-adj-values, elements must be between -2000 and 2000."),
    ("latency-tracking-info-percentiles", "x",
     "Invalid latency-tracking-info-percentiles parameters"),
    ("latency-tracking-info-percentiles", "50 101",
     "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"),
    ("bind", "1.2.3.4x", "Failed to bind to specified addresses."),
    ("activedefrag", "yes", "Active defragmentation cannot be enabled: it requires a Redis "
     "server compiled with a modified Jemalloc like the one shipped by default with the Redis "
     "source distribution"),
])
def test_set_value_errors(cfg, name, value, why):
    before = get1(cfg, name)
    assert cfg.raw("CONFIG", "SET", name, value) == failed(name, why)
    assert get1(cfg, name) == before


@pytest.mark.parametrize("name,value,canon", [
    ("activerehashing", "NO", "no"), ("activerehashing", "Yes", "yes"),
    ("maxmemory-policy", "ALLKEYS-LRU", "allkeys-lru"), ("loglevel", "WARNING", "warning"),
    ("appendfsync", "Always", "always"),
    ("hz", "0", "1"), ("hz", "1000", "500"), ("hz", "20", "20"),
    ("maxmemory-clients", "10%", "10%"), ("maxmemory-clients", "100%", "100%"),
    ("maxmemory-clients", "0%", "0"), ("maxmemory-clients", "1mb", "1048576"),
    ("notify-keyspace-events", "KEA", "AKE"), ("notify-keyspace-events", "Ex", "xE"),
    ("notify-keyspace-events", "g$lshzxetd", "A"), ("notify-keyspace-events", "Amn", "Am"),
    ("notify-keyspace-events", "nd", "dn"), ("notify-keyspace-events", "Kgm", "gKm"),
    ("notify-keyspace-events", "", ""),
    ("save", "100 2", "100 2"), ("save", "0100 +2 300 4", "100 2 300 4"), ("save", "", ""),
    ("save", "100 ", "100 0"),
    ("oom-score-adj-values", "100 50 3", "100 50 3"),
    ("latency-tracking-info-percentiles", "50 99.999 100", "50 99.999 100"),
    ("latency-tracking-info-percentiles", "1e-5 0.5", "0.00001 0.5"),
    ("latency-tracking-info-percentiles", "", ""),
    ("requirepass", "", ""), ("masteruser", "a b", "a b"),
    ("slowlog-log-slower-than", "-1", "-1"),
    ("list-max-listpack-size", "-2147483648", "-2147483648"),
])
def test_set_canonical_values(cfg, name, value, canon):
    assert cfg.raw("CONFIG", "SET", name, value) == OK
    assert get1(cfg, name) == canon.encode()


def test_set_client_output_buffer_limit_changes_only_named_classes(cfg):
    assert cfg.raw("CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 2mb 3") == OK
    assert get1(cfg, "client-output-buffer-limit") == \
        b"normal 1048576 2097152 3 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
    assert cfg.raw("CONFIG", "SET", "client-output-buffer-limit",
                   "replica 1 2 3 PUBSUB 4 5 6") == OK
    assert get1(cfg, "client-output-buffer-limit") == \
        b"normal 1048576 2097152 3 slave 1 2 3 pubsub 4 5 6"
    assert cfg.raw("CONFIG", "SET", "client-output-buffer-limit", "") == OK
    assert get1(cfg, "client-output-buffer-limit") == \
        b"normal 1048576 2097152 3 slave 1 2 3 pubsub 4 5 6"


def test_set_aliases_are_one_setting(cfg):
    assert cfg.raw("CONFIG", "SET", "hash-max-ziplist-entries", "77") == OK
    assert get1(cfg, "hash-max-listpack-entries") == b"77"
    assert cfg.raw("CONFIG", "SET", "replica-priority", "5") == OK
    assert get1(cfg, "slave-priority") == b"5"
    # Two names of one setting in one call are not duplicates: the last wins.
    assert cfg.raw("CONFIG", "SET", "hash-max-ziplist-entries", "5",
                   "hash-max-listpack-entries", "6") == OK
    assert get1(cfg, "hash-max-ziplist-entries") == b"6"


def test_set_several_pairs(cfg):
    assert cfg.raw("CONFIG", "SET", "maxmemory", "2mb", "hz", "15", "timeout", "100") == OK
    assert as_dict(cfg.value("CONFIG", "GET", "maxmemory", "hz", "timeout")) == \
        {b"maxmemory": b"2097152", b"hz": b"15", b"timeout": b"100"}


def test_set_is_all_or_nothing(cfg):
    assert cfg.raw("CONFIG", "SET", "maxmemory", "2mb", "hz", "x") == \
        failed("hz", "argument couldn't be parsed into an integer")
    assert get1(cfg, "maxmemory") == b"0"
    assert cfg.raw("CONFIG", "SET", "maxmemory", "2mb", "timeout", "1", "loglevel", "loud") == \
        failed("loglevel", "argument(s) must be one of the following: debug, verbose, notice, warning")
    assert get1(cfg, "maxmemory") == b"0" and get1(cfg, "timeout") == b"0"


def test_set_name_errors(cfg):
    assert cfg.raw("CONFIG", "SET", "foo", "1") == unknown("foo")
    assert cfg.raw("CONFIG", "SET", "maxmemory", "abc", "foo", "1") == unknown("foo")
    assert cfg.raw("CONFIG", "SET", "foo", "1", "bar") == SYNTAX
    assert cfg.raw("CONFIG", "SET", "maxmemory", "1", "hz") == SYNTAX
    assert cfg.raw("CONFIG", "SET", "maxmemory") == \
        err("ERR wrong number of arguments for 'config|set' command")
    assert cfg.raw("CONFIG", "SET", "daemonize", "no") == failed("daemonize", "can't set immutable config")
    assert cfg.raw("CONFIG", "SET", "DAEMONIZE", "no") == failed("DAEMONIZE", "can't set immutable config")
    assert cfg.raw("CONFIG", "SET", "maxmemory", "x", "databases", "2") == \
        failed("databases", "can't set immutable config")
    assert cfg.raw("CONFIG", "SET", "dir", "/tmp") == failed("dir", "can't set protected config")
    assert cfg.raw("CONFIG", "SET", "Dbfilename", "x") == failed("Dbfilename", "can't set protected config")
    assert cfg.raw("CONFIG", "SET", "hz", "5", "HZ", "6") == failed("HZ", "duplicate parameter")
    assert cfg.raw("CONFIG", "SET", "hz", "x", "hz", "5") == failed("hz", "duplicate parameter")
    assert cfg.raw("CONFIG", "SET", "MAXmemory", "x") == failed("maxmemory", "argument must be a memory value")
    for name in ("unixsocket", "enable-protected-configs", "slaveof", "replicaof", "io-threads"):
        assert cfg.raw("CONFIG", "SET", name, "1") == failed(name, "can't set immutable config")


def test_set_hidden_parameter(cfg):
    assert cfg.raw("CONFIG", "SET", "key-load-delay", "5") == OK
    assert get1(cfg, "key-load-delay") == b"5"
    assert cfg.raw("CONFIG", "SET", "key-load-delay", "0") == OK


def test_set_reaches_every_shard(cfg, connect):
    """Each client asks its own shard: all see the new value."""
    clients = [connect() for _ in range(12)]
    assert cfg.raw("CONFIG", "SET", "slowlog-max-len", "7", "maxmemory-policy", "allkeys-lfu") == OK
    for c in clients:
        assert as_dict(c.value("CONFIG", "GET", "slowlog-max-len", "maxmemory-policy")) == \
            {b"slowlog-max-len": b"7", b"maxmemory-policy": b"allkeys-lfu"}


def test_set_proto_max_bulk_len_applies_on_every_shard(cfg, connect):
    assert cfg.raw("CONFIG", "SET", "proto-max-bulk-len", "1mb") == OK
    for _ in range(8):
        c = connect()
        c.send_raw(b"*2\r\n$4\r\nECHO\r\n$2000000\r\n")
        assert c.read()[1] == err("ERR Protocol error: invalid bulk length")
        assert c.is_closed()


def test_resetstat(cfg, r):
    r.set("k", "v")
    r.get("k")
    r.get("nosuch")
    cfg.call("NOSUCHCOMMAND")
    assert cfg.raw("CONFIG", "RESETSTAT") == OK
    stats = parse_info(cfg.value("INFO", "stats"))["stats"]
    assert stats["total_commands_processed"] == "1"
    assert stats["keyspace_hits"] == "0" and stats["keyspace_misses"] == "0"
    assert stats["total_error_replies"] == "0" and stats["expired_keys"] == "0"
    assert cfg.value("INFO", "errorstats") == b"# Errorstats\r\n"
    assert cfg.raw("CONFIG", "RESETSTAT") == OK
    cmds = parse_info(cfg.value("INFO", "commandstats"))["commandstats"]
    assert list(cmds) == ["cmdstat_config|resetstat"]
    assert cmds["cmdstat_config|resetstat"].startswith("calls=1,usec=")
    assert cfg.raw("CONFIG", "RESETSTAT", "x") == \
        err("ERR wrong number of arguments for 'config|resetstat' command")


def test_rewrite_without_a_file(cfg):
    assert cfg.raw("CONFIG", "REWRITE") == err("ERR The server is running without a config file")


def test_help(cfg):
    assert cfg.raw("CONFIG", "HELP") == (
        b"*11\r\n+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
        b"+GET <pattern>\r\n"
        b"+    Return parameters matching the glob-like <pattern> and their values.\r\n"
        b"+SET <directive> <value>\r\n+    Set the configuration <directive> to <value>.\r\n"
        b"+RESETSTAT\r\n+    Reset statistics reported by the INFO command.\r\n"
        b"+REWRITE\r\n+    Rewrite the configuration file.\r\n+HELP\r\n+    Prints this help.\r\n")


# ------------------------------------------------------------ config file

def _answers(host, port):
    """PONG, or NOAUTH when a password is set: the server is up."""
    try:
        with socket.create_connection((host, port), timeout=1.0) as s:
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            return s.recv(64) in (b"+PONG\r\n", b"-NOAUTH Authentication required.\r\n")
    except OSError:
        return False


def _start_with_file(path, *flags):
    """Start the server as `server <file> --port P ...`; returns a Server."""
    binary = _server_bin()
    port = _free_port()
    workdir = os.path.dirname(path)
    logpath = os.path.join(workdir, "server.log")
    args = [binary, path, "--port", str(port)]
    if IMPL == "kevy":
        args += ["--shards", str(SHARDS)]
    args += [str(f) for f in flags]
    with open(logpath, "wb") as log:
        proc = subprocess.Popen(args, cwd=workdir, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT)
    srv = Server("127.0.0.1", port, proc, None, logpath)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and proc.poll() is None:
        if _answers("127.0.0.1", port):
            return srv
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    pytest.fail("server did not start: %s" % srv.log())


@pytest.fixture
def confdir():
    d = tempfile.mkdtemp(prefix="kevy-conf-file-")
    started = []
    yield d, started
    for srv in started:
        problems = srv.stop()
        assert not problems, problems
    subprocess.run(["rm", "-rf", d])


CONF = """# a comment
   # an indented comment

bind 127.0.0.1
save ""
appendonly no
maxmemory 2mb
MAXMEMORY-POLICY allkeys-lru
requirepass "p a\\x41\\n"
masteruser 'it\\'s'
save 900 1
save 300 10
client-output-buffer-limit normal 1mb 2mb 3
client-output-buffer-limit pubsub 1 2 3
notify-keyspace-events Ex
  hz   20
latency-tracking-info-percentiles 50 99
oom-score-adj-values 1 2 3
slowlog-max-len 64
include %s
"""


@pytest.mark.restart
def test_config_file(confdir):
    d, started = confdir
    with open(os.path.join(d, "extra.conf"), "w") as f:
        f.write("timeout 7\nslowlog-max-len 65\n")
    path = os.path.join(d, "kevy.conf")
    with open(path, "w") as f:
        f.write(CONF % os.path.join(d, "extra.conf"))
    srv = _start_with_file(path, "--hz", "25", "--save", "")
    started.append(srv)
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("AUTH", "p aA\n") == OK
        got = {k.decode(): v.decode() for k, v in as_dict(c.value("CONFIG", "GET", "*")).items()}
        assert got["maxmemory"] == "2097152"
        assert got["maxmemory-policy"] == "allkeys-lru"
        assert got["requirepass"] == "p aA\n"
        assert got["masteruser"] == "it's"
        assert got["save"] == ""  # the flag came last
        assert got["client-output-buffer-limit"] == \
            "normal 1048576 2097152 3 slave 268435456 67108864 60 pubsub 1 2 3"
        assert got["notify-keyspace-events"] == "xE"
        assert got["hz"] == "25"
        assert got["latency-tracking-info-percentiles"] == "50 99"
        assert got["oom-score-adj-values"] == "1 2 3"
        assert got["timeout"] == "7"
        assert got["slowlog-max-len"] == "65"
        info = parse_info(c.value("INFO", "server"))["server"]
        assert info["config_file"] == os.path.realpath(path)


@pytest.mark.restart
def test_config_file_save_lines_accumulate(confdir):
    d, started = confdir
    path = os.path.join(d, "kevy.conf")
    with open(path, "w") as f:
        f.write("save 900 1\nsave 300 10\nappendonly no\n")
    srv = _start_with_file(path)
    started.append(srv)
    with RespClient(srv.host, srv.port) as c:
        assert get1(c, "save") == b"900 1 300 10"
        assert c.raw("CONFIG", "SET", "save", "") == OK


def _refused(path, *flags):
    args = [_server_bin(), path, "--port", str(_free_port())] + list(flags)
    if IMPL == "kevy":
        args += ["--shards", "1"]
    out = subprocess.run(args, capture_output=True, timeout=10, cwd=os.path.dirname(path))
    return out.returncode, (out.stdout + out.stderr).decode()


@pytest.mark.restart
@pytest.mark.parametrize("text,line,shown,why", [
    ("port 7000\nmaxmemory \"1 2\"\n", 2, "maxmemory \"1 2\"", "argument must be a memory value"),
    ("\n\nhz\n", 3, "hz", "wrong number of arguments"),
    ("foo bar\n", 1, "foo bar", "Bad directive or wrong number of arguments"),
    ("maxmemory \"abc\n", 1, "maxmemory \"abc", "Unbalanced quotes in configuration line"),
    ("masteruser 'a''b'\n", 1, "masteruser 'a''b'", "Unbalanced quotes in configuration line"),
    ("databases 0\n", 1, "databases 0", "argument must be between 1 and 2147483647 inclusive"),
    ("  enable-debug-command  maybe  \n", 1, "enable-debug-command  maybe",
     "argument(s) must be one of the following: no, yes, local"),
])
def test_config_file_errors(confdir, text, line, shown, why):
    d, _ = confdir
    path = os.path.join(d, "bad.conf")
    with open(path, "w") as f:
        f.write(text)
    rc, out = _refused(path)
    assert rc == 1
    assert "*** FATAL CONFIG FILE ERROR" in out
    assert "Reading the configuration file, at line %d\n>>> '%s'\n%s" % (line, shown, why) in out


@pytest.mark.restart
def test_config_file_missing(confdir):
    d, _ = confdir
    rc, out = _refused(os.path.join(d, "nosuch.conf"))
    assert rc == 1
    assert "Fatal error, can't open config file '%s': No such file or directory" % \
        os.path.join(d, "nosuch.conf") in out


@pytest.mark.restart
def test_flag_errors():
    args = [_server_bin(), "--port", str(_free_port()), "--maxmemory", "abc"]
    out = subprocess.run(args, capture_output=True, timeout=10)
    assert out.returncode == 1
    text = (out.stdout + out.stderr).decode()
    assert ">>> 'maxmemory \"abc\"'\nargument must be a memory value" in text


@pytest.mark.restart
def test_rewrite(confdir):
    d, started = confdir
    path = os.path.join(d, "kevy.conf")
    with open(path, "w") as f:
        f.write("# keep me\nmaxmemory 1mb\nsave \"\"\nappendonly no\nhz 11\nhz 12\n")
    srv = _start_with_file(path)
    started.append(srv)
    with RespClient(srv.host, srv.port) as c:
        assert get1(c, "hz") == b"12"
        assert c.raw("CONFIG", "SET", "maxmemory", "3mb", "slowlog-max-len", "33",
                     "masteruser", "a b") == OK
        assert c.raw("CONFIG", "REWRITE") == OK
    text = open(path).read()
    assert text.startswith("# keep me\n")
    assert "maxmemory 3mb" in text or "maxmemory 3145728" in text
    assert text.count("\nhz ") == 1
    srv.stop()
    srv2 = _start_with_file(path)
    started.append(srv2)
    with RespClient(srv2.host, srv2.port) as c:
        assert as_dict(c.value("CONFIG", "GET", "maxmemory", "slowlog-max-len", "masteruser",
                               "hz")) == {b"maxmemory": b"3145728", b"slowlog-max-len": b"33",
                                          b"masteruser": b"a b", b"hz": b"12"}
