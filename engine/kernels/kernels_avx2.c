/*
 * kernels_avx2.c - AVX2 + FMA + F16C kernels (compiled with those flags only
 * in this file). Same results as kernels_ref.c up to float32 summation order.
 *
 * matvec: for each weight row, the row is converted to float32 8 lanes at a
 * time and multiplied into up to 4 input vectors at once, so each weight byte
 * is read from memory once per call, whatever n is.
 */
#include <immintrin.h>

#include "fp16.h"
#include "kernels.h"

static inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline __m256 load8_f32(const float *p) { return _mm256_loadu_ps(p); }
static inline __m256 load8_f16(const uint16_t *p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)); }
static inline __m256 load8_bf16(const uint16_t *p) {
    __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
}

#define DEFINE_MATVEC(NAME, TYPE, LOAD8, CONV)                                                   \
    static void NAME(float *y, int ldy, const float *x, int n, const void *w, int k, int r0, int r1) { \
        const TYPE *W = w;                                                                       \
        const int k8 = k & ~7;                                                                   \
        for (int r = r0; r < r1; r++) {                                                          \
            const TYPE *row = W + (size_t)r * k;                                                 \
            int t = 0;                                                                           \
            for (; t + 4 <= n; t += 4) {                                                         \
                const float *x0 = x + (size_t)t * k, *x1 = x0 + k, *x2 = x1 + k, *x3 = x2 + k;   \
                __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;                      \
                for (int j = 0; j < k8; j += 8) {                                                \
                    __m256 wv = LOAD8(row + j);                                                  \
                    a0 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x0 + j), a0);                       \
                    a1 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x1 + j), a1);                       \
                    a2 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x2 + j), a2);                       \
                    a3 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x3 + j), a3);                       \
                }                                                                                \
                float s0 = hsum8(a0), s1 = hsum8(a1), s2 = hsum8(a2), s3 = hsum8(a3);            \
                for (int j = k8; j < k; j++) {                                                   \
                    float wj = CONV(row[j]);                                                     \
                    s0 += wj * x0[j], s1 += wj * x1[j], s2 += wj * x2[j], s3 += wj * x3[j];      \
                }                                                                                \
                y[(size_t)t * ldy + r] = s0;                                                     \
                y[(size_t)(t + 1) * ldy + r] = s1;                                               \
                y[(size_t)(t + 2) * ldy + r] = s2;                                               \
                y[(size_t)(t + 3) * ldy + r] = s3;                                               \
            }                                                                                    \
            for (; t < n; t++) {                                                                 \
                const float *x0 = x + (size_t)t * k;                                             \
                __m256 a0 = _mm256_setzero_ps(), a1 = a0;                                        \
                int j = 0;                                                                       \
                for (; j + 16 <= k8; j += 16) {                                                  \
                    a0 = _mm256_fmadd_ps(LOAD8(row + j), _mm256_loadu_ps(x0 + j), a0);          \
                    a1 = _mm256_fmadd_ps(LOAD8(row + j + 8), _mm256_loadu_ps(x0 + j + 8), a1);  \
                }                                                                                \
                for (; j < k8; j += 8) a0 = _mm256_fmadd_ps(LOAD8(row + j), _mm256_loadu_ps(x0 + j), a0); \
                float s0 = hsum8(_mm256_add_ps(a0, a1));                                         \
                for (; j < k; j++) s0 += CONV(row[j]) * x0[j];                                   \
                y[(size_t)t * ldy + r] = s0;                                                     \
            }                                                                                    \
        }                                                                                        \
    }

#define ID(v) (v)
DEFINE_MATVEC(matvec_f32_avx2, float, load8_f32, ID)
DEFINE_MATVEC(matvec_f16_avx2, uint16_t, load8_f16, qs_f16_to_f32)
DEFINE_MATVEC(matvec_bf16_avx2, uint16_t, load8_bf16, qs_bf16_to_f32)

#define DEFINE_ROWS(NAME, TYPE, LOAD8, CONV)                                 \
    static void NAME(float *dst, const void *w, int k, int r0, int r1) {     \
        const TYPE *W = w;                                                   \
        for (int r = r0; r < r1; r++) {                                      \
            const TYPE *row = W + (size_t)r * k;                             \
            float *d = dst + (size_t)(r - r0) * k;                           \
            int j = 0;                                                       \
            for (; j + 8 <= k; j += 8) _mm256_storeu_ps(d + j, LOAD8(row + j)); \
            for (; j < k; j++) d[j] = CONV(row[j]);                          \
        }                                                                    \
    }
DEFINE_ROWS(rows_f16_avx2, uint16_t, load8_f16, qs_f16_to_f32)
DEFINE_ROWS(rows_bf16_avx2, uint16_t, load8_bf16, qs_bf16_to_f32)

void qs_kernels_init_avx2(qs_kernels *k) {
    k->matvec[QS_DTYPE_F32] = matvec_f32_avx2;
    k->matvec[QS_DTYPE_F16] = matvec_f16_avx2;
    k->matvec[QS_DTYPE_BF16] = matvec_bf16_avx2;
    k->rows_to_f32[QS_DTYPE_F16] = rows_f16_avx2;
    k->rows_to_f32[QS_DTYPE_BF16] = rows_bf16_avx2;
    k->name = "avx2";
}
