/*
 * vocab.c - load a Hugging Face tokenizer.json (cJSON) into a qs_tokenizer.
 *
 * What is read, and checked (see tokenizer.h for what is supported):
 *   model.vocab         {"token": id, ...}; ids are >= 0 and unique
 *   model.merges        ["a b", ...] or [["a", "b"], ...]; a, b and a+b must
 *                       be in the vocab. Rank = index in the list; when a
 *                       pair repeats, the later entry wins (as in HF).
 *   added_tokens        [{id, content, special, lstrip, rstrip, single_word,
 *                       normalized}, ...]; missing flags take HF's defaults
 *                       (normalized true, the others false)
 *   normalizer, pre_tokenizer, post_processor, decoder, truncation, padding:
 *                       only checked to be something qsteer implements
 * Every error names the file, the field and what was expected. The byte-level
 * alphabet (GPT-2's bytes_to_unicode) is rebuilt here; each of the 256
 * single-byte tokens must be in the vocab, so BPE never meets an unknown
 * symbol.
 */
#include <math.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tok_internal.h"

/* The pre-tokenizer regex of Qwen2 / Qwen2.5 / Qwen3, implemented in pretok.c. */
static const char QWEN2_PATTERN[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/* ---------------------------------------------------------------------------
 * Byte-level alphabet: byte b is shown as code point bl_cp[b].
 * ------------------------------------------------------------------------- */

static int byte_is_printable(int b)
{
    return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

static int32_t byte_to_cp(int b)
{
    if (byte_is_printable(b))
        return b;
    int k = 0;
    for (int x = 0; x < b; x++)
        k += !byte_is_printable(x);
    return 256 + k;
}

/* Byte shown by code point cp, or -1 if cp is not in the alphabet. */
static int cp_to_byte(int32_t cp)
{
    if (cp < 256)
        return byte_is_printable(cp) ? cp : -1;
    if (cp >= 256 + 68)
        return -1;
    int k = cp - 256;
    for (int b = 0; b < 256; b++)
        if (!byte_is_printable(b) && k-- == 0)
            return b;
    return -1;
}

/* The bytes HF's ByteLevel decoder gives for token text t: every character
 * mapped back to its byte, or the text's own UTF-8 if some character is not
 * in the alphabet. Writes at most len bytes to out; returns the count. */
static size_t byte_level_decode(const char *t, size_t len, char *out)
{
    const uint8_t *u = (const uint8_t *)t;
    size_t i = 0, w = 0;
    while (i < len) {
        int32_t cp;
        size_t l = qs_utf8_next(u + i, len - i, &cp);
        int b = l ? cp_to_byte(cp) : -1;
        if (b < 0) {
            memcpy(out, t, len);
            return len;
        }
        out[w++] = (char)b;
        i += l;
    }
    return w;
}

/* ---------------------------------------------------------------------------
 * JSON helpers
 * ------------------------------------------------------------------------- */

typedef struct {
    const char *name; /* file name for messages */
} load_ctx;

static const char *json_type_name(const cJSON *j)
{
    if (!j)
        return "nothing";
    if (cJSON_IsNull(j))
        return "null";
    if (cJSON_IsBool(j))
        return "a boolean";
    if (cJSON_IsNumber(j))
        return "a number";
    if (cJSON_IsString(j))
        return "a string";
    if (cJSON_IsArray(j))
        return "an array";
    if (cJSON_IsObject(j))
        return "an object";
    return "something else";
}

/* Optional boolean field: absent or null gives def. */
static qs_status get_bool(const load_ctx *lc, const cJSON *obj, const char *field,
                          const char *where, int def, uint8_t *out)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, field);
    if (!j || cJSON_IsNull(j)) {
        *out = (uint8_t)def;
        return QS_OK;
    }
    if (!cJSON_IsBool(j))
        return qs_fail(QS_ERR_FORMAT, "%s: field '%s.%s': expected a boolean, found %s",
                       lc->name, where, field, json_type_name(j));
    *out = cJSON_IsTrue(j) ? 1 : 0;
    return QS_OK;
}

static qs_status get_id(const load_ctx *lc, const cJSON *j, const char *where, int32_t *id)
{
    if (!cJSON_IsNumber(j))
        return qs_fail(QS_ERR_FORMAT, "%s: field '%s': expected a token id (integer), found %s",
                       lc->name, where, json_type_name(j));
    double v = j->valuedouble;
    if (!(v >= 0 && v <= 2147483000.0) || floor(v) != v)
        return qs_fail(QS_ERR_FORMAT, "%s: field '%s': expected an integer id >= 0, found %g",
                       lc->name, where, v);
    *id = (int32_t)v;
    return QS_OK;
}

static const char *type_of(const cJSON *obj)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(obj, "type");
    return cJSON_IsString(t) ? t->valuestring : NULL;
}

/* ---------------------------------------------------------------------------
 * Pipeline components: accept only what we implement.
 * ------------------------------------------------------------------------- */

static qs_status check_normalizer(const load_ctx *lc, const cJSON *n, const char *where, int *nfc)
{
    if (!n || cJSON_IsNull(n))
        return QS_OK;
    if (!cJSON_IsObject(n))
        return qs_fail(QS_ERR_FORMAT, "%s: field '%s': expected an object or null, found %s",
                       lc->name, where, json_type_name(n));
    const char *type = type_of(n);
    if (!type)
        return qs_fail(QS_ERR_FORMAT, "%s: field '%s.type': expected a string", lc->name, where);
    if (strcmp(type, "NFC") == 0) {
        *nfc = 1;
        return QS_OK;
    }
    if (strcmp(type, "Sequence") == 0) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(n, "normalizers");
        if (!cJSON_IsArray(list))
            return qs_fail(QS_ERR_FORMAT, "%s: field '%s.normalizers': expected an array, found %s",
                           lc->name, where, json_type_name(list));
        int i = 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, list)
        {
            char sub[96];
            snprintf(sub, sizeof(sub), "%s.normalizers[%d]", where, i++);
            qs_status st = check_normalizer(lc, it, sub, nfc);
            if (st)
                return st;
        }
        return QS_OK;
    }
    return qs_fail(QS_ERR_UNSUPPORTED,
                   "%s: field '%s.type': normalizer \"%s\" is not supported (qsteer implements NFC)",
                   lc->name, where, type);
}

static qs_status check_byte_level(const load_ctx *lc, const cJSON *b, const char *where)
{
    uint8_t prefix = 0, use_regex = 1;
    qs_status st = get_bool(lc, b, "add_prefix_space", where, 1, &prefix);
    if (!st)
        st = get_bool(lc, b, "use_regex", where, 1, &use_regex);
    if (st)
        return st;
    if (prefix || use_regex)
        return qs_fail(QS_ERR_UNSUPPORTED,
                       "%s: field '%s': ByteLevel with add_prefix_space=%s, use_regex=%s is not "
                       "supported (qsteer implements false, false after a Split)",
                       lc->name, where, prefix ? "true" : "false", use_regex ? "true" : "false");
    return QS_OK;
}

static qs_status check_pre_tokenizer(const load_ctx *lc, const cJSON *p)
{
    const char *type = cJSON_IsObject(p) ? type_of(p) : NULL;
    const cJSON *list = type && strcmp(type, "Sequence") == 0
                            ? cJSON_GetObjectItemCaseSensitive(p, "pretokenizers")
                            : NULL;
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) != 2)
        return qs_fail(QS_ERR_UNSUPPORTED,
                       "%s: field 'pre_tokenizer': expected a Sequence of [Split (Qwen2 regex), "
                       "ByteLevel], found %s%s%s",
                       lc->name, type ? "type " : json_type_name(p), type ? type : "",
                       type && strcmp(type, "Sequence") == 0 ? " of another shape" : "");
    const cJSON *split = cJSON_GetArrayItem(list, 0);
    const cJSON *bl = cJSON_GetArrayItem(list, 1);
    const char *t0 = cJSON_IsObject(split) ? type_of(split) : NULL;
    const char *t1 = cJSON_IsObject(bl) ? type_of(bl) : NULL;
    if (!t0 || strcmp(t0, "Split") != 0 || !t1 || strcmp(t1, "ByteLevel") != 0)
        return qs_fail(QS_ERR_UNSUPPORTED,
                       "%s: field 'pre_tokenizer.pretokenizers': expected [Split, ByteLevel], "
                       "found [%s, %s]",
                       lc->name, t0 ? t0 : "?", t1 ? t1 : "?");
    const cJSON *pat = cJSON_GetObjectItemCaseSensitive(split, "pattern");
    const cJSON *re = cJSON_IsObject(pat) ? cJSON_GetObjectItemCaseSensitive(pat, "Regex") : NULL;
    if (!cJSON_IsString(re) || strcmp(re->valuestring, QWEN2_PATTERN) != 0)
        return qs_fail(QS_ERR_UNSUPPORTED,
                       "%s: field 'pre_tokenizer.pretokenizers[0].pattern': only the Qwen2 "
                       "regex is implemented, found %s",
                       lc->name, cJSON_IsString(re) ? re->valuestring : "another pattern");
    const cJSON *beh = cJSON_GetObjectItemCaseSensitive(split, "behavior");
    if (!cJSON_IsString(beh) || strcmp(beh->valuestring, "Isolated") != 0)
        return qs_fail(QS_ERR_UNSUPPORTED,
                       "%s: field 'pre_tokenizer.pretokenizers[0].behavior': expected "
                       "\"Isolated\"",
                       lc->name);
    uint8_t invert = 0;
    qs_status st = get_bool(lc, split, "invert", "pre_tokenizer.pretokenizers[0]", 0, &invert);
    if (st)
        return st;
    if (invert)
        return qs_fail(QS_ERR_UNSUPPORTED,
                       "%s: field 'pre_tokenizer.pretokenizers[0].invert': expected false",
                       lc->name);
    return check_byte_level(lc, bl, "pre_tokenizer.pretokenizers[1]");
}

/* post_processor / decoder: null, ByteLevel, or a Sequence of ByteLevel. */
static qs_status check_byte_level_only(const load_ctx *lc, const cJSON *p, const char *where,
                                       const char *list_field)
{
    if (!p || cJSON_IsNull(p))
        return QS_OK;
    const char *type = cJSON_IsObject(p) ? type_of(p) : NULL;
    if (type && strcmp(type, "ByteLevel") == 0)
        return QS_OK;
    if (type && strcmp(type, "Sequence") == 0) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(p, list_field);
        const cJSON *it;
        int ok = cJSON_IsArray(list);
        if (ok)
            cJSON_ArrayForEach(it, list)
            {
                const char *t = cJSON_IsObject(it) ? type_of(it) : NULL;
                ok = ok && t && strcmp(t, "ByteLevel") == 0;
            }
        if (ok)
            return QS_OK;
    }
    return qs_fail(QS_ERR_UNSUPPORTED,
                   "%s: field '%s': only ByteLevel (or null) is supported, found %s",
                   lc->name, where, type ? type : json_type_name(p));
}

/* ---------------------------------------------------------------------------
 * Model and added tokens
 * ------------------------------------------------------------------------- */

static qs_status check_model_options(const load_ctx *lc, const cJSON *model)
{
    const char *type = type_of(model);
    if (type && strcmp(type, "BPE") != 0)
        return qs_fail(QS_ERR_UNSUPPORTED,
                       "%s: field 'model.type': model \"%s\" is not supported (qsteer implements "
                       "BPE)",
                       lc->name, type);
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(model, "dropout");
    if (d && !cJSON_IsNull(d) && !(cJSON_IsNumber(d) && d->valuedouble == 0.0))
        return qs_fail(QS_ERR_UNSUPPORTED, "%s: field 'model.dropout': expected null", lc->name);
    static const char *const empty_fields[] = {"continuing_subword_prefix", "end_of_word_suffix"};
    for (int i = 0; i < 2; i++) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(model, empty_fields[i]);
        if (f && !cJSON_IsNull(f) && !(cJSON_IsString(f) && f->valuestring[0] == 0))
            return qs_fail(QS_ERR_UNSUPPORTED, "%s: field 'model.%s': expected null or \"\"",
                           lc->name, empty_fields[i]);
    }
    return QS_OK;
}

/* Merge strings "a b" or ["a", "b"]: pointers into the cJSON tree. */
static qs_status merge_parts(const load_ctx *lc, const cJSON *m, size_t idx, const char **a,
                             size_t *la, const char **b, size_t *lb)
{
    if (cJSON_IsString(m)) {
        const char *s = m->valuestring;
        const char *sp = strchr(s, ' ');
        if (!sp || strchr(sp + 1, ' '))
            return qs_fail(QS_ERR_FORMAT,
                           "%s: field 'model.merges[%zu]': expected \"left right\" with exactly "
                           "one space, found \"%.60s\"",
                           lc->name, idx, s);
        *a = s;
        *la = (size_t)(sp - s);
        *b = sp + 1;
        *lb = strlen(sp + 1);
        return QS_OK;
    }
    if (cJSON_IsArray(m) && cJSON_GetArraySize(m) == 2 && cJSON_IsString(cJSON_GetArrayItem(m, 0)) &&
        cJSON_IsString(cJSON_GetArrayItem(m, 1))) {
        *a = cJSON_GetArrayItem(m, 0)->valuestring;
        *b = cJSON_GetArrayItem(m, 1)->valuestring;
        *la = strlen(*a);
        *lb = strlen(*b);
        return QS_OK;
    }
    return qs_fail(QS_ERR_FORMAT,
                   "%s: field 'model.merges[%zu]': expected a string \"a b\" or a pair [\"a\", "
                   "\"b\"], found %s",
                   lc->name, idx, json_type_name(m));
}

static qs_status load_tree(qs_tokenizer *tok, const load_ctx *lc, const cJSON *root)
{
    qs_status st;
    if (!cJSON_IsObject(root))
        return qs_fail(QS_ERR_FORMAT, "%s: expected a JSON object at top level, found %s", lc->name,
                       json_type_name(root));

    /* ---- pipeline components ---- */
    st = check_normalizer(lc, cJSON_GetObjectItemCaseSensitive(root, "normalizer"), "normalizer",
                          &tok->nfc);
    if (st)
        return st;
    st = check_pre_tokenizer(lc, cJSON_GetObjectItemCaseSensitive(root, "pre_tokenizer"));
    if (st)
        return st;
    st = check_byte_level_only(lc, cJSON_GetObjectItemCaseSensitive(root, "post_processor"),
                               "post_processor", "processors");
    if (st)
        return st;
    st = check_byte_level_only(lc, cJSON_GetObjectItemCaseSensitive(root, "decoder"), "decoder",
                               "decoders");
    if (st)
        return st;
    static const char *const null_fields[] = {"truncation", "padding"};
    for (int i = 0; i < 2; i++) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(root, null_fields[i]);
        if (f && !cJSON_IsNull(f))
            return qs_fail(QS_ERR_UNSUPPORTED, "%s: field '%s': expected null", lc->name,
                           null_fields[i]);
    }

    /* ---- model ---- */
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    if (!cJSON_IsObject(model))
        return qs_fail(QS_ERR_FORMAT, "%s: field 'model': expected an object, found %s", lc->name,
                       json_type_name(model));
    st = check_model_options(lc, model);
    if (st)
        return st;
    uint8_t flag;
    st = get_bool(lc, model, "ignore_merges", "model", 0, &flag);
    if (st)
        return st;
    tok->ignore_merges = flag;
    const cJSON *vocab = cJSON_GetObjectItemCaseSensitive(model, "vocab");
    const cJSON *merges = cJSON_GetObjectItemCaseSensitive(model, "merges");
    if (!cJSON_IsObject(vocab))
        return qs_fail(QS_ERR_FORMAT, "%s: field 'model.vocab': expected an object, found %s",
                       lc->name, json_type_name(vocab));
    if (!cJSON_IsArray(merges))
        return qs_fail(QS_ERR_FORMAT, "%s: field 'model.merges': expected an array, found %s",
                       lc->name, json_type_name(merges));
    const cJSON *added = cJSON_GetObjectItemCaseSensitive(root, "added_tokens");
    if (added && !cJSON_IsNull(added) && !cJSON_IsArray(added))
        return qs_fail(QS_ERR_FORMAT, "%s: field 'added_tokens': expected an array, found %s",
                       lc->name, json_type_name(added));

    /* First pass: sizes and ids. */
    size_t n_vocab = 0, text_bytes = 0;
    int32_t max_id = -1;
    const cJSON *it;
    cJSON_ArrayForEach(it, vocab)
    {
        char where[64];
        snprintf(where, sizeof(where), "model.vocab[\"%.30s\"]", it->string);
        int32_t id = 0;
        st = get_id(lc, it, where, &id);
        if (st)
            return st;
        if (id > max_id)
            max_id = id;
        n_vocab++;
        text_bytes += strlen(it->string) + 1;
    }
    size_t n_added = 0;
    cJSON_ArrayForEach(it, added)
    {
        char where[64];
        snprintf(where, sizeof(where), "added_tokens[%zu]", n_added);
        if (!cJSON_IsObject(it))
            return qs_fail(QS_ERR_FORMAT, "%s: field '%s': expected an object, found %s", lc->name,
                           where, json_type_name(it));
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(it, "content");
        if (!cJSON_IsString(c))
            return qs_fail(QS_ERR_FORMAT, "%s: field '%s.content': expected a string, found %s",
                           lc->name, where, json_type_name(c));
        int32_t id = 0;
        strncat(where, ".id", sizeof(where) - strlen(where) - 1);
        st = get_id(lc, cJSON_GetObjectItemCaseSensitive(it, "id"), where, &id);
        if (st)
            return st;
        if (id > max_id)
            max_id = id;
        n_added++;
        text_bytes += strlen(c->valuestring) + 1;
    }
    /* Ids index dense arrays: refuse absurdly sparse ones (a corrupt file
     * must not make us allocate gigabytes). */
    if ((size_t)max_id >= 2 * (n_vocab + n_added) + 65536)
        return qs_fail(QS_ERR_FORMAT,
                       "%s: token id %d is far beyond the number of tokens (%zu); expected ids "
                       "close to 0..n-1",
                       lc->name, max_id, n_vocab + n_added);

    tok->n_ids = (size_t)max_id + 1;
    tok->tok_text = qs_calloc(tok->n_ids, sizeof(char *));
    tok->tok_len = qs_calloc(tok->n_ids, sizeof(uint32_t));
    tok->tok_bytes = qs_calloc(tok->n_ids, sizeof(char *));
    tok->tok_bytes_len = qs_calloc(tok->n_ids, sizeof(uint32_t));
    tok->is_special = qs_calloc(tok->n_ids, 1);
    tok->is_added = qs_calloc(tok->n_ids, 1);
    /* one arena for every token text, then every decoded byte string */
    char *arena = qs_malloc(2 * text_bytes + 1);
    tok->arena = arena;
    size_t used = 0;

    qs_strmap_init(&tok->vocab, n_vocab);
    cJSON_ArrayForEach(it, vocab)
    {
        int32_t id = (int32_t)it->valuedouble;
        size_t len = strlen(it->string);
        char *t = memcpy(arena + used, it->string, len + 1);
        used += len + 1;
        if (tok->tok_text[id])
            return qs_fail(QS_ERR_FORMAT,
                           "%s: field 'model.vocab': id %d is used by both \"%.40s\" and "
                           "\"%.40s\"; expected unique ids",
                           lc->name, id, tok->tok_text[id], t);
        if (qs_strmap_put(&tok->vocab, t, len, id) >= 0)
            return qs_fail(QS_ERR_FORMAT, "%s: field 'model.vocab': token \"%.40s\" appears twice",
                           lc->name, t);
        tok->tok_text[id] = t;
        tok->tok_len[id] = (uint32_t)len;
    }

    /* ---- added tokens ---- */
    tok->added = qs_calloc(n_added ? n_added : 1, sizeof(qs_added_token));
    qs_strmap_init(&tok->added_map, n_added);
    size_t ia = 0;
    cJSON_ArrayForEach(it, added)
    {
        char where[64];
        snprintf(where, sizeof(where), "added_tokens[%zu]", ia);
        qs_added_token *at = &tok->added[ia++];
        const char *c = cJSON_GetObjectItemCaseSensitive(it, "content")->valuestring;
        at->id = (int32_t)cJSON_GetObjectItemCaseSensitive(it, "id")->valuedouble;
        if ((st = get_bool(lc, it, "special", where, 0, &at->special)) ||
            (st = get_bool(lc, it, "lstrip", where, 0, &at->lstrip)) ||
            (st = get_bool(lc, it, "rstrip", where, 0, &at->rstrip)) ||
            (st = get_bool(lc, it, "single_word", where, 0, &at->single_word)) ||
            (st = get_bool(lc, it, "normalized", where, 1, &at->normalized)))
            return st;
        size_t len = strlen(c);
        char *t = memcpy(arena + used, c, len + 1);
        used += len + 1;
        at->content = t;
        at->len = len;
        if (len == 0)
            continue; /* HF ignores empty added tokens */
        int32_t prev = qs_strmap_put(&tok->added_map, t, len, at->id);
        if (prev >= 0 && prev != at->id)
            return qs_fail(QS_ERR_FORMAT,
                           "%s: field '%s': content \"%.40s\" already has id %d; expected unique "
                           "contents",
                           lc->name, where, t, prev);
        if (tok->is_added[at->id] && strcmp(tok->tok_text[at->id], t) != 0)
            return qs_fail(QS_ERR_FORMAT, "%s: field '%s.id': id %d is used by two added tokens",
                           lc->name, where, at->id);
        /* an added token's content is what its id decodes to */
        tok->tok_text[at->id] = t;
        tok->tok_len[at->id] = (uint32_t)len;
        tok->is_added[at->id] = 1;
        tok->is_special[at->id] = at->special;
        if (at->normalized)
            tok->has_normalized_added = 1;
    }
    tok->n_added = ia;

    /* ---- decoded bytes of every id ---- */
    for (size_t id = 0; id < tok->n_ids; id++) {
        if (!tok->tok_text[id])
            continue;
        char *o = arena + used;
        size_t l = byte_level_decode(tok->tok_text[id], tok->tok_len[id], o);
        tok->tok_bytes[id] = o;
        tok->tok_bytes_len[id] = (uint32_t)l;
        used += l;
    }
    QS_ASSERT(used <= 2 * text_bytes + 1);

    /* ---- the 256 byte tokens ---- */
    for (int b = 0; b < 256; b++) {
        char s[4];
        size_t l = qs_utf8_encode(byte_to_cp(b), s);
        memcpy(tok->bl_utf8[b], s, l);
        tok->bl_len[b] = (uint8_t)l;
        tok->byte_id[b] = qs_strmap_get(&tok->vocab, s, l);
        if (tok->byte_id[b] < 0)
            return qs_fail(QS_ERR_UNSUPPORTED,
                           "%s: field 'model.vocab': no token for byte 0x%02X (\"%.*s\"); a "
                           "byte-level vocab must hold all 256",
                           lc->name, b, (int)l, s);
    }

    /* ---- merges ---- */
    size_t n_merges = (size_t)cJSON_GetArraySize(merges);
    qs_mergemap_init(&tok->merges, n_merges);
    char *cat = NULL;
    size_t cat_cap = 0;
    size_t rank = 0;
    cJSON_ArrayForEach(it, merges)
    {
        const char *a = NULL, *b = NULL;
        size_t la = 0, lb = 0;
        st = merge_parts(lc, it, rank, &a, &la, &b, &lb);
        if (st)
            break;
        if (la + lb + 1 > cat_cap) {
            cat_cap = 2 * (la + lb + 1);
            free(cat);
            cat = qs_malloc(cat_cap);
        }
        memcpy(cat, a, la);
        memcpy(cat + la, b, lb);
        int32_t ia_ = qs_strmap_get(&tok->vocab, a, la);
        int32_t ib = qs_strmap_get(&tok->vocab, b, lb);
        int32_t im = qs_strmap_get(&tok->vocab, cat, la + lb);
        if (ia_ < 0 || ib < 0 || im < 0) {
            int w = ia_ < 0 ? 0 : ib < 0 ? 1 : 2;
            st = qs_fail(QS_ERR_FORMAT,
                         "%s: field 'model.merges[%zu]': %s \"%.*s\" is not in model.vocab; "
                         "expected merges of vocab tokens into a vocab token",
                         lc->name, rank, w == 0 ? "left part" : w == 1 ? "right part" : "merged token",
                         (int)(w == 0 ? la : w == 1 ? lb : la + lb), w == 0 ? a : w == 1 ? b : cat);
            break;
        }
        qs_mergemap_put(&tok->merges, ia_, ib, (int32_t)rank, im);
        rank++;
    }
    free(cat);
    return st;
}

qs_status qs_tokenizer_load_json(qs_tokenizer **out, const char *json, size_t len,
                                 const char *name)
{
    if (!out || !json)
        return qs_fail(QS_ERR_ARG, "qs_tokenizer_load_json: NULL argument");
    *out = NULL;
    load_ctx lc = {name ? name : "tokenizer.json"};
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root) {
        const char *e = cJSON_GetErrorPtr();
        long off = (e && e >= json && e <= json + len) ? (long)(e - json) : -1;
        return qs_fail(QS_ERR_FORMAT, "%s: not valid JSON (error near byte %ld)", lc.name, off);
    }
    qs_tokenizer *tok = qs_calloc(1, sizeof(*tok));
    tok->unk_id = -1;
    qs_status st = load_tree(tok, &lc, root);
    cJSON_Delete(root);
    if (st) {
        qs_tokenizer_free(tok);
        return st;
    }
    *out = tok;
    return QS_OK;
}

qs_status qs_tokenizer_load(qs_tokenizer **out, const char *path)
{
    if (!out || !path)
        return qs_fail(QS_ERR_ARG, "qs_tokenizer_load: NULL argument");
    *out = NULL;
    char *data;
    size_t size;
    qs_status st = qs_read_file(path, &data, &size);
    if (st)
        return st;
    st = qs_tokenizer_load_json(out, data, size, path);
    free(data);
    return st;
}

void qs_tokenizer_free(qs_tokenizer *tok)
{
    if (!tok)
        return;
    free(tok->tok_text);
    free(tok->tok_len);
    free(tok->tok_bytes);
    free(tok->tok_bytes_len);
    free(tok->is_special);
    free(tok->is_added);
    free(tok->arena);
    free(tok->added);
    qs_strmap_free(&tok->vocab);
    qs_strmap_free(&tok->added_map);
    qs_mergemap_free(&tok->merges);
    qs_word_cache_free(&tok->cache);
    free(tok->clean.p);
    free(tok->norm.p);
    free(tok->pre.p);
    free(tok->sym.p);
    free(tok->heap.p);
    free(tok->wbytes.p);
    free(tok->out);
    free(tok);
}

/* ---------------------------------------------------------------------------
 * Lookups
 * ------------------------------------------------------------------------- */

int32_t qs_tokenizer_token_id(const qs_tokenizer *tok, const char *token_text)
{
    if (!tok || !token_text)
        return -1;
    size_t len = strlen(token_text);
    int32_t id = qs_strmap_get(&tok->added_map, token_text, len);
    return id >= 0 ? id : qs_strmap_get(&tok->vocab, token_text, len);
}

int qs_tokenizer_is_special(const qs_tokenizer *tok, int32_t id)
{
    return tok && id >= 0 && (size_t)id < tok->n_ids && tok->is_special[id];
}

size_t qs_tokenizer_vocab_size(const qs_tokenizer *tok)
{
    return tok ? tok->n_ids : 0;
}

const char *qs_tokenizer_id_bytes(const qs_tokenizer *tok, int32_t id, size_t *len)
{
    if (!tok || id < 0 || (size_t)id >= tok->n_ids || !tok->tok_bytes[id]) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = tok->tok_bytes_len[id];
    return tok->tok_bytes[id];
}
