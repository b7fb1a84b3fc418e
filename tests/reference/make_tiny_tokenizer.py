#!/usr/bin/env python3
"""A 300-token Qwen-style tokenizer.json for the tiny random test models (dev-time).

Same normalizer, pre-tokenizer, decoder and post-processor as Qwen2.5's
(copied from ../shared/tokenizer/tokenizer.json), with a vocabulary of the 256
byte-level symbols plus the 42 most useful merges of a small English sample, and
<|im_start|> / <|im_end|> as ids 298 / 299. Lets the end-to-end tests run text
commands (extract from text pairs, experiment) on the tiny models.
"""
import collections
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "..", "shared", "tokenizer", "tokenizer.json")
OUT = os.path.join(HERE, "..", "data", "tiny-tokenizer", "tokenizer.json")


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def main():
    q = json.load(open(SHARED))
    b2u = bytes_to_unicode()
    vocab = {b2u[b]: b for b in range(256)}
    sample = ("the cat was afraid of the dark and the dog was happy to see the sun, she felt angry and curious "
              "about the world; he was scared, then glad, then furious and then he wondered why ") * 3
    words = [[b2u[c] for c in (" " + w).encode()] for w in sample.split()]
    merges = []
    while len(vocab) < 298:
        pairs = collections.Counter()
        for w in words:
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] += 1
        (a, b), _ = pairs.most_common(1)[0]
        merges.append(f"{a} {b}")
        vocab[a + b] = len(vocab)
        for w in words:
            i = 0
            while i < len(w) - 1:
                if w[i] == a and w[i + 1] == b:
                    w[i:i + 2] = [a + b]
                i += 1
    added = [dict(id=298, content="<|im_start|>", single_word=False, lstrip=False, rstrip=False, normalized=False, special=True),
             dict(id=299, content="<|im_end|>", single_word=False, lstrip=False, rstrip=False, normalized=False, special=True)]
    tok = dict(version="1.0", truncation=None, padding=None, added_tokens=added, normalizer=q["normalizer"],
               pre_tokenizer=q["pre_tokenizer"], post_processor=q["post_processor"], decoder=q["decoder"],
               model=dict(type="BPE", dropout=None, unk_token=None, continuing_subword_prefix="", end_of_word_suffix="",
                          fuse_unk=False, byte_fallback=False, ignore_merges=False, vocab=vocab, merges=merges))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    json.dump(tok, open(OUT, "w"), ensure_ascii=False, indent=1)
    from tokenizers import Tokenizer
    t = Tokenizer.from_file(OUT)
    print(t.encode("the cat was afraid").ids, len(vocab) + 2)


if __name__ == "__main__":
    main()
