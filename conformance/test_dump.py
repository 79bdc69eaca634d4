"""DUMP and RESTORE in Redis's payload format, for strings.

Payloads captured from a real Redis 7.0.15 (SET then DUMP) are hard-coded
below: the server under test must produce the same bytes, LZF-compressed
ones included (kevy's LZF output is liblzf's), that a reference decoder
written here accepts, and restore every captured payload. With
KEVY_PEER_REDIS=host:port set, payloads also travel live between that server
and the one under test, both ways (else with a redis-server started by the
test when one is installed)."""

import hashlib
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
import redis

from helpers import (NIL, NOT_INT, NULL3, OK, SYNTAX, arity_err, bulk, crc64, err, frame, integer,
                     lzf_decompress, spread_keys)

BUSYKEY = err("BUSYKEY Target key name already exists.")
BAD_PAYLOAD = err("ERR DUMP payload version or checksum are wrong")
BAD_DATA = err("ERR Bad data format")
FAR_MS = 4102444800000  # 2100-01-01

# value -> DUMP payload from Redis 7.0.15 (deterministic encodings).
EXACT = {
    b"hello": "000568656c6c6f0a006372df766534200a",
    b"": "00000a005d9b5c400f7fa2da",
    b"5": "00c0050a00632f5f66832fb351",
    b"-3": "00c0fd0a001b7169e0858ce006",
    b"1000": "00c1e8030a0089d1478ebac4b764",
    b"100000": "00c2a08601000a00f12403506f2fa674",
    b"12345678901": "000b31323334353637383930310a00304e52d727176510",
    b"-9223372036854775808": "00142d393232333337323033363835343737353830380a00ede2b956eb709e81",
    b"007": "00033030370a007258e27b4c69bad9",
    b"3.14": "0004332e31340a008c75407d2acce82c",
    b"\x00\xff\r\n": "000400ff0d0a0a008d10d19e4216ec65",
    bytes(range(100)): "00" + "4064" + bytes(range(100)).hex() + "0a00",  # checksum added below
}
# value -> LZF-compressed DUMP payload from Redis 7.0.15.
COMPRESSED = {
    b"a" * 68: "00c3094044016161e037000161610a00947d4d0eca6a318e",
    b"abc" * 40: "00c30b40780361626361e069020162630a00c494a1702ae23e06",
    b"x" * 44: "00c3092c017878e01f000178780a002d05b7d2a136e6d1",
    b"y" * 5000: "00c33f5388017979" + "e0ff00" * 18 + "e0eb000179790a00f5ac4e52d96d4ca1",
    b"ab" * 3000: "00c3404c577002616261" + "e0ff01" * 22 + "e0b2010161620a00a6427a68c0d41192",
}
# value -> sha256 of its (longer) LZF-compressed DUMP payload from Redis 7.0.15.
COMPRESSED_SHA256 = {
    bytes(range(256)) * 40: "78959b8cb9b79b79b54930c072311a2ffd7e4dd83b19c7ac0d490cd24676bbb8",
}


# ------------------------------------------------- a reference decoder

def read_len(p, i):
    b = p[i]
    kind = b >> 6
    if kind == 0:
        return b & 0x3f, i + 1, False
    if kind == 1:
        return ((b & 0x3f) << 8) | p[i + 1], i + 2, False
    if kind == 3:
        return b & 0x3f, i + 1, True
    n = {0x80: 4, 0x81: 8}[b]
    return int.from_bytes(p[i + 1:i + 1 + n], "big"), i + 1 + n, False


def decode_string_payload(p):
    """Check a string DUMP payload (footer, checksum) and return its value."""
    assert len(p) >= 10
    assert int.from_bytes(p[-10:-8], "little") == 10
    assert int.from_bytes(p[-8:], "little") == crc64(p[:-8])
    assert p[0] == 0
    n, i, enc = read_len(p, 1)
    if not enc:
        value, i = p[i:i + n], i + n
    elif n in (0, 1, 2):
        width = 1 << n
        value = str(int.from_bytes(p[i:i + width], "little", signed=True)).encode()
        i += width
    else:
        assert n == 3
        clen, i, _ = read_len(p, i)
        size, i, _ = read_len(p, i)
        value, i = lzf_decompress(p[i:i + clen], size), i + clen
    assert i == len(p) - 10
    return value


def test_reference_decoder_agrees_with_captures():
    for v, hx in EXACT.items():
        p = bytes.fromhex(hx)
        if v == bytes(range(100)):
            p = frame(p[:-2])
        assert decode_string_payload(p) == v
    for v, hx in COMPRESSED.items():
        assert decode_string_payload(bytes.fromhex(hx)) == v


def exact_payload(v):
    p = bytes.fromhex(EXACT[v])
    return frame(p[:-2]) if v == bytes(range(100)) else p


# --------------------------------------------------------------------- DUMP

def test_dump_missing(raw, raw3):
    assert raw.raw("DUMP", "missing") == NIL
    assert raw3.raw("DUMP", "missing") == NULL3
    assert raw.raw("DUMP") == arity_err("dump")


@pytest.mark.parametrize("value", list(EXACT))
def test_dump_matches_redis_bytes(r, value):
    r.set("k", value)
    assert r.dump("k") == exact_payload(value)


@pytest.mark.parametrize("value", list(COMPRESSED) + list(COMPRESSED_SHA256))
def test_dump_compressed_is_redis_payload(r, value):
    r.set("k", value)
    p = r.dump("k")
    assert decode_string_payload(p) == value
    assert p[1] == 0xc3   # compressed, as Redis does for compressible strings over 20 bytes
    if value in COMPRESSED:
        assert p == bytes.fromhex(COMPRESSED[value])
    else:
        assert hashlib.sha256(p).hexdigest() == COMPRESSED_SHA256[value]


# The random value is seeded: pytest-xdist's workers must collect the same ids.
@pytest.mark.parametrize("value", [b"0123456789abcdefghijk", random.Random(64).randbytes(64),
                                   b"z" * 20], ids=["short", "random64", "z20"])
def test_dump_uncompressible_or_short_is_plain(r, value):
    r.set("k", value)
    p = r.dump("k")
    assert decode_string_payload(p) == value
    if value == b"z" * 20 or value == b"0123456789abcdefghijk":
        assert p == frame(b"\x00" + bytes([len(value)]) + value)


def test_dump_int_from_incr_and_append(r):
    r.incrby("n", 1000)
    assert r.dump("n") == exact_payload(b"1000")
    r.set("s", "12")
    r.append("s", "3")     # a raw string that looks like an integer
    assert decode_string_payload(r.dump("s")) == b"123"
    assert r.dump("s") == frame(b"\x00\xc0\x7b")


def test_dump_counts_a_hit(raw):
    raw.raw("SET", "k", "v")
    before = raw.value("INFO", "stats")
    raw.raw("DUMP", "k")
    raw.raw("DUMP", "missing")
    after = raw.value("INFO", "stats")

    def field(body, name):
        for line in body.decode().split("\r\n"):
            if line.startswith(name + ":"):
                return int(line.split(":")[1])
    assert field(after, "keyspace_hits") - field(before, "keyspace_hits") == 1
    assert field(after, "keyspace_misses") - field(before, "keyspace_misses") == 1


# ------------------------------------------------------------------ RESTORE

@pytest.mark.parametrize("value", list(EXACT) + list(COMPRESSED))
def test_restore_redis_payloads(r, value):
    p = exact_payload(value) if value in EXACT else bytes.fromhex(COMPRESSED[value])
    assert r.restore("k", 0, p) == b"OK"
    assert r.get("k") == value
    r.set("plain", value)
    assert r.object("encoding", "k") == r.object("encoding", "plain")


def test_restore_roundtrip_spread(raw, r):
    keys = spread_keys(200)
    values = [b"v%d" % i if i % 3 else b"x" * (50 + i) for i in range(len(keys))]
    r.mset(dict(zip(keys, values)))
    dumps = [r.dump(k) for k in keys]
    for k, d in zip(keys, dumps):
        assert raw.raw("RESTORE", "copy:" + k, "0", d) == OK
    assert r.mget(["copy:" + k for k in keys]) == values


def test_restore_ttl_and_absttl(raw, r):
    d = exact_payload(b"hello")
    assert raw.raw("RESTORE", "a", "100000", d) == OK
    pttl = raw.value("PTTL", "a")
    assert 99000 < pttl <= 100000
    assert raw.raw("RESTORE", "b", str(FAR_MS), d, "ABSTTL") == OK
    assert raw.raw("PEXPIRETIME", "b") == integer(FAR_MS)
    assert raw.raw("RESTORE", "c", "0", d, "ABSTTL") == OK
    assert raw.raw("TTL", "c") == integer(-1)
    # In the past: accepted, nothing created (an existing key is replaced by nothing).
    assert raw.raw("RESTORE", "d", "1", d, "ABSTTL") == OK
    assert raw.raw("EXISTS", "d") == integer(0)
    assert raw.raw("RESTORE", "c", "1", d, "ABSTTL", "REPLACE") == OK
    assert raw.raw("EXISTS", "c") == integer(0)
    # ttl + now overflows to the past (Redis's arithmetic wraps).
    assert raw.raw("RESTORE", "e", "9223372036854775807", d) == OK
    assert raw.raw("EXISTS", "e") == integer(0)
    assert raw.raw("RESTORE", "f", "9223372036854775807", d, "ABSTTL") == OK
    assert raw.raw("PEXPIRETIME", "f") == integer(9223372036854775807)


def test_restore_replace(raw):
    d = exact_payload(b"hello")
    assert raw.raw("SET", "k", "old", "PXAT", str(FAR_MS)) == OK
    assert raw.raw("RESTORE", "k", "0", d) == BUSYKEY
    assert raw.raw("RESTORE", "k", "0", d, "REPLACE") == OK
    assert raw.raw("GET", "k") == bulk("hello")
    assert raw.raw("TTL", "k") == integer(-1)
    assert raw.raw("RESTORE", "k", "0", d, "replace", "absttl", "REPLACE") == OK


def test_restore_expired_key_is_not_busy(raw):
    assert raw.raw("SET", "k", "old", "PX", "1") == OK
    time.sleep(0.02)
    assert raw.raw("RESTORE", "k", "0", exact_payload(b"5")) == OK
    assert raw.raw("GET", "k") == bulk("5")


def test_restore_error_order(raw):
    d = exact_payload(b"hello")
    assert raw.raw("SET", "a", "x") == OK
    # Options are parsed first, then an existing key, then the TTL, then the payload.
    assert raw.raw("RESTORE", "a", "x", b"junk", "foo") == SYNTAX
    assert raw.raw("RESTORE", "a", "x", b"junk") == BUSYKEY
    assert raw.raw("RESTORE", "a", "-1", d) == BUSYKEY
    assert raw.raw("RESTORE", "b", "x", b"junk") == NOT_INT
    assert raw.raw("RESTORE", "b", "-1", b"junk") == err("ERR Invalid TTL value, must be >= 0")
    assert raw.raw("RESTORE", "b", "0", b"junk") == BAD_PAYLOAD
    assert raw.raw("RESTORE", "a", "0", b"junk", "REPLACE") == BAD_PAYLOAD
    assert raw.raw("GET", "a") == bulk("x")
    assert raw.raw("RESTORE", "a", "0") == arity_err("restore")


@pytest.mark.parametrize("opts,reply", [
    (["IDLETIME", "-1"], "ERR Invalid IDLETIME value, must be >= 0"),
    (["IDLETIME", "x"], "ERR value is not an integer or out of range"),
    (["IDLETIME"], "ERR syntax error"),
    (["FREQ", "256"], "ERR Invalid FREQ value, must be >= 0 and <= 255"),
    (["FREQ", "-1"], "ERR Invalid FREQ value, must be >= 0 and <= 255"),
    (["FREQ", "x"], "ERR value is not an integer or out of range"),
    (["FREQ"], "ERR syntax error"),
    (["FREQ", "5", "IDLETIME", "5"], "ERR syntax error"),
    (["IDLETIME", "5", "FREQ", "5"], "ERR syntax error"),
    (["foo"], "ERR syntax error"),
])
def test_restore_option_errors(raw, opts, reply):
    assert raw.raw("RESTORE", "k", "0", exact_payload(b"hello"), *opts) == err(reply)
    assert raw.raw("EXISTS", "k") == integer(0)


def test_restore_idletime_and_freq(raw):
    d = exact_payload(b"hello")
    replies = raw.pipeline([["RESTORE", "a", "0", d, "IDLETIME", "1000"],
                            ["OBJECT", "IDLETIME", "a"],
                            ["RESTORE", "b", "0", d, "IDLETIME", "5", "IDLETIME", "7"],
                            ["OBJECT", "IDLETIME", "b"],
                            ["RESTORE", "c", "0", d, "FREQ", "100"],
                            ["OBJECT", "IDLETIME", "c"],
                            ["RESTORE", "d", "0", d],
                            ["OBJECT", "IDLETIME", "d"],
                            # Beyond the LRU clock's period (2^24 - 1 s) idle times
                            # wrap, with Redis's arithmetic (the same whatever the clock).
                            ["RESTORE", "e", "0", d, "IDLETIME", "16777215"],
                            ["OBJECT", "IDLETIME", "e"],
                            ["RESTORE", "f", "0", d, "IDLETIME", "33554430"],
                            ["OBJECT", "IDLETIME", "f"],
                            ["RESTORE", "g", "0", d, "IDLETIME", "16777217000"],
                            ["OBJECT", "IDLETIME", "g"],
                            ["RESTORE", "h", "0", d, "IDLETIME", "9223372036854775807"],
                            ["OBJECT", "IDLETIME", "h"]])
    assert [x[1] for x in replies] == [OK, integer(1000), OK, integer(7), OK, integer(0),
                                       OK, integer(0), OK, integer(0), OK, integer(16777214),
                                       OK, integer(1001), OK, integer(16777214)]


@pytest.mark.parametrize("case", ["truncated", "short", "empty", "bitflip", "version11",
                                  "version_high_byte"])
def test_restore_bad_checksum_or_version(raw, case):
    d = exact_payload(b"hello")
    p = {"truncated": d[:-1], "short": d[-9:], "empty": b"",
         "bitflip": d[:3] + bytes([d[3] ^ 1]) + d[4:],
         "version11": frame(b"\x00\x05hello", 11),
         "version_high_byte": frame(b"\x00\x05hello", 0x10a)}[case]
    assert raw.raw("RESTORE", "k", "0", p) == BAD_PAYLOAD
    assert raw.raw("EXISTS", "k") == integer(0)


@pytest.mark.parametrize("version", [0, 7, 9, 10])
def test_restore_older_versions(raw, version):
    assert raw.raw("RESTORE", "k", "0", frame(b"\x00\x05hello", version)) == OK
    assert raw.raw("GET", "k") == bulk("hello")


@pytest.mark.parametrize("body,value", [
    (b"\x00\x01ajunk", b"a"),                        # trailing bytes are ignored
    (b"\x00\x80\x00\x00\x00\x01a", b"a"),            # 32-bit length
    (b"\x00\x81\x00\x00\x00\x00\x00\x00\x00\x01a", b"a"),  # 64-bit length
    (b"\x00\x40\x01a", b"a"),                        # 14-bit length
    (b"\x00\xc1\x00\x80", b"-32768"),
    (b"\x00\xc2\x00\x00\x00\x80", b"-2147483648"),
    (b"\x00\xc3\x03\x02\x01ab", b"ab"),               # LZF of a literal run
    (b"\x00\xc3\x01\x00\x00", b""),                   # LZF announcing 0 bytes
    (b"\x00\xc3\x00\x00", b""),
    (b"\x00\xc3\x05\x40\x89\x00a\xe0\x7f\x00", b"a" * 137),  # a long back-reference
    (b"\x00\xc0", b"10"),          # the int8 is read from the footer (version 10)
])
def test_restore_unusual_encodings(r, body, value):
    assert r.restore("k", 0, frame(body)) == b"OK"
    assert r.get("k") == value


@pytest.mark.parametrize("body", [
    b"\x00\xc4",                       # unknown string encoding
    b"\x00\x82\x00\x00\x00\x01a",      # not a length
    b"\x00\x20ab",                     # longer than the payload
    b"\x00\xc3\x02\x05\x01ab",         # LZF shorter than announced
    b"\x00\xc3\x02\x05\x20\x05",       # LZF reference before the start
    b"\x00\xc3\xc3\x05\x01ab\x20\x00",  # LZF lengths that do not add up
    b"\x08\x01a", b"\x14\x01a", b"\xff\x01a",   # types Redis 7.0 does not know
    b"\x06\x01a", b"\x07\x01a",        # modules
    b"\x0f\x01a", b"\x13\x01a",        # streams with junk
    b"\x12\x01a", b"\x04\x05a",        # a list and a hash with junk
    b"",                               # nothing but the footer
])
def test_restore_bad_data(raw, body):
    assert raw.raw("RESTORE", "k", "0", frame(body)) == BAD_DATA
    assert raw.raw("EXISTS", "k") == integer(0)


def test_restore_bad_data_keeps_existing_key(raw):
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("RESTORE", "k", "0", frame(b"\x00\xc4"), "REPLACE") == BAD_DATA
    assert raw.raw("GET", "k") == bulk("v")


def test_restore_resp3(raw3):
    assert raw3.raw("RESTORE", "k", "0", exact_payload(b"5")) == OK
    assert raw3.raw("DUMP", "k") == bulk(exact_payload(b"5"))
    assert raw3.raw("RESTORE", "k", "0", exact_payload(b"5")) == BUSYKEY


# ------------------------------------------------------ live cross-check

LIVE_VALUES = [b"", b"x", b"42", b"-7", b"65536", b"12345678901234", b"not a number",
               b"a" * 21, b"b" * 1000, b"ab" * 777, bytes(range(256)), os.urandom(3000),
               b"-9223372036854775808", b"9223372036854775807", b"0" * 30, b"1" * 12]


@pytest.fixture(scope="module")
def peer():
    """A real Redis: KEVY_PEER_REDIS=host:port, else a redis-server started
    here when one is installed (CI installs it as the oracle)."""
    target = os.environ.get("KEVY_PEER_REDIS", "").strip()
    if target:
        host, _, port = target.rpartition(":")
        client = redis.Redis(host=host.strip("[]") or "127.0.0.1", port=int(port))
        yield client
        client.close()
        return
    binary = shutil.which("redis-server")
    if not binary:
        pytest.skip("no real Redis to cross-check with: set KEVY_PEER_REDIS=host:port or "
                    "install redis-server")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    workdir = tempfile.mkdtemp(prefix="kevy-peer-")
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", workdir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        yield client
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def test_live_cross_check(r, peer):
    """Every value's payload travels both ways between a real Redis and the
    server under test, and the server's own payload passes the decoder."""
    peer.delete("kevy:xcheck")
    for v in LIVE_VALUES:
        r.set("k", v)
        peer.set("kevy:xcheck", v)
        mine, theirs = r.dump("k"), peer.dump("kevy:xcheck")
        assert peer.restore("kevy:xcheck", 0, mine, replace=True) == b"OK"
        assert peer.get("kevy:xcheck") == v
        assert peer.object("encoding", "kevy:xcheck") == r.object("encoding", "k")
        assert r.restore("k2", 0, theirs, replace=True) == b"OK"
        assert r.get("k2") == v
        assert r.object("encoding", "k2") == peer.object("encoding", "kevy:xcheck")
        assert decode_string_payload(mine) == v
        assert mine == theirs   # byte-identical, compressed or not
    peer.delete("kevy:xcheck")
