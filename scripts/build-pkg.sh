#!/usr/bin/env bash
# Builds pkg/: the phone module as an ES module for the browser (JS glue minified by terser,
# TypeScript types, optimised wasm), with the pinned wasm-bindgen CLI and binaryen's wasm-opt and terser
# (npm, tools/); the face detector (crates/face-wasm) as two raw wasm modules loaded on first use,
# face-simd.wasm (wasm SIMD) and face-scalar.wasm, its model (models/blazeface-short.zjnn) and
# the face mesh for the blink (models/face-landmark.zjnn);
# and records the hash of the sources it was built from in pkg/SOURCE_HASH
# (crates/relay/tests/relay/pkg_fresh.rs fails when the sources have moved on). Prints the sizes, gzip -9.
#
#   ./scripts/build-pkg.sh          build pkg/
#   ./scripts/build-pkg.sh --hash   print the hash of the current sources only
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

# The packages of this workspace that the wasm modules are built from: the phone module, the face
# detector module and the local crates they depend on for wasm32 (cargo metadata's resolve
# graph), not a hand-kept list.
wasm_package_dirs() {
  cargo metadata --locked --format-version 1 --filter-platform wasm32-unknown-unknown | python3 -c '
import json, os, sys
meta = json.load(sys.stdin)
packages = {p["id"]: p for p in meta["packages"]}
nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
roots = [p["id"] for p in meta["packages"] if p["name"] in ("zj-attendance", "zj-face-wasm")]
seen, todo = set(), list(roots)
while todo:
    node = todo.pop()
    if node in seen:
        continue
    seen.add(node)
    for dep in nodes[node]["deps"]:
        local = packages[dep["pkg"]]["source"] is None
        built = any(kind["kind"] in (None, "build") for kind in dep["dep_kinds"])
        if local and built:
            todo.append(dep["pkg"])
top = os.path.realpath(".")
for node in sorted(seen):
    print(os.path.relpath(os.path.dirname(packages[node]["manifest_path"]), top))
'
}

# What a build of those packages reads: their manifests, build scripts and sources, the
# protobuf schema, the model, the lockfiles (cargo's, and the build tools': wasm-opt and
# terser shape the output), and the build's profiles (the top Cargo.toml).
source_hash() {
  {
    for dir in $(wasm_package_dirs); do
      printf '%s\n' "$dir/Cargo.toml"
      [ -f "$dir/build.rs" ] && printf '%s\n' "$dir/build.rs"
      find "$dir/src" -type f
    done
    find proto -type f
    printf '%s\n' Cargo.lock tools/package-lock.json "$model" "$mesh"
  } | sed 's|^\./||' | LC_ALL=C sort -u \
    | while IFS= read -r file; do printf '%s\0' "$file"; cat "$file"; printf '\0'; done \
    | md5sum | cut -d ' ' -f 1
}

# The face detector's model and the face mesh for the blink, served beside the detector
# (scripts/vendor-models.sh makes them).
model=models/blazeface-short.zjnn
mesh=models/face-landmark.zjnn

if [ "${1:-}" = "--hash" ]; then
  source_hash
  exit 0
fi

wasm_bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wasm_bindgen_version" ]; then
  cargo install --locked wasm-bindgen-cli --version "$wasm_bindgen_version"
fi
# binaryen's wasm-opt from npm, pinned in tools/package-lock.json (Debian's 108 points
# wasm-bindgen's `__wbindgen_externrefs` export at the wrong table, and the module fails to load).
(cd tools && npm ci --no-audit --no-fund --silent)
wasm_opt=tools/node_modules/.bin/wasm-opt

rustup target add wasm32-unknown-unknown >/dev/null
for file in "$model" "$mesh"; do
  [ -f "$file" ] || { echo "$file is missing: run ./scripts/vendor-models.sh" >&2; exit 1; }
done
cargo build --locked -p zj-attendance --lib --target wasm32-unknown-unknown --profile wasm-release
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')

# The face detector, twice: with wasm SIMD and without (for web-views without it; the phone
# module picks one with WebAssembly.validate). Each flavour has its own target directory, so
# switching RUSTFLAGS does not rebuild the other. Profile face-release: opt-level 3.
for flavour in simd scalar; do
  flags=""
  [ "$flavour" = simd ] && flags="-C target-feature=+simd128"
  CARGO_TARGET_DIR="$target_dir/face-$flavour" RUSTFLAGS="$flags" \
    cargo build --locked -p zj-face-wasm --lib --target wasm32-unknown-unknown --profile face-release
done

rm -rf pkg
wasm-bindgen --target web --out-dir pkg \
  "$target_dir/wasm32-unknown-unknown/wasm-release/zj_attendance.wasm"
# The features rustc enables by default for wasm32, named.
wasm_features=(--enable-bulk-memory --enable-mutable-globals --enable-nontrapping-float-to-int
  --enable-sign-ext --enable-reference-types --enable-multivalue)
# -Os twice is smaller under gzip than -Oz (2.5 KB on 2026-12-03); --low-memory-unused: Rust
# never touches the first 1 KiB of memory (it is the far end of the stack).
"$wasm_opt" -Os -Os --low-memory-unused --strip-debug --strip-producers "${wasm_features[@]}" \
  pkg/zj_attendance_bg.wasm -o pkg/zj_attendance_bg.wasm
# The glue minified; export names, class names and the import object's keys are kept.
tools/node_modules/.bin/terser pkg/zj_attendance.js --module --compress --mangle --keep-classnames \
  --output pkg/zj_attendance.js
rm -f pkg/.gitignore
for flavour in simd scalar; do
  simd=""
  [ "$flavour" = simd ] && simd="--enable-simd"
  # -O3: detection speed first (2026-12-03: -Oz is 0.9 % smaller gzip and 25 % slower with
  # SIMD, 9 % without; no wasm-opt is slower still).
  "$wasm_opt" -O3 --low-memory-unused --strip-debug --strip-producers "${wasm_features[@]}" $simd \
    "$target_dir/face-$flavour/wasm32-unknown-unknown/face-release/zj_face_wasm.wasm" \
    -o "pkg/face-$flavour.wasm"
done
cp "$model" "$mesh" pkg/
source_hash >pkg/SOURCE_HASH

gzip_size() { gzip -9 -c "$1" | wc -c; }
total=0
for file in pkg/zj_attendance.js pkg/zj_attendance_bg.wasm; do
  size=$(gzip_size "$file")
  total=$((total + size))
  printf '%-32s %8d bytes, %7d gzip -9\n' "$file" "$(wc -c <"$file")" "$size"
done
printf '%-32s %25d gzip -9 (aim: <= 266240, 260 KiB)\n' "first load (JS + wasm)" "$total"
for file in pkg/face-simd.wasm pkg/face-scalar.wasm "pkg/${model##*/}" "pkg/${mesh##*/}"; do
  printf '%-32s %8d bytes, %7d gzip -9\n' "$file" "$(wc -c <"$file")" "$(gzip_size "$file")"
done
