/*
 * experiment.h - `qsteer experiment`: run a declared steering grid and measure it.
 *
 * A config (JSON) names concepts (pairs file, lexicon, optional ready-made
 * directions), steering conditions (explicit list or a layers x scales grid),
 * prompts, samples per prompt and generation settings. The runner:
 *   1. gets one direction file per concept (given, cached in OUT/directions/,
 *      or extracted from the first n_pairs pairs);
 *   2. generates the baseline (prompts x samples) once, shared by every
 *      concept and condition, then every steered generation, batched; sample
 *      s of prompt p uses the same seed in every condition (common random
 *      numbers);
 *   3. appends one JSON line per generation to OUT/results.jsonl as it
 *      finishes (a rerun skips ids already there);
 *   4. writes OUT/summary.json, OUT/report.md and SVG plots (report.c),
 *      computed from results.jsonl alone.
 * Per generation it records marker counts for every concept's lexicon, the
 * word count, the perplexity of the text under the unsteered model (fluency
 * guard) and, for steered rows, dlogp: the mean over the baseline text's
 * positions (teacher-forced) of log P_steered(next token in the concept's
 * lexicon) - log P_unsteered(same), a sampling-free measure of the effect.
 */
#ifndef QS_EXPERIMENT_H
#define QS_EXPERIMENT_H

#include "qwen2_weights.h"
#include "tokenizer.h"

typedef struct {
    int threads;
    int batch;       /* overrides the config's batch when > 0 */
    int report_only; /* only rebuild summary/report from results.jsonl */
} qs_experiment_opts;

/* Runs config_path with the model in w/tok, writing into out_dir (created). */
qs_status qs_experiment_run(const char *config_path, const qs_weights *w, qs_tokenizer *tok, const char *out_dir,
                            const qs_experiment_opts *opts);

/* Summary, report.md and plots from out_dir/results.jsonl (no model needed). */
qs_status qs_experiment_report(const char *out_dir);

#endif
