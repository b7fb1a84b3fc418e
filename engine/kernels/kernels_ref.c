/*
 * kernels_ref.c - portable scalar reference kernels: the specification every
 * SIMD level is tested against. Plain loops, float32 accumulation.
 * Never compiled with -ffast-math.
 */
#include <string.h>

#include "fp16.h"
#include "kernels.h"

static void rows_to_f32_ref(float *dst, const void *w, int k, int r0, int r1, qs_dtype dt) {
    size_t es = qs_dtype_size(dt);
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

void qs_kernels_init_ref(qs_kernels *k) {
    k->matvec[QS_DTYPE_F32] = matvec_f32_ref;
    k->matvec[QS_DTYPE_F16] = matvec_f16_ref;
    k->matvec[QS_DTYPE_BF16] = matvec_bf16_ref;
    k->rows_to_f32[QS_DTYPE_F32] = rows_f32_ref;
    k->rows_to_f32[QS_DTYPE_F16] = rows_f16_ref;
    k->rows_to_f32[QS_DTYPE_BF16] = rows_bf16_ref;
    k->name = "ref";
}
