"""HyperLogLog: PFADD, PFCOUNT, PFMERGE. Counts and the exact bytes GET
returns are Redis 7.0.15's (captured from it), so HLL values move between
kevy and Redis with GET/SET; multi-key forms use keys on every shard."""

import hashlib

import pytest

from helpers import OK, arity_err, bulk, err, integer

NOT_HLL = err("WRONGTYPE Key is not a valid HyperLogLog string value.")
WRONGTYPE = err("WRONGTYPE Operation against a key holding the wrong kind of value")
CORRUPT = err("INVALIDOBJ Corrupted HLL object detected")


def header(encoding=1, card=0, stale=True):
    """The 16-byte HLL header: magic, encoding, cached cardinality."""
    c = bytearray(card.to_bytes(8, "little"))
    if stale:
        c[7] |= 0x80
    return b"HYLL" + bytes([encoding, 0, 0, 0]) + bytes(c)


EMPTY = header() + b"\x7f\xff"  # one XZERO opcode: 16384 zero registers


def seq(n, start=0):
    return ["e%d" % i for i in range(start, n)]


def rnd(n):
    return ["r%d" % ((i * 2654435761) % 2 ** 32) for i in range(n)]


def pfadd_all(r, key, elements, batch=1000):
    pipe = r.pipeline(transaction=False)
    for i in range(0, len(elements), batch):
        pipe.pfadd(key, *elements[i:i + batch])
    pipe.execute()


def sha1(data):
    return hashlib.sha1(data).hexdigest()


# ------------------------------------------------------------------ PFADD

def test_pfadd_without_elements_creates_an_empty_hll(raw):
    assert raw.raw("PFADD", "h") == integer(1)
    assert raw.raw("GET", "h") == bulk(EMPTY)
    assert raw.raw("PFADD", "h") == integer(0)
    assert raw.raw("TYPE", "h") == b"+string\r\n"
    assert raw.raw("OBJECT", "ENCODING", "h") == b"$3\r\nraw\r\n"
    assert raw.raw("PFCOUNT", "h") == integer(0)
    assert raw.raw("GET", "h") == bulk(header(stale=False) + b"\x7f\xff")


def test_pfadd_one_element_exact_bytes(raw):
    assert raw.raw("PFADD", "h", "a") == integer(1)
    # XZERO(12711) VAL(2) XZERO(3672): register 12711 holds 2.
    assert raw.raw("GET", "h") == bulk(header() + bytes.fromhex("71a6844e57"))
    assert raw.raw("PFADD", "h", "a") == integer(0)
    assert raw.raw("PFADD", "h", "a", "b") == integer(1)
    assert raw.raw("PFADD", "h", "b", "a", "a") == integer(0)
    assert raw.raw("PFCOUNT", "h") == integer(2)


SPARSE_10 = bytes.fromhex(
    "48594c4c010000000a00000000000000452580472e844fc9804412844a5184430d84"
    "4103844eb984408880406a8441b1")


def test_pfadd_sparse_exact_bytes(raw, r):
    assert r.pfadd("h", *seq(10)) == 1
    assert r.pfcount("h") == 10
    assert r.get("h") == SPARSE_10


# (elements, PFCOUNT, GET length, encoding byte, sha1 of GET) from Redis.
FIXTURES = [
    ("seq", 1, 1, 21, 1, "3eb3234681303a26e57d597ed228af6a15d63ac1"),
    ("rnd", 1, 1, 21, 1, "47c537a1d4d7afd594c8ceb839d0b42d0b6629f3"),
    ("seq", 10, 10, 48, 1, "771d194bc0a419552a28bb34101cac65f9c44a11"),
    ("rnd", 10, 10, 48, 1, "49c98fa38e72c9dedbeda2a86aceecd37f002c66"),
    ("seq", 100, 100, 285, 1, "47f6cb6c3c5a16056e3bb450f9572a1524d44455"),
    ("rnd", 100, 100, 282, 1, "78ec6a9b695dc082478f57555808a93be19734ad"),
    ("seq", 1000, 1008, 1906, 1, "26dc3c41142e0317d54eb6adc1e29ccff5ca6941"),
    ("rnd", 1000, 992, 1856, 1, "d0410543477b4022a5372a92b83b3b6703a4d226"),
    ("seq", 10000, 9973, 12304, 0, "815121cd20d56c18b25dc3df04d13b8fe679a663"),
    ("rnd", 10000, 10027, 12304, 0, "60c9d04c6b85c44a080dcf86940d5f35c1dd7865"),
    ("seq", 100000, 100853, 12304, 0, "ec6400bb60029296060157289491545488e0cdd1"),
    ("rnd", 100000, 99602, 12304, 0, "69a724fa231f60280fe5bb780144a93940b372d3"),
]


@pytest.mark.parametrize("kind,n,count,length,encoding,digest", FIXTURES)
def test_pfadd_exact_bytes_and_counts(r, kind, n, count, length, encoding, digest):
    key = "fx:%s:%d" % (kind, n)
    pfadd_all(r, key, seq(n) if kind == "seq" else rnd(n))
    v = r.get(key)
    assert (len(v), v[4]) == (length, encoding)
    assert v[8:16] == b"\x00" * 7 + b"\x80"
    assert sha1(v) == digest
    assert r.pfcount(key) == count
    # PFCOUNT cached the count in the header; nothing else moved.
    cached = r.get(key)
    assert cached[:16] == header(encoding, count, stale=False)
    assert cached[16:] == v[16:]
    assert r.pfcount(key) == count


def test_one_by_one_up_to_dense(r):
    """Adding one element at a time: the value stays sparse while it fits in
    3000 bytes (hll-sparse-max-bytes), then turns dense."""
    pipe = r.pipeline(transaction=False)
    for e in seq(1700):
        pipe.pfadd("h", e)
        pipe.strlen("h")
    out = pipe.execute()
    lengths = out[1::2]
    first_dense = lengths.index(12304)
    assert first_dense == 1683
    assert lengths[first_dense - 1] == 3000
    assert max(lengths[:first_dense]) <= 3000
    assert all(x == 12304 for x in lengths[first_dense:])
    pfadd_all(r, "ref", seq(1700))
    assert r.get("h") == r.get("ref")


def test_sparse_max_bytes_config(r):
    assert r.config_get("hll-sparse-max-bytes") == {"hll-sparse-max-bytes": "3000"}
    try:
        assert r.config_set("hll-sparse-max-bytes", 40) is True
        lengths = []
        for e in seq(12):
            r.pfadd("h", e)
            lengths.append(r.strlen("h"))
        assert lengths == [21, 24, 27, 30, 33, 36, 39] + [12304] * 5
        # PFMERGE's sparse writes obey it too.
        assert r.pfadd("a", *seq(8)) == 1
        assert r.pfmerge("c", "a") is True
        assert r.strlen("c") == 12304
    finally:
        r.config_set("hll-sparse-max-bytes", 3000)
    assert r.pfmerge("d", "a") is True
    assert r.strlen("d") == 12304  # a dense source makes a dense result
    assert r.pfadd("s", *seq(8)) == 1
    assert r.pfmerge("e", "s") is True
    assert r.get("e")[16:] == r.get("s")[16:]


def test_cache_invalidation_keeps_the_old_count_bytes(raw, r):
    assert r.pfadd("h", *seq(10)) == 1
    assert r.pfcount("h") == 10
    assert r.get("h")[:16] == header(card=10, stale=False)
    # No register changed: the cache stays valid.
    assert r.pfadd("h", "e3") == 0
    assert r.get("h")[:16] == header(card=10, stale=False)
    # A change only sets the stale bit.
    assert r.pfadd("h", "new") == 1
    assert r.get("h")[:16] == header(card=10, stale=True)
    assert r.pfcount("h") == 11
    assert r.get("h")[:16] == header(card=11, stale=False)


def test_dense_cache_invalidation(r):
    pfadd_all(r, "h", seq(5000))
    assert r.pfcount("h") == 4968
    assert r.get("h")[:16] == header(0, 4968, stale=False)
    assert r.pfadd("h", *seq(100)) == 0
    assert r.get("h")[:16] == header(0, 4968, stale=False)
    assert r.pfadd("h", "x1", "x2", "x3") == 1
    assert r.get("h")[:16] == header(0, 4968, stale=True)


def test_pfadd_keeps_ttl(r):
    assert r.pfadd("h", "a") == 1
    assert r.expire("h", 1000) is True
    assert r.pfadd("h", "b") == 1
    assert 990 <= r.ttl("h") <= 1000
    pfadd_all(r, "h", seq(3000))  # through the sparse -> dense promotion
    assert 990 <= r.ttl("h") <= 1000
    assert r.pfmerge("h", "other") is True
    assert 990 <= r.ttl("h") <= 1000


# ----------------------------------------------------- exchange with Redis

def test_set_captured_sparse_then_continue(r):
    # SPARSE_10 is what Redis stores for e0..e9, with PFCOUNT's cache (10).
    assert r.set("h", SPARSE_10) is True
    assert r.pfcount("h") == 10
    assert r.pfadd("h", *seq(100, 10)) == 1
    pfadd_all(r, "ref", seq(100))
    v, ref = r.get("h"), r.get("ref")
    assert v[16:] == ref[16:]
    assert v[:16] == header(card=10, stale=True)
    assert sha1(ref) == "47f6cb6c3c5a16056e3bb450f9572a1524d44455"
    assert r.pfcount("h") == 100


def test_set_raw_value_round_trip(r):
    pfadd_all(r, "dense", rnd(10000))
    pfadd_all(r, "sparse", rnd(1000))
    for key in ("dense", "sparse"):
        v = r.get(key)
        assert r.set("copy:" + key, v) is True
        assert r.pfcount("copy:" + key) == r.pfcount(key)
        assert r.pfadd("copy:" + key, *seq(50)) == 1
        assert r.pfadd(key, *seq(50)) == 1
        assert r.get("copy:" + key) == r.get(key)
    assert r.pfcount("copy:dense") == 10075
    assert r.pfcount("copy:sparse") == 1045


def test_embstr_value_becomes_raw(raw):
    # A short HLL SET by a client is an embstr; PFCOUNT rewrites it as raw.
    assert raw.raw("SET", "h", EMPTY) == OK
    assert raw.raw("OBJECT", "ENCODING", "h") == b"$6\r\nembstr\r\n"
    assert raw.raw("PFCOUNT", "h") == integer(0)
    assert raw.raw("OBJECT", "ENCODING", "h") == b"$3\r\nraw\r\n"
    assert raw.raw("SET", "g", EMPTY) == OK
    assert raw.raw("PFCOUNT", "g", "h") == integer(0)
    assert raw.raw("OBJECT", "ENCODING", "g") == b"$6\r\nembstr\r\n"


# ---------------------------------------------------------------- PFCOUNT

MULTI = ["k:%d" % i for i in range(50)]


def fill_multi(r):
    pipe = r.pipeline(transaction=False)
    for i, k in enumerate(MULTI):
        pipe.pfadd(k, *["m%d" % j for j in range(i * 40, i * 40 + 60)])
    pipe.execute()


def test_pfcount_missing(raw):
    assert raw.raw("PFCOUNT", "nosuch") == integer(0)
    assert raw.raw("PFCOUNT", "nosuch", "other") == integer(0)
    assert raw.raw("EXISTS", "nosuch") == integer(0)


def test_pfcount_many_keys_across_shards(r):
    fill_multi(r)
    before = [r.get(k) for k in MULTI]
    assert r.pfcount(*MULTI) == 2025
    assert r.pfcount(*MULTI, *["nokey:%d" % i for i in range(5)]) == 2025
    assert r.pfcount(*reversed(MULTI)) == 2025
    # The union ignores and does not touch the keys' caches.
    assert [r.get(k) for k in MULTI] == before


def test_pfcount_union_with_a_dense_key(r):
    fill_multi(r)
    pfadd_all(r, "big", ["b%d" % j for j in range(5000)])
    assert r.pfcount("k:1", "k:2", "big") == 5156
    assert r.pfcount("big", "k:1", "k:1", "k:2") == 5156


def test_pfcount_hashtag_keys(raw):
    assert raw.raw("PFADD", "{t}a", "x", "y", "z") == integer(1)
    assert raw.raw("PFADD", "{t}b", "z", "w") == integer(1)
    assert raw.raw("PFCOUNT", "{t}a", "{t}b") == integer(4)
    assert raw.raw("PFCOUNT", "{t}a", "{t}b", "{t}missing") == integer(4)


def test_pfcount_resp3(raw3):
    assert raw3.raw("PFADD", "h", "a", "b", "c") == integer(1)
    assert raw3.raw("PFCOUNT", "h") == integer(3)
    assert raw3.raw("PFADD", "k:7", "d") == integer(1)
    assert raw3.raw("PFCOUNT", "h", "k:7", "k:8") == integer(4)
    assert raw3.raw("PFMERGE", "k:9", "h", "k:7") == OK
    assert raw3.raw("PFCOUNT", "k:9") == integer(4)


# ---------------------------------------------------------------- PFMERGE

def test_pfmerge_across_shards(r):
    fill_multi(r)
    assert r.pfmerge("dest", *MULTI) is True
    v = r.get("dest")
    # 50 sparse sources: merged register by register, promoted on the way.
    assert (len(v), v[4]) == (12304, 0)
    assert sha1(v) == "dd19fb1d9cbb8947338ba6e478f563caabb9957d"
    assert r.pfcount("dest") == 2025


def test_pfmerge_with_a_dense_source(r):
    fill_multi(r)
    pfadd_all(r, "big", ["b%d" % j for j in range(5000)])
    assert r.pfmerge("dest2", "k:1", "k:2", "big") is True
    v = r.get("dest2")
    assert sha1(v) == "545b3e81cd70521660ac24721a7d6760a187b50f"
    assert r.pfcount("dest2") == 5156


def test_pfmerge_sparse_sources_stay_sparse(raw):
    assert raw.raw("PFADD", "{t}a", "x", "y", "z") == integer(1)
    assert raw.raw("PFADD", "{t}b", "z", "w") == integer(1)
    assert raw.raw("PFMERGE", "{t}c", "{t}a", "{t}b") == OK
    merged = bulk(header() + bytes.fromhex("504784513b8058cd8845a08408"))
    assert raw.raw("GET", "{t}c") == merged
    assert raw.raw("PFCOUNT", "{t}c") == integer(4)
    # The same union with the keys on different shards.
    assert raw.raw("PFADD", "k:1", "x", "y", "z") == integer(1)
    assert raw.raw("PFADD", "k:2", "z", "w") == integer(1)
    assert raw.raw("PFMERGE", "k:3", "k:1", "k:2") == OK
    assert raw.raw("GET", "k:3") == merged


def test_pfmerge_includes_dest_and_invalidates(r):
    assert r.pfadd("dest", *seq(10)) == 1
    assert r.pfcount("dest") == 10
    assert r.pfadd("k:5", *seq(20, 10)) == 1
    assert r.pfmerge("dest", "k:5") is True
    assert r.get("dest")[:16] == header(card=10, stale=True)
    assert r.pfcount("dest") == 20
    pfadd_all(r, "ref", seq(20))
    assert r.get("dest")[16:] == r.get("ref")[16:]
    # Merging changes nothing: still rewritten with a stale cache.
    assert r.pfmerge("dest", "k:5", "missing") is True
    assert r.get("dest")[:16] == header(card=20, stale=True)


def test_pfmerge_creates_empty_dest(raw):
    assert raw.raw("PFMERGE", "d") == OK
    assert raw.raw("GET", "d") == bulk(EMPTY)
    assert raw.raw("PFMERGE", "k:1", "k:2", "k:3") == OK
    assert raw.raw("GET", "k:1") == bulk(EMPTY)
    assert raw.raw("EXISTS", "k:2", "k:3") == integer(0)


def test_pfmerge_dense_dest(r):
    pfadd_all(r, "dest", seq(5000))
    assert r.pfadd("k:11", "q1", "q2") == 1
    assert r.pfmerge("dest", "k:11") is True
    pfadd_all(r, "ref", seq(5000) + ["q1", "q2"])
    assert r.get("dest") == r.get("ref")


# ----------------------------------------------------------------- errors

def test_arity(raw):
    assert raw.raw("PFADD") == arity_err("pfadd")
    assert raw.raw("PFCOUNT") == arity_err("pfcount")
    assert raw.raw("PFMERGE") == arity_err("pfmerge")


def test_wrong_types(raw):
    assert raw.raw("RPUSH", "list", "x") == integer(1)
    assert raw.raw("PFADD", "h", "a") == integer(1)
    assert raw.raw("PFADD", "list", "a") == WRONGTYPE
    assert raw.raw("PFADD", "list") == WRONGTYPE
    assert raw.raw("PFCOUNT", "list") == WRONGTYPE
    assert raw.raw("PFCOUNT", "h", "list") == WRONGTYPE
    assert raw.raw("PFMERGE", "list", "h") == WRONGTYPE
    assert raw.raw("PFMERGE", "h", "list") == WRONGTYPE
    assert raw.raw("PFMERGE", "k:1", "h", "list") == WRONGTYPE
    assert raw.raw("EXISTS", "k:1") == integer(0)


NOT_HLL_VALUES = [
    b"hello",
    b"12345",
    b"HYLL",
    b"HYLL" + b"\x01" + b"\x00" * 10,     # shorter than a header
    b"HYLX" + EMPTY[4:],                  # bad magic
    header(2) + b"\x7f\xff",              # unknown encoding
    header(0) + b"\x00" * 100,            # dense of the wrong size
    header(0) + b"\x00" * 12289,
]


@pytest.mark.parametrize("value", NOT_HLL_VALUES)
def test_not_an_hll(raw, value):
    assert raw.raw("SET", "x", value) == OK
    assert raw.raw("PFADD", "y{x}", "q") == integer(1)
    assert raw.raw("PFADD", "k:1", "q") == integer(1)
    assert raw.raw("PFADD", "x", "a") == NOT_HLL
    assert raw.raw("PFADD", "x") == NOT_HLL
    assert raw.raw("PFCOUNT", "x") == NOT_HLL
    assert raw.raw("PFCOUNT", "x", "y{x}") == NOT_HLL
    assert raw.raw("PFCOUNT", "k:1", "x") == NOT_HLL
    assert raw.raw("PFMERGE", "z", "x") == NOT_HLL
    assert raw.raw("PFMERGE", "x", "k:1") == NOT_HLL
    assert raw.raw("GET", "x") == bulk(value)
    assert raw.raw("EXISTS", "z") == integer(0)


# Sparse bodies that do not cover exactly 16384 registers.
CORRUPT_BODIES = [
    b"",                     # no opcodes
    b"\x7f\xfe",             # 16383 registers
    b"\x7f\xff\x00",         # 16385
    b"\x7f\xff\x80",         # a VAL past the last register
    b"\x7f\xfe\x85",         # a VAL run past the last register
    b"\x40",                 # a cut XZERO (second byte read as 0): 1 register
]


@pytest.mark.parametrize("body", CORRUPT_BODIES)
def test_corrupt_sparse(raw, body):
    value = header() + body
    assert raw.raw("SET", "x", value) == OK
    assert raw.raw("PFADD", "y{x}", "q") == integer(1)
    assert raw.raw("PFADD", "k:1", "q") == integer(1)
    assert raw.raw("PFCOUNT", "x") == CORRUPT
    assert raw.raw("PFCOUNT", "x", "y{x}") == CORRUPT
    assert raw.raw("PFCOUNT", "k:1", "x") == CORRUPT
    assert raw.raw("PFMERGE", "z", "x") == CORRUPT
    assert raw.raw("PFMERGE", "x", "k:1") == CORRUPT
    assert raw.raw("PFADD", "x") == integer(0)
    assert raw.raw("GET", "x") == bulk(value)
    assert raw.raw("EXISTS", "z") == integer(0)


def test_corrupt_sparse_pfadd(raw):
    # "a" lands in register 12711: reachable in a 16383-register body, so
    # the add works (as in Redis); with no opcodes at all it cannot.
    assert raw.raw("SET", "x", header() + b"\x7f\xfe") == OK
    assert raw.raw("PFADD", "x", "a") == integer(1)
    assert raw.raw("GET", "x") == bulk(header() + bytes.fromhex("71a6844e56"))
    assert raw.raw("PFCOUNT", "x") == CORRUPT
    assert raw.raw("SET", "x", header()) == OK
    assert raw.raw("PFADD", "x", "a") == CORRUPT
    assert raw.raw("SET", "x", header() + b"\x40\x0a") == OK  # 11 registers
    assert raw.raw("PFADD", "x", "a") == CORRUPT
    assert raw.raw("GET", "x") == bulk(header() + b"\x40\x0a")


def test_corrupt_sparse_with_valid_cache(raw):
    # A valid cached count is returned without looking at the registers.
    assert raw.raw("SET", "x", header(card=42, stale=False)) == OK
    assert raw.raw("PFCOUNT", "x") == integer(42)
    assert raw.raw("SET", "x", header(card=2 ** 62, stale=False) + b"\x00") == OK
    assert raw.raw("PFCOUNT", "x") == integer(2 ** 62)
    assert raw.raw("PFCOUNT", "x", "y") == CORRUPT


def test_first_bad_key_decides_the_error(raw):
    assert raw.raw("SET", "bad", header()) == OK          # corrupt
    assert raw.raw("SET", "k:2", "not an hll") == OK      # not an HLL
    assert raw.raw("RPUSH", "k:3", "x") == integer(1)     # another type
    assert raw.raw("PFCOUNT", "bad", "k:2", "k:3") == CORRUPT
    assert raw.raw("PFCOUNT", "k:2", "bad", "k:3") == NOT_HLL
    assert raw.raw("PFCOUNT", "k:3", "k:2", "bad") == WRONGTYPE
    assert raw.raw("PFMERGE", "k:9", "bad", "k:3") == CORRUPT
    assert raw.raw("PFMERGE", "k:9", "k:3", "bad") == WRONGTYPE
    assert raw.raw("EXISTS", "k:9") == integer(0)


def test_dense_registers_above_the_estimator_range(raw, r):
    # A client's dense value may hold register values up to 63: the
    # estimator leaves values above 51 out of its sum, but they still count
    # as non-zero registers (so two registers set count 2, as in Redis).
    regs = bytearray(12288)
    regs[0] = 0x3f  # register 0 = 63
    regs[3] = 0x01  # register 4 = 1  (bits 24..29)
    value = header(0) + bytes(regs)
    assert raw.raw("SET", "x", value) == OK
    assert raw.raw("PFCOUNT", "x") == integer(2)
    assert raw.raw("PFCOUNT", "x", "nokey") == integer(2)
    assert raw.raw("PFMERGE", "k:4", "x") == OK
    assert r.get("k:4")[16:] == bytes(regs)


# ------------------------------------------------------------- statistics

def stats(r):
    s = r.info("stats")
    return s["keyspace_hits"], s["keyspace_misses"]


def test_keyspace_hits_and_misses(r):
    h0, m0 = stats(r)
    r.pfadd("h", "a")                      # a write lookup: not counted
    assert stats(r) == (h0, m0)
    r.pfcount("h")
    r.pfcount("nosuch")
    assert stats(r) == (h0 + 1, m0 + 1)
    r.pfcount("h", "k:1", "k:2")
    assert stats(r) == (h0 + 2, m0 + 3)
    r.pfmerge("k:5", "h")                  # dest is read like a source
    assert stats(r) == (h0 + 3, m0 + 4)
    r.pfmerge("k:5", "h")
    assert stats(r) == (h0 + 5, m0 + 4)
