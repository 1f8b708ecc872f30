//! Conversations as output (`flows`): a table as `tshark -z conv,tcp`, JSON
//! lines, CSV; live, a view redrawn in place or a line per conversation as
//! it closes.

use super::grid::Grid;
use super::screen::{self, Screen};
use crate::dissect::Packet;
use crate::engine::parallel::Split;
use crate::engine::{Sink, Status, Tick};
use crate::flow::conversations::{Conversation, Conversations};
use crate::source::Timestamp;
use std::io::{self, Write};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowFormat {
    Table,
    Jsonl,
    Csv,
    /// One Parquet file, written once the input is read.
    Parquet,
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

/// How often the live view is redrawn.
const REDRAW: Duration = Duration::from_secs(1);
/// How long an ended TCP conversation waits for its last ACKs before its
/// jsonl line is written (a packet after it would start a new line).
pub const CLOSE_LINGER: Duration = Duration::from_secs(2);

/// A live capture's view of the conversations.
struct Live {
    /// A jsonl line per conversation as it closes.
    stream: bool,
    /// The table redrawn in place (a terminal).
    refresh: Option<Refresh>,
}

struct Refresh {
    iface: String,
    screen: Screen,
    started: Instant,
    last_draw: Option<Instant>,
}

/// The `flows` sink: conversations aggregated from the packets, written
/// when the input ends (and, live, while it runs).
pub struct FlowsSink<W: Write> {
    out: W,
    convs: Conversations,
    format: FlowFormat,
    sort: SortKey,
    live: Option<Live>,
    evicted: u64,
    /// Fit the final table to this many columns (a terminal).
    width: Option<usize>,
}

impl<W: Write> FlowsSink<W> {
    /// Rows once the input ends (files).
    pub fn new(out: W, format: FlowFormat, sort: SortKey, max_open: usize, idle_secs: u64) -> Self {
        FlowsSink {
            out,
            convs: {
                // Swept on every frame's clock, not only on the ones shown.
                let mut c = Conversations::new(max_open, idle_secs);
                c.use_external_clock();
                c
            },
            format,
            sort,
            live: None,
            evicted: 0,
            width: None,
        }
    }

    /// Fits the table to a terminal `width` columns wide.
    pub fn with_width(mut self, width: Option<usize>) -> Self {
        self.width = width;
        self
    }

    /// A live capture on `iface`: with `--format jsonl` a line per
    /// conversation as it closes; a table redrawn in place when `refresh`
    /// (a terminal); the full rows when the capture stops.
    pub fn live(mut self, iface: &str, refresh: bool) -> Self {
        let stream = self.format == FlowFormat::Jsonl;
        if stream {
            self.convs.close_ended_after(CLOSE_LINGER);
        }
        let refresh = (refresh && self.format == FlowFormat::Table).then(|| Refresh {
            iface: iface.to_string(),
            screen: Screen::new(),
            started: Instant::now(),
            last_draw: None,
        });
        self.live = Some(Live { stream, refresh });
        self
    }

    /// Conversations closed early (cap or idle timeout), known after `finish`.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }
}

impl<W: Write> Sink for FlowsSink<W> {
    fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
        self.convs.observe(pkt);
        Ok(())
    }

    fn clock(&mut self, ts: Timestamp) {
        self.convs.advance(ts);
    }

    /// A conversation's name comes from its first application layer: later
    /// packets need none decoded (files; live runs decode every packet).
    fn lazy_app(&self) -> bool {
        self.live.is_none()
    }

    fn wants_app(&mut self, pkt: &Packet<'_>) -> bool {
        self.convs.needs_app(pkt)
    }

    /// Live: closes idle conversations by the wall clock, writes the closed
    /// ones (jsonl), redraws the view.
    fn tick(&mut self, why: Tick, status: &Status) -> io::Result<()> {
        let Some(live) = &mut self.live else {
            return Ok(());
        };
        let out = &mut self.out;
        if why == Tick::Stop {
            // Back to the normal screen before the closing counters.
            return match &mut live.refresh {
                Some(r) => r.screen.end(out),
                None => Ok(()),
            };
        }
        let c = &mut self.convs;
        c.tick(Timestamp::now());
        let first = status.first_ts.unwrap_or_default();
        if live.stream {
            let mut any = false;
            for conv in c.drain_closed() {
                writeln!(out, "{}", json_row(&conv, first))?;
                any = true;
            }
            if any {
                out.flush()?;
            }
        }
        if let Some(r) = &mut live.refresh {
            if r.last_draw.is_none_or(|t| t.elapsed() >= REDRAW) {
                r.last_draw = Some(Instant::now());
                let (rows, cols) = Screen::size();
                let total = c.iter().count();
                let active = c.active_len();
                let status = format!(
                    "layerscope flows on {}: {} packets, {} conversations ({} active, {} ended or idle), {} elapsed; Ctrl-C: stop and print all",
                    r.iface,
                    status.packets,
                    total,
                    active,
                    total - active,
                    screen::elapsed(r.started.elapsed())
                );
                let text = live_view(c, self.sort, first, rows, cols, &status)?;
                r.screen.draw(out, &text)?;
            }
        }
        Ok(())
    }

    /// The rows in the chosen format, flushed (live jsonl: the conversations
    /// closed since the last tick first, then the ones still open).
    fn finish(&mut self, status: &Status) -> io::Result<()> {
        let first = status.first_ts.unwrap_or_default();
        let mut convs = std::mem::take(&mut self.convs);
        let mut written = Ok(());
        if self.live.as_ref().is_some_and(|l| l.stream) {
            written = convs
                .drain_closed()
                .try_for_each(|c| writeln!(self.out, "{}", json_row(&c, first)));
        }
        let (mut rows, evicted) = convs.finish();
        self.evicted = evicted;
        sort(&mut rows, self.sort);
        written.and_then(|()| write_rows(&mut self.out, self.format, &rows, first, self.width))
    }
}

/// One worker's conversations (`--threads`): a conversation's packets all
/// reach one worker, so the parts' rows join without overlap.
pub struct ConversationsPart(pub Conversations);

impl Sink for ConversationsPart {
    fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
        self.0.observe(pkt);
        Ok(())
    }

    fn lazy_app(&self) -> bool {
        true
    }

    fn wants_app(&mut self, pkt: &Packet<'_>) -> bool {
        self.0.needs_app(pkt)
    }
}

impl<W: Write> Split for FlowsSink<W> {
    type Part = ConversationsPart;

    fn part(&self) -> ConversationsPart {
        ConversationsPart(self.convs.share())
    }

    fn clock_every(&self) -> Option<i128> {
        Some(self.convs.sweep_every())
    }

    fn use_clock(part: &mut ConversationsPart) {
        part.0.use_external_clock();
    }

    fn clock(part: &mut ConversationsPart, now: Timestamp) {
        part.0.clock(now);
    }

    fn late_streams(&self) -> bool {
        true
    }

    fn renumber(part: &mut ConversationsPart, map: &crate::engine::parallel::StreamMap) {
        part.0.renumber(map);
    }

    fn join(&mut self, parts: Vec<ConversationsPart>, status: &Status) -> io::Result<()> {
        for p in parts {
            self.convs.absorb(p.0);
        }
        Sink::finish(self, status)
    }
}

/// The final rows in the chosen format, flushed.
pub fn write_rows<W: Write>(
    out: &mut W,
    format: FlowFormat,
    rows: &[Conversation],
    first: Timestamp,
    width: Option<usize>,
) -> io::Result<()> {
    match format {
        FlowFormat::Table => write_table(out, rows, first, width),
        FlowFormat::Jsonl => rows
            .iter()
            .try_for_each(|c| writeln!(out, "{}", json_row(c, first))),
        FlowFormat::Csv => write_csv(out, rows, first),
        FlowFormat::Parquet => super::parquet::write_flows(&mut *out, rows, first),
    }?;
    out.flush()
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
    width: usize,
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
    write_table(&mut buf, &top, first, Some(width))?;
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
    ("Stream", false),
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

/// The stream index with its transport (`tcp 0`, `udp 0`): TCP and UDP
/// number their streams apart, as tshark's tcp.stream and udp.stream.
struct Stream<'c>(&'c Conversation);

impl std::fmt::Display for Stream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.0.stream, self.0.transport) {
            (Some(s), "TCP") => write!(f, "tcp {s}"),
            (Some(s), "UDP") => write!(f, "udp {s}"),
            (Some(s), t) => write!(f, "{} {s}", t.to_ascii_lowercase()),
            (None, _) => f.write_str("-"),
        }
    }
}

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

/// The flows table, within `width` columns when given (a terminal): the
/// least telling columns go first, then addresses are cut in the middle.
pub fn write_table<W: Write>(
    out: &mut W,
    rows: &[Conversation],
    first: Timestamp,
    width: Option<usize>,
) -> io::Result<()> {
    let mut g = Grid::new(&COLUMNS);
    for c in rows {
        g.cell(Stream(c));
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
    // Retrans, Start, the packet counts, Duration, Proto; then addresses
    // shrink (down to 15 columns: "[20…:1]:36951").
    g.write_fit(out, width, &[(2, 15), (3, 15)], &[11, 8, 4, 6, 9, 1])?;
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
        "{{\"stream\":{},\"tcp.stream\":{},\"udp.stream\":{},\"transport\":{},\"app\":{},\"src\":{},\"sport\":{},\"dst\":{},\"dport\":{},\"packets_ab\":{},\"bytes_ab\":{},\"packets_ba\":{},\"bytes_ba\":{},\"packets\":{},\"bytes\":{},\"start\":{},\"rel_start\":{},\"duration\":{},\"state\":{},\"retransmissions\":{},\"evicted\":{}}}",
        opt_num(c.stream),
        opt_num(tcp_stream(c)),
        opt_num(udp_stream(c)),
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

/// The conversation's tcp.stream (None unless TCP).
fn tcp_stream(c: &Conversation) -> Option<u32> {
    c.stream.filter(|_| c.transport == "TCP")
}

/// The conversation's udp.stream (None unless UDP).
fn udp_stream(c: &Conversation) -> Option<u32> {
    c.stream.filter(|_| c.transport == "UDP")
}

fn write_csv<W: Write>(out: &mut W, rows: &[Conversation], first: Timestamp) -> io::Result<()> {
    writeln!(out, "stream,transport,app,src,sport,dst,dport,packets_ab,bytes_ab,packets_ba,bytes_ba,rel_start,duration,state,retransmissions,tcp.stream,udp.stream")?;
    for c in rows {
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
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
            Opt(tcp_stream(c)),
            Opt(udp_stream(c)),
        )?;
    }
    Ok(())
}
