/*
 * encode.c - qs_tokenizer_encode: invalid-UTF-8 repair, added-token
 * matching, normalization, then pretok.c and bpe.c on what is left.
 *
 * Added tokens (HF AddedVocabulary::find_matches):
 *   - matching is leftmost-longest over all added-token contents: at the
 *     first position where any content matches, the longest one wins (for
 *     equal contents, the first in HF's order: special tokens, then the
 *     others, each in file order); the search resumes after the match;
 *   - single_word: the match is dropped if the character before it or after
 *     it is a word character (\w: letters, marks, Nd, Nl, Pc, ZWNJ, ZWJ);
 *   - lstrip: the match swallows the whitespace before it (not past the
 *     previous match); rstrip: the whitespace after it;
 *   - tokens with "normalized": false are matched on the raw text, tokens
 *     with "normalized": true on the NFC form of the pieces in between.
 * One divergence, in a case no real tokenizer hits: after an rstrip match HF
 * resumes searching at the end of the token itself, inside the whitespace it
 * swallowed; we resume after that whitespace.
 */
#include <string.h>

#include <utf8proc.h>

#include "tok_internal.h"

/* Unicode White_Space (Rust regex \s). */
static int is_ws(int32_t cp)
{
    return qs_pretok_class(cp) == QS_CLS_SPACE || cp == '\r' || cp == '\n';
}

/* Rust regex \w, approximated with general categories. */
static int is_word(int32_t cp)
{
    if (cp < 0x80)
        return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z' ? 1 : (cp >= '0' && cp <= '9') || cp == '_';
    if (cp == 0x200C || cp == 0x200D)
        return 1;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_PC:
        return 1;
    default:
        return 0;
    }
}

/* Code point of the last character of s[0..n) (valid UTF-8, n > 0), and its
 * start. */
static int32_t last_char(const char *s, size_t n, size_t *start)
{
    size_t i = n - 1;
    while (i > 0 && ((uint8_t)s[i] & 0xC0) == 0x80)
        i--;
    int32_t cp;
    qs_utf8_next((const uint8_t *)s + i, n - i, &cp);
    *start = i;
    return cp;
}

/* Longest added token (of the given kind) whose content starts s[0..n). */
static const qs_added_token *match_here(const qs_tokenizer *tok, const char *s, size_t n,
                                        int normalized)
{
    const qs_added_token *best = NULL;
    /* specials first, then the rest: HF's pattern order for equal contents */
    for (int pass = 0; pass < 2; pass++)
        for (size_t k = 0; k < tok->n_added; k++) {
            const qs_added_token *a = &tok->added[k];
            if (a->special != (pass == 0) || a->normalized != normalized || a->len == 0 ||
                a->len > n || (best && a->len <= best->len))
                continue;
            if ((uint8_t)a->content[0] == (uint8_t)s[0] && memcmp(a->content, s, a->len) == 0)
                best = a;
        }
    return best;
}

typedef qs_status (*segment_fn)(qs_tokenizer *tok, const char *s, size_t n);

/* Cut s[0..n) at added tokens of the given kind; matches go to the output,
 * the text between them to `rest`. */
static qs_status split_added(qs_tokenizer *tok, const char *s, size_t n, int normalized,
                             segment_fn rest)
{
    uint8_t first[256] = {0};
    int any = 0;
    for (size_t k = 0; k < tok->n_added; k++)
        if (tok->added[k].normalized == normalized && tok->added[k].len) {
            first[(uint8_t)tok->added[k].content[0]] = 1;
            any = 1;
        }
    if (!any)
        return rest(tok, s, n);

    size_t done = 0; /* s[0..done) handled */
    size_t i = 0;
    qs_status st;
    while (i < n) {
        if (!first[(uint8_t)s[i]]) {
            i++;
            continue;
        }
        const qs_added_token *a = match_here(tok, s + i, n - i, normalized);
        if (!a) {
            i++;
            continue;
        }
        size_t start = i, stop = i + a->len;
        if (a->single_word) {
            size_t ps;
            int32_t nc;
            int before = start > 0 && is_word(last_char(s, start, &ps));
            int after = stop < n && qs_utf8_next((const uint8_t *)s + stop, n - stop, &nc) &&
                        is_word(nc);
            if (before || after) {
                i = stop; /* HF's search resumes after the discarded match */
                continue;
            }
        }
        if (a->lstrip) {
            size_t ps;
            while (start > done && is_ws(last_char(s, start, &ps)))
                start = ps;
        }
        if (a->rstrip) {
            int32_t cp;
            size_t l;
            while (stop < n && (l = qs_utf8_next((const uint8_t *)s + stop, n - stop, &cp)) &&
                   is_ws(cp))
                stop += l;
        }
        if (start > done && (st = rest(tok, s + done, start - done)))
            return st;
        qs_out_push(tok, a->id);
        done = i = stop;
    }
    if (done < n)
        return rest(tok, s + done, n - done);
    return QS_OK;
}

static int emit_word(void *ctx, const char *piece, size_t len)
{
    return qs_bpe_word(ctx, piece, len);
}

static qs_status pretok_and_bpe(qs_tokenizer *tok, const char *s, size_t n)
{
    return (qs_status)qs_pretok_split(tok, s, n, emit_word, tok);
}

/* A piece between non-normalized added tokens: normalize, then look for the
 * normalized added tokens, then pre-tokenize. */
static qs_status normalize_piece(qs_tokenizer *tok, const char *s, size_t n)
{
    const char *ns = s;
    size_t nn = n;
    if (tok->nfc) {
        qs_status st = qs_nfc(s, n, &tok->norm, &ns, &nn);
        if (st)
            return st;
    }
    if (tok->has_normalized_added)
        return split_added(tok, ns, nn, 1, pretok_and_bpe);
    return pretok_and_bpe(tok, ns, nn);
}

qs_status qs_tokenizer_encode(qs_tokenizer *tok, const char *text, size_t len, int32_t **ids,
                              size_t *n_ids)
{
    if (!tok || (!text && len) || !ids || !n_ids)
        return qs_fail(QS_ERR_ARG, "qs_tokenizer_encode: NULL argument");
    *ids = NULL;
    *n_ids = 0;
    const char *clean = text ? text : "";
    size_t n = qs_utf8_sanitize(clean, len, &tok->clean, &clean);
    tok->n_out = 0;
    qs_status st = split_added(tok, clean, n, 0, normalize_piece);
    if (st)
        return st;
    int32_t *out = qs_malloc((tok->n_out ? tok->n_out : 1) * sizeof(int32_t));
    if (tok->n_out)
        memcpy(out, tok->out, tok->n_out * sizeof(int32_t));
    *ids = out;
    *n_ids = tok->n_out;
    return QS_OK;
}
