/*
 * utf8.c - UTF-8 decoding and repair, plus the small hash maps and scratch
 * buffers the tokenizer uses.
 *
 * Invalid UTF-8 is handled the way Python's bytes.decode("utf-8", "replace")
 * and Rust's String::from_utf8_lossy handle it: each maximal ill-formed
 * subsequence (the longest prefix of a well-formed sequence, or a single
 * byte that cannot start one) becomes one U+FFFD. The well-formed sequences
 * are those of the Unicode standard, Table 3-7 (no overlong forms, no
 * surrogates, nothing above U+10FFFF).
 */
#include <string.h>

#include "tok_internal.h"

/* ---------------------------------------------------------------------------
 * UTF-8
 * ------------------------------------------------------------------------- */

/* Expected length of a sequence starting with `lead` (0 = cannot start one),
 * and the allowed range of the second byte. */
static int utf8_lead(uint8_t lead, uint8_t *lo, uint8_t *hi)
{
    *lo = 0x80;
    *hi = 0xBF;
    if (lead < 0x80)
        return 1;
    if (lead < 0xC2)
        return 0;
    if (lead < 0xE0)
        return 2;
    if (lead < 0xF0) {
        if (lead == 0xE0)
            *lo = 0xA0;
        else if (lead == 0xED)
            *hi = 0x9F;
        return 3;
    }
    if (lead < 0xF5) {
        if (lead == 0xF0)
            *lo = 0x90;
        else if (lead == 0xF4)
            *hi = 0x8F;
        return 4;
    }
    return 0;
}

/* Number of bytes of s[0..n) that match a prefix of a well-formed sequence
 * (at most `need`). */
static size_t utf8_prefix(const uint8_t *s, size_t n, int need, uint8_t lo, uint8_t hi)
{
    size_t k = 1;
    while (k < (size_t)need && k < n) {
        uint8_t b = s[k];
        if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF))
            break;
        k++;
    }
    return k;
}

size_t qs_utf8_next(const uint8_t *s, size_t n, int32_t *cp)
{
    uint8_t lo, hi;
    int need = utf8_lead(s[0], &lo, &hi);
    if (need == 1) {
        *cp = s[0];
        return 1;
    }
    if (need == 0) {
        *cp = 1;
        return 0;
    }
    size_t k = utf8_prefix(s, n, need, lo, hi);
    if (k < (size_t)need) {
        *cp = (int32_t)k;
        return 0;
    }
    int32_t c = s[0] & (0x7F >> need);
    for (int i = 1; i < need; i++)
        c = (c << 6) | (s[i] & 0x3F);
    *cp = c;
    return (size_t)need;
}

int qs_utf8_is_incomplete(const uint8_t *s, size_t n)
{
    uint8_t lo, hi;
    int need = utf8_lead(s[0], &lo, &hi);
    if (need <= 1 || n >= (size_t)need)
        return 0;
    return utf8_prefix(s, n, need, lo, hi) == n;
}

size_t qs_utf8_encode(int32_t cp, char *out)
{
    uint8_t *o = (uint8_t *)out;
    if (cp < 0x80) {
        o[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (uint8_t)(0xC0 | (cp >> 6));
        o[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (uint8_t)(0xE0 | (cp >> 12));
        o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (uint8_t)(0xF0 | (cp >> 18));
    o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

size_t qs_utf8_sanitize(const char *s, size_t n, qs_buf *buf, const char **out)
{
    const uint8_t *u = (const uint8_t *)s;
    size_t i = 0;
    int32_t cp;
    /* fast scan: most input is valid */
    while (i < n) {
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        size_t l = qs_utf8_next(u + i, n - i, &cp);
        if (l == 0)
            break;
        i += l;
    }
    if (i == n) {
        *out = s;
        return n;
    }
    /* worst case: every byte becomes 3 bytes */
    size_t cap;
    if (qs_mul_overflow(n, 3, &cap))
        QS_ASSERT(0 && "input too large");
    char *o = qs_buf_reserve(buf, cap + 1);
    memcpy(o, s, i);
    size_t w = i;
    while (i < n) {
        size_t l = qs_utf8_next(u + i, n - i, &cp);
        if (l) {
            memcpy(o + w, s + i, l);
            w += l;
            i += l;
        } else {
            memcpy(o + w, "\xEF\xBF\xBD", 3);
            w += 3;
            i += (size_t)cp;
        }
    }
    *out = o;
    return w;
}

/* ---------------------------------------------------------------------------
 * Scratch buffers
 * ------------------------------------------------------------------------- */

void *qs_buf_reserve(qs_buf *b, size_t bytes)
{
    if (bytes > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < bytes)
            cap = cap > SIZE_MAX / 2 ? bytes : cap * 2;
        void *p = realloc(b->p, cap);
        QS_ASSERT(p != NULL);
        b->p = p;
        b->cap = cap;
    }
    return b->p;
}

/* ---------------------------------------------------------------------------
 * Hash maps
 * ------------------------------------------------------------------------- */

/* FNV-1a over 8-byte words, then a final mix. Fast enough for short keys. */
uint64_t qs_hash_bytes(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t h = 0xcbf29ce484222325ull ^ (len * 0x9E3779B97F4A7C15ull);
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0x100000001b3ull;
        h ^= h >> 29;
        p += 8;
        len -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, p, len);
    h = (h ^ w) * 0x100000001b3ull;
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ull;
    h ^= h >> 32;
    return h;
}

static size_t pow2_at_least(size_t n)
{
    size_t cap = 16;
    while (cap < n)
        cap *= 2;
    return cap;
}

void qs_strmap_init(qs_strmap *m, size_t expected)
{
    m->cap = pow2_at_least(expected * 2 + 1);
    m->n = 0;
    m->keys = qs_calloc(m->cap, sizeof(*m->keys));
    m->key_lens = qs_calloc(m->cap, sizeof(*m->key_lens));
    m->vals = qs_calloc(m->cap, sizeof(*m->vals));
}

void qs_strmap_free(qs_strmap *m)
{
    free(m->keys);
    free(m->key_lens);
    free(m->vals);
    memset(m, 0, sizeof(*m));
}

static void strmap_grow(qs_strmap *m)
{
    qs_strmap big;
    big.cap = m->cap * 2;
    big.n = 0;
    big.keys = qs_calloc(big.cap, sizeof(*big.keys));
    big.key_lens = qs_calloc(big.cap, sizeof(*big.key_lens));
    big.vals = qs_calloc(big.cap, sizeof(*big.vals));
    for (size_t i = 0; i < m->cap; i++)
        if (m->keys[i])
            qs_strmap_put(&big, m->keys[i], m->key_lens[i], m->vals[i]);
    qs_strmap_free(m);
    *m = big;
}

int32_t qs_strmap_put(qs_strmap *m, const char *key, size_t len, int32_t val)
{
    if ((m->n + 1) * 2 > m->cap)
        strmap_grow(m);
    size_t mask = m->cap - 1;
    for (size_t i = qs_hash_bytes(key, len) & mask;; i = (i + 1) & mask) {
        if (!m->keys[i]) {
            m->keys[i] = key;
            m->key_lens[i] = (uint32_t)len;
            m->vals[i] = val;
            m->n++;
            return -1;
        }
        if (m->key_lens[i] == len && memcmp(m->keys[i], key, len) == 0)
            return m->vals[i];
    }
}

int32_t qs_strmap_get(const qs_strmap *m, const char *key, size_t len)
{
    if (m->cap == 0)
        return -1;
    size_t mask = m->cap - 1;
    for (size_t i = qs_hash_bytes(key, len) & mask;; i = (i + 1) & mask) {
        if (!m->keys[i])
            return -1;
        if (m->key_lens[i] == len && memcmp(m->keys[i], key, len) == 0)
            return m->vals[i];
    }
}

void qs_mergemap_init(qs_mergemap *m, size_t expected)
{
    m->cap = pow2_at_least(expected * 2 + 1);
    m->n = 0;
    m->keys = qs_calloc(m->cap, sizeof(*m->keys));
    m->ranks = qs_calloc(m->cap, sizeof(*m->ranks));
    m->merged = qs_calloc(m->cap, sizeof(*m->merged));
}

void qs_mergemap_free(qs_mergemap *m)
{
    free(m->keys);
    free(m->ranks);
    free(m->merged);
    memset(m, 0, sizeof(*m));
}

int qs_mergemap_put(qs_mergemap *m, int32_t left, int32_t right, int32_t rank, int32_t merged)
{
    if ((m->n + 1) * 2 > m->cap) {
        qs_mergemap big;
        qs_mergemap_init(&big, m->cap);
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i]) {
                uint64_t k = m->keys[i] - 1;
                qs_mergemap_put(&big, (int32_t)(k >> 32), (int32_t)(uint32_t)k, m->ranks[i],
                                m->merged[i]);
            }
        qs_mergemap_free(m);
        *m = big;
    }
    uint64_t key = (((uint64_t)(uint32_t)left << 32) | (uint32_t)right) + 1;
    uint64_t h = key * 0x9E3779B97F4A7C15ull;
    size_t mask = m->cap - 1;
    for (size_t i = (size_t)(h >> 32) & mask;; i = (i + 1) & mask) {
        if (m->keys[i] == key) {
            m->ranks[i] = rank;
            m->merged[i] = merged;
            return 1;
        }
        if (m->keys[i] == 0) {
            m->keys[i] = key;
            m->ranks[i] = rank;
            m->merged[i] = merged;
            m->n++;
            return 0;
        }
    }
}
