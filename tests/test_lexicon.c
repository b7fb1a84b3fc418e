/*
 * test_lexicon.c - eval/lexicon.c: loading (the committed lexicons and
 * malformed files) and marker counting (punctuation, case, apostrophes,
 * non-ASCII, invalid UTF-8, empty text), plus a check of the committed pairs
 * against the C counter: no negative may contain a lexicon word.
 */
#include <cjson/cJSON.h>
#include <string.h>
#include <unistd.h>

#include "lexicon.h"
#include "test_util.h"

static const char *EMOTIONS[4] = {"fear", "curiosity", "anger", "joy"};
static char tmp_dir[] = "/tmp/qs_test_lexicon_XXXXXX";

/* Write `json` to a file in tmp_dir and return its path (static buffer). */
static const char *write_tmp(const char *name, const char *json) {
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmp_dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputs(json, f);
    fclose(f);
    return path;
}

static qs_lexicon *load_json(const char *json) {
    qs_lexicon *lex = NULL;
    qs_status rc = qs_lexicon_load(&lex, write_tmp("lex.json", json));
    CHECK(rc == QS_OK, "load %s: %s", json, qs_last_error());
    return lex;
}

static void count_is(const qs_lexicon *lex, const char *text, int want_m, int want_w) {
    int m = -1, w = -1;
    qs_lexicon_count(lex, text, strlen(text), &m, &w);
    CHECK(m == want_m && w == want_w, "count(\"%s\") = %d markers / %d words, want %d / %d", text, m, w, want_m,
          want_w);
}

static void test_counting(void) {
    qs_lexicon *lex = load_json("{\"emotion\": \"test\", \"words\": [\"fear\", \"don't\", \"Café\", \"strasse\", "
                                "\"naïve\", \"恐怖\", \"joy\"]}");
    if (!lex) return;
    CHECK(!strcmp(qs_lexicon_name(lex), "test"), "name %s", qs_lexicon_name(lex));
    CHECK(qs_lexicon_n_words(lex) == 7, "n_words %zu", qs_lexicon_n_words(lex));
    CHECK(qs_lexicon_word(lex, 7) == NULL, "word past the end");
    /* stored folded and sorted by bytes */
    int sorted = 1, has_cafe = 0;
    for (size_t i = 0; i < qs_lexicon_n_words(lex); i++) {
        if (i > 0) sorted &= strcmp(qs_lexicon_word(lex, i - 1), qs_lexicon_word(lex, i)) < 0;
        has_cafe |= !strcmp(qs_lexicon_word(lex, i), "caf\xc3\xa9");
    }
    CHECK(sorted && has_cafe, "words not sorted or not folded");

    /* punctuation and case */
    count_is(lex, "Fear, fear! FEAR? fear.", 4, 4);
    count_is(lex, "fearful fears feared", 0, 3);
    count_is(lex, "fear-stricken and (fear)", 2, 4);
    count_is(lex, "fear2fear 42 joy_joy", 4, 4);
    count_is(lex, "  \n\t ", 0, 0);
    count_is(lex, "", 0, 0);
    count_is(lex, "...!?", 0, 0);
    /* apostrophes: inside a word they join, at the ends they do not */
    count_is(lex, "I don't know", 1, 3);
    count_is(lex, "I don\xe2\x80\x99t know", 1, 3); /* ’ U+2019 */
    count_is(lex, "DON'T", 1, 1);
    count_is(lex, "'fear' and \xe2\x80\x98" "fear\xe2\x80\x99", 2, 3);
    count_is(lex, "fear's grip", 1, 2);                  /* possessive */
    count_is(lex, "FEAR\xe2\x80\x99S grip", 1, 2);       /* possessive, curly, upper case */
    count_is(lex, "fears' grip", 0, 2);                 /* "fears" is not in this lexicon */
    count_is(lex, "don 't", 0, 2);                      /* apostrophe not between letters */
    count_is(lex, "it's fear''s", 1, 3);                /* "fear", then "s" */
    /* non-ASCII */
    count_is(lex, "CAFÉ café Café", 3, 3);
    count_is(lex, "cafe\xcc\x81", 1, 1);                 /* NFD: e + combining acute */
    count_is(lex, "Straße STRASSE", 2, 2);              /* full case folding: ß -> ss */
    count_is(lex, "NAÏVE naïveté", 1, 2);
    count_is(lex, "恐怖, fear", 2, 2);                  /* a run of Lo letters is a word */
    count_is(lex, "Ελλάδα fear", 1, 2);
    count_is(lex, "joy😀joy", 2, 2);                    /* emoji separate words */
    /* invalid UTF-8 separates words and is never a letter */
    count_is(lex, "fear\xff" "fear \xc3", 2, 2);
    count_is(lex, "\xe2\x80 joy \xf0\x9f", 1, 1);
    /* len is respected; text need not be NUL-terminated */
    int m = -1, w = -1;
    qs_lexicon_count(lex, "fear fear", 4, &m, &w);
    CHECK(m == 1 && w == 1, "len 4: %d/%d", m, w);
    qs_lexicon_count(lex, "fear", 0, &m, &w);
    CHECK(m == 0 && w == 0, "len 0: %d/%d", m, w);
    qs_lexicon_count(lex, NULL, 0, &m, &w);
    CHECK(m == 0 && w == 0, "NULL text: %d/%d", m, w);
    qs_lexicon_count(lex, "fear joy", 8, NULL, &w);
    CHECK(w == 2, "NULL markers pointer");
    /* a very long word counts as a word, never as a marker */
    char longw[600];
    memset(longw, 'a', sizeof longw - 1);
    longw[sizeof longw - 1] = 0;
    memcpy(longw, "fear", 4);
    count_is(lex, longw, 0, 1);
    CHECK(qs_lexicon_contains(lex, "FEAR", 4) && qs_lexicon_contains(lex, "fear's", 6) &&
              !qs_lexicon_contains(lex, "fea", 3),
          "contains");
    qs_lexicon_free(lex);
}

static void expect_error(const char *json, qs_status want, const char *msg_part) {
    qs_lexicon *lex = (qs_lexicon *)&lex; /* must be reset to NULL */
    const char *path = write_tmp("bad.json", json);
    qs_status rc = qs_lexicon_load(&lex, path);
    CHECK(rc == want && lex == NULL && strstr(qs_last_error(), msg_part) && strstr(qs_last_error(), "bad.json"),
          "load %s: got %d '%s', want %d mentioning '%s' and the file", json, rc, qs_last_error(), want, msg_part);
}

static void test_bad_files(void) {
    qs_lexicon *lex = NULL;
    CHECK(qs_lexicon_load(&lex, "/nonexistent/lexicon.json") == QS_ERR_IO && lex == NULL, "missing file");
    expect_error("", QS_ERR_FORMAT, "not valid JSON");
    expect_error("{\"emotion\": \"fear\", \"words\": [\"fear\"", QS_ERR_FORMAT, "not valid JSON");
    expect_error("[\"fear\"]", QS_ERR_FORMAT, "JSON object");
    expect_error("{\"words\": [\"fear\"]}", QS_ERR_FORMAT, "\"emotion\"");
    expect_error("{\"emotion\": 3, \"words\": [\"fear\"]}", QS_ERR_FORMAT, "\"emotion\"");
    expect_error("{\"emotion\": \"\", \"words\": [\"fear\"]}", QS_ERR_FORMAT, "\"emotion\"");
    expect_error("{\"emotion\": \"fear\"}", QS_ERR_FORMAT, "\"words\"");
    expect_error("{\"emotion\": \"fear\", \"words\": \"fear\"}", QS_ERR_FORMAT, "\"words\"");
    expect_error("{\"emotion\": \"fear\", \"words\": []}", QS_ERR_FORMAT, "empty");
    expect_error("{\"emotion\": \"fear\", \"words\": [\"fear\", 3]}", QS_ERR_FORMAT, "\"words\"[1]: expected a string");
    expect_error("{\"emotion\": \"fear\", \"words\": [\"fear\", null]}", QS_ERR_FORMAT, "\"words\"[1]");
    expect_error("{\"emotion\": \"fear\", \"words\": [\"fear\", \"scared stiff\"]}", QS_ERR_FORMAT, "single word");
    expect_error("{\"emotion\": \"fear\", \"words\": [\"\"]}", QS_ERR_FORMAT, "\"words\"[0]");
    expect_error("{\"emotion\": \"fear\", \"words\": [\"fear!\"]}", QS_ERR_FORMAT, "single word");
    expect_error("{\"emotion\": \"fear\", \"words\": [\"'fear\"]}", QS_ERR_FORMAT, "single word");
    expect_error("{\"emotion\": \"fear\", \"words\": [\"fear2\"]}", QS_ERR_FORMAT, "single word");
    /* duplicates after folding are merged, not an error */
    lex = load_json("{\"emotion\": \"fear\", \"words\": [\"Fear\", \"fear\", \"FEAR\", \"dread\"]}");
    if (lex) {
        CHECK(qs_lexicon_n_words(lex) == 2, "duplicates kept: %zu words", qs_lexicon_n_words(lex));
        qs_lexicon_free(lex);
    }
    qs_lexicon_free(NULL);
}

/* The committed lexicons and pairs (eval/data/). */
static void test_committed_data(void) {
    qs_lexicon *lex[4] = {0};
    for (int e = 0; e < 4; e++) {
        char path[256];
        snprintf(path, sizeof path, "eval/data/lexicons/%s.json", EMOTIONS[e]);
        qs_status rc = qs_lexicon_load(&lex[e], path);
        CHECK(rc == QS_OK, "%s: %s", path, qs_last_error());
        if (rc != QS_OK) return;
        size_t n = qs_lexicon_n_words(lex[e]);
        CHECK(!strcmp(qs_lexicon_name(lex[e]), EMOTIONS[e]) && n >= 60 && n <= 150, "%s: name %s, %zu words", path,
              qs_lexicon_name(lex[e]), n);
        for (size_t i = 0; i < n; i++) { /* every word is a marker for itself only */
            const char *w = qs_lexicon_word(lex[e], i);
            int m = 0, words = 0;
            qs_lexicon_count(lex[e], w, strlen(w), &m, &words);
            CHECK(m == 1 && words == 1, "%s: word '%s' counts %d/%d", EMOTIONS[e], w, m, words);
            for (int o = 0; o < e; o++)
                CHECK(!qs_lexicon_contains(lex[o], w, strlen(w)), "'%s' is in both %s and %s", w, EMOTIONS[o],
                      EMOTIONS[e]);
        }
    }
    for (int e = 0; e < 4; e++) {
        char path[256];
        snprintf(path, sizeof path, "eval/data/pairs/%s.jsonl", EMOTIONS[e]);
        FILE *f = fopen(path, "r");
        CHECK(f != NULL, "cannot open %s", path);
        if (!f) continue;
        char line[4096];
        int n = 0, neg_clean = 1, pos_other = 0, pos_own = 0;
        while (fgets(line, sizeof line, f)) {
            cJSON *o = cJSON_Parse(line);
            const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "positive");
            const cJSON *q = cJSON_GetObjectItemCaseSensitive(o, "negative");
            CHECK(cJSON_IsString(p) && cJSON_IsString(q), "%s:%d: bad line", path, n + 1);
            if (cJSON_IsString(p) && cJSON_IsString(q)) {
                for (int k = 0; k < 4; k++) {
                    int m;
                    qs_lexicon_count(lex[k], q->valuestring, strlen(q->valuestring), &m, NULL);
                    if (m) {
                        neg_clean = 0;
                        fprintf(stderr, "%s:%d: negative has a %s word: %s\n", path, n + 1, EMOTIONS[k], q->valuestring);
                    }
                    qs_lexicon_count(lex[k], p->valuestring, strlen(p->valuestring), &m, NULL);
                    if (k == e) pos_own += m > 0;
                    else pos_other += m > 0;
                }
            }
            cJSON_Delete(o);
            n++;
        }
        fclose(f);
        CHECK(n == 800, "%s: %d pairs", path, n);
        CHECK(neg_clean, "%s: a negative contains a lexicon word", path);
        CHECK(pos_other == 0, "%s: %d positives contain another emotion's word", path, pos_other);
        CHECK(pos_own >= 700, "%s: only %d positives contain a %s word", path, pos_own, EMOTIONS[e]);
        printf("%s: %d/%d positives contain a lexicon word\n", EMOTIONS[e], pos_own, n);
    }
    for (int e = 0; e < 4; e++) qs_lexicon_free(lex[e]);
}

int main(void) {
    if (!mkdtemp(tmp_dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_counting();
    test_bad_files();
    test_committed_data();
    char path[512];
    snprintf(path, sizeof path, "%s/lex.json", tmp_dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/bad.json", tmp_dir);
    unlink(path);
    rmdir(tmp_dir);
    return test_summary("lexicon");
}
