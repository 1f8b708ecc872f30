//! The detail view: per packet, a tree of layers and fields like
//! Wireshark's packet-details pane, each field with its byte offset and
//! length, and optionally a hex dump coloured by layer.

use super::style::{tier_color, BOLD, DIM, RED, RESET};
use crate::dissect::{self, Field, FieldSink, Packet};
use std::io::{self, Write};
use std::ops::Range;

/// Pair fields Wireshark keeps hidden in the tree (they repeat src/dst).
const HIDDEN: &[&str] = &[
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
    buf: Vec<u8>,
}

struct TreeSink<'b> {
    buf: &'b mut Vec<u8>,
    color: bool,
    depth: usize,
    layer_color: &'static str,
}

const NAME_COL: usize = 60;

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
        self.buf.extend_from_slice(f.label.as_bytes());
        self.buf.extend_from_slice(b": ");
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
        if !f.note.is_empty() && !matches!(f.value, crate::dissect::Value::Mac(_)) {
            self.buf.extend_from_slice(b" (");
            self.buf.extend_from_slice(f.note.as_bytes());
            self.buf.push(b')');
        }
        // Measure from the line's start to keep columns aligned at any depth.
        let indent_start = line_start - self.depth * 4;
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
fn layer_tier(name: &str) -> Option<dissect::Tier> {
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
            buf: Vec::with_capacity(8192),
        }
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
            let kind = match issue.kind {
                dissect::IssueKind::Malformed => "malformed",
                dissect::IssueKind::Truncated => "truncated",
            };
            let _ = write!(b, "[{}: {} {}]", kind, issue.proto.display(), issue.msg);
            if self.color {
                b.extend_from_slice(RESET.as_bytes());
            }
            b.push(b'\n');
        }
        if self.hex {
            super::hexdump::write(pkt, self.color, &mut self.buf);
        }
        self.buf.push(b'\n');
        self.out.write_all(&self.buf)
    }
}
