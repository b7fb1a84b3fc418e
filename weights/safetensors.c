/* safetensors.c - see safetensors.h for the format and validation rules. */
#include "safetensors.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *name;
    size_t size;
} dtype_info[QS_DTYPE_COUNT] = {
    [QS_DTYPE_F32] = {"F32", 4}, [QS_DTYPE_F16] = {"F16", 2}, [QS_DTYPE_BF16] = {"BF16", 2},
    [QS_DTYPE_I32] = {"I32", 4}, [QS_DTYPE_I64] = {"I64", 8},
};

size_t qs_dtype_size(qs_dtype dt) { return dt < QS_DTYPE_COUNT ? dtype_info[dt].size : 0; }
const char *qs_dtype_name(qs_dtype dt) { return dt < QS_DTYPE_COUNT ? dtype_info[dt].name : "?"; }

static int dtype_from_name(const char *s) {
    for (int i = 0; i < QS_DTYPE_COUNT; i++)
        if (strcmp(s, dtype_info[i].name) == 0) return i;
    return -1;
}

/* Largest header we accept; real headers are well under 1 MB. */
#define QS_ST_MAX_HEADER (100u << 20)

static int cmp_by_offset(const void *a, const void *b) {
    const qs_st_tensor *x = a, *y = b;
    const char *px = x->data, *py = y->data;
    return px < py ? -1 : px > py;
}

/* Reads a JSON number that must be a non-negative integer exactly representable. */
static int json_u64(const cJSON *v, uint64_t *out) {
    if (!cJSON_IsNumber(v)) return -1;
    double d = v->valuedouble;
    if (!(d >= 0) || d > 9007199254740992.0 || d != (double)(uint64_t)d) return -1;
    *out = (uint64_t)d;
    return 0;
}

static qs_status parse_header(qs_safetensors *st, const char *json, size_t json_len,
                              const uint8_t *data, size_t data_size) {
    const char *path = st->path;
    cJSON *root = cJSON_ParseWithLength(json, json_len);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return qs_fail(QS_ERR_FORMAT, "%s: header is not a valid JSON object", path);
    }
    qs_status rc = QS_OK;
    int n = cJSON_GetArraySize(root);
    st->tensors = qs_calloc((size_t)n, sizeof *st->tensors);
    const cJSON *item;
    cJSON_ArrayForEach(item, root) {
        const char *name = item->string;
        if (strcmp(name, "__metadata__") == 0) {
            if (!cJSON_IsObject(item)) {
                rc = qs_fail(QS_ERR_FORMAT, "%s: __metadata__ must be an object of strings", path);
                goto done;
            }
            int nm = cJSON_GetArraySize(item);
            st->meta_keys = qs_calloc((size_t)nm, sizeof(char *));
            st->meta_vals = qs_calloc((size_t)nm, sizeof(char *));
            const cJSON *kv;
            cJSON_ArrayForEach(kv, item) {
                if (!cJSON_IsString(kv)) {
                    rc = qs_fail(QS_ERR_FORMAT, "%s: __metadata__.%s: expected a string value", path, kv->string);
                    goto done;
                }
                st->meta_keys[st->n_meta] = qs_strdup(kv->string);
                st->meta_vals[st->n_meta] = qs_strdup(kv->valuestring);
                st->n_meta++;
            }
            continue;
        }
        qs_st_tensor *t = &st->tensors[st->n_tensors];
        t->name = qs_strdup(name);
        st->n_tensors++;
        const cJSON *dt = cJSON_GetObjectItemCaseSensitive(item, "dtype");
        const cJSON *shape = cJSON_GetObjectItemCaseSensitive(item, "shape");
        const cJSON *offs = cJSON_GetObjectItemCaseSensitive(item, "data_offsets");
        if (!cJSON_IsObject(item) || !cJSON_IsString(dt) || !cJSON_IsArray(shape) || !cJSON_IsArray(offs)) {
            rc = qs_fail(QS_ERR_FORMAT,
                         "%s: tensor '%s': expected an object with dtype (string), shape (array) and data_offsets (array)",
                         path, name);
            goto done;
        }
        int d = dtype_from_name(dt->valuestring);
        if (d < 0) {
            rc = qs_fail(QS_ERR_UNSUPPORTED, "%s: tensor '%s': dtype %s is not supported (expected F32, F16, BF16, I32 or I64)",
                         path, name, dt->valuestring);
            goto done;
        }
        t->dtype = (qs_dtype)d;
        t->ndim = cJSON_GetArraySize(shape);
        if (t->ndim > QS_MAX_DIMS) {
            rc = qs_fail(QS_ERR_UNSUPPORTED, "%s: tensor '%s': %d dimensions (at most %d supported)", path, name,
                         t->ndim, QS_MAX_DIMS);
            goto done;
        }
        size_t n_elems = 1;
        for (int i = 0; i < t->ndim; i++) {
            uint64_t v;
            if (json_u64(cJSON_GetArrayItem(shape, i), &v) || v > INT64_MAX ||
                qs_mul_overflow(n_elems, (size_t)v, &n_elems)) {
                rc = qs_fail(QS_ERR_FORMAT, "%s: tensor '%s': shape[%d] is not a valid non-negative integer", path, name, i);
                goto done;
            }
            t->shape[i] = (int64_t)v;
        }
        t->n_elems = (int64_t)n_elems;
        uint64_t begin, end;
        if (cJSON_GetArraySize(offs) != 2 || json_u64(cJSON_GetArrayItem(offs, 0), &begin) ||
            json_u64(cJSON_GetArrayItem(offs, 1), &end) || begin > end) {
            rc = qs_fail(QS_ERR_FORMAT, "%s: tensor '%s': data_offsets must be [begin, end] with 0 <= begin <= end", path, name);
            goto done;
        }
        size_t want;
        if (qs_mul_overflow(n_elems, qs_dtype_size(t->dtype), &want) || end - begin != want) {
            rc = qs_fail(QS_ERR_FORMAT, "%s: tensor '%s': data_offsets span %llu bytes but shape x dtype needs %zu",
                         path, name, (unsigned long long)(end - begin), want);
            goto done;
        }
        if (end > data_size) {
            rc = qs_fail(QS_ERR_FORMAT, "%s: tensor '%s': data_offsets [%llu, %llu] lie outside the data section (%zu bytes); file truncated?",
                         path, name, (unsigned long long)begin, (unsigned long long)end, data_size);
            goto done;
        }
        t->nbytes = want;
        t->data = data + begin;
    }
    /* No two tensors may share bytes. */
    if (st->n_tensors > 1) {
        qs_st_tensor *sorted = qs_malloc((size_t)st->n_tensors * sizeof *sorted);
        memcpy(sorted, st->tensors, (size_t)st->n_tensors * sizeof *sorted);
        qsort(sorted, (size_t)st->n_tensors, sizeof *sorted, cmp_by_offset);
        for (int i = 1; i < st->n_tensors; i++) {
            const char *prev_end = (const char *)sorted[i - 1].data + sorted[i - 1].nbytes;
            if ((const char *)sorted[i].data < prev_end) {
                rc = qs_fail(QS_ERR_FORMAT, "%s: tensors '%s' and '%s' overlap in the data section", path,
                             sorted[i - 1].name, sorted[i].name);
                break;
            }
        }
        free(sorted);
    }
    /* Misaligned data (legal but unusual) is copied so kernels can load it as typed arrays. */
    for (int i = 0; rc == QS_OK && i < st->n_tensors; i++) {
        qs_st_tensor *t = &st->tensors[i];
        size_t es = qs_dtype_size(t->dtype);
        if (t->nbytes && ((uintptr_t)t->data % es) != 0) {
            void *copy = qs_malloc(t->nbytes);
            memcpy(copy, t->data, t->nbytes);
            st->copies = realloc(st->copies, (size_t)(st->n_copies + 1) * sizeof(void *));
            QS_ASSERT(st->copies);
            st->copies[st->n_copies++] = copy;
            t->data = copy;
        }
    }
done:
    cJSON_Delete(root);
    return rc;
}

qs_status qs_st_open(qs_safetensors *st, const char *path) {
    memset(st, 0, sizeof *st);
    st->path = qs_strdup(path);
    size_t size;
    qs_status rc = qs_map_file(path, 8, "a safetensors file (8-byte header length)", &st->map, &size);
    if (rc != QS_OK) goto fail;
    st->map_size = size;
    const uint8_t *p = st->map;
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | p[i];
    if (hlen > size - 8 || hlen > QS_ST_MAX_HEADER) {
        rc = qs_fail(QS_ERR_FORMAT, "%s: header length %llu exceeds the file (%zu bytes) or the %u-byte limit", path,
                     (unsigned long long)hlen, size, QS_ST_MAX_HEADER);
        goto fail;
    }
    rc = parse_header(st, (const char *)p + 8, (size_t)hlen, p + 8 + hlen, size - 8 - (size_t)hlen);
    if (rc != QS_OK) goto fail;
    return QS_OK;
fail:
    qs_st_close(st);
    return rc;
}

void qs_st_close(qs_safetensors *st) {
    for (int i = 0; i < st->n_tensors; i++) free(st->tensors[i].name);
    free(st->tensors);
    for (int i = 0; i < st->n_meta; i++) free(st->meta_keys[i]), free(st->meta_vals[i]);
    free(st->meta_keys);
    free(st->meta_vals);
    for (int i = 0; i < st->n_copies; i++) free(st->copies[i]);
    free(st->copies);
    if (st->map) munmap(st->map, st->map_size);
    free(st->path);
    memset(st, 0, sizeof *st);
}

const qs_st_tensor *qs_st_find(const qs_safetensors *st, const char *name) {
    for (int i = 0; i < st->n_tensors; i++)
        if (strcmp(st->tensors[i].name, name) == 0) return &st->tensors[i];
    return NULL;
}

const char *qs_st_meta(const qs_safetensors *st, const char *key) {
    for (int i = 0; i < st->n_meta; i++)
        if (strcmp(st->meta_keys[i], key) == 0) return st->meta_vals[i];
    return NULL;
}

qs_status qs_st_write(const char *path, const qs_st_out_tensor *tensors, int n,
                      const char *const *meta_keys, const char *const *meta_vals, int n_meta) {
    cJSON *root = cJSON_CreateObject();
    if (n_meta > 0) {
        cJSON *meta = cJSON_AddObjectToObject(root, "__metadata__");
        for (int i = 0; i < n_meta; i++) cJSON_AddStringToObject(meta, meta_keys[i], meta_vals[i]);
    }
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        const qs_st_out_tensor *t = &tensors[i];
        size_t nb = qs_dtype_size(t->dtype);
        for (int d = 0; d < t->ndim; d++) nb *= (size_t)t->shape[d];
        cJSON *o = cJSON_AddObjectToObject(root, t->name);
        cJSON_AddStringToObject(o, "dtype", qs_dtype_name(t->dtype));
        cJSON *sh = cJSON_AddArrayToObject(o, "shape");
        for (int d = 0; d < t->ndim; d++) cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)t->shape[d]));
        cJSON *of = cJSON_AddArrayToObject(o, "data_offsets");
        cJSON_AddItemToArray(of, cJSON_CreateNumber((double)off));
        cJSON_AddItemToArray(of, cJSON_CreateNumber((double)(off + nb)));
        off += nb;
    }
    char *json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    size_t hlen = strlen(json);
    size_t padded = (hlen + 7) & ~(size_t)7; /* keep the data section 8-byte aligned */
    qs_atomic_file af;
    qs_status rc = qs_atomic_open(&af, path);
    if (rc != QS_OK) { free(json); return rc; }
    uint8_t lenb[8];
    for (int i = 0; i < 8; i++) lenb[i] = (uint8_t)((uint64_t)padded >> (8 * i));
    fwrite(lenb, 1, 8, af.f);
    fwrite(json, 1, hlen, af.f);
    for (size_t i = hlen; i < padded; i++) fputc(' ', af.f);
    free(json);
    for (int i = 0; i < n; i++) {
        size_t nb = qs_dtype_size(tensors[i].dtype);
        for (int d = 0; d < tensors[i].ndim; d++) nb *= (size_t)tensors[i].shape[d];
        if (nb) fwrite(tensors[i].data, 1, nb, af.f);
    }
    return qs_atomic_commit(&af, 1);
}
