// Loads the phone module (pkg/) once for the page; every caller awaits the same start-up.

import init from "/pkg/zj_attendance.js";

let started;

/** Initialises the phone module once; resolves when its exports can be used. */
export function loadPhoneModule() {
  started ??= init({ module_or_path: "/pkg/zj_attendance_bg.wasm" });
  return started;
}
