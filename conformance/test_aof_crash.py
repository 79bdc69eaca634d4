"""The append-only file's proof: kill -9 at a random moment, restart, and
nothing acknowledged is lost (appendfsync always) or only the last seconds
are (everysec), and no MULTI/EXEC is ever half applied.

Each cycle starts the server on the same directory (kevy with 4 shards,
Redis plain) with --appendonly yes, runs client threads that each do, at
random, acknowledged SETs (a new key per write; the value is recorded once
the reply arrived), INCRs of shared counters (the highest value a reply
gave is recorded), RPUSHes to the thread's own list of the cycle, and
MULTI/EXEC transfers between accounts on every shard; SIGKILLs the server
at a random moment (now and then after a BGREWRITEAOF); restarts it and
checks (keys and lists of the last KEEP_CYCLES cycles, then deletes older
ones so long runs stay small):

  always:   every acknowledged SET is there with its value (one in flight
            may be there too, with its value); each counter is at least its
            last acknowledged value and at most that plus the INCRs in
            flight; each list is its acknowledged pushes in order (plus, at
            most, the one in flight); the accounts sum to what they started
            with.
  everysec: the accounts sum to what they started with; an acknowledged
            SET or push may be missing only if it was acknowledged in the
            last EVERYSEC_WINDOW seconds before the kill; nothing that was
            never sent appears; what a restart loaded is never lost later.

KEVY_CRASH_CYCLES sets the number of cycles of each test (default 3; CI's
long mode: 200), KEVY_CRASH_SEED the random seed (printed on failure),
KEVY_CRASH_KEEP a directory where the files each kill left are copied (the
last cycle's stay there, for a failure's post-mortem).
"""

import os
import random
import shutil
import threading
import time

import pytest

from conftest import IMPL
from helpers import OK, spread_keys
from persist_helpers import kill9, persist_servers, snapshot
from resp_client import RespClient, ServerClosed

pytestmark = [pytest.mark.restart, pytest.mark.slow]

CYCLES = int(os.environ.get("KEVY_CRASH_CYCLES", "").strip() or 3)
SEED = int(os.environ.get("KEVY_CRASH_SEED", "").strip() or time.time_ns() % 1000000)
THREADS = 4
ACCOUNTS, START_BALANCE = 32, 1000
COUNTERS = spread_keys(8, "crash:ctr:")
ACCOUNT_KEYS = spread_keys(ACCOUNTS, "crash:acct:")
# Redis's everysec may lose up to 2 s of writes; 0.5 s more for scheduling.
EVERYSEC_WINDOW = 2.5
# Keys are checked after this many restarts, then deleted.
KEEP_CYCLES = 3
# Where the files a kill left are kept when a cycle fails (set to keep them).
KEEP_DIR = os.environ.get("KEVY_CRASH_KEEP", "").strip()
SHARDS = 4 if IMPL != "redis" else None


@pytest.fixture
def persist():
    yield from persist_servers()


class Model:
    """What the clients know: acknowledged writes (with the time of the
    acknowledgement) and writes in flight when the server died."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sets = {}            # key -> value, acknowledged (or loaded since)
        self.set_acked_at = {}    # key -> monotonic time of the reply, this cycle
        self.set_inflight = {}    # key -> value, sent this cycle, no reply
        self.ctr_base = {k: 0 for k in COUNTERS}    # value after the last restart
        self.ctr_max = {k: 0 for k in COUNTERS}     # highest reply this cycle
        self.ctr_sent = {k: 0 for k in COUNTERS}    # INCRs sent this cycle
        self.ctr_acked = {k: 0 for k in COUNTERS}   # and answered
        self.set_cycle = {}       # key -> the cycle that wrote it
        self.lists = {}           # list key -> content after the last restart
        self.pushed = {}          # list key -> [(element, acked at)] this cycle
        self.push_inflight = {}   # list key -> element in flight
        self.transfers = 0
        self.failures = []

    def new_cycle(self, cycle):
        self.set_acked_at, self.set_inflight = {}, {}
        self.ctr_max = dict(self.ctr_base)
        self.ctr_sent = {k: 0 for k in COUNTERS}
        self.ctr_acked = {k: 0 for k in COUNTERS}
        self.pushed = {list_key(cycle, t): [] for t in range(THREADS)}
        self.push_inflight = {list_key(cycle, t): None for t in range(THREADS)}
        for k in self.pushed:
            self.lists[k] = []

    def forget(self, cycle):
        """Keys written by `cycle` and before, which the caller deletes:
        checked after KEEP_CYCLES restarts, then dropped (bounds the
        dataset in long runs)."""
        old = [k for k, c in self.set_cycle.items() if c <= cycle]
        for k in old:
            del self.sets[k]
            del self.set_cycle[k]
        lists = [list_key(c, t) for c in range(cycle + 1) for t in range(THREADS)
                 if list_key(c, t) in self.lists]
        for k in lists:
            del self.lists[k]
        return old + lists


def list_key(cycle, t):
    return "crash:list:%d:%d" % (cycle, t)


def worker(srv, model, t, cycle, rnd):
    try:
        c = RespClient(srv.host, srv.port, timeout=10)
    except OSError:
        return
    n = 0
    try:
        while True:
            n += 1
            op = rnd.random()
            if op < 0.4:
                key = "crash:set:%d:%d:%d" % (cycle, t, n)
                value = "v:%d:%d:%d:%d" % (cycle, t, n, rnd.getrandbits(32))
                with model.lock:
                    model.set_inflight[key] = value
                reply = c.raw("SET", key, value)
                if reply != OK:
                    model.failures.append(("SET", key, reply))
                    return
                now = time.monotonic()
                with model.lock:
                    del model.set_inflight[key]
                    model.sets[key] = value
                    model.set_cycle[key] = cycle
                    model.set_acked_at[key] = now
            elif op < 0.6:
                key = COUNTERS[rnd.randrange(len(COUNTERS))]
                with model.lock:
                    model.ctr_sent[key] += 1
                value = c.value("INCR", key)
                if not isinstance(value, int):
                    model.failures.append(("INCR", key, value))
                    return
                with model.lock:
                    model.ctr_acked[key] += 1
                    model.ctr_max[key] = max(model.ctr_max[key], value)
            elif op < 0.8:
                lk = list_key(cycle, t)
                element = str(n)
                model.push_inflight[lk] = element
                value = c.value("RPUSH", lk, element)
                if not isinstance(value, int):
                    model.failures.append(("RPUSH", lk, value))
                    return
                now = time.monotonic()
                model.pushed[lk].append((element, now))
                model.push_inflight[lk] = None
            else:
                a, b = rnd.sample(ACCOUNT_KEYS, 2)
                amount = str(rnd.randint(1, 50))
                replies = c.pipeline([("MULTI",), ("DECRBY", a, amount), ("INCRBY", b, amount),
                                      ("EXEC",)])
                result = replies[3][0]
                if not (isinstance(result, list) and len(result) == 2 and
                        all(isinstance(x, int) for x in result)):
                    model.failures.append(("transfer", replies))
                    return
                with model.lock:
                    model.transfers += 1
    except (ServerClosed, OSError):
        return      # the server was killed
    finally:
        c.close()


def mget(c, keys):
    out = []
    for i in range(0, len(keys), 1000):
        out += c.value("MGET", *keys[i:i + 1000])
    return out


def verify(c, model, mode, killed_at, where):
    """Check the restarted server against the model, then make what it
    holds the model's new starting point."""
    problems = []
    # The bank: never half a transfer.
    balances = mget(c, ACCOUNT_KEYS)
    if None in balances:
        problems.append("accounts missing: %r" % [k for k, v in zip(ACCOUNT_KEYS, balances)
                                                   if v is None])
    else:
        total = sum(int(v) for v in balances)
        if total != ACCOUNTS * START_BALANCE:
            problems.append("the accounts sum to %d, not %d: a transaction was half applied "
                            "(balances %r)" % (total, ACCOUNTS * START_BALANCE,
                                               [int(v) for v in balances]))
    # SETs.
    keys = sorted(model.sets)
    got = dict(zip(keys, mget(c, keys)))
    lost = []
    for k in keys:
        if got[k] is None:
            lost.append(k)
        elif got[k] != model.sets[k].encode():
            problems.append("%s holds %r, not the acknowledged %r" % (k, got[k], model.sets[k]))
    for k in lost:
        acked = model.set_acked_at.get(k)
        if mode == "always" or acked is None:
            problems.append("acknowledged SET %s (%s) lost" % (
                k, "before this cycle" if acked is None else
                "%.3fs before the kill" % (killed_at - acked)))
        elif acked < killed_at - EVERYSEC_WINDOW:
            problems.append("SET %s acknowledged %.3fs before the kill lost (everysec may lose "
                            "%gs)" % (k, killed_at - acked, EVERYSEC_WINDOW))
        del model.sets[k]
        del model.set_cycle[k]  # a loss everysec allows: the key is no longer the model's
    inflight = sorted(model.set_inflight)
    for k, v in zip(inflight, mget(c, inflight)):
        if v is not None:
            if v != model.set_inflight[k].encode():
                problems.append("in-flight SET %s holds %r, not %r" % (k, v,
                                                                        model.set_inflight[k]))
            model.sets[k] = model.set_inflight[k]
            model.set_cycle[k] = int(k.split(":")[2])
    # Counters.
    values = mget(c, COUNTERS)
    for k, v in zip(COUNTERS, values):
        v = int(v or 0)
        base, sent = model.ctr_base[k], model.ctr_sent[k]
        inflight_n = sent - model.ctr_acked[k]
        if v > base + sent or (mode == "always" and v > model.ctr_max[k] + inflight_n):
            problems.append("%s is %d: more than the %d + %d INCRs sent" % (k, v, base, sent))
        if v < base or (mode == "always" and v < model.ctr_max[k]):
            problems.append("%s is %d, below its last acknowledged value %d (loaded: %d)"
                            % (k, v, model.ctr_max[k], base))
        model.ctr_base[k] = v
    # Lists: this cycle's, and those a restart loaded before.
    for lk in sorted(model.lists):
        got_list = [x.decode() for x in c.value("LRANGE", lk, "0", "-1")]
        loaded = model.lists[lk]
        pushed = model.pushed.get(lk, [])
        full = loaded + [e for e, _ in pushed]
        extra = model.push_inflight.get(lk)
        possible = full + ([extra] if extra else [])
        if got_list[:len(loaded)] != loaded:
            problems.append("%s lost elements a restart had loaded" % lk)
        elif got_list != possible[:len(got_list)]:
            problems.append("%s is not its pushes in order: %r... vs %r..." % (
                lk, got_list[-5:], possible[-5:]))
        elif len(got_list) < len(full):
            missing = pushed[len(got_list) - len(loaded):]
            if mode == "always":
                problems.append("%s lost %d acknowledged pushes" % (lk, len(missing)))
            elif missing[0][1] < killed_at - EVERYSEC_WINDOW:
                problems.append("%s lost a push acknowledged %.3fs before the kill" % (
                    lk, killed_at - missing[0][1]))
        model.lists[lk] = got_list
    assert not problems, "%s:\n%s" % (where, "\n".join(problems[:20]))


def crash_cycles(persist, mode):
    rnd = random.Random(SEED)
    flags = ("--appendonly", "yes", "--appendfsync", mode)
    d = persist.dir()
    srv = persist.start(d, *flags, shards=SHARDS)
    c = persist.client(srv)
    assert c.raw("MSET", *sum(([k, str(START_BALANCE)] for k in ACCOUNT_KEYS), [])) == OK
    # A clean stop first: the accounts are on disk before any kill.
    persist.shutdown(srv)
    model = Model()
    stats = []
    for cycle in range(CYCLES):
        where = "cycle %d of %d (KEVY_CRASH_SEED=%d, appendfsync %s)" % (cycle + 1, CYCLES, SEED,
                                                                         mode)
        srv = persist.start(d, *flags, shards=SHARDS)
        if cycle >= KEEP_CYCLES:
            # What is older than KEEP_CYCLES restarts goes (acknowledged
            # deletes; if the kill loses some, the keys come back unchecked).
            old = model.forget(cycle - KEEP_CYCLES)
            with RespClient(srv.host, srv.port) as admin:
                for i in range(0, len(old), 1000):
                    assert isinstance(admin.value("UNLINK", *old[i:i + 1000]), int)
        model.new_cycle(cycle)
        threads = [threading.Thread(target=worker,
                                    args=(srv, model, t, cycle, random.Random(rnd.random())))
                   for t in range(THREADS)]
        for th in threads:
            th.start()
        run_for = rnd.uniform(0.3, 1.2)
        if rnd.random() < 0.4:
            # A rewrite somewhere in the cycle: the kill may land during
            # it or after it.
            at = rnd.uniform(0, run_for)
            time.sleep(at)
            with RespClient(srv.host, srv.port) as admin:
                reply = admin.raw("BGREWRITEAOF")
            assert reply.startswith(b"+Background append only file rewriting"), (where, reply)
            time.sleep(run_for - at)
        else:
            time.sleep(run_for)
        kill9(persist, srv)
        killed_at = time.monotonic()
        for th in threads:
            th.join(timeout=30)
            assert not th.is_alive(), "%s: a client thread hangs" % where
        assert not model.failures, "%s: %r" % (where, model.failures[:3])
        stats.append((len(model.set_acked_at), sum(model.ctr_acked.values()),
                      sum(len(p) for p in model.pushed.values())))
        if KEEP_DIR:
            kept = os.path.join(KEEP_DIR, "killed-%d" % SEED)
            shutil.rmtree(kept, ignore_errors=True)
            shutil.copytree(d, kept)
            where += "; the files the kill left: " + kept
        srv = persist.start(d, *flags, shards=SHARDS)
        c = persist.client(srv)
        verify(c, model, mode, killed_at, where)
    assert sum(s[0] for s in stats) > 0 and model.transfers > 0, stats
    # A clean stop after all that keeps exactly what is there.
    want = snapshot(c)
    persist.shutdown(srv)
    srv = persist.start(d, *flags, shards=SHARDS)
    assert snapshot(persist.client(srv)) == want
    return stats


@pytest.mark.timeout(90 + CYCLES * 15)
def test_kill9_appendfsync_always_loses_nothing_acknowledged(persist):
    crash_cycles(persist, "always")


@pytest.mark.timeout(90 + CYCLES * 15)
def test_kill9_appendfsync_everysec_loses_only_the_last_seconds(persist):
    crash_cycles(persist, "everysec")
