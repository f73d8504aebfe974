#!/usr/bin/env bash
# Copies the pages' third-party browser libraries from web/node_modules (installed from
# web/package-lock.json) into www/vendor/, which the relay builds into its binary:
#   Leaflet (the map), Leaflet-Geoman (drawing and editing polygons with holes),
#   qrcode-generator (enrollment codes as QR codes), all three for the manager's page; and
#   jweixin-module (WeChat's JS-SDK 1.6.0, loaded by the clock-in page inside WeChat only, so
#   it never comes from WeChat's own servers at run time). Each with its licence.
# Run after changing web/package.json; the copies are committed so a fresh clone's
# `cargo run --bin relay -- demo` serves a complete manager page without npm.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d web/node_modules ] || [ "${1:-}" = "--install" ]; then
  (cd web && npm ci --no-audit --no-fund)
fi

modules=web/node_modules
out=www/vendor
rm -rf "$out"
mkdir -p "$out/leaflet/images" "$out/geoman" "$out/qrcode" "$out/weixin"

cp "$modules/leaflet/dist/leaflet.js" "$modules/leaflet/dist/leaflet.css" "$out/leaflet/"
cp "$modules/leaflet/dist/images/"*.png "$out/leaflet/images/"
cp "$modules/leaflet/LICENSE" "$out/leaflet/LICENSE"

geoman=$modules/@geoman-io/leaflet-geoman-free
cp "$geoman/dist/leaflet-geoman.min.js" "$geoman/dist/leaflet-geoman.css" "$out/geoman/"
cp "$geoman/LICENSE" "$out/geoman/LICENSE"

cp "$modules/qrcode-generator/dist/qrcode.js" "$out/qrcode/"
# qrcode-generator ships no LICENSE file: its MIT notice is at the top of qrcode.js.

cp "$modules/jweixin-module/lib/index.js" "$out/weixin/jweixin.js"
# jweixin-module ships no LICENSE file: its package.json says ISC (the SDK itself is Tencent's).

# Versions, for whoever reads the vendored copies.
node -e '
  const lock = require("./web/package-lock.json").packages;
  for (const name of ["leaflet", "@geoman-io/leaflet-geoman-free", "qrcode-generator", "jweixin-module"])
    console.log(`${name} ${lock["node_modules/" + name].version}`);
' > "$out/VERSIONS"
echo "www/vendor: $(du -sk "$out" | cut -f1) KiB"
