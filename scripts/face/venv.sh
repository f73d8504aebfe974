# Sourced by scripts/vendor-models.sh and scripts/fetch-testdata.sh (from the repository root).
# face_venv: makes target/face-tools/venv with the exact packages of scripts/face/requirements.txt
# (TFLite parser `tflite`, the TFLite interpreter `ai-edge-litert`, numpy, Pillow), once; later calls
# only compare a stamp. Sets PY to the venv's python. FACE_TOOLS overrides the cache directory.
FACE_TOOLS=${FACE_TOOLS:-target/face-tools}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

face_venv() {
  local venv=$FACE_TOOLS/venv req=scripts/face/requirements.txt
  local want
  want=$(sha256_of "$req")
  PY=$venv/bin/python
  if [ -x "$PY" ] && [ "$(cat "$venv/.requirements-sha256" 2>/dev/null)" = "$want" ]; then
    return
  fi
  echo "face-tools: creating $venv from $req"
  rm -rf "$venv"
  mkdir -p "$FACE_TOOLS"
  "${PYTHON:-python3}" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$req"
  "$venv/bin/pip" check --disable-pip-version-check >/dev/null
  echo "$want" >"$venv/.requirements-sha256"
  echo "face-tools: installed $(grep -c '==' "$req") pinned packages"
}
