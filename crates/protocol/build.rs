//! Compiles `proto/platform.proto` with protox (a pure-Rust protobuf compiler, so no system
//! `protoc` is needed) and generates the prost message types into `OUT_DIR`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=../../proto/platform.proto");
    let descriptors = protox::compile(["platform.proto"], ["../../proto"])?;
    prost_build::Config::new().compile_fds(descriptors)?;
    Ok(())
}
