/*
 * test_batch.c - batched generation equals unbatched generation, and teacher
 * forcing reproduces what generation saw.
 *
 * Six jobs (different prompts, seeds, steering or none, sampled at T = 0.9)
 * run with 1 slot and with 4 slots must give identical tokens. Teacher
 * forcing a greedy continuation must predict every token of it (argmax), with
 * and without steering.
 */
#include <string.h>

#include "batch_gen.h"
#include "generate.h"
#include "kernels.h"
#include "test_util.h"

#define N_JOBS 6

static qs_status run(const qs_weights *w, int n_seq, qs_gen_job *jobs, const qs_steer *st) {
    static const int32_t prompts[N_JOBS][6] = {{5, 6, 7}, {9, 8, 7, 6, 5, 4}, {100}, {42, 43}, {7, 7, 7, 7}, {250, 3, 17, 200, 1}};
    static const int lens[N_JOBS] = {3, 6, 1, 2, 4, 5};
    for (int i = 0; i < N_JOBS; i++)
        jobs[i] = (qs_gen_job){.prompt = prompts[i], .n_prompt = lens[i], .seed = 1000 + (uint64_t)i, .steer = (i % 3 == 1) ? NULL : st};
    qs_ctx ctx;
    qs_ctx_params cp = {.n_ctx = 64, .n_seq = n_seq, .n_batch = 16, .n_logits = n_seq};
    QS_ASSERT(qs_ctx_init(&ctx, w, &cp) == QS_OK);
    qs_batch_gen_params p = {.max_tokens = 24, .sampling = {.temperature = 0.9f, .top_k = 0, .top_p = 0.95f, .repeat_penalty = 1.1f}};
    qs_status rc = qs_batch_generate(&ctx, jobs, N_JOBS, &p);
    qs_ctx_free(&ctx);
    return rc;
}

typedef struct {
    const int32_t *want;
    int ok;
} tf_check;

static void tf_fn(void *ud, int i, const float *logits) {
    tf_check *c = ud;
    c->ok &= qs_argmax(logits, 300) == c->want[i];
}

int main(void) {
    qs_kernels_init(~0u);
    qs_weights w;
    QS_ASSERT(qs_weights_load(&w, "tests/data/models/tiny-untied-f32") == QS_OK);
    qs_directions d;
    QS_ASSERT(qs_dir_load(&d, "tests/data/steer/tiny-untied-f32.directions.safetensors", &w.cfg) == QS_OK);
    qs_steer st;
    qs_steer_init(&st, w.cfg.hidden_size, w.cfg.n_layers, QS_STEER_ALL);
    unsigned char mask[8] = {0, 0, 1, 0, 0};
    QS_ASSERT(qs_steer_add(&st, &d, "dir", mask, 2.0, QS_SCALE_ABSOLUTE) == QS_OK);

    qs_gen_job a[N_JOBS], b[N_JOBS];
    CHECK(run(&w, 1, a, &st) == QS_OK, "%s", qs_last_error());
    CHECK(run(&w, 4, b, &st) == QS_OK, "%s", qs_last_error());
    for (int i = 0; i < N_JOBS; i++) {
        CHECK(a[i].n_out == 24 && b[i].n_out == a[i].n_out && !memcmp(a[i].out, b[i].out, (size_t)a[i].n_out * sizeof(int32_t)),
              "job %d: batch of 4 differs from batch of 1", i);
    }
    /* steering changes the steered jobs (else the test above proves little) */
    qs_gen_job c[N_JOBS];
    CHECK(run(&w, 4, c, NULL) == QS_OK, "%s", qs_last_error());
    CHECK(memcmp(c[0].out, a[0].out, 24 * sizeof(int32_t)) != 0, "steering did not change job 0");
    CHECK(memcmp(c[1].out, a[1].out, 24 * sizeof(int32_t)) == 0, "unsteered job 1 changed with others' steering");
    for (int i = 0; i < N_JOBS; i++) free(a[i].out), free(b[i].out), free(c[i].out);

    /* teacher forcing predicts a greedy continuation token by token */
    qs_ctx ctx;
    qs_ctx_params cp = {.n_ctx = 64, .n_seq = 1, .n_batch = 8, .n_logits = 5};
    QS_ASSERT(qs_ctx_init(&ctx, &w, &cp) == QS_OK);
    static const int32_t prompt[] = {11, 22, 33, 44};
    for (int k = 0; k < 2; k++) {
        const qs_steer *s = k ? &st : NULL;
        qs_batch_gen_params p = {.max_tokens = 20, .sampling = {.temperature = 0}};
        qs_gen_job j = {.prompt = prompt, .n_prompt = 4, .steer = s};
        QS_ASSERT(qs_batch_generate(&ctx, &j, 1, &p) == QS_OK);
        tf_check chk = {.want = j.out, .ok = 1};
        CHECK(qs_teacher_force(&ctx, prompt, 4, j.out, j.n_out, s, tf_fn, &chk) == QS_OK, "%s", qs_last_error());
        CHECK(chk.ok, "teacher forcing (%s) does not predict the greedy tokens", k ? "steered" : "unsteered");
        free(j.out);
    }
    qs_ctx_free(&ctx);
    qs_steer_free(&st);
    qs_dir_free(&d);
    qs_weights_free(&w);
    return test_summary("test_batch");
}
