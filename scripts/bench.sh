#!/usr/bin/env bash
# Runs the criterion benchmarks and prints each comparison's figures and ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --locked --bench sign_in_decode -- --noplot "$@"
python3 - <<'PY'
import json, pathlib
def mean_ns(name):
    path = pathlib.Path("target/criterion/c_sign_in_60kb") / name / "new/estimates.json"
    return json.loads(path.read_text())["median"]["point_estimate"]
prost, ours = mean_ns("prost_decode"), mean_ns("decode_and_verify")
print(f"C_SIGN_IN with a 60 KB photo: prost decode {prost/1000:.2f} µs, "
      f"decode + verify {ours/1000:.2f} µs, ratio (prost time / ours) {prost/ours:.2f}")
PY
