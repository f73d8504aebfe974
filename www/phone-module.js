// Loads the phone module (pkg/). Works around a defect of the committed pkg/ build: its wasm
// exports `__wbindgen_externrefs` as the function table (table 0, fixed size) instead of the
// externref table, so wasm-bindgen's start-up `table.grow(4)` throws "failed to grow table".
// The loader fetches the wasm, points that export at the externref table (a one-byte change),
// and hands the bytes to wasm-bindgen's init. Harmless on a fixed build: it changes nothing
// when the export already names an externref table. Remove once pkg/ is rebuilt correctly.

import init from "/pkg/zj_attendance.js";

const WASM_URL = "/pkg/zj_attendance_bg.wasm";
const EXTERNREF = 0x6f;
const TABLE_SECTION = 4;
const EXPORT_SECTION = 7;
const TABLE_EXPORT = 1;

function leb(bytes, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[at++];
    value |= (byte & 0x7f) << shift;
    shift += 7;
    if (byte < 0x80) return [value, at];
  }
}

/** The element types of the module's own tables, in index order (imported tables: none here). */
function tableTypes(bytes, at) {
  const types = [];
  let [count, i] = leb(bytes, at);
  while (count--) {
    types.push(bytes[i]);
    const flags = bytes[i + 1];
    [, i] = leb(bytes, i + 2);
    if (flags & 1) [, i] = leb(bytes, i);
  }
  return types;
}

/** Repoints the `__wbindgen_externrefs` export at the externref table, in place. */
export function fixExternrefExport(bytes) {
  let types = [];
  for (let at = 8; at < bytes.length; ) {
    const id = bytes[at];
    const [size, body] = leb(bytes, at + 1);
    if (id === TABLE_SECTION) types = tableTypes(bytes, body);
    if (id === EXPORT_SECTION) {
      let [count, i] = leb(bytes, body);
      while (count--) {
        const [length, name] = leb(bytes, i);
        const text = new TextDecoder().decode(bytes.subarray(name, name + length));
        const kind = bytes[name + length];
        const [index, next] = leb(bytes, name + length + 1);
        const externref = types.indexOf(EXTERNREF);
        const oneByte = next - (name + length + 1) === 1;
        if (text === "__wbindgen_externrefs" && kind === TABLE_EXPORT && types[index] !== EXTERNREF && externref >= 0 && externref < 128 && oneByte) {
          bytes[name + length + 1] = externref;
        }
        i = next;
      }
    }
    at = body + size;
  }
  return bytes;
}

/** Initialises the phone module once; resolves when its exports can be used. */
export async function loadPhoneModule() {
  const response = await fetch(WASM_URL);
  if (!response.ok) throw new Error(`${WASM_URL}: HTTP ${response.status}`);
  const bytes = fixExternrefExport(new Uint8Array(await response.arrayBuffer()));
  await init({ module_or_path: bytes });
}
