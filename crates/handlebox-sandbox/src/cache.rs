//! The compiled guest, cached on disk so that a process after the first one
//! starts in milliseconds instead of seconds.
//!
//! A cache file is named by the guest's hash and the engine's compatibility
//! hash, so a new guest, a new wasmtime or different engine settings never
//! load a stale file. Files are written to a temporary name and renamed, so a
//! concurrent start never reads half a file, and a lock file makes
//! concurrent first starts wait for one compilation instead of each doing
//! it. A file that fails to load is replaced by a fresh compilation.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use wasmtime::{Engine, Linker, Module};

use crate::host::HostState;
use crate::{SandboxError, snapshot};

/// The guest module, built by this crate's build script.
pub(crate) const GUEST_WASM: &[u8] = include_bytes!(env!("HANDLEBOX_GUEST_WASM"));
const GUEST_HASH: &str = env!("HANDLEBOX_GUEST_HASH");

/// How the module was obtained, for diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleSource {
    /// Loaded from the disk cache.
    Cached,
    /// Compiled now (and written to the cache if there is one).
    Compiled,
}

/// The module every page instantiates.
pub(crate) struct Loaded {
    /// The compiled module.
    pub(crate) module: Module,
    /// Whether it came from the disk cache.
    pub(crate) source: ModuleSource,
    /// Whether it is the prepared snapshot (no `_initialize` to run).
    pub(crate) snapshot: bool,
    /// Why the cache or the snapshot could not be used, if so; the sandbox
    /// works either way.
    pub(crate) warning: Option<SandboxError>,
}

/// Loads the prepared snapshot of the guest from `dir`, or makes it (and
/// stores it there); falls back to the plain guest if no snapshot can be made.
pub(crate) fn load(
    engine: &Engine,
    dir: Option<&Path>,
    linker: &Linker<HostState>,
    memory_bytes: usize,
) -> Result<Loaded, SandboxError> {
    let prepared = cached(engine, dir, "prepared", || {
        let wasm = snapshot::prepared_wasm(engine, linker, GUEST_WASM, memory_bytes)?;
        Module::new(engine, &wasm)
            .map_err(|e| SandboxError::Engine(format!("compiling the snapshot: {e}")))
    });
    match prepared {
        Ok((module, source, warning)) => Ok(Loaded {
            module,
            source,
            snapshot: true,
            warning,
        }),
        Err(snapshot_error) => {
            let (module, source, warning) = cached(engine, dir, "plain", || compile(engine))?;
            Ok(Loaded {
                module,
                source,
                snapshot: false,
                warning: warning.or(Some(snapshot_error)),
            })
        }
    }
}

/// The module cached in `dir` under `tag`, or `build`'s, then cached.
fn cached(
    engine: &Engine,
    dir: Option<&Path>,
    tag: &str,
    build: impl FnOnce() -> Result<Module, SandboxError>,
) -> Result<(Module, ModuleSource, Option<SandboxError>), SandboxError> {
    let Some(dir) = dir else {
        return Ok((build()?, ModuleSource::Compiled, None));
    };
    let path = cache_path(engine, dir, GUEST_HASH, tag);
    // One process builds a missing module while the others wait and then
    // load it, instead of every process compiling it at once. Without a
    // lock (read-only directory) each process builds its own.
    let _lock = lock(dir, &path);
    let mut warning = None;
    if path.exists() {
        // SAFETY: the file was written by `Module::serialize` of this same
        // guest and engine configuration (both are in its name) into the
        // user's own cache directory; wasmtime checks the header and the
        // compatibility of the code before using it.
        match unsafe { Module::deserialize_file(engine, &path) } {
            Ok(module) => return Ok((module, ModuleSource::Cached, None)),
            Err(err) => {
                let _ = std::fs::remove_file(&path);
                warning = Some(SandboxError::Cache {
                    path: path.clone(),
                    message: format!("unreadable cache file replaced: {err}"),
                });
            }
        }
    }
    let module = build()?;
    let stored = store(&module, dir, &path).err();
    Ok((module, ModuleSource::Compiled, stored.or(warning)))
}

/// An exclusive lock on `<path>.lock`, released when dropped.
fn lock(dir: &Path, path: &Path) -> Option<std::fs::File> {
    std::fs::create_dir_all(dir).ok()?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path.with_extension("lock"))
        .ok()?;
    file.lock().ok()?;
    Some(file)
}

fn compile(engine: &Engine) -> Result<Module, SandboxError> {
    Module::new(engine, GUEST_WASM)
        .map_err(|e| SandboxError::Engine(format!("compiling the guest module: {e}")))
}

/// The file for the guest of hash `guest` compiled by `engine`, under `tag`.
fn cache_path(engine: &Engine, dir: &Path, guest: &str, tag: &str) -> PathBuf {
    let mut hasher = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    dir.join(format!(
        "guest-{guest}-{tag}-{:016x}.cwasm",
        hasher.finish()
    ))
}

fn store(module: &Module, dir: &Path, path: &Path) -> Result<(), SandboxError> {
    let fail = |message: String| SandboxError::Cache {
        path: path.to_owned(),
        message,
    };
    std::fs::create_dir_all(dir).map_err(|e| fail(format!("cannot create directory: {e}")))?;
    let bytes = module
        .serialize()
        .map_err(|e| fail(format!("cannot serialize module: {e}")))?;
    let temp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&temp, bytes).map_err(|e| fail(format!("cannot write: {e}")))?;
    std::fs::rename(&temp, path).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        fail(format!("cannot move into place: {e}"))
    })?;
    prune(dir, path);
    Ok(())
}

/// Removes cache files of other guests or engines that nobody has written
/// for a week, so upgrades do not pile up 20 MiB files.
fn prune(dir: &Path, keep: &Path) {
    const WEEK: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ours =
            name.starts_with("guest-") && (name.ends_with(".cwasm") || name.contains(".tmp"));
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > WEEK);
        if ours && stale && path != keep {
            let _ = std::fs::remove_file(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    /// The smallest valid module: cheap to compile, real to deserialize.
    const EMPTY_MODULE: &[u8] = b"\0asm\x01\0\0\0";

    fn build(engine: &Engine, builds: &AtomicUsize) -> Result<Module, SandboxError> {
        builds.fetch_add(1, Ordering::SeqCst);
        Module::new(engine, EMPTY_MODULE).map_err(|e| SandboxError::Engine(e.to_string()))
    }

    #[test]
    fn a_corrupt_or_truncated_file_is_replaced() {
        let engine = Engine::default();
        let dir = tempfile::tempdir().expect("temp dir");
        let builds = AtomicUsize::new(0);
        let path = cache_path(&engine, dir.path(), GUEST_HASH, "test");

        let (_, source, warning) = cached(&engine, Some(dir.path()), "test", || {
            build(&engine, &builds)
        })
        .unwrap();
        assert_eq!(
            (source, builds.load(Ordering::SeqCst)),
            (ModuleSource::Compiled, 1)
        );
        assert!(warning.is_none());
        let (_, source, _) = cached(&engine, Some(dir.path()), "test", || {
            build(&engine, &builds)
        })
        .unwrap();
        assert_eq!(
            (source, builds.load(Ordering::SeqCst)),
            (ModuleSource::Cached, 1)
        );

        let whole = std::fs::read(&path).expect("cache file");
        for damaged in [whole[..whole.len() / 2].to_vec(), b"not a module".to_vec()] {
            std::fs::write(&path, damaged).unwrap();
            let before = builds.load(Ordering::SeqCst);
            let (_, source, warning) = cached(&engine, Some(dir.path()), "test", || {
                build(&engine, &builds)
            })
            .unwrap();
            assert_eq!(source, ModuleSource::Compiled);
            assert_eq!(builds.load(Ordering::SeqCst), before + 1);
            assert!(
                matches!(&warning, Some(SandboxError::Cache { message, .. }) if message.contains("replaced")),
                "{warning:?}"
            );
            let (_, source, _) = cached(&engine, Some(dir.path()), "test", || {
                build(&engine, &builds)
            })
            .unwrap();
            assert_eq!(source, ModuleSource::Cached);
        }
    }

    #[test]
    fn another_guest_or_tag_gets_another_file() {
        let engine = Engine::default();
        let dir = Path::new("/cache");
        let ours = cache_path(&engine, dir, "0123456789abcdef", "prepared");
        assert_ne!(
            ours,
            cache_path(&engine, dir, "fedcba9876543210", "prepared")
        );
        assert_ne!(ours, cache_path(&engine, dir, "0123456789abcdef", "plain"));
        assert_eq!(
            ours,
            cache_path(&engine, dir, "0123456789abcdef", "prepared")
        );
    }

    #[test]
    fn concurrent_first_starts_compile_once() {
        let engine = Engine::default();
        let dir = tempfile::tempdir().expect("temp dir");
        let builds = AtomicUsize::new(0);
        let sources: Vec<ModuleSource> = std::thread::scope(|scope| {
            let starts: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        cached(&engine, Some(dir.path()), "test", || {
                            std::thread::sleep(Duration::from_millis(200));
                            build(&engine, &builds)
                        })
                        .map(|(_, source, _)| source)
                        .expect("loads")
                    })
                })
                .collect();
            starts
                .into_iter()
                .map(|s| s.join().expect("no panic"))
                .collect()
        });
        assert_eq!(builds.load(Ordering::SeqCst), 1, "{sources:?}");
        assert_eq!(
            sources
                .iter()
                .filter(|s| **s == ModuleSource::Compiled)
                .count(),
            1
        );
    }
}
