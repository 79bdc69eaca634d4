"""Client eviction (maxmemory-clients, CLIENT NO-EVICT), modelled on Redis's
tests/unit/client-eviction.tcl: a client whose query buffer, arguments or
output buffer make all clients together reach the limit is closed, the
largest first and only until the sum is under it; NO-EVICT protects one;
the limit may be a percentage of maxmemory; INFO's evicted_clients and
mem_clients_normal follow. On kevy the clients live on several shards that
share the limit (docs/architecture.md, "Memory limit and eviction"): a
client may pass it until its shard's turn ends, hence the MARGIN below
where a test watches a client grow."""

import pytest

from helpers import OK, wait_until

LIMIT = 3_000_000
MARGIN = 1_100_000  # one turn's reads (1 MiB) or replies on kevy; Redis needs none


def clients(raw):
    out = {}
    for line in raw.value("CLIENT", "LIST").decode().splitlines():
        fields = dict(f.split("=", 1) for f in line.split(" ") if "=" in f)
        out[fields.get("name") or "id%s" % fields["id"]] = fields
    return out


def field(raw, name, f):
    c = clients(raw).get(name)
    return None if c is None else int(c[f])


def info(raw, key):
    for line in raw.value("INFO", "everything").decode().split("\r\n"):
        if line.startswith(key + ":"):
            return int(line.split(":", 1)[1])
    raise KeyError(key)


def named(connect, name, no_evict=False):
    c = connect()
    assert c.raw("CLIENT", "SETNAME", name) == OK
    if no_evict:
        assert c.raw("CLIENT", "NO-EVICT", "ON") == OK
    return c


def send_quietly(c, data):
    """Send what may get the client evicted before the server read it all."""
    try:
        c.send_raw(data)
    except OSError:
        pass


def hold_qbuf(raw, c, name, size):
    """c sends a command whose last argument is `size` bytes, all but its
    final CRLF, and waits until the server holds them (or closed c)."""
    send_quietly(c, b"*2\r\n$3\r\nSET\r\n$%d\r\n" % size + b"v" * size)
    assert wait_until(lambda: (field(raw, name, "qbuf") or 0) >= size
                      or field(raw, name, "qbuf") is None, timeout=10)


@pytest.fixture
def ctl(raw):
    """The controlling client, protected; the limit reset afterwards."""
    assert raw.raw("CLIENT", "NO-EVICT", "ON") == OK
    yield raw
    raw.raw("CONFIG", "SET", "maxmemory-clients", "0")
    raw.raw("CONFIG", "SET", "maxmemory", "0")


def test_client_evicted_due_to_large_query_buffer(ctl, connect):
    assert ctl.raw("CONFIG", "SET", "maxmemory-clients", str(LIMIT)) == OK
    before = info(ctl, "evicted_clients")
    c = named(connect, "victim")
    send_quietly(c, b"*1\r\n$%d\r\n" % LIMIT + b"v" * LIMIT)
    assert wait_until(lambda: "victim" not in clients(ctl), timeout=10)
    assert c.is_closed()
    assert info(ctl, "evicted_clients") == before + 1


def test_client_evicted_due_to_large_argv(ctl, connect):
    assert ctl.raw("CONFIG", "SET", "maxmemory-clients", str(LIMIT)) == OK
    c = named(connect, "victim")
    assert c.raw("MSET", "k", "v", "k2", "v" * 1_000_000) == OK
    assert c.raw("GET", "k") == b"$1\r\nv\r\n"
    send_quietly(c, b"*5\r\n$4\r\nMSET\r\n$1\r\nk\r\n$1\r\nv\r\n$2\r\nk2\r\n$%d\r\n%s\r\n"
                 % (LIMIT, b"v" * LIMIT))
    assert wait_until(lambda: "victim" not in clients(ctl), timeout=10)
    assert c.is_closed()


def test_client_evicted_due_to_output_buffer(ctl, connect):
    assert ctl.raw("CONFIG", "SET", "maxmemory-clients", str(LIMIT)) == OK
    assert ctl.raw("SETRANGE", "k", "200000", "v") == b":200001\r\n"
    c = named(connect, "victim")
    assert len(c.value("GET", "k")) == 200001
    assert field(ctl, "victim", "tot-mem") < LIMIT
    # Replies pile up unread: the client goes before it holds much more
    # than the limit (at once on Redis, at its shard's turn end on kevy).
    for _ in range(2000):
        mem = field(ctl, "victim", "tot-mem")
        if mem is None:
            break
        assert mem < LIMIT + MARGIN
        try:
            c.send("GET", "k")
        except OSError:
            pass
    assert "victim" not in clients(ctl)


@pytest.mark.parametrize("no_evict", ["on", "off"])
def test_client_no_evict(ctl, connect, no_evict):
    assert ctl.raw("CONFIG", "SET", "maxmemory-clients", str(LIMIT)) == OK
    c = named(connect, "c")
    assert c.raw("CLIENT", "NO-EVICT", no_evict) == OK
    assert ("e" in clients(ctl)["c"]["flags"]) == (no_evict == "on")
    hold_qbuf(ctl, c, "c", LIMIT + 1)
    if no_evict == "on":
        assert field(ctl, "c", "tot-mem") > LIMIT
        assert "c" in clients(ctl)
        assert info(ctl, "mem_clients_normal") > 0
    else:
        assert wait_until(lambda: "c" not in clients(ctl), timeout=10)


def test_no_evict_off_and_a_lower_limit_evict_a_grown_client(ctl, connect):
    assert ctl.raw("SETRANGE", "k", "300000", "v") == b":300001\r\n"
    c = named(connect, "big", no_evict=True)
    assert ctl.raw("CONFIG", "SET", "maxmemory-clients", "1") == OK  # at least 128 KB
    # Its unread replies grow past the limit: protected, it stays.
    for _ in range(200):
        send_quietly(c, b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
        if wait_until(lambda: field(ctl, "big", "tot-mem") > 1_000_000, timeout=0.05):
            break
    assert field(ctl, "big", "tot-mem") > 1_000_000
    send_quietly(c, b"*3\r\n$6\r\nCLIENT\r\n$8\r\nNO-EVICT\r\n$3\r\nOFF\r\n")
    assert wait_until(lambda: "big" not in clients(ctl), timeout=10)


def test_client_evicted_due_to_percentage_of_maxmemory(ctl, connect):
    maxmemory = 6 * 1024 * 1024
    assert ctl.raw("CONFIG", "SET", "maxmemory", str(maxmemory)) == OK
    assert ctl.raw("CONFIG", "SET", "maxmemory-clients", "7%") == OK
    assert ctl.value("CONFIG", "GET", "maxmemory-clients") == [b"maxmemory-clients", b"7%"]
    actual = maxmemory * 7 // 100
    half = named(connect, "half")
    hold_qbuf(ctl, half, "half", actual // 2)
    mem = field(ctl, "half", "tot-mem")
    assert actual // 2 <= mem < actual
    half.close()
    c = named(connect, "full")
    send_quietly(c, b"*1\r\n$%d\r\n" % actual + b"v" * actual)
    assert wait_until(lambda: "full" not in clients(ctl), timeout=10)


def test_lowering_the_limit_evicts_the_largest_clients_only_until_under_it(ctl, connect):
    """Clients spread over the shards (kevy): the server's largest go
    first, wherever they are, and no more than needed."""
    small, large = 150_000, 700_000
    cs = []
    for i in range(4):
        cs.append(named(connect, "small%d" % i))
        hold_qbuf(ctl, cs[-1], "small%d" % i, small)
    for i in range(4):
        cs.append(named(connect, "large%d" % i))
        hold_qbuf(ctl, cs[-1], "large%d" % i, large)
    before = info(ctl, "evicted_clients")
    mems = {n: int(c["tot-mem"]) for n, c in clients(ctl).items()}
    total = sum(mems.values())
    big = sorted(mems[n] for n in mems if n.startswith("large"))
    # Two of the large ones must go (the two largest), one is not enough;
    # half a large client of slack for the controlling client's buffers.
    limit = total - big[-1] - big[-2] + big[-3] // 2
    assert total - big[-1] >= limit
    assert ctl.raw("CONFIG", "SET", "maxmemory-clients", str(limit)) == OK
    assert wait_until(lambda: len(clients(ctl)) == len(mems) - 2, timeout=10)
    assert not wait_until(lambda: len(clients(ctl)) < len(mems) - 2, timeout=0.5)
    left = clients(ctl)
    assert all("small%d" % i in left for i in range(4))
    assert sum(n.startswith("large") for n in left) == 2
    assert sum(int(c["tot-mem"]) for c in left.values()) < limit
    assert info(ctl, "evicted_clients") == before + 2


def test_clients_on_several_shards_together_pass_the_limit(ctl, connect):
    """Each client is under the limit; together they pass it, the sum
    reached through clients of every shard (kevy), one after another."""
    size = 400_000
    limit = 2_000_000
    assert ctl.raw("CONFIG", "SET", "maxmemory-clients", str(limit)) == OK
    before = info(ctl, "evicted_clients")
    cs = [named(connect, "c%d" % i) for i in range(8)]
    for i, c in enumerate(cs):
        send_quietly(c, b"*2\r\n$3\r\nSET\r\n$%d\r\n" % size + b"v" * size)
        assert wait_until(lambda: sum(int(x["tot-mem"]) for x in clients(ctl).values()) < limit
                          and ((field(ctl, "c%d" % i, "qbuf") or size) >= size), timeout=10)
    left = clients(ctl)
    gone = sum("c%d" % i not in left for i in range(8))
    assert gone >= 2  # 8 * 400 KB cannot stay under 2 MB
    assert info(ctl, "evicted_clients") == before + gone
    assert sum(int(x["tot-mem"]) for x in left.values()) < limit


def test_mem_clients_normal_and_resetstat(ctl, connect):
    base = info(ctl, "mem_clients_normal")
    c = named(connect, "c")
    hold_qbuf(ctl, c, "c", 1_000_000)
    assert wait_until(lambda: info(ctl, "mem_clients_normal") >= base + 1_000_000, timeout=5)
    assert ctl.raw("CONFIG", "SET", "maxmemory-clients", "1mb") == OK
    assert wait_until(lambda: "c" not in clients(ctl), timeout=10)
    assert info(ctl, "evicted_clients") >= 1
    assert wait_until(lambda: info(ctl, "mem_clients_normal") < 1_000_000, timeout=5)
    assert ctl.raw("CONFIG", "RESETSTAT") == OK
    assert info(ctl, "evicted_clients") == 0


def test_maxmemory_clients_zero_never_evicts(ctl, connect):
    c = named(connect, "c")
    hold_qbuf(ctl, c, "c", LIMIT + 1)
    assert field(ctl, "c", "tot-mem") > LIMIT
    assert not wait_until(lambda: "c" not in clients(ctl), timeout=0.3)
