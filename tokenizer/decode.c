/*
 * decode.c - ids back to UTF-8 text, in one go or streaming.
 *
 * Each id maps to the bytes computed at load (HF's ByteLevel decoder rule:
 * each character of the token text mapped back to its byte, or the text's
 * own UTF-8 if a character is outside the byte-level alphabet, which is
 * what happens for added tokens like "<|im_end|>" whose characters map to
 * themselves). The concatenated bytes are then made valid UTF-8 with one
 * U+FFFD per maximal ill-formed subsequence, like String::from_utf8_lossy.
 * Unknown ids are skipped, as HF skips them; skip_special drops special
 * added tokens.
 *
 * Streaming: the stream keeps the bytes of a character that is not finished
 * yet (at most 3). A push appends the new token's bytes to them and emits
 * everything up to the last point where the text can be cut: a complete
 * character, or a definitely ill-formed run (emitted as U+FFFD). Because a
 * held tail is always a proper prefix of a valid character, the emitted text
 * is exactly what batch decoding gives.
 */
#include <string.h>

#include "tok_internal.h"

/* Append the valid-UTF-8 repair of b[0..n) to o (capacity >= 3n); returns
 * bytes written. If hold is non-NULL, an unfinished character at the end is
 * not written and its length is stored in *hold. */
static size_t repair(const uint8_t *b, size_t n, char *o, size_t *hold)
{
    size_t i = 0, w = 0;
    if (hold)
        *hold = 0;
    while (i < n) {
        if (b[i] < 0x80) {
            o[w++] = (char)b[i++];
            continue;
        }
        int32_t cp;
        size_t l = qs_utf8_next(b + i, n - i, &cp);
        if (l) {
            memcpy(o + w, b + i, l);
            w += l;
            i += l;
            continue;
        }
        if (hold && qs_utf8_is_incomplete(b + i, n - i)) {
            *hold = n - i;
            break;
        }
        memcpy(o + w, "\xEF\xBF\xBD", 3);
        w += 3;
        i += (size_t)cp;
    }
    return w;
}

static int id_skipped(const qs_tokenizer *tok, int32_t id, int skip_special)
{
    return id < 0 || (size_t)id >= tok->n_ids || !tok->tok_bytes[id] ||
           (skip_special && tok->is_special[id]);
}

qs_status qs_tokenizer_decode(const qs_tokenizer *tok, const int32_t *ids, size_t n,
                              int skip_special, char **text)
{
    size_t len;
    return qs_tokenizer_decode_n(tok, ids, n, skip_special, text, &len);
}

qs_status qs_tokenizer_decode_n(const qs_tokenizer *tok, const int32_t *ids, size_t n,
                                int skip_special, char **text, size_t *text_len)
{
    if (!tok || (!ids && n) || !text || !text_len)
        return qs_fail(QS_ERR_ARG, "qs_tokenizer_decode: NULL argument");
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        if (!id_skipped(tok, ids[i], skip_special))
            total += tok->tok_bytes_len[ids[i]];
    uint8_t *raw = qs_malloc(total + 1);
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        if (!id_skipped(tok, ids[i], skip_special)) {
            memcpy(raw + w, tok->tok_bytes[ids[i]], tok->tok_bytes_len[ids[i]]);
            w += tok->tok_bytes_len[ids[i]];
        }
    size_t cap;
    if (qs_mul_overflow(total, 3, &cap)) {
        free(raw);
        return qs_fail(QS_ERR_NOMEM, "qs_tokenizer_decode: output too large");
    }
    char *out = qs_malloc(cap + 1);
    size_t len = repair(raw, total, out, NULL);
    out[len] = 0;
    free(raw);
    *text = out;
    *text_len = len;
    return QS_OK;
}

/* ---------------------------------------------------------------------------
 * Streaming
 * ------------------------------------------------------------------------- */

struct qs_decode_stream {
    const qs_tokenizer *tok;
    int skip_special;
    uint8_t held[4];  /* unfinished character */
    size_t n_held;
    qs_buf in;        /* held bytes + new token bytes */
    qs_buf out;       /* text returned to the caller */
};

qs_decode_stream *qs_decode_stream_init(const qs_tokenizer *tok, int skip_special)
{
    if (!tok)
        return NULL;
    qs_decode_stream *ds = qs_calloc(1, sizeof(*ds));
    ds->tok = tok;
    ds->skip_special = skip_special;
    return ds;
}

qs_status qs_decode_stream_push(qs_decode_stream *ds, int32_t id, const char **text, size_t *len)
{
    if (!ds || !text || !len)
        return qs_fail(QS_ERR_ARG, "qs_decode_stream_push: NULL argument");
    const qs_tokenizer *tok = ds->tok;
    size_t nb = id_skipped(tok, id, ds->skip_special) ? 0 : tok->tok_bytes_len[id];
    size_t n = ds->n_held + nb;
    uint8_t *in = qs_buf_reserve(&ds->in, n + 1);
    memcpy(in, ds->held, ds->n_held);
    if (nb)
        memcpy(in + ds->n_held, tok->tok_bytes[id], nb);
    char *o = qs_buf_reserve(&ds->out, 3 * n + 1);
    size_t hold;
    size_t w = repair(in, n, o, &hold);
    QS_ASSERT(hold < 4);
    memcpy(ds->held, in + n - hold, hold);
    ds->n_held = hold;
    o[w] = 0;
    *text = o;
    *len = w;
    return QS_OK;
}

qs_status qs_decode_stream_flush(qs_decode_stream *ds, const char **text, size_t *len)
{
    if (!ds || !text || !len)
        return qs_fail(QS_ERR_ARG, "qs_decode_stream_flush: NULL argument");
    char *o = qs_buf_reserve(&ds->out, 3 * ds->n_held + 1);
    size_t w = repair(ds->held, ds->n_held, o, NULL);
    o[w] = 0;
    ds->n_held = 0;
    *text = o;
    *len = w;
    return QS_OK;
}

void qs_decode_stream_free(qs_decode_stream *ds)
{
    if (!ds)
        return;
    free(ds->in.p);
    free(ds->out.p);
    free(ds);
}
