"""Large PELs and where XREAD / XREADGROUP run (issue 13).

- A PEL of 20,000 pending entries spread over three consumers (XCLAIM moves
  random entries between them) acknowledged in random order, with repeats
  and unknown IDs: every XACK's count, and after each batch XPENDING's
  summary and extended forms (a range, with and without a consumer), exactly
  as a model says, until the PEL is empty.
- Non-blocking XREAD and XREADGROUP whose keys are all on one shard (one
  key, or several under a hashtag) from a client on every shard, inside
  MULTI too, and the option errors in Redis's order (one parser serves both
  commands and their BLOCK forms)."""

import random

from blocking_helpers import shard_keys
from helpers import NIL, NOT_INT, OK, SYNTAX, array, bulk, dec, err, integer

N = 20000
NILARR = b"*-1\r\n"


def entry(eid, *fv):
    return array(bulk(eid), array(*[bulk(x) for x in fv]))


def eid(i):
    return "%d-%d" % (1 + i // 7, i % 7)


def check_pending(raw, owner, rng):
    """XPENDING summary and extended forms against the model (id -> owner)."""
    ids = sorted(owner, key=lambda e: tuple(int(x) for x in e.split("-")))
    summary = dec(raw.value("XPENDING", "s", "g"))
    if not ids:
        assert summary == [0, None, None, None]
        return
    counts = {}
    for o in owner.values():
        counts[o] = counts.get(o, 0) + 1
    assert summary == [len(ids), ids[0], ids[-1],
                       [[c, str(counts[c])] for c in sorted(counts)]]
    start = rng.randrange(len(ids))
    got = dec(raw.value("XPENDING", "s", "g", ids[start], "+", "100"))
    assert [(p[0], p[1], p[3]) for p in got] == \
        [(e, owner[e], 1) for e in ids[start:start + 100]]
    got = dec(raw.value("XPENDING", "s", "g", "(" + ids[start], ids[-1], "100", "bob"))
    mine = [e for e in ids[start + 1:] if owner[e] == "bob"][:100]
    assert [(p[0], p[1]) for p in got] == [(e, "bob") for e in mine]


def test_xack_large_pel_random_order(raw):
    rng = random.Random(13)
    ids = [eid(i) for i in range(N)]
    for at in range(0, N, 1000):
        replies = raw.pipeline([("XADD", "s", e, "f", "v") for e in ids[at:at + 1000]])
        assert [r[1] for r in replies] == [bulk(e) for e in ids[at:at + 1000]]
    assert raw.raw("XGROUP", "CREATE", "s", "g", "0") == OK
    got = dec(raw.value("XREADGROUP", "GROUP", "g", "alice", "COUNT", str(N), "STREAMS", "s",
                        ">"))
    assert [e[0] for e in got[0][1]] == ids
    owner = dict.fromkeys(ids, "alice")
    # Random entries move to bob and carol: three interleaved consumer PELs.
    for who in ("bob", "carol"):
        pick = rng.sample(ids, N // 3)
        for at in range(0, len(pick), 500):
            part = pick[at:at + 500]
            got = dec(raw.value("XCLAIM", "s", "g", who, "0", *part, "JUSTID"))
            assert got == part
            for e in part:
                owner[e] = who
    check_pending(raw, owner, rng)
    order = ids[:]
    rng.shuffle(order)
    acked = set()
    for at in range(0, N, 500):
        batch = order[at:at + 500]
        # Some again (acknowledged already), some never delivered.
        extra = rng.sample(sorted(acked), min(20, len(acked))) + ["999999-%d" % at]
        args = batch + extra
        rng.shuffle(args)
        assert raw.raw("XACK", "s", "g", *args) == integer(len(batch))
        for e in batch:
            del owner[e]
            acked.add(e)
        check_pending(raw, owner, rng)
    assert raw.raw("XPENDING", "s", "g") == array(integer(0), NIL, NIL, NILARR)
    assert raw.raw("XACK", "s", "g", *order[:10]) == integer(0)
    got = dec(raw.value("XINFO", "CONSUMERS", "s", "g"))
    assert [(c[1], c[3]) for c in got] == [("alice", 0), ("bob", 0), ("carol", 0)]


def test_reads_on_one_shard_from_every_shard(connect):
    keys = shard_keys("xo:", 4)
    tagged = ["{xo}a", "{xo}b", "{xo}c"]
    clients = [connect() for _ in range(6)]  # homes spread over the shards
    setup = clients[0]
    for i, k in enumerate(keys + tagged):
        assert setup.raw("XADD", k, "%d-1" % (i + 1), "k", k) == bulk("%d-1" % (i + 1))
        assert setup.raw("XGROUP", "CREATE", k, "g", "0") == OK
    for n, c in enumerate(clients):
        for i, k in enumerate(keys):
            want = array(array(bulk(k), array(entry("%d-1" % (i + 1), "k", k))))
            assert c.raw("XREAD", "COUNT", "5", "STREAMS", k, "0") == want
            assert c.raw("XREAD", "STREAMS", k, "$") == NILARR
            assert c.raw("XREADGROUP", "GROUP", "g", "c%d" % n, "STREAMS", k, "0") == \
                array(array(bulk(k), array()))
        want = array(*[array(bulk(k), array(entry("%d-1" % (i + 5), "k", k)))
                       for i, k in enumerate(tagged)])
        assert c.raw("XREAD", "STREAMS", *tagged, "0", "0", "0") == want
    # The group hands each entry out once, whichever client asks.
    c = clients[1]
    assert c.raw("XREADGROUP", "GROUP", "g", "x", "STREAMS", *tagged, ">", ">", ">") == \
        array(*[array(bulk(k), array(entry("%d-1" % (i + 5), "k", k)))
                for i, k in enumerate(tagged)])
    assert clients[2].raw("XREADGROUP", "GROUP", "g", "y", "STREAMS", *tagged,
                          ">", ">", ">") == NILARR
    assert dec(c.value("XPENDING", tagged[1], "g")) == [1, "6-1", "6-1", [["x", "1"]]]
    # Inside MULTI: the queue runs under EXEC's locks wherever its keys are.
    for c in clients[:4]:
        assert c.raw("MULTI") == OK
        c.raw("XREAD", "STREAMS", keys[2], "0")
        c.raw("XREADGROUP", "GROUP", "g", "z", "STREAMS", keys[3], ">")
        c.raw("XADD", keys[3], "*", "n", "1")
        c.raw("XREADGROUP", "GROUP", "g", "z", "COUNT", "1", "STREAMS", keys[3], ">")
        got = dec(c.value("EXEC"))
        assert got[0] == [[keys[2], [["3-1", ["k", keys[2]]]]]]
        assert got[1] in (None, [[keys[3], [["4-1", ["k", keys[3]]]]]])
        assert got[3][0][0] == keys[3] and got[3][0][1][0][0] == got[2]


def test_read_option_errors_in_order(raw):
    assert raw.raw("XADD", "s", "1-1", "a", "1") == bulk("1-1")
    assert raw.raw("XREAD", "COUNT", "x", "BLOCK", "0", "STREAMS", "s", "0") == NOT_INT
    assert raw.raw("XREAD", "BLOCK", "x", "COUNT", "y", "STREAMS", "s", "0") == err(
        "ERR timeout is not an integer or out of range")
    assert raw.raw("XREAD", "BLOCK", "0", "COUNT", "y", "STREAMS", "s", "0") == NOT_INT
    assert raw.raw("XREAD", "COUNT", "1", "FOO", "BLOCK", "0", "STREAMS", "s", "0") == SYNTAX
    assert raw.raw("XREAD", "BLOCK", "0", "NOACK", "STREAMS", "s", "0") == err(
        "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
    assert raw.raw("XREAD", "GROUP", "g", "c", "BLOCK", "x", "STREAMS", "s", "0") == err(
        "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
    assert raw.raw("XREAD", "BLOCK", "0", "STREAMS", "s", "0", "x") == err(
        "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be "
        "specified.")
    assert raw.raw("XREAD", "COUNT", "1", "BLOCK", "0") == SYNTAX
    assert raw.raw("XREADGROUP", "BLOCK", "0", "COUNT", "1", "STREAMS", "s", ">") == err(
        "ERR Missing GROUP option for XREADGROUP")
    assert raw.raw("XREADGROUP", "GROUP", "g", "c", "BLOCK", "-5", "STREAMS", "s", ">") == err(
        "ERR timeout is negative")
    assert raw.raw("XREADGROUP", "NOACK", "COUNT", "-3", "GROUP", "g", "c", "STREAMS", "s",
                   ">") == err("NOGROUP No such key 's' or consumer group 'g' in XREADGROUP "
                               "with GROUP option")
    # A negative COUNT reads everything, BLOCK or not.
    assert raw.raw("XREAD", "COUNT", "-3", "BLOCK", "0", "STREAMS", "s", "0") == \
        array(array(bulk("s"), array(entry("1-1", "a", "1"))))
    assert raw.raw("XREAD", "COUNT", "-3", "STREAMS", "s", "0") == \
        array(array(bulk("s"), array(entry("1-1", "a", "1"))))
