#!/usr/bin/env python3
"""Reference fixtures from HF transformers on the real test model (dev-time only).

Loads the directory made by weights/fetch-test-model with
Qwen2ForCausalLM.from_pretrained(dir, dtype=float32) -- the BF16 weights are
upcast exactly, all arithmetic is float32, eager attention -- and records, for
a handful of prompts of different kinds (plain, ChatML chat, code, non-English,
long):

  tests/data/real/<model>.json
      model, gguf_sha256, library versions, and per prompt: text, ids (HF
      tokenizer from the directory's tokenizer.json, no BOS added), the top-20
      logits at the last position (ids, values), a 32-token greedy continuation
      (argmax at every step, no repetition penalty, not stopped at EOS) with
      the top-1 minus top-2 logit gap at each step, and its decoded text.
  tests/data/real/<model>.safetensors
      p<i>.hidden       F32[L+1, H]  output_hidden_states at the last position:
                                     [0] = embeddings, [l] = after block l;
                                     [L] has the final RMSNorm applied
                                     (json: "last_hidden_is_normed": true)
      p<i>.resid_final  F32[H]       the residual after the last block, before
                                     model.norm (input of model.norm, via a hook)
      p<i>.ids          I32[T]       the prompt ids again
  tests/data/real/<model>-chat-samples.txt
      greedy answers (<= 60 new tokens, stops at <|im_end|>) to three everyday
      questions through the chat template, for comparing with qsteer's output.

Floats in the JSON are rounded to 8 significant digits.

Usage: python3 tests/reference/make_real_fixtures.py [--model NAME] [--model-dir DIR]
(the directory defaults to the fetch-test-model cache location).
"""
import argparse
import inspect
import json
import os
import sys

import numpy as np
import tokenizers
import torch
import transformers
from safetensors.numpy import save_file
from transformers import AutoTokenizer, Qwen2ForCausalLM

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "tests", "data", "real")
N_GREEDY = 32
TOP_K = 20

LONG_TEXT = (
    "The history of computing is longer than the history of computing hardware and modern computing "
    "technology and includes the history of methods intended for pen and paper or for chalk and slate, "
    "with or without the aid of tables. Digital computing is intimately tied to the representation of "
    "numbers. But long before abstractions like the number arose, there were mathematical concepts to "
    "serve the purposes of civilization. These concepts are implicit in concrete practices such as "
    "one-to-one correspondence, the basis of counting, and comparison to a standard, used for "
    "measurement. The earliest known tool for use in computation was the abacus, and it was thought to "
    "have been invented in Babylon circa between 2700 and 2300 BC. Its original style of usage was by "
    "lines drawn in sand with pebbles. In the nineteenth century, Charles Babbage designed the "
    "Analytical Engine, a general-purpose mechanical computer that was never completed in his lifetime. "
    "Ada Lovelace wrote what is often described as the first computer program for it. In the twentieth "
    "century, electronic computers replaced mechanical ones, and in summary, the most important change was"
)

# name, kind, text or chat messages
PROMPTS = [
    ("plain_en", "plain", "The capital of France is"),
    ("chat_template", "chat", [{"role": "user", "content": "What is the capital of France?"}]),
    ("code_py", "code", 'def fibonacci(n):\n    """Return the n-th Fibonacci number."""\n'),
    ("plain_zh", "non-English", "北京是中华人民共和国的首都，也是"),
    ("long_en", "long", LONG_TEXT),
    ("chatml_manual", "chat",
     "<|im_start|>system\nYou are a concise assistant that answers in one sentence.<|im_end|>\n"
     "<|im_start|>user\nName a primary color.<|im_end|>\n<|im_start|>assistant\nRed.<|im_end|>\n"
     "<|im_start|>user\nAnd another one?<|im_end|>\n<|im_start|>assistant\n"),
]

CHAT_QUESTIONS = [
    "What is the capital of France?",
    "Give me three tips for sleeping better.",
    "How do I boil an egg?",
]


# transformers 5.x renamed the forward argument past_key_values to cache
CACHE_KW = "cache" if "cache" in inspect.signature(Qwen2ForCausalLM.forward).parameters else "past_key_values"


def cache_of(out):
    c = getattr(out, "cache", None)
    return c if c is not None else out.past_key_values


def r8(x):
    return float(f"{float(x):.8g}")


def default_model_dir(name):
    cache = os.environ.get("QSTEER_CACHE") or os.path.expanduser("~/.cache/qsteer")
    return os.path.join(cache, "models", name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="qwen2.5-coder-1.5b-instruct")
    ap.add_argument("--model-dir", default=None)
    ap.add_argument("--no-chat-samples", action="store_true")
    args = ap.parse_args()
    mdir = args.model_dir or default_model_dir(args.model)
    if not os.path.isfile(os.path.join(mdir, "config.json")):
        sys.exit(f"{mdir}: no model there; run weights/fetch-test-model --model {args.model}")
    with open(os.path.join(mdir, ".qsteer-model.json")) as f:
        stamp = json.load(f)

    torch.manual_seed(0)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    tok = AutoTokenizer.from_pretrained(mdir)
    raw_tok = tokenizers.Tokenizer.from_file(os.path.join(mdir, "tokenizer.json"))
    model = Qwen2ForCausalLM.from_pretrained(mdir, dtype=torch.float32, attn_implementation="eager").eval()
    cfg = model.config
    L, H = cfg.num_hidden_layers, cfg.hidden_size
    eos_ids = {151643, 151645}

    captured = {}
    hook = model.model.norm.register_forward_pre_hook(lambda mod, inp: captured.__setitem__("x", inp[0].detach()))

    meta = {
        "model": args.model,
        "gguf_sha256": stamp["gguf_sha256"],
        "source": stamp.get("source"),
        "weights_dtype": "bfloat16 (dequantized from the GGUF), upcast to float32 for compute",
        "generator": f"transformers {transformers.__version__}, torch {torch.__version__}, "
                     f"tokenizers {tokenizers.__version__}; float32, eager attention, batch 1",
        "num_hidden_layers": L, "hidden_size": H, "vocab_size": cfg.vocab_size,
        "last_hidden_is_normed": None,
        "arrays": f"{args.model}.safetensors",
        "hidden_note": "p<i>.hidden[l] at the last position: l=0 embeddings, l>=1 after block l; "
                       "the last entry has model.norm applied when last_hidden_is_normed; p<i>.resid_final is "
                       "the un-normed residual after the last block",
        "greedy_note": f"{N_GREEDY} argmax steps with the KV cache, not stopped at EOS; greedy_gap[i] = top1 - top2 "
                       "logit at step i",
        "prompts": [],
    }
    arrays = {}
    normed_checks = []
    with torch.no_grad():
        for i, (pname, kind, content) in enumerate(PROMPTS):
            messages = None
            if isinstance(content, list):
                messages = content
                text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            else:
                text = content
            ids = tok(text, add_special_tokens=False).input_ids
            raw_ids = raw_tok.encode(text, add_special_tokens=False).ids
            if ids != raw_ids:
                sys.exit(f"{pname}: transformers and tokenizers disagree on the ids")
            x = torch.tensor([ids])
            out = model(x, output_hidden_states=True, use_cache=True)
            hs = torch.stack([h[0, -1] for h in out.hidden_states])  # [L+1, H]
            resid = captured["x"][0, -1]
            normed = model.model.norm(captured["x"])[0, -1]
            normed_checks.append((torch.equal(hs[-1], normed), torch.equal(hs[-1], resid)))
            logits = out.logits[0, -1]
            top = torch.topk(logits, TOP_K)

            # greedy continuation with the cache
            past = cache_of(out)
            cur = logits
            greedy, gaps = [], []
            for _ in range(N_GREEDY):
                t2 = torch.topk(cur, 2)
                nxt = int(t2.indices[0])
                greedy.append(nxt)
                gaps.append(r8(t2.values[0] - t2.values[1]))
                o = model(torch.tensor([[nxt]]), use_cache=True, **{CACHE_KW: past})
                past, cur = cache_of(o), o.logits[0, -1]
            # cross-check against HF generate
            gen = model.generate(x, max_new_tokens=N_GREEDY, do_sample=False, min_new_tokens=N_GREEDY,
                                 repetition_penalty=1.0, pad_token_id=151643, eos_token_id=None,
                                 temperature=None, top_p=None, top_k=None)
            gen_ids = gen[0, len(ids):].tolist()
            if gen_ids != greedy:
                print(f"warning: {pname}: manual greedy {greedy} != generate {gen_ids}", file=sys.stderr)

            arrays[f"p{i}.hidden"] = hs.numpy().astype(np.float32)
            arrays[f"p{i}.resid_final"] = resid.numpy().astype(np.float32)
            arrays[f"p{i}.ids"] = np.array(ids, dtype=np.int32)
            entry = {
                "name": pname, "kind": kind, "index": i,
                "messages": messages,
                "text": text,
                "ids": ids,
                "n_tokens": len(ids),
                "top20": {"ids": top.indices.tolist(), "logits": [r8(v) for v in top.values.tolist()]},
                "greedy": greedy,
                "greedy_gap": gaps,
                "greedy_text": tok.decode(greedy),
                "greedy_hits_eos_at": next((k for k, t in enumerate(greedy) if t in eos_ids), None),
            }
            meta["prompts"].append(entry)
            print(f"[{pname}] {len(ids)} tokens; top1 {top.indices[0].item()} ({top.values[0].item():.3f}); "
                  f"min gap {min(gaps):.4f}; continuation: {entry['greedy_text']!r}", file=sys.stderr)
    hook.remove()
    if all(a for a, _ in normed_checks):
        meta["last_hidden_is_normed"] = True
    elif all(b for _, b in normed_checks):
        meta["last_hidden_is_normed"] = False
    else:
        sys.exit(f"hidden_states[-1] is neither norm(resid) nor resid exactly: {normed_checks}")

    os.makedirs(OUT, exist_ok=True)
    save_file(arrays, os.path.join(OUT, f"{args.model}.safetensors"),
              metadata={"model": args.model, "gguf_sha256": stamp["gguf_sha256"]})
    with open(os.path.join(OUT, f"{args.model}.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {OUT}/{args.model}.json and .safetensors", file=sys.stderr)

    if args.no_chat_samples:
        return
    lines = [f"# {args.model}: HF transformers {transformers.__version__} greedy chat answers "
             f"(float32 on the BF16 weights, chat template from tokenizer_config.json with its default system "
             f"prompt, max 60 new tokens, stops at <|im_end|> or <|endoftext|>)", ""]
    with torch.no_grad():
        for q in CHAT_QUESTIONS:
            text = tok.apply_chat_template([{"role": "user", "content": q}], tokenize=False,
                                           add_generation_prompt=True)
            ids = tok(text, add_special_tokens=False).input_ids
            gen = model.generate(torch.tensor([ids]), max_new_tokens=60, do_sample=False, repetition_penalty=1.0,
                                 eos_token_id=sorted(eos_ids), pad_token_id=151643,
                                 temperature=None, top_p=None, top_k=None)
            new = gen[0, len(ids):].tolist()
            lines += [f"## Q: {q}", f"prompt ids: {len(ids)}", f"answer ids: {new}",
                      "answer:", tok.decode(new, skip_special_tokens=False), ""]
            print(f"[chat] {q} -> {tok.decode(new, skip_special_tokens=True)!r}", file=sys.stderr)
    with open(os.path.join(OUT, f"{args.model}-chat-samples.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
