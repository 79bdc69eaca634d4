/* Redis's geohash arithmetic, rewritten: 52-bit interleaved geohashes
 * (26 steps of longitude and latitude over the Web Mercator latitude
 * limits), decoding to cell centres, neighbour cells, the haversine
 * distance with Redis's earth radius, and the set of up to 9 cells a radius
 * or box search scans. Every formula keeps Redis's operation order, so
 * coordinates and distances come out bit-identical. */
#ifndef KV_CMD_GEOHASH_H
#define KV_CMD_GEOHASH_H

#include <stddef.h>
#include <stdint.h>

#define KV_GEO_STEP_MAX 26
#define KV_GEO_LAT_MIN (-85.05112878)
#define KV_GEO_LAT_MAX 85.05112878
#define KV_GEO_LONG_MIN (-180.0)
#define KV_GEO_LONG_MAX 180.0

typedef struct kv_geo_bits {
    uint64_t bits;
    int step;
} kv_geo_bits;

typedef struct kv_geo_range {
    double min, max;
} kv_geo_range;

typedef struct kv_geo_area {
    kv_geo_range lon, lat;
} kv_geo_area;

/* A search shape: a circle of radius around xy, or a width x height box
 * centred on it; sizes in the unit whose metres-per-unit is conversion. */
#define KV_GEO_CIRCLE 1
#define KV_GEO_BOX 2
typedef struct kv_geo_shape {
    int type;
    double xy[2]; /* longitude, latitude */
    double conversion;
    double radius, width, height;
} kv_geo_shape;

/* Encode (lon, lat) at `step` bits per coordinate over the given ranges;
 * 0 if out of range. */
int kv_geo_encode(const kv_geo_range *lonr, const kv_geo_range *latr, double lon, double lat,
                  int step, kv_geo_bits *out);
/* Over Redis's ranges (longitude +-180, latitude +-85.05112878). */
int kv_geo_encode_wgs84(double lon, double lat, int step, kv_geo_bits *out);
/* The cell a hash stands for. */
void kv_geo_decode(const kv_geo_range *lonr, const kv_geo_range *latr, kv_geo_bits h,
                   kv_geo_area *area);
/* A zset score (a 52-bit hash) to the centre of its cell, clamped to the
 * valid ranges: xy[0] longitude, xy[1] latitude. */
void kv_geo_decode_score(double score, double xy[2]);
/* A hash moved to the top of 52 bits (a zset score). */
uint64_t kv_geo_align52(kv_geo_bits h);
/* The 11-character base32 string GEOHASH replies for a score. */
void kv_geo_hash_string(double score, char out[12]);

/* Great-circle distance in metres (Redis's haversine). */
double kv_geo_distance(double lon1, double lat1, double lon2, double lat2);

/* The cells a search scans, in Redis's order (centre, N, S, E, W, NE, NW,
 * SE, SW); a skipped cell has bits == 0 and step == 0. */
void kv_geo_search_cells(const kv_geo_shape *s, kv_geo_bits cells[9]);
/* Whether the point stored as `score` is inside the shape: 1 with its
 * coordinates in xy and its distance (metres) from the centre in *dist. */
int kv_geo_within(const kv_geo_shape *s, double score, double xy[2], double *dist);

/* Redis's "human" long double text (GEOPOS, WITHCOORD): "%.17Lf" with
 * trailing zeros (and a trailing dot) removed. Returns the length. */
size_t kv_geo_fmt_coord(char *buf, size_t cap, double v);

#endif
