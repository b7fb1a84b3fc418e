/*
 * extract.h - steering directions from contrastive sentence pairs.
 *
 * For each pair (positive = with the concept, negative = neutral) the
 * residual stream at the last token is taken at every requested layer
 * boundary. Per layer:
 *   mean-diff: d = mean_i(pos_i - neg_i), accumulated in double, then d/|d|
 *              (the method of the original experiments);
 *   pca:       first principal component of the centred differences
 *              (pos_i - neg_i - mean), by power iteration in double, sign-
 *              aligned so that it points along the mean difference.
 * A layer where the mean difference is exactly zero (l = 0 when every pair
 * ends in the same token: the embedding of the last token is all that layer
 * sees) gets no direction; out->n_zero_layers counts them.
 * Recorded per layer: |d| (raw_diff_norm) and the mean L2 norm of the
 * last-token residual over all sentences (mean_resid_norm, used by relative
 * scaling).
 */
#ifndef QS_EXTRACT_H
#define QS_EXTRACT_H

#include "capture.h"
#include "directions.h"

typedef enum { QS_METHOD_MEAN_DIFF = 0, QS_METHOD_PCA } qs_extract_method;

typedef struct {
    qs_extract_method method;
    const unsigned char *layers; /* [n_layers+1] mask */
    qs_progress_fn progress;
    void *progress_ud;
} qs_extract_params;

/* out is initialised here (caller frees with qs_dir_free). Model name, hash,
 * method and n_pairs are filled in; the caller sets the concept. */
qs_status qs_extract(qs_ctx *ctx, const qs_token_seq *pos, const qs_token_seq *neg, int n_pairs,
                     const qs_extract_params *p, qs_directions *out);

#endif
