/* cli_model.h - model + tokenizer opening and JSON-lines input shared by subcommands. */
#ifndef QS_CLI_MODEL_H
#define QS_CLI_MODEL_H

#include "cli.h"
#include "quant.h"
#include "qwen2_weights.h"
#include "tokenizer.h"

typedef struct {
    qs_weights w;
    qs_tokenizer *tok; /* NULL when the directory has no tokenizer.json */
    int have_w;
    qs_quant *quant; /* the 8-bit store after cli_model_quantize, else NULL */
} cli_model;

/* Opens DIR; prints the error and returns non-zero on failure. */
int cli_model_open(cli_model *m, const char *cmd, const char *dir, int need_tokenizer);
void cli_model_close(cli_model *m);
/* Parse a --weights value: "native" (as stored) or "q8"; prints the error and returns non-zero otherwise. */
int cli_weights_opt(const char *cmd, const char *val, int *q8);
/* Quantize the opened model's matrices to 8 bits (engine/quant.h); prints the error on failure. */
int cli_model_quantize(cli_model *m, const char *cmd, int n_threads);

typedef struct {
    int32_t *ids;
    int n;
} cli_ids;
void cli_ids_free(cli_ids *v);

/* Read JSON lines; each line gives, for every key K, either a string field K
 * (tokenized; needs tok) or an id list K_ids (for K = "text" the list is "ids").
 * *rows is [n_rows][n_keys]. Returns 0 or a qs_status with a message naming file:line. */
int cli_read_jsonl(const char *path, const char *const *keys, int n_keys, qs_tokenizer *tok, int vocab,
                   cli_ids **rows, int *n_rows);

#endif
