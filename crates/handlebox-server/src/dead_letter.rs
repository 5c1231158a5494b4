//! Pages whose handlers failed, saved as page files that `handlebox run`
//! replays, so an operator can reproduce a production failure locally.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// Writes `page` (the request body, byte for byte) into `dir` as
/// `<project>-<unix millis>-<n>.json`; returns the file's path.
pub fn save(dir: &Path, project: &str, page: &[u8]) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let n = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    let path = dir.join(format!("{project}-{millis}-{n}.json"));
    let temp = path.with_extension("json.tmp");
    std::fs::write(&temp, page)?;
    std::fs::rename(&temp, &path)?;
    Ok(path)
}
