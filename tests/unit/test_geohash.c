/* Unit tests for the geohash arithmetic behind the GEO commands: encoding
 * to Redis's 52-bit scores, decoding to cell centres, GEOHASH strings,
 * distances, neighbour cells and the cells a search scans, and the text
 * coordinates print as. Expected values come from Redis 7.0.15. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "cmd/lib/geohash.h"
#include "test.h"

static void test_encode(void)
{
    kv_geo_bits h;
    CHECK(kv_geo_encode_wgs84(13.361389, 38.115556, KV_GEO_STEP_MAX, &h));
    CHECK(kv_geo_align52(h) == 3479099956230698ULL);
    CHECK(kv_geo_encode_wgs84(15.087269, 37.502669, KV_GEO_STEP_MAX, &h));
    CHECK(kv_geo_align52(h) == 3479447370796909ULL);
    /* The top corner overflows the 26-bit cell index, exactly as Redis. */
    CHECK(kv_geo_encode_wgs84(180, 85.05112878, KV_GEO_STEP_MAX, &h));
    CHECK(kv_geo_align52(h) == 13510798882111488ULL);
    CHECK(!kv_geo_encode_wgs84(180.0001, 0, KV_GEO_STEP_MAX, &h));
    CHECK(!kv_geo_encode_wgs84(0, 85.06, KV_GEO_STEP_MAX, &h));
    CHECK(!kv_geo_encode_wgs84(0, 0, 0, &h));
    CHECK(kv_geo_encode_wgs84(0, 0, 1, &h) && h.bits == 3 && h.step == 1);
}

static void test_decode(void)
{
    double xy[2];
    char buf[64];
    kv_geo_decode_score(3479099956230698.0, xy);
    CHECK_MEM(buf, kv_geo_fmt_coord(buf, sizeof buf, xy[0]), "13.36138933897018433");
    CHECK_MEM(buf, kv_geo_fmt_coord(buf, sizeof buf, xy[1]), "38.11555639549629859");
    kv_geo_decode_score(13510798882111488.0, xy);
    CHECK_MEM(buf, kv_geo_fmt_coord(buf, sizeof buf, xy[0]), "180");
    CHECK_MEM(buf, kv_geo_fmt_coord(buf, sizeof buf, xy[1]), "85.0511287799999991");
    kv_geo_decode_score(0, xy);
    CHECK_MEM(buf, kv_geo_fmt_coord(buf, sizeof buf, xy[0]), "-179.99999731779098511");
}

static void test_fmt_coord(void)
{
    char buf[64];
    CHECK_MEM(buf, kv_geo_fmt_coord(buf, sizeof buf, 38.0000009925631943), "38.0000009925631943");
    CHECK_MEM(buf, kv_geo_fmt_coord(buf, sizeof buf, 1.5), "1.5");
    CHECK_MEM(buf, kv_geo_fmt_coord(buf, sizeof buf, 2.0), "2");
    CHECK_MEM(buf, kv_geo_fmt_coord(buf, sizeof buf, -0.0), "0");
    CHECK_MEM(buf, kv_geo_fmt_coord(buf, sizeof buf, -1e-30), "0");
    CHECK_MEM(buf, kv_geo_fmt_coord(buf, sizeof buf, 0.000002682209014892578),
              "0.00000268220901489");
}

static void test_hash_string(void)
{
    char s[12];
    kv_geo_hash_string(3479099956230698.0, s);
    CHECK(strcmp(s, "sqc8b49rny0") == 0);
    kv_geo_hash_string(3479447370796909.0, s);
    CHECK(strcmp(s, "sqdtr74hyu0") == 0);
    kv_geo_hash_string(13510798882111488.0, s);
    CHECK(strcmp(s, "bp05b5048p0") == 0);
}

static void test_distance(void)
{
    double a[2], b[2], d;
    char buf[64];
    kv_geo_decode_score(3479099956230698.0, a);
    kv_geo_decode_score(3479447370796909.0, b);
    d = kv_geo_distance(a[0], a[1], b[0], b[1]);
    snprintf(buf, sizeof buf, "%.4f", d);
    CHECK(strcmp(buf, "166274.1516") == 0);
    CHECK(kv_geo_distance(10, 20, 10, 20) == 0);
    /* Same meridian: the latitude difference alone. */
    d = kv_geo_distance(10, 0, 10, 1);
    CHECK(fabs(d - 6372797.560856 * (3.14159265358979323846 / 180.0)) < 1e-6);
    CHECK(fabs(kv_geo_distance(0, 0, 180, 0) - 6372797.560856 * 3.14159265358979323846) < 1e-3);
}

static int cell_count(const kv_geo_bits c[9])
{
    int i, n = 0;
    for (i = 0; i < 9; i++)
        n += !(c[i].bits == 0 && c[i].step == 0);
    return n;
}

static void test_search_cells(void)
{
    kv_geo_shape s;
    kv_geo_bits c[9];
    int i;
    memset(&s, 0, sizeof s);
    s.type = KV_GEO_CIRCLE;
    s.xy[0] = 15;
    s.xy[1] = 37;
    s.conversion = 1000;
    s.radius = 200;
    kv_geo_search_cells(&s, c);
    CHECK(c[0].step >= 1 && c[0].step <= 26);
    for (i = 1; i < 9; i++)
        CHECK(c[i].step == 0 || c[i].step == c[0].step);
    CHECK(cell_count(c) >= 1);
    /* A zero radius searches the finest cells. */
    s.radius = 0;
    kv_geo_search_cells(&s, c);
    CHECK(c[0].step == 26);
    /* A radius as large as the planet uses one step: neighbours repeat. */
    s.radius = 20000;
    kv_geo_search_cells(&s, c);
    CHECK(c[0].step == 1);
    CHECK(c[1].bits == c[2].bits); /* north == south when there are 2 rows */
    CHECK(c[3].bits == c[4].bits); /* east == west */
}

static void test_within(void)
{
    kv_geo_shape s;
    double xy[2], dist = -1;
    memset(&s, 0, sizeof s);
    s.type = KV_GEO_CIRCLE;
    s.xy[0] = 15;
    s.xy[1] = 37;
    s.conversion = 1000;
    s.radius = 100;
    CHECK(kv_geo_within(&s, 3479447370796909.0, xy, &dist)); /* Catania, 56 km */
    CHECK(dist > 56441 && dist < 56442);
    CHECK(!kv_geo_within(&s, 3479099956230698.0, xy, &dist)); /* Palermo, 190 km */
    s.type = KV_GEO_BOX;
    s.width = 400;
    s.height = 120;
    CHECK(kv_geo_within(&s, 3479447370796909.0, xy, &dist));
    CHECK(!kv_geo_within(&s, 3479099956230698.0, xy, &dist)); /* 124 km north: outside */
    s.height = 260;
    CHECK(kv_geo_within(&s, 3479099956230698.0, xy, &dist));
    CHECK(dist > 190442 && dist < 190443);
}

TEST_MAIN("geohash", TEST(test_encode), TEST(test_decode), TEST(test_fmt_coord),
          TEST(test_hash_string), TEST(test_distance), TEST(test_search_cells),
          TEST(test_within))
