//! `layerscope flows`: one row per conversation, as `tshark -z conv,tcp`.

use super::exit;
use super::live::Tick;
use super::pipeline::{Pipeline, ReasmOptions, Sink};
use crate::flow::conversations::{Conversation, Conversations};
use crate::source::Timestamp;
use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;
use std::time::Duration;
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
    // Reassembly on, as tshark's defaults: a fragmented datagram counts in
    // its transport conversation once, and application PDUs name the protocol.
    let mut pipe: Pipeline<io::Sink> = match source.pipeline(sink, ReasmOptions::default()) {
        Ok(p) => p,
        Err(code) => return (Vec::new(), 0, None, code),
    };
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
    report_evicted(opts, evicted);
    code
}

fn report_evicted(opts: &FlowsOptions, evicted: u64) {
    if evicted > 0 {
        eprintln!(
            "layerscope: flows: {evicted} conversations closed early (cap of {} open, or idle > {} s); each is a row of its own",
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
    let written = written
        .and_then(|()| match opts.format {
            FlowFormat::Table => write_table(&mut out, &rows, first),
            FlowFormat::Jsonl => rows
                .iter()
                .try_for_each(|c| writeln!(out, "{}", json_row(c, first))),
            FlowFormat::Csv => write_csv(&mut out, &rows, first),
        })
        .and_then(|()| out.flush());
    if let Err(e) = written {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("layerscope: write error: {e}");
            return exit::INPUT;
        }
    }
    report_evicted(opts, evicted);
    code
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
