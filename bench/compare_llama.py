#!/usr/bin/env python3
"""qsteer against llama.cpp on identical random weights, interleaved in one run.

For each model size it makes (once) the deterministic random BF16 model
(bench/make_random_model.py), converts it to GGUF byte for byte
(bench/hf_to_gguf.py) and, with --q8, a Q8_0 GGUF with llama-quantize. Then,
--reps times, alternately (A B A B ...):

  ours:  bench_engine --prompt 512 --batch 1,8,16 (with its bandwidth probe)
  llama: llama-bench -p 512 -n GEN, and llama-batched-bench with 8 sequences

and prints medians side by side with ratios. Since the weights are identical,
it also checks that both engines produce the same greedy tokens
(qsteer generate --print-ids vs llama-simple; hf_to_gguf.py's vocabulary maps
the generated text back to ids).

llama.cpp is not built by this script: point --llama-bin (or LLAMA_CPP_BIN) at
a directory holding llama-bench, llama-batched-bench, llama-simple and
llama-quantize from a CPU build.

usage: bench/compare_llama.py [--sizes 1.5b,0.5b] [--reps 3] [--gen 32] [--threads 2]
                              [--build build] [--models /work/models] [--llama-bin DIR] [--q8]
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def run(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    if r.returncode != 0:
        sys.stderr.write("command failed: %s\n%s\n" % (" ".join(cmd), r.stderr[-2000:]))
        raise SystemExit(1)
    return r.stdout


def ensure_models(size, models, llama_bin, q8):
    hf = os.path.join(models, "rand-%s-bf16" % size)
    gg = hf + ".gguf"
    if not os.path.exists(os.path.join(hf, "model.safetensors")):
        run([sys.executable, os.path.join(HERE, "make_random_model.py"), size, hf])
    if not os.path.exists(gg):
        run([sys.executable, os.path.join(HERE, "hf_to_gguf.py"), hf, gg])
    q8gg = hf + "-q8_0.gguf"
    if q8 and not os.path.exists(q8gg):
        run([os.path.join(llama_bin, "llama-quantize"), gg, q8gg, "Q8_0"])
    return hf, gg, q8gg


def ours(bench, hf, threads, gen, extra=()):
    out = run([bench, "--model", hf, "--no-kernels", "--reps", "1", "--gen", str(gen), "--prompt", "512",
               "--batch", "1,8,16", "--threads", str(threads), "--kv"] + list(extra))
    kv = {}
    for line in out.splitlines():
        if line.startswith("kv "):
            _, k, v = line.split()
            kv[k] = float(v)
    return kv


def llama(llama_bin, gg, threads, gen, batched=True):
    out = run([os.path.join(llama_bin, "llama-bench"), "-m", gg, "-p", "512", "-n", str(gen), "-t", str(threads),
               "-r", "1", "-o", "json"])
    res = {}
    for t in json.loads(out):
        if t["n_prompt"] > 0 and t["n_gen"] == 0:
            res["pp512"] = t["avg_ts"]
        elif t["n_gen"] > 0 and t["n_prompt"] == 0:
            res["tg_b1"] = t["avg_ts"]
    if not batched:
        return res
    out = run([os.path.join(llama_bin, "llama-batched-bench"), "-m", gg, "-c", "4096", "-b", "512", "-ub", "512",
               "-npp", "16", "-ntg", str(gen), "-npl", "8", "-t", str(threads)])
    for line in out.splitlines():
        cols = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cols) == 10 and cols[2] == "8":
            res["tg_b8"] = float(cols[7])  # S_TG t/s
    return res


def greedy_check(qsteer, hf, gg, llama_bin, n=24):
    """Same greedy ids from both engines for the prompt 'Hello world' (ids = bytes)."""
    prompt = "Hello world"
    ids = ",".join(str(b) for b in prompt.encode())
    ours_ids = run([qsteer, "generate", "--model", hf, "--prompt-ids", ids, "--max-tokens", str(n),
                    "--temperature", "0", "--print-ids"]).strip().split(",")
    text = run([os.path.join(llama_bin, "llama-simple"), "-m", gg, "-n", str(n), prompt])
    text = text[text.index(prompt) + len(prompt):] if prompt in text else text
    theirs = []
    for m in re.finditer(r"\[(\d+)\]|(.)", text, re.S):
        if m.group(1):
            theirs.append(m.group(1))
        elif m.group(2) not in "\n":
            theirs.extend(str(b) for b in m.group(2).encode())
    theirs = theirs[:n]
    return [int(x) for x in ours_ids], [int(x) for x in theirs]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1.5b")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--gen", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--models", default="/work/models")
    ap.add_argument("--llama-bin", default=os.environ.get("LLAMA_CPP_BIN", "/work/llama.cpp/build/bin"))
    ap.add_argument("--q8", action="store_true", help="also compare our --weights q8 with llama.cpp's Q8_0")
    a = ap.parse_args()
    bench = os.path.join(a.build, "bench", "bench_engine")
    qsteer = os.path.join(a.build, "cli", "qsteer")
    for p in [bench] + [os.path.join(a.llama_bin, x) for x in ("llama-bench", "llama-batched-bench")]:
        if not os.path.exists(p):
            sys.exit("compare_llama: %s is missing (build qsteer with meson; give --llama-bin)" % p)

    for size in a.sizes.split(","):
        hf, gg, q8gg = ensure_models(size, a.models, a.llama_bin, a.q8)
        rows = {}
        probe = []
        for r in range(a.reps):
            o = ours(bench, hf, a.threads, a.gen)
            print("    ours: %s" % o, flush=True)
            probe.append(o.get("tg_b1.probe_gbs", 0))
            for k in ("pp512", "tg_b1", "tg_b8", "tg_b16"):
                rows.setdefault(("ours", k), []).append(o.get(k, float("nan")))
            for k in ("tg_b1.probe_frac", "ttft_s", "rss_frac"):
                rows.setdefault(("ours", k), []).append(o.get(k, float("nan")))
            l = llama(a.llama_bin, gg, a.threads, a.gen)
            print("    llama.cpp: %s" % l, flush=True)
            for k, v in l.items():
                rows.setdefault(("llama", k), []).append(v)
            if a.q8:
                oq = ours(bench, hf, a.threads, a.gen, ["--weights", "q8", "--batch", "1"])
                rows.setdefault(("ours", "q8_tg_b1"), []).append(oq.get("tg_b1", float("nan")))
                lq = llama(a.llama_bin, q8gg, a.threads, a.gen, batched=False)
                rows.setdefault(("llama", "q8_tg_b1"), []).append(lq.get("tg_b1", float("nan")))
            print("  rep %d: ours %s | llama.cpp %s" % (
                r + 1, " ".join("%s=%.2f" % (k, v[-1]) for (e, k), v in rows.items() if e == "ours"),
                " ".join("%s=%.1f" % (k, v[-1]) for (e, k), v in rows.items() if e == "llama")), flush=True)
        med = {k: statistics.median(v) for k, v in rows.items()}
        print("\n%s BF16, %d threads, medians of %d interleaved runs; read-bandwidth probe %.1f GB/s (median)"
              % (size, a.threads, a.reps, statistics.median(probe)))
        print("| figure | qsteer | llama.cpp | ratio |")
        print("|---|---|---|---|")
        for k, name in (("pp512", "prompt 512 tok/s"), ("tg_b1", "generation batch 1 tok/s"),
                        ("tg_b8", "generation 8 sequences, aggregate tok/s"), ("tg_b16", "generation batch 16 tok/s"),
                        ("q8_tg_b1", "generation batch 1, 8-bit weights (ours q8 / llama Q8_0)")):
            if ("ours", k) not in med:
                continue
            ov, lv = med[("ours", k)], med.get(("llama", k))
            print("| %s | %.1f | %s | %s |" % (name, ov, "%.1f" % lv if lv else "-", "%.2f" % (ov / lv) if lv else "-"))
        print("| batch-1 generation as a fraction of the probe | %.0f%% | | |" % (100 * med[("ours", "tg_b1.probe_frac")]))
        print("| batch 16 / batch 1 | %.1fx | | |" % (med[("ours", "tg_b16")] / med[("ours", "tg_b1")]))
        print("| time to first token (load + 16-token prompt, warm page cache) | %.2f s | | |" % med[("ours", "ttft_s")])
        print("| peak RSS / (weights + KV cache) | %.2f | | |" % med[("ours", "rss_frac")])
        if os.path.exists(qsteer) and os.path.exists(os.path.join(a.llama_bin, "llama-simple")):
            o_ids, l_ids = greedy_check(qsteer, hf, gg, a.llama_bin)
            same = o_ids == l_ids
            print("greedy tokens (24, prompt 'Hello world'): %s" % ("identical" if same else "DIFFER"))
            if not same:
                print("  qsteer:    %s\n  llama.cpp: %s" % (o_ids, l_ids))
        else:
            print("greedy check skipped: %s or llama-simple missing" % qsteer)


if __name__ == "__main__":
    main()
