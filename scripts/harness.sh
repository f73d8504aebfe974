# Sourced by scripts/test.sh and benches/wasm.sh: builds and starts `relay demo` (relay and
# platform simulator) and `crates/relay/examples/flaky_relay.rs` in front of it, for the browser tests and
# benchmarks, and exports their addresses (ZJ_DEMO_JSON: the demo's first stdout line;
# ZJ_FLAKY_URL). Both stop when the sourcing script exits. HARNESS_PROFILE=release builds
# them optimised (the benchmarks); the tests use the debug build they already have.

harness_profile=${HARNESS_PROFILE:-debug}
if [ "$harness_profile" = release ]; then
  cargo build --locked --release --bin relay --example flaky_relay
else
  cargo build --locked --bin relay --example flaky_relay
fi
harness_target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/$harness_profile
harness_dir=$(mktemp -d)
"$harness_target_dir/relay" demo --port 0 --data-dir "$harness_dir/data" \
  --frames-per-minute 10000000 --frames-burst 1000000 >"$harness_dir/demo.out" 2>"$harness_dir/demo.err" &
harness_demo_pid=$!
trap 'kill $harness_demo_pid ${harness_flaky_pid:-} 2>/dev/null || true; rm -rf "$harness_dir"' EXIT

# The first stdout line of a process started in the background, waiting up to 10 s.
harness_first_line() {
  for _ in $(seq 1 100); do
    if [ -s "$1" ]; then head -n 1 "$1"; return 0; fi
    sleep 0.1
  done
  echo "no output in $1:" >&2
  cat "${1%.out}.err" >&2 || true
  return 1
}

ZJ_DEMO_JSON=$(harness_first_line "$harness_dir/demo.out")
harness_relay_url=$(printf '%s' "$ZJ_DEMO_JSON" | sed 's/^{"url":"\([^"]*\)".*/\1/')
"$harness_target_dir/examples/flaky_relay" "$harness_relay_url" \
  >"$harness_dir/flaky.out" 2>"$harness_dir/flaky.err" &
harness_flaky_pid=$!
ZJ_FLAKY_URL=$(harness_first_line "$harness_dir/flaky.out")
export ZJ_DEMO_JSON ZJ_FLAKY_URL
