//! A project's image: what compiling its handlers changed in a fresh
//! instance's memory, kept so that every page of the project starts with
//! its handlers compiled instead of compiling them again.
//!
//! The image is the set of 4 KiB pages that differ between an instance
//! fresh from the guest's snapshot and the same instance after the
//! `Compile` request, plus the memory's size. Writing those pages into
//! another fresh instance of the same module makes its memory equal to the
//! compiled one, byte for byte. Memory is the guest's whole state between
//! requests: its only mutable global is the shadow-stack pointer, which is
//! back at its initial value whenever an export returns (the module test
//! `the_guest_keeps_its_state_in_memory` checks that it has no other).

use wasmtime::{Memory, Store};

use crate::SandboxError;
use crate::host::HostState;

/// Granularity of the comparison, the host's page size.
const PAGE: usize = 4 << 10;

/// WebAssembly's page size, the unit memory grows by.
const WASM_PAGE: usize = 64 << 10;

/// Most runs an image keeps (see [`Image::diff`]): half the 32 dirty
/// regions wasmtime keeps resident, so the page's own writes fit too.
/// Measured on the mixed shop workload (whose compiled handlers change 32
/// runs, 0.28 MB, of the snapshot; joined into 8 runs they copy 0.72 MB
/// into each page): 16 runs give 5% more pages/s than 8, and 20 or more
/// leave too few regions for the page's own writes and cost 10–20%.
const MAX_RUNS: usize = 16;

/// The memory pages a project's compilation changed.
#[derive(Debug, Default)]
pub(crate) struct Image {
    /// The memory's size after compiling, in bytes.
    size: usize,
    /// Runs of changed bytes: where each starts, and its bytes.
    runs: Vec<(usize, Box<[u8]>)>,
}

impl Image {
    /// The difference between `before` (a fresh instance's memory) and
    /// `after` (the same instance once compiled).
    pub(crate) fn diff(before: &[u8], after: &[u8]) -> Self {
        let mut runs: Vec<(usize, Vec<u8>)> = Vec::new();
        for (index, page) in after.chunks(PAGE).enumerate() {
            let start = index * PAGE;
            let same = match before.get(start..start + page.len()) {
                Some(old) => old == page,
                None => page.iter().all(|&b| b == 0),
            };
            if same {
                continue;
            }
            match runs.last_mut() {
                Some((at, bytes)) if *at + bytes.len() == start => bytes.extend_from_slice(page),
                _ => runs.push((start, page.to_vec())),
            }
        }
        // Each run is one dirty region when the slot is reset, and wasmtime
        // keeps at most 32 regions resident (`reset_with_pagemap`): past
        // them, memory is unmapped and every page faults it in again. The
        // runs closest together are joined, their gap copied too, until
        // few are left for the page's own writes.
        while runs.len() > MAX_RUNS {
            let Some(closest) =
                (1..runs.len()).min_by_key(|&i| runs[i].0 - (runs[i - 1].0 + runs[i - 1].1.len()))
            else {
                break;
            };
            let (at, bytes) = runs.remove(closest);
            if let Some((previous_at, previous)) = runs.get_mut(closest - 1) {
                let gap_start = *previous_at + previous.len();
                previous.extend_from_slice(&after[gap_start..at]);
                previous.extend_from_slice(&bytes);
            }
        }
        Self {
            size: after.len(),
            runs: runs
                .into_iter()
                .map(|(at, bytes)| (at, bytes.into_boxed_slice()))
                .collect(),
        }
    }

    /// Bytes the image writes into each page's instance.
    pub(crate) fn bytes(&self) -> usize {
        self.runs.iter().map(|(_, bytes)| bytes.len()).sum()
    }

    /// Writes the image into `memory`, growing it to the image's size first.
    pub(crate) fn apply(
        &self,
        memory: &Memory,
        store: &mut Store<HostState>,
    ) -> Result<(), SandboxError> {
        // In steps the memory limiter allows one growth to take.
        let step = (crate::MAX_GROWTH_BYTES / WASM_PAGE) as u64;
        loop {
            let current = memory.data_size(&*store);
            if self.size <= current {
                break;
            }
            let pages = ((self.size - current).div_ceil(WASM_PAGE) as u64).min(step);
            memory.grow(&mut *store, pages).map_err(|e| {
                SandboxError::Engine(format!(
                    "the project's compiled handlers need {} bytes of memory: {e}",
                    self.size
                ))
            })?;
        }
        let data = memory.data_mut(&mut *store);
        for (at, bytes) in &self.runs {
            let target = data.get_mut(*at..*at + bytes.len()).ok_or_else(|| {
                SandboxError::Engine("the project's image does not fit the instance".to_owned())
            })?;
            target.copy_from_slice(bytes);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads an unsigned LEB128 number at `at`.
    fn leb(bytes: &[u8], at: &mut usize) -> u64 {
        let (mut value, mut shift) = (0u64, 0);
        loop {
            let byte = bytes[*at];
            *at += 1;
            value |= u64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                return value;
            }
        }
    }

    /// Whether each global of the module is mutable, from its global section.
    fn mutable_globals(wasm: &[u8]) -> Vec<bool> {
        let mut at = 8;
        while at < wasm.len() {
            let id = wasm[at];
            at += 1;
            let size = leb(wasm, &mut at) as usize;
            if id == 6 {
                let mut inner = at;
                let count = leb(wasm, &mut inner);
                let mut found = Vec::new();
                for _ in 0..count {
                    let mutable = wasm[inner + 1] == 1;
                    inner += 2;
                    // The constant expression: one instruction, then `end`.
                    let op = wasm[inner];
                    inner += 1;
                    match op {
                        0x41 | 0x42 | 0x23 => {
                            leb(wasm, &mut inner);
                        }
                        0x43 => inner += 4,
                        0x44 => inner += 8,
                        other => panic!("unexpected constant instruction {other:#x}"),
                    }
                    assert_eq!(wasm[inner], 0x0b, "one instruction per initialiser");
                    inner += 1;
                    found.push(mutable);
                }
                return found;
            }
            at += size;
        }
        Vec::new()
    }

    #[test]
    fn the_guest_keeps_its_state_in_memory() {
        // One mutable global, the shadow-stack pointer, which every export
        // restores before it returns: memory is the whole state an image
        // must carry.
        let mutable = mutable_globals(crate::cache::GUEST_WASM);
        assert_eq!(mutable.iter().filter(|m| **m).count(), 1, "{mutable:?}");
    }

    #[test]
    fn keeps_only_changed_pages_in_runs() {
        let before = vec![0u8; 8 * PAGE];
        let mut after = before.clone();
        after[PAGE + 5] = 1;
        after[2 * PAGE] = 2;
        after[5 * PAGE + 1] = 3;
        after.extend_from_slice(&[0u8; PAGE]);
        after.extend_from_slice(&[7u8; PAGE]);
        let image = Image::diff(&before, &after);
        assert_eq!(image.size, 10 * PAGE);
        let starts: Vec<usize> = image.runs.iter().map(|(at, _)| *at).collect();
        assert_eq!(starts, vec![PAGE, 5 * PAGE, 9 * PAGE]);
        assert_eq!(image.bytes(), 4 * PAGE);
        let mut rebuilt = before.clone();
        rebuilt.resize(after.len(), 0);
        for (at, bytes) in &image.runs {
            rebuilt[*at..*at + bytes.len()].copy_from_slice(bytes);
        }
        assert_eq!(rebuilt, after);
    }

    #[test]
    fn scattered_changes_are_joined_into_few_runs_closest_first() {
        let before = vec![0u8; 96 * PAGE];
        let mut after = before.clone();
        // 20 changed pages, with gaps of 1 page between the first nine and
        // of 5 pages between the rest.
        let changed = [
            0, 2, 4, 6, 8, 10, 12, 14, 16, 22, 28, 34, 40, 46, 52, 58, 64, 70, 76, 82,
        ];
        for (n, page) in changed.iter().enumerate() {
            after[page * PAGE] = n as u8 + 1;
        }
        let image = Image::diff(&before, &after);
        assert_eq!(image.runs.len(), MAX_RUNS);
        // Four joins, all of one-page gaps: pages 0 to 8 are one run.
        assert_eq!(image.runs[0].0, 0);
        assert_eq!(image.runs[0].1.len(), 9 * PAGE);
        assert_eq!(image.runs[1].0, 10 * PAGE);
        let mut rebuilt = before.clone();
        for (at, bytes) in &image.runs {
            rebuilt[*at..*at + bytes.len()].copy_from_slice(bytes);
        }
        assert_eq!(rebuilt, after);
    }
}
