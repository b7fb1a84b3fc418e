/*
 * test_kernels.c - checkasm-style tests of the kernel table: every entry at
 * every level this CPU (and build) has, against the scalar reference, on
 * random inputs with sizes that hit every tail path. Outputs are poisoned with
 * NaN first, so a kernel that skips an element fails.
 *
 * Tolerances (errors of a correct kernel are summation-order effects):
 *   matvec, gemm: |y - ref| <= 1e-5 * sum_j |x_j * w_j| (+1e-30) per output;
 *   elementwise ops (rmsnorm, swiglu, add, rope): NMSE <= 1e-7 per call and
 *     max relative error printed; attention: |out - ref| <= 1e-5 * max|v|.
 * Prints the worst error of each entry and level.
 *
 * usage: test_kernels [--bench]   (--bench: also time each entry, GB/s of weights)
 * Links only the kernels (no weights/ or common/ code), so the same source is
 * cross-compiled for AArch64 and run under qemu-user by tests/run-all.sh.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fp16.h"
#include "kernels.h"
#include "test_util.h"

static uint64_t rng = 0x1234567887654321ull;
static float frand(void) { /* uniform in [-1, 1) */
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (float)((rng >> 40) & 0xffffff) / 8388608.0f - 1.0f;
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) abort();
    return p;
}

static void poison(float *p, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = NAN;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Random weights [rows, k] in dtype dt, and their float32 values. */
static void *make_weights(qs_dtype dt, int rows, int k, float *wf) {
    size_t n = (size_t)rows * k;
    if (dt == QS_DTYPE_Q8) {
        char *q = xmalloc((size_t)rows * qs_row_bytes(QS_DTYPE_Q8, k));
        for (size_t i = 0; i < n; i++) wf[i] = frand();
        for (int r = 0; r < rows; r++)
            CHECK(qs_q8_quantize_row(q + (size_t)r * qs_row_bytes(QS_DTYPE_Q8, k), wf + (size_t)r * k, k) == 0,
                  "q8 quantize of finite weights failed");
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < k; j++)
                wf[(size_t)r * k + j] = qs_f16_to_f32(qs_q8_scales(q, k, r)[j / QS_Q8_GROUP]) * (float)qs_q8_quants(q, k, r)[j];
        return q;
    }
    void *w = xmalloc(n * (dt == QS_DTYPE_F32 ? 4 : 2));
    for (size_t i = 0; i < n; i++) {
        float v = frand();
        if (dt == QS_DTYPE_F32) ((float *)w)[i] = v, wf[i] = v;
        else if (dt == QS_DTYPE_BF16) ((uint16_t *)w)[i] = qs_f32_to_bf16(v), wf[i] = qs_bf16_to_f32(((uint16_t *)w)[i]);
        else {
            /* F16 by truncating a float in range: exponent rebias, mantissa >> 13 */
            uint32_t u;
            memcpy(&u, &v, 4);
            uint16_t h = (uint16_t)(((u >> 16) & 0x8000) | ((((u >> 23) & 0xff) - 112) << 10) | ((u >> 13) & 0x3ff));
            if (fabsf(v) < 6.2e-5f) h = 0;
            ((uint16_t *)w)[i] = h, wf[i] = qs_f16_to_f32(h);
        }
    }
    return w;
}

static const char *DT_NAME[] = {"f32", "f16", "bf16", "?", "?", "q8"};

/* ------------------------------------------------------------ matvec and gemm */

/* mode: MM_MATVEC (K->matvec), MM_GEMM (K->gemm on K->gemm_pack'd x), MM_Q8P (K->matvec_q8p on
 * qs_q8_pack_x'd x, against its scalar spec qs_matvec_q8p_ref; that spec's int16 rounding of x must
 * stay within 1e-4 of sum|x*w| of the float reference). Returns the worst error against the spec. */
enum { MM_MATVEC, MM_GEMM, MM_Q8P };
static double check_matmul(const qs_kernels *K, const qs_kernels *R, qs_dtype dt, int n, int rows, int k, int r0, int r1,
                           int mode) {
    float *wf = xmalloc((size_t)rows * k * sizeof(float));
    void *w = make_weights(dt, rows, k, wf);
    float *x = xmalloc((size_t)n * k * sizeof(float));
    for (size_t i = 0; i < (size_t)n * k; i++) x[i] = frand();
    float *y = xmalloc((size_t)n * rows * sizeof(float)), *yr = xmalloc((size_t)n * rows * sizeof(float));
    poison(y, (size_t)n * rows), poison(yr, (size_t)n * rows);
    R->matvec[dt](yr, rows, x, n, w, k, r0, r1);
    void *xp = NULL;
    double worst_pack = 0;
    if (mode == MM_GEMM) {
        xp = xmalloc(K->gemm_pack_size(n, k));
        K->gemm_pack(xp, x, n, k, 0, (n + 15) / 16);
        K->gemm[dt](y, rows, xp, n, w, k, r0, r1);
    } else if (mode == MM_Q8P) {
        xp = xmalloc(qs_q8_pack_size(n, k));
        qs_q8_pack_x(xp, x, n, k);
        K->matvec_q8p(y, rows, xp, n, w, k, r0, r1);
        float *ys = xmalloc((size_t)n * rows * sizeof(float));
        qs_matvec_q8p_ref(ys, rows, xp, n, w, k, r0, r1);
        for (int t = 0; t < n; t++)
            for (int r = r0; r < r1; r++) {
                double mag = 1e-30;
                for (int j = 0; j < k; j++) mag += fabs((double)x[(size_t)t * k + j] * wf[(size_t)r * k + j]);
                worst_pack = fmax(worst_pack, fabs((double)ys[(size_t)t * rows + r] - yr[(size_t)t * rows + r]) / mag);
            }
        memcpy(yr, ys, (size_t)n * rows * sizeof(float)); /* the SIMD kernel is compared with the packed spec */
        free(ys);
    } else {
        K->matvec[dt](y, rows, x, n, w, k, r0, r1);
    }
    double worst = 0;
    int bad = 0;
    for (int t = 0; t < n; t++)
        for (int r = 0; r < rows; r++) {
            size_t i = (size_t)t * rows + r;
            if (r < r0 || r >= r1) {
                if (!isnan(y[i])) bad++; /* rows outside [r0, r1) must stay untouched */
                continue;
            }
            double mag = 1e-30;
            for (int j = 0; j < k; j++) mag += fabs((double)x[(size_t)t * k + j] * wf[(size_t)r * k + j]);
            double e = fabs((double)y[i] - yr[i]) / mag;
            if (!(e <= worst)) worst = e; /* NaN -> worst becomes NaN */
        }
    CHECK(bad == 0 && worst <= 1e-5, "[%s] %s %s n=%d rows=%d k=%d r=[%d,%d): err %.3g, %d written outside", K->name,
          mode == MM_GEMM ? "gemm" : mode == MM_Q8P ? "matvec_q8p" : "matvec", DT_NAME[dt], n, rows, k, r0, r1, worst, bad);
    CHECK(worst_pack <= 1e-4, "q8 int16 packing of x: err %.3g of sum|x*w| (n=%d k=%d)", worst_pack, n, k);
    free(wf), free(w), free(x), free(y), free(yr), free(xp);
    return worst;
}

/* ------------------------------------------------------------ elementwise */

static double nmse(const float *a, const float *b, size_t n) {
    double num = 0, den = 1e-30;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - b[i];
        num += d * d, den += (double)b[i] * b[i];
    }
    return num / den;
}

static double check_elementwise(const qs_kernels *K, const qs_kernels *R, int dim) {
    double worst = 0;
    float *x = xmalloc(dim * sizeof(float)), *wt = xmalloc(dim * sizeof(float)), *u = xmalloc(dim * sizeof(float));
    float *o = xmalloc(dim * sizeof(float)), *orf = xmalloc(dim * sizeof(float));
    for (int i = 0; i < dim; i++) x[i] = 8 * frand(), wt[i] = frand(), u[i] = frand();
    x[0] = -95.0f; /* exp() clamping region of swiglu */
    /* rmsnorm */
    poison(o, dim), poison(orf, dim);
    K->rmsnorm(o, x, wt, dim, 1e-6f), R->rmsnorm(orf, x, wt, dim, 1e-6f);
    double e = nmse(o, orf, dim);
    CHECK(e <= 1e-7, "[%s] rmsnorm dim=%d nmse %.3g", K->name, dim, e);
    worst = fmax(worst, e);
    /* swiglu */
    poison(o, dim), poison(orf, dim);
    K->swiglu(o, x, u, dim), R->swiglu(orf, x, u, dim);
    e = nmse(o, orf, dim);
    CHECK(e <= 1e-7, "[%s] swiglu n=%d nmse %.3g", K->name, dim, e);
    worst = fmax(worst, e);
    /* add */
    memcpy(o, x, dim * sizeof(float)), memcpy(orf, x, dim * sizeof(float));
    K->add(o, u, dim), R->add(orf, u, dim);
    e = nmse(o, orf, dim);
    CHECK(e == 0, "[%s] add n=%d nmse %.3g", K->name, dim, e);
    /* rope: dim as n_heads * hd for hd = 2 * (dim / 2) when dim is even */
    if (dim % 2 == 0) {
        const int hd = dim >= 64 && dim % 64 == 0 ? 64 : dim, nh = dim / hd;
        float *cs = xmalloc(hd / 2 * sizeof(float)), *sn = xmalloc(hd / 2 * sizeof(float));
        for (int i = 0; i < hd / 2; i++) cs[i] = cosf(0.3f * i), sn[i] = sinf(0.3f * i);
        memcpy(o, x, dim * sizeof(float)), memcpy(orf, x, dim * sizeof(float));
        K->rope(o, nh, hd, cs, sn), R->rope(orf, nh, hd, cs, sn);
        e = nmse(o, orf, dim);
        CHECK(e <= 1e-12, "[%s] rope heads=%d hd=%d nmse %.3g", K->name, nh, hd, e);
        worst = fmax(worst, e);
        free(cs), free(sn);
    }
    free(x), free(wt), free(u), free(o), free(orf);
    return worst;
}

static double check_attn(const qs_kernels *K, const qs_kernels *R, int n_pos, int hd) {
    const int ld = hd * 3;
    float *q = xmalloc(hd * sizeof(float)), *kc = xmalloc((size_t)n_pos * ld * sizeof(float));
    float *vc = xmalloc((size_t)n_pos * ld * sizeof(float)), *s = xmalloc(n_pos * sizeof(float));
    float *o = xmalloc(hd * sizeof(float)), *orf = xmalloc(hd * sizeof(float));
    for (int i = 0; i < hd; i++) q[i] = 3 * frand();
    float vmax = 0;
    for (size_t i = 0; i < (size_t)n_pos * ld; i++) kc[i] = frand(), vc[i] = frand(), vmax = fmaxf(vmax, fabsf(vc[i]));
    poison(o, hd), poison(orf, hd);
    const float scale = 1.0f / sqrtf((float)hd);
    K->attn(o, q, kc, vc, ld, n_pos, hd, scale, s);
    R->attn(orf, q, kc, vc, ld, n_pos, hd, scale, s);
    double worst = 0;
    for (int i = 0; i < hd; i++) {
        double e = fabs((double)o[i] - orf[i]) / vmax;
        if (!(e <= worst)) worst = e;
    }
    CHECK(worst <= 1e-5, "[%s] attn n_pos=%d hd=%d err %.3g", K->name, n_pos, hd, worst);
    free(q), free(kc), free(vc), free(s), free(o), free(orf);
    return worst;
}

/* ------------------------------------------------------------ benchmark */

static void bench_level(const qs_kernels *K) {
    const int rows = 4096, k = 4096, reps = 5;
    float *wf = xmalloc((size_t)rows * k * sizeof(float));
    float *x = xmalloc((size_t)16 * k * sizeof(float)), *y = xmalloc((size_t)16 * rows * sizeof(float));
    for (int i = 0; i < 16 * k; i++) x[i] = frand();
    static const int dts[] = {QS_DTYPE_F32, QS_DTYPE_F16, QS_DTYPE_BF16, QS_DTYPE_Q8};
    for (int di = 0; di < 4; di++) {
        const int dt = dts[di];
        void *w = make_weights((qs_dtype)dt, rows, k, wf);
        const double bytes = (double)rows * k * (dt == QS_DTYPE_F32 ? 4 : dt == QS_DTYPE_Q8 ? 34.0 / 32 : 2);
        static const int ns[] = {1, 8, 16};
        for (int in = 0; in < 3; in++) {
            double best = 1e30;
            for (int r = 0; r < reps; r++) {
                double t0 = now();
                K->matvec[dt](y, rows, x, ns[in], w, k, 0, rows);
                best = fmin(best, now() - t0);
            }
            printf("  bench [%-6s] matvec %-4s n=%-2d  %6.1f GB/s %7.1f GFLOP/s (1 thread)\n", K->name, DT_NAME[dt], ns[in],
                   bytes / best / 1e9, 2.0 * rows * k * ns[in] / best / 1e9);
        }
        if (K->gemm[dt]) {
            void *xp = xmalloc(K->gemm_pack_size(16, k));
            K->gemm_pack(xp, x, 16, k, 0, 1);
            double best = 1e30;
            for (int r = 0; r < reps; r++) {
                double t0 = now();
                K->gemm[dt](y, rows, xp, 16, w, k, 0, rows);
                best = fmin(best, now() - t0);
            }
            printf("  bench [%-6s] gemm   %-4s n=16  %6.1f GB/s %7.1f GFLOP/s (1 thread)\n", K->name, DT_NAME[dt],
                   bytes / best / 1e9, 2.0 * rows * k * 16 / best / 1e9);
            free(xp);
        }
        free(w);
    }
    free(wf), free(x), free(y);
}

/* ------------------------------------------------------------ fp16 and 8-bit quantization (the specs) */

/* qs_f32_to_f16 against every half: exact halves convert back to themselves, values between two
 * neighbours round to the nearer (ties to the even one), the edges of the range go to inf / zero. */
static void check_f32_to_f16(void) {
    int bad = 0;
    for (uint32_t h = 0; h < 0x7c00; h++) {
        for (uint32_t sign = 0; sign <= 0x8000; sign += 0x8000) {
            const float f = qs_f16_to_f32((uint16_t)(h | sign));
            if (qs_f32_to_f16(f) != (uint16_t)(h | sign)) bad++;
            if (h + 1 < 0x7c00) { /* the midpoint to the next half and a hair either side of it */
                const double mid = ((double)qs_f16_to_f32((uint16_t)h) + qs_f16_to_f32((uint16_t)(h + 1))) / 2;
                const float m = (float)mid, lo = nextafterf(m, 0), hi = nextafterf(m, INFINITY);
                const uint16_t even = (h & 1) ? (uint16_t)(h + 1) : (uint16_t)h;
                if ((double)m == mid && qs_f32_to_f16(sign ? -m : m) != (even | sign)) bad++;
                if (qs_f32_to_f16(sign ? -lo : lo) != (h | sign)) bad++;
                if (qs_f32_to_f16(sign ? -hi : hi) != ((h + 1) | sign)) bad++;
            }
        }
    }
    CHECK(bad == 0, "qs_f32_to_f16: %d conversions differ from round-to-nearest-even", bad);
    CHECK(qs_f32_to_f16(65519.99f) == 0x7bff && qs_f32_to_f16(65520.0f) == 0x7c00 && qs_f32_to_f16(-1e30f) == 0xfc00,
          "qs_f32_to_f16: overflow edge");
    CHECK(qs_f32_to_f16(0x1p-25f) == 0 && qs_f32_to_f16(0x1.01p-25f) == 1 && qs_f32_to_f16(1e-30f) == 0,
          "qs_f32_to_f16: underflow edge");
    CHECK((qs_f32_to_f16(NAN) & 0x7fff) > 0x7c00 && qs_f32_to_f16(INFINITY) == 0x7c00, "qs_f32_to_f16: nan/inf");
}

/* qs_q8_quantize_row: every weight within half a step (plus the scale's fp16 rounding) of d*q,
 * |q| <= 127, an all-zero group gives d = 0, and non-finite or too large weights are refused. */
static void check_q8_quantize(void) {
    enum { K = 96 };
    float w[K], back[K];
    char row[K + K / 16];
    for (int j = 0; j < K; j++) w[j] = frand() * (j < 32 ? 1e-3f : j < 64 ? 0.0f : 3e4f);
    w[70] = 127.0f * 60000.0f; /* near the top of the fp16 scale range */
    CHECK(qs_q8_quantize_row(row, w, K) == 0, "q8 quantize refused finite weights");
    const uint16_t *d = qs_q8_scales(row, K, 0);
    const int8_t *q = qs_q8_quants(row, K, 0);
    for (int j = 0; j < K; j++) back[j] = qs_f16_to_f32(d[j / 32]) * q[j];
    int bad = 0;
    for (int g = 0; g < K / 32; g++) {
        float amax = 0;
        for (int j = 32 * g; j < 32 * g + 32; j++) amax = fmaxf(amax, fabsf(w[j]));
        const float step = qs_f16_to_f32(d[g]);
        if (fabsf(step - amax / 127) > amax / 127 * 0x1p-11f) bad++;
        for (int j = 32 * g; j < 32 * g + 32; j++)
            if (fabsf(back[j] - w[j]) > 0.5f * step + amax * 0x1p-11f || q[j] < -127) bad++;
    }
    CHECK(bad == 0, "q8 quantize: %d weights or scales off", bad);
    CHECK(d[1] == 0, "q8 quantize: an all-zero group must get scale 0");
    const float bads[] = {NAN, INFINITY, -INFINITY, 127.0f * 65520.0f};
    for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
        w[40] = bads[i];
        CHECK(qs_q8_quantize_row(row, w, K) == -1, "q8 quantize accepted weight %g", bads[i]);
    }
}

/* ------------------------------------------------------------ main */

int main(int argc, char **argv) {
    const int bench = argc > 1 && !strcmp(argv[1], "--bench");
    static const struct { unsigned level; const char *name; } levels[] = {
        {QS_CPU_AVX2, "avx2"}, {QS_CPU_AVX512, "avx512"}, {QS_CPU_AMX, "amx"}, {QS_CPU_NEON, "neon"}};
    qs_kernels R, K;
    qs_kernels_for_level(&R, 0);
    check_f32_to_f16();
    check_q8_quantize();
    int n_levels = 0;
    for (size_t li = 0; li < sizeof levels / sizeof levels[0]; li++) {
        if (!qs_kernels_for_level(&K, levels[li].level)) {
            printf("[%-6s] not available on this CPU/build\n", levels[li].name);
            continue;
        }
        n_levels++;
        double w_mv[3] = {0}, w_q8 = 0, w_q8p = 0, w_gemm = 0, w_el = 0, w_at = 0;
        static const int ks[] = {1, 7, 16, 33, 96, 128, 1000, 1536};
        static const int ns[] = {1, 2, 3, 4, 5, 8, 9, 16, 17};
        for (int dt = 0; dt < 3; dt++)
            for (size_t ik = 0; ik < sizeof ks / sizeof ks[0]; ik++)
                for (size_t in = 0; in < sizeof ns / sizeof ns[0]; in++) {
                    const int k = ks[ik], n = ns[in], rows = 37;
                    w_mv[dt] = fmax(w_mv[dt], check_matmul(&K, &R, (qs_dtype)dt, n, rows, k, 3, 3 + 7 * (1 + (int)in % 4), MM_MATVEC));
                }
        static const int qk[] = {32, 96, 672, 896, 1536}; /* 1, 3, 21, 28, 48 groups: partial scale slabs */
        for (size_t ik = 0; ik < sizeof qk / sizeof qk[0]; ik++)
            for (size_t in = 0; in < sizeof ns / sizeof ns[0]; in++) {
                w_q8 = fmax(w_q8, check_matmul(&K, &R, QS_DTYPE_Q8, ns[in], 37, qk[ik], 3, 3 + 7 * (1 + (int)in % 4), MM_MATVEC));
                if (K.matvec_q8p)
                    w_q8p = fmax(w_q8p, check_matmul(&K, &R, QS_DTYPE_Q8, ns[in], 37, qk[ik], 3, 3 + 7 * (1 + (int)in % 4), MM_Q8P));
                /* rows_to_f32 must equal the reference dequantization exactly */
                const int k = qk[ik], rows = 5;
                float *wf = xmalloc((size_t)rows * k * sizeof(float)), *a = xmalloc((size_t)rows * k * sizeof(float));
                float *b = xmalloc((size_t)rows * k * sizeof(float));
                void *w = make_weights(QS_DTYPE_Q8, rows, k, wf);
                poison(a, (size_t)rows * k), poison(b, (size_t)rows * k);
                K.rows_to_f32[QS_DTYPE_Q8](a, w, k, 1, rows), R.rows_to_f32[QS_DTYPE_Q8](b, w, k, 1, rows);
                CHECK(!memcmp(a, b, (size_t)(rows - 1) * k * sizeof(float)), "[%s] rows_to_f32 q8 k=%d differs", K.name, k);
                free(wf), free(a), free(b), free(w);
            }
        if (K.gemm_pack) {
            static const int gk[] = {32, 96, 128, 1536};
            static const int gn[] = {2, 5, 16, 17, 33, 64};
            for (size_t ik = 0; ik < sizeof gk / sizeof gk[0]; ik++)
                for (size_t in = 0; in < sizeof gn / sizeof gn[0]; in++)
                    for (int dt = 0; dt < 3; dt++)
                        if (K.gemm[dt]) {
                            w_gemm = fmax(w_gemm, check_matmul(&K, &R, (qs_dtype)dt, gn[in], 80, gk[ik], 16, 64, MM_GEMM));
                            w_gemm = fmax(w_gemm, check_matmul(&K, &R, (qs_dtype)dt, gn[in], 80, gk[ik], 32, 80, MM_GEMM));
                        }
        }
        static const int dims[] = {1, 5, 16, 17, 64, 100, 128, 1536};
        for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) w_el = fmax(w_el, check_elementwise(&K, &R, dims[i]));
        static const int pos[] = {1, 2, 15, 16, 17, 100};
        static const int hds[] = {8, 16, 24, 64, 128};
        for (size_t i = 0; i < sizeof pos / sizeof pos[0]; i++)
            for (size_t j = 0; j < sizeof hds / sizeof hds[0]; j++) w_at = fmax(w_at, check_attn(&K, &R, pos[i], hds[j]));
        char q8p[32] = "n/a (float path)";
        if (K.matvec_q8p) snprintf(q8p, sizeof q8p, "%.2e", w_q8p);
        printf("[%-6s] worst: matvec f32 %.2e f16 %.2e bf16 %.2e q8 %.2e q8p %s (of sum|x*w|) | gemm %.2e | elementwise nmse %.2e"
               " | attn %.2e\n", K.name, w_mv[0], w_mv[1], w_mv[2], w_q8, q8p, w_gemm, w_el, w_at);
        if (bench) bench_level(&K);
    }
    if (bench) bench_level(&R);
    printf("test_kernels: %d levels besides ref\n", n_levels);
    return test_summary("test_kernels");
}
