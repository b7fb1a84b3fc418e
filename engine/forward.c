/*
 * forward.c - the Qwen2 decoder (transformers' modeling_qwen2.py, float32
 * activations, weights in their stored dtype). See forward.h for the batch
 * and hook contract.
 */
#include "forward.h"

#include <cblas.h>
#include <math.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "fp16.h"
#include "kernels.h"

/* Below this many tokens a matmul streams the weights through our own
 * kernels; at or above it, weight rows are converted to float32 in blocks
 * and multiplied with OpenBLAS SGEMM. */
#define QS_GEMM_MIN_N 16
/* With 8-bit weights the packed-integer matvec (kernels.h: matvec_q8p) beats dequantizing to
 * float32 for SGEMM up to about 100 tokens (Coder-1.5B, 2 threads, prompt tok/s: 32 tokens 69 vs
 * 48, 64: 75 vs 63, 128: 64 vs 73, 512: 56 vs 80; batch-16 decode 57 vs 29 aggregate tok/s). */
#define QS_Q8_GEMM_MIN_N 96

static int n_threads_default(void) {
#ifdef _OPENMP
    return omp_get_num_procs();
#else
    return 1;
#endif
}

static int thread_id(void) {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* ------------------------------------------------------------ context */

/*
 * Map every page of the weight matrices the forward pass streams now (they
 * are usually in the page cache already), so the first forward pass does not
 * take a page fault per 4 KiB of weights. MADV_POPULATE_READ (Linux 5.14)
 * fills the page tables in one call per range; the ranges are split over the
 * threads. Matrices already copied out of the mapping (--weights q8) and the
 * embedding table (only looked up by row) are skipped. Best effort.
 */
static void prefault_weights(const qs_weights *w, int nt) {
#ifdef MADV_POPULATE_READ
    const size_t page = 4096, part = (size_t)8 << 20;
    const qs_mat **mats = qs_malloc((size_t)QS_N_MATS(&w->cfg) * sizeof(qs_mat *));
    const int nm = qs_weights_matrices(w, mats);
    for (int i = 0; i < nm; i++) {
        const qs_mat *m = mats[i];
        if (m->dtype >= QS_DTYPE_COUNT) continue; /* not in the mapping */
        uintptr_t b0 = (uintptr_t)m->data & ~(uintptr_t)(page - 1);
        uintptr_t b1 = (uintptr_t)m->data + (size_t)m->rows * m->cols * qs_dtype_size(m->dtype);
        const long n_parts = (long)((b1 - b0 + part - 1) / part);
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (n_parts > 1)
        for (long p = 0; p < n_parts; p++) {
            uintptr_t s0 = b0 + (size_t)p * part, s1 = s0 + part < b1 ? s0 + part : b1;
            madvise((void *)s0, s1 - s0, MADV_POPULATE_READ);
        }
    }
    free(mats);
#else
    (void)w, (void)nt;
#endif
}

qs_status qs_ctx_init(qs_ctx *ctx, const qs_weights *w, const qs_ctx_params *p) {
    memset(ctx, 0, sizeof *ctx);
    if (!qs_k.name) qs_kernels_init(~0u); /* callers that never chose a level get the best one */
    const qs_config *c = &w->cfg;
    ctx->w = w;
    ctx->p = *p;
    if (ctx->p.n_threads <= 0) ctx->p.n_threads = n_threads_default();
    if (ctx->p.n_seq <= 0) ctx->p.n_seq = 1;
    if (ctx->p.n_batch <= 0) ctx->p.n_batch = 256;
    if (ctx->p.n_logits <= 0) ctx->p.n_logits = ctx->p.n_seq;
    if (ctx->p.n_ctx <= 0 || ctx->p.n_ctx > c->max_position_embeddings) ctx->p.n_ctx = c->max_position_embeddings;
    const int nb = ctx->p.n_batch, H = c->hidden_size, Q = qs_config_q_dim(c), KV = qs_config_kv_dim(c);
    const int F = c->intermediate_size, nt = ctx->p.n_threads, hd2 = c->head_dim / 2;
    qs_status rc = qs_kv_init(&ctx->kv, c->n_layers, ctx->p.n_seq, ctx->p.n_ctx, KV);
    if (rc != QS_OK) return rc;
    ctx->x = qs_malloc((size_t)nb * H * sizeof(float));
    ctx->xb = qs_malloc((size_t)nb * H * sizeof(float));
    ctx->q = qs_malloc((size_t)nb * Q * sizeof(float));
    ctx->k = qs_malloc((size_t)nb * KV * sizeof(float));
    ctx->v = qs_malloc((size_t)nb * KV * sizeof(float));
    ctx->att = qs_malloc((size_t)nb * Q * sizeof(float));
    ctx->hb = qs_malloc((size_t)nb * F * sizeof(float));
    ctx->hb2 = qs_malloc((size_t)nb * F * sizeof(float));
    ctx->scores = qs_malloc((size_t)nt * ctx->p.n_ctx * sizeof(float));
    ctx->wbuf = qs_malloc((size_t)nt * QS_GEMM_ROWS * (F > Q ? (F > H ? F : H) : (Q > H ? Q : H)) * sizeof(float));
    ctx->logits = qs_malloc((size_t)ctx->p.n_logits * c->vocab_size * sizeof(float));
    /* RoPE tables exactly as HF computes them in float32:
     * inv_freq = 1 / theta^(2i/d); angle = float(pos) * inv_freq; cos/sin of that float. */
    ctx->rope_cos = qs_malloc((size_t)ctx->p.n_ctx * hd2 * sizeof(float));
    ctx->rope_sin = qs_malloc((size_t)ctx->p.n_ctx * hd2 * sizeof(float));
    for (int i = 0; i < hd2; i++) {
        float expo = (float)(2 * i) / (float)c->head_dim;
        float inv_freq = 1.0f / powf(c->rope_theta, expo);
        for (int pos = 0; pos < ctx->p.n_ctx; pos++) {
            float ang = (float)pos * inv_freq;
            ctx->rope_cos[(size_t)pos * hd2 + i] = (float)cos((double)ang);
            ctx->rope_sin[(size_t)pos * hd2 + i] = (float)sin((double)ang);
        }
    }
    prefault_weights(w, nt);
    /* Our threads call OpenBLAS one block each: keep OpenBLAS itself single-threaded. */
    openblas_set_num_threads(1);
    return QS_OK;
}

void qs_ctx_free(qs_ctx *ctx) {
    qs_kv_free(&ctx->kv);
    free(ctx->x), free(ctx->xb), free(ctx->q), free(ctx->k), free(ctx->v), free(ctx->att);
    free(ctx->hb), free(ctx->hb2), free(ctx->scores), free(ctx->wbuf), free(ctx->logits);
    free(ctx->rope_cos), free(ctx->rope_sin), free(ctx->xpack);
    memset(ctx, 0, sizeof *ctx);
}

void qs_ctx_set_hook(qs_ctx *ctx, qs_resid_hook_fn fn, void *ud) {
    ctx->hook = fn;
    ctx->hook_ud = ud;
}

/* ------------------------------------------------------------ matmul */

/*
 * Threading: one OpenMP parallel region per group of matmuls that share an
 * input (q/k/v; gate/up), so a decode step forks 4 times per layer instead of
 * 7. Inside, rows are handed out in chunks from a shared counter (schedule
 * dynamic): on a machine shared with other work a thread that loses its core
 * for a while only delays the chunk it holds, not a fixed half of the matrix.
 * Chunks are contiguous row ranges, so each thread still streams weights
 * sequentially.
 */

typedef struct {
    float *y;
    const qs_mat *W;
    int r0, r1;
} mm_chunk;

#define MM_MAX_CHUNKS 4096

/* Rows per chunk for a matrix of m rows: about 8 chunks per thread, a multiple of 16 rows,
 * and at least 32 KiB of weights so per-chunk overhead stays small. */
static int chunk_rows(int m, size_t rb, int nt) {
    int rows = m / (8 * nt);
    int min_rows = (int)((32 << 10) / rb) + 1;
    if (rows < min_rows) rows = min_rows;
    rows = (rows + 15) & ~15;
    return rows < m ? rows : m;
}

/* Split the rows of each matrix into chunks; with `align` > 0, chunks are multiples of `align`
 * rows except a final remainder chunk of (m % align) rows, flagged tail (done with matvec). */
static int make_chunks(mm_chunk *chunks, int *is_tail, float *const *y, const qs_mat *const *W, int n_mat, int nt,
                       int align) {
    int nc = 0;
    for (int i = 0; i < n_mat; i++) {
        const int m = W[i]->rows, m_al = align ? m - m % align : m;
        int rows = chunk_rows(m, qs_row_bytes(W[i]->dtype, W[i]->cols), nt);
        while (rows * (MM_MAX_CHUNKS / n_mat - 1) < m) rows *= 2;
        if (align) rows = (rows + 31) & ~31;
        for (int r = 0; r < m_al; r += rows) {
            is_tail[nc] = 0;
            chunks[nc++] = (mm_chunk){y[i], W[i], r, r + rows < m_al ? r + rows : m_al};
        }
        if (m_al < m) {
            is_tail[nc] = 1;
            chunks[nc++] = (mm_chunk){y[i], W[i], m_al, m};
        }
    }
    return nc;
}

/* ctx->xpack with room for `need` bytes (inputs packed for gemm or matvec_q8p). */
static void *xpack_buf(qs_ctx *ctx, size_t need) {
    if (need > ctx->xpack_size) {
        free(ctx->xpack);
        ctx->xpack = qs_malloc(need);
        ctx->xpack_size = need;
    }
    return ctx->xpack;
}

/* The kernel table's gemm (AMX) applies to every matrix of the group? */
static int gemm_ok(const qs_mat *const *W, int n_mat, int n) {
    if (n < 2 || !qs_k.gemm_pack) return 0;
    for (int i = 0; i < n_mat; i++)
        if (!qs_k.gemm[W[i]->dtype] || W[i]->cols % qs_k.gemm_k_align || W[i]->cols != W[0]->cols) return 0;
    return 1;
}

/* With 8-bit weights in every matrix of the group and a matvec_q8p kernel at this level: the n inputs
 * packed once as int16 blocks (kernels.h), in ctx->xpack. Otherwise NULL (float inputs). */
static const void *q8_pack(qs_ctx *ctx, const float *x, int n, const qs_mat *const *W, int n_mat) {
    if (!qs_k.matvec_q8p) return NULL;
    for (int i = 0; i < n_mat; i++)
        if (W[i]->dtype != QS_DTYPE_Q8 || W[i]->cols != W[0]->cols) return NULL;
    const int k = W[0]->cols;
    void *xq = xpack_buf(ctx, qs_q8_pack_size(n, k));
    qs_q8_pack_x(xq, x, n, k);
    return xq;
}

static size_t chunk_bytes(const mm_chunk *ch) {
    return (size_t)(ch->r1 - ch->r0) * qs_row_bytes(ch->W->dtype, ch->W->cols);
}

static void mv_chunk(const mm_chunk *ch, const float *x, const void *xq, int n) {
    const qs_mat *M = ch->W;
    if (xq) qs_k.matvec_q8p(ch->y, M->rows, xq, n, M->data, M->cols, ch->r0, ch->r1);
    else qs_k.matvec[M->dtype](ch->y, M->rows, x, n, M->data, M->cols, ch->r0, ch->r1);
}

/*
 * Decode's schedule: thread t owns a contiguous run of chunks holding about 1/nt of the weight
 * bytes and streams it front to back; a thread done with its own run then takes chunks from the
 * back end of the others' runs, so on a shared machine a thread that loses its core for a while
 * delays little, and the owner's stream is not interleaved with the helper's. Owned runs rather
 * than one shared counter: two threads streaming interleaved neighbouring chunks each prefetch into
 * the other's rows, which cost ~25% of the bandwidth at 256 KiB chunks and ~40% at 64 KiB
 * (measured on 8-bit rows, bench/README.md). Each run's [front, back) is one atomic word.
 */
#define MM_MAX_PARTS 64
static int take_chunk(atomic_ullong *run, int from_back) {
    unsigned long long v = atomic_load_explicit(run, memory_order_relaxed);
    for (;;) {
        const unsigned f = (unsigned)(v >> 32), b = (unsigned)v;
        if (f >= b) return -1;
        const unsigned long long nv = from_back ? v - 1 : v + (1ull << 32);
        if (atomic_compare_exchange_weak_explicit(run, &v, nv, memory_order_relaxed, memory_order_relaxed))
            return (int)(from_back ? b - 1 : f);
    }
}

static void run_owned_chunks(const mm_chunk *chunks, int nc, int nt, const float *x, const void *xq, int n) {
    const int np = nt < MM_MAX_PARTS ? nt : MM_MAX_PARTS;
    struct {
        _Alignas(64) atomic_ullong v; /* one cache line per run: no false sharing between owners */
    } run[MM_MAX_PARTS];
    size_t total = 0, acc = 0;
    for (int c = 0; c < nc; c++) total += chunk_bytes(&chunks[c]);
    for (int p = 0, c = 0; p < np; p++) {
        const int c0 = c;
        while (c < nc && (p == np - 1 || acc + chunk_bytes(&chunks[c]) / 2 <= total / np * (p + 1)))
            acc += chunk_bytes(&chunks[c++]);
        atomic_init(&run[p].v, (unsigned long long)c0 << 32 | (unsigned)c);
    }
#pragma omp parallel num_threads(np)
    {
        const int t = thread_id();
        for (int i = 0; i < np; i++)
            for (int c; (c = take_chunk(&run[(t + i) % np].v, i > 0)) >= 0;) mv_chunk(&chunks[c], x, xq, n);
    }
}

/* Below this many bytes of weights x token tiles a group of matmuls runs on the calling thread:
 * a fork and join costs more than the work (tiny test models, small KV projections). */
#define QS_PAR_MIN_BYTES (256 << 10)

static void matmul_group(qs_ctx *ctx, float *const *y, const float *x, int n, const qs_mat *const *W, int n_mat) {
    size_t bytes = 0;
    for (int i = 0; i < n_mat; i++) bytes += (size_t)W[i]->rows * qs_row_bytes(W[i]->dtype, W[i]->cols);
    const size_t par_min = ctx->p.par_min_bytes > 0 ? (size_t)ctx->p.par_min_bytes : QS_PAR_MIN_BYTES;
    const int nt = bytes * (size_t)((n + 15) / 16) < par_min ? 1 : ctx->p.n_threads;
    mm_chunk chunks[MM_MAX_CHUNKS];
    int is_tail[MM_MAX_CHUNKS];
    if (gemm_ok(W, n_mat, n)) {
        /* Pack x once for all matrices (threads split the token tiles), then rows in chunks. */
        const int k = W[0]->cols, ntt = (n + 15) / 16;
        void *xp = xpack_buf(ctx, qs_k.gemm_pack_size(n, k));
        const int nc = make_chunks(chunks, is_tail, y, W, n_mat, nt, qs_k.gemm_row_align);
#pragma omp parallel num_threads(nt) if (nt > 1)
        {
#pragma omp for schedule(static)
            for (int tt = 0; tt < ntt; tt++) qs_k.gemm_pack(xp, x, n, k, tt, tt + 1);
#pragma omp for schedule(dynamic, 1)
            for (int c = 0; c < nc; c++) {
                const qs_mat *M = chunks[c].W;
                if (is_tail[c])
                    qs_k.matvec[M->dtype](chunks[c].y, M->rows, x, n, M->data, k, chunks[c].r0, chunks[c].r1);
                else
                    qs_k.gemm[M->dtype](chunks[c].y, M->rows, xp, n, M->data, k, chunks[c].r0, chunks[c].r1);
            }
        }
        return;
    }
    const int q8p = qs_k.matvec_q8p && W[0]->dtype == QS_DTYPE_Q8;
    if (n < (q8p ? QS_Q8_GEMM_MIN_N : QS_GEMM_MIN_N)) {
        /* Decode: stream each weight row once for all n tokens. */
        const void *xq = q8_pack(ctx, x, n, W, n_mat);
        const int nc = make_chunks(chunks, is_tail, y, W, n_mat, nt, 0);
        if (nt == 1 || nc == 1) {
            for (int c = 0; c < nc; c++) mv_chunk(&chunks[c], x, xq, n);
            return;
        }
        run_owned_chunks(chunks, nc, nt, x, xq, n);
        return;
    }
    /* Prefill: blocks of QS_GEMM_ROWS weight rows, as float32, through SGEMM. */
    for (int i = 0; i < n_mat; i++) {
        const int k = W[i]->cols, m = W[i]->rows;
        const qs_mat *M = W[i];
        float *yi = y[i];
        const int n_blocks = (m + QS_GEMM_ROWS - 1) / QS_GEMM_ROWS;
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (nt > 1)
        for (int b = 0; b < n_blocks; b++) {
            int r0 = b * QS_GEMM_ROWS, r1 = r0 + QS_GEMM_ROWS < m ? r0 + QS_GEMM_ROWS : m;
            const float *wf;
            if (M->dtype == QS_DTYPE_F32) {
                wf = (const float *)M->data + (size_t)r0 * k;
            } else {
                float *buf = ctx->wbuf + (size_t)thread_id() * QS_GEMM_ROWS * k;
                qs_k.rows_to_f32[M->dtype](buf, M->data, k, r0, r1);
                wf = buf;
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, r1 - r0, k, 1.0f, x, k, wf, k, 0.0f, yi + r0, m);
        }
    }
}

void qs_matmul(qs_ctx *ctx, float *y, const float *x, int n, const qs_mat *W) {
    matmul_group(ctx, &y, x, n, &W, 1);
}

/* ------------------------------------------------------------ elementwise ops */

/* Qwen2RMSNorm: x / sqrt(mean(x^2) + eps) * weight, per row. */
static void rmsnorm(float *out, const float *x, const float *weight, int n, int dim, float eps) {
    for (int t = 0; t < n; t++) qs_k.rmsnorm(out + (size_t)t * dim, x + (size_t)t * dim, weight, dim, eps);
}

static void add_bias(float *y, const float *b, int n, int dim) {
    for (int t = 0; t < n; t++) qs_k.add(y + (size_t)t * dim, b, (size_t)dim);
}

/* Elementwise work over n*dim floats, threaded in row ranges when it is big enough to pay for a fork. */
#define QS_PAR_MIN 65536

static void swiglu_rows(qs_ctx *ctx, float *h, const float *u, int n, int dim) {
    if ((size_t)n * dim < QS_PAR_MIN || n == 1) {
        qs_k.swiglu(h, h, u, (size_t)n * dim);
        return;
    }
#pragma omp parallel for num_threads(ctx->p.n_threads) schedule(static)
    for (int t = 0; t < n; t++) qs_k.swiglu(h + (size_t)t * dim, h + (size_t)t * dim, u + (size_t)t * dim, (size_t)dim);
}

/* HF rotate_half: pairs (i, i + d/2) of each head rotated by angle pos * inv_freq[i]. */
static void rope(const qs_ctx *ctx, float *v, const int32_t *pos, int n, int n_heads, int hd) {
    const int hd2 = hd / 2;
    for (int t = 0; t < n; t++)
        qs_k.rope(v + (size_t)t * n_heads * hd, n_heads, hd, ctx->rope_cos + (size_t)pos[t] * hd2,
                  ctx->rope_sin + (size_t)pos[t] * hd2);
}

/* Causal grouped-query attention of each batch token over its slot's cache [0, pos],
 * read in place from the cache (no copies). */
static void attention(qs_ctx *ctx, const qs_batch *b, int il) {
    const qs_config *c = &ctx->w->cfg;
    const int hd = c->head_dim, nh = c->n_heads, group = c->n_heads / c->n_kv_heads, KV = qs_config_kv_dim(c);
    const float scale = 1.0f / sqrtf((float)hd);
    const int n_items = b->n_tokens * nh;
    size_t work = 0; /* cached positions touched: fork only when it pays */
    for (int t = 0; t < b->n_tokens; t++) work += (size_t)(b->pos[t] + 1) * nh;
#pragma omp parallel for num_threads(ctx->p.n_threads) schedule(dynamic, 4) if (work > 4096)
    for (int it = 0; it < n_items; it++) {
        const int t = it / nh, h = it % nh, kvh = h / group;
        const size_t base = qs_kv_offset(&ctx->kv, il, b->seq[t], 0) + (size_t)kvh * hd;
        qs_k.attn(ctx->att + ((size_t)t * nh + h) * hd, ctx->q + ((size_t)t * nh + h) * hd, ctx->kv.k + base,
                  ctx->kv.v + base, KV, b->pos[t] + 1, hd, scale, ctx->scores + (size_t)thread_id() * ctx->p.n_ctx);
    }
}

/* ------------------------------------------------------------ forward */

static qs_status check_batch(qs_ctx *ctx, const qs_batch *b, int *n_out) {
    const qs_config *c = &ctx->w->cfg;
    if (b->n_tokens <= 0 || b->n_tokens > ctx->p.n_batch)
        return qs_fail(QS_ERR_ARG, "batch of %d tokens; this context takes 1 to %d", b->n_tokens, ctx->p.n_batch);
    if (b->stop_layer > c->n_layers)
        return qs_fail(QS_ERR_ARG, "stop_layer %d is beyond the last layer boundary %d", b->stop_layer, c->n_layers);
    int *len = qs_malloc((size_t)ctx->p.n_seq * sizeof(int));
    memcpy(len, ctx->kv.len, (size_t)ctx->p.n_seq * sizeof(int));
    qs_status rc = QS_OK;
    int n = 0;
    for (int t = 0; t < b->n_tokens && rc == QS_OK; t++) {
        int s = b->seq[t], p = b->pos[t];
        if (b->token[t] < 0 || b->token[t] >= c->vocab_size)
            rc = qs_fail(QS_ERR_ARG, "token id %d is outside the vocabulary [0, %d)", b->token[t], c->vocab_size);
        else if (s < 0 || s >= ctx->p.n_seq)
            rc = qs_fail(QS_ERR_ARG, "sequence slot %d is outside [0, %d)", s, ctx->p.n_seq);
        else if (p < 0 || p >= ctx->p.n_ctx)
            rc = qs_fail(QS_ERR_ARG, "position %d is outside the context of %d tokens", p, ctx->p.n_ctx);
        else if (p > len[s])
            rc = qs_fail(QS_ERR_ARG, "position %d of sequence %d leaves a gap (the cache holds %d positions)", p, s, len[s]);
        else
            len[s] = p + 1;
        n += b->want_logits ? (b->want_logits[t] != 0) : (t == b->n_tokens - 1);
    }
    free(len);
    if (rc == QS_OK && b->stop_layer < 0 && n > ctx->p.n_logits)
        rc = qs_fail(QS_ERR_ARG, "%d tokens want logits; this context computes at most %d per call", n, ctx->p.n_logits);
    *n_out = n;
    return rc;
}

qs_status qs_forward(qs_ctx *ctx, const qs_batch *b) {
    const qs_weights *w = ctx->w;
    const qs_config *c = &w->cfg;
    const int n = b->n_tokens, H = c->hidden_size, Q = qs_config_q_dim(c), KV = qs_config_kv_dim(c);
    const int F = c->intermediate_size;
    int n_out;
    qs_status rc = check_batch(ctx, b, &n_out);
    if (rc != QS_OK) return rc;
    ctx->n_out = 0;

    /* inputs_embeds = embed_tokens(input_ids) */
    const size_t es = qs_dtype_size(w->tok_embd.dtype);
    for (int t = 0; t < n; t++)
        qs_convert_to_f32(ctx->x + (size_t)t * H, (const char *)w->tok_embd.data + (size_t)b->token[t] * H * es,
                          w->tok_embd.dtype, (size_t)H);
    for (int t = 0; t < n; t++) ctx->kv.len[b->seq[t]] = b->pos[t] + 1;

    for (int il = 0; il <= c->n_layers; il++) {
        if (ctx->hook) ctx->hook(ctx->hook_ud, il, ctx->x, n, H, b);
        if (il == b->stop_layer) return QS_OK;
        if (il == c->n_layers) break;
        const qs_layer *L = &w->layers[il];

        /* hidden_states = input_layernorm(hidden_states); q, k, v projections with bias */
        rmsnorm(ctx->xb, ctx->x, L->attn_norm, n, H, c->rms_norm_eps);
        {
            float *ys[3] = {ctx->q, ctx->k, ctx->v};
            const qs_mat *ws[3] = {&L->wq, &L->wk, &L->wv};
            matmul_group(ctx, ys, ctx->xb, n, ws, 3);
        }
        add_bias(ctx->q, L->bq, n, Q);
        add_bias(ctx->k, L->bk, n, KV);
        add_bias(ctx->v, L->bv, n, KV);
        /* query_states, key_states = apply_rotary_pos_emb(...) */
        rope(ctx, ctx->q, b->pos, n, c->n_heads, c->head_dim);
        rope(ctx, ctx->k, b->pos, n, c->n_kv_heads, c->head_dim);
        /* past_key_value.update(...) */
        for (int t = 0; t < n; t++) {
            size_t off = qs_kv_offset(&ctx->kv, il, b->seq[t], b->pos[t]);
            memcpy(ctx->kv.k + off, ctx->k + (size_t)t * KV, (size_t)KV * sizeof(float));
            memcpy(ctx->kv.v + off, ctx->v + (size_t)t * KV, (size_t)KV * sizeof(float));
        }
        attention(ctx, b, il);
        /* hidden_states = residual + o_proj(attn_output) */
        qs_matmul(ctx, ctx->xb, ctx->att, n, &L->wo);
        qs_k.add(ctx->x, ctx->xb, (size_t)n * H);

        /* hidden_states = residual + down_proj(act_fn(gate_proj(x)) * up_proj(x)), x = post_attention_layernorm(h) */
        rmsnorm(ctx->xb, ctx->x, L->ffn_norm, n, H, c->rms_norm_eps);
        {
            float *ys[2] = {ctx->hb, ctx->hb2};
            const qs_mat *ws[2] = {&L->ffn_gate, &L->ffn_up};
            matmul_group(ctx, ys, ctx->xb, n, ws, 2);
        }
        swiglu_rows(ctx, ctx->hb, ctx->hb2, n, F);
        qs_matmul(ctx, ctx->xb, ctx->hb, n, &L->ffn_down);
        qs_k.add(ctx->x, ctx->xb, (size_t)n * H);
    }

    /* logits = lm_head(norm(hidden_states)) for the tokens that want them */
    int m = 0;
    for (int t = 0; t < n; t++) {
        int want = b->want_logits ? b->want_logits[t] != 0 : t == n - 1;
        if (want) rmsnorm(ctx->xb + (size_t)m++ * H, ctx->x + (size_t)t * H, w->output_norm, 1, H, c->rms_norm_eps);
    }
    if (m == 0) return QS_OK;
    qs_matmul(ctx, ctx->logits, ctx->xb, m, &w->output);
    ctx->n_out = m;
    return QS_OK;
}
