"""The cmsgpack and struct libraries of Lua scripts, byte for byte as Redis
7.0 has them: the MessagePack forms cmsgpack.pack chooses, what unpack,
unpack_one and unpack_limit return for every type (offsets, -1 at the end,
the limit and offset quirks), their errors on truncated and bad input and
at Lua's stack limit; struct's formats, endianness and alignment, its
conversions and error texts, and round trips. Packed data travels as
ARGV, unpacked values come back as replies or described as text."""

import hashlib
import struct as pystruct

import pytest

from helpers import NIL, bulk, err, integer


def sha(body):
    return hashlib.sha1(body.encode()).hexdigest()


def ev(raw, body, *argv):
    return raw.raw("EVAL", body, "0", *argv)


def located(message, body):
    """An error a library raises: Redis's text with the script's line."""
    return err("ERR user_script:1: %s script: %s, on @user_script:1." % (message, sha(body)))


def unlocated(message, body):
    """An error Lua itself raises inside the library (no position)."""
    return err("ERR %s script: %s, on @user_script:1." % (message, sha(body)))


def arr(*items):
    return b"*%d\r\n" % len(items) + b"".join(items)


# Describes values exactly (types, all digits, sorted keys), for what a
# reply cannot show: floats, booleans, nils among the values.
DESCRIBE = r"""
local function d(v)
  local t = type(v)
  if t == 'table' then
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    local parts = {}
    for _, k in ipairs(keys) do parts[#parts + 1] = d(k) .. '=' .. d(v[k]) end
    return '{' .. table.concat(parts, ',') .. '}'
  elseif t == 'number' then return string.format('%.17g', v)
  elseif t == 'string' then return string.format('%q', v)
  end
  return tostring(v)
end
local function all(...)
  local o = {}
  for i = 1, select('#', ...) do o[i] = d((select(i, ...))) end
  return table.concat(o, ' ')
end
"""


def described(raw, call, *argv):
    """The values of a Lua call (e.g. "cmsgpack.unpack(ARGV[1])"), described."""
    return ev(raw, DESCRIBE + "return all(%s)" % call, *argv)


# ------------------------------------------------------------ the tables


def test_library_tables(raw):
    assert ev(raw, "return {type(cmsgpack), type(struct)}") == arr(bulk("table"), bulk("table"))
    assert ev(raw, "return {cmsgpack._NAME, cmsgpack._VERSION, cmsgpack._COPYRIGHT, "
                   "cmsgpack._DESCRIPTION}") == \
        arr(bulk("cmsgpack"), bulk("lua-cmsgpack 0.4.0"),
            bulk("Copyright (C) 2012, Salvatore Sanfilippo"),
            bulk("MessagePack C implementation for Lua"))
    # pairs() walks them in Redis's order
    assert ev(raw, "local t = {} for k in pairs(cmsgpack) do t[#t + 1] = k end return t") == \
        arr(*(bulk(k) for k in ("_DESCRIPTION", "pack", "_NAME", "unpack", "_COPYRIGHT",
                                "_VERSION", "unpack_one", "unpack_limit")))
    assert ev(raw, "local t = {} for k in pairs(struct) do t[#t + 1] = k end return t") == \
        arr(bulk("pack"), bulk("size"), bulk("unpack"))


@pytest.mark.parametrize("body", ["cmsgpack.pack = nil", "struct.x = 1", "cmsgpack = {}",
                                  "struct = nil"])
def test_libraries_read_only(raw, body):
    assert ev(raw, body) == located("Attempt to modify a readonly table", body)


def test_rawset_on_library(raw):
    for body in ("rawset(cmsgpack, 'x', 1)", "rawset(struct, 'pack', nil)"):
        assert ev(raw, body) == \
            err("ERR Attempt to modify a readonly table script: %s, on @user_script:1." % sha(body))


# ------------------------------------------------------------ cmsgpack.pack


def f32(x):
    return b"\xca" + pystruct.pack(">f", x)


def f64(x):
    return b"\xcb" + pystruct.pack(">d", x)


PACK = [
    ("nil", b"\xc0"), ("true", b"\xc3"), ("false", b"\xc2"),
    # integers: the smallest form, unsigned for positives
    ("0", b"\x00"), ("127", b"\x7f"), ("128", b"\xcc\x80"), ("255", b"\xcc\xff"),
    ("256", b"\xcd\x01\x00"), ("65535", b"\xcd\xff\xff"), ("65536", b"\xce\x00\x01\x00\x00"),
    ("4294967295", b"\xce\xff\xff\xff\xff"),
    ("4294967296", b"\xcf\x00\x00\x00\x01\x00\x00\x00\x00"),
    ("2^53", b"\xcf\x00\x20\x00\x00\x00\x00\x00\x00"),
    ("-1", b"\xff"), ("-32", b"\xe0"), ("-33", b"\xd0\xdf"), ("-128", b"\xd0\x80"),
    ("-129", b"\xd1\xff\x7f"), ("-32768", b"\xd1\x80\x00"), ("-32769", b"\xd2\xff\xff\x7f\xff"),
    ("-2147483648", b"\xd2\x80\x00\x00\x00"),
    ("-2147483649", b"\xd3\xff\xff\xff\xff\x7f\xff\xff\xff"),
    ("-2^63", b"\xd3\x80\x00\x00\x00\x00\x00\x00\x00"),
    ("-0.0", b"\x00"), ("3.0", b"\x03"),
    # other numbers: float32 when exact, else float64
    ("1.5", f32(1.5)), ("-2.25", f32(-2.25)), ("0.1", f64(0.1)), ("1e300", f64(1e300)),
    ("2^63", f32(2.0 ** 63)), ("2^64", f32(2.0 ** 64)), ("-2^63 - 4096", f64(-2.0 ** 63 - 4096)),
    ("1/0", b"\xca\x7f\x80\x00\x00"), ("-1/0", b"\xca\xff\x80\x00\x00"),
    ("2^-149", f32(2.0 ** -149)), ("2^-150", f64(2.0 ** -150)), ("16777217.5", f64(16777217.5)),
    # strings: fixstr, str8, str16, str32
    ("''", b"\xa0"), ("'abc'", b"\xa3abc"), ("string.rep('x', 31)", b"\xbf" + b"x" * 31),
    ("string.rep('x', 32)", b"\xd9\x20" + b"x" * 32),
    ("string.rep('x', 255)", b"\xd9\xff" + b"x" * 255),
    ("string.rep('x', 256)", b"\xda\x01\x00" + b"x" * 256),
    ("'a\\0b'", b"\xa3a\x00b"),
    # tables: arrays when their keys are 1..n, else maps
    ("{}", b"\x90"), ("{1, 2, 'x'}", b"\x93\x01\x02\xa1x"), ("{{}, {{}}}", b"\x92\x90\x91\x90"),
    ("{[1] = 1, [3] = 3}", b"\x82\x01\x01\x03\x03"), ("{a = 1}", b"\x81\xa1a\x01"),
    ("{[1.5] = true}", b"\x81\xca\x3f\xc0\x00\x00\xc3"), ("{[0] = 0}", b"\x81\x00\x00"),
    ("{[-1] = 0}", b"\x81\xff\x00"), ("{['1'] = 1}", b"\x81\xa11\x01"),
    ("{[2^31] = 1}", b"\x81\xce\x80\x00\x00\x00\x01"), ("{[1.0] = 'a', [2] = 'b'}", b"\x92\xa1a\xa1b"),
    ("{x = {1, {y = false}}}", b"\x81\xa1x\x92\x01\x81\xa1y\xc2"),
    # what has no MessagePack form is nil
    ("math.floor", b"\xc0"), ("coroutine.create(function() end)", b"\xc0"),
    ("{f = math.floor}", b"\x81\xa1f\xc0"), ("cjson.null", b"\xc0"),
]


@pytest.mark.parametrize("expr,packed", PACK, ids=[p[0] for p in PACK])
def test_pack(raw, expr, packed):
    assert ev(raw, "return cmsgpack.pack(%s)" % expr) == bulk(packed)


def test_pack_many_arguments_concatenated(raw):
    assert ev(raw, "return cmsgpack.pack(1, 'a', nil, {2}, true)") == \
        bulk(b"\x01\xa1a\xc0\x91\x02\xc3")
    assert ev(raw, "return cmsgpack.pack(unpack(ARGV))", "x", "yy") == bulk(b"\xa1x\xa2yy")


@pytest.mark.parametrize("n,head", [
    (65535, b"\xda\xff\xff"), (65536, b"\xdb\x00\x01\x00\x00"), (70000, b"\xdb\x00\x01\x11\x70"),
])
def test_pack_long_strings(raw, n, head):
    body = "local s = cmsgpack.pack(string.rep('z', %d)) return {s:sub(1, %d), #s}" % (n, len(head))
    assert ev(raw, body) == arr(bulk(head), integer(n + len(head)))


@pytest.mark.parametrize("n,head", [
    (15, b"\x9f"), (16, b"\xdc\x00\x10"), (65535, b"\xdc\xff\xff"),
    (65536, b"\xdd\x00\x01\x00\x00"),
])
def test_pack_array_headers(raw, n, head):
    body = ("local t = {} for i = 1, %d do t[i] = 0 end "
            "local s = cmsgpack.pack(t) return {s:sub(1, %d), #s}" % (n, len(head)))
    assert ev(raw, body) == arr(bulk(head), integer(n + len(head)))


@pytest.mark.parametrize("n,head", [
    (15, b"\x8f"), (16, b"\xde\x00\x10"), (65536, b"\xdf\x00\x01\x00\x00"),
])
def test_pack_map_headers(raw, n, head):
    body = ("local t = {} for i = 1, %d do t['k' .. i] = 0 end "
            "local s = cmsgpack.pack(t) return s:sub(1, %d)" % (n, len(head)))
    assert ev(raw, body) == bulk(head)


def test_pack_map_order(raw):
    # the order of next() (short keys: Lua 5.1's hash of longer strings
    # is not Redis's, docs/compatibility.md)
    assert ev(raw, "return cmsgpack.pack({a = 1, b = 2, c = 3, [10] = 4})") == \
        bulk(b"\x84\xa1a\x01\x0a\x04\xa1c\x03\xa1b\x02")


def test_pack_nesting_limit(raw):
    # a table 16 deep is nil: a cycle ends there
    assert ev(raw, "local t = {} t[1] = t return cmsgpack.pack(t)") == \
        bulk(b"\x91" * 16 + b"\xc0")
    assert ev(raw, "local t = {} t.a = t return cmsgpack.pack(t)") == \
        bulk(b"\x81\xa1a" * 16 + b"\xc0")
    assert ev(raw, "local t = {1} for i = 1, 16 do t = {t} end return cmsgpack.pack(t)") == \
        bulk(b"\x91" * 16 + b"\xc0")
    assert ev(raw, "local t = {1} for i = 1, 15 do t = {t} end return cmsgpack.pack(t)") == \
        bulk(b"\x91" * 16 + b"\x01")
    # keys count as a level too
    assert ev(raw, "local k = {} for i = 1, 15 do k = {k} end return cmsgpack.pack({[k] = 1})") == \
        bulk(b"\x81" + b"\x91" * 15 + b"\xc0" + b"\x01")


def test_pack_errors(raw):
    body = "return cmsgpack.pack()"
    assert ev(raw, body) == located("bad argument #0 to 'pack' (MessagePack pack needs input.)",
                                    body)
    body = ("local t = {} for i = 1, 4001 do t[i] = i end "
            "return cmsgpack.pack(unpack(t))")
    assert ev(raw, body) == \
        located("bad argument #0 to 'pack' (Too many arguments for MessagePack pack.)", body)
    body = ("local t = {} for i = 1, 4000 do t[i] = i end "
            "return #cmsgpack.pack(unpack(t))")
    assert ev(raw, body) == integer(127 + 128 * 2 + (4000 - 255) * 3)


# ------------------------------------------------------------ cmsgpack.unpack


def u64(t, v, fmt):
    return bytes([t]) + pystruct.pack(fmt, v)


UNPACK = [
    (b"\xc0", "nil"), (b"\xc3", "true"), (b"\xc2", "false"),
    (b"\x00", "0"), (b"\x7f", "127"), (b"\xe0", "-32"), (b"\xff", "-1"),
    (b"\xcc\xff", "255"), (b"\xcd\xff\xff", "65535"), (b"\xce\xff\xff\xff\xff", "4294967295"),
    (b"\xcf\x00\x20\x00\x00\x00\x00\x00\x01", "9007199254740992"),  # rounded to a double
    (b"\xcf\x7f\xff\xff\xff\xff\xff\xff\xff", "9.2233720368547758e+18"),
    # uint 64 is read as int 64
    (b"\xcf\xff\xff\xff\xff\xff\xff\xff\xff", "-1"),
    (b"\xcf\x80\x00\x00\x00\x00\x00\x00\x00", "-9.2233720368547758e+18"),
    (b"\xd0\x80", "-128"), (b"\xd0\x7f", "127"), (b"\xd1\x80\x00", "-32768"),
    (b"\xd2\x80\x00\x00\x00", "-2147483648"), (b"\xd2\x7f\xff\xff\xff", "2147483647"),
    (b"\xd3\xff\xff\xff\xff\xff\xff\xff\xfe", "-2"),
    (b"\xd3\x80\x00\x00\x00\x00\x00\x00\x00", "-9.2233720368547758e+18"),
    (f32(1.5), "1.5"), (f32(0.1), "0.10000000149011612"), (f64(0.1), "0.10000000000000001"),
    (b"\xca\x7f\x80\x00\x00", "inf"), (b"\xcb\xff\xf0\x00\x00\x00\x00\x00\x00", "-inf"),
    (b"\xca\x7f\xc0\x00\x00", "nan"),
    (b"\xa0", '""'), (b"\xa3abc", '"abc"'), (b"\xd9\x02hi", '"hi"'), (b"\xda\x00\x01z", '"z"'),
    (b"\xdb\x00\x00\x00\x02ok", '"ok"'), (b"\xa3a\x00b", '"a\\000b"'),
    (b"\x90", "{}"), (b"\x93\x01\xa1x\xc3", '{1=1,2="x",3=true}'),
    (b"\x93\x01\xc0\x03", "{1=1,3=3}"),  # a nil leaves a hole
    (b"\xdc\x00\x02\x05\x06", "{1=5,2=6}"), (b"\xdd\x00\x00\x00\x01\x07", "{1=7}"),
    (b"\x80", "{}"), (b"\x82\xa1a\x01\xa1b\x92\x02\x03", '{"a"=1,"b"={1=2,2=3}}'),
    (b"\x81\x01\xa1x", '{1="x"}'), (b"\x81\xc3\x00", "{true=0}"), (b"\x81\xa1k\xc0", "{}"),
    (b"\xde\x00\x01\xa1k\x01", '{"k"=1}'), (b"\xdf\x00\x00\x00\x01\xa1k\x02", '{"k"=2}'),
    (b"\x81\x91\x01\x02", "{{1=1}=2}"),
    # several values in a row
    (b"\x01\x02\xa1x\xc0", '1 2 "x" nil'), (b"", ""),
]


@pytest.mark.parametrize("data,text", UNPACK, ids=[u[0].hex() or "empty" for u in UNPACK])
def test_unpack_describe(raw, data, text):
    assert described(raw, "cmsgpack.unpack(ARGV[1])", data) == bulk(text)


def test_unpack_as_replies(raw):
    data = b"\x93\x01\xa1x\x92\xcb\x40\x04\x00\x00\x00\x00\x00\x00\xc3"
    assert ev(raw, "return cmsgpack.unpack(ARGV[1])", data) == \
        arr(integer(1), bulk("x"), arr(integer(2), integer(1)))
    assert ev(raw, "return {cmsgpack.unpack(ARGV[1])}", b"\x05\xa2ab\xc2\x06") == \
        arr(integer(5), bulk("ab"), NIL, integer(6))  # false is a nil reply
    assert ev(raw, "return cmsgpack.unpack(ARGV[1]).k", b"\x81\xa1k\xa1v") == bulk("v")
    assert ev(raw, "return cmsgpack.unpack(ARGV[1])", b"\xc0") == NIL


def test_round_trips(raw):
    body = ("local t = {1, -2, 300, -70000, 2^40, 0.5, 'str', true, {a = {b = 'c'}}, "
            "{1, {2, {3}}}, string.rep('q', 300)} "
            "local u = cmsgpack.unpack(cmsgpack.pack(t)) "
            "return cmsgpack.pack(u) == cmsgpack.pack(t) and #u == #t and u[9].a.b == 'c' "
            "and u[5] == 2^40 and u[6] == 0.5")
    assert ev(raw, body) == integer(1)
    assert described(raw, "cmsgpack.unpack(cmsgpack.pack(1, nil, 'x', 1.25, -1/0))") == \
        bulk('1 nil "x" 1.25 -inf')


@pytest.mark.parametrize("data", [
    b"\xc1", b"\xc4\x01x", b"\xc5\x00\x01x", b"\xc6\x00\x00\x00\x01x",  # never used, bin
    b"\xd4\x01\x01", b"\xd5\x01\x01\x02", b"\xd6\x01" + b"\x00" * 4, b"\xd7\x01" + b"\x00" * 8,
    b"\xd8\x01" + b"\x00" * 16, b"\xc7\x01\x01x", b"\xc8\x00\x01\x01x",
    b"\xc9\x00\x00\x00\x01\x01x",  # ext types
    b"\x01\xc1", b"\x92\x01\xc1", b"\x81\xa1k\xc4\x00",
])
def test_unpack_bad_format(raw, data):
    body = "return cmsgpack.unpack(ARGV[1])"
    assert ev(raw, body, data) == located("Bad data format in input.", body)


@pytest.mark.parametrize("data", [
    b"\xcc", b"\xcd\x01", b"\xce\x00\x00\x00", b"\xcf" + b"\x00" * 7, b"\xd0", b"\xd3\x00",
    b"\xca\x00\x00", b"\xcb" + b"\x00" * 7, b"\xa2a", b"\xd9", b"\xd9\x03ab", b"\xda\x00",
    b"\xdb\x00\x00\x00\x05abcd", b"\x91", b"\x92\x01", b"\xdc\x00", b"\xdc\x00\x02\x01",
    b"\xdd\x00\x00\x00", b"\x81", b"\x81\xa1k", b"\xde\x00\x01\x01", b"\xdf\x00\x00\x00\x01",
    b"\x01\x02\x91",
])
def test_unpack_missing_bytes(raw, data):
    body = "return cmsgpack.unpack(ARGV[1])"
    assert ev(raw, body, data) == located("Missing bytes in input.", body)


def test_unpack_bad_keys(raw):
    body = "return cmsgpack.unpack(ARGV[1])"
    assert ev(raw, body, b"\x81\xc0\x01") == unlocated("table index is nil", body)
    assert ev(raw, body, b"\x81\xcb\xff\xf8\x00\x00\x00\x00\x00\x00\x01") == \
        unlocated("table index is NaN", body)


def test_unpack_stack_limits(raw):
    # about 8000 values or 4000 levels of nesting: Lua's stack limit
    body = "return select('#', cmsgpack.unpack(string.rep('\\1', %d)))"
    assert ev(raw, body % 7000) == integer(7000)
    assert ev(raw, body % 8000) == located(
        "stack overflow (too many return values at once; use unpack_one or unpack_limit "
        "instead.)", body % 8000)
    body = "local t = cmsgpack.unpack(string.rep('\\145', %d) .. '\\1') return 1"
    assert ev(raw, body % 3000) == integer(1)
    assert ev(raw, body % 4000) == \
        located("stack overflow (in function mp_decode_to_lua_array)", body % 4000)
    body = "local t = cmsgpack.unpack(string.rep('\\129\\1', %d) .. '\\1') return 1"
    assert ev(raw, body % 3000) == integer(1)
    assert ev(raw, body % 4000) == located(
        "stack overflow (too many return values at once; use unpack_one or unpack_limit "
        "instead.)", body % 4000)


def test_unpack_argument_errors(raw):
    for call, message in [
        ("cmsgpack.unpack()", "bad argument #1 to 'unpack' (string expected, got no value)"),
        ("cmsgpack.unpack({})", "bad argument #1 to 'unpack' (string expected, got table)"),
        ("cmsgpack.unpack_one()",
         "bad argument #1 to 'unpack_one' (string expected, got no value)"),
        ("cmsgpack.unpack_one('', 'x')",
         "bad argument #2 to 'unpack_one' (number expected, got string)"),
        ("cmsgpack.unpack_limit('')",
         "bad argument #2 to 'unpack_limit' (number expected, got no value)"),
        ("cmsgpack.unpack_limit(nil, 1)",
         "bad argument #1 to 'unpack_limit' (string expected, got nil)"),
    ]:
        body = "return " + call
        assert ev(raw, body) == located(message, body), call
    # a number is a string to unpack: '1' is fixint 49
    assert described(raw, "cmsgpack.unpack(12)") == bulk("49 50")


# ------------------------------------------------------------ unpack_one, unpack_limit


STREAM = b"\x01\xa2ab\x92\x02\x03\xc3"  # 1, "ab", {2, 3}, true: offsets 1, 4, 7, 8 (end)


@pytest.mark.parametrize("call,text", [
    ("cmsgpack.unpack_one(ARGV[1])", "1 1"),
    ("cmsgpack.unpack_one(ARGV[1], 0)", "1 1"),
    ("cmsgpack.unpack_one(ARGV[1], 1)", '4 "ab"'),
    ("cmsgpack.unpack_one(ARGV[1], 4)", "7 {1=2,2=3}"),
    ("cmsgpack.unpack_one(ARGV[1], 7)", "-1 true"),
    ("cmsgpack.unpack_one(ARGV[1], 8)", "-1"),  # at the end: nothing more
    ("cmsgpack.unpack_one(ARGV[1], 1.9)", '4 "ab"'),
    ("cmsgpack.unpack_one(ARGV[1], '4')", "7 {1=2,2=3}"),
    ("cmsgpack.unpack_limit(ARGV[1], 2)", '4 1 "ab"'),
    ("cmsgpack.unpack_limit(ARGV[1], 2, 4)", "-1 {1=2,2=3} true"),
    ("cmsgpack.unpack_limit(ARGV[1], 10)", '-1 1 "ab" {1=2,2=3} true'),
    ("cmsgpack.unpack_limit(ARGV[1], 10, 7)", "-1 true"),
    # limit 0 and offset 0: every value and no offset, as unpack
    ("cmsgpack.unpack_limit(ARGV[1], 0)", '1 "ab" {1=2,2=3} true'),
    ("cmsgpack.unpack_limit(ARGV[1], 0, 0)", '1 "ab" {1=2,2=3} true'),
    # limit 0 elsewhere: only the offset
    ("cmsgpack.unpack_limit(ARGV[1], 0, 4)", "4"),
    ("cmsgpack.unpack_limit(ARGV[1], 0, 8)", "-1"),
    ("cmsgpack.unpack_one('')", "-1"),
    ("cmsgpack.unpack_limit('', 5)", "-1"),
    ("cmsgpack.unpack('')", ""),
])
def test_unpack_one_and_limit(raw, call, text):
    assert described(raw, call, STREAM) == bulk(text)


def test_unpack_one_walk(raw):
    # the loop Redis's documentation shows: offsets until -1
    body = ("local s, off, out = ARGV[1], 0, {} "
            "repeat local v off, v = cmsgpack.unpack_one(s, off) "
            "out[#out + 1] = type(v) == 'table' and #v or v until off == -1 "
            "return out")
    assert ev(raw, body, STREAM) == arr(integer(1), bulk("ab"), integer(2), integer(1))


@pytest.mark.parametrize("call,message", [
    ("cmsgpack.unpack_one(ARGV[1], -1)",
     "Invalid request to unpack with offset of -1 and limit of 8."),
    ("cmsgpack.unpack_limit(ARGV[1], -1)",
     "Invalid request to unpack with offset of 0 and limit of 8."),
    ("cmsgpack.unpack_limit(ARGV[1], 1, -3)",
     "Invalid request to unpack with offset of -3 and limit of 8."),
    ("cmsgpack.unpack_one(ARGV[1], 9)", "Start offset 9 greater than input length 8."),
    ("cmsgpack.unpack_limit(ARGV[1], 1, 100)", "Start offset 100 greater than input length 8."),
    # the numbers printed as C ints
    ("cmsgpack.unpack_one(ARGV[1], 2^32 + 1)", "Start offset 1 greater than input length 8."),
    # an offset inside a value reads from there
    ("cmsgpack.unpack_one(ARGV[1], 1)", "Missing bytes in input."),
    ("cmsgpack.unpack_limit(ARGV[1], 1, 3)", "Bad data format in input."),
])
def test_unpack_offset_errors(raw, call, message):
    body = "return " + call
    if message.startswith(("Missing", "Bad")):
        data = b"\x01\xa3a\xc1"
    else:
        data = STREAM
    assert ev(raw, body, data) == located(message, body)


def test_unpack_limit_wide_numbers(raw):
    # limit and offset are Lua integers: 2^32 is no limit of 0
    assert described(raw, "cmsgpack.unpack_limit(ARGV[1], 2^32, 1)", STREAM) == \
        bulk('-1 "ab" {1=2,2=3} true')


# ------------------------------------------------------------ struct.pack


PACKS = [
    ("'b', -1", b"\xff"), ("'B', 255", b"\xff"), ("'B', 256", b"\x00"), ("'b', 200", b"\xc8"),
    ("'h', -2", b"\xfe\xff"), ("'<h', 258", b"\x02\x01"), ("'>h', 258", b"\x01\x02"),
    ("'H', 65535", b"\xff\xff"), ("'>H', 1", b"\x00\x01"),
    ("'i', 1", b"\x01\x00\x00\x00"), ("'>i', -2", b"\xff\xff\xff\xfe"),
    ("'I', 2^32 + 5", b"\x05\x00\x00\x00"), ("'>i3', 1193046", b"\x12\x34\x56"),
    ("'<I5', 2^32", b"\x00\x00\x00\x00\x01"), ("'i1', 7", b"\x07"), ("'i0', 7", b""),
    ("'l', -1", b"\xff" * 8), ("'>L', 2^40", b"\x00\x00\x01\x00\x00\x00\x00\x00"),
    ("'T', 3", b"\x03" + b"\x00" * 7),
    # wider than 8 bytes: 8 bytes of value, the rest zeros
    ("'<i12', -1", b"\xff" * 8 + b"\x00" * 4), ("'>i10', 1", b"\x00\x00" + b"\x00" * 7 + b"\x01"),
    # numbers are cut as C casts them on x86-64
    ("'b', 1.9", b"\x01"), ("'b', -1.9", b"\xff"), ("'i', '12'", b"\x0c\x00\x00\x00"),
    ("'<L', 2^64", b"\x00" * 8), ("'<L', 2^63", b"\x00" * 7 + b"\x80"),
    ("'<l', -2^63 - 4096", b"\x00" * 7 + b"\x80"), ("'<L', 0/0", b"\x00" * 7 + b"\x80"),
    ("'f', 1.5", pystruct.pack("<f", 1.5)), ("'>f', 0.1", pystruct.pack(">f", 0.1)),
    ("'d', 0.1", pystruct.pack("<d", 0.1)), ("'>d', -2.5", pystruct.pack(">d", -2.5)),
    ("'f', 1e39", b"\x00\x00\x80\x7f"),
    ("'s', 'ab'", b"ab\x00"), ("'s', 'a\\0b'", b"a\x00b\x00"), ("'c', 'xyz'", b"x"),
    ("'c3', 'xyz'", b"xyz"), ("'c2', 'xyz'", b"xy"), ("'c0', 'hello'", b"hello"),
    ("'c2', 42", b"42"), ("'x'", b"\x00"), ("'xxbx', 1", b"\x00\x00\x01\x00"),
    ("'>h<h', 1, 1", b"\x00\x01\x01\x00"), ("' b b ', 1, 2", b"\x01\x02"),
    ("'b\\0b', 1, 2", b"\x01"),  # the format ends at a zero byte
    ("'', 1", b""),
    # alignment: to the smaller of the item's size and !n, from the start
    ("'!4bi', 1, 2", b"\x01\x00\x00\x00\x02\x00\x00\x00"),
    ("'!2bi', 1, 2", b"\x01\x00\x02\x00\x00\x00"),
    ("'!bd', 1, 0", b"\x01" + b"\x00" * 7 + b"\x00" * 8),
    ("'!8bh', 1, 2", b"\x01\x00\x02\x00"), ("'!1bi', 1, 2", b"\x01\x02\x00\x00\x00"),
    ("'!4bc3i', 1, 'abc', 2", b"\x01abc\x02\x00\x00\x00"),  # c is never aligned
    ("'!4bs i', 1, 'ab', 2", b"\x01ab\x00\x02\x00\x00\x00"),
    ("'!8bi3', 1, 2", b"\x01\x00\x00\x02\x00\x00"),  # odd sizes pad oddly
    ("'>!4hBi', 1, 2, 3", b"\x00\x01\x02\x00\x00\x00\x00\x03"),
]


@pytest.mark.parametrize("args,packed", PACKS, ids=[p[0] for p in PACKS])
def test_struct_pack(raw, args, packed):
    assert ev(raw, "return struct.pack(%s)" % args) == bulk(packed)


@pytest.mark.parametrize("fmt,size", [
    ("b", 1), ("BhH", 5), ("lLT", 24), ("i", 4), ("i7I9", 16), ("fd", 12), ("c10", 10),
    ("x", 1), ("", 0), ("<>", 0), ("!bd", 16), ("!4bd", 12), ("!2bi", 6), ("!8c3d", 16),
    ("!8c3i3", 6), ("x y", 1),
    # letters and digits that are no option count nothing here (pack refuses them)
    ("Q", 0), ("bQ", 1), ("=b", None), ("5b", 1),
])
def test_struct_size(raw, fmt, size):
    body = "return struct.size('%s')" % fmt
    if size is None:
        assert ev(raw, body) == \
            located("bad argument #1 to 'size' (invalid format option '=')", body)
    else:
        assert ev(raw, body) == integer(size)


# ------------------------------------------------------------ struct.unpack


@pytest.mark.parametrize("call,text", [
    ("struct.unpack('b', '\\255')", "-1 2"), ("struct.unpack('B', '\\255')", "255 2"),
    ("struct.unpack('<h', '\\254\\255')", "-2 3"), ("struct.unpack('>H', '\\1\\2')", "258 3"),
    ("struct.unpack('>i3', '\\255\\255\\254')", "-2 4"),
    ("struct.unpack('<I3', '\\255\\255\\254')", "16711679 4"),
    ("struct.unpack('<l', string.rep('\\255', 8))", "-1 9"),
    ("struct.unpack('<L', string.rep('\\255', 8))", "1.8446744073709552e+19 9"),
    ("struct.unpack('>I16', string.rep('\\255', 16))", "1.8446744073709552e+19 17"),
    ("struct.unpack('<i16', struct.pack('<i16', -3))", "-3 17"),
    ("struct.unpack('<i9', string.rep('\\255', 9))", "-1 10"),
    ("struct.unpack('<i12', '\\0\\0\\0\\0\\0\\0\\0\\128\\0\\0\\0\\0')",
     "-2147483648 13"),  # the sign bit of i12: bit 95 mod 64 of the low 8 bytes
    ("struct.unpack('i0', 'x')", "0 1"),
    ("struct.unpack('f', struct.pack('f', 0.1))", "0.10000000149011612 5"),
    ("struct.unpack('>d', struct.pack('>d', 0.1))", "0.10000000000000001 9"),
    ("struct.unpack('s', 'ab\\0cd')", '"ab" 4'), ("struct.unpack('ss', 'a\\0\\0')", '"a" "" 4'),
    ("struct.unpack('c2', 'abc')", '"ab" 3'), ("struct.unpack('xc1', 'abc')", '"b" 3'),
    # c0 reads as many bytes as the number just unpacked
    ("struct.unpack('bc0', '\\3abcdef')", '"abc" 5'),
    ("struct.unpack('c1c0', '3abcdef')", '"abc" 5'),  # a string that is a number too
    ("struct.unpack('>hc0b', '\\0\\2xy\\9')", '"xy" 9 6'),
    ("struct.unpack('Bc0', '\\0abc')", '"" 2'),
    # a start position
    ("struct.unpack('b', '\\1\\2\\3', 2)", "2 3"), ("struct.unpack('bb', '\\1\\2\\3', 2)", "2 3 4"),
    ("struct.unpack('', 'ab', 3)", "3"), ("struct.unpack('', 'ab', 40)", "40"),
    ("struct.unpack('', 'ab', -1)", "-1"),
    ("struct.unpack('!4bi', struct.pack('!4bi', 1, 2))", "1 2 9"),
    ("struct.unpack('!4i', 'xxxx\\5\\0\\0\\0', 2)", "5 9"),  # aligned from the data's start
    ("struct.unpack('>!4hBi', struct.pack('>!4hBi', -1, 2, -3))", "-1 2 -3 9"),
])
def test_struct_unpack(raw, call, text):
    assert described(raw, call) == bulk(text)


def test_struct_round_trip(raw):
    fmt = "<!4bBhHiIlLfdc3si5"
    call = ("struct.unpack('%s', struct.pack('%s', -5, 250, -300, 60000, -70000, 4000000000, "
            "-2^40, 2^50, 0.5, 1/3, 'abc', 'zero', -9))" % (fmt, fmt))
    assert described(raw, call) == \
        bulk('-5 250 -300 60000 -70000 4000000000 -1099511627776 1125899906842624 0.5 '
             '0.33333333333333331 "abc" "zero" -9 58')
    assert ev(raw, "return #struct.pack('%s', 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 'abc', 'zero', 1)"
              % fmt) == integer(57)


def test_struct_many_results(raw):
    assert ev(raw, "return select('#', struct.unpack(string.rep('b', 7000), "
                   "string.rep('\\1', 7000)))") == integer(7001)


# ------------------------------------------------------------ struct errors


@pytest.mark.parametrize("call,message", [
    ("struct.pack('y')", "bad argument #1 to 'pack' (invalid format option 'y')"),
    ("struct.pack('=i', 1)", "bad argument #1 to 'pack' (invalid format option '=')"),
    ("struct.unpack('Q', 'x')", "bad argument #1 to 'unpack' (invalid format option 'Q')"),
    ("struct.size('i%')", "bad argument #1 to 'size' (invalid format option '%')"),
    ("struct.size('!3')", "alignment 3 is not a power of 2"),
    ("struct.pack('!0')", "alignment 0 is not a power of 2"),
    ("struct.size('i33')", "integral size 33 is larger than limit of 32"),
    ("struct.pack('I40', 1)", "integral size 40 is larger than limit of 32"),
    ("struct.size('c2147483648')", "integral size overflow"),
    ("struct.size('!99999999999')", "integral size overflow"),
    ("struct.size('s')", "bad argument #1 to 'size' (option 's' has no fixed size)"),
    ("struct.size('bc0')", "bad argument #1 to 'size' (option 'c0' has no fixed size)"),
    ("struct.pack('c5', 'abc')", "bad argument #3 to 'pack' (string too short)"),
    ("struct.pack('bc5', 1, 'abc')", "bad argument #4 to 'pack' (string too short)"),
    # the library's own mark on the stack is the missing argument
    ("struct.pack('i')", "bad argument #2 to 'pack' (number expected, got nil)"),
    ("struct.pack('bi', 1)", "bad argument #3 to 'pack' (number expected, got nil)"),
    ("struct.pack('bi', 1, 'x')", "bad argument #3 to 'pack' (number expected, got string)"),
    ("struct.pack('s', {})", "bad argument #2 to 'pack' (string expected, got table)"),
    ("struct.pack()", "bad argument #1 to 'pack' (string expected, got no value)"),
    ("struct.unpack('i')", "bad argument #2 to 'unpack' (string expected, got no value)"),
    ("struct.unpack('i', 'abc')", "bad argument #2 to 'unpack' (data string too short)"),
    ("struct.unpack('!4bi', 'abcdefg')", "bad argument #2 to 'unpack' (data string too short)"),
    ("struct.unpack('i', 'abcdabcd', 6)", "bad argument #2 to 'unpack' (data string too short)"),
    ("struct.unpack('b', 'ab', -1)", "bad argument #2 to 'unpack' (data string too short)"),
    ("struct.unpack('b', 'ab', 0)", "bad argument #3 to 'unpack' (offset must be 1 or greater)"),
    ("struct.unpack('c0', 'abc')", "format 'c0' needs a previous size"),
    ("struct.unpack('c1c0', 'xabc')", "format 'c0' needs a previous size"),
    ("struct.unpack('bc0', '\\9abc')", "bad argument #2 to 'unpack' (data string too short)"),
    ("struct.unpack('dc0', struct.pack('d', -1) .. 'abc')",
     "bad argument #2 to 'unpack' (data string too short)"),
    ("struct.unpack('s', 'abc')", "unfinished string in data"),
    ("struct.unpack('bs', 'a')", "unfinished string in data"),
])
def test_struct_errors(raw, call, message):
    body = "return " + call
    assert ev(raw, body) == located(message, body)
