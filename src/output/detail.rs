//! The detail view: per packet, a tree of layers and fields like
//! Wireshark's packet-details pane, each field with its byte offset and
//! length, and optionally a hex dump coloured by layer.

use super::style::{tier_color, BOLD, DIM, RED, RESET};
use crate::dissect::{self, Field, FieldSink, Packet};
use std::io::{self, Write};
use std::ops::Range;

/// Pair fields Wireshark keeps hidden in the tree (they repeat src/dst).
pub const HIDDEN: &[&str] = &[
    "eth.addr",
    "eth.addr_resolved",
    "eth.src_resolved",
    "eth.dst_resolved",
    "eth.lg",
    "eth.ig",
    "ip.addr",
    "ip.host",
    "ip.src_host",
    "ip.dst_host",
    "ipv6.addr",
    "ipv6.host",
    "ipv6.src_host",
    "ipv6.dst_host",
    "tcp.port",
    "udp.port",
];

pub struct DetailWriter<W: Write> {
    out: W,
    color: bool,
    hex: bool,
    dump: super::Dump,
    buf: Vec<u8>,
}

struct TreeSink<'b> {
    buf: &'b mut Vec<u8>,
    color: bool,
    depth: usize,
    layer_color: &'static str,
}

const NAME_COL: usize = 60;

/// Byte strings longer than this are shown as a wrapped hex block.
const WRAP_BYTES: usize = 32;

/// Values longer than this (a body as text) are cut, as Wireshark cuts
/// long items in its tree.
const MAX_VALUE: usize = 120;

/// Cuts the value from `start` on to [`MAX_VALUE`] characters with
/// "… [N bytes]" (the whole value is in jsonl/csv and the hex dump).
fn cut_long(buf: &mut Vec<u8>, start: usize) {
    let n = buf.len() - start;
    if n <= MAX_VALUE {
        return;
    }
    // Back to a character boundary.
    let mut cut = start + MAX_VALUE;
    while cut > start && (buf[cut] & 0xc0) == 0x80 {
        cut -= 1;
    }
    buf.truncate(cut);
    let _ = write!(buf, "… [{n} bytes]");
}

/// Control characters from `start` on as Wireshark shows them in the tree
/// (`GET / HTTP/1.1\r\n`): a line break in a value would break the tree.
fn escape_controls(buf: &mut Vec<u8>, start: usize) {
    if !buf[start..].iter().any(|&c| c < 0x20 || c == 0x7f) {
        return;
    }
    let tail = buf.split_off(start);
    for c in tail {
        match c {
            b'\r' => buf.extend_from_slice(b"\\r"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            c if c < 0x20 || c == 0x7f => {
                let _ = write!(buf, "\\x{c:02x}");
            }
            c => buf.push(c),
        }
    }
}

impl TreeSink<'_> {
    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.buf.extend_from_slice(b"    ");
        }
    }

    fn tail(&mut self, line_start: usize, name: &str, r: &Range<usize>) {
        let shown = String::from_utf8_lossy(&self.buf[line_start..])
            .chars()
            .count();
        let fill = NAME_COL.saturating_sub(shown).max(2);
        self.buf.resize(self.buf.len() + fill, b' ');
        if self.color {
            self.buf.extend_from_slice(DIM.as_bytes());
        }
        self.buf.extend_from_slice(name.as_bytes());
        if !r.is_empty() {
            let _ = write!(self.buf, "  @{} +{}", r.start, r.len());
        }
        if self.color {
            self.buf.extend_from_slice(RESET.as_bytes());
        }
        self.buf.push(b'\n');
    }
}

impl FieldSink for TreeSink<'_> {
    fn layer(&mut self, name: &'static str, title: &str, range: Range<usize>) {
        self.depth = 0;
        if name == "frame" {
            return;
        }
        let tier = layer_tier(name);
        self.layer_color = tier.map(tier_color).unwrap_or("");
        if self.color {
            self.buf.extend_from_slice(BOLD.as_bytes());
            self.buf.extend_from_slice(self.layer_color.as_bytes());
        }
        self.buf.extend_from_slice(title.as_bytes());
        if self.color {
            self.buf.extend_from_slice(RESET.as_bytes());
        }
        // Width is measured without the escape codes.
        let shown = title.chars().count();
        let fill = NAME_COL.saturating_sub(shown).max(2);
        self.buf.resize(self.buf.len() + fill, b' ');
        if self.color {
            self.buf.extend_from_slice(DIM.as_bytes());
        }
        let _ = write!(self.buf, "{}  @{} +{}", name, range.start, range.len());
        if self.color {
            self.buf.extend_from_slice(RESET.as_bytes());
        }
        self.buf.push(b'\n');
        self.depth = 1;
    }

    fn field(&mut self, f: &Field<'_>) {
        if HIDDEN.contains(&f.name) || f.name.starts_with("frame.") {
            return;
        }
        self.indent();
        let line_start = self.buf.len();
        // Measure from the line's start to keep columns aligned at any depth.
        let indent_start = line_start - self.depth * 4;
        // Long byte strings (payloads) as Wireshark's "Data (N bytes)",
        // their hex wrapped under the label.
        if let dissect::Value::Bytes(b) = f.value {
            if b.len() > WRAP_BYTES {
                let _ = write!(self.buf, "{} ({} bytes)", f.label, b.len());
                self.tail(indent_start, f.name, &f.range);
                let pad = (self.depth + 1) * 4;
                let mut indented = Vec::with_capacity(b.len() * 4);
                super::hexdump::write_bytes(b, &[], false, &mut indented);
                for line in indented.split_inclusive(|&c| c == b'\n') {
                    self.buf.resize(self.buf.len() + pad, b' ');
                    self.buf.extend_from_slice(line);
                }
                return;
            }
        }
        self.buf.extend_from_slice(f.label.as_bytes());
        self.buf.extend_from_slice(b": ");
        let value_start = self.buf.len();
        if let (crate::dissect::Value::Mac(_), false) = (f.value, f.note.is_empty()) {
            // An address with its name reads as Wireshark shows it:
            // `Source: VMware_1f:74:06 (00:0c:29:1f:74:06)`.
            self.buf.extend_from_slice(f.note.as_bytes());
            self.buf.extend_from_slice(b" (");
            f.value.write_to(self.buf);
            self.buf.push(b')');
        } else {
            f.value.write_to(self.buf);
        }
        escape_controls(self.buf, value_start);
        cut_long(self.buf, value_start);
        if !f.note.is_empty() && !matches!(f.value, crate::dissect::Value::Mac(_)) {
            self.buf.extend_from_slice(b" (");
            self.buf.extend_from_slice(f.note.as_bytes());
            self.buf.push(b')');
        }
        self.tail(indent_start, f.name, &f.range);
    }

    fn open(&mut self, label: &str, _range: Range<usize>) {
        self.indent();
        self.buf.extend_from_slice(label.as_bytes());
        self.buf.push(b'\n');
        self.depth += 1;
    }

    fn close(&mut self) {
        self.depth = self.depth.saturating_sub(1).max(1);
    }
}

/// The tier of a layer named in the field tree, from the declaration of
/// the protocol that emits it (so the tree colours layers as the hex dump
/// colours their bytes).
pub fn layer_tier(name: &str) -> Option<dissect::Tier> {
    dissect::registry::by_layer_name(name)
        // Reassembly trees (`ip.fragments`, `tcp.segments`) belong to their protocol.
        .or_else(|| dissect::registry::by_layer_name(name.split('.').next()?))
        .map(|p| p.tier())
}

impl<W: Write> DetailWriter<W> {
    pub fn new(out: W, color: bool, hex: bool) -> Self {
        DetailWriter {
            out,
            color,
            hex,
            dump: super::Dump::None,
            buf: Vec::with_capacity(8192),
        }
    }

    /// Writes `dump` under each packet's tree (`-X`, `-A` with `-v`).
    pub fn with_dump(mut self, dump: super::Dump) -> Self {
        self.dump = dump;
        self
    }

    /// The output (the parallel engine reads each packet's rows from it).
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
        self.buf.clear();
        let b = &mut self.buf;
        if self.color {
            b.extend_from_slice(BOLD.as_bytes());
        }
        let _ = write!(
            b,
            "Frame {}: {} bytes on wire, {} bytes captured",
            pkt.number,
            pkt.wire_len,
            pkt.data.len()
        );
        if pkt.interface != 0 {
            let _ = write!(b, " on interface {}", pkt.interface);
        }
        if self.color {
            b.extend_from_slice(RESET.as_bytes());
        }
        b.extend_from_slice(b"\n    ");
        let mut t = Vec::new();
        super::table::write_rel_time(&mut t, pkt.ts.nanos_since(pkt.first_ts));
        b.extend_from_slice(b"Time: +");
        b.extend_from_slice(&t);
        b.extend_from_slice(b" s  epoch ");
        dissect::Value::Epoch(pkt.ts.sec, pkt.ts.nsec).write_to(b);
        b.extend_from_slice(b"  protocols ");
        dissect::frame::write_protocols(pkt, b);
        b.push(b'\n');
        let mut sink = TreeSink {
            buf: &mut self.buf,
            color: self.color,
            depth: 0,
            layer_color: "",
        };
        dissect::all_fields(pkt, &mut sink);
        if let Some(issue) = pkt.issue {
            let b = &mut self.buf;
            if self.color {
                b.extend_from_slice(RED.as_bytes());
            }
            super::write_issue(&issue, b);
            if self.color {
                b.extend_from_slice(RESET.as_bytes());
            }
            b.push(b'\n');
        }
        if self.hex {
            super::hexdump::write(pkt, self.color, &mut self.buf);
        }
        match self.dump {
            super::Dump::None => {}
            super::Dump::HexAscii { link } => {
                let from = if link {
                    0
                } else {
                    super::table::network_start(pkt)
                };
                super::hexdump::write_tcpdump(pkt.data.get(from..).unwrap_or(&[]), &mut self.buf);
            }
            super::Dump::Ascii => {
                let from = super::table::network_start(pkt);
                super::hexdump::write_ascii(pkt.data.get(from..).unwrap_or(&[]), &mut self.buf);
            }
        }
        self.buf.push(b'\n');
        self.out.write_all(&self.buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_line_breaks() {
        let mut b = b"Header line: ".to_vec();
        let start = b.len();
        b.extend_from_slice(b"Host: a\r\n\x01");
        escape_controls(&mut b, start);
        assert_eq!(b, b"Header line: Host: a\\r\\n\\x01");
    }
}
