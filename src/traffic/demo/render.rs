//! The demo's report: timeline, encapsulation, the two layer models,
//! segmentation, and a ladder diagram — at most 100 columns wide, coloured
//! only on a terminal (and never with NO_COLOR).

use super::analyze::{flag, flag_names, Analysis, Dir, Facts};
use super::{DemoRun, Link};
use crate::dissect::{self, Field, FieldSink, Proto, Tier};
use crate::engine::each;
use crate::output::hexdump;
use crate::output::style::{tier_color, BOLD, DIM, RESET};
use crate::traffic::explain::Role;
use crate::traffic::Transport;
use std::fmt::Write;
use std::ops::Range;

/// Output width the report is laid out for.
pub const WIDTH: usize = 100;
/// Runs of plain data/ACK frames longer than this are shortened.
const RUN_LIMIT: usize = 20;
/// A non-breaking space: keeps "590 B" on one line when wrapping.
const NB: char = '\u{a0}';

struct Out {
    s: String,
    color: bool,
}

impl Out {
    fn paint(&mut self, code: &str, text: &str) {
        if self.color {
            self.s.push_str(code);
            self.s.push_str(text);
            self.s.push_str(RESET);
        } else {
            self.s.push_str(text);
        }
    }
    fn heading(&mut self, text: &str) {
        self.s.push('\n');
        self.paint(BOLD, text);
        self.s.push('\n');
    }
    fn line(&mut self, text: &str) {
        self.s.push_str(text);
        self.s.push('\n');
    }
    /// Writes `text` wrapped at WIDTH: the first line after `first`, later
    /// lines indented by `indent` spaces.
    fn wrapped(&mut self, first: &str, text: &str, indent: usize, style: Option<&str>) {
        let lines = wrap(
            text,
            WIDTH.saturating_sub(indent).max(20),
            WIDTH.saturating_sub(cols(first)).max(20),
        );
        for (i, l) in lines.iter().enumerate() {
            if i == 0 {
                self.s.push_str(first);
            } else {
                self.s.push_str(&" ".repeat(indent));
            }
            match style {
                Some(st) => self.paint(st, l),
                None => self.s.push_str(l),
            }
            self.s.push('\n');
        }
    }
}

/// Display columns of a string: ANSI colour codes count nothing, every
/// other char one (the report uses no wide chars).
fn cols(s: &str) -> usize {
    let mut n = 0;
    let mut esc = false;
    for c in s.chars() {
        match (esc, c) {
            (false, '\x1b') => esc = true,
            (true, 'm') => esc = false,
            (true, _) => {}
            (false, _) => n += 1,
        }
    }
    n
}

/// Greedy word wrap; the first line may have a different width.
fn wrap(text: &str, width: usize, first_width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ') {
        let w = if lines.is_empty() { first_width } else { width };
        if !cur.is_empty() && cols(&cur) + 1 + cols(word) > w {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

/// "1 segment" / "4 segments".
fn n(k: usize, one: &str, many: &str) -> String {
    if k == 1 {
        format!("1 {one}")
    } else {
        format!("{k} {many}")
    }
}

fn ms(nanos: i128) -> String {
    format!("{:+.3} ms", nanos as f64 / 1e6)
}

fn pct(part: usize, whole: usize) -> String {
    if whole == 0 {
        return "0.0 %".into();
    }
    format!("{:.1} %", part as f64 * 100.0 / whole as f64)
}

fn tier_of(t: Tier) -> (&'static str, &'static str) {
    match t {
        Tier::Link => ("link", "2 data link"),
        Tier::Network => ("internet", "3 network"),
        Tier::Transport => ("transport", "4 transport"),
        Tier::Application => ("application", "5-7 session..application"),
    }
}

fn who(d: Dir) -> &'static str {
    match d {
        Dir::ToServer => "client → server",
        Dir::ToClient => "server → client",
        Dir::Unknown => "(other)        ",
    }
}

/// One-line description of a frame, from its fields.
pub fn summary(a: &Analysis, f: &Facts, long: bool) -> String {
    let mut s = String::new();
    if let Some(ip) = f.ip.as_ref().filter(|ip| ip.fragment) {
        let total = a
            .fragmented
            .iter()
            .find(|g| g.frames.iter().any(|&i| a.frames[i].no == f.no))
            .and_then(|g| g.payload.as_ref().map(|p| p.len()));
        let v = if ip.version == 4 { "IPv4" } else { "IPv6" };
        if !long {
            let _ = write!(
                s,
                "{v} fragment off={} MF={} {}{NB}B",
                ip.frag_offset,
                ip.mf as u8,
                f.payload.len()
            );
            if ip.frag_offset == 0 {
                if let Some(d) = a.datagrams.iter().find(|d| a.frames[d.first].no == f.no) {
                    let _ = write!(s, " (UDP {} → {})", d.sport, d.dport);
                }
            }
            return s;
        }
        let _ = write!(
            s,
            "{v} fragment id={:#x} offset={} MF={} {}{NB}B",
            ip.id.unwrap_or(0),
            ip.frag_offset,
            ip.mf as u8,
            f.payload.len()
        );
        if let Some(t) = total {
            let _ = write!(s, " of {t}");
        }
        if ip.frag_offset == 0 && long {
            s.push_str(" (this piece carries the UDP header)");
        }
        return s;
    }
    if let Some(t) = &f.tcp {
        let _ = write!(s, "TCP [{}] seq={}", flag_names(t.flags), t.seq);
        if t.flags & flag::ACK != 0 {
            let _ = write!(s, " ack={}", t.ack);
        }
        let _ = write!(s, " len={}", t.len);
        if t.flags & flag::SYN != 0 {
            if let Some(m) = t.mss {
                let _ = write!(s, " mss={m}");
            }
            if long {
                if let Some(w) = t.wscale {
                    let _ = write!(s, " wscale={w}");
                }
                if t.sack_perm {
                    s.push_str(" sack_perm");
                }
                if t.timestamps {
                    s.push_str(" ts");
                }
            }
        }
        if long {
            let _ = write!(s, " win={}", t.win);
        }
    } else if let Some((sp, dp, ulen)) = f.udp {
        let _ = write!(s, "UDP {sp} → {dp} len={}", ulen.saturating_sub(8));
    } else if let Some((op, spa, tpa, sha)) = &f.arp {
        match op {
            1 => {
                let _ = write!(s, "ARP who has {tpa}? tell {spa}");
                if long && f.eth.as_ref().is_some_and(|e| e.1 == "ff:ff:ff:ff:ff:ff") {
                    s.push_str(" · sent to everyone (broadcast)");
                }
            }
            2 => {
                let _ = write!(s, "ARP {spa} is at {sha}");
            }
            _ => {
                let _ = write!(s, "ARP opcode {op}");
            }
        }
    } else if let Some((ty, target)) = &f.icmp6 {
        match ty {
            135 => {
                let _ = write!(s, "ICMPv6 neighbor solicitation: who has {target}?");
            }
            136 => {
                let mac = f.eth.as_ref().map(|e| e.0.as_str()).unwrap_or("?");
                let _ = write!(s, "ICMPv6 neighbor advertisement: {target} is at {mac}");
            }
            _ => {
                let _ = write!(s, "ICMPv6 {}", f.info);
            }
        }
    } else {
        let _ = write!(s, "{}", f.info);
    }
    if long {
        let _ = write!(s, " ({}{NB}B)", f.wire_len);
    }
    s
}

/// A frame that can be folded into "… N more …" in a long run.
fn plain(f: &Facts) -> bool {
    f.notes.is_empty()
        && f.tcp
            .as_ref()
            .is_some_and(|t| t.flags & (flag::SYN | flag::FIN | flag::RST) == 0)
}

enum Show {
    Frame(usize),
    Gap {
        count: usize,
        from: usize,
        to: usize,
        data: usize,
    },
}

/// Shortens long runs of plain frames to their first 8 and last 4.
fn fold(a: &Analysis, idx: &[usize]) -> Vec<Show> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j < idx.len() && plain(&a.frames[idx[j]]) {
            j += 1;
        }
        if j - i > RUN_LIMIT {
            out.extend(idx[i..i + 8].iter().map(|&k| Show::Frame(k)));
            let hidden = &idx[i + 8..j - 4];
            out.push(Show::Gap {
                count: hidden.len(),
                from: a.frames[hidden[0]].no,
                to: a.frames[hidden[hidden.len() - 1]].no,
                data: hidden.iter().filter(|&&k| a.frames[k].is_data()).count(),
            });
            out.extend(idx[j - 4..j].iter().map(|&k| Show::Frame(k)));
        } else {
            out.extend(idx[i..j].iter().map(|&k| Show::Frame(k)));
        }
        if j < idx.len() {
            out.push(Show::Frame(idx[j]));
        }
        i = j + 1;
    }
    out
}

fn gap_text(count: usize, from: usize, to: usize, data: usize) -> String {
    format!(
        "… {count} more frames like these (#{from}–#{to}): {data} with data, {} pure ACKs …",
        count - data
    )
}

fn gap_short(count: usize, from: usize, to: usize, data: usize) -> String {
    format!(
        "… {count} more (#{from}–#{to}): {data} with data, {} ACKs …",
        count - data
    )
}

/// The whole report.
pub fn report(run: &DemoRun, a: &Analysis, color: bool) -> String {
    let mut o = Out {
        s: String::new(),
        color,
    };
    header(run, a, &mut o);
    timeline(run, a, &mut o);
    encapsulation(run, a, &mut o);
    segmentation(run, a, &mut o);
    ladder(run, a, &mut o);
    footer(run, a, &mut o);
    o.s
}

fn describe_message(run: &DemoRun) -> String {
    let m = &run.opts.message;
    let shown: String = String::from_utf8_lossy(&m[..m.len().min(40)])
        .chars()
        .map(|c| {
            if c == '\n' {
                '⏎'
            } else if c.is_control() {
                '.'
            } else {
                c
            }
        })
        .collect();
    let more = if m.len() > 40 { "…" } else { "" };
    format!("{} bytes \"{shown}{more}\"", m.len())
}

fn header(run: &DemoRun, a: &Analysis, o: &mut Out) {
    let t = run.opts.transport.name();
    let v = if run.opts.ipv6 { "IPv6" } else { "IPv4" };
    o.paint(
        BOLD,
        &format!("layerscope demo: one {t} exchange over {v}, captured live"),
    );
    o.s.push('\n');
    let where_ = match run.link {
        Link::Loopback => format!(
            "network namespace {} (made for this run), on its own loopback interface lo",
            run.namespaces.join(", ")
        ),
        Link::Veth => format!(
            "network namespaces {} (server) and {} (client), joined by a veth pair \
             {}—{}, MTU {}",
            run.namespaces.first().map(String::as_str).unwrap_or("?"),
            run.namespaces.last().map(String::as_str).unwrap_or("?"),
            super::SERVER_DEV,
            super::CLIENT_DEV,
            run.mtu.map(|m| m.to_string()).unwrap_or_else(|| "?".into())
        ),
    };
    o.wrapped("  where    ", &where_, 11, None);
    o.wrapped(
        "  server   ",
        &format!("{}   client {}", run.server, run.client),
        11,
        None,
    );
    let mut msg = describe_message(run);
    if let Some(m) = run.opts.mss {
        let _ = write!(msg, "; TCP_MAXSEG {m} set on the client socket");
    }
    o.wrapped("  message  ", &msg, 11, None);
    let lt = match run.linktype {
        1 => "Ethernet".to_string(),
        n => format!("link type {n}"),
    };
    o.wrapped(
        "  capture  ",
        &format!(
            "on {} ({lt}) with filter \"{}\": {} frames, {} dropped by the kernel{}",
            run.interface,
            run.filter,
            a.frames.len(),
            run.stats.dropped,
            if run.frames_cut > 0 {
                format!(", {} not kept", run.frames_cut)
            } else {
                String::new()
            }
        ),
        11,
        None,
    );
    let off = match &run.offload_problem {
        None => "TSO, GSO and GRO are off (ethtool -K), so every frame below is one segment as \
                 it would cross a wire"
            .to_string(),
        Some(why) => format!(
            "could not be turned off: {why}. The kernel may hand the capture GSO \
             super-segments: packets holding several segments' worth of data, which a real NIC \
             would cut into MSS-sized frames but lo and veth pass on whole. They are marked \
             where they appear."
        ),
    };
    o.wrapped("  offloads ", &off, 11, None);
}

enum Item<'e> {
    Call(&'e crate::traffic::explain::Event),
    Frames(Vec<usize>),
}

fn timeline(run: &DemoRun, a: &Analysis, o: &mut Out) {
    o.heading("1. Timeline: each socket call, and the frames on the wire while it ran");
    o.wrapped(
        "   ",
        "Times are since the server's socket() call, here and in the ladder diagram. A call \
         that puts bytes on the wire (connect, send, close) is shown when it began, before its \
         frames; a call that waits for them (accept, recv) when it returned, after them.",
        3,
        Some(DIM),
    );
    let t0 = origin(run, a);
    let mut keyed: Vec<(crate::source::Timestamp, u8, usize)> = Vec::new();
    for (i, e) in run.events.iter().enumerate() {
        keyed.push((e.at(), 0, i));
    }
    for (i, f) in a.frames.iter().enumerate() {
        keyed.push((f.ts, 1, i));
    }
    keyed.sort_by_key(|k| (k.0, k.1, k.2));
    let mut items: Vec<Item> = Vec::new();
    for (_, kind, i) in keyed {
        if kind == 0 {
            items.push(Item::Call(&run.events[i]));
        } else if let Some(Item::Frames(v)) = items.last_mut() {
            v.push(i);
        } else {
            items.push(Item::Frames(vec![i]));
        }
    }
    o.line("");
    for it in &items {
        match it {
            Item::Call(e) => {
                let first = format!("{:>12}  {:<6}  ", ms(e.at().nanos_since(t0)), e.role.name());
                let style = if e.role == Role::Client {
                    Some(BOLD)
                } else {
                    None
                };
                o.wrapped(&first, &e.text, 22, style);
            }
            Item::Frames(v) => {
                for sh in fold(a, v) {
                    match sh {
                        Show::Frame(i) => {
                            let f = &a.frames[i];
                            let first = format!(
                                "{:>12}          #{:<3} {}  ",
                                ms(f.ts.nanos_since(t0)),
                                f.no,
                                who(f.dir)
                            );
                            o.wrapped(&first, &summary(a, f, true), 44, None);
                            for n in &f.notes {
                                o.wrapped(&format!("{:44}↳ ", ""), n, 46, Some(DIM));
                            }
                        }
                        Show::Gap {
                            count,
                            from,
                            to,
                            data,
                        } => {
                            o.wrapped(
                                &format!("{:28}", ""),
                                &gap_text(count, from, to, data),
                                28,
                                Some(DIM),
                            );
                        }
                    }
                }
            }
        }
    }
    if a.frames.is_empty() {
        o.line("   (no frames were captured)");
    }
}

/// One decoded layer of the frame shown in the encapsulation view.
struct LayerView {
    name: &'static str,
    range: Range<usize>,
    fields: Vec<(&'static str, String, String)>,
}

#[derive(Default)]
struct LayerSink {
    layers: Vec<LayerView>,
}

impl FieldSink for LayerSink {
    fn layer(&mut self, name: &'static str, _title: &str, range: Range<usize>) {
        self.layers.push(LayerView {
            name,
            range,
            fields: Vec::new(),
        });
    }
    fn field(&mut self, f: &Field<'_>) {
        if let Some(l) = self.layers.last_mut() {
            l.fields
                .push((f.name, f.value.to_string_lossy(), f.note.to_string()));
        }
    }
}

/// The fields worth naming for each layer, in header order.
fn main_fields(layer: &str) -> &'static [&'static str] {
    match layer {
        "eth" => &["eth.dst", "eth.src", "eth.type"],
        "ip" => &[
            "ip.version",
            "ip.hdr_len",
            "ip.len",
            "ip.id",
            "ip.flags",
            "ip.frag_offset",
            "ip.ttl",
            "ip.proto",
            "ip.checksum",
            "ip.src",
            "ip.dst",
        ],
        "ipv6" => &[
            "ipv6.version",
            "ipv6.tclass",
            "ipv6.flow",
            "ipv6.plen",
            "ipv6.nxt",
            "ipv6.hlim",
            "ipv6.src",
            "ipv6.dst",
        ],
        "ipv6.fraghdr" => &[
            "ipv6.fraghdr.nxt",
            "ipv6.fraghdr.offset",
            "ipv6.fraghdr.more",
            "ipv6.fraghdr.ident",
        ],
        "tcp" => &[
            "tcp.srcport",
            "tcp.dstport",
            "tcp.seq",
            "tcp.ack",
            "tcp.hdr_len",
            "tcp.flags",
            "tcp.window_size_value",
            "tcp.checksum",
            "tcp.urgent_pointer",
        ],
        "udp" => &["udp.srcport", "udp.dstport", "udp.length", "udp.checksum"],
        "data" => &["data.len"],
        _ => &[],
    }
}

/// What a protocol number names, so the chain of headers is visible.
fn next_name(field: &str, v: &str) -> Option<&'static str> {
    let n = if let Some(h) = v.strip_prefix("0x") {
        u64::from_str_radix(h, 16).ok()?
    } else {
        v.parse().ok()?
    };
    match field {
        "eth.type" => match n {
            0x0800 => Some("IPv4 follows"),
            0x86dd => Some("IPv6 follows"),
            0x0806 => Some("ARP follows"),
            _ => None,
        },
        "ip.proto" | "ipv6.nxt" | "ipv6.fraghdr.nxt" => match n {
            6 => Some("TCP follows"),
            17 => Some("UDP follows"),
            44 => Some("fragment header follows"),
            58 => Some("ICMPv6 follows"),
            _ => None,
        },
        _ => None,
    }
}

/// A short list of the TCP options a header carries.
fn tcp_options(fields: &[(&'static str, String, String)]) -> Option<String> {
    let mut v: Vec<String> = Vec::new();
    for (name, val, _) in fields {
        match *name {
            "tcp.options.nop" => v.push("NOP".into()),
            "tcp.options.eol" => v.push("EOL".into()),
            "tcp.options.mss_val" => v.push(format!("MSS {val}")),
            "tcp.options.wscale.shift" => v.push(format!("window scale {val}")),
            "tcp.options.sack_perm" => v.push("SACK permitted".into()),
            "tcp.options.sack.count" => v.push(format!("SACK ({val} blocks)")),
            "tcp.options.timestamp.tsval" => v.push(format!("timestamp tsval {val}")),
            "tcp.options.timestamp.tsecr" => {
                if let Some(last) = v.last_mut() {
                    let _ = write!(last, " tsecr {val}");
                }
            }
            _ => {}
        }
    }
    (!v.is_empty()).then(|| v.join(", "))
}

/// One header (or the data) of the frame shown in the encapsulation view.
struct Row {
    name: &'static str,
    tier: Tier,
    range: Range<usize>,
    fields: Vec<String>,
    extra: String,
}

/// `name=value (meaning)` for the fields worth naming in one layer.
fn layer_fields(view: &LayerView, f: &Facts) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    for name in main_fields(view.name) {
        let Some((_, v, note)) = view.fields.iter().find(|x| x.0 == *name) else {
            continue;
        };
        let mut p = format!("{name}={v}");
        if let Some(nx) = next_name(name, v) {
            let _ = write!(p, " ({nx})");
        } else if *name == "ip.flags" {
            let ip = f.ip.clone().unwrap_or_default();
            let _ = write!(
                p,
                " ({})",
                match (ip.df, ip.mf) {
                    (true, _) => "DF: don't fragment",
                    (false, true) => "MF: more fragments",
                    _ => "none",
                }
            );
        } else if *name == "tcp.flags" {
            let names = f
                .tcp
                .as_ref()
                .map(|t| flag_names(t.flags))
                .unwrap_or_default();
            let _ = write!(p, " ({names})");
        } else if !note.is_empty() {
            let _ = write!(p, " ({note})");
        }
        parts.push(p);
    }
    if view.name == "tcp" {
        if let Some(opts) = tcp_options(&view.fields) {
            parts.push(format!("options: {opts}"));
        }
    }
    parts
}

fn preview(b: &[u8]) -> String {
    let shown: String = b
        .iter()
        .take(48)
        .map(|&c| {
            if (0x20..0x7f).contains(&c) {
                c as char
            } else {
                '.'
            }
        })
        .collect();
    format!("\"{shown}{}\"", if b.len() > 48 { "…" } else { "" })
}

/// The rows of a frame, outside in. A first IP fragment carries the UDP
/// header inside its payload; the dissector leaves it as data until
/// reassembly, so the demo shows it from the reassembled datagram.
fn rows(run: &DemoRun, a: &Analysis, idx: usize, pkt: &dissect::Packet<'_>) -> Vec<Row> {
    let f = &a.frames[idx];
    let mut sink = LayerSink::default();
    dissect::all_fields(pkt, &mut sink);
    let udp_inside = a
        .datagrams
        .iter()
        .find(|d| d.first == idx && d.fragmented.is_some());
    let mut rows = Vec::new();
    for l in &pkt.layers {
        let Some(view) = sink
            .layers
            .iter()
            .find(|v| v.range.start == l.start as usize && v.name == l.proto.filter_name())
        else {
            continue;
        };
        let mut r = l.header();
        let size = r.len();
        let extra = match l.proto {
            Proto::Tcp | Proto::Ip if size > 20 => {
                format!("20 B fixed header + {} B of options", size - 20)
            }
            Proto::Eth if run.link == Link::Loopback => {
                "lo has no real link: the kernel writes an Ethernet header with zero MACs".into()
            }
            Proto::Ipv6Frag => {
                "the fragment header: which piece this is, and of which datagram".into()
            }
            _ => String::new(),
        };
        if l.proto == Proto::Data {
            if let Some(d) = udp_inside {
                let u = r.start..(r.start + 8).min(r.end);
                let ck = pkt.bytes(u.start + 6..u.end);
                let ck = if ck.len() == 2 {
                    format!("0x{:02x}{:02x}", ck[0], ck[1])
                } else {
                    "?".into()
                };
                rows.push(Row {
                    name: "UDP",
                    tier: Tier::Transport,
                    range: u.clone(),
                    fields: vec![
                        format!("udp.srcport={}", d.sport),
                        format!("udp.dstport={}", d.dport),
                        format!(
                            "udp.length={} (the whole datagram, not this piece)",
                            d.udp_len
                        ),
                        format!("udp.checksum={ck}"),
                    ],
                    extra:
                        "inside the first fragment's payload; read from the reassembled datagram"
                            .into(),
                });
                r = u.end..r.end;
            }
            let mut fields = vec![format!("data.len={}", r.len())];
            fields.push(preview(pkt.bytes(r.clone())));
            let extra = if f.ip.as_ref().is_some_and(|ip| ip.fragment) {
                format!(
                    "the first {} B of the message; the other fragments carry the rest",
                    r.len()
                )
            } else {
                String::new()
            };
            rows.push(Row {
                name: "Data",
                tier: Tier::Application,
                range: r,
                fields,
                extra,
            });
            continue;
        }
        rows.push(Row {
            name: l.proto.display(),
            tier: l.proto.tier(),
            range: r,
            fields: layer_fields(view, f),
            extra,
        });
    }
    rows
}

fn encapsulation(run: &DemoRun, a: &Analysis, o: &mut Out) {
    let Some(idx) = a.first_data else {
        o.heading("2. Encapsulation");
        o.line("   No frame carried the client's data, so there is nothing to take apart.");
        return;
    };
    // Replay the frames up to this one so sequence numbers are relative.
    let number = idx as u64 + 1;
    super::analyze::replay(
        run,
        Some(number),
        &mut each(|pkt| {
            if pkt.number == number {
                encapsulate(run, a, idx, pkt, o);
            }
            Ok(())
        }),
    );
}

/// The layers of frame `idx` (`pkt`), outside in, with its hex dump.
fn encapsulate(run: &DemoRun, a: &Analysis, idx: usize, pkt: &dissect::Packet<'_>, o: &mut Out) {
    let f = &a.frames[idx];
    let what = match run.opts.transport {
        Transport::Tcp => "the first segment of the client's send()",
        Transport::Udp => "the first frame of the client's datagram",
    };
    o.heading(&format!(
        "2. Encapsulation of frame #{} ({what}), outside in",
        f.no
    ));
    let rows = rows(run, a, idx, pkt);
    o.line("");
    for r in &rows {
        let (tcpip, osi) = tier_of(r.tier);
        o.s.push_str("  ");
        o.paint(tier_color(r.tier), &format!("{:<10}", r.name));
        let _ = writeln!(
            o.s,
            " bytes {:>4}..{:<5} {:>5} B   TCP/IP: {tcpip:<12} OSI: {osi}",
            r.range.start,
            r.range.end.saturating_sub(1),
            r.range.len()
        );
        if !r.extra.is_empty() {
            o.wrapped("        ", &r.extra, 8, Some(DIM));
        }
        o.wrapped("        ", &r.fields.join("  "), 8, None);
    }
    let frame = pkt.data.len();
    let header_bytes: usize = rows
        .iter()
        .filter(|r| r.tier != Tier::Application)
        .map(|r| r.range.len())
        .sum();
    let data = frame.saturating_sub(header_bytes);
    o.line("");
    o.wrapped(
        "  ",
        &format!(
            "Headers {header_bytes} B + application data {data} B = frame {frame} B: {} of the \
             frame is overhead, {} is the message.{}",
            pct(header_bytes, frame),
            pct(data, frame),
            match run.link {
                Link::Veth => {
                    " A real Ethernet wire adds 8 B preamble, 4 B FCS and a 12 B gap, which no \
                     capture shows."
                }
                Link::Loopback => "",
            }
        ),
        2,
        None,
    );
    // The hex dump: headers whole, then the first two lines of the message.
    let mut owners = hexdump::byte_owners(pkt);
    for r in &rows {
        for o in owners.iter_mut().take(r.range.end).skip(r.range.start) {
            *o = Some(r.tier);
        }
    }
    let cut = ((header_bytes + 32).div_ceil(16) * 16).min(frame);
    o.line("");
    o.line("  Hex dump, coloured by layer:");
    let legend: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{:04x}-{:04x} {}",
                r.range.start,
                r.range.end.saturating_sub(1),
                r.name
            )
        })
        .collect();
    o.wrapped("  ", &legend.join("  "), 2, Some(DIM));
    let mut dump = Vec::new();
    hexdump::write_bytes(&pkt.data[..cut], &owners[..cut], o.color, &mut dump);
    for line in String::from_utf8_lossy(&dump).lines() {
        o.line(&format!("  {line}"));
    }
    if cut < frame {
        o.line(&format!("  … {} more bytes of the message", frame - cut));
    }
    models(run, &rows, f.eth.as_ref(), o);
}

/// Both layer models side by side, each header of the frame in its row.
fn models(run: &DemoRun, rows: &[Row], eth: Option<&(String, String, u32)>, o: &mut Out) {
    o.heading("   The same frame in both layer models");
    let of = |t: Tier| -> String {
        let v: Vec<String> = rows
            .iter()
            .filter(|r| r.tier == t)
            .map(|r| format!("{} {} B", r.name, r.range.len()))
            .collect();
        v.join(" + ")
    };
    let app: usize = rows
        .iter()
        .filter(|r| r.tier == Tier::Application)
        .map(|r| r.range.len())
        .sum();
    let link = match (run.link, eth) {
        (Link::Veth, Some((src, dst, _))) => {
            format!(
                "MAC {src} ({}) → MAC {dst} ({})",
                super::CLIENT_DEV,
                super::SERVER_DEV
            )
        }
        (_, Some((src, dst, _))) => format!("MAC {src} → MAC {dst}"),
        _ => "no link header".into(),
    };
    let rows: Vec<(&str, &str, String, Option<Tier>)> = vec![
        (
            "application",
            "7 application",
            format!("{app} B of the echo protocol's message: your bytes"),
            Some(Tier::Application),
        ),
        (
            "",
            "6 presentation",
            "no header: the bytes go as they are, no encoding".into(),
            None,
        ),
        (
            "",
            "5 session",
            match run.opts.transport {
                Transport::Tcp => "no header: the TCP connection plays this part".into(),
                Transport::Udp => "no header: UDP has no connection at all".into(),
            },
            None,
        ),
        (
            "transport",
            "4 transport",
            format!(
                "{}: port {} → port {}",
                of(Tier::Transport),
                run.client.port(),
                run.server.port()
            ),
            Some(Tier::Transport),
        ),
        (
            "internet",
            "3 network",
            format!(
                "{}: host {} → host {}",
                of(Tier::Network),
                run.client.ip(),
                run.server.ip()
            ),
            Some(Tier::Network),
        ),
        (
            "link",
            "2 data link",
            format!("{}: {link}", of(Tier::Link)),
            Some(Tier::Link),
        ),
        (
            "",
            "1 physical",
            match run.link {
                Link::Loopback => {
                    "nothing: lo never leaves memory, there are no bits on a medium".into()
                }
                Link::Veth => {
                    "nothing: a veth pair hands frames over in memory, no bits on a wire".into()
                }
            },
            None,
        ),
    ];
    o.line(&format!(
        "   {:<13} {:<16} {}",
        "TCP/IP model", "OSI model", "in this frame"
    ));
    o.line(&format!(
        "   {:<13} {:<16} {}",
        "────────────",
        "──────────────",
        "─".repeat(50)
    ));
    for (tcpip, osi, what, tier) in rows {
        let label = match tier {
            Some(t) if o.color => format!("{}{tcpip:<13}{RESET}", tier_color(t)),
            _ => format!("{tcpip:<13}"),
        };
        o.wrapped(
            &format!("   {label} {osi:<16} "),
            &what,
            35,
            if tier.is_none() { Some(DIM) } else { None },
        );
    }
}

fn frame_list(a: &Analysis, idx: &[usize]) -> String {
    let nos: Vec<usize> = idx.iter().map(|&i| a.frames[i].no).collect();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < nos.len() {
        let mut j = i;
        while j + 1 < nos.len() && nos[j + 1] == nos[j] + 1 {
            j += 1;
        }
        parts.push(if j > i {
            format!("#{}–#{}", nos[i], nos[j])
        } else {
            format!("#{}", nos[i])
        });
        i = j + 1;
    }
    parts.join(", ")
}

/// "524 ×7, 332" — segment sizes with repeats folded.
fn sizes(a: &Analysis, idx: &[usize]) -> String {
    let v: Vec<u32> = idx
        .iter()
        .map(|&i| a.frames[i].tcp.as_ref().map_or(0, |t| t.len))
        .collect();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j + 1 < v.len() && v[j + 1] == v[i] {
            j += 1;
        }
        parts.push(if j > i {
            format!("{} ×{}", v[i], j - i + 1)
        } else {
            v[i].to_string()
        });
        i = j + 1;
    }
    parts.join(", ")
}

fn segmentation(run: &DemoRun, a: &Analysis, o: &mut Out) {
    match run.opts.transport {
        Transport::Tcp => {
            o.heading("3. Segmentation: how one send() became segments");
            for (who, d) in [("client", Dir::ToServer), ("server", Dir::ToClient)] {
                tcp_segments(a, who, d, o);
            }
        }
        Transport::Udp => {
            o.heading("3. Datagrams and fragments");
            udp_fragments(run, a, o);
        }
    }
}

fn tcp_segments(a: &Analysis, who: &str, d: Dir, o: &mut Out) {
    let st = a.stream(d);
    let peer = if who == "client" { "server" } else { "client" };
    let Some(sent) = st.sent else {
        o.line(&format!("   The {who} sent nothing."));
        return;
    };
    o.line("");
    o.paint(BOLD, &format!("   {who} send(): {sent} bytes"));
    o.s.push('\n');
    let syn = |x: &str| if x == "client" { "SYN" } else { "SYN-ACK" };
    let mss_line = match (st.own_mss, st.peer_mss, st.mss()) {
        (Some(own), Some(p), Some(m)) => format!(
            "MSS: the {who}'s {} offered {own}, the {peer}'s {} offered {p}; the {who} sends at most {m} per segment",
            syn(who),
            syn(peer)
        ),
        _ => "MSS: no SYN with an MSS option was captured".into(),
    };
    o.wrapped("     ", &mss_line, 5, None);
    if let (Some(ob), Some(m)) = (st.option_bytes, st.mss()) {
        o.wrapped(
            "     ",
            &format!(
                "its data segments carry {ob} B of TCP options{}, so payload per segment = {m} − {ob} = {} B",
                if ob == 12 { " (NOP, NOP, timestamps)" } else { "" },
                m.saturating_sub(ob)
            ),
            5,
            None,
        );
    }
    let observed = st.segments.len();
    match (st.computed(), st.per_segment()) {
        (Some(k), Some(per)) => {
            o.wrapped(
                "     computed  ",
                &format!(
                    "k = ceil({sent} / {per}) = {} (the model)",
                    n(k, "segment, so one frame", "segments, so as many frames")
                ),
                15,
                None,
            );
        }
        _ => o.line("     computed  (no MSS or no data segment captured)"),
    }
    let bytes: u64 = st
        .segments
        .iter()
        .map(|&i| a.frames[i].tcp.as_ref().map_or(0, |t| t.len as u64))
        .sum();
    o.wrapped(
        "     observed  ",
        &format!(
            "{} ({}), sizes {} = {bytes} bytes (the capture)",
            n(
                observed,
                "segment in one frame",
                "segments in as many frames"
            ),
            frame_list(a, &st.segments),
            sizes(a, &st.segments)
        ),
        15,
        None,
    );
    let verdict = match st.computed() {
        Some(k) if k == observed => format!("equal: {k} computed, {observed} observed"),
        Some(k) => {
            format!("NOT equal: {k} computed, {observed} observed — see the notes in the timeline and at the end")
        }
        None => "nothing to compare".into(),
    };
    o.wrapped("     ", &verdict, 5, Some(BOLD));
    if !st.retransmissions.is_empty() {
        o.wrapped(
            "     ",
            &format!(
                "plus {} retransmissions ({}), not counted above",
                st.retransmissions.len(),
                frame_list(a, &st.retransmissions)
            ),
            5,
            None,
        );
    }
    if !st.super_segments.is_empty() {
        o.wrapped(
            "     ",
            &format!(
                "{} frames ({}) are GSO super-segments: each holds several segments' worth of \
                 data in one packet (a real NIC would cut them, lo and veth do not), so the \
                 capture shows fewer, bigger frames than the model",
                st.super_segments.len(),
                frame_list(a, &st.super_segments)
            ),
            5,
            None,
        );
    }
}

fn udp_fragments(run: &DemoRun, a: &Analysis, o: &mut Out) {
    for d in &a.datagrams {
        let who = match d.dir {
            Some(Dir::ToServer) => "client",
            Some(Dir::ToClient) => "server",
            _ => "?",
        };
        let sent = run
            .events
            .iter()
            .find_map(|e| match e.call {
                crate::traffic::explain::Call::Send(n)
                    if (e.role == Role::Client) == (who == "client") =>
                {
                    Some(n)
                }
                _ => None,
            })
            .map(|n| format!("sendto() of {n} bytes → "))
            .unwrap_or_default();
        let ip_hdr = a.frames[d.first].ip.as_ref().map_or(0, |i| i.hdr_len);
        o.line("");
        o.paint(
            BOLD,
            &format!(
                "   {who}: {sent}one UDP datagram: 8 B header + {} B payload = {} B",
                d.payload.len(),
                d.udp_len
            ),
        );
        o.s.push('\n');
        let Some(g) = d.fragmented.and_then(|gi| a.fragmented.get(gi)) else {
            o.wrapped(
                "     ",
                &format!(
                    "one IP packet of {} B in one frame (#{}): it fits the link MTU{}",
                    a.frames[d.first].ip.as_ref().map_or(0, |i| i.total_len),
                    a.frames[d.first].no,
                    run.mtu.map(|m| format!(" of {m}")).unwrap_or_default()
                ),
                5,
                None,
            );
            continue;
        };
        let mtu = run.mtu.unwrap_or(1500);
        let v6 = g.version == 6;
        // Every fragment repeats the IP header (and the IPv6 fragment header).
        let per_hdr = if v6 { 40 + 8 } else { ip_hdr };
        let per = (mtu.saturating_sub(per_hdr)) / 8 * 8;
        let total = g.payload.as_ref().map_or(0, |p| p.len());
        o.wrapped(
            "     ",
            &format!(
                "too big for the link MTU of {mtu}: {} splits it into fragments of at most \
                 {mtu} − {per_hdr} = {} B, rounded down to a multiple of 8 (the offset's unit) = {per} B",
                if v6 { "the sending host (IPv6 routers never fragment)" } else { "IPv4" },
                mtu.saturating_sub(per_hdr)
            ),
            5,
            None,
        );
        match g.computed(mtu, per_hdr) {
            Some(k) => o.wrapped(
                "     computed  ",
                &format!("ceil({total} / {per}) = {k} fragments (the model)"),
                15,
                None,
            ),
            None => o.line("     computed  (the datagram could not be reassembled)"),
        }
        o.wrapped(
            "     observed  ",
            &format!(
                "{} fragments with id {:#x} (the capture):",
                g.frames.len(),
                g.id
            ),
            15,
            None,
        );
        for &i in &g.frames {
            let f = &a.frames[i];
            let ip = f.ip.clone().unwrap_or_default();
            o.line(&format!(
                "                 #{:<4} offset {:>5}  {:>5} B  MF={}  frame {} B{}",
                f.no,
                ip.frag_offset,
                f.payload.len(),
                ip.mf as u8,
                f.wire_len,
                if ip.frag_offset == 0 {
                    "  (starts with the UDP header)"
                } else {
                    ""
                }
            ));
        }
        let verdict = match g.computed(mtu, per_hdr) {
            Some(k) if k == g.frames.len() => {
                format!("equal: {k} computed, {} observed", g.frames.len())
            }
            Some(k) => format!("NOT equal: {k} computed, {} observed", g.frames.len()),
            None => "nothing to compare".into(),
        };
        o.wrapped("     ", &verdict, 5, Some(BOLD));
    }
    if a.datagrams.is_empty() {
        o.line("   No UDP datagram was captured.");
    }
}

const LADDER: usize = 62;

fn ladder_label(a: &Analysis, f: &Facts) -> String {
    let mut s = summary(a, f, false);
    if let Some(rest) = s.strip_prefix("TCP ") {
        s = rest.to_string();
    }
    for n in &f.notes {
        let tag = if n.starts_with("GSO") {
            "GSO"
        } else if n.starts_with("retransmission") {
            "RETRANSMISSION"
        } else if n.starts_with("duplicate") {
            "dup ACK"
        } else {
            continue;
        };
        s = format!("{s} !{tag}");
    }
    if cols(&s) > LADDER - 6 {
        s = s.chars().take(LADDER - 7).collect::<String>() + "…";
    }
    s
}

fn arrow(label: &str, d: Dir) -> String {
    let inner = LADDER - 1;
    let text = format!(" {label} ");
    let fill = inner.saturating_sub(cols(&text));
    let left = 2.min(fill);
    match d {
        Dir::ToServer => format!("{}{}{}→", "─".repeat(left), text, "─".repeat(fill - left)),
        Dir::ToClient => format!("←{}{}{}", "─".repeat(fill - left), text, "─".repeat(left)),
        Dir::Unknown => format!(" {}{}{}", " ".repeat(left), text, " ".repeat(fill - left)),
    }
}

/// The one zero of every time the report shows: the first thing that
/// happened, the server's socket() call (or the first frame, if earlier).
fn origin(run: &DemoRun, a: &Analysis) -> crate::source::Timestamp {
    let first_call = run.events.iter().map(|e| e.start).min();
    first_call
        .into_iter()
        .chain(a.frames.first().map(|f| f.ts))
        .min()
        .unwrap_or_default()
}

fn ladder(run: &DemoRun, a: &Analysis, o: &mut Out) {
    o.heading(match run.opts.transport {
        Transport::Tcp => {
            "4. Ladder diagram (seq/ack relative to each side's first sequence number)"
        }
        Transport::Udp => "4. Ladder diagram",
    });
    o.line("");
    let c = format!("client {}", run.client);
    let s = format!("server {}", run.server);
    let gap = (LADDER + 7).saturating_sub(cols(&c) + cols(&s)).max(2);
    o.line(&format!("  {c}{}{s}", " ".repeat(gap)));
    o.line(&format!("       │{}│", " ".repeat(LADDER)));
    let t0 = origin(run, a);
    let all: Vec<usize> = (0..a.frames.len()).collect();
    for sh in fold(a, &all) {
        match sh {
            Show::Frame(i) => {
                let f = &a.frames[i];
                let body = arrow(&ladder_label(a, f), f.dir);
                let line = format!(" #{:<4} │{body}│ {}", f.no, ms(f.ts.nanos_since(t0)));
                if o.color && f.dir == Dir::ToClient {
                    o.paint(DIM, &line);
                    o.s.push('\n');
                } else {
                    o.line(&line);
                }
            }
            Show::Gap {
                count,
                from,
                to,
                data,
            } => {
                let t = gap_short(count, from, to, data);
                let t: String = t.chars().take(LADDER - 2).collect();
                o.line(&format!("       │ {t:<w$} │", w = LADDER - 2));
            }
        }
    }
    o.line(&format!("       │{}│", " ".repeat(LADDER)));
}

fn footer(run: &DemoRun, a: &Analysis, o: &mut Out) {
    o.line("");
    if run.opts.transport == Transport::Tcp {
        let hs: Vec<String> = a.handshake.iter().map(|&f| flag_names(f)).collect();
        let fins = match (a.client.fin, a.server.fin) {
            (Some(c), Some(s)) => format!(
                "FIN from the client (#{}) and from the server (#{}), {}",
                a.frames[c].no,
                a.frames[s].no,
                if a.client.fin_acked.is_some() && a.server.fin_acked.is_some() {
                    "each acknowledged"
                } else {
                    "not both acknowledged in the capture"
                }
            ),
            _ => "no complete FIN exchange was captured".into(),
        };
        o.wrapped(
            "  In short: ",
            &format!(
                "handshake {} · client payload {} B{} · {fins}",
                hs.join(" → "),
                a.client.bytes.len(),
                if a.client.bytes == run.opts.message {
                    " (equal to the message)"
                } else {
                    " (differs from the message!)"
                }
            ),
            12,
            None,
        );
    }
    for p in &run.problems {
        o.wrapped("  note: ", p, 8, None);
    }
    o.wrapped(
        "  ",
        &format!(
            "The demo's network namespaces ({}) have been deleted.",
            run.namespaces.join(", ")
        ),
        2,
        Some(DIM),
    );
}

fn json_str(s: &str) -> String {
    let mut w = Vec::new();
    crate::dissect::field::write_json_str(&mut w, s.as_bytes());
    String::from_utf8_lossy(&w).into_owned()
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "null".into())
}

/// `--json-summary`: the findings as one JSON object on one line.
pub fn json_summary(run: &DemoRun, a: &Analysis) -> String {
    let mut s = String::from("{");
    let _ = write!(
        s,
        "\"transport\":{},\"ip_version\":{},\"link\":{},\"interface\":{},\"namespaces\":[{}],",
        json_str(&run.opts.transport.name().to_lowercase()),
        if run.opts.ipv6 { 6 } else { 4 },
        json_str(match run.link {
            Link::Loopback => "lo",
            Link::Veth => "veth",
        }),
        json_str(&run.interface),
        run.namespaces
            .iter()
            .map(|n| json_str(n))
            .collect::<Vec<_>>()
            .join(",")
    );
    let _ = write!(
        s,
        "\"offloads_off\":{},\"mtu\":{},\"server\":{},\"client\":{},\"frames\":{},\"message_bytes\":{},",
        run.offload_problem.is_none(),
        opt(run.mtu),
        json_str(&run.server.to_string()),
        json_str(&run.client.to_string()),
        a.frames.len(),
        run.opts.message.len()
    );
    let hs: Vec<String> = a
        .handshake
        .iter()
        .map(|&f| json_str(&flag_names(f)))
        .collect();
    let _ = write!(s, "\"handshake\":[{}],", hs.join(","));
    let (cbytes, sbytes) = match run.opts.transport {
        Transport::Tcp => (a.client.bytes.clone(), a.server.bytes.clone()),
        Transport::Udp => {
            let get = |d: Dir| {
                a.datagrams
                    .iter()
                    .find(|x| x.dir == Some(d))
                    .map(|x| x.payload.clone())
                    .unwrap_or_default()
            };
            (get(Dir::ToServer), get(Dir::ToClient))
        }
    };
    let _ = write!(
        s,
        "\"client_payload_bytes\":{},\"client_payload_matches\":{},\"server_payload_bytes\":{},",
        cbytes.len(),
        cbytes == run.opts.message,
        sbytes.len()
    );
    let c = &a.client;
    let sv = &a.server;
    let _ = write!(
        s,
        "\"mss\":{},\"payload_per_segment\":{},\"segments_observed\":{},\"segments_computed\":{},\
         \"reply_segments_observed\":{},\"reply_segments_computed\":{},\"retransmissions\":{},\
         \"gso_super_segments\":{},",
        opt(c.mss()),
        opt(c.per_segment()),
        c.segments.len(),
        opt(c.computed()),
        sv.segments.len(),
        opt(sv.computed()),
        c.retransmissions.len() + sv.retransmissions.len(),
        c.super_segments.len() + sv.super_segments.len()
    );
    let _ = write!(
        s,
        "\"fin_client\":{},\"fin_server\":{},\"fin_exchange\":{},\"rst\":{},\"arp\":{},\"ndp\":{},",
        c.fin.is_some(),
        sv.fin.is_some(),
        c.fin.is_some() && sv.fin.is_some() && c.fin_acked.is_some() && sv.fin_acked.is_some(),
        !a.rst.is_empty(),
        a.arp,
        a.ndp
    );
    let datagrams: Vec<String> = a
        .datagrams
        .iter()
        .map(|d| {
            let dir = match d.dir {
                Some(Dir::ToServer) => "to_server",
                Some(Dir::ToClient) => "to_client",
                _ => "unknown",
            };
            let (frags, computed) = match d.fragmented.and_then(|gi| a.fragmented.get(gi)) {
                Some(g) => {
                    let ip_hdr = a.frames[d.first].ip.as_ref().map_or(20, |i| i.hdr_len);
                    let per_hdr = if g.version == 6 { 48 } else { ip_hdr };
                    let list: Vec<String> = g
                        .frames
                        .iter()
                        .map(|&i| {
                            let f = &a.frames[i];
                            let ip = f.ip.clone().unwrap_or_default();
                            format!(
                                "{{\"frame\":{},\"offset\":{},\"len\":{},\"mf\":{}}}",
                                f.no,
                                ip.frag_offset,
                                f.payload.len(),
                                ip.mf
                            )
                        })
                        .collect();
                    (list.join(","), opt(g.computed(run.mtu.unwrap_or(1500), per_hdr)))
                }
                None => (String::new(), "null".into()),
            };
            format!(
                "{{\"direction\":\"{dir}\",\"udp_length\":{},\"payload_bytes\":{},\"fragments\":[{frags}],\"fragments_computed\":{computed}}}",
                d.udp_len,
                d.payload.len()
            )
        })
        .collect();
    let client_frags = a
        .datagrams
        .iter()
        .find(|d| d.dir == Some(Dir::ToServer))
        .and_then(|d| d.fragmented)
        .and_then(|gi| a.fragmented.get(gi))
        .map_or(0, |g| g.frames.len());
    let _ = write!(
        s,
        "\"datagrams\":[{}],\"fragments\":{},\"problems\":[{}]}}",
        datagrams.join(","),
        client_frags,
        run.problems
            .iter()
            .map(|p| json_str(p))
            .collect::<Vec<_>>()
            .join(",")
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_respects_both_widths() {
        let w = wrap("aaa bbb ccc ddd eee", 8, 4);
        assert_eq!(w, ["aaa", "bbb ccc", "ddd eee"]);
        assert_eq!(wrap("", 10, 10), [""]);
    }

    #[test]
    fn cols_ignores_colour_codes() {
        assert_eq!(cols("\x1b[33mTCP\x1b[0m →"), 5);
    }

    #[test]
    fn arrows_keep_their_width() {
        for d in [Dir::ToServer, Dir::ToClient, Dir::Unknown] {
            assert_eq!(cols(&arrow("[SYN] seq=0 len=0", d)), LADDER);
        }
        assert!(arrow("x", Dir::ToServer).ends_with('→'));
        assert!(arrow("x", Dir::ToClient).starts_with('←'));
    }

    #[test]
    fn tcp_flag_names_read_like_wireshark() {
        assert_eq!(flag_names(0x012), "SYN, ACK");
        assert_eq!(flag_names(0x011), "FIN, ACK");
        assert_eq!(flag_names(0x018), "PSH, ACK");
        assert_eq!(flag_names(0), "<none>");
    }
}
