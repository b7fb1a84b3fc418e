/*
 * test_tokenizer.c - the tokenizer against ids produced by HF tokenizers.
 *
 * Run from the repo root (meson sets workdir). Data:
 *   ../shared/tokenizer/tokenizer.json, reference.jsonl (681 strings; the
 *       test FAILS if they are missing: they are the reference)
 *   tests/data/tokenizer/corpus.jsonl   our corpus, HF ids, NFC, HF decode
 *   tests/data/tokenizer/invalid.jsonl  invalid UTF-8 (hex) -> HF ids of the
 *                                       U+FFFD-repaired text
 *   tests/data/tokenizer/classes.txt    the Split regex's class of every
 *                                       code point, probed from HF
 *   tests/data/tokenizer/tiny_*.json(l) added tokens with every flag
 *   tests/data/tokenizer/chat.jsonl     ChatML prompts rendered by jinja2
 * Checks per string: encode == HF ids; decode(ids) == HF decode and ==
 * NFC(text); streaming decode == batch decode; encode(NFC(text)) == ids.
 * Also: malformed and unsupported tokenizer.json files are refused with the
 * right status and a message, API lookups, empty and NUL-containing input.
 * Exit 0 if everything passes, 1 otherwise.
 */
#include <stdarg.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tok_internal.h"
#include "tokenizer.h"

static const char *SHARED_DIR = "../shared/tokenizer";
static const char *DATA_DIR = "tests/data/tokenizer";

static int n_checks, n_failed;

static void check(int ok, const char *fmt, ...)
{
    n_checks++;
    if (ok)
        return;
    n_failed++;
    if (n_failed <= 40) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "FAIL: ");
        vfprintf(stderr, fmt, ap);
        fprintf(stderr, "\n");
        va_end(ap);
    }
}

/* ---------------------------------------------------------------------------
 * helpers
 * ------------------------------------------------------------------------- */

/* cJSON strings end at NUL, so "\u0000" in a file is read as the sentinel
 * U+10FFFF (never in the data) and turned back into a NUL byte by
 * text_bytes(). */
static const char NUL_SENTINEL[] = "\xF4\x8F\xBF\xBF";

/* Bytes of a JSON string read by read_jsonl: a malloc'd copy with sentinels
 * replaced by NUL bytes, length in *len. */
static char *text_bytes(const char *s, size_t *len)
{
    size_t n = strlen(s), w = 0;
    char *o = qs_malloc(n + 1);
    for (size_t i = 0; i < n;) {
        if (strncmp(s + i, NUL_SENTINEL, 4) == 0) {
            o[w++] = 0;
            i += 4;
        } else {
            o[w++] = s[i++];
        }
    }
    o[w] = 0;
    *len = w;
    return o;
}

/* Read a JSON-lines file; returns an array of parsed objects (NULL on error). */
static cJSON *read_jsonl(const char *path)
{
    char *data;
    size_t size;
    if (qs_read_file(path, &data, &size)) {
        fprintf(stderr, "FAIL: cannot read %s: %s\n", path, qs_last_error());
        return NULL;
    }
    cJSON *arr = cJSON_CreateArray();
    char *line = data;
    int lineno = 0;
    while (line < data + size) {
        char *nl = memchr(line, '\n', (size_t)(data + size - line));
        size_t len = nl ? (size_t)(nl - line) : (size_t)(data + size - line);
        lineno++;
        if (len > 0) {
            /* "\u0000" -> "\uDBFF\uDFFF" (the sentinel) */
            char *tmp = qs_malloc(2 * len + 1);
            size_t w = 0;
            for (size_t i = 0; i < len; i++) {
                if (i + 6 <= len && memcmp(line + i, "\\u0000", 6) == 0 &&
                    (i == 0 || line[i - 1] != '\\')) {
                    memcpy(tmp + w, "\\uDBFF\\uDFFF", 12);
                    w += 12;
                    i += 5;
                } else {
                    tmp[w++] = line[i];
                }
            }
            cJSON *o = cJSON_ParseWithLength(tmp, w);
            free(tmp);
            if (!o) {
                fprintf(stderr, "FAIL: %s:%d: bad JSON\n", path, lineno);
                cJSON_Delete(arr);
                free(data);
                return NULL;
            }
            cJSON_AddItemToArray(arr, o);
        }
        line += len + 1;
    }
    free(data);
    return arr;
}

static size_t json_ids(const cJSON *a, int32_t **out)
{
    size_t n = (size_t)cJSON_GetArraySize(a);
    int32_t *ids = qs_malloc((n ? n : 1) * sizeof(int32_t));
    size_t i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, a) ids[i++] = (int32_t)it->valuedouble;
    *out = ids;
    return n;
}

static int ids_equal(const int32_t *a, size_t na, const int32_t *b, size_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, na * sizeof(int32_t)) == 0);
}

/* First index where two id lists differ. */
static size_t first_diff(const int32_t *a, size_t na, const int32_t *b, size_t nb)
{
    size_t i = 0;
    while (i < na && i < nb && a[i] == b[i])
        i++;
    return i;
}

static char *stream_decode(const qs_tokenizer *tok, const int32_t *ids, size_t n, int skip)
{
    qs_decode_stream *ds = qs_decode_stream_init(tok, skip);
    size_t cap = 64, len = 0;
    char *out = qs_malloc(cap);
    for (size_t i = 0; i <= n; i++) {
        const char *t;
        size_t l;
        if (i < n)
            qs_decode_stream_push(ds, ids[i], &t, &l);
        else
            qs_decode_stream_flush(ds, &t, &l);
        /* every piece must be valid UTF-8 on its own */
        const char *dummy;
        qs_buf b = {0};
        qs_utf8_sanitize(t, l, &b, &dummy);
        check(dummy == t, "stream piece %zu is not valid UTF-8", i);
        free(b.p);
        while (len + l + 1 > cap)
            cap *= 2;
        out = realloc(out, cap);
        memcpy(out + len, t, l);
        len += l;
    }
    out[len] = 0;
    qs_decode_stream_free(ds);
    return out;
}

/* Strings per category: [category, total, passed]. */
typedef struct {
    char name[32];
    int total, passed;
} cat_count;

/* ---------------------------------------------------------------------------
 * reference sets
 * ------------------------------------------------------------------------- */

/* kind 0: shared reference.jsonl (decoded text: "decoded" or "text");
 * kind 1: our corpus (fields nfc, decoded). Returns strings matched exactly. */
static int run_reference(qs_tokenizer *tok, const char *path, int kind, int *total)
{
    cJSON *arr = read_jsonl(path);
    *total = 0;
    if (!arr) {
        check(0, "%s missing", path);
        return 0;
    }
    cat_count cats[64];
    int n_cats = 0, exact = 0;
    const cJSON *rec;
    cJSON_ArrayForEach(rec, arr)
    {
        const cJSON *jt = cJSON_GetObjectItem(rec, "text");
        const cJSON *jc = cJSON_GetObjectItem(rec, "category");
        size_t text_len;
        char *text = text_bytes(jt->valuestring, &text_len);
        const char *cat = cJSON_IsString(jc) ? jc->valuestring : "?";
        int32_t *want, *got;
        size_t n_want = json_ids(cJSON_GetObjectItem(rec, "ids"), &want), n_got;
        qs_status st = qs_tokenizer_encode(tok, text, text_len, &got, &n_got);
        int ok = st == QS_OK && ids_equal(want, n_want, got, n_got);
        if (!ok) {
            size_t d = first_diff(want, n_want, got, n_got);
            check(0, "%s [%s] \"%.60s\": ids differ at %zu (want %zu ids, got %zu): want %d got %d",
                  path, cat, text, d, n_want, n_got, d < n_want ? want[d] : -1,
                  d < n_got ? got[d] : -1);
        } else {
            check(1, "");
        }
        (*total)++;
        exact += ok;
        int c = 0;
        while (c < n_cats && strcmp(cats[c].name, cat) != 0)
            c++;
        if (c == n_cats && n_cats < 64) {
            snprintf(cats[c].name, sizeof(cats[c].name), "%s", cat);
            cats[c].total = cats[c].passed = 0;
            n_cats++;
        }
        if (c < n_cats) {
            cats[c].total++;
            cats[c].passed += ok;
        }

        /* decode of HF's ids */
        char *dec = NULL;
        qs_tokenizer_decode(tok, want, n_want, 0, &dec);
        const cJSON *jd = cJSON_GetObjectItem(rec, "decoded");
        size_t want_dec_len;
        char *want_dec = text_bytes(cJSON_IsString(jd) ? jd->valuestring : jt->valuestring,
                                    &want_dec_len);
        /* strcmp: a NUL in the text ends both strings at the same place */
        check(strcmp(dec, want_dec) == 0, "%s [%s] decode \"%.60s\" != \"%.60s\"", path, cat, dec,
              want_dec);
        if (kind == 1) {
            size_t nfc_len;
            char *nfc = text_bytes(cJSON_GetObjectItem(rec, "nfc")->valuestring, &nfc_len);
            check(strcmp(dec, nfc) == 0, "%s [%s] decode(encode(s)) != NFC(s) for \"%.60s\"",
                  path, cat, text);
            /* encoding is idempotent under NFC */
            int32_t *ids2;
            size_t n2;
            qs_tokenizer_encode(tok, nfc, nfc_len, &ids2, &n2);
            free(nfc);
            check(ids_equal(want, n_want, ids2, n2), "%s [%s] encode(NFC(s)) != encode(s)", path,
                  cat);
            free(ids2);
        }
        char *sdec = stream_decode(tok, want, n_want, 0);
        check(strcmp(sdec, dec) == 0, "%s [%s] streaming decode differs for \"%.60s\"", path, cat,
              text);
        free(sdec);
        free(dec);
        free(want_dec);
        free(text);
        free(want);
        free(got);
    }
    printf("%s: %d/%d exact\n", path, exact, *total);
    for (int c = 0; c < n_cats; c++)
        printf("  %-22s %4d/%d\n", cats[c].name, cats[c].passed, cats[c].total);
    cJSON_Delete(arr);
    return exact;
}

static int hexval(char c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

static void run_invalid(qs_tokenizer *tok, const char *path)
{
    cJSON *arr = read_jsonl(path);
    if (!arr) {
        check(0, "%s missing", path);
        return;
    }
    int total = 0, exact = 0;
    const cJSON *rec;
    cJSON_ArrayForEach(rec, arr)
    {
        const char *hex = cJSON_GetObjectItem(rec, "hex")->valuestring;
        size_t n = strlen(hex) / 2;
        char *bytes = qs_malloc(n + 1);
        for (size_t i = 0; i < n; i++)
            bytes[i] = (char)(hexval(hex[2 * i]) * 16 + hexval(hex[2 * i + 1]));
        int32_t *want, *got;
        size_t n_want = json_ids(cJSON_GetObjectItem(rec, "ids"), &want), n_got;
        qs_status st = qs_tokenizer_encode(tok, bytes, n, &got, &n_got);
        int ok = st == QS_OK && ids_equal(want, n_want, got, n_got);
        check(ok, "%s: bytes %s: ids differ from HF's for the U+FFFD-repaired text", path, hex);
        total++;
        exact += ok;
        free(bytes);
        free(want);
        free(got);
    }
    printf("%s: %d/%d exact\n", path, exact, total);
    cJSON_Delete(arr);
}

static void run_classes(const char *path)
{
    char *data;
    size_t size;
    if (qs_read_file(path, &data, &size)) {
        check(0, "cannot read %s", path);
        return;
    }
    long mismatched = 0, total = 0;
    char *line = strtok(data, "\n");
    for (; line; line = strtok(NULL, "\n")) {
        if (line[0] == '#')
            continue;
        unsigned a, b;
        char k;
        if (sscanf(line, "%x %x %c", &a, &b, &k) != 3) {
            check(0, "%s: bad line %s", path, line);
            continue;
        }
        int want = k == 'L' ? QS_CLS_LETTER : k == 'N' ? QS_CLS_NUMBER : k == 'S' ? QS_CLS_SPACE
                   : k == 'R' ? QS_CLS_CRLF : QS_CLS_OTHER;
        for (unsigned cp = a; cp <= b; cp++) {
            if (cp >= 0xD800 && cp <= 0xDFFF)
                continue;
            total++;
            int got = qs_pretok_class((int32_t)cp);
            if (got != want) {
                mismatched++;
                if (mismatched <= 10)
                    fprintf(stderr, "class mismatch U+%04X: HF %c, ours %d\n", cp, k, got);
            }
        }
    }
    free(data);
    check(mismatched == 0, "%s: %ld of %ld code points classified differently from HF", path,
          mismatched, total);
    printf("%s: %ld/%ld code points classified as HF's regex does\n", path, total - mismatched,
           total);
}

static void run_tiny(const char *tok_path, const char *path)
{
    qs_tokenizer *tok;
    if (qs_tokenizer_load(&tok, tok_path)) {
        check(0, "load %s: %s", tok_path, qs_last_error());
        return;
    }
    cJSON *arr = read_jsonl(path);
    if (!arr) {
        check(0, "%s missing", path);
        qs_tokenizer_free(tok);
        return;
    }
    int total = 0, exact = 0;
    const cJSON *rec;
    cJSON_ArrayForEach(rec, arr)
    {
        const char *text = cJSON_GetObjectItem(rec, "text")->valuestring;
        int32_t *want, *got;
        size_t n_want = json_ids(cJSON_GetObjectItem(rec, "ids"), &want), n_got;
        qs_tokenizer_encode(tok, text, strlen(text), &got, &n_got);
        int ok = ids_equal(want, n_want, got, n_got);
        check(ok, "%s: \"%s\": ids differ", path, text);
        total++;
        exact += ok;
        for (int skip = 0; skip < 2; skip++) {
            char *dec;
            qs_tokenizer_decode(tok, want, n_want, skip, &dec);
            const char *wd = cJSON_GetObjectItem(rec, skip ? "decoded_skip" : "decoded")->valuestring;
            check(strcmp(dec, wd) == 0, "%s: decode(skip=%d) of \"%s\": \"%s\" != \"%s\"", path,
                  skip, text, dec, wd);
            char *sdec = stream_decode(tok, want, n_want, skip);
            check(strcmp(sdec, dec) == 0, "%s: streaming decode differs", path);
            free(sdec);
            free(dec);
        }
        free(want);
        free(got);
    }
    printf("%s: %d/%d exact (added-token flags)\n", path, exact, total);
    cJSON_Delete(arr);
    qs_tokenizer_free(tok);
}

static void run_chat(const char *path)
{
    cJSON *arr = read_jsonl(path);
    if (!arr) {
        check(0, "%s missing", path);
        return;
    }
    int total = 0, ok_n = 0;
    const cJSON *rec;
    cJSON_ArrayForEach(rec, arr)
    {
        const cJSON *jm = cJSON_GetObjectItem(rec, "messages");
        size_t n = (size_t)cJSON_GetArraySize(jm);
        qs_chat_msg *msgs = qs_calloc(n ? n : 1, sizeof(*msgs));
        for (size_t i = 0; i < n; i++) {
            const cJSON *m = cJSON_GetArrayItem(jm, (int)i);
            msgs[i].role = cJSON_GetObjectItem(m, "role")->valuestring;
            msgs[i].content = cJSON_GetObjectItem(m, "content")->valuestring;
        }
        int agp = cJSON_IsTrue(cJSON_GetObjectItem(rec, "add_generation_prompt"));
        int ds = cJSON_IsTrue(cJSON_GetObjectItem(rec, "default_system"));
        char *got = qs_chat_format(msgs, n, agp, ds);
        const char *want = cJSON_GetObjectItem(rec, "text")->valuestring;
        int ok = got && strcmp(got, want) == 0;
        check(ok, "%s: prompt %d differs:\n--- want\n%s\n--- got\n%s", path, total, want,
              got ? got : "(null)");
        total++;
        ok_n += ok;
        free(got);
        free(msgs);
    }
    qs_chat_msg bad = {"narrator", "x"};
    char *p = qs_chat_format(&bad, 1, 1, 1);
    check(p == NULL, "unknown role must give NULL");
    free(p);
    printf("%s: %d/%d prompts equal to the jinja2 rendering\n", path, ok_n, total);
    cJSON_Delete(arr);
}

/* ---------------------------------------------------------------------------
 * malformed / unsupported tokenizer.json
 * ------------------------------------------------------------------------- */

static cJSON *at_path(cJSON *root, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", path);
    cJSON *cur = root;
    for (char *tok = strtok(buf, "."); tok && cur; tok = strtok(NULL, "."))
        cur = cJSON_IsArray(cur) ? cJSON_GetArrayItem(cur, atoi(tok))
                                 : cJSON_GetObjectItemCaseSensitive(cur, tok);
    return cur;
}

/* Replace the value at dotted path (parent must exist) with JSON `value`
 * (NULL = delete the field). */
static void set_path(cJSON *root, const char *path, const char *value)
{
    char parent[128];
    snprintf(parent, sizeof(parent), "%s", path);
    char *dot = strrchr(parent, '.');
    const char *key = path;
    cJSON *obj = root;
    if (dot) {
        *dot = 0;
        key = path + (dot - parent) + 1;
        obj = at_path(root, parent);
    }
    QS_ASSERT(obj != NULL);
    if (cJSON_IsArray(obj)) {
        int idx = atoi(key);
        if (value)
            cJSON_ReplaceItemInArray(obj, idx, cJSON_Parse(value));
        else
            cJSON_DeleteItemFromArray(obj, idx);
        return;
    }
    if (value) {
        if (cJSON_GetObjectItemCaseSensitive(obj, key))
            cJSON_ReplaceItemInObjectCaseSensitive(obj, key, cJSON_Parse(value));
        else
            cJSON_AddItemToObject(obj, key, cJSON_Parse(value));
    } else {
        cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    }
}

static void run_bad_files(const char *tiny_path)
{
    char *data;
    size_t size;
    if (qs_read_file(tiny_path, &data, &size)) {
        check(0, "cannot read %s", tiny_path);
        return;
    }
    cJSON *base = cJSON_Parse(data);
    QS_ASSERT(base != NULL);
    static const struct {
        const char *path, *value;
        qs_status want;
        const char *msg_part; /* must appear in the message */
    } cases[] = {
        {"model.type", "\"WordPiece\"", QS_ERR_UNSUPPORTED, "model.type"},
        {"model.dropout", "0.1", QS_ERR_UNSUPPORTED, "model.dropout"},
        {"model.continuing_subword_prefix", "\"##\"", QS_ERR_UNSUPPORTED, "continuing_subword_prefix"},
        {"model.vocab", NULL, QS_ERR_FORMAT, "model.vocab"},
        {"model.vocab", "[]", QS_ERR_FORMAT, "model.vocab"},
        {"model.vocab.h", "-1", QS_ERR_FORMAT, "model.vocab"},
        {"model.vocab.h", "1.5", QS_ERR_FORMAT, "model.vocab"},
        {"model.vocab.h", "\"x\"", QS_ERR_FORMAT, "model.vocab"},
        {"model.vocab.h", "2000000000", QS_ERR_FORMAT, "far beyond"},
        {"model.vocab.h", "105", QS_ERR_FORMAT, "id 105"},
        {"model.vocab.h", NULL, QS_ERR_UNSUPPORTED, "byte 0x68"},
        {"model.merges", "{}", QS_ERR_FORMAT, "model.merges"},
        {"model.merges.0", "42", QS_ERR_FORMAT, "model.merges[0]"},
        {"model.merges.0", "\"h e x\"", QS_ERR_FORMAT, "model.merges[0]"},
        {"model.merges.0", "\"he\"", QS_ERR_FORMAT, "model.merges[0]"},
        {"model.merges.1", "\"q zz\"", QS_ERR_FORMAT, "model.merges[1]"},
        {"model.merges.1", "[\"l\"]", QS_ERR_FORMAT, "model.merges[1]"},
        {"model.merges.2", "\"h l\"", QS_ERR_FORMAT, "merged token"},
        {"model", NULL, QS_ERR_FORMAT, "'model'"},
        {"normalizer", "{\"type\": \"NFKC\"}", QS_ERR_UNSUPPORTED, "NFKC"},
        {"normalizer", "{\"type\": \"Sequence\", \"normalizers\": [{\"type\": \"Lowercase\"}]}",
         QS_ERR_UNSUPPORTED, "Lowercase"},
        {"normalizer", "7", QS_ERR_FORMAT, "normalizer"},
        {"pre_tokenizer", "null", QS_ERR_UNSUPPORTED, "pre_tokenizer"},
        {"pre_tokenizer", "{\"type\": \"ByteLevel\", \"add_prefix_space\": false}", QS_ERR_UNSUPPORTED,
         "pre_tokenizer"},
        {"pre_tokenizer.pretokenizers.0.pattern.Regex", "\"\\\\s+\"", QS_ERR_UNSUPPORTED, "Qwen2"},
        {"pre_tokenizer.pretokenizers.0.behavior", "\"Removed\"", QS_ERR_UNSUPPORTED, "behavior"},
        {"pre_tokenizer.pretokenizers.1.add_prefix_space", "true", QS_ERR_UNSUPPORTED, "add_prefix_space"},
        {"post_processor", "{\"type\": \"TemplateProcessing\"}", QS_ERR_UNSUPPORTED, "post_processor"},
        {"decoder", "{\"type\": \"WordPiece\"}", QS_ERR_UNSUPPORTED, "decoder"},
        {"truncation", "{\"max_length\": 5}", QS_ERR_UNSUPPORTED, "truncation"},
        {"added_tokens", "{}", QS_ERR_FORMAT, "added_tokens"},
        {"added_tokens.0", "17", QS_ERR_FORMAT, "added_tokens[0]"},
        {"added_tokens.0.content", NULL, QS_ERR_FORMAT, "added_tokens[0].content"},
        {"added_tokens.0.id", "\"5\"", QS_ERR_FORMAT, "added_tokens[0].id"},
        {"added_tokens.0.lstrip", "\"yes\"", QS_ERR_FORMAT, "added_tokens[0].lstrip"},
        {"added_tokens.1.content", "\"<s>\"", QS_ERR_FORMAT, "added_tokens[1]"},
    };
    int ok_n = 0, total = 0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *j = cJSON_Duplicate(base, 1);
        set_path(j, cases[i].path, cases[i].value);
        char *txt = cJSON_PrintUnformatted(j);
        qs_tokenizer *tok = NULL;
        qs_fail(QS_OK, "%s", "");
        qs_status st = qs_tokenizer_load_json(&tok, txt, strlen(txt), "tiny.json");
        const char *msg = qs_last_error();
        int ok = st == cases[i].want && tok == NULL && strstr(msg, cases[i].msg_part) &&
                 strstr(msg, "tiny.json");
        check(ok, "bad file case %zu (%s = %s): status %d (want %d), message \"%s\"", i,
              cases[i].path, cases[i].value ? cases[i].value : "deleted", st, cases[i].want, msg);
        ok_n += ok;
        total++;
        qs_tokenizer_free(tok);
        free(txt);
        cJSON_Delete(j);
    }
    /* not JSON at all / truncated / wrong top level */
    static const char *const junk[] = {"", "{", "[]", "null", "{\"model\": ", "\xff\xfe"};
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        qs_tokenizer *tok = NULL;
        qs_status st = qs_tokenizer_load_json(&tok, junk[i], strlen(junk[i]), "junk.json");
        int ok = st == QS_ERR_FORMAT && !tok && strstr(qs_last_error(), "junk.json");
        check(ok, "junk case %zu: status %d, message \"%s\"", i, st, qs_last_error());
        ok_n += ok;
        total++;
    }
    /* truncated real data */
    for (size_t cut = 1; cut < size; cut += size / 7) {
        qs_tokenizer *tok = NULL;
        qs_status st = qs_tokenizer_load_json(&tok, data, cut, "cut.json");
        check(st == QS_ERR_FORMAT && !tok, "truncated file (%zu bytes) not refused", cut);
        total++;
        ok_n += st == QS_ERR_FORMAT;
    }
    qs_tokenizer *tok = NULL;
    qs_status st = qs_tokenizer_load(&tok, "tests/data/tokenizer/no-such-file.json");
    check(st == QS_ERR_IO && !tok, "missing file: status %d", st);
    total++;
    ok_n += st == QS_ERR_IO;
    printf("malformed/unsupported tokenizer.json: %d/%d refused with the right status and message\n",
           ok_n, total);
    cJSON_Delete(base);
    free(data);
}

/* ---------------------------------------------------------------------------
 * API details
 * ------------------------------------------------------------------------- */

static void run_api(qs_tokenizer *tok)
{
    check(qs_tokenizer_vocab_size(tok) == 151665, "vocab size %zu, want 151665",
          qs_tokenizer_vocab_size(tok));
    check(qs_tokenizer_token_id(tok, "<|im_end|>") == 151645, "<|im_end|> id");
    check(qs_tokenizer_token_id(tok, "<|endoftext|>") == 151643, "<|endoftext|> id");
    check(qs_tokenizer_token_id(tok, "Hello") == 9707, "Hello id");
    check(qs_tokenizer_token_id(tok, "no such token xyz") == -1, "absent token");
    check(qs_tokenizer_is_special(tok, 151645) && !qs_tokenizer_is_special(tok, 9707) &&
              !qs_tokenizer_is_special(tok, -3) && !qs_tokenizer_is_special(tok, 1 << 30),
          "is_special");
    size_t l;
    const char *b = qs_tokenizer_id_bytes(tok, 220, &l); /* "Ġ" = one space */
    check(b && l == 1 && b[0] == ' ', "id_bytes(220)");
    check(qs_tokenizer_id_bytes(tok, -1, &l) == NULL && l == 0, "id_bytes(-1)");

    int32_t *ids;
    size_t n;
    check(qs_tokenizer_encode(tok, "", 0, &ids, &n) == QS_OK && n == 0 && ids, "empty text");
    free(ids);
    check(qs_tokenizer_encode(tok, NULL, 0, &ids, &n) == QS_OK && n == 0, "NULL, 0");
    free(ids);
    check(qs_tokenizer_encode(NULL, "x", 1, &ids, &n) == QS_ERR_ARG, "NULL tokenizer");
    /* an embedded NUL is a character like any other */
    check(qs_tokenizer_encode(tok, "a\0b", 3, &ids, &n) == QS_OK && n == 3 && ids[1] == 188,
          "embedded NUL");
    char *tn;
    size_t tnl;
    check(qs_tokenizer_decode_n(tok, ids, n, 0, &tn, &tnl) == QS_OK && tnl == 3 &&
              memcmp(tn, "a\0b", 3) == 0,
          "decode_n keeps the NUL");
    free(tn);
    free(ids);

    /* decode: unknown ids skipped, skip_special */
    int32_t mix[] = {151644, 9707, -5, 999999, 151645, 1879};
    char *t;
    qs_tokenizer_decode(tok, mix, 6, 0, &t);
    check(strcmp(t, "<|im_start|>Hello<|im_end|> world") == 0, "decode mix: %s", t);
    free(t);
    qs_tokenizer_decode(tok, mix, 6, 1, &t);
    check(strcmp(t, "Hello world") == 0, "decode skip_special: %s", t);
    free(t);

    /* streaming: an emoji split over byte tokens is emitted only when whole */
    const char *emoji = "\xF0\x9F\x98\x80"; /* U+1F600 */
    qs_tokenizer_encode(tok, "x\xF0\x9F\x98\x80", 5, &ids, &n);
    qs_decode_stream *ds = qs_decode_stream_init(tok, 0);
    char acc[64] = "";
    int broken = 0;
    for (size_t i = 0; i < n; i++) {
        const char *piece;
        size_t pl;
        qs_decode_stream_push(ds, ids[i], &piece, &pl);
        if (pl && ((unsigned char)piece[0] & 0xC0) == 0x80)
            broken = 1;
        strncat(acc, piece, pl);
    }
    const char *piece;
    size_t pl;
    qs_decode_stream_flush(ds, &piece, &pl);
    check(pl == 0 && !broken && strcmp(acc + 1, emoji) == 0, "streaming emoji");
    /* a dangling lead byte at the end is flushed as U+FFFD */
    int32_t lead = qs_tokenizer_token_id(tok, "\xC3\xB0"); /* byte 0xF0 */
    qs_decode_stream_push(ds, lead, &piece, &pl);
    check(pl == 0, "held lead byte");
    qs_decode_stream_flush(ds, &piece, &pl);
    check(pl == 3 && memcmp(piece, "\xEF\xBF\xBD", 3) == 0, "flush of a lead byte -> U+FFFD");
    qs_decode_stream_free(ds);
    free(ids);

    /* a long run of repeated words hits the word cache and stays exact */
    size_t big_n = 200000;
    char *big = qs_malloc(big_n + 1);
    for (size_t i = 0; i < big_n; i++)
        big[i] = "the cat sat on a mat. "[i % 22];
    qs_tokenizer_encode(tok, big, big_n, &ids, &n);
    char *back;
    qs_tokenizer_decode(tok, ids, n, 0, &back);
    check(strlen(back) == big_n && memcmp(back, big, big_n) == 0, "long repeated text round trip");
    free(back);
    free(ids);
    free(big);
}

int main(void)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/tokenizer.json", SHARED_DIR);
    qs_tokenizer *tok = NULL;
    double t0 = qs_now();
    if (qs_tokenizer_load(&tok, path)) {
        fprintf(stderr,
                "FAIL: cannot load the reference tokenizer %s: %s\n"
                "The shared data must sit beside the repository as ../shared "
                "(tokenizer.json and reference.jsonl); this test does not skip.\n",
                path, qs_last_error());
        return 1;
    }
    printf("loaded %s in %.3f s\n", path, qs_now() - t0);

    int total_ref, total_ours;
    snprintf(path, sizeof(path), "%s/reference.jsonl", SHARED_DIR);
    int exact_ref = run_reference(tok, path, 0, &total_ref);
    snprintf(path, sizeof(path), "%s/corpus.jsonl", DATA_DIR);
    int exact_ours = run_reference(tok, path, 1, &total_ours);
    check(total_ref == 681, "reference.jsonl has %d strings, want 681", total_ref);
    snprintf(path, sizeof(path), "%s/invalid.jsonl", DATA_DIR);
    run_invalid(tok, path);
    snprintf(path, sizeof(path), "%s/classes.txt", DATA_DIR);
    run_classes(path);
    run_api(tok);
    qs_tokenizer_free(tok);

    char tiny[512];
    snprintf(tiny, sizeof(tiny), "%s/tiny_tokenizer.json", DATA_DIR);
    snprintf(path, sizeof(path), "%s/tiny.jsonl", DATA_DIR);
    run_tiny(tiny, path);
    snprintf(path, sizeof(path), "%s/chat.jsonl", DATA_DIR);
    run_chat(path);
    run_bad_files(tiny);

    printf("summary: reference %d/%d exact, corpus %d/%d exact; %d checks, %d failed\n", exact_ref,
           total_ref, exact_ours, total_ours, n_checks, n_failed);
    return n_failed ? 1 : 0;
}
