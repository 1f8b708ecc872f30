//! Work the view does off the screen's thread: the indexing pass over the
//! capture, and replays of indexed packets through a display filter or any
//! engine sink (conversations, statistics, follow), each with progress and
//! a cancel switch so the screen stays responsive and Esc can stop it.

use super::index::{Backing, Index, IndexSink, SpotFile};
use crate::dissect::Packet;
use crate::engine::{Engine, EngineError, EngineOptions, Sink, Status};
use crate::filter::Filter;
use std::cell::Cell;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Progress and control shared with a background job.
#[derive(Default)]
pub struct Progress {
    pub done: AtomicU64,
    pub total: AtomicU64,
    pub cancel: AtomicBool,
    pub finished: AtomicBool,
}

impl Progress {
    pub fn fraction(&self) -> f64 {
        let t = self.total.load(Ordering::Relaxed);
        if t == 0 {
            return 0.0;
        }
        (self.done.load(Ordering::Relaxed) as f64 / t as f64).min(1.0)
    }
}

/// The indexing pass: reads every file through the engine (BPF, flow state
/// and reassembly as `read` has them) into the shared index.
pub struct Indexer {
    pub progress: Arc<Progress>,
    /// The pass's error, if it ended badly (packets before it are indexed).
    pub error: Arc<Mutex<Option<String>>>,
    handle: Option<JoinHandle<()>>,
    /// A live capture's stop flag: stopping the pass stops the capture.
    pub capture: Option<crate::engine::Stop>,
}

impl Indexer {
    /// A pass someone else started (a live capture's).
    pub fn from_parts(
        progress: Arc<Progress>,
        error: Arc<Mutex<Option<String>>>,
        handle: JoinHandle<()>,
    ) -> Indexer {
        Indexer {
            progress,
            error,
            handle: Some(handle),
            capture: None,
        }
    }

    pub fn start(
        files: Vec<(String, u16)>,
        opts: EngineOptions,
        index: Arc<Mutex<Index>>,
    ) -> Indexer {
        let progress = Arc::new(Progress::default());
        let error = Arc::new(Mutex::new(None));
        let total: u64 = files
            .iter()
            .filter_map(|(p, _)| std::fs::metadata(p).ok().map(|m| m.len()))
            .sum();
        progress.total.store(total, Ordering::Relaxed);
        let (p, e) = (progress.clone(), error.clone());
        let handle = std::thread::Builder::new()
            .name("layerscope-index".into())
            .spawn(move || {
                let mut engine = Engine::new(opts);
                let mut before = 0u64;
                for (path, file) in files {
                    let at = Rc::new(Cell::new(0));
                    let mut src = match SpotFile::open(&path, at.clone()) {
                        Ok(s) => s,
                        Err(err) => {
                            set(&e, err.to_string());
                            break;
                        }
                    };
                    let pp = p.clone();
                    let base = before;
                    engine.set_progress(Some(Box::new(move |_, pos| {
                        pp.done.store(base + pos, Ordering::Relaxed);
                    })));
                    let mut sink = IndexSink {
                        index: index.clone(),
                        file,
                        at,
                    };
                    let cancel = p.clone();
                    let mut guarded = Guard {
                        inner: &mut sink,
                        cancel: &cancel.cancel,
                    };
                    let r = engine.run(&mut src, &mut guarded);
                    before += src.total_len().unwrap_or(0);
                    p.done.store(before, Ordering::Relaxed);
                    match r {
                        Ok(_) => {}
                        Err(EngineError::Output(_)) => break, // cancelled
                        Err(err) => {
                            set(&e, err.to_string());
                            break;
                        }
                    }
                }
                p.finished.store(true, Ordering::Release);
            })
            .ok();
        Indexer {
            progress,
            error,
            handle,
            capture: None,
        }
    }

    pub fn finished(&self) -> bool {
        self.progress.finished.load(Ordering::Acquire)
    }

    pub fn stop(&mut self) {
        self.progress.cancel.store(true, Ordering::Relaxed);
        if let Some(s) = &self.capture {
            s.request();
        }
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn set(slot: &Mutex<Option<String>>, msg: String) {
    if let Ok(mut s) = slot.lock() {
        *s = Some(msg);
    }
}

/// Passes packets on until cancelled (then fails the run, which stops it).
struct Guard<'a, S: Sink> {
    inner: &'a mut S,
    cancel: &'a AtomicBool,
}

impl<S: Sink> Sink for Guard<'_, S> {
    fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
        if self.cancel.load(Ordering::Relaxed) {
            return Err(io::Error::other("cancelled"));
        }
        self.inner.packet(pkt)
    }
    fn tick(&mut self, why: crate::engine::Tick, status: &Status) -> io::Result<()> {
        self.inner.tick(why, status)
    }
}

/// Reads frame bytes at increasing offsets through a window, so a pass over
/// a million frames makes a few hundred reads, not a million.
pub struct SeqReader {
    files: Vec<File>,
    win: Vec<u8>,
    win_file: usize,
    win_at: u64,
}

const WINDOW: usize = 1 << 20;

impl SeqReader {
    pub fn open(paths: &[String]) -> io::Result<SeqReader> {
        Ok(SeqReader {
            files: paths.iter().map(File::open).collect::<io::Result<_>>()?,
            win: Vec::new(),
            win_file: usize::MAX,
            win_at: 0,
        })
    }

    /// The bytes `len` at `at` in file `file`.
    pub fn get(&mut self, file: usize, at: u64, len: usize) -> io::Result<&[u8]> {
        let inside = self.win_file == file
            && at >= self.win_at
            && at + len as u64 <= self.win_at + self.win.len() as u64;
        if !inside {
            let f = self
                .files
                .get(file)
                .ok_or_else(|| io::Error::other("no such file"))?;
            self.win.resize(WINDOW.max(len), 0);
            let mut got = 0;
            while got < self.win.len() {
                let n = f.read_at(&mut self.win[got..], at + got as u64)?;
                if n == 0 {
                    break;
                }
                got += n;
            }
            self.win.truncate(got);
            self.win_file = file;
            self.win_at = at;
            if got < len {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("frame bytes at offset {at} are past the end of the file"),
                ));
            }
        }
        let s = (at - self.win_at) as usize;
        Ok(&self.win[s..s + len])
    }
}

/// Replays indexed packets (positions `from..`) through `f`, in frame
/// order, as the streaming pass delivered them; stops when `f` says so or
/// the job is cancelled. Returns false when cancelled.
/// What a replay reads: the index, its files, and (while a file is still
/// being indexed) the indexing pass, which a replay waits for so it sees
/// every packet.
#[derive(Clone)]
pub struct Data {
    pub index: Arc<Mutex<Index>>,
    pub paths: Vec<String>,
    pub indexing: Option<Arc<Progress>>,
}

pub fn replay(
    data: &Data,
    progress: &Progress,
    mut f: impl FnMut(usize, &Packet<'_>) -> bool,
) -> io::Result<bool> {
    let index = &data.index;
    let mut rd = SeqReader::open(&data.paths)?;
    let mut pos = 0usize;
    const CHUNK: usize = 2048;
    loop {
        if progress.cancel.load(Ordering::Relaxed) {
            return Ok(false);
        }
        let ix = index
            .lock()
            .map_err(|_| io::Error::other("index poisoned"))?;
        let len = ix.len();
        // Records evicted under the cap meanwhile are gone: skip them.
        pos = pos.max(ix.first());
        progress.total.store(len as u64, Ordering::Relaxed);
        if pos >= len {
            let more = data
                .indexing
                .as_ref()
                .is_some_and(|p| !p.finished.load(Ordering::Acquire));
            if !more {
                return Ok(true);
            }
            drop(ix);
            std::thread::sleep(std::time::Duration::from_millis(20));
            continue;
        }
        let end = (pos + CHUNK).min(len);
        for i in pos..end {
            let Some(r) = ix.rec(i) else { break };
            let data = rd.get(r.file as usize, r.offset, r.cap_len as usize)?;
            if let Some((pkt, _)) = ix.packet(i, data) {
                if !f(i, &pkt) {
                    return Ok(true);
                }
            }
        }
        drop(ix);
        pos = end;
        progress.done.store(pos as u64, Ordering::Relaxed);
    }
}

/// A replay running on its own thread, with a result when done.
pub struct Job<T: Send + 'static> {
    pub progress: Arc<Progress>,
    pub what: String,
    handle: Option<JoinHandle<io::Result<Option<T>>>>,
}

impl<T: Send + 'static> Job<T> {
    pub fn spawn(
        what: String,
        f: impl FnOnce(&Progress) -> io::Result<Option<T>> + Send + 'static,
    ) -> Job<T> {
        let progress = Arc::new(Progress::default());
        let p = progress.clone();
        let handle = std::thread::Builder::new()
            .name("layerscope-job".into())
            .spawn(move || {
                let r = f(&p);
                p.finished.store(true, Ordering::Release);
                r
            })
            .ok();
        Job {
            progress,
            what,
            handle,
        }
    }

    pub fn finished(&self) -> bool {
        self.progress.finished.load(Ordering::Acquire)
    }

    pub fn cancel(&mut self) {
        self.progress.cancel.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }

    /// The result once finished: None when cancelled.
    pub fn take(&mut self) -> Option<io::Result<Option<T>>> {
        if !self.finished() {
            return None;
        }
        self.handle.take().map(|h| {
            h.join()
                .unwrap_or_else(|_| Err(io::Error::other("job failed")))
        })
    }
}

impl<T: Send + 'static> Drop for Job<T> {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// The positions of the packets a display filter keeps.
pub fn filter_job(data: Data, expr: String) -> Job<Vec<u32>> {
    Job::spawn(format!("filter {expr}"), move |p| {
        let mut filter = Filter::compile(&expr).map_err(|e| io::Error::other(e.to_string()))?;
        let mut keep = Vec::new();
        let done = replay(&data, p, |i, pkt| {
            if filter.matches(pkt) {
                keep.push(i as u32);
            }
            true
        })?;
        Ok(done.then_some(keep))
    })
}

/// An in-memory output a sink writes into, read back when it finishes.
#[derive(Clone, Default)]
pub struct SharedBuf(Rc<std::cell::RefCell<Vec<u8>>>);

impl io::Write for SharedBuf {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Runs an engine sink (made on the job's thread, writing into the buffer
/// it is given) over the indexed packets (those in `only`, when given) and
/// returns what it wrote.
pub fn sink_job<S, F>(
    data: Data,
    what: String,
    only: Option<Arc<Vec<u32>>>,
    make: F,
) -> Job<Vec<u8>>
where
    S: Sink,
    F: FnOnce(SharedBuf) -> io::Result<S> + Send + 'static,
{
    Job::spawn(what, move |p| {
        let out = SharedBuf::default();
        let mut sink = make(out.clone())?;
        let mut first = None;
        let mut count = 0u64;
        let mut next = 0usize;
        let mut err = None;
        let done = replay(&data, p, |i, pkt| {
            if let Some(only) = &only {
                while next < only.len() && (only[next] as usize) < i {
                    next += 1;
                }
                if only.get(next).is_none_or(|&o| o as usize != i) {
                    return true;
                }
            }
            first.get_or_insert(pkt.first_ts);
            count += 1;
            if let Err(e) = sink.packet(pkt) {
                err = Some(e);
                return false;
            }
            true
        })?;
        if let Some(e) = err {
            return Err(e);
        }
        if !done {
            return Ok(None);
        }
        sink.finish(&Status {
            packets: count,
            first_ts: first,
        })?;
        drop(sink);
        let mut v = out.0.borrow().clone();
        if v.is_empty() {
            // Sinks that write elsewhere (a file) report how many packets.
            v = count.to_string().into_bytes();
        }
        Ok(Some(v))
    })
}

/// Opens every file for on-demand reads.
pub fn backing(paths: &[String]) -> io::Result<Backing> {
    let mut b = Backing::default();
    for p in paths {
        b.add(p)?;
    }
    Ok(b)
}
