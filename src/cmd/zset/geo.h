/* Shared by the geo command files (geo.c: GEOADD and the point readers;
 * geo_search.c: the searches): argument parsers with Redis's error texts
 * and reply formats for coordinates and distances. */
#ifndef KV_CMD_GEO_H
#define KV_CMD_GEO_H

#include "cmd/lib/geohash.h"
#include "cmd/zset/zset.h"

/* "lon lat" at argv[0..1] into xy; 0, or -1 after replying the error. */
int kv_geo_parse_lonlat(kv_ctx *ctx, const kv_str *argv, double xy[2]);
/* Metres per unit (m, km, ft, mi), or -1 after replying the error. */
double kv_geo_parse_unit(kv_ctx *ctx, const kv_str *u);
/* "radius unit" / "width height unit"; 0, or -1 after replying. */
int kv_geo_parse_radius(kv_ctx *ctx, const kv_str *argv, double *conversion, double *radius);
int kv_geo_parse_box(kv_ctx *ctx, const kv_str *argv, double *conversion, double *w, double *h);

/* A coordinate as GEOPOS replies it (bulk, or a RESP3 double). */
void kv_geo_reply_coord(kv_ctx *ctx, double v);
/* A distance: always a bulk string, 4 decimals. */
void kv_geo_reply_distance(kv_ctx *ctx, double d);


#endif
