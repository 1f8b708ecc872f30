//! The engine: the one path every frame takes, whatever its source.
//!
//! ```text
//! FrameSource ──frames──▶ BPF ──▶ dissect ──▶ flow state ──▶ display filter ──▶ Sink
//! (file | pipe | live)            (layers)    (streams, defrag,  (-Y)              (writers, flows,
//!                                             TCP reassembly)                      stats, follow, …)
//! ```
//!
//! One loop ([`Engine::run`]) serves capture files (read on a second
//! thread), pipes (frame by frame, the sink flushed whenever the pipe has
//! no next frame yet, so rows appear as frames arrive) and live
//! captures (with periodic ticks). It returns typed errors
//! ([`EngineError`]) and never prints or exits: the command line turns them
//! into messages and exit codes. Nothing here knows how output looks; that
//! is the sinks' business.
//!
//! All state kept between frames sits in [`Engine`] (numbering, filters) and
//! [`FlowState`] (per-conversation state), so a future worker thread can own
//! one of each for the conversations sharded to it.

mod bpf;
mod error;
pub mod live;
pub mod parallel;
pub mod queue;
pub mod sandbox;
pub mod source;
mod stop;

pub use bpf::Bpf;
pub use error::{display_name, EngineError};
pub use source::{FrameSource, Pull};
pub use stop::Stop;

use crate::dissect::{self, Packet};
use crate::filter::Filter;
use crate::flow::ip_defrag::Defrag;
use crate::flow::quic::QuicTracker;
use crate::flow::tcp_reassembly::TcpReassembler;
use crate::flow::FlowTracker;
use crate::source::{Frame, Timestamp};
use std::io;
use std::time::Instant;

/// Caps and switches for IP defragmentation and TCP reassembly.
#[derive(Clone, Copy, Debug)]
pub struct ReasmOptions {
    /// Off: decode every frame alone (as tshark with reassembly disabled).
    pub enabled: bool,
    /// TCP reassembly (with `enabled`); off, IP defragmentation still runs.
    pub tcp: bool,
    pub tcp_max_bytes: usize,
    pub frag_max_bytes: usize,
    /// Idle time of capture time after which state is dropped.
    pub timeout_secs: u64,
}

impl Default for ReasmOptions {
    fn default() -> Self {
        ReasmOptions {
            enabled: true,
            tcp: true,
            tcp_max_bytes: crate::flow::tcp_reassembly::DEFAULT_MAX_BYTES,
            frag_max_bytes: crate::flow::ip_defrag::DEFAULT_MAX_BYTES,
            timeout_secs: 60,
        }
    }
}

/// How a run decodes and which packets it hands on.
#[derive(Debug, Default)]
pub struct EngineOptions {
    /// `-c`: stop after this many packets (counted after the BPF filter).
    pub count: Option<u64>,
    /// BPF expression applied in user space, as libpcap applies it to a
    /// savefile (a live capture compiles its filter into the kernel instead).
    pub bpf: Option<String>,
    /// Display filter, applied after flow state; frames it drops keep their
    /// numbers, as in Wireshark.
    pub display: Option<Filter>,
    pub reasm: ReasmOptions,
    /// Cap on conversations the flow tracker numbers (None: its default).
    pub max_flows: Option<usize>,
    /// Hand every frame on exactly as the dissector leaves it: no
    /// defragmentation or reassembly, no first-fragment decoding, and
    /// retransmissions keep their payload (frames as they were on the wire).
    pub plain: bool,
}

/// Why a sink's `tick` runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tick {
    /// Frames arrived since the last tick.
    Frames,
    /// A read found nothing.
    Idle,
    /// The capture stopped (once, last).
    Stop,
}

/// What a sink may want to know about the run so far.
#[derive(Clone, Copy, Debug, Default)]
pub struct Status {
    /// Frames that passed the BPF filter so far.
    pub packets: u64,
    /// The first frame's timestamp (BPF or not: the time reference).
    pub first_ts: Option<Timestamp>,
}

/// A consumer of decoded packets: a writer, an aggregation, a view.
pub trait Sink {
    /// One packet that passed every filter, in frame order.
    fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()>;

    /// Runs periodically during a live capture (never for files): the
    /// place to flush, redraw, or emit what is complete. A broken pipe ends
    /// the capture quietly (a closed output); any other error ends the run
    /// with it.
    fn tick(&mut self, _why: Tick, _status: &Status) -> io::Result<()> {
        Ok(())
    }

    /// Once, after the last packet (see [`Engine::finish`]).
    fn finish(&mut self, _status: &Status) -> io::Result<()> {
        Ok(())
    }

    /// Puts out what is buffered: called when a pipe has no further frame
    /// yet, so rows written so far need not wait for the next ones.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// True when the sink reads application layers only while it lacks
    /// them: the engine then asks [`Sink::wants_app`] before decoding them.
    fn lazy_app(&self) -> bool {
        false
    }

    /// Whether this packet's application layers must be decoded (asked
    /// only when `lazy_app` is true).
    fn wants_app(&mut self, _pkt: &Packet<'_>) -> bool {
        true
    }

    /// False for a sink that reads only a frame's bytes and metadata (a
    /// count, a capture file): without a display filter the engine then
    /// hands frames on undecoded.
    fn needs_layers(&self) -> bool {
        true
    }

    /// Every frame that passed BPF, before its display filter: the
    /// capture's clock, for state that times out in capture time whether
    /// or not the frame is shown.
    fn clock(&mut self, _ts: crate::source::Timestamp) {}
}

/// A closure as a sink (packets only).
pub struct Each<F>(pub F);

/// A closure as a sink (packets only); its argument's type is inferred.
pub fn each<F: FnMut(&Packet<'_>) -> io::Result<()>>(f: F) -> Each<F> {
    Each(f)
}

impl<F: FnMut(&Packet<'_>) -> io::Result<()>> Sink for Each<F> {
    fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
        (self.0)(pkt)
    }
}

/// Two sinks fed the same packets.
impl<A: Sink, B: Sink> Sink for (A, B) {
    fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
        self.0.packet(pkt)?;
        self.1.packet(pkt)
    }
    fn tick(&mut self, why: Tick, status: &Status) -> io::Result<()> {
        self.0.tick(why, status)?;
        self.1.tick(why, status)
    }
    fn finish(&mut self, status: &Status) -> io::Result<()> {
        self.0.finish(status)?;
        self.1.finish(status)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()?;
        self.1.flush()
    }
    fn lazy_app(&self) -> bool {
        self.0.lazy_app() && self.1.lazy_app()
    }
    fn wants_app(&mut self, pkt: &Packet<'_>) -> bool {
        // Both are asked: each may keep track of what it has seen.
        let a = self.0.wants_app(pkt);
        self.1.wants_app(pkt) || a
    }
    fn clock(&mut self, ts: crate::source::Timestamp) {
        self.0.clock(ts);
        self.1.clock(ts);
    }
    fn needs_layers(&self) -> bool {
        self.0.needs_layers() || self.1.needs_layers()
    }
}

/// A sink that may be absent (e.g. no rows, only a `-w` file).
impl<S: Sink> Sink for Option<S> {
    fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
        self.as_mut().map_or(Ok(()), |s| s.packet(pkt))
    }
    fn tick(&mut self, why: Tick, status: &Status) -> io::Result<()> {
        self.as_mut().map_or(Ok(()), |s| s.tick(why, status))
    }
    fn finish(&mut self, status: &Status) -> io::Result<()> {
        self.as_mut().map_or(Ok(()), |s| s.finish(status))
    }
    fn lazy_app(&self) -> bool {
        self.as_ref().is_none_or(|s| s.lazy_app())
    }
    fn wants_app(&mut self, pkt: &Packet<'_>) -> bool {
        self.as_mut().is_some_and(|s| s.wants_app(pkt))
    }
    fn clock(&mut self, ts: crate::source::Timestamp) {
        if let Some(s) = self {
            s.clock(ts);
        }
    }
    fn needs_layers(&self) -> bool {
        self.as_ref().is_some_and(|s| s.needs_layers())
    }
}

/// A sink chosen at run time.
impl<S: Sink + ?Sized> Sink for Box<S> {
    fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
        (**self).packet(pkt)
    }
    fn tick(&mut self, why: Tick, status: &Status) -> io::Result<()> {
        (**self).tick(why, status)
    }
    fn finish(&mut self, status: &Status) -> io::Result<()> {
        (**self).finish(status)
    }
    fn lazy_app(&self) -> bool {
        (**self).lazy_app()
    }
    fn wants_app(&mut self, pkt: &Packet<'_>) -> bool {
        (**self).wants_app(pkt)
    }
    fn clock(&mut self, ts: crate::source::Timestamp) {
        (**self).clock(ts)
    }
    fn needs_layers(&self) -> bool {
        (**self).needs_layers()
    }
}

/// How a run ended without an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// The source has no more frames (end of file, or a stopped capture).
    Eof,
    /// The `-c` count is reached: no further input should be read.
    Count,
}

/// Reassembly state dropped to stay under the caps (for the closing report).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Evictions {
    pub tcp: u64,
    pub tcp_for_cap: u64,
    pub frag: u64,
    pub frag_for_cap: u64,
    /// Conversations forgotten by the stream table past its cap (one seen
    /// again gets a new stream index), and that cap.
    pub streams: u64,
    pub streams_cap: usize,
    /// QUIC connections forgotten past their cap.
    pub quic: u64,
}

impl Evictions {
    /// Adds another worker's counts (and its caps: shares of the
    /// reassembly budgets, the whole stream-table cap).
    pub fn add(&mut self, e: Evictions) {
        self.tcp += e.tcp;
        self.tcp_for_cap += e.tcp_for_cap;
        self.frag += e.frag;
        self.frag_for_cap += e.frag_for_cap;
        self.streams += e.streams;
        self.streams_cap = self.streams_cap.max(e.streams_cap);
        self.quic += e.quic;
    }
}

/// Per-conversation state kept between frames: stream numbering, IP
/// defragmentation and TCP reassembly. Everything in it is keyed by
/// conversation, so frames sharded by flow can each go to their own.
pub struct FlowState {
    pub flows: FlowTracker,
    pub defrag: Defrag,
    pub tcp: TcpReassembler,
    /// QUIC connections: Initial keys, connection IDs, CRYPTO streams.
    pub quic: QuicTracker,
    /// HTTP/2 headers decoded for the current packet (`Packet::app_decoded`).
    pub app_decoded: Vec<u8>,
}

impl FlowState {
    /// What this state dropped to stay under its caps.
    pub fn evictions(&self) -> Evictions {
        Evictions {
            tcp: self.tcp.evicted,
            tcp_for_cap: self.tcp.evicted_for_cap,
            frag: self.defrag.evicted,
            frag_for_cap: self.defrag.evicted_for_cap,
            streams: self.flows.evicted(),
            streams_cap: self.flows.cap(),
            quic: self.quic.evicted,
        }
    }
}

impl FlowState {
    fn new(o: &EngineOptions) -> Self {
        FlowState::share(o, 1)
    }

    /// One of `workers` states that together keep to `o`'s caps: each
    /// holds its share of the reassembly bytes; the stream table's cap
    /// applies to all of them together once they share a count.
    pub(crate) fn share(o: &EngineOptions, workers: usize) -> Self {
        let n = workers.max(1);
        let t = o.reasm.timeout_secs.min(1 << 32) as i128 * 1_000_000_000;
        let flows = o.max_flows.unwrap_or(crate::flow::DEFAULT_MAX_ENTRIES);
        FlowState {
            // The stream table's cap is shared through a count (see
            // Parallel::new): shards are uneven (tunnels all go to one).
            flows: FlowTracker::new(flows),
            defrag: Defrag::new(o.reasm.frag_max_bytes / n, t),
            tcp: TcpReassembler::new(o.reasm.tcp_max_bytes / n, t),
            quic: QuicTracker::default(),
            app_decoded: Vec::new(),
        }
    }
}

/// Called every this many frames with the packet count and the source's position.
const PROGRESS_EVERY: u32 = 4096;
/// Frames between two looks at the clock for a sink's tick.
const CLOCK_EVERY: u32 = 32;

/// A progress callback: packets numbered so far, input bytes consumed.
pub type ProgressFn = Box<dyn FnMut(u64, u64)>;

/// Numbering, filtering and flow state for one run over any number of sources.
pub struct Engine {
    opts: EngineOptions,
    bpf: Option<Bpf>,
    state: FlowState,
    /// Frames read so far (the next frame's number - 1): a frame the BPF
    /// filter drops keeps its number, as with a display filter, so numbers
    /// and relative times match Wireshark's for the same file.
    number: u64,
    /// Frames that passed the BPF filter (what `-c` counts).
    passed: u64,
    first_ts: Option<Timestamp>,
    /// The last numbered frame's timestamp (`frame.time_delta`).
    last_ts: Option<Timestamp>,
    /// The last displayed frame's timestamp (`frame.time_delta_displayed`).
    shown_ts: Option<Timestamp>,
    progress: Option<ProgressFn>,
    /// This run's sink reads no layers ([`Sink::needs_layers`]) and no
    /// display filter does: frames go on undecoded.
    raw: bool,
}

/// What the engine should do after a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Continue,
    Stop,
}

impl Engine {
    pub fn new(opts: EngineOptions) -> Engine {
        Engine {
            bpf: opts.bpf.as_deref().map(Bpf::new),
            state: FlowState::new(&opts),
            number: 0,
            passed: 0,
            first_ts: None,
            last_ts: None,
            shown_ts: None,
            progress: None,
            raw: false,
            opts,
        }
    }

    /// Packets that passed the BPF filter so far.
    pub fn packets(&self) -> u64 {
        self.passed
    }

    pub fn status(&self) -> Status {
        Status {
            packets: self.passed,
            first_ts: self.first_ts,
        }
    }

    /// Sets (or clears) the progress callback, called every 4096 frames.
    pub fn set_progress(&mut self, f: Option<ProgressFn>) {
        self.progress = f;
    }

    pub fn evictions(&self) -> Evictions {
        self.state.evictions()
    }

    pub fn options(&self) -> &EngineOptions {
        &self.opts
    }

    /// Feeds every frame of `src` through the engine into `sink`, until the
    /// source ends, the count is reached, or an error. A live source also
    /// ticks the sink (see [`FrameSource::tick_every`]), and once more with
    /// [`Tick::Stop`] when it stops, whatever the reason.
    ///
    /// Errors: the source's (`Input`, `Capture`; packets before it have been
    /// handed on), a BPF filter that does not compile for a link type
    /// (`Filter`), or the sink's (`Output`). The sink is not finished: call
    /// [`Engine::finish`] once the last source is done.
    pub fn run<S, K>(&mut self, src: &mut S, sink: &mut K) -> Result<End, EngineError>
    where
        S: FrameSource + ?Sized,
        K: Sink + ?Sized,
    {
        let every = src.tick_every();
        let r = self.pump(src, sink, every);
        if every.is_some() {
            src.stopped();
            let _ = sink.tick(Tick::Stop, &self.status());
        }
        r
    }

    fn pump<S, K>(
        &mut self,
        src: &mut S,
        sink: &mut K,
        every: Option<std::time::Duration>,
    ) -> Result<End, EngineError>
    where
        S: FrameSource + ?Sized,
        K: Sink + ?Sized,
    {
        let lazy = sink.lazy_app();
        self.raw = self.opts.display.is_none() && !sink.needs_layers();
        let mut last_tick = Instant::now();
        let mut since_progress = 0u32;
        let mut since_clock = 0u32;
        loop {
            if src.would_wait() {
                sink.flush().map_err(EngineError::Output)?;
            }
            let frame = match src.pull()? {
                Pull::Frame(f) => f,
                Pull::End => return Ok(End::Eof),
                Pull::Idle => {
                    last_tick = Instant::now();
                    if let Err(e) = sink.tick(Tick::Idle, &self.status()) {
                        return closed_output(e);
                    }
                    continue;
                }
            };
            if self.frame(&frame, sink, lazy)? == Step::Stop {
                return Ok(End::Count);
            }
            if let Some(p) = &mut self.progress {
                since_progress += 1;
                if since_progress >= PROGRESS_EVERY {
                    since_progress = 0;
                    p(self.passed, src.position());
                }
            }
            if let Some(every) = every {
                // Reading the clock costs more than handing a frame to a
                // capture file: under a flood, look every few frames (an
                // empty ring ticks at once, above).
                since_clock += 1;
                if since_clock >= CLOCK_EVERY {
                    since_clock = 0;
                    if last_tick.elapsed() >= every {
                        last_tick = Instant::now();
                        if let Err(e) = sink.tick(Tick::Frames, &self.status()) {
                            return closed_output(e);
                        }
                    }
                }
            }
        }
    }

    /// Tells the sink the input is over.
    pub fn finish<K: Sink + ?Sized>(&mut self, sink: &mut K) -> io::Result<()> {
        sink.finish(&self.status())
    }

    /// One frame: BPF, numbering, dissection, flow state, display filter, sink.
    fn frame<K: Sink + ?Sized>(
        &mut self,
        frame: &Frame<'_>,
        sink: &mut K,
        lazy: bool,
    ) -> Result<Step, EngineError> {
        let limit = self.opts.count;
        if limit.is_some_and(|l| self.passed >= l) {
            return Ok(Step::Stop);
        }
        self.number += 1;
        let first = *self.first_ts.get_or_insert(frame.ts);
        if let Some(bpf) = &mut self.bpf {
            if !bpf.matches(frame).map_err(EngineError::Filter)? {
                return Ok(Step::Continue);
            }
        }
        self.passed += 1;
        sink.clock(frame.ts);
        let mut pkt = Packet::new(frame, self.number, first);
        pkt.prev_ts = self.last_ts.replace(frame.ts).unwrap_or(frame.ts);
        pkt.prev_shown_ts = self.shown_ts;
        if self.raw {
            sink.packet(&pkt).map_err(EngineError::Output)?;
            self.shown_ts = Some(pkt.ts);
            return Ok(if limit.is_some_and(|l| self.passed >= l) {
                Step::Stop
            } else {
                Step::Continue
            });
        }
        let o = &mut self.opts;
        let how = How {
            reasm: o.reasm,
            plain: o.plain,
            lazy,
        };
        if decode(&mut self.state, how, o.display.as_mut(), &mut pkt, sink)? {
            self.shown_ts = Some(pkt.ts);
        }
        if limit.is_some_and(|l| self.passed >= l) {
            return Ok(Step::Stop);
        }
        Ok(Step::Continue)
    }
}

/// How [`decode`] treats a frame: the run's reassembly switches, and
/// whether the sink reads application layers lazily.
#[derive(Clone, Copy, Debug)]
pub(crate) struct How {
    pub reasm: ReasmOptions,
    pub plain: bool,
    pub lazy: bool,
}

/// Dissection, flow state, the display filter and the sink for one
/// numbered frame; true when the sink got it. The same for the one-thread
/// engine and for each worker of the parallel one.
pub(crate) fn decode<'a, K: Sink + ?Sized>(
    st: &'a mut FlowState,
    how: How,
    display: Option<&mut Filter>,
    pkt: &mut Packet<'a>,
    sink: &mut K,
) -> Result<bool, EngineError> {
    let reasm = how.reasm;
    let lazy = how.lazy && display.is_none() && reasm.enabled && !reasm.tcp;
    if how.plain {
        dissect::dissect_into(pkt);
        st.flows.observe(pkt);
        return deliver(sink, display, pkt, false);
    }
    // With a PDU pending somewhere, application layers wait until the
    // reassembler has seen the segment: one it takes whole into a PDU still
    // short (the body of a large response) keeps none of them. Not where
    // the flow stage's own reading of them could differ: HTTP/2
    // connections (classified by connection), FTP data endpoints.
    let early = !lazy
        && reasm.enabled
        && reasm.tcp
        && st.tcp.pending()
        && st.flows.http2.is_empty()
        && !st.flows.wants_app();
    let mut pending = if lazy || early {
        dissect::dissect_to_app(pkt)
    } else {
        dissect::dissect_into(pkt);
        None
    };
    if !reasm.enabled {
        dissect::decode_first_fragment(pkt);
        st.flows.observe(pkt);
        quic_step(&mut st.quic, pkt);
        if !pkt.flow.retransmission {
            st.flows.http2.decode(pkt, &mut st.app_decoded);
            pkt.app_decoded = &st.app_decoded;
        }
        return deliver(sink, display, pkt, true);
    }
    // A fragment that completes its datagram: decode the datagram.
    let defrag = st.defrag.process(pkt);
    if let Some(d) = defrag {
        pkt.layers.truncate(d.keep);
        pkt.reassembled = st.defrag.buf();
        pkt.reassembled_at = d.at as u32;
        pkt.reasm_kind = Some(d.kind);
        pkt.pieces = st.defrag.pieces();
        dissect::dissect_reassembled(pkt, dissect::Next::IpProto(d.proto, d.at));
        pending = None;
    }
    if let Some((off, app_limit, class)) = pending {
        st.flows.observe_transport(pkt);
        // A retransmission's application layers are dropped in
        // `deliver`, after FTP has seen them.
        let decode_app = if early {
            !st.tcp.swallows(pkt)
        } else {
            st.flows.wants_app()
                || ftp_control(pkt)
                || (!pkt.flow.retransmission && sink.wants_app(pkt))
        };
        if decode_app {
            // Early, the flow stage changed nothing classification reads.
            let next = if early {
                dissect::Next::Proto(class, off)
            } else {
                dissect::Next::App(off)
            };
            dissect::dissect_from(pkt, dissect::Src::Frame, next, app_limit);
        }
        st.flows.observe_app(pkt);
    } else {
        st.flows.observe(pkt);
    }
    quic_step(&mut st.quic, pkt);
    if defrag.is_none() && reasm.tcp {
        let o = st.tcp.process(pkt);
        let tcp_at = pkt
            .layers
            .iter()
            .position(|l| l.proto == dissect::Proto::Tcp);
        if let (true, Some(i)) = (o.truncate, tcp_at) {
            pkt.layers.truncate(i + 1);
        }
        pkt.flow.pdu_part = o.pdu_part;
        if let Some(at) = o.pdu_at {
            pkt.reassembled = st.tcp.buf();
            pkt.reassembled_at = at as u32;
            pkt.reasm_kind = Some(dissect::ReasmKind::Tcp);
            pkt.pieces = st.tcp.pieces();
            dissect::dissect_reassembled(pkt, dissect::Next::App(at));
        }
        if let Some((off, app_limit)) = o.frame_pdus {
            dissect::dissect_from(pkt, dissect::Src::Frame, dissect::Next::App(off), app_limit);
        }
        // The reassembler decided what the payload is: a retransmission
        // it skipped keeps no application layers either.
        if !(pkt.flow.retransmission && o == Default::default()) {
            st.flows.http2.decode(pkt, &mut st.app_decoded);
            pkt.app_decoded = &st.app_decoded;
        }
        return deliver(sink, display, pkt, o == Default::default());
    }
    if !pkt.flow.retransmission {
        st.flows.http2.decode(pkt, &mut st.app_decoded);
        pkt.app_decoded = &st.app_decoded;
    }
    deliver(sink, display, pkt, true)
}

/// A tick's error: a closed output (`| head`) ends the capture quietly;
/// any other (a full disk under `-w`) is the run's error.
fn closed_output(e: io::Error) -> Result<End, EngineError> {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Ok(End::Eof)
    } else {
        Err(EngineError::Output(e))
    }
}

/// QUIC: the connection's note, and its Initial packets decrypted (the
/// copy becomes the packet's reassembled buffer).
fn quic_step<'a>(q: &'a mut QuicTracker, pkt: &mut Packet<'a>) {
    q.claim(pkt);
    let Some((note, img)) = q.process(pkt) else {
        return;
    };
    pkt.flow.quic = Some(note);
    if let Some(img) = img {
        let q: &'a QuicTracker = q;
        pkt.reassembled = q.buf();
        crate::flow::quic::apply(pkt, img);
    }
}

/// A TCP payload `app_payload_proto` may name FTP (port 21 either side), whose
/// commands announce data connections.
fn ftp_control(pkt: &Packet<'_>) -> bool {
    let Some(t) = pkt
        .layers
        .iter()
        .rev()
        .find(|l| matches!(l.proto, dissect::Proto::Tcp | dissect::Proto::Udp))
    else {
        return false;
    };
    t.proto == dissect::Proto::Tcp
        && dissect::transport::ports(pkt.bytes(t.header())).is_some_and(|(s, d)| s == 21 || d == 21)
}

/// Retransmission trimming, the display filter, the sink; true when the
/// sink got the packet.
fn deliver<K: Sink + ?Sized>(
    sink: &mut K,
    display: Option<&mut Filter>,
    pkt: &mut Packet<'_>,
    drop_retrans: bool,
) -> Result<bool, EngineError> {
    if drop_retrans && pkt.flow.retransmission {
        // As tshark: retransmitted bytes are not handed to the layers above.
        if let Some(i) = pkt
            .layers
            .iter()
            .position(|l| l.proto == dissect::Proto::Tcp)
        {
            pkt.layers.truncate(i + 1);
        }
    }
    // Frames the display filter drops keep their numbers, as in Wireshark.
    if display.is_none_or(|f| f.matches(pkt)) {
        sink.packet(pkt).map_err(EngineError::Output)?;
        return Ok(true);
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::source::{MemoryFrames, OwnedFrame};
    use super::*;

    /// An Ethernet/IPv4/UDP frame from 10.0.0.1:1000 to 10.0.0.2:`dport`.
    fn udp_frame(sec: i64, dport: u16) -> OwnedFrame {
        let payload = b"abcd";
        let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
        let total = (20 + 8 + payload.len()) as u16;
        f.extend_from_slice(&[
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            1,
            0,
            0,
            64,
            17,
            0,
            0,
        ]);
        f.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
        let ulen = (8 + payload.len()) as u16;
        f.extend_from_slice(&1000u16.to_be_bytes());
        f.extend_from_slice(&dport.to_be_bytes());
        f.extend_from_slice(&ulen.to_be_bytes());
        f.extend_from_slice(&[0, 0]);
        f.extend_from_slice(payload);
        OwnedFrame {
            ts: Timestamp { sec, nsec: 0 },
            wire_len: f.len() as u32,
            bytes: f,
        }
    }

    /// Packet numbers seen, and how often `finish` ran.
    #[derive(Default)]
    struct Seen {
        numbers: Vec<u64>,
        finished: u32,
    }

    impl Sink for Seen {
        fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
            self.numbers.push(pkt.number);
            Ok(())
        }
        fn finish(&mut self, _status: &Status) -> io::Result<()> {
            self.finished += 1;
            Ok(())
        }
    }

    const ETHERNET: u32 = 1;

    #[test]
    fn count_stops_the_run_and_both_sinks_see_every_packet() {
        let frames: Vec<_> = (0..5).map(|i| udp_frame(i, 53)).collect();
        let mut engine = Engine::new(EngineOptions {
            count: Some(3),
            ..Default::default()
        });
        let mut sinks = (Seen::default(), Seen::default());
        let end = engine.run(&mut MemoryFrames::new(&frames, ETHERNET), &mut sinks);
        assert!(matches!(end, Ok(End::Count)));
        engine.finish(&mut sinks).expect("finish");
        assert_eq!(sinks.0.numbers, [1, 2, 3]);
        assert_eq!(sinks.1.numbers, [1, 2, 3]);
        assert_eq!((sinks.0.finished, sinks.1.finished), (1, 1));
        assert_eq!(
            engine.status().first_ts,
            Some(Timestamp { sec: 0, nsec: 0 })
        );
    }

    #[test]
    fn filters_drop_frames_before_and_after_numbering() {
        let frames: Vec<_> = (0..6)
            .map(|i| udp_frame(i, if i % 2 == 0 { 53 } else { 54 }))
            .collect();
        // BPF drops frames before decoding; they keep their numbers.
        let mut engine = Engine::new(EngineOptions {
            bpf: Some("udp dst port 53".into()),
            ..Default::default()
        });
        let mut seen = Seen::default();
        let end = engine.run(&mut MemoryFrames::new(&frames, ETHERNET), &mut seen);
        assert!(matches!(end, Ok(End::Eof)));
        assert_eq!(seen.numbers, [1, 3, 5]);
        assert_eq!(engine.packets(), 3);
        // -c counts the frames that pass it.
        let mut engine = Engine::new(EngineOptions {
            bpf: Some("udp dst port 54".into()),
            count: Some(2),
            ..Default::default()
        });
        let mut seen = Seen::default();
        let end = engine.run(&mut MemoryFrames::new(&frames, ETHERNET), &mut seen);
        assert!(matches!(end, Ok(End::Count)));
        assert_eq!(seen.numbers, [2, 4]);
        assert_eq!(
            engine.status().first_ts,
            Some(Timestamp { sec: 0, nsec: 0 })
        );
        // A display filter drops them after: they keep their numbers.
        let mut engine = Engine::new(EngineOptions {
            display: Some(Filter::compile("udp.dstport == 53").expect("filter")),
            ..Default::default()
        });
        let mut seen = Seen::default();
        let end = engine.run(&mut MemoryFrames::new(&frames, ETHERNET), &mut seen);
        assert!(matches!(end, Ok(End::Eof)));
        assert_eq!(seen.numbers, [1, 3, 5]);
        assert_eq!(engine.packets(), 6);
    }

    #[test]
    fn errors_are_typed() {
        let frames = [udp_frame(0, 53)];
        let mut engine = Engine::new(EngineOptions {
            bpf: Some("udp port".into()),
            ..Default::default()
        });
        let end = engine.run(
            &mut MemoryFrames::new(&frames, ETHERNET),
            &mut Seen::default(),
        );
        assert!(
            matches!(&end, Err(EngineError::Filter(m)) if m.starts_with("invalid BPF filter 'udp port'")),
            "{end:?}"
        );
        let mut engine = Engine::new(EngineOptions::default());
        let mut broken = each(|_| Err(io::Error::from(io::ErrorKind::BrokenPipe)));
        let end = engine.run(&mut MemoryFrames::new(&frames, ETHERNET), &mut broken);
        assert!(
            matches!(&end, Err(EngineError::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe),
            "{end:?}"
        );
        let missing = source::open_file("/nonexistent/layerscope.pcap");
        assert!(
            matches!(&missing, Err(EngineError::Input { path, .. }) if path == "/nonexistent/layerscope.pcap")
        );
    }
}
