/*
 * tok_internal.h - the tokenizer's private data structures, shared by
 * vocab.c (loading), pretok.c (Qwen2 split), bpe.c (encode), decode.c and
 * utf8.c. Not installed, not part of the API.
 */
#ifndef QS_TOK_INTERNAL_H
#define QS_TOK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tokenizer.h"

/* ---- hash maps (open addressing, linear probing, power-of-two size) ---- */

/* String -> int32 id. Keys point into memory owned by someone else. */
typedef struct {
    const char **keys;   /* [cap] key bytes, NULL = empty slot */
    uint32_t *key_lens;  /* [cap] */
    int32_t *vals;       /* [cap] */
    size_t cap, n;
} qs_strmap;

void qs_strmap_init(qs_strmap *m, size_t expected);
void qs_strmap_free(qs_strmap *m);
/* Returns the previous value if the key was present (and keeps it), else
 * inserts and returns -1. */
int32_t qs_strmap_put(qs_strmap *m, const char *key, size_t len, int32_t val);
int32_t qs_strmap_get(const qs_strmap *m, const char *key, size_t len);

/* Merge table: pair (left id, right id) -> rank and merged id. */
typedef struct {
    uint64_t *keys;   /* [cap] (left << 32 | right) + 1, 0 = empty */
    int32_t *ranks;   /* [cap] */
    int32_t *merged;  /* [cap] */
    size_t cap, n;
} qs_mergemap;

void qs_mergemap_init(qs_mergemap *m, size_t expected);
void qs_mergemap_free(qs_mergemap *m);
/* Returns 0 if inserted, 1 if the pair was already present (then the new
 * rank and id replace the old ones: a later duplicate merge wins, as in HF). */
int qs_mergemap_put(qs_mergemap *m, int32_t left, int32_t right, int32_t rank, int32_t merged);
/* Rank of the pair or -1; *merged receives the merged id. */
static inline int32_t qs_mergemap_get(const qs_mergemap *m, int32_t left, int32_t right,
                                      int32_t *merged)
{
    uint64_t key = (((uint64_t)(uint32_t)left << 32) | (uint32_t)right) + 1;
    uint64_t h = key * 0x9E3779B97F4A7C15ull;
    size_t mask = m->cap - 1;
    for (size_t i = (size_t)(h >> 32) & mask;; i = (i + 1) & mask) {
        if (m->keys[i] == key) {
            *merged = m->merged[i];
            return m->ranks[i];
        }
        if (m->keys[i] == 0)
            return -1;
    }
}

uint64_t qs_hash_bytes(const void *data, size_t len);

/* ---- added tokens ---- */
typedef struct {
    char *content;      /* as in tokenizer.json (for normalized tokens: its NFC form) */
    size_t len;
    int32_t id;
    uint8_t special, lstrip, rstrip, single_word, normalized;
} qs_added_token;

/* ---- word cache (bpe.c): word bytes -> ids, cleared when full ---- */
#define QS_WORD_CACHE_SLOTS 65536 /* power of two; the cache holds at most half */
#define QS_WORD_CACHE_MAX_WORD 48 /* longer words are not cached */
typedef struct {
    uint64_t hash;     /* 0 = empty */
    uint32_t key_off;  /* into arena */
    uint16_t key_len;
    uint16_t n_ids;
    uint32_t ids_off;  /* into arena, int32-aligned */
} qs_cache_slot;

typedef struct {
    qs_cache_slot *slots; /* [QS_WORD_CACHE_SLOTS] */
    size_t n;
    char *arena;
    size_t arena_len, arena_cap;
} qs_word_cache;

/* ---- growable scratch buffer ---- */
typedef struct {
    void *p;
    size_t cap; /* bytes */
} qs_buf;
/* Make sure buf holds at least `bytes`; returns buf->p (aborts on OOM). */
void *qs_buf_reserve(qs_buf *b, size_t bytes);

struct qs_tokenizer {
    /* vocabulary */
    size_t n_ids;           /* max id + 1 */
    char **tok_text;        /* [n_ids] token text as in tokenizer.json (NULL = hole) */
    uint32_t *tok_len;      /* [n_ids] */
    char **tok_bytes;       /* [n_ids] bytes the id decodes to (ByteLevel decoder rule) */
    uint32_t *tok_bytes_len; /* [n_ids] */
    uint8_t *is_special;    /* [n_ids] */
    uint8_t *is_added;      /* [n_ids] */
    qs_strmap vocab;        /* model vocab text -> id */
    qs_strmap added_map;    /* added token content -> id */
    char *arena;            /* storage of tok_text and tok_bytes */
    int32_t byte_id[256];   /* id of the single-byte token for each byte */
    char bl_utf8[256][2];   /* byte-level character of each byte, UTF-8 */
    uint8_t bl_len[256];    /* its length (1 or 2) */
    int32_t unk_id;         /* -1 if none */
    int ignore_merges;      /* model.ignore_merges */
    int nfc;                /* normalizer is NFC */
    qs_mergemap merges;

    qs_added_token *added;  /* [n_added] */
    size_t n_added;
    int has_normalized_added; /* some added token has normalized: true */

    /* encode state (not thread-safe) */
    qs_word_cache cache;
    qs_buf clean;   /* sanitized UTF-8 input */
    qs_buf norm;    /* NFC output */
    qs_buf pre;     /* pretok scratch: cls, offsets */
    qs_buf sym;     /* BPE symbols */
    qs_buf heap;    /* BPE merge heap */
    qs_buf wbytes;  /* word bytes */
    int32_t *out;   /* output ids being built */
    size_t n_out, cap_out;
};

/* ---- utf8.c ---- */
/* Length of the valid UTF-8 character at s[0..n) (1-4), or 0 if s does not
 * start with a valid one; *cp receives the code point. For an invalid start,
 * *cp receives the length of the maximal ill-formed subsequence (>= 1). */
size_t qs_utf8_next(const uint8_t *s, size_t n, int32_t *cp);
/* 1 if s[0..n) is a proper prefix of some valid UTF-8 character (n >= 1). */
int qs_utf8_is_incomplete(const uint8_t *s, size_t n);
/* Copy s, replacing each maximal ill-formed subsequence with U+FFFD.
 * Writes into buf (grown as needed) and returns its length. If s is valid,
 * *out = s and buf is untouched. */
size_t qs_utf8_sanitize(const char *s, size_t n, qs_buf *buf, const char **out);
size_t qs_utf8_encode(int32_t cp, char *out);

/* ---- pretok.c ---- */
/* Cut s[0..n) (valid UTF-8) into Qwen2 pre-tokens; calls emit(ctx, off,
 * len) for each piece in order. Returns 0, or the first non-zero value
 * returned by emit. */
typedef int (*qs_piece_fn)(void *ctx, const char *piece, size_t len);
int qs_pretok_split(qs_tokenizer *tok, const char *s, size_t n, qs_piece_fn emit, void *ctx);
/* Qwen2 regex character classes, exposed for tests. */
enum { QS_CLS_OTHER = 0, QS_CLS_LETTER = 1, QS_CLS_NUMBER = 2, QS_CLS_SPACE = 3, QS_CLS_CRLF = 4 };
int qs_pretok_class(int32_t cp);
/* NFC of s[0..n) into buf; returns the length. *out is s when s is already
 * NFC (quick check), else buf->p. */
qs_status qs_nfc(const char *s, size_t n, qs_buf *buf, const char **out, size_t *out_len);

/* ---- bpe.c ---- */
qs_status qs_bpe_word(qs_tokenizer *tok, const char *word, size_t len);
void qs_word_cache_free(qs_word_cache *c);
void qs_out_push(qs_tokenizer *tok, int32_t id);

#endif
