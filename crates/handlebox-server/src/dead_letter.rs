//! Pages whose handlers failed, saved as page files that `handlebox run`
//! replays, so an operator can reproduce a production failure locally.
//!
//! The directory is held to a size quota: when a new page would pass it,
//! the oldest pages go first. Files are readable by the server's user only
//! (`0600`): pages hold personal data, and cookies can be left out.

use std::collections::VecDeque;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// What a file costs against the quota: its size in whole 4 KiB blocks,
/// as the disk holds it.
fn on_disk(size: u64) -> u64 {
    size.div_ceil(4096).max(1) * 4096
}

/// How dead letters are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetterConfig {
    /// The directory.
    pub dir: PathBuf,
    /// Most bytes of pages kept, counted in 4 KiB blocks as the disk holds
    /// them; the oldest go first.
    pub max_bytes: u64,
    /// Leave the page's `cookies` out of the saved file.
    pub omit_cookies: bool,
}

/// The dead-letter directory and what it holds, oldest first.
pub struct DeadLetters {
    config: DeadLetterConfig,
    kept: Mutex<Kept>,
    sequence: AtomicU64,
}

#[derive(Default)]
struct Kept {
    files: VecDeque<(PathBuf, u64)>,
    bytes: u64,
}

impl DeadLetters {
    /// Opens (creating) the directory and counts the pages already in it,
    /// so that the quota holds across restarts.
    pub fn open(config: DeadLetterConfig) -> std::io::Result<Self> {
        fs::create_dir_all(&config.dir)?;
        let mut files = Vec::new();
        for entry in fs::read_dir(&config.dir)?.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "tmp") {
                // Half-written by a server that stopped mid-write.
                let _ = fs::remove_file(&path);
                continue;
            }
            if path.extension().is_some_and(|e| e == "json")
                && let Ok(meta) = entry.metadata()
                && meta.is_file()
            {
                let modified = meta.modified().unwrap_or(UNIX_EPOCH);
                files.push((modified, path, on_disk(meta.len())));
            }
        }
        files.sort();
        let mut kept = Kept::default();
        for (_, path, size) in files {
            kept.bytes += size;
            kept.files.push_back((path, size));
        }
        Self::make_room(&mut kept, 0, config.max_bytes)?;
        Ok(Self {
            config,
            kept: Mutex::new(kept),
            sequence: AtomicU64::new(0),
        })
    }

    /// Saves `page` (the request body; byte for byte unless cookies are
    /// left out) as `<project>-<unix millis>-<n>.json`, after removing the
    /// oldest pages the quota needs; returns the file's path.
    pub fn save(&self, project: &str, page: &[u8]) -> std::io::Result<PathBuf> {
        let bytes = if self.config.omit_cookies {
            without_cookies(page)
        } else {
            page.to_vec()
        };
        let size = on_disk(bytes.len() as u64);
        if size > self.config.max_bytes {
            return Err(std::io::Error::other(format!(
                "the page's {size} bytes are more than the dead-letter quota of {} bytes",
                self.config.max_bytes
            )));
        }
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let n = self.sequence.fetch_add(1, Ordering::Relaxed);
        let path = self.config.dir.join(format!("{project}-{millis}-{n}.json"));
        // Room is made and taken under one lock, so pages saved at once
        // cannot pass the quota together.
        {
            let mut kept = self.lock();
            Self::make_room(&mut kept, size, self.config.max_bytes)?;
            kept.bytes += size;
            kept.files.push_back((path.clone(), size));
        }
        if let Err(e) = write_private(&path, &bytes) {
            let mut kept = self.lock();
            if let Some(at) = kept.files.iter().position(|(p, _)| *p == path) {
                kept.files.remove(at);
                kept.bytes -= size;
            }
            return Err(e);
        }
        Ok(path)
    }

    /// Removes the oldest pages until `incoming` more bytes fit.
    fn make_room(kept: &mut Kept, incoming: u64, max_bytes: u64) -> std::io::Result<()> {
        while kept.bytes + incoming > max_bytes {
            let Some((path, size)) = kept.files.pop_front() else {
                break;
            };
            kept.bytes -= size;
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        match self.kept.lock() {
            Ok(kept) => kept,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

/// Writes `bytes` to `path` through a temporary file in the same
/// directory (`tempfile` creates it readable by the owner only and removes
/// it on failure), so that `path` is complete or absent.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(".dead-letter-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.persist(path).map(drop).map_err(|e| e.error)
}

/// The page without its `cookies`; a body that is not a JSON object is kept
/// as it is (it has no cookies to leave out).
fn without_cookies(page: &[u8]) -> Vec<u8> {
    match serde_json::from_slice::<Value>(page) {
        Ok(Value::Object(mut map)) => {
            if map.remove("cookies").is_none() {
                return page.to_vec();
            }
            serde_json::to_vec(&map).unwrap_or_else(|_| page.to_vec())
        }
        _ => page.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn letters(dir: &Path, max_bytes: u64, omit_cookies: bool) -> DeadLetters {
        DeadLetters::open(DeadLetterConfig {
            dir: dir.to_owned(),
            max_bytes,
            omit_cookies,
        })
        .unwrap()
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn the_oldest_pages_go_when_the_quota_is_reached() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("dead");
        let letters = letters(&dir, 10_000, false);
        let page = |n: u8| vec![b'a' + n; 100];
        let first = letters.save("shop", &page(0)).unwrap();
        let second = letters.save("shop", &page(1)).unwrap();
        let third = letters.save("shop", &page(2)).unwrap();
        assert!(!first.exists(), "the oldest page made room");
        assert!(second.exists() && third.exists());
        assert_eq!(names(&dir).len(), 2);
        assert!(letters.save("shop", &[b'x'; 12_000]).is_err());
        // A server started again counts what is there.
        drop(letters);
        let again = self::letters(&dir, 5000, false);
        assert_eq!(names(&dir).len(), 1, "{:?}", names(&dir));
        assert!(third.exists());
        drop(again);
    }

    #[test]
    fn files_are_private_and_cookies_can_be_left_out() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().to_owned();
        let page = br#"{"digitalData":{"events":[]},"cookies":{"session":"secret"}}"#;
        let kept = letters(&dir, 1 << 20, false).save("p", page).unwrap();
        let mode = fs::metadata(&kept).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(fs::read(&kept).unwrap(), page);
        let omitted = letters(&dir, 1 << 20, true).save("p", page).unwrap();
        let saved: Value = serde_json::from_slice(&fs::read(&omitted).unwrap()).unwrap();
        assert_eq!(saved, serde_json::json!({"digitalData": {"events": []}}));
    }
}
