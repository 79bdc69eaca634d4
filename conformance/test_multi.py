"""MULTI / EXEC / DISCARD / WATCH / UNWATCH: Redis 7.0's transaction
semantics, byte for byte. Queue-time errors abort EXEC with EXECABORT,
run-time errors are returned per command while the rest still run, and a
changed watched key (written from any connection, so possibly from another
shard of kevy, expired, flushed, swapped away) makes EXEC reply a null."""

import time

from helpers import NIL, OK, arity_err, err, watch_dirtied

QUEUED = b"+QUEUED\r\n"
NULL_ARRAY = b"*-1\r\n"
PONG_ONLY = b"*1\r\n+PONG\r\n"
EXECABORT = err("EXECABORT Transaction discarded because of previous errors.")
WRONGTYPE = err("WRONGTYPE Operation against a key holding the wrong kind of value")


def transact(c):
    """MULTI, PING, EXEC on c: the raw EXEC reply."""
    assert c.raw("MULTI") == OK
    assert c.raw("PING") == QUEUED
    return c.raw("EXEC")


def test_exec_and_discard_without_multi(raw):
    assert raw.raw("EXEC") == err("ERR EXEC without MULTI")
    assert raw.raw("DISCARD") == err("ERR DISCARD without MULTI")


def test_queued_commands_run_in_order_with_runtime_errors(raw):
    assert raw.raw("MULTI") == OK
    assert raw.raw("SET", "a", "1") == QUEUED
    assert raw.raw("INCR", "a") == QUEUED
    assert raw.raw("LPUSH", "a", "x") == QUEUED
    assert raw.raw("GET", "a") == QUEUED
    # The WRONGTYPE error is one element; the commands after it still ran.
    assert raw.raw("EXEC") == b"*4\r\n+OK\r\n:2\r\n" + WRONGTYPE + b"$1\r\n2\r\n"


def test_runtime_error_does_not_stop_the_rest(raw):
    assert raw.raw("SET", "big", "1") == OK
    assert raw.raw("MULTI") == OK
    assert raw.raw("INCRBY", "big", "x") == QUEUED
    assert raw.raw("INCR", "big") == QUEUED
    assert raw.raw("EXEC") == b"*2\r\n" + err("ERR value is not an integer or out of range") + b":2\r\n"


def test_queue_time_errors_abort_exec(raw):
    assert raw.raw("MULTI") == OK
    assert raw.raw("NOSUCH") == err("ERR unknown command 'NOSUCH', with args beginning with: ")
    assert raw.raw("SET", "a") == arity_err("set")
    assert raw.raw("PING") == QUEUED
    assert raw.raw("EXEC") == EXECABORT
    assert raw.raw("GET", "a") == NIL
    # The transaction is gone: a second EXEC has no MULTI.
    assert raw.raw("EXEC") == err("ERR EXEC without MULTI")


def test_arity_error_after_queued_commands_discards_them(raw):
    assert raw.raw("MULTI") == OK
    assert raw.raw("SET", "k", "v") == QUEUED
    assert raw.raw("GET", "k", "x") == arity_err("get")
    assert raw.raw("EXEC") == EXECABORT
    assert raw.raw("GET", "k") == NIL


def test_malformed_multi_or_discard_inside_multi_flags_the_transaction(raw):
    assert raw.raw("MULTI") == OK
    assert raw.raw("MULTI", "x") == arity_err("multi")
    assert raw.raw("EXEC") == EXECABORT
    assert raw.raw("MULTI") == OK
    assert raw.raw("DISCARD", "x") == arity_err("discard")
    assert raw.raw("EXEC") == EXECABORT


def test_malformed_exec_inside_multi_aborts(raw):
    assert raw.raw("MULTI") == OK
    assert raw.raw("SET", "q", "1") == QUEUED
    assert raw.raw("EXEC", "x") == err(
        "EXECABORT Transaction discarded because of: "
        "wrong number of arguments for 'exec' command")
    assert raw.raw("EXEC") == err("ERR EXEC without MULTI")
    assert raw.raw("GET", "q") == NIL
    # Outside MULTI too (Redis's rejectCommand answers EXEC that way).
    assert raw.raw("EXEC", "x") == err(
        "EXECABORT Transaction discarded because of: "
        "wrong number of arguments for 'exec' command")


def test_nested_multi_and_watch_inside_multi_are_plain_errors(raw):
    assert raw.raw("MULTI") == OK
    assert raw.raw("MULTI") == err("ERR MULTI calls can not be nested")
    assert raw.raw("WATCH", "x") == err("ERR WATCH inside MULTI is not allowed")
    # Neither flags the transaction.
    assert raw.raw("EXEC") == b"*0\r\n"


def test_discard_drops_the_queue(raw):
    assert raw.raw("MULTI") == OK
    assert raw.raw("SET", "b", "1") == QUEUED
    assert raw.raw("DISCARD") == OK
    assert raw.raw("GET", "b") == NIL
    assert raw.raw("DISCARD") == err("ERR DISCARD without MULTI")


def test_empty_transaction(raw):
    assert raw.raw("MULTI") == OK
    assert raw.raw("EXEC") == b"*0\r\n"


def test_command_names_are_case_insensitive_when_queued(raw):
    assert raw.raw("multi") == OK
    assert raw.raw("set", "k", "v") == QUEUED
    assert raw.raw("exec") == b"*1\r\n+OK\r\n"


def test_select_inside_multi_applies_to_later_commands(raw):
    assert raw.raw("MULTI") == OK
    assert raw.raw("SELECT", "1") == QUEUED
    assert raw.raw("SET", "k", "v") == QUEUED
    assert raw.raw("SELECT", "0") == QUEUED
    assert raw.raw("EXEC") == b"*3\r\n+OK\r\n+OK\r\n+OK\r\n"
    assert raw.raw("GET", "k") == NIL
    assert raw.raw("SELECT", "1") == OK
    assert raw.raw("GET", "k") == b"$1\r\nv\r\n"


def test_unwatch_inside_multi_is_queued(raw):
    assert raw.raw("WATCH", "a") == OK
    assert raw.raw("MULTI") == OK
    assert raw.raw("UNWATCH") == QUEUED
    assert raw.raw("EXEC") == b"*1\r\n+OK\r\n"


def test_reset_ends_a_transaction(raw):
    assert raw.raw("MULTI") == OK
    assert raw.raw("SET", "r", "1") == QUEUED
    assert raw.raw("RESET") == b"+RESET\r\n"
    assert raw.raw("EXEC") == err("ERR EXEC without MULTI")
    assert raw.raw("GET", "r") == NIL


def test_watch_arity(raw):
    assert raw.raw("WATCH") == arity_err("watch")
    assert raw.raw("UNWATCH") == OK
    assert raw.raw("WATCH", "a", "b") == OK
    assert raw.raw("UNWATCH") == OK


def test_resp3_exec_shapes(raw3):
    assert raw3.raw("MULTI") == OK
    assert raw3.raw("SET", "z", "1") == QUEUED
    assert raw3.raw("GET", "z") == QUEUED
    assert raw3.raw("HGETALL", "nokey") == QUEUED
    assert raw3.raw("GET", "nokey") == QUEUED
    assert raw3.raw("EXEC") == b"*4\r\n+OK\r\n$1\r\n1\r\n%0\r\n_\r\n"


def test_exec_of_watched_changed_key_is_null_in_both_protocols(connect):
    other = connect(2)
    w2, w3 = connect(2), connect(3)
    assert w2.raw("WATCH", "h2") == OK
    assert w3.raw("WATCH", "h3") == OK
    assert other.raw("SET", "h2", "1") == OK
    assert other.raw("SET", "h3", "1") == OK
    assert transact(w2) == NULL_ARRAY
    assert transact(w3) == b"_\r\n"


def test_failed_exec_discards_the_queue_and_the_watches(connect):
    w, other = connect(2), connect(2)
    assert w.raw("WATCH", "fx") == OK
    assert other.raw("SET", "fx", "1") == OK
    assert w.raw("MULTI") == OK
    assert w.raw("SET", "fy", "1") == QUEUED
    assert w.raw("EXEC") == NULL_ARRAY
    assert w.raw("GET", "fy") == NIL
    assert other.raw("SET", "fx", "2") == OK
    assert transact(w) == PONG_ONLY


def test_watch_sees_the_clients_own_write(connect):
    w = connect(2)
    assert w.raw("WATCH", "m1") == OK
    assert w.raw("SET", "m1", "x") == OK
    assert transact(w) == NULL_ARRAY


def test_reads_do_not_invalidate(connect):
    assert not watch_dirtied(connect, [["SET", "rd", "1"]], ["GET", "rd"], ["rd"])


def test_watch_is_cleared_by_unwatch_exec_and_discard(connect):
    w, other = connect(2), connect(2)
    assert w.raw("WATCH", "u1") == OK
    assert other.raw("SET", "u1", "x") == OK
    assert w.raw("UNWATCH") == OK
    assert transact(w) == PONG_ONLY

    assert w.raw("WATCH", "c1") == OK
    assert transact(w) == PONG_ONLY
    assert other.raw("SET", "c1", "y") == OK
    assert transact(w) == PONG_ONLY

    assert w.raw("WATCH", "d1") == OK
    assert w.raw("MULTI") == OK
    assert w.raw("DISCARD") == OK
    assert other.raw("SET", "d1", "y") == OK
    assert transact(w) == PONG_ONLY


def test_any_of_several_watched_keys(connect):
    # Keys without hashtags: on kevy they sit on different shards.
    assert watch_dirtied(connect, [], ["SET", "c3", "x"], ["a1", "b2", "c3"])
    assert watch_dirtied(connect, [], ["SET", "a1", "x"], ["a1", "b2", "c3"])


def test_watching_a_key_twice(connect):
    w, other = connect(2), connect(2)
    assert w.raw("WATCH", "t1") == OK
    assert w.raw("WATCH", "t1", "t2") == OK
    assert other.raw("SET", "t2", "z") == OK
    assert transact(w) == NULL_ARRAY


def test_deleting_a_missing_watched_key_is_no_change(connect):
    assert not watch_dirtied(connect, [], ["DEL", "x9"], ["x9"])


def test_rename_onto_a_watched_key(connect):
    assert watch_dirtied(connect, [["SET", "r1", "x"]], ["RENAME", "r1", "r2"], ["r2"])


def test_a_write_in_another_db_is_not_a_change(connect):
    w, other = connect(2), connect(2)
    assert w.raw("SELECT", "2") == OK
    assert w.raw("WATCH", "g1") == OK
    assert other.raw("SET", "g1", "x") == OK
    assert transact(w) == PONG_ONLY


def test_expiry_after_watch_invalidates(connect):
    w, other = connect(2), connect(2)
    assert other.raw("SET", "e1", "v", "PX", "50") == OK
    assert w.raw("WATCH", "e1") == OK
    time.sleep(0.2)
    assert transact(w) == NULL_ARRAY


def test_key_expired_before_watch_is_just_missing(connect):
    w, other = connect(2), connect(2)
    assert other.raw("SET", "e2", "v", "PX", "20") == OK
    time.sleep(0.1)
    assert w.raw("WATCH", "e2") == OK
    assert transact(w) == PONG_ONLY


def test_flushall_invalidates_watched_keys_that_existed(connect):
    w, other = connect(2), connect(2)
    assert other.raw("SET", "f1", "1") == OK
    assert w.raw("WATCH", "f1") == OK
    assert other.raw("FLUSHALL") == OK
    assert transact(w) == NULL_ARRAY
    assert w.raw("WATCH", "f2") == OK
    assert other.raw("FLUSHALL") == OK
    assert transact(w) == PONG_ONLY


def test_flushdb_of_another_db_is_no_change(connect):
    w, other = connect(2), connect(2)
    assert other.raw("SET", "f3", "1") == OK
    assert w.raw("WATCH", "f3") == OK
    assert other.raw("SELECT", "1") == OK
    assert other.raw("FLUSHDB") == OK
    assert transact(w) == PONG_ONLY


def test_swapdb_invalidates(connect):
    w, other = connect(2), connect(2)
    assert other.raw("SELECT", "1") == OK
    assert other.raw("SET", "s1", "1") == OK
    assert w.raw("WATCH", "s1") == OK
    assert other.raw("SWAPDB", "0", "1") == OK
    assert transact(w) == NULL_ARRAY
