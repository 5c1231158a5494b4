//! A bounded worker pool: at most `workers` pages run at once, on tokio's
//! blocking threads; at most `queue` more wait. Past that, [`Pool::admit`]
//! refuses at once, so the server answers `503` instead of queueing without
//! bound. Each project also has a share of the workers it cannot exceed, so
//! one project's slow or hostile pages cannot occupy every worker.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The pool's two limits and its counters.
pub struct Pool {
    admitted: Arc<Semaphore>,
    running: Arc<Semaphore>,
    waiting: Arc<AtomicI64>,
    /// Pages allowed at once.
    pub workers: usize,
}

/// A page admitted to the pool (running or waiting for a worker). Its
/// place is given back when it is dropped.
pub struct Ticket {
    _admitted: OwnedSemaphorePermit,
    waiting: Arc<AtomicI64>,
    running: Arc<Semaphore>,
    counted_as_waiting: bool,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if self.counted_as_waiting {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl Pool {
    /// A pool of `workers` threads with room for `queue` waiting pages.
    pub fn new(workers: usize, queue: usize) -> Self {
        let workers = workers.max(1);
        Self {
            admitted: Arc::new(Semaphore::new(workers + queue)),
            running: Arc::new(Semaphore::new(workers)),
            waiting: Arc::new(AtomicI64::new(0)),
            workers,
        }
    }

    /// A ticket, or `None` when the pool and its queue are full.
    pub fn admit(&self) -> Option<Ticket> {
        let admitted = self.admitted.clone().try_acquire_owned().ok()?;
        self.waiting.fetch_add(1, Ordering::Relaxed);
        Some(Ticket {
            _admitted: admitted,
            waiting: self.waiting.clone(),
            running: self.running.clone(),
            counted_as_waiting: true,
        })
    }

    /// Pages waiting for a worker.
    pub fn queue_depth(&self) -> i64 {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Pages running now.
    pub fn busy(&self) -> usize {
        self.workers - self.running.available_permits()
    }
}

impl Ticket {
    /// Waits for one of the project's `share` places and then for a worker,
    /// then runs `work` on a blocking thread.
    pub async fn run<R: Send + 'static>(
        mut self,
        share: Arc<Semaphore>,
        work: impl FnOnce() -> R + Send + 'static,
    ) -> Result<R, tokio::task::JoinError> {
        let place = share.acquire_owned().await.ok();
        let worker = self.running.clone().acquire_owned().await.ok();
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        self.counted_as_waiting = false;
        tokio::task::spawn_blocking(move || {
            let _held = (place, worker);
            work()
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn admits_workers_plus_queue_then_refuses() {
        let pool = Pool::new(1, 1);
        let first = pool.admit().expect("a worker");
        let second = pool.admit().expect("a queue place");
        assert!(pool.admit().is_none(), "full");
        assert_eq!(pool.queue_depth(), 2);
        let share = Arc::new(Semaphore::new(1));
        assert_eq!(first.run(share, || 1).await.unwrap(), 1);
        assert!(pool.admit().is_some(), "a place came free");
        drop(second);
    }
}
