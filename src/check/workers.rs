//! What the workers of `run_all` share besides their queue: the board they leave outcomes on,
//! and the order in which they end.

use std::sync::{Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;

use super::Outcome;
use crate::deadline::Deadline;

/// Where the workers leave their outcomes.
pub struct Board {
    results: Mutex<Collected>,
    done: Condvar,
}

struct Collected {
    outcomes: Vec<Vec<Option<Outcome>>>,
    missing: usize,
}

impl Board {
    /// A board with an empty slot for each check, in the shape of `sizes` (the checks of each
    /// component).
    pub fn new(sizes: impl Iterator<Item = usize>) -> Board {
        let outcomes: Vec<Vec<Option<Outcome>>> = sizes.map(|size| vec![None; size]).collect();
        Board {
            results: Mutex::new(Collected {
                missing: outcomes.iter().map(Vec::len).sum(),
                outcomes,
            }),
            done: Condvar::new(),
        }
    }

    /// Leaves the outcome of check `k` of component `c`; the last one wakes the collector. One
    /// that comes after the collector gave up finds nothing to fill.
    pub fn post(&self, c: usize, k: usize, outcome: Outcome) {
        let mut results = self.results.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = results.outcomes.get_mut(c).and_then(|list| list.get_mut(k)) {
            *slot = Some(outcome);
            results.missing -= 1;
            if results.missing == 0 {
                self.done.notify_one();
            }
        }
    }

    /// The outcomes once all have come, or what has come by `collect_by`.
    pub fn collect(&self, collect_by: Deadline) -> Vec<Vec<Option<Outcome>>> {
        let mut results = self.results.lock().unwrap_or_else(PoisonError::into_inner);
        while results.missing > 0 {
            let left = collect_by.remaining();
            if left.is_zero() {
                break;
            }
            results = self
                .done
                .wait_timeout(results, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        std::mem::take(&mut results.outcomes)
    }
}

/// The workers' ends, one at a time: a worker out of checks waits for the one out before it to
/// be gone, then ends. Hundreds of threads ending at once (the last wave of a run ends
/// together) fought over glibc's locks, its cache of stacks and malloc's arenas, and each end's
/// `madvise` of its stack and `munmap` of its signal stack interrupted the other core; one at a
/// time, 2,000 checks against nginx took 14 % less CPU, at the same peak memory.
pub struct Ends {
    /// Each worker's handle, kept here until the worker takes it into the line.
    handles: Vec<Mutex<Option<JoinHandle<()>>>>,
    /// The handle of the worker that ran out of checks last: the next one waits for it.
    last: Mutex<Option<JoinHandle<()>>>,
}

impl Ends {
    /// Room for `workers` handles.
    pub fn new(workers: usize) -> Ends {
        Ends {
            handles: (0..workers).map(|_| Mutex::new(None)).collect(),
            last: Mutex::new(None),
        }
    }

    /// Keeps the handle of worker `index`, just started.
    pub fn keep(&self, index: usize, handle: JoinHandle<()>) {
        if let Some(slot) = self.handles.get(index) {
            *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(handle);
        }
    }

    /// Called by worker `index` out of checks: returns once the worker out before it is gone.
    /// One whose handle is not kept yet (it ran out before its start was even noted) is not
    /// in the line and ends at once. Not inlined: what it holds has no place in the frame of
    /// the worker, which sits under every check the worker runs (see `super::judge`).
    #[inline(never)]
    pub fn in_turn(&self, index: usize) {
        let mine = self
            .handles
            .get(index)
            .and_then(|slot| slot.lock().unwrap_or_else(PoisonError::into_inner).take());
        let Some(mine) = mine else {
            return;
        };
        let before = self
            .last
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .replace(mine);
        if let Some(before) = before {
            // Err only if that worker panicked; it is gone either way.
            let _ = before.join();
        }
    }

    /// The handle of the worker last in line, whose end means every worker in line has ended.
    #[cfg(test)]
    fn take_last(&self) -> Option<JoinHandle<()>> {
        self.last
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

#[cfg(test)]
mod tests {
    use super::Ends;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn workers_end_one_after_another_and_all_end() {
        const WORKERS: usize = 64;
        let ends = Arc::new(Ends::new(WORKERS));
        let gone = Arc::new(AtomicUsize::new(0));
        let (start, started) = std::sync::mpsc::channel::<()>();
        let started = Arc::new(std::sync::Mutex::new(started));
        for index in 0..WORKERS {
            let (line, gone, started) = (ends.clone(), gone.clone(), started.clone());
            let handle = std::thread::spawn(move || {
                // Every handle is kept before any worker runs out, as in a run.
                let _ = started.lock().unwrap().recv();
                line.in_turn(index);
                gone.fetch_add(1, Ordering::SeqCst);
            });
            ends.keep(index, handle);
        }
        for _ in 0..WORKERS {
            start.send(()).unwrap();
        }
        // Everyone in line waits for the one before; once the last is gone, all are.
        let (done, finished) = std::sync::mpsc::channel();
        let waiter = ends.clone();
        std::thread::spawn(move || {
            while waiter
                .handles
                .iter()
                .any(|slot| slot.lock().unwrap().is_some())
            {
                std::thread::sleep(Duration::from_millis(1));
            }
            let last = waiter.take_last().expect("a worker is last in line");
            last.join().unwrap();
            done.send(()).unwrap();
        });
        finished
            .recv_timeout(Duration::from_secs(30))
            .expect("the workers ended");
        assert_eq!(gone.load(Ordering::SeqCst), WORKERS);
    }

    #[test]
    fn a_worker_waits_for_the_one_out_before_it_to_be_gone() {
        let ends = Arc::new(Ends::new(2));
        let (release, released) = std::sync::mpsc::channel::<()>();
        let (first_in, first_is_in) = std::sync::mpsc::channel();
        let line = ends.clone();
        // The first in line is out of checks but not gone until released.
        let first = std::thread::spawn(move || {
            let _ = first_is_in.recv();
            line.in_turn(0);
            let _ = released.recv();
        });
        ends.keep(0, first);
        first_in.send(()).unwrap();
        while ends.handles[0].lock().unwrap().is_some() {
            std::thread::sleep(Duration::from_millis(1));
        }
        let (returned, has_returned) = std::sync::mpsc::channel();
        let line = ends.clone();
        let (second_in, second_is_in) = std::sync::mpsc::channel();
        let second = std::thread::spawn(move || {
            let _ = second_is_in.recv();
            line.in_turn(1);
            returned.send(()).unwrap();
        });
        ends.keep(1, second);
        second_in.send(()).unwrap();
        assert!(
            has_returned
                .recv_timeout(Duration::from_millis(200))
                .is_err(),
            "the second returned while the first was still there"
        );
        release.send(()).unwrap();
        has_returned
            .recv_timeout(Duration::from_secs(30))
            .expect("the second returned once the first was gone");
    }

    #[test]
    fn a_worker_whose_handle_is_not_kept_ends_at_once() {
        let ends = Ends::new(2);
        ends.in_turn(0);
        ends.in_turn(7);
        assert!(ends.take_last().is_none());
    }
}
