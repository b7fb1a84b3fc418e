#!/usr/bin/env python3
"""Convert a Qwen2-architecture GGUF file into a Hugging Face model directory.

Dev-time tool (needs numpy and the `gguf` package). Usage:

    python3 weights/gguf_to_hf.py MODEL.gguf OUTDIR [--dtype bf16|f32]

OUTDIR must not exist yet; the caller (weights/fetch-test-model) passes a
temporary directory and renames it once everything is written. Written files:

  config.json             Qwen2ForCausalLM config taken from the GGUF metadata
  model.safetensors       every tensor dequantized (gguf.quants.dequantize) and
                          stored as BF16 (round to nearest even) or F32
  tokenizer.json          byte-level BPE rebuilt from tokenizer.ggml.tokens /
                          merges / token_type with Qwen2's normalizer,
                          pre-tokenizer, post-processor and decoder
  tokenizer_config.json   Qwen2Tokenizer settings and the GGUF's chat template
  generation_config.json  bos / eos / pad ids (no sampling defaults: greedy)

Notes on the mapping:
  * GGUF stores a tensor's dims fastest-first ([in, out]); the reader's numpy
    view and dequantize() give the row-major [out, in] that HF expects.
  * llama.cpp's converter does not permute Qwen2's q/k projections (Qwen2 uses
    the NEOX rotary layout in llama.cpp and in HF alike), so they go across
    unchanged.
  * When the GGUF has its own output.weight it becomes lm_head.weight and
    tie_word_embeddings is false, even if the original model was tied: that is
    the matrix llama.cpp computes logits with (often a finer quant type than
    token_embd).
  * Vocabulary: GGUF pads the token list to the embedding rows with
    "[PADn]" entries of type UNUSED; they are left out of tokenizer.json, and
    config.json's vocab_size is the embedding's row count.
"""

import argparse
import json
import os
import sys
import time

import numpy as np

try:
    import gguf
except ImportError:  # pragma: no cover
    sys.exit("gguf_to_hf.py: the python package 'gguf' is missing (pip install gguf)")

# GGUF token types (llama.cpp's llama_token_type / gguf.TokenType).
TT_NORMAL, TT_UNKNOWN, TT_CONTROL, TT_USER_DEFINED, TT_UNUSED, TT_BYTE = 1, 2, 3, 4, 5, 6

# Qwen2's pre-tokenizer split pattern (the same string HF's Qwen2 tokenizer.json carries).
QWEN2_SPLIT_REGEX = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)

# Added tokens of the Qwen2 / Qwen2.5 vocabulary that Hugging Face marks "special": true.
# llama.cpp types every "<|...|>" token CONTROL, including the FIM / repo tokens that HF
# keeps special=false, so the token type alone would over-mark; for tokens not listed in
# either set below the token type decides (CONTROL -> special).
HF_SPECIAL = {
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
    "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>",
    "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>",
}
HF_NOT_SPECIAL = {
    "<tool_call>", "</tool_call>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>",
    "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>",
}

SUPPORTED_TYPES = {
    gguf.GGMLQuantizationType.F32, gguf.GGMLQuantizationType.F16, gguf.GGMLQuantizationType.BF16,
    gguf.GGMLQuantizationType.Q4_0, gguf.GGMLQuantizationType.Q4_1, gguf.GGMLQuantizationType.Q5_0,
    gguf.GGMLQuantizationType.Q5_1, gguf.GGMLQuantizationType.Q8_0, gguf.GGMLQuantizationType.Q2_K,
    gguf.GGMLQuantizationType.Q3_K, gguf.GGMLQuantizationType.Q4_K, gguf.GGMLQuantizationType.Q5_K,
    gguf.GGMLQuantizationType.Q6_K,
}


def log(msg):
    print(f"gguf_to_hf: {msg}", file=sys.stderr, flush=True)


def field(reader, key, default=None):
    f = reader.fields.get(key)
    if f is None:
        return default
    return f.contents()


def require(reader, key):
    v = field(reader, key)
    if v is None:
        sys.exit(f"gguf_to_hf.py: GGUF metadata key '{key}' is missing")
    return v


def hf_name(gname, n_layers):
    """GGUF tensor name -> HF Qwen2 name (None if unknown)."""
    top = {
        "token_embd.weight": "model.embed_tokens.weight",
        "output_norm.weight": "model.norm.weight",
        "output.weight": "lm_head.weight",
    }
    if gname in top:
        return top[gname]
    parts = gname.split(".")
    if len(parts) != 4 or parts[0] != "blk":
        return None
    layer, kind, suffix = int(parts[1]), parts[2], parts[3]
    if not 0 <= layer < n_layers:
        return None
    per_layer = {
        "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
        "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
        "ffn_down": "mlp.down_proj", "attn_norm": "input_layernorm",
        "ffn_norm": "post_attention_layernorm",
    }
    if kind not in per_layer:
        return None
    return f"model.layers.{layer}.{per_layer[kind]}.{suffix}"


def to_bf16_bits(a):
    """float32 array -> uint16 BF16 bit patterns, round to nearest even."""
    a = np.ascontiguousarray(a, dtype=np.float32)
    if not np.isfinite(a).all():
        raise ValueError("non-finite value in tensor")
    u = a.view(np.uint32)
    rounded = (u + np.uint32(0x7FFF) + ((u >> np.uint32(16)) & np.uint32(1))) >> np.uint32(16)
    return rounded.astype(np.uint16)


def dequant(t):
    if t.tensor_type not in SUPPORTED_TYPES:
        sys.exit(f"gguf_to_hf.py: tensor {t.name} has quant type {t.tensor_type.name}, not handled here")
    a = gguf.quants.dequantize(t.data, t.tensor_type)
    shape = tuple(int(x) for x in reversed(t.shape))  # GGUF dims are fastest-first
    return np.asarray(a, dtype=np.float32).reshape(shape)


def write_config(reader, out, vocab_size, tied, dtype_name):
    arch = require(reader, "general.architecture")
    cfg = {
        "architectures": ["Qwen2ForCausalLM"],
        "model_type": "qwen2",
        "hidden_size": int(require(reader, f"{arch}.embedding_length")),
        "intermediate_size": int(require(reader, f"{arch}.feed_forward_length")),
        "num_hidden_layers": int(require(reader, f"{arch}.block_count")),
        "num_attention_heads": int(require(reader, f"{arch}.attention.head_count")),
        "num_key_value_heads": int(field(reader, f"{arch}.attention.head_count_kv",
                                          require(reader, f"{arch}.attention.head_count"))),
        "hidden_act": "silu",
        # stored as float32 in GGUF (9.9999997e-07); HF configs carry 1e-06
        "rms_norm_eps": float(np.format_float_positional(
            np.float32(require(reader, f"{arch}.attention.layer_norm_rms_epsilon")), unique=True)),
        "rope_theta": float(field(reader, f"{arch}.rope.freq_base", 10000.0)),
        "rope_scaling": None,
        "max_position_embeddings": int(require(reader, f"{arch}.context_length")),
        "vocab_size": int(vocab_size),
        "tie_word_embeddings": bool(tied),
        "use_sliding_window": False,
        "sliding_window": None,
        "max_window_layers": int(require(reader, f"{arch}.block_count")),
        "attention_dropout": 0.0,
        "initializer_range": 0.02,
        "use_cache": True,
        "bos_token_id": int(field(reader, "tokenizer.ggml.bos_token_id", 151643)),
        "eos_token_id": int(field(reader, "tokenizer.ggml.eos_token_id", 151643)),
        "torch_dtype": dtype_name,
    }
    head_dim = cfg["hidden_size"] // cfg["num_attention_heads"]
    if head_dim * cfg["num_attention_heads"] != cfg["hidden_size"]:
        sys.exit("gguf_to_hf.py: hidden size is not a multiple of the head count")
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    return cfg


def write_weights(reader, out, cfg, dtype):
    n_layers = cfg["num_hidden_layers"]
    tensors = []
    for t in reader.tensors:
        name = hf_name(t.name, n_layers)
        if name is None:
            sys.exit(f"gguf_to_hf.py: unexpected GGUF tensor '{t.name}'")
        shape = [int(x) for x in reversed(t.shape)]
        tensors.append((name, t, shape))
    names = {n for n, _, _ in tensors}
    expect = {"model.embed_tokens.weight", "model.norm.weight"}
    for i in range(n_layers):
        p = f"model.layers.{i}."
        for s in ("q_proj.weight", "q_proj.bias", "k_proj.weight", "k_proj.bias",
                  "v_proj.weight", "v_proj.bias", "o_proj.weight"):
            expect.add(p + "self_attn." + s)
        for s in ("gate_proj", "up_proj", "down_proj"):
            expect.add(p + "mlp." + s + ".weight")
        expect.add(p + "input_layernorm.weight")
        expect.add(p + "post_attention_layernorm.weight")
    missing = expect - names
    if missing:
        sys.exit(f"gguf_to_hf.py: GGUF lacks tensors: {sorted(missing)[:5]} ...")
    if len(names) != len(tensors):
        sys.exit("gguf_to_hf.py: duplicate tensor names")

    esize = 2 if dtype == "bf16" else 4
    st_dtype = "BF16" if dtype == "bf16" else "F32"

    def sort_key(item):  # embeddings first, then layers in order, then the rest
        n = item[0]
        if n.startswith("model.layers."):
            return (1, int(n.split(".")[2]), n)
        return (0 if n == "model.embed_tokens.weight" else 2, 0, n)

    tensors.sort(key=sort_key)
    header, off = {}, 0
    for name, _, shape in tensors:
        nbytes = int(np.prod(shape)) * esize
        header[name] = {"dtype": st_dtype, "shape": shape, "data_offsets": [off, off + nbytes]}
        off += nbytes
    header["__metadata__"] = {"format": "pt", "converted_from": "gguf"}
    hbytes = json.dumps(header, separators=(",", ":")).encode()
    hbytes += b" " * ((8 - len(hbytes) % 8) % 8)

    path = os.path.join(out, "model.safetensors")
    t0 = time.time()
    done = 0
    with open(path, "wb") as f:
        f.write(len(hbytes).to_bytes(8, "little"))
        f.write(hbytes)
        for i, (name, t, shape) in enumerate(tensors):
            a = dequant(t)
            if list(a.shape) != shape:
                sys.exit(f"gguf_to_hf.py: {t.name}: dequantized shape {a.shape} != {shape}")
            data = to_bf16_bits(a) if dtype == "bf16" else np.ascontiguousarray(a, dtype="<f4")
            f.write(data.tobytes())
            done += data.nbytes
            if name.endswith("embed_tokens.weight") or name == "lm_head.weight" or i % 40 == 0 \
                    or i == len(tensors) - 1:
                log(f"  tensors {i + 1}/{len(tensors)} ({done / 2**20:.0f} MiB, "
                    f"{time.time() - t0:.0f}s) {name} {t.tensor_type.name}")
    if done != off:
        sys.exit("gguf_to_hf.py: internal error: size mismatch")
    return "lm_head.weight" in names


def build_tokenizer(reader, out, vocab_rows):
    model = field(reader, "tokenizer.ggml.model")
    if model != "gpt2":
        sys.exit(f"gguf_to_hf.py: tokenizer.ggml.model is {model!r}; only byte-level BPE (gpt2) is handled")
    pre = field(reader, "tokenizer.ggml.pre")
    if pre not in (None, "qwen2"):
        log(f"warning: tokenizer.ggml.pre is {pre!r}, using Qwen2's pre-tokenizer anyway")
    tokens = require(reader, "tokenizer.ggml.tokens")
    types = require(reader, "tokenizer.ggml.token_type")
    merges = require(reader, "tokenizer.ggml.merges")
    if len(tokens) != len(types):
        sys.exit("gguf_to_hf.py: token and token_type lists differ in length")
    if len(tokens) > vocab_rows:
        sys.exit(f"gguf_to_hf.py: {len(tokens)} tokens but only {vocab_rows} embedding rows")

    vocab, added = {}, []
    for i, (tok, ty) in enumerate(zip(tokens, types)):
        if ty in (TT_NORMAL, TT_BYTE):
            if added:
                sys.exit(f"gguf_to_hf.py: normal token {i} after added tokens; unexpected layout")
            vocab[tok] = i
        elif ty in (TT_CONTROL, TT_USER_DEFINED):
            if tok in HF_SPECIAL:
                special = True
            elif tok in HF_NOT_SPECIAL:
                special = False
            else:
                special = ty == TT_CONTROL
            added.append({"id": i, "content": tok, "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": False, "special": special})
        elif ty == TT_UNUSED:
            continue  # llama.cpp's "[PADn]" fillers up to the embedding size
        else:
            sys.exit(f"gguf_to_hf.py: token {i} {tok!r} has token type {ty}, not handled")
    if len(vocab) != sum(1 for ty in types if ty in (TT_NORMAL, TT_BYTE)):
        sys.exit("gguf_to_hf.py: duplicate token strings in the vocabulary")

    merge_pairs = []
    for m in merges:
        a, sep, b = m.partition(" ")
        if not sep or " " in b or a not in vocab or b not in vocab or a + b not in vocab:
            sys.exit(f"gguf_to_hf.py: bad merge {m!r}")
        merge_pairs.append([a, b])

    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
    tj = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": QWEN2_SPLIT_REGEX}, "behavior": "Isolated", "invert": False},
            byte_level,
        ]},
        "post_processor": dict(byte_level),
        "decoder": dict(byte_level),
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                  "ignore_merges": False, "vocab": vocab, "merges": merge_pairs},
    }
    with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tj, f, ensure_ascii=False, indent=1)
        f.write("\n")

    by_id = {a["id"]: a for a in added}

    def tok_name(key):
        i = field(reader, key)
        return tokens[int(i)] if i is not None and int(i) < len(tokens) else None

    eos = tok_name("tokenizer.ggml.eos_token_id")
    tc = {
        "add_bos_token": bool(field(reader, "tokenizer.ggml.add_bos_token", False)),
        "add_prefix_space": False,
        "added_tokens_decoder": {str(a["id"]): {k: a[k] for k in ("content", "lstrip", "normalized", "rstrip",
                                                                  "single_word", "special")}
                                 for a in added},
        "additional_special_tokens": [a["content"] for a in added if a["special"] and a["content"] not in
                                      ("<|endoftext|>",)],
        "bos_token": None,
        "clean_up_tokenization_spaces": False,
        "eos_token": eos,
        "errors": "replace",
        "model_max_length": 131072,
        "pad_token": tok_name("tokenizer.ggml.padding_token_id"),
        "split_special_tokens": False,
        "tokenizer_class": "Qwen2Tokenizer",
        "unk_token": None,
    }
    tmpl = field(reader, "tokenizer.chat_template")
    if tmpl:
        tc["chat_template"] = tmpl
    with open(os.path.join(out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(tc, f, ensure_ascii=False, indent=2)
        f.write("\n")
    return len(vocab), len(merge_pairs), by_id


def write_generation_config(reader, out, added_by_id):
    bos = int(field(reader, "tokenizer.ggml.bos_token_id", 151643))
    eos = int(field(reader, "tokenizer.ggml.eos_token_id", 151643))
    eos_ids = [eos]
    # A chat model stops at <|im_end|>; <|endoftext|> ends a document. Qwen's HF
    # generation_config lists both for instruct models.
    for i, a in added_by_id.items():
        if a["content"] in ("<|im_end|>", "<|endoftext|>") and i not in eos_ids:
            eos_ids.append(i)
    gc = {"bos_token_id": bos, "eos_token_id": eos_ids if len(eos_ids) > 1 else eos_ids[0]}
    pad = field(reader, "tokenizer.ggml.padding_token_id")
    if pad is not None:
        gc["pad_token_id"] = int(pad)
    with open(os.path.join(out, "generation_config.json"), "w") as f:
        json.dump(gc, f, indent=2)
        f.write("\n")
    return gc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("gguf")
    ap.add_argument("outdir")
    ap.add_argument("--dtype", choices=("bf16", "f32"), default="bf16")
    args = ap.parse_args()

    t0 = time.time()
    reader = gguf.GGUFReader(args.gguf)
    arch = field(reader, "general.architecture")
    if arch != "qwen2":
        sys.exit(f"gguf_to_hf.py: general.architecture is {arch!r}, expected 'qwen2'")
    log(f"reading {args.gguf}: {field(reader, 'general.name')!r}, {len(reader.tensors)} tensors")
    os.makedirs(args.outdir)

    tmap = {t.name: t for t in reader.tensors}
    emb = tmap.get("token_embd.weight")
    if emb is None:
        sys.exit("gguf_to_hf.py: GGUF has no token_embd.weight")
    vocab_rows = int(emb.shape[1])
    tied = "output.weight" not in tmap
    dtype_name = "bfloat16" if args.dtype == "bf16" else "float32"

    cfg = write_config(reader, args.outdir, vocab_rows, tied, dtype_name)
    log(f"config: {cfg['num_hidden_layers']} layers, hidden {cfg['hidden_size']}, "
        f"ffn {cfg['intermediate_size']}, heads {cfg['num_attention_heads']}/{cfg['num_key_value_heads']}, "
        f"vocab {vocab_rows}, tied {tied}")
    n_vocab, n_merges, added = build_tokenizer(reader, args.outdir, vocab_rows)
    log(f"tokenizer: {n_vocab} BPE tokens, {n_merges} merges, {len(added)} added tokens")
    write_generation_config(reader, args.outdir, added)
    write_weights(reader, args.outdir, cfg, args.dtype)
    log(f"done in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
