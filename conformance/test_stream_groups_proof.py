"""The consumer-group proof of issue 13: producers XADD to streams on every
shard, a group of consumers XREADGROUP BLOCK and XACK, some consumers die
mid-work (they close their sockets with entries read and not acknowledged)
and the survivors take those entries over with XAUTOCLAIM. At the end every
entry produced was acknowledged exactly once (each XACK of it answered 1
once) and none is lost or left pending.

  KEVY_GROUPS_SECONDS=N   produce for N seconds (default 2); the drain after
                          it is bounded too."""

import os
import random
import threading
import time

from helpers import quarter_keys
from resp_client import RespClient

SECONDS = float(os.environ.get("KEVY_GROUPS_SECONDS", "").strip() or 2)
STREAMS = quarter_keys("xq:s:", 1)  # one stream in each quarter of the slots
PRODUCERS = 2
CONSUMERS = 4
IDLE_MS = 150  # XAUTOCLAIM takes entries idle this long (a dead consumer's)


def connect(server):
    return RespClient(server.host, server.port, timeout=15)


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.produced = set()   # (stream, id)
        self.acked = {}         # (stream, id) -> XACKs that answered 1
        self.errors = []
        self.deaths = 0
        self.claimed = 0

    def ack(self, c, stream, eid):
        n = c.value("XACK", stream, "g", eid)
        if n == 1:
            with self.lock:
                self.acked[(stream, eid)] = self.acked.get((stream, eid), 0) + 1


def producer(server, pid, deadline, st):
    rnd = random.Random(pid)
    c = connect(server)
    try:
        while time.monotonic() < deadline:
            s = rnd.choice(STREAMS)
            eid = c.value("XADD", s, "*", "p", str(pid))
            with st.lock:
                st.produced.add((s, eid.decode()))
            if rnd.random() < 0.3:
                time.sleep(0.002)
    except Exception as e:  # noqa: BLE001 - reported by the test
        st.errors.append("producer %d: %r" % (pid, e))
    finally:
        c.close()


def entries_of(reply):
    """(stream, id) pairs of an XREADGROUP reply (RESP2)."""
    out = []
    for key, entries in reply or []:
        for e in entries:
            out.append((key.decode(), e[0].decode()))
    return out


def claim(c, st, name):
    """Take over every entry idle for IDLE_MS and acknowledge it."""
    for s in STREAMS:
        start = "0-0"
        while True:
            nxt, got = c.value("XAUTOCLAIM", s, "g", name, str(IDLE_MS), start,
                               "COUNT", "50")[:2]
            for e in got:
                st.ack(c, s, e[0].decode())
                with st.lock:
                    st.claimed += 1
            start = nxt.decode()
            if start == "0-0":
                break


def consumer(server, cid, stop, st, rnd):
    gen = 0
    c = connect(server)
    name = "c%d.%d" % (cid, gen)
    try:
        while not stop.is_set():
            reply = c.value("XREADGROUP", "GROUP", "g", name, "COUNT", "5", "BLOCK", "50",
                            "STREAMS", *STREAMS, *([">"] * len(STREAMS)))
            got = entries_of(reply)
            if got and rnd.random() < 0.04:
                # die mid-work: these entries stay pending for a survivor
                c.close()
                with st.lock:
                    st.deaths += 1
                gen += 1
                c = connect(server)
                name = "c%d.%d" % (cid, gen)
                continue
            for s, eid in got:
                st.ack(c, s, eid)
            if rnd.random() < 0.1:
                claim(c, st, name)
    except Exception as e:  # noqa: BLE001 - reported by the test
        st.errors.append("consumer %d: %r" % (cid, e))
    finally:
        c.close()


def test_consumer_group_every_entry_acked_once(server):
    admin = connect(server)
    admin.value("FLUSHALL")
    for s in STREAMS:
        assert admin.raw("XGROUP", "CREATE", s, "g", "$", "MKSTREAM") == b"+OK\r\n"
    st = State()
    stop = threading.Event()
    deadline = time.monotonic() + SECONDS
    prods = [threading.Thread(target=producer, args=(server, i, deadline, st))
             for i in range(PRODUCERS)]
    cons = [threading.Thread(target=consumer,
                             args=(server, i, stop, st, random.Random(100 + i)))
            for i in range(CONSUMERS)]
    for t in prods + cons:
        t.start()
    for t in prods:
        t.join()
    # drain: consumers go on until every entry is acknowledged (bounded)
    drain_end = time.monotonic() + 10 + SECONDS
    while time.monotonic() < drain_end:
        with st.lock:
            if len(st.acked) == len(st.produced):
                break
        time.sleep(0.05)
    stop.set()
    for t in cons:
        t.join(30)
    # what a consumer that died last left: taken over here
    time.sleep(IDLE_MS / 1000.0)
    claim(admin, st, "final")
    assert not st.errors, st.errors
    assert st.produced, "nothing produced"
    missing = st.produced - set(st.acked)
    assert not missing, "%d entries never acknowledged, e.g. %r" % (len(missing),
                                                                  sorted(missing)[:5])
    twice = {k: v for k, v in st.acked.items() if v != 1}
    assert not twice, "acknowledged more than once: %r" % list(twice.items())[:5]
    assert set(st.acked) == st.produced
    for s in STREAMS:
        assert admin.value("XPENDING", s, "g")[0] == 0
        assert admin.value("XLEN", s) == sum(1 for k in st.produced if k[0] == s)
    # the run did what it is meant to prove: consumers died, entries moved
    assert st.deaths > 0 and st.claimed > 0, (st.deaths, st.claimed, len(st.produced))
    print("produced %d, consumers died %d, entries claimed %d"
          % (len(st.produced), st.deaths, st.claimed))
    admin.close()
