//! Builds the guest (`crates/handlebox-guest`) for `wasm32-wasip1` in release
//! mode and hands its path to the crate as `HANDLEBOX_GUEST_WASM`.
//!
//! The guest gets a target directory of its own next to the outer one (the
//! outer cargo holds a lock on its own), shared by debug, release, test and
//! clippy builds so that Boa is compiled once. `HANDLEBOX_GUEST_WASM` set in
//! the environment skips the build and uses that file instead.

use std::collections::hash_map::DefaultHasher;
use std::env;
use std::hash::Hasher;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=HANDLEBOX_GUEST_WASM");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let wasm = match env::var_os("HANDLEBOX_GUEST_WASM") {
        Some(path) => PathBuf::from(path),
        None => build_guest(&out_dir),
    };
    let bytes = std::fs::read(&wasm)
        .unwrap_or_else(|e| panic!("cannot read the guest module {}: {e}", wasm.display()));
    let copy = out_dir.join("handlebox_guest.wasm");
    std::fs::write(&copy, &bytes).expect("write the guest module into OUT_DIR");
    let mut hasher = DefaultHasher::new();
    hasher.write(&bytes);
    println!("cargo:rustc-env=HANDLEBOX_GUEST_WASM={}", copy.display());
    println!(
        "cargo:rustc-env=HANDLEBOX_GUEST_HASH={:016x}",
        hasher.finish()
    );
}

fn build_guest(out_dir: &Path) -> PathBuf {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let guest = manifest_dir.join("../handlebox-guest");
    let protocol = manifest_dir.join("../handlebox-protocol");
    for path in [
        guest.join("src"),
        guest.join("Cargo.toml"),
        guest.join("Cargo.lock"),
        guest.join(".cargo/config.toml"),
        protocol.join("src"),
        protocol.join("Cargo.toml"),
    ] {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    let target_dir = guest_target_dir(out_dir);
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(&guest)
        .args(["build", "--release", "--target", "wasm32-wasip1"])
        .arg("--target-dir")
        .arg(&target_dir);
    if guest.join("Cargo.lock").exists() {
        command.arg("--locked");
    }
    // The outer build's flags and wrappers (clippy-driver, coverage, host
    // target) are not meant for the guest.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_RUSTFLAGS",
    ] {
        command.env_remove(var);
    }
    let status = command
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo to build the guest: {e}"));
    assert!(
        status.success(),
        "building the guest for wasm32-wasip1 failed ({status}); \
         is the target installed? `rustup target add wasm32-wasip1`"
    );
    target_dir.join("wasm32-wasip1/release/handlebox_guest.wasm")
}

/// `<target>/handlebox-guest` for an OUT_DIR of the usual
/// `<target>/[<triple>/]<profile>/build/<package>-<hash>/out` shape,
/// otherwise a directory inside OUT_DIR.
fn guest_target_dir(out_dir: &Path) -> PathBuf {
    let mut ancestors = out_dir.ancestors();
    let build = ancestors.nth(2);
    let profile = ancestors.next();
    match (build, profile.and_then(Path::parent)) {
        (Some(build), Some(root)) if build.file_name().is_some_and(|n| n == "build") => {
            let root = if root.file_name().is_some_and(|n| n == "wasm32-wasip1") {
                root.parent().unwrap_or(root)
            } else {
                root
            };
            root.join("handlebox-guest")
        }
        _ => out_dir.join("guest-target"),
    }
}
