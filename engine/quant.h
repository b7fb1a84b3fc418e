/*
 * quant.h - 8-bit weights made at load (`--weights q8`).
 *
 * qs_quant_q8() replaces the matrices the forward pass multiplies by (every
 * layer's projections and the LM head) with QS_DTYPE_Q8 copies (groups of 32
 * int8 with an fp16 scale, kernels.h), 1.0625 bytes per weight instead of 2
 * for BF16, so decode reads ~0.53x the bytes. The token embedding lookup keeps
 * reading the original rows. Activations stay float32; the only error is the
 * weights' rounding to 8 bits (about 0.2% of each block's largest weight,
 * see bench/README.md for its effect on logits).
 *
 * The original mapping's pages are released from this process (the file stays
 * in the page cache), so RSS holds the 8-bit copy, not both.
 */
#ifndef QS_QUANT_H
#define QS_QUANT_H

#include "qwen2_weights.h"

typedef struct qs_quant qs_quant;

/* Quantize `w` in place (its qs_mat entries point into the returned store, which must outlive
 * every use of w and be freed with qs_quant_free before qs_weights_free). Matrices whose k is not a
 * multiple of 32 stay as they are. n_threads <= 0: all cores. A weight that is not finite, or
 * so large that its group's scale overflows fp16, is an error naming the tensor and row (w is then
 * partly quantized: free it). */
qs_status qs_quant_q8(qs_weights *w, int n_threads, qs_quant **out);
void qs_quant_free(qs_quant *q);

#endif
