//! `layerscope flows`: one row per conversation, as `tshark -z conv,tcp`.

use super::exit;
use super::live::Tick;
use super::pipeline::{Pipeline, ReasmOptions, Sink};
use crate::flow::conversations::{Conversation, Conversations};
use crate::output::grid::Grid;
use crate::source::Timestamp;
use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;
use std::time::Duration;

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
    use std::io::IsTerminal;
    let refresh = io::stdout().is_terminal();
    let stdout = io::stdout().lock();
    let out = io::BufWriter::with_capacity(256 * 1024, stdout);
    if opts.source.is_live() {
        return run_live(opts, out, refresh);
    }
    run_to(opts, out)
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
    // A conversation's name comes from its first application layer: later
    // packets need none decoded.
    let c3 = Rc::clone(&convs);
    pipe.app_gate = Some(Box::new(move |pkt| c3.borrow().needs_app(pkt)));
    let code = match source.drive(&mut pipe, TICK, |_, _| Ok(())) {
        Ok(c) => c,
        Err(c) => return (Vec::new(), 0, None, c),
    };
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
    if opts.source.is_live() {
        return run_live(opts, out, false);
    }
    let (mut rows, evicted, first, code) = collect(&opts.source, opts.max_open, opts.idle_secs);
    if code == exit::USAGE {
        return code;
    }
    sort(&mut rows, opts.sort);
    let written = write_rows(&mut out, opts.format, &rows, first.unwrap_or_default());
    finish_output(opts, written, evicted, code)
}

/// The final rows in the chosen format, flushed.
fn write_rows<W: Write>(
    out: &mut W,
    format: FlowFormat,
    rows: &[Conversation],
    first: Timestamp,
) -> io::Result<()> {
    match format {
        FlowFormat::Table => write_table(out, rows, first),
        FlowFormat::Jsonl => rows
            .iter()
            .try_for_each(|c| writeln!(out, "{}", json_row(c, first))),
        FlowFormat::Csv => write_csv(out, rows, first),
    }?;
    out.flush()
}

/// The exit code after the output: a write error (other than a closed
/// pipe) is one; evictions are reported either way.
fn finish_output(opts: &FlowsOptions, written: io::Result<()>, evicted: u64, code: i32) -> i32 {
    if let Err(e) = written {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("layerscope: write error: {e}");
            return exit::INPUT;
        }
    }
    report_evicted(opts, evicted);
    code
}

fn report_evicted(opts: &FlowsOptions, evicted: u64) {
    if evicted > 0 {
        eprintln!(
            "layerscope: flows: {evicted} conversations closed early (cap of {} open, or idle > {} s); a conversation seen again continues in its row",
            opts.max_open, opts.idle_secs
        );
    }
}

/// How often a live capture looks at its conversations (closed ones to
/// emit, idle ones to close by the wall clock).
const TICK: Duration = Duration::from_millis(100);
/// How often the live view is redrawn.
const REDRAW: Duration = Duration::from_secs(1);
/// How long an ended TCP conversation waits for its last ACKs before its
/// jsonl line is written (a packet after it would start a new line).
pub const CLOSE_LINGER: Duration = Duration::from_secs(2);

/// The wall clock as a capture timestamp (live frames are stamped with it).
pub fn wall_clock() -> Timestamp {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp {
        sec: d.as_secs().min(i64::MAX as u64) as i64,
        nsec: d.subsec_nanos(),
    }
}

/// `flows -i`: a view refreshed in place on a terminal (`refresh`), or with
/// `--format jsonl` a line per conversation as it closes; the full rows
/// when the capture stops.
pub fn run_live<W: Write>(opts: &FlowsOptions, mut out: W, refresh: bool) -> i32 {
    let stream = opts.format == FlowFormat::Jsonl;
    let refresh = refresh && opts.format == FlowFormat::Table;
    let mut convs = Conversations::new(opts.max_open, opts.idle_secs);
    if stream {
        convs.close_ended_after(CLOSE_LINGER);
    }
    let convs = Rc::new(RefCell::new(convs));
    let c2 = Rc::clone(&convs);
    let sink = Sink::Each(Box::new(move |pkt| {
        c2.borrow_mut().observe(pkt);
        Ok(())
    }));
    let mut pipe: Pipeline<io::Sink> = match opts.source.pipeline(sink, ReasmOptions::default()) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let iface = opts
        .source
        .live
        .as_ref()
        .and_then(|l| l.interface.clone())
        .unwrap_or_default();
    let mut screen = super::live::Screen::new();
    let started = std::time::Instant::now();
    let mut last_draw: Option<std::time::Instant> = None;
    let code = match opts.source.drive(&mut pipe, TICK, |pipe, why| {
        if why == Tick::Stop {
            // Back to the normal screen before the closing counters.
            return screen.end(&mut out);
        }
        let mut c = convs.borrow_mut();
        c.tick(wall_clock());
        let first = pipe.first_ts.unwrap_or_default();
        if stream {
            let mut any = false;
            for conv in c.drain_closed() {
                writeln!(out, "{}", json_row(&conv, first))?;
                any = true;
            }
            if any {
                out.flush()?;
            }
        }
        if refresh && last_draw.is_none_or(|t| t.elapsed() >= REDRAW) {
            last_draw = Some(std::time::Instant::now());
            let (rows, _) = super::live::Screen::size();
            let status = format!(
                "layerscope flows on {iface}: {} packets, {} conversations ({} open), {} elapsed; Ctrl-C: stop and print all",
                pipe.number,
                c.iter().count(),
                c.open_len(),
                super::live::elapsed(started.elapsed())
            );
            let text = live_view(&c, opts.sort, first, rows, &status)?;
            screen.draw(&mut out, &text)?;
        }
        Ok(())
    }) {
        Ok(c) => c,
        Err(c) => return c,
    };
    let first = pipe.first_ts.unwrap_or_default();
    drop(pipe);
    let Ok(convs) = Rc::try_unwrap(convs) else {
        return exit::INPUT;
    };
    let mut convs = convs.into_inner();
    let mut written = Ok(());
    if stream {
        // Closed since the last tick, then the ones still open.
        written = convs
            .drain_closed()
            .try_for_each(|c| writeln!(out, "{}", json_row(&c, first)));
    }
    let (mut rows, evicted) = convs.finish();
    sort(&mut rows, opts.sort);
    let written = written.and_then(|()| write_rows(&mut out, opts.format, &rows, first));
    finish_output(opts, written, evicted, code)
}

fn order(a: &Conversation, b: &Conversation, key: SortKey) -> std::cmp::Ordering {
    match key {
        SortKey::Start => a.start.nanos_since(b.start).cmp(&0),
        SortKey::Bytes => b.total_bytes().cmp(&a.total_bytes()),
        SortKey::Packets => b.total_packets().cmp(&a.total_packets()),
        SortKey::Duration => b.duration_nanos().cmp(&a.duration_nanos()),
    }
}

/// The status line over the top rows that fit `height` lines.
fn live_view(
    convs: &Conversations,
    key: SortKey,
    first: Timestamp,
    height: usize,
    status: &str,
) -> io::Result<String> {
    // Status line, then the table's borders and header (4 lines).
    let n = height.saturating_sub(5).max(1);
    let mut all: Vec<&Conversation> = convs.iter().collect();
    if all.len() > n {
        all.select_nth_unstable_by(n - 1, |a, b| order(a, b, key));
        all.truncate(n);
    }
    all.sort_by(|a, b| order(a, b, key));
    let top: Vec<Conversation> = all.into_iter().cloned().collect();
    let mut buf = Vec::with_capacity(4096);
    writeln!(buf, "{status}")?;
    write_table(&mut buf, &top, first)?;
    // write_table ends with its own count of rows: the status line has the total.
    let mut text = String::from_utf8_lossy(&buf).into_owned();
    let body = text
        .trim_end_matches('\n')
        .rfind('\n')
        .unwrap_or(text.len());
    text.truncate(body);
    Ok(text)
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
            (a, Some(p)) => write!(f, "{}:{p}", Addr(a)),
            (a, None) => write!(f, "{}", Addr(a)),
        }
    }
}

/// Nanoseconds as seconds, as the packet fields print them.
struct Secs(i128);

impl std::fmt::Display for Secs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut w = Vec::with_capacity(24);
        crate::dissect::field::write_secs(&mut w, self.0);
        f.write_str(std::str::from_utf8(&w).unwrap_or(""))
    }
}

/// An address, IPv4 without the general formatter's padding machinery.
struct Addr(std::net::IpAddr);

impl std::fmt::Display for Addr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            std::net::IpAddr::V4(a) => {
                let mut w = Vec::with_capacity(15);
                crate::dissect::field::write_ipv4(&mut w, a.octets());
                f.write_str(std::str::from_utf8(&w).unwrap_or(""))
            }
            a => write!(f, "{a}"),
        }
    }
}

/// A number, or nothing.
struct Opt<T>(Option<T>);

impl<T: itoa::Integer> std::fmt::Display for Opt<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(v) => f.write_str(itoa::Buffer::new().format(v)),
            None => Ok(()),
        }
    }
}

/// The flows table.
pub fn write_table<W: Write>(
    out: &mut W,
    rows: &[Conversation],
    first: Timestamp,
) -> io::Result<()> {
    let mut g = Grid::new(&COLUMNS);
    for c in rows {
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
    g.write(out)?;
    writeln!(out, "{} conversations", rows.len())
}

fn json_str(s: &str) -> String {
    let mut w = Vec::with_capacity(s.len() + 2);
    crate::dissect::field::write_json_str(&mut w, s.as_bytes());
    String::from_utf8_lossy(&w).into_owned()
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
            Opt(c.stream),
            c.transport,
            c.app.unwrap_or(""),
            Addr(c.a),
            Opt(c.port_a),
            Addr(c.b),
            Opt(c.port_b),
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
