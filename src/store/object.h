/* Values stored under keys. A kv_obj is a 16-byte header like Redis's robj
 * (type:4 encoding:4 lru:24, a 32-bit spare/length field, a pointer/integer
 * union). Type and encoding numbers equal Redis's OBJ_* / OBJ_ENCODING_*, so
 * OBJECT ENCODING, TYPE and RDB-style dumps can use them directly. */
#ifndef KEVY_STORE_OBJECT_H
#define KEVY_STORE_OBJECT_H

#include <stddef.h>
#include <stdint.h>

enum { KV_TYPE_STRING = 0, KV_TYPE_LIST = 1, KV_TYPE_SET = 2, KV_TYPE_ZSET = 3,
       KV_TYPE_HASH = 4, KV_TYPE_STREAM = 6 };
enum { KV_ENC_RAW = 0, KV_ENC_INT = 1, KV_ENC_HT = 2, KV_ENC_INTSET = 6,
       KV_ENC_SKIPLIST = 7, KV_ENC_EMBSTR = 8, KV_ENC_QUICKLIST = 9,
       KV_ENC_STREAM = 10, KV_ENC_LISTPACK = 11 };

/* Longest string kept "embstr" (header and bytes in one allocation). */
#define KV_EMBSTR_MAX 44
/* Buffer size kv_str_ptr needs for an int-encoded value. */
#define KV_LLSTR_SIZE 24

/* Layout (use the accessors; the layout is here only so sizeof works):
 * int:    u.ll holds the value; nothing beyond the header is allocated.
 * embstr: the bytes start at offsetof(u) inside the same allocation,
 *         len = byte count, NUL-terminated; the union is not used.
 * raw:    u.ptr -> a private growable buffer (length, capacity, bytes).
 * other types: u.ptr -> the type's structure; len is spare. */
typedef struct kv_obj {
    unsigned type : 4;
    unsigned encoding : 4;
    unsigned lru : 24;
    uint32_t len;
    union {
        void *ptr;
        long long ll;
    } u;
} kv_obj;

unsigned kv_obj_type(const kv_obj *o);
unsigned kv_obj_encoding(const kv_obj *o);
/* Redis's names: "raw","int","embstr","hashtable","listpack",... */
const char *kv_obj_encoding_name(const kv_obj *o);
const char *kv_obj_type_name(const kv_obj *o);  /* TYPE's reply: "string","list",... */
void kv_obj_free(kv_obj *o);
unsigned kv_obj_lru(const kv_obj *o);
void kv_obj_set_lru(kv_obj *o, unsigned lru);   /* low 24 bits kept */
/* Bytes the value occupies (allocator chunks), for memory accounting. For
 * non-string types only the header is known here. */
size_t kv_obj_mem(const kv_obj *o);

/* Release a collection value's structure (not the header), implemented by
 * each type's module: t_list.c, t_hash.c, t_set.c, t_zset.c. */
void kv_list_free_value(kv_obj *o);
void kv_hash_free_value(kv_obj *o);
void kv_set_free_value(kv_obj *o);
void kv_zset_free_value(kv_obj *o);
void kv_stream_free_value(kv_obj *o);

/* Aggregate values: the header around a structure the type's module owns.
 * kv_obj_free releases it by encoding (flat encodings such as listpack and
 * intset with free(); each module adds its case for linked structures). */
kv_obj *kv_obj_new(unsigned type, unsigned encoding, void *ptr);
void *kv_obj_ptr(const kv_obj *o);
void kv_obj_set_ptr(kv_obj *o, void *ptr, unsigned encoding);

/* Strings. kv_str_new picks the encoding exactly as Redis's tryObjectEncoding
 * does for a value stored by SET: "int" when the bytes are a canonical long
 * long (string2ll rules) of at most 20 chars, else "embstr" when <= 44 bytes,
 * else "raw". */
kv_obj *kv_str_new(const char *p, size_t n);
kv_obj *kv_str_new_raw(const char *p, size_t n);  /* never int/embstr (APPEND/SETRANGE results) */
/* Redis's createStringObject: "embstr" up to 44 bytes, else "raw"; never
 * "int" (INCRBYFLOAT's result "3" is an embstr). */
kv_obj *kv_str_new_embstr(const char *p, size_t n);
kv_obj *kv_str_from_ll(long long v);              /* "int" encoding */
kv_obj *kv_str_dup(const kv_obj *o);              /* same bytes and encoding */
size_t kv_str_len(const kv_obj *o);
/* Bytes of a string value; for int encoding the digits are written into buf
 * (>= KV_LLSTR_SIZE bytes) and the result points there. */
const char *kv_str_ptr(const kv_obj *o, char *buf, size_t *len);
/* 1 if the value is a valid integer (string2ll rules). */
int kv_str_to_ll(const kv_obj *o, long long *v);

/* In-place mutation; the kv_obj pointer stays valid, so a value stored in a
 * db needs no re-linking. */
void kv_str_set_ll(kv_obj *o, long long v);        /* becomes "int" (INCR & co.) */
void kv_str_append(kv_obj *o, const char *p, size_t n);  /* becomes "raw" */
/* Becomes "raw" with length max(current, minlen), new bytes zeroed
 * (SETRANGE/SETBIT); returns the writable bytes. */
char *kv_str_grow(kv_obj *o, size_t minlen);

/* A "raw" value's bytes, for a reply that sends them without a copy: sets
 * *len and *ref and takes a reference that kv_str_unref(*ref) drops, on any
 * thread. The bytes stay as they are while referenced (a write to the value
 * copies them first). NULL for the other encodings. */
const char *kv_str_share(const kv_obj *o, size_t *len, void **ref);
void kv_str_unref(void *ref);
/* A big argument read straight into a raw string's memory (kv_blob_ops):
 * kv_str_blob_alloc returns memory for n >= 2 bytes (*data) with one
 * reference; kv_str_blob_ref adds one; kv_str_unref drops one. Once its
 * first len bytes hold the value (n >= len + 2), kv_str_adopt makes it a
 * "raw" value, which takes a reference of its own: no byte is copied. */
void *kv_str_blob_alloc(size_t n, char **data);
void kv_str_blob_ref(void *blob);
kv_obj *kv_str_adopt(void *blob, size_t len);

/* string2ll rules: optional '-', no leading zeros ("-0", "007" invalid), no
 * spaces or '+', must fit in a long long. 1 if valid. */
int kv_store_str2ll(const char *p, size_t n, long long *out);
/* Decimal digits of v into buf (>= KV_LLSTR_SIZE); returns the length. */
size_t kv_store_ll2str(char *buf, long long v);

#endif
