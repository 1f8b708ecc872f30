//! Ethernet II and IEEE 802.3 frames (IEEE 802.3, RFC 894).

use crate::dissect::{ethertype, manuf};
use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};
use std::ops::Range;

pub const DST: Range<usize> = 0..6;
pub const SRC: Range<usize> = 6..12;
pub const TYPE: Range<usize> = 12..14;
pub const HEADER_LEN: usize = 14;

/// Read-only view of an Ethernet header; every accessor is bounds-checked
/// by construction (`new` refuses fewer than 14 bytes).
pub struct EthHeader<'a>(&'a [u8]);

impl<'a> EthHeader<'a> {
    pub fn new(b: &'a [u8]) -> Option<Self> {
        (b.len() >= HEADER_LEN).then_some(EthHeader(b))
    }
    pub fn dst(&self) -> [u8; 6] {
        self.0[DST].try_into().unwrap_or_default()
    }
    pub fn src(&self) -> [u8; 6] {
        self.0[SRC].try_into().unwrap_or_default()
    }
    /// EtherType (>= 0x0600) or 802.3 length (<= 1500).
    pub fn ethertype(&self) -> u16 {
        u16::from_be_bytes([self.0[TYPE.start], self.0[TYPE.start + 1]])
    }
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let Some(h) = EthHeader::new(cx.rest(off)) else {
        // Named with what bytes there are, as tshark shows `eth`.
        let end = cx.limit;
        cx.push(Proto::Eth, off, end, end);
        cx.short(Proto::Eth, "Ethernet header cut short");
        return Next::Done;
    };
    let t = h.ethertype();
    let end = off + HEADER_LEN;
    if !cx.push(Proto::Eth, off, end, cx.limit) {
        return Next::Done;
    }
    if t <= 1500 {
        // IEEE 802.3: the field is a length and an LLC header follows,
        // unless the payload starts 0xffff (raw Novell IPX, left as data).
        cx.limit = cx.limit.min(end + t as usize);
        if super::be16(cx.pkt.data, end) == Some(0xffff) {
            return Next::Proto(Proto::Data, end);
        }
        return Next::Proto(Proto::Llc, end);
    }
    Next::Ethertype(t, end)
}

fn mac_bits(out: &mut dyn FieldSink, which: &'static str, m: [u8; 6], r: Range<usize>) {
    let (lg, ig) = if which == "dst" {
        ("eth.dst.lg", "eth.dst.ig")
    } else {
        ("eth.src.lg", "eth.src.ig")
    };
    out.open("address bits", r.clone());
    out.put(
        lg,
        "LG bit (locally administered)",
        Value::Bool(m[0] & 2 != 0),
        r.start..r.start + 1,
    );
    out.put(
        ig,
        "IG bit (group address)",
        Value::Bool(m[0] & 1 != 0),
        r.start..r.start + 1,
    );
    out.put(
        "eth.lg",
        "LG bit",
        Value::Bool(m[0] & 2 != 0),
        r.start..r.start + 1,
    );
    out.put(
        "eth.ig",
        "IG bit",
        Value::Bool(m[0] & 1 != 0),
        r.start..r.start + 1,
    );
    out.close();
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let Some(h) = EthHeader::new(pkt.bytes(l.header())) else {
        return;
    };
    let (dst, src) = (h.dst(), h.src());
    // Vendor names, as tshark resolves MAC addresses by default; only
    // computed when the sink shows them or keeps a field that holds them.
    let named = out.tree()
        || ["eth.dst_resolved", "eth.src_resolved", "eth.addr_resolved"]
            .into_iter()
            .any(|n| out.wants(n));
    let (dst_name, src_name) = if named {
        (manuf::name(dst), manuf::name(src))
    } else {
        (String::new(), String::new())
    };
    if out.tree() {
        let title = format!(
            "Ethernet II, Src: {src_name} ({}), Dst: {dst_name} ({})",
            Value::Mac(src).to_string_lossy(),
            Value::Mac(dst).to_string_lossy()
        );
        out.layer("eth", &title, l.header());
    } else {
        out.layer("eth", "Ethernet II", l.header());
    }
    let shift = |r: Range<usize>| r.start + o..r.end + o;
    for (m, name, r, which) in [
        (dst, &dst_name, shift(DST), "dst"),
        (src, &src_name, shift(SRC), "src"),
    ] {
        let (field, label, resolved) = if which == "dst" {
            ("eth.dst", "Destination", "eth.dst_resolved")
        } else {
            ("eth.src", "Source", "eth.src_resolved")
        };
        out.put_note(field, label, Value::Mac(m), r.clone(), name);
        if named {
            out.put(resolved, "Resolved", Value::Str(name), r.clone());
        }
        out.put_note("eth.addr", "Address", Value::Mac(m), r.clone(), name);
        if named {
            out.put("eth.addr_resolved", "Resolved", Value::Str(name), r.clone());
        }
        mac_bits(out, which, m, r);
    }
    let t = h.ethertype();
    if t <= 1500 {
        out.put("eth.len", "Length", Value::U(t as u64), shift(TYPE));
    } else {
        out.put_note(
            "eth.type",
            "Type",
            Value::Hex(t as u64, 4),
            shift(TYPE),
            ethertype::name(t),
        );
    }
    // Bytes past the payload's own length: padding, trailer, maybe an FCS.
    // Only a frame of LINKTYPE_ETHERNET may end in an FCS (Wireshark's
    // "FCS unknown" guess); Ethernet inside SLL never does.
    if let Some(next) = super::next_layer(pkt, l) {
        let fcs_guess = o == 0 && pkt.linktype == crate::dissect::linktype::ETHERNET;
        super::trailer_fields(pkt, next.limit as usize, out, "eth.trailer", fcs_guess);
    }
}

/// Info for a frame that carries nothing layerscope decodes above the link.
/// Other link layers' Info is dispatched from here too.
pub fn info(pkt: &Packet<'_>, l: &Layer, w: &mut Vec<u8>) {
    let Some(h) = EthHeader::new(pkt.bytes(l.header())) else {
        return;
    };
    use crate::dissect::field::write_mac;
    write_mac(w, h.src());
    w.extend_from_slice(" → ".as_bytes());
    write_mac(w, h.dst());
    let t = h.ethertype();
    if t <= 1500 {
        w.extend_from_slice(b" 802.3 length ");
        w.extend_from_slice(itoa::Buffer::new().format(t).as_bytes());
    } else {
        w.extend_from_slice(b" EtherType ");
        Value::Hex(t as u64, 4).write_to(w);
    }
}

/// Every field this file's decoders emit, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("eth.addr", Mac, "Address"),
        f("eth.dst", Mac, "Destination"),
        f("eth.dst.ig", Bool, "IG bit"),
        f("eth.dst.lg", Bool, "LG bit"),
        f("eth.dst_resolved", Str, "Destination (resolved)"),
        f("eth.src_resolved", Str, "Source (resolved)"),
        f("eth.addr_resolved", Str, "Address (resolved)"),
        f("eth.ig", Bool, "IG bit"),
        f("eth.len", Uint, "Length"),
        f("eth.lg", Bool, "LG bit"),
        f("eth.src", Mac, "Source"),
        f("eth.src.ig", Bool, "IG bit"),
        f("eth.src.lg", Bool, "LG bit"),
        f("eth.trailer", Bytes, "Trailer"),
        f("eth.type", Uint, "Type"),
    ]
};

/// Ethernet: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "eth",
        name: "Ethernet",
        display: "Ethernet",
        short: "Eth",
        tier: Tier::Link,
        reached: &[Reach::LinkType(1)],
        dissect,
        fields,
        info: Some(info),
        pdu_len: None,
        field_tables: &[FIELDS, super::TRAILER_FIELDS],
    }
};

#[cfg(test)]
mod tests {
    use crate::dissect::link::testutil::{hex, run};
    use crate::dissect::linktype::ETHERNET;

    const ARP: &str =
        "ffffffffffff00112233445508060001080006040001001122334455c0a80001000000000000c0a80002";

    // Expected values: tshark 4.0.17 on the same bytes.
    #[test]
    fn trailer_and_guessed_fcs() {
        // 64 bytes with non-zero filler: no padding, trailer, then an FCS.
        let f = hex(&format!("{ARP}{}", "11".repeat(22)));
        let o = run(ETHERNET, &f, f.len());
        assert_eq!(o.get("eth.padding"), "");
        assert_eq!(o.get("eth.trailer"), "11".repeat(18));
        assert_eq!(o.get("eth.fcs"), "0x11111111");
        assert_eq!(o.get("eth.fcs.status"), "2");
        assert_eq!(o.get("eth.padding_bad"), "1");
        // 62 bytes: too short to guess an FCS.
        let f = hex(&format!("{ARP}{}", "33".repeat(20)));
        let o = run(ETHERNET, &f, f.len());
        assert_eq!(o.get("eth.trailer"), "33".repeat(20));
        assert_eq!(o.get("eth.fcs"), "");
        // Zero padding to 60 bytes, then a 4-byte FCS.
        let f = hex(&format!("{ARP}{}aabbccdd", "00".repeat(18)));
        let o = run(ETHERNET, &f, f.len());
        assert_eq!(o.get("eth.padding"), "00".repeat(18));
        assert_eq!(o.get("eth.trailer"), "");
        assert_eq!(o.get("eth.fcs"), "0xaabbccdd");
        // Cut by the snap length: the FCS is not in the captured bytes.
        let f = hex(&format!("{ARP}{}", "44".repeat(10)));
        let o = run(ETHERNET, &f, 70);
        assert_eq!(o.get("eth.trailer"), "44".repeat(10));
        assert_eq!(o.get("eth.fcs"), "");
    }

    #[test]
    fn raw_ipx_is_data() {
        let f = hex("ffffffffffff0011223344550005ffff223300");
        let o = run(ETHERNET, &f, f.len());
        // tshark: eth:ipx (layerscope has no IPX decoder).
        assert_eq!(o.protocols, "eth:data");
        assert_eq!(o.get("eth.len"), "5");
    }
}
