/*
 * gguf.h - a small reader and writer for GGUF files (version 2 and 3), the
 * format of llama.cpp models and control vectors.
 *
 * Layout: "GGUF", u32 version, u64 n_tensors, u64 n_kv; n_kv key/value pairs
 * (key = u64 length + bytes, u32 type, value); n_tensors tensor infos (name,
 * u32 n_dims, u64 dims[n_dims] (innermost first), u32 ggml type, u64 offset);
 * padding to general.alignment (default 32); the data section.
 *
 * qs_gguf_open memory-maps the file and checks every length, count and
 * offset against the file size before anything is used.
 */
#ifndef QS_GGUF_H
#define QS_GGUF_H

#include <stdint.h>

#include "qs_common.h"

enum {
    QS_GGUF_UINT8 = 0, QS_GGUF_INT8, QS_GGUF_UINT16, QS_GGUF_INT16, QS_GGUF_UINT32, QS_GGUF_INT32,
    QS_GGUF_FLOAT32, QS_GGUF_BOOL, QS_GGUF_STRING, QS_GGUF_ARRAY, QS_GGUF_UINT64, QS_GGUF_INT64,
    QS_GGUF_FLOAT64, QS_GGUF_TYPE_COUNT
};

/* ggml tensor types qsteer knows by name (others are listed as "type N"). */
enum { QS_GGML_F32 = 0, QS_GGML_F16 = 1, QS_GGML_Q8_0 = 8, QS_GGML_BF16 = 30 };

typedef struct {
    char *key;
    uint32_t type;
    /* scalar value (numbers and bool), or the string; arrays keep their raw position */
    double num;
    char *str;
    uint32_t arr_type;
    uint64_t arr_n;
    const uint8_t *arr_data; /* first element inside the mapping */
} qs_gguf_kv;

typedef struct {
    char *name;
    uint32_t n_dims;
    uint64_t dims[4];   /* innermost first, as ggml ne[] */
    uint32_t type;      /* ggml type */
    uint64_t n_elems;
    const void *data;   /* inside the mapping; only set for types with known sizes */
    size_t nbytes;
} qs_gguf_tensor;

typedef struct {
    char *path;
    void *map;
    size_t size;
    uint32_t version;
    qs_gguf_kv *kv;
    uint64_t n_kv;
    qs_gguf_tensor *tensors;
    uint64_t n_tensors;
} qs_gguf;

qs_status qs_gguf_open(qs_gguf *g, const char *path);
void qs_gguf_close(qs_gguf *g);
const qs_gguf_kv *qs_gguf_find_kv(const qs_gguf *g, const char *key);
const qs_gguf_tensor *qs_gguf_find_tensor(const qs_gguf *g, const char *name);

/* Writing (F32 1-D or 2-D tensors and scalar/string metadata): enough for
 * control vectors and test files. */
typedef struct {
    const char *key;
    uint32_t type; /* QS_GGUF_STRING, QS_GGUF_INT32, QS_GGUF_UINT32, QS_GGUF_FLOAT32 */
    const char *str;
    double num;
} qs_gguf_out_kv;

typedef struct {
    const char *name;
    uint32_t n_dims;
    uint64_t dims[4];
    const float *data;
} qs_gguf_out_tensor;

/* Write atomically (tmp + rename), version 3, alignment 32. */
qs_status qs_gguf_write(const char *path, const qs_gguf_out_kv *kv, int n_kv, const qs_gguf_out_tensor *t, int n_t);

#endif
