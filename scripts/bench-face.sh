#!/usr/bin/env bash
# Face-detection benchmark: MediaPipe's own wasm face detector (npm @mediapipe/face_detection,
# model "short", its SIMD and non-SIMD wasm, CPU and WebGL inference) timed per 640×480 frame
# in headless Debian Chromium (playwright-core), beside ours (pkg/: detectFaces, its SIMD and
# scalar detector module) on the same frames in the same run. Everything is served locally
# (e2e/node_modules, pkg/, testdata/).
#
#   ./scripts/bench-face.sh                         images from testdata/faces/ (scripts/fetch-testdata.sh)
#   ./scripts/bench-face.sh --images some.png --frames 100 --ours simd=/pkg/zj_attendance.js
#
# Prints a table; writes e2e/artifacts/bench-face.json, e2e/artifacts/mediapipe-detections.json
# and the exact frames as e2e/artifacts/bench-face-frames/*.png. Arguments go to e2e/bench-face.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v node >/dev/null && command -v npm >/dev/null || { echo "needs Node.js and npm (apt-get install nodejs npm)" >&2; exit 1; }
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || { echo "needs Chromium at ${CHROMIUM:-/usr/bin/chromium} (apt-get install chromium)" >&2; exit 1; }

# npm ci when e2e/node_modules is missing or older than the lockfile, or lacks MediaPipe.
if [ ! -f e2e/node_modules/@mediapipe/face_detection/face_detection.js ] ||
  [ ! -f e2e/node_modules/.package-lock.json ] ||
  [ e2e/package-lock.json -nt e2e/node_modules/.package-lock.json ]; then
  (cd e2e && npm ci --no-audit --no-fund --loglevel=error)
fi

exec node e2e/bench-face.mjs "$@"
