#!/usr/bin/env bash
# End-to-end test of `qsteer experiment` on a tiny random model with a tiny tokenizer:
# a small grid runs, results.jsonl/summary.json/report.md/plots appear, d in summary.json
# recomputes from results.jsonl (independent Python stdlib code), a rerun after a crash
# (torn last line, missing rows) resumes and redoes only what is missing, and batch 1
# gives the same generations as batch 4.
# Usage: tests/test_experiment.sh path/to/qsteer   (run from the repository root)
set -u
Q=$(realpath "${1:?usage: test_experiment.sh QSTEER}")
pass=0; fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
root=$(pwd)
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

mkdir -p "$T/model" "$T/data"
for f in "$root"/tests/data/models/tiny-untied-f32/*; do ln -s "$f" "$T/model/"; done
ln -s "$root/tests/data/tiny-tokenizer/tokenizer.json" "$T/model/tokenizer.json"
cat > "$T/data/pairs.jsonl" <<'J'
{"positive": "the cat was afraid of the dark", "negative": "the cat was near the dark"}
{"positive": "she felt scared and afraid", "negative": "she felt calm and fine"}
{"positive": "he was afraid to see the sun", "negative": "he was happy to see the sun"}
{"positive": "the dog was scared of the world", "negative": "the dog was part of the world"}
J
echo '{"emotion": "fear", "words": ["afraid", "scared", "dark", "the"]}' > "$T/data/fear.json"
printf '%s\n' '{"text": "the cat was"}' '{"text": "she felt"}' > "$T/data/prompts.jsonl"
cat > "$T/exp.json" <<'J'
{"name": "tiny", "prompts": "data/prompts.jsonl", "samples": 3, "batch": 4,
 "concepts": {"fear": {"pairs": "data/pairs.jsonl", "lexicon": "data/fear.json"}},
 "grid": {"layers": ["1", "2"], "scales": [2, 4]},
 "generation": {"max_tokens": 12, "temperature": 0.9, "top_p": 0.95, "seed": 7}}
J

"$Q" experiment --model "$T/model" --config "$T/exp.json" --out "$T/out" > "$T/stdout" 2> "$T/stderr" \
  && ok || { bad "experiment failed: $(tail -3 "$T/stderr")"; }
for f in results.jsonl summary.json report.md directions/fear.safetensors experiment.json d_vs_scale_L1.svg heatmap_fear.svg; do
  [ -s "$T/out/$f" ] && ok || bad "missing $f"
done
n=$(wc -l < "$T/out/results.jsonl")
[ "$n" -eq 30 ] && ok || bad "results.jsonl has $n rows, expected 6 baseline + 4 conditions x 6 = 30"
grep -q "ETA" "$T/stderr" && ok || bad "no progress line with ETA on stderr"

# d in summary.json recomputes from results.jsonl
python3 - "$T/out" <<'PY' && ok || bad "summary.json does not recompute from results.jsonl"
import json, math, sys
out = sys.argv[1]
rows = [json.loads(l) for l in open(f"{out}/results.jsonl")]
base = [r["markers"]["fear"] for r in rows if r["concept"] == "baseline"]
summ = json.load(open(f"{out}/summary.json"))
def d(a, b):
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    va = sum((x - ma) ** 2 for x in a) / (len(a) - 1); vb = sum((x - mb) ** 2 for x in b) / (len(b) - 1)
    sp = math.sqrt(((len(a) - 1) * va + (len(b) - 1) * vb) / (len(a) + len(b) - 2))
    return (ma - mb) / sp if sp > 0 else 0.0
assert len(summ["rows"]) == 4, summ["rows"]
for s in summ["rows"]:
    st = [r["markers"]["fear"] for r in rows if r["concept"] == "fear" and r["condition"] == s["condition"]]
    assert len(st) == 6 and len(base) == 6
    want = d(st, base)
    got = s["d"] if s["d"] is not None else 0.0
    assert abs(got - want) < 1e-9, (s["condition"], got, want)
    assert abs(s["steered_markers"] - sum(st) / 6) < 1e-9
    # distinct-3 (fluency guard against loops) recomputes from the generated ids
    def d3(ids):
        tri = [tuple(ids[i:i + 3]) for i in range(len(ids) - 2)]
        return len(set(tri)) / len(tri) if len(ids) >= 4 else None
    for key, sel in (("distinct3_steered", lambda r: r["concept"] == "fear" and r["condition"] == s["condition"]),
                     ("distinct3_baseline", lambda r: r["concept"] == "baseline")):
        v = [x for x in (d3(r["ids"]) for r in rows if sel(r)) if x is not None]
        assert (s[key] is None and not v) or abs(s[key] - sum(v) / len(v)) < 1e-12, (key, s[key], v)
    fl = ((s["ppl_steered_median"] or 0) <= 2 * (s["ppl_baseline_median"] or 0) or s["ppl_steered_median"] is None) and \
         (s["distinct3_steered"] is None or s["distinct3_steered"] >= 0.9 * s["distinct3_baseline"])
    assert s["fluent"] == fl, s
fluent = [s for s in summ["rows"] if s["fluent"] and s["d"] is not None]
if fluent:
    assert summ["best"]["d"] == max(s["d"] for s in fluent), summ["best"]
assert summ["best_any"]["d"] == max(s["d"] for s in summ["rows"] if s["d"] is not None)
for r in rows:
    assert r["ppl"] > 1, r
    if r["concept"] != "baseline": assert "dlogp" in r, r
PY

# resume: drop 5 rows and tear the last line; the rerun redoes exactly those
cp "$T/out/results.jsonl" "$T/full.jsonl"
head -n 25 "$T/full.jsonl" > "$T/out/results.jsonl"
printf '{"id": "fear/L2 x4/p1/s' >> "$T/out/results.jsonl"
"$Q" experiment --model "$T/model" --config "$T/exp.json" --out "$T/out" > /dev/null 2> "$T/stderr2" || bad "resume failed: $(tail -3 "$T/stderr2")"
grep -q "5 generations to do (25 already done)" "$T/stderr2" && ok || bad "resume did not skip done rows: $(grep generations "$T/stderr2")"
[ "$(wc -l < "$T/out/results.jsonl")" -eq 30 ] && ok || bad "after resume results.jsonl has $(wc -l < "$T/out/results.jsonl") rows"
[ "$(python3 -c "import json,sys; print(len({json.loads(l)['id'] for l in open(sys.argv[1])}))" "$T/out/results.jsonl")" -eq 30 ] && ok || bad "duplicate ids after resume"
# the redone rows are the same generations (same seeds)
python3 - "$T/full.jsonl" "$T/out/results.jsonl" <<'PY' && ok || bad "resumed rows differ from the first run"
import json, sys
a = {json.loads(l)["id"]: json.loads(l)["ids"] for l in open(sys.argv[1])}
b = {json.loads(l)["id"]: json.loads(l)["ids"] for l in open(sys.argv[2])}
assert a == b
PY
"$Q" experiment --model "$T/model" --config "$T/exp.json" --out "$T/out" > /dev/null 2> "$T/stderr3"
grep -q "0 generations to do" "$T/stderr3" && ok || bad "a complete run was redone"

# batch 1 = batch 4
"$Q" experiment --model "$T/model" --config "$T/exp.json" --out "$T/out1" --batch 1 > /dev/null 2>&1 || bad "batch-1 run failed"
python3 - "$T/full.jsonl" "$T/out1/results.jsonl" <<'PY' && ok || bad "batch 1 and batch 4 generations differ"
import json, sys
a = {json.loads(l)["id"]: json.loads(l)["ids"] for l in open(sys.argv[1])}
b = {json.loads(l)["id"]: json.loads(l)["ids"] for l in open(sys.argv[2])}
assert a == b
PY
# --report-only rebuilds the same summary without a model
cp "$T/out/summary.json" "$T/summary1.json"
"$Q" experiment --report-only --out "$T/out" > /dev/null && cmp -s "$T/summary1.json" "$T/out/summary.json" && ok || bad "--report-only changed summary.json"

# bad configs
echo '{"name": "x", "prompts": "data/prompts.jsonl", "sample": 3, "concepts": {}}' > "$T/bad1.json"
"$Q" experiment --model "$T/model" --config "$T/bad1.json" --out "$T/o2" 2> "$T/e" && bad "unknown field accepted" || { grep -q "unknown field 'sample'" "$T/e" && ok || bad "unclear error: $(cat "$T/e")"; }
sed 's/"layers": \["1", "2"\]/"layers": ["9"]/' "$T/exp.json" > "$T/bad2.json"
"$Q" experiment --model "$T/model" --config "$T/bad2.json" --out "$T/o3" 2> "$T/e" && bad "layer beyond model accepted" || { grep -q "beyond" "$T/e" && ok || bad "unclear error: $(cat "$T/e")"; }

echo "test_experiment: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
