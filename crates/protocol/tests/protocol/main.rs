//! The protocol core's tests, natively and as wasm in headless Chromium: the frame codec, the
//! §3 signatures and param′, the dictionaries, error codes and JSON forms, `timeStamp`, the
//! device session against the platform handler on a simulated clock, §8's check order, and
//! the phone ⇄ relay JSON types with the one command builder.

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod check_order;
mod codec;
mod device_session;
mod dictionaries;
mod phone_api;
mod sign;
mod time;
