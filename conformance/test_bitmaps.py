"""Bitmaps: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO.

Exact replies and error texts of Redis 7.0.15, its checking order (BITCOUNT
looks the key up before it parses the range, BITPOS parses the bit first,
BITFIELD parses every operation before touching the key), byte and bit
ranges checked against small Python models that real Redis also passes,
RESP3 nulls, and BITOP with its keys spread over shards."""

import random

import pytest

from helpers import NIL, NOT_INT, NULL3, OK, SYNTAX, arity_err, array, bulk, err, integer
from resp_client import RespClient

BAD_OFFSET = err("ERR bit offset is not an integer or out of range")
BAD_BIT = err("ERR bit is not an integer or out of range")
BAD_BITPOS_BIT = err("ERR The bit argument must be 1 or 0.")
BAD_TYPE = err("ERR Invalid bitfield type. Use something like i16 u8. "
               "Note that u64 is not supported but i64 is.")
BAD_OVERFLOW = err("ERR Invalid OVERFLOW type specified")
RO_ONLY_GET = err("ERR BITFIELD_RO only supports the GET subcommand")
NOT_ONE_KEY = err("ERR BITOP NOT must be called with a single source key.")


def ints(*values):
    return array(*[NIL if v is None else integer(v) for v in values])


def bit_at(data, pos):
    return (data[pos >> 3] >> (7 - (pos & 7))) & 1 if (pos >> 3) < len(data) else 0


def clamp(total, start, end):
    if start < 0:
        start += total
    if end < 0:
        end += total
    start = max(start, 0)
    end = max(end, 0)
    end = min(end, total - 1)
    return start, end


def bitcount_model(data, start, end, unit="BYTE"):
    if start < 0 and end < 0 and start > end:
        return 0
    isbit = unit.upper() == "BIT"
    s, e = clamp(len(data) * (8 if isbit else 1), start, end)
    if s > e:
        return 0
    if not isbit:
        s, e = s * 8, e * 8 + 7
    return sum(bit_at(data, p) for p in range(s, e + 1))


def bitpos_model(data, bit, start=None, end=None, unit="BYTE"):
    isbit = unit.upper() == "BIT"
    total = len(data) * (8 if isbit else 1)
    s, e = 0, len(data) - 1
    if start is not None:
        s, e = clamp(total, start, total - 1 if end is None else end)
    if s > e:
        return -1
    if not isbit:
        s, e = s * 8, e * 8 + 7
    for p in range(s, e + 1):
        if bit_at(data, p) == bit:
            return p
    if bit == 1 or end is not None:
        return -1
    return e + 1  # past the string: zero bits


# ------------------------------------------------------------ SETBIT / GETBIT

def test_setbit_getbit(raw):
    assert raw.raw("SETBIT", "k", "7", "1") == integer(0)
    assert raw.raw("GET", "k") == bulk(b"\x01")
    assert raw.raw("GETBIT", "k", "7") == integer(1)
    assert raw.raw("GETBIT", "k", "6") == integer(0)
    assert raw.raw("SETBIT", "k", "7", "1") == integer(1)
    assert raw.raw("SETBIT", "k", "7", "0") == integer(1)
    assert raw.raw("SETBIT", "k", "0", "1") == integer(0)
    assert raw.raw("GET", "k") == bulk(b"\x80")
    assert raw.raw("SETBIT", "k", "23", "1") == integer(0)
    assert raw.raw("GET", "k") == bulk(b"\x80\x00\x01")
    assert raw.raw("GETBIT", "k", "100") == integer(0)
    assert raw.raw("GETBIT", "k", "4294967295") == integer(0)
    assert raw.raw("GETBIT", "nokey", "5") == integer(0)
    assert raw.raw("EXISTS", "nokey") == integer(0)


def test_setbit_on_integer_value_and_ttl(raw):
    assert raw.raw("SET", "n", "1", "EX", "100") == OK
    assert raw.raw("GETBIT", "n", "2") == integer(1)  # '1' is 0x31
    assert raw.raw("GETBIT", "n", "7") == integer(1)
    assert raw.raw("SETBIT", "n", "6", "1") == integer(0)
    assert raw.raw("GET", "n") == bulk("3")
    assert raw.raw("TTL", "n") == integer(100)
    assert raw.raw("INCR", "n") == integer(4)


def test_setbit_grows_zero_filled(raw):
    assert raw.raw("SET", "k", "ab") == OK
    assert raw.raw("SETBIT", "k", "39", "1") == integer(0)
    assert raw.raw("GET", "k") == bulk(b"ab\x00\x00\x01")
    assert raw.raw("SETBIT", "k", "39", "0") == integer(1)
    assert raw.raw("GET", "k") == bulk(b"ab\x00\x00\x00")


@pytest.mark.parametrize("offset", ["-1", "a", "1.5", "", "4294967296", "99999999999999999999",
                                    b"1\x00", "#1"])
def test_bit_offset_errors(raw, offset):
    assert raw.raw("SETBIT", "k", offset, "1") == BAD_OFFSET
    assert raw.raw("SETBIT", "k", offset, "2") == BAD_OFFSET
    assert raw.raw("GETBIT", "k", offset) == BAD_OFFSET
    assert raw.raw("EXISTS", "k") == integer(0)


@pytest.mark.parametrize("value", ["2", "-1", "a", "", b"1\x00", "01", "1.0"])
def test_setbit_bit_errors(raw, value):
    assert raw.raw("SETBIT", "k", "4294967295", value) == BAD_BIT
    assert raw.raw("SETBIT", "k", "0", value) == BAD_BIT
    assert raw.raw("EXISTS", "k") == integer(0)


def test_setbit_arity(raw):
    assert raw.raw("SETBIT", "k", "1") == arity_err("setbit")
    assert raw.raw("GETBIT", "k") == arity_err("getbit")


def test_bit_limits_follow_proto_max_bulk_len(server_factory):
    srv = server_factory("--proto-max-bulk-len", "1mb")
    last = 8 * 1024 * 1024 - 1
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("SETBIT", "k", str(last + 1), "1") == BAD_OFFSET
        assert c.raw("GETBIT", "k", str(last + 1)) == BAD_OFFSET
        assert c.raw("SETBIT", "k", str(last), "1") == integer(0)
        assert c.raw("STRLEN", "k") == integer(1024 * 1024)
        assert c.raw("GETBIT", "k", str(last)) == integer(1)
        assert c.raw("BITCOUNT", "k") == integer(1)
        assert c.raw("BITPOS", "k", "1") == integer(last)
        assert c.raw("BITFIELD", "k", "GET", "u8", "#1048575") == ints(1)
        assert c.raw("BITFIELD", "k", "GET", "u8", "#1048576") == BAD_OFFSET
        assert c.raw("BITFIELD", "k", "GET", "u1", str(last)) == ints(1)
        assert c.raw("BITFIELD", "j", "SET", "u8", str(last - 7), "255") == ints(0)
        assert c.raw("BITFIELD", "j", "SET", "u8", str(last - 6), "1") == ints(254)
        assert c.raw("STRLEN", "j") == integer(1024 * 1024 + 1)


# ------------------------------------------------------------------ BITCOUNT

BITCOUNT_CASES = [
    ((), 26), (("0", "0"), 4), (("1", "1"), 6), (("1", "1", "BYTE"), 6),
    (("5", "30", "BIT"), 17), (("-1", "-2"), 0), (("-1", "-2", "foo"), 0),
    (("-100", "-1"), 26), (("0", "-100"), 4), (("0", "100", "bit"), 26),
    (("-1", "-1", "bit"), 0), (("-1", "-1"), 4),
    (("9223372036854775807", "-9223372036854775808"), 0),
    (("-9223372036854775808", "9223372036854775807"), 26),
    (("0", "-1", "bYtE"), 26), (("0", "-1", b"bit\x00x"), 26), (("7", "7", "BIT"), 0),
    (("1", "6", "bit"), 4), (("8", "8", "bit"), 0), (("9", "15", "BIT"), 6),
    (("-8", "-1", "BIT"), 4), (("10", "5"), 0),
]


@pytest.mark.parametrize("args,want", BITCOUNT_CASES, ids=[" ".join(map(repr, a)) for a, _ in BITCOUNT_CASES])
def test_bitcount(raw, args, want):
    assert raw.raw("SET", "s", "foobar") == OK
    assert raw.raw("BITCOUNT", "s", *args) == integer(want)


def test_bitcount_missing_key_answers_zero_to_anything(raw):
    for args in [(), ("a", "b"), ("1",), ("1", "2", "3", "4"), ("1", "2", "foo")]:
        assert raw.raw("BITCOUNT", "nokey", *args) == integer(0)


def test_bitcount_errors(raw):
    assert raw.raw("SET", "s", "foobar") == OK
    assert raw.raw("BITCOUNT", "s", "1") == SYNTAX
    assert raw.raw("BITCOUNT", "s", "1", "2", "3") == SYNTAX
    assert raw.raw("BITCOUNT", "s", "1", "2", "foo") == SYNTAX
    assert raw.raw("BITCOUNT", "s", "1", "2", "BIT", "x") == SYNTAX
    assert raw.raw("BITCOUNT", "s", "a", "2") == NOT_INT
    assert raw.raw("BITCOUNT", "s", "1", "a") == NOT_INT
    assert raw.raw("BITCOUNT", "s", "a", "2", "foo") == NOT_INT
    assert raw.raw("BITCOUNT") == arity_err("bitcount")


def test_bitcount_empty_and_integer_values(raw):
    assert raw.raw("SET", "e", "") == OK
    assert raw.raw("BITCOUNT", "e") == integer(0)
    assert raw.raw("BITCOUNT", "e", "0", "-1") == integer(0)
    assert raw.raw("BITCOUNT", "e", "0", "0", "BIT") == integer(0)
    assert raw.raw("SET", "n", "1234") == OK
    assert raw.raw("BITCOUNT", "n") == integer(13)


def test_bitcount_random_against_model(raw):
    rnd = random.Random(3)
    for _ in range(40):
        data = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 40)))
        assert raw.raw("SET", "s", data) == OK
        assert raw.raw("BITCOUNT", "s") == integer(sum(bin(b).count("1") for b in data))
        for _ in range(10):
            unit = rnd.choice(["BYTE", "BIT"])
            span = len(data) * (8 if unit == "BIT" else 1)
            start = rnd.randint(-span - 3, span + 3)
            end = rnd.randint(-span - 3, span + 3)
            want = bitcount_model(data, start, end, unit)
            assert raw.raw("BITCOUNT", "s", str(start), str(end), unit) == integer(want)
            if unit == "BYTE":
                assert raw.raw("BITCOUNT", "s", str(start), str(end)) == integer(want)


def test_bitcount_large_value(raw):
    data = bytes(range(256)) * 300 + b"\xff" * 7
    assert raw.raw("SET", "s", data) == OK
    assert raw.raw("BITCOUNT", "s") == integer(1024 * 300 + 56)
    assert raw.raw("BITCOUNT", "s", "3", "-5") == integer(bitcount_model(data, 3, -5))
    assert raw.raw("BITCOUNT", "s", "13", "-13", "BIT") == integer(
        bitcount_model(data, 13, -13, "BIT"))


# -------------------------------------------------------------------- BITPOS

BITPOS_CASES = [
    (b"\xff\xf0\x00", ("0",), 12), (b"\xff\xf0\x00", ("1",), 0),
    (b"\xff\xf0\x00", ("1", "0", "-1", "bit"), 0), (b"\xff\xf0\x00", ("0", "0", "-1", "BIT"), 12),
    (b"\xff\xf0\x00", ("0", "2"), 16), (b"\xff\xf0\x00", ("0", "2", "2"), 16),
    (b"\xff\xf0\x00", ("1", "2"), -1), (b"\xff\xf0\x00", ("0", "3"), -1),
    (b"\xff\xf0\x00", ("0", "1", "1"), 12), (b"\xff\xf0\x00", ("1", "1", "1"), 8),
    (b"\xff\xf0\x00", ("0", "0", "-1", b"bit\x00x"), 12),
    (b"\xff\xff\xff", ("0",), 24), (b"\xff\xff\xff", ("0", "1"), 24),
    (b"\xff\xff\xff", ("0", "1", "-1"), -1), (b"\xff\xff\xff", ("0", "0", "-1", "bit"), -1),
    (b"\xff\xff\xff", ("0", "3", "23", "bit"), -1), (b"\xff\xff\xff", ("0", "-1"), 24),
    (b"\x00\x00\x00", ("1",), -1), (b"\x00\x00\x00", ("1", "0", "-1", "bit"), -1),
    (b"\x00\x00\x00", ("0", "5", "7", "bit"), 5), (b"\x00\x00\x00", ("0",), 0),
    (b"\x00\x00\x01", ("1", "-1"), 23), (b"\x00\x00\x01", ("1", "20", "22", "BIT"), -1),
    (b"\x00\x00\x01", ("1", "20", "23", "BIT"), 23), (b"\x00\x80\x00", ("1", "-16", "-9", "bit"), 8),
    (b"", ("0",), -1), (b"", ("1",), -1), (b"", ("0", "0"), -1), (b"", ("0", "0", "-1"), -1),
    (b"", ("0", "0", "-1", "bit"), -1), (b"1", ("1",), 2), (b"1", ("0",), 0),
    (b"\xff\xf0\x00", ("0", "9223372036854775807"), -1),
    (b"\xff\xf0\x00", ("0", "-9223372036854775808", "9223372036854775807"), 12),
]


@pytest.mark.parametrize("data,args,want", BITPOS_CASES,
                         ids=["%r %s" % (d, " ".join(map(repr, a))) for d, a, _ in BITPOS_CASES])
def test_bitpos(raw, data, args, want):
    assert raw.raw("SET", "s", data) == OK
    assert raw.raw("BITPOS", "s", *args) == integer(want)


def test_bitpos_missing_key(raw):
    assert raw.raw("BITPOS", "nokey", "1") == integer(-1)
    assert raw.raw("BITPOS", "nokey", "0") == integer(0)
    # The range is not even parsed.
    assert raw.raw("BITPOS", "nokey", "1", "a", "b", "c", "d") == integer(-1)
    assert raw.raw("BITPOS", "nokey", "0", "1", "2", "3", "4") == integer(0)


def test_bitpos_errors(raw):
    assert raw.raw("BITPOS", "nokey", "2") == BAD_BITPOS_BIT
    assert raw.raw("BITPOS", "nokey", "-1") == BAD_BITPOS_BIT
    assert raw.raw("BITPOS", "nokey", "a") == NOT_INT
    assert raw.raw("SET", "s", "abc") == OK
    assert raw.raw("BITPOS", "s", "2", "0") == BAD_BITPOS_BIT
    assert raw.raw("BITPOS", "s", "1", "a") == NOT_INT
    assert raw.raw("BITPOS", "s", "1", "0", "a") == NOT_INT
    assert raw.raw("BITPOS", "s", "1", "0", "1", "foo") == SYNTAX
    assert raw.raw("BITPOS", "s", "1", "a", "1", "foo") == NOT_INT
    assert raw.raw("BITPOS", "s", "1", "0", "a", "foo") == SYNTAX
    assert raw.raw("BITPOS", "s", "1", "0", "a", "BIT") == NOT_INT
    assert raw.raw("BITPOS", "s", "0", "0", "BIT") == NOT_INT
    assert raw.raw("BITPOS", "s", "1", "0", "1", "2", "3") == SYNTAX
    assert raw.raw("BITPOS", "s") == arity_err("bitpos")


def test_bitpos_random_against_model(raw):
    rnd = random.Random(5)
    for _ in range(40):
        fill = rnd.choice([0x00, 0xff, None])
        data = bytes(rnd.randrange(256) if fill is None or rnd.random() < 0.1 else fill
                     for _ in range(rnd.randint(1, 30)))
        assert raw.raw("SET", "s", data) == OK
        for bit in (0, 1):
            assert raw.raw("BITPOS", "s", str(bit)) == integer(bitpos_model(data, bit))
            for _ in range(6):
                unit = rnd.choice(["BYTE", "BIT"])
                span = len(data) * (8 if unit == "BIT" else 1)
                start = rnd.randint(-span - 2, span + 2)
                end = rnd.randint(-span - 2, span + 2)
                assert raw.raw("BITPOS", "s", str(bit), str(start)) == integer(
                    bitpos_model(data, bit, start))
                assert raw.raw("BITPOS", "s", str(bit), str(start), str(end), unit) == integer(
                    bitpos_model(data, bit, start, end, unit))


def test_bitpos_long_runs(raw):
    data = b"\x00" * 1000 + b"\x10" + b"\xff" * 1000 + b"\xfe"
    assert raw.raw("SET", "s", data) == OK
    assert raw.raw("BITPOS", "s", "1") == integer(8003)
    assert raw.raw("BITPOS", "s", "1", "1001") == integer(8008)
    assert raw.raw("BITPOS", "s", "0", "1001") == integer(16015)
    assert raw.raw("BITPOS", "s", "0", "1001", "2000") == integer(-1)
    assert raw.raw("BITPOS", "s", "0", "8009", "16014", "BIT") == integer(-1)
    assert raw.raw("BITPOS", "s", "0", "8009", "16015", "BIT") == integer(16015)
    assert raw.raw("BITPOS", "s", "1", "3", "8002", "BIT") == integer(-1)


# --------------------------------------------------------------------- BITOP

def test_bitop_operations(raw):
    assert raw.raw("SET", "s1", b"\xff\x0f") == OK
    assert raw.raw("SET", "s2", b"\xf0") == OK
    assert raw.raw("BITOP", "AND", "d", "s1", "s2") == integer(2)
    assert raw.raw("GET", "d") == bulk(b"\xf0\x00")
    assert raw.raw("BITOP", "or", "d", "s1", "s2") == integer(2)
    assert raw.raw("GET", "d") == bulk(b"\xff\x0f")
    assert raw.raw("BITOP", "Xor", "d", "s1", "s2") == integer(2)
    assert raw.raw("GET", "d") == bulk(b"\x0f\x0f")
    assert raw.raw("BITOP", "NOT", "d", "s1") == integer(2)
    assert raw.raw("GET", "d") == bulk(b"\x00\xf0")
    assert raw.raw("BITOP", "not", "d", "s2") == integer(1)
    assert raw.raw("GET", "d") == bulk(b"\x0f")
    assert raw.raw("BITOP", "AND", "d", "s1") == integer(2)
    assert raw.raw("GET", "d") == bulk(b"\xff\x0f")
    assert raw.raw("BITOP", b"and\x00junk", "d", "s2") == integer(1)


def test_bitop_missing_sources(raw):
    assert raw.raw("SET", "s1", b"\xff\x0f") == OK
    assert raw.raw("BITOP", "AND", "d", "s1", "nokey") == integer(2)
    assert raw.raw("GET", "d") == bulk(b"\x00\x00")
    assert raw.raw("BITOP", "OR", "d", "nokey", "s1") == integer(2)
    assert raw.raw("GET", "d") == bulk(b"\xff\x0f")
    assert raw.raw("BITOP", "XOR", "d", "s1", "nokey", "s1") == integer(2)
    assert raw.raw("GET", "d") == bulk(b"\x00\x00")


def test_bitop_empty_result_deletes_destination(raw):
    assert raw.raw("SET", "d", "foo") == OK
    assert raw.raw("BITOP", "AND", "d", "nokey") == integer(0)
    assert raw.raw("EXISTS", "d") == integer(0)
    assert raw.raw("SET", "d", "foo") == OK
    assert raw.raw("SET", "e", "") == OK
    assert raw.raw("BITOP", "OR", "d", "e", "nokey") == integer(0)
    assert raw.raw("EXISTS", "d") == integer(0)
    assert raw.raw("BITOP", "NOT", "d", "e") == integer(0)
    assert raw.raw("EXISTS", "d") == integer(0)


def test_bitop_destination_loses_ttl(raw):
    assert raw.raw("SET", "d", "x", "EX", "100") == OK
    assert raw.raw("SET", "s", "ab") == OK
    assert raw.raw("BITOP", "OR", "d", "s") == integer(2)
    assert raw.raw("TTL", "d") == integer(-1)
    assert raw.raw("GET", "d") == bulk("ab")


def test_bitop_destination_is_a_source(raw):
    assert raw.raw("SET", "d", b"\x0f\x0f") == OK
    assert raw.raw("SET", "s", b"\xff") == OK
    assert raw.raw("BITOP", "XOR", "d", "d", "s") == integer(2)
    assert raw.raw("GET", "d") == bulk(b"\xf0\x0f")
    assert raw.raw("BITOP", "NOT", "d", "d") == integer(2)
    assert raw.raw("GET", "d") == bulk(b"\x0f\xf0")


def test_bitop_integer_values(raw):
    assert raw.raw("SET", "n", "1") == OK
    assert raw.raw("BITOP", "NOT", "d", "n") == integer(1)
    assert raw.raw("GET", "d") == bulk(b"\xce")
    assert raw.raw("SET", "m", "12") == OK
    assert raw.raw("BITOP", "OR", "d", "n", "m") == integer(2)
    assert raw.raw("GET", "d") == bulk(b"\x312")


def test_bitop_errors(raw):
    assert raw.raw("SET", "d", "keep") == OK
    assert raw.raw("BITOP", "foo", "d", "a") == SYNTAX
    assert raw.raw("BITOP", b"an", "d", "a") == SYNTAX
    assert raw.raw("BITOP", "NOT", "d", "a", "b") == NOT_ONE_KEY
    assert raw.raw("BITOP", "AND") == arity_err("bitop")
    assert raw.raw("BITOP", "AND", "d") == arity_err("bitop")
    assert raw.raw("BITOP", "NOT", "d") == arity_err("bitop")
    assert raw.raw("GET", "d") == bulk("keep")


def bitop_model(op, values):
    n = max([len(v) for v in values] + [0])
    padded = [v + b"\x00" * (n - len(v)) for v in values]
    out = bytearray(padded[0]) if padded else bytearray()
    if op == "NOT":
        return bytes(~b & 0xff for b in out)
    for v in padded[1:]:
        for i in range(n):
            if op == "AND":
                out[i] &= v[i]
            elif op == "OR":
                out[i] |= v[i]
            else:
                out[i] ^= v[i]
    return bytes(out)


def test_bitop_keys_on_many_shards(raw):
    rnd = random.Random(9)
    values = {}
    for i in range(30):
        if i % 5 != 4:
            v = bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 12)))
            values["src:{%d}" % i] = v
            assert raw.raw("SET", "src:{%d}" % i, v) == OK
    for t in range(30):
        op = rnd.choice(["AND", "OR", "XOR", "NOT"])
        n = 1 if op == "NOT" else rnd.randint(1, 6)
        srcs = ["src:{%d}" % rnd.randrange(30) for _ in range(n)]
        dest = "dst:{%d}" % (t * 13)
        if t % 3 == 0:
            assert raw.raw("SET", dest, "old", "EX", "100") == OK
        want = bitop_model(op, [values.get(s, b"") for s in srcs])
        assert raw.raw("BITOP", op, dest, *srcs) == integer(len(want))
        if want:
            assert raw.raw("GET", dest) == bulk(want)
            assert raw.raw("TTL", dest) == integer(-1)
        else:
            assert raw.raw("EXISTS", dest) == integer(0)


def test_bitop_errors_across_shards(raw):
    assert raw.raw("SET", "dst:{1}", "keep") == OK
    assert raw.raw("BITOP", "NOT", "dst:{1}", "src:{2}", "src:{3}") == NOT_ONE_KEY
    assert raw.raw("BITOP", "nand", "dst:{1}", "src:{2}", "src:{3}") == SYNTAX
    assert raw.raw("GET", "dst:{1}") == bulk("keep")


def test_bitop_large_values(raw):
    a = bytes(range(256)) * 64
    b = b"\xaa" * 10000
    assert raw.raw("SET", "a:{1}", a) == OK
    assert raw.raw("SET", "b:{2}", b) == OK
    for op in ("AND", "OR", "XOR"):
        want = bitop_model(op, [a, b])
        assert raw.raw("BITOP", op, "d:{3}", "a:{1}", "b:{2}") == integer(len(a))
        assert raw.raw("GET", "d:{3}") == bulk(want)


# ------------------------------------------------------------------ BITFIELD

def test_bitfield_no_operations(raw):
    assert raw.raw("BITFIELD", "k") == b"*0\r\n"
    assert raw.raw("BITFIELD", "k", "OVERFLOW", "SAT") == b"*0\r\n"
    assert raw.raw("BITFIELD_RO", "k") == b"*0\r\n"
    assert raw.raw("EXISTS", "k") == integer(0)


def test_bitfield_get_set_incrby(raw):
    assert raw.raw("BITFIELD", "k", "SET", "u8", "0", "200", "GET", "u8", "0",
                   "GET", "i8", "0", "INCRBY", "u8", "0", "10", "GET", "u4", "4") == \
        ints(0, 200, -56, 210, 2)
    assert raw.raw("GET", "k") == bulk(b"\xd2")
    assert raw.raw("BITFIELD", "k", "SET", "i16", "#1", "-2", "GET", "u16", "#1") == \
        ints(0, 65534)
    assert raw.raw("GET", "k") == bulk(b"\xd2\x00\xff\xfe")
    assert raw.raw("BITFIELD", "k", "GET", "u1", "0", "GET", "u3", "5", "GET", "i3", "5") == \
        ints(1, 2, 2)


def test_bitfield_examples_from_the_docs(raw):
    assert raw.raw("BITFIELD", "mykey", "INCRBY", "i5", "100", "1", "GET", "u4", "0") == ints(1, 0)
    assert raw.raw("BITFIELD", "mykey", "incrby", "u2", "100", "1", "OVERFLOW", "SAT",
                   "incrby", "u2", "102", "1") == ints(1, 1)
    for want in [(2, 2), (3, 3), (0, 3), (1, 3)]:
        assert raw.raw("BITFIELD", "mykey", "incrby", "u2", "100", "1", "OVERFLOW", "SAT",
                       "incrby", "u2", "102", "1") == ints(*want)
    assert raw.raw("BITFIELD", "mykey", "OVERFLOW", "FAIL", "incrby", "u2", "102", "1") == \
        ints(None)


def test_bitfield_overflow_modes(raw):
    assert raw.raw("BITFIELD", "k", "OVERFLOW", "SAT", "SET", "u8", "0", "-1",
                   "GET", "u8", "0") == ints(0, 255)
    assert raw.raw("BITFIELD", "k", "OVERFLOW", "WRAP", "SET", "u8", "0", "-1") == ints(255)
    assert raw.raw("BITFIELD", "k", "OVERFLOW", "SAT", "SET", "i8", "0", "-1000",
                   "GET", "i8", "0") == ints(-1, -128)
    assert raw.raw("BITFIELD", "k", "overflow", "sat", "set", "i8", "0", "1000") == ints(-128)
    assert raw.raw("BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "i8", "0", "1000",
                   "GET", "i8", "0") == ints(None, 127)
    assert raw.raw("BITFIELD", "k", "INCRBY", "i8", "0", "1") == ints(-128)
    assert raw.raw("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "100") == ints(-28)
    assert raw.raw("BITFIELD", "k", "OVERFLOW", "WRAP", "INCRBY", "i8", "0", "100") == ints(72)
    assert raw.raw("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "i8", "0", "-200") == ints(-128)
    assert raw.raw("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "i8", "0", "-200",
                   "OVERFLOW", "WRAP", "INCRBY", "i8", "0", "-200") == ints(None, -72)
    assert raw.raw("BITFIELD", "k", "INCRBY", "u2", "100", "1", "INCRBY", "u2", "100", "1",
                   "INCRBY", "u2", "100", "1", "INCRBY", "u2", "100", "1") == ints(1, 2, 3, 0)


def test_bitfield_64_bit_edges(raw):
    assert raw.raw("BITFIELD", "k", "SET", "i64", "0", "-9223372036854775808", "GET", "i64", "0",
                   "GET", "u63", "0", "GET", "u63", "1") == \
        ints(0, -9223372036854775808, 4611686018427387904, 0)
    assert raw.raw("BITFIELD", "k", "INCRBY", "i64", "0", "-1") == ints(9223372036854775807)
    assert raw.raw("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "-1") == \
        ints(9223372036854775806)
    assert raw.raw("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i64", "0",
                   "9223372036854775807") == ints(9223372036854775807)
    assert raw.raw("BITFIELD", "k", "OVERFLOW", "WRAP", "INCRBY", "i64", "0",
                   "9223372036854775807") == ints(-2)
    assert raw.raw("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i64", "0",
                   "-9223372036854775808") == ints(-9223372036854775808)
    assert raw.raw("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "i64", "0", "-1") == ints(None)
    assert raw.raw("BITFIELD", "k", "OVERFLOW", "SAT", "SET", "u63", "0", "-1",
                   "GET", "u63", "0") == ints(4611686018427387904, 9223372036854775807)
    assert raw.raw("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "u63", "0",
                   "9223372036854775807") == ints(9223372036854775807)
    assert raw.raw("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u63", "0", "1") == ints(None)
    assert raw.raw("BITFIELD", "k", "OVERFLOW", "WRAP", "INCRBY", "u63", "0", "1") == ints(0)
    assert raw.raw("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "u63", "0",
                   "-9223372036854775808") == ints(0)
    assert raw.raw("BITFIELD", "k", "OVERFLOW", "WRAP", "INCRBY", "u63", "0",
                   "-9223372036854775808") == ints(0)
    assert raw.raw("BITFIELD", "k", "OVERFLOW", "WRAP", "INCRBY", "u63", "0",
                   "-1") == ints(9223372036854775807)
    assert raw.raw("BITFIELD", "k", "INCRBY", "i1", "0", "1", "INCRBY", "i1", "0", "1",
                   "INCRBY", "u1", "0", "1") == ints(0, -1, 0)


def test_bitfield_fail_still_grows_the_string(raw):
    assert raw.raw("BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u8", "100", "300") == ints(None)
    assert raw.raw("EXISTS", "k") == integer(1)
    assert raw.raw("STRLEN", "k") == integer(14)
    assert raw.raw("BITFIELD", "q", "SET", "u8", "#2", "1") == ints(0)
    assert raw.raw("STRLEN", "q") == integer(3)
    assert raw.raw("BITFIELD", "q", "OVERFLOW", "FAIL", "INCRBY", "u8", "#10", "1000") == ints(None)
    assert raw.raw("STRLEN", "q") == integer(11)
    assert raw.raw("BITFIELD", "q", "GET", "u8", "#100") == ints(0)
    assert raw.raw("STRLEN", "q") == integer(11)


def test_bitfield_resp3_null(raw3):
    assert raw3.raw("BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u8", "0", "300") == \
        b"*1\r\n_\r\n"
    assert raw3.raw("BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u8", "0", "3",
                    "INCRBY", "u8", "0", "-4", "GET", "u8", "0") == b"*3\r\n:0\r\n_\r\n:3\r\n"


def test_bitfield_integer_value(raw):
    assert raw.raw("SET", "n", "255") == OK
    assert raw.raw("BITFIELD", "n", "GET", "u8", "0", "GET", "u16", "0", "GET", "i24", "0") == \
        ints(50, 12853, 3290421)
    assert raw.raw("BITFIELD", "n", "GET", "u8", "0", "SET", "u8", "0", "49") == ints(50, 50)
    assert raw.raw("GET", "n") == bulk("155")
    assert raw.raw("INCR", "n") == integer(156)


def test_bitfield_keeps_ttl(raw):
    assert raw.raw("SET", "k", "abc", "EX", "100") == OK
    assert raw.raw("BITFIELD", "k", "SET", "u8", "0", "65") == ints(97)
    assert raw.raw("GET", "k") == bulk("Abc")
    assert raw.raw("TTL", "k") == integer(100)


TYPE_ERRORS = ["I8", "i0", "i65", "u64", "u0", "x8", "i", "u", "", "i+8", "i08", "i-1", "8",
               "i 8", "u9999999999999999999999"]


@pytest.mark.parametrize("t", TYPE_ERRORS)
def test_bitfield_type_errors(raw, t):
    assert raw.raw("BITFIELD", "k", "GET", t, "0") == BAD_TYPE
    assert raw.raw("BITFIELD", "k", "SET", t, "0", "1") == BAD_TYPE
    assert raw.raw("BITFIELD_RO", "k", "GET", t, "0") == BAD_TYPE
    assert raw.raw("EXISTS", "k") == integer(0)


def test_bitfield_types_read_as_c_strings(raw):
    assert raw.raw("SET", "k", b"\xff") == OK
    assert raw.raw("BITFIELD", "k", "GET", b"i8\x00x", "0", "GET", "u63", "0",
                   "GET", "i64", "0", "GET", "i1", "0") == ints(-1, 0x7f80000000000000,
                                                              -72057594037927936, -1)


@pytest.mark.parametrize("offset", ["-1", "#-1", "4294967296", "#536870912", "#", "##1", "abc",
                                    b"0\x00", "1.5", " 1", "#4294967296"])
def test_bitfield_offset_errors(raw, offset):
    assert raw.raw("BITFIELD", "k", "GET", "i8", offset) == BAD_OFFSET
    assert raw.raw("BITFIELD", "k", "SET", "i8", offset, "1") == BAD_OFFSET
    assert raw.raw("EXISTS", "k") == integer(0)


def test_bitfield_offsets(raw):
    assert raw.raw("BITFIELD", "k", "GET", "i8", "#1", "GET", "i8", "4294967295",
                   "GET", "u1", "4294967295", "GET", "i8", "#536870911") == ints(0, 0, 0, 0)
    # "#n" is n * bits in wrapping 64-bit arithmetic, as Redis computes it.
    assert raw.raw("BITFIELD", "k", "GET", "i64", "#2305843009213693952") == ints(0)
    assert raw.raw("EXISTS", "k") == integer(0)


def test_bitfield_syntax_errors(raw):
    for args in [("GET",), ("GET", "i8"), ("GET", "i8", "0", "foo"), ("foo",),
                 ("SET", "i8", "0"), ("INCRBY", "i8", "0"), ("OVERFLOW",),
                 ("GET", "i8", "0", "OVERFLOW"), (b"get\x01", "i8", "0")]:
        assert raw.raw("BITFIELD", "k", *args) == SYNTAX
    assert raw.raw("BITFIELD", "k", "OVERFLOW", "foo") == BAD_OVERFLOW
    assert raw.raw("BITFIELD", "k", "OVERFLOW", "foo", "GET", "i8", "0") == BAD_OVERFLOW
    assert raw.raw("BITFIELD", "k", "GET", "i8", "0", "OVERFLOW", "foo") == BAD_OVERFLOW
    assert raw.raw("BITFIELD", "k", "OVERFLOW", b"sat\x00x", "GET", "i8", "0") == ints(0)
    for v in ["abc", "1.5", "99999999999999999999", ""]:
        assert raw.raw("BITFIELD", "k", "SET", "i8", "0", v) == NOT_INT
        assert raw.raw("BITFIELD", "k", "INCRBY", "i8", "0", v) == NOT_INT
    # A later operation's error stops everything, including earlier writes.
    assert raw.raw("BITFIELD", "k", "SET", "u8", "0", "1", "GET", "u8", "x") == BAD_OFFSET
    assert raw.raw("EXISTS", "k") == integer(0)
    assert raw.raw("BITFIELD") == arity_err("bitfield")


def test_bitfield_ro(raw, raw3):
    assert raw.raw("SET", "k", b"\x80\x01") == OK
    assert raw.raw("BITFIELD_RO", "k", "GET", "u1", "0", "GET", "i16", "0",
                   "GET", "u8", "100") == ints(1, -32767, 0)
    assert raw.raw("BITFIELD_RO", "k", "OVERFLOW", "SAT", "GET", "i8", "0") == ints(-128)
    assert raw.raw("BITFIELD_RO", "nokey", "GET", "u4", "0") == ints(0)
    assert raw.raw("BITFIELD_RO", "k", "GET", "i8", "0", "SET", "i8", "0", "1") == RO_ONLY_GET
    assert raw.raw("BITFIELD_RO", "k", "INCRBY", "i8", "0", "1") == RO_ONLY_GET
    assert raw3.raw("BITFIELD_RO", "k", "SET", "i8", "0", "1") == RO_ONLY_GET
    assert raw.raw("BITFIELD_RO", "k", "foo") == SYNTAX
    assert raw.raw("BITFIELD_RO", "k", "SET", "i8", "0", "abc") == NOT_INT
    assert raw.raw("GET", "k") == bulk(b"\x80\x01")
    assert raw.raw("EXISTS", "nokey") == integer(0)
    assert raw.raw("BITFIELD_RO") == arity_err("bitfield_ro")


class BitfieldModel:
    """Redis's bitfield arithmetic over a Python bytearray."""

    def __init__(self):
        self.data = bytearray()

    def get(self, off, bits, signed):
        v = 0
        for p in range(off, off + bits):
            v = (v << 1) | bit_at(self.data, p)
        if signed and v >> (bits - 1):
            v -= 1 << bits
        return v

    def put(self, off, bits, v):
        need = (off + bits - 1) // 8 + 1
        if len(self.data) < need:
            self.data.extend(b"\x00" * (need - len(self.data)))
        v &= (1 << bits) - 1
        for i, p in enumerate(range(off, off + bits)):
            b = (v >> (bits - 1 - i)) & 1
            if b:
                self.data[p >> 3] |= 0x80 >> (p & 7)
            else:
                self.data[p >> 3] &= ~(0x80 >> (p & 7)) & 0xff

    @staticmethod
    def fit(value, bits, signed, ow):
        lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
        if lo <= value <= hi:
            return value, False
        if ow == "FAIL":
            return None, True
        if ow == "SAT":
            return (hi if value > hi else lo), True
        value &= (1 << bits) - 1
        if signed and value >> (bits - 1):
            value -= 1 << bits
        return value, True

    def op(self, kind, off, bits, signed, arg, ow):
        need = (off + bits - 1) // 8 + 1
        if kind != "GET" and len(self.data) < need:
            self.data.extend(b"\x00" * (need - len(self.data)))
        old = self.get(off, bits, signed)
        if kind == "GET":
            return old
        if kind == "SET":
            target = arg
            if not signed and arg < 0:  # Redis sees a huge unsigned value
                target = arg + (1 << 64)
            new, ovf = self.fit(target, bits, signed, ow)
            ret = old
        else:
            new, ovf = self.fit(old + arg, bits, signed, ow)
            ret = new
        if new is None:
            return None
        self.put(off, bits, new)
        return ret


def test_bitfield_random_against_model(raw):
    rnd = random.Random(21)
    model = BitfieldModel()
    for _ in range(120):
        args, want = [], []
        ow = "WRAP"
        for _ in range(rnd.randint(1, 4)):
            if rnd.random() < 0.3:
                ow = rnd.choice(["WRAP", "SAT", "FAIL"])
                args += ["OVERFLOW", ow]
            signed = rnd.random() < 0.5
            bits = rnd.randint(1, 64 if signed else 63)
            off = rnd.randint(0, 100)
            kind = rnd.choice(["GET", "SET", "INCRBY"])
            typ = ("i" if signed else "u") + str(bits)
            if kind == "GET":
                args += ["GET", typ, str(off)]
                want.append(("GET", off, bits, signed, 0, ow))
            else:
                arg = rnd.choice([rnd.randint(-300, 300), rnd.randint(-(1 << 63), (1 << 63) - 1),
                                  (1 << min(bits, 63)) - 1, -(1 << (bits - 1))])
                args += [kind, typ, str(off), str(arg)]
                want.append((kind, off, bits, signed, arg, ow))
        expected = [model.op(*w) for w in want]
        assert raw.raw("BITFIELD", "k", *args) == ints(*expected)
        if model.data:
            assert raw.raw("GET", "k") == bulk(bytes(model.data))
