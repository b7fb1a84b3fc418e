/*
 * bench_tokenizer.c - tokenizer load time and encode throughput.
 *
 *   bench_tokenizer [--tokenizer FILE] [--docs FILE.jsonl] [--runs N] [--loads N]
 *
 * --docs: JSON lines {"text": ...}; each document is encoded separately
 * (bench/tokenizer/compare.py writes such a file and runs HF tokenizers on
 * the same documents). Without --docs, the strings of
 * ../shared/tokenizer/reference.jsonl and tests/data/tokenizer/corpus.jsonl
 * are used. Encode figures: the first pass (empty word cache) and the best
 * of --runs passes, in MB/s of UTF-8 input. Single thread.
 * Output ends with one machine-readable line:
 *   RESULT load_s=... cold_mbps=... warm_mbps=... bytes=... tokens=...
 */
#include <getopt.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tokenizer.h"

typedef struct {
    char **text;
    size_t *len;
    size_t n, cap, bytes;
} docs_t;

static void docs_add(docs_t *d, const char *s)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 1024;
        d->text = realloc(d->text, d->cap * sizeof(char *));
        d->len = realloc(d->len, d->cap * sizeof(size_t));
        QS_ASSERT(d->text && d->len);
    }
    d->text[d->n] = qs_strdup(s);
    d->len[d->n] = strlen(s);
    d->bytes += d->len[d->n];
    d->n++;
}

static int docs_load(docs_t *d, const char *path)
{
    char *data;
    size_t size;
    if (qs_read_file(path, &data, &size)) {
        fprintf(stderr, "bench_tokenizer: %s\n", qs_last_error());
        return -1;
    }
    for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *o = cJSON_Parse(line);
        const cJSON *t = cJSON_GetObjectItem(o, "text");
        if (cJSON_IsString(t))
            docs_add(d, t->valuestring);
        cJSON_Delete(o);
    }
    free(data);
    return 0;
}

static double encode_all(qs_tokenizer *tok, const docs_t *d, size_t *n_tokens)
{
    double t0 = qs_now();
    size_t total = 0;
    for (size_t i = 0; i < d->n; i++) {
        int32_t *ids;
        size_t n;
        if (qs_tokenizer_encode(tok, d->text[i], d->len[i], &ids, &n) != QS_OK) {
            fprintf(stderr, "bench_tokenizer: encode failed: %s\n", qs_last_error());
            exit(1);
        }
        total += n;
        free(ids);
    }
    *n_tokens = total;
    return qs_now() - t0;
}

int main(int argc, char **argv)
{
    const char *tok_path = "../shared/tokenizer/tokenizer.json";
    const char *docs_path = NULL;
    int runs = 5, loads = 5;
    static const struct option opts[] = {
        {"tokenizer", required_argument, NULL, 't'}, {"docs", required_argument, NULL, 'd'},
        {"runs", required_argument, NULL, 'r'},      {"loads", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 't': tok_path = optarg; break;
        case 'd': docs_path = optarg; break;
        case 'r': runs = atoi(optarg); break;
        case 'l': loads = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: bench_tokenizer [--tokenizer FILE] [--docs FILE.jsonl] "
                            "[--runs N] [--loads N]\n");
            return c == 'h' ? 0 : 2;
        }
    }
    if (runs < 1)
        runs = 1;
    if (loads < 1)
        loads = 1;

    docs_t d = {0};
    if (docs_path) {
        if (docs_load(&d, docs_path))
            return 1;
    } else if (docs_load(&d, "../shared/tokenizer/reference.jsonl") ||
               docs_load(&d, "tests/data/tokenizer/corpus.jsonl")) {
        return 1;
    }

    /* load time: best and mean of `loads` loads */
    double best_load = 1e9, sum_load = 0;
    qs_tokenizer *tok = NULL;
    for (int i = 0; i < loads; i++) {
        double t0 = qs_now();
        if (qs_tokenizer_load(&tok, tok_path) != QS_OK) {
            fprintf(stderr, "bench_tokenizer: %s\n", qs_last_error());
            return 1;
        }
        double t = qs_now() - t0;
        sum_load += t;
        if (t < best_load)
            best_load = t;
        if (i + 1 < loads)
            qs_tokenizer_free(tok);
    }

    size_t n_tokens = 0;
    double cold = encode_all(tok, &d, &n_tokens);
    double best = cold;
    for (int r = 1; r < runs; r++) {
        double t = encode_all(tok, &d, &n_tokens);
        if (t < best)
            best = t;
    }
    double mb = (double)d.bytes / 1e6;
    printf("tokenizer: %s\n", tok_path);
    printf("load:      best %.3f s, mean %.3f s over %d loads\n", best_load, sum_load / loads, loads);
    printf("documents: %zu, %.2f MB, %zu tokens (%.2f bytes/token)\n", d.n, mb, n_tokens,
           (double)d.bytes / (double)(n_tokens ? n_tokens : 1));
    printf("encode:    first pass %.1f MB/s, best of %d passes %.1f MB/s (%.2f M tokens/s)\n",
           mb / cold, runs, mb / best, (double)n_tokens / best / 1e6);
    printf("RESULT load_s=%.4f cold_mbps=%.2f warm_mbps=%.2f bytes=%zu tokens=%zu\n", best_load,
           mb / cold, mb / best, d.bytes, n_tokens);
    qs_tokenizer_free(tok);
    for (size_t i = 0; i < d.n; i++)
        free(d.text[i]);
    free(d.text);
    free(d.len);
    return 0;
}
