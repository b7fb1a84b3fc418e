/*
 * bench_engine.c - end-to-end and kernel benchmarks of the engine, every
 * figure also given as a fraction of the machine's read bandwidth, which is
 * probed in the same process right before each measurement (the bandwidth of
 * a shared or virtual machine drifts over minutes).
 *
 * Reports: load time, time to first token, prompt tok/s (64 and 512 tokens),
 * generation tok/s at batch 1, 4, 8, 16 (B sequences advancing together, each
 * in its own KV slot), peak RSS against weights + KV cache, and kernel
 * microbenchmarks (matvec GB/s and GFLOP/s, prefill GEMM GFLOP/s).
 *
 * Every figure is the median over --reps runs. Output: a human table on
 * stdout, and one "key value" line per figure with --kv (for scripts).
 *
 * Entry point qs_bench_run() is shared by `qsteer bench` and the standalone
 * bench_engine binary.
 */
#include "bench_engine.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "forward.h"
#include "fp16.h"
#include "generate.h"
#include "kernels.h"
#include "quant.h"
#include "sampler.h"

/* ------------------------------------------------------------ helpers */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static double peak_rss_bytes(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss * 1024.0;
}

/* ------------------------------------------------------------ bandwidth probe */

/*
 * Read bandwidth with nt threads: each sums its contiguous share of a buffer far larger than the
 * caches, with AVX2 loads into 4 independent accumulators and a software prefetch 1 KiB ahead, on
 * 2 MiB pages where the kernel grants them (MADV_HUGEPAGE). On Sapphire Rapids each of those
 * three choices raised the figure (4 KiB pages: ~0.8x), so it is the machine's limit for a
 * plain read, not a loop any kernel beats. Best of 3 passes, in GB/s.
 */
typedef struct {
    uint64_t *buf;
    size_t n; /* uint64 words */
    qs_huge_buf mem;
} bw_probe;

static void bw_init(bw_probe *p, size_t bytes) {
    p->n = bytes / sizeof(uint64_t);
    if (qs_huge_alloc(&p->mem, bytes)) {
        fprintf(stderr, "qsteer bench: cannot allocate the %.2f GB probe buffer\n", (double)bytes / 1e9);
        exit(1);
    }
    p->buf = p->mem.data;
    for (size_t i = 0; i < p->n; i++) p->buf[i] = i * 0x9E3779B97F4A7C15ull;
}

static volatile uint64_t bw_sink;

/* Sum of n words (n % 16 == 0): AVX2 loads when the CPU has them, else 8 scalar accumulators. */
#if defined(__x86_64__)
#include <immintrin.h>
__attribute__((target("avx2"))) static uint64_t sum_words_avx2(const uint64_t *b, size_t n) {
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t i = 0; i < n; i += 16) {
        __builtin_prefetch(b + i + 128), __builtin_prefetch(b + i + 136);
        a0 = _mm256_add_epi64(a0, _mm256_loadu_si256((const __m256i *)(b + i)));
        a1 = _mm256_add_epi64(a1, _mm256_loadu_si256((const __m256i *)(b + i + 4)));
        a2 = _mm256_add_epi64(a2, _mm256_loadu_si256((const __m256i *)(b + i + 8)));
        a3 = _mm256_add_epi64(a3, _mm256_loadu_si256((const __m256i *)(b + i + 12)));
    }
    __m256i s = _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3));
    uint64_t v[4];
    _mm256_storeu_si256((__m256i *)v, s);
    return v[0] + v[1] + v[2] + v[3];
}
#endif

static uint64_t sum_words(const uint64_t *b, size_t n) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2")) return sum_words_avx2(b, n);
#endif
    uint64_t a[8] = {0};
    for (size_t i = 0; i < n; i += 8)
        for (int j = 0; j < 8; j++) a[j] += b[i + j];
    return a[0] + a[1] + a[2] + a[3] + a[4] + a[5] + a[6] + a[7];
}

static double bw_measure(const bw_probe *p, int nt) {
    double best = 0;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = qs_now();
        uint64_t total = 0;
#pragma omp parallel num_threads(nt) reduction(+ : total)
        {
#ifdef _OPENMP
            int ith = omp_get_thread_num(), nth = omp_get_num_threads();
#else
            int ith = 0, nth = 1;
#endif
            size_t per = (p->n / nth) & ~(size_t)15, i0 = per * (size_t)ith;
            total += sum_words(p->buf + i0, per);
        }
        double dt = qs_now() - t0;
        bw_sink = total;
        double gbs = (double)(p->n * sizeof(uint64_t)) / dt / 1e9;
        if (gbs > best) best = gbs;
    }
    return best;
}

/* ------------------------------------------------------------ options */

typedef struct {
    const char *model;
    int threads;
    unsigned kmask;
    int reps;
    int gen_tokens;
    int prompts[4], n_prompts;
    int batches[8], n_batches;
    int kernels_only, no_kernels, kv, q8;
} bench_opts;

static void usage(FILE *f) {
    fprintf(f,
            "usage: qsteer bench --model DIR [options]\n\n"
            "Measures load time, time to first token, prompt and generation speed, peak RSS and\n"
            "kernel throughput, each beside a read-bandwidth probe run in the same process.\n\n"
            "  --model DIR        model directory (config.json + safetensors)\n"
            "  --threads N        compute threads (default: all cores)\n"
            "  --kernels LEVEL    ref, avx2, avx512 (default: best available)\n"
            "  --reps N           runs per figure; medians are reported (default 3)\n"
            "  --gen N            decode steps per generation run (default 32)\n"
            "  --prompt LIST      prompt lengths, comma-separated (default 64,512)\n"
            "  --batch LIST       generation batch sizes (default 1,4,8,16)\n"
            "  --weights q8       quantize the matrices to 8 bits at load (groups of 32, fp16 scale)\n"
            "  --no-kernels       skip the kernel microbenchmarks\n"
            "  --kernels-only     only the kernel microbenchmarks (no model needed)\n"
            "  --kv               also print 'key value' lines for scripts\n"
            "  --help             this text\n");
}

static int parse_list(const char *s, int *out, int max) {
    int n = 0;
    while (*s && n < max) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v <= 0 || v > 1 << 20) return -1;
        out[n++] = (int)v;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return -1;
    }
    return n;
}

/* ------------------------------------------------------------ kernel microbenchmarks */

/*
 * The 8-bit decode kernel on the same matrix quantized and repeated 4x ([65536 x 4096], 272 MiB on
 * huge pages, as engine/quant.c keeps it), one input, under two schedules: "owned", each thread one
 * contiguous half (as decode runs now), and "interleaved", 64 KiB chunks handed out from one
 * counter (the schedule decode used before; neighbouring chunks of the two threads then prefetch
 * into each other's rows).
 */
static void bench_q8_schedules(const bench_opts *o, const bw_probe *bw, int nt, const uint16_t *w16, int rows16, int k,
                               const float *x) {
    if (!qs_k.matvec_q8p) {
        printf("  matvec_q8: no packed 8-bit kernel at level %s\n", qs_k.name);
        return;
    }
    const int rows = 4 * rows16;
    const size_t rb = qs_row_bytes(QS_DTYPE_Q8, k), bytes = (size_t)rows * rb;
    qs_huge_buf mem;
    if (qs_huge_alloc(&mem, bytes)) return;
    char *q = mem.data;
    float *row = qs_malloc((size_t)k * sizeof(float)), *y = qs_malloc((size_t)rows * sizeof(float));
    for (int r = 0; r < rows16; r++) {
        qs_convert_to_f32(row, w16 + (size_t)r * k, QS_DTYPE_BF16, (size_t)k);
        qs_q8_quantize_row(q + (size_t)r * rb, row, k);
    }
    for (int c = 1; c < 4; c++) memcpy(q + (size_t)c * rows16 * rb, q, (size_t)rows16 * rb);
    void *xp = qs_malloc(qs_q8_pack_size(1, k));
    qs_q8_pack_x(xp, x, 1, k);
    const int chunk = (int)((64 << 10) / rb) + 1;
    for (int sched = 0; sched < 2; sched++) {
        double gbs[16], probe[16];
        const int reps = o->reps < 16 ? o->reps : 16;
        for (int r = 0; r < reps; r++) {
            probe[r] = bw_measure(bw, nt);
            double t0 = qs_now();
            if (sched == 0) {
#pragma omp parallel num_threads(nt)
                {
                    const int t = omp_get_thread_num(), nth = omp_get_num_threads();
                    qs_k.matvec_q8p(y, rows, xp, 1, q, k, (int)((long)rows * t / nth), (int)((long)rows * (t + 1) / nth));
                }
            } else {
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
                for (int c = 0; c < (rows + chunk - 1) / chunk; c++)
                    qs_k.matvec_q8p(y, rows, xp, 1, q, k, c * chunk, c * chunk + chunk < rows ? c * chunk + chunk : rows);
            }
            gbs[r] = (double)bytes / (qs_now() - t0) / 1e9;
        }
        const double g = median(gbs, reps), p = median(probe, reps);
        const char *name = sched == 0 ? "matvec_q8 n=1 owned" : "matvec_q8 n=1 interleaved";
        printf("  %-26s %6.1f %10.1f %10.1f %11.0f%%   [%d x %d], %.0f MiB\n", name, g, g / (double)rb * k * 2, p,
               100 * g / p, rows, k, (double)bytes / 1048576.0);
        if (o->kv) printf("kv kernel.q8_%s.gbs %.2f\nkv kernel.q8_%s.probe_frac %.3f\n", sched ? "interleaved" : "owned", g,
                          sched ? "interleaved" : "owned", g / p);
    }
    free(row), free(y), free(xp);
    qs_huge_free(&mem);
}

static void bench_kernels(const bench_opts *o, const bw_probe *bw, int nt) {
    /* a 64 Mi-element BF16 matrix (128 MiB), far outside the caches: [16384, 4096] */
    const int rows = 16384, k = 4096;
    uint16_t *w = qs_malloc((size_t)rows * k * sizeof(uint16_t));
    uint64_t st = 1;
    for (size_t i = 0; i < (size_t)rows * k; i++) {
        st = st * 6364136223846793005ull + 1442695040888963407ull;
        w[i] = (uint16_t)(0x3c00 + ((st >> 40) & 0x3ff)) ^ (uint16_t)((st >> 20) & 0x8000);
    }
    const int max_n = 16;
    float *x = qs_malloc((size_t)max_n * k * sizeof(float)), *y = qs_malloc((size_t)max_n * rows * sizeof(float));
    for (int i = 0; i < max_n * k; i++) x[i] = (float)((i * 37) % 101) / 101.0f - 0.5f;
    static const int ns[] = {1, 4, 8, 16};
    printf("\nkernel microbenchmarks (%s, %d threads), BF16 matvec [%d x %d] (%.0f MiB of weights):\n", qs_k.name, nt,
           rows, k, (double)rows * k * 2 / 1048576.0);
    printf("  %-22s %10s %10s %10s %12s\n", "kernel", "GB/s", "GFLOP/s", "probe GB/s", "of probe");
    for (size_t in = 0; in < sizeof ns / sizeof ns[0]; in++) {
        const int n = ns[in];
        double gbs[16], probe[16];
        int reps = o->reps < 16 ? o->reps : 16;
        for (int r = 0; r < reps; r++) {
            probe[r] = bw_measure(bw, nt);
            double t0 = qs_now();
            const int chunk = 256;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
            for (int c = 0; c < rows / chunk; c++) qs_k.matvec[QS_DTYPE_BF16](y, rows, x, n, w, k, c * chunk, c * chunk + chunk);
            gbs[r] = (double)rows * k * 2 / (qs_now() - t0) / 1e9;
        }
        double g = median(gbs, reps), p = median(probe, reps);
        char name[32];
        snprintf(name, sizeof name, "matvec_bf16 n=%d", n);
        printf("  %-22s %10.1f %10.1f %10.1f %11.0f%%\n", name, g, g / 2 * 2 * n, p, 100 * g / p);
        if (o->kv) printf("kv kernel.matvec_bf16.n%d.gbs %.2f\nkv kernel.matvec_bf16.n%d.probe_frac %.3f\n", n, g, n, g / p);
    }
    bench_q8_schedules(o, bw, nt, w, rows, k, x);
    free(w), free(x), free(y);
}

/* ------------------------------------------------------------ model benchmarks */

static int32_t rand_token(uint64_t *s, int vocab) {
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (int32_t)((*s >> 33) % (uint64_t)(vocab < 32000 ? vocab : 32000));
}

int qs_bench_run(int argc, char **argv) {
    enum { O_THREADS = 256, O_KERNELS, O_REPS, O_GEN, O_PROMPT, O_BATCH, O_NOK, O_KONLY, O_KV, O_WEIGHTS };
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'},      {"threads", required_argument, 0, O_THREADS},
        {"kernels", required_argument, 0, O_KERNELS}, {"reps", required_argument, 0, O_REPS},
        {"gen", required_argument, 0, O_GEN},      {"prompt", required_argument, 0, O_PROMPT},
        {"batch", required_argument, 0, O_BATCH},  {"no-kernels", no_argument, 0, O_NOK},
        {"kernels-only", no_argument, 0, O_KONLY}, {"kv", no_argument, 0, O_KV},
        {"weights", required_argument, 0, O_WEIGHTS},
        {"help", no_argument, 0, 'h'},             {0, 0, 0, 0}};
    bench_opts o = {.kmask = ~0u, .reps = 3, .gen_tokens = 32, .prompts = {64, 512}, .n_prompts = 2,
                    .batches = {1, 4, 8, 16}, .n_batches = 4};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "m:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': o.model = optarg; break;
        case O_THREADS: o.threads = atoi(optarg); break;
        case O_KERNELS:
            if (!strcmp(optarg, "ref")) o.kmask = 0;
            else if (!strcmp(optarg, "avx2")) o.kmask = QS_CPU_AVX2;
            else if (!strcmp(optarg, "avx512")) o.kmask = ~0u;
            else { fprintf(stderr, "bench: --kernels: expected ref, avx2 or avx512\n"); return 2; }
            break;
        case O_REPS: o.reps = atoi(optarg); if (o.reps < 1) o.reps = 1; if (o.reps > 64) o.reps = 64; break;
        case O_GEN: o.gen_tokens = atoi(optarg); if (o.gen_tokens < 2) o.gen_tokens = 2; break;
        case O_PROMPT:
            if ((o.n_prompts = parse_list(optarg, o.prompts, 4)) < 0) { fprintf(stderr, "bench: bad --prompt list\n"); return 2; }
            break;
        case O_BATCH:
            if ((o.n_batches = parse_list(optarg, o.batches, 8)) < 0) { fprintf(stderr, "bench: bad --batch list\n"); return 2; }
            break;
        case O_NOK: o.no_kernels = 1; break;
        case O_KONLY: o.kernels_only = 1; break;
        case O_KV: o.kv = 1; break;
        case O_WEIGHTS:
            if (!strcmp(optarg, "q8")) o.q8 = 1;
            else if (strcmp(optarg, "native")) { fprintf(stderr, "bench: --weights: expected q8 or native\n"); return 2; }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!o.model && !o.kernels_only) { usage(stderr); return 2; }
    qs_kernels_init(o.kmask);
#ifdef _OPENMP
    const int nt = o.threads > 0 ? o.threads : omp_get_num_procs();
#else
    const int nt = 1;
#endif
    double t_start = qs_now();
    bw_probe bw;
    bw_init(&bw, (size_t)512 << 20);
    double probe0 = bw_measure(&bw, nt);
    printf("read-bandwidth probe: %.1f GB/s with %d threads (1 thread: %.1f GB/s)\n", probe0, nt, bw_measure(&bw, 1));
    if (o.kv) printf("kv probe.gbs %.2f\n", probe0);
    if (!o.no_kernels) bench_kernels(&o, &bw, nt);
    if (o.kernels_only) { qs_huge_free(&bw.mem); return 0; }
    (void)t_start;

    /* load + context (the context pre-faults the weight mapping) */
    int max_b = 1;
    for (int i = 0; i < o.n_batches; i++) if (o.batches[i] > max_b) max_b = o.batches[i];
    int max_p = 16;
    for (int i = 0; i < o.n_prompts; i++) if (o.prompts[i] > max_p) max_p = o.prompts[i];
    double t0 = qs_now();
    qs_weights w;
    if (qs_weights_load(&w, o.model) != QS_OK) { fprintf(stderr, "bench: %s\n", qs_last_error()); qs_huge_free(&bw.mem); return 1; }
    qs_quant *quant = NULL;
    if (o.q8 && qs_quant_q8(&w, nt, &quant) != QS_OK) { fprintf(stderr, "bench: %s\n", qs_last_error()); return 1; }
    qs_ctx ctx;
    const int prompt_b = 16; /* prompt of each batched-generation sequence */
    int n_ctx = max_p + 1 > prompt_b + o.gen_tokens + 1 ? max_p + 1 : prompt_b + o.gen_tokens + 1;
    qs_ctx_params cp = {.n_ctx = n_ctx, .n_seq = max_b, .n_batch = max_p > max_b ? max_p : max_b, .n_logits = max_b,
                        .n_threads = nt};
    if (qs_ctx_init(&ctx, &w, &cp) != QS_OK) { fprintf(stderr, "bench: %s\n", qs_last_error()); qs_weights_free(&w); qs_huge_free(&bw.mem); return 1; }
    double t_load = qs_now() - t0;
    const qs_config *cfg = &w.cfg;
    const int V = cfg->vocab_size;
    /* bytes one decode step streams: every layer matrix and the LM head, in their current dtype */
    double step_bytes = 0;
    const qs_mat **mats = qs_malloc((size_t)QS_N_MATS(cfg) * sizeof *mats);
    for (int i = 0, nm = qs_weights_matrices(&w, mats); i < nm; i++)
        step_bytes += (double)mats[i]->rows * qs_row_bytes(mats[i]->dtype, mats[i]->cols);
    free(mats);
    uint64_t seed = 7;
    int32_t *prompt = qs_malloc((size_t)(max_p + max_b * prompt_b) * sizeof(int32_t));
    for (int i = 0; i < max_p + max_b * prompt_b; i++) prompt[i] = rand_token(&seed, V);

    /* time to first token: a 16-token prompt right after load, then one sampled token */
    t0 = qs_now();
    qs_prefill(&ctx, 0, prompt, 16);
    (void)qs_argmax(ctx.logits, V);
    double ttft = qs_now() - t0 + t_load;
    double kv_bytes = 2.0 * cfg->n_layers * cp.n_seq * n_ctx * qs_config_kv_dim(cfg) * sizeof(float);
    printf("\nmodel %s: %d layers, hidden %d, %.2f GB of weights (%s); %.2f GB streamed per decode step; kernels %s, %d threads\n",
           o.model, cfg->n_layers, cfg->hidden_size, (double)w.weight_bytes / 1e9, o.q8 ? "matrices quantized to q8" : "as stored",
           step_bytes / 1e9, qs_k.name, ctx.p.n_threads);
    printf("load %.3f s (incl. pre-faulting the mapping); time to first token %.3f s\n", t_load, ttft);
    if (o.kv) printf("kv load_s %.3f\nkv ttft_s %.3f\n", t_load, ttft);

    printf("\n  %-24s %10s %12s %10s\n", "figure", "tok/s", "probe GB/s", "of probe");
    /* prompt processing */
    for (int ip = 0; ip < o.n_prompts; ip++) {
        const int P = o.prompts[ip];
        double v[64], pr[64];
        for (int r = 0; r < o.reps; r++) {
            pr[r] = bw_measure(&bw, nt);
            double ts = qs_now();
            if (qs_prefill(&ctx, 0, prompt, P) != QS_OK) { fprintf(stderr, "bench: %s\n", qs_last_error()); break; }
            v[r] = P / (qs_now() - ts);
        }
        double tps = median(v, o.reps), p = median(pr, o.reps);
        char name[48];
        snprintf(name, sizeof name, "prompt %d", P);
        printf("  %-24s %10.1f %12.1f %10s\n", name, tps, p, "(compute)");
        if (o.kv) printf("kv pp%d %.2f\n", P, tps);
    }
    /* generation: B sequences, each prefilled with its own 16 tokens, then gen_tokens greedy steps together */
    int32_t *tok = qs_malloc((size_t)max_b * sizeof(int32_t)), *pos = qs_malloc((size_t)max_b * sizeof(int32_t));
    int32_t *sq = qs_malloc((size_t)max_b * sizeof(int32_t));
    int8_t *want = qs_malloc((size_t)max_b);
    for (int ib = 0; ib < o.n_batches; ib++) {
        const int B = o.batches[ib];
        double v[64], pr[64];
        for (int r = 0; r < o.reps; r++) {
            for (int s = 0; s < B; s++) {
                qs_prefill(&ctx, s, prompt + max_p + s * prompt_b, prompt_b);
                tok[s] = qs_argmax(ctx.logits, V);
                pos[s] = prompt_b, sq[s] = s, want[s] = 1;
            }
            pr[r] = bw_measure(&bw, nt);
            double ts = qs_now();
            for (int step = 0; step < o.gen_tokens; step++) {
                qs_batch b = {.n_tokens = B, .token = tok, .pos = pos, .seq = sq, .want_logits = want, .stop_layer = -1};
                if (qs_forward(&ctx, &b) != QS_OK) { fprintf(stderr, "bench: %s\n", qs_last_error()); break; }
                for (int s = 0; s < B; s++) tok[s] = qs_argmax(ctx.logits + (size_t)s * V, V), pos[s]++;
            }
            v[r] = (double)B * o.gen_tokens / (qs_now() - ts);
        }
        double tps = median(v, o.reps), p = median(pr, o.reps);
        double gbs = tps / B * step_bytes / 1e9; /* weight bytes streamed per second */
        char name[48];
        snprintf(name, sizeof name, "generate batch %d", B);
        printf("  %-24s %10.1f %12.1f %9.0f%%\n", name, tps, p, 100 * gbs / p);
        if (o.kv) printf("kv tg_b%d %.2f\nkv tg_b%d.probe_gbs %.2f\nkv tg_b%d.probe_frac %.3f\n", B, tps, B, p, B, gbs / p);
    }
    double resident_w = o.q8 ? step_bytes : (double)w.weight_bytes; /* q8: the copies, not the mapping */
    double rss = peak_rss_bytes(), budget = resident_w + kv_bytes;
    double probe_bytes = (double)bw.n * sizeof(uint64_t);
    printf("\npeak RSS %.2f GB (weights %.2f GB + KV cache %.3f GB; bench's own probe buffer %.2f GB): "
           "%.2f of weights+KV excluding the probe buffer\n",
           rss / 1e9, resident_w / 1e9, kv_bytes / 1e9, probe_bytes / 1e9, (rss - probe_bytes) / budget);
    if (o.kv) printf("kv peak_rss_gb %.3f\nkv rss_frac %.3f\n", rss / 1e9, (rss - probe_bytes) / budget);
    free(tok), free(pos), free(sq), free(want), free(prompt);
    qs_ctx_free(&ctx);
    qs_quant_free(quant);
    qs_weights_free(&w);
    qs_huge_free(&bw.mem);
    return 0;
}
