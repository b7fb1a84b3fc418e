/*
 * bpe.c - byte-level BPE on one pre-tokenized word, with a word cache.
 *
 * Algorithm (the same result as HF's BPE::merge_word): the word starts as
 * one symbol per byte (the vocab id of that byte's byte-level character).
 * Repeatedly merge the adjacent pair with the lowest merge rank; among equal
 * ranks the leftmost pair goes first. Symbols form a doubly linked list over
 * the byte positions, and candidate pairs sit in a binary min-heap keyed by
 * (rank << 32 | position of the left symbol). A popped entry is stale if its
 * left symbol died or the pair now at that position has another rank; it is
 * skipped (lazy deletion). After a merge only the two new neighbouring pairs
 * are pushed, so a word of n bytes costs O(n log n), never a rescan.
 *
 * Cache: words up to QS_WORD_CACHE_MAX_WORD bytes map to their ids in an
 * open-addressing table; when it is half full it is emptied (simple, and
 * repeated words in a text stay hot). The cache lives in the tokenizer, so
 * encoding mutates it: one tokenizer per thread.
 *
 * With model.ignore_merges, a word that is itself a vocab entry becomes that
 * one id without merging (HF semantics).
 */
#include <string.h>

#include "tok_internal.h"

void qs_out_push(qs_tokenizer *tok, int32_t id)
{
    if (tok->n_out == tok->cap_out) {
        tok->cap_out = tok->cap_out ? tok->cap_out * 2 : 256;
        int32_t *p = realloc(tok->out, tok->cap_out * sizeof(int32_t));
        QS_ASSERT(p != NULL);
        tok->out = p;
    }
    tok->out[tok->n_out++] = id;
}

/* ---------------------------------------------------------------------------
 * Word cache
 * ------------------------------------------------------------------------- */

void qs_word_cache_free(qs_word_cache *c)
{
    free(c->slots);
    free(c->arena);
    memset(c, 0, sizeof(*c));
}

static void cache_clear(qs_word_cache *c)
{
    memset(c->slots, 0, QS_WORD_CACHE_SLOTS * sizeof(qs_cache_slot));
    c->n = 0;
    c->arena_len = 0;
}

/* Returns the slot holding word, or the empty slot where it would go. */
static qs_cache_slot *cache_find(qs_word_cache *c, const char *w, size_t len, uint64_t h)
{
    size_t mask = QS_WORD_CACHE_SLOTS - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        qs_cache_slot *s = &c->slots[i];
        if (s->hash == 0)
            return s;
        if (s->hash == h && s->key_len == len && memcmp(c->arena + s->key_off, w, len) == 0)
            return s;
    }
}

static void cache_put(qs_word_cache *c, qs_cache_slot *s, uint64_t h, const char *w, size_t len,
                      const int32_t *ids, size_t n_ids)
{
    size_t key_off = c->arena_len;
    size_t ids_off = (key_off + len + 3) & ~(size_t)3;
    size_t need = ids_off + n_ids * sizeof(int32_t);
    if (need > c->arena_cap) {
        size_t cap = c->arena_cap ? c->arena_cap * 2 : 1 << 20;
        while (cap < need)
            cap *= 2;
        char *p = realloc(c->arena, cap);
        QS_ASSERT(p != NULL);
        c->arena = p;
        c->arena_cap = cap;
    }
    memcpy(c->arena + key_off, w, len);
    memcpy(c->arena + ids_off, ids, n_ids * sizeof(int32_t));
    c->arena_len = need;
    s->hash = h;
    s->key_off = (uint32_t)key_off;
    s->key_len = (uint16_t)len;
    s->ids_off = (uint32_t)ids_off;
    s->n_ids = (uint16_t)n_ids;
    c->n++;
}

/* ---------------------------------------------------------------------------
 * Merge heap
 * ------------------------------------------------------------------------- */

static void heap_push(uint64_t *h, size_t *n, uint64_t v)
{
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h[p] <= v)
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = v;
}

static uint64_t heap_pop(uint64_t *h, size_t *n)
{
    uint64_t top = h[0];
    uint64_t v = h[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && h[c + 1] < h[c])
            c++;
        if (v <= h[c])
            break;
        h[i] = h[c];
        i = c;
    }
    if (*n)
        h[i] = v;
    return top;
}

typedef struct {
    int32_t id;   /* -1 once merged into its left neighbour */
    int32_t prev; /* index of previous live symbol, -1 if none */
    int32_t next; /* index of next live symbol, -1 if none */
} bpe_sym;

/* Merge the byte symbols of word into tok->out. */
static void bpe_merge(qs_tokenizer *tok, const uint8_t *w, size_t n)
{
    bpe_sym *sym = qs_buf_reserve(&tok->sym, n * sizeof(bpe_sym));
    /* each merge pushes at most two entries */
    uint64_t *heap = qs_buf_reserve(&tok->heap, (3 * n + 1) * sizeof(uint64_t));
    size_t nh = 0;
    for (size_t i = 0; i < n; i++) {
        sym[i].id = tok->byte_id[w[i]];
        sym[i].prev = (int32_t)i - 1;
        sym[i].next = i + 1 < n ? (int32_t)i + 1 : -1;
    }
    int32_t merged;
    for (size_t i = 0; i + 1 < n; i++) {
        int32_t r = qs_mergemap_get(&tok->merges, sym[i].id, sym[i + 1].id, &merged);
        if (r >= 0)
            heap_push(heap, &nh, ((uint64_t)r << 32) | i);
    }
    while (nh) {
        uint64_t top = heap_pop(heap, &nh);
        int32_t rank = (int32_t)(top >> 32);
        int32_t i = (int32_t)(uint32_t)top;
        int32_t j = sym[i].next;
        if (sym[i].id < 0 || j < 0)
            continue;
        if (qs_mergemap_get(&tok->merges, sym[i].id, sym[j].id, &merged) != rank)
            continue;
        sym[i].id = merged;
        sym[j].id = -1;
        int32_t k = sym[j].next;
        sym[i].next = k;
        if (k >= 0)
            sym[k].prev = i;
        int32_t p = sym[i].prev;
        int32_t m2;
        if (p >= 0) {
            int32_t r = qs_mergemap_get(&tok->merges, sym[p].id, merged, &m2);
            if (r >= 0)
                heap_push(heap, &nh, ((uint64_t)r << 32) | (uint32_t)p);
        }
        if (k >= 0) {
            int32_t r = qs_mergemap_get(&tok->merges, merged, sym[k].id, &m2);
            if (r >= 0)
                heap_push(heap, &nh, ((uint64_t)r << 32) | (uint32_t)i);
        }
    }
    for (int32_t i = 0; i >= 0; i = sym[i].next)
        qs_out_push(tok, sym[i].id);
}

qs_status qs_bpe_word(qs_tokenizer *tok, const char *word, size_t len)
{
    const uint8_t *w = (const uint8_t *)word;
    if (len == 0)
        return QS_OK;
    if (len == 1) {
        qs_out_push(tok, tok->byte_id[w[0]]);
        return QS_OK;
    }
    if (tok->ignore_merges) {
        /* the word's byte-level text, looked up whole */
        char *bl = qs_buf_reserve(&tok->wbytes, 2 * len);
        size_t bn = 0;
        for (size_t i = 0; i < len; i++) {
            memcpy(bl + bn, tok->bl_utf8[w[i]], tok->bl_len[w[i]]);
            bn += tok->bl_len[w[i]];
        }
        int32_t id = qs_strmap_get(&tok->vocab, bl, bn);
        if (id >= 0) {
            qs_out_push(tok, id);
            return QS_OK;
        }
    }
    if (len > QS_WORD_CACHE_MAX_WORD) {
        bpe_merge(tok, w, len);
        return QS_OK;
    }
    qs_word_cache *c = &tok->cache;
    if (!c->slots)
        c->slots = qs_calloc(QS_WORD_CACHE_SLOTS, sizeof(qs_cache_slot));
    uint64_t h = qs_hash_bytes(word, len) | 1; /* 0 marks an empty slot */
    qs_cache_slot *s = cache_find(c, word, len, h);
    if (s->hash) {
        const int32_t *ids = (const int32_t *)(c->arena + s->ids_off);
        for (size_t i = 0; i < s->n_ids; i++)
            qs_out_push(tok, ids[i]);
        return QS_OK;
    }
    size_t start = tok->n_out;
    bpe_merge(tok, w, len);
    if (c->n + 1 > QS_WORD_CACHE_SLOTS / 2) {
        cache_clear(c);
        s = cache_find(c, word, len, h);
    }
    cache_put(c, s, h, word, len, tok->out + start, tok->n_out - start);
    return QS_OK;
}
