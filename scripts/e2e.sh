#!/usr/bin/env bash
# End-to-end tests of the pages (www/): Playwright (playwright-core from npm, no browser
# download) drives Debian's /usr/bin/chromium headless against `relay demo` instances the tests
# start themselves. Installs what it needs on a fresh machine first: Node.js and npm, Chromium,
# a CJK font (for readable screenshots), the npm packages of web/ and e2e/ (npm ci, from their
# lockfiles), the vendored libraries of www/vendor/, the relay binary, and the fake camera's real
# face (testdata/ from scripts/fetch-testdata.sh when missing, then the frames that
# crates/phone/examples/fake_camera_y4m.rs renders from testdata/faces/astronaut.png).
#
#   ./scripts/e2e.sh                       run the tests; screenshots land in e2e/artifacts/
#   ./scripts/e2e.sh --update-screenshots  also copy the README's screenshots to docs/screenshots/
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n==> %s\n' "$*"; }

apt_install() {
  local sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "$@" >/dev/null
}

missing=()
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)
[ -x /usr/bin/chromium ] || missing+=(chromium)
fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-wqy-microhei)
if [ ${#missing[@]} -gt 0 ]; then
  step "Installing from Debian: ${missing[*]}"
  apt_install "${missing[@]}"
fi

step "npm packages (web/, e2e/) from their lockfiles"
(cd web && npm ci --no-audit --no-fund --loglevel=error)
(cd e2e && npm ci --no-audit --no-fund --loglevel=error)

step "Vendoring the manager page's libraries into www/vendor/"
scripts/vendor-web.sh
if git rev-parse --git-dir >/dev/null 2>&1 && ! git diff --quiet -- www/vendor; then
  echo "www/vendor/ differs from web/package-lock.json: commit the vendored copies" >&2
  exit 1
fi

step "Building the relay (the pages are built into it)"
cargo build --locked --bin relay
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
export RELAY_BIN="$target_dir/debug/relay"

# The fake camera's face (e2e/fake-camera.js): a real photo's frames with the eyes open and
# closed and the head's geometry, in $ZJ_FAKE_FACE_DIR (e2e/harness.mjs reads them).
step "Fake camera: a real face from testdata/faces/astronaut.png"
[ -f testdata/faces/astronaut.png ] || scripts/fetch-testdata.sh
export ZJ_FAKE_FACE_DIR=${ZJ_FAKE_FACE_DIR:-/tmp/zj-fake-face}
cargo run --locked --quiet -p zj-phone --example fake_camera_y4m -- /tmp/zj-fake-camera.y4m "$ZJ_FAKE_FACE_DIR"

# One test file at a time (each starts its own relay demo and browser): the machine has two
# cores, and the liveness check needs the camera's frames on time.
step "End-to-end tests"
rm -rf e2e/artifacts
start=$(date +%s)
for file in e2e/*.test.mjs; do
  node --test "$file"
done
echo "end-to-end tests: $(($(date +%s) - start)) s; screenshots in e2e/artifacts/"

if [ "${1:-}" = "--update-screenshots" ]; then
  mkdir -p docs/screenshots
  for name in phone-360-enroll phone-360-flash phone-360-done phone-360-offline phone-360-spoof-blocked \
    manager-1280-signins manager-1280-amap-hole manager-360-code phone-1280-done \
    manager-1280-sheet manager-1280-punch manager-1280-request manager-1280-work-areas \
    manager-360-sheet manager-360-request phone-360-request-rejected; do
    cp "e2e/artifacts/$name.png" docs/screenshots/
  done
  echo "docs/screenshots/ updated"
fi
