#!/usr/bin/env python3
"""Deterministic random-weight Qwen2 models with real model shapes, for benchmarks.

Writes a Hugging Face directory (config.json + model.safetensors, BF16 by
default) with the exact tensor shapes of Qwen2.5-1.5B or -0.5B. Weights are
N(0, 1/fan_in) (norms 1, biases small) from a fixed numpy seed, so every run
writes the same bytes. Needs only numpy (dev-time tool).

usage: bench/make_random_model.py {1.5b,0.5b} OUT_DIR [--dtype bf16|f16|f32]
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

SHAPES = {
    "1.5b": dict(hidden_size=1536, intermediate_size=8960, num_hidden_layers=28, num_attention_heads=12,
                 num_key_value_heads=2, vocab_size=151936),
    "0.5b": dict(hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
                 num_key_value_heads=2, vocab_size=151936),
}


def tensors(c):
    H, F, V = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
    hd = H // c["num_attention_heads"]
    Q, KV = c["num_attention_heads"] * hd, c["num_key_value_heads"] * hd
    yield "model.embed_tokens.weight", (V, H)
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        yield p + "input_layernorm.weight", (H,)
        yield p + "self_attn.q_proj.weight", (Q, H)
        yield p + "self_attn.q_proj.bias", (Q,)
        yield p + "self_attn.k_proj.weight", (KV, H)
        yield p + "self_attn.k_proj.bias", (KV,)
        yield p + "self_attn.v_proj.weight", (KV, H)
        yield p + "self_attn.v_proj.bias", (KV,)
        yield p + "self_attn.o_proj.weight", (H, Q)
        yield p + "post_attention_layernorm.weight", (H,)
        yield p + "mlp.gate_proj.weight", (F, H)
        yield p + "mlp.up_proj.weight", (F, H)
        yield p + "mlp.down_proj.weight", (H, F)
    yield "model.norm.weight", (H,)


def to_dtype(a, dtype):
    if dtype == "f32":
        return a.astype("<f4")
    if dtype == "f16":
        return a.astype("<f2")
    u = a.astype("<f4").view("<u4")
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2")  # round to nearest even


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("size", choices=sorted(SHAPES))
    ap.add_argument("out")
    ap.add_argument("--dtype", default="bf16", choices=["bf16", "f16", "f32"])
    args = ap.parse_args()
    c = dict(SHAPES[args.size])
    cfg = dict(architectures=["Qwen2ForCausalLM"], model_type="qwen2", hidden_act="silu",
               max_position_embeddings=32768, rms_norm_eps=1e-6, rope_theta=1000000.0, rope_scaling=None,
               use_sliding_window=False, sliding_window=32768, tie_word_embeddings=True, bos_token_id=151643,
               eos_token_id=151643, torch_dtype={"bf16": "bfloat16", "f16": "float16", "f32": "float32"}[args.dtype],
               _name_or_path=f"random-qwen2.5-{args.size}-{args.dtype}", **c)
    os.makedirs(args.out, exist_ok=True)
    es = 4 if args.dtype == "f32" else 2
    st_dtype = {"bf16": "BF16", "f16": "F16", "f32": "F32"}[args.dtype]
    header, off = {}, 0
    specs = list(tensors(c))
    for name, shape in specs:
        n = int(np.prod(shape)) * es
        header[name] = {"dtype": st_dtype, "shape": list(shape), "data_offsets": [off, off + n]}
        off += n
    hj = json.dumps(header, separators=(",", ":")).encode()
    hj += b" " * ((8 - len(hj) % 8) % 8)
    rng = np.random.default_rng(1234)
    tmp = os.path.join(args.out, "model.safetensors.tmp")
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for i, (name, shape) in enumerate(specs):
            if name.endswith("norm.weight"):
                a = np.ones(shape, dtype=np.float32)
            elif name.endswith("bias"):
                a = rng.standard_normal(shape, dtype=np.float32) * 0.1
            else:
                a = rng.standard_normal(shape, dtype=np.float32) / np.sqrt(shape[1])
            f.write(to_dtype(a, args.dtype).tobytes())
            print(f"\r{i + 1}/{len(specs)} tensors", end="", file=sys.stderr)
    print(file=sys.stderr)
    os.replace(tmp, os.path.join(args.out, "model.safetensors"))
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    print(args.out)


if __name__ == "__main__":
    main()
