/*
 * safetensors.h - memory-mapped reader and atomic writer for .safetensors files.
 *
 * File layout: u64 little-endian header length N, N bytes of JSON header
 * {"name": {"dtype": "BF16", "shape": [..], "data_offsets": [begin, end]}, ...,
 *  "__metadata__": {"key": "string", ...}}, then the data section. Offsets are
 * relative to the start of the data section.
 *
 * qs_st_open validates everything before any tensor is used: header length
 * within the file, JSON well-formed, every dtype known, shapes non-negative,
 * end - begin == product(shape) * element size, offsets inside the file and
 * tensors not overlapping. Every error names the file and the tensor.
 */
#ifndef QS_SAFETENSORS_H
#define QS_SAFETENSORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qs_common.h"

typedef enum {
    QS_DTYPE_F32 = 0,
    QS_DTYPE_F16,
    QS_DTYPE_BF16,
    QS_DTYPE_I32,
    QS_DTYPE_I64,
    QS_DTYPE_COUNT
} qs_dtype;

size_t qs_dtype_size(qs_dtype dt);
const char *qs_dtype_name(qs_dtype dt); /* "F32", "BF16", ... as in safetensors */

#define QS_MAX_DIMS 4

typedef struct {
    char *name;
    qs_dtype dtype;
    int ndim;
    int64_t shape[QS_MAX_DIMS];
    int64_t n_elems;
    const void *data; /* points into the mapping (or an aligned copy) */
    size_t nbytes;
} qs_st_tensor;

typedef struct {
    char *path;
    void *map;        /* whole-file read-only mapping */
    size_t map_size;
    qs_st_tensor *tensors;
    int n_tensors;
    char **meta_keys; /* __metadata__ string pairs */
    char **meta_vals;
    int n_meta;
    void **copies;    /* aligned copies of misaligned tensors (rare) */
    int n_copies;
} qs_safetensors;

/* Open and validate `path`. On error returns <0 and *st is left empty. */
qs_status qs_st_open(qs_safetensors *st, const char *path);
void qs_st_close(qs_safetensors *st);
/* Tensor by name, or NULL. */
const qs_st_tensor *qs_st_find(const qs_safetensors *st, const char *name);
/* __metadata__ value by key, or NULL. */
const char *qs_st_meta(const qs_safetensors *st, const char *key);

/* Writing: tensors are written in the order given, data contiguous. */
typedef struct {
    const char *name;
    qs_dtype dtype;
    int ndim;
    int64_t shape[QS_MAX_DIMS];
    const void *data;
} qs_st_out_tensor;

/* Write a safetensors file atomically (tmp file + rename). meta_keys/vals
 * may be NULL when n_meta == 0. */
qs_status qs_st_write(const char *path, const qs_st_out_tensor *tensors, int n,
                      const char *const *meta_keys, const char *const *meta_vals, int n_meta);

#endif
