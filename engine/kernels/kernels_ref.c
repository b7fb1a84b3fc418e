/*
 * kernels_ref.c - portable scalar reference kernels: the specification every
 * SIMD level is tested against. Plain loops, float32 accumulation.
 * Never compiled with -ffast-math.
 */
#include <math.h>
#include <string.h>

#include "fp16.h"
#include "kernels.h"

static void rows_to_f32_ref(float *dst, const void *w, int k, int r0, int r1, qs_dtype dt) {
    const size_t es = dt == QS_DTYPE_F32 ? 4 : 2; /* (no call into weights/: test_kernels links kernels alone) */
    for (int r = r0; r < r1; r++)
        qs_convert_to_f32(dst + (size_t)(r - r0) * k, (const char *)w + (size_t)r * k * es, dt, (size_t)k);
}
static void rows_f32_ref(float *d, const void *w, int k, int r0, int r1) { rows_to_f32_ref(d, w, k, r0, r1, QS_DTYPE_F32); }
static void rows_f16_ref(float *d, const void *w, int k, int r0, int r1) { rows_to_f32_ref(d, w, k, r0, r1, QS_DTYPE_F16); }
static void rows_bf16_ref(float *d, const void *w, int k, int r0, int r1) { rows_to_f32_ref(d, w, k, r0, r1, QS_DTYPE_BF16); }

#define DEFINE_MATVEC_REF(NAME, TYPE, CONV)                                                   \
    static void NAME(float *y, int ldy, const float *x, int n, const void *w, int k, int r0, int r1) { \
        const TYPE *W = w;                                                                    \
        for (int r = r0; r < r1; r++) {                                                       \
            const TYPE *row = W + (size_t)r * k;                                              \
            for (int t = 0; t < n; t++) {                                                     \
                const float *xt = x + (size_t)t * k;                                          \
                float acc = 0.0f;                                                             \
                for (int j = 0; j < k; j++) acc += xt[j] * CONV(row[j]);                      \
                y[(size_t)t * ldy + r] = acc;                                                 \
            }                                                                                 \
        }                                                                                     \
    }

int qs_q8_quantize_row(void *dst, const float *src, int k) {
    const int nb = k / QS_Q8_GROUP;
    uint16_t *d = dst;
    int8_t *q = (int8_t *)(d + nb);
    for (int b = 0; b < nb; b++) {
        const float *s = src + b * QS_Q8_GROUP;
        /* max |w| as bits: for |w| the float order is the integer order, inf and NaN above all */
        uint32_t amax_bits = 0;
        for (int j = 0; j < QS_Q8_GROUP; j++) {
            uint32_t u;
            memcpy(&u, &s[j], 4);
            u &= 0x7fffffffu;
            amax_bits = u > amax_bits ? u : amax_bits;
        }
        if (amax_bits >= 0x7f800000u) return -1; /* inf or NaN */
        float amax;
        memcpy(&amax, &amax_bits, 4);
        const uint16_t h = qs_f32_to_f16(amax / 127.0f);
        if ((h & 0x7c00) == 0x7c00) return -1;
        const float dd = qs_f16_to_f32(h), id = dd > 0 ? 1.0f / dd : 0.0f;
        d[b] = h;
        for (int j = 0; j < QS_Q8_GROUP; j++) { /* d was rounded to fp16: |w / d| may exceed 127 a little */
            const long v = lrintf(s[j] * id);
            q[b * QS_Q8_GROUP + j] = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
        }
    }
    return 0;
}

static void matvec_q8_ref(float *y, int ldy, const float *x, int n, const void *w, int k, int r0, int r1) {
    for (int r = r0; r < r1; r++) {
        const uint16_t *d = qs_q8_scales(w, k, r);
        const int8_t *q = qs_q8_quants(w, k, r);
        for (int t = 0; t < n; t++) {
            const float *xt = x + (size_t)t * k;
            float acc = 0.0f;
            for (int j = 0; j < k; j++) acc += xt[j] * (qs_f16_to_f32(d[j / QS_Q8_GROUP]) * (float)q[j]);
            y[(size_t)t * ldy + r] = acc;
        }
    }
}

size_t qs_q8_pack_size(int n, int k) {
    return (size_t)n * k * sizeof(int16_t) + (size_t)n * (k / QS_Q8_GROUP) * sizeof(float);
}

void qs_q8_pack_x(void *xp, const float *x, int n, int k) {
    const int nb = k / QS_Q8_GROUP;
    int16_t *q = xp;
    float *d = (float *)(q + (size_t)n * k);
    for (int t = 0; t < n; t++)
        for (int b = 0; b < nb; b++) {
            const float *s = x + (size_t)t * k + b * QS_Q8_GROUP;
            float amax = 0;
            for (int j = 0; j < QS_Q8_GROUP; j++) amax = fmaxf(amax, fabsf(s[j]));
            const float dd = amax / 32767.0f, id = dd > 0 ? 1.0f / dd : 0.0f;
            d[(size_t)t * nb + b] = dd;
            for (int j = 0; j < QS_Q8_GROUP; j++) {
                long v = lrintf(s[j] * id);
                q[(size_t)t * k + b * QS_Q8_GROUP + j] = (int16_t)(v > 32767 ? 32767 : v < -32767 ? -32767 : v);
            }
        }
}

void qs_matvec_q8p_ref(float *y, int ldy, const void *xp, int n, const void *w, int k, int r0, int r1) {
    const int nb = k / QS_Q8_GROUP;
    const int16_t *xq = xp;
    const float *dx = (const float *)(xq + (size_t)n * k);
    for (int r = r0; r < r1; r++) {
        const uint16_t *d = qs_q8_scales(w, k, r);
        const int8_t *q = qs_q8_quants(w, k, r);
        for (int t = 0; t < n; t++) {
            float acc = 0.0f;
            for (int b = 0; b < nb; b++) {
                int32_t s = 0;
                for (int j = b * QS_Q8_GROUP; j < (b + 1) * QS_Q8_GROUP; j++) s += q[j] * xq[(size_t)t * k + j];
                acc += (float)s * (qs_f16_to_f32(d[b]) * dx[(size_t)t * nb + b]);
            }
            y[(size_t)t * ldy + r] = acc;
        }
    }
}

static void rows_q8_ref(float *dst, const void *w, int k, int r0, int r1) {
    for (int r = r0; r < r1; r++) {
        const uint16_t *d = qs_q8_scales(w, k, r);
        const int8_t *q = qs_q8_quants(w, k, r);
        for (int j = 0; j < k; j++) dst[(size_t)(r - r0) * k + j] = qs_f16_to_f32(d[j / QS_Q8_GROUP]) * (float)q[j];
    }
}

#define ID(v) (v)
DEFINE_MATVEC_REF(matvec_f32_ref, float, ID)
DEFINE_MATVEC_REF(matvec_f16_ref, uint16_t, qs_f16_to_f32)
DEFINE_MATVEC_REF(matvec_bf16_ref, uint16_t, qs_bf16_to_f32)

static void rmsnorm_ref(float *out, const float *x, const float *weight, int dim, float eps) {
    double ss = 0;
    for (int i = 0; i < dim; i++) ss += (double)x[i] * x[i];
    float inv = 1.0f / sqrtf((float)(ss / dim) + eps);
    for (int i = 0; i < dim; i++) out[i] = weight[i] * (x[i] * inv);
}

static void swiglu_ref(float *h, const float *g, const float *u, size_t n) {
    for (size_t i = 0; i < n; i++) h[i] = g[i] / (1.0f + expf(-g[i])) * u[i];
}

static void add_ref(float *y, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] += x[i];
}

static void attn_ref(float *out, const float *q, const float *k, const float *v, int ld, int n_pos, int hd,
                     float scale, float *s) {
    float mx = -INFINITY;
    for (int j = 0; j < n_pos; j++) {
        const float *kj = k + (size_t)j * ld;
        float d = 0;
        for (int i = 0; i < hd; i++) d += q[i] * kj[i];
        s[j] = d * scale;
        if (s[j] > mx) mx = s[j];
    }
    float sum = 0;
    for (int j = 0; j < n_pos; j++) sum += (s[j] = expf(s[j] - mx));
    float inv = 1.0f / sum;
    for (int i = 0; i < hd; i++) out[i] = 0;
    for (int j = 0; j < n_pos; j++) {
        const float *vj = v + (size_t)j * ld;
        float p = s[j] * inv;
        for (int i = 0; i < hd; i++) out[i] += p * vj[i];
    }
}

static void rope_ref(float *x, int n_heads, int hd, const float *cs, const float *sn) {
    const int hd2 = hd / 2;
    for (int h = 0; h < n_heads; h++, x += hd) {
        for (int i = 0; i < hd2; i++) {
            float x1 = x[i], x2 = x[i + hd2];
            x[i] = x1 * cs[i] - x2 * sn[i];
            x[i + hd2] = x2 * cs[i] + x1 * sn[i];
        }
    }
}

void qs_kernels_init_ref(qs_kernels *k) {
    memset(k, 0, sizeof *k);
    k->matvec[QS_DTYPE_F32] = matvec_f32_ref;
    k->matvec[QS_DTYPE_F16] = matvec_f16_ref;
    k->matvec[QS_DTYPE_BF16] = matvec_bf16_ref;
    k->rows_to_f32[QS_DTYPE_F32] = rows_f32_ref;
    k->rows_to_f32[QS_DTYPE_F16] = rows_f16_ref;
    k->rows_to_f32[QS_DTYPE_BF16] = rows_bf16_ref;
    k->matvec[QS_DTYPE_Q8] = matvec_q8_ref;
    k->rows_to_f32[QS_DTYPE_Q8] = rows_q8_ref;
    k->rmsnorm = rmsnorm_ref;
    k->swiglu = swiglu_ref;
    k->add = add_ref;
    k->attn = attn_ref;
    k->rope = rope_ref;
    k->name = "ref";
}
