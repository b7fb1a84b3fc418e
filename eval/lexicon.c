/* lexicon.c - see lexicon.h. */
#include "lexicon.h"

#include <cjson/cJSON.h>
#include <string.h>
#include <utf8proc.h>

struct qs_lexicon {
    char name[64];
    char **words; /* sorted, lowercase */
    size_t n;
};

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

qs_status qs_lexicon_load(qs_lexicon **out, const char *path) {
    *out = NULL;
    char *text;
    qs_status rc = qs_read_file(path, &text, NULL);
    if (rc != QS_OK) return rc;
    cJSON *root = cJSON_Parse(text);
    free(text);
    const cJSON *em = root ? cJSON_GetObjectItemCaseSensitive(root, "emotion") : NULL;
    const cJSON *ws = root ? cJSON_GetObjectItemCaseSensitive(root, "words") : NULL;
    if (!cJSON_IsObject(root) || !cJSON_IsString(em) || !cJSON_IsArray(ws) || cJSON_GetArraySize(ws) == 0) {
        cJSON_Delete(root);
        return qs_fail(QS_ERR_FORMAT, "%s: expected {\"emotion\": \"...\", \"words\": [\"...\", ...]} with at least one word", path);
    }
    qs_lexicon *lex = qs_calloc(1, sizeof *lex);
    snprintf(lex->name, sizeof lex->name, "%s", em->valuestring);
    lex->words = qs_calloc((size_t)cJSON_GetArraySize(ws), sizeof(char *));
    const cJSON *w;
    int i = 0;
    cJSON_ArrayForEach(w, ws) {
        if (!cJSON_IsString(w) || !w->valuestring[0] || strchr(w->valuestring, ' ')) {
            rc = qs_fail(QS_ERR_FORMAT, "%s: words[%d]: expected a non-empty single word", path, i);
            break;
        }
        /* store the lowercase form, as text words are compared lowercased */
        utf8proc_uint8_t *low = NULL;
        utf8proc_map((const utf8proc_uint8_t *)w->valuestring, 0, &low, UTF8PROC_NULLTERM | UTF8PROC_CASEFOLD | UTF8PROC_COMPOSE);
        if (!low) {
            rc = qs_fail(QS_ERR_FORMAT, "%s: words[%d]: not valid UTF-8", path, i);
            break;
        }
        lex->words[lex->n++] = (char *)low;
        i++;
    }
    cJSON_Delete(root);
    if (rc != QS_OK) {
        qs_lexicon_free(lex);
        return rc;
    }
    qsort(lex->words, lex->n, sizeof(char *), cmp_str);
    *out = lex;
    return QS_OK;
}

void qs_lexicon_free(qs_lexicon *lex) {
    if (!lex) return;
    for (size_t i = 0; i < lex->n; i++) free(lex->words[i]);
    free(lex->words);
    free(lex);
}

const char *qs_lexicon_name(const qs_lexicon *lex) { return lex->name; }
size_t qs_lexicon_n_words(const qs_lexicon *lex) { return lex->n; }
const char *qs_lexicon_word(const qs_lexicon *lex, size_t i) { return i < lex->n ? lex->words[i] : NULL; }

static int is_letter(utf8proc_int32_t c) {
    utf8proc_category_t k = utf8proc_category(c);
    return k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_ME; /* Lu Ll Lt Lm Lo Mn Mc Me */
}

static int is_apostrophe(utf8proc_int32_t c) { return c == '\'' || c == 0x2019; }

void qs_lexicon_count(const qs_lexicon *lex, const char *text, size_t len, int *markers, int *words) {
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)text, *end = p + len;
    char word[256];
    size_t wl = 0;
    int too_long = 0, n_markers = 0, n_words = 0;
    for (;;) {
        utf8proc_int32_t c = -1;
        utf8proc_ssize_t k = p < end ? utf8proc_iterate(p, end - p, &c) : 0;
        int in_word = k > 0 && (is_letter(c) || (is_apostrophe(c) && wl > 0 && p + k < end));
        if (in_word && is_apostrophe(c)) { /* an apostrophe counts only between letters */
            utf8proc_int32_t nx;
            in_word = utf8proc_iterate(p + k, end - (p + k), &nx) > 0 && is_letter(nx);
        }
        if (in_word) {
            utf8proc_uint8_t buf[4];
            utf8proc_ssize_t m = utf8proc_encode_char(utf8proc_tolower(c == 0x2019 ? '\'' : c), buf);
            if (wl + (size_t)m < sizeof word) memcpy(word + wl, buf, (size_t)m), wl += (size_t)m;
            else too_long = 1;
        } else if (wl > 0 || too_long) {
            word[wl] = 0;
            n_words++;
            const char *key = word;
            if (!too_long && bsearch(&key, lex->words, lex->n, sizeof(char *), cmp_str)) n_markers++;
            wl = 0, too_long = 0;
        }
        if (p >= end) break;
        p += k > 0 ? k : 1; /* an invalid byte separates words */
    }
    *markers = n_markers;
    *words = n_words;
}
