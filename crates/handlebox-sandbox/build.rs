//! Builds the guest (`crates/handlebox-guest`) for `wasm32-wasip1` in release
//! mode and hands its path to the crate as `HANDLEBOX_GUEST_WASM`.
//!
//! When the toolchain lacks the target's standard library (rustup with
//! `RUSTUP_AUTO_INSTALL=0` installs nothing by itself), the script adds it
//! with `rustup target add`, says so in a cargo warning, and stops with a
//! one-line remedy when rustup is missing or the download fails.
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
    let bytes = std::fs::read(&wasm).unwrap_or_else(|e| {
        fail(&format!(
            "cannot read the guest module {}: {e}",
            wasm.display()
        ))
    });
    let copy = out_dir.join("handlebox_guest.wasm");
    std::fs::write(&copy, &bytes)
        .unwrap_or_else(|e| fail(&format!("cannot write {}: {e}", copy.display())));
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
    ensure_target();
    let target_dir = guest_target_dir(out_dir);
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(&guest)
        .args(["build", "--release", "--target", TARGET])
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
        .unwrap_or_else(|e| fail(&format!("cannot run cargo to build the guest: {e}")));
    if !status.success() {
        fail(&format!(
            "building the guest for {TARGET} failed ({status}); cargo's messages above say why"
        ));
    }
    target_dir.join(TARGET).join("release/handlebox_guest.wasm")
}

/// The guest's target triple.
const TARGET: &str = "wasm32-wasip1";

/// Makes sure the toolchain building us has the guest target's standard
/// library, installing it through rustup when it does not.
fn ensure_target() {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    if target_installed(&rustc) {
        return;
    }
    let toolchain = env::var("RUSTUP_TOOLCHAIN").ok();
    let shown = toolchain.as_deref().unwrap_or("the active toolchain");
    println!(
        "cargo:warning=the {TARGET} target is missing from {shown}; \
         installing it with `rustup target add {TARGET}` (once per toolchain)"
    );
    let mut rustup = Command::new("rustup");
    rustup.args(["target", "add", TARGET]);
    if let Some(toolchain) = &toolchain {
        rustup.args(["--toolchain", toolchain]);
    }
    let remedy = format!(
        "install rustup (https://rustup.rs) or add the target by hand: \
         `rustup target add {TARGET}`"
    );
    match rustup.status() {
        Err(e) => fail(&format!(
            "the {TARGET} target is missing and rustup could not be run ({e}); {remedy}"
        )),
        Ok(status) if !status.success() => fail(&format!(
            "the {TARGET} target is missing and `rustup target add {TARGET}` failed ({status}); \
             check the network to the rustup server, or {remedy}"
        )),
        Ok(_) if !target_installed(&rustc) => fail(&format!(
            "`rustup target add {TARGET}` ran, but {} still has no {TARGET} standard library; \
             {remedy}",
            rustc.to_string_lossy()
        )),
        Ok(_) => {}
    }
}

/// Whether `rustc`'s sysroot holds the guest target's standard library.
fn target_installed(rustc: &std::ffi::OsStr) -> bool {
    let output = Command::new(rustc)
        .args(["--print", "target-libdir", "--target", TARGET])
        .output();
    let Ok(output) = output else { return false };
    let libdir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    output.status.success()
        && std::fs::read_dir(libdir).is_ok_and(|entries| {
            entries.flatten().any(|entry| {
                entry
                    .file_name()
                    .to_str()
                    .is_some_and(|name| name.starts_with("libstd-") && name.ends_with(".rlib"))
            })
        })
}

/// Stops the build with one line that says what failed and what to do.
fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1)
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
            let root = if root.file_name().is_some_and(|n| n == TARGET) {
                root.parent().unwrap_or(root)
            } else {
                root
            };
            root.join("handlebox-guest")
        }
        _ => out_dir.join("guest-target"),
    }
}
