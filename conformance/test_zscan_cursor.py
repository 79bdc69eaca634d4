"""ZSCAN reads its cursor as SCAN, HSCAN and SSCAN do (Redis's
parseScanCursorOrReply: strtoul over the argument as a C string), so a NUL
byte ends the cursor and leading zeros are allowed at any length."""

import pytest


@pytest.mark.parametrize("cmd,key,fill", [
    ("ZSCAN", "z", ["ZADD", "z", "1", "a"]),
    ("SSCAN", "s", ["SADD", "s", "a"]),
    ("HSCAN", "h", ["HSET", "h", "a", "1"]),
])
@pytest.mark.parametrize("cursor", [b"0\x00abc", b"0" * 70])
def test_scan_cursor_rules_are_shared(raw, cmd, key, fill, cursor):
    raw.call(*fill)
    value = raw.value(cmd, key, cursor)
    assert isinstance(value, list) and value[0] == b"0", value
