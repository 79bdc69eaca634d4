"""Sorted sets, several keys: ZUNION ZINTER ZDIFF, their STORE forms,
ZINTERCARD (WEIGHTS, AGGREGATE SUM|MIN|MAX, WITHSCORES, LIMIT) and ZMPOP.

Plain sets are valid inputs (every member scores 1). Results come back
sorted by score then member, so every reply is asserted byte for byte.
Scores are summed from the smallest input to the largest (equal sizes in
argument order), which decides how floats round: test_sum_order.

Keys are spread over many slots (so on a sharded server most combinations
span shards) and also share {hashtags} (one shard). test_store_encoding
reads OBJECT ENCODING.
"""

import itertools
import random

import pytest

from helpers import NULL3, SYNTAX, arity_err, array, bulk, err, integer, spread_keys

WRONGTYPE = err("WRONGTYPE Operation against a key holding the wrong kind of value")
NOT_INT = err("ERR value is not an integer or out of range")
EMPTY = b"*0\r\n"


def flat(*items):
    return array(*[bulk(str(x)) for x in items])


def dbl(x):
    return b",%s\r\n" % str(x).encode()


def pairs3(*items):
    return array(*[array(bulk(m), dbl(s)) for m, s in zip(items[::2], items[1::2])])


def numkeys_err(cmd):
    return err("ERR at least 1 input key is needed for '%s' command" % cmd)


@pytest.fixture(params=["{k}", "spread"])
def keys(request):
    """Five key names: on one shard, or spread over slots."""
    if request.param == "{k}":
        return ["{k}%d" % i for i in range(5)]
    return spread_keys(5, "ms:")


def load(raw, ks):
    a, b, c, d, e = ks
    raw.value("ZADD", a, "1", "x", "2", "y", "3", "z")
    raw.value("ZADD", b, "10", "y", "20", "z", "30", "w")
    raw.value("SADD", c, "z", "w", "v")
    raw.value("SET", e, "string")
    return a, b, c, d, e   # d does not exist


# ---------------------------------------------------------------- ZUNION

def test_zunion(raw, raw3, keys):
    a, b, c, d, e = load(raw, keys)
    assert raw.raw("ZUNION", "2", a, b) == flat("x", "y", "z", "w")
    assert raw.raw("ZUNION", "2", a, b, "WITHSCORES") == flat("x", 1, "y", 12, "z", 23, "w", 30)
    assert raw3.raw("ZUNION", "2", a, b, "WITHSCORES") == pairs3(
        "x", 1, "y", 12, "z", 23, "w", 30)
    assert raw.raw("ZUNION", "3", a, c, d, "WITHSCORES") == flat(
        "v", 1, "w", 1, "x", 1, "y", 2, "z", 4)
    assert raw.raw("ZUNION", "2", a, b, "WEIGHTS", "2", "0.5", "WITHSCORES") == flat(
        "x", 2, "y", 9, "w", 15, "z", 16)
    assert raw.raw("ZUNION", "2", a, b, "AGGREGATE", "MIN", "WITHSCORES") == flat(
        "x", 1, "y", 2, "z", 3, "w", 30)
    assert raw.raw("ZUNION", "2", a, b, "AGGREGATE", "max", "WITHSCORES") == flat(
        "x", 1, "y", 10, "z", 20, "w", 30)
    assert raw.raw("ZUNION", "1", d) == EMPTY
    assert raw.raw("ZUNION", "2", a, e) == WRONGTYPE


def test_zunionstore(raw, keys):
    a, b, c, d, e = load(raw, keys)
    for dst in (d, e, a):  # missing, another type, a source
        assert raw.raw("ZUNIONSTORE", dst, "3", a, b, c) == integer(5)
        assert raw.raw("ZRANGE", dst, "0", "-1", "WITHSCORES") == flat(
            "v", 1, "x", 1, "y", 12, "z", 24, "w", 31)
        raw.value("DEL", a)
        raw.value("ZADD", a, "1", "x", "2", "y", "3", "z")
    raw.value("EXPIRE", d, "100")
    assert raw.raw("ZUNIONSTORE", d, "1", "nokey") == integer(0)
    assert raw.raw("EXISTS", d) == integer(0)


def test_zinter(raw, raw3, keys):
    a, b, c, d, e = load(raw, keys)
    assert raw.raw("ZINTER", "2", a, b, "WITHSCORES") == flat("y", 12, "z", 23)
    assert raw3.raw("ZINTER", "2", a, b, "WITHSCORES") == pairs3("y", 12, "z", 23)
    assert raw.raw("ZINTER", "3", a, b, c, "WITHSCORES") == flat("z", 24)
    assert raw.raw("ZINTER", "2", a, b, "WEIGHTS", "1", "-1", "AGGREGATE", "SUM") == flat("z", "y")
    assert raw.raw("ZINTER", "2", a, b, "AGGREGATE", "MAX", "WITHSCORES") == flat("y", 10, "z", 20)
    assert raw.raw("ZINTER", "2", a, d) == EMPTY
    assert raw.raw("ZINTERSTORE", d, "2", a, c) == integer(1)
    assert raw.raw("ZRANGE", d, "0", "-1", "WITHSCORES") == flat("z", 4)
    assert raw.raw("ZINTERSTORE", d, "2", a, "nokey") == integer(0)
    assert raw.raw("EXISTS", d) == integer(0)


def test_zdiff(raw, raw3, keys):
    a, b, c, d, e = load(raw, keys)
    assert raw.raw("ZDIFF", "2", a, b, "WITHSCORES") == flat("x", 1)
    assert raw.raw("ZDIFF", "2", b, c) == flat("y")
    assert raw.raw("ZDIFF", "2", c, a, "WITHSCORES") == flat("v", 1, "w", 1)
    assert raw3.raw("ZDIFF", "1", b, "WITHSCORES") == pairs3("y", 10, "z", 20, "w", 30)
    assert raw.raw("ZDIFF", "2", d, a) == EMPTY
    assert raw.raw("ZDIFF", "3", a, a, d) == EMPTY
    assert raw.raw("ZDIFFSTORE", d, "2", b, a) == integer(1)
    assert raw.raw("ZRANGE", d, "0", "-1", "WITHSCORES") == flat("w", 30)
    assert raw.raw("ZDIFFSTORE", d, "2", a, a) == integer(0)
    assert raw.raw("EXISTS", d) == integer(0)


def test_zintercard(raw, keys):
    a, b, c, d, e = load(raw, keys)
    assert raw.raw("ZINTERCARD", "2", a, b) == integer(2)
    assert raw.raw("ZINTERCARD", "2", a, b, "LIMIT", "1") == integer(1)
    assert raw.raw("ZINTERCARD", "2", a, b, "LIMIT", "0") == integer(2)
    assert raw.raw("ZINTERCARD", "3", a, b, c, "limit", "5") == integer(1)
    assert raw.raw("ZINTERCARD", "2", a, d) == integer(0)
    assert raw.raw("ZINTERCARD", "2", a, e) == WRONGTYPE


def test_nan_becomes_zero(raw, keys):
    a, b, c, d, e = keys
    raw.value("ZADD", a, "inf", "x", "1", "y")
    raw.value("ZADD", b, "-inf", "x", "2", "y")
    assert raw.raw("ZUNION", "2", a, b, "WITHSCORES") == flat("x", 0, "y", 3)
    assert raw.raw("ZINTER", "2", a, b, "WITHSCORES") == flat("x", 0, "y", 3)
    assert raw.raw("ZUNION", "1", a, "WEIGHTS", "0", "WITHSCORES") == flat("x", 0, "y", 0)
    # inf + (-inf * 0) is NaN: 0 again.
    assert raw.raw("ZINTER", "2", a, b, "WEIGHTS", "1", "0", "WITHSCORES") == flat("x", 0, "y", 1)
    assert raw.raw("ZUNION", "2", a, b, "AGGREGATE", "MIN", "WITHSCORES") == flat(
        "x", "-inf", "y", 1)


def test_sum_order(raw, keys):
    # Floats are added from the smallest input up, equal sizes in argument
    # order: (1 + 1e16) - 1e16 = 0, while (1e16 - 1e16) + 1 = 1.
    a, b, c, d, e = keys
    raw.value("ZADD", a, "1", "x")
    raw.value("ZADD", b, "1e16", "x", "0", "b1")
    raw.value("ZADD", c, "-1e16", "x", "0", "c1", "0", "c2")
    for order in ((a, b, c), (c, b, a), (b, c, a)):
        assert raw.raw("ZUNION", "3", *order, "WITHSCORES") == flat(
            "b1", 0, "c1", 0, "c2", 0, "x", 0)
        assert raw.raw("ZINTER", "3", *order, "WITHSCORES") == flat("x", 0)
    raw.value("DEL", a, b, c)
    raw.value("ZADD", a, "1e16", "x", "0", "p1")
    raw.value("ZADD", b, "-1e16", "x", "0", "q1")
    raw.value("ZADD", c, "1", "x", "0", "r1")
    assert raw.raw("ZINTER", "3", a, b, c, "WITHSCORES") == flat("x", 1)
    assert raw.raw("ZINTER", "3", c, a, b, "WITHSCORES") == flat("x", 0)
    assert raw.raw("ZUNIONSTORE", d, "3", a, b, c) == integer(4)
    assert raw.raw("ZSCORE", d, "x") == bulk("1")


def test_setop_errors(raw):
    raw.value("ZADD", "z", "1", "a")
    raw.value("SET", "s", "v")
    assert raw.raw("ZUNIONSTORE", "d", "0", "z") == numkeys_err("zunionstore")
    assert raw.raw("ZUNIONSTORE", "d", "-1", "z") == numkeys_err("zunionstore")
    assert raw.raw("ZINTERSTORE", "d", "0", "z") == numkeys_err("zinterstore")
    assert raw.raw("ZDIFFSTORE", "d", "0", "z") == numkeys_err("zdiffstore")
    assert raw.raw("ZUNION", "0", "z") == numkeys_err("zunion")
    assert raw.raw("ZINTERCARD", "0", "z") == numkeys_err("zintercard")
    assert raw.raw("ZUNION", "abc", "z") == NOT_INT
    assert raw.raw("ZUNION", "2", "z") == SYNTAX
    assert raw.raw("ZUNION", "9223372036854775807", "z") == SYNTAX
    assert raw.raw("ZUNIONSTORE", "d", "1", "z", "WEIGHTS") == SYNTAX
    assert raw.raw("ZUNIONSTORE", "d", "1", "z", "WEIGHTS", "x") == err(
        "ERR weight value is not a float")
    assert raw.raw("ZUNIONSTORE", "d", "1", "z", "AGGREGATE", "foo") == SYNTAX
    assert raw.raw("ZINTER", "1", "z", "AGGREGATE") == SYNTAX
    assert raw.raw("ZUNIONSTORE", "d", "1", "z", "WITHSCORES") == SYNTAX
    assert raw.raw("ZDIFF", "1", "z", "WEIGHTS", "1") == SYNTAX
    assert raw.raw("ZDIFF", "1", "z", "AGGREGATE", "SUM") == SYNTAX
    assert raw.raw("ZINTERCARD", "1", "z", "WITHSCORES") == SYNTAX
    assert raw.raw("ZINTERCARD", "1", "z", "LIMIT", "-1") == err("ERR LIMIT can't be negative")
    assert raw.raw("ZINTERCARD", "1", "z", "LIMIT", "abc") == err("ERR LIMIT can't be negative")
    assert raw.raw("ZINTERCARD", "1", "z", "LIMIT") == SYNTAX
    assert raw.raw("ZUNION", "1") == arity_err("zunion")
    assert raw.raw("ZUNIONSTORE", "d", "1") == arity_err("zunionstore")
    # WITHSCORES may repeat; the key types are checked before the options.
    assert raw.raw("ZUNION", "1", "z", "WITHSCORES", "withscores") == flat("a", 1)
    assert raw.raw("ZUNIONSTORE", "d", "1", "s", "WEIGHTS", "x") == WRONGTYPE
    assert raw.raw("ZINTER", "2", "z", "s", "AGGREGATE", "foo") == WRONGTYPE
    assert raw.raw("EXISTS", "d") == integer(0)


@pytest.mark.parametrize("cmd", ["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"])
def test_store_encoding(raw, cmd):
    big = []
    for i in range(200):
        big += [str(i), "m%d" % i]
    raw.value("ZADD", "{e}big", *big)
    raw.value("ZRANGESTORE", "{e}128", "{e}big", "0", "127")
    raw.value("ZRANGESTORE", "{e}129", "{e}big", "0", "128")
    raw.value("ZADD", "{e}long", "1", "x" * 65)
    for src, enc in (("{e}128", b"listpack"), ("{e}129", b"skiplist"), ("{e}long", b"skiplist")):
        raw.value(cmd, "{e}dst", "1", src)
        assert raw.value("OBJECT", "ENCODING", "{e}dst") == enc, src
    # A skiplist source whose result is small gives a listpack.
    raw.value("ZREMRANGEBYRANK", "{e}big", "10", "-1")
    raw.value(cmd, "{e}dst", "1", "{e}big")
    assert raw.value("OBJECT", "ENCODING", "{e}big") == b"skiplist"
    assert raw.value("OBJECT", "ENCODING", "{e}dst") == b"listpack"


# ---------------------------------------------------------------- ZMPOP

def test_zmpop(raw, raw3, keys):
    a, b, c, d, e = load(raw, keys)
    assert raw.raw("ZMPOP", "2", d, a, "MIN") == array(bulk(a), array(flat("x", 1)))
    assert raw.raw("ZMPOP", "2", d, a, "MAX", "COUNT", "5") == array(
        bulk(a), array(flat("z", 3), flat("y", 2)))
    assert raw.raw("EXISTS", a) == integer(0)
    assert raw3.raw("ZMPOP", "3", a, d, b, "min", "count", "2") == array(
        bulk(b), pairs3("y", 10, "z", 20))
    assert raw.raw("ZMPOP", "2", a, d, "MIN") == b"*-1\r\n"
    assert raw3.raw("ZMPOP", "2", a, d, "MIN") == NULL3
    # A wrong type only matters before the first non-empty key.
    assert raw.raw("ZMPOP", "2", b, e, "MAX") == array(bulk(b), array(flat("w", 30)))
    assert raw.raw("ZMPOP", "2", e, b, "MAX") == WRONGTYPE
    assert raw.raw("ZMPOP", "1", c, "MIN") == WRONGTYPE


def test_zmpop_errors(raw):
    raw.value("ZADD", "z", "1", "a")
    raw.value("SET", "s", "v")
    for nk in ("0", "-1", "abc"):
        assert raw.raw("ZMPOP", nk, "z", "MIN") == err("ERR numkeys should be greater than 0")
    assert raw.raw("ZMPOP", "2", "z", "MIN") == SYNTAX
    assert raw.raw("ZMPOP", "1", "z", "foo") == SYNTAX
    assert raw.raw("ZMPOP", "1", "z", "MIN", "COUNT") == SYNTAX
    assert raw.raw("ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1") == SYNTAX
    for n in ("0", "-1", "abc"):
        assert raw.raw("ZMPOP", "1", "z", "MIN", "COUNT", n) == err(
            "ERR count should be greater than 0")
    assert raw.raw("ZMPOP", "1", "s", "MIN", "COUNT", "0") == err(
        "ERR count should be greater than 0")
    assert raw.raw("ZMPOP", "1", "z") == arity_err("zmpop")
    assert raw.raw("ZCARD", "z") == integer(1)


# ---------------------------------------------------------------- many shards

def model_op(op, sets, weights=None, agg="SUM"):
    weights = weights or [1.0] * len(sets)
    ws = [{m: s * w for m, s in z.items()} for z, w in zip(sets, weights)]
    pick = {"SUM": lambda x, y: x + y, "MIN": min, "MAX": max}[agg]
    if op == "ZUNION":
        out = {}
        for z in sorted(ws, key=len):
            for m, s in z.items():
                out[m] = pick(out[m], s) if m in out else s
        return out
    if op == "ZINTER":
        order = sorted(ws, key=len)
        out = {}
        for m, s in order[0].items():
            if all(m in z for z in order[1:]):
                for z in order[1:]:
                    s = pick(s, z[m])
                out[m] = s
        return out
    return {m: s for m, s in sets[0].items() if all(m not in z for z in sets[1:])}


def reply_of(model):
    items = sorted(model.items(), key=lambda kv: (kv[1], kv[0]))
    return flat(*[x for m, s in items for x in (m.decode(), "%.17g" % s)])


@pytest.mark.parametrize("prefix", ["alg:", "{alg}:"])
def test_algebra_over_many_key_combinations(raw, prefix):
    rnd = random.Random(5)
    keys = spread_keys(10, prefix)
    model = {}
    for i, k in enumerate(keys):
        if i % 5 == 4:
            model[k] = {}  # missing
            continue
        z = {("m%d" % rnd.randrange(30)).encode(): float(rnd.randrange(-5, 50)) for _ in range(8)}
        if i % 5 == 3:
            raw.value("SADD", k, *z)
            z = {m: 1.0 for m in z}
        else:
            raw.value("ZADD", k, *[x for m, s in z.items() for x in (str(int(s)), m)])
        model[k] = z
    combos = list(itertools.combinations(keys, 2)) + list(itertools.combinations(keys, 3))[:40]
    for combo in combos:
        sets = [model[k] for k in combo]
        for op in ("ZUNION", "ZINTER", "ZDIFF"):
            want = model_op(op, sets)
            assert raw.raw(op, len(combo), *combo, "WITHSCORES") == reply_of(want), (op, combo)
        want = model_op("ZUNION", sets, [2, -1, 0.5][:len(combo)], "MAX")
        assert raw.raw("ZUNION", len(combo), *combo, "WEIGHTS", *["2", "-1", "0.5"][:len(combo)],
                       "AGGREGATE", "MAX", "WITHSCORES") == reply_of(want), combo
        assert raw.raw("ZINTERCARD", len(combo), *combo) == integer(len(model_op("ZINTER", sets)))


@pytest.mark.parametrize("prefix", ["st:", "{st}:"])
def test_store_over_many_key_combinations(raw, prefix):
    rnd = random.Random(9)
    keys = spread_keys(8, prefix)
    dests = spread_keys(5, prefix + "dst:")
    model = {}
    for k in keys:
        z = {("m%d" % rnd.randrange(20)).encode(): float(rnd.randrange(10)) for _ in range(6)}
        raw.value("ZADD", k, *[x for m, s in z.items() for x in (str(int(s)), m)])
        model[k] = z
    for i, combo in enumerate(itertools.combinations(keys, 2)):
        dst = dests[i % len(dests)]
        sets = [model[k] for k in combo]
        for op in ("ZUNION", "ZINTER", "ZDIFF"):
            want = model_op(op, sets)
            raw.value("SET", dst, "old")
            assert raw.raw(op + "STORE", dst, "2", *combo) == integer(len(want)), (op, combo)
            if want:
                assert raw.raw("ZRANGE", dst, "0", "-1", "WITHSCORES") == reply_of(want)
            else:
                assert raw.raw("EXISTS", dst) == integer(0)
    for k in keys:
        assert raw.raw("ZRANGE", k, "0", "-1", "WITHSCORES") == reply_of(model[k])


def test_zmpop_across_shards(raw):
    ks = spread_keys(12, "mp:")
    raw.value("ZADD", ks[7], "1", "a", "2", "b")
    raw.value("ZADD", ks[9], "5", "c")
    assert raw.raw("ZMPOP", "12", *ks, "MAX", "COUNT", "3") == array(
        bulk(ks[7]), array(flat("b", 2), flat("a", 1)))
    assert raw.raw("ZMPOP", "12", *ks, "MIN") == array(bulk(ks[9]), array(flat("c", 5)))
    assert raw.raw("ZMPOP", "12", *ks, "MIN") == b"*-1\r\n"
    raw.value("SET", ks[3], "v")
    raw.value("ZADD", ks[5], "1", "x")
    assert raw.raw("ZMPOP", "12", *ks, "MIN") == WRONGTYPE
    assert raw.raw("ZMPOP", "3", ks[5], ks[3], ks[4], "MIN") == array(bulk(ks[5]), array(flat("x", 1)))
    assert raw.raw("ZMPOP", "3", ks[0], ks[1], ks[2], "MIN", "COUNT", "0") == err(
        "ERR count should be greater than 0")


def test_cross_shard_store_of_a_big_union(raw):
    a, b, dst = spread_keys(3, "big:")
    raw.value("ZADD", a, *[x for i in range(3000) for x in (str(i), "m%d" % i)])
    raw.value("ZADD", b, *[x for i in range(0, 6000, 2) for x in (str(i), "m%d" % i)])
    assert raw.raw("ZUNIONSTORE", dst, "2", a, b) == integer(4500)
    assert raw.raw("ZSCORE", dst, "m100") == bulk("200")
    assert raw.raw("ZSCORE", dst, "m101") == bulk("101")
    assert raw.raw("ZSCORE", dst, "m5998") == bulk("5998")
    assert raw.raw("ZINTERSTORE", dst, "2", a, b, "WEIGHTS", "1", "0") == integer(1500)
    assert raw.raw("ZRANGE", dst, "0", "2", "WITHSCORES") == flat("m0", 0, "m2", 2, "m4", 4)
    assert raw.value("OBJECT", "ENCODING", dst) == b"skiplist"
