#!/usr/bin/env bash
# The phone module's benchmarks in headless Chromium (tests/bench_wasm.rs, optimised build),
# beside the native criterion figures for the same fences, and the size of pkg/.
#   ./benches/wasm.sh                       60,000 records through the outbox
#   ZJ_BENCH_RECORDS=5000 ./benches/wasm.sh a shorter outbox run
#   ZJ_BENCH_DRAIN=0 ./benches/wasm.sh      the enqueue without the drain
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export CHROMEDRIVER=/usr/bin/chromedriver
export WASM_BINDGEN_TEST_TIMEOUT=${WASM_BINDGEN_TEST_TIMEOUT:-7200}

# shellcheck source=scripts/harness.sh
HARNESS_PROFILE=release source scripts/harness.sh

cargo bench --locked --bench geofence -- --noplot geofence_check >/dev/null
WASM_BINDGEN_TEST_WEBDRIVER_JSON="$PWD/webdriver.json" cargo test --locked --release --target wasm32-unknown-unknown -p zj-attendance --test bench_wasm -- --nocapture 2>&1 \
  | tee "$harness_dir/wasm.log" | grep BENCH || { cat "$harness_dir/wasm.log"; exit 1; }

target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
WASM_LOG="$harness_dir/wasm.log" CRITERION="$target_dir/criterion" python3 - <<'PY'
import json, os, pathlib, re
log = pathlib.Path(os.environ["WASM_LOG"]).read_text()
for vertices in (10, 100, 1000):
    native = json.loads((pathlib.Path(os.environ["CRITERION"]) / "geofence_check" / str(vertices)
                         / "new/estimates.json").read_text())["median"]["point_estimate"] / 1000
    wasm = float(re.search(rf"geofence_check/{vertices}: ([0-9.]+)", log).group(1))
    print(f"fence check, {vertices:>5} vertices: native {native:.3} µs, wasm {wasm:.3} µs, "
          f"wasm/native {wasm / native:.2f} (aim <= 3)")
PY

total=0
for file in pkg/zj_attendance.js pkg/zj_attendance_bg.wasm; do
  total=$((total + $(gzip -9 -c "$file" | wc -c)))
done
echo "pkg/ (JS + wasm), gzip -9: $total bytes (aim <= 122880)"
