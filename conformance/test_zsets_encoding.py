"""Sorted sets: the listpack/skiplist encodings at Redis 7.0.15's exact
thresholds (zset-max-listpack-entries 128, zset-max-listpack-value 64) and
how each is serialized: DUMP payloads byte for byte (LISTPACK, ZSET_2),
RESTORE of Redis's payloads including Redis 6's ZIPLIST, the checks that
refuse malformed ones, and zset values copied or renamed across shards.

Every test here reads OBJECT ENCODING.
"""

import struct

import pytest

from helpers import array, bulk, err, integer

LISTPACK_MAX = 128   # zset-max-listpack-entries
LISTPACK_VALUE = 64  # zset-max-listpack-value
LONG = "x" * (LISTPACK_VALUE + 1)


def flat(*items):
    return array(*[bulk(str(x)) for x in items])


def encoding(raw, key):
    return raw.value("OBJECT", "ENCODING", key)


# ---------------------------------------------------------------- encodings

def test_encoding_entries_threshold(raw):
    args = []
    for i in range(LISTPACK_MAX):
        args += [str(i), "m%d" % i]
    raw.value("ZADD", "z", *args)
    assert encoding(raw, "z") == b"listpack"
    raw.value("ZADD", "z", "5", "m0")        # an update does not convert
    raw.value("ZADD", "z", "XX", "5", "new")  # nor an XX miss
    assert encoding(raw, "z") == b"listpack"
    raw.value("ZADD", "z", "1000", "m%d" % LISTPACK_MAX)
    assert encoding(raw, "z") == b"skiplist"
    raw.value("ZREMRANGEBYRANK", "z", "0", "-3")
    assert encoding(raw, "z") == b"skiplist"  # never back
    assert raw.raw("ZRANGE", "z", "0", "-1") == flat("m127", "m128")


def test_encoding_many_duplicates_in_one_zadd(raw):
    args = []
    for _ in range(LISTPACK_MAX + 10):
        args += ["1", "a"]
    assert raw.raw("ZADD", "z", *args) == integer(1)
    assert encoding(raw, "z") == b"listpack"


def test_encoding_value_threshold(raw):
    raw.value("ZADD", "a", "1", "x" * LISTPACK_VALUE)
    assert encoding(raw, "a") == b"listpack"
    raw.value("ZADD", "b", "1", "x" * (LISTPACK_VALUE + 1))
    assert encoding(raw, "b") == b"skiplist"
    raw.value("ZADD", "c", "1", "short")
    raw.value("ZINCRBY", "c", "1", "x" * (LISTPACK_VALUE + 1))
    assert encoding(raw, "c") == b"skiplist"
    raw.value("ZADD", "d", "1", "x" * (LISTPACK_VALUE + 1), "2", "s")
    raw.value("ZREM", "d", "x" * (LISTPACK_VALUE + 1))
    assert encoding(raw, "d") == b"skiplist"


def test_encoding_of_stored_ranges(raw):
    args = []
    for i in range(200):
        args += [str(i), "m%d" % i]
    raw.value("ZADD", "{e}src", *args)
    for stop, enc in ((LISTPACK_MAX - 1, b"listpack"), (LISTPACK_MAX, b"skiplist")):
        raw.value("ZRANGESTORE", "{e}d", "{e}src", "0", str(stop))
        assert encoding(raw, "{e}d") == enc
    raw.value("ZRANGESTORE", "{e}d", "{e}src", "1", str(LISTPACK_MAX), "BYSCORE")
    assert encoding(raw, "{e}d") == b"listpack"
    raw.value("ZADD", "{e}long", "1", LONG)
    raw.value("ZRANGESTORE", "{e}d", "{e}long", "0", "-1")
    assert encoding(raw, "{e}d") == b"skiplist"


def test_encodings_agree(raw):
    # The same operations on both encodings give the same answers.
    ops = [("ZADD", "1", "a", "2", "b", "2", "bb", "3", "c", "-1", "neg", "inf", "top"),
           ("ZINCRBY", "1.5", "a"), ("ZREM", "bb"), ("ZADD", "GT", "1", "c")]
    raw.value("ZADD", "sl", "0", LONG)
    for key in ("lp", "sl"):
        for op in ops:
            raw.value(op[0], key, *op[1:])
    raw.value("ZREM", "sl", LONG)
    for q in (("ZRANGE", "0", "-1", "WITHSCORES"), ("ZRANGE", "(0", "3", "BYSCORE", "REV"),
              ("ZRANK", "c"), ("ZREVRANK", "a"), ("ZCOUNT", "1", "inf"), ("ZMSCORE", "a", "x"),
              ("ZRANGE", "1", "-2", "WITHSCORES")):
        assert raw.raw(q[0], "lp", *q[1:]) == raw.raw(q[0], "sl", *q[1:]), q
    assert encoding(raw, "lp") == b"listpack" and encoding(raw, "sl") == b"skiplist"


# ---------------------------------------------------------------- DUMP/RESTORE

def crc64(data):
    """CRC-64/Jones, reflected, as Redis frames DUMP payloads."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x95AC9329AC4BC9B5 if crc & 1 else 0)
    return crc


def frame(body):
    b = body + b"\x0a\x00"
    return b + crc64(b).to_bytes(8, "little")


def rdb_str(s):
    assert len(s) < 16384
    return bytes([len(s)]) + s if len(s) < 64 else bytes([0x40 | len(s) >> 8, len(s) & 0xff]) + s


BAD_FORMAT = err("ERR Bad data format")
INCOMPRESSIBLE = bytes(range(65))  # LZF cannot shorten it: stored plain


def test_dump_listpack_bytes(raw):
    raw.value("ZADD", "z", "1", "a", "0.5", "b")
    lp = b"\x14\x00\x00\x00\x04\x00\x81b\x02\x830.5\x04\x81a\x02\x01\x01\xff"
    assert raw.value("DUMP", "z") == frame(b"\x11" + rdb_str(lp))


def test_dump_skiplist_bytes(raw):
    # ZSET_2: count, then from the highest score down: member, 8-byte double.
    raw.value("ZADD", "z", "1", INCOMPRESSIBLE, "2", "b", "3", "123", "-inf", "m")
    assert encoding(raw, "z") == b"skiplist"
    body = (b"\x05\x04" + b"\xc0\x7b" + struct.pack("<d", 3) + b"\x01b" + struct.pack("<d", 2) +
            rdb_str(INCOMPRESSIBLE) + struct.pack("<d", 1) + b"\x01m" +
            struct.pack("<d", float("-inf")))
    assert raw.value("DUMP", "z") == frame(body)


def test_restore_both_encodings_roundtrip(raw):
    raw.value("ZADD", "lp", "1", "a", "2.5", "b", "-7", "12")
    raw.value("ZADD", "sl", "1", LONG, "2", "b", "inf", "c")
    for k in ("lp", "sl"):
        payload = raw.value("DUMP", k)
        for dst in ("{%s}copy" % k, "rz:%s" % k):
            assert raw.raw("RESTORE", dst, "0", payload) == b"+OK\r\n"
            assert raw.raw("ZRANGE", dst, "0", "-1", "WITHSCORES") == raw.raw(
                "ZRANGE", k, "0", "-1", "WITHSCORES")
            assert encoding(raw, dst) == encoding(raw, k)


def zset2(*pairs, count=None):
    n = len(pairs) // 2 if count is None else count
    body = b"\x05" + bytes([n])
    for m, s in zip(pairs[::2], pairs[1::2]):
        body += rdb_str(m) + struct.pack("<d", s)
    return frame(body)


def test_restore_zset2_picks_the_encoding(raw):
    assert raw.raw("RESTORE", "small", "0", zset2(b"b", 2.0, b"a", 1.0)) == b"+OK\r\n"
    assert encoding(raw, "small") == b"listpack"
    assert raw.raw("ZRANGE", "small", "0", "-1", "WITHSCORES") == flat("a", 1, "b", 2)
    assert raw.raw("RESTORE", "long", "0", zset2(b"x" * 65, 1.0, b"a", 2.0)) == b"+OK\r\n"
    assert encoding(raw, "long") == b"skiplist"
    many = []
    for i in range(129):
        many += [b"m%d" % i, float(i)]
    body = b"\x05" + b"\x40\x81"  # 129 as a 14-bit length
    for m, s in zip(many[::2], many[1::2]):
        body += rdb_str(m) + struct.pack("<d", s)
    assert raw.raw("RESTORE", "many", "0", frame(body)) == b"+OK\r\n"
    assert encoding(raw, "many") == b"skiplist"
    assert raw.raw("ZCARD", "many") == integer(129)


@pytest.mark.parametrize("payload", [
    zset2(b"a", 1.0, b"a", 2.0),                      # a member twice
    zset2(b"a", float("nan")),                        # NaN score
    frame(b"\x05\x00"),                               # empty
    zset2(b"a", 1.0, count=3),                        # count beyond the data
    frame(b"\x11" + rdb_str(b"\x0e\x00\x00\x00\x01\x00\x81a\x02\xff")),      # odd listpack
    frame(b"\x11" + rdb_str(b"\x12\x00\x00\x00\x04\x00\x81a\x02\x01\x01\x81a\x02\x02\x01\xff")),
    frame(b"\x11" + rdb_str(b"\x07\x00\x00\x00\x00\x00\xff")),               # empty listpack
    frame(b"\x11" + rdb_str(b"\x0e\x00\x00\x00\x01\x00\x81a\x03\xff")),      # bad backlen
])
def test_restore_rejects_bad_zsets(raw, payload):
    assert raw.raw("RESTORE", "z", "0", payload) == BAD_FORMAT
    assert raw.raw("EXISTS", "z") == integer(0)


def test_restore_redis6_ziplist(raw):
    # ZIPLIST (12): entries "a", 1, "b", 2.5 (prevlen, encoding, data).
    entries = b"\x00\x01a" + b"\x03\xf2" + b"\x02\x01b" + b"\x03\x032.5"
    zl = (len(entries) + 11).to_bytes(4, "little") + (10 + len(entries) - 5).to_bytes(4, "little")
    zl += (4).to_bytes(2, "little") + entries + b"\xff"
    assert raw.raw("RESTORE", "z", "0", frame(b"\x0c" + rdb_str(zl))) == b"+OK\r\n"
    assert raw.raw("ZRANGE", "z", "0", "-1", "WITHSCORES") == flat("a", 1, "b", 2.5)
    assert encoding(raw, "z") == b"listpack"


def test_zset_values_move_between_shards(raw):
    raw.value("ZADD", "{mv}z", "1", "a", "2", LONG)
    for dst in spread_dsts():
        assert raw.raw("COPY", "{mv}z", dst) == integer(1)
        assert raw.raw("ZRANGE", dst, "0", "-1", "WITHSCORES") == flat("a", 1, LONG, 2)
        assert encoding(raw, dst) == b"skiplist"
    assert raw.raw("RENAME", "{mv}z", "mv:last") == b"+OK\r\n"
    assert raw.raw("ZSCORE", "mv:last", LONG) == bulk("2")


def spread_dsts():
    return ["mv:%d" % i for i in range(6)]
