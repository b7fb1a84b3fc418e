/*
 * tokenizer.h - Qwen2 byte-level BPE tokenizer read from a Hugging Face
 * tokenizer.json, producing the same ids as HF `tokenizers`.
 *
 * Pipeline of qs_tokenizer_encode (the same order as HF tokenizers):
 *   1. invalid UTF-8 is replaced, one U+FFFD per maximal ill-formed
 *      subsequence (what Python's bytes.decode("utf-8", "replace") gives,
 *      i.e. what HF sees when a caller decodes bytes before tokenizing);
 *   2. added tokens with "normalized": false are cut out of the raw text
 *      (leftmost-longest match, honouring lstrip/rstrip/single_word);
 *   3. each remaining piece is normalized (NFC), then added tokens with
 *      "normalized": true are cut out of the normalized piece;
 *   4. the Qwen2 Split regex (pretok.c) cuts the rest into words;
 *   5. each word's bytes go through byte-level BPE by merge rank (bpe.c).
 *
 * What is supported (anything else is refused at load with
 * QS_ERR_UNSUPPORTED and a message naming the field):
 *   model: BPE, no dropout, no continuing_subword_prefix/end_of_word_suffix,
 *          byte_fallback false, merges as "a b" strings or [a, b] pairs;
 *   normalizer: null, NFC, or a Sequence of those;
 *   pre_tokenizer: Sequence[Split(Qwen2 regex, Isolated), ByteLevel(no
 *          prefix space, use_regex false)];
 *   post_processor: null or ByteLevel; decoder: null or ByteLevel.
 *
 * Threads: loading produces tables that are never modified afterwards, but
 * qs_tokenizer_encode keeps a word cache and scratch buffers inside the
 * tokenizer, so it must not run concurrently on one qs_tokenizer. Use one
 * tokenizer per thread (load it several times). Decoding, lookups and the
 * streaming decoder only read the tokenizer and may run from any thread.
 *
 * Errors: functions returning qs_status record a message with qs_fail()
 * (see common/qs_common.h); fetch it with qs_last_error().
 */
#ifndef QS_TOKENIZER_H
#define QS_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "qs_common.h"

typedef struct qs_tokenizer qs_tokenizer;

/* Load `path` (a tokenizer.json). On success *out owns the tokenizer (free
 * with qs_tokenizer_free). Returns QS_ERR_IO if the file cannot be read,
 * QS_ERR_FORMAT if it is malformed (bad JSON, missing or mistyped field,
 * merge of unknown tokens, duplicate id), QS_ERR_UNSUPPORTED for a
 * well-formed file using a model/normalizer/pre-tokenizer/decoder that qsteer
 * does not implement. *out is NULL on error. */
qs_status qs_tokenizer_load(qs_tokenizer **out, const char *path);

/* Same as qs_tokenizer_load, from `len` bytes of JSON in memory; `name` is
 * used in error messages only. */
qs_status qs_tokenizer_load_json(qs_tokenizer **out, const char *json, size_t len,
                                 const char *name);

void qs_tokenizer_free(qs_tokenizer *tok);

/* Encode `len` bytes of UTF-8 text (need not be NUL-terminated; may contain
 * NUL). Invalid UTF-8 never fails: each maximal ill-formed subsequence
 * becomes U+FFFD (the bytes EF BF BD) before tokenizing. No BOS/EOS is added.
 * *ids is malloc'd (caller frees; non-NULL even when *n_ids == 0).
 * Returns QS_ERR_ARG for NULL arguments. Not thread-safe per tokenizer. */
qs_status qs_tokenizer_encode(qs_tokenizer *tok, const char *text, size_t len,
                              int32_t **ids, size_t *n_ids);

/* Decode ids into a malloc'd NUL-terminated UTF-8 string (caller frees).
 * Ids that are not in the vocabulary are skipped (as HF does); with
 * skip_special != 0 the special added tokens are skipped too. Bytes that do
 * not form valid UTF-8 become U+FFFD, one per maximal ill-formed
 * subsequence (as Rust's String::from_utf8_lossy in HF). */
qs_status qs_tokenizer_decode(const qs_tokenizer *tok, const int32_t *ids, size_t n,
                              int skip_special, char **text);
/* Same, also giving the length (the text may contain NUL characters). */
qs_status qs_tokenizer_decode_n(const qs_tokenizer *tok, const int32_t *ids, size_t n,
                                int skip_special, char **text, size_t *text_len);

/* Exact lookup of a token's text: an added token's content, or a vocabulary
 * entry in its byte-level form (e.g. "Ġthe"). Returns -1 if absent. */
int32_t qs_tokenizer_token_id(const qs_tokenizer *tok, const char *token_text);

/* 1 if id is an added token marked "special" (e.g. <|im_end|>), else 0. */
int qs_tokenizer_is_special(const qs_tokenizer *tok, int32_t id);

/* Largest id (vocabulary or added token) + 1. */
size_t qs_tokenizer_vocab_size(const qs_tokenizer *tok);

/* The raw bytes a single id decodes to (not NUL-terminated; may be part of a
 * UTF-8 character). Returns NULL and *len = 0 for an unknown id. */
const char *qs_tokenizer_id_bytes(const qs_tokenizer *tok, int32_t id, size_t *len);

/* ---- streaming decode ----------------------------------------------------
 * For printing tokens as they are generated: push one id at a time and get
 * back only complete UTF-8; the bytes of a character split across tokens are
 * held until it is complete. Concatenating every push and the final flush
 * gives exactly qs_tokenizer_decode() of all the ids. The returned text
 * points into the stream and is valid until the next call on it. */
typedef struct qs_decode_stream qs_decode_stream;

/* Returns NULL only for a NULL tokenizer. The tokenizer must outlive it. */
qs_decode_stream *qs_decode_stream_init(const qs_tokenizer *tok, int skip_special);
qs_status qs_decode_stream_push(qs_decode_stream *ds, int32_t id, const char **text,
                                size_t *len);
/* Emits what is still held (an unfinished character becomes U+FFFD) and
 * resets the stream for reuse. */
qs_status qs_decode_stream_flush(qs_decode_stream *ds, const char **text, size_t *len);
void qs_decode_stream_free(qs_decode_stream *ds);

/* ---- chat template -------------------------------------------------------
 * The ChatML text of Qwen2.5 instruct's chat template without tools:
 *   [<|im_start|>system\n{system}<|im_end|>\n]
 *   <|im_start|>{role}\n{content}<|im_end|>\n        (each message)
 *   [<|im_start|>assistant\n]                         (add_generation_prompt)
 * A first message with role "system" gives the system block. Otherwise, with
 * default_system != 0, Qwen2.5's default "You are Qwen, created by Alibaba
 * Cloud. You are a helpful assistant." is used; with default_system == 0
 * there is no system block (the behaviour of the Qwen3 template shipped in
 * ../shared/tokenizer/tokenizer_config.json). Roles: system, user, assistant,
 * and tool (consecutive tool messages are wrapped in one user turn as
 * <tool_response> blocks, as the template does). Returns a malloc'd string,
 * or NULL for an unknown role or NULL role/content. */
typedef struct {
    const char *role;
    const char *content;
} qs_chat_msg;

char *qs_chat_format(const qs_chat_msg *msgs, size_t n, int add_generation_prompt,
                     int default_system);

#endif
