#!/usr/bin/env python3
"""Compare qsteer's tokenizer with HF `tokenizers` (Python, one thread) on the
same documents, in the same run. Dev-time only.

    python3 bench/tokenizer/compare.py [--build build-tok] [--tokenizer FILE] [--runs 5]

Documents (deterministic, no network):
  english  paragraphs of the license texts in /usr/share/common-licenses
  code     Python standard-library sources (first 300 files, sorted)
  mixed    the strings of ../shared/tokenizer/reference.jsonl and
           tests/data/tokenizer/corpus.jsonl (many scripts, emoji, long words)
Each document is encoded on its own, by HF with Tokenizer.encode(text,
add_special_tokens=False) and by qsteer's bench_tokenizer, and the ids of the
first 200 documents are compared. Throughput = UTF-8 bytes / seconds; HF and
qsteer each get a first pass (cold word cache) and the best of --runs passes.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import sysconfig
import tempfile
import time

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
from tokenizers import Tokenizer  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def documents():
    sets = {"english": [], "code": [], "mixed": []}
    for p in sorted(glob.glob("/usr/share/common-licenses/*")):
        if os.path.isfile(p):
            text = open(p, encoding="utf-8", errors="replace").read()
            sets["english"] += [d for d in re.split(r"\n\s*\n", text) if d.strip()]
    stdlib = sysconfig.get_paths()["stdlib"]
    for p in sorted(glob.glob(os.path.join(stdlib, "*.py")))[:300]:
        sets["code"].append(open(p, encoding="utf-8", errors="replace").read())
    for p in [os.path.join(ROOT, "..", "shared", "tokenizer", "reference.jsonl"),
              os.path.join(ROOT, "tests", "data", "tokenizer", "corpus.jsonl")]:
        for line in open(p, encoding="utf-8"):
            sets["mixed"].append(json.loads(line)["text"])
    return sets


def hf_bench(tok, docs, runs):
    nbytes = sum(len(d.encode("utf-8")) for d in docs)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for d in docs:
            tok.encode(d, add_special_tokens=False)
        times.append(time.perf_counter() - t0)
    return nbytes / 1e6 / times[0], nbytes / 1e6 / min(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build-tok"))
    ap.add_argument("--tokenizer", default=os.path.join(ROOT, "..", "shared", "tokenizer", "tokenizer.json"))
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    exe = os.path.join(args.build, "bench", "tokenizer", "bench_tokenizer")
    if not os.path.exists(exe):
        sys.exit("build %s first (ninja -C %s bench/tokenizer/bench_tokenizer)" % (exe, args.build))

    t0 = time.perf_counter()
    hf = Tokenizer.from_file(args.tokenizer)
    hf_load = time.perf_counter() - t0
    print("HF tokenizers %s, load %.3f s" % (__import__("tokenizers").__version__, hf_load))
    print("%-8s %8s %8s | %14s %14s | %14s %14s | %s" % (
        "set", "docs", "MB", "HF cold MB/s", "HF best MB/s", "qs cold MB/s", "qs best MB/s", "speedup(best)"))
    sets = documents()
    sets["all"] = sets["english"] + sets["code"] + sets["mixed"]
    for name, docs in sets.items():
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
            for d in docs:
                f.write(json.dumps({"text": d}, ensure_ascii=False) + "\n")
            path = f.name
        try:
            out = subprocess.run([exe, "--tokenizer", args.tokenizer, "--docs", path, "--runs", str(args.runs),
                                  "--loads", "3"], capture_output=True, text=True, check=True).stdout
            res = dict(kv.split("=") for kv in out.strip().splitlines()[-1].split()[1:])
            hf_cold, hf_best = hf_bench(hf, docs, args.runs)
            qs_cold, qs_best = float(res["cold_mbps"]), float(res["warm_mbps"])
            mb = int(res["bytes"]) / 1e6
            print("%-8s %8d %8.2f | %14.1f %14.1f | %14.1f %14.1f | %.1fx" % (
                name, len(docs), mb, hf_cold, hf_best, qs_cold, qs_best, qs_best / hf_best))
            if name == "all":
                print("qsteer load: %s s (best of 3)" % res["load_s"])
            # spot-check identical ids through the CLI
            if name != "all":
                sample = docs[:200]
                cli = os.path.join(args.build, "cli", "qsteer")
                if os.path.exists(cli):
                    inp = "".join(json.dumps({"text": d}) + "\n" for d in sample)
                    got = subprocess.run([cli, "tokenize", "--tokenizer", args.tokenizer], input=inp,
                                         capture_output=True, text=True, check=True).stdout.splitlines()
                    bad = sum(json.loads(g)["ids"] != hf.encode(d, add_special_tokens=False).ids
                              for g, d in zip(got, sample))
                    if bad or len(got) != len(sample):
                        print("  WARNING: %d of %d documents differ from HF" % (bad, len(sample)))
        finally:
            os.unlink(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
