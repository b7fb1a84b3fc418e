/*
 * fuzz_load.c - libFuzzer target for the tokenizer.json loader.
 *
 * Input: arbitrary bytes given to qs_tokenizer_load_json. It must either
 * succeed or fail with QS_ERR_FORMAT / QS_ERR_UNSUPPORTED and a non-empty
 * message, never crash or leak. When a file loads, a fixed text is encoded
 * and decoded with it (exercising added tokens, merges and NFC on whatever
 * the fuzzer built). Seeds: fuzz/corpus_load/ (small valid tokenizers).
 */
#include <string.h>

#include "tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char text[] = "Hello world <s> it's caf\xC3\xA9 e\xCC\x81 [L] x  \n\n 123 \xF0\x9F\x98\x80\xFF";
    qs_tokenizer *tok = NULL;
    qs_status st = qs_tokenizer_load_json(&tok, (const char *)data, size, "fuzz.json");
    if (st != QS_OK) {
        QS_ASSERT(tok == NULL);
        QS_ASSERT(st == QS_ERR_FORMAT || st == QS_ERR_UNSUPPORTED);
        QS_ASSERT(qs_last_error()[0] != 0);
        return 0;
    }
    int32_t *ids;
    size_t n;
    QS_ASSERT(qs_tokenizer_encode(tok, text, sizeof(text) - 1, &ids, &n) == QS_OK);
    for (size_t i = 0; i < n; i++)
        QS_ASSERT(ids[i] >= 0 && (size_t)ids[i] < qs_tokenizer_vocab_size(tok));
    char *out;
    QS_ASSERT(qs_tokenizer_decode(tok, ids, n, 1, &out) == QS_OK);
    free(out);
    free(ids);
    qs_tokenizer_free(tok);
    return 0;
}
