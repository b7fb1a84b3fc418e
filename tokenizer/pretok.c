/*
 * pretok.c - NFC normalization and the Qwen2 pre-tokenizer split.
 *
 * The Qwen2 pre-tokenizer is a Split with this regex (Oniguruma syntax, as
 * HF tokenizers runs it), behaviour "Isolated" (every match is a piece):
 *
 *   (?i:'s|'t|'re|'ve|'m|'ll|'d)      1. contractions, any case
 *   |[^\r\n\p{L}\p{N}]?\p{L}+          2. letters, with one optional leading
 *                                         non-letter, non-number, non-newline
 *   |\p{N}                             3. a single number character
 *   | ?[^\s\p{L}\p{N}]+[\r\n]*         4. punctuation/symbols, one optional
 *                                         leading space, trailing newlines
 *   |\s*[\r\n]+                        5. whitespace up to the last newline
 *   |\s+(?!\S)                         6. whitespace not followed by text...
 *   |\s+                               7. ...or all of it
 *
 * We do not run a regex engine. match_at() below tries the alternatives in
 * order at a position and returns where the match ends; every character is
 * matched by one of 2-7, so the pieces tile the text. Character classes
 * (qs_pretok_class):
 *   \p{L}  general category L* (utf8proc_category)
 *   \p{N}  general category N*
 *   \s     Unicode White_Space: U+0009-000D, 0020, 0085, 00A0, 1680,
 *          2000-200A, 2028, 2029, 202F, 205F, 3000 (Oniguruma's \s)
 * utf8proc 2.8 knows Unicode 15.0, while HF's Oniguruma already classifies
 * the letters and digits new in Unicode 16 (Todhri, Garay, Tulu-Tigalari,
 * Kirat Rai, ...): for code points utf8proc calls unassigned (Cn) we consult
 * the small table unicode16_ln below, taken from probing HF (the test
 * checks all 1.1M code points against HF: tests/data/tokenizer/classes.txt).
 * Case-insensitive contractions: A-Z fold to a-z, and U+017F LATIN SMALL
 * LETTER LONG S folds to 's' (Oniguruma applies Unicode case folding, so
 * "'ſ" is a contraction; checked against HF).
 * Backtracking worked out by hand:
 *   alt 5 on a whitespace run ends right after the run's last \r or \n;
 *   alt 6 takes the whole run at end of text, else the run minus its last
 *   character (that character then starts the next piece, e.g. " b"); if the
 *   run is one character followed by text, alt 7 takes that one character.
 *
 * NFC: qs_nfc() skips utf8proc for stretches that cannot change. A character
 * is "inert" if it has combining class 0, no decomposition, takes part in no
 * composition and is not a Hangul jamo/syllable; a position between two
 * characters is a normalization boundary if either character is inert or
 * both are ASCII. Only stretches between boundaries that contain a non-ASCII,
 * non-inert character are passed to utf8proc_map(COMPOSE | STABLE).
 */
#include <string.h>

#include <utf8proc.h>

#include "tok_internal.h"

/* ---------------------------------------------------------------------------
 * Character classes
 * ------------------------------------------------------------------------- */

static int is_white_space(int32_t cp)
{
    if (cp <= 0x20)
        return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
    if (cp < 0x85)
        return 0;
    return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* Letters (L) and numbers (N) assigned in Unicode 16, unassigned in 15. */
static const struct {
    int32_t first, last;
    uint8_t cls;
} unicode16_ln[] = {
    {0x1C89, 0x1C8A, QS_CLS_LETTER},
    {0xA7CB, 0xA7CD, QS_CLS_LETTER},
    {0xA7DA, 0xA7DC, QS_CLS_LETTER},
    {0x105C0, 0x105F3, QS_CLS_LETTER},
    {0x10D40, 0x10D49, QS_CLS_NUMBER},
    {0x10D4A, 0x10D65, QS_CLS_LETTER},
    {0x10D6F, 0x10D85, QS_CLS_LETTER},
    {0x10EC2, 0x10EC4, QS_CLS_LETTER},
    {0x11380, 0x11389, QS_CLS_LETTER},
    {0x1138B, 0x1138B, QS_CLS_LETTER},
    {0x1138E, 0x1138E, QS_CLS_LETTER},
    {0x11390, 0x113B5, QS_CLS_LETTER},
    {0x113B7, 0x113B7, QS_CLS_LETTER},
    {0x113D1, 0x113D1, QS_CLS_LETTER},
    {0x113D3, 0x113D3, QS_CLS_LETTER},
    {0x116D0, 0x116E3, QS_CLS_NUMBER},
    {0x11BC0, 0x11BE0, QS_CLS_LETTER},
    {0x11BF0, 0x11BF9, QS_CLS_NUMBER},
    {0x13460, 0x143FA, QS_CLS_LETTER},
    {0x16100, 0x1611D, QS_CLS_LETTER},
    {0x16130, 0x16139, QS_CLS_NUMBER},
    {0x16D40, 0x16D6C, QS_CLS_LETTER},
    {0x16D70, 0x16D79, QS_CLS_NUMBER},
    {0x18CFF, 0x18CFF, QS_CLS_LETTER},
    {0x1CCF0, 0x1CCF9, QS_CLS_NUMBER},
    {0x1E5D0, 0x1E5ED, QS_CLS_LETTER},
    {0x1E5F0, 0x1E5F0, QS_CLS_LETTER},
    {0x1E5F1, 0x1E5FA, QS_CLS_NUMBER},
    {0x2EBF0, 0x2EE5D, QS_CLS_LETTER},
};

static int unicode16_class(int32_t cp)
{
    size_t lo = 0, hi = sizeof(unicode16_ln) / sizeof(unicode16_ln[0]);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < unicode16_ln[mid].first)
            hi = mid;
        else if (cp > unicode16_ln[mid].last)
            lo = mid + 1;
        else
            return unicode16_ln[mid].cls;
    }
    return QS_CLS_OTHER;
}

int qs_pretok_class(int32_t cp)
{
    if (cp < 0x80) {
        if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z')
            return QS_CLS_LETTER;
        if (cp >= '0' && cp <= '9')
            return QS_CLS_NUMBER;
        if (cp == '\r' || cp == '\n')
            return QS_CLS_CRLF;
        return is_white_space(cp) ? QS_CLS_SPACE : QS_CLS_OTHER;
    }
    if (is_white_space(cp))
        return QS_CLS_SPACE;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
        return QS_CLS_LETTER;
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
        return QS_CLS_NUMBER;
    case UTF8PROC_CATEGORY_CN:
        return unicode16_class(cp);
    default:
        return QS_CLS_OTHER;
    }
}

/* Decode one character of valid UTF-8 (the caller sanitized the text). */
static inline int32_t dec(const uint8_t *s, size_t *len)
{
    uint8_t b = s[0];
    if (b < 0x80) {
        *len = 1;
        return b;
    }
    if (b < 0xE0) {
        *len = 2;
        return ((b & 0x1F) << 6) | (s[1] & 0x3F);
    }
    if (b < 0xF0) {
        *len = 3;
        return ((b & 0x0F) << 12) | ((s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    }
    *len = 4;
    return ((b & 0x07) << 18) | ((s[1] & 0x3F) << 12) | ((s[2] & 0x3F) << 6) | (s[3] & 0x3F);
}

static inline int cls_at(const uint8_t *s, size_t *len)
{
    if (s[0] < 0x80) {
        *len = 1;
        return qs_pretok_class(s[0]);
    }
    return qs_pretok_class(dec(s, len));
}

/* Case folding for the contraction letters only. */
static inline int32_t fold(int32_t cp)
{
    if (cp >= 'A' && cp <= 'Z')
        return cp + 32;
    if (cp == 0x17F)
        return 's';
    return cp;
}

/* ---------------------------------------------------------------------------
 * The split
 * ------------------------------------------------------------------------- */

/* End (byte offset) of the regex match starting at i < n. */
static size_t match_at(const uint8_t *s, size_t n, size_t i)
{
    size_t l0, l1, l2;
    int32_t c0 = dec(s + i, &l0);
    int k0 = qs_pretok_class(c0);

    /* 1. (?i:'s|'t|'re|'ve|'m|'ll|'d) */
    if (c0 == '\'' && i + 1 < n) {
        int32_t c1 = fold(dec(s + i + 1, &l1));
        if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd')
            return i + 1 + l1;
        if ((c1 == 'r' || c1 == 'v' || c1 == 'l') && i + 1 + l1 < n) {
            int32_t c2 = fold(dec(s + i + 1 + l1, &l2));
            if (((c1 == 'r' || c1 == 'v') && c2 == 'e') || (c1 == 'l' && c2 == 'l'))
                return i + 1 + l1 + l2;
        }
    }

    /* 2. [^\r\n\p{L}\p{N}]?\p{L}+ */
    size_t j = n;
    if (k0 == QS_CLS_LETTER)
        j = i;
    else if ((k0 == QS_CLS_OTHER || k0 == QS_CLS_SPACE) && i + l0 < n &&
             cls_at(s + i + l0, &l1) == QS_CLS_LETTER)
        j = i + l0;
    if (j < n) {
        while (j < n && cls_at(s + j, &l1) == QS_CLS_LETTER)
            j += l1;
        return j;
    }

    /* 3. \p{N} */
    if (k0 == QS_CLS_NUMBER)
        return i + l0;

    /* 4.  ?[^\s\p{L}\p{N}]+[\r\n]* */
    j = (c0 == ' ') ? i + 1 : i;
    if (j < n && cls_at(s + j, &l1) == QS_CLS_OTHER) {
        j += l1;
        while (j < n && cls_at(s + j, &l1) == QS_CLS_OTHER)
            j += l1;
        while (j < n && (s[j] == '\r' || s[j] == '\n'))
            j++;
        return j;
    }

    /* 5-7: c0 is whitespace. Scan the run. */
    size_t last_nl_end = 0, last_start = i;
    j = i;
    while (j < n) {
        int k = cls_at(s + j, &l1);
        if (k != QS_CLS_SPACE && k != QS_CLS_CRLF)
            break;
        last_start = j;
        j += l1;
        if (k == QS_CLS_CRLF)
            last_nl_end = j;
    }
    if (last_nl_end)     /* 5. \s*[\r\n]+ */
        return last_nl_end;
    if (j == n)          /* 6. \s+(?!\S) at end of text */
        return j;
    if (last_start > i)  /* 6. leave the last space for the next piece */
        return last_start;
    return j;            /* 7. \s+ */
}

int qs_pretok_split(qs_tokenizer *tok, const char *s, size_t n, qs_piece_fn emit, void *ctx)
{
    (void)tok;
    const uint8_t *u = (const uint8_t *)s;
    size_t i = 0;
    while (i < n) {
        size_t end = match_at(u, n, i);
        QS_ASSERT(end > i && end <= n);
        int r = emit(ctx, s + i, end - i);
        if (r)
            return r;
        i = end;
    }
    return 0;
}

/* ---------------------------------------------------------------------------
 * NFC
 * ------------------------------------------------------------------------- */

enum { NFC_ASCII, NFC_INERT, NFC_ACTIVE };

static int nfc_kind(int32_t cp)
{
    if (cp < 0x80)
        return NFC_ASCII;
    if (cp < 0x300)
        return NFC_ACTIVE; /* Latin-1 etc.: many compose; let utf8proc decide */
    if ((cp >= 0x1100 && cp <= 0x11FF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
        (cp >= 0xA960 && cp <= 0xA97F) || (cp >= 0xD7B0 && cp <= 0xD7FF))
        return NFC_ACTIVE; /* Hangul composes algorithmically */
    const utf8proc_property_t *p = utf8proc_get_property(cp);
    if (p->combining_class == 0 && p->decomp_seqindex == UINT16_MAX &&
        p->comb_index == UINT16_MAX)
        return NFC_INERT;
    return NFC_ACTIVE;
}

static int nfc_boundary(int prev, int cur)
{
    return prev == NFC_INERT || cur == NFC_INERT || (prev == NFC_ASCII && cur == NFC_ASCII);
}

static void buf_append(qs_buf *b, size_t *len, const void *data, size_t n)
{
    char *p = qs_buf_reserve(b, *len + n + 1);
    memcpy(p + *len, data, n);
    *len += n;
}

qs_status qs_nfc(const char *s, size_t n, qs_buf *buf, const char **out, size_t *out_len)
{
    const uint8_t *u = (const uint8_t *)s;
    size_t w = 0;          /* bytes written to buf */
    size_t copied = 0;     /* s[0..copied) has been handled */
    size_t last_cut = 0;   /* latest boundary at or before the current char */
    int prev = NFC_INERT;
    int any = 0;
    size_t i = 0;
    while (i < n) {
        size_t l;
        int32_t cp = u[i] < 0x80 ? (l = 1, u[i]) : dec(u + i, &l);
        int kind = nfc_kind(cp);
        if (i > 0 && nfc_boundary(prev, kind))
            last_cut = i;
        if (kind != NFC_ACTIVE) {
            prev = kind;
            i += l;
            continue;
        }
        /* find the end of the stretch: the next boundary */
        size_t j = i + l;
        int pk = kind;
        while (j < n) {
            size_t l2;
            int32_t c2 = u[j] < 0x80 ? (l2 = 1, u[j]) : dec(u + j, &l2);
            int k2 = nfc_kind(c2);
            if (nfc_boundary(pk, k2))
                break;
            pk = k2;
            j += l2;
        }
        utf8proc_uint8_t *dst = NULL;
        utf8proc_ssize_t r = utf8proc_map(u + last_cut, (utf8proc_ssize_t)(j - last_cut), &dst,
                                          UTF8PROC_STABLE | UTF8PROC_COMPOSE);
        if (r < 0) {
            free(dst);
            return qs_fail(r == UTF8PROC_ERROR_NOMEM ? QS_ERR_NOMEM : QS_ERR_ARG,
                           "tokenizer: NFC normalization failed: %s", utf8proc_errmsg(r));
        }
        buf_append(buf, &w, s + copied, last_cut - copied);
        buf_append(buf, &w, dst, (size_t)r);
        free(dst);
        any = 1;
        copied = j;
        last_cut = j;
        prev = pk;
        i = j;
    }
    if (!any) {
        *out = s;
        *out_len = n;
        return QS_OK;
    }
    buf_append(buf, &w, s + copied, n - copied);
    *out = buf->p;
    *out_len = w;
    return QS_OK;
}
