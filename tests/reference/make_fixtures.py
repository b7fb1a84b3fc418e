#!/usr/bin/env python3
"""Reference fixtures for qsteer's forward-pass tests (dev-time only).

Builds small random Qwen2 models with transformers' real Qwen2ForCausalLM,
saves them as Hugging Face directories (F32, BF16, F16 copies; one sharded),
and dumps what PyTorch computes in float32 for several token sequences:
every hidden_states[l] (HF applies the final norm to the last entry), the
logits, and a 32-token greedy continuation.

For BF16/F16 copies the reference is PyTorch in float32 on the same rounded
weights (the model loaded in its stored dtype, then .float()).

Output: tests/data/models/<name>/ and tests/data/ref/<name>__<seq>.safetensors
with tensors input_ids I32[T], hidden F32[L+1,T,H], logits F32[T,V],
greedy I32[32], greedy_gap F32[32] (top1 - top2 logit at each greedy step).

Usage: python3 tests/reference/make_fixtures.py   (deterministic: fixed seeds)
"""
import copy
import json
import os
import shutil
import sys

import torch
from safetensors.torch import save_file
from transformers import Qwen2Config, Qwen2ForCausalLM

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "data"))
N_GREEDY = 32

MODELS = {
    # tied embeddings, GQA 2, head_dim 32
    "tiny-tied": dict(hidden_size=128, intermediate_size=256, num_hidden_layers=3, num_attention_heads=4,
                      num_key_value_heads=2, vocab_size=320, tie_word_embeddings=True, rope_theta=10000.0,
                      rms_norm_eps=1e-6, max_position_embeddings=256, seed=1),
    # separate lm_head, GQA 3, head_dim 32, Qwen2.5's rope theta
    "tiny-untied": dict(hidden_size=96, intermediate_size=192, num_hidden_layers=4, num_attention_heads=3,
                        num_key_value_heads=1, vocab_size=300, tie_word_embeddings=False, rope_theta=1000000.0,
                        rms_norm_eps=1e-5, max_position_embeddings=256, seed=2),
}
SEQ_LENS = {"s1": 1, "s7": 7, "s33": 33, "s70": 70}


def build(name, spec):
    spec = dict(spec)
    seed = spec.pop("seed")
    cfg = Qwen2Config(**spec, bos_token_id=0, eos_token_id=1, use_sliding_window=False, rope_scaling=None,
                      hidden_act="silu", attention_dropout=0.0, torch_dtype="float32")
    cfg._attn_implementation = "eager"
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(cfg).eval()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if "norm" in pname:
                p.copy_(torch.rand(p.shape, generator=g) + 0.5)          # non-unit norm weights in [0.5, 1.5)
            elif pname.endswith("bias"):
                p.copy_(torch.randn(p.shape, generator=g) * 0.5)         # non-zero biases
            elif "embed_tokens" in pname:
                p.copy_(torch.randn(p.shape, generator=g) * 0.1)         # small, so blocks (not the input token) drive tied logits
            else:
                fan_in = p.shape[1]
                p.copy_(torch.randn(p.shape, generator=g) / fan_in ** 0.5)  # unit-gain projections
    if cfg.tie_word_embeddings:
        model.tie_weights()
    return model


def save_dir(model, path, dtype, shard=False, qwen25_style=False):
    if os.path.exists(path):
        shutil.rmtree(path)
    m = copy.deepcopy(model).to(dtype)  # .to() is in place: never round the master copy
    kw = {"max_shard_size": "200KB"} if shard else {}
    m.save_pretrained(path, safe_serialization=True, **kw)
    # keep the directory minimal and deterministic
    if qwen25_style:
        # Write the config the way Qwen2.5's own config.json looks (top-level rope_theta,
        # "rope_scaling": null) so both config dialects are tested.
        cp = os.path.join(path, "config.json")
        with open(cp) as f:
            c = json.load(f)
        c["rope_theta"] = c.pop("rope_parameters")["rope_theta"]
        c["rope_scaling"] = None
        c.pop("layer_types", None)
        with open(cp, "w") as f:
            json.dump(c, f, indent=2, sort_keys=True)
    gc = os.path.join(path, "generation_config.json")
    if os.path.exists(gc):
        os.remove(gc)


def reference(model, ids):
    """float32 forward: hidden states, logits, and a greedy continuation."""
    with torch.no_grad():
        x = torch.tensor([ids])
        out = model(x, output_hidden_states=True)
        hidden = torch.stack([h[0] for h in out.hidden_states]).float()
        logits = out.logits[0].float()
        seq = list(ids)
        greedy, gaps = [], []
        for _ in range(N_GREEDY):
            lg = model(torch.tensor([seq])).logits[0, -1].float()
            top2 = torch.topk(lg, 2)
            nxt = int(torch.argmax(lg))
            greedy.append(nxt)
            gaps.append(float(top2.values[0] - top2.values[1]))
            seq.append(nxt)
    return hidden, logits, greedy, gaps


def main():
    lines = []
    os.makedirs(os.path.join(ROOT, "models"), exist_ok=True)
    os.makedirs(os.path.join(ROOT, "ref"), exist_ok=True)
    for name, spec in MODELS.items():
        model = build(name, spec)
        V = spec["vocab_size"]
        g = torch.Generator().manual_seed(100 + spec["seed"])
        variants = [("f32", torch.float32, name == "tiny-untied"), ("bf16", torch.bfloat16, False)]
        if name == "tiny-tied":
            variants.append(("f16", torch.float16, False))
        seqs = {k: torch.randint(2, V, (n,), generator=g).tolist() for k, n in SEQ_LENS.items()}
        for tag, dtype, shard in variants:
            d = os.path.join(ROOT, "models", f"{name}-{tag}")
            save_dir(model, d, dtype, shard, qwen25_style=name == "tiny-tied")
            # reference on exactly the stored (rounded) weights, computed in float32
            ref_model = Qwen2ForCausalLM.from_pretrained(d, torch_dtype=dtype, attn_implementation="eager").float().eval()
            for sk, ids in seqs.items():
                hidden, logits, greedy, gaps = reference(ref_model, ids)
                out = os.path.join(ROOT, "ref", f"{name}-{tag}__{sk}.safetensors")
                save_file({"input_ids": torch.tensor(ids, dtype=torch.int32),
                           "hidden": hidden.contiguous(), "logits": logits.contiguous(),
                           "greedy": torch.tensor(greedy, dtype=torch.int32),
                           "greedy_gap": torch.tensor(gaps, dtype=torch.float32)}, out,
                          metadata={"model": f"{name}-{tag}", "hidden_last_is_normed": "1"})
                lines.append(f"{name}-{tag} {sk} {','.join(map(str, ids))} {','.join(map(str, greedy))}")
                print(f"{name}-{tag} {sk}: T={len(ids)} min greedy gap {min(gaps):.4f} "
                      f"|h| max {hidden.abs().max():.2f} logits std {logits.std():.2f}", file=sys.stderr)
    # plain-text copy of the greedy cases, for the command-line tests
    with open(os.path.join(ROOT, "ref", "greedy.txt"), "w") as f:
        f.write("# model seq prompt_ids greedy_ids (32 tokens, torch float32 argmax)\n")
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
