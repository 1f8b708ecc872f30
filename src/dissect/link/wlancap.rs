//! The older radio headers before 802.11 frames: PPI (LINKTYPE_PPI, 192),
//! Prism monitor-mode headers (LINKTYPE_PRISM_HEADER, 119) and AVS
//! (LINKTYPE_IEEE802_11_AVS, 163; also found under 119, told apart by its
//! magic number). Each is followed by `wlan_radio` and the 802.11 frame.

use super::radiotap::{phy, round6, Summary};
use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Pushes the radio header and `wlan_radio`, then hands the rest to 802.11.
fn radio_then_wlan(cx: &mut Cx<'_, '_>, proto: Proto, off: usize, len: usize) -> Next {
    let end = off + len;
    if end > cx.limit {
        let lim = cx.limit;
        cx.push(proto, off, lim, lim);
        cx.short(proto, "radio header longer than the frame");
        return Next::Done;
    }
    if !cx.push(proto, off, end, cx.limit) || !cx.push(Proto::WlanRadio, end, end, cx.limit) {
        return Next::Done;
    }
    Next::Proto(Proto::Wlan, end)
}

// ---------------------------------------------------------------- PPI

/// PPI field type of the 802.11-Common field.
const PPI_80211_COMMON: u16 = 2;

/// Offset of the 802.11-Common field's data, if the header has one.
fn ppi_common(b: &[u8], o: usize) -> Option<usize> {
    let len = le16(b, o + 2)? as usize;
    let end = (o + len).min(b.len());
    let mut at = o + 8;
    for _ in 0..64 {
        let (t, n) = (le16(b, at)?, le16(b, at + 2)? as usize);
        if at + 4 + n > end {
            return None;
        }
        if t == PPI_80211_COMMON && n >= 20 {
            return Some(at + 4);
        }
        at += 4 + n;
    }
    None
}

/// The PPI 802.11-Common flags say the frame ends in an FCS.
pub fn ppi_has_fcs(pkt: &Packet<'_>, l: &Layer) -> bool {
    ppi_common(pkt.data, l.start as usize)
        .and_then(|c| le16(pkt.data, c + 8))
        .is_some_and(|f| f & 1 != 0)
}

pub fn ppi_dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let b = cx.rest(off);
    let (Some(len), Some(dlt)) = (le16(b, 2), le32(b, 4)) else {
        let lim = cx.limit;
        cx.push(Proto::Ppi, off, lim, lim);
        cx.short(Proto::Ppi, "PPI header cut short");
        return Next::Done;
    };
    if len < 8 {
        let lim = cx.limit;
        cx.push(Proto::Ppi, off, lim, lim);
        cx.malformed(Proto::Ppi, "PPI header length below 8");
        return Next::Done;
    }
    if dlt != 105 {
        let end = (off + len as usize).min(cx.limit);
        cx.push(Proto::Ppi, off, end, cx.limit);
        return Next::Proto(Proto::Data, end);
    }
    radio_then_wlan(cx, Proto::Ppi, off, len as usize)
}

pub fn ppi_fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let d = pkt.data;
    out.layer("ppi", "PPI version 0", l.header());
    let r = |a: usize, n: usize| o + a..o + a + n;
    let (Some(&v), Some(&fl), Some(len), Some(dlt)) =
        (d.get(o), d.get(o + 1), le16(d, o + 2), le32(d, o + 4))
    else {
        return;
    };
    out.put("ppi.version", "Version", Value::U(v as u64), r(0, 1));
    out.put("ppi.flags", "Flags", Value::Hex(fl as u64, 2), r(1, 1));
    out.put("ppi.length", "Header length", Value::U(len as u64), r(2, 2));
    out.put("ppi.dlt", "DLT", Value::U(dlt as u64), r(4, 4));
    if let Some(c) = ppi_common(d, o) {
        let g = |a: usize, n: usize| c + a..c + a + n;
        if let Some(t) = d.get(c..c + 8).and_then(|x| x.try_into().ok()) {
            out.put(
                "ppi.80211-common.tsft",
                "TSFT",
                Value::U(u64::from_le_bytes(t)),
                g(0, 8),
            );
        }
        let v16 = |a| le16(d, c + a).unwrap_or(0) as u64;
        out.put(
            "ppi.80211-common.flags",
            "Flags",
            Value::Hex(v16(8), 4),
            g(8, 2),
        );
        // Wireshark shows the rate in kb/s (the field counts 500 kb/s units).
        out.put(
            "ppi.80211-common.rate",
            "Rate",
            Value::U(v16(10) * 500),
            g(10, 2),
        );
        out.put(
            "ppi.80211-common.chan.freq",
            "Channel frequency",
            Value::U(v16(12)),
            g(12, 2),
        );
        out.put(
            "ppi.80211-common.chan.flags",
            "Channel type",
            Value::Hex(v16(14), 4),
            g(14, 2),
        );
        out.put(
            "ppi.80211-common.dbm.antsignal",
            "dBm antenna signal",
            Value::I(d[c + 18] as i8 as i64),
            g(18, 1),
        );
        out.put(
            "ppi.80211-common.dbm.antnoise",
            "dBm antenna noise",
            Value::I(d[c + 19] as i8 as i64),
            g(19, 1),
        );
    }
}

// ---------------------------------------------------------------- Prism

/// The Prism header's size: message code, length, device name and ten items.
const PRISM_LEN: usize = 144;

/// AVS headers start with 0x8021100x (big-endian).
fn is_avs(b: &[u8], o: usize) -> bool {
    be32(b, o).is_some_and(|m| m & 0xffff_fff0 == 0x8021_1000)
}

pub fn prism_dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    if is_avs(cx.data(), off) {
        return avs_dissect(cx, off);
    }
    if cx.rest(off).len() < PRISM_LEN {
        let lim = cx.limit;
        cx.push(Proto::Prism, off, lim, lim);
        cx.short(Proto::Prism, "Prism header cut short");
        return Next::Done;
    }
    radio_then_wlan(cx, Proto::Prism, off, PRISM_LEN)
}

/// Item index (1 hosttime … 10 frmlen) of a Prism DID, either numbering.
fn prism_item(did: u32) -> Option<u32> {
    if did & 0xffff == 0x0044 {
        Some(did >> 16)
    } else if did & 0xfff == 0x041 && did >> 16 == 0 {
        Some(did >> 12)
    } else {
        None
    }
}

pub fn prism_fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let d = pkt.data;
    out.layer("prism", "Prism capture header", l.header());
    let (Some(code), Some(len)) = (le32(d, o), le32(d, o + 4)) else {
        return;
    };
    out.put(
        "prism.msgcode",
        "Message Code",
        Value::Hex(code as u64, 8),
        o..o + 4,
    );
    out.put(
        "prism.msglen",
        "Message Length",
        Value::U(len as u64),
        o + 4..o + 8,
    );
    if let Some(name) = d.get(o + 8..o + 24) {
        let n = name.iter().position(|&c| c == 0).unwrap_or(16);
        if let Ok(s) = std::str::from_utf8(&name[..n]) {
            out.put("prism.devname", "Device Name", Value::Str(s), o + 8..o + 24);
        }
    }
    for i in 0..10 {
        let at = o + 24 + 12 * i;
        let (Some(did), Some(st), Some(ln), Some(v)) = (
            le32(d, at),
            le16(d, at + 4),
            le16(d, at + 6),
            le32(d, at + 8),
        ) else {
            return;
        };
        out.put(
            "prism.did.type",
            "DID",
            Value::Hex(did as u64, 8),
            at..at + 4,
        );
        out.put(
            "prism.did.status",
            "Status",
            Value::U(st as u64),
            at + 4..at + 6,
        );
        out.put(
            "prism.did.length",
            "Length",
            Value::U(ln as u64),
            at + 6..at + 8,
        );
        let vr = at + 8..at + 12;
        match prism_item(did) {
            Some(1) => out.put("prism.did.hosttime", "Host Time", Value::U(v as u64), vr),
            Some(2) => out.put("prism.did.mactime", "MAC Time", Value::U(v as u64), vr),
            Some(3) => out.put("prism.did.channel", "Channel", Value::U(v as u64), vr),
            Some(4) => out.put("prism.did.rssi", "RSSI", Value::I(v as i32 as i64), vr),
            Some(5) => out.put("prism.did.sq", "Signal Quality", Value::U(v as u64), vr),
            Some(6) => out.put("prism.did.signal", "Signal", Value::I(v as i32 as i64), vr),
            Some(7) => out.put("prism.did.noise", "Noise", Value::I(v as i32 as i64), vr),
            Some(9) => out.put("prism.did.istx", "IsTX", Value::Hex(v as u64, 8), vr),
            Some(10) => out.put("prism.did.frmlen", "Frame Length", Value::U(v as u64), vr),
            _ => {}
        }
    }
}

// ---------------------------------------------------------------- AVS

pub fn avs_dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let b = cx.rest(off);
    let Some(len) = be32(b, 4) else {
        let lim = cx.limit;
        cx.push(Proto::Avs, off, lim, lim);
        cx.short(Proto::Avs, "AVS header cut short");
        return Next::Done;
    };
    if !(64..=4096).contains(&len) {
        let lim = cx.limit;
        cx.push(Proto::Avs, off, lim, lim);
        cx.malformed(Proto::Avs, "AVS header length out of range");
        return Next::Done;
    }
    radio_then_wlan(cx, Proto::Avs, off, len as usize)
}

pub fn avs_fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let d = pkt.data;
    out.layer("wlancap", "AVS WLAN Monitoring Header", l.header());
    let Some(magic) = be32(d, o) else {
        return;
    };
    out.put(
        "wlancap.version",
        "Header revision",
        Value::U((magic & 0xf) as u64),
        o..o + 4,
    );
    let u32f = |a: usize| be32(d, o + a);
    if let Some(v) = u32f(4) {
        out.put(
            "wlancap.length",
            "Header length",
            Value::U(v as u64),
            o + 4..o + 8,
        );
    }
    if let Some(v) = be64(d, o + 8) {
        out.put(
            "wlancap.mactime",
            "MAC timestamp",
            Value::U(v),
            o + 8..o + 16,
        );
    }
    if let Some(v) = be64(d, o + 16) {
        out.put(
            "wlancap.hosttime",
            "Host timestamp",
            Value::U(v),
            o + 16..o + 24,
        );
    }
    for (at, name, label) in [
        (24, "wlancap.phytype", "PHY type"),
        (28, "wlancap.channel", "Channel"),
        (36, "wlancap.antenna", "Antenna"),
        (40, "wlancap.priority", "Priority"),
        (44, "wlancap.ssi_type", "SSI Type"),
        (56, "wlancap.preamble", "Preamble"),
        (60, "wlancap.encoding", "Encoding Type"),
    ] {
        if let Some(v) = u32f(at) {
            out.put(name, label, Value::U(v as u64), o + at..o + at + 4);
        }
    }
}

/// `wlan_radio` from a PPI, Prism or AVS header.
pub fn radio_summary(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let d = pkt.data;
    let o = l.start as usize;
    let mut s = Summary::default();
    match l.proto {
        Proto::Ppi => {
            let Some(c) = ppi_common(d, o) else {
                return;
            };
            let (rate, freq, fl) = (
                le16(d, c + 10).unwrap_or(0),
                le16(d, c + 12).unwrap_or(0),
                le16(d, c + 14).unwrap_or(0),
            );
            s.phy = if fl & 0x20 != 0 {
                Some(phy::B)
            } else if fl & 0x40 != 0 && fl & 0x100 != 0 {
                Some(phy::A)
            } else if fl & 0x40 != 0 || fl & 0x400 != 0 {
                Some(phy::G)
            } else {
                None
            };
            if rate != 0 {
                s.rate = Some(round6(rate as f64 * 0.5));
            }
            s.freq = (freq != 0).then_some(freq as u32);
            s.signal = Some(d[c + 18] as i8 as i64);
            s.noise = Some(d[c + 19] as i8 as i64);
            s.tsf = d
                .get(c..c + 8)
                .and_then(|t| t.try_into().ok())
                .map(u64::from_le_bytes);
        }
        _ => return,
    }
    s.emit(out);
}

pub const PPI_FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("ppi.version", Uint, "Version"),
        f("ppi.flags", Uint, "Flags"),
        f("ppi.length", Uint, "Header length"),
        f("ppi.dlt", Uint, "DLT"),
        f("ppi.80211-common.tsft", Uint, "TSFT"),
        f("ppi.80211-common.flags", Uint, "Flags"),
        f("ppi.80211-common.rate", Uint, "Rate"),
        f("ppi.80211-common.chan.freq", Uint, "Channel frequency"),
        f("ppi.80211-common.chan.flags", Uint, "Channel type"),
        f("ppi.80211-common.dbm.antsignal", Int, "dBm antenna signal"),
        f("ppi.80211-common.dbm.antnoise", Int, "dBm antenna noise"),
    ]
};

pub const PRISM_FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("prism.msgcode", Uint, "Message Code"),
        f("prism.msglen", Uint, "Message Length"),
        f("prism.devname", Str, "Device Name"),
        f("prism.did.type", Uint, "DID"),
        f("prism.did.status", Uint, "Status"),
        f("prism.did.length", Uint, "Length"),
        f("prism.did.hosttime", Uint, "Host Time"),
        f("prism.did.mactime", Uint, "MAC Time"),
        f("prism.did.channel", Uint, "Channel"),
        f("prism.did.rssi", Int, "RSSI"),
        f("prism.did.sq", Uint, "Signal Quality"),
        f("prism.did.signal", Int, "Signal"),
        f("prism.did.noise", Int, "Noise"),
        f("prism.did.istx", Uint, "IsTX"),
        f("prism.did.frmlen", Uint, "Frame Length"),
    ]
};

pub const AVS_FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("wlancap.version", Uint, "Header revision"),
        f("wlancap.length", Uint, "Header length"),
        f("wlancap.mactime", Uint, "MAC timestamp"),
        f("wlancap.hosttime", Uint, "Host timestamp"),
        f("wlancap.phytype", Uint, "PHY type"),
        f("wlancap.channel", Uint, "Channel"),
        f("wlancap.antenna", Uint, "Antenna"),
        f("wlancap.priority", Uint, "Priority"),
        f("wlancap.ssi_type", Uint, "SSI Type"),
        f("wlancap.preamble", Uint, "Preamble"),
        f("wlancap.encoding", Uint, "Encoding Type"),
    ]
};

/// PPI: names, place in the layer model, how it is reached, decoders.
pub static PPI: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "ppi",
        name: "PPI Packet Header",
        display: "PPI",
        short: "PPI",
        tier: Tier::Link,
        reached: &[Reach::LinkType(192)],
        dissect: ppi_dissect,
        fields: ppi_fields,
        info: None,
        pdu_len: None,
        field_tables: &[PPI_FIELDS],
    }
};

/// Prism monitor-mode header (or AVS under the same link type).
pub static PRISM: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "prism",
        name: "Prism capture header",
        display: "Prism",
        short: "Prism",
        tier: Tier::Link,
        reached: &[Reach::LinkType(119)],
        dissect: prism_dissect,
        fields: prism_fields,
        info: None,
        pdu_len: None,
        field_tables: &[PRISM_FIELDS],
    }
};

/// AVS WLAN monitoring header.
pub static AVS: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "wlancap",
        name: "AVS WLAN Monitoring Header",
        display: "AVS",
        short: "AVS",
        tier: Tier::Link,
        reached: &[Reach::LinkType(163)],
        dissect: avs_dissect,
        fields: avs_fields,
        info: None,
        pdu_len: None,
        field_tables: &[AVS_FIELDS],
    }
};

/// `wlan_radio`: the PHY summary Wireshark derives from the radio header.
pub fn radio_fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    out.layer("wlan_radio", "802.11 radio information", l.header());
    let Some(prev) = super::prev_layer(pkt, l) else {
        return;
    };
    let d = pkt.data;
    match prev.proto {
        Proto::Radiotap => {
            let Some(rt) = super::radiotap::Radiotap::parse(d, prev.start as usize) else {
                return;
            };
            if d.get(prev.start as usize) != Some(&0) {
                return;
            }
            super::radiotap::radiotap_summary(d, &rt, out);
        }
        Proto::Ppi | Proto::Prism | Proto::Avs => {
            radio_summary(pkt, prev, out);
        }
        _ => {}
    }
}

/// `wlan_radio`: a summary layer with no bytes of its own.
pub static RADIO: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Tier};
    Decl {
        filter_name: "wlan_radio",
        name: "802.11 radio information",
        display: "802.11 radio",
        short: "802.11",
        tier: Tier::Link,
        reached: &[],
        dissect: |_, _| Next::Done,
        fields: radio_fields,
        info: None,
        pdu_len: None,
        field_tables: &[super::radiotap::RADIO_FIELDS],
    }
};
