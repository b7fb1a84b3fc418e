/*
 * fuzz_encode.c - libFuzzer target for qs_tokenizer_encode/decode.
 *
 * Input: arbitrary bytes, encoded as text with the real Qwen tokenizer
 * ($QS_FUZZ_TOKENIZER, default ../shared/tokenizer/tokenizer.json relative
 * to the working directory). Besides "no crash, no sanitizer report", it
 * checks:
 *   - every id is in [0, vocab size);
 *   - streaming decode == batch decode, and the decoded text is valid UTF-8;
 *   - encoding the decoded text gives the same ids (decode(encode(x)) is
 *     the NFC form of the repaired x, which encodes to the same tokens).
 */
#include <string.h>

#include "tok_internal.h"
#include "tokenizer.h"

static qs_tokenizer *tok;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *path = getenv("QS_FUZZ_TOKENIZER");
    if (!path)
        path = "../shared/tokenizer/tokenizer.json";
    if (qs_tokenizer_load(&tok, path) != QS_OK) {
        fprintf(stderr, "fuzz_encode: %s\n", qs_last_error());
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int32_t *ids;
    size_t n;
    QS_ASSERT(qs_tokenizer_encode(tok, (const char *)data, size, &ids, &n) == QS_OK);
    for (size_t i = 0; i < n; i++)
        QS_ASSERT(ids[i] >= 0 && (size_t)ids[i] < qs_tokenizer_vocab_size(tok));
    char *text;
    size_t tl;
    QS_ASSERT(qs_tokenizer_decode_n(tok, ids, n, 0, &text, &tl) == QS_OK);
    const char *clean;
    qs_buf b = {0};
    qs_utf8_sanitize(text, tl, &b, &clean);
    QS_ASSERT(clean == text);
    free(b.p);

    /* streaming decode gives the same text */
    qs_decode_stream *ds = qs_decode_stream_init(tok, 0);
    size_t off = 0;
    for (size_t i = 0; i <= n; i++) {
        const char *p;
        size_t pl;
        if (i < n)
            qs_decode_stream_push(ds, ids[i], &p, &pl);
        else
            qs_decode_stream_flush(ds, &p, &pl);
        QS_ASSERT(off + pl <= tl && memcmp(text + off, p, pl) == 0);
        off += pl;
    }
    QS_ASSERT(off == tl);
    qs_decode_stream_free(ds);

    /* re-encoding the decoded text is stable */
    {
        int32_t *ids2;
        size_t n2;
        QS_ASSERT(qs_tokenizer_encode(tok, text, tl, &ids2, &n2) == QS_OK);
        QS_ASSERT(n2 == n && memcmp(ids, ids2, n * sizeof(int32_t)) == 0);
        free(ids2);
    }
    free(text);
    free(ids);
    return 0;
}
