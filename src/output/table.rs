//! The packet table: one row per packet, a column per layer of the model.
//!
//! Rows are streamed through a fixed-width writer (no table buffering), so
//! the first row appears as soon as the first packet is read.

use super::collect::Collected;
use super::style::{tier_color, RED, RESET};
use crate::dissect::timefmt::{self, TimeFormat};
use crate::dissect::{self, put, Packet, Proto, Tier};
use std::io::{self, Write};

const W_NO: usize = 6;
const W_TIME: usize = 11;
const W_LINK: usize = 8;
const W_NET: usize = 6;
const W_TRANS: usize = 6;
const W_APP: usize = 8;
const W_PAIR: usize = 44;
const W_LEN: usize = 5;

/// Terminals at least this wide keep a column per layer; narrower ones get
/// one protocol-stack column (`IPv6/UDP/DNS`).
const WIDE: usize = 132;

/// Column widths chosen once from the terminal's width; Info gets what
/// remains on each row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Layout {
    no: usize,
    time: usize,
    /// Width of the merged protocol-stack column; 0: a column per layer.
    stack: usize,
    pair: usize,
    /// Elide socket pairs longer than `pair` (on a terminal only: piped
    /// rows keep full addresses).
    elide: bool,
}

impl Layout {
    fn for_width(width: Option<usize>) -> Layout {
        let Some(w) = width else {
            return Layout {
                no: W_NO,
                time: W_TIME,
                stack: 0,
                pair: W_PAIR,
                elide: false,
            };
        };
        if w >= WIDE {
            // No, Time, four layer columns, Len and their separators.
            let fixed = W_NO + W_TIME + W_LINK + W_NET + W_TRANS + W_APP + W_LEN + 8;
            let pair = w.saturating_sub(fixed + 1 + 48).clamp(W_PAIR, 56);
            return Layout {
                no: W_NO,
                time: W_TIME,
                stack: 0,
                pair,
                elide: true,
            };
        }
        let stack = match w {
            0..100 => 8,
            100..120 => 10,
            _ => 16,
        };
        // Under 100 columns every column counts: five digits of frame
        // number and under 100 s of time keep their columns (more pushes
        // Info over, never off the line).
        let (no, time) = if w < 100 { (5, 9) } else { (W_NO, 10) };
        let fixed = no + time + stack + W_LEN + 5;
        let rest = w.saturating_sub(fixed);
        Layout {
            no,
            time,
            stack,
            // Five eighths of what remains (an IPv4 pair fits at 80
            // columns), the rest for Info.
            pair: (rest * 5 / 8).clamp(10, W_PAIR),
            elide: true,
        }
    }
}

pub struct TableWriter<W: Write> {
    out: W,
    color: bool,
    /// Terminal width to fit rows into; `None` when not writing to a terminal.
    width: Option<usize>,
    layout: Layout,
    line: Vec<u8>,
    scratch: Vec<u8>,
    pairs: Box<super::PairCache>,
    header_done: bool,
    /// The Time column's format (`-t`) and width (set with the header).
    time: TimeFormat,
    w_time: usize,
    /// `-e` fields shown as extra columns before Info, and their values.
    extra: Vec<String>,
    fields: Collected,
    dump: Dump,
}

/// What follows each row, as tcpdump prints it under its line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Dump {
    #[default]
    None,
    /// `-X`: hex and ASCII from the network layer; `-XX` (`link`): from the
    /// link layer.
    HexAscii { link: bool },
    /// `-A`: the bytes from the network layer as ASCII.
    Ascii,
}

impl<W: Write> TableWriter<W> {
    pub fn new(out: W, color: bool, width: Option<usize>) -> Self {
        TableWriter {
            out,
            color,
            width,
            layout: Layout::for_width(width),
            line: Vec::with_capacity(512),
            scratch: Vec::with_capacity(256),
            pairs: Default::default(),
            header_done: false,
            time: TimeFormat::default(),
            w_time: 11,
            extra: Vec::new(),
            fields: Collected::with_only(Some(Vec::new())),
            dump: Dump::None,
        }
    }

    /// Writes `dump` of each packet under its row.
    pub fn with_dump(mut self, dump: Dump) -> Self {
        self.dump = dump;
        self
    }

    /// Shows the Time column in one of tshark's `-t` formats.
    pub fn set_time_format(&mut self, f: TimeFormat) {
        self.time = f;
        self.fields.time_format = f;
    }

    /// Adds these fields as columns before Info (`-e`), their values as
    /// `tshark -T fields` prints them (repeats joined with `,`).
    pub fn set_extra_columns(&mut self, names: Vec<String>) {
        self.fields = Collected::with_only(Some(names.clone()));
        self.fields.time_format = self.time;
        self.extra = names;
    }

    pub fn into_inner(self) -> W {
        self.out
    }

    /// The output (the parallel engine reads each packet's rows from it).
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// The header for timestamps of `digits` decimals, written (`write`) or
    /// taken as written by another writer of the same output (its column
    /// widths still follow it).
    pub fn begin(&mut self, digits: u8, write: bool) -> io::Result<()> {
        self.header_done = true;
        self.line.clear();
        // Widths are for nanoseconds; coarser captures print fewer digits.
        self.w_time = self
            .time
            .width()
            .saturating_sub(9usize.saturating_sub(digits as usize))
            .max(self.layout.time);
        if !write {
            return Ok(());
        }
        let l = self.layout;
        let mut cols: Vec<(&str, usize, bool)> =
            vec![("No.", l.no, true), ("Time", self.w_time, false)];
        if l.stack == 0 {
            cols.extend([
                ("Link", W_LINK, false),
                ("Net", W_NET, false),
                ("Trans", W_TRANS, false),
                ("App", W_APP, false),
            ]);
        } else {
            let name = if l.stack < 9 { "Proto" } else { "Protocols" };
            cols.push((name, l.stack, false));
        }
        cols.extend([("Socket pair", l.pair, false), ("Len", W_LEN, true)]);
        for (name, w, right) in cols {
            pad(&mut self.line, name.as_bytes(), name.len(), w, right);
            self.line.push(b' ');
        }
        for name in &self.extra {
            pad(
                &mut self.line,
                name.as_bytes(),
                name.len(),
                extra_width(name),
                false,
            );
            self.line.push(b' ');
        }
        self.line.extend_from_slice(b"Info");
        if self.color {
            self.out.write_all(super::style::BOLD.as_bytes())?;
            self.out.write_all(&self.line)?;
            self.out.write_all(RESET.as_bytes())?;
        } else {
            self.out.write_all(&self.line)?;
        }
        self.out.write_all(b"\n")
    }

    /// Writes one packet's row.
    pub fn row(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
        if !self.header_done {
            self.begin(pkt.ts_digits, true)?;
        }
        let color = self.color;
        let layout = self.layout;
        let line = &mut self.line;
        line.clear();
        let mut used = 0usize;

        used += right_number(line, pkt.number, layout.no) + 1;
        line.push(b' ');

        // Left-aligned columns are written in place, then filled.
        let at = line.len();
        timefmt::write_column(line, self.time, pkt);
        used += fill(line, line.len() - at, self.w_time) + 1;
        line.push(b' ');

        if layout.stack == 0 {
            // One column per tier: the outermost protocol of that tier.
            let names = tier_names(pkt);
            for ((tier, w), name) in [
                (Tier::Link, W_LINK),
                (Tier::Network, W_NET),
                (Tier::Transport, W_TRANS),
                (Tier::Application, W_APP),
            ]
            .into_iter()
            .zip(names)
            {
                if color && name != "-" {
                    line.extend_from_slice(tier_color(tier).as_bytes());
                }
                used += pad(line, name.as_bytes(), char_count(name.as_bytes()), w, false) + 1;
                if color && name != "-" {
                    line.extend_from_slice(RESET.as_bytes());
                }
                line.push(b' ');
            }
        } else {
            used += write_stack(line, pkt, layout.stack, color) + 1;
            line.push(b' ');
        }

        let at = line.len();
        let mut pair_chars = self.pairs.write(pkt, line);
        if layout.elide && pair_chars > layout.pair {
            self.scratch.clear();
            self.scratch.extend_from_slice(&line[at..]);
            line.truncate(at);
            pair_chars = super::grid::elide_pair(&mut self.scratch, layout.pair);
            line.extend_from_slice(&self.scratch);
        }
        used += fill(line, pair_chars, layout.pair) + 1;
        line.push(b' ');

        used += right_number(line, pkt.wire_len as u64, W_LEN) + 1;
        line.push(b' ');

        if !self.extra.is_empty() {
            self.fields.fill(pkt);
            for name in &self.extra {
                self.scratch.clear();
                self.fields.join(name, &mut self.scratch);
                let chars = char_count(&self.scratch);
                used += pad(line, &self.scratch, chars, extra_width(name), false) + 1;
                line.push(b' ');
            }
        }

        // Info in place too; moved aside only to be cut or coloured.
        let at = line.len();
        dissect::info(pkt, line);
        // An ICMP error names the connection it is about.
        let mark = line.len();
        line.extend_from_slice(b" for ");
        if !super::write_quoted_pair(pkt, line) {
            line.truncate(mark);
        }
        if let Some(issue) = pkt.issue {
            if line.len() > at {
                line.push(b' ');
            }
            super::write_issue(&issue, line);
        }
        // A control character (a tab, a line break from a header) would
        // break the row.
        // (A select rather than a branch, so the loop is vectorised.)
        for c in line[at..].iter_mut() {
            let bad = (*c < 0x20) | (*c == 0x7f);
            *c = if bad { b'.' } else { *c };
        }
        let room = self
            .width
            .map(|w| w.saturating_sub(used))
            .filter(|&room| char_count(&line[at..]) > room);
        if room.is_some() || (color && pkt.issue.is_some()) {
            self.scratch.clear();
            self.scratch.extend_from_slice(&line[at..]);
            line.truncate(at);
            let info = &self.scratch;
            match room {
                Some(room) => {
                    let cut = byte_index_of_char(info, room.saturating_sub(1));
                    write_info(line, &info[..cut], color, pkt);
                    line.extend_from_slice("…".as_bytes());
                }
                None => write_info(line, info, color, pkt),
            }
        }
        line.push(b'\n');
        match self.dump {
            Dump::None => {}
            Dump::HexAscii { link } => {
                let from = if link { 0 } else { network_start(pkt) };
                super::hexdump::write_tcpdump(pkt.data.get(from..).unwrap_or(&[]), line);
            }
            Dump::Ascii => {
                super::hexdump::write_ascii(
                    pkt.data.get(network_start(pkt)..).unwrap_or(&[]),
                    line,
                );
            }
        }
        self.out.write_all(line)
    }
}

/// Where tcpdump's `-X` and `-A` start: after the link-layer headers
/// (Ethernet with its VLAN tags, SLL, the loopback header, …).
pub fn network_start(pkt: &Packet<'_>) -> usize {
    pkt.layers
        .iter()
        .take_while(|l| l.src == dissect::Src::Frame && l.proto.tier() == Tier::Link)
        .last()
        .map(|l| l.end as usize)
        .unwrap_or(0)
        .min(pkt.data.len())
}

/// The merged protocol column: network, transport and application names
/// joined (`IPv6/UDP/DNS`; under 12 columns wide without the network
/// layer: `UDP/DNS`), the link layer only when nothing is above it; cut to `width`
/// with "…". Returns the columns used.
fn write_stack(line: &mut Vec<u8>, pkt: &Packet<'_>, width: usize, color: bool) -> usize {
    let mut names: Vec<(Tier, &str)> = [Tier::Network, Tier::Transport, Tier::Application]
        .into_iter()
        .map(|t| (t, tier_name(pkt, t)))
        .filter(|(_, n)| *n != "-")
        .collect();
    // Narrow: the addresses already tell IPv4 from IPv6.
    if width < 12 && names.len() > 1 {
        names.remove(0);
    }
    if names.is_empty() {
        names.push((Tier::Link, tier_name(pkt, Tier::Link)));
    }
    let plain: usize =
        names.iter().map(|(_, n)| n.chars().count()).sum::<usize>() + names.len() - 1;
    let shown = if plain > width {
        // Too long: cut, keeping room for the ellipsis (no colours).
        let joined: Vec<&str> = names.iter().map(|(_, n)| *n).collect();
        let cut: String = joined
            .join("/")
            .chars()
            .take(width.saturating_sub(1))
            .collect();
        line.extend_from_slice(cut.as_bytes());
        line.extend_from_slice("…".as_bytes());
        cut.chars().count() + 1
    } else {
        for (i, (tier, name)) in names.iter().enumerate() {
            if i > 0 {
                line.push(b'/');
            }
            if color {
                line.extend_from_slice(tier_color(*tier).as_bytes());
            }
            line.extend_from_slice(name.as_bytes());
            if color {
                line.extend_from_slice(RESET.as_bytes());
            }
        }
        plain
    };
    spaces(line, width.saturating_sub(shown));
    shown.max(width)
}

fn write_info(line: &mut Vec<u8>, info: &[u8], color: bool, pkt: &Packet<'_>) {
    if color && pkt.issue.is_some() {
        // The issue tag is at the end: colour it alone.
        if let Some(pos) = find(info, b"[malformed: ").or_else(|| find(info, b"[truncated: ")) {
            line.extend_from_slice(&info[..pos]);
            line.extend_from_slice(RED.as_bytes());
            line.extend_from_slice(&info[pos..]);
            line.extend_from_slice(RESET.as_bytes());
            return;
        }
    }
    line.extend_from_slice(info);
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

/// The protocol a column shows: the outermost link and network headers, the
/// first transport header (ICMP counts, as users look for it there), and
/// what the transport carries.
pub fn tier_name(pkt: &Packet<'_>, tier: Tier) -> &'static str {
    let [link, net, trans, app] = tier_names(pkt);
    match tier {
        Tier::Link => link,
        Tier::Network => net,
        Tier::Transport => trans,
        Tier::Application => app,
    }
}

/// [`tier_name`] of the four tiers, from one walk over the layers (every
/// row of the table shows all four).
pub fn tier_names(pkt: &Packet<'_>) -> [&'static str; 4] {
    let (mut link, mut net, mut transport) = (None, None, None);
    let (mut vlan, mut wlan) = (false, false);
    for (i, l) in pkt.layers.iter().enumerate() {
        match l.proto {
            Proto::Vlan => vlan = true,
            Proto::Wlan => wlan = true,
            Proto::Tcp | Proto::Udp | Proto::Icmp | Proto::Icmpv6 if transport.is_none() => {
                transport = Some(i)
            }
            _ => {}
        }
        match l.proto.tier() {
            Tier::Link if link.is_none() => link = Some(l.proto),
            Tier::Network if net.is_none() => net = Some(l.proto),
            _ => {}
        }
    }
    let named = |p: Option<Proto>| match p {
        Some(Proto::Unsupported) => "?",
        Some(p) => short_name(p),
        None => "-",
    };
    let link = if vlan {
        "802.1Q"
    } else if wlan {
        // The radio header before it is capture metadata, not the link.
        short_name(Proto::Wlan)
    } else {
        named(link)
    };
    let trans = transport.map_or("-", |i| short_name(pkt.layers[i].proto));
    let app = match transport {
        Some(i) if matches!(pkt.layers[i].proto, Proto::Tcp | Proto::Udp) => {
            match pkt.layers[i + 1..]
                .iter()
                .find(|l| l.proto.tier() == Tier::Application)
            {
                // Bytes no decoder claims: name the port's usual service.
                Some(l) if l.proto == Proto::Data => pkt
                    .ports()
                    .and_then(|(a, b)| {
                        crate::dissect::services::for_ports(pkt.layers[i].proto == Proto::Udp, a, b)
                    })
                    .unwrap_or("Data"),
                Some(l) => short_name(l.proto),
                None => "-",
            }
        }
        _ => "-",
    };
    [link, named(net), trans, app]
}

/// An extra column's width: its name, at least 8.
fn extra_width(name: &str) -> usize {
    name.len().max(8)
}

fn short_name(p: Proto) -> &'static str {
    p.decl().short
}

/// Seconds with 6 decimals, like Wireshark's relative time column.
pub fn write_rel_time(w: &mut Vec<u8>, nanos: i128) {
    if nanos < 0 {
        w.push(b'-');
    }
    let n = nanos.unsigned_abs();
    let micros = n / 1000;
    w.extend_from_slice(itoa::Buffer::new().format(micros / 1_000_000).as_bytes());
    w.push(b'.');
    let frac = (micros % 1_000_000) as u32;
    let mut digits = [b'0'; 6];
    let mut f = frac;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (f % 10) as u8;
        f /= 10;
    }
    w.extend_from_slice(&digits);
}

/// Appends `s` padded to `width` display columns; returns the columns used.
/// `chars` is the display width of `s` (`usize::MAX` means "ASCII, use len").
fn pad(line: &mut Vec<u8>, s: &[u8], chars: usize, width: usize, right: bool) -> usize {
    let n = if chars == usize::MAX { s.len() } else { chars };
    if right {
        spaces(line, width.saturating_sub(n));
        line.extend_from_slice(s);
        n.max(width)
    } else {
        line.extend_from_slice(s);
        fill(line, n, width)
    }
}

/// `v` right-aligned in `width` columns; the columns it takes.
fn right_number(line: &mut Vec<u8>, v: u64, width: usize) -> usize {
    let n = put::dec_len(v);
    spaces(line, width.saturating_sub(n));
    put::dec_n(line, v, n);
    n.max(width)
}

/// Spaces after a left-aligned cell of `chars` columns already written, to
/// `width`; the columns it takes.
fn fill(line: &mut Vec<u8>, chars: usize, width: usize) -> usize {
    spaces(line, width.saturating_sub(chars));
    chars.max(width)
}

/// `n` spaces, in copies of fixed length (a call to `memset` for a few
/// bytes, several times a row, cost more).
fn spaces(line: &mut Vec<u8>, n: usize) {
    let end = line.len() + n;
    while line.len() < end {
        line.extend_from_slice(&[b' '; 16]);
    }
    line.truncate(end);
}

fn char_count(b: &[u8]) -> usize {
    b.iter().filter(|&&c| (c & 0xc0) != 0x80).count()
}

fn byte_index_of_char(b: &[u8], n: usize) -> usize {
    let mut seen = 0;
    for (i, &c) in b.iter().enumerate() {
        if (c & 0xc0) != 0x80 {
            if seen == n {
                return i;
            }
            seen += 1;
        }
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rel_time() {
        let mut w = Vec::new();
        write_rel_time(&mut w, 1_234_567_891);
        assert_eq!(w, b"1.234567");
    }

    #[test]
    fn padding_counts_chars() {
        let mut l = Vec::new();
        let used = pad(&mut l, "a → b".as_bytes(), 5, 8, false);
        assert_eq!(used, 8);
        assert_eq!(l, "a → b   ".as_bytes());
    }
}
