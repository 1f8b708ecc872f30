//! `--threads N`: the engine's work spread over N workers, output unchanged.
//!
//! ```text
//!              ┌─▶ worker 0: dissect, flow state, filter, render ─┐
//! frames ─▶ number, BPF, shard ─▶ worker 1 ...                      ├─▶ merge in frame order ─▶ output
//!              └─▶ worker N-1 ...                                  ─┘
//! ```
//!
//! The calling thread numbers frames, applies BPF and `-c`, and hands each
//! frame to the worker its conversation is sharded to ([`shard`]): both
//! directions of a flow, its IP fragments, its TCP reassembly, its FTP data
//! connections and the ICMP errors quoting it land on one worker, which owns
//! that state ([`FlowState`]). Frames travel in rounds; each worker renders
//! its frames of a round into a buffer ([`Split::Part`]), and the rounds'
//! rows are put back together in frame order. Stream indices are made
//! capture-wide, so every output is byte for byte the one-thread output:
//! through a [`Ledger`] as each stream opens when rows or the display
//! filter show them, by renumbering each part once the capture ends when
//! only the end shows them (conversation tables), and not at all when
//! nothing shows them.

use super::{decode, End, EngineError, EngineOptions, Evictions, FlowState, How, ProgressFn, Sink};
use super::{Bpf, FrameSource, Pull, Status};
use crate::dissect::Packet;
use crate::flow::ledger::{Ledger, LedgerHandle};
use crate::flow::FlowHasherBuilder;
use crate::source::file::Block;
use crate::source::{Frame, Timestamp};
use std::collections::{HashMap, VecDeque};
use std::io;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use crate::flow::STREAM_FIELDS;

/// Frames per round (over all workers).
const ROUND: usize = 2048;
/// Frame bytes per round: big frames close a round early, so the rounds in
/// flight (and their rows) stay a few MiB whatever the capture holds.
const ROUND_BYTES: usize = 1 << 20;
/// Rounds in flight before the calling thread waits for the oldest.
const DEPTH: usize = 4;

/// An output that can be spread over workers: each worker renders or
/// aggregates into a part, and the whole takes their rows in frame order
/// and their aggregates at the end.
pub trait Split {
    type Part: Sink + Send + 'static;
    /// A fresh part with the whole's settings.
    fn part(&self) -> Self::Part;
    /// Before a part's first packet: the first frame's timestamp digits
    /// (what a header's column widths follow).
    fn start(_part: &mut Self::Part, _digits: u8) {}
    /// The part's rendered rows (None: the part aggregates).
    fn rows(_part: &mut Self::Part) -> Option<&mut Vec<u8>> {
        None
    }
    /// One packet's rows, in frame order. With late stream indices
    /// ([`Split::late_streams`]), `streams` makes the indices of the worker
    /// that rendered them capture-wide.
    fn emit(&mut self, _rows: &[u8], _digits: u8, _streams: &StreamMap) -> io::Result<()> {
        Ok(())
    }
    /// Whether [`Split::emit`] takes the rows of several packets at once
    /// (text rows, each ending its own line): then a worker's rows that
    /// follow each other in frame order go out in one call, and a round's
    /// rows without late stream indices through [`Split::emit_runs`].
    fn joins_rows(&self) -> bool {
        false
    }
    /// A round's rows in frame order, as runs of consecutive rows, when
    /// [`Split::joins_rows`] and no stream index is to be rewritten.
    fn emit_runs(&mut self, runs: &mut [io::IoSlice<'_>], digits: u8) -> io::Result<()> {
        let none = StreamMap::default();
        runs.iter().try_for_each(|r| self.emit(r, digits, &none))
    }
    /// Once, after the last packet: every part, worker 0 first.
    fn join(&mut self, parts: Vec<Self::Part>, status: &Status) -> io::Result<()>;
    /// Parts that close idle state on a clock of capture time (as
    /// [`Sink::clock`]): how often it ticks. The ticks follow every frame
    /// of the capture, as one thread's clock does, though each part sees
    /// only its own frames.
    fn clock_every(&self) -> Option<i128> {
        None
    }
    /// Whether the output shows stream indices (`tcp.stream`, `udp.stream`,
    /// `quic.connection.number`). Only then must workers number streams
    /// capture-wide, each waiting at a new stream for the others to pass
    /// its frame; otherwise a worker's own count keys its state as well.
    fn shows_streams(&self) -> bool {
        true
    }
    /// Whether the output can take stream indices each worker numbered
    /// alone, made capture-wide after decoding: rows as they are merged
    /// ([`Split::emit`]'s map), aggregates at the end ([`Split::renumber`]).
    /// Then no worker waits for another at a new stream.
    fn late_streams(&self) -> bool {
        false
    }
    /// Tells a part its stream indices will be made capture-wide later
    /// (rows mark them for [`Split::emit`] to rewrite).
    fn use_late_streams(_part: &mut Self::Part) {}
    /// Rewrites an aggregating part's stream indices before
    /// [`Split::join`], with its worker's [`StreamMap`].
    fn renumber(_part: &mut Self::Part, _map: &StreamMap) {}
    /// Puts a part on the ticks (it keeps no clock of its own).
    fn use_clock(_part: &mut Self::Part) {}
    /// A tick at `now`, before the frame it was due at.
    fn clock(_part: &mut Self::Part, _now: Timestamp) {}
}

/// One worker's stream indices made capture-wide, by slot (0 TCP streams,
/// 1 UDP streams, 2 QUIC connections) and the worker's own index. Row
/// outputs forget the streams their worker has forgotten, so the map holds
/// at most what the workers' stream tables hold.
pub struct StreamMap {
    slots: [HashMap<u32, u32, FlowHasherBuilder>; 3],
}

impl Default for StreamMap {
    fn default() -> Self {
        StreamMap {
            slots: std::array::from_fn(|_| HashMap::with_hasher(FlowHasherBuilder::random())),
        }
    }
}

impl StreamMap {
    /// The capture-wide index of the worker's own `local` in `slot`.
    pub fn get(&self, slot: usize, local: u32) -> Option<u32> {
        self.slots.get(slot)?.get(&local).copied()
    }

    /// Whether it maps nothing (the indices are capture-wide already).
    pub fn is_empty(&self) -> bool {
        self.slots.iter().all(HashMap::is_empty)
    }

    pub(crate) fn insert(&mut self, slot: usize, local: u32, global: u32) {
        self.slots[slot].insert(local, global);
    }

    fn forget(&mut self, slot: usize, local: u32) {
        self.slots[slot].remove(&local);
    }
}

/// Whether a display filter reads stream indices: its workers must then
/// number streams capture-wide as they open (through the ledger).
pub fn reads_streams(f: &crate::filter::Filter) -> bool {
    f.names()
        .iter()
        .any(|n| STREAM_FIELDS.contains(&n.as_str()))
}

/// The worker a frame goes to: its conversation's address pair, hashed.
pub fn shard(linktype: u32, bytes: &[u8], workers: usize) -> usize {
    if workers <= 1 {
        return 0;
    }
    match shard::key(linktype, bytes) {
        // The key's high bits scaled to the worker count: a multiplication
        // where `%` would divide, once per frame.
        Some(k) => ((u128::from(k) * workers as u128) >> 64) as usize,
        None => 0,
    }
}

/// One frame of a round, its bytes in one of the round's blocks or in
/// its own buffer.
struct Meta {
    number: u64,
    first_ts: Timestamp,
    prev_ts: Timestamp,
    prev_shown_ts: Option<Timestamp>,
    ts: Timestamp,
    wire_len: u32,
    linktype: u32,
    interface: u32,
    ts_digits: u8,
    /// Index in `blocks`; [`COPIED`]: in `data`.
    block: u32,
    off: usize,
    len: usize,
}

/// [`Meta::block`] of a frame copied into the round.
const COPIED: u32 = u32::MAX;

#[derive(Default)]
struct Round {
    metas: Vec<Meta>,
    /// The reader's blocks the frames lie in (shared, not copied).
    blocks: Vec<Block>,
    /// Frames of sources without shareable blocks, copied.
    data: Vec<u8>,
    /// Clock ticks ([`Split::clock`]): the frame each is due before.
    ticks: Vec<(u64, Timestamp)>,
}

enum ToWorker {
    /// A round's frames; `next` is the first frame number after the round.
    /// `spare`: an emptied rows buffer to render into (buffers go round
    /// between the threads: fresh ones would cost a page fault per 4 KiB).
    Round {
        round: Round,
        next: u64,
        digits: u8,
        spare: Vec<u8>,
    },
    Finish,
}

enum FromWorker<P> {
    /// Rows of a round and where each frame's rows end, with the round's
    /// emptied frame buffers for the next one, and the streams its frames
    /// opened and forgot (late numbering).
    Rows(Vec<u8>, Vec<u32>, Round, Vec<Opened>, Vec<(u8, u32)>),
    /// In place of a round's rows once the part failed (the error, the
    /// first time).
    Failed(Option<EngineError>),
    Done(Box<P>, Evictions),
}

/// The `k`-th frame of a worker's round opened these many TCP streams, UDP
/// streams and QUIC connections (only frames that opened any).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Opened {
    k: u32,
    n: [u32; 3],
}

/// Capture-wide stream numbers, given out in frame order as the merge
/// meets the frames that opened them.
struct Numbers {
    next: [u32; 3],
    /// Per worker: the map, and its own next index per slot.
    maps: Vec<StreamMap>,
    own: Vec<[u32; 3]>,
}

impl Numbers {
    fn new(workers: usize) -> Numbers {
        Numbers {
            next: [0; 3],
            maps: (0..workers).map(|_| Default::default()).collect(),
            own: vec![[0; 3]; workers],
        }
    }

    /// Worker `w`'s next streams: the next capture-wide numbers.
    fn open(&mut self, w: usize, n: [u32; 3]) {
        for (p, &count) in n.iter().enumerate() {
            for _ in 0..count {
                let local = self.own[w][p];
                self.own[w][p] = local.wrapping_add(1);
                self.maps[w].insert(p, local, self.next[p]);
                self.next[p] = self.next[p].wrapping_add(1);
            }
        }
    }
}

struct Worker<P> {
    tx: Option<SyncSender<ToWorker>>,
    rx: Option<Receiver<FromWorker<P>>>,
    handle: Option<JoinHandle<()>>,
}

/// The parallel engine: the same numbering and filters as [`super::Engine`].
pub struct Parallel<S: Split> {
    whole: S,
    workers: Vec<Worker<S::Part>>,
    opts: EngineOptions,
    bpf: Option<Bpf>,
    number: u64,
    passed: u64,
    first_ts: Option<Timestamp>,
    last_ts: Option<Timestamp>,
    digits: Option<u8>,
    /// The round being filled, per worker, and which worker each frame went to.
    filling: Vec<Round>,
    order: Vec<u8>,
    /// Rounds sent and not merged: their frame-to-worker order.
    pending: VecDeque<Vec<u8>>,
    progress: Option<ProgressFn>,
    /// Frame bytes in the round being filled.
    round_bytes: usize,
    /// Per worker: emptied frame buffers and rows buffers to reuse.
    free_rounds: Vec<Vec<Round>>,
    free_rows: Vec<Vec<Vec<u8>>>,
    /// The parts' clock: how often it ticks, and the last tick.
    clock: Option<(i128, Option<Timestamp>)>,
    evictions: Evictions,
    failed: bool,
    /// Workers number streams alone; the merge makes them capture-wide.
    late: Option<Numbers>,
    /// What [`Split::emit`] gets when indices are capture-wide already.
    no_map: StreamMap,
}

impl<S: Split> Parallel<S> {
    /// Starts `threads` workers (at least two).
    pub fn new(opts: EngineOptions, threads: usize, whole: S) -> io::Result<Self> {
        let n = threads.clamp(2, 255);
        // tcp.stream / udp.stream, and quic.connection.number apart; no
        // ledger when neither the output nor the display filter reads them.
        let filtered = opts.display.as_ref().is_some_and(reads_streams);
        let numbered = (whole.shows_streams() && !whole.late_streams()) || filtered;
        let late = whole.shows_streams() && !numbered;
        let handles: Vec<_> = if numbered {
            Ledger::handles(n)
                .into_iter()
                .zip(Ledger::handles(n))
                .map(|(flows, quic)| Numbering::Ledger(flows, quic))
                .collect()
        } else if late {
            (0..n).map(|_| Numbering::Late).collect()
        } else {
            (0..n).map(|_| Numbering::Own).collect()
        };
        let how = How {
            reasm: opts.reasm,
            plain: opts.plain,
            lazy: false,
        };
        let clock = whole.clock_every().map(|every| (every, None));
        let held = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut workers = Vec::with_capacity(n);
        for ledger in handles {
            {
                let (tx, wrx) = sync_channel(DEPTH + 1);
                let (wtx, rx) = sync_channel(DEPTH + 1);
                let mut part = whole.part();
                if clock.is_some() {
                    S::use_clock(&mut part);
                }
                let how = How {
                    lazy: part.lazy_app(),
                    ..how
                };
                let mut state = FlowState::share(&opts, n);
                state.flows.share_cap(held.clone());
                if late {
                    S::use_late_streams(&mut part);
                }
                let display = opts.display.clone();
                let handle = std::thread::Builder::new()
                    .name("ls-decode".into())
                    .spawn(move || work::<S>(part, state, ledger, how, display, wrx, wtx))?;
                workers.push(Worker {
                    tx: Some(tx),
                    rx: Some(rx),
                    handle: Some(handle),
                });
            }
        }
        Ok(Parallel {
            whole,
            filling: (0..n).map(|_| Round::default()).collect(),
            workers,
            bpf: opts.bpf.as_deref().map(Bpf::new),
            opts,
            number: 0,
            passed: 0,
            first_ts: None,
            last_ts: None,
            digits: None,
            order: Vec::with_capacity(ROUND),
            round_bytes: 0,
            free_rounds: (0..n).map(|_| Vec::new()).collect(),
            free_rows: (0..n).map(|_| Vec::new()).collect(),
            clock,
            pending: VecDeque::new(),
            progress: None,
            evictions: Evictions::default(),
            failed: false,
            late: late.then(|| Numbers::new(n)),
            no_map: StreamMap::default(),
        })
    }

    pub fn packets(&self) -> u64 {
        self.passed
    }

    pub fn status(&self) -> Status {
        Status {
            packets: self.passed,
            first_ts: self.first_ts,
        }
    }

    pub fn set_progress(&mut self, f: Option<ProgressFn>) {
        self.progress = f;
    }

    pub fn evictions(&self) -> Evictions {
        self.evictions
    }

    pub fn whole(&mut self) -> &mut S {
        &mut self.whole
    }

    /// Every frame of `src` (files and pipes; no ticks), as [`super::Engine::run`].
    pub fn run<F: FrameSource + ?Sized>(&mut self, src: &mut F) -> Result<End, EngineError> {
        let r = self.pump(src);
        if self.failed {
            return r;
        }
        // Rows of the frames before an error still go out.
        let sent = self.send_round();
        let merged = self.merge_all();
        sent.and(merged).and(r)
    }

    fn pump<F: FrameSource + ?Sized>(&mut self, src: &mut F) -> Result<End, EngineError> {
        let mut since = 0u32;
        loop {
            let (frame, block) = match src.pull_shared()? {
                (Pull::Frame(f), b) => (f, b),
                (Pull::End | Pull::Idle, _) => return Ok(End::Eof),
            };
            let limit = self.opts.count;
            if limit.is_some_and(|l| self.passed >= l) {
                return Ok(End::Count);
            }
            self.number += 1;
            let first = *self.first_ts.get_or_insert(frame.ts);
            if let Some(bpf) = &mut self.bpf {
                if !bpf.matches(&frame).map_err(EngineError::Filter)? {
                    continue;
                }
            }
            self.passed += 1;
            self.tick(frame.ts);
            self.push(&frame, block, first);
            if self.order.len() >= ROUND || self.round_bytes >= ROUND_BYTES {
                self.send_round()?;
                if self.pending.len() > DEPTH {
                    self.merge_one()?;
                }
            }
            if let Some(p) = &mut self.progress {
                since += 1;
                if since >= super::PROGRESS_EVERY {
                    since = 0;
                    p(self.passed, src.position());
                }
            }
            if limit.is_some_and(|l| self.passed >= l) {
                return Ok(End::Count);
            }
        }
    }

    /// A clock tick before this frame when one is due (where one thread's
    /// sink would sweep).
    fn tick(&mut self, ts: Timestamp) {
        let Some((every, last)) = &mut self.clock else {
            return;
        };
        if last.is_some_and(|t| ts.nanos_since(t) < *every) {
            return;
        }
        *last = Some(ts);
        for r in &mut self.filling {
            r.ticks.push((self.number, ts));
        }
    }

    fn push(&mut self, frame: &Frame<'_>, block: Option<(&Block, usize)>, first: Timestamp) {
        let prev = self.last_ts.replace(frame.ts);
        self.digits.get_or_insert(frame.ts_digits);
        let w = shard(frame.linktype, frame.bytes, self.workers.len());
        let r = &mut self.filling[w];
        let len = frame.bytes.len();
        let (index, off) = match block {
            Some((b, off)) => {
                if !r.blocks.last().is_some_and(|l| Block::ptr_eq(l, b)) {
                    r.blocks.push(Block::clone(b));
                }
                ((r.blocks.len() - 1) as u32, off)
            }
            None => {
                r.data.extend_from_slice(frame.bytes);
                (COPIED, r.data.len() - len)
            }
        };
        r.metas.push(Meta {
            number: self.number,
            first_ts: first,
            prev_ts: prev.unwrap_or(frame.ts),
            // Without a display filter every frame is shown.
            prev_shown_ts: prev,
            ts: frame.ts,
            wire_len: frame.wire_len,
            linktype: frame.linktype,
            interface: frame.interface,
            ts_digits: frame.ts_digits,
            block: index,
            off,
            len,
        });
        self.round_bytes += len;
        self.order.push(w as u8);
    }

    fn send_round(&mut self) -> Result<(), EngineError> {
        self.round_bytes = 0;
        if self.order.is_empty() {
            return Ok(());
        }
        let next = self.number + 1;
        let digits = self.digits.unwrap_or(6);
        for w in 0..self.workers.len() {
            let fresh = self.free_rounds[w].pop().unwrap_or_default();
            let round = std::mem::replace(&mut self.filling[w], fresh);
            let spare = self.free_rows[w].pop().unwrap_or_default();
            let sent = self.workers[w].tx.as_ref().is_some_and(|tx| {
                tx.send(ToWorker::Round {
                    round,
                    next,
                    digits,
                    spare,
                })
                .is_ok()
            });
            if !sent {
                return Err(self.worker_gone());
            }
        }
        self.pending.push_back(std::mem::take(&mut self.order));
        Ok(())
    }

    fn worker_gone(&mut self) -> EngineError {
        self.failed = true;
        EngineError::Output(io::Error::other("a decoding thread stopped"))
    }

    /// The oldest round's rows, in frame order.
    fn merge_one(&mut self) -> Result<(), EngineError> {
        let Some(order) = self.pending.pop_front() else {
            return Ok(());
        };
        let mut rows = Vec::with_capacity(self.workers.len());
        let mut forgotten = Vec::with_capacity(self.workers.len());
        let mut first_err = None;
        for w in 0..self.workers.len() {
            match self.workers[w].rx.as_ref().map(|rx| rx.recv()) {
                Some(Ok(FromWorker::Rows(r, e, mut spent, opened, forgot))) => {
                    spent.metas.clear();
                    spent.blocks.clear();
                    spent.data.clear();
                    spent.ticks.clear();
                    self.free_rounds[w].push(spent);
                    rows.push((r, e, 0usize, 0usize, opened, 0usize));
                    forgotten.push(forgot);
                }
                Some(Ok(FromWorker::Failed(e))) => {
                    if let Some(e) = e {
                        first_err.get_or_insert(e);
                    }
                    rows.push(Default::default());
                    forgotten.push(Vec::new());
                }
                _ => {
                    let e = self.worker_gone();
                    first_err.get_or_insert(e);
                    rows.push(Default::default());
                    forgotten.push(Vec::new());
                }
            }
        }
        if let Some(e) = first_err {
            self.failed = true;
            return Err(e);
        }
        if self.failed {
            return Err(self.worker_gone());
        }
        let digits = self.digits.unwrap_or(6);
        // Rows of one worker that follow each other in frame order lie
        // side by side in its buffer: emitted as one piece where the output
        // takes that (a conversation's frames mostly come in runs). The
        // stream maps only gain entries during a round, so rows emitted
        // after later rows' streams opened read the same indices.
        let joins = self.whole.joins_rows();
        let gather = joins && self.late.is_none();
        let mut runs: Vec<(usize, usize, usize)> = Vec::new();
        let mut run: Option<(usize, usize, usize)> = None;
        for w in order {
            let w = w as usize;
            let (_, ends, at, k, opened, o) = &mut rows[w];
            let end = ends.get(*k).map_or(*at, |&e| e as usize);
            let start = *at;
            if let Some(late) = &mut self.late {
                if let Some(op) = opened.get(*o).filter(|op| op.k as usize == *k) {
                    late.open(w, op.n);
                    *o += 1;
                }
            }
            *k += 1;
            *at = end;
            if end == start {
                continue;
            }
            match &mut run {
                Some((rw, _, e)) if joins && *rw == w && *e == start => *e = end,
                _ => match run.replace((w, start, end)) {
                    Some(r) if gather => runs.push(r),
                    Some((rw, s, e)) => self.emit_rows(&rows[rw].0[s..e], rw, digits)?,
                    None => {}
                },
            }
        }
        // A round that shows nothing writes nothing (not even a header).
        if gather && (run.is_some() || !runs.is_empty()) {
            runs.extend(run);
            let mut slices: Vec<io::IoSlice<'_>> = runs
                .iter()
                .map(|&(w, s, e)| io::IoSlice::new(&rows[w].0[s..e]))
                .collect();
            self.whole
                .emit_runs(&mut slices, digits)
                .map_err(EngineError::Output)?;
        } else if let Some((rw, s, e)) = run {
            self.emit_rows(&rows[rw].0[s..e], rw, digits)?;
        }
        // Streams a worker forgot during the round: no later row shows
        // their indices.
        if let Some(late) = &mut self.late {
            for (w, forgot) in forgotten.into_iter().enumerate() {
                for (slot, local) in forgot {
                    late.maps[w].forget(slot as usize, local);
                }
            }
        }
        // The rows buffers go back for later rounds (a few per worker).
        for (w, (mut buf, ..)) in rows.into_iter().enumerate() {
            if self.free_rows[w].len() < DEPTH + 1 {
                buf.clear();
                self.free_rows[w].push(buf);
            }
        }
        Ok(())
    }

    fn emit_rows(&mut self, rows: &[u8], w: usize, digits: u8) -> Result<(), EngineError> {
        let map = self.late.as_ref().map_or(&self.no_map, |l| &l.maps[w]);
        self.whole
            .emit(rows, digits, map)
            .map_err(EngineError::Output)
    }

    fn merge_all(&mut self) -> Result<(), EngineError> {
        while !self.pending.is_empty() {
            self.merge_one()?;
        }
        Ok(())
    }

    /// Stops the workers and hands their parts to the whole.
    pub fn finish(&mut self) -> io::Result<()> {
        let mut parts = Vec::new();
        for w in &mut self.workers {
            if let Some(tx) = w.tx.take() {
                let _ = tx.send(ToWorker::Finish);
            }
        }
        for w in &mut self.workers {
            let Some(rx) = w.rx.take() else { continue };
            loop {
                match rx.recv() {
                    Ok(FromWorker::Done(p, e)) => {
                        parts.push(*p);
                        self.evictions.add(e);
                        break;
                    }
                    Ok(_) => continue,
                    Err(_) => break,
                }
            }
            if let Some(h) = w.handle.take() {
                let _ = h.join();
            }
        }
        if parts.len() != self.workers.len() {
            return Err(io::Error::other("a decoding thread stopped"));
        }
        if let Some(late) = &self.late {
            for (p, m) in parts.iter_mut().zip(&late.maps) {
                S::renumber(p, m);
            }
        }
        let status = self.status();
        self.whole.join(parts, &status)
    }
}

impl<S: Split> Drop for Parallel<S> {
    fn drop(&mut self) {
        // Closed channels end each worker's loop, even one blocked handing
        // over rows.
        for w in &mut self.workers {
            w.rx.take();
            w.tx.take();
        }
        for w in &mut self.workers {
            if let Some(h) = w.handle.take() {
                let _ = h.join();
            }
        }
    }
}

/// How a worker's stream indices become capture-wide.
enum Numbering {
    /// They need not: nothing shows them.
    Own,
    /// Through the ledgers (TCP/UDP streams, QUIC connections) as they open.
    Ledger(LedgerHandle, LedgerHandle),
    /// By the merge, from the streams each frame opened.
    Late,
}

/// A worker: its shard's frames through [`decode`] into its part.
fn work<S: Split>(
    mut part: S::Part,
    mut st: FlowState,
    numbering: Numbering,
    how: How,
    mut display: Option<crate::filter::Filter>,
    rx: Receiver<ToWorker>,
    tx: SyncSender<FromWorker<S::Part>>,
) {
    let mut progress = Vec::new();
    let late = matches!(numbering, Numbering::Late);
    // Rows show only the streams a worker holds: the merge may forget the
    // rest. Aggregates keep every stream to the end.
    let rows_out = S::rows(&mut part).is_some();
    if late && rows_out {
        st.flows.keep_forgotten();
        st.quic.keep_forgotten();
    }
    if let Numbering::Ledger(ledger, quic) = numbering {
        progress = vec![ledger.progress(), quic.progress()];
        st.flows.set_ledger(ledger);
        st.quic.set_ledger(quic);
    }
    let mut started = false;
    let mut failed = None;
    while let Ok(msg) = rx.recv() {
        let (round, next, digits, spare) = match msg {
            ToWorker::Round {
                round,
                next,
                digits,
                spare,
            } => (round, next, digits, spare),
            ToWorker::Finish => break,
        };
        if !started {
            started = true;
            S::start(&mut part, digits);
        }
        let mut ends = Vec::with_capacity(round.metas.len());
        let mut opened = Vec::new();
        let mut ticks = round.ticks.iter().peekable();
        for (k, m) in round.metas.iter().enumerate() {
            progress.iter().for_each(|p| p.set(m.number));
            if failed.is_some() {
                continue;
            }
            while let Some(&&(_, now)) = ticks.peek().filter(|t| t.0 <= m.number) {
                S::clock(&mut part, now);
                ticks.next();
            }
            let frame = Frame {
                ts: m.ts,
                wire_len: m.wire_len,
                linktype: m.linktype,
                interface: m.interface,
                ts_digits: m.ts_digits,
                bytes: match m.block {
                    COPIED => Some(&round.data[..]),
                    b => round.blocks.get(b as usize).map(|b| &b[..]),
                }
                .and_then(|d| d.get(m.off..m.off + m.len))
                .unwrap_or(&[]),
            };
            let mut pkt = Packet::new(&frame, m.number, m.first_ts);
            pkt.prev_ts = m.prev_ts;
            pkt.prev_shown_ts = m.prev_shown_ts;
            let before = late.then(|| streams_opened(&st));
            if let Err(e) = decode(&mut st, how, display.as_mut(), &mut pkt, &mut part) {
                failed = Some(Some(e));
            }
            if let Some(b) = before {
                let a = streams_opened(&st);
                let n = [0, 1, 2].map(|p| a[p].wrapping_sub(b[p]));
                if n != [0; 3] {
                    opened.push(Opened { k: k as u32, n });
                }
            }
            ends.push(S::rows(&mut part).map_or(0, |r| r.len() as u32));
        }
        ticks.for_each(|&(_, now)| S::clock(&mut part, now));
        progress.iter().for_each(|p| p.set(next));
        let reply = match &mut failed {
            Some(e) => FromWorker::Failed(e.take()),
            None => FromWorker::Rows(
                S::rows(&mut part)
                    .map(|r| std::mem::replace(r, spare))
                    .unwrap_or_default(),
                ends,
                round,
                opened,
                forgotten(&mut st),
            ),
        };
        if tx.send(reply).is_err() {
            break;
        }
    }
    // Later rounds' frames are numbered by others: never wait for this one.
    progress.iter().for_each(|p| p.set(u64::MAX));
    let e = st.evictions();
    drop(rx);
    let _ = tx.send(FromWorker::Done(Box::new(part), e));
}

/// The streams a worker forgot since the last call (slot, own index).
fn forgotten(st: &mut FlowState) -> Vec<(u8, u32)> {
    let mut out = st.flows.take_forgotten();
    out.extend(st.quic.take_forgotten().into_iter().map(|n| (2, n)));
    out
}

/// TCP streams, UDP streams and QUIC connections a worker has numbered.
fn streams_opened(st: &FlowState) -> [u32; 3] {
    let [tcp, udp] = st.flows.opened();
    [tcp, udp, st.quic.opened()]
}

pub mod shard {
    //! The shard key: the address pair a frame's conversation state is keyed
    //! on, read straight from the bytes (the dissectors run on the worker).

    /// Hash of the unordered address pair of the outermost IP header (the
    /// quoted header for an ICMP error, so the error goes where its flow
    /// is); None for frames without one (ARP, …) and for tunnelled frames,
    /// which all go to worker 0: one inner conversation may cross several
    /// outer address pairs (both directions of a mirrored session, GTP
    /// paths), and its state must stay on one worker.
    pub fn key(linktype: u32, b: &[u8]) -> Option<u64> {
        let ip = match linktype {
            // Ethernet, with VLAN tags, PPPoE sessions and MPLS labels.
            1 => ethernet(b, 12)?,
            // Raw IP.
            12 | 14 | 101 | 228 | 229 => b,
            // Linux cooked capture v1 and v2.
            113 => ethertype_at(b, u16_at(b, 14)?, 16)?,
            276 => ethertype_at(b, u16_at(b, 0)?, 20)?,
            // BSD loopback: a 4-byte address family.
            0 | 108 | 109 => b.get(4..)?,
            _ => return None,
        };
        ip_pair(ip, true)
    }

    fn u16_at(b: &[u8], at: usize) -> Option<u16> {
        Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
    }

    fn ethernet(b: &[u8], mut at: usize) -> Option<&[u8]> {
        for _ in 0..8 {
            match u16_at(b, at)? {
                0x8100 | 0x88a8 | 0x9100 => at += 4,
                t => return ethertype_at(b, t, at + 2),
            }
        }
        None
    }

    fn ethertype_at(b: &[u8], t: u16, at: usize) -> Option<&[u8]> {
        match t {
            0x0800 | 0x86dd => b.get(at..),
            // PPPoE session: 6 bytes, then the PPP protocol.
            0x8864 => match u16_at(b, at + 6)? {
                0x0021 | 0x0057 => b.get(at + 8..),
                _ => None,
            },
            0x8847 | 0x8848 => {
                let mut at = at;
                for _ in 0..16 {
                    let bos = b.get(at + 2)? & 1;
                    at += 4;
                    if bos == 1 {
                        return b.get(at..);
                    }
                }
                None
            }
            _ => None,
        }
    }

    /// Whether the packet carries a tunnel: an IP protocol whose decoder
    /// sits at the link or network layer (GRE, IP in IP, …; ICMP aside), or
    /// an unfragmented UDP datagram to or from a tunnel's port (VXLAN,
    /// Geneve, GTP-U, …), as the dissector registry says. Fragments of UDP
    /// datagrams stay with their address pair, where their reassembly is.
    fn tunnel(ip: &[u8]) -> bool {
        let Some((proto, fragment, rest)) = transport(ip) else {
            return false;
        };
        let below_transport = |p: crate::dissect::Proto| {
            matches!(
                p.tier(),
                crate::dissect::Tier::Link | crate::dissect::Tier::Network
            )
        };
        match proto {
            1 | 6 | 58 => false,
            17 => {
                !fragment
                    && matches!((u16_at(rest, 0), u16_at(rest, 2)), (Some(a), Some(b))
                        if crate::dissect::registry::by_ports(true, a, b).is_some_and(below_transport))
            }
            p => crate::dissect::registry::by_ip_proto(p).is_some_and(below_transport),
        }
    }

    /// The transport protocol number, whether the packet is a fragment, and
    /// the bytes after the IP headers (IPv6 extension headers skipped).
    fn transport(ip: &[u8]) -> Option<(u8, bool, &[u8])> {
        match ip.first()? >> 4 {
            4 => {
                let ihl = usize::from(ip.first()? & 0x0f) * 4;
                let frag = u16_at(ip, 6)? & 0x3fff != 0;
                Some((*ip.get(9)?, frag, ip.get(ihl.max(20)..).unwrap_or(&[])))
            }
            6 => {
                let (mut next, mut at, mut frag) = (*ip.get(6)?, 40usize, false);
                for _ in 0..8 {
                    match next {
                        0 | 43 | 60 => {
                            next = *ip.get(at)?;
                            at += (usize::from(*ip.get(at + 1)?) + 1) * 8;
                        }
                        44 => {
                            next = *ip.get(at)?;
                            frag = true;
                            at += 8;
                        }
                        _ => break,
                    }
                }
                Some((next, frag, ip.get(at..).unwrap_or(&[])))
            }
            _ => None,
        }
    }

    fn ip_pair(ip: &[u8], outer: bool) -> Option<u64> {
        let (a, c, quoted): (&[u8], &[u8], Option<&[u8]>) = match ip.first()? >> 4 {
            4 => {
                let ihl = usize::from(ip.first()? & 0x0f) * 4;
                let (a, c) = (ip.get(12..16)?, ip.get(16..20)?);
                let first_frag = u16_at(ip, 6)? & 0x1fff == 0;
                let icmp = ip.get(9) == Some(&1) && first_frag && ihl >= 20;
                let q = icmp
                    .then(|| ip.get(ihl..))
                    .flatten()
                    .filter(|m| matches!(m.first(), Some(3 | 4 | 5 | 11 | 12)))
                    .and_then(|m| m.get(8..));
                (a, c, q)
            }
            6 => {
                let (a, c) = (ip.get(8..24)?, ip.get(24..40)?);
                let q = (ip.get(6) == Some(&58))
                    .then(|| ip.get(40..))
                    .flatten()
                    .filter(|m| matches!(m.first(), Some(1..=4)))
                    .and_then(|m| m.get(8..));
                (a, c, q)
            }
            _ => return None,
        };
        if outer {
            if tunnel(ip) {
                return None;
            }
            if let Some(k) = quoted.and_then(|q| ip_pair(q, false)) {
                return Some(k);
            }
        }
        // The addresses as numbers (IPv4 in the low bits): ordered and
        // mixed in a few operations, where a byte loop took hundreds.
        let num = |x: &[u8]| match *x {
            [a, b, c, d] => u128::from(u32::from_be_bytes([a, b, c, d])),
            _ => x.try_into().map_or(0, u128::from_be_bytes),
        };
        let (a, c) = (num(a), num(c));
        let (lo, hi) = (a.min(c), a.max(c));
        let fold = |x: u128| (x as u64) ^ ((x >> 64) as u64);
        let h = (fold(lo) ^ fold(hi).rotate_left(32)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        Some(h ^ (h >> 29))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_numbered_in_the_order_the_merge_meets_them() {
        // Frame 1 (worker 0) opens a TCP stream, frame 2 (worker 1) a TCP
        // stream and a UDP one, frame 3 (worker 0) two TCP streams and a
        // QUIC connection.
        let mut n = Numbers::new(2);
        n.open(0, [1, 0, 0]);
        n.open(1, [1, 1, 0]);
        n.open(0, [2, 0, 1]);
        let got = |w: usize, slot: usize, k: u32| n.maps[w].get(slot, k);
        assert_eq!([0, 1, 2].map(|k| got(0, 0, k)), [Some(0), Some(2), Some(3)]);
        assert_eq!((got(0, 1, 0), got(0, 2, 0)), (None, Some(0)));
        assert_eq!(
            (got(1, 0, 0), got(1, 1, 0), got(1, 2, 0)),
            (Some(1), Some(0), None)
        );
        n.maps[0].forget(0, 1);
        assert_eq!(n.maps[0].get(0, 1), None);
        assert_eq!(n.maps[0].get(0, 2), Some(3));
    }
}
