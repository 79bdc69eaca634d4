"""LATENCY LATEST / HISTORY / RESET / GRAPH / DOCTOR / HISTOGRAM / HELP and
latency-monitor-threshold: Redis's events ("command" for a slow command),
one sample per second, the reports' texts byte for byte, the per-command
histograms; one server's view whichever shard a client lives on. Slow
commands are DEBUG SLEEP 0.2 against a threshold of 100 ms: no tight timing."""

import re

import pytest

from helpers import OK, arity_err, bulk, err, integer
from resp_client import RespClient

HELP = [
    "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return a human readable latency analysis report.",
    "GRAPH <event>",
    "    Return an ASCII latency graph for the <event> class.",
    "HISTORY <event>",
    "    Return time-latency samples for the <event> class.",
    "LATEST",
    "    Return the latest latency samples for all events.",
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
    "HISTOGRAM [COMMAND ...]",
    "    Return a cumulative distribution of latencies in the format of a histogram for the "
    "specified command names.",
    "    If no commands are specified then all histograms are replied.",
    "HELP",
    "    Prints this help.",
]

DISABLED = ("I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis "
            "instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in "
            "order to enable it. If we weren't in a deep space mission I'd suggest to take a "
            "look at https://redis.io/topics/latency-monitor.\n")
NO_SPIKES = ("Dave, no latency spike was observed during the lifetime of this Redis instance, "
             "not in the slightest bit. I honestly think you ought to sit down calmly, take a "
             "stress pill, and think things over.\n")
SPIKES = ("Dave, I have observed latency spikes in this Redis instance. You don't mind talking "
          "about it, do you Dave?\n\n")
ADVICE_INSPECT = ("- Check your Slow Log to understand what are the commands you are running "
                  "which are too slow to execute. Please check https://redis.io/commands/slowlog "
                  "for more information.\n")
ADVICE_LARGE = ("- Deleting, expiring or evicting (because of maxmemory policy) large objects is "
                "a blocking operation. If you have very large objects that are often deleted, "
                "expired, or evicted, try to fragment those objects into multiple smaller "
                "objects.\n")
ADVICE_ENABLE = ("- There are latency issues with potentially slow commands you are using. Try "
                 "to enable the Slow Log Redis feature using the command 'CONFIG SET "
                 "slowlog-log-slower-than 100000'. If the Slow log is disabled Redis is not able "
                 "to log slow commands execution for you.\n")
ADVICE_TUNE = ("- Your current Slow Log configuration only logs events that are slower than your "
               "configured latency monitor threshold. Please use 'CONFIG SET "
               "slowlog-log-slower-than 100000'.\n")
# HdrHistogram's reporting steps as Redis prints them (microseconds).
STEPS = {1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056, 2113, 4227, 8454, 16909, 33816, 67633,
         135266, 270532, 541065}


def verbatim(text):
    data = b"txt:" + text.encode()
    return b"=%d\r\n%s\r\n" % (len(data), data)


@pytest.fixture
def dbg(server_factory):
    """A dedicated server (no events from other tests) where DEBUG works."""
    srv = server_factory("--enable-debug-command", "yes")
    clients = []

    def make(proto=2):
        c = RespClient(srv.host, srv.port)
        clients.append(c)
        if proto == 3:
            c.hello(3)
        return c

    yield make
    for c in clients:
        c.close()


def slow(c, threshold="100"):
    assert c.raw("CONFIG", "SET", "latency-monitor-threshold", threshold) == OK
    assert c.raw("DEBUG", "SLEEP", "0.2") == OK


# ----------------------------------------------------------------- errors


def test_help(raw):
    assert raw.raw("LATENCY", "HELP") == (b"*%d\r\n" % len(HELP) +
                                          b"".join(b"+%s\r\n" % l.encode() for l in HELP))
    assert raw.raw("latency", "help") == raw.raw("LATENCY", "HELP")


def test_arity_and_unknown_subcommand(raw):
    assert raw.raw("LATENCY") == arity_err("latency")
    assert raw.raw("LATENCY", "NOPE") == err("ERR unknown subcommand 'NOPE'. Try LATENCY HELP.")
    assert raw.raw("LATENCY", "HISTORY") == arity_err("latency|history")
    assert raw.raw("LATENCY", "HISTORY", "a", "b") == arity_err("latency|history")
    assert raw.raw("LATENCY", "GRAPH") == arity_err("latency|graph")
    assert raw.raw("LATENCY", "GRAPH", "a", "b") == arity_err("latency|graph")
    assert raw.raw("LATENCY", "LATEST", "x") == arity_err("latency|latest")
    assert raw.raw("LATENCY", "DOCTOR", "x") == arity_err("latency|doctor")
    assert raw.raw("LATENCY", "HELP", "x") == arity_err("latency|help")


# ----------------------------------------------------------- no events


@pytest.mark.restart
def test_nothing_recorded(dbg):
    c, c3 = dbg(), dbg(3)
    assert c.raw("LATENCY", "LATEST") == b"*0\r\n"
    assert c.raw("LATENCY", "HISTORY", "command") == b"*0\r\n"
    assert c.raw("LATENCY", "GRAPH", "command") == err(
        "ERR No samples available for event 'command'")
    assert c.raw("LATENCY", "GRAPH", "") == err("ERR No samples available for event ''")
    assert c.raw("LATENCY", "RESET") == integer(0)
    assert c.raw("LATENCY", "RESET", "command", "x") == integer(0)
    assert c.raw("LATENCY", "DOCTOR") == bulk(DISABLED)
    assert c3.raw("LATENCY", "DOCTOR") == verbatim(DISABLED)
    # the default threshold (0) records nothing
    assert c.raw("DEBUG", "SLEEP", "0.2") == OK
    assert c.raw("LATENCY", "LATEST") == b"*0\r\n"
    assert c.raw("CONFIG", "SET", "latency-monitor-threshold", "100") == OK
    assert c.raw("LATENCY", "DOCTOR") == bulk(NO_SPIKES)
    assert c3.raw("LATENCY", "DOCTOR") == verbatim(NO_SPIKES)


@pytest.mark.restart
def test_below_threshold_records_nothing(dbg):
    c = dbg()
    slow(c, threshold="1000")
    assert c.raw("LATENCY", "LATEST") == b"*0\r\n"
    assert c.raw("LATENCY", "HISTORY", "command") == b"*0\r\n"


# ---------------------------------------------------------------- spikes


@pytest.mark.restart
def test_slow_command_is_a_command_event(dbg):
    c, c3 = dbg(), dbg(3)
    slow(c)
    latest = c.value("LATENCY", "LATEST")
    assert len(latest) == 1
    name, when, ms, worst = latest[0]
    assert name == b"command" and when > 1600000000 and ms >= 200 and worst == ms
    assert c.raw("LATENCY", "LATEST") == b"*1\r\n*4\r\n$7\r\ncommand\r\n:%d\r\n:%d\r\n:%d\r\n" % (
        when, ms, ms)
    assert c3.raw("LATENCY", "LATEST") == c.raw("LATENCY", "LATEST")
    assert c.raw("LATENCY", "HISTORY", "command") == b"*1\r\n*2\r\n:%d\r\n:%d\r\n" % (when, ms)
    # event names are matched exactly (RESET alone ignores case)
    assert c.raw("LATENCY", "HISTORY", "COMMAND") == b"*0\r\n"
    assert c.raw("LATENCY", "HISTORY", "fast-command") == b"*0\r\n"
    assert c.raw("LATENCY", "GRAPH", "COMMAND") == err(
        "ERR No samples available for event 'COMMAND'")


@pytest.mark.restart
def test_graph(dbg):
    c, c3 = dbg(), dbg(3)
    slow(c)
    ms = c.value("LATENCY", "LATEST")[0][2]
    head = ("command - high %d ms, low %d ms (all time high %d ms)\n" % (ms, ms, ms)
            + "-" * 80 + "\n")
    # one sample: the lowest mark on the 4th row, a blank row, then its age
    # ("0s", "1s") written downwards
    pat = re.escape(head) + r" \n \n \n_\n \n(\d)\ns\n"
    text = c.value("LATENCY", "GRAPH", "command").decode()
    assert re.fullmatch(pat, text), text
    wire = c3.raw("LATENCY", "GRAPH", "command")
    assert wire.startswith(b"=") and b"\r\ntxt:" + head.encode() in wire


@pytest.mark.restart
def test_doctor_report(dbg):
    c, c3 = dbg(), dbg(3)
    slow(c)
    ms = c.value("LATENCY", "LATEST")[0][2]
    line = (r"1\. command: 1 latency spikes \(average %dms, mean deviation 0ms, period "
            r"\d+\.00 sec\)\. Worst all time event %dms\.\n" % (ms, ms))
    advice = "\nI have a few advices for you:\n\n"
    text = c.value("LATENCY", "DOCTOR").decode()
    assert re.fullmatch(re.escape(SPIKES) + line + re.escape(advice + ADVICE_INSPECT +
                                                             ADVICE_LARGE), text), text
    wire = c3.raw("LATENCY", "DOCTOR")
    assert wire.startswith(b"=%d\r\ntxt:" % (len(text) + 4))
    # slowlog disabled, then slower than the threshold: Redis's advice
    assert c.raw("CONFIG", "SET", "slowlog-log-slower-than", "-1") == OK
    text = c.value("LATENCY", "DOCTOR").decode()
    assert text.endswith(advice + ADVICE_ENABLE + ADVICE_INSPECT + ADVICE_LARGE), text
    assert c.raw("CONFIG", "SET", "slowlog-log-slower-than", "500000") == OK
    text = c.value("LATENCY", "DOCTOR").decode()
    assert text.endswith(advice + ADVICE_TUNE + ADVICE_INSPECT + ADVICE_LARGE), text
    # the events stay reported once monitoring is turned off
    assert c.raw("CONFIG", "SET", "latency-monitor-threshold", "0") == OK
    assert c.value("LATENCY", "DOCTOR").decode().startswith(SPIKES)


@pytest.mark.restart
def test_reset(dbg):
    c = dbg()
    slow(c)
    assert c.raw("LATENCY", "RESET", "nosuch") == integer(0)
    # case-insensitive, and an event counts once
    assert c.raw("LATENCY", "RESET", "COMMAND", "command") == integer(1)
    assert c.raw("LATENCY", "LATEST") == b"*0\r\n"
    assert c.raw("LATENCY", "DOCTOR") == bulk(NO_SPIKES)
    slow(c)
    assert c.raw("LATENCY", "RESET") == integer(1)
    assert c.raw("LATENCY", "RESET") == integer(0)


@pytest.mark.restart
def test_clients_on_every_shard_share_the_events(dbg):
    clients = [dbg() for _ in range(6)]
    assert clients[0].raw("CONFIG", "SET", "latency-monitor-threshold", "100") == OK
    for c in clients:
        assert c.raw("DEBUG", "SLEEP", "0.2") == OK
    hist = clients[0].value("LATENCY", "HISTORY", "command")
    times = [t for t, _ in hist]
    # one sample per second, oldest first
    assert 1 <= len(hist) <= 6 and times == sorted(set(times))
    assert all(ms >= 200 for _, ms in hist)
    latest = clients[1].value("LATENCY", "LATEST")
    assert len(latest) == 1 and latest[0][0] == b"command"
    assert [latest[0][1], latest[0][2]] == hist[-1]
    assert latest[0][3] == max(ms for _, ms in hist)
    for c in clients:
        assert c.value("LATENCY", "HISTORY", "command") == hist
    assert clients[2].raw("LATENCY", "RESET") == integer(1)
    assert clients[3].raw("LATENCY", "LATEST") == b"*0\r\n"


# ------------------------------------------------------------- HISTOGRAM


def one_histogram(name, calls, buckets, proto=2):
    """The wire form of a one-command LATENCY HISTOGRAM reply."""
    m = b"%" if proto == 3 else b"*"
    n = (lambda k: k) if proto == 3 else (lambda k: 2 * k)
    body = b"".join(b":%d\r\n:%d\r\n" % (us, cum) for us, cum in buckets)
    return (m + b"%d\r\n" % n(1) + bulk(name) + m + b"%d\r\n" % n(2) + bulk("calls")
            + integer(calls) + bulk("histogram_usec") + m + b"%d\r\n" % n(len(buckets)) + body)


def parse(c, *names):
    """LATENCY HISTOGRAM as {name: (calls, [(usec, cumulative)])}."""
    flat = c.value("LATENCY", "HISTOGRAM", *names)
    out = {}
    for i in range(0, len(flat), 2):
        body = flat[i + 1]
        assert body[0] == b"calls" and body[2] == b"histogram_usec"
        h = body[3]
        out[flat[i].decode()] = (body[1], [(h[j], h[j + 1]) for j in range(0, len(h), 2)])
    return out


def test_histogram_shape(raw, raw3):
    assert raw.raw("CONFIG", "RESETSTAT") == OK
    assert raw.raw("SET", "k", "v") == OK
    got = parse(raw, "set")
    calls, buckets = got["set"]
    assert calls == 1 and len(buckets) == 1 and buckets[0][1] == 1 and buckets[0][0] in STEPS
    assert raw.raw("LATENCY", "HISTOGRAM", "set") == one_histogram("set", 1, buckets)
    assert raw3.raw("LATENCY", "HISTOGRAM", "SET") == one_histogram("set", 1, buckets, proto=3)
    # unknown or never run: left out
    assert raw.raw("LATENCY", "HISTOGRAM", "nosuch") == b"*0\r\n"
    assert raw.raw("LATENCY", "HISTOGRAM", "get", "config|nosuch") == b"*0\r\n"
    assert raw3.raw("LATENCY", "HISTOGRAM", "nosuch") == b"%0\r\n"


def test_histogram_cumulative(raw):
    assert raw.raw("CONFIG", "RESETSTAT") == OK
    for i in range(50):
        assert raw.raw("SET", "k%d" % i, "v") == OK
    calls, buckets = parse(raw, "set")["set"]
    assert calls == 50
    assert all(us in STEPS for us, _ in buckets)
    assert [us for us, _ in buckets] == sorted({us for us, _ in buckets})
    cums = [cum for _, cum in buckets]
    assert cums == sorted(set(cums)) and cums[-1] == 50


def test_histogram_every_command_and_containers(raw):
    assert raw.raw("CONFIG", "RESETSTAT") == OK
    assert raw.raw("SET", "k", "v") == OK
    assert raw.raw("GET", "k") == bulk("v")
    # RESETSTAT itself ran after the reset
    assert set(parse(raw)) == {"config|resetstat", "set", "get"}
    assert raw.raw("LATENCY", "HELP")[:1] == b"*"
    assert raw.raw("LATENCY") == arity_err("latency")  # rejected: no histogram
    # a container: its subcommands that ran; names in any case, repeats kept
    assert set(parse(raw, "latency")) == {"latency|help", "latency|histogram"}
    flat = raw.value("LATENCY", "HISTOGRAM", "GET", "get", "CONFIG|RESETSTAT")
    assert flat[0::2] == [b"get", b"get", b"config|resetstat"]


def test_histogram_calls_from_every_shard(raw, connect):
    assert raw.raw("CONFIG", "RESETSTAT") == OK
    clients = [connect() for _ in range(8)]
    for i, c in enumerate(clients):
        assert c.raw("SET", "k%d" % i, "v") == OK
        assert c.raw("GET", "k%d" % i) == bulk("v")
    got = parse(raw, "set", "get")
    assert got["set"][0] == 8 and got["set"][1][-1][1] == 8
    assert got["get"][0] == 8 and got["get"][1][-1][1] == 8


def test_histogram_off_with_latency_tracking_no(raw):
    assert raw.raw("CONFIG", "SET", "latency-tracking", "no") == OK
    try:
        assert raw.raw("CONFIG", "RESETSTAT") == OK
        assert raw.raw("SET", "k", "v") == OK
        assert raw.raw("LATENCY", "HISTOGRAM", "set") == b"*0\r\n"
    finally:
        assert raw.raw("CONFIG", "SET", "latency-tracking", "yes") == OK


@pytest.mark.restart
def test_histogram_of_a_slow_command(dbg):
    c = dbg()
    assert c.raw("DEBUG", "SLEEP", "0.2") == OK
    calls, buckets = parse(c, "debug")["debug"]
    # 0.2 s is in the 270532 us step (kevy sums a command's time over the
    # shards it ran on, so DEBUG, which runs on every shard, may read higher)
    assert calls == 1 and all(us >= 270532 for us, _ in buckets)
