#!/usr/bin/env python3
"""Generate qsteer's own tokenizer reference data with Hugging Face `tokenizers`.

Dev-time only (nothing in qsteer runs Python). Usage, from the repo root:

    python3 tests/tokenizer/gen_reference.py [--tokenizer ../shared/tokenizer/tokenizer.json]

Writes into tests/data/tokenizer/:
  corpus.jsonl   {"category", "text", "ids", "nfc", "decoded"} for a corpus
                 designed to hit every branch of the Qwen2 pre-tokenizer,
                 NFC, added-token matching and BPE (ids: HF encode with
                 add_special_tokens=False; nfc: unicodedata NFC of text;
                 decoded: HF decode(ids))
  invalid.jsonl  {"hex", "ids"}: byte strings that are not valid UTF-8; ids
                 are HF's for bytes.decode("utf-8", "replace")
  classes.txt    "first last class" code point ranges as HF's Split regex
                 sees them (L letter, N number, S whitespace, R \\r\\n,
                 O other), probed through the pre-tokenizer itself
  chat.jsonl     ChatML prompts rendered with jinja2 from the templates
  tiny_tokenizer.json, tiny.jsonl
                 a small byte-level BPE with added tokens using every flag
                 (lstrip, rstrip, single_word, normalized, special), and the
                 ids HF gives for texts that exercise them
"""
import argparse
import json
import os
import random
import sys
import unicodedata

from tokenizers import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "tokenizer")


def corpus():
    """(category, text) pairs."""
    rng = random.Random(20240531)
    out = []

    def add(cat, texts):
        for t in texts:
            out.append((cat, t))

    add("english", [
        "Hello world", "hello World!", "The quick brown fox jumps over the lazy dog.",
        "In 1492, Columbus sailed the ocean blue.", "ALL CAPS SENTENCE HERE", "mIxEd CaSe WoRdS",
        "A sentence, with: punctuation; and (parentheses) [brackets] {braces}.",
        "Dr. Smith's patients--all 37 of them--arrived at 9:30 a.m.",
        "e.g. i.e. etc. vs. Mr. Mrs. Ms.", "\"Quoted\" and 'single quoted' text",
        "hyphen-ated words and under_scored_words", "email@example.com https://example.org/path?q=1&r=2#frag",
        "What?! No way... Really??? Yes!!!", "I", "a", "", " ", "x" * 3,
        "Supercalifragilisticexpialidocious antidisestablishmentarianism",
    ])
    code = [
        "def f(x):\n    return x * 2\n",
        "int main(void) {\n\tprintf(\"%d\\n\", 42);\n\treturn 0;\n}\n",
        "for (int i = 0; i < n; ++i) { a[i] += b[i] >> 2; }",
        "if __name__ == '__main__':\n    main()\n",
        "const x = () => { return `template ${literal}`; };",
        "SELECT id, name FROM users WHERE age >= 18 ORDER BY name DESC;",
        "{\"key\": [1, 2.5, true, null], \"nested\": {\"a\": \"b\"}}",
        "#include <stdio.h>\n#define MAX(a,b) ((a)>(b)?(a):(b))\n",
        "    \n        indented = True\n\n\n    pass",
        "x+=1;y-=2;z*=3;w/=4;v%=5;u**=6;t//=7;s&=8;r|=9;q^=10;p<<=11;o>>=12",
        "<div class=\"c\"><p>HTML &amp; entities &lt;tag&gt;</p></div>",
        "$ ls -la | grep '^d' && echo \"done\" || exit 1",
        "// comment\n/* block\n * comment */\n",
        "fn main() -> Result<(), Box<dyn Error>> { Ok(()) }",
        "lambda x: x**2 if x>0 else -x",
    ]
    add("code", code)
    add("numbers", [
        "0", "7", "42", "123", "1234", "12345", "1234567890", "3.14159265358979",
        "1,000,000", "1 000 000", "-17.5e-3", "0x1F2E3D", "2024-01-31T23:59:59Z",
        "Call 555-0123 or +1 (800) 555 0199", "v1.2.3-rc4", "100%", "$1.99", "€5,00",
        "٠١٢٣٤٥٦٧٨٩", "۰۱۲۳", "१२३४", "１２３４５", "x² + y³ = z¹", "½ ¼ ¾ ⅓", "Ⅻ ⅻ Ⅳ",
        "①②③", "𝟘𝟙𝟚", "3rd 21st 100th", "a1b2c3", "1a2b3c", "9" * 40, "0.000000001",
    ])
    ws = []
    for n in range(1, 9):
        ws += [" " * n + "x", "x" + " " * n, "x" + " " * n + "y", "\t" * n + "x", "x" + "\n" * n + "y"]
    ws += [
        "a\r\nb", "a\r\n\r\nb", "a \r\n b", "\r\n", "\r", "\n", "  \n", "\n  ", " \n \n ",
        "line1\nline2\n", "trailing   ", "   leading", "   ", "\t", "\t \t", " \t\n\r\n \t x",
        "a\u00a0b", "a\u00a0\u00a0b", "a \u00a0b", "a\u2003b", "a\u3000b", "a\u2028b",
        "a\u2029b", "a\u0085b", "a\u0085\u0085b", "a\u0085 b", "\u0085", "\u0085\u0085",
        "a\ufeffb", "\ufeff\ufeffb", "a\u200bb", "a\u180eb", "a\u1680\u1680b", "a\u205f b",
        "x\u000bx\u000cx", "x\u001cx\u001dx\u001ex\u001fx", "a \u00a0 \u00a0 b",
        "  !", " !", "!  ", "x  !", "x \n!", "\n\n\n", " \n\n x", "end\n",
        "a" + " " * 30 + "b", "\t\t\t\tdeep", " \r \r x", "a\rb", "a\r\rb",
    ]
    add("whitespace", ws)
    contr = []
    for c in ["s", "t", "re", "ve", "m", "ll", "d"]:
        variants = {""}
        for ch in c:
            variants = {v + x for v in variants for x in (ch, ch.upper())}
        for v in sorted(variants):
            contr += ["it'" + v, "it'" + v + " x", "'" + v, "x'" + v + "y", "X'" + v + "Y", "'" + v + "'"]
    contr += [
        "I'M HERE", "We'Re", "They'VE", "you'LL", "He'D", "DON'T", "don't", "Don'T",
        "x'\u017fa", "x'\u017f", "'\u017ft", "x'\u212aa", "it\u2019s", "it`s", "rock'n'roll",
        "''", "'''", "' s", "'", "'1", "'\u00e9", "l'\u00e9t\u00e9", "'ss", "'ts", "'LL'll'Ll'lL",
        "O'Neil's", "'tis", "y'all'd've",
    ]
    add("contractions", contr)
    add("cjk", [
        "你好，世界！", "我爱北京天安门。", "这是一个测试句子，包含标点符号。",
        "日本語のテキストです。カタカナとひらがな。", "こんにちは、世界", "ｶﾀｶﾅ半角",
        "한국어 텍스트입니다.", "안녕하세요 세계", "中文English混合text", "价格：￥100元",
        "「引用」『二重』【括弧】", "〇一二三四五六七八九十", "㊀㊁", "漢字" * 10,
        "𠀀𠀁𪜀 (CJK Ext B)", "⺀⺁ radicals", "丨丶丿",
    ])
    add("scripts", [
        "مرحبا بالعالم", "اللغة العربية جميلة.", "السلام عليكم ١٢٣",
        "שלום עולם", "नमस्ते दुनिया", "हिन्दी भाषा में पाठ।", "क़ ख़ ग़",
        "Привет, мир!", "ПРИВЕТ мир", "Γειά σου Κόσμε", "สวัสดีชาวโลก", "ภาษาไทย",
        "Xin chào thế giới", "Tiếng Việt có dấu", "Ελληνικά ΕΛΛΗΝΙΚΑ", "ქართული", "Հայերեն",
        "አማርኛ", "ᏣᎳᎩ", "ᚠᚢᚦ", "𐌰𐌱𐌲", "தமிழ்", "తెలుగు", "বাংলা", "ગુજરાતી", "ಕನ್ನಡ",
        "മലയാളം", "සිංහල", "မြန်မာ", "ខ្មែរ", "ລາວ", "བོད་", "Ελλάς ἀρχή", "Ŝŝ Ĝĝ",
    ])
    add("emoji", [
        "😀", "😀😃😄", "I ❤️ you", "👍🏽", "👍🏻👍🏼👍🏽👍🏾👍🏿", "👨‍👩‍👧‍👦", "👩🏽‍💻",
        "🏳️‍🌈", "🇺🇸🇯🇵🇩🇪", "1️⃣2️⃣#️⃣", "☺︎ ☺️", "🧑‍🤝‍🧑", "text 🎉 text", "🎉🎉🎉 party",
        "😀x😀", "x😀", "😀x", "🫠🫶🪿", "⌚⌛", "©®™", "👁️‍🗨️", "🤷‍♀️", "🏴󠁧󠁢󠁳󠁣󠁴󠁿",
    ])
    add("nfc", [
        "e\u0301", "cafe\u0301", "A\u030a", "\u212b", "\u2126", "\u1e9b\u0323", "a\u0323\u0301",
        "a\u0301\u0323", "A\u0308\u0301", "\u1100\u1161\u11a8", "\u1100\u1161", "\uac00\u11a8",
        "\u0958", "\u0915\u093c", "o\u0308\u0304", "\u00e9", "e\u0301\u0301\u0301", "\u0301",
        "\u0301x", " \u0301", "x\u0345", "\u0345", "n\u0303o\u0303", "Ame\u0301lie",
        "\u0390", "\u03b9\u0308\u0301", "\u1f00\u0345", "\u2000\u0301", "\uf900", "\ufb2a",
        "\u0041\u030a\u0301\u0327", "'\u0301s", "1\u0301", "\u05d0\u05b7", "\u0e01\u0e48",
        "<|im_end|>\u0301", "\u00c5\u0301",
    ])
    specials = [
        "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
        "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>",
        "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>", "<tool_call>",
        "</tool_call>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>",
        "<|repo_name|>", "<|file_sep|>",
    ]
    sp = list(specials)
    sp += ["x" + s + "y" for s in specials[:6]]
    sp += [
        "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n",
        "<|im_start|><|im_end|>", "<|im_start|> <|im_end|>", " <|im_end|> ", "  <|im_end|>  ",
        "<|im_start|", "<|im_start |>", "<|IM_START|>", "< |im_start|>", "<|im_start|>>",
        "<<|endoftext|>>", "<|endoftext|", "|>", "<|", "<||>", "<|im_end|><|im_end|>",
        "<|endoftext|><|endoftext|><|endoftext|>", "text<|endoftext|>text", "<tool_call>{}</tool_call>",
        "<tool_call", "tool_call>", "<|fim_prefix|>def f():<|fim_suffix|>\n<|fim_middle|>",
        "<|im_end|>\n\n", "\n<|im_start|>", "<<|im_start|>", "<|im_start|>\u0301",
    ]
    add("special", sp)
    long = [
        "a" * 5000, "ab" * 3000, "hello" * 1000, "9" * 5000, "漢" * 3000, " " * 5000,
        "!" * 3000, "😀" * 1000, "\n" * 2000, " " * 2000 + "x", "\t" * 1000 + "x",
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(10000)),
        "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") for _ in range(8000)),
        "Pneumonoultramicroscopicsilicovolcanoconiosis" * 50,
        "e\u0301" * 2000, "-" * 4000 + "\n", "=" * 100 + "\r\n" + "=" * 100,
    ]
    add("long_word", long)
    # a long document mixing everything
    pieces = [t for c, t in out if c not in ("long_word",)]
    doc = []
    for _ in range(1500):
        doc.append(rng.choice(pieces))
        doc.append(rng.choice([" ", "\n", "\n\n", " ", ". ", ", ", "\t", "\r\n", ""]))
    add("document", ["".join(doc)])
    # random strings over mixed ranges (fixed seed)
    ranges = [(0x20, 0x7e), (0x20, 0x7e), (0x20, 0x7e), (0xa0, 0x24f), (0x300, 0x36f), (0x370, 0x3ff),
              (0x400, 0x4ff), (0x590, 0x6ff), (0x900, 0x97f), (0xe00, 0xe7f), (0x1100, 0x11ff),
              (0x2000, 0x206f), (0x2070, 0x2bff), (0x3000, 0x30ff), (0x4e00, 0x4fff), (0xac00, 0xac40),
              (0xfe00, 0xfe0f), (0xff00, 0xffef), (0x1f300, 0x1f6ff), (0x9, 0xd)]
    rnd = []
    for _ in range(300):
        n = rng.randint(1, 40)
        s = []
        for _ in range(n):
            a, b = rng.choice(ranges)
            s.append(chr(rng.randint(a, b)))
        rnd.append("".join(s))
    add("random", rnd)
    return out


INVALID = [
    b"\xff", b"\xfe\xff", b"abc\x80def", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80", b"\xf5\x80", b"\xe4\xbd", b"\xe4\xbd\xa0\xe5", b"hello \xe4\xbd world",
    b"\xf0\x9f\x98", b"\xf0\x9f\x98 x", b"\xc3", b"\xc3(", b"\xa0\xa1", b"\xe2\x28\xa1",
    b"\xe2\x82\x28", b"\xf0\x28\x8c\xbc", b"\xf0\x90\x28\xbc", b"\xf8\xa1\xa1\xa1\xa1",
    b"<|im_end|>\xff<|im_start|>", b"it'\xffs", b"e\xcc", b"e\xcc\x81\xcc", b"\x00\x01\x02",
    b"a\x00b", b"\xef\xbb\xbfBOM", b"\xc2\x85\xc2", b"\x80" * 10, b"\xe0\xa0", b"\xed\x9f\xbf",
]


def probe_classes(tok):
    """Class of every code point as the Split regex sees it: probe x C C y."""
    pt = tok.pre_tokenizer
    ranges = []
    cur = None
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        if c in "xy'":
            k = "L" if c in "xy" else "O"
        else:
            pieces = [p for p, _ in pt.pre_tokenize_str("x" + c + c + "y")]
            if len(pieces) == 1:
                k = "L"
            elif len(pieces) == 4:
                k = "N"
            elif len(pieces) == 3 and pieces[1] == pieces[2][:len(pieces[1])] and len(pieces[2]) > len(pieces[1]):
                k = "S"  # x, C, Cy
            elif len(pieces) == 3:
                k = "R" if c in "\r\n" else "O"  # x, CC, y
            else:
                raise SystemExit("unexpected probe result for U+%04X: %r" % (cp, pieces))
        if cur and cur[2] == k and cur[1] == cp - 1:
            cur[1] = cp
        elif cur and cur[2] == k and cur[1] == 0xD7FF and cp == 0xE000:
            cur[1] = cp
        else:
            if cur:
                ranges.append(cur)
            cur = [cp, cp, k]
    ranges.append(cur)
    return ranges


QWEN25_TEMPLATE = (
    "{%- if messages[0]['role'] == 'system' %}"
    "{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
    "{%- else %}"
    "{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- for message in messages %}"
    "{%- if (message.role == 'user') or (message.role == 'system' and not loop.first) or (message.role == 'assistant') %}"
    "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}"
    "{%- elif message.role == 'tool' %}"
    "{%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != 'tool') %}{{- '<|im_start|>user' }}{%- endif %}"
    "{{- '\\n<tool_response>\\n' }}{{- message.content }}{{- '\\n</tool_response>' }}"
    "{%- if loop.last or (messages[loop.index0 + 1].role != 'tool') %}{{- '<|im_end|>\\n' }}{%- endif %}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


def chat_cases(config_path):
    import jinja2
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True)
    shipped = env.from_string(json.load(open(config_path))["chat_template"])
    q25 = env.from_string(QWEN25_TEMPLATE)
    convs = [
        [{"role": "user", "content": "Hello!"}],
        [{"role": "system", "content": "You are a pirate."}, {"role": "user", "content": "Hi"}],
        [{"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "4"},
         {"role": "user", "content": "And 3+3?"}],
        [{"role": "system", "content": "S"}, {"role": "user", "content": "a"},
         {"role": "assistant", "content": "b"}, {"role": "system", "content": "late system"},
         {"role": "user", "content": "c"}],
        [{"role": "user", "content": "call a tool"}, {"role": "assistant", "content": "ok"},
         {"role": "tool", "content": "{\"r\": 1}"}, {"role": "tool", "content": "second"},
         {"role": "user", "content": "thanks"}],
        [{"role": "user", "content": "multi\nline\n\ncontent  "}],
        [{"role": "user", "content": ""}],
    ]
    out = []
    for conv in convs:
        for agp in (False, True):
            out.append({"messages": conv, "add_generation_prompt": agp, "default_system": False,
                        "text": shipped.render(messages=conv, add_generation_prompt=agp, tools=None)})
            out.append({"messages": conv, "add_generation_prompt": agp, "default_system": True,
                        "text": q25.render(messages=conv, add_generation_prompt=agp)})
    return out


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1)) + \
        list(range(ord("\u00ae"), ord("\u00ff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def tiny_tokenizer(shared):
    """A small tokenizer.json using the shared file's pipeline, own vocab and
    added tokens with every flag."""
    b2u = bytes_to_unicode()
    vocab = {b2u[b]: b for b in range(256)}
    merges = []

    def merge(a, b):
        merges.append([a, b])
        if a + b not in vocab:
            vocab[a + b] = len(vocab)

    G = b2u[32]
    for a, b in [("h", "e"), ("l", "l"), ("he", "ll"), ("hell", "o"), (G, "w"), (G + "w", "o"),
                 ("r", "d"), (G + "wo", "rd"), ("a", "a"), ("aa", "aa"), ("aa", "a"), (G, G),
                 ("c", "a"), ("ca", "f"), (b2u[0xC3], b2u[0xA9]), ("caf", b2u[0xC3] + b2u[0xA9])]:
        merge(a, b)
    n = len(vocab)
    added = [
        {"id": n + 0, "content": "<s>", "special": True, "normalized": False},
        {"id": n + 1, "content": "<s>long", "special": True, "normalized": False},
        {"id": n + 2, "content": "[L]", "special": False, "lstrip": True, "normalized": False},
        {"id": n + 3, "content": "[R]", "special": False, "rstrip": True, "normalized": False},
        {"id": n + 4, "content": "[LR]", "special": True, "lstrip": True, "rstrip": True, "normalized": False},
        {"id": n + 5, "content": "word", "special": False, "single_word": True, "normalized": False},
        {"id": n + 6, "content": "caf\u00e9", "special": False, "normalized": True},
        {"id": n + 7, "content": "ne", "special": False, "normalized": True, "single_word": True},
    ]
    for a in added:
        for k in ("single_word", "lstrip", "rstrip"):
            a.setdefault(k, False)
    ref = json.load(open(shared, encoding="utf-8"))
    tj = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": ref["normalizer"], "pre_tokenizer": ref["pre_tokenizer"],
        "post_processor": ref["post_processor"], "decoder": ref["decoder"],
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                  "ignore_merges": False, "vocab": vocab,
                  "merges": [" ".join(m) for m in merges]},  # string form (the shared file uses pairs)
    }
    texts = [
        "hello world", "<s>", "<s>long", "<s>lon", "x<s>longer", "a [L]b", "a   [L]b", "[L]  [L]",
        "a[R]   b", "a [R]\n\nb", "a  [LR]  b", "x [R] [L] y", "word", "a word b", "sword", "words",
        "word!", "word_", "\u00e9word", "1word", "word1", "caf\u00e9", "cafe\u0301", "cafe\u0301s",
        "une ne", "ne", "bene", "ne\u0301", "aaaaaaa", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "  hello  ", "<s>[R] x", "<s> [L]", "wordword", "word word", "\u00a0[L]x", "[R]\u3000x",
    ]
    return tj, texts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokenizer", default=os.path.join(HERE, "..", "..", "..", "shared", "tokenizer",
                                                         "tokenizer.json"))
    ap.add_argument("--skip-classes", action="store_true")
    args = ap.parse_args()
    tok = Tokenizer.from_file(args.tokenizer)
    os.makedirs(OUT, exist_ok=True)

    n = 0
    with open(os.path.join(OUT, "corpus.jsonl"), "w", encoding="utf-8") as f:
        for cat, text in corpus():
            ids = tok.encode(text, add_special_tokens=False).ids
            rec = {"category": cat, "text": text, "ids": ids,
                   "nfc": unicodedata.normalize("NFC", text), "decoded": tok.decode(ids, skip_special_tokens=False)}
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
    print("corpus.jsonl: %d strings" % n)

    with open(os.path.join(OUT, "invalid.jsonl"), "w") as f:
        for b in INVALID:
            text = b.decode("utf-8", "replace")
            f.write(json.dumps({"hex": b.hex(), "ids": tok.encode(text, add_special_tokens=False).ids}) + "\n")
    print("invalid.jsonl: %d byte strings" % len(INVALID))

    cfg = os.path.join(os.path.dirname(args.tokenizer), "tokenizer_config.json")
    cases = chat_cases(cfg)
    with open(os.path.join(OUT, "chat.jsonl"), "w", encoding="utf-8") as f:
        for c in cases:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")
    print("chat.jsonl: %d prompts" % len(cases))

    tj, texts = tiny_tokenizer(args.tokenizer)
    tiny_path = os.path.join(OUT, "tiny_tokenizer.json")
    with open(tiny_path, "w", encoding="utf-8") as f:
        json.dump(tj, f, ensure_ascii=False, indent=1)
    tiny = Tokenizer.from_file(tiny_path)
    with open(os.path.join(OUT, "tiny.jsonl"), "w", encoding="utf-8") as f:
        for t in texts:
            ids = tiny.encode(t, add_special_tokens=False).ids
            f.write(json.dumps({"text": t, "ids": ids, "decoded": tiny.decode(ids, skip_special_tokens=False),
                                "decoded_skip": tiny.decode(ids, skip_special_tokens=True)},
                               ensure_ascii=False) + "\n")
    print("tiny.jsonl: %d strings" % len(texts))

    if not args.skip_classes:
        ranges = probe_classes(tok)
        with open(os.path.join(OUT, "classes.txt"), "w") as f:
            f.write("# first last class (L letter, N number, S whitespace, R \\r or \\n, O other),"
                    " probed from HF tokenizers %s\n" % __import__("tokenizers").__version__)
            for a, b, k in ranges:
                f.write("%X %X %s\n" % (a, b, k))
        print("classes.txt: %d ranges" % len(ranges))
    return 0


if __name__ == "__main__":
    sys.exit(main())
