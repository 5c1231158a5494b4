//! The worker pool, shared fairly between projects.
//!
//! At most `workers` pages run at once, on tokio's blocking threads. Each
//! project has a [`Lane`]: at most `share` of its pages run at once and at
//! most `queue` more wait, in the project's own queue. Past that,
//! [`Pool::admit`] refuses at once and the server answers `503`, so a flood
//! on one project fills only its own lane.
//!
//! When a worker comes free it goes to the waiting page whose project has
//! used the least worker time lately (usage decays with a half-life of
//! [`HALF_LIFE`]); ties go to the page that waited longest. A project of
//! cheap pages is thus served next even while others keep every worker busy
//! with pages that run to their budget, and projects that all flood share
//! the workers evenly.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

/// How fast a project's past worker time stops counting against it.
pub const HALF_LIFE: Duration = Duration::from_secs(10);

/// The workers every project shares.
pub struct Pool {
    shared: Arc<Shared>,
    /// Pages allowed at once.
    pub workers: usize,
}

struct Shared {
    state: Mutex<State>,
}

struct State {
    free: usize,
    waiting: Vec<Waiter>,
    /// Pages admitted that have no worker yet.
    queued: usize,
    next_seq: u64,
    usage: HashMap<Arc<str>, Usage>,
}

/// A page waiting for a worker.
struct Waiter {
    project: Arc<str>,
    seq: u64,
    worker: oneshot::Sender<Worker>,
}

/// A project's worker time, decaying.
#[derive(Clone, Copy)]
struct Usage {
    seconds: f64,
    at: Instant,
}

impl Usage {
    fn now(self, now: Instant) -> f64 {
        let age = now.saturating_duration_since(self.at).as_secs_f64();
        self.seconds * 0.5f64.powf(age / HALF_LIFE.as_secs_f64())
    }
}

impl State {
    fn usage(&self, project: &str, now: Instant) -> f64 {
        self.usage.get(project).map_or(0.0, |u| u.now(now))
    }

    fn charge(&mut self, project: &Arc<str>, spent: Duration) {
        let now = Instant::now();
        let seconds = self.usage(project, now) + spent.as_secs_f64();
        self.usage
            .insert(project.clone(), Usage { seconds, at: now });
        // Forget projects whose usage no longer counts (removed ones too).
        self.usage.retain(|_, u| u.now(now) > 1e-6);
    }

    /// The waiting page to serve next, taken out of the queue.
    fn next(&mut self) -> Option<Waiter> {
        let now = Instant::now();
        let best = self
            .waiting
            .iter()
            .enumerate()
            .min_by(|(_, a), (_, b)| {
                self.usage(&a.project, now)
                    .total_cmp(&self.usage(&b.project, now))
                    .then(a.seq.cmp(&b.seq))
            })
            .map(|(i, _)| i)?;
        Some(self.waiting.swap_remove(best))
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        match self.state.lock() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// A worker came free: hands it to the next waiting page, or counts it
    /// free. A page that stopped waiting (its client went away) is skipped.
    fn release(self: &Arc<Self>) {
        loop {
            let waiter = {
                let mut state = self.lock();
                match state.next() {
                    Some(waiter) => waiter,
                    None => {
                        state.free += 1;
                        return;
                    }
                }
            };
            let worker = Worker::new(self.clone(), waiter.project);
            match waiter.worker.send(worker) {
                Ok(()) => return,
                Err(mut unwanted) => unwanted.armed = false,
            }
        }
    }
}

/// A worker held by one page; given back, and its time charged to the
/// page's project, when dropped.
struct Worker {
    shared: Arc<Shared>,
    project: Arc<str>,
    started: Instant,
    armed: bool,
}

impl Worker {
    fn new(shared: Arc<Shared>, project: Arc<str>) -> Self {
        Self {
            shared,
            project,
            started: Instant::now(),
            armed: true,
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        self.shared
            .lock()
            .charge(&self.project, self.started.elapsed());
        self.shared.release();
    }
}

/// One project's part of the pool: its running share and its queue.
pub struct Lane {
    project: Arc<str>,
    /// Pages of the project admitted (running or waiting).
    places: Arc<Semaphore>,
    /// Pages of the project running or waiting for a worker.
    share: Arc<Semaphore>,
}

impl Lane {
    /// The lane of `project`, where `share` pages run at once and `queue`
    /// more wait.
    pub fn new(project: &str, share: usize, queue: usize) -> Self {
        let share = share.max(1);
        Self {
            project: project.into(),
            places: Arc::new(Semaphore::new(share + queue)),
            share: Arc::new(Semaphore::new(share)),
        }
    }
}

/// A page admitted to its project's lane (running or waiting for a worker).
/// Its place is given back when it is dropped.
pub struct Ticket {
    _place: OwnedSemaphorePermit,
    project: Arc<str>,
    share: Arc<Semaphore>,
    shared: Arc<Shared>,
    queued: bool,
}

impl Ticket {
    /// Stops counting the page as queued (it has a worker, or is gone).
    fn dequeue(&mut self) {
        if std::mem::take(&mut self.queued) {
            self.shared.lock().queued -= 1;
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.dequeue();
    }
}

impl Pool {
    /// A pool of `workers` threads.
    pub fn new(workers: usize) -> Self {
        let workers = workers.max(1);
        Self {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    free: workers,
                    waiting: Vec::new(),
                    queued: 0,
                    next_seq: 0,
                    usage: HashMap::new(),
                }),
            }),
            workers,
        }
    }

    /// A ticket in `lane`, or `None` when the project's lane is full.
    pub fn admit(&self, lane: &Lane) -> Option<Ticket> {
        let place = lane.places.clone().try_acquire_owned().ok()?;
        self.shared.lock().queued += 1;
        Some(Ticket {
            _place: place,
            project: lane.project.clone(),
            share: lane.share.clone(),
            shared: self.shared.clone(),
            queued: true,
        })
    }

    /// Pages admitted and waiting for a worker, over every project.
    pub fn queue_depth(&self) -> i64 {
        self.shared.lock().queued as i64
    }

    /// Pages running now (a cancelled page runs until its next event or
    /// handler call).
    pub fn busy(&self) -> usize {
        self.workers.saturating_sub(self.shared.lock().free)
    }
}

impl Ticket {
    /// Waits for the project's share, then for a worker, then runs `work`
    /// on a blocking thread.
    pub async fn run<R: Send + 'static>(
        mut self,
        work: impl FnOnce() -> R + Send + 'static,
    ) -> Result<R, tokio::task::JoinError> {
        let place = self.share.clone().acquire_owned().await.ok();
        let worker = self.worker().await;
        self.dequeue();
        let result = tokio::task::spawn_blocking(move || {
            let _held = (place, worker);
            work()
        })
        .await;
        drop(self);
        result
    }

    /// A worker: at once when one is free and no page waits, else when
    /// the scheduler picks this page.
    async fn worker(&self) -> Option<Worker> {
        let (receiver, seq) = {
            let mut state = self.shared.lock();
            if state.free > 0 && state.waiting.is_empty() {
                state.free -= 1;
                return Some(Worker::new(self.shared.clone(), self.project.clone()));
            }
            let (sender, receiver) = oneshot::channel();
            let seq = state.next_seq;
            state.next_seq += 1;
            state.waiting.push(Waiter {
                project: self.project.clone(),
                seq,
                worker: sender,
            });
            (receiver, seq)
        };
        let _leaves_the_queue = Waiting {
            shared: &self.shared,
            seq,
        };
        receiver.await.ok()
    }
}

/// A page's place in the queue of waiting pages: dropped when the page has
/// its worker or stops waiting (its client went away), which takes it out,
/// so the queue only ever holds pages still admitted.
struct Waiting<'a> {
    shared: &'a Shared,
    seq: u64,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        if let Some(at) = state.waiting.iter().position(|w| w.seq == self.seq) {
            state.waiting.swap_remove(at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_lane_admits_its_share_plus_its_queue_then_refuses() {
        let pool = Pool::new(2);
        let lane = Lane::new("shop", 1, 1);
        let first = pool.admit(&lane).expect("a running place");
        let second = pool.admit(&lane).expect("a queue place");
        assert!(pool.admit(&lane).is_none(), "the lane is full");
        assert_eq!(pool.queue_depth(), 2);
        assert_eq!(first.run(|| 1).await.unwrap(), 1);
        assert!(pool.admit(&lane).is_some(), "a place came free");
        drop(second);
        assert_eq!(pool.queue_depth(), 0);
        assert_eq!(pool.busy(), 0);
    }

    #[tokio::test]
    async fn a_full_lane_leaves_other_lanes_their_places_and_a_worker() {
        let pool = Arc::new(Pool::new(2));
        let flooded = Lane::new("flood", 1, 2);
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let blocker = pool.admit(&flooded).expect("a place");
        let running = tokio::spawn(blocker.run(move || hold.recv().ok()));
        let waiting: Vec<_> = (0..2)
            .map(|_| pool.admit(&flooded).expect("queued"))
            .collect();
        assert!(pool.admit(&flooded).is_none(), "the flooded lane is full");

        let quiet = Lane::new("quiet", 1, 2);
        let ticket = pool
            .admit(&quiet)
            .expect("the quiet lane has its own places");
        let answer = tokio::time::timeout(Duration::from_secs(5), ticket.run(|| 7))
            .await
            .expect("served while the flooded lane holds its worker");
        assert_eq!(answer.unwrap(), 7);

        release.send(()).unwrap();
        running.await.unwrap().unwrap();
        drop(waiting);
    }

    #[tokio::test]
    async fn a_free_worker_goes_to_the_project_that_used_least() {
        let pool = Arc::new(Pool::new(1));
        let heavy = Lane::new("heavy", 1, 4);
        let light = Lane::new("light", 1, 4);
        // The heavy project has used the worker for a while.
        let ticket = pool.admit(&heavy).unwrap();
        ticket
            .run(|| std::thread::sleep(Duration::from_millis(50)))
            .await
            .unwrap();
        // It holds the worker again; one page of each project waits, the
        // heavy one first.
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let holder = pool.admit(&heavy).unwrap();
        let holding = tokio::spawn(holder.run(move || hold.recv().ok()));
        tokio::time::sleep(Duration::from_millis(20)).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let heavy_ticket = pool.admit(&Lane::new("heavy", 1, 4)).unwrap();
        let record = |name: &'static str| {
            let order = order.clone();
            move || order.lock().unwrap().push(name)
        };
        let heavy_page = tokio::spawn(heavy_ticket.run(record("heavy")));
        tokio::time::sleep(Duration::from_millis(20)).await;
        let light_page = tokio::spawn(pool.admit(&light).unwrap().run(record("light")));
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(pool.queue_depth(), 2);
        release.send(()).unwrap();
        holding.await.unwrap().unwrap();
        heavy_page.await.unwrap().unwrap();
        light_page.await.unwrap().unwrap();
        assert_eq!(*order.lock().unwrap(), ["light", "heavy"]);
    }

    #[tokio::test]
    async fn a_page_that_stops_waiting_gives_its_turn_on() {
        let pool = Arc::new(Pool::new(1));
        let lane = Lane::new("shop", 2, 4);
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let holding = tokio::spawn(pool.admit(&lane).unwrap().run(move || hold.recv().ok()));
        tokio::time::sleep(Duration::from_millis(20)).await;
        let gone = tokio::spawn(pool.admit(&lane).unwrap().run(|| 1));
        tokio::time::sleep(Duration::from_millis(20)).await;
        gone.abort();
        let _ = gone.await;
        assert!(
            pool.shared.lock().waiting.is_empty(),
            "a page that stops waiting leaves the queue"
        );
        release.send(()).unwrap();
        holding.await.unwrap().unwrap();
        let next =
            tokio::time::timeout(Duration::from_secs(5), pool.admit(&lane).unwrap().run(|| 2))
                .await
                .expect("the worker was not lost");
        assert_eq!(next.unwrap(), 2);
        assert_eq!(pool.busy(), 0);
    }
}
