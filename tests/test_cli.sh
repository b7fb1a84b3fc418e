#!/usr/bin/env bash
# Command-line tests of `qsteer generate`: greedy ids equal PyTorch's for every
# fixture case, help texts, and clear errors with a non-zero exit for bad input.
# Usage: tests/test_cli.sh path/to/qsteer   (run from the repository root)
set -u
Q=${1:?usage: test_cli.sh QSTEER}
pass=0; fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# expect_fail "what" "needle" cmd...  : non-zero exit, no crash, stderr names the problem
expect_fail() {
  local what=$1 needle=$2; shift 2
  local err rc
  err=$("$@" 2>&1 >/dev/null); rc=$?
  if [ $rc -eq 0 ]; then bad "$what: exit 0"; return; fi
  if [ $rc -ge 128 ]; then bad "$what: crashed (exit $rc)"; return; fi
  case "$err" in *"$needle"*) ok ;; *) bad "$what: stderr lacks '$needle': $err" ;; esac
}

# Greedy continuations of every fixture case must equal torch's exactly.
while read -r model seq prompt want; do
  case "$model" in '#'*|'') continue ;; esac
  got=$("$Q" generate --model "tests/data/models/$model" --prompt-ids "$prompt" --temperature 0 \
        --max-tokens 32 --print-ids 2>/dev/null)
  if [ "$got" = "$want" ]; then ok; else bad "greedy $model $seq: got $got want $want"; fi
done < tests/data/ref/greedy.txt

# Steered greedy continuations (--steer, --steer-positions, --scale-mode) equal PyTorch hooks.
while read -r model case spec positions mode prompt want; do
  case "$model" in '#'*|'') continue ;; esac
  args=()
  IFS=';' read -ra parts <<< "$spec"
  for p in "${parts[@]}"; do args+=(--steer "tests/data/steer/$model.directions.safetensors:$p"); done
  got=$("$Q" generate --model "tests/data/models/$model" --prompt-ids "$prompt" --temperature 0 --max-tokens 32 \
        --print-ids "${args[@]}" --steer-positions "$positions" --scale-mode "$mode" 2>/dev/null)
  if [ "$got" = "$want" ]; then ok; else bad "steered greedy $model $case: got $got want $want"; fi
done < tests/data/steer/greedy_steer.txt
# The same steering from a llama.cpp control vector written by qsteer gives the same ids.
d=tests/data/steer/tiny-untied-f32.directions.safetensors
tmpg=$(mktemp --suffix=.gguf)
"$Q" directions convert "$d" "$tmpg" --skip-unexportable >/dev/null 2>&1 && ok || bad "directions convert to gguf failed"
a=$("$Q" generate --model tests/data/models/tiny-untied-f32 --prompt-ids 9,8,7 --temperature 0 --max-tokens 12 --print-ids --steer "$d:2-3:1.5")
b=$("$Q" generate --model tests/data/models/tiny-untied-f32 --prompt-ids 9,8,7 --temperature 0 --max-tokens 12 --print-ids --steer "$tmpg:2-3:1.5")
[ -n "$a" ] && [ "$a" = "$b" ] && ok || bad "gguf and safetensors steering differ: $a / $b"
expect_fail "export of layer 0 to gguf" "cannot be written" "$Q" directions convert "$d" "$tmpg"
rm -f "$tmpg"
expect_fail "steer spec without scale" "FILE:LAYERS:SCALE" "$Q" generate --model tests/data/models/tiny-untied-f32 --prompt-ids 1 --print-ids --steer "$d:3"
expect_fail "steer layer beyond model" "beyond" "$Q" generate --model tests/data/models/tiny-untied-f32 --prompt-ids 1 --print-ids --steer "$d:9:1"
expect_fail "steer file missing" "cannot open" "$Q" generate --model tests/data/models/tiny-untied-f32 --prompt-ids 1 --print-ids --steer "/nonexistent.safetensors:1:1"
expect_fail "steer wrong model" "hidden_size" "$Q" generate --model tests/data/models/tiny-tied-f32 --prompt-ids 1 --print-ids --steer "$d:1:1"

# Same seed, same sampled tokens; another seed, (almost surely) other tokens.
m=tests/data/models/tiny-untied-f32
a=$("$Q" generate --model $m --prompt-ids 5,6,7 --temperature 1 --top-k 0 --top-p 1 --seed 7 --max-tokens 24 --print-ids)
b=$("$Q" generate --model $m --prompt-ids 5,6,7 --temperature 1 --top-k 0 --top-p 1 --seed 7 --max-tokens 24 --print-ids)
c=$("$Q" generate --model $m --prompt-ids 5,6,7 --temperature 1 --top-k 0 --top-p 1 --seed 8 --max-tokens 24 --print-ids)
[ -n "$a" ] && [ "$a" = "$b" ] && ok || bad "same seed gave different tokens: $a / $b"
[ "$a" != "$c" ] && ok || bad "seeds 7 and 8 gave the same 24 tokens"
# top-k 1 is greedy whatever the temperature
g=$("$Q" generate --model $m --prompt-ids 5,6,7 --temperature 0 --max-tokens 16 --print-ids)
k1=$("$Q" generate --model $m --prompt-ids 5,6,7 --temperature 1.5 --top-k 1 --seed 3 --max-tokens 16 --print-ids)
[ "$g" = "$k1" ] && ok || bad "top-k 1 differs from greedy: $k1 / $g"
# every kernel level gives the same greedy ids
for lv in ref avx2 avx512; do
  r=$("$Q" generate --model $m --prompt-ids 5,6,7 --temperature 0 --max-tokens 16 --print-ids --kernels $lv)
  [ "$r" = "$g" ] && ok || bad "--kernels $lv greedy differs: $r / $g"
done

# 8-bit weights run end to end (their accuracy against HF is checked in test_real_model)
q8=$("$Q" generate --model tests/data/models/tiny-untied-f32 --prompt-ids 9,8,7 --temperature 0 --max-tokens 12 --print-ids --weights q8 2>/dev/null)
n=$(echo "$q8" | tr ',' '\n' | grep -c '^[0-9][0-9]*$')
[ "$n" = 12 ] && ok || bad "--weights q8: expected 12 ids, got '$q8'"
# A weight that 8-bit scales cannot hold (NaN here) is an error naming the tensor, not a wrong answer.
tmpm=$(mktemp -d)
cp tests/data/models/tiny-tied-f32/* "$tmpm"/
python3 - "$tmpm/model.safetensors" <<'PY'
import json, struct, sys
f = open(sys.argv[1], "r+b")
n = struct.unpack("<Q", f.read(8))[0]
t = json.loads(f.read(n))["model.layers.1.mlp.up_proj.weight"]
f.seek(8 + n + t["data_offsets"][0] + 4 * 5)
f.write(struct.pack("<f", float("nan")))
PY
expect_fail "q8 of a NaN weight" "model.safetensors: tensor model.layers.1.mlp.up_proj.weight, row 0" \
  "$Q" generate --model "$tmpm" --prompt-ids 1 --print-ids --weights q8
rm -rf "$tmpm"
expect_fail "bad --weights" "native or q8" "$Q" generate --model tests/data/models/tiny-untied-f32 --prompt-ids 1 --weights q4

# Help and usage
"$Q" --help | grep -q "generate" && ok || bad "qsteer --help does not list generate"
"$Q" generate --help | grep -q -- "--prompt-ids" && ok || bad "generate --help lacks --prompt-ids"
for opt in --model --prompt --prompt-ids --chat --max-tokens --temperature --top-k --top-p --seed --print-ids --stop --threads; do
  "$Q" generate --help | grep -q -- "$opt" && ok || bad "generate --help does not explain $opt"
done

# Bad input: clear message, non-zero exit, no crash
expect_fail "no model" "--model" "$Q" generate --prompt-ids 1
expect_fail "missing model dir" "config.json" "$Q" generate --model /nonexistent --prompt-ids 1 --print-ids
expect_fail "token id beyond vocab" "vocabulary" "$Q" generate --model $m --prompt-ids 1,99999 --print-ids
expect_fail "malformed ids" "--prompt-ids" "$Q" generate --model $m --prompt-ids 1,,2 --print-ids
expect_fail "text prompt without tokenizer" "tokenizer.json" "$Q" generate --model $m --prompt hello
expect_fail "bad temperature" "--temperature" "$Q" generate --model $m --prompt-ids 1 --temperature -1
expect_fail "bad top-p" "--top-p" "$Q" generate --model $m --prompt-ids 1 --top-p 0
expect_fail "prompt longer than context" "context" "$Q" generate --model $m --prompt-ids 1,2,3,4,5 --ctx 4 --print-ids
expect_fail "unknown command" "unknown command" "$Q" frobnicate
expect_fail "unknown option" "" "$Q" generate --frobnicate

echo "test_cli: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
