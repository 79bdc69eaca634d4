"""Geo: GEOADD (NX XX CH) GEODIST GEOHASH GEOPOS GEORADIUS GEORADIUS_RO
GEORADIUSBYMEMBER GEORADIUSBYMEMBER_RO GEOSEARCH GEOSEARCHSTORE.

Points are zset members scored with Redis's 52-bit interleaved geohash.
Replies are byte-exact: coordinates as Redis prints them ("%.17Lf" with
trailing zeros dropped; RESP3 doubles), distances with 4 decimals (a bulk
string in RESP3 too), GEOHASH's 11-character strings, and the order of
unsorted search results, which follows Redis's scan of the 9 geohash cells.
STORE/STOREDIST destinations are tried on other shards than the source.
test_store_encoding reads OBJECT ENCODING.
"""

import math
import random

import pytest

from helpers import NIL, NULL3, SYNTAX, arity_err, array, bulk, err, integer, spread_keys

WRONGTYPE = err("WRONGTYPE Operation against a key holding the wrong kind of value")
NOT_FLOAT = err("ERR value is not a valid float")
BAD_UNIT = err("ERR unsupported unit provided. please use M, KM, FT, MI")
NO_MEMBER = err("ERR could not decode requested zset member")
EMPTY = b"*0\r\n"

PALERMO = ("13.361389", "38.115556", "Palermo")
CATANIA = ("15.087269", "37.502669", "Catania")
PALERMO_POS = (b"13.36138933897018433", b"38.11555639549629859")
CATANIA_POS = (b"15.08726745843887329", b"37.50266842333162032")


def flat(*items):
    return array(*[bulk(str(x)) for x in items])


def coord3(x):
    return b",%s\r\n" % x


@pytest.fixture
def sicily(raw):
    raw.value("GEOADD", "Sicily", *PALERMO, *CATANIA)
    return "Sicily"


@pytest.fixture
def grid(raw):
    """36 points 0.02 degrees of longitude and 0.015 of latitude apart."""
    pts = []
    for i in range(6):
        for j in range(6):
            pts += ["%.4f" % (12.40 + i * 0.02), "%.4f" % (41.85 + j * 0.015), "p%d%d" % (i, j)]
    assert raw.raw("GEOADD", "grid", *pts) == integer(36)
    return "grid"


# ---------------------------------------------------------------- GEOADD

def test_geoadd_scores_are_geohashes(raw, sicily):
    assert raw.raw("ZSCORE", "Sicily", "Palermo") == bulk("3479099956230698")
    assert raw.raw("ZSCORE", "Sicily", "Catania") == bulk("3479447370796909")
    assert raw.raw("TYPE", "Sicily") == b"+zset\r\n"
    assert raw.raw("ZRANGE", "Sicily", "0", "-1") == flat("Palermo", "Catania")


def test_geoadd_options(raw, sicily):
    assert raw.raw("GEOADD", "Sicily", *PALERMO) == integer(0)
    assert raw.raw("GEOADD", "Sicily", "CH", "13", "38", "Palermo") == integer(1)
    assert raw.raw("GEOADD", "Sicily", "NX", "14", "38", "Palermo", "14", "38", "X") == integer(1)
    assert raw.raw("GEOADD", "Sicily", "XX", "14", "38", "Palermo", "14", "38", "Y") == integer(0)
    assert raw.raw("GEOADD", "Sicily", "XX", "CH", "15", "38", "Palermo") == integer(1)
    assert raw.raw("ZCARD", "Sicily") == integer(3)
    assert raw.raw("GEOADD", "new", "XX", *PALERMO) == integer(0)
    assert raw.raw("EXISTS", "new") == integer(0)


def test_geoadd_errors(raw):
    raw.value("SET", "s", "v")
    assert raw.raw("GEOADD", "g", "200", "100", "x") == err(
        "ERR invalid longitude,latitude pair 200.000000,100.000000")
    assert raw.raw("GEOADD", "g", "13", "85.05112879", "x") == err(
        "ERR invalid longitude,latitude pair 13.000000,85.051129")
    assert raw.raw("GEOADD", "g", "-180.1", "0", "x") == err(
        "ERR invalid longitude,latitude pair -180.100000,0.000000")
    assert raw.raw("GEOADD", "g", "13", "abc", "x") == NOT_FLOAT
    assert raw.raw("GEOADD", "g", "XX", "NX", "13", "38", "x") == SYNTAX
    assert raw.raw("GEOADD", "g", "foo", "13", "38", "x") == SYNTAX
    assert raw.raw("GEOADD", "g", "13", "38", "x", "14") == SYNTAX
    assert raw.raw("GEOADD", "g", "CH", "NX", "CH") == SYNTAX
    assert raw.raw("GEOADD", "g", "13", "38") == arity_err("geoadd")
    # Every point is checked before anything is added; types after that.
    assert raw.raw("GEOADD", "g", "13", "38", "ok", "13", "99", "bad") == err(
        "ERR invalid longitude,latitude pair 13.000000,99.000000")
    assert raw.raw("EXISTS", "g") == integer(0)
    assert raw.raw("GEOADD", "s", "13", "99", "bad") == err(
        "ERR invalid longitude,latitude pair 13.000000,99.000000")
    assert raw.raw("GEOADD", "s", "13", "38", "x") == WRONGTYPE


def test_geoadd_limits(raw):
    assert raw.raw("GEOADD", "g", "180", "85.05112878", "ne", "-180", "-85.05112878", "sw",
                   "0", "0", "o") == integer(3)
    # At the very top the cell index overflows 26 bits, as it does in Redis.
    assert raw.raw("ZSCORE", "g", "ne") == bulk("13510798882111488")
    assert raw.raw("GEOPOS", "g", "ne", "sw", "o") == array(
        flat("180", "85.0511287799999991"),
        flat("-179.99999731779098511", "-85.05112751263942528"),
        flat("0.00000268220901489", "0.00000126736058093"))


# ---------------------------------------------------------------- reads

def test_geopos(raw, raw3, sicily):
    assert raw.raw("GEOPOS", "Sicily", "Palermo", "Catania", "nope") == array(
        array(*[bulk(x) for x in PALERMO_POS]), array(*[bulk(x) for x in CATANIA_POS]),
        b"*-1\r\n")
    assert raw3.raw("GEOPOS", "Sicily", "Palermo", "nope") == array(
        array(*[coord3(x) for x in PALERMO_POS]), NULL3)
    assert raw.raw("GEOPOS", "nokey", "a") == array(b"*-1\r\n")
    assert raw.raw("GEOPOS", "Sicily") == EMPTY


def test_geodist(raw, raw3, sicily):
    assert raw.raw("GEODIST", "Sicily", "Palermo", "Catania") == bulk("166274.1516")
    assert raw.raw("GEODIST", "Sicily", "Palermo", "Catania", "km") == bulk("166.2742")
    assert raw.raw("GEODIST", "Sicily", "Palermo", "Catania", "MI") == bulk("103.3182")
    assert raw.raw("GEODIST", "Sicily", "Palermo", "Catania", "ft") == bulk("545518.8700")
    assert raw3.raw("GEODIST", "Sicily", "Palermo", "Catania", "m") == bulk("166274.1516")
    assert raw.raw("GEODIST", "Sicily", "Palermo", "Palermo") == bulk("0.0000")
    assert raw.raw("GEODIST", "Sicily", "Palermo", "nope") == NIL
    assert raw3.raw("GEODIST", "Sicily", "Palermo", "nope") == NULL3
    assert raw.raw("GEODIST", "nokey", "a", "b") == NIL
    assert raw.raw("GEODIST", "Sicily", "Palermo", "Catania", "foo") == BAD_UNIT
    assert raw.raw("GEODIST", "Sicily", "Palermo", "Catania", "km", "x") == SYNTAX
    assert raw.raw("GEODIST", "nokey", "a", "b", "foo") == BAD_UNIT


def test_geohash(raw, raw3, sicily):
    assert raw.raw("GEOHASH", "Sicily", "Palermo", "Catania", "nope") == array(
        bulk("sqc8b49rny0"), bulk("sqdtr74hyu0"), NIL)
    assert raw3.raw("GEOHASH", "Sicily", "nope") == array(NULL3)
    assert raw.raw("GEOHASH", "nokey", "a") == array(NIL)
    raw.value("GEOADD", "g", "-180", "-85.05112878", "a", "180", "85.05112878", "b", "0", "0", "c")
    assert raw.raw("GEOHASH", "g", "a", "b", "c") == array(
        bulk("00bh0hbj200"), bulk("bp05b5048p0"), bulk("s0000000000"))


def test_reads_wrongtype(raw):
    raw.value("SET", "s", "v")
    for args in (("GEOPOS", "s", "a"), ("GEODIST", "s", "a", "b"), ("GEOHASH", "s", "a"),
                 ("GEORADIUS", "s", "0", "0", "1", "km"), ("GEORADIUSBYMEMBER", "s", "a", "1", "m"),
                 ("GEOSEARCH", "s", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "m")):
        assert raw.raw(*args) == WRONGTYPE, args


# ---------------------------------------------------------------- searches

def test_georadius_with_everything(raw, raw3, sicily):
    want_tail = [
        (b"Palermo", b"190.4424", 3479099956230698, PALERMO_POS),
        (b"Catania", b"56.4413", 3479447370796909, CATANIA_POS),
    ]
    got = raw.raw("GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "WITHCOORD",
                  "WITHHASH")
    assert got == array(*[array(bulk(m), bulk(d), integer(h), array(bulk(x), bulk(y)))
                          for m, d, h, (x, y) in want_tail])
    got = raw3.raw("GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHCOORD", "WITHHASH",
                   "WITHDIST")
    assert got == array(*[array(bulk(m), bulk(d), integer(h), array(coord3(x), coord3(y)))
                          for m, d, h, (x, y) in want_tail])


def test_georadius_sorting_and_count(raw, sicily):
    assert raw.raw("GEORADIUS", "Sicily", "15", "37", "200", "km", "ASC") == flat(
        "Catania", "Palermo")
    assert raw.raw("GEORADIUS", "Sicily", "15", "37", "200", "km", "DESC") == flat(
        "Palermo", "Catania")
    assert raw.raw("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1") == flat("Catania")
    assert raw.raw("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1", "ANY") == flat(
        "Palermo")
    assert raw.raw("GEORADIUS", "Sicily", "15", "37", "100", "km") == flat("Catania")
    assert raw.raw("GEORADIUS", "Sicily", "15", "37", "10", "m") == EMPTY
    assert raw.raw("GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "WITHDIST", "DESC") == array(
        flat("Palermo", "190.4424"), flat("Catania", "56.4413"))


def test_georadiusbymember(raw, sicily):
    raw.value("GEOADD", "Sicily", "13.583333", "37.316667", "Agrigento")
    assert raw.raw("GEORADIUSBYMEMBER", "Sicily", "Agrigento", "100", "km") == flat(
        "Agrigento", "Palermo")
    assert raw.raw("GEORADIUSBYMEMBER_RO", "Sicily", "Agrigento", "200", "km", "WITHDIST",
                   "ASC") == array(flat("Agrigento", "0.0000"), flat("Palermo", "90.9778"),
                                   flat("Catania", "134.4697"))
    assert raw.raw("GEORADIUSBYMEMBER", "Sicily", "nope", "100", "km") == NO_MEMBER
    assert raw.raw("GEORADIUSBYMEMBER", "nokey", "nope", "100", "km") == EMPTY


def test_unsorted_order_follows_the_cell_scan(raw, grid):
    assert raw.raw("GEOSEARCH", "grid", "FROMLONLAT", "12.45", "41.88", "BYRADIUS", "3",
                   "km") == flat("p11", "p12", "p13", "p21", "p22", "p31", "p41", "p32", "p42",
                                 "p23", "p33", "p43")
    assert raw.raw("GEORADIUS", "grid", "12.47", "41.9", "2", "km", "WITHHASH") == array(
        array(bulk("p33"), integer(3480341638678481)), array(bulk("p43"), integer(3480341649722833)),
        array(bulk("p34"), integer(3480341826704325)), array(bulk("p44"), integer(3480341837748677)))
    assert raw.raw("GEOSEARCH", "grid", "FROMLONLAT", "12.45", "41.88", "BYRADIUS", "5", "km",
                   "COUNT", "3", "ANY") == flat("p01", "p02", "p11")


def test_geosearch_box_and_radius(raw, raw3, grid):
    assert raw.raw("GEOSEARCH", "grid", "FROMMEMBER", "p22", "BYBOX", "4", "3", "km") == flat(
        "p12", "p22", "p32")
    assert raw.raw("GEOSEARCH", "grid", "FROMMEMBER", "p00", "BYRADIUS", "2.5", "km",
                   "WITHDIST") == array(flat("p00", "0.0000"), flat("p10", "1.6569"),
                                        flat("p01", "1.6684"), flat("p11", "2.3513"))
    assert raw.raw("GEOSEARCH", "grid", "FROMLONLAT", "12.45", "41.88", "BYRADIUS", "5", "km",
                   "COUNT", "4", "DESC", "WITHDIST") == array(
        flat("p01", "4.4646"), flat("p51", "4.4644"), flat("p03", "4.4637"),
        flat("p53", "4.4635"))
    assert raw3.raw("GEOSEARCH", "grid", "FROMMEMBER", "p55", "BYRADIUS", "3", "km", "WITHCOORD",
                    "ASC") == array(
        array(bulk("p55"), array(coord3(b"12.49999791383743286"), coord3(b"41.92499896475144538"))),
        array(bulk("p45"), array(coord3(b"12.4799993634223938"), coord3(b"41.92499896475144538"))),
        array(bulk("p54"), array(coord3(b"12.49999791383743286"), coord3(b"41.91000101965163793"))),
        array(bulk("p44"), array(coord3(b"12.4799993634223938"), coord3(b"41.91000101965163793"))))
    assert raw.raw("GEORADIUSBYMEMBER", "grid", "p55", "3", "km", "ASC") == raw.raw(
        "GEOSEARCH", "grid", "FROMMEMBER", "p55", "BYRADIUS", "3", "km", "ASC")


def test_search_errors(raw, sicily):
    s = "Sicily"
    assert raw.raw("GEORADIUS", s, "15", "37", "200", "km", "COUNT", "0") == err(
        "ERR COUNT must be > 0")
    assert raw.raw("GEORADIUS", s, "15", "37", "200", "km", "COUNT", "-1") == err(
        "ERR COUNT must be > 0")
    assert raw.raw("GEORADIUS", s, "15", "37", "200", "km", "COUNT", "a") == err(
        "ERR value is not an integer or out of range")
    assert raw.raw("GEORADIUS", s, "15", "37", "200", "km", "ANY") == err(
        "ERR the ANY argument requires COUNT argument")
    assert raw.raw("GEORADIUS", s, "15", "37", "-1", "km") == err("ERR radius cannot be negative")
    assert raw.raw("GEORADIUS", s, "15", "37", "a", "km") == err("ERR need numeric radius")
    assert raw.raw("GEORADIUS", s, "15", "37", "200", "foo") == BAD_UNIT
    assert raw.raw("GEORADIUS", s, "15", "a", "200", "km") == NOT_FLOAT
    assert raw.raw("GEORADIUS", s, "200", "37", "200", "km") == err(
        "ERR invalid longitude,latitude pair 200.000000,37.000000")
    assert raw.raw("GEORADIUS", s, "15", "37", "200", "km", "STORE") == SYNTAX
    assert raw.raw("GEORADIUS", s, "15", "37", "200", "km", "foo") == SYNTAX
    assert raw.raw("GEORADIUS", s, "15", "37", "200", "km", "STORE", "d", "WITHDIST") == err(
        "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD "
        "options")
    assert raw.raw("GEORADIUS_RO", s, "15", "37", "200", "km", "STORE", "d") == SYNTAX
    assert raw.raw("GEORADIUSBYMEMBER_RO", s, "Palermo", "1", "km", "STOREDIST", "d") == SYNTAX
    assert raw.raw("GEORADIUS", s, "15", "37", "200") == arity_err("georadius")


def test_geosearch_errors(raw, sicily):
    s = "Sicily"
    assert raw.raw("GEOSEARCH", s, "FROMMEMBER", "Palermo", "FROMLONLAT", "15", "37", "BYRADIUS",
                   "200", "km") == SYNTAX
    assert raw.raw("GEOSEARCH", s, "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km", "BYBOX",
                   "1", "1", "km") == SYNTAX
    assert raw.raw("GEOSEARCH", s, "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km", "STORE",
                   "x") == SYNTAX
    assert raw.raw("GEOSEARCH", s, "FROMLONLAT", "15", "37", "WITHDIST", "ASC", "COUNT",
                   "1") == err("ERR exactly one of BYRADIUS and BYBOX can be specified for "
                               "GEOSEARCH")
    assert raw.raw("geosearch", s, "BYRADIUS", "1", "km", "WITHDIST", "ASC") == err(
        "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for geosearch")
    assert raw.raw("GEOSEARCH", s, "FROMMEMBER", "Palermo", "BYBOX", "-1", "400", "km") == err(
        "ERR height or width cannot be negative")
    assert raw.raw("GEOSEARCH", s, "FROMMEMBER", "Palermo", "BYBOX", "a", "400", "km") == err(
        "ERR need numeric width")
    assert raw.raw("GEOSEARCH", s, "FROMMEMBER", "Palermo", "BYBOX", "1", "a", "km") == err(
        "ERR need numeric height")
    assert raw.raw("GEOSEARCH", s, "FROMMEMBER", "nope", "BYRADIUS", "1", "km") == NO_MEMBER
    assert raw.raw("GEOSEARCH", s, "FROMLONLAT", "200", "37", "BYRADIUS", "1", "km") == err(
        "ERR invalid longitude,latitude pair 200.000000,37.000000")
    assert raw.raw("GEOSEARCHSTORE", "d", s, "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km",
                   "WITHDIST") == err(
        "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
    assert raw.raw("GEOSEARCH", s, "FROMMEMBER", "Palermo") == arity_err("geosearch")
    # A missing key still parses every option, then answers empty.
    assert raw.raw("GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "km") == EMPTY
    assert raw.raw("GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "km", "ANY") == err(
        "ERR the ANY argument requires COUNT argument")


# ---------------------------------------------------------------- STORE

@pytest.mark.parametrize("dst", ["gs:dst1", "gs:dst2", "gs:dst3", "{Sicily}dst"])
def test_store_and_storedist(raw, sicily, dst):
    raw.value("SET", dst, "old")
    assert raw.raw("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", dst) == integer(2)
    assert raw.raw("ZRANGE", dst, "0", "-1", "WITHSCORES") == flat(
        "Palermo", "3479099956230698", "Catania", "3479447370796909")
    assert raw.raw("GEORADIUS", "Sicily", "15", "37", "200", "km", "STOREDIST", dst,
                   "COUNT", "1") == integer(1)
    assert raw.raw("ZRANGE", dst, "0", "-1", "WITHSCORES") == flat("Catania", "56.441257870158204")
    assert raw.raw("GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "km", "STOREDIST",
                   dst) == integer(2)
    assert raw.raw("ZRANGE", dst, "0", "-1", "WITHSCORES") == flat(
        "Palermo", 0, "Catania", "166.27415156960032")
    assert raw.raw("GEOSEARCHSTORE", dst, "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400",
                   "400", "km", "DESC", "COUNT", "1") == integer(1)
    assert raw.raw("ZRANGE", dst, "0", "-1", "WITHSCORES") == flat("Palermo", "3479099956230698")
    assert raw.raw("GEOSEARCHSTORE", dst, "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200",
                   "km", "STOREDIST") == integer(2)
    assert raw.raw("ZRANGE", dst, "0", "-1", "WITHSCORES") == flat(
        "Catania", "56.441257870158204", "Palermo", "190.44242984775784")
    # Nothing found, or no source: the destination goes.
    assert raw.raw("GEORADIUS", "Sicily", "15", "37", "1", "m", "STORE", dst) == integer(0)
    assert raw.raw("EXISTS", dst) == integer(0)
    raw.value("SET", dst, "old")
    assert raw.raw("GEOSEARCHSTORE", dst, "nokey", "FROMMEMBER", "x", "BYRADIUS", "1",
                   "km") == integer(0)
    assert raw.raw("EXISTS", dst) == integer(0)
    raw.value("SET", dst, "old")
    assert raw.raw("GEORADIUSBYMEMBER", "nokey", "x", "1", "km", "STORE", dst) == integer(0)
    assert raw.raw("EXISTS", dst) == integer(0)
    # Errors leave it alone.
    raw.value("SET", dst, "old")
    assert raw.raw("GEORADIUS", "Sicily", "15", "37", "1", "foo", "STORE", dst) == BAD_UNIT
    assert raw.raw("GEORADIUSBYMEMBER", "Sicily", "nope", "1", "km", "STORE", dst) == NO_MEMBER
    raw.value("SET", "{Sicily}str", "v")
    assert raw.raw("GEOSEARCHSTORE", dst, "{Sicily}str", "FROMLONLAT", "15", "37", "BYRADIUS",
                   "200", "km") == WRONGTYPE
    assert raw.raw("GET", dst) == bulk("old")


def test_store_last_store_option_wins(raw, sicily):
    a, c = spread_keys(2, "gsl:")
    assert raw.raw("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", a, "STOREDIST",
                   c) == integer(2)
    assert raw.raw("EXISTS", a) == integer(0)
    assert raw.raw("ZSCORE", c, "Catania") == bulk("56.441257870158204")


def test_store_encoding(raw):
    pts = []
    for i in range(130):
        pts += ["%.5f" % (10 + i * 0.001), "45", "m%d" % i]
    raw.value("GEOADD", "{g}src", *pts)
    assert raw.raw("GEOSEARCHSTORE", "{g}d", "{g}src", "FROMLONLAT", "10", "45", "BYRADIUS",
                   "1000", "km", "COUNT", "128") == integer(128)
    assert raw.value("OBJECT", "ENCODING", "{g}d") == b"listpack"
    assert raw.raw("GEOSEARCHSTORE", "{g}d", "{g}src", "FROMLONLAT", "10", "45", "BYRADIUS",
                   "1000", "km") == integer(130)
    assert raw.value("OBJECT", "ENCODING", "{g}d") == b"skiplist"
    assert raw.value("OBJECT", "ENCODING", "{g}src") == b"skiplist"


# ---------------------------------------------------------------- at scale

def haversine(lon1, lat1, lon2, lat2):
    r = 6372797.560856
    la1, la2 = math.radians(lat1), math.radians(lat2)
    u = math.sin((la2 - la1) / 2)
    v = math.sin(math.radians(lon2 - lon1) / 2)
    return 2 * r * math.asin(math.sqrt(u * u + math.cos(la1) * math.cos(la2) * v * v))


def test_radius_search_finds_exactly_the_points_inside(raw):
    rnd = random.Random(3)
    pts = {}
    args = []
    for i in range(800):
        lon, lat = rnd.uniform(-20, 20), rnd.uniform(30, 60)
        args += ["%.6f" % lon, "%.6f" % lat, "q%d" % i]
    raw.value("GEOADD", "world", *args)
    names = args[2::3]
    for m, (x, y) in zip(names, raw.value("GEOPOS", "world", *names)):
        pts[m.encode()] = (float(x), float(y))
    for _ in range(60):
        lon, lat, rad = rnd.uniform(-15, 15), rnd.uniform(35, 55), rnd.uniform(10, 1500)
        got = raw.value("GEORADIUS", "world", "%.4f" % lon, "%.4f" % lat, "%.3f" % rad, "km",
                        "WITHDIST", "ASC")
        dists = [float(d) for _, d in got]
        assert dists == sorted(dists)
        found = {m for m, _ in got}
        clat, clon, limit = float("%.4f" % lat), float("%.4f" % lon), float("%.3f" % rad) * 1000
        for m, (x, y) in pts.items():
            d = haversine(clon, clat, x, y)
            if abs(d - limit) > 1:  # away from the edge, where rounding could decide
                assert (m in found) == (d < limit), m


def test_cross_shard_store_matches_local_search(raw):
    rnd = random.Random(4)
    args = []
    for i in range(300):
        args += ["%.6f" % rnd.uniform(5, 15), "%.6f" % rnd.uniform(40, 50), "r%d" % i]
    raw.value("GEOADD", "{w}src", *args)
    for dst in spread_keys(6, "gx:") + ["{w}dst"]:
        want = raw.value("GEOSEARCH", "{w}src", "FROMLONLAT", "10", "45", "BYBOX", "500", "300",
                         "km", "WITHDIST")
        n = raw.value("GEOSEARCHSTORE", dst, "{w}src", "FROMLONLAT", "10", "45", "BYBOX", "500",
                      "300", "km", "STOREDIST")
        assert n == len(want) > 10
        got = raw.value("ZRANGE", dst, "0", "-1", "WITHSCORES")
        assert {m: "%.4f" % float(s) for m, s in zip(got[::2], got[1::2])} == \
            {m: d.decode() for m, d in want}
