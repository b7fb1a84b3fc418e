/*
 * kernels_avx512.c - AVX-512 (F, BW, VL) kernels, 16 float32 lanes; compiled
 * with those flags only in this file (its own static_library). The bodies are
 * in kernels_simd.inc; see there for the algorithms and error bounds.
 *
 * BF16 weights are widened to float32 exactly (zero-extend, shift left 16), so
 * activations stay float32: no AVX512_BF16 dot product, which would round the
 * activations to bf16 (see bench/README.md for the measured effect).
 */
#include <immintrin.h>
#include <math.h>

#include "fp16.h"
#include "kernels.h"

typedef __m512 vf;
#define VL 16
#define KNAME(x) x##_avx512

static inline vf vzero(void) { return _mm512_setzero_ps(); }
static inline vf vset1(float s) { return _mm512_set1_ps(s); }
static inline vf vload(const float *p) { return _mm512_loadu_ps(p); }
static inline void vstore(float *p, vf v) { _mm512_storeu_ps(p, v); }
static inline vf vadd(vf a, vf b) { return _mm512_add_ps(a, b); }
static inline vf vsub(vf a, vf b) { return _mm512_sub_ps(a, b); }
static inline vf vmul(vf a, vf b) { return _mm512_mul_ps(a, b); }
static inline vf vdiv(vf a, vf b) { return _mm512_div_ps(a, b); }
static inline vf vmax(vf a, vf b) { return _mm512_max_ps(a, b); }
static inline vf vmin(vf a, vf b) { return _mm512_min_ps(a, b); }
static inline vf vfma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
static inline float vhsum(vf v) {
    __m256 s = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
    __m128 t = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    t = _mm_add_ps(t, _mm_movehl_ps(t, t));
    t = _mm_add_ss(t, _mm_movehdup_ps(t));
    return _mm_cvtss_f32(t);
}
static inline vf vround(vf v) { return _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
static inline vf vpow2i(vf n) {
    __m512i e = _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127));
    return _mm512_castsi512_ps(_mm512_slli_epi32(e, 23));
}
static inline vf vld_f32(const float *p) { return _mm512_loadu_ps(p); }
static inline vf vld_f16(const uint16_t *p) { return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p)); }
static inline vf vld_bf16(const uint16_t *p) {
    __m512i v = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)p));
    return _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));
}
static inline vf vld_q8(const int8_t *p) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)p)));
}
/* One block: 32 int8 weights times 32 int16 inputs, as VL float32 lanes that sum to the exact
 * integer dot product (each lane holds 2 products, |sum| < 2^24, so the conversion is exact). */
#define QS_HAVE_VDOT_Q8 1
static inline vf vdot_q8_i16(const int8_t *q, const int16_t *x) {
    __m512i w = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)q));
    return _mm512_cvtepi32_ps(_mm512_madd_epi16(w, _mm512_loadu_si512(x)));
}

#include "kernels_simd.inc"

void qs_kernels_init_avx512(qs_kernels *k) {
    KNAME(fill_table)(k);
    k->name = "avx512";
}
