//! Data-link layer: Ethernet, 802.1Q/802.1ad tags, Linux cooked capture
//! (SLL, SLL2), BSD loopback (null) and IEEE 802.2 LLC/SNAP.

use super::{FieldSink, Layer, Packet, Proto, SinkExt, Value};

pub mod eapol;
pub mod eth;
pub mod llc;
pub mod mpls;
pub mod nflog;
pub mod null;
pub mod ppp;
pub mod radiotap;
pub mod sll;
pub mod vlan;
pub mod wlan;
pub mod wlancap;

/// The name a layer contributes to `frame.protocols`.
pub fn protocols_name(pkt: &Packet<'_>, l: &Layer) -> &'static str {
    match l.proto {
        Proto::Vlan if vlan::is_8021ad(pkt, l) => "ieee8021ad",
        _ => l.proto.filter_name(),
    }
}

/// True when the layer names its payload by EtherType (tshark then lists an
/// `ethertype` pseudo-protocol after it). Headers carrying an 802.3 length,
/// SLL's Linux protocol numbers and GRE types, and null's AF_ values reach
/// their payload without Wireshark's ethertype dissector.
pub fn names_by_ethertype(pkt: &Packet<'_>, l: &Layer) -> bool {
    match l.proto {
        Proto::Eth => {
            eth::EthHeader::new(pkt.bytes(l.header())).is_some_and(|h| h.ethertype() > 1500)
        }
        Proto::Vlan => vlan::names_by_ethertype(pkt, l),
        Proto::Sll | Proto::Sll2 => sll::names_by_ethertype(pkt, l),
        _ => false,
    }
}

/// The layer right after `l` (what `l`'s type field named), if any.
pub(crate) fn next_layer<'p>(pkt: &'p Packet<'_>, l: &Layer) -> Option<&'p Layer> {
    let i = pkt.layers.iter().position(|x| x == l)?;
    pkt.layers.get(i + 1)
}

/// The layer right before `l`, if any.
pub(crate) fn prev_layer<'p>(pkt: &'p Packet<'_>, l: &Layer) -> Option<&'p Layer> {
    let i = pkt.layers.iter().position(|x| x == l)?;
    pkt.layers.get(i.checked_sub(1)?)
}

/// Reads a big-endian u16 at `at` (None past the captured bytes).
pub(crate) use super::bytes::be16;

/// Emits the bytes after a payload whose length is known (IP total length,
/// ARP sizes, an 802.3 length) as Wireshark's `add_ethernet_trailer` does:
/// zero bytes up to the 60-byte Ethernet minimum are `eth.padding`, the rest
/// is `trailer`, and with `fcs_guess` (Ethernet of unknown FCS length) a frame
/// of 64+ bytes with 4+ trailing bytes ends in an `eth.fcs`.
pub(crate) fn trailer_fields(
    pkt: &Packet<'_>,
    payload_end: usize,
    out: &mut dyn FieldSink,
    trailer: &'static str,
    fcs_guess: bool,
) {
    let cap = pkt.data.len();
    if payload_end >= cap {
        return;
    }
    let wire = (pkt.wire_len as usize).max(cap);
    let mut rep = wire - payload_end;
    let mut len = cap - payload_end;
    let maybe_padded = wire >= 60 && payload_end < 60;
    let mut pad = 0;
    if maybe_padded {
        pad = 60 - payload_end;
        // Wireshark's default "padding: zeros" only takes zero bytes as padding.
        if pkt
            .bytes(payload_end..payload_end + pad)
            .iter()
            .any(|&b| b != 0)
        {
            pad = 0;
        }
    }
    if pad > 0 {
        let got = pad.min(len);
        let r = payload_end..payload_end + got;
        out.put(
            "eth.padding",
            "Padding",
            Value::Bytes(pkt.bytes(r.clone())),
            r,
        );
        len -= got;
        rep -= pad.min(rep);
    }
    let start = payload_end + pad;
    let real_rep = rep;
    let mut has_fcs = false;
    if fcs_guess && wire >= 64 && rep >= 4 {
        if len < rep {
            rep -= 4;
            len = len.min(rep);
        } else {
            len -= 4;
        }
        has_fcs = true;
    }
    if real_rep != 0 && len != 0 {
        let r = start..start + len;
        out.put(
            trailer,
            "Trailer",
            Value::Bytes(pkt.bytes(r.clone())),
            r.clone(),
        );
        if maybe_padded && pad == 0 {
            out.put(
                "eth.padding_bad",
                "Padding identification may be inaccurate",
                Value::Bool(true),
                r,
            );
        }
    }
    if has_fcs {
        let at = start + len;
        if let Some(b) = pkt.data.get(at..at + 4) {
            let v = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
            out.put(
                "eth.fcs",
                "Frame check sequence",
                Value::Hex(v as u64, 8),
                at..at + 4,
            );
            out.put("eth.fcs.status", "FCS Status", Value::U(2), 0..0);
        }
    }
}

/// Helpers for the link and ARP unit tests: run the dissector over raw
/// bytes, collect fields as strings, and read corpus captures.
/// Ethernet trailer fields (padding, FCS), emitted by every layer that ends a frame.
pub const TRAILER_FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("eth.fcs", Uint, "Frame check sequence"),
        f("eth.fcs.status", Uint, "FCS Status"),
        f("eth.padding", Bytes, "Padding"),
        f(
            "eth.padding_bad",
            Proto,
            "Padding identification may be inaccurate and impact trailer dissector",
        ),
    ]
};

#[cfg(test)]
pub(crate) mod testutil {
    use crate::dissect::{self, Field, FieldSink, Packet};
    use crate::source::{Frame, Timestamp};

    #[derive(Default)]
    pub struct Sink(pub Vec<(String, String)>);

    impl FieldSink for Sink {
        fn field(&mut self, f: &Field<'_>) {
            self.0.push((f.name.to_string(), f.value.to_string_lossy()));
        }
    }

    /// What a test checks: the fields, `frame.protocols` and the Info column.
    pub struct Out {
        pub fields: Vec<(String, String)>,
        pub protocols: String,
        pub info: String,
        pub issue: bool,
    }

    impl Out {
        /// Every value of `name`, joined by commas as `tshark -E occurrence=a`.
        pub fn get(&self, name: &str) -> String {
            let v: Vec<&str> = self
                .fields
                .iter()
                .filter(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
                .collect();
            v.join(",")
        }
        /// The fields whose names start with `prefix`, as `name=value` lines.
        pub fn with_prefix(&self, prefix: &str) -> Vec<String> {
            self.fields
                .iter()
                .filter(|(n, _)| n.starts_with(prefix))
                .map(|(n, v)| format!("{n}={v}"))
                .collect()
        }
    }

    pub fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
        (0..s.len() / 2)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
            .collect()
    }

    pub fn run(linktype: u32, data: &[u8], wire_len: usize) -> Out {
        let frame = Frame {
            ts: Timestamp::default(),
            wire_len: wire_len as u32,
            linktype,
            interface: 0,
            ts_digits: 6,
            bytes: data,
        };
        let pkt = dissect::dissect(&frame, 1, Timestamp::default());
        out_of(&pkt)
    }

    pub fn out_of(pkt: &Packet<'_>) -> Out {
        let mut sink = Sink::default();
        for l in &pkt.layers {
            dissect::layer_fields(pkt, l, &mut sink);
        }
        let mut p = Vec::new();
        dissect::frame::write_protocols(pkt, &mut p);
        let mut i = Vec::new();
        dissect::info(pkt, &mut i);
        Out {
            fields: sink.0,
            protocols: String::from_utf8(p).unwrap(),
            info: String::from_utf8(i).unwrap(),
            issue: pkt.issue.is_some(),
        }
    }
}
