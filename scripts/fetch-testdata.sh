#!/usr/bin/env bash
# Makes testdata/ (not committed: see .gitignore) for the face detector's tests and benchmarks:
#   testdata/faces/     photos with one main face (scikit-image, Matplotlib, face_recognition and node-opencv
#                       samples; single faces cut out of rustface's 1927 Solvay conference photo)
#   testdata/groups/    several, often small, faces (the whole Solvay photo, OpenCV's messi5, ...)
#   testdata/nonfaces/  no human face (textures, objects, a cat, a baboon, a painting of a starry night)
#   testdata/MANIFEST.json  per image: kind, face count, registry, package, version, path in the
#                       package, its sha256, licences, and how it was derived (crop, painted-out boxes)
#   testdata/reference/ per image: the 128x128 letterboxed input and the raw outputs of MediaPipe's
#                       face_detection_short_range.tflite run by the TFLite interpreter (PyPI ai-edge-litert),
#                       the independent runtime the Rust detector is compared with
# Everything comes from package registries, pinned: PyPI wheels and sdists, a crates.io crate, Debian
# packages (`apt-get download`, no root needed; needs `apt-get update` to have run once) and the npm
# package of the model. The work is in scripts/face/testdata.py (pinned venv: scripts/face/venv.sh);
# downloads are cached in target/face-tools/. Quick when nothing changed (a stamp).
#   --force  rebuild even if the stamp says testdata/ is up to date
set -euo pipefail
cd "$(dirname "$0")/.."

package=@mediapipe/face_detection
version=0.4.1657300184
file=face_detection_short_range.tflite
tflite_sha256=3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633

. scripts/face/venv.sh
out=testdata
stamp=$out/.stamp
stamp_now() {
  for f in scripts/fetch-testdata.sh scripts/face/testdata.py scripts/face/requirements.txt; do
    sha256_of "$f"
  done | sha256sum | cut -d' ' -f1
}
if [ "${1:-}" != "--force" ] && [ -f "$out/MANIFEST.json" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$(stamp_now)" ]; then
  echo "testdata/: up to date ($(find "$out" -name '*.png' | wc -l) images, $(du -sk "$out" | cut -f1) KiB)"
  exit 0
fi

# The original model, from npm (the same cache as scripts/vendor-models.sh).
npm_cache=$FACE_TOOLS/npm
tarball=$npm_cache/mediapipe-face_detection-$version.tgz
if [ ! -f "$tarball" ]; then
  mkdir -p "$npm_cache"
  echo "npm pack $package@$version"
  (cd "$npm_cache" && npm pack --silent "$package@$version" >/dev/null)
fi
src=$npm_cache/face_detection-$version
if [ ! -f "$src/package/$file" ]; then
  mkdir -p "$src"
  tar -xzf "$tarball" -C "$src" "package/$file"
fi
if [ "$(sha256_of "$src/package/$file")" != "$tflite_sha256" ]; then
  echo "error: $src/package/$file is not the pinned $file (sha256 $tflite_sha256)" >&2
  exit 1
fi

face_venv
rm -f "$stamp"
mkdir -p "$out"
"$PY" scripts/face/testdata.py --cache "$FACE_TOOLS/downloads" --out "$out" --tflite "$src/package/$file"
stamp_now >"$stamp"
echo "testdata/: $(du -sk "$out" | cut -f1) KiB"
