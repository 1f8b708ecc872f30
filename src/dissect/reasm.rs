//! The fields a reassembled packet adds: which frames the datagram or PDU
//! was rebuilt from (tshark's `ip.fragments` / `ipv6.fragments` /
//! `tcp.segments` trees), and the sink adapter that makes the byte ranges
//! of reassembled layers relative to the rebuilt bytes.

use super::{Field, FieldSink, Packet, Proto, ReasmKind, SinkExt, Src, Value};
use std::ops::Range;

/// Shifts the byte ranges of a reassembled layer's fields so they index the
/// rebuilt datagram/PDU (as Wireshark's "Reassembled TCP" tab), and marks
/// the layer's title.
pub struct Shifted<'o> {
    pub inner: &'o mut dyn FieldSink,
    pub by: usize,
}

impl Shifted<'_> {
    fn shift(&self, r: Range<usize>) -> Range<usize> {
        if r.is_empty() && r.start == 0 {
            return r;
        }
        r.start.saturating_sub(self.by)..r.end.saturating_sub(self.by)
    }
}

impl FieldSink for Shifted<'_> {
    fn layer(&mut self, name: &'static str, title: &str, range: Range<usize>) {
        let r = self.shift(range);
        if !self.inner.tree() {
            return self.inner.layer(name, title, r);
        }
        let t = format!("{title} [reassembled]");
        self.inner.layer(name, &t, r);
    }
    fn tree(&self) -> bool {
        self.inner.tree()
    }
    fn wants(&mut self, name: &'static str) -> bool {
        self.inner.wants(name)
    }
    fn field(&mut self, f: &Field<'_>) {
        let mut g = f.clone();
        g.range = self.shift(f.range.clone());
        self.inner.field(&g);
    }
    fn open(&mut self, label: &str, range: Range<usize>) {
        let r = self.shift(range);
        self.inner.open(label, r);
    }
    fn close(&mut self) {
        self.inner.close();
    }
}

/// Index of the frame layer after which the reassembly tree is emitted:
/// the last frame layer before the first reassembled one.
pub fn parent_index(pkt: &Packet<'_>) -> Option<usize> {
    pkt.reasm_kind?;
    let first = pkt.layers.iter().position(|l| l.src == Src::Reassembled)?;
    first.checked_sub(1)
}

/// Title for the hex dump's second block, as Wireshark names its tab.
pub fn title(pkt: &Packet<'_>) -> &'static str {
    match pkt.reasm_kind {
        Some(ReasmKind::Ipv4) => "Reassembled IPv4",
        Some(ReasmKind::Ipv6) => "Reassembled IPv6",
        Some(ReasmKind::Tcp) => "Reassembled TCP",
        Some(ReasmKind::Quic) => "Decrypted QUIC",
        None => "",
    }
}

/// The rebuilt bytes alone (without the repeated frame headers).
pub fn rebuilt<'a>(pkt: &Packet<'a>) -> &'a [u8] {
    pkt.reassembled
        .get(pkt.reassembled_at as usize..)
        .unwrap_or(&[])
}

/// Emits the reassembly tree (`ip.fragment`, `ip.fragment.count`,
/// `ip.reassembled.length`, `ip.reassembled.data` and the IPv6/TCP
/// equivalents) as tshark 4.0 names them.
pub fn fields(pkt: &Packet<'_>, out: &mut dyn FieldSink) {
    let Some(kind) = pkt.reasm_kind else { return };
    let data = rebuilt(pkt);
    let (tree, label, piece, count, len, dat) = match kind {
        ReasmKind::Ipv4 => (
            "ip.fragments",
            "IPv4 Fragments",
            "ip.fragment",
            "ip.fragment.count",
            "ip.reassembled.length",
            "ip.reassembled.data",
        ),
        ReasmKind::Ipv6 => (
            "ipv6.fragments",
            "IPv6 Fragments",
            "ipv6.fragment",
            "ipv6.fragment.count",
            "ipv6.reassembled.length",
            "ipv6.reassembled.data",
        ),
        // Decrypted, not rebuilt from pieces: no reassembly tree.
        ReasmKind::Quic => return,
        ReasmKind::Tcp => (
            "tcp.segments",
            "Reassembled TCP Segments",
            "tcp.segment",
            "tcp.segment.count",
            "tcp.reassembled.length",
            "tcp.reassembled.data",
        ),
    };
    let n = pkt.pieces.len();
    let mut title = String::with_capacity(48);
    title.push_str(itoa::Buffer::new().format(n));
    title.push(' ');
    title.push_str(label);
    title.push_str(" (");
    title.push_str(itoa::Buffer::new().format(data.len()));
    title.push_str(" bytes)");
    out.put(tree, label, Value::Bytes(data), 0..0);
    out.open(&title, 0..0);
    for &f in pkt.pieces {
        out.put(piece, "Frame", Value::U(f), 0..0);
    }
    out.put(count, "Segment count", Value::U(n as u64), 0..0);
    out.put(len, "Reassembled length", Value::U(data.len() as u64), 0..0);
    out.put(dat, "Reassembled data", Value::Bytes(data), 0..0);
    out.close();
}

/// The protocol that a TCP PDU's layers start with, if they are reassembled.
pub fn first_reassembled(pkt: &Packet<'_>) -> Option<Proto> {
    pkt.layers
        .iter()
        .find(|l| l.src == Src::Reassembled)
        .map(|l| l.proto)
}

/// Every field this file's decoders emit, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("ip.fragment", Uint, "IPv4 Fragment"),
        f("ip.fragment.count", Uint, "Fragment count"),
        f("ip.fragments", Bytes, "IPv4 Fragments"),
        f("ip.reassembled.data", Bytes, "Reassembled IPv4 data"),
        f("ip.reassembled.length", Uint, "Reassembled IPv4 length"),
        f("ipv6.fragment", Uint, "IPv6 Fragment"),
        f("ipv6.fragment.count", Uint, "Fragment count"),
        f("ipv6.fragments", Proto, "IPv6 Fragments"),
        f("ipv6.reassembled.data", Bytes, "Reassembled IPv6 data"),
        f("ipv6.reassembled.length", Uint, "Reassembled IPv6 length"),
        f("tcp.reassembled.data", Bytes, "Reassembled TCP Data"),
        f("tcp.reassembled.length", Uint, "Reassembled TCP length"),
        f("tcp.segment", Uint, "TCP Segment"),
        f("tcp.segment.count", Uint, "Segment count"),
        f("tcp.segments", Proto, "Reassembled TCP Segments"),
    ]
};
