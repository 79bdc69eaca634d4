"""MEMORY: USAGE's errors and relations (nil for a missing key, more bytes
for a bigger value, any key on any shard), STATS's field names, order and
types, DOCTOR, MALLOC-STATS, PURGE and HELP. Byte counts are kevy's own
(docs/compatibility.md), so only their relations are asserted."""

import pytest

from helpers import NIL, OK, SYNTAX, arity_err, err, spread_keys

NOT_INT = err("ERR value is not an integer or out of range")

HELP = [
    "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
    "HELP",
    "    Prints this help.",
]

STATS_HEAD = [
    b"peak.allocated", b"total.allocated", b"startup.allocated", b"replication.backlog",
    b"clients.slaves", b"clients.normal", b"cluster.links", b"aof.buffer", b"lua.caches",
    b"functions.caches",
]
STATS_TAIL = [
    b"overhead.total", b"keys.count", b"keys.bytes-per-key", b"dataset.bytes",
    b"dataset.percentage", b"peak.percentage", b"allocator.allocated", b"allocator.active",
    b"allocator.resident", b"allocator-fragmentation.ratio", b"allocator-fragmentation.bytes",
    b"allocator-rss.ratio", b"allocator-rss.bytes", b"rss-overhead.ratio",
    b"rss-overhead.bytes", b"fragmentation", b"fragmentation.bytes",
]
RATIOS = {b"dataset.percentage", b"peak.percentage", b"allocator-fragmentation.ratio",
          b"allocator-rss.ratio", b"rss-overhead.ratio", b"fragmentation"}
DB_FIELDS = [b"overhead.hashtable.main", b"overhead.hashtable.expires",
             b"overhead.hashtable.slot-to-keys"]


def test_memory_help(raw):
    assert raw.value("MEMORY", "HELP") == HELP
    assert raw.raw("MEMORY", "HELP", "x") == arity_err("memory|help")


def test_memory_errors(raw):
    assert raw.raw("MEMORY") == arity_err("memory")
    assert raw.raw("MEMORY", "FOO") == err("ERR unknown subcommand 'FOO'. Try MEMORY HELP.")
    assert raw.raw("MEMORY", "USAGE") == arity_err("memory|usage")
    for sub in ("DOCTOR", "STATS", "PURGE", "MALLOC-STATS"):
        assert raw.raw("MEMORY", sub, "x") == arity_err("memory|" + sub.lower())


def test_memory_usage_options(raw):
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("MEMORY", "USAGE", "k", "SAMPLES", "-1") == SYNTAX
    assert raw.raw("MEMORY", "USAGE", "k", "SAMPLES", "x") == NOT_INT
    assert raw.raw("MEMORY", "USAGE", "k", "SAMPLES") == SYNTAX
    assert raw.raw("MEMORY", "USAGE", "k", "FOO") == SYNTAX
    assert raw.raw("MEMORY", "USAGE", "k", "samples", "1", "FOO", "1") == SYNTAX
    # Options are checked before the key is looked up.
    assert raw.raw("MEMORY", "USAGE", "nokey", "SAMPLES", "-1") == SYNTAX
    assert raw.raw("MEMORY", "USAGE", "nokey") == NIL
    for samples in ("0", "1", "5", "100"):
        assert type(raw.value("MEMORY", "USAGE", "k", "SAMPLES", samples)) is int


def test_memory_usage_nil_and_resp3(raw, raw3):
    assert raw3.raw("MEMORY", "USAGE", "nokey") == b"_\r\n"
    assert raw.raw("SET", "k", "v") == OK
    assert raw3.value("MEMORY", "USAGE", "k") == raw.value("MEMORY", "USAGE", "k")


def test_memory_usage_grows_with_the_value(raw):
    sizes = []
    for n in (1, 100, 1000, 100000):
        assert raw.raw("SET", "s", "x" * n) == OK
        sizes.append(raw.value("MEMORY", "USAGE", "s"))
    assert sizes == sorted(sizes) and sizes[0] > 1 and sizes[-1] > 100000
    # The key's bytes count too.
    assert raw.raw("SET", "a", "x") == OK
    assert raw.raw("SET", "longer-key-" * 20, "x") == OK
    assert raw.value("MEMORY", "USAGE", "longer-key-" * 20) > raw.value("MEMORY", "USAGE", "a")


@pytest.mark.parametrize("fill,kind", [
    (lambda c, i: c.raw("RPUSH", "c", "e%d" % i), "list"),
    (lambda c, i: c.raw("SADD", "c", "e%d" % i), "set"),
    (lambda c, i: c.raw("HSET", "c", "f%d" % i, "v%d" % i), "hash"),
    (lambda c, i: c.raw("ZADD", "c", str(i), "m%d" % i), "zset"),
])
def test_memory_usage_collections(raw, fill, kind):
    fill(raw, 0)
    small = raw.value("MEMORY", "USAGE", "c")
    for i in range(1, 2000):
        fill(raw, i)
    big = raw.value("MEMORY", "USAGE", "c")
    assert raw.value("TYPE", "c") == kind
    assert big > small
    assert big > 2000 * 2  # every element costs bytes
    assert raw.value("MEMORY", "USAGE", "c", "SAMPLES", "0") > small


def test_memory_usage_expired_key_not_yet_deleted(raw):
    assert raw.raw("SET", "t", "v", "PX", "1000000") == OK
    assert type(raw.value("MEMORY", "USAGE", "t")) is int


def test_memory_usage_every_shard(raw):
    keys = spread_keys(16, prefix="mu:")
    for k in keys:
        assert raw.raw("SET", k, "x" * 50) == OK
    for k in keys:
        assert type(raw.value("MEMORY", "USAGE", k)) is int


def stats(c):
    flat = c.value("MEMORY", "STATS")
    return flat[0::2], dict(zip(flat[0::2], flat[1::2]))


def test_memory_stats_shape(raw):
    names, _ = stats(raw)
    assert [n for n in names if not n.startswith(b"db.")] == STATS_HEAD + STATS_TAIL
    assert raw.raw("SET", "a", "1") == OK
    assert raw.raw("SELECT", "3") == OK
    assert raw.raw("SET", "b", "1", "EX", "100") == OK
    names, s = stats(raw)
    dbs = [n for n in names if n.startswith(b"db.")]
    assert dbs == [b"db.0", b"db.3"]
    assert names[:len(STATS_HEAD)] == STATS_HEAD
    assert names[len(STATS_HEAD):len(STATS_HEAD) + 2] == dbs
    for db in dbs:
        fields = s[db]
        assert fields[0::2] == DB_FIELDS
        assert all(type(v) is int for v in fields[1::2])
    for n, v in s.items():
        if n in RATIOS:
            assert type(v) is bytes and float(v) >= 0, (n, v)  # RESP2: a double as bulk
        elif not n.startswith(b"db."):
            assert type(v) is int, (n, v)
    assert s[b"keys.count"] == 2
    assert dict(zip(s[b"db.3"][0::2], s[b"db.3"][1::2]))[b"overhead.hashtable.expires"] > 0


def test_memory_stats_resp3(raw3):
    assert raw3.raw("SET", "a", "1") == OK
    reply = raw3.raw("MEMORY", "STATS")
    assert reply.startswith(b"%28\r\n$14\r\npeak.allocated\r\n:")
    assert b"$18\r\ndataset.percentage\r\n," in reply
    assert b"$4\r\ndb.0\r\n%3\r\n$23\r\noverhead.hashtable.main\r\n:" in reply


def test_memory_stats_relations(raw):
    _, before = stats(raw)
    keys = spread_keys(2000, prefix="ms:")
    for i in range(0, len(keys), 100):
        assert raw.raw("MSET", *[x for k in keys[i:i + 100] for x in (k, "v" * 100)]) == OK
    _, s = stats(raw)
    assert s[b"keys.count"] == 2000
    assert s[b"total.allocated"] > before[b"total.allocated"] + 2000 * 100
    assert s[b"peak.allocated"] >= s[b"total.allocated"]
    assert s[b"dataset.bytes"] + s[b"overhead.total"] >= s[b"total.allocated"] - 16
    assert s[b"keys.bytes-per-key"] > 100
    assert 0 < float(s[b"dataset.percentage"]) <= 100
    assert 0 < float(s[b"peak.percentage"]) <= 100


def test_memory_doctor(raw, raw3):
    reply = raw.value("MEMORY", "DOCTOR")
    assert reply.startswith(b"Hi Sam, ")
    assert raw3.raw("MEMORY", "DOCTOR").startswith(b"=")  # verbatim text in RESP3
    assert raw3.raw("MEMORY", "DOCTOR")[:20].split(b"\r\n")[1].startswith(b"txt:Hi Sam")


@pytest.mark.kevy_only
def test_memory_doctor_empty_text(raw):
    assert raw.value("MEMORY", "DOCTOR") == (
        b"Hi Sam, this instance is empty or is using very little memory, my issues detector "
        b"can't be used in these conditions. Please, leave for your mission on Earth and fill "
        b"it with some data. The new Sam and I will be back to our programming as soon as I "
        b"finished rebooting.\n")


def test_memory_malloc_stats_and_purge(raw):
    assert raw.raw("MEMORY", "MALLOC-STATS").startswith(b"$")
    assert raw.raw("MEMORY", "PURGE") == OK


@pytest.mark.kevy_only
def test_memory_malloc_stats_libc(raw):
    assert raw.value("MEMORY", "MALLOC-STATS") == b"Stats not supported for the current allocator"
