//! Rebuilds when a migration is added (`sqlx::migrate!` embeds the folders at compile time),
//! and compiles the gRPC gateway's `proto/notify/v1/notify.proto` with protox (pure Rust, no
//! `protoc`): the server and client code, and the descriptor set that reflection serves.
//!
//! It must not need anything installed: no `protoc`, no network.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=../proto");
    let descriptors = protox::compile(["notify/v1/notify.proto"], ["../proto"])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out.join("notify_descriptor.bin"),
        prost::Message::encode_to_vec(&descriptors),
    )?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}
