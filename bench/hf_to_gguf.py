#!/usr/bin/env python3
"""Convert a (random-weight) Hugging Face Qwen2 directory to GGUF for llama.cpp.

The tensors are copied byte for byte (BF16 stays BF16, F16 stays F16), so both
engines run identical weights. The bench models have no tokenizer, so this
writes a synthetic byte-level BPE vocabulary that llama.cpp accepts:

  id 0..255     the GPT-2 byte-to-unicode character of byte `id` (no merges, so
                a prompt text tokenizes to one token per byte: id == byte value)
  id 256        two NUL bytes, the result of the one merge llama.cpp requires
  id >= 257     the text "[id]", so generated text maps back to token ids

Needs numpy and the `gguf` package (pip install gguf).

usage: bench/hf_to_gguf.py MODEL_DIR OUT.gguf
"""
import json
import os
import struct
import sys

import numpy as np

import gguf


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


def read_safetensors(path):
    """name -> (dtype string, shape, numpy uint8 view of the bytes)."""
    with open(path, "rb") as f:
        (hlen,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(hlen))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + hlen)
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        b, e = t["data_offsets"]
        out[name] = (t["dtype"], t["shape"], data[b:e])
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, dst = sys.argv[1], sys.argv[2]
    cfg = json.load(open(os.path.join(src, "config.json")))
    tensors = {}
    files = sorted(f for f in os.listdir(src) if f.endswith(".safetensors"))
    for f in files:
        tensors.update(read_safetensors(os.path.join(src, f)))

    H, L, V = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["vocab_size"]
    w = gguf.GGUFWriter(dst, "qwen2")
    w.add_name(os.path.basename(os.path.normpath(src)))
    w.add_context_length(cfg.get("max_position_embeddings", 32768))
    w.add_embedding_length(H)
    w.add_block_count(L)
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_head_count(cfg["num_attention_heads"])
    w.add_head_count_kv(cfg["num_key_value_heads"])
    w.add_rope_freq_base(float(cfg.get("rope_theta", 1000000.0)))
    w.add_layer_norm_rms_eps(float(cfg.get("rms_norm_eps", 1e-6)))
    dtypes = {t[0] for t in tensors.values()}
    w.add_file_type(gguf.LlamaFileType.MOSTLY_BF16 if "BF16" in dtypes else
                    gguf.LlamaFileType.MOSTLY_F16 if "F16" in dtypes else gguf.LlamaFileType.ALL_F32)

    b2u = bytes_to_unicode()
    toks = [b2u[i] for i in range(256)] + [b2u[0] * 2] + ["[%d]" % i for i in range(257, V)]
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("qwen2")
    w.add_token_list(toks)
    w.add_token_types([gguf.TokenType.NORMAL] * V)
    w.add_token_merges([b2u[0] + " " + b2u[0]])
    eos = cfg.get("eos_token_id", V - 1)
    eos = eos[0] if isinstance(eos, list) else eos
    w.add_bos_token_id(cfg.get("bos_token_id", eos) or eos)
    w.add_eos_token_id(eos)
    w.add_add_bos_token(False)

    qtype = {"BF16": gguf.GGMLQuantizationType.BF16, "F16": gguf.GGMLQuantizationType.F16,
             "F32": gguf.GGMLQuantizationType.F32}
    names = {"input_layernorm.weight": "attn_norm.weight", "self_attn.q_proj.weight": "attn_q.weight",
             "self_attn.q_proj.bias": "attn_q.bias", "self_attn.k_proj.weight": "attn_k.weight",
             "self_attn.k_proj.bias": "attn_k.bias", "self_attn.v_proj.weight": "attn_v.weight",
             "self_attn.v_proj.bias": "attn_v.bias", "self_attn.o_proj.weight": "attn_output.weight",
             "post_attention_layernorm.weight": "ffn_norm.weight", "mlp.gate_proj.weight": "ffn_gate.weight",
             "mlp.up_proj.weight": "ffn_up.weight", "mlp.down_proj.weight": "ffn_down.weight"}

    def add(gname, hname, force_f32=False):
        dt, shape, raw = tensors[hname]
        if force_f32 and dt != "F32":
            u = raw.view(np.uint16)
            if dt == "BF16":
                arr = (u.astype(np.uint32) << 16).view(np.float32)
            else:
                arr = u.view(np.float16).astype(np.float32)
            w.add_tensor(gname, arr.reshape(shape))
            return
        if dt == "F32":
            w.add_tensor(gname, raw.view(np.float32).reshape(shape))
        else:
            w.add_tensor(gname, raw.view(np.uint16).reshape(shape), raw_dtype=qtype[dt])

    add("token_embd.weight", "model.embed_tokens.weight")
    for il in range(L):
        for hn, gn in names.items():
            one_d = hn.endswith("bias") or "layernorm" in hn
            add("blk.%d.%s" % (il, gn), "model.layers.%d.%s" % (il, hn), force_f32=one_d)
    add("output_norm.weight", "model.norm.weight", force_f32=True)
    if "lm_head.weight" in tensors and not cfg.get("tie_word_embeddings", False):
        add("output.weight", "lm_head.weight")
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file(progress=False)
    w.close()
    print("wrote %s" % dst)


if __name__ == "__main__":
    main()
