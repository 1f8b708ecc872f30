//! Stream numbering shared by decoding workers.
//!
//! With `--threads`, conversations are sharded over workers, each with its
//! own [`FlowTracker`](super::FlowTracker). tshark numbers streams in the
//! order their first frames appear in the capture, so a worker that opens a
//! stream at frame `M` must know how many streams every other worker opened
//! before `M`. Each worker logs the frames at which it opened streams and
//! publishes how far it has got; the index of a new stream is the worker's
//! own count plus the others' openings before `M`, read once each of them
//! has passed `M`. Frames are handed out in order, so the worker holding
//! the lowest frame never waits and there is no deadlock.
//!
//! Memory stays bounded: entries every other worker has read are dropped.
//!
//! The waiting keeps workers in lockstep, so the engine uses the ledger
//! only where an index must be final while its frame is decoded: rows that
//! pad or quote it, and display filters that read it. Elsewhere the merge
//! numbers streams after the fact (`engine::parallel`).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Openings kept before a worker drops the ones everyone has read.
const PRUNE_AT: usize = 4096;

struct Log {
    /// Every frame of this worker numbered below this value is decoded.
    progress: AtomicU64,
    /// (frame, protocol) of each stream opened, in frame order; `base`
    /// entries were dropped from the front.
    openings: Mutex<(usize, Vec<(u64, u8)>)>,
}

/// The shared part: one log per worker, and each worker's read position in
/// every other worker's log (`cursors[reader * n + writer]`).
pub struct Ledger {
    logs: Vec<Log>,
    cursors: Vec<AtomicUsize>,
}

impl Ledger {
    /// A ledger for `workers` workers, and one handle per worker.
    pub fn handles(workers: usize) -> Vec<LedgerHandle> {
        let n = workers.max(1);
        let ledger = Arc::new(Ledger {
            logs: (0..n)
                .map(|_| Log {
                    progress: AtomicU64::new(0),
                    openings: Mutex::new((0, Vec::new())),
                })
                .collect(),
            cursors: (0..n * n).map(|_| AtomicUsize::new(0)).collect(),
        });
        (0..n)
            .map(|me| LedgerHandle {
                ledger: ledger.clone(),
                me,
                counts: vec![[0; 2]; n],
            })
            .collect()
    }
}

/// One worker's view of the ledger.
pub struct LedgerHandle {
    ledger: Arc<Ledger>,
    me: usize,
    /// TCP and UDP openings read so far from each other worker's log.
    counts: Vec<[u32; 2]>,
}

fn slot(proto: u8) -> usize {
    usize::from(proto != 6)
}

/// Where a worker publishes its progress (the handle itself goes into the
/// worker's flow tracker).
pub struct Progress {
    ledger: Arc<Ledger>,
    me: usize,
}

impl Progress {
    /// Every frame of this worker below `frame` is decoded.
    pub fn set(&self, frame: u64) {
        self.ledger.logs[self.me]
            .progress
            .store(frame, Ordering::Release);
    }
}

impl LedgerHandle {
    pub fn progress(&self) -> Progress {
        Progress {
            ledger: self.ledger.clone(),
            me: self.me,
        }
    }

    /// The capture-wide index of a stream of `proto` (6 TCP, else UDP)
    /// opened at `frame`, this worker's `local`-th of that protocol.
    pub fn assign(&mut self, proto: u8, frame: u64, local: u32) -> u32 {
        let l = &*self.ledger;
        let n = l.logs.len();
        {
            let mut log = lock(&l.logs[self.me].openings);
            log.1.push((frame, proto));
            if log.1.len() >= PRUNE_AT {
                // Entries every other worker has read are no longer needed.
                let read = (0..n)
                    .filter(|&r| r != self.me)
                    .map(|r| l.cursors[r * n + self.me].load(Ordering::Acquire))
                    .min()
                    .unwrap_or(log.0 + log.1.len());
                let drop = read.saturating_sub(log.0).min(log.1.len());
                log.1.drain(..drop);
                log.0 += drop;
            }
        }
        let mut index = local;
        for w in (0..n).filter(|&w| w != self.me) {
            wait_past(&l.logs[w].progress, frame);
            let cursor = &l.cursors[self.me * n + w];
            let mut at = cursor.load(Ordering::Relaxed);
            {
                let log = lock(&l.logs[w].openings);
                while let Some(&(f, p)) = log.1.get(at - log.0) {
                    if f >= frame {
                        break;
                    }
                    self.counts[w][slot(p)] += 1;
                    at += 1;
                }
            }
            cursor.store(at, Ordering::Release);
            index = index.wrapping_add(self.counts[w][slot(proto)]);
        }
        index
    }
}

/// A poisoned lock only means another thread panicked while holding it;
/// what it guards here (a worker's log, the capture queue's spare batches)
/// is whole, so the value is taken as it is.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Waits until `progress` reaches `frame`: spins briefly (the other worker
/// is usually a few frames away), then yields, then sleeps.
fn wait_past(progress: &AtomicU64, frame: u64) {
    let mut spins = 0u32;
    while progress.load(Ordering::Acquire) < frame {
        spins += 1;
        if spins < 64 {
            std::hint::spin_loop();
        } else if spins < 2048 {
            std::thread::yield_now();
        } else {
            std::thread::sleep(Duration::from_micros(50));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_follow_frame_order_across_workers() {
        // Worker 0 opens TCP streams at frames 1 and 5, worker 1 at 3 and 4
        // (and a UDP one at 2): capture order gives 0, 1, 2, 3 for TCP.
        let mut h = Ledger::handles(2);
        let mut b = h.pop().unwrap();
        let mut a = h.pop().unwrap();
        let (pa, pb) = (a.progress(), b.progress());
        pb.set(1);
        assert_eq!(a.assign(6, 1, 0), 0);
        pa.set(5);
        let t = std::thread::spawn(move || {
            pb.set(2);
            assert_eq!(b.assign(17, 2, 0), 0);
            pb.set(3);
            let x = b.assign(6, 3, 0);
            pb.set(4);
            let y = b.assign(6, 4, 1);
            pb.set(u64::MAX);
            (x, y)
        });
        assert_eq!(a.assign(6, 5, 1), 3);
        pa.set(u64::MAX);
        assert_eq!(t.join().unwrap(), (1, 2));
    }
}
