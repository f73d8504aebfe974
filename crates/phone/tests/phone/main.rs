//! The phone's pure logic, natively and as wasm in headless Chromium: record building and
//! location warnings, the outbox policy on its in-memory twin, and liveness on synthetic frame
//! sequences.

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod liveness;
mod liveness_common;
mod liveness_sessions;
mod record_common;
mod record_draft;
mod record_outbox;
