//! The one path every frame takes, whatever its source:
//! BPF filter → dissect → flow state → sink.

use super::Format;
use crate::dissect::{self, Packet};
use crate::output::csv::CsvWriter;
use crate::output::detail::DetailWriter;
use crate::output::json::JsonWriter;
use crate::output::style;
use crate::output::table::TableWriter;
use crate::source::{Frame, Timestamp};
use std::collections::HashMap;
use std::io::{self, Write};

/// Output options common to every command that prints packets.
#[derive(Clone, Debug)]
pub struct OutputOptions {
    pub format: Format,
    /// `-x`: hex dump under each packet's detail tree.
    pub hex: bool,
    /// `-e`: fields for jsonl/csv (all fields / default columns when None).
    pub fields: Option<Vec<String>>,
    /// Force colour on or off; None decides from the terminal and NO_COLOR.
    pub color: Option<bool>,
    pub reasm: ReasmOptions,
    /// `-Y`: display filter (already checked by the CLI).
    pub display: Option<String>,
}

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

/// A consumer of decoded packets.
pub type PacketFn = Box<dyn FnMut(&Packet<'_>) -> io::Result<()>>;

/// A renderer behind one interface.
pub enum Sink<W: Write> {
    Table(TableWriter<W>),
    Jsonl(JsonWriter<W>),
    Csv(CsvWriter<W>),
    Detail(DetailWriter<W>),
    /// Print nothing per packet (`-q`).
    Quiet,
    /// Hand each packet to a consumer (flows, stats, follow).
    Each(PacketFn),
}

impl<W: Write> Sink<W> {
    pub fn new(out: W, o: &OutputOptions) -> Self {
        let color = o.color.unwrap_or_else(style::stdout_wants_color);
        match o.format {
            Format::Table => Sink::Table(TableWriter::new(out, color, style::terminal_width())),
            Format::Jsonl => Sink::Jsonl(JsonWriter::new(out, o.fields.clone())),
            Format::Csv => Sink::Csv(CsvWriter::new(out, o.fields.clone())),
            Format::Detail => Sink::Detail(DetailWriter::new(out, color, o.hex)),
        }
    }

    pub fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
        match self {
            Sink::Table(t) => t.row(pkt),
            Sink::Jsonl(j) => j.row(pkt),
            Sink::Csv(c) => c.row(pkt),
            Sink::Detail(d) => d.packet(pkt),
            Sink::Quiet => Ok(()),
            Sink::Each(f) => f(pkt),
        }
    }

    pub fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Table(t) => t.flush(),
            Sink::Jsonl(j) => j.flush(),
            Sink::Csv(c) => c.flush(),
            Sink::Detail(d) => d.flush(),
            Sink::Quiet | Sink::Each(_) => Ok(()),
        }
    }
}

/// A BPF expression compiled once per link type, as libpcap needs the link
/// type to compile (a pcapng file may mix several).
pub struct Bpf {
    expr: String,
    programs: HashMap<u32, pcap::BpfProgram>,
}

impl Bpf {
    pub fn new(expr: &str) -> Self {
        Bpf {
            expr: expr.to_string(),
            programs: HashMap::new(),
        }
    }

    /// Checks the expression compiles for `linktype` (errors as libpcap words them).
    pub fn check(&mut self, linktype: u32) -> Result<(), String> {
        if self.programs.contains_key(&linktype) {
            return Ok(());
        }
        // libpcap compiles some primitives differently for savefiles than
        // for live handles (`ip6` on DLT_NULL accepts every BSD AF_INET6
        // value only when reading a file), so compile against a savefile
        // handle, as tcpdump -r does: a header-only pcap of this link type.
        let prog = compile_for_savefile(&self.expr, linktype)?;
        self.programs.insert(linktype, prog);
        Ok(())
    }

    pub fn matches(&mut self, frame: &Frame<'_>) -> Result<bool, String> {
        self.check(frame.linktype)?;
        Ok(self
            .programs
            .get(&frame.linktype)
            .is_some_and(|p| p.filter(frame.bytes)))
    }
}

fn compile_for_savefile(expr: &str, linktype: u32) -> Result<pcap::BpfProgram, String> {
    let path = std::env::temp_dir().join(format!(
        "layerscope-bpf-{}-{}-{}.pcap",
        std::process::id(),
        linktype,
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    ));
    let mut header = Vec::with_capacity(24);
    header.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    header.extend_from_slice(&2u16.to_le_bytes());
    header.extend_from_slice(&4u16.to_le_bytes());
    header.extend_from_slice(&[0; 8]);
    header.extend_from_slice(&262_144u32.to_le_bytes());
    header.extend_from_slice(&linktype.to_le_bytes());
    let compiled = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, &header))
        .map_err(|e| format!("cannot prepare the BPF compiler: {e}"))
        .and_then(|()| {
            pcap::Capture::from_file(&path)
                .map_err(|e| format!("cannot compile filter for link type {linktype}: {e}"))
        })
        .and_then(|cap| {
            cap.compile(expr, true)
                .map_err(|e| format!("invalid BPF filter '{expr}': {e}"))
        });
    let _ = std::fs::remove_file(&path);
    compiled
}

/// What the caller should do after a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Continue,
    /// The `-c` count is reached.
    Stop,
}

#[derive(Debug)]
pub enum PipelineError {
    Filter(String),
    Io(io::Error),
}

/// Numbering, filtering, flow state and output for a stream of frames.
pub struct Pipeline<W: Write> {
    pub sink: Sink<W>,
    pub bpf: Option<Bpf>,
    pub flows: crate::flow::FlowTracker,
    /// Frames that passed the filter so far (the next frame's number - 1).
    pub number: u64,
    pub first_ts: Option<Timestamp>,
    pub limit: Option<u64>,
    pub reasm: ReasmOptions,
    pub defrag: crate::flow::ip_defrag::Defrag,
    pub tcp: crate::flow::tcp_reassembly::TcpReassembler,
    /// `-Y`: display filter, applied after flow state, before the sink.
    pub display: Option<crate::filter::Filter>,
    /// Set by a sink that reads application layers only while it lacks
    /// them (`flows`): says whether a packet's must be decoded. FTP control
    /// and data labelling still get theirs.
    pub app_gate: Option<AppGate>,
}

/// Whether a packet's application layers are wanted (see `Pipeline::app_gate`).
pub type AppGate = Box<dyn FnMut(&Packet<'_>) -> bool>;

impl<W: Write> Pipeline<W> {
    pub fn new(sink: Sink<W>, bpf: Option<Bpf>, limit: Option<u64>) -> Self {
        Pipeline {
            sink,
            bpf,
            flows: crate::flow::FlowTracker::default(),
            number: 0,
            first_ts: None,
            limit,
            reasm: ReasmOptions::default(),
            defrag: Default::default(),
            tcp: Default::default(),
            display: None,
            app_gate: None,
        }
    }

    /// Compiles the `-Y` filter; the error is printed as the CLI prints it.
    pub fn set_display_filter(&mut self, expr: Option<&str>) -> Result<(), String> {
        self.display = match expr {
            Some(e) => Some(
                crate::filter::Filter::compile(e)
                    .map_err(|e| format!("layerscope: invalid display filter:\n{e}"))?,
            ),
            None => None,
        };
        Ok(())
    }

    /// Applies reassembly switches and caps (before the first frame).
    pub fn set_reassembly(&mut self, o: ReasmOptions) {
        let t = o.timeout_secs.min(1 << 32) as i128 * 1_000_000_000;
        self.reasm = o;
        self.defrag = crate::flow::ip_defrag::Defrag::new(o.frag_max_bytes, t);
        self.tcp = crate::flow::tcp_reassembly::TcpReassembler::new(o.tcp_max_bytes, t);
    }

    /// The closing line about reassembly state dropped to stay under the
    /// caps; None when nothing was dropped.
    pub fn reassembly_summary(&self) -> Option<String> {
        let mut parts = Vec::new();
        let mib = |b: usize| b as f64 / (1u64 << 20) as f64;
        if self.tcp.evicted > 0 {
            parts.push(format!(
                "evicted {} TCP stream directions with pending data ({} over the cap of {} MiB, the rest idle > {} s)",
                self.tcp.evicted,
                self.tcp.evicted_for_cap,
                mib(self.reasm.tcp_max_bytes),
                self.reasm.timeout_secs
            ));
        }
        if self.defrag.evicted > 0 {
            parts.push(format!(
                "evicted {} incomplete IP datagrams ({} over the cap of {} MiB, the rest older than {} s)",
                self.defrag.evicted,
                self.defrag.evicted_for_cap,
                mib(self.reasm.frag_max_bytes),
                self.reasm.timeout_secs
            ));
        }
        (!parts.is_empty()).then(|| format!("layerscope: reassembly: {}", parts.join("; ")))
    }

    pub fn frame(&mut self, frame: &Frame<'_>) -> Result<Step, PipelineError> {
        if self.limit.is_some_and(|l| self.number >= l) {
            return Ok(Step::Stop);
        }
        if let Some(bpf) = &mut self.bpf {
            if !bpf.matches(frame).map_err(PipelineError::Filter)? {
                return Ok(Step::Continue);
            }
        }
        self.number += 1;
        let first = *self.first_ts.get_or_insert(frame.ts);
        let lazy = self.app_gate.is_some()
            && self.display.is_none()
            && self.reasm.enabled
            && !self.reasm.tcp;
        let mut pkt = Packet::new(frame, self.number, first);
        let mut pending = if lazy {
            dissect::dissect_to_app(&mut pkt)
        } else {
            dissect::dissect_into(&mut pkt);
            None
        };
        if !self.reasm.enabled {
            dissect::decode_first_fragment(&mut pkt);
            self.flows.observe(&mut pkt);
            return finish(
                &mut self.sink,
                self.display.as_mut(),
                self.limit,
                self.number,
                &mut pkt,
                true,
            );
        }
        // A fragment that completes its datagram: decode the datagram.
        let defrag = self.defrag.process(&pkt);
        if let Some(d) = defrag {
            pkt.layers.truncate(d.keep);
            pkt.reassembled = self.defrag.buf();
            pkt.reassembled_at = d.at as u32;
            pkt.reasm_kind = Some(d.kind);
            pkt.pieces = self.defrag.pieces();
            dissect::dissect_reassembled(&mut pkt, dissect::Next::IpProto(d.proto, d.at));
            pending = None;
        }
        if let (Some((off, limit)), Some(gate)) = (pending, self.app_gate.as_mut()) {
            self.flows.observe_transport(&mut pkt);
            // A retransmission's application layers are dropped in
            // `finish`, after FTP has seen them.
            if self.flows.wants_app()
                || ftp_control(&pkt)
                || (!pkt.flow.retransmission && gate(&pkt))
            {
                dissect::dissect_from(
                    &mut pkt,
                    dissect::Src::Frame,
                    dissect::Next::App(off),
                    limit,
                );
            }
            self.flows.observe_app(&mut pkt);
        } else {
            self.flows.observe(&mut pkt);
        }
        if defrag.is_none() && self.reasm.tcp {
            let o = self.tcp.process(&pkt);
            let tcp_at = pkt
                .layers
                .iter()
                .position(|l| l.proto == dissect::Proto::Tcp);
            if let (true, Some(i)) = (o.truncate, tcp_at) {
                pkt.layers.truncate(i + 1);
            }
            pkt.flow.pdu_part = o.pdu_part;
            if let Some(at) = o.pdu_at {
                pkt.reassembled = self.tcp.buf();
                pkt.reassembled_at = at as u32;
                pkt.reasm_kind = Some(dissect::ReasmKind::Tcp);
                pkt.pieces = self.tcp.pieces();
                dissect::dissect_reassembled(&mut pkt, dissect::Next::App(at));
            }
            if let Some((off, limit)) = o.frame_pdus {
                dissect::dissect_from(
                    &mut pkt,
                    dissect::Src::Frame,
                    dissect::Next::App(off),
                    limit,
                );
            }
            // The reassembler decided what the payload is: a retransmission
            // it skipped keeps no application layers either.
            return finish(
                &mut self.sink,
                self.display.as_mut(),
                self.limit,
                self.number,
                &mut pkt,
                o == Default::default(),
            );
        }
        finish(
            &mut self.sink,
            self.display.as_mut(),
            self.limit,
            self.number,
            &mut pkt,
            true,
        )
    }
}

/// A TCP payload `app::classify` may name FTP (port 21 either side), whose
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

/// Retransmission trimming, then the sink and the `-c` check.
fn finish<W: Write>(
    sink: &mut Sink<W>,
    display: Option<&mut crate::filter::Filter>,
    limit: Option<u64>,
    number: u64,
    pkt: &mut Packet<'_>,
    drop_retrans: bool,
) -> Result<Step, PipelineError> {
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
        sink.packet(pkt).map_err(PipelineError::Io)?;
    }
    if limit.is_some_and(|l| number >= l) {
        return Ok(Step::Stop);
    }
    Ok(Step::Continue)
}
