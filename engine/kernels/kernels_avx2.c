/*
 * kernels_avx2.c - AVX2 + FMA + F16C kernels, 8 float32 lanes; compiled with
 * those flags only in this file (its own static_library). The bodies are in
 * kernels_simd.inc; see there for the algorithms and error bounds.
 */
#include <immintrin.h>
#include <math.h>

#include "fp16.h"
#include "kernels.h"

typedef __m256 vf;
#define VL 8
#define KNAME(x) x##_avx2

static inline vf vzero(void) { return _mm256_setzero_ps(); }
static inline vf vset1(float s) { return _mm256_set1_ps(s); }
static inline vf vload(const float *p) { return _mm256_loadu_ps(p); }
static inline void vstore(float *p, vf v) { _mm256_storeu_ps(p, v); }
static inline vf vadd(vf a, vf b) { return _mm256_add_ps(a, b); }
static inline vf vsub(vf a, vf b) { return _mm256_sub_ps(a, b); }
static inline vf vmul(vf a, vf b) { return _mm256_mul_ps(a, b); }
static inline vf vdiv(vf a, vf b) { return _mm256_div_ps(a, b); }
static inline vf vmax(vf a, vf b) { return _mm256_max_ps(a, b); }
static inline vf vmin(vf a, vf b) { return _mm256_min_ps(a, b); }
static inline vf vfma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
static inline float vhsum(vf v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
static inline vf vround(vf v) { return _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
static inline vf vpow2i(vf n) {
    __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
    return _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
}
static inline vf vld_f32(const float *p) { return _mm256_loadu_ps(p); }
static inline vf vld_f16(const uint16_t *p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)); }
static inline vf vld_bf16(const uint16_t *p) {
    __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
}
static inline vf vld_q8(const int8_t *p) {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p)));
}
/* One block: 32 int8 weights times 32 int16 inputs, as VL float32 lanes that sum to the exact
 * integer dot product (each lane holds 4 products, |sum| <= 4 * 127 * 32767 < 2^24: exact). */
#define QS_HAVE_VDOT_Q8 1
static inline vf vdot_q8_i16(const int8_t *q, const int16_t *x) {
    __m256i w0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)q));
    __m256i w1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(q + 16)));
    __m256i p = _mm256_add_epi32(_mm256_madd_epi16(w0, _mm256_loadu_si256((const __m256i *)x)),
                                 _mm256_madd_epi16(w1, _mm256_loadu_si256((const __m256i *)(x + 16))));
    return _mm256_cvtepi32_ps(p);
}

#include "kernels_simd.inc"

void qs_kernels_init_avx2(qs_kernels *k) {
    KNAME(fill_table)(k);
    k->name = "avx2";
}
