/*
 * kernels.h - the table of compute kernels, chosen at run time from CPU features.
 *
 * Every entry has a portable scalar reference in kernels_ref.c: that is the
 * specification, and tests (tests/test_kernels.c) compare each SIMD level
 * against it. qs_kernels_init() fills the table with the reference entries,
 * then overrides them with the best level the CPU supports (and the mask
 * allows), in an early-return ladder: ref, then AVX2+FMA+F16C, then AVX-512
 * (x86-64), or NEON (AArch64).
 *
 * All kernels take float32 activations and produce float32 results; weights
 * stay in their stored dtype. No kernel rounds activations to a narrower type.
 */
#ifndef QS_KERNELS_H
#define QS_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "safetensors.h"

/* CPU feature levels, each implying the ones before it. */
enum {
    QS_CPU_AVX2 = 1 << 0,   /* AVX2 + FMA + F16C */
    QS_CPU_AVX512 = 1 << 1, /* AVX-512 F/BW/VL/DQ (+BF16 reported separately) */
    QS_CPU_AVX512BF16 = 1 << 2,
    QS_CPU_NEON = 1 << 3,
    QS_CPU_AMX = 1 << 4,    /* AMX-TILE + AMX-BF16 with AVX512-BF16, tile state granted by the OS */
};

/*
 * 8-bit weights (`--weights q8`), made at load from BF16/F16/F32 by engine/quant.c. A row of k
 * weights (k a multiple of QS_Q8_GROUP) is k/32 fp16 scales followed by its k int8 values:
 *     uint16_t d[k/32];  int8_t q[k];        weight j = f16(d[j/32]) * q[j]
 * with d = max|w| / 127 over each group of 32 (rounded to fp16) and q = round(w / d). That is
 * 34 bytes per 32 weights (1.0625 B/weight), the bits of llama.cpp's Q8_0, arranged so that a
 * kernel reads each row as one sequential stream: a row's scales, then its quants in whole
 * vectors (no 34-byte blocks straddling vector loads). QS_DTYPE_Q8 extends qs_dtype inside the
 * engine only (safetensors never holds it).
 */
#define QS_Q8_GROUP 32
#define QS_DTYPE_Q8 ((qs_dtype)QS_DTYPE_COUNT)
#define QS_KDTYPES (QS_DTYPE_COUNT + 1) /* table size: the safetensors dtypes + Q8 */

/* Bytes of one row of `cols` weights stored as dt (Q8: 34 bytes per 32 weights). */
static inline size_t qs_row_bytes(qs_dtype dt, int cols) {
    return dt == QS_DTYPE_Q8 ? (size_t)cols + (size_t)cols / QS_Q8_GROUP * sizeof(uint16_t)
                             : (size_t)cols * qs_dtype_size(dt);
}
/* Row r of an 8-bit matrix with k columns: its scales and its quants. */
static inline const uint16_t *qs_q8_scales(const void *w, int k, int r) {
    return (const uint16_t *)((const char *)w + (size_t)r * qs_row_bytes(QS_DTYPE_Q8, k));
}
static inline const int8_t *qs_q8_quants(const void *w, int k, int r) {
    return (const int8_t *)(qs_q8_scales(w, k, r) + k / QS_Q8_GROUP);
}

/* Quantize one row of k float32 weights (k % QS_Q8_GROUP == 0) into qs_row_bytes(QS_DTYPE_Q8, k)
 * bytes at dst (kernels_ref.c). Returns 0, or -1 when a group's scale is not a finite fp16
 * (a weight that is not finite or above 127 * 65504 in magnitude); dst is then incomplete. */
int qs_q8_quantize_row(void *dst, const float *src, int k);

/*
 * Decode fast path for 8-bit weights: the n input vectors are first packed once per matmul
 * (qs_q8_pack_x) as int16 per block of 32 with a float scale each (x ~= dx * xq, dx = max|x| / 32767
 * over the block, so the rounding error is at most 1/65534 of the block's largest |x|, ~250x
 * below the weights' own 8-bit rounding). matvec_q8p then forms each block's dot product in
 * exact integer arithmetic and adds it times d * dx in float32. The layout of xp is
 * int16 xq[n][k] followed by float dx[n][k/32]; qs_q8_pack_size(n, k) bytes.
 */
size_t qs_q8_pack_size(int n, int k);
void qs_q8_pack_x(void *xp, const float *x, int n, int k);
/* The scalar spec of matvec_q8p (tests compare the SIMD levels with it). */
void qs_matvec_q8p_ref(float *y, int ldy, const void *xp, int n, const void *w, int k, int r0, int r1);

/*
 * Matrix times vectors, rows r0..r1 of W:
 *   y[t*ldy + r] = sum_j x[t*k + j] * W[r*k + j]   for t < n, r0 <= r < r1
 * x: [n, k] float32; W: [rows, k] in the kernel's dtype; y: [n, ldy].
 * Reads each weight row once for all n vectors (batched decode).
 */
typedef void (*qs_matvec_fn)(float *y, int ldy, const float *x, int n, const void *w, int k, int r0, int r1);

/* dst[i*k + j] = float(W[(r0+i)*k + j]) for r0 <= r < r1: weight rows to float32 (for SGEMM). */
typedef void (*qs_rows_to_f32_fn)(float *dst, const void *w, int k, int r0, int r1);

/* Qwen2RMSNorm of one row: out[i] = weight[i] * (x[i] / sqrt(mean(x^2) + eps)), i < dim.
 * out may equal x. */
typedef void (*qs_rmsnorm_fn)(float *out, const float *x, const float *weight, int dim, float eps);

/* SwiGLU: h[i] = silu(g[i]) * u[i] = g[i] / (1 + exp(-g[i])) * u[i], i < n. h may equal g. */
typedef void (*qs_swiglu_fn)(float *h, const float *g, const float *u, size_t n);

/* y[i] += x[i], i < n (residual adds). */
typedef void (*qs_add_fn)(float *y, const float *x, size_t n);

/*
 * Attention of one query head over n_pos cached positions (causal masking is
 * the caller's choice of n_pos):
 *   s[j] = scale * dot(q, k + j*ld), p = softmax(s), out[i] = sum_j p[j] * v[j*ld + i]
 * q, out: [hd]; k, v: n_pos rows of hd floats, ld floats apart; s: scratch [n_pos].
 */
typedef void (*qs_attn_fn)(float *out, const float *q, const float *k, const float *v, int ld, int n_pos, int hd,
                           float scale, float *s);

/* NEOX RoPE (HF rotate_half) on n_heads heads of hd floats at x, pairs (i, i + hd/2) rotated by
 * cos/sin [hd/2]: x[i] = x1*c - x2*s, x[i+hd/2] = x2*c + x1*s. */
typedef void (*qs_rope_fn)(float *x, int n_heads, int hd, const float *cs, const float *sn);

/*
 * Optional matrix x matrix product for n >= 2 inputs (prefill, batched decode), rows r0..r1 of W:
 *   y[t*ldy + r] = sum_j x[t*k + j] * W[r*k + j]
 * on inputs first packed by gemm_pack (one buffer of gemm_pack_size(n, k) bytes per matmul, shared
 * by the threads; pack covers token tiles tt0..tt1 of 16 tokens, so threads can split it).
 * Only used when k % gemm_k_align == 0; r1 - r0 must be a multiple of gemm_row_align (the caller
 * does the remaining rows with matvec). NULL entries: no such kernel at this level.
 */
typedef void (*qs_gemm_fn)(float *y, int ldy, const void *xp, int n, const void *w, int k, int r0, int r1);
typedef void (*qs_gemm_pack_fn)(void *xp, const float *x, int n, int k, int tt0, int tt1);
typedef size_t (*qs_gemm_pack_size_fn)(int n, int k);

typedef struct {
    qs_matvec_fn matvec[QS_KDTYPES];          /* F32, F16, BF16, Q8 entries */
    qs_rows_to_f32_fn rows_to_f32[QS_KDTYPES];
    qs_rmsnorm_fn rmsnorm;
    qs_swiglu_fn swiglu;
    qs_add_fn add;
    qs_attn_fn attn;
    qs_rope_fn rope;
    qs_gemm_fn gemm[QS_KDTYPES];
    qs_gemm_fn matvec_q8p;                        /* Q8 weights x packed int16 inputs; NULL: use matvec */
    qs_gemm_pack_fn gemm_pack;
    qs_gemm_pack_size_fn gemm_pack_size;
    int gemm_k_align, gemm_row_align;
    const char *name;                             /* "ref", "avx2", ... */
} qs_kernels;

/* The active table (filled by qs_kernels_init). */
extern qs_kernels qs_k;

/* Detected CPU features (QS_CPU_* bits). */
unsigned qs_cpu_flags(void);
/* Fill qs_k using the CPU features ANDed with `mask` (~0u = all; 0 = reference only). */
void qs_kernels_init(unsigned mask);
/* Fill `k` for exactly one level (for tests); returns 0 if that level is unavailable here. */
int qs_kernels_for_level(qs_kernels *k, unsigned level);

/* Reference (scalar) entries and the per-ISA installers. */
void qs_kernels_init_ref(qs_kernels *k);
void qs_kernels_init_avx2(qs_kernels *k);
void qs_kernels_init_avx512(qs_kernels *k);
void qs_kernels_init_neon(qs_kernels *k);
void qs_kernels_init_amx(qs_kernels *k);

#endif
