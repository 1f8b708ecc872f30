//! The packet table: one row per packet, a column per layer of the model.
//!
//! Rows are streamed through a fixed-width writer (no table buffering), so
//! the first row appears as soon as the first packet is read.

use super::collect::Collected;
use super::style::{tier_color, RED, RESET};
use crate::dissect::timefmt::{self, TimeFormat};
use crate::dissect::{self, IssueKind, Packet, Proto, Tier};
use std::io::{self, Write};

const W_NO: usize = 6;
const W_LINK: usize = 8;
const W_NET: usize = 6;
const W_TRANS: usize = 6;
const W_APP: usize = 8;
const W_PAIR: usize = 44;
const W_LEN: usize = 5;

pub struct TableWriter<W: Write> {
    out: W,
    color: bool,
    /// Terminal width to fit rows into; `None` when not writing to a terminal.
    width: Option<usize>,
    line: Vec<u8>,
    scratch: Vec<u8>,
    header_done: bool,
    /// The Time column's format (`-t`) and width (set with the header).
    time: TimeFormat,
    w_time: usize,
    /// `-e` fields shown as extra columns before Info, and their values.
    extra: Vec<String>,
    fields: Collected,
}

impl<W: Write> TableWriter<W> {
    pub fn new(out: W, color: bool, width: Option<usize>) -> Self {
        TableWriter {
            out,
            color,
            width,
            line: Vec::with_capacity(512),
            scratch: Vec::with_capacity(256),
            header_done: false,
            time: TimeFormat::default(),
            w_time: 11,
            extra: Vec::new(),
            fields: Collected::with_only(Some(Vec::new())),
        }
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

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn header(&mut self, digits: u8) -> io::Result<()> {
        self.line.clear();
        // Widths are for nanoseconds; coarser captures print fewer digits.
        self.w_time = self
            .time
            .width()
            .saturating_sub(9usize.saturating_sub(digits as usize))
            .max(11);
        let cols: [(&str, usize, bool); 8] = [
            ("No.", W_NO, true),
            ("Time", self.w_time, false),
            ("Link", W_LINK, false),
            ("Net", W_NET, false),
            ("Trans", W_TRANS, false),
            ("App", W_APP, false),
            ("Socket pair", W_PAIR, false),
            ("Len", W_LEN, true),
        ];
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
            self.header_done = true;
            self.header(pkt.ts_digits)?;
        }
        let color = self.color;
        let line = &mut self.line;
        line.clear();
        let mut used = 0usize;

        let mut num = itoa::Buffer::new();
        used += pad(
            line,
            num.format(pkt.number).as_bytes(),
            usize::MAX,
            W_NO,
            true,
        ) + 1;
        line.push(b' ');

        self.scratch.clear();
        timefmt::write_column(&mut self.scratch, self.time, pkt);
        used += pad(line, &self.scratch, self.scratch.len(), self.w_time, false) + 1;
        line.push(b' ');

        // One column per tier: the outermost protocol of that tier.
        for (tier, w) in [
            (Tier::Link, W_LINK),
            (Tier::Network, W_NET),
            (Tier::Transport, W_TRANS),
            (Tier::Application, W_APP),
        ] {
            let name = tier_name(pkt, tier);
            if color && name != "-" {
                line.extend_from_slice(tier_color(tier).as_bytes());
            }
            used += pad(line, name.as_bytes(), name.chars().count(), w, false) + 1;
            if color && name != "-" {
                line.extend_from_slice(RESET.as_bytes());
            }
            line.push(b' ');
        }

        self.scratch.clear();
        let pair_chars = super::write_socket_pair(pkt, &mut self.scratch);
        used += pad(line, &self.scratch, pair_chars, W_PAIR, false) + 1;
        line.push(b' ');

        used += pad(
            line,
            num.format(pkt.wire_len).as_bytes(),
            usize::MAX,
            W_LEN,
            true,
        ) + 1;
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

        self.scratch.clear();
        dissect::info(pkt, &mut self.scratch);
        // An ICMP error names the connection it is about.
        let mark = self.scratch.len();
        self.scratch.extend_from_slice(b" for ");
        if !super::write_quoted_pair(pkt, &mut self.scratch) {
            self.scratch.truncate(mark);
        }
        if let Some(issue) = pkt.issue {
            if !self.scratch.is_empty() {
                self.scratch.push(b' ');
            }
            let tag: &[u8] = match issue.kind {
                IssueKind::Malformed => b"[malformed: ",
                IssueKind::Truncated => b"[truncated: ",
            };
            self.scratch.extend_from_slice(tag);
            self.scratch
                .extend_from_slice(issue.proto.display().as_bytes());
            self.scratch.push(b' ');
            self.scratch.extend_from_slice(issue.msg.as_bytes());
            self.scratch.push(b']');
        }
        let room = self.width.map(|w| w.saturating_sub(used));
        let info = &self.scratch;
        match room {
            Some(room) if char_count(info) > room => {
                let cut = byte_index_of_char(info, room.saturating_sub(1));
                write_info(line, &info[..cut], color, pkt);
                line.extend_from_slice("…".as_bytes());
            }
            _ => write_info(line, info, color, pkt),
        }
        line.push(b'\n');
        self.out.write_all(line)
    }
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
fn tier_name(pkt: &Packet<'_>, tier: Tier) -> &'static str {
    let transport = pkt.layers.iter().position(|l| {
        matches!(
            l.proto,
            Proto::Tcp | Proto::Udp | Proto::Icmp | Proto::Icmpv6
        )
    });
    match tier {
        Tier::Link if pkt.has(Proto::Vlan) => "802.1Q",
        Tier::Link | Tier::Network => pkt
            .layers
            .iter()
            .find(|l| l.proto.tier() == tier)
            .map(|l| match l.proto {
                Proto::Unsupported => "?",
                p => short_name(p),
            })
            .unwrap_or("-"),
        Tier::Transport => transport
            .map(|i| short_name(pkt.layers[i].proto))
            .unwrap_or("-"),
        Tier::Application => match transport {
            Some(i) if matches!(pkt.layers[i].proto, Proto::Tcp | Proto::Udp) => {
                match pkt.layers[i + 1..]
                    .iter()
                    .find(|l| l.proto.tier() == Tier::Application)
                {
                    // Bytes no decoder claims: name the port's usual service.
                    Some(l) if l.proto == Proto::Data => pkt
                        .ports()
                        .and_then(|(a, b)| {
                            crate::dissect::services::for_ports(
                                pkt.layers[i].proto == Proto::Udp,
                                a,
                                b,
                            )
                        })
                        .unwrap_or("Data"),
                    Some(l) => short_name(l.proto),
                    None => "-",
                }
            }
            _ => "-",
        },
    }
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
    let fill = width.saturating_sub(n);
    if right {
        line.resize(line.len() + fill, b' ');
        line.extend_from_slice(s);
    } else {
        line.extend_from_slice(s);
        line.resize(line.len() + fill, b' ');
    }
    n.max(width)
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
