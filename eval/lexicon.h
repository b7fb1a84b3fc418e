/*
 * lexicon.h - emotion lexicons and marker counting.
 *
 * A lexicon file is JSON {"emotion": "fear", "words": ["afraid", ...]}: single
 * words, inflections listed explicitly (eval/data/lexicons/, built by
 * eval/data/make_data.py). Words are stored case-folded and NFC-composed;
 * duplicates after folding are dropped.
 *
 * Words in a text: a word is a maximal run of letters (Unicode L*), where a
 * combining mark (M*) directly after a letter continues the word (NFD text)
 * and an apostrophe (' U+0027 or ’ U+2019) between two letters joins them
 * ("don't", "don’t" - both are compared as "don't"). Everything else
 * (digits, punctuation, spaces, hyphens, invalid UTF-8 bytes) separates
 * words. A word is compared after utf8proc case folding and NFC composition.
 * A marker is a word found in the lexicon, or a possessive "X's" whose X is
 * ("fear's" counts for fear).
 */
#ifndef QS_LEXICON_H
#define QS_LEXICON_H

#include <stddef.h>

#include "qs_common.h"

typedef struct qs_lexicon qs_lexicon;

/* Load a lexicon file into *out (free with qs_lexicon_free). Errors name the
 * file and the field: QS_ERR_IO (cannot read), QS_ERR_FORMAT (not JSON, not an
 * object, "emotion" missing or not a non-empty string, "words" missing, not an
 * array or empty, an entry that is not a string or not a single word by the
 * rules above). *out is NULL on error. */
qs_status qs_lexicon_load(qs_lexicon **out, const char *path);
void qs_lexicon_free(qs_lexicon *lex);

/* The "emotion" field. Owned by lex. */
const char *qs_lexicon_name(const qs_lexicon *lex);
/* Number of distinct (folded) words, and the i-th in byte order (owned by lex). */
size_t qs_lexicon_n_words(const qs_lexicon *lex);
const char *qs_lexicon_word(const qs_lexicon *lex, size_t i);

/* 1 if the single word w[0..len) (folded as a text word is) is in the
 * lexicon, including the possessive rule; 0 otherwise. */
int qs_lexicon_contains(const qs_lexicon *lex, const char *w, size_t len);

/* Count the markers and the words in text[0..len) (need not be NUL-terminated
 * or valid UTF-8). Either output pointer may be NULL. The rate per 100 words
 * is 100 * markers / words, 0 when words == 0 (left to the caller). */
void qs_lexicon_count(const qs_lexicon *lex, const char *text, size_t len, int *markers, int *words);

#endif
