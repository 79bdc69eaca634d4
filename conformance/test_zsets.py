"""Sorted sets, single key: ZADD (NX XX GT LT CH INCR) ZINCRBY ZREM ZCARD
ZSCORE ZMSCORE ZRANK ZREVRANK ZCOUNT ZLEXCOUNT, the ZRANGE family (BYSCORE
BYLEX REV LIMIT WITHSCORES and the older forms), ZREMRANGEBY*, ZPOPMIN
ZPOPMAX ZRANDMEMBER ZSCAN, score parsing and formatting, and the
listpack/skiplist encodings at Redis 7.0.15's exact thresholds.

Scores print as Redis 7.0 prints them: "%.17g" in replies (RESP2 bulks,
RESP3 doubles), and in ZSCAN the text a listpack stores (an integer for an
integral score within +-2^62) or "%.17g" for a skiplist. Equal scores order
members by bytes (memcmp). Multi-key commands are in test_zsets_multi.py.

Every test runs on both encodings where it matters (the mk fixture);
test_zscan_score_text reads OBJECT ENCODING. Encoding thresholds and
DUMP/RESTORE are in test_zsets_encoding.py.
"""

import pytest

from helpers import NIL, NOT_INT, NULL3, SYNTAX, arity_err, array, bulk, err, integer

WRONGTYPE = err("WRONGTYPE Operation against a key holding the wrong kind of value")
NOT_FLOAT = err("ERR value is not a valid float")
RANGE_NOT_FLOAT = err("ERR min or max is not a float")
LEX_INVALID = err("ERR min or max not valid string range item")
NAN_SCORE = err("ERR resulting score is not a number (NaN)")
EMPTY = b"*0\r\n"
LISTPACK_VALUE = 64  # zset-max-listpack-value
LONG = "x" * (LISTPACK_VALUE + 1)


def flat(*items):
    return array(*[bulk(str(x)) for x in items])


def dbl(x):
    """A RESP3 double as Redis 7.0 writes it."""
    return b",%s\r\n" % str(x).encode()


def pairs3(*items):
    """RESP3 WITHSCORES: an array of [member, double] pairs."""
    return array(*[array(bulk(m), dbl(s)) for m, s in zip(items[::2], items[1::2])])


def encoding(raw, key):
    return raw.value("OBJECT", "ENCODING", key)


@pytest.fixture(params=["listpack", "skiplist"])
def mk(request, raw):
    """mk(key, score, member, ...): create a zset in the encoding under test
    (a skiplist gets there through a long member that is then removed)."""
    def make(key, *pairs):
        if request.param == "skiplist":
            raw.value("ZADD", key, "0", LONG, *pairs)
            raw.value("ZREM", key, LONG)
        else:
            raw.value("ZADD", key, *pairs)
        assert encoding(raw, key) == request.param.encode()
    return make


# ---------------------------------------------------------------- ZADD

def test_zadd_adds_and_updates(raw, mk):
    assert raw.raw("ZADD", "new", "1", "a", "2", "b") == integer(2)
    mk("z", "1", "a", "2", "b")
    assert raw.raw("ZADD", "z", "3", "a", "4", "c") == integer(1)
    assert raw.raw("ZRANGE", "z", "0", "-1", "WITHSCORES") == flat("b", 2, "a", 3, "c", 4)
    assert raw.raw("ZCARD", "z") == integer(3)


def test_zadd_same_member_twice_in_one_call(raw):
    assert raw.raw("ZADD", "z", "1", "a", "5", "a") == integer(1)
    assert raw.raw("ZSCORE", "z", "a") == bulk("5")
    assert raw.raw("ZADD", "z", "CH", "2", "a", "2", "a") == integer(1)


def test_zadd_ch_counts_changes(raw, mk):
    mk("z", "1", "a", "2", "b")
    assert raw.raw("ZADD", "z", "CH", "1", "a", "3", "b", "4", "c") == integer(2)
    assert raw.raw("ZADD", "z", "ch", "1", "a") == integer(0)


def test_zadd_nx_xx(raw, mk):
    mk("z", "1", "a")
    assert raw.raw("ZADD", "z", "NX", "5", "a", "2", "b") == integer(1)
    assert raw.raw("ZSCORE", "z", "a") == bulk("1")
    assert raw.raw("ZADD", "z", "XX", "5", "a", "2", "c") == integer(0)
    assert raw.raw("ZSCORE", "z", "a") == bulk("5")
    assert raw.raw("ZSCORE", "z", "c") == NIL
    assert raw.raw("ZADD", "z", "XX", "CH", "6", "a", "7", "d") == integer(1)


def test_zadd_xx_on_missing_key_creates_nothing(raw):
    assert raw.raw("ZADD", "nokey", "XX", "1", "a") == integer(0)
    assert raw.raw("ZADD", "nokey", "XX", "INCR", "1", "a") == NIL
    assert raw.raw("EXISTS", "nokey") == integer(0)


def test_zadd_gt_lt(raw, mk):
    mk("z", "5", "a")
    assert raw.raw("ZADD", "z", "GT", "CH", "4", "a") == integer(0)
    assert raw.raw("ZADD", "z", "GT", "CH", "6", "a") == integer(1)
    assert raw.raw("ZADD", "z", "LT", "CH", "7", "a") == integer(0)
    assert raw.raw("ZADD", "z", "LT", "CH", "2", "a") == integer(1)
    assert raw.raw("ZSCORE", "z", "a") == bulk("2")
    # GT/LT never stop a new member.
    assert raw.raw("ZADD", "z", "GT", "1", "new") == integer(1)
    assert raw.raw("ZADD", "z", "LT", "XX", "CH", "1", "new", "9", "none") == integer(0)
    assert raw.raw("ZADD", "z", "gt", "xx", "ch", "3", "new", "9", "none") == integer(1)


def test_zadd_incr(raw, raw3, mk):
    mk("z", "0", "other")
    assert raw.raw("ZADD", "z", "INCR", "1.5", "a") == bulk("1.5")
    assert raw.raw("ZADD", "z", "INCR", "1.1", "a") == bulk("2.6000000000000001")
    assert raw3.raw("ZADD", "z", "INCR", "1", "a") == dbl("3.6000000000000001")
    assert raw.raw("ZADD", "z", "NX", "INCR", "1", "a") == NIL
    assert raw3.raw("ZADD", "z", "NX", "INCR", "1", "a") == NULL3
    assert raw.raw("ZADD", "z", "XX", "INCR", "1", "missing") == NIL
    assert raw.raw("ZADD", "z", "GT", "INCR", "-1", "a") == NIL
    assert raw.raw("ZADD", "z", "LT", "INCR", "0", "a") == NIL
    assert raw.raw("ZADD", "z", "LT", "INCR", "-0.5", "a") == bulk("3.1000000000000001")
    assert raw.raw("ZADD", "z", "INCR", "CH", "1", "b") == bulk("1")


def test_zadd_option_errors_in_redis_order(raw):
    raw.value("SET", "s", "v")
    assert raw.raw("ZADD", "z", "1", "a", "2") == SYNTAX
    assert raw.raw("ZADD", "z", "foo", "1", "a") == SYNTAX
    assert raw.raw("ZADD", "z", "NX", "LT") == SYNTAX  # no pairs at all
    assert raw.raw("ZADD", "z", "1") == arity_err("zadd")
    assert raw.raw("ZADD", "z", "XX", "NX", "1", "a") == err(
        "ERR XX and NX options at the same time are not compatible")
    for opts in (("GT", "LT"), ("GT", "NX"), ("LT", "NX")):
        assert raw.raw("ZADD", "z", *opts, "1", "a") == err(
            "ERR GT, LT, and/or NX options at the same time are not compatible")
    assert raw.raw("ZADD", "z", "INCR", "1", "a", "2", "b") == err(
        "ERR INCR option supports a single increment-element pair")
    # Syntax beats conflicts; conflicts beat bad floats; floats beat types.
    assert raw.raw("ZADD", "s", "XX", "NX", "1", "a", "2") == SYNTAX
    assert raw.raw("ZADD", "s", "XX", "NX", "x", "a") == err(
        "ERR XX and NX options at the same time are not compatible")
    assert raw.raw("ZADD", "s", "1", "a", "x", "b") == NOT_FLOAT
    assert raw.raw("ZADD", "s", "1", "a") == WRONGTYPE
    assert raw.raw("EXISTS", "z") == integer(0)


def test_zadd_bad_float_adds_nothing(raw):
    assert raw.raw("ZADD", "z", "1", "a", "nan", "b") == NOT_FLOAT
    assert raw.raw("EXISTS", "z") == integer(0)


@pytest.mark.parametrize("score", ["", " 1", "1 ", "nan", "NaN", "1e400", "-1e400", "1e-400",
                                   "abc", "1.5x", "--1", b"1\x00"])
def test_score_rejected(raw, score):
    assert raw.raw("ZADD", "z", score, "a") == NOT_FLOAT
    assert raw.raw("ZINCRBY", "z", score, "a") == NOT_FLOAT


@pytest.mark.parametrize("score,shown", [
    ("0x10", "16"), ("5e-324", "4.9406564584124654e-324"), ("+inf", "inf"), ("-inf", "-inf"),
    ("inf", "inf"), ("Infinity", "inf"), ("-INF", "-inf"), ("1e2", "100"), ("+1.5", "1.5"),
    ("0.1", "0.10000000000000001"), ("1.1", "1.1000000000000001"), ("-0", "0"),
    (".5", "0.5"), ("1e17", "1e+17"), ("123456789012345678", "1.2345678901234568e+17"),
    ("4503599627370496", "4503599627370496"), ("1e300", "1.0000000000000001e+300"),
])
def test_score_accepted_and_printed(raw, raw3, score, shown):
    assert raw.raw("ZADD", "z", score, "a") == integer(1)
    assert raw.raw("ZSCORE", "z", "a") == bulk(shown)
    assert raw3.raw("ZSCORE", "z", "a") == dbl(shown)


def test_negative_zero_in_a_skiplist(raw, raw3):
    # A listpack stores -0 as the integer 0; a skiplist keeps the double.
    raw.value("ZADD", "lp", "-0", "a")
    assert raw.raw("ZSCORE", "lp", "a") == bulk("0")
    raw.value("ZADD", "sl", "1", LONG, "-0", "a")  # a skiplist from the start
    assert raw.raw("ZSCORE", "sl", "a") == bulk("-0")
    raw.value("ZADD", "conv", "-0", "a", "1", LONG)  # converted: the listpack's 0 stays
    assert raw.raw("ZSCORE", "conv", "a") == bulk("0")
    assert raw3.raw("ZSCORE", "sl", "a") == dbl("-0")


def test_zadd_nan_from_incr(raw, mk):
    mk("z", "inf", "a")
    assert raw.raw("ZADD", "z", "INCR", "-inf", "a") == NAN_SCORE
    assert raw.raw("ZINCRBY", "z", "-inf", "a") == NAN_SCORE
    assert raw.raw("ZSCORE", "z", "a") == bulk("inf")
    assert raw.raw("ZADD", "z", "INCR", "+inf", "a") == bulk("inf")


def test_zadd_wrongtype(raw):
    raw.value("SET", "s", "v")
    assert raw.raw("ZADD", "s", "1", "a") == WRONGTYPE
    assert raw.raw("ZINCRBY", "s", "1", "a") == WRONGTYPE


# ---------------------------------------------------------------- ZINCRBY

def test_zincrby(raw, raw3, mk):
    assert raw.raw("ZINCRBY", "new", "2", "a") == bulk("2")
    mk("z", "5", "other")
    assert raw.raw("ZINCRBY", "z", "2", "a") == bulk("2")
    assert raw.raw("ZINCRBY", "z", "0.1", "a") == bulk("2.1000000000000001")
    assert raw3.raw("ZINCRBY", "z", "-2.1", "a") == dbl("0")
    assert raw3.raw("ZINCRBY", "z", "0.3", "a") == dbl("0.29999999999999999")
    assert raw.raw("ZINCRBY", "z", "0.1", "a") == bulk("0.40000000000000002")
    assert raw.raw("ZINCRBY", "z", "1.6", "a") == bulk("2")
    assert raw.raw("ZINCRBY", "z", "1", "b") == bulk("1")
    assert raw.raw("ZINCRBY", "z", "10", "a") == bulk("12")
    assert raw.raw("ZRANGE", "z", "0", "-1") == flat("b", "other", "a")


def test_zincrby_options_are_not_options(raw):
    # ZINCRBY runs ZADD's parser: a leading option word leaves an odd count.
    assert raw.raw("ZINCRBY", "z", "nx", "m") == SYNTAX
    assert raw.raw("ZINCRBY", "z", "incr", "m") == SYNTAX
    assert raw.raw("ZINCRBY", "z", "1") == arity_err("zincrby")
    assert raw.raw("EXISTS", "z") == integer(0)


# ---------------------------------------------------------------- reads

def test_zrem(raw, mk):
    mk("z", "1", "a", "2", "b", "3", "c")
    assert raw.raw("ZREM", "z", "a", "x", "a") == integer(1)
    assert raw.raw("ZREM", "nokey", "a") == integer(0)
    assert raw.raw("ZREM", "z") == arity_err("zrem")


def test_zrem_last_member_deletes_key(raw, mk):
    mk("z", "1", "a", "2", "b")
    assert raw.raw("ZREM", "z", "a", "b", "c") == integer(2)
    assert raw.raw("EXISTS", "z") == integer(0)
    assert raw.raw("TYPE", "z") == b"+none\r\n"


def test_zcard_zscore_zmscore(raw, raw3, mk):
    mk("z", "1.5", "a", "2", "b")
    assert raw.raw("ZCARD", "z") == integer(2)
    assert raw.raw("ZCARD", "nokey") == integer(0)
    assert raw.raw("ZSCORE", "z", "a") == bulk("1.5")
    assert raw.raw("ZSCORE", "z", "x") == NIL
    assert raw.raw("ZSCORE", "nokey", "a") == NIL
    assert raw3.raw("ZSCORE", "z", "x") == NULL3
    assert raw.raw("ZMSCORE", "z", "a", "x", "b") == array(bulk("1.5"), NIL, bulk("2"))
    assert raw3.raw("ZMSCORE", "z", "a", "x") == array(dbl("1.5"), NULL3)
    assert raw.raw("ZMSCORE", "nokey", "a", "b") == array(NIL, NIL)
    assert raw.raw("ZMSCORE", "z") == arity_err("zmscore")


def test_zrank_zrevrank(raw, raw3, mk):
    mk("z", "1", "a", "2", "b", "3", "c")
    assert raw.raw("ZRANK", "z", "a") == integer(0)
    assert raw.raw("ZRANK", "z", "c") == integer(2)
    assert raw.raw("ZREVRANK", "z", "c") == integer(0)
    assert raw.raw("ZREVRANK", "z", "a") == integer(2)
    assert raw.raw("ZRANK", "z", "x") == NIL
    assert raw3.raw("ZRANK", "z", "x") == NULL3
    assert raw.raw("ZRANK", "nokey", "a") == NIL
    assert raw.raw("ZRANK", "z", "a", "WITHSCORE") == arity_err("zrank")


def test_equal_scores_order_by_bytes(raw, mk):
    members = ["b", "a\x00", "a", "B", "\xff", "", "ab", "aa", "10", "9", "-1"]
    mk("z", *[x for m in members for x in ("0", m.encode("latin-1"))])
    want = sorted(m.encode("latin-1") for m in members)
    assert raw.raw("ZRANGE", "z", "0", "-1") == array(*[bulk(m) for m in want])
    assert raw.raw("ZRANK", "z", b"a\x00") == integer(want.index(b"a\x00"))


def test_wrongtype_everywhere(raw):
    raw.value("SET", "s", "v")
    for args in (("ZCARD", "s"), ("ZSCORE", "s", "a"), ("ZMSCORE", "s", "a"), ("ZRANK", "s", "a"),
                 ("ZREVRANK", "s", "a"), ("ZREM", "s", "a"), ("ZCOUNT", "s", "0", "1"),
                 ("ZLEXCOUNT", "s", "-", "+"), ("ZRANGE", "s", "0", "1"),
                 ("ZRANGEBYSCORE", "s", "0", "1"), ("ZREVRANGEBYLEX", "s", "+", "-"),
                 ("ZREMRANGEBYRANK", "s", "0", "1"), ("ZREMRANGEBYSCORE", "s", "0", "1"),
                 ("ZREMRANGEBYLEX", "s", "-", "+"), ("ZPOPMIN", "s"), ("ZPOPMAX", "s", "2"),
                 ("ZRANDMEMBER", "s"), ("ZRANDMEMBER", "s", "2"), ("ZSCAN", "s", "0"),
                 ("ZRANGESTORE", "d", "s", "0", "1")):
        assert raw.raw(*args) == WRONGTYPE, args


# ---------------------------------------------------------------- counts

def test_zcount(raw, mk):
    mk("z", "1", "a", "2", "b", "3", "c", "inf", "d", "-inf", "e")
    assert raw.raw("ZCOUNT", "z", "-inf", "+inf") == integer(5)
    assert raw.raw("ZCOUNT", "z", "1", "3") == integer(3)
    assert raw.raw("ZCOUNT", "z", "(1", "3") == integer(2)
    assert raw.raw("ZCOUNT", "z", "(1", "(3") == integer(1)
    assert raw.raw("ZCOUNT", "z", "3", "1") == integer(0)
    assert raw.raw("ZCOUNT", "z", "(2", "2") == integer(0)
    assert raw.raw("ZCOUNT", "z", "inf", "inf") == integer(1)
    assert raw.raw("ZCOUNT", "z", "(inf", "+inf") == integer(0)
    assert raw.raw("ZCOUNT", "nokey", "0", "1") == integer(0)


@pytest.mark.parametrize("lo,hi,want", [
    ("", "", 1), ("(", "1", 1), (" 1", "+inf", 2), ("0x1", "+inf", 2), ("(0x1", "inf", 1),
    ("1e400", "+inf", 0), ("-1e400", "1e-400", 2), ("-inf", "infinity", 4), ("1\x00junk", "1", 1),
])
def test_range_ends_parse_like_redis(raw, lo, hi, want):
    raw.value("ZADD", "z", "0", "a", "1", "b", "2", "c", "-1", "d")
    assert raw.raw("ZCOUNT", "z", lo, hi) == integer(want)


@pytest.mark.parametrize("lo,hi", [("1 ", "2"), ("nan", "1"), ("(nan", "1"), ("a", "1"),
                                   ("1", "(x"), ("((1", "2")])
def test_range_ends_rejected(raw, lo, hi):
    raw.value("ZADD", "z", "0", "a")
    assert raw.raw("ZCOUNT", "z", lo, hi) == RANGE_NOT_FLOAT
    assert raw.raw("ZRANGEBYSCORE", "z", lo, hi) == RANGE_NOT_FLOAT
    assert raw.raw("ZREMRANGEBYSCORE", "z", lo, hi) == RANGE_NOT_FLOAT
    raw.value("SET", "s", "v")
    assert raw.raw("ZCOUNT", "s", lo, hi) == RANGE_NOT_FLOAT  # parsed before the lookup


def test_zlexcount(raw, mk):
    mk("z", "0", "a", "0", "b", "0", "c", "0", "d", "0", "")
    assert raw.raw("ZLEXCOUNT", "z", "-", "+") == integer(5)
    assert raw.raw("ZLEXCOUNT", "z", "[a", "[c") == integer(3)
    assert raw.raw("ZLEXCOUNT", "z", "(a", "[c") == integer(2)
    assert raw.raw("ZLEXCOUNT", "z", "(a", "(c") == integer(1)
    assert raw.raw("ZLEXCOUNT", "z", "[", "(a") == integer(1)
    assert raw.raw("ZLEXCOUNT", "z", "+", "-") == integer(0)
    assert raw.raw("ZLEXCOUNT", "z", "-", "-") == integer(0)
    assert raw.raw("ZLEXCOUNT", "z", "[c", "+") == integer(2)
    assert raw.raw("ZLEXCOUNT", "z", "-", b"+\x00junk") == integer(5)
    assert raw.raw("ZLEXCOUNT", "nokey", "-", "+") == integer(0)


@pytest.mark.parametrize("lo,hi", [("a", "+"), ("", "+"), ("-", "+x"), ("-x", "+"), ("[a", "z")])
def test_lex_ends_rejected(raw, lo, hi):
    raw.value("ZADD", "z", "0", "a")
    assert raw.raw("ZLEXCOUNT", "z", lo, hi) == LEX_INVALID
    assert raw.raw("ZRANGEBYLEX", "z", lo, hi) == LEX_INVALID
    assert raw.raw("ZREMRANGEBYLEX", "z", lo, hi) == LEX_INVALID


# ---------------------------------------------------------------- ZRANGE

@pytest.fixture
def five(raw, mk):
    mk("z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e")
    return "z"


@pytest.mark.parametrize("start,stop,want", [
    ("0", "-1", "abcde"), ("1", "2", "bc"), ("-2", "-1", "de"), ("-100", "1", "ab"),
    ("3", "100", "de"), ("4", "1", ""), ("5", "10", ""), ("-1", "-2", ""), ("0", "0", "a"),
])
def test_zrange_by_rank(raw, five, start, stop, want):
    assert raw.raw("ZRANGE", "z", start, stop) == flat(*want)
    # ZREVRANGE counts ranks from the top: the same window over "edcba".
    assert raw.raw("ZREVRANGE", "z", start, stop) == flat(*[chr(ord("e") - (ord(c) - ord("a")))
                                                             for c in want])
    assert raw.raw("ZRANGE", "z", start, stop, "REV") == raw.raw("ZREVRANGE", "z", start, stop)


def test_zrange_withscores_shapes(raw, raw3, five):
    assert raw.raw("ZRANGE", "z", "0", "1", "WITHSCORES") == flat("a", 1, "b", 2)
    assert raw3.raw("ZRANGE", "z", "0", "1", "WITHSCORES") == pairs3("a", 1, "b", 2)
    assert raw.raw("ZREVRANGE", "z", "0", "1", "withscores") == flat("e", 5, "d", 4)
    assert raw3.raw("ZRANGEBYSCORE", "z", "2", "3", "WITHSCORES") == pairs3("b", 2, "c", 3)
    assert raw3.raw("ZRANGE", "z", "0", "1") == flat("a", "b")
    assert raw3.raw("ZRANGE", "z", "9", "10", "WITHSCORES") == EMPTY


def test_zrange_byscore(raw, five):
    assert raw.raw("ZRANGE", "z", "(1", "4", "BYSCORE") == flat("b", "c", "d")
    assert raw.raw("ZRANGE", "z", "4", "(1", "BYSCORE", "REV") == flat("d", "c", "b")
    assert raw.raw("ZRANGE", "z", "(1", "5", "BYSCORE", "REV") == EMPTY
    assert raw.raw("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2") == flat("b", "c")
    assert raw.raw("ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2",
                   "WITHSCORES") == flat("d", 4, "c", 3)
    assert raw.raw("ZRANGEBYSCORE", "z", "2", "4") == flat("b", "c", "d")
    assert raw.raw("ZREVRANGEBYSCORE", "z", "4", "2") == flat("d", "c", "b")
    assert raw.raw("ZREVRANGEBYSCORE", "z", "2", "4") == EMPTY


@pytest.mark.parametrize("offset,count,want,rwant", [
    ("0", "-5", "abcde", "edcba"), ("-1", "2", "", ""), ("1", "0", "", ""), ("4", "10", "e", "a"),
    ("5", "1", "", ""), ("0", "1", "a", "e"), ("2", "-1", "cde", "cba"), ("1", "2", "bc", "dc"),
])
def test_limit_offset_count(raw, five, offset, count, want, rwant):
    # Scores and members are both ascending here, so BYSCORE and BYLEX agree.
    assert raw.raw("ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", offset, count) == flat(*want)
    assert raw.raw("ZRANGEBYLEX", "z", "-", "+", "LIMIT", offset, count) == flat(*want)
    assert raw.raw("ZREVRANGEBYLEX", "z", "+", "-", "LIMIT", offset, count) == flat(*rwant)
    assert raw.raw("ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", offset,
                   count) == flat(*rwant)


def test_zrange_bylex(raw, raw3, mk):
    mk("z", "0", "alpha", "0", "bar", "0", "cool", "0", "down", "0", "elephant")
    assert raw.raw("ZRANGE", "z", "[bar", "(down", "BYLEX") == flat("bar", "cool")
    assert raw.raw("ZRANGE", "z", "(down", "[bar", "BYLEX", "REV") == flat("cool", "bar")
    assert raw.raw("ZRANGEBYLEX", "z", "-", "[c") == flat("alpha", "bar")
    assert raw.raw("ZRANGEBYLEX", "z", "[c", "+", "LIMIT", "1", "1") == flat("down")
    assert raw.raw("ZREVRANGEBYLEX", "z", "+", "(c") == flat("elephant", "down", "cool")
    assert raw3.raw("ZRANGEBYLEX", "z", "[b", "(c") == flat("bar")
    assert raw.raw("ZRANGEBYLEX", "z", "+", "-") == EMPTY


def test_zrange_option_errors(raw, five):
    assert raw.raw("ZRANGE", "z", "0", "-1", "LIMIT", "0", "1") == err(
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
    assert raw.raw("ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES") == err(
        "ERR syntax error, WITHSCORES not supported in combination with BYLEX")
    assert raw.raw("ZRANGEBYLEX", "z", "-", "+", "WITHSCORES") == err(
        "ERR syntax error, WITHSCORES not supported in combination with BYLEX")
    assert raw.raw("ZRANGE", "z", "0", "-1", "REV", "REV") == SYNTAX
    assert raw.raw("ZRANGE", "z", "0", "-1", "BYSCORE", "BYLEX") == SYNTAX
    assert raw.raw("ZRANGEBYSCORE", "z", "0", "1", "REV") == SYNTAX
    assert raw.raw("ZRANGEBYSCORE", "z", "0", "1", "BYSCORE") == SYNTAX
    assert raw.raw("ZREVRANGE", "z", "0", "1", "REV") == SYNTAX
    assert raw.raw("ZRANGEBYSCORE", "z", "0", "1", "LIMIT", "1") == SYNTAX
    assert raw.raw("ZRANGEBYSCORE", "z", "0", "1", "LIMIT", "a", "1") == NOT_INT
    assert raw.raw("ZRANGE", "z", "a", "1") == NOT_INT
    assert raw.raw("ZRANGE", "z", "0", "9223372036854775808") == NOT_INT
    assert raw.raw("ZRANGE", "z", "1", "x", "BYSCORE") == RANGE_NOT_FLOAT
    assert raw.raw("ZRANGE", "z", "0", "-1", "BYLEX") == LEX_INVALID
    assert raw.raw("ZRANGE", "z", "0") == arity_err("zrange")
    # Options and ranges are checked before the key.
    raw.value("SET", "s", "v")
    assert raw.raw("ZRANGE", "s", "a", "b") == NOT_INT
    assert raw.raw("ZRANGE", "nokey", "0", "1", "foo") == SYNTAX
    assert raw.raw("ZRANGE", "nokey", "a", "b", "BYLEX") == LEX_INVALID


def test_zrange_missing_key(raw, raw3):
    assert raw.raw("ZRANGE", "nokey", "0", "-1") == EMPTY
    assert raw3.raw("ZRANGE", "nokey", "0", "-1", "WITHSCORES") == EMPTY
    assert raw.raw("ZRANGEBYSCORE", "nokey", "-inf", "inf") == EMPTY
    assert raw.raw("ZREVRANGEBYLEX", "nokey", "+", "-") == EMPTY


# ---------------------------------------------------------------- ZRANGESTORE

def test_zrangestore(raw, five):
    assert raw.raw("ZRANGESTORE", "{z}d", "z", "1", "2") == integer(2)
    assert raw.raw("ZRANGE", "{z}d", "0", "-1", "WITHSCORES") == flat("b", 2, "c", 3)
    assert raw.raw("ZRANGESTORE", "{z}d", "z", "(1", "3", "BYSCORE", "REV") == integer(0)
    assert raw.raw("EXISTS", "{z}d") == integer(0)
    assert raw.raw("ZRANGESTORE", "{z}d", "z", "3", "(1", "BYSCORE", "REV", "LIMIT", "0",
                   "1") == integer(1)
    assert raw.raw("ZRANGE", "{z}d", "0", "-1", "WITHSCORES") == flat("c", 3)
    assert raw.raw("ZRANGESTORE", "z", "z", "0", "0") == integer(1)  # onto itself
    assert raw.raw("ZRANGE", "z", "0", "-1") == flat("a")


def test_zrangestore_replaces_and_deletes(raw, five):
    raw.value("SET", "{z}d", "v")
    raw.value("EXPIRE", "{z}d", "100")
    assert raw.raw("ZRANGESTORE", "{z}d", "z", "0", "0") == integer(1)
    assert raw.raw("TTL", "{z}d") == integer(-1)
    assert raw.raw("ZRANGESTORE", "{z}d", "nokey", "0", "-1") == integer(0)
    assert raw.raw("EXISTS", "{z}d") == integer(0)


def test_zrangestore_errors(raw, five):
    raw.value("SET", "s", "v")
    assert raw.raw("ZRANGESTORE", "d", "z", "0", "-1", "WITHSCORES") == SYNTAX
    assert raw.raw("ZRANGESTORE", "d", "s", "0", "-1") == WRONGTYPE
    assert raw.raw("ZRANGESTORE", "s", "z", "0", "-1", "LIMIT", "0", "1") == err(
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
    assert raw.raw("GET", "s") == bulk("v")
    assert raw.raw("ZRANGESTORE", "d", "z", "0") == arity_err("zrangestore")


@pytest.mark.parametrize("dst", ["rs:dst1", "rs:dst2", "rs:dst3", "{rs}dst"])
def test_zrangestore_across_shards(raw, dst):
    raw.value("ZADD", "{rs}src", "1", "a", "2", "b", "3", "c")
    raw.value("SET", dst, "old")
    assert raw.raw("ZRANGESTORE", dst, "{rs}src", "(1", "+inf", "BYSCORE") == integer(2)
    assert raw.raw("ZRANGE", dst, "0", "-1", "WITHSCORES") == flat("b", 2, "c", 3)
    assert raw.raw("ZRANGESTORE", dst, "{rs}src", "[x", "+", "BYLEX") == integer(0)
    assert raw.raw("EXISTS", dst) == integer(0)
    raw.value("SET", "{rs}s", "v")
    raw.value("SET", dst, "old")
    assert raw.raw("ZRANGESTORE", dst, "{rs}s", "0", "1") == WRONGTYPE
    assert raw.raw("ZRANGESTORE", dst, "{rs}src", "0", "1", "BYLEX") == LEX_INVALID
    assert raw.raw("GET", dst) == bulk("old")


# ---------------------------------------------------------------- ZREMRANGEBY*

def test_zremrangebyrank(raw, five):
    assert raw.raw("ZREMRANGEBYRANK", "z", "1", "2") == integer(2)
    assert raw.raw("ZRANGE", "z", "0", "-1") == flat("a", "d", "e")
    assert raw.raw("ZREMRANGEBYRANK", "z", "5", "10") == integer(0)
    assert raw.raw("ZREMRANGEBYRANK", "z", "-1", "-2") == integer(0)
    assert raw.raw("ZREMRANGEBYRANK", "z", "a", "1") == NOT_INT
    assert raw.raw("ZREMRANGEBYRANK", "z", "-100", "100") == integer(3)
    assert raw.raw("EXISTS", "z") == integer(0)
    assert raw.raw("ZREMRANGEBYRANK", "nokey", "0", "1") == integer(0)


def test_zremrangebyscore(raw, five):
    assert raw.raw("ZREMRANGEBYSCORE", "z", "(1", "3") == integer(2)
    assert raw.raw("ZRANGE", "z", "0", "-1") == flat("a", "d", "e")
    assert raw.raw("ZREMRANGEBYSCORE", "z", "5", "1") == integer(0)
    assert raw.raw("ZREMRANGEBYSCORE", "z", "-inf", "+inf") == integer(3)
    assert raw.raw("EXISTS", "z") == integer(0)


def test_zremrangebylex(raw, mk):
    mk("z", "0", "a", "0", "b", "0", "c", "0", "d")
    assert raw.raw("ZREMRANGEBYLEX", "z", "(a", "[c") == integer(2)
    assert raw.raw("ZRANGE", "z", "0", "-1") == flat("a", "d")
    assert raw.raw("ZREMRANGEBYLEX", "z", "+", "-") == integer(0)
    assert raw.raw("ZREMRANGEBYLEX", "z", "-", "+") == integer(2)
    assert raw.raw("EXISTS", "z") == integer(0)


# ---------------------------------------------------------------- pops

def test_zpopmin_zpopmax(raw, raw3, five):
    assert raw.raw("ZPOPMIN", "z") == flat("a", 1)
    assert raw3.raw("ZPOPMIN", "z") == array(bulk("b"), dbl(2))
    assert raw.raw("ZPOPMAX", "z", "2") == flat("e", 5, "d", 4)
    assert raw3.raw("ZPOPMAX", "z", "1") == pairs3("c", 3)
    assert raw.raw("EXISTS", "z") == integer(0)
    assert raw.raw("ZPOPMIN", "z") == EMPTY
    assert raw3.raw("ZPOPMIN", "z", "3") == EMPTY


def test_zpop_count_edge_cases(raw, five):
    raw.value("SET", "s", "v")
    assert raw.raw("ZPOPMIN", "z", "0") == EMPTY
    assert raw.raw("ZPOPMIN", "s", "0") == WRONGTYPE
    assert raw.raw("ZPOPMIN", "z", "-1") == err("ERR value is out of range, must be positive")
    assert raw.raw("ZPOPMIN", "z", "abc") == err("ERR value is out of range, must be positive")
    assert raw.raw("ZPOPMIN", "z", "1", "2") == SYNTAX
    assert raw.raw("ZPOPMAX", "z", "100") == flat("e", 5, "d", 4, "c", 3, "b", 2, "a", 1)


def test_zpop_integer_members(raw):
    raw.value("ZADD", "z", "1", "10", "2", "-3", "3", "x")
    assert raw.raw("ZPOPMIN", "z", "2") == flat(10, 1, -3, 2)


# ---------------------------------------------------------------- ZRANDMEMBER

def test_zrandmember_single(raw, raw3, five):
    got = raw.value("ZRANDMEMBER", "z")
    assert got in (b"a", b"b", b"c", b"d", b"e")
    assert raw.raw("ZRANDMEMBER", "nokey") == NIL
    assert raw3.raw("ZRANDMEMBER", "nokey") == NULL3
    assert raw.raw("ZRANDMEMBER", "nokey", "3") == EMPTY
    assert raw.raw("ZRANDMEMBER", "z", "0") == EMPTY


def test_zrandmember_whole_set_from_the_top(raw, raw3, five):
    assert raw.raw("ZRANDMEMBER", "z", "5") == flat(*"edcba")
    assert raw.raw("ZRANDMEMBER", "z", "9223372036854775807") == flat(*"edcba")
    assert raw.raw("ZRANDMEMBER", "z", "10", "WITHSCORES") == flat(
        "e", 5, "d", 4, "c", 3, "b", 2, "a", 1)
    assert raw3.raw("ZRANDMEMBER", "z", "10", "WITHSCORES") == pairs3(
        "e", 5, "d", 4, "c", 3, "b", 2, "a", 1)


def test_zrandmember_distinct_and_repeated(raw, raw3, five):
    scores = {b"a": b"1", b"b": b"2", b"c": b"3", b"d": b"4", b"e": b"5"}
    for _ in range(20):
        got = raw.value("ZRANDMEMBER", "z", "3")
        assert len(got) == 3 and len(set(got)) == 3 and set(got) <= set(scores)
        got = raw.value("ZRANDMEMBER", "z", "-8", "WITHSCORES")
        assert len(got) == 16
        for m, s in zip(got[::2], got[1::2]):
            assert scores[m] == s
        got = raw3.value("ZRANDMEMBER", "z", "-2", "WITHSCORES")
        assert len(got) == 2 and all(len(p) == 2 for p in got)
        assert raw.value("ZRANDMEMBER", "z", "1")[0] in scores


def test_zrandmember_errors(raw, five):
    assert raw.raw("ZRANDMEMBER", "z", "abc") == NOT_INT
    assert raw.raw("ZRANDMEMBER", "z", "abc", "foo") == NOT_INT
    assert raw.raw("ZRANDMEMBER", "z", "1", "foo") == SYNTAX
    assert raw.raw("ZRANDMEMBER", "z", "1", "WITHSCORES", "x") == SYNTAX
    assert raw.raw("ZRANDMEMBER", "z", "-9223372036854775808") == err(
        "ERR value is out of range, value must between -9223372036854775807 and "
        "9223372036854775807")
    for n in ("4611686018427387904", "-4611686018427387904", "9223372036854775807"):
        assert raw.raw("ZRANDMEMBER", "z", n, "WITHSCORES") == err("ERR value is out of range")


# ---------------------------------------------------------------- ZSCAN

def test_zscan_listpack_in_one_call(raw, raw3):
    raw.value("ZADD", "z", "1", "a", "2.5", "b", "3", "c")
    assert raw.raw("ZSCAN", "z", "0") == array(bulk("0"), flat("a", 1, "b", 2.5, "c", 3))
    assert raw3.raw("ZSCAN", "z", "0") == array(bulk("0"), flat("a", 1, "b", 2.5, "c", 3))
    assert raw.raw("ZSCAN", "z", "0", "MATCH", "[ab]") == array(bulk("0"), flat("a", 1, "b", 2.5))
    assert raw.raw("ZSCAN", "z", "0", "COUNT", "1", "MATCH", "*", "COUNT", "2") == \
        array(bulk("0"), flat("a", 1, "b", 2.5, "c", 3))


def test_zscan_skiplist_walks_everything(raw, r):
    want = {}
    for i in range(300):
        want[("m%d" % i).encode()] = str(i).encode()
    raw.value("ZADD", "z", *[x for m, s in want.items() for x in (s, m)])
    assert encoding(raw, "z") == b"skiplist"
    seen, cursor, calls = {}, b"0", 0
    while True:
        cursor, items = raw.value("ZSCAN", "z", cursor, "COUNT", "20")
        calls += 1
        for m, s in zip(items[::2], items[1::2]):
            seen[m] = s
        if cursor == b"0":
            break
    assert seen == want and calls > 1
    got = dict(zip(*[iter(raw.value("ZSCAN", "z", "0", "MATCH", "m1?", "COUNT", "1000")[1])] * 2))
    assert got == {m: s for m, s in want.items() if len(m) == 3 and m.startswith(b"m1")}


def test_zscan_score_text(raw):
    # A listpack replies the score as stored: integers within +-2^62 as
    # integers; a skiplist formats every score with %.17g.
    scores = ["1e17", "4611686018427387904", "4611686018427389952", "0.5", "-0", "inf", "-1e18",
              "-9223372036854775808"]
    raw.value("ZADD", "lp", *[x for i, s in enumerate(scores) for x in (s, "m%d" % i)])
    assert encoding(raw, "lp") == b"listpack"
    got = dict(zip(*[iter(raw.value("ZSCAN", "lp", "0")[1])] * 2))
    assert got == {b"m0": b"100000000000000000", b"m1": b"4611686018427387904",
                   b"m2": b"4.61168601842739e+18", b"m3": b"0.5", b"m4": b"0", b"m5": b"inf",
                   b"m6": b"-1000000000000000000", b"m7": b"-9.2233720368547758e+18"}
    raw.value("ZADD", "sl", "1", LONG, *[x for i, s in enumerate(scores) for x in (s, "m%d" % i)])
    got = dict(zip(*[iter(raw.value("ZSCAN", "sl", "0", "COUNT", "100")[1])] * 2))
    assert got == {LONG.encode(): b"1", b"m0": b"1e+17", b"m1": b"4.6116860184273879e+18",
                   b"m2": b"4.61168601842739e+18", b"m3": b"0.5", b"m4": b"-0", b"m5": b"inf",
                   b"m6": b"-1e+18", b"m7": b"-9.2233720368547758e+18"}


def test_zscan_cursor_and_options(raw):
    raw.value("ZADD", "z", "1", "a")
    raw.value("SET", "s", "v")
    for c in ("abc", " 1", "18446744073709551616", "1.5"):
        assert raw.raw("ZSCAN", "z", c) == err("ERR invalid cursor")
    for c in ("-1", "", "+0"):
        assert raw.raw("ZSCAN", "z", c) == array(bulk("0"), flat("a", 1))
    assert raw.raw("ZSCAN", "z", "0", "COUNT", "0") == SYNTAX
    assert raw.raw("ZSCAN", "z", "0", "COUNT", "x") == NOT_INT
    assert raw.raw("ZSCAN", "z", "0", "MATCH") == SYNTAX
    assert raw.raw("ZSCAN", "z", "0", "TYPE", "zset") == SYNTAX
    # A missing key answers before the options are read; a bad cursor first.
    assert raw.raw("ZSCAN", "nokey", "0", "foo") == array(bulk("0"), EMPTY)
    assert raw.raw("ZSCAN", "nokey", "x") == err("ERR invalid cursor")
    assert raw.raw("ZSCAN", "s", "0", "foo") == WRONGTYPE
