"""Lists: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET LINSERT
LREM LTRIM LPOS LMOVE RPOPLPUSH LMPOP, in RESP2 and RESP3, with Redis's error
order; WRONGTYPE between lists and strings; OBJECT ENCODING; multi-key
commands over keys on different shards (spread keys) and on one ({tag})."""

import pytest

from helpers import NIL, NULL3, OK, SYNTAX, NOT_INT, arity_err, array, bulk, err, integer, spread_keys

WRONGTYPE = err("WRONGTYPE Operation against a key holding the wrong kind of value")
NIL_ARRAY = b"*-1\r\n"
EMPTY = b"*0\r\n"
OUT_OF_RANGE_POS = err("ERR value is out of range, must be positive")
RANK_ZERO = err("ERR RANK can't be zero: use 1 to start from the first match, 2 from the "
                "second ... or use negative to start from the end of the list")
LLONG_MAX = 9223372036854775807
LLONG_MIN = -9223372036854775808
KEYS = spread_keys(64, "l:")


def bulks(*items):
    return array(*[bulk(i) for i in items])


def ints(*items):
    return array(*[integer(i) for i in items])


def rpush(raw, key, *items):
    assert raw.raw("RPUSH", key, *items) == integer(len(items))


def lrange(raw, key):
    return raw.raw("LRANGE", key, 0, -1)


# ---------------------------------------------------------------- push / len

def test_push_order_and_lengths(raw):
    assert raw.raw("RPUSH", "l", "a", "b") == integer(2)
    assert raw.raw("LPUSH", "l", "x", "y") == integer(4)
    assert raw.raw("RPUSH", "l", "c") == integer(5)
    assert lrange(raw, "l") == bulks("y", "x", "a", "b", "c")
    assert raw.raw("LLEN", "l") == integer(5)
    assert raw.raw("LLEN", "missing") == integer(0)
    assert raw.raw("TYPE", "l") == b"+list\r\n"


def test_pushx(raw):
    assert raw.raw("LPUSHX", "l", "a") == integer(0)
    assert raw.raw("RPUSHX", "l", "a", "b") == integer(0)
    assert raw.raw("EXISTS", "l") == integer(0)
    rpush(raw, "l", "m")
    assert raw.raw("LPUSHX", "l", "a", "b") == integer(3)
    assert raw.raw("RPUSHX", "l", "z") == integer(4)
    assert lrange(raw, "l") == bulks("b", "a", "m", "z")


def test_push_arity(raw):
    assert raw.raw("LPUSH", "l") == arity_err("lpush")
    assert raw.raw("RPUSHX", "l") == arity_err("rpushx")
    assert raw.raw("LLEN") == arity_err("llen")


def test_binary_and_integer_like_elements_roundtrip(raw):
    items = [b"", b"\x00", b"a\r\nb", b"0", b"-0", b"007", b" 1", b"1 ", b"+1",
             b"-1", b"127", b"128", b"4096", b"-4097", b"32768", b"8388608", b"2147483648",
             b"9223372036854775807", b"-9223372036854775808", b"9223372036854775808",
             b"99999999999999999999", bytes(range(256)), b"x" * 70, b"y" * 5000]
    assert raw.raw("RPUSH", "l", *items) == integer(len(items))
    assert lrange(raw, "l") == array(*[bulk(i) for i in items])
    for i, item in enumerate(items):
        assert raw.raw("LINDEX", "l", i) == bulk(item)


# ---------------------------------------------------------------- pop

def test_pop_single(raw, raw3):
    rpush(raw, "l", "a", "b", "c")
    assert raw.raw("LPOP", "l") == bulk("a")
    assert raw.raw("RPOP", "l") == bulk("c")
    assert raw3.raw("LPOP", "l") == bulk("b")
    assert raw.raw("EXISTS", "l") == integer(0)
    assert raw.raw("LPOP", "l") == NIL
    assert raw3.raw("RPOP", "l") == NULL3


def test_pop_count(raw, raw3):
    rpush(raw, "l", "a", "b", "c", "d", "e")
    assert raw.raw("LPOP", "l", 2) == bulks("a", "b")
    assert raw.raw("RPOP", "l", 1) == bulks("e")
    assert raw.raw("LPOP", "l", 0) == EMPTY
    assert raw3.raw("RPOP", "l", 0) == EMPTY
    assert raw3.raw("RPOP", "l", 10) == bulks("d", "c")
    assert raw.raw("EXISTS", "l") == integer(0)
    # a missing key: a null array (RESP3 null), even for count 0
    assert raw.raw("LPOP", "l", 0) == NIL_ARRAY
    assert raw.raw("RPOP", "l", 5) == NIL_ARRAY
    assert raw3.raw("LPOP", "l", 0) == NULL3
    assert raw3.raw("LPOP", "l", 1) == NULL3


def test_pop_count_errors(raw):
    rpush(raw, "l", "a")
    assert raw.raw("SET", "s", "v") == OK
    # the count is checked before the key, even a missing or a wrong one
    for key in ("l", "missing", "s"):
        assert raw.raw("LPOP", key, -1) == OUT_OF_RANGE_POS
        assert raw.raw("RPOP", key, "abc") == OUT_OF_RANGE_POS
    assert raw.raw("LPOP", "l", "1.5") == OUT_OF_RANGE_POS
    assert raw.raw("LPOP", "l", 1, 2) == arity_err("lpop")
    assert raw.raw("RPOP", "l", 1, 2) == arity_err("rpop")
    assert raw.raw("LPOP", "s", 0) == WRONGTYPE
    assert raw.raw("LPOP", "s") == WRONGTYPE
    assert raw.raw("LPOP", "l", LLONG_MAX) == bulks("a")


# ---------------------------------------------------------------- LRANGE

@pytest.mark.parametrize("start,stop,want", [
    (0, -1, "abcde"), (0, 0, "a"), (1, 3, "bcd"), (-2, -1, "de"), (-100, 1, "ab"),
    (3, 100, "de"), (4, 4, "e"), (5, 10, ""), (3, 1, ""), (-1, -2, ""), (-100, -6, ""),
    (LLONG_MIN, LLONG_MAX, "abcde"), (LLONG_MAX, LLONG_MAX, ""), (2, -3, "c"),
])
def test_lrange(raw, start, stop, want):
    rpush(raw, "l", *"abcde")
    assert raw.raw("LRANGE", "l", start, stop) == bulks(*want)


def test_lrange_errors(raw, raw3):
    assert raw.raw("SET", "s", "v") == OK
    assert raw.raw("LRANGE", "missing", 0, -1) == EMPTY
    assert raw3.raw("LRANGE", "missing", 0, -1) == EMPTY
    # indexes are parsed before the key is looked up
    assert raw.raw("LRANGE", "missing", "a", 1) == NOT_INT
    assert raw.raw("LRANGE", "s", 0, "x") == NOT_INT
    assert raw.raw("LRANGE", "s", 0, 1) == WRONGTYPE
    assert raw.raw("LRANGE", "l", 0) == arity_err("lrange")


# ---------------------------------------------------------------- LINDEX / LSET

def test_lindex(raw, raw3):
    rpush(raw, "l", "a", "b", "c")
    assert raw.raw("LINDEX", "l", 0) == bulk("a")
    assert raw.raw("LINDEX", "l", -1) == bulk("c")
    assert raw.raw("LINDEX", "l", -3) == bulk("a")
    assert raw.raw("LINDEX", "l", 3) == NIL
    assert raw.raw("LINDEX", "l", -4) == NIL
    assert raw3.raw("LINDEX", "l", 3) == NULL3
    assert raw.raw("LINDEX", "l", LLONG_MIN) == NIL
    assert raw.raw("LINDEX", "l", "x") == NOT_INT
    # the key comes first: a missing key answers nil even to a bad index
    assert raw.raw("LINDEX", "missing", "x") == NIL
    assert raw3.raw("LINDEX", "missing", 0) == NULL3
    assert raw.raw("SET", "s", "v") == OK
    assert raw.raw("LINDEX", "s", "x") == WRONGTYPE


def test_lset(raw):
    rpush(raw, "l", "a", "b", "c")
    assert raw.raw("LSET", "l", 1, "B") == OK
    assert raw.raw("LSET", "l", -1, "123") == OK
    assert raw.raw("LSET", "l", 0, "x" * 10000) == OK
    assert lrange(raw, "l") == bulks("x" * 10000, "B", "123")
    assert raw.raw("LSET", "l", 3, "z") == err("ERR index out of range")
    assert raw.raw("LSET", "l", -4, "z") == err("ERR index out of range")
    assert raw.raw("LSET", "l", "x", "z") == NOT_INT
    assert raw.raw("LSET", "missing", "x", "z") == err("ERR no such key")
    assert raw.raw("LSET", "missing", 0, "z") == err("ERR no such key")
    assert raw.raw("SET", "s", "v") == OK
    assert raw.raw("LSET", "s", "x", "z") == WRONGTYPE


# ---------------------------------------------------------------- LINSERT

def test_linsert(raw):
    rpush(raw, "l", "a", "b", "a")
    assert raw.raw("LINSERT", "l", "BEFORE", "a", "x") == integer(4)
    assert raw.raw("LINSERT", "l", "after", "a", "y") == integer(5)
    assert raw.raw("LINSERT", "l", "AfTeR", "b", "z") == integer(6)
    assert lrange(raw, "l") == bulks("x", "a", "y", "b", "z", "a")
    assert raw.raw("LINSERT", "l", "before", "nope", "q") == integer(-1)
    assert raw.raw("LINSERT", "missing", "before", "a", "q") == integer(0)
    assert raw.raw("EXISTS", "missing") == integer(0)


def test_linsert_integer_pivot(raw):
    rpush(raw, "l", "1", "01", "-0", "100")
    assert raw.raw("LINSERT", "l", "after", "1", "A") == integer(5)
    assert raw.raw("LINSERT", "l", "after", "01", "B") == integer(6)
    assert raw.raw("LINSERT", "l", "before", "100", "C") == integer(7)
    assert raw.raw("LINSERT", "l", "before", "1.0", "D") == integer(-1)
    assert lrange(raw, "l") == bulks("1", "A", "01", "B", "-0", "C", "100")


def test_linsert_errors(raw):
    assert raw.raw("SET", "s", "v") == OK
    # the position word is checked before the key
    for key in ("missing", "s"):
        assert raw.raw("LINSERT", key, "middle", "a", "b") == SYNTAX
    assert raw.raw("LINSERT", "s", "before", "a", "b") == WRONGTYPE
    assert raw.raw("LINSERT", "l", "before", "a") == arity_err("linsert")


# ---------------------------------------------------------------- LREM / LTRIM

@pytest.mark.parametrize("count,removed,left", [
    (0, 3, "bcd"), (1, 1, "bacad"), (2, 2, "bcad"), (-1, 1, "abacd"), (-2, 2, "abcd"),
    (100, 3, "bcd"), (-100, 3, "bcd"), (LLONG_MIN, 3, "bcd"), (LLONG_MAX, 3, "bcd"),
])
def test_lrem(raw, count, removed, left):
    rpush(raw, "l", *"abacad")
    assert raw.raw("LREM", "l", count, "a") == integer(removed)
    assert lrange(raw, "l") == bulks(*left)


def test_lrem_integers_and_empty(raw):
    rpush(raw, "l", "7", "07", "7", "x")
    assert raw.raw("LREM", "l", 0, "7") == integer(2)
    assert lrange(raw, "l") == bulks("07", "x")
    assert raw.raw("LREM", "l", 0, "07") == integer(1)
    assert raw.raw("LREM", "l", 0, "x") == integer(1)
    assert raw.raw("EXISTS", "l") == integer(0)
    assert raw.raw("LREM", "l", 0, "x") == integer(0)
    assert raw.raw("SET", "s", "v") == OK
    assert raw.raw("LREM", "s", "x", "a") == NOT_INT
    assert raw.raw("LREM", "missing", "x", "a") == NOT_INT
    assert raw.raw("LREM", "s", 1, "a") == WRONGTYPE


@pytest.mark.parametrize("start,stop,left", [
    (0, -1, "abcde"), (1, -2, "bcd"), (2, 2, "c"), (-2, 100, "de"), (-100, 0, "a"),
    (3, 1, ""), (5, 10, ""), (-1, -2, ""), (LLONG_MIN, LLONG_MAX, "abcde"),
])
def test_ltrim(raw, start, stop, left):
    rpush(raw, "l", *"abcde")
    assert raw.raw("LTRIM", "l", start, stop) == OK
    assert lrange(raw, "l") == bulks(*left)
    assert raw.raw("EXISTS", "l") == integer(1 if left else 0)


def test_ltrim_errors(raw):
    assert raw.raw("LTRIM", "missing", 0, 1) == OK
    assert raw.raw("SET", "s", "v") == OK
    assert raw.raw("LTRIM", "missing", "a", 1) == NOT_INT
    assert raw.raw("LTRIM", "s", 0, "b") == NOT_INT
    assert raw.raw("LTRIM", "s", 0, 1) == WRONGTYPE


# ---------------------------------------------------------------- LPOS

LPOS_LIST = ["a", "1", "a", "b", "a", "c"]


@pytest.mark.parametrize("args,want", [
    ((), integer(0)),
    (("RANK", 2), integer(2)),
    (("RANK", -1), integer(4)),
    (("RANK", -3), integer(0)),
    (("RANK", 4), NIL),
    (("COUNT", 0), ints(0, 2, 4)),
    (("COUNT", 2), ints(0, 2)),
    (("RANK", -1, "COUNT", 0), ints(4, 2, 0)),
    (("RANK", 2, "COUNT", 2, "MAXLEN", 3), ints(2)),
    (("MAXLEN", 2), integer(0)),
    (("RANK", 2, "MAXLEN", 2), NIL),
    (("RANK", -1, "MAXLEN", 2), integer(4)),
    (("RANK", -1, "MAXLEN", 0), integer(4)),
    (("RANK", 9, "COUNT", 0), EMPTY),
    (("COUNT", 0, "COUNT", 1), ints(0)),
    (("rank", "1", "count", "0", "maxlen", "0"), ints(0, 2, 4)),
    (("COUNT", LLONG_MAX), ints(0, 2, 4)),
    (("MAXLEN", LLONG_MAX), integer(0)),
    (("RANK", LLONG_MAX, "COUNT", 0), EMPTY),
    (("RANK", -LLONG_MAX, "COUNT", 0), EMPTY),
    # Redis negates RANK in two's complement: LLONG_MIN stays negative, so
    # every match from the tail qualifies and COUNT never stops the scan.
    (("RANK", LLONG_MIN), integer(4)),
    (("RANK", LLONG_MIN, "COUNT", 0), ints(4, 2, 0)),
    (("RANK", LLONG_MIN, "COUNT", 2), ints(4, 2, 0)),
])
def test_lpos(raw, args, want):
    rpush(raw, "l", *LPOS_LIST)
    assert raw.raw("LPOS", "l", "a", *args) == want


def test_lpos_integer_elements(raw):
    rpush(raw, "l", *LPOS_LIST)
    assert raw.raw("LPOS", "l", "1") == integer(1)
    assert raw.raw("LPOS", "l", "01") == NIL
    assert raw.raw("LPOS", "l", "zz", "COUNT", 0) == EMPTY


def test_lpos_missing_and_resp3(raw, raw3):
    assert raw.raw("LPOS", "missing", "a") == NIL
    assert raw3.raw("LPOS", "missing", "a") == NULL3
    assert raw.raw("LPOS", "missing", "a", "COUNT", 0) == EMPTY
    assert raw3.raw("LPOS", "missing", "a", "COUNT", 1) == EMPTY
    rpush(raw, "l", *LPOS_LIST)
    assert raw3.raw("LPOS", "l", "zz") == NULL3
    assert raw3.raw("LPOS", "l", "a", "COUNT", 0) == ints(0, 2, 4)


def test_lpos_errors(raw):
    assert raw.raw("SET", "s", "v") == OK
    rpush(raw, "l", "a")
    # options are checked before the key
    for key in ("l", "missing", "s"):
        assert raw.raw("LPOS", key, "a", "RANK", 0) == RANK_ZERO
        assert raw.raw("LPOS", key, "a", "COUNT", -1) == err("ERR COUNT can't be negative")
        assert raw.raw("LPOS", key, "a", "MAXLEN", -1) == err("ERR MAXLEN can't be negative")
        assert raw.raw("LPOS", key, "a", "FOO") == SYNTAX
        assert raw.raw("LPOS", key, "a", "RANK") == SYNTAX
    assert raw.raw("LPOS", "l", "a", "RANK", "abc") == NOT_INT
    assert raw.raw("LPOS", "l", "a", "COUNT", "abc") == err("ERR COUNT can't be negative")
    assert raw.raw("LPOS", "l", "a", "COUNT", "-0") == err("ERR COUNT can't be negative")
    assert raw.raw("LPOS", "l", "a", "MAXLEN", "x") == err("ERR MAXLEN can't be negative")
    assert raw.raw("LPOS", "s", "a") == WRONGTYPE
    assert raw.raw("LPOS", "l") == arity_err("lpos")


# ---------------------------------------------------------------- LMOVE / RPOPLPUSH

@pytest.mark.parametrize("wf,wt,moved,src,dst", [
    ("LEFT", "LEFT", "a", "bc", "axy"),
    ("LEFT", "RIGHT", "a", "bc", "xya"),
    ("RIGHT", "LEFT", "c", "ab", "cxy"),
    ("right", "right", "c", "ab", "xyc"),
])
@pytest.mark.parametrize("src_key,dst_key", [("{t}src", "{t}dst"), (KEYS[0], KEYS[1]),
                                              (KEYS[2], KEYS[40])])
def test_lmove(raw, wf, wt, moved, src, dst, src_key, dst_key):
    rpush(raw, src_key, "a", "b", "c")
    rpush(raw, dst_key, "x", "y")
    assert raw.raw("LMOVE", src_key, dst_key, wf, wt) == bulk(moved)
    assert lrange(raw, src_key) == bulks(*src)
    assert lrange(raw, dst_key) == bulks(*dst)


@pytest.mark.parametrize("src_key,dst_key", [("{t}a", "{t}b"), (KEYS[3], KEYS[4]),
                                              (KEYS[5], KEYS[60])])
def test_lmove_creates_and_deletes(raw, raw3, src_key, dst_key):
    rpush(raw, src_key, "1", "only")
    assert raw.raw("RPOPLPUSH", src_key, dst_key) == bulk("only")
    assert raw3.raw("LMOVE", src_key, dst_key, "LEFT", "RIGHT") == bulk("1")
    assert raw.raw("EXISTS", src_key) == integer(0)
    assert lrange(raw, dst_key) == bulks("only", "1")
    assert raw.raw("LMOVE", src_key, dst_key, "LEFT", "RIGHT") == NIL
    assert raw3.raw("RPOPLPUSH", src_key, dst_key) == NULL3
    assert raw.raw("TYPE", dst_key) == b"+list\r\n"


def test_lmove_same_key_rotates(raw):
    rpush(raw, "l", "a", "b", "c")
    assert raw.raw("LMOVE", "l", "l", "LEFT", "RIGHT") == bulk("a")
    assert lrange(raw, "l") == bulks("b", "c", "a")
    assert raw.raw("RPOPLPUSH", "l", "l") == bulk("a")
    assert lrange(raw, "l") == bulks("a", "b", "c")
    assert raw.raw("LMOVE", "l", "l", "LEFT", "LEFT") == bulk("a")
    assert lrange(raw, "l") == bulks("a", "b", "c")
    rpush(raw, "one", "x")
    assert raw.raw("RPOPLPUSH", "one", "one") == bulk("x")
    assert lrange(raw, "one") == bulks("x")


@pytest.mark.parametrize("lst,strk", [("{t}l", "{t}s"), (KEYS[6], KEYS[7]), (KEYS[8], KEYS[50])])
def test_lmove_types_checked_before_popping(raw, lst, strk):
    rpush(raw, lst, "a", "b")
    assert raw.raw("SET", strk, "v") == OK
    assert raw.raw("LMOVE", lst, strk, "LEFT", "LEFT") == WRONGTYPE
    assert raw.raw("RPOPLPUSH", lst, strk) == WRONGTYPE
    assert lrange(raw, lst) == bulks("a", "b")      # nothing popped
    assert raw.raw("LMOVE", strk, lst, "LEFT", "LEFT") == WRONGTYPE
    assert raw.raw("GET", strk) == bulk("v")
    # a missing source answers nil before the destination is looked at
    assert raw.raw("DEL", lst) == integer(1)
    assert raw.raw("LMOVE", lst, strk, "LEFT", "LEFT") == NIL


def test_lmove_errors(raw):
    rpush(raw, "l", "a")
    assert raw.raw("SET", "s", "v") == OK
    for src, dst in (("l", "x"), ("missing", "x"), ("s", "l"), (KEYS[9], KEYS[10])):
        assert raw.raw("LMOVE", src, dst, "LEFT", "UP") == SYNTAX
        assert raw.raw("LMOVE", src, dst, "MIDDLE", "LEFT") == SYNTAX
    assert raw.raw("LMOVE", "l", "x", "LEFT") == arity_err("lmove")
    assert raw.raw("RPOPLPUSH", "l") == arity_err("rpoplpush")
    assert lrange(raw, "l") == bulks("a")


def test_lmove_many_pairs_across_shards(raw):
    """Move elements around a ring of keys spread over every shard."""
    for i, k in enumerate(KEYS):
        rpush(raw, k, "v%d" % i)
    for i, k in enumerate(KEYS):
        assert raw.raw("LMOVE", k, KEYS[(i + 1) % len(KEYS)], "LEFT", "RIGHT") == bulk("v%d" % i)
    total = sum(int(raw.value("LLEN", k)) for k in KEYS)
    assert total == len(KEYS)


# ---------------------------------------------------------------- LMPOP

def test_lmpop_basic(raw, raw3):
    rpush(raw, "{t}b", "1", "2", "3")
    assert raw.raw("LMPOP", 2, "{t}a", "{t}b", "LEFT") == array(bulk("{t}b"), bulks("1"))
    assert raw.raw("LMPOP", 2, "{t}a", "{t}b", "RIGHT", "COUNT", 5) == array(
        bulk("{t}b"), bulks("3", "2"))
    assert raw.raw("EXISTS", "{t}b") == integer(0)
    assert raw.raw("LMPOP", 2, "{t}a", "{t}b", "LEFT") == NIL_ARRAY
    assert raw3.raw("LMPOP", 2, "{t}a", "{t}b", "LEFT") == NULL3
    rpush(raw, "{t}a", "x")
    assert raw3.raw("LMPOP", 1, "{t}a", "left", "count", 1) == array(bulk("{t}a"), bulks("x"))


@pytest.mark.parametrize("keys", [[KEYS[11], KEYS[12], KEYS[13], KEYS[14]],
                                  ["{t}1", "{t}2", "{t}3", "{t}4"],
                                  [KEYS[20], KEYS[45], KEYS[21], KEYS[63]]])
def test_lmpop_first_nonempty_in_argument_order(raw, keys):
    rpush(raw, keys[2], "c1", "c2")
    rpush(raw, keys[3], "d1")
    assert raw.raw("LMPOP", 4, *keys, "LEFT", "COUNT", 10) == array(bulk(keys[2]), bulks("c1", "c2"))
    assert raw.raw("LMPOP", 4, *keys, "RIGHT") == array(bulk(keys[3]), bulks("d1"))
    assert raw.raw("LMPOP", 4, *keys, "RIGHT") == NIL_ARRAY
    # a wrong type before the first list stops the command; after it, not
    assert raw.raw("SET", keys[1], "v") == OK
    rpush(raw, keys[0], "a1")
    rpush(raw, keys[2], "c3")
    assert raw.raw("LMPOP", 3, keys[0], keys[1], keys[2], "LEFT") == array(bulk(keys[0]), bulks("a1"))
    assert raw.raw("LMPOP", 3, keys[0], keys[1], keys[2], "LEFT") == WRONGTYPE
    assert raw.raw("LMPOP", 2, keys[2], keys[1], "LEFT") == array(bulk(keys[2]), bulks("c3"))
    assert raw.raw("LMPOP", 2, keys[0], keys[1], "LEFT") == WRONGTYPE


def test_lmpop_errors(raw):
    rpush(raw, "l", "a")
    for nk in (0, -1, "abc", "1.5"):
        assert raw.raw("LMPOP", nk, "l", "LEFT") == err("ERR numkeys should be greater than 0")
    assert raw.raw("LMPOP", 3, "l", "LEFT") == SYNTAX
    assert raw.raw("LMPOP", 2, "l", "LEFT") == SYNTAX
    assert raw.raw("LMPOP", LLONG_MAX, "l", "LEFT") == SYNTAX
    assert raw.raw("LMPOP", 1, "l", "MIDDLE") == SYNTAX
    assert raw.raw("LMPOP", 1, "l", "LEFT", "FOO") == SYNTAX
    assert raw.raw("LMPOP", 1, "l", "LEFT", "COUNT") == SYNTAX
    assert raw.raw("LMPOP", 1, "l", "LEFT", "COUNT", 1, "COUNT", 2) == SYNTAX
    for c in (0, -1, "abc"):
        assert raw.raw("LMPOP", 1, "l", "LEFT", "COUNT", c) == err(
            "ERR count should be greater than 0")
    assert raw.raw("LMPOP", 2, KEYS[15], KEYS[16], "UP") == SYNTAX
    assert raw.raw("LMPOP", 2, KEYS[15], KEYS[16], "LEFT", "COUNT", 0) == err(
        "ERR count should be greater than 0")
    assert raw.raw("LMPOP", 1, "l") == arity_err("lmpop")
    assert raw.raw("LMPOP", "abc") == arity_err("lmpop")
    assert lrange(raw, "l") == bulks("a")


def test_lmpop_count_larger_than_list(raw):
    rpush(raw, KEYS[17], "a", "b")
    assert raw.raw("LMPOP", 2, KEYS[18], KEYS[17], "LEFT", "COUNT", LLONG_MAX) == array(
        bulk(KEYS[17]), bulks("a", "b"))


# ---------------------------------------------------------------- types

def test_wrongtype_between_lists_and_strings(raw):
    rpush(raw, "l", "a")
    assert raw.raw("SET", "s", "1") == OK
    for cmd in (("GET", "l"), ("INCR", "l"), ("APPEND", "l", "x"), ("STRLEN", "l"),
                ("GETRANGE", "l", 0, 1), ("SETRANGE", "l", 0, "x")):
        assert raw.raw(*cmd) == WRONGTYPE, cmd
    for cmd in (("LPUSH", "s", "a"), ("RPUSHX", "s", "a"), ("LLEN", "s"), ("LPOP", "s"),
                ("LINDEX", "s", 0), ("LRANGE", "s", 0, 1), ("LREM", "s", 0, "a"),
                ("LPOS", "s", "a"), ("LMPOP", 1, "s", "LEFT")):
        assert raw.raw(*cmd) == WRONGTYPE, cmd
    # SET replaces a list; DEL removes one
    assert raw.raw("SET", "l", "v") == OK
    assert raw.raw("GET", "l") == bulk("v")
    rpush(raw, "l2", "a")
    assert raw.raw("DEL", "l2") == integer(1)
    assert raw.raw("LLEN", "l2") == integer(0)


def test_object_encoding_is_quicklist(raw):
    """Redis 7.0 keeps every list as a quicklist (the listpack list encoding
    came in 7.2), small or large, before and after shrinking."""
    rpush(raw, "l", "a")
    assert raw.raw("OBJECT", "ENCODING", "l") == bulk("quicklist")
    assert raw.raw("RPUSH", "l", *range(1000)) == integer(1001)
    assert raw.raw("OBJECT", "ENCODING", "l") == bulk("quicklist")
    assert raw.raw("LTRIM", "l", 0, 1) == OK
    assert raw.raw("OBJECT", "ENCODING", "l") == bulk("quicklist")
    assert raw.raw("RPUSH", "big", "x" * 100000) == integer(1)
    assert raw.raw("OBJECT", "ENCODING", "big") == bulk("quicklist")


# ---------------------------------------------------------------- large lists

def test_large_list_many_nodes(raw, r):
    n = 20000
    items = ["e%09d" % i for i in range(n)]
    for i in range(0, n, 1000):
        assert raw.raw("RPUSH", "l", *items[i:i + 1000]) == integer(i + 1000)
    assert raw.raw("LLEN", "l") == integer(n)
    assert raw.raw("LINDEX", "l", 12345) == bulk(items[12345])
    assert raw.raw("LINDEX", "l", -7777) == bulk(items[n - 7777])
    assert raw.raw("LRANGE", "l", 9995, 10004) == bulks(*items[9995:10005])
    assert raw.raw("LINSERT", "l", "BEFORE", items[5000], "new") == integer(n + 1)
    assert raw.raw("LINDEX", "l", 5000) == bulk("new")
    assert raw.raw("LSET", "l", -1, "y" * 20000) == OK
    assert raw.raw("LREM", "l", -1, "new") == integer(1)
    assert raw.raw("LPOS", "l", items[15000]) == integer(15000)
    assert raw.raw("LTRIM", "l", 100, -101) == OK
    assert raw.raw("LLEN", "l") == integer(n - 200)
    assert r.lrange("l", 0, -1) == [x.encode() for x in items[100:n - 100]]
    assert raw.raw("LPOP", "l", 3) == bulks(*items[100:103])
    assert raw.raw("RPOP", "l") == bulk(items[n - 101])


def test_pipeline_across_shards_keeps_order(connect):
    c = connect()
    cmds = []
    for i, k in enumerate(KEYS[:32]):
        cmds += [("RPUSH", k, "a%d" % i), ("LPUSH", k, "b%d" % i),
                 ("LMOVE", k, KEYS[(i + 7) % 32], "LEFT", "LEFT")]
    replies = c.pipeline(cmds)
    for i in range(32):
        assert replies[3 * i + 2][1] == bulk("b%d" % i)
    total = sum(int(c.value("LLEN", k)) for k in KEYS[:32])
    assert total == 64


# ---------------------------------------------------------------- DUMP / RESTORE

def _crc64(data):
    """CRC-64/Jones (reflected, poly 0xad93d23594c935a9), as DUMP uses."""
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x95ac9329ac4bc9b5 if crc & 1 else 0)
    return crc


def _payload(body, version=10):
    b = body + version.to_bytes(2, "little")
    return b + _crc64(b).to_bytes(8, "little")


def _rdb_string(b):
    assert len(b) < 16384
    return (bytes([len(b)]) if len(b) < 64 else bytes([0x40 | len(b) >> 8, len(b) & 0xff])) + b


def _ziplist(items):
    """A ziplist (Redis <= 6.2) of short strings and small integers."""
    body, prev, last = b"", 0, 10
    for it in items:
        e = bytes([prev]) if prev < 254 else b"\xfe" + prev.to_bytes(4, "little")
        if isinstance(it, int):
            e += bytes([0xF1 + it]) if 0 <= it <= 12 else b"\xc0" + it.to_bytes(2, "little", signed=True)
        else:
            e += bytes([len(it)]) + it
        last = 10 + len(body)
        body += e
        prev = len(e)
    total = 10 + len(body) + 1
    return (total.to_bytes(4, "little") + last.to_bytes(4, "little") +
            len(items).to_bytes(2, "little") + body + b"\xff")


SMALL_LIST_DUMP = (b"\x12\x01\x02!!\x00\x00\x00\x06\x00\x81a\x02\x81b\x02\x01\x01\xdf\xfe\x02"
                   b"\x8bhello world\x0c\x80\x01\xff\n\x00\xf4\xa2b{\xc5\x85\x1a\x06")
SMALL_LIST = [b"a", b"b", b"1", b"-2", b"hello world", b""]


def _rdb_len(p, i):
    t = p[i] >> 6
    if t == 0:
        return p[i] & 63, i + 1, False
    if t == 1:
        return (p[i] & 63) << 8 | p[i + 1], i + 2, False
    if t == 3:
        return p[i] & 63, i + 1, True
    assert p[i] == 0x80
    return int.from_bytes(p[i + 1:i + 5], "big"), i + 5, False


def _node_blobs(payload):
    """The listpack of every node of a QUICKLIST_2 DUMP payload, inflated."""
    from test_dump import lzf_decompress
    assert payload[0] == 18
    n, i, _ = _rdb_len(payload, 1)
    blobs = []
    for _ in range(n):
        container, i, _ = _rdb_len(payload, i)
        assert container == 2
        ln, i, lzf = _rdb_len(payload, i)
        if lzf:
            clen, i, _ = _rdb_len(payload, i)
            ulen, i, _ = _rdb_len(payload, i)
            blobs.append(lzf_decompress(payload[i:i + clen], ulen))
            i += clen
        else:
            blobs.append(payload[i:i + ln])
            i += ln
    assert len(payload) == i + 10
    return blobs


def test_dump_list_matches_redis(r):
    import hashlib
    r.rpush("l", *SMALL_LIST)
    assert r.dump("l") == SMALL_LIST_DUMP
    # Several nodes: the node layout and every listpack byte must match
    # (compared inflated, so this does not depend on LZF's exact output).
    r.rpush("big", *["e%09d" % i for i in range(700)])
    r.rpush("ints", *range(3000))
    for key, want in (
            ("big", ([8179, 235], "99586e8c561b2565f134d53fbeeb0fd55dfe1a91e08e44422cdaed24cc9f4b6c")),
            ("ints", ([8183, 703], "07d41554a519be69cc76c73d6c4d28ba630fd9ea100cf5facdac4a82d861c6be"))):
        blobs = _node_blobs(r.dump(key))
        digest = hashlib.sha256(b"".join(blobs)).hexdigest()
        assert ([len(b) for b in blobs], digest) == want, key


@pytest.mark.parametrize("key", ["{t}x", KEYS[30], KEYS[31]])
def test_restore_list_payloads(raw, r, key):
    assert raw.raw("RESTORE", key, 0, SMALL_LIST_DUMP) == OK
    assert r.lrange(key, 0, -1) == SMALL_LIST
    assert raw.raw("OBJECT", "ENCODING", key) == bulk("quicklist")
    assert r.dump(key) == SMALL_LIST_DUMP
    # a list's DUMP restores to the same list elsewhere
    r.rpush("src", *["v%d" % i for i in range(2000)])
    assert raw.raw("RESTORE", key, 0, r.dump("src"), "REPLACE") == OK
    assert r.lrange(key, 0, -1) == [b"v%d" % i for i in range(2000)]


def test_restore_older_list_encodings(raw, r):
    zl = _ziplist([b"a", 5, b"bc", -300, 12])
    want = [b"a", b"5", b"bc", b"-300", b"12"]
    # QUICKLIST (14) of ziplists, as Redis 6.2 dumps it (RDB version 9)
    body = b"\x0e\x02" + _rdb_string(zl) + _rdb_string(_ziplist([b"z"]))
    assert raw.raw("RESTORE", "q", 0, _payload(body, 9)) == OK
    assert r.lrange("q", 0, -1) == want + [b"z"]
    # ZIPLIST (10) and plain LIST (1)
    assert raw.raw("RESTORE", "z", 0, _payload(b"\x0a" + _rdb_string(zl), 9)) == OK
    assert r.lrange("z", 0, -1) == want
    body = b"\x01\x03" + _rdb_string(b"x") + _rdb_string(b"") + _rdb_string(b"yy")
    assert raw.raw("RESTORE", "p", 0, _payload(body, 9)) == OK
    assert r.lrange("p", 0, -1) == [b"x", b"", b"yy"]
    # a QUICKLIST_2 plain node (one element) is a list element too
    body = b"\x12\x02\x01" + _rdb_string(b"plain") + b"\x02" + _rdb_string(
        b"\x0a\x00\x00\x00\x01\x00\x81q\x02\xff")
    assert raw.raw("RESTORE", "pl", 0, _payload(body)) == OK
    assert r.lrange("pl", 0, -1) == [b"plain", b"q"]


BAD_LP = b"\x0a\x00\x00\x00\x01\x00\x81q\x03\xff"          # wrong backlen
EMPTY_LP = b"\x07\x00\x00\x00\x00\x00\xff"


@pytest.mark.parametrize("body", [
    b"\x12\x00",                                              # no nodes
    b"\x12\x01\x02" + _rdb_string(EMPTY_LP),                  # only an empty node
    b"\x12\x01\x03" + _rdb_string(EMPTY_LP),                  # unknown container
    b"\x12\x02\x02" + _rdb_string(b"\x0a\x00\x00\x00\x01\x00\x81q\x02\xff"),  # node missing
    b"\x0e\x01" + _rdb_string(_ziplist([b"a", b"b"])[:-1] + b"\xfe"),         # ziplist end
    b"\x0e\x01" + _rdb_string(b"\x0d\x00\x00\x00\x0a\x00\x01\x00\x00\x01a\xff\xff"[:12]),
    b"\x0a" + _rdb_string(_ziplist([])),                      # empty ziplist
    b"\x01\x00",                                              # empty plain list
    b"\x01\x02" + _rdb_string(b"x"),                          # count too large
])
def test_restore_bad_list_data(raw, body):
    assert raw.raw("RESTORE", "k", 0, _payload(body)) == err("ERR Bad data format")
    assert raw.raw("EXISTS", "k") == integer(0)


@pytest.mark.kevy_only
def test_restore_corrupt_listpack_is_refused(raw):
    """Redis (sanitize-dump-payload no, its default) checks only a node's
    header and accepts this listpack with a wrong backlen; kevy always
    validates payloads deeply and refuses it."""
    body = b"\x12\x01\x02" + _rdb_string(BAD_LP)
    assert raw.raw("RESTORE", "k", 0, _payload(body)) == err("ERR Bad data format")
    assert raw.raw("EXISTS", "k") == integer(0)


def test_debug_digest_of_lists(server_factory):
    """DEBUG DIGEST-VALUE / DIGEST over lists agree with Redis's values."""
    from resp_client import RespClient
    srv = server_factory("--enable-debug-command", "yes")
    with RespClient(srv.host, srv.port) as c:
        assert c.raw("RPUSH", "l:0", "a", "b", "1", "-5", "hello", "", "99999999999") == integer(7)
        assert c.raw("RPUSH", "{x}", *range(1, 3001)) == integer(3000)
        assert c.raw("DEBUG", "DIGEST-VALUE", "l:0", "{x}", "missing") == array(
            b"+b403166f7a0741fd6172e25f5306f4434154fc98\r\n",
            b"+5f7f7f3f5d3430b5b10b2a76adf65e6d1c787622\r\n",
            b"+0000000000000000000000000000000000000000\r\n")
        assert c.raw("DEBUG", "DIGEST") == b"+74e61076a6c73bbddfbee1ad5cbfcd2014eaaaf5\r\n"
