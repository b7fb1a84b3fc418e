/* gguf.c - see gguf.h. Every read goes through a bounds-checked cursor. */
#include "gguf.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    const uint8_t *p, *end;
    const char *path;
    qs_status err;
} cursor;

static int need(cursor *c, uint64_t n, const char *what) {
    if (c->err) return -1;
    if ((uint64_t)(c->end - c->p) < n) {
        c->err = qs_fail(QS_ERR_FORMAT, "%s: file ends inside %s (truncated or corrupt GGUF)", c->path, what);
        return -1;
    }
    return 0;
}

#define DEFINE_RD(NAME, T)                                              \
    static T NAME(cursor *c, const char *what) {                        \
        T v = 0;                                                        \
        if (need(c, sizeof(T), what) == 0) {                            \
            memcpy(&v, c->p, sizeof(T));                                \
            c->p += sizeof(T);                                          \
        }                                                               \
        return v;                                                       \
    }
DEFINE_RD(rd_u32, uint32_t)
DEFINE_RD(rd_u64, uint64_t)

/* Strings are u64 length + bytes; we cap keys/names/values at 1 MiB. */
static char *rd_str(cursor *c, const char *what) {
    uint64_t n = rd_u64(c, what);
    if (c->err) return NULL;
    if (n > (1u << 20)) {
        c->err = qs_fail(QS_ERR_FORMAT, "%s: %s has length %llu (over 1 MiB; corrupt GGUF?)", c->path, what, (unsigned long long)n);
        return NULL;
    }
    if (need(c, n, what)) return NULL;
    char *s = qs_malloc((size_t)n + 1);
    memcpy(s, c->p, (size_t)n);
    s[n] = 0;
    c->p += n;
    return s;
}

static const size_t scalar_size[QS_GGUF_TYPE_COUNT] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

static double scalar_value(uint32_t t, const uint8_t *p) {
    switch (t) {
    case QS_GGUF_UINT8: return *p;
    case QS_GGUF_INT8: return (int8_t)*p;
    case QS_GGUF_BOOL: return *p != 0;
    case QS_GGUF_UINT16: { uint16_t v; memcpy(&v, p, 2); return v; }
    case QS_GGUF_INT16: { int16_t v; memcpy(&v, p, 2); return v; }
    case QS_GGUF_UINT32: { uint32_t v; memcpy(&v, p, 4); return v; }
    case QS_GGUF_INT32: { int32_t v; memcpy(&v, p, 4); return v; }
    case QS_GGUF_FLOAT32: { float v; memcpy(&v, p, 4); return v; }
    case QS_GGUF_UINT64: { uint64_t v; memcpy(&v, p, 8); return (double)v; }
    case QS_GGUF_INT64: { int64_t v; memcpy(&v, p, 8); return (double)v; }
    case QS_GGUF_FLOAT64: { double v; memcpy(&v, p, 8); return v; }
    }
    return 0;
}

/* Skip one array element of type t (strings have their own length). */
static void skip_elem(cursor *c, uint32_t t) {
    if (t == QS_GGUF_STRING) {
        free(rd_str(c, "array string"));
    } else if (t < QS_GGUF_TYPE_COUNT && scalar_size[t]) {
        if (need(c, scalar_size[t], "array element") == 0) c->p += scalar_size[t];
    } else {
        c->err = qs_fail(QS_ERR_FORMAT, "%s: array of unsupported element type %u", c->path, t);
    }
}

static void read_kv(cursor *c, qs_gguf_kv *kv) {
    kv->key = rd_str(c, "metadata key");
    kv->type = rd_u32(c, "metadata type");
    if (c->err) return;
    if (kv->type == QS_GGUF_STRING) {
        kv->str = rd_str(c, kv->key);
    } else if (kv->type == QS_GGUF_ARRAY) {
        kv->arr_type = rd_u32(c, kv->key);
        kv->arr_n = rd_u64(c, kv->key);
        if (c->err) return;
        if (kv->arr_type == QS_GGUF_ARRAY) {
            c->err = qs_fail(QS_ERR_UNSUPPORTED, "%s: metadata '%s' is a nested array", c->path, kv->key);
            return;
        }
        kv->arr_data = c->p;
        if (kv->arr_type < QS_GGUF_TYPE_COUNT && scalar_size[kv->arr_type]) {
            uint64_t bytes;
            if (kv->arr_n > UINT64_MAX / 8 || need(c, bytes = kv->arr_n * scalar_size[kv->arr_type], kv->key)) {
                if (!c->err) c->err = qs_fail(QS_ERR_FORMAT, "%s: metadata array '%s' is too long", c->path, kv->key);
                return;
            }
            c->p += bytes;
        } else {
            for (uint64_t i = 0; i < kv->arr_n && !c->err; i++) skip_elem(c, kv->arr_type);
        }
    } else if (kv->type < QS_GGUF_TYPE_COUNT && scalar_size[kv->type]) {
        if (need(c, scalar_size[kv->type], kv->key) == 0) {
            kv->num = scalar_value(kv->type, c->p);
            c->p += scalar_size[kv->type];
        }
    } else {
        c->err = qs_fail(QS_ERR_FORMAT, "%s: metadata '%s' has unknown type %u", c->path, kv->key, kv->type);
    }
}

/* Bytes of n elements of a ggml type, for the types qsteer reads; 0 if unknown. */
static uint64_t ggml_nbytes(uint32_t type, uint64_t n) {
    switch (type) {
    case QS_GGML_F32: return n * 4;
    case QS_GGML_F16:
    case QS_GGML_BF16: return n * 2;
    case QS_GGML_Q8_0: return n % 32 ? 0 : n / 32 * 34;
    }
    return 0;
}

qs_status qs_gguf_open(qs_gguf *g, const char *path) {
    memset(g, 0, sizeof *g);
    g->path = qs_strdup(path);
    qs_status rc = qs_map_file(path, 24, "a GGUF file", &g->map, &g->size);
    if (rc != QS_OK) goto fail;
    cursor c = {.p = g->map, .end = (const uint8_t *)g->map + g->size, .path = path};
    if (memcmp(c.p, "GGUF", 4) != 0) {
        rc = qs_fail(QS_ERR_FORMAT, "%s: does not start with the GGUF magic", path);
        goto fail;
    }
    c.p += 4;
    g->version = rd_u32(&c, "version");
    if (g->version < 2 || g->version > 3) {
        rc = qs_fail(QS_ERR_UNSUPPORTED, "%s: GGUF version %u (qsteer reads versions 2 and 3)", path, g->version);
        goto fail;
    }
    uint64_t n_t = rd_u64(&c, "tensor count"), n_kv = rd_u64(&c, "metadata count");
    /* each kv takes at least 12 bytes and each tensor info at least 24: bound the counts by the file size */
    if (n_kv > g->size / 12 || n_t > g->size / 24) {
        rc = qs_fail(QS_ERR_FORMAT, "%s: %llu tensors / %llu metadata entries cannot fit in %zu bytes", path,
                     (unsigned long long)n_t, (unsigned long long)n_kv, g->size);
        goto fail;
    }
    g->kv = qs_calloc((size_t)n_kv, sizeof *g->kv);
    for (uint64_t i = 0; i < n_kv && !c.err; i++, g->n_kv++) read_kv(&c, &g->kv[i]);
    g->tensors = qs_calloc((size_t)n_t, sizeof *g->tensors);
    for (uint64_t i = 0; i < n_t && !c.err; i++, g->n_tensors++) {
        qs_gguf_tensor *t = &g->tensors[i];
        t->name = rd_str(&c, "tensor name");
        t->n_dims = rd_u32(&c, "tensor dims");
        if (c.err) break;
        if (t->n_dims < 1 || t->n_dims > 4) {
            c.err = qs_fail(QS_ERR_FORMAT, "%s: tensor '%s' has %u dimensions (1 to 4 expected)", path, t->name, t->n_dims);
            break;
        }
        t->n_elems = 1;
        for (uint32_t d = 0; d < t->n_dims; d++) {
            t->dims[d] = rd_u64(&c, "tensor shape");
            if (t->dims[d] > (1ull << 40) || (t->dims[d] && t->n_elems > (1ull << 40) / t->dims[d])) {
                c.err = qs_fail(QS_ERR_FORMAT, "%s: tensor '%s' has an absurd shape", path, t->name);
                break;
            }
            t->n_elems *= t->dims[d];
        }
        t->type = rd_u32(&c, "tensor type");
        uint64_t off = rd_u64(&c, "tensor offset");
        t->nbytes = (size_t)ggml_nbytes(t->type, t->n_elems);
        t->data = (const void *)(uintptr_t)off; /* relative for now */
    }
    if (c.err) { rc = c.err; goto fail; }
    uint64_t align = 32;
    const qs_gguf_kv *a = qs_gguf_find_kv(g, "general.alignment");
    if (a && (a->type == QS_GGUF_UINT32 || a->type == QS_GGUF_INT32 || a->type == QS_GGUF_UINT64)) align = (uint64_t)a->num;
    if (align == 0 || (align & (align - 1))) {
        rc = qs_fail(QS_ERR_FORMAT, "%s: general.alignment %llu is not a power of two", path, (unsigned long long)align);
        goto fail;
    }
    uint64_t data_start = (uint64_t)(c.p - (const uint8_t *)g->map);
    data_start = (data_start + align - 1) / align * align;
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        qs_gguf_tensor *t = &g->tensors[i];
        uint64_t off = (uint64_t)(uintptr_t)t->data;
        t->data = NULL;
        if (off % align) {
            rc = qs_fail(QS_ERR_FORMAT, "%s: tensor '%s' offset %llu is not aligned to %llu", path, t->name,
                         (unsigned long long)off, (unsigned long long)align);
            goto fail;
        }
        if (t->nbytes == 0 && t->n_elems) continue; /* unknown type: listed, not readable */
        if (data_start > g->size || off > g->size - data_start || t->nbytes > g->size - data_start - off) {
            rc = qs_fail(QS_ERR_FORMAT, "%s: tensor '%s' data [%llu, +%zu) lies outside the file (truncated?)", path,
                         t->name, (unsigned long long)off, t->nbytes);
            goto fail;
        }
        t->data = (const uint8_t *)g->map + data_start + off;
    }
    return QS_OK;
fail:
    qs_gguf_close(g);
    return rc;
}

void qs_gguf_close(qs_gguf *g) {
    for (uint64_t i = 0; i < g->n_kv; i++) free(g->kv[i].key), free(g->kv[i].str);
    free(g->kv);
    for (uint64_t i = 0; i < g->n_tensors; i++) free(g->tensors[i].name);
    free(g->tensors);
    if (g->map) munmap(g->map, g->size);
    free(g->path);
    memset(g, 0, sizeof *g);
}

const qs_gguf_kv *qs_gguf_find_kv(const qs_gguf *g, const char *key) {
    for (uint64_t i = 0; i < g->n_kv; i++)
        if (g->kv[i].key && strcmp(g->kv[i].key, key) == 0) return &g->kv[i];
    return NULL;
}

const qs_gguf_tensor *qs_gguf_find_tensor(const qs_gguf *g, const char *name) {
    for (uint64_t i = 0; i < g->n_tensors; i++)
        if (g->tensors[i].name && strcmp(g->tensors[i].name, name) == 0) return &g->tensors[i];
    return NULL;
}

/* ------------------------------------------------------------ writer */

static void w_u32(FILE *f, uint32_t v) { fwrite(&v, 4, 1, f); }
static void w_u64(FILE *f, uint64_t v) { fwrite(&v, 8, 1, f); }
static void w_str(FILE *f, const char *s) {
    w_u64(f, strlen(s));
    fwrite(s, 1, strlen(s), f);
}

qs_status qs_gguf_write(const char *path, const qs_gguf_out_kv *kv, int n_kv, const qs_gguf_out_tensor *t, int n_t) {
    qs_atomic_file af;
    qs_status rc = qs_atomic_open(&af, path);
    if (rc != QS_OK) return rc;
    FILE *f = af.f;
    fwrite("GGUF", 1, 4, f);
    w_u32(f, 3);
    w_u64(f, (uint64_t)n_t);
    w_u64(f, (uint64_t)n_kv);
    for (int i = 0; i < n_kv; i++) {
        w_str(f, kv[i].key);
        w_u32(f, kv[i].type);
        if (kv[i].type == QS_GGUF_STRING) {
            w_str(f, kv[i].str);
        } else if (kv[i].type == QS_GGUF_INT32) {
            int32_t v = (int32_t)kv[i].num;
            fwrite(&v, 4, 1, f);
        } else if (kv[i].type == QS_GGUF_UINT32) {
            w_u32(f, (uint32_t)kv[i].num);
        } else if (kv[i].type == QS_GGUF_FLOAT32) {
            float v = (float)kv[i].num;
            fwrite(&v, 4, 1, f);
        } else {
            qs_atomic_commit(&af, 0);
            return qs_fail(QS_ERR_ARG, "%s: metadata '%s': unsupported type %u for writing", path, kv[i].key, kv[i].type);
        }
    }
    uint64_t off = 0;
    for (int i = 0; i < n_t; i++) {
        w_str(f, t[i].name);
        w_u32(f, t[i].n_dims);
        uint64_t n = 1;
        for (uint32_t d = 0; d < t[i].n_dims; d++) w_u64(f, t[i].dims[d]), n *= t[i].dims[d];
        w_u32(f, QS_GGML_F32);
        w_u64(f, off);
        off += (n * 4 + 31) / 32 * 32;
    }
    long pos = ftell(f);
    for (; pos % 32; pos++) fputc(0, f);
    for (int i = 0; i < n_t; i++) {
        uint64_t n = 1;
        for (uint32_t d = 0; d < t[i].n_dims; d++) n *= t[i].dims[d];
        fwrite(t[i].data, 4, (size_t)n, f);
        for (uint64_t b = n * 4; b % 32; b++) fputc(0, f);
    }
    return qs_atomic_commit(&af, 1);
}
