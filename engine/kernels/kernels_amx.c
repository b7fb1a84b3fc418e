/*
 * kernels_amx.c - BF16-weight matrix x matrix products on Intel AMX tiles
 * (AMX-TILE + AMX-BF16), for prefill and batched decode. Compiled with those
 * flags only in this file.
 *
 * Algorithm. Y[t, r] = sum_j X[t, j] * W[r, j], W in BF16 [rows, k], X float32.
 * AMX multiplies BF16 by BF16 with float32 accumulation, so X is split into
 * three BF16 terms, X = hi + mid + lo (hi = bf16(X), mid = bf16(X - hi),
 * lo = bf16(X - hi - mid), each rounded to nearest even): hi + mid + lo equals
 * X to about 2^-24 relative, every product with a BF16 weight is exact in
 * float32, and the three products accumulate into the same float32 tiles.
 * So activations are NOT rounded to BF16: results match the float32 reference
 * up to summation order, like the SIMD matvec (tests/test_forward.c checks
 * this level against PyTorch at the same 2e-5 tolerance). The cost is 3x the
 * tile multiplies, which AMX has to spare: the products stay memory- or
 * packing-bound.
 *
 * Layout. The weight tile (A, 16 rows x 32 k of BF16) is loaded straight
 * from the row-major weights with stride k*2: no repacking of weights.
 * The activations are packed once per matmul (qs_k.gemm_pack) into B tiles
 * in the VNNI layout AMX wants: for each split, token tile (16 tokens) and
 * pair of k, the 16 tokens' (x[2kk], x[2kk+1]) BF16 pairs, i.e. a 16x16
 * transpose of the token rows viewed as uint32. Tokens past n are zero.
 * C tiles hold 16 weight rows x 16 tokens and are transposed into y on store.
 *
 * Requirements: k % 32 == 0; rows handled in multiples of 16 (the caller
 * does the remainder with matvec). The OS must grant the tile state
 * (arch_prctl ARCH_REQ_XCOMP_PERM, done by cpu.c before this level is used).
 */
#include <immintrin.h>
#include <string.h>

#include "kernels.h"

#define N_SPLIT 3

typedef struct {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} __attribute__((packed)) tile_config;

/* tmm0..3: C (row tile a, token tile b) = tmm(2a+b); tmm4,5: A row tiles; tmm6,7: B token tiles */
static void load_config(void) {
    tile_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.palette = 1;
    for (int i = 0; i < 8; i++) cfg.colsb[i] = 64, cfg.rows[i] = 16;
    _tile_loadconfig(&cfg);
}

static size_t pack_size_amx(int n, int k) {
    const size_t ntt = (size_t)(n + 15) / 16;
    return (size_t)N_SPLIT * ntt * (size_t)k * 16 * sizeof(uint16_t);
}

/* Split 16 floats into hi/mid/lo BF16 (round to nearest even each). */
static inline void split3(const float *x, uint16_t *hi, uint16_t *mid, uint16_t *lo) {
    __m512 v = _mm512_loadu_ps(x);
    __m256bh h = _mm512_cvtneps_pbh(v);
    __m512 hf = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32((__m256i)h), 16));
    __m512 r1 = _mm512_sub_ps(v, hf);
    __m256bh m = _mm512_cvtneps_pbh(r1);
    __m512 mf = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32((__m256i)m), 16));
    __m256bh l = _mm512_cvtneps_pbh(_mm512_sub_ps(r1, mf));
    _mm256_storeu_si256((__m256i *)hi, (__m256i)h);
    _mm256_storeu_si256((__m256i *)mid, (__m256i)m);
    _mm256_storeu_si256((__m256i *)lo, (__m256i)l);
}

/* Pack token tiles tt0..tt1 of x [n, k] (see the layout above) into xp. */
static void pack_amx(void *xp, const float *x, int n, int k, int tt0, int tt1) {
    const int ntt = (n + 15) / 16, kk_n = k / 2;
    uint16_t *rows = _mm_malloc((size_t)N_SPLIT * 16 * k * sizeof(uint16_t), 64); /* [split][16 tokens][k] */
    uint32_t *out = xp;
    for (int tt = tt0; tt < tt1; tt++) {
        for (int t = 0; t < 16; t++) {
            const int tok = tt * 16 + t;
            uint16_t *h = rows + (size_t)t * k, *m = rows + ((size_t)16 + t) * k, *l = rows + ((size_t)32 + t) * k;
            if (tok >= n) {
                memset(h, 0, (size_t)k * 2), memset(m, 0, (size_t)k * 2), memset(l, 0, (size_t)k * 2);
                continue;
            }
            for (int j = 0; j < k; j += 16) split3(x + (size_t)tok * k + j, h + j, m + j, l + j);
        }
        for (int s = 0; s < N_SPLIT; s++) {
            const uint32_t *src = (const uint32_t *)(rows + (size_t)s * 16 * k); /* [16 tokens][kk_n] */
            uint32_t *dst = out + ((size_t)s * ntt + tt) * (size_t)kk_n * 16;   /* [kk_n][16 tokens] */
            for (int kk = 0; kk < kk_n; kk += 16) {
                /* 16 x 16 transpose of uint32 */
                for (int t = 0; t < 16; t++) {
                    __m512i v = _mm512_loadu_si512(src + (size_t)t * kk_n + kk);
                    _mm512_i32scatter_epi32(dst + (size_t)kk * 16 + t,
                                            _mm512_setr_epi32(0, 16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176,
                                                              192, 208, 224, 240),
                                            v, 4);
                }
            }
        }
    }
    _mm_free(rows);
}

/* Store C tile (16 rows r.. x 16 tokens t0..) transposed into y[t*ldy + r], tokens < n only. */
static inline void store_c(float *y, int ldy, int r, int t0, int n, const float *c) {
    const int nt = n - t0 < 16 ? n - t0 : 16;
    for (int a = 0; a < 16; a++)
        for (int t = 0; t < nt; t++) y[(size_t)(t0 + t) * ldy + r + a] = c[a * 16 + t];
}

/*
 * Rows r0..r1 (r1 - r0 a multiple of 16) of y = x . W^T for the packed x. Blocks of 32 rows (2 A
 * tiles) x 32 tokens (2 B tiles) share every tile load; a lone 16-row or 16-token block uses half.
 */
static void gemm_bf16_amx(float *y, int ldy, const void *xp, int n, const void *w, int k, int r0, int r1) {
    const uint16_t *W = w;
    const uint16_t *X = xp;
    const int ntt = (n + 15) / 16, kk_n = k / 2;
    const size_t split_stride = (size_t)ntt * kk_n * 32; /* uint16 per split */
    float c[16 * 16] __attribute__((aligned(64)));
    load_config();
    for (int r = r0; r < r1; r += 32) {
        const int two_r = r + 32 <= r1;
        const uint16_t *a0 = W + (size_t)r * k, *a1 = a0 + (size_t)16 * k;
        for (int tt = 0; tt < ntt; tt += 2) {
            const int two_t = tt + 2 <= ntt;
            _tile_zero(0);
            _tile_zero(1);
            _tile_zero(2);
            _tile_zero(3);
            for (int j = 0; j < k; j += 32) {
                _tile_loadd(4, a0 + j, k * 2);
                if (two_r) _tile_loadd(5, a1 + j, k * 2);
                for (int s = 0; s < N_SPLIT; s++) {
                    const uint16_t *b = X + s * split_stride + ((size_t)tt * kk_n + j / 2) * 32;
                    _tile_loadd(6, b, 64);
                    _tile_dpbf16ps(0, 4, 6);
                    if (two_r) _tile_dpbf16ps(2, 5, 6);
                    if (two_t) {
                        _tile_loadd(7, b + (size_t)kk_n * 32, 64);
                        _tile_dpbf16ps(1, 4, 7);
                        if (two_r) _tile_dpbf16ps(3, 5, 7);
                    }
                }
            }
            _tile_stored(0, c, 64);
            store_c(y, ldy, r, tt * 16, n, c);
            if (two_t) {
                _tile_stored(1, c, 64);
                store_c(y, ldy, r, tt * 16 + 16, n, c);
            }
            if (two_r) {
                _tile_stored(2, c, 64);
                store_c(y, ldy, r + 16, tt * 16, n, c);
                if (two_t) {
                    _tile_stored(3, c, 64);
                    store_c(y, ldy, r + 16, tt * 16 + 16, n, c);
                }
            }
        }
    }
    _tile_release();
}

void qs_kernels_init_amx(qs_kernels *k) {
    k->gemm[QS_DTYPE_BF16] = gemm_bf16_amx;
    k->gemm_pack = pack_amx;
    k->gemm_pack_size = pack_size_amx;
    k->gemm_k_align = 32;
    k->gemm_row_align = 16;
    k->name = "amx";
}
