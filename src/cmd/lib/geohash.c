/* Geohash arithmetic for the GEO commands (see geohash.h). Written from the
 * algorithm's description, keeping Redis's formulas and their order of
 * floating-point operations so results match it bit for bit; no global
 * state. */
#include "cmd/lib/geohash.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define GEO_PI 3.14159265358979323846
#define EARTH_RADIUS_M 6372797.560856
#define MERCATOR_MAX 20037726.37

static const double deg_to_rad = GEO_PI / 180.0;

static double deg_rad(double a)
{
    return a * deg_to_rad;
}

static double rad_deg(double a)
{
    return a / deg_to_rad;
}

/* Bit i of v goes to bit 2i. */
static uint64_t spread(uint32_t v)
{
    uint64_t x = v;
    x = (x | (x << 16)) & 0x0000FFFF0000FFFFULL;
    x = (x | (x << 8)) & 0x00FF00FF00FF00FFULL;
    x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FULL;
    x = (x | (x << 2)) & 0x3333333333333333ULL;
    x = (x | (x << 1)) & 0x5555555555555555ULL;
    return x;
}

/* Bit 2i of x goes to bit i. */
static uint32_t squash(uint64_t x)
{
    x &= 0x5555555555555555ULL;
    x = (x | (x >> 1)) & 0x3333333333333333ULL;
    x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0FULL;
    x = (x | (x >> 4)) & 0x00FF00FF00FF00FFULL;
    x = (x | (x >> 8)) & 0x0000FFFF0000FFFFULL;
    x = (x | (x >> 16)) & 0x00000000FFFFFFFFULL;
    return (uint32_t)x;
}

/* Latitude in the even bits, longitude in the odd ones. */
static uint64_t interleave(uint32_t lat, uint32_t lon)
{
    return spread(lat) | (spread(lon) << 1);
}

static const kv_geo_range lon_wgs84 = {KV_GEO_LONG_MIN, KV_GEO_LONG_MAX};
static const kv_geo_range lat_wgs84 = {KV_GEO_LAT_MIN, KV_GEO_LAT_MAX};

int kv_geo_encode(const kv_geo_range *lonr, const kv_geo_range *latr, double lon, double lat,
                  int step, kv_geo_bits *out)
{
    double lat_off, lon_off;
    if (step <= 0 || step > 32 || latr->max - latr->min == 0 || lonr->max - lonr->min == 0)
        return 0;
    if (lon > KV_GEO_LONG_MAX || lon < KV_GEO_LONG_MIN || lat > KV_GEO_LAT_MAX ||
        lat < KV_GEO_LAT_MIN)
        return 0;
    if (lat < latr->min || lat > latr->max || lon < lonr->min || lon > lonr->max)
        return 0;
    lat_off = (lat - latr->min) / (latr->max - latr->min);
    lon_off = (lon - lonr->min) / (lonr->max - lonr->min);
    lat_off *= (double)(1ULL << step);
    lon_off *= (double)(1ULL << step);
    out->bits = interleave((uint32_t)lat_off, (uint32_t)lon_off);
    out->step = step;
    return 1;
}

int kv_geo_encode_wgs84(double lon, double lat, int step, kv_geo_bits *out)
{
    return kv_geo_encode(&lon_wgs84, &lat_wgs84, lon, lat, step, out);
}

void kv_geo_decode(const kv_geo_range *lonr, const kv_geo_range *latr, kv_geo_bits h,
                   kv_geo_area *area)
{
    uint32_t ilat = squash(h.bits), ilon = squash(h.bits >> 1);
    double lat_scale = latr->max - latr->min, lon_scale = lonr->max - lonr->min;
    double cells = (double)(1ULL << h.step);
    area->lat.min = latr->min + (ilat * 1.0 / cells) * lat_scale;
    area->lat.max = latr->min + ((ilat + 1) * 1.0 / cells) * lat_scale;
    area->lon.min = lonr->min + (ilon * 1.0 / cells) * lon_scale;
    area->lon.max = lonr->min + ((ilon + 1) * 1.0 / cells) * lon_scale;
}

static void area_centre(const kv_geo_area *a, double xy[2])
{
    xy[0] = (a->lon.min + a->lon.max) / 2;
    if (xy[0] > KV_GEO_LONG_MAX)
        xy[0] = KV_GEO_LONG_MAX;
    if (xy[0] < KV_GEO_LONG_MIN)
        xy[0] = KV_GEO_LONG_MIN;
    xy[1] = (a->lat.min + a->lat.max) / 2;
    if (xy[1] > KV_GEO_LAT_MAX)
        xy[1] = KV_GEO_LAT_MAX;
    if (xy[1] < KV_GEO_LAT_MIN)
        xy[1] = KV_GEO_LAT_MIN;
}

void kv_geo_decode_score(double score, double xy[2])
{
    kv_geo_bits h;
    kv_geo_area a;
    h.bits = (uint64_t)score;
    h.step = KV_GEO_STEP_MAX;
    kv_geo_decode(&lon_wgs84, &lat_wgs84, h, &a);
    area_centre(&a, xy);
}

uint64_t kv_geo_align52(kv_geo_bits h)
{
    return h.bits << (52 - h.step * 2);
}

void kv_geo_hash_string(double score, char out[12])
{
    static const char alphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";
    /* The standard geohash spans latitude +-90, not Mercator's limits:
     * decode, then encode again over the standard ranges. */
    static const kv_geo_range lon_std = {-180, 180}, lat_std = {-90, 90};
    double xy[2];
    kv_geo_bits h = {0, 0};
    int i;
    kv_geo_decode_score(score, xy);
    kv_geo_encode(&lon_std, &lat_std, xy[0], xy[1], 26, &h);
    for (i = 0; i < 11; i++) {
        /* 52 bits make ten characters; the eleventh is always '0'. */
        unsigned idx = i == 10 ? 0 : (unsigned)((h.bits >> (52 - (i + 1) * 5)) & 0x1f);
        out[i] = alphabet[idx];
    }
    out[11] = '\0';
}

/* ------------------------------------------------------------- distance */

static double lat_distance(double lat1, double lat2)
{
    return EARTH_RADIUS_M * fabs(deg_rad(lat2) - deg_rad(lat1));
}

double kv_geo_distance(double lon1, double lat1, double lon2, double lat2)
{
    double lon1r = deg_rad(lon1), lon2r = deg_rad(lon2), lat1r, lat2r, u, v, a;
    v = sin((lon2r - lon1r) / 2);
    if (v == 0.0) /* same meridian: only the latitudes matter */
        return lat_distance(lat1, lat2);
    lat1r = deg_rad(lat1);
    lat2r = deg_rad(lat2);
    u = sin((lat2r - lat1r) / 2);
    a = u * u + cos(lat1r) * cos(lat2r) * v * v;
    return 2.0 * EARTH_RADIUS_M * asin(sqrt(a));
}

int kv_geo_within(const kv_geo_shape *s, double score, double xy[2], double *dist)
{
    kv_geo_decode_score(score, xy);
    if (s->type == KV_GEO_CIRCLE) {
        *dist = kv_geo_distance(s->xy[0], s->xy[1], xy[0], xy[1]);
        return *dist <= s->radius * s->conversion;
    }
    /* A box: the latitude test is the cheaper one, so it goes first. */
    if (lat_distance(xy[1], s->xy[1]) > s->height * s->conversion / 2)
        return 0;
    if (kv_geo_distance(xy[0], xy[1], s->xy[0], xy[1]) > s->width * s->conversion / 2)
        return 0;
    *dist = kv_geo_distance(s->xy[0], s->xy[1], xy[0], xy[1]);
    return 1;
}

/* ------------------------------------------------------------- searches */

/* A cell moved by dx, dy cells (wrapping around, as Redis's bit arithmetic
 * does). */
static kv_geo_bits move(kv_geo_bits h, int dx, int dy)
{
    uint32_t mask = h.step >= 32 ? 0xFFFFFFFFu : (uint32_t)((1ULL << h.step) - 1);
    uint32_t lat = (uint32_t)(squash(h.bits) + (uint32_t)dy) & mask;
    uint32_t lon = (uint32_t)(squash(h.bits >> 1) + (uint32_t)dx) & mask;
    h.bits = interleave(lat, lon);
    return h;
}

/* Redis's coarse step for a radius: the cell must be about as large as
 * the search, and larger near the poles. */
static int steps_for_radius(double range, double lat)
{
    int step = 1;
    if (range == 0)
        return 26;
    while (range < MERCATOR_MAX) {
        range *= 2;
        step++;
    }
    step -= 2;
    if (lat > 66 || lat < -66) {
        step--;
        if (lat > 80 || lat < -80)
            step--;
    }
    if (step < 1)
        step = 1;
    if (step > 26)
        step = 26;
    return step;
}

/* min lon, min lat, max lon, max lat around the shape. */
static void bounding_box(const kv_geo_shape *s, double b[4])
{
    double lon = s->xy[0], lat = s->xy[1];
    double height = s->conversion * (s->type == KV_GEO_CIRCLE ? s->radius : s->height / 2);
    double width = s->conversion * (s->type == KV_GEO_CIRCLE ? s->radius : s->width / 2);
    double lat_delta = rad_deg(height / EARTH_RADIUS_M);
    double lon_top = rad_deg(width / EARTH_RADIUS_M / cos(deg_rad(lat + lat_delta)));
    double lon_bottom = rad_deg(width / EARTH_RADIUS_M / cos(deg_rad(lat - lat_delta)));
    /* The widest parallel is the one nearer the equator. */
    int south = lat < 0;
    b[0] = south ? lon - lon_bottom : lon - lon_top;
    b[2] = south ? lon + lon_bottom : lon + lon_top;
    b[1] = lat - lat_delta;
    b[3] = lat + lat_delta;
}

enum { C_CENTRE, C_N, C_S, C_E, C_W, C_NE, C_NW, C_SE, C_SW };

static void cells_at(double lon, double lat, int step, kv_geo_bits c[9], kv_geo_area *area)
{
    kv_geo_encode_wgs84(lon, lat, step, &c[C_CENTRE]);
    c[C_N] = move(c[C_CENTRE], 0, 1);
    c[C_S] = move(c[C_CENTRE], 0, -1);
    c[C_E] = move(c[C_CENTRE], 1, 0);
    c[C_W] = move(c[C_CENTRE], -1, 0);
    c[C_NE] = move(c[C_CENTRE], 1, 1);
    c[C_NW] = move(c[C_CENTRE], -1, 1);
    c[C_SE] = move(c[C_CENTRE], 1, -1);
    c[C_SW] = move(c[C_CENTRE], -1, -1);
    kv_geo_decode(&lon_wgs84, &lat_wgs84, c[C_CENTRE], area);
}

static void drop(kv_geo_bits c[9], int a, int b, int d)
{
    c[a].bits = c[b].bits = c[d].bits = 0;
    c[a].step = c[b].step = c[d].step = 0;
}

void kv_geo_search_cells(const kv_geo_shape *s, kv_geo_bits c[9])
{
    double b[4], radius;
    kv_geo_area area, n, so, e, w;
    int steps, smaller = 0;
    bounding_box(s, b);
    radius = s->type == KV_GEO_CIRCLE
                 ? s->radius
                 : sqrt((s->width / 2) * (s->width / 2) + (s->height / 2) * (s->height / 2));
    radius *= s->conversion;
    steps = steps_for_radius(radius, s->xy[1]);
    cells_at(s->xy[0], s->xy[1], steps, c, &area);
    /* Near a cell's edge the estimated step can leave part of the shape
     * outside the 3x3 cells: then use cells twice as large. */
    kv_geo_decode(&lon_wgs84, &lat_wgs84, c[C_N], &n);
    kv_geo_decode(&lon_wgs84, &lat_wgs84, c[C_S], &so);
    kv_geo_decode(&lon_wgs84, &lat_wgs84, c[C_E], &e);
    kv_geo_decode(&lon_wgs84, &lat_wgs84, c[C_W], &w);
    if (n.lat.max < b[3] || so.lat.min > b[1] || e.lon.max < b[2] || w.lon.min > b[0])
        smaller = 1;
    if (steps > 1 && smaller) {
        steps--;
        cells_at(s->xy[0], s->xy[1], steps, c, &area);
    }
    /* Drop the neighbours the bounding box does not reach. */
    if (steps >= 2) {
        if (area.lat.min < b[1])
            drop(c, C_S, C_SW, C_SE);
        if (area.lat.max > b[3])
            drop(c, C_N, C_NE, C_NW);
        if (area.lon.min < b[0])
            drop(c, C_W, C_SW, C_NW);
        if (area.lon.max > b[2])
            drop(c, C_E, C_SE, C_NE);
    }
}

/* ------------------------------------------------------------- formats */

size_t kv_geo_fmt_coord(char *buf, size_t cap, double v)
{
    int n = snprintf(buf, cap, "%.17f", v);
    size_t len;
    if (n < 0 || (size_t)n >= cap)
        return 0;
    len = (size_t)n;
    if (memchr(buf, '.', len)) {
        while (len > 0 && buf[len - 1] == '0')
            len--;
        if (len > 0 && buf[len - 1] == '.')
            len--;
    }
    if (len == 2 && buf[0] == '-' && buf[1] == '0') {
        buf[0] = '0';
        len = 1;
    }
    buf[len] = '\0';
    return len;
}
