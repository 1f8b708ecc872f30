//! `layerscope flows`: one row per conversation, as `tshark -z conv,tcp`.

use super::exit;
use super::pipeline::{Pipeline, ReasmOptions, Sink};
use crate::flow::conversations::{Conversation, Conversations};
use crate::output::grid::Grid;
use crate::source::Timestamp;
use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowFormat {
    Table,
    Jsonl,
    Csv,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    /// Total bytes, largest first.
    Bytes,
    /// Total packets, most first.
    Packets,
    /// First packet, earliest first.
    Start,
    /// Longest first.
    Duration,
}

#[derive(Clone, Debug)]
pub struct FlowsOptions {
    pub source: super::SourceOptions,
    pub format: FlowFormat,
    pub sort: SortKey,
    /// Cap on open conversations.
    pub max_open: usize,
    /// Idle timeout, seconds of capture time.
    pub idle_secs: u64,
}

impl Default for FlowsOptions {
    fn default() -> Self {
        FlowsOptions {
            source: Default::default(),
            format: FlowFormat::Table,
            sort: SortKey::Start,
            max_open: crate::flow::conversations::DEFAULT_MAX_OPEN,
            idle_secs: crate::flow::conversations::DEFAULT_IDLE_SECS,
        }
    }
}

/// Runs `flows`; returns the process exit code.
pub fn run(opts: &FlowsOptions) -> i32 {
    let stdout = io::stdout().lock();
    run_to(opts, io::BufWriter::with_capacity(256 * 1024, stdout))
}

/// Reads the files into conversations; the rows in first-packet order, the
/// evictions, the capture's first timestamp and the exit code.
pub fn collect(
    source: &super::SourceOptions,
    max_open: usize,
    idle_secs: u64,
) -> (Vec<Conversation>, u64, Option<Timestamp>, i32) {
    let convs = Rc::new(RefCell::new(Conversations::new(max_open, idle_secs)));
    let c2 = Rc::clone(&convs);
    let sink = Sink::Each(Box::new(move |pkt| {
        c2.borrow_mut().observe(pkt);
        Ok(())
    }));
    // IP defragmentation on, as tshark's default: a fragmented datagram
    // counts in its transport conversation once. TCP reassembly changes no
    // count, and the first segment of a PDU names its protocol, so it runs
    // only when a display filter may test fields of reassembled PDUs.
    let reasm = ReasmOptions {
        tcp: source.display.is_some(),
        ..Default::default()
    };
    let mut pipe: Pipeline<io::Sink> = match source.pipeline(sink, reasm) {
        Ok(p) => p,
        Err(code) => return (Vec::new(), 0, None, code),
    };
    // Stream numbering is bounded by the same cap as the conversations.
    pipe.flows = crate::flow::FlowTracker::new(max_open);
    let code = super::read::drive(&mut pipe, &source.files, source.show_progress());
    let first = pipe.first_ts;
    drop(pipe);
    let convs = Rc::try_unwrap(convs)
        .map(RefCell::into_inner)
        .unwrap_or_default();
    let (rows, evicted) = convs.finish();
    (rows, evicted, first, code)
}

/// `run` writing to any output (tests use a buffer).
pub fn run_to<W: Write>(opts: &FlowsOptions, mut out: W) -> i32 {
    let (mut rows, evicted, first, code) = collect(&opts.source, opts.max_open, opts.idle_secs);
    if code == exit::USAGE {
        return code;
    }
    sort(&mut rows, opts.sort);
    let first = first.unwrap_or_default();
    let written = match opts.format {
        FlowFormat::Table => write_table(&mut out, &rows, first, None),
        FlowFormat::Jsonl => rows
            .iter()
            .try_for_each(|c| writeln!(out, "{}", json_row(c, first))),
        FlowFormat::Csv => write_csv(&mut out, &rows, first),
    }
    .and_then(|()| out.flush());
    if let Err(e) = written {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("layerscope: write error: {e}");
            return exit::INPUT;
        }
    }
    if evicted > 0 {
        eprintln!(
            "layerscope: flows: {evicted} conversations closed early (cap of {} open, or idle > {} s); a conversation seen again continues in its row",
            opts.max_open, opts.idle_secs
        );
    }
    code
}

pub fn sort(rows: &mut [Conversation], key: SortKey) {
    match key {
        SortKey::Start => {}
        SortKey::Bytes => rows.sort_by_key(|c| std::cmp::Reverse(c.total_bytes())),
        SortKey::Packets => rows.sort_by_key(|c| std::cmp::Reverse(c.total_packets())),
        SortKey::Duration => rows.sort_by_key(|c| std::cmp::Reverse(c.duration_nanos())),
    }
}

/// Columns of the flows table (right-aligned when numeric).
const COLUMNS: [(&str, bool); 12] = [
    ("Stream", true),
    ("Proto", false),
    ("Initiator", false),
    ("Responder", false),
    ("Pkts →", true),
    ("Bytes →", true),
    ("Pkts ←", true),
    ("Bytes ←", true),
    ("Start", true),
    ("Duration", true),
    ("State", false),
    ("Retrans", true),
];

struct Proto<'c>(&'c Conversation);

impl std::fmt::Display for Proto<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.app {
            Some(app) => write!(f, "{}/{}", self.0.transport, app),
            None => f.write_str(self.0.transport),
        }
    }
}

struct Endpoint(std::net::IpAddr, Option<u16>);

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.0, self.1) {
            (std::net::IpAddr::V6(v), Some(p)) => write!(f, "[{v}]:{p}"),
            (a, Some(p)) => write!(f, "{a}:{p}"),
            (a, None) => write!(f, "{a}"),
        }
    }
}

struct Secs(i128);

impl std::fmt::Display for Secs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0.unsigned_abs();
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}{}.{:09}", n / 1_000_000_000, n % 1_000_000_000)
    }
}

/// The flows table; `limit` shows only the first rows.
pub fn write_table<W: Write>(
    out: &mut W,
    rows: &[Conversation],
    first: Timestamp,
    limit: Option<usize>,
) -> io::Result<()> {
    let mut g = Grid::new(&COLUMNS);
    for c in rows.iter().take(limit.unwrap_or(usize::MAX)) {
        match c.stream {
            Some(s) => g.cell(s),
            None => g.cell("-"),
        }
        g.cell(Proto(c));
        g.cell(Endpoint(c.a, c.port_a));
        g.cell(Endpoint(c.b, c.port_b));
        g.cell(c.packets[0]);
        g.cell(c.bytes[0]);
        g.cell(c.packets[1]);
        g.cell(c.bytes[1]);
        g.cell(Secs(c.start.nanos_since(first)));
        g.cell(Secs(c.duration_nanos()));
        g.cell(c.tcp_state().map(|s| s.name()).unwrap_or("-"));
        g.cell(c.retransmissions);
    }
    g.write(out, None)?;
    writeln!(out, "{} conversations", rows.len())
}

fn json_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for ch in s.chars() {
        match ch {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn opt_num<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "null".into())
}

/// One conversation as a JSON object (field names after Zeek's conn.log
/// where one fits).
pub fn json_row(c: &Conversation, first: Timestamp) -> String {
    format!(
        "{{\"stream\":{},\"transport\":{},\"app\":{},\"src\":{},\"sport\":{},\"dst\":{},\"dport\":{},\"packets_ab\":{},\"bytes_ab\":{},\"packets_ba\":{},\"bytes_ba\":{},\"packets\":{},\"bytes\":{},\"start\":{},\"rel_start\":{},\"duration\":{},\"state\":{},\"retransmissions\":{},\"evicted\":{}}}",
        opt_num(c.stream),
        json_str(c.transport),
        c.app.map(json_str).unwrap_or_else(|| "null".into()),
        json_str(&c.a.to_string()),
        opt_num(c.port_a),
        json_str(&c.b.to_string()),
        opt_num(c.port_b),
        c.packets[0],
        c.bytes[0],
        c.packets[1],
        c.bytes[1],
        c.total_packets(),
        c.total_bytes(),
        Secs(c.start.nanos_since(Timestamp::default())),
        Secs(c.start.nanos_since(first)),
        Secs(c.duration_nanos()),
        c.tcp_state().map(|s| json_str(s.name())).unwrap_or_else(|| "null".into()),
        c.retransmissions,
        c.evicted,
    )
}

fn write_csv<W: Write>(out: &mut W, rows: &[Conversation], first: Timestamp) -> io::Result<()> {
    writeln!(out, "stream,transport,app,src,sport,dst,dport,packets_ab,bytes_ab,packets_ba,bytes_ba,rel_start,duration,state,retransmissions")?;
    for c in rows {
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            c.stream.map(|s| s.to_string()).unwrap_or_default(),
            c.transport,
            c.app.unwrap_or(""),
            c.a,
            c.port_a.map(|s| s.to_string()).unwrap_or_default(),
            c.b,
            c.port_b.map(|s| s.to_string()).unwrap_or_default(),
            c.packets[0],
            c.bytes[0],
            c.packets[1],
            c.bytes[1],
            Secs(c.start.nanos_since(first)),
            Secs(c.duration_nanos()),
            c.tcp_state().map(|s| s.name()).unwrap_or(""),
            c.retransmissions,
        )?;
    }
    Ok(())
}
