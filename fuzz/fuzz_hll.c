/* libFuzzer harness for HyperLogLog values: the input is a client's string
 * (usually an HLL header around fuzzed sparse opcodes) followed by register
 * edits. Every reader must reject corrupt bodies without reading past them,
 * and on a valid sparse value every edit must agree with the same edit on
 * its dense form. The value also goes through SET/PFADD/PFCOUNT/PFMERGE. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "kevy/resp.h"
#include "kevy/rt.h"
#include "store/hll.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(c)                                                         \
    do {                                                                       \
        if (!(c)) {                                                            \
            fprintf(stderr, "fuzz_hll: %s:%d: %s\n", __FILE__, __LINE__, #c);  \
            abort();                                                           \
        }                                                                      \
    } while (0)

#define MAX_VALUE 65536
#define MAX_EDITS 64

/* Input: flags(1) nedits(1) edits(3 each: index lo, index hi, count) value.
 * flags bit 0: the value is raw (no header added); bits 1-2: encoding byte
 * for the added header; bit 3: cache valid; bit 4: small sparse limit. */
typedef struct edit {
    unsigned index, count;
} edit;

/* 1 if a sparse body ends in an XZERO cut after its first byte. It counts
 * as valid (the missing byte reads as 0, as in Redis), but an edit inside
 * it shifts the length by Redis's nominal two bytes, which leaves the value
 * short, exactly as the bytes Redis shows: sparse and dense may differ. */
static int ends_cut(const unsigned char *v, size_t n)
{
    size_t i = KV_HLL_HDR_SIZE;
    if (kv_hll_encoding(v) != KV_HLL_SPARSE)
        return 0;
    while (i < n)
        i += (v[i] & 0xc0) == 0x40 ? 2 : 1;
    return i > n;
}

static void registers_of(const kv_hll *h, uint8_t *regs)
{
    memset(regs, 0, KV_HLL_REGISTERS);
    FUZZ_ASSERT(kv_hll_merge(regs, h->p, h->len) == 0);
}

static void check_value(const unsigned char *v, size_t n, const edit *ed, int ned, size_t limit)
{
    static const char *const eles[] = {"a", "b", "foo", "", "0123456789abcdef"};
    uint8_t *before = malloc(KV_HLL_REGISTERS), *after = malloc(KV_HLL_REGISTERS);
    uint8_t *max = calloc(KV_HLL_REGISTERS, 1);
    kv_hll s, d;
    uint64_t card;
    int valid, i;
    FUZZ_ASSERT(before && after && max);

    valid = kv_hll_count(v, n, &card) == 0;
    FUZZ_ASSERT(valid == (kv_hll_merge(max, v, n) == 0));
    if (kv_hll_encoding(v) == KV_HLL_DENSE)
        FUZZ_ASSERT(valid);
    kv_hll_from(&s, v, n);
    kv_hll_from(&d, v, n);
    FUZZ_ASSERT(valid == (kv_hll_to_dense(&d) == 0));
    if (!valid || ends_cut(v, n)) {
        /* Edits on a corrupt or cut body may work or fail, never crash. */
        for (i = 0; i < ned; i++)
            if (kv_hll_set(&s, ed[i].index, ed[i].count, limit) < 0)
                break;
        for (i = 0; i < 5; i++)
            kv_hll_add(&s, eles[i], strlen(eles[i]), limit);
        kv_hll_count(s.p, s.len, &card);
        kv_hll_free(&s);
        kv_hll_free(&d);
        free(before);
        free(after);
        free(max);
        return;
    }
    /* A valid value: the sparse edits and the dense edits must agree, edit
     * by edit on whether a register changed, and on every register at the end. */
    for (i = 0; i < ned; i++) {
        int rs = kv_hll_set(&s, ed[i].index, ed[i].count, limit);
        int rd = kv_hll_set(&d, ed[i].index, ed[i].count, limit);
        FUZZ_ASSERT(rs >= 0 && rs == rd);
        FUZZ_ASSERT(kv_hll_valid(s.p, s.len));
        FUZZ_ASSERT(s.p[4] == KV_HLL_DENSE || s.len <= (limit > n ? limit : n) + 3);
    }
    for (i = 0; i < 5; i++) {
        FUZZ_ASSERT(kv_hll_add(&s, eles[i], strlen(eles[i]), limit) >= 0);
        FUZZ_ASSERT(kv_hll_add(&d, eles[i], strlen(eles[i]), limit) >= 0);
    }
    registers_of(&s, after);
    registers_of(&d, before);
    FUZZ_ASSERT(memcmp(before, after, KV_HLL_REGISTERS) == 0);
    FUZZ_ASSERT(kv_hll_count(s.p, s.len, &card) == 0);
    FUZZ_ASSERT(card == kv_hll_count_raw(after));
    kv_hll_free(&s);
    kv_hll_free(&d);
    free(before);
    free(after);
    free(max);
}

/* The same value through the command layer. */
static void run_commands(const unsigned char *v, size_t n)
{
    static const uint8_t seed[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    kv_server srv;
    kv_cmdset cs;
    kv_local *l;
    kv_buf out;
    kv_str set[3] = {{"set", 3}, {"k", 1}, {NULL, 0}};
    kv_str pfadd[4] = {{"pfadd", 5}, {"k", 1}, {"a", 1}, {"foo", 3}};
    kv_str count1[2] = {{"pfcount", 7}, {"k", 1}};
    kv_str count2[3] = {{"pfcount", 7}, {"k", 1}, {"j", 1}};
    kv_str merge[3] = {{"pfmerge", 7}, {"j", 1}, {"k", 1}};

    memset(&srv, 0, sizeof srv);
    srv.databases = 16;
    srv.hz = 10;
    srv.nshards = 1;
    srv.maxclients = 10000;
    srv.proto_max_bulk_len = 512LL * 1024 * 1024;
    srv.client_query_buffer_limit = 1024LL * 1024 * 1024;
    memcpy(srv.seed, seed, sizeof seed);
    memset(srv.run_id, 'f', KV_RUN_ID_LEN);
    kv_commands_init(&cs, &srv);
    l = kv_local_new(&cs);
    FUZZ_ASSERT(l != NULL);
    kv_buf_init(&out);
    set[2].p = (const char *)v;
    set[2].n = n;
    kv_local_exec(l, 3, set, &out);
    kv_local_exec(l, 2, count1, &out);
    kv_local_exec(l, 4, pfadd, &out);
    kv_local_exec(l, 3, count2, &out);
    kv_local_exec(l, 3, merge, &out);
    kv_local_exec(l, 2, count1, &out);
    kv_local_exec(l, 3, set, &out);
    kv_local_exec(l, 3, merge, &out);
    FUZZ_ASSERT(out.len > 0);
    kv_buf_free(&out);
    kv_local_free(l);
    kv_commands_fini(&srv); /* the save state kv_commands_init made */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    edit ed[MAX_EDITS];
    unsigned char *v;
    size_t n, body, i;
    int ned, flags;
    size_t limit;

    if (size < 2)
        return 0;
    flags = data[0];
    ned = data[1] % (MAX_EDITS + 1);
    data += 2;
    size -= 2;
    if (size < (size_t)ned * 3)
        ned = (int)(size / 3);
    for (i = 0; i < (size_t)ned; i++) {
        ed[i].index = (data[3 * i] | (unsigned)data[3 * i + 1] << 8) % KV_HLL_REGISTERS;
        ed[i].count = data[3 * i + 2] % 64;
    }
    data += (size_t)ned * 3;
    size -= (size_t)ned * 3;
    body = size > MAX_VALUE ? MAX_VALUE : size;
    v = malloc(body + KV_HLL_HDR_SIZE + 1);
    FUZZ_ASSERT(v != NULL);
    if (flags & 1) {
        memcpy(v, data, body);
        n = body;
    } else {
        static const unsigned char encs[4] = {KV_HLL_SPARSE, KV_HLL_SPARSE, KV_HLL_DENSE, 2};
        memset(v, 0, KV_HLL_HDR_SIZE);
        memcpy(v, "HYLL", 4);
        v[4] = encs[(flags >> 1) & 3];
        if (!(flags & 8))
            v[15] = 0x80;
        memcpy(v + KV_HLL_HDR_SIZE, data, body);
        n = KV_HLL_HDR_SIZE + body;
    }
    limit = (flags & 16) ? 40 : KV_HLL_SPARSE_MAX_BYTES;
    if (kv_hll_valid(v, n))
        check_value(v, n, ed, ned, limit);
    run_commands(v, n);
    free(v);
    return 0;
}
