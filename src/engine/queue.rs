//! A live capture read on a thread of its own, into a bounded queue the
//! decoder takes frames from.
//!
//! The reader keeps the kernel's ring drained while the decoder works, so a
//! burst the decoder cannot follow at once waits in the queue instead of
//! being dropped. The queue holds at most [`QUEUE_BYTES`] of frames: when it
//! is full the reader waits, the kernel's ring fills and the kernel drops
//! (counted, as tcpdump counts them). Nothing grows past the cap, and a
//! decoder that falls behind says so on standard error.

use super::live::LiveFrames;
use super::source::{FrameSource, Pull};
use super::{EngineError, Stop};
use crate::flow::ledger::lock;
use crate::source::{Frame, Timestamp};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Frame bytes the queue holds at most.
pub const QUEUE_BYTES: u64 = 64 << 20;
/// Batches in flight at most (a batch may hold a single frame).
const QUEUE_BATCHES: usize = 1 << 16;
/// How long a reader facing a full queue waits before looking again.
const FULL_WAIT: Duration = Duration::from_millis(1);
/// A batch goes to the decoder when it holds this many bytes or frames, or
/// as soon as the ring has nothing more (so rows are never held back).
const BATCH_BYTES: usize = 256 << 10;
const BATCH_FRAMES: usize = 1024;
/// Emptied batches kept for the reader to fill again (a fresh one costs
/// its growth: copies and page faults on every 256 KiB).
const SPARE_BATCHES: usize = 8;
/// At most one "behind" notice this often.
const NOTICE_EVERY: Duration = Duration::from_secs(2);

struct Meta {
    ts: Timestamp,
    wire_len: u32,
    linktype: u32,
    off: usize,
    len: usize,
}

#[derive(Default)]
struct Batch {
    metas: Vec<Meta>,
    data: Vec<u8>,
}

enum Msg {
    Frames(Batch),
    Failed(EngineError),
}

/// Counters both threads see.
#[derive(Default)]
struct Shared {
    frames: AtomicU64,
    bytes: AtomicU64,
    peak_frames: AtomicU64,
    peak_bytes: AtomicU64,
    /// The decoder stopped taking frames.
    closed: AtomicBool,
    /// Batches the decoder is done with, for the reader to reuse.
    spare: Mutex<Vec<Batch>>,
}

/// The deepest the queue got.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueuePeak {
    pub frames: u64,
    pub bytes: u64,
}

/// A live capture behind a bounded queue (see the module's doc).
pub struct QueuedLive {
    rx: Option<Receiver<Msg>>,
    reader: Option<JoinHandle<LiveFrames>>,
    shared: Arc<Shared>,
    stop: Stop,
    tick: Option<Duration>,
    batch: Batch,
    next: usize,
    ended: bool,
}

impl QueuedLive {
    /// Starts the reader thread on `frames` (opened, privileges dropped);
    /// with `notices`, it says on standard error when decoding is behind
    /// (off under a view redrawn in place).
    pub fn start(mut frames: LiveFrames, notices: bool) -> std::io::Result<QueuedLive> {
        let (tx, rx) = sync_channel(QUEUE_BATCHES);
        let shared = Arc::new(Shared::default());
        let stop = frames.stop_handle();
        let tick = frames.tick_every();
        frames.set_waiting(false);
        let s = shared.clone();
        let reader = std::thread::Builder::new()
            .name("ls-capture".into())
            .spawn(move || read(frames, tx, s, notices))?;
        Ok(QueuedLive {
            rx: Some(rx),
            reader: Some(reader),
            shared,
            stop,
            tick,
            batch: Batch::default(),
            next: 0,
            ended: false,
        })
    }

    /// The deepest the queue got.
    pub fn peak(&self) -> QueuePeak {
        QueuePeak {
            frames: self.shared.peak_frames.load(Ordering::Relaxed),
            bytes: self.shared.peak_bytes.load(Ordering::Relaxed),
        }
    }

    /// Stops the reader (at once, when the decoder stopped first: `-c`)
    /// and hands the capture back for its closing counters. Frames still
    /// queued are not decoded.
    pub fn finish(mut self) -> Option<LiveFrames> {
        self.stop.request_now();
        self.shared.closed.store(true, Ordering::Relaxed);
        // A reader waiting on a full queue wakes to a closed channel.
        self.rx.take();
        self.reader.take().and_then(|h| h.join().ok())
    }

    fn take(&mut self, b: Batch) {
        let bytes = b.data.len() as u64;
        self.shared
            .frames
            .fetch_sub(b.metas.len() as u64, Ordering::Relaxed);
        self.shared.bytes.fetch_sub(bytes, Ordering::Relaxed);
        let mut old = std::mem::replace(&mut self.batch, b);
        self.next = 0;
        if old.data.capacity() > 0 {
            old.metas.clear();
            old.data.clear();
            let mut spare = lock(&self.shared.spare);
            if spare.len() < SPARE_BATCHES {
                spare.push(old);
            }
        }
    }
}

impl Drop for QueuedLive {
    fn drop(&mut self) {
        if let Some(h) = self.reader.take() {
            self.stop.request_now();
            self.shared.closed.store(true, Ordering::Relaxed);
            self.rx.take();
            let _ = h.join();
        }
    }
}

impl FrameSource for QueuedLive {
    fn pull(&mut self) -> Result<Pull<'_>, EngineError> {
        // A stop that must not wait (a ring buffer's last file is full):
        // frames still queued have nowhere to go.
        if self.stop.is_immediate() {
            return Ok(Pull::End);
        }
        while self.next >= self.batch.metas.len() {
            if self.ended {
                return Ok(Pull::End);
            }
            let Some(rx) = &self.rx else {
                return Ok(Pull::End);
            };
            let msg = match self.tick {
                Some(t) => rx.recv_timeout(t),
                None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            match msg {
                Ok(Msg::Frames(b)) => self.take(b),
                Ok(Msg::Failed(e)) => {
                    self.ended = true;
                    return Err(e);
                }
                Err(RecvTimeoutError::Timeout) => return Ok(Pull::Idle),
                Err(RecvTimeoutError::Disconnected) => {
                    self.ended = true;
                    return Ok(Pull::End);
                }
            }
        }
        let m = &self.batch.metas[self.next];
        self.next += 1;
        Ok(Pull::Frame(Frame {
            ts: m.ts,
            wire_len: m.wire_len,
            linktype: m.linktype,
            interface: 0,
            ts_digits: 9,
            bytes: self.batch.data.get(m.off..m.off + m.len).unwrap_or(&[]),
        }))
    }

    fn tick_every(&self) -> Option<Duration> {
        self.tick
    }

    /// The queue is empty: the next pull waits for the reader.
    fn would_wait(&self) -> bool {
        self.next >= self.batch.metas.len() && self.shared.frames.load(Ordering::Relaxed) == 0
    }
}

/// The reader's side of the queue: room for a batch, and the notices.
struct Feed {
    tx: SyncSender<Msg>,
    shared: Arc<Shared>,
    stop: Stop,
    notices: bool,
    last_notice: Option<Instant>,
    kernel_dropped: u64,
}

impl Feed {
    /// Queues the batch, waiting while the queue is full; false once the
    /// decoder is gone.
    fn send(&mut self, b: &mut Batch, frames: &mut LiveFrames) -> bool {
        if b.metas.is_empty() {
            return true;
        }
        let fresh = lock(&self.shared.spare).pop().unwrap_or_default();
        let b = std::mem::replace(b, fresh);
        let (n, bytes) = (b.metas.len() as u64, b.data.len() as u64);
        let sh = self.shared.clone();
        while sh.bytes.load(Ordering::Relaxed) + bytes > QUEUE_BYTES
            && sh.frames.load(Ordering::Relaxed) > 0
        {
            // Full: the kernel's ring takes what arrives meanwhile, and
            // drops (counted) when it fills.
            if sh.closed.load(Ordering::Relaxed) || self.stop.is_immediate() {
                return false;
            }
            self.notice(frames);
            std::thread::sleep(FULL_WAIT);
        }
        let f = sh.frames.fetch_add(n, Ordering::Relaxed) + n;
        let q = sh.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        sh.peak_frames.fetch_max(f, Ordering::Relaxed);
        sh.peak_bytes.fetch_max(q, Ordering::Relaxed);
        if q * 2 >= QUEUE_BYTES {
            self.notice(frames);
        }
        self.tx.send(Msg::Frames(b)).is_ok()
    }

    /// At most every [`NOTICE_EVERY`], while the queue is over half full.
    fn notice(&mut self, frames: &mut LiveFrames) {
        if !self.notices || self.last_notice.is_some_and(|t| t.elapsed() < NOTICE_EVERY) {
            return;
        }
        self.last_notice = Some(Instant::now());
        self.kernel_dropped = frames.stats().dropped as u64;
        let sh = &self.shared;
        eprintln!(
            "layerscope: decoding is behind the capture: {} frames ({:.1} MiB of the {} MiB queue) wait; {} dropped by the kernel so far",
            sh.frames.load(Ordering::Relaxed),
            sh.bytes.load(Ordering::Relaxed) as f64 / (1u64 << 20) as f64,
            QUEUE_BYTES >> 20,
            self.kernel_dropped,
        );
    }
}

/// The reader: frames off the ring into batches, until the capture ends
/// (a stop, a deadline, an error) or the decoder goes away.
fn read(
    mut frames: LiveFrames,
    tx: SyncSender<Msg>,
    shared: Arc<Shared>,
    notices: bool,
) -> LiveFrames {
    let mut batch = Batch::default();
    let mut feed = Feed {
        tx,
        shared,
        stop: frames.stop_handle(),
        notices,
        last_notice: None,
        kernel_dropped: 0,
    };
    loop {
        match frames.pull() {
            Ok(Pull::Frame(f)) => {
                batch.metas.push(Meta {
                    ts: f.ts,
                    wire_len: f.wire_len,
                    linktype: f.linktype,
                    off: batch.data.len(),
                    len: f.bytes.len(),
                });
                batch.data.extend_from_slice(f.bytes);
                if (batch.data.len() >= BATCH_BYTES || batch.metas.len() >= BATCH_FRAMES)
                    && !feed.send(&mut batch, &mut frames)
                {
                    break;
                }
            }
            Ok(Pull::Idle) => {
                // The ring is empty: what was read goes out before the wait.
                if !feed.send(&mut batch, &mut frames) {
                    break;
                }
                frames.wait_readable();
            }
            Ok(Pull::End) => {
                feed.send(&mut batch, &mut frames);
                break;
            }
            Err(e) => {
                if feed.send(&mut batch, &mut frames) {
                    let _ = feed.tx.send(Msg::Failed(e));
                }
                break;
            }
        }
    }
    frames
}
