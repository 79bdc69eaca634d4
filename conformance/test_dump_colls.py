"""DUMP/RESTORE, COPY, RENAME/RENAMENX/MOVE and DEBUG DIGEST of hashes and
sets, against what a real Redis 7.0.15 printed for the same commands.

Payloads Redis writes deterministically (listpacks, intsets, one-element
hashtables, LZF-compressed or not) must come out byte for byte; hashtable
payloads, whose order follows a random seed in both servers, are decoded
and compared as sets. Corrupt
payloads answer Redis's "ERR Bad data format". Multi-key commands use keys
in different quarters of the slot space, so with 2 or 4 shards the source
and destination live on different shards and the value travels in RDB form.
"""

import hashlib
import struct

import pytest
import redis

from helpers import NIL, OK, array, bulk, err, frame, integer, lp, lzf_decompress, quarter_keys

BAD_DATA = err("ERR Bad data format")


# ------------------------------------------------------- payload codec

def rdb_string(b):
    if len(b) < 64:
        return bytes([len(b)]) + b
    assert len(b) < 16384
    return bytes([0x40 | len(b) >> 8, len(b) & 0xff]) + b


class Reader:
    def __init__(self, p):
        self.p, self.i = p, 0

    def length(self):
        b = self.p[self.i]
        kind, self.i = b >> 6, self.i + 1
        if kind == 0:
            return b & 0x3f, False
        if kind == 1:
            self.i += 1
            return ((b & 0x3f) << 8) | self.p[self.i - 1], False
        if kind == 3:
            return b & 0x3f, True
        n = {0x80: 4, 0x81: 8}[b]
        self.i += n
        return int.from_bytes(self.p[self.i - n:self.i], "big"), False

    def string(self):
        n, enc = self.length()
        if enc and n < 3:
            w = 1 << n
            self.i += w
            return b"%d" % int.from_bytes(self.p[self.i - w:self.i], "little", signed=True)
        if enc:
            assert n == 3
            clen, _ = self.length()
            ulen, _ = self.length()
            self.i += clen
            return lzf_decompress(self.p[self.i - clen:self.i], ulen)
        self.i += n
        return self.p[self.i - n:self.i]


def decode(payload):
    """(type, blob) for blob bodies, (type, [strings]) for HASH and SET."""
    assert int.from_bytes(payload[-10:-8], "little") == 10
    assert frame(payload[:-10]) == payload
    rd = Reader(payload)
    rd.i = 1
    t = payload[0]
    if t in (2, 4):
        n, _ = rd.length()
        items = [rd.string() for _ in range(n * (2 if t == 4 else 1))]
        assert rd.i == len(payload) - 10
        return t, items
    blob = rd.string()
    assert rd.i == len(payload) - 10
    return t, blob


def ziplist(items, count=None, tail=None):
    """A ziplist (Redis <= 6.2) of strings, integers -32768..32767 and
    entries given as (encoding and data) in a tuple; count and tail
    override the header's entry count and tail offset."""
    body, prev, last = b"", 0, 10
    for it in items:
        e = bytes([prev]) if prev < 254 else b"\xfe" + prev.to_bytes(4, "little")
        if isinstance(it, tuple):
            e += it[0]
        elif isinstance(it, int):
            e += bytes([0xF1 + it]) if 0 <= it <= 12 else b"\xc0" + it.to_bytes(2, "little", signed=True)
        elif len(it) < 64:
            e += bytes([len(it)]) + it
        else:
            e += bytes([0x40 | len(it) >> 8, len(it) & 0xff]) + it
        last = 10 + len(body)
        body += e
        prev = len(e)
    last = last if tail is None else tail
    n = len(items) if count is None else count
    return ((10 + len(body) + 1).to_bytes(4, "little") + last.to_bytes(4, "little") +
            n.to_bytes(2, "little") + body + b"\xff")


def intset(width, values, count=None):
    fmt = {2: "<h", 4: "<i", 8: "<q"}[width]
    n = len(values) if count is None else count
    return struct.pack("<II", width, n) + b"".join(struct.pack(fmt, v) for v in values)


def pairs(*kv):
    return b"".join(rdb_string(x) for x in kv)


def contents(r, key):
    t = r.type(key)
    return (t, r.hgetall(key) if t == b"hash" else r.smembers(key))


# ------------------------------------------- payloads Redis 7.0.15 wrote

H3 = ["HSET", "k", "n", "-1", "big", "9223372036854775807", "neg", "-9223372036854775808",
      "e", "", "s", "12345678901234567890", "m", "3.5"]
EXACT = [
    pytest.param([["HSET", "k", "a", "1", "b", "hello"]], "listpack",
                 "101616000000040081610201018162028568656c6c6f06ff0a00e8c5fe99ee07955d",
                 id="hash-listpack"),
    pytest.param([["HSET", "k", "f", bytes(range(65))]], "hashtable",
                 "040101664041000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
                 "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f400a00408836"
                 "a2e4fcd5a0", id="hash-hashtable-one-field"),
    pytest.param([["HSET", "k", "a", "1", "b", "2", "c", "3"], ["HDEL", "k", "b"],
                  ["HSET", "k", "a", "xyz"]], "listpack",
                 "10141400000004008161028378797a048163020301ff0a009d5b925a6912fe93",
                 id="hash-listpack-edited"),
    pytest.param([["SADD", "k", "1", "2", "3"]], "intset",
                 "0b0e02000000030000000100020003000a00a5025ce26d6e4d1b", id="intset16"),
    pytest.param([["SADD", "k", "-5", "70000"]], "intset",
                 "0b100400000002000000fbffffff701101000a005c8cec7a27ad205e", id="intset32"),
    pytest.param([["SADD", "k", "12345678901"]], "intset",
                 "0b100800000001000000351cdcdf020000000a0078897cdf93f411a4", id="intset64"),
    pytest.param([["SADD", "k", "1", "2", "3", "4"], ["SREM", "k", "2"]], "intset",
                 "0b0e02000000030000000100030004000a005e0d913d3b0e9d23", id="intset-edited"),
    pytest.param([["SADD", "k", "x"]], "hashtable", "020101780a00ffe880ba760c2f09",
                 id="set-hashtable-one-member"),
    # LZF-compressed blobs
    pytest.param([H3], "listpack",
                 "10c34046405112510000000c00816e02dfff028362696704f4ff8000047f09836e65200e201f"
                 "400014800981650280018173029431323334353637383930e001090915816d0283332e3504ff"
                 "0a009ae3a42e6f20975f", id="hash-listpack-lzf"),
    pytest.param([["SADD", "k", "1", "-9223372036854775808"]], "intset",
                 "0bc312180408000000022003a00001800160080100000a0023c86d022340525c",
                 id="intset-lzf"),
]


@pytest.mark.parametrize("commands,encoding,payload", EXACT)
def test_dump_is_redis_payload(r, raw, commands, encoding, payload):
    payload = bytes.fromhex(payload)
    for c in commands:
        r.execute_command(*c)
    assert raw.raw("OBJECT", "ENCODING", "k") == bulk(encoding)
    assert raw.raw("DUMP", "k") == bulk(payload)
    assert raw.raw("RESTORE", "back", "0", payload) == OK
    assert contents(r, "back") == contents(r, "k")
    assert raw.raw("OBJECT", "ENCODING", "back") == bulk(encoding)
    assert raw.raw("DUMP", "back") == bulk(payload)


def test_dump_big_intset_is_redis_payload(r):
    """200 members, 821 bytes that LZF cannot shorten: sha256 of Redis's."""
    r.sadd("k", *[i * 1000 for i in range(200)])
    p = r.dump("k")
    assert hashlib.sha256(p).hexdigest() == \
        "3e0cb6f6d70048dc9cd4abdf528951740bab238256d9c71e991e9c2eac873c81"
    assert r.restore("back", 0, p) == b"OK"
    assert r.smembers("back") == {b"%d" % (i * 1000) for i in range(200)}
    assert r.object("encoding", "back") == b"intset"


def test_dump_big_listpack_is_redis_payload(r):
    r.hset("k", mapping={"field:%d" % i: "value-%d" % (i * 37) for i in range(60)})
    p = r.dump("k")
    t, blob = decode(p)
    assert t == 16 and len(blob) == 1285
    assert hashlib.sha256(blob).hexdigest() == \
        "c682593195b30794fb22419304b193858c8701994d760ea6390867520b2544fe"
    assert len(p) == 699 and hashlib.sha256(p).hexdigest() == \
        "7afec54ff1a2e5c520eb3636b1f6a4721563b77a9b8736605d27159c51a95a5d"


@pytest.mark.parametrize("kind", ["hash-many", "hash-long", "set-many", "set-strings"])
def test_dump_hashtables(r, kind):
    if kind == "hash-many":
        want = {b"f%d" % i: b"%d" % (i * 3) if i % 2 else b"v%d" % i for i in range(600)}
        r.hset("k", mapping=want)
    elif kind == "hash-long":
        want = {b"a": b"1", b"b": b"y" * 65, b"": b"", b"-7": b"8"}
        r.hset("k", mapping=want)
    else:
        want = ({b"%d" % (i * 7) for i in range(513)} if kind == "set-many"
                else {b"a", b"", b"1", b"-20", b"x" * 100})
        r.sadd("k", *want)
    assert r.object("encoding", "k") == b"hashtable"
    t, items = decode(r.dump("k"))
    if kind.startswith("hash"):
        assert t == 4 and dict(zip(items[::2], items[1::2])) == want and len(items) == 2 * len(want)
        assert r.restore("back", 0, r.dump("k")) and r.hgetall("back") == want
    else:
        assert t == 2 and set(items) == want and len(items) == len(want)
        assert r.restore("back", 0, r.dump("k")) and r.smembers("back") == want
    assert r.object("encoding", "back") == b"hashtable"


# ------------------------------------------------ RESTORE: encodings

def hash_body(n, vlen=2):
    return b"\x04" + (bytes([0x40 | n >> 8, n & 0xff]) if n >= 64 else bytes([n])) + b"".join(
        pairs(b"f%d" % i, (b"v%d" % i).ljust(vlen, b"v")) for i in range(n))


def set_body(members):
    n = len(members)
    return b"\x02" + (bytes([0x40 | n >> 8, n & 0xff]) if n >= 64 else bytes([n])) + \
        b"".join(rdb_string(m) for m in members)


ZIPMAP = b"\x02" + b"\x01a\x02\x02bcXY" + b"\x015\x02\x00-7" + b"\xff"
RESTORES = [
    pytest.param(b"\x04\x02" + pairs(b"a", b"1", b"5", b"x"), "listpack",
                 {b"a": b"1", b"5": b"x"}, id="hash-small"),
    pytest.param(hash_body(512), "listpack", 512, id="hash-512"),
    pytest.param(hash_body(513), "hashtable", 513, id="hash-513"),
    pytest.param(hash_body(3, 64), "listpack", 3, id="hash-value-64"),
    pytest.param(hash_body(3, 65), "hashtable", 3, id="hash-value-65"),
    pytest.param(b"\x04\x01" + pairs(b"f" * 65, b"1"), "hashtable", 1, id="hash-field-65"),
    pytest.param(b"\x10" + rdb_string(lp([b"a", 1, b"b", b"x"], count=65535)), "listpack",
                 {b"a": b"1", b"b": b"x"}, id="listpack-unknown-count"),
    pytest.param(b"\x10" + rdb_string(lp([b"a", b"v" * 100])), "listpack", {b"a": b"v" * 100},
                 id="listpack-long-value-stays"),
    pytest.param(b"\x0d" + rdb_string(ziplist([b"a", 5, b"bc", -300, b"x", b"y" * 100])),
                 "listpack", {b"a": b"5", b"bc": b"-300", b"x": b"y" * 100}, id="ziplist"),
    pytest.param(b"\x0d" + rdb_string(ziplist(sum([[b"f%d" % i, i % 9] for i in range(513)], []))),
                 "hashtable", 513, id="ziplist-513"),
    pytest.param(b"\x09" + rdb_string(ZIPMAP), "listpack", {b"a": b"bc", b"5": b"-7"},
                 id="zipmap"),
    pytest.param(b"\x09" + rdb_string(b"\xfe\x01f\x46\x00" + b"v" * 70 + b"\xff"), "hashtable",
                 {b"f": b"v" * 70}, id="zipmap-long-value"),
    pytest.param(set_body([b"5", b"-3", b"70000"]), "intset", {b"5", b"-3", b"70000"},
                 id="set-ints"),
    pytest.param(set_body([b"%d" % i for i in range(512)]), "intset", 512, id="set-512-ints"),
    pytest.param(set_body([b"%d" % i for i in range(513)]), "hashtable", 513, id="set-513-ints"),
    pytest.param(set_body([b"1", b"007"]), "hashtable", {b"1", b"007"}, id="set-not-canonical"),
    pytest.param(b"\x0b" + rdb_string(intset(2, list(range(600)))), "hashtable", 600,
                 id="intset-600"),
    pytest.param(b"\x0b" + rdb_string(intset(8, [-1, 2])), "intset", {b"-1", b"2"},
                 id="intset-wide"),
]


@pytest.mark.parametrize("body,encoding,want", RESTORES)
def test_restore_encoding(r, raw, body, encoding, want):
    assert raw.raw("RESTORE", "k", "0", frame(body)) == OK
    assert raw.raw("OBJECT", "ENCODING", "k") == bulk(encoding)
    t, got = contents(r, "k")
    if isinstance(want, int):
        assert len(got) == want
    else:
        assert got == want


def test_restore_keeps_blob_as_redis_does(raw):
    """A wider intset than needed DUMPs back unchanged; a listpack with an
    unknown count comes back with the count filled in (Redis's lpLength)."""
    body = b"\x0b" + rdb_string(intset(8, [-1, 2]))
    assert raw.raw("RESTORE", "a", "0", frame(body)) == OK
    assert decode(raw.value("DUMP", "a")) == (11, intset(8, [-1, 2]))
    assert raw.raw("RESTORE", "b", "0", frame(b"\x10" + rdb_string(lp([b"a", 1], count=65535)))) \
        == OK
    assert raw.raw("DUMP", "b") == bulk(bytes.fromhex(
        "100c0c00000002008161020101ff0a0084a693e8aa17e4db"))
    # a ZIPMAP loads into the listpack Redis builds
    assert raw.raw("RESTORE", "c", "0", frame(b"\x09" + rdb_string(ZIPMAP))) == OK
    assert raw.raw("DUMP", "c") == bulk(bytes.fromhex(
        "1013130000000400816102826263030501dff902ff0a00a44ab0d31de97f7e"))


# --------------------------------------------------- RESTORE: corrupt

# Every one refused by Redis 7.0.15 with sanitize-dump-payload yes; the
# first group with its default (no) as well, the second only with deep
# checks (kevy makes them always).
ALWAYS_BAD = [
    b"\x04\x00", b"\x04\x03\x01a\x01b", b"\x04\x01\x01a",
    b"\x04\x02" + pairs(b"a", b"x" * 70, b"a", b"1"),              # twice, in a hashtable
    b"\x10" + rdb_string(lp([])), b"\x10" + rdb_string(b"\x0d" + lp([b"a", 1])[1:]),
    b"\x0d" + rdb_string(ziplist([])), b"\x0d" + rdb_string(ziplist([b"a"])),
    b"\x0d" + rdb_string(ziplist([b"a", 1, b"a", 2])), b"\x0d" + rdb_string(ziplist([5, 1, b"5", 2])),
    b"\x0d" + rdb_string(ziplist([b"a", 1]).replace(b"\x03\xf2", b"\x02\xf2")),
    b"\x0d" + rdb_string(ziplist([b"a", 1]).replace(b"\x03\xf2", b"\x03\xc1")),
    b"\x09" + rdb_string(b"\x00\xff"), b"\x09" + rdb_string(b"\x01\x01a\x01\x00b"),
    b"\x09" + rdb_string(b"\x02\x01a\x01\x00b\xff"), b"\x09" + rdb_string(b"\x01\x01a\x01\x05b\xff"),
    b"\x09" + rdb_string(b"\x02\x01a\x01\x00b\x01a\x01\x00c\xff"),
    b"\x02\x00", b"\x02\x05\x01a", b"\x02\x02\x011\xc0\x01", b"\x02\x03\x01a\x011\x01a",
    b"\x0b" + rdb_string(intset(2, [])), b"\x0b" + rdb_string(intset(2, [1, 2], count=3)),
    b"\x0b" + rdb_string(struct.pack("<II", 3, 1) + b"\x01\x00\x00"),
    b"\x0b" + rdb_string(struct.pack("<I", 2)),
]
DEEP_BAD = [
    b"\x04\x02" + pairs(b"a", b"1", b"a", b"2"),                   # twice, in a listpack
    b"\x10" + rdb_string(lp([b"a", 1, 2])), b"\x10" + rdb_string(lp([b"a", 1, b"a", 2])),
    b"\x10" + rdb_string(lp([5, 1, b"5", 2])), b"\x10" + rdb_string(lp([b"a", 1], count=4)),
    b"\x10" + rdb_string(lp([b"a", 1]).replace(b"a\x02", b"a\x03")),
    b"\x0b" + rdb_string(intset(2, [3, 1])), b"\x0b" + rdb_string(intset(2, [1, 1])),
]


@pytest.fixture
def sanitize(r):
    r.config_set("sanitize-dump-payload", "yes")
    yield
    r.config_set("sanitize-dump-payload", "no")


@pytest.mark.parametrize("body", ALWAYS_BAD + DEEP_BAD)
def test_restore_corrupt_sanitized(raw, sanitize, body):
    assert raw.raw("RESTORE", "k", "0", frame(body)) == BAD_DATA
    assert raw.raw("EXISTS", "k") == integer(0)


@pytest.mark.parametrize("body", ALWAYS_BAD)
def test_restore_corrupt(raw, body):
    assert raw.raw("SET", "k", "keep") == OK
    assert raw.raw("RESTORE", "k", "0", frame(body), "REPLACE") == BAD_DATA
    assert raw.raw("GET", "k") == bulk("keep")


@pytest.mark.kevy_only
@pytest.mark.parametrize("body", DEEP_BAD)
def test_restore_corrupt_always_deep(raw, body):
    """Redis with sanitize-dump-payload no would take these (and may crash
    later on them); kevy checks every payload deeply."""
    assert raw.raw("RESTORE", "k", "0", frame(body)) == BAD_DATA


# Like Redis, kevy reads a body through the payload's footer, so only cuts
# longer than the footer are sure to leave a blob short.
@pytest.mark.parametrize("cut", [11, 12, 15, 17, 20])
def test_restore_truncated(raw, cut):
    body = bytes.fromhex("101616000000040081610201018162028568656c6c6f06ff")
    assert raw.raw("RESTORE", "k", "0", frame(body[:-cut])) == BAD_DATA
    body = bytes.fromhex("0b100400000002000000fbffffff70110100")
    assert raw.raw("RESTORE", "k", "0", frame(body[:-cut])) == BAD_DATA


# ------------------------- RESTORE: ziplists of lists, hashes, sorted sets

# One walker reads the ziplists of all three types, as Redis's deep check
# does for each: a 32-bit string length whose header has its low 6 bits set
# (0x81) counts as 0x80; an empty QUICKLIST node may have any tail offset.
STR32 = (b"\x81\x00\x00\x00\x01a",)
ZIPLISTS_OK = [
    pytest.param(b"\x0a" + rdb_string(ziplist([STR32, b"b"])), ("list", [b"a", b"b"]),
                 id="list-str32-0x81"),
    pytest.param(b"\x0d" + rdb_string(ziplist([STR32, b"b"])), ("hash", {b"a": b"b"}),
                 id="hash-str32-0x81"),
    pytest.param(b"\x0c" + rdb_string(ziplist([STR32, 1])), ("zset", [(b"a", 1.0)]),
                 id="zset-str32-0x81"),
    pytest.param(b"\x0c" + rdb_string(ziplist([b"b", -300, b"a", 1], count=65535)),
                 ("zset", [(b"b", -300.0), (b"a", 1.0)]), id="zset-unknown-count"),
    pytest.param(b"\x0e\x02" + rdb_string(ziplist([], tail=0)) + rdb_string(ziplist([b"x"])),
                 ("list", [b"x"]), id="quicklist-empty-node-tail-0"),
]
ZIPLISTS_BAD = [
    b"\x0c" + rdb_string(ziplist([b"a", 1], count=3)),
    b"\x0c" + rdb_string(ziplist([b"a", 1], tail=10)),
    b"\x0c" + rdb_string(ziplist([b"a", 1], tail=100)),
    b"\x0c" + rdb_string(ziplist([b"a", 1]).replace(b"\x03\xf2", b"\x02\xf2")),
    b"\x0c" + rdb_string(ziplist([b"a", (b"\xc1",)])),
    b"\x0a" + rdb_string(ziplist([b"a"], tail=100)),
    b"\x0a" + rdb_string(ziplist([b"a", b"b"])[:-1] + b"\xff\xff"),
    b"\x0e\x01" + rdb_string(ziplist([STR32], count=2)),
]


def typed_contents(r, key):
    t = r.type(key).decode()
    if t == "list":
        return t, r.lrange(key, 0, -1)
    if t == "zset":
        return t, r.zrange(key, 0, -1, withscores=True)
    return t, r.hgetall(key)


@pytest.mark.parametrize("body,want", ZIPLISTS_OK)
def test_restore_ziplists(r, raw, body, want):
    assert raw.raw("RESTORE", "k", "0", frame(body)) == OK
    assert typed_contents(r, "k") == want


@pytest.mark.parametrize("body", ZIPLISTS_BAD)
def test_restore_corrupt_ziplists(raw, body):
    assert raw.raw("RESTORE", "k", "0", frame(body)) == BAD_DATA
    assert raw.raw("EXISTS", "k") == integer(0)


# ------------------------------------- COPY, RENAME, MOVE across shards

S, U, T, D = quarter_keys("dc:")

VALUES = {
    "hash-listpack": (lambda r, k: r.hset(k, mapping={"a": "1", "b": "hello"}), "listpack"),
    "hash-hashtable": (lambda r, k: r.hset(k, mapping={"f%d" % i: i for i in range(600)}),
                       "hashtable"),
    "hash-long": (lambda r, k: r.hset(k, mapping={"a": "x" * 100, "b": ""}), "hashtable"),
    "set-intset": (lambda r, k: r.sadd(k, 3, 1, -2), "intset"),
    "set-hashtable": (lambda r, k: r.sadd(k, "a", "b", 5), "hashtable"),
    "set-many": (lambda r, k: r.sadd(k, *range(700)), "hashtable"),
}


@pytest.mark.parametrize("kind", list(VALUES))
def test_copy_across_shards(r, kind):
    make, enc = VALUES[kind]
    make(r, S)
    r.pexpire(S, 100000)
    want = contents(r, S)
    assert r.copy(S, D) is True
    assert contents(r, D) == want and r.object("encoding", D) == enc.encode()
    assert 0 < r.pttl(D) <= 100000
    assert r.copy(S, D) is False
    r.set(U, "x")
    assert r.copy(S, U, replace=True) is True and contents(r, U) == want
    # a deep copy: changing one leaves the other
    if want[0] == b"hash":
        r.hset(S, "a", "changed")
    else:
        r.srem(S, *list(want[1])[:1])
    assert contents(r, D) == want and contents(r, U) == want
    assert r.copy(D, T, destination_db=1) is True
    kw = r.connection_pool.connection_kwargs
    other = redis.Redis(host=kw["host"], port=kw["port"], db=1)
    try:
        assert contents(other, T) == want and other.object("encoding", T) == enc.encode()
        other.flushdb()
    finally:
        other.close()


@pytest.mark.parametrize("kind", list(VALUES))
def test_rename_across_shards(r, kind):
    make, enc = VALUES[kind]
    make(r, S)
    r.pexpire(S, 100000)
    want = contents(r, S)
    assert r.rename(S, D) is True
    assert r.exists(S) == 0 and contents(r, D) == want
    assert r.object("encoding", D) == enc.encode() and 0 < r.pttl(D) <= 100000
    r.set(U, "busy")
    assert r.renamenx(D, U) is False and contents(r, D) == want
    assert r.renamenx(D, T) is True and contents(r, T) == want and r.exists(D) == 0
    assert r.rename(T, U) is True and contents(r, U) == want
    assert r.object("encoding", U) == enc.encode()


@pytest.mark.parametrize("kind", list(VALUES))
def test_move_to_other_db(r, raw, kind):
    make, enc = VALUES[kind]
    make(r, S)
    want = contents(r, S)
    assert r.move(S, 1) is True
    assert r.exists(S) == 0
    assert raw.raw("SELECT", "1") == OK
    assert raw.raw("OBJECT", "ENCODING", S) == bulk(enc)
    assert raw.raw("TYPE", S) == b"+" + want[0] + b"\r\n"
    assert raw.raw("FLUSHDB") == OK


# ------------------------------------------------------- DEBUG DIGEST

DIGEST_SETUP = [
    ["HSET", "h:lp", "a", "1", "b", "hello"],
    ["HSET", "h:ht"] + sum([["f%d" % i, "v%d" % i] for i in range(600)], []),
    ["HSET", "h:long", "f", "x" * 70, "g", "1"],
    ["HSET", "h:conv", "a", "1", "b", "hello", "c", "y" * 80], ["HDEL", "h:conv", "c"],
    ["SADD", "s:int", "1", "2", "3", "-5"],
    ["SADD", "s:ht", "a", "b", "c", "1"],
    ["SADD", "s:big"] + [str(i) for i in range(600)],
    ["SADD", "s:ttl", "x", "y"], ["EXPIRE", "s:ttl", "1000"],
]
DIGESTS = [
    ("h:lp", "c8c107ce0a38c9173267c96fa732f89c6a52d977"),
    ("h:ht", "da5884fc7ba8a8dc69e963590622d30a3baf7439"),
    ("h:long", "f8de54181b539f5220421e5a526a44a44b3398da"),
    ("h:conv", "c8c107ce0a38c9173267c96fa732f89c6a52d977"),  # a hashtable, same pairs
    ("s:int", "5e497276f46b9037a75afe0286ef7a77cbed85e4"),
    ("s:ht", "6c563d3f017ec5083ac0b9f29fc635f90a47f2d9"),
    ("s:big", "04d81c0962ffde34acf89d01fe2057bd59abc03f"),
    ("s:ttl", "d00191754ec2813f435a984703e69427efa91f5d"),
]


def test_debug_digest_of_hashes_and_sets(server_factory):
    from resp_client import RespClient
    srv = server_factory("--enable-debug-command", "yes")
    with RespClient(srv.host, srv.port) as c:
        for cmd in DIGEST_SETUP:
            c.value(*cmd)
        keys = [k for k, _ in DIGESTS]
        assert c.raw("DEBUG", "DIGEST-VALUE", *keys) == array(
            *[b"+%s\r\n" % d.encode() for _, d in DIGESTS])
        assert c.raw("DEBUG", "DIGEST") == b"+2ff2d6dd9c564051b3ecc29a3e892de793dccce1\r\n"
        # a value's digest does not depend on how it got its encoding
        assert c.raw("RESTORE", "copy", "0", c.value("DUMP", "s:big")) == OK
        assert c.raw("COPY", "h:ht", "h:ht2") == integer(1)
        assert c.raw("DEBUG", "DIGEST-VALUE", "copy", "h:ht2", "missing") == array(
            b"+04d81c0962ffde34acf89d01fe2057bd59abc03f\r\n",
            b"+da5884fc7ba8a8dc69e963590622d30a3baf7439\r\n",
            b"+0000000000000000000000000000000000000000\r\n")
        assert c.raw("GET", "missing") == NIL
