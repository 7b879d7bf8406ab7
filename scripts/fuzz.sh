#!/usr/bin/env bash
# Fuzzing: installs clang and libFuzzer if missing (idempotent), builds the libFuzzer harnesses
# (QVIZ_FUZZ=ON, ASan + UBSan) in their own build directory and runs each, one at a time, for
# SECONDS on a working copy of its seed corpus (tests/fuzz/corpus/NAME is never written to).
#   scripts/fuzz.sh [SECONDS] [HARNESS...]    default: 60 seconds, every harness
# Harnesses: gguf image npy safetensors shader_log shader_include annotations settings imgui_ini.
# Environment: QVIZ_FUZZ_BUILD_DIR (default build-fuzz), QVIZ_JOBS (build jobs).
# Results: one line per harness; logs in BUILD/logs/NAME.log, the grown corpus in BUILD/corpus/NAME,
# inputs that crash, leak, time out or run out of memory in BUILD/crashes/. Exits 1 if any did.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QVIZ_FUZZ_BUILD_DIR:-$here/build-fuzz}
jobs=${QVIZ_JOBS:-$(nproc)}
fuzz=$here/tests/fuzz

all=(gguf image npy safetensors shader_log shader_include annotations settings imgui_ini)
declare -A max_len=([gguf]=65536 [image]=65536 [npy]=4096 [safetensors]=16384 [shader_log]=16384
  [shader_include]=32768 [annotations]=16384 [settings]=16384 [imgui_ini]=16384)
declare -A dict=([gguf]=gguf.dict [image]=image.dict [npy]=npy.dict [safetensors]=json.dict [shader_log]=shader_log.dict
  [shader_include]=shader_include.dict [annotations]=annotations.dict [settings]=json.dict
  [imgui_ini]=imgui_ini.dict)

usage() { echo "usage: scripts/fuzz.sh [SECONDS] [HARNESS...]   (harnesses: ${all[*]})" >&2; exit 2; }
seconds=60
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then seconds=$1; shift; fi
[ "$seconds" -gt 0 ] || usage
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=("${all[@]}")
for h in "${harnesses[@]}"; do [ -n "${max_len[$h]:-}" ] || usage; done

# The project's own packages, clang and its libFuzzer / sanitizer runtimes (scripts/dev.sh deps).
deps() { "$here/scripts/dev.sh" deps clang libclang-rt-14-dev; }

build() {
  # -O1 -g without NDEBUG: asserts stay on, stacks stay readable.
  CC=clang CXX=clang++ cmake -S "$here" -B "$build" -G Ninja -DQVIZ_FUZZ=ON -DQVIZ_BUILD_APP=OFF \
    -DQVIZ_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" >/dev/null
  local targets=()
  for h in "${harnesses[@]}"; do targets+=("fuzz_$h"); done
  cmake --build "$build" -j "$jobs" --target "${targets[@]}"
}

# One line for harness $1 from its log, exit status $2 and running time $3; returns 1 when it
# found something.
report() {
  local h=$1 rc=$2 took=$3 log=$build/logs/$1.log
  local execs cov ft units result artifact
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  [ -n "$execs" ] || execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#' || true)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  units=$(find "$build/corpus/$h" -type f | wc -l)
  if [ "$rc" -eq 0 ]; then
    result=ok
  else
    result=$(grep -o -m1 -E 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer): [a-zA-Z-]+|runtime error: .*|invariant failed: .*|detected memory leaks' "$log" | head -1 || true)
    artifact=$(grep -o -m1 'Test unit written to .*' "$log" | sed 's/Test unit written to //' || true)
    result="FAILED (${result:-exit status $rc})${artifact:+ -> $artifact}"
  fi
  printf '%-15s %11s execs in %5ss  cov %6s  ft %7s  corpus %6s  %s\n' "$h" "${execs:-?}" "$took" \
    "${cov:-?}" "${ft:-?}" "$units" "$result"
  [ "$rc" -eq 0 ]
}

deps
build
mkdir -p "$build/logs" "$build/crashes" "$build/corpus"
failed=0
for h in "${harnesses[@]}"; do
  corpus=$build/corpus/$h
  mkdir -p "$corpus"
  # Seeds, plus the inputs of bugs found before (tests/fuzz/regressions/NAME-*), replayed first.
  cp -n "$fuzz/corpus/$h"/* "$fuzz/regressions/$h"-* "$corpus"/ 2>/dev/null || true
  rc=0
  start=$(date +%s)
  UBSAN_OPTIONS=print_stacktrace=1 "$build/bin/fuzz_$h" -max_total_time="$seconds" -rss_limit_mb=2048 \
    -timeout=10 -max_len="${max_len[$h]}" -dict="$fuzz/${dict[$h]}" -print_final_stats=1 \
    -artifact_prefix="$build/crashes/$h-" "$corpus" >"$build/logs/$h.log" 2>&1 || rc=$?
  report "$h" "$rc" "$(($(date +%s) - start))" || failed=1
done
exit $failed
