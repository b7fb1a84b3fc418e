#!/usr/bin/env python3
"""Reference fixtures for steering and extraction (dev-time only; torch, transformers, numpy, gguf).

Uses the random models written by make_fixtures.py (run that first).

1. Steering: a directions file in qsteer's format (random unit vectors at every
   layer boundary l = 0..L) and, for several --steer settings, what PyTorch
   computes when a forward pre-hook adds vector x scale to the input of block l
   (l = L: the input of the final norm) in place: hidden states (as HF records
   them, i.e. with the addition), prompt logits, and a 32-token greedy
   continuation. Positions "all" add at every position; "generated" only at
   positions >= prompt length (each generated token when it is fed back).
2. Extraction: random contrastive pairs of token ids; last-token residuals at
   every boundary (l = L taken before the final norm); mean difference
   (float64), its norm, the mean residual norm, and the first principal
   component of the centred differences from numpy's SVD, sign-aligned with
   the mean difference.
3. A llama.cpp control vector written with llama.cpp's own gguf package, with
   direction.N filled with known values, to test the layer mapping
   (direction.N -> qsteer layer N + 1).

Output: tests/data/steer/
"""
import json
import os
import sys

import numpy as np
import torch
from safetensors.torch import save_file
from transformers import Qwen2ForCausalLM

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "data"))
OUT = os.path.join(ROOT, "steer")
N_GREEDY = 32


def load(name):
    d = os.path.join(ROOT, "models", name)
    dtype = torch.bfloat16 if name.endswith("bf16") else torch.float32
    m = Qwen2ForCausalLM.from_pretrained(d, torch_dtype=dtype, attn_implementation="eager").float().eval()
    return m


def add_hooks(model, adds, start):
    """adds: {l: tensor[H]}; add in place to positions >= start of the input of block l (l = L: final norm)."""
    L = model.config.num_hidden_layers
    handles = []
    for l, vec in adds.items():
        mod = model.model.norm if l == L else model.model.layers[l]

        def pre(module, args, kwargs, vec=vec):
            hs = args[0] if args else kwargs["hidden_states"]
            hs[:, start:, :] += vec
            return None

        handles.append(mod.register_forward_pre_hook(pre, with_kwargs=True))
    return handles


def run_case(model, ids, adds, positions):
    T = len(ids)
    with torch.no_grad():
        hs = add_hooks(model, adds, 0 if positions == "all" else T)
        out = model(torch.tensor([ids]), output_hidden_states=True)
        hidden = torch.stack([h[0] for h in out.hidden_states]).float()
        logits = out.logits[0].float()
        for h in hs:
            h.remove()
        seq, greedy, gaps = list(ids), [], []
        for _ in range(N_GREEDY):
            hs = add_hooks(model, adds, 0 if positions == "all" else T)
            lg = model(torch.tensor([seq])).logits[0, -1].float()
            for h in hs:
                h.remove()
            top2 = torch.topk(lg, 2)
            greedy.append(int(torch.argmax(lg)))
            gaps.append(float(top2.values[0] - top2.values[1]))
            seq.append(greedy[-1])
    return hidden, logits, greedy, gaps


def last_states(model, ids):
    """Residual stream at the last token for l = 0..L (l = L before the final norm)."""
    L = model.config.num_hidden_layers
    grab = {}
    h = model.model.norm.register_forward_pre_hook(
        lambda m, args, kwargs: grab.__setitem__("pre", (args[0] if args else kwargs["hidden_states"]).clone()),
        with_kwargs=True)
    with torch.no_grad():
        out = model(torch.tensor([ids]), output_hidden_states=True)
    h.remove()
    states = [out.hidden_states[l][0, -1] for l in range(L)] + [grab["pre"][0, -1]]
    return torch.stack(states).double().numpy()


def write_directions(path, vecs, resid_norms, model_name):
    layers = {str(l): {"mean_resid_norm": float(resid_norms[l]), "raw_diff_norm": 1.0} for l in range(len(vecs))}
    tensors = {f"direction.{l}": torch.tensor(v, dtype=torch.float32) for l, v in enumerate(vecs)}
    save_file(tensors, path, metadata={"format": "qsteer-directions-1", "model": model_name, "concept": "random",
                                       "method": "random", "n_pairs": "0", "normalized": "true",
                                       "hidden_size": str(vecs.shape[1]), "num_hidden_layers": str(len(vecs) - 1),
                                       "layers": json.dumps(layers)})


def steering(name, seed):
    model = load(name)
    L, H = model.config.num_hidden_layers, model.config.hidden_size
    rng = np.random.default_rng(seed)
    vecs = rng.standard_normal((L + 1, H))
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    resid = 2.0 + np.arange(L + 1) * 0.5
    dpath = os.path.join(OUT, f"{name}.directions.safetensors")
    write_directions(dpath, vecs.astype(np.float32), resid, name)
    vecs32 = torch.tensor(vecs.astype(np.float32))
    cases = {  # name: (list of (layers, scale, relative), positions)
        "l0": ([([0], 2.0, False)], "all"),
        "mid": ([([2], -1.5, False)], "all"),
        "multi": ([([1, 3], 1.0, False), ([0], 0.5, False)], "all"),
        "generated": ([([2], 3.0, False)], "generated"),
        "final": ([([L], 1.0, False)], "all"),
        "relative": ([([1], 0.5, True)], "all"),
    }
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(2, model.config.vocab_size, (9,), generator=g).tolist()
    lines = []
    for cname, (specs, positions) in cases.items():
        adds = {}
        for layers, scale, rel in specs:
            for l in layers:
                k = scale * (resid[l] if rel else 1.0)
                adds[l] = adds.get(l, torch.zeros(H)) + float(k) * vecs32[l]
        hidden, logits, greedy, gaps = run_case(model, ids, adds, positions)
        spec = ";".join(f"{','.join(map(str, ls))}:{sc}" for ls, sc, _ in specs)
        mode = "relative" if any(r for _, _, r in specs) else "absolute"
        save_file({"input_ids": torch.tensor(ids, dtype=torch.int32), "hidden": hidden.contiguous(),
                   "logits": logits.contiguous(), "greedy": torch.tensor(greedy, dtype=torch.int32)},
                  os.path.join(OUT, f"{name}__{cname}.safetensors"),
                  metadata={"spec": spec, "positions": positions, "scale_mode": mode})
        lines.append(f"{name} {cname} {spec} {positions} {mode} {','.join(map(str, ids))} {','.join(map(str, greedy))}")
        print(f"steer {name} {cname}: min greedy gap {min(gaps):.4f}", file=sys.stderr)
    return lines


def extraction(name, seed, n_pairs=12):
    model = load(name)
    L, V = model.config.num_hidden_layers, model.config.vocab_size
    rng = np.random.default_rng(seed)
    pos = [rng.integers(2, V, rng.integers(3, 16)).tolist() for _ in range(n_pairs)]
    neg = [rng.integers(2, V, rng.integers(3, 16)).tolist() for _ in range(n_pairs)]
    P = np.stack([last_states(model, s) for s in pos])  # [n, L+1, H] float64
    N = np.stack([last_states(model, s) for s in neg])
    D = P - N
    mean = D.mean(axis=0)                                 # [L+1, H]
    raw = np.linalg.norm(mean, axis=1)
    unit = mean / raw[:, None]
    resid = (np.linalg.norm(P, axis=2).sum(0) + np.linalg.norm(N, axis=2).sum(0)) / (2 * n_pairs)
    pca = np.zeros_like(unit)
    for l in range(L + 1):
        _, _, vt = np.linalg.svd(D[:, l, :] - mean[l], full_matrices=False)
        v = vt[0]
        pca[l] = v if v @ mean[l] >= 0 else -v
    flat = lambda seqs: torch.tensor([t for s in seqs for t in s], dtype=torch.int32)
    offs = lambda seqs: torch.tensor(np.cumsum([0] + [len(s) for s in seqs]), dtype=torch.int32)
    save_file({"pos_ids": flat(pos), "pos_offsets": offs(pos), "neg_ids": flat(neg), "neg_offsets": offs(neg),
               "mean_diff": torch.tensor(unit, dtype=torch.float32), "pca": torch.tensor(pca, dtype=torch.float32),
               "raw_diff_norm": torch.tensor(raw, dtype=torch.float32),
               "mean_resid_norm": torch.tensor(resid, dtype=torch.float32)},
              os.path.join(OUT, f"{name}__extract.safetensors"))
    with open(os.path.join(OUT, f"{name}__pairs.jsonl"), "w") as f:
        for a, b in zip(pos, neg):
            f.write(json.dumps({"positive_ids": a, "negative_ids": b}) + "\n")


def llama_cpp_cvec(path, hidden=96, n=3):
    """direction.N (N = 1..n; n = num_hidden_layers - 1 of tiny-untied) = N + 0.001 * i, by llama.cpp's gguf package."""
    import gguf
    w = gguf.GGUFWriter(path, "controlvector")
    w.add_string("controlvector.model_hint", "qwen2")
    w.add_int32("controlvector.layer_count", n)
    for N in range(1, n + 1):
        w.add_tensor(f"direction.{N}", (N + 0.001 * np.arange(hidden)).astype(np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main():
    os.makedirs(OUT, exist_ok=True)
    lines = steering("tiny-untied-f32", 11) + steering("tiny-tied-bf16", 12)
    with open(os.path.join(OUT, "greedy_steer.txt"), "w") as f:
        f.write("# model case spec(layers:scale;...) positions scale_mode prompt_ids greedy_ids\n")
        f.write("\n".join(lines) + "\n")
    extraction("tiny-untied-f32", 21)
    extraction("tiny-tied-bf16", 22)
    llama_cpp_cvec(os.path.join(OUT, "llamacpp_cvec.gguf"))


if __name__ == "__main__":
    main()
