"""KEYS and SCAN over keys spread across every slot (so every shard), with
Redis's cursor parsing, option errors, MATCH/COUNT/TYPE and SCAN's
guarantee: a key present for the whole iteration is returned at least once,
even while other keys are added and removed between calls."""

import time

import pytest

from helpers import NOT_INT, OK, SYNTAX, arity_err, array, bulk, err, spread_keys

INVALID_CURSOR = err("ERR invalid cursor")
MANY = spread_keys(1500, prefix="s:")


def scan_all(raw, *opts, db_cursor="0"):
    """Iterate a whole SCAN; return (list of keys as returned, number of calls)."""
    cursor, out, calls = db_cursor, [], 0
    while True:
        reply = raw.value("SCAN", cursor, *opts)
        assert isinstance(reply, list) and len(reply) == 2, reply
        cursor, keys = reply
        assert cursor.isdigit(), cursor
        out.extend(keys)
        calls += 1
        assert calls < 100000
        if cursor == b"0":
            return out, calls


def fill(r, keys, value="v"):
    pipe = r.pipeline(transaction=False)
    for k in keys:
        pipe.set(k, value)
    pipe.execute()


# -------------------------------------------------------------------- KEYS

def test_keys_all_and_empty_key(raw):
    assert raw.raw("KEYS", "*") == b"*0\r\n"
    assert raw.raw("SET", "", "x") == OK
    assert raw.raw("SET", "a", "x") == OK
    assert sorted(raw.value("KEYS", "*")) == [b"", b"a"]
    assert raw.value("KEYS", "**") == [b"a"]   # only a lone "*" matches the empty key
    assert raw.value("KEYS", "?") == [b"a"]
    assert raw.value("KEYS", "") == [b""]
    assert raw.raw("KEYS") == arity_err("keys")
    assert raw.raw("KEYS", "a", "b") == arity_err("keys")


def test_keys_patterns(raw, r):
    fill(r, ["hello", "hallo", "hxllo", "hllo", "heeeello", "h\\llo", "Hello", "h*llo"])
    assert sorted(raw.value("KEYS", "h?llo")) == [b"h*llo", b"h\\llo", b"hallo", b"hello",
                                                   b"hxllo"]
    assert sorted(raw.value("KEYS", "h*llo")) == [b"h*llo", b"h\\llo", b"hallo", b"heeeello",
                                                   b"hello", b"hllo", b"hxllo"]
    assert sorted(raw.value("KEYS", "h[ae]llo")) == [b"hallo", b"hello"]
    assert sorted(raw.value("KEYS", "h[^e]llo")) == [b"h*llo", b"h\\llo", b"hallo", b"hxllo"]
    assert sorted(raw.value("KEYS", "h[a-b]llo")) == [b"hallo"]
    assert raw.value("KEYS", "h\\*llo") == [b"h*llo"]
    assert raw.value("KEYS", "[H]*") == [b"Hello"]


def test_keys_spread(raw, r):
    fill(r, MANY)
    got = raw.value("KEYS", "*")
    assert len(got) == len(MANY)
    assert sorted(got) == sorted(k.encode() for k in MANY)
    got = raw.value("KEYS", "s:1??")
    assert sorted(got) == sorted(("s:%d" % i).encode() for i in range(100, 200))


def test_keys_hashtags(raw, r):
    fill(r, ["{user1}:a", "{user1}:b", "{user2}:a", "x"])
    assert sorted(raw.value("KEYS", "{user1}*")) == [b"{user1}:a", b"{user1}:b"]
    assert sorted(raw.value("KEYS", "*:a")) == [b"{user1}:a", b"{user2}:a"]


def test_keys_skips_expired_and_other_dbs(raw):
    for k in MANY[:30]:
        assert raw.raw("SET", k, "v", "PX", "1") == OK
    assert raw.raw("SET", "live", "v") == OK
    assert raw.raw("SELECT", "3") == OK
    assert raw.raw("SET", "other", "v") == OK
    assert raw.value("KEYS", "*") == [b"other"]
    assert raw.raw("SELECT", "0") == OK
    time.sleep(0.02)
    assert raw.value("KEYS", "*") == [b"live"]


def test_keys_resp3(raw3):
    assert raw3.raw("SET", "k", "v") == OK
    assert raw3.raw("KEYS", "*") == array(bulk("k"))
    assert raw3.raw("KEYS", "nomatch") == b"*0\r\n"


# ------------------------------------------------------------- SCAN errors

@pytest.mark.parametrize("cursor", ["abc", " 1", "1 ", "0x10", "18446744073709551616",
                                    "-18446744073709551616", "-", "+", "1.5", "\t0"])
def test_scan_invalid_cursor(raw, cursor):
    assert raw.raw("SCAN", cursor) == INVALID_CURSOR
    assert raw.raw("SCAN", cursor, "foo") == INVALID_CURSOR


@pytest.mark.parametrize("cursor", ["", "+0", "-0", "0\x00abc", "00"])
def test_scan_cursor_zero_forms(raw, cursor):
    """strtoul rules: these all mean cursor 0 (a fresh scan)."""
    assert raw.raw("SET", "k", "v") == OK
    reply = raw.value("SCAN", cursor, "COUNT", "1000")
    full = [reply[1]]
    cursor = reply[0]
    while cursor != b"0":
        cursor, keys = raw.value("SCAN", cursor, "COUNT", "1000")
        full.append(keys)
    assert sum(full, []) == [b"k"]


@pytest.mark.parametrize("cursor", ["-1", "18446744073709551615", "-18446744073709551615",
                                    "007", "12345678901234"])
def test_scan_any_numeric_cursor_is_accepted(raw, cursor):
    reply = raw.value("SCAN", cursor)
    assert isinstance(reply, list) and len(reply) == 2
    assert reply[0].isdigit() and reply[1] == []


@pytest.mark.parametrize("opts,reply", [
    (["COUNT", "0"], SYNTAX), (["COUNT", "-1"], SYNTAX), (["COUNT", "abc"], NOT_INT),
    (["COUNT"], SYNTAX), (["MATCH"], SYNTAX), (["TYPE"], SYNTAX), (["foo", "bar"], SYNTAX),
    (["COUNT", "5", "COUNT", "abc"], NOT_INT), (["MATCH", "*", "x"], SYNTAX),
    (["COUNT", "99999999999999999999"], NOT_INT),
])
def test_scan_option_errors(raw, opts, reply):
    assert raw.raw("SCAN", "0", *opts) == reply


def test_scan_arity(raw):
    assert raw.raw("SCAN") == arity_err("scan")


# ------------------------------------------------------------ SCAN results

def test_scan_empty(raw, raw3):
    assert scan_all(raw)[0] == []
    assert scan_all(raw3)[0] == []
    assert raw.value("SCAN", "0", "COUNT", "100000")[1] == []


def test_scan_resp_shapes(raw, raw3):
    assert raw.raw("SET", "only", "v") == OK
    keys, _ = scan_all(raw)
    assert keys == [b"only"]
    keys, _ = scan_all(raw3)
    assert keys == [b"only"]
    # Every reply: an array of a bulk cursor and an array of bulk keys.
    cursor = "0"
    while True:
        r2 = raw.raw("SCAN", cursor)
        r3 = raw3.raw("SCAN", cursor)
        assert r2 == r3
        assert r2.startswith(b"*2\r\n$")
        cursor = raw.value("SCAN", cursor)[0].decode()
        if cursor == "0":
            break


@pytest.mark.parametrize("count", [None, "1", "7", "100", "5000"])
def test_scan_returns_every_key(raw, r, count):
    fill(r, MANY)
    opts = ["COUNT", count] if count else []
    keys, calls = scan_all(raw, *opts)
    assert set(keys) == {k.encode() for k in MANY}
    assert len(keys) >= len(MANY)
    if count == "1":
        assert calls > 100


def test_scan_match(raw, r):
    fill(r, MANY)
    keys, _ = scan_all(raw, "MATCH", "s:1?", "COUNT", "50")
    assert sorted(set(keys)) == sorted(("s:%d" % i).encode() for i in range(10, 20))
    keys, _ = scan_all(raw, "MATCH", "*", "COUNT", "50")
    assert len(set(keys)) == len(MANY)
    keys, _ = scan_all(raw, "match", "nothing*")
    assert keys == []


def test_scan_match_empty_key(raw):
    assert raw.raw("SET", "", "v") == OK
    assert raw.raw("SET", "a", "v") == OK
    assert sorted(set(scan_all(raw, "MATCH", "*")[0])) == [b"", b"a"]
    assert sorted(set(scan_all(raw, "MATCH", "**")[0])) == [b"a"]


def test_scan_type(raw, r):
    fill(r, MANY[:300])
    keys, _ = scan_all(raw, "TYPE", "string", "COUNT", "100")
    assert len(set(keys)) == 300
    keys, _ = scan_all(raw, "TYPE", "STRING")
    assert len(set(keys)) == 300
    for t in ("list", "hash", "set", "zset", "stream", "none", "nosuchtype"):
        assert scan_all(raw, "TYPE", t)[0] == []
    keys, _ = scan_all(raw, "TYPE", "list", "TYPE", "string")   # the last one wins
    assert len(set(keys)) == 300
    keys, _ = scan_all(raw, "TYPE", "string", "MATCH", "s:2?")
    assert sorted(set(keys)) == sorted(("s:%d" % i).encode() for i in range(20, 30))


def test_scan_skips_expired(raw):
    for k in MANY[:40]:
        assert raw.raw("SET", k, "v", "PX", "1") == OK
    for k in MANY[40:60]:
        assert raw.raw("SET", k, "v") == OK
    time.sleep(0.02)
    keys, _ = scan_all(raw, "COUNT", "1000")
    assert sorted(set(keys)) == sorted(k.encode() for k in MANY[40:60])
    assert raw.value("DBSIZE") == 20   # the scan deleted what it met expired


def test_scan_type_none_returns_just_expired_keys(raw):
    """Redis's TYPE filter looks the key up first: an expired key is deleted
    by that lookup, reads as type "none", and so passes a TYPE none filter.
    (Active expiry may delete some of them first; those are simply gone.)"""
    gone = {("gone:%d" % i).encode() for i in range(50)}
    for k in gone:
        assert raw.raw("SET", k, "v", "PX", "1") == OK
    assert raw.raw("SET", "live", "v") == OK
    time.sleep(0.02)
    keys, _ = scan_all(raw, "TYPE", "none", "COUNT", "1000")
    assert set(keys) <= gone and len(keys) == len(set(keys))
    assert raw.value("DBSIZE") == 1
    assert scan_all(raw, "TYPE", "none")[0] == []
    assert scan_all(raw, "TYPE", "string")[0] == [b"live"]


def test_scan_per_db(raw, r):
    fill(r, MANY[:100])
    assert raw.raw("SELECT", "9") == OK
    assert scan_all(raw)[0] == []
    assert raw.raw("SET", "db9", "v") == OK
    assert scan_all(raw)[0] == [b"db9"]


def test_scan_guarantee_under_churn(raw, r):
    """Keys present for the whole scan come back at least once while other
    keys are added (growing the tables) and removed between calls; no key
    that never existed is returned."""
    stable = MANY[:1000]
    fill(r, stable)
    fill(r, ["churn:%d" % i for i in range(500)])
    ever = {k.encode() for k in stable} | {("churn:%d" % i).encode() for i in range(500)}
    cursor, seen, step = "0", [], 0
    while True:
        cursor, keys = raw.value("SCAN", cursor, "COUNT", "20")
        seen.extend(keys)
        step += 1
        # Grow: add 40 new keys; shrink: delete 30 churn keys.
        new = ["new:%d:%d" % (step, i) for i in range(40)]
        fill(r, new)
        ever |= {k.encode() for k in new}
        r.delete(*["churn:%d" % i for i in range(step * 30, step * 30 + 30)])
        if cursor == b"0":
            break
        assert step < 10000
    seen = set(seen)
    assert {k.encode() for k in stable} <= seen
    assert seen <= ever


def test_scan_guarantee_while_shrinking(raw, r):
    stable = MANY[:200]
    doomed = ["doomed:%d" % i for i in range(3000)]
    fill(r, stable)
    fill(r, doomed)
    cursor, seen, step = "0", set(), 0
    while True:
        cursor, keys = raw.value("SCAN", cursor, "COUNT", "10")
        seen |= set(keys)
        if step * 200 < len(doomed):
            r.delete(*doomed[step * 200:step * 200 + 200])
        step += 1
        if cursor == b"0":
            break
    assert {k.encode() for k in stable} <= seen
    assert raw.value("DBSIZE") == len(stable)


def test_scan_hashtag_keys(raw, r):
    tagged = ["{tag}:%d" % i for i in range(300)]
    fill(r, tagged)
    fill(r, MANY[:300])
    keys, _ = scan_all(raw, "MATCH", "{tag}:*", "COUNT", "30")
    assert set(keys) == {k.encode() for k in tagged}


# ------------------------------------------- a small keyspace in one call

@pytest.mark.parametrize("n", [1, 3, 8])
def test_scan_small_keyspace_in_one_call(raw, raw3, r, n):
    """Redis returns every key of a small database and cursor 0 from one
    SCAN 0 (COUNT 10 visits enough buckets); kevy's call goes on into the
    next shards while its budget lasts, wherever the keys live."""
    keys = spread_keys(n, prefix="small:")
    fill(r, keys)
    for c in (raw, raw3):
        cursor, got = c.value("SCAN", "0")
        assert cursor == b"0"
        assert sorted(got) == sorted(k.encode() for k in keys)
    cursor, got = raw.value("SCAN", "0", "MATCH", keys[0])
    assert (cursor, got) == (b"0", [keys[0].encode()])
    cursor, got = raw.value("SCAN", "0", "TYPE", "list")
    assert (cursor, got) == (b"0", [])
    cursor, got = raw.value("SCAN", "0", "COUNT", "1000")
    assert cursor == b"0"
    assert sorted(got) == sorted(k.encode() for k in keys)


def test_scan_medium_keyspace_one_call_with_big_count(raw, r):
    keys = spread_keys(200, prefix="mid:")
    fill(r, keys)
    cursor, got = raw.value("SCAN", "0", "COUNT", "1000")
    assert cursor == b"0"
    assert sorted(got) == sorted(k.encode() for k in keys)


def test_scan_count_budget_spans_shards(raw, r):
    """A COUNT smaller than the keyspace still ends the call early with a
    valid cursor, and the iteration as a whole returns every key."""
    keys = spread_keys(60, prefix="budget:")
    fill(r, keys)
    seen, calls = scan_all(raw, "COUNT", "5")
    assert set(seen) == {k.encode() for k in keys}
    assert calls > 1


def test_scan_small_keyspace_inside_multi(raw):
    keys = spread_keys(4, prefix="mx:")
    for k in keys:
        assert raw.raw("SET", k, "v") == OK
    assert raw.raw("MULTI") == OK
    assert raw.raw("SCAN", "0") == b"+QUEUED\r\n"
    reply = raw.value("EXEC")
    assert reply[0][0] == b"0"
    assert sorted(reply[0][1]) == sorted(k.encode() for k in keys)
