"""Small shared helpers for the conformance tests (no fixtures here)."""

import time


def err(message):
    """The exact wire bytes of an error reply."""
    return b"-" + message.encode() + b"\r\n"


def arity_err(name):
    return err("ERR wrong number of arguments for '%s' command" % name)


def bulk(data):
    if isinstance(data, str):
        data = data.encode()
    return b"$%d\r\n%s\r\n" % (len(data), data)


def array(*items):
    """RESP2 array of already-encoded items."""
    return b"*%d\r\n" % len(items) + b"".join(items)


def integer(n):
    return b":%d\r\n" % n


NIL = b"$-1\r\n"
NULL3 = b"_\r\n"
OK = b"+OK\r\n"

SYNTAX = err("ERR syntax error")
NOT_INT = err("ERR value is not an integer or out of range")


def spread_keys(n=200, prefix="k:"):
    """Keys whose CRC16 slots spread over the whole slot space, so on a
    sharded server they land on every shard."""
    return ["%s%d" % (prefix, i) for i in range(n)]


def parse_info(body):
    """INFO text -> {section name (lower case): {field: value}}."""
    if isinstance(body, bytes):
        body = body.decode()
    sections = {}
    current = None
    for line in body.split("\r\n"):
        if line.startswith("# "):
            current = sections.setdefault(line[2:].lower(), {})
        elif line and current is not None:
            k, _, v = line.partition(":")
            current[k] = v
    return sections


def info_fields(client, section):
    """One INFO section, read with a raw client, as {field: str value}."""
    body = client.value("INFO", section)
    return parse_info(body).get(section.lower(), {})


def wait_until(predicate, timeout=2.0, interval=0.02):
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def watch_dirtied(connect, setup, command, watched, db=0):
    """Does `command` invalidate a WATCH on the keys `watched`?

    A fresh connection runs the `setup` commands (a list of argument lists),
    a second one WATCHes `watched` (in database `db`; the writer stays in 0
    unless its setup SELECTs), the first runs `command`, and the watcher's
    MULTI/PING/EXEC tells: None from EXEC (True here) means the watch was
    invalidated, ["PONG"] (False) means it was not. The two connections may
    sit on different shards of a kevy server, so this also checks that a
    write reaches watchers on another shard."""
    writer, watcher = connect(2), connect(2)
    for args in setup:
        writer.value(*args)
    if db:
        assert watcher.value("SELECT", str(db)) == "OK"
    assert watcher.value("WATCH", *watched) == "OK"
    writer.value(*command)
    assert watcher.value("MULTI") == "OK"
    assert watcher.value("PING") == "QUEUED"
    reply = watcher.value("EXEC")
    writer.close()
    watcher.close()
    assert reply is None or reply == ["PONG"], reply
    return reply is None


# ------------------------------------------------ keys on chosen shards

def crc16(data):
    """CRC16/XMODEM, Redis Cluster's key hash (kevy shards by its slots)."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def slot_quarter(name):
    """The quarter (0-3) of the 16384 slots a key name without a hashtag
    falls in: with 2 shards quarters 0-1 and 2-3 are on different shards,
    with 4 every quarter is on its own."""
    return (crc16(name.encode()) % 16384) * 4 // 16384


def key_in_quarter(prefix, q, skip=0):
    """The first name prefix<i> (after `skip` such names) in quarter q."""
    i = 0
    while True:
        name = "%s%d" % (prefix, i)
        if slot_quarter(name) == q:
            if skip == 0:
                return name
            skip -= 1
        i += 1


def quarter_keys(prefix, per=1):
    """`per` names prefix<i> in each quarter of the slots, in quarter order
    (per=1: the i-th name in the i-th quarter)."""
    return [key_in_quarter(prefix, q, k) for q in range(4) for k in range(per)]


# ------------------------------------------------------ DUMP payloads

def _crc64_table():
    poly, table = 0x95ac9329ac4bc9b5, []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_CRC64_TABLE = _crc64_table()


def crc64(data):
    """CRC-64/Jones (reflected), as Redis checksums a DUMP payload."""
    crc = 0
    for b in data:
        crc = _CRC64_TABLE[(crc ^ b) & 0xff] ^ (crc >> 8)
    return crc


def frame(body, version=10):
    """An RDB object body as a DUMP payload: version (2 bytes) and CRC-64
    (8 bytes), both little-endian."""
    b = body + version.to_bytes(2, "little")
    return b + crc64(b).to_bytes(8, "little")


def lzf_decompress(data, size):
    """liblzf's decompressor, checking every run and back-reference."""
    out, i = bytearray(), 0
    while i < len(data):
        ctrl = data[i]
        i += 1
        if ctrl < 32:
            assert len(data[i:i + ctrl + 1]) == ctrl + 1
            out += data[i:i + ctrl + 1]
            i += ctrl + 1
        else:
            n = ctrl >> 5
            if n == 7:
                n += data[i]
                i += 1
            back = ((ctrl & 0x1f) << 8) + data[i] + 1
            i += 1
            assert back <= len(out)
            for _ in range(n + 2):
                out.append(out[-back])
    assert len(out) == size
    return bytes(out)


def lp(items, count=None):
    """A listpack of strings up to 125 bytes and integers 0..127."""
    body = b""
    for it in items:
        if isinstance(it, int):
            e = bytes([it])
        elif len(it) < 64:
            e = bytes([0x80 | len(it)]) + it
        else:
            e = bytes([0xE0 | len(it) >> 8, len(it) & 0xff]) + it
        assert len(e) < 128
        body += e + bytes([len(e)])
    n = len(items) if count is None else count
    return (6 + len(body) + 1).to_bytes(4, "little") + n.to_bytes(2, "little") + body + b"\xff"


def wait_busy(srv, busy):
    """New clients until one is answered `busy` (a script runs past
    busy-reply-threshold; on kevy, a client of the busy shard: the others
    answer PONG)."""
    from resp_client import RespClient
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with RespClient(srv.host, srv.port, timeout=5) as c:
            r = c.raw("PING")
        if r == busy:
            return
        assert r == b"+PONG\r\n", r
        time.sleep(0.01)
    raise AssertionError("no client was ever answered BUSY")


def sha256_hex(text):
    """The hex SHA-256 of a password, as ACL's #<hash> form writes it."""
    import hashlib
    return hashlib.sha256(text.encode()).hexdigest()


def rss_bytes(pid):
    """A process's resident memory (VmRSS), in bytes."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def dec(v):
    """A decoded reply with bytes turned into str, lists recursively."""
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, list):
        return [dec(x) for x in v]
    return v
