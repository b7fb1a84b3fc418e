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
    k->rmsnorm = rmsnorm_ref;
    k->swiglu = swiglu_ref;
    k->add = add_ref;
    k->attn = attn_ref;
    k->rope = rope_ref;
    k->name = "ref";
}
