//! `layerscope flows`: one row per conversation, as `tshark -z conv,tcp`.

use super::exit;
use super::pipeline::{Pipeline, ReasmOptions, Sink};
use crate::flow::conversations::{Conversation, Conversations};
use crate::source::Timestamp;
use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;
use tabled::settings::Style;
use tabled::{Table, Tabled};

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
    // Reassembly on, as tshark's defaults: a fragmented datagram counts in
    // its transport conversation once, and application PDUs name the protocol.
    let mut pipe: Pipeline<io::Sink> = match source.pipeline(sink, ReasmOptions::default()) {
        Ok(p) => p,
        Err(code) => return (Vec::new(), 0, None, code),
    };
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
        FlowFormat::Table => write_table(&mut out, &rows, first),
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
            "layerscope: flows: {evicted} conversations closed early (cap of {} open, or idle > {} s); each is a row of its own",
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

fn secs(n: i128) -> String {
    let neg = n < 0;
    let n = n.unsigned_abs();
    format!(
        "{}{}.{:09}",
        if neg { "-" } else { "" },
        n / 1_000_000_000,
        n % 1_000_000_000
    )
}

fn endpoint(a: std::net::IpAddr, p: Option<u16>) -> String {
    match (a, p) {
        (std::net::IpAddr::V6(v), Some(p)) => format!("[{v}]:{p}"),
        (a, Some(p)) => format!("{a}:{p}"),
        (a, None) => a.to_string(),
    }
}

#[derive(Tabled)]
struct Row {
    #[tabled(rename = "Stream")]
    stream: String,
    #[tabled(rename = "Proto")]
    proto: String,
    #[tabled(rename = "Initiator")]
    a: String,
    #[tabled(rename = "Responder")]
    b: String,
    #[tabled(rename = "Pkts →")]
    pab: u64,
    #[tabled(rename = "Bytes →")]
    bab: u64,
    #[tabled(rename = "Pkts ←")]
    pba: u64,
    #[tabled(rename = "Bytes ←")]
    bba: u64,
    #[tabled(rename = "Start")]
    start: String,
    #[tabled(rename = "Duration")]
    duration: String,
    #[tabled(rename = "State")]
    state: String,
    #[tabled(rename = "Retrans")]
    retrans: u64,
}

fn proto_label(c: &Conversation) -> String {
    match c.app {
        Some(app) => format!("{}/{}", c.transport, app),
        None => c.transport.to_string(),
    }
}

fn write_table<W: Write>(out: &mut W, rows: &[Conversation], first: Timestamp) -> io::Result<()> {
    let rows: Vec<Row> = rows
        .iter()
        .map(|c| Row {
            stream: c
                .stream
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".into()),
            proto: proto_label(c),
            a: endpoint(c.a, c.port_a),
            b: endpoint(c.b, c.port_b),
            pab: c.packets[0],
            bab: c.bytes[0],
            pba: c.packets[1],
            bba: c.bytes[1],
            start: secs(c.start.nanos_since(first)),
            duration: secs(c.duration_nanos()),
            state: c.tcp_state().map(|s| s.name()).unwrap_or("-").into(),
            retrans: c.retransmissions,
        })
        .collect();
    let n = rows.len();
    let mut t = Table::new(rows);
    t.with(Style::sharp());
    writeln!(out, "{t}")?;
    writeln!(out, "{n} conversations")
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
        secs(c.start.nanos_since(Timestamp::default())),
        secs(c.start.nanos_since(first)),
        secs(c.duration_nanos()),
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
            secs(c.start.nanos_since(first)),
            secs(c.duration_nanos()),
            c.tcp_state().map(|s| s.name()).unwrap_or(""),
            c.retransmissions,
        )?;
    }
    Ok(())
}
