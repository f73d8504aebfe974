#!/usr/bin/env bash
# Builds pkg/: the phone module as an ES module for the browser (JS glue, TypeScript types,
# optimised wasm), with the pinned wasm-bindgen CLI and binaryen's wasm-opt (npm, tools/), and records the
# hash of the sources it was built from in pkg/SOURCE_HASH (crates/relay/tests/relay/pkg_fresh.rs fails when the
# sources have moved on). Prints the sizes, gzip -9.
#
#   ./scripts/build-pkg.sh          build pkg/
#   ./scripts/build-pkg.sh --hash   print the hash of the current sources only
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

# The packages of this workspace that the wasm module is built from: the phone module and the
# local crates it depends on for wasm32 (cargo metadata's resolve graph), not a hand-kept list.
wasm_package_dirs() {
  cargo metadata --locked --format-version 1 --filter-platform wasm32-unknown-unknown | python3 -c '
import json, os, sys
meta = json.load(sys.stdin)
packages = {p["id"]: p for p in meta["packages"]}
nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
root = next(p["id"] for p in meta["packages"] if p["name"] == "zj-attendance")
seen, todo = set(), [root]
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
# protobuf schema, and the lockfile.
source_hash() {
  {
    for dir in $(wasm_package_dirs); do
      printf '%s\n' "$dir/Cargo.toml"
      [ -f "$dir/build.rs" ] && printf '%s\n' "$dir/build.rs"
      find "$dir/src" -type f
    done
    find proto -type f
    printf '%s\n' Cargo.lock
  } | sed 's|^\./||' | LC_ALL=C sort -u \
    | while IFS= read -r file; do printf '%s\0' "$file"; cat "$file"; printf '\0'; done \
    | md5sum | cut -d ' ' -f 1
}

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
cargo build --locked -p zj-attendance --lib --target wasm32-unknown-unknown --profile wasm-release
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
rm -rf pkg
wasm-bindgen --target web --out-dir pkg \
  "$target_dir/wasm32-unknown-unknown/wasm-release/zj_attendance.wasm"
# The features rustc enables by default for wasm32, named.
"$wasm_opt" -Oz --strip-debug --strip-producers \
  --enable-bulk-memory --enable-mutable-globals --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-reference-types --enable-multivalue \
  pkg/zj_attendance_bg.wasm -o pkg/zj_attendance_bg.wasm
rm -f pkg/.gitignore
source_hash >pkg/SOURCE_HASH

total=0
for file in pkg/zj_attendance.js pkg/zj_attendance_bg.wasm; do
  size=$(gzip -9 -c "$file" | wc -c)
  total=$((total + size))
  printf '%-32s %8d bytes, %7d gzip -9\n' "$file" "$(wc -c <"$file")" "$size"
done
printf '%-32s %25d gzip -9 (aim: <= 122880)\n' "pkg total (JS + wasm)" "$total"
