//! placeholder
#![cfg_attr(target_arch = "wasm32", no_main)]
fn main() {}
