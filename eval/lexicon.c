/*
 * lexicon.c - emotion lexicons and marker counting; see lexicon.h for the
 * word rules.
 *
 * The lexicon is a sorted array of folded words searched with bsearch. A text
 * is scanned once with utf8proc_iterate; each word's bytes are folded (ASCII
 * fast path, else utf8proc_map CASEFOLD | COMPOSE) into a fixed buffer and
 * looked up. Words longer than QS_LEX_MAX_WORD bytes count as words but can
 * never be markers (the loader rejects lexicon words that long).
 */
#include "lexicon.h"

#include <cjson/cJSON.h>
#include <string.h>
#include <utf8proc.h>

#define QS_LEX_MAX_WORD 128 /* bytes, folded, including the NUL */

struct qs_lexicon {
    char *name;   /* the "emotion" field */
    char **words; /* [n] folded, sorted by strcmp, distinct */
    size_t n;
};

/* ---------------------------------------------------------------- words */

static int is_letter(utf8proc_int32_t cp) {
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO: return 1;
    default: return 0;
    }
}

static int is_mark(utf8proc_int32_t cp) {
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME: return 1;
    default: return 0;
    }
}

static int is_apostrophe(utf8proc_int32_t cp) { return cp == 0x27 || cp == 0x2019; }

/* Decode one code point at s[pos..len); returns its byte length, with
 * *cp = -1 for an invalid byte (length 1). */
static size_t decode(const uint8_t *s, size_t len, size_t pos, utf8proc_int32_t *cp) {
    utf8proc_ssize_t k = utf8proc_iterate(s + pos, (utf8proc_ssize_t)(len - pos), cp);
    if (k <= 0) {
        *cp = -1;
        return 1;
    }
    return (size_t)k;
}

/* Find the next word at or after *pos: sets [*start, *end) and *pos = *end;
 * returns 0 when there is none. */
static int next_word(const uint8_t *s, size_t len, size_t *pos, size_t *start, size_t *end) {
    size_t i = *pos;
    utf8proc_int32_t cp;
    while (i < len) { /* skip to a letter */
        size_t k = decode(s, len, i, &cp);
        if (cp >= 0 && is_letter(cp)) break;
        i += k;
    }
    if (i >= len) {
        *pos = len;
        return 0;
    }
    *start = i;
    while (i < len) {
        size_t k = decode(s, len, i, &cp);
        if (cp >= 0 && (is_letter(cp) || is_mark(cp))) {
            i += k;
            continue;
        }
        if (cp >= 0 && is_apostrophe(cp) && i + k < len) { /* joins two letters? */
            utf8proc_int32_t nx;
            decode(s, len, i + k, &nx);
            if (nx >= 0 && is_letter(nx)) {
                i += k;
                continue;
            }
        }
        break;
    }
    *end = i, *pos = i;
    return 1;
}

/* Fold w[0..n) into buf (NUL-terminated): case folding, NFC, ’ -> '.
 * Returns the folded length, or -1 if it does not fit or cannot be mapped. */
static long fold_word(const uint8_t *w, size_t n, char *buf) {
    int ascii = 1;
    for (size_t i = 0; i < n; i++) ascii &= w[i] < 0x80;
    if (ascii) {
        if (n >= QS_LEX_MAX_WORD) return -1;
        for (size_t i = 0; i < n; i++) buf[i] = (char)(w[i] >= 'A' && w[i] <= 'Z' ? w[i] + ('a' - 'A') : w[i]);
        buf[n] = 0;
        return (long)n;
    }
    utf8proc_uint8_t *m = NULL;
    utf8proc_ssize_t mn =
        utf8proc_map(w, (utf8proc_ssize_t)n, &m, UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD);
    if (mn < 0) return -1;
    size_t o = 0;
    for (utf8proc_ssize_t i = 0; i < mn; i++) {
        if (o + 1 >= QS_LEX_MAX_WORD) {
            free(m);
            return -1;
        }
        if (i + 2 < mn && m[i] == 0xE2 && m[i + 1] == 0x80 && m[i + 2] == 0x99) { /* U+2019 */
            buf[o++] = '\'';
            i += 2;
        } else {
            buf[o++] = (char)m[i];
        }
    }
    buf[o] = 0;
    free(m);
    return (long)o;
}

/* ---------------------------------------------------------------- lexicon */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void qs_lexicon_free(qs_lexicon *lex) {
    if (!lex) return;
    for (size_t i = 0; i < lex->n; i++) free(lex->words[i]);
    free(lex->words);
    free(lex->name);
    free(lex);
}

qs_status qs_lexicon_load(qs_lexicon **out, const char *path) {
    *out = NULL;
    char *text = NULL;
    qs_status rc = qs_read_file(path, &text, NULL);
    if (rc != QS_OK) return rc;
    cJSON *root = cJSON_Parse(text);
    free(text);
    qs_lexicon *lex = NULL;
    if (!root) {
        rc = qs_fail(QS_ERR_FORMAT, "%s: not valid JSON", path);
        goto fail;
    }
    if (!cJSON_IsObject(root)) {
        rc = qs_fail(QS_ERR_FORMAT, "%s: expected a JSON object {\"emotion\": ..., \"words\": [...]}", path);
        goto fail;
    }
    const cJSON *em = cJSON_GetObjectItemCaseSensitive(root, "emotion");
    if (!cJSON_IsString(em) || !em->valuestring[0]) {
        rc = qs_fail(QS_ERR_FORMAT, "%s: field \"emotion\": expected a non-empty string", path);
        goto fail;
    }
    const cJSON *ws = cJSON_GetObjectItemCaseSensitive(root, "words");
    if (!cJSON_IsArray(ws)) {
        rc = qs_fail(QS_ERR_FORMAT, "%s: field \"words\": expected an array of strings", path);
        goto fail;
    }
    int n = cJSON_GetArraySize(ws);
    if (n == 0) {
        rc = qs_fail(QS_ERR_FORMAT, "%s: field \"words\" is empty: a lexicon needs at least one word", path);
        goto fail;
    }
    lex = qs_calloc(1, sizeof *lex);
    lex->name = qs_strdup(em->valuestring);
    lex->words = qs_calloc((size_t)n, sizeof(char *));
    const cJSON *w;
    int i = 0;
    cJSON_ArrayForEach(w, ws) {
        if (!cJSON_IsString(w)) {
            rc = qs_fail(QS_ERR_FORMAT, "%s: field \"words\"[%d]: expected a string", path, i);
            goto fail;
        }
        const uint8_t *s = (const uint8_t *)w->valuestring;
        size_t len = strlen(w->valuestring), pos = 0, a = 0, b = 0;
        if (!next_word(s, len, &pos, &a, &b) || a != 0 || b != len) {
            rc = qs_fail(QS_ERR_FORMAT,
                         "%s: field \"words\"[%d] \"%s\": expected a single word (letters, apostrophes between letters)",
                         path, i, w->valuestring);
            goto fail;
        }
        char buf[QS_LEX_MAX_WORD];
        if (fold_word(s, len, buf) < 0) {
            rc = qs_fail(QS_ERR_FORMAT, "%s: field \"words\"[%d]: word longer than %d bytes", path, i,
                         QS_LEX_MAX_WORD - 1);
            goto fail;
        }
        lex->words[lex->n++] = qs_strdup(buf);
        i++;
    }
    qsort(lex->words, lex->n, sizeof(char *), cmp_str);
    size_t k = 0; /* drop duplicates */
    for (size_t j = 0; j < lex->n; j++) {
        if (k > 0 && strcmp(lex->words[k - 1], lex->words[j]) == 0) free(lex->words[j]);
        else lex->words[k++] = lex->words[j];
    }
    lex->n = k;
    cJSON_Delete(root);
    *out = lex;
    return QS_OK;
fail:
    qs_lexicon_free(lex);
    cJSON_Delete(root);
    return rc;
}

const char *qs_lexicon_name(const qs_lexicon *lex) { return lex->name; }
size_t qs_lexicon_n_words(const qs_lexicon *lex) { return lex->n; }
const char *qs_lexicon_word(const qs_lexicon *lex, size_t i) { return i < lex->n ? lex->words[i] : NULL; }

static int has_folded(const qs_lexicon *lex, const char *key) {
    return bsearch(&key, lex->words, lex->n, sizeof(char *), cmp_str) != NULL;
}

/* buf is a folded word of length n: exact match, or possessive X's with X. */
static int match_folded(const qs_lexicon *lex, char *buf, long n) {
    if (has_folded(lex, buf)) return 1;
    if (n > 2 && buf[n - 2] == '\'' && buf[n - 1] == 's') {
        buf[n - 2] = 0;
        int hit = has_folded(lex, buf);
        buf[n - 2] = '\'';
        return hit;
    }
    return 0;
}

int qs_lexicon_contains(const qs_lexicon *lex, const char *w, size_t len) {
    char buf[QS_LEX_MAX_WORD];
    long n = fold_word((const uint8_t *)w, len, buf);
    return n > 0 && match_folded(lex, buf, n);
}

void qs_lexicon_count(const qs_lexicon *lex, const char *text, size_t len, int *markers, int *words) {
    const uint8_t *s = (const uint8_t *)text;
    size_t pos = 0, a, b;
    int nm = 0, nw = 0;
    char buf[QS_LEX_MAX_WORD];
    while (text && next_word(s, len, &pos, &a, &b)) {
        nw++;
        long n = fold_word(s + a, b - a, buf);
        if (n > 0 && match_folded(lex, buf, n)) nm++;
    }
    if (markers) *markers = nm;
    if (words) *words = nw;
}
