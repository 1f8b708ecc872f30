//! IEEE 802.11 frames (LINKTYPE_IEEE802_11, 105, and after a radio header):
//! the MAC header (frame control, duration, addresses named by the DS bits,
//! sequence control, QoS and HT control), management bodies with their
//! fixed fields and tagged elements, control frames, and data frames handed
//! to LLC/SNAP. Protected frames are shown as encrypted data (their IV
//! header named), never decrypted.

use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};

const MGMT: u8 = 0;
const CTRL: u8 = 1;
const DATA: u8 = 2;

/// Most tagged elements walked in one frame.
const MAX_TAGS: usize = 256;

/// The MAC header's layout, computed once from the frame control field.
#[derive(Clone, Copy, Debug)]
struct Mac {
    fc0: u8,
    flags: u8,
    /// Header length (with QoS, HT control and address 4).
    hdr: usize,
    qos: Option<usize>,
    htc: Option<usize>,
    /// Number of addresses (1 to 4).
    addrs: usize,
    seq: bool,
}

impl Mac {
    fn ty(&self) -> u8 {
        (self.fc0 >> 2) & 3
    }
    fn subtype(&self) -> u8 {
        self.fc0 >> 4
    }
    fn version(&self) -> u8 {
        self.fc0 & 3
    }
    fn type_subtype(&self) -> u16 {
        ((self.ty() as u16) << 4) | self.subtype() as u16
    }
    fn tods(&self) -> bool {
        self.flags & 1 != 0
    }
    fn fromds(&self) -> bool {
        self.flags & 2 != 0
    }
    fn protected(&self) -> bool {
        self.flags & 0x40 != 0
    }

    fn parse(b: &[u8]) -> Option<Mac> {
        let (&fc0, &flags) = (b.first()?, b.get(1)?);
        let mut m = Mac {
            fc0,
            flags,
            hdr: 4,
            qos: None,
            htc: None,
            addrs: 0,
            seq: false,
        };
        if m.version() != 0 {
            m.hdr = 2;
            return Some(m);
        }
        match m.ty() {
            MGMT => {
                m.addrs = 3;
                m.seq = true;
                m.hdr = 24;
                if flags & 0x80 != 0 {
                    m.htc = Some(24);
                    m.hdr = 28;
                }
            }
            CTRL => {
                m.addrs = match m.subtype() {
                    12 | 13 => 1,
                    8 | 9 | 10 | 11 | 14 | 15 => 2,
                    _ => 1,
                };
                m.hdr = 4 + 6 * m.addrs;
            }
            DATA => {
                m.seq = true;
                m.addrs = if m.tods() && m.fromds() { 4 } else { 3 };
                m.hdr = 24 + if m.addrs == 4 { 6 } else { 0 };
                if m.subtype() & 0x8 != 0 {
                    m.qos = Some(m.hdr);
                    m.hdr += 2;
                    if flags & 0x80 != 0 {
                        m.htc = Some(m.hdr);
                        m.hdr += 4;
                    }
                }
            }
            _ => {
                m.hdr = 4;
            }
        }
        Some(m)
    }
}

/// Whether the radio header says the frame ends in a 4-byte FCS.
fn has_fcs(pkt: &Packet<'_>, l: &Layer) -> bool {
    let Some(prev) = super::prev_layer(pkt, l).and_then(|w| super::prev_layer(pkt, w)) else {
        return false;
    };
    match prev.proto {
        Proto::Radiotap => super::radiotap::Radiotap::parse(pkt.data, prev.start as usize)
            .and_then(|rt| rt.flags_byte(pkt.data))
            .is_some_and(|f| f & 0x10 != 0),
        Proto::Ppi => super::wlancap::ppi_has_fcs(pkt, prev),
        _ => false,
    }
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let b = cx.rest(off);
    let Some(m) = Mac::parse(b) else {
        let end = cx.limit;
        cx.push(Proto::Wlan, off, end, end);
        cx.short(Proto::Wlan, "802.11 header cut short");
        return Next::Done;
    };
    if m.version() != 0 {
        let end = cx.limit;
        cx.push(Proto::Wlan, off, end, end);
        cx.malformed(Proto::Wlan, "unknown 802.11 protocol version");
        return Next::Done;
    }
    let mut limit = cx.limit;
    // The FCS is known only once the layer is pushed (it looks back at the
    // radio header): push, then trim.
    if off + m.hdr > limit {
        cx.push(Proto::Wlan, off, limit, limit);
        cx.short(Proto::Wlan, "802.11 header cut short");
        return Next::Done;
    }
    if !cx.push(Proto::Wlan, off, off + m.hdr, limit) {
        return Next::Done;
    }
    let l = *cx.pkt.layers.last().expect("just pushed");
    if has_fcs(cx.pkt, &l) {
        if limit < off + m.hdr + 4 {
            cx.short(Proto::Wlan, "802.11 frame too short for its FCS");
            return Next::Done;
        }
        limit -= 4;
        if let Some(last) = cx.pkt.layers.last_mut() {
            last.limit = limit as u32;
        }
        cx.limit = limit;
    }
    let body = off + m.hdr;
    match m.ty() {
        DATA if m.subtype() & 0x4 == 0 && body < limit => {
            if m.protected() {
                // Encrypted data after the IV header (8 bytes with an
                // extended IV, 4 for WEP).
                let iv = match cx.data().get(body + 3) {
                    Some(k) if k & 0x20 != 0 => 8,
                    _ => 4,
                };
                if body + iv > limit {
                    cx.short(Proto::Wlan, "IV header cut short");
                    return Next::Done;
                }
                return Next::Proto(Proto::Data, body + iv);
            }
            Next::Proto(Proto::Llc, body)
        }
        MGMT if !m.protected() => {
            if let Some(bad) = check_mgmt(&cx.data()[..limit], body, m.subtype()) {
                match bad {
                    Bad::Short(msg) => cx.short(Proto::Wlan, msg),
                    Bad::Malformed(msg) => cx.malformed(Proto::Wlan, msg),
                }
            }
            Next::Done
        }
        MGMT if m.protected() && body < limit => Next::Proto(Proto::Data, body),
        _ => Next::Done,
    }
}

/// What is wrong with a management body.
enum Bad {
    Short(&'static str),
    Malformed(&'static str),
}

/// Bytes of fixed fields before the tagged elements, by subtype (None:
/// the body is not walked).
fn fixed_len(subtype: u8) -> Option<usize> {
    match subtype {
        0 => Some(4),
        1 | 3 => Some(6),
        2 => Some(10),
        4 => Some(0),
        5 | 8 => Some(12),
        11 => Some(6),
        10 | 12 => Some(2),
        _ => None,
    }
}

/// Walks a management body as `fields` will: fixed fields, then elements
/// that must fit, and RSN elements whose suite lists must fit.
fn check_mgmt(d: &[u8], body: usize, subtype: u8) -> Option<Bad> {
    let fixed = fixed_len(subtype)?;
    if body + fixed > d.len() {
        return Some(Bad::Short("management fixed fields cut short"));
    }
    if matches!(subtype, 10..=12) {
        return None;
    }
    let mut at = body + fixed;
    for _ in 0..MAX_TAGS {
        if at >= d.len() {
            return None;
        }
        if at + 2 > d.len() {
            return Some(Bad::Short("tagged element cut short"));
        }
        let (id, len) = (d[at], d[at + 1] as usize);
        let Some(v) = d.get(at + 2..at + 2 + len) else {
            return Some(Bad::Short("tagged element cut short"));
        };
        if id == 48 && !rsn_fits(v) {
            return Some(Bad::Malformed("RSN suite list longer than its element"));
        }
        at += 2 + len;
    }
    None
}

/// Whether an RSN element can be read: Wireshark flags suite counts that
/// overrun the element and reads on, but an element too short for its
/// fixed parts (14 bytes) then throws and ends the frame's dissection.
fn rsn_fits(v: &[u8]) -> bool {
    rsn_counts_fit(v) || v.len() >= 14
}

/// Whether an RSN element's suite counts fit its length.
fn rsn_counts_fit(v: &[u8]) -> bool {
    let Some(pc) = le16(v, 6) else {
        return true;
    };
    let at = 8 + 4 * pc as usize;
    if at > v.len() {
        return false;
    }
    match le16(v, at) {
        Some(ac) => at + 2 + 4 * ac as usize <= v.len(),
        None => true,
    }
}

fn mac_at(b: &[u8], at: usize) -> Option<[u8; 6]> {
    b.get(at..at + 6)?.try_into().ok()
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

const FC_BITS: [(&str, &str); 8] = [
    ("wlan.fc.tods", "To DS"),
    ("wlan.fc.fromds", "From DS"),
    ("wlan.fc.frag", "More Fragments"),
    ("wlan.fc.retry", "Retry"),
    ("wlan.fc.pwrmgt", "PWR MGT"),
    ("wlan.fc.moredata", "More Data"),
    ("wlan.fc.protected", "Protected flag"),
    ("wlan.fc.order", "+HTC/Order flag"),
];

/// Address names by position: (address 1..4) → Wireshark's names.
fn addr_names(m: &Mac) -> [&'static [&'static str]; 4] {
    const RA_DA: &[&str] = &["wlan.ra", "wlan.da"];
    const TA_SA: &[&str] = &["wlan.ta", "wlan.sa"];
    const BSSID: &[&str] = &["wlan.bssid"];
    match m.ty() {
        MGMT => [RA_DA, TA_SA, BSSID, &[]],
        CTRL => match m.subtype() {
            10 => [BSSID, &["wlan.ta"], &[], &[]],
            14 | 15 => [&["wlan.ra"], BSSID, &[], &[]],
            _ => [&["wlan.ra"], &["wlan.ta"], &[], &[]],
        },
        _ => match (m.tods(), m.fromds()) {
            (false, false) => [RA_DA, TA_SA, BSSID, &[]],
            (true, false) => [
                &["wlan.ra", "wlan.bssid"],
                &["wlan.ta", "wlan.sa"],
                &["wlan.da"],
                &[],
            ],
            (false, true) => [
                &["wlan.ra", "wlan.da"],
                &["wlan.ta", "wlan.bssid"],
                &["wlan.sa"],
                &[],
            ],
            (true, true) => [&["wlan.ra"], &["wlan.ta"], &["wlan.da"], &["wlan.sa"]],
        },
    }
}

fn label_of(name: &str) -> &'static str {
    match name {
        "wlan.ra" => "Receiver address",
        "wlan.ta" => "Transmitter address",
        "wlan.da" => "Destination address",
        "wlan.sa" => "Source address",
        _ => "BSS Id",
    }
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let d = pkt.data;
    let b = d.get(o..).unwrap_or(&[]);
    let Some(m) = Mac::parse(b) else {
        return;
    };
    out.layer("wlan", "IEEE 802.11", l.extent());
    if m.version() != 0 {
        // Other protocol versions (PV1) lay the header out differently.
        return;
    }
    let r = |a: usize, n: usize| o + a..o + a + n;
    let fc = u16::from_be_bytes([m.fc0, m.flags]);
    out.put(
        "wlan.fc.type_subtype",
        "Type/Subtype",
        Value::Hex(m.type_subtype() as u64, 4),
        r(0, 1),
    );
    out.put(
        "wlan.fc",
        "Frame Control Field",
        Value::Hex(fc as u64, 4),
        r(0, 2),
    );
    out.put(
        "wlan.fc.version",
        "Version",
        Value::U(m.version() as u64),
        r(0, 1),
    );
    out.put("wlan.fc.type", "Type", Value::U(m.ty() as u64), r(0, 1));
    out.put(
        "wlan.fc.subtype",
        "Subtype",
        Value::U(m.subtype() as u64),
        r(0, 1),
    );
    out.put(
        "wlan.flags",
        "Flags",
        Value::Hex(m.flags as u64, 2),
        r(1, 1),
    );
    out.put(
        "wlan.fc.ds",
        "DS status",
        Value::Hex((m.flags & 3) as u64, 2),
        r(1, 1),
    );
    for (i, (name, label)) in FC_BITS.iter().enumerate() {
        out.put(name, label, Value::Bool(m.flags & (1 << i) != 0), r(1, 1));
    }
    let Some(dur) = le16(b, 2) else {
        return;
    };
    if dur & 0x8000 == 0 {
        out.put(
            "wlan.duration",
            "Duration",
            Value::U((dur & 0x7fff) as u64),
            r(2, 2),
        );
    } else if m.ty() == CTRL && m.subtype() == 10 {
        out.put(
            "wlan.aid",
            "Association ID",
            Value::U((dur & 0x3fff) as u64),
            r(2, 2),
        );
    }
    let names = addr_names(&m);
    let mut macs: [Option<[u8; 6]>; 4] = [None; 4];
    for (i, slot) in macs.iter_mut().enumerate().take(m.addrs) {
        *slot = mac_at(b, 4 + 6 * i);
    }
    // tshark's order: receiver, transmitter, then destination, source, BSS.
    let order: &[&str] = if m.ty() == MGMT {
        &["wlan.ra", "wlan.da", "wlan.ta", "wlan.sa", "wlan.bssid"]
    } else {
        &["wlan.ra", "wlan.ta", "wlan.da", "wlan.sa", "wlan.bssid"]
    };
    for want in order {
        for (i, ns) in names.iter().enumerate() {
            if ns.contains(want) {
                if let Some(a) = macs[i] {
                    out.put(want, label_of(want), Value::Mac(a), r(4 + 6 * i, 6));
                }
            }
        }
    }
    if m.ty() == DATA && m.tods() != m.fromds() {
        let i = if m.tods() { 1 } else { 0 };
        if let Some(a) = macs[i] {
            out.put("wlan.staa", "STA address", Value::Mac(a), r(4 + 6 * i, 6));
        }
    }
    for (i, a) in macs.iter().enumerate() {
        if let Some(a) = a {
            out.put(
                "wlan.addr",
                "Hardware address",
                Value::Mac(*a),
                r(4 + 6 * i, 6),
            );
        }
    }
    if m.seq {
        if let Some(sc) = le16(b, 22) {
            out.put(
                "wlan.frag",
                "Fragment number",
                Value::U((sc & 0xf) as u64),
                r(22, 2),
            );
            out.put(
                "wlan.seq",
                "Sequence number",
                Value::U((sc >> 4) as u64),
                r(22, 2),
            );
        }
    }
    if let Some(q) = m.qos.and_then(|q| le16(b, q).map(|v| (q, v))) {
        let (at, v) = q;
        let rr = r(at, 2);
        out.put(
            "wlan.qos",
            "Qos Control",
            Value::Hex(v as u64, 4),
            rr.clone(),
        );
        out.put(
            "wlan.qos.tid",
            "TID",
            Value::U((v & 0xf) as u64),
            rr.clone(),
        );
        out.put(
            "wlan.qos.priority",
            "Priority",
            Value::U((v & 7) as u64),
            rr.clone(),
        );
        if m.fromds() {
            out.put(
                "wlan.qos.eosp",
                "EOSP",
                Value::Bool(v & 0x10 != 0),
                rr.clone(),
            );
        } else {
            out.put(
                "wlan.qos.bit4",
                "QoS bit 4",
                Value::Bool(v & 0x10 != 0),
                rr.clone(),
            );
        }
        out.put(
            "wlan.qos.ack",
            "Ack Policy",
            Value::Hex(((v >> 5) & 3) as u64, 4),
            rr.clone(),
        );
        out.put(
            "wlan.qos.amsdupresent",
            "Payload Type",
            Value::Bool(v & 0x80 != 0),
            rr,
        );
    }
    if let Some(at) = m.htc {
        if let Some(v) = le32(b, at) {
            let rr = r(at, 4);
            out.put(
                "wlan.htc",
                "HT Control (+HTC)",
                Value::Hex(v as u64, 8),
                rr.clone(),
            );
            out.put("wlan.htc.vht", "VHT", Value::Bool(v & 1 != 0), rr.clone());
            out.put("wlan.htc.he", "HE", Value::Bool(v & 2 != 0), rr);
        }
    }
    let fcs = has_fcs(pkt, l);
    let end = if fcs {
        (l.limit as usize).max(l.end as usize)
    } else {
        d.len()
    };
    if fcs {
        if let Some(v) = le32(d, end) {
            out.put(
                "wlan.fcs",
                "Frame check sequence",
                Value::Hex(v as u64, 8),
                end..end + 4,
            );
            out.put("wlan.fcs.status", "FCS Status", Value::U(2), 0..0);
        }
    }
    let body = o + m.hdr;
    if body > end {
        return;
    }
    match m.ty() {
        MGMT if !m.protected() => mgmt_fields(d, body, end, m.subtype(), out),
        DATA if m.protected() && m.subtype() & 4 == 0 => protected_fields(d, body, out),
        CTRL if matches!(m.subtype(), 8 | 9) => {
            if let Some(v) = le16(d, body) {
                let name = if m.subtype() == 9 {
                    "wlan.ba.control"
                } else {
                    "wlan.bar.control"
                };
                out.put(
                    name,
                    "Block Ack Control",
                    Value::Hex(v as u64, 4),
                    body..body + 2,
                );
            }
            if let Some(v) = le16(d, body + 2) {
                let rr = body + 2..body + 4;
                out.put(
                    "wlan.fixed.ssc",
                    "Block Ack Starting Sequence Control",
                    Value::Hex(v as u64, 4),
                    rr.clone(),
                );
                out.put(
                    "wlan.fixed.ssc.fragment",
                    "Fragment",
                    Value::U((v & 0xf) as u64),
                    rr.clone(),
                );
                out.put(
                    "wlan.fixed.ssc.sequence",
                    "Starting Sequence Number",
                    Value::U((v >> 4) as u64),
                    rr,
                );
            }
        }
        _ => {}
    }
}

/// The IV header of a protected data frame: TKIP/CCMP's extended IV or WEP's.
fn protected_fields(d: &[u8], at: usize, out: &mut dyn FieldSink) {
    let Some(iv) = d.get(at..at + 4) else {
        return;
    };
    let key = iv[3] >> 6;
    if iv[3] & 0x20 != 0 {
        let Some(x) = d.get(at..at + 8) else {
            return;
        };
        // PN5..PN0, as tshark prints the CCMP extended IV.
        let pn = [x[7], x[6], x[5], x[4], x[1], x[0]];
        let mut s = String::with_capacity(14);
        s.push_str("0x");
        for b in pn {
            s.push_str(&format!("{b:02x}"));
        }
        out.put(
            "wlan.ccmp.extiv",
            "CCMP Ext. Initialization Vector",
            Value::Str(&s),
            at..at + 8,
        );
    } else {
        let v = u32::from_be_bytes([0, iv[0], iv[1], iv[2]]);
        out.put(
            "wlan.wep.iv",
            "Initialization Vector",
            Value::Hex(v as u64, 6),
            at..at + 3,
        );
    }
    out.put(
        "wlan.wep.key",
        "Key Index",
        Value::U(key as u64),
        at + 3..at + 4,
    );
}

fn put_cap(d: &[u8], at: usize, out: &mut dyn FieldSink) -> Option<()> {
    let v = le16(d, at)?;
    let rr = at..at + 2;
    out.put(
        "wlan.fixed.capabilities",
        "Capabilities Information",
        Value::Hex(v as u64, 4),
        rr.clone(),
    );
    for (name, label, mask) in [
        ("wlan.fixed.capabilities.ess", "ESS capabilities", 0x1u16),
        ("wlan.fixed.capabilities.ibss", "IBSS status", 0x2),
        ("wlan.fixed.capabilities.privacy", "Privacy", 0x10),
        (
            "wlan.fixed.capabilities.short_preamble",
            "Short Preamble",
            0x20,
        ),
        (
            "wlan.fixed.capabilities.spec_man",
            "Spectrum Management",
            0x100,
        ),
        ("wlan.fixed.capabilities.qos", "QoS", 0x200),
        (
            "wlan.fixed.capabilities.short_slot_time",
            "Short Slot Time",
            0x400,
        ),
        (
            "wlan.fixed.capabilities.apsd",
            "Automatic Power Save Delivery",
            0x800,
        ),
        (
            "wlan.fixed.capabilities.radio_measurement",
            "Radio Measurement",
            0x1000,
        ),
        ("wlan.fixed.capabilities.epd", "EPD", 0x2000),
    ] {
        out.put(name, label, Value::Bool(v & mask != 0), rr.clone());
    }
    Some(())
}

fn put_hex16(
    d: &[u8],
    at: usize,
    name: &'static str,
    label: &'static str,
    out: &mut dyn FieldSink,
) -> Option<()> {
    let v = le16(d, at)?;
    out.put(name, label, Value::Hex(v as u64, 4), at..at + 2);
    Some(())
}

/// Fixed fields of a management frame, then its tagged elements.
fn mgmt_fields(d: &[u8], body: usize, end: usize, subtype: u8, out: &mut dyn FieldSink) {
    let d = &d[..end.min(d.len())];
    let mut at = body;
    let ok = (|| -> Option<()> {
        match subtype {
            0 | 2 => {
                put_cap(d, at, out)?;
                put_hex16(d, at + 2, "wlan.fixed.listen_ival", "Listen Interval", out)?;
                at += 4;
                if subtype == 2 {
                    let a = mac_at(d, at)?;
                    out.put(
                        "wlan.fixed.current_ap",
                        "Current AP",
                        Value::Mac(a),
                        at..at + 6,
                    );
                    at += 6;
                }
            }
            1 | 3 => {
                put_cap(d, at, out)?;
                put_hex16(d, at + 2, "wlan.fixed.status_code", "Status code", out)?;
                let aid = le16(d, at + 4)?;
                out.put(
                    "wlan.fixed.aid",
                    "Association ID",
                    Value::Hex((aid & 0x3fff) as u64, 4),
                    at + 4..at + 6,
                );
                at += 6;
            }
            5 | 8 => {
                let ts = u64::from_le_bytes(d.get(at..at + 8)?.try_into().ok()?);
                out.put(
                    "wlan.fixed.timestamp",
                    "Timestamp",
                    Value::U(ts),
                    at..at + 8,
                );
                let bi = le16(d, at + 8)?;
                out.put(
                    "wlan.fixed.beacon",
                    "Beacon Interval",
                    Value::U(bi as u64),
                    at + 8..at + 10,
                );
                put_cap(d, at + 10, out)?;
                at += 12;
            }
            10 | 12 => {
                put_hex16(d, at, "wlan.fixed.reason_code", "Reason code", out)?;
                at += 2;
            }
            11 => {
                let alg = le16(d, at)?;
                out.put(
                    "wlan.fixed.auth.alg",
                    "Authentication Algorithm",
                    Value::U(alg as u64),
                    at..at + 2,
                );
                put_hex16(d, at + 2, "wlan.fixed.auth_seq", "Authentication SEQ", out)?;
                put_hex16(d, at + 4, "wlan.fixed.status_code", "Status code", out)?;
                at += 6;
            }
            13 | 14 => {
                let c = *d.get(at)?;
                out.put(
                    "wlan.fixed.category_code",
                    "Category code",
                    Value::U(c as u64),
                    at..at + 1,
                );
                // Action bodies vary by category; their elements are not walked.
                return None;
            }
            _ => {}
        }
        Some(())
    })();
    if ok.is_none() {
        return;
    }
    tags(d, at, out);
}

fn rates(v: &[u8], at: usize, name: &'static str, out: &mut dyn FieldSink) {
    for (i, &x) in v.iter().enumerate() {
        out.put(name, "Rate", Value::Hex(x as u64, 2), at + i..at + i + 1);
    }
}

/// Tagged elements: number, length, and the main fields of the common ones.
fn tags(d: &[u8], mut at: usize, out: &mut dyn FieldSink) {
    for _ in 0..MAX_TAGS {
        if at + 2 > d.len() {
            return;
        }
        let (id, len) = (d[at], d[at + 1] as usize);
        out.put(
            "wlan.tag.number",
            "Tag Number",
            Value::U(id as u64),
            at..at + 1,
        );
        out.put(
            "wlan.tag.length",
            "Tag length",
            Value::U(len as u64),
            at + 1..at + 2,
        );
        let s = at + 2;
        let Some(v) = d.get(s..s + len) else {
            return;
        };
        element(id, v, s, out);
        if id == 48 && !rsn_fits(v) {
            // Wireshark stops at the overflowing suite list.
            return;
        }
        at = s + len;
    }
}

fn element(id: u8, v: &[u8], s: usize, out: &mut dyn FieldSink) {
    let r = |a: usize, n: usize| s + a..s + a + n;
    match id {
        // An empty SSID (wildcard) is still present, as in tshark's filters.
        0 => out.put("wlan.ssid", "SSID", Value::Bytes(v), r(0, v.len())),
        1 => rates(v, s, "wlan.supported_rates", out),
        50 => rates(v, s, "wlan.extended_supported_rates", out),
        3 if v.len() == 1 => out.put(
            "wlan.ds.current_channel",
            "Current Channel",
            Value::U(v[0] as u64),
            r(0, 1),
        ),
        5 if v.len() >= 2 => {
            out.put(
                "wlan.tim.dtim_count",
                "DTIM count",
                Value::U(v[0] as u64),
                r(0, 1),
            );
            out.put(
                "wlan.tim.dtim_period",
                "DTIM period",
                Value::U(v[1] as u64),
                r(1, 1),
            );
        }
        48 => rsn(v, s, out),
        45 if v.len() >= 3 => {
            let c = u16::from_le_bytes([v[0], v[1]]);
            let rr = r(0, 2);
            out.put(
                "wlan.ht.capabilities",
                "HT Capabilities Info",
                Value::Hex(c as u64, 4),
                rr.clone(),
            );
            for (name, label, mask) in [
                (
                    "wlan.ht.capabilities.ldpccoding",
                    "HT LDPC coding capability",
                    0x1u16,
                ),
                (
                    "wlan.ht.capabilities.width",
                    "HT Support channel width",
                    0x2,
                ),
                ("wlan.ht.capabilities.green", "HT Green Field", 0x10),
                (
                    "wlan.ht.capabilities.short20",
                    "HT Short GI for 20MHz",
                    0x20,
                ),
                (
                    "wlan.ht.capabilities.short40",
                    "HT Short GI for 40MHz",
                    0x40,
                ),
                ("wlan.ht.capabilities.txstbc", "HT Tx STBC", 0x80),
                (
                    "wlan.ht.capabilities.delayedblockack",
                    "HT Delayed Block ACK",
                    0x400,
                ),
                ("wlan.ht.capabilities.amsdu", "HT Max A-MSDU length", 0x800),
                (
                    "wlan.ht.capabilities.dsscck",
                    "HT DSSS/CCK mode in 40MHz",
                    0x1000,
                ),
                ("wlan.ht.capabilities.psmp", "HT PSMP Support", 0x2000),
                (
                    "wlan.ht.capabilities.40mhzintolerant",
                    "HT Forty MHz Intolerant",
                    0x4000,
                ),
                (
                    "wlan.ht.capabilities.lsig",
                    "HT L-SIG TXOP Protection support",
                    0x8000,
                ),
            ] {
                out.put(name, label, Value::Bool(c & mask != 0), rr.clone());
            }
            out.put(
                "wlan.ht.capabilities.sm",
                "HT SM Power Save",
                Value::Hex(((c >> 2) & 3) as u64, 4),
                rr.clone(),
            );
            out.put(
                "wlan.ht.capabilities.rxstbc",
                "HT Rx STBC",
                Value::Hex(((c >> 8) & 3) as u64, 4),
                rr,
            );
            let a = v[2];
            let ra = r(2, 1);
            out.put(
                "wlan.ht.ampduparam",
                "A-MPDU Parameters",
                Value::Hex(a as u64, 2),
                ra.clone(),
            );
            out.put(
                "wlan.ht.ampduparam.maxlength",
                "Maximum Rx A-MPDU Length",
                Value::Hex((a & 3) as u64, 2),
                ra.clone(),
            );
            out.put(
                "wlan.ht.ampduparam.mpdudensity",
                "MPDU Density",
                Value::Hex(((a >> 2) & 7) as u64, 2),
                ra.clone(),
            );
            out.put(
                "wlan.ht.ampduparam.reserved",
                "Reserved",
                Value::Hex((a >> 5) as u64, 2),
                ra,
            );
        }
        61 if !v.is_empty() => out.put(
            "wlan.ht.info.primarychannel",
            "Primary Channel",
            Value::U(v[0] as u64),
            r(0, 1),
        ),
        191 if v.len() >= 4 => {
            let c = u32::from_le_bytes([v[0], v[1], v[2], v[3]]);
            out.put(
                "wlan.vht.capabilities",
                "VHT Capabilities Info",
                Value::Hex(c as u64, 8),
                r(0, 4),
            );
        }
        192 if v.len() >= 5 => {
            out.put(
                "wlan.vht.op.channelwidth",
                "Channel Width",
                Value::U(v[0] as u64),
                r(0, 1),
            );
            out.put(
                "wlan.vht.op.channelcenter0",
                "Channel Center Segment 0",
                Value::U(v[1] as u64),
                r(1, 1),
            );
            out.put(
                "wlan.vht.op.channelcenter1",
                "Channel Center Segment 1",
                Value::U(v[2] as u64),
                r(2, 1),
            );
            let m = u16::from_le_bytes([v[3], v[4]]);
            out.put(
                "wlan.vht.op.basicmcsmap",
                "Basic MCS Map",
                Value::Hex(m as u64, 4),
                r(3, 2),
            );
        }
        114 => {
            if let Ok(id) = std::str::from_utf8(v) {
                if !id.is_empty() {
                    out.put("wlan.mesh.id", "Mesh ID", Value::Str(id), r(0, v.len()));
                }
            }
        }
        221 if v.len() >= 4 => {
            let oui = u32::from_be_bytes([0, v[0], v[1], v[2]]);
            out.put("wlan.tag.oui", "OUI", Value::U(oui as u64), r(0, 3));
            out.put(
                "wlan.tag.vendor.oui.type",
                "Vendor Specific OUI Type",
                Value::U(v[3] as u64),
                r(3, 1),
            );
        }
        _ => {}
    }
}

/// The RSN element: version, group cipher, pairwise and AKM suite counts.
fn rsn(v: &[u8], s: usize, out: &mut dyn FieldSink) {
    let r = |a: usize, n: usize| s + a..s + a + n;
    let Some(ver) = le16(v, 0) else {
        return;
    };
    out.put(
        "wlan.rsn.version",
        "RSN Version",
        Value::U(ver as u64),
        r(0, 2),
    );
    let Some(g) = v.get(2..6) else {
        return;
    };
    out.put(
        "wlan.rsn.gcs.type",
        "Group Cipher Suite type",
        Value::U(g[3] as u64),
        r(5, 1),
    );
    let Some(pc) = le16(v, 6) else {
        return;
    };
    out.put(
        "wlan.rsn.pcs.count",
        "Pairwise Cipher Suite Count",
        Value::U(pc as u64),
        r(6, 2),
    );
    let mut at = 8;
    for _ in 0..pc {
        let Some(x) = v.get(at..at + 4) else {
            return;
        };
        out.put(
            "wlan.rsn.pcs.type",
            "Pairwise Cipher Suite type",
            Value::U(x[3] as u64),
            r(at + 3, 1),
        );
        at += 4;
    }
    let Some(ac) = le16(v, at) else {
        return;
    };
    out.put(
        "wlan.rsn.akms.count",
        "Auth Key Management (AKM) Suite Count",
        Value::U(ac as u64),
        r(at, 2),
    );
    at += 2;
    for _ in 0..ac {
        let Some(x) = v.get(at..at + 4) else {
            return;
        };
        out.put(
            "wlan.rsn.akms.type",
            "Auth Key Management (AKM) type",
            Value::U(x[3] as u64),
            r(at + 3, 1),
        );
        at += 4;
    }
    if let Some(c) = le16(v, at) {
        out.put(
            "wlan.rsn.capabilities",
            "RSN Capabilities",
            Value::Hex(c as u64, 4),
            r(at, 2),
        );
    }
}

/// Wireshark's names of frame types (the Info column's first words).
fn type_name(m: &Mac) -> &'static str {
    match (m.ty(), m.subtype()) {
        (MGMT, 0) => "Association Request",
        (MGMT, 1) => "Association Response",
        (MGMT, 2) => "Reassociation Request",
        (MGMT, 3) => "Reassociation Response",
        (MGMT, 4) => "Probe Request",
        (MGMT, 5) => "Probe Response",
        (MGMT, 6) => "Measurement Pilot",
        (MGMT, 8) => "Beacon frame",
        (MGMT, 9) => "ATIM",
        (MGMT, 10) => "Disassociate",
        (MGMT, 11) => "Authentication",
        (MGMT, 12) => "Deauthentication",
        (MGMT, 13) => "Action",
        (MGMT, 14) => "Action No Ack",
        (CTRL, 7) => "Control Wrapper",
        (CTRL, 8) => "802.11 Block Ack Req",
        (CTRL, 9) => "802.11 Block Ack",
        (CTRL, 10) => "Power-Save poll",
        (CTRL, 11) => "Request-to-send",
        (CTRL, 12) => "Clear-to-send",
        (CTRL, 13) => "Acknowledgement",
        (CTRL, 14) => "CF-End (Control-frame)",
        (CTRL, 15) => "CF-End + CF-Ack (Control-frame)",
        (DATA, 0) => "Data",
        (DATA, 1) => "Data + CF-Ack",
        (DATA, 2) => "Data + CF-Poll",
        (DATA, 3) => "Data + CF-Ack + CF-Poll",
        (DATA, 4) => "Null function (No data)",
        (DATA, 5) => "Acknowledgement (No data)",
        (DATA, 6) => "CF-Poll (No data)",
        (DATA, 7) => "CF-Ack/Poll (No data)",
        (DATA, 8) => "QoS Data",
        (DATA, 9) => "QoS Data + CF-Acknowledgment",
        (DATA, 10) => "QoS Data + CF-Poll",
        (DATA, 11) => "QoS Data + CF-Ack + CF-Poll",
        (DATA, 12) => "QoS Null function (No data)",
        (DATA, 14) => "QoS CF-Poll (No Data)",
        (DATA, 15) => "QoS CF-Ack + CF-Poll (No data)",
        _ => "Unrecognized (Reserved frame)",
    }
}

/// `Probe Request, SN=1, FN=0, Flags=........C, SSID="omus"`.
pub fn info(pkt: &Packet<'_>, l: &Layer, w: &mut Vec<u8>) {
    let o = l.start as usize;
    let b = pkt.data.get(o..).unwrap_or(&[]);
    let Some(m) = Mac::parse(b) else {
        return;
    };
    if m.version() != 0 {
        w.extend_from_slice(b"Unknown protocol version: ");
        w.extend_from_slice(itoa::Buffer::new().format(m.version()).as_bytes());
        return;
    }
    w.extend_from_slice(type_name(&m).as_bytes());
    if m.seq {
        if let Some(sc) = le16(b, 22) {
            let mut n = itoa::Buffer::new();
            w.extend_from_slice(b", SN=");
            w.extend_from_slice(n.format(sc >> 4).as_bytes());
            w.extend_from_slice(b", FN=");
            w.extend_from_slice(n.format(sc & 0xf).as_bytes());
        }
    }
    w.extend_from_slice(b", Flags=");
    for (i, c) in b"opmPRMFT".iter().enumerate() {
        w.push(if m.flags & (0x80 >> i) != 0 { *c } else { b'.' });
    }
    if has_fcs(pkt, l) {
        w.push(b'C');
    }
    if m.ty() == MGMT && !m.protected() {
        let body = o + m.hdr;
        let (fixed, bi) = match m.subtype() {
            0 => (4, false),
            1 | 3 => (6, false),
            2 => (10, false),
            5 | 8 => (12, true),
            4 => (0, false),
            _ => return,
        };
        let d = pkt.data;
        if bi {
            if let Some(v) = le16(d, body + 8) {
                w.extend_from_slice(b", BI=");
                w.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
            }
        }
        let end = if has_fcs(pkt, l) {
            l.limit as usize
        } else {
            d.len()
        };
        let mut at = body + fixed;
        for _ in 0..MAX_TAGS {
            if at + 2 > end {
                break;
            }
            let (id, len) = (d[at], d[at + 1] as usize);
            let Some(v) = d
                .get(at + 2..(at + 2 + len).min(end))
                .filter(|v| v.len() == len)
            else {
                break;
            };
            if id == 0 {
                if v.is_empty() {
                    w.extend_from_slice(b", SSID=Wildcard (Broadcast)");
                } else {
                    w.extend_from_slice(b", SSID=\"");
                    w.extend_from_slice(&String::from_utf8_lossy(v).into_owned().into_bytes());
                    w.push(b'"');
                }
            } else if id == 114 && !v.is_empty() {
                w.extend_from_slice(b", MESHID=");
                w.extend_from_slice(v);
            }
            at += 2 + len;
        }
    }
}

/// The 802.11 addresses a socket-pair column shows without a network layer:
/// (source, destination) as transmitter and receiver.
pub fn pair(pkt: &Packet<'_>, l: &Layer) -> Option<([u8; 6], [u8; 6])> {
    let b = pkt.data.get(l.start as usize..)?;
    let m = Mac::parse(b)?;
    if m.version() != 0 {
        return None;
    }
    let ra = mac_at(b, 4)?;
    let ta = if m.addrs >= 2 {
        mac_at(b, 10)?
    } else {
        return None;
    };
    Some((ta, ra))
}

pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("wlan.fc.type_subtype", Uint, "Type/Subtype"),
        f("wlan.fc", Uint, "Frame Control Field"),
        f("wlan.fc.version", Uint, "Version"),
        f("wlan.fc.type", Uint, "Type"),
        f("wlan.fc.subtype", Uint, "Subtype"),
        f("wlan.flags", Uint, "Flags"),
        f("wlan.fc.ds", Uint, "DS status"),
        f("wlan.fc.tods", Bool, "To DS"),
        f("wlan.fc.fromds", Bool, "From DS"),
        f("wlan.fc.frag", Bool, "More Fragments"),
        f("wlan.fc.retry", Bool, "Retry"),
        f("wlan.fc.pwrmgt", Bool, "PWR MGT"),
        f("wlan.fc.moredata", Bool, "More Data"),
        f("wlan.fc.protected", Bool, "Protected flag"),
        f("wlan.fc.order", Bool, "+HTC/Order flag"),
        f("wlan.duration", Uint, "Duration"),
        f("wlan.aid", Uint, "Association ID"),
        f("wlan.ra", Mac, "Receiver address"),
        f("wlan.ta", Mac, "Transmitter address"),
        f("wlan.da", Mac, "Destination address"),
        f("wlan.sa", Mac, "Source address"),
        f("wlan.bssid", Mac, "BSS Id"),
        f("wlan.staa", Mac, "STA address"),
        f("wlan.addr", Mac, "Hardware address"),
        f("wlan.frag", Uint, "Fragment number"),
        f("wlan.seq", Uint, "Sequence number"),
        f("wlan.qos", Uint, "Qos Control"),
        f("wlan.qos.tid", Uint, "TID"),
        f("wlan.qos.priority", Uint, "Priority"),
        f("wlan.qos.eosp", Bool, "EOSP"),
        f("wlan.qos.bit4", Bool, "QoS bit 4"),
        f("wlan.qos.ack", Uint, "Ack Policy"),
        f("wlan.qos.amsdupresent", Bool, "Payload Type"),
        f("wlan.htc", Uint, "HT Control (+HTC)"),
        f("wlan.htc.vht", Bool, "VHT"),
        f("wlan.htc.he", Bool, "HE"),
        f("wlan.fcs", Uint, "Frame check sequence"),
        f("wlan.fcs.status", Uint, "FCS Status"),
        f("wlan.ccmp.extiv", Str, "CCMP Ext. Initialization Vector"),
        f("wlan.wep.iv", Uint, "Initialization Vector"),
        f("wlan.wep.key", Uint, "Key Index"),
        f("wlan.ba.control", Uint, "Block Ack Control"),
        f("wlan.bar.control", Uint, "Block Ack Request Control"),
        f(
            "wlan.fixed.ssc",
            Uint,
            "Block Ack Starting Sequence Control (SSC)",
        ),
        f("wlan.fixed.ssc.fragment", Uint, "Fragment"),
        f("wlan.fixed.ssc.sequence", Uint, "Starting Sequence Number"),
        f("wlan.fixed.capabilities", Uint, "Capabilities Information"),
        f("wlan.fixed.capabilities.ess", Bool, "ESS capabilities"),
        f("wlan.fixed.capabilities.ibss", Bool, "IBSS status"),
        f("wlan.fixed.capabilities.privacy", Bool, "Privacy"),
        f(
            "wlan.fixed.capabilities.short_preamble",
            Bool,
            "Short Preamble",
        ),
        f(
            "wlan.fixed.capabilities.spec_man",
            Bool,
            "Spectrum Management",
        ),
        f("wlan.fixed.capabilities.qos", Bool, "QoS"),
        f(
            "wlan.fixed.capabilities.short_slot_time",
            Bool,
            "Short Slot Time",
        ),
        f(
            "wlan.fixed.capabilities.apsd",
            Bool,
            "Automatic Power Save Delivery",
        ),
        f(
            "wlan.fixed.capabilities.radio_measurement",
            Bool,
            "Radio Measurement",
        ),
        f("wlan.fixed.capabilities.epd", Bool, "EPD"),
        f("wlan.fixed.listen_ival", Uint, "Listen Interval"),
        f("wlan.fixed.current_ap", Mac, "Current AP"),
        f("wlan.fixed.status_code", Uint, "Status code"),
        f("wlan.fixed.aid", Uint, "Association ID"),
        f("wlan.fixed.timestamp", Uint, "Timestamp"),
        f("wlan.fixed.beacon", Uint, "Beacon Interval"),
        f("wlan.fixed.reason_code", Uint, "Reason code"),
        f("wlan.fixed.auth.alg", Uint, "Authentication Algorithm"),
        f("wlan.fixed.auth_seq", Uint, "Authentication SEQ"),
        f("wlan.fixed.category_code", Uint, "Category code"),
        f("wlan.tag.number", Uint, "Tag Number"),
        f("wlan.tag.length", Uint, "Tag length"),
        f("wlan.ssid", Bytes, "SSID"),
        f("wlan.supported_rates", Uint, "Supported Rates"),
        f(
            "wlan.extended_supported_rates",
            Uint,
            "Extended Supported Rates",
        ),
        f("wlan.ds.current_channel", Uint, "Current Channel"),
        f("wlan.tim.dtim_count", Uint, "DTIM count"),
        f("wlan.tim.dtim_period", Uint, "DTIM period"),
        f("wlan.rsn.version", Uint, "RSN Version"),
        f("wlan.rsn.gcs.type", Uint, "Group Cipher Suite type"),
        f("wlan.rsn.pcs.count", Uint, "Pairwise Cipher Suite Count"),
        f("wlan.rsn.pcs.type", Uint, "Pairwise Cipher Suite type"),
        f(
            "wlan.rsn.akms.count",
            Uint,
            "Auth Key Management (AKM) Suite Count",
        ),
        f("wlan.rsn.akms.type", Uint, "Auth Key Management (AKM) type"),
        f("wlan.rsn.capabilities", Uint, "RSN Capabilities"),
        f("wlan.ht.capabilities", Uint, "HT Capabilities Info"),
        f(
            "wlan.ht.capabilities.ldpccoding",
            Bool,
            "HT LDPC coding capability",
        ),
        f(
            "wlan.ht.capabilities.width",
            Bool,
            "HT Support channel width",
        ),
        f("wlan.ht.capabilities.sm", Uint, "HT SM Power Save"),
        f("wlan.ht.capabilities.green", Bool, "HT Green Field"),
        f(
            "wlan.ht.capabilities.short20",
            Bool,
            "HT Short GI for 20MHz",
        ),
        f(
            "wlan.ht.capabilities.short40",
            Bool,
            "HT Short GI for 40MHz",
        ),
        f("wlan.ht.capabilities.txstbc", Bool, "HT Tx STBC"),
        f("wlan.ht.capabilities.rxstbc", Uint, "HT Rx STBC"),
        f(
            "wlan.ht.capabilities.delayedblockack",
            Bool,
            "HT Delayed Block ACK",
        ),
        f("wlan.ht.capabilities.amsdu", Bool, "HT Max A-MSDU length"),
        f(
            "wlan.ht.capabilities.dsscck",
            Bool,
            "HT DSSS/CCK mode in 40MHz",
        ),
        f("wlan.ht.capabilities.psmp", Bool, "HT PSMP Support"),
        f(
            "wlan.ht.capabilities.40mhzintolerant",
            Bool,
            "HT Forty MHz Intolerant",
        ),
        f(
            "wlan.ht.capabilities.lsig",
            Bool,
            "HT L-SIG TXOP Protection support",
        ),
        f("wlan.ht.ampduparam", Uint, "A-MPDU Parameters"),
        f(
            "wlan.ht.ampduparam.maxlength",
            Uint,
            "Maximum Rx A-MPDU Length",
        ),
        f("wlan.ht.ampduparam.mpdudensity", Uint, "MPDU Density"),
        f("wlan.ht.ampduparam.reserved", Uint, "Reserved"),
        f("wlan.ht.info.primarychannel", Uint, "Primary Channel"),
        f("wlan.vht.capabilities", Uint, "VHT Capabilities Info"),
        f("wlan.vht.op.channelwidth", Uint, "Channel Width"),
        f(
            "wlan.vht.op.channelcenter0",
            Uint,
            "Channel Center Segment 0",
        ),
        f(
            "wlan.vht.op.channelcenter1",
            Uint,
            "Channel Center Segment 1",
        ),
        f("wlan.vht.op.basicmcsmap", Uint, "Basic MCS Map"),
        f("wlan.mesh.id", Str, "Mesh ID"),
        f("wlan.tag.oui", Uint, "OUI"),
        f("wlan.tag.vendor.oui.type", Uint, "Vendor Specific OUI Type"),
    ]
};

/// IEEE 802.11: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "wlan",
        name: "IEEE 802.11 wireless LAN",
        display: "802.11",
        short: "802.11",
        tier: Tier::Link,
        reached: &[Reach::LinkType(105)],
        dissect,
        fields,
        info: Some(info),
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};
