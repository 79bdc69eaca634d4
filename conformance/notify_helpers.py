"""Keyspace notifications in tests: turn them on, run commands, read the
events they caused, in order. Used by the test_notify_*.py files.

    with keyspace_events(server, "KEA") as ev:
        assert ev.run(("SET", "{t}k", "v")) == [
            ("__keyspace@0__:{t}k", "set"), ("__keyevent@0__:set", "{t}k")]

Events of one shard arrive in order, so with every key of a test under the
hashtag {t} a marker write on {t} fences them: once the marker's event is
read, every earlier event is. With flags that cannot notify the marker (no
string class), run() waits until nothing arrives for `quiet` seconds.
"""

import contextlib
import socket

from resp_client import RespClient

MARK = "{t}notify:mark"


def _text(v):
    return v.decode() if isinstance(v, bytes) else v


class EventLog:
    def __init__(self, server, flags):
        self.admin = RespClient(server.host, server.port)
        self.sub = RespClient(server.host, server.port)
        self.flags = flags
        self.sub.call("PSUBSCRIBE", "__key*@*__:*")
        # A pattern subscription is acknowledged everywhere before its reply.
        self.marked = ("A" in flags or "$" in flags) and ("K" in flags or "E" in flags)

    def _read(self, timeout):
        self.sub.sock.settimeout(timeout)
        try:
            v, _ = self.sub.read()
        except (socket.timeout, TimeoutError):
            return None
        finally:
            self.sub.sock.settimeout(10.0)
        assert _text(v[0]) == "pmessage", v
        return (_text(v[2]), _text(v[3]))

    def run(self, *commands, client=None, quiet=0.3):
        """Run the commands (on `client`, default the admin connection) and
        return the list of (channel, message) events they caused."""
        c = client or self.admin
        for cmd in commands:
            c.call(*cmd)
        return self.collect(quiet=quiet)

    def collect(self, quiet=0.3):
        """The events that arrived since the last call."""
        out = []
        if self.marked:
            self.admin.call("SET", MARK, "1")
            while True:
                e = self._read(10.0)
                assert e is not None, "the marker's event never came: %r" % out
                if e[0].endswith(":" + MARK) or e[1] == MARK:
                    # The marker's own events ("new" too, with class n):
                    # its "set" ends the collection, its last event is the
                    # keyevent twin when E is on.
                    if e[1] == MARK and e[0].endswith(":set") or (
                            e[1] == "set" and "E" not in self.flags):
                        break
                    continue
                out.append(e)
            return out
        while True:
            e = self._read(quiet)
            if e is None:
                return out
            out.append(e)

    def close(self):
        self.sub.close()
        self.admin.close()


def pair(db, event, key):
    """The two events Redis publishes with KE: keyspace, then keyevent."""
    return [("__keyspace@%d__:%s" % (db, key), event), ("__keyevent@%d__:%s" % (db, event), key)]


def events(*items):
    """The KE events of (event, key[, db]) items, in order."""
    out = []
    for e in items:
        out += pair(e[2] if len(e) > 2 else 0, e[0], e[1])
    return out


def without_nm(evs):
    return [e for e in evs if e[0] not in ("new", "keymiss")]


def prepare(server, cmds):
    """Run the setup commands, and create the marker key: with class n its
    first write would be "new" before the "set" that fences."""
    with RespClient(server.host, server.port) as c:
        for cmd in list(cmds) + [("SET", MARK, "1")]:
            _, raw = c.call(*cmd)
            assert not raw.startswith(b"-"), (cmd, raw)


def run_sorted(ev, *cmds):
    """Events of commands whose keys are on several shards, sorted."""
    ev.marked = False
    return sorted(ev.run(*cmds, quiet=0.5))


@contextlib.contextmanager
def keyspace_events(server, flags="KEA"):
    """Keyspace notifications on with `flags` for the block (restored after),
    and an EventLog subscribed to every keyspace and keyevent channel."""
    with RespClient(server.host, server.port) as c:
        old = c.value("CONFIG", "GET", "notify-keyspace-events")[1]
        assert c.raw("CONFIG", "SET", "notify-keyspace-events", flags) == b"+OK\r\n"
    log = EventLog(server, flags)
    try:
        yield log
    finally:
        log.close()
        with RespClient(server.host, server.port) as c:
            c.call("CONFIG", "SET", "notify-keyspace-events", old)
