//! IEEE 802.2 Logical Link Control, with the SNAP extension (RFC 1042).
//!
//! LLC follows an 802.3 length field (Ethernet or 802.1Q) or SLL protocol 4.
//! I and S frames carry a 2-byte (extended) control field, U frames one
//! byte. DSAP = SSAP = 0xaa adds a SNAP header: an OUI, and for OUI 0 (and
//! Cisco's 0x0000f8) an EtherType naming the payload.

use crate::dissect::ethertype;
use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};

const SAP_SNAP: u8 = 0xaa;
const SNAP_LEN: usize = 5;
const OUI_ENCAP_ETHER: u32 = 0x000000;
const OUI_CISCO_90: u32 = 0x0000f8;
const OUI_CISCO: u32 = 0x00000c;
const OUI_APPLE_ATALK: u32 = 0x080007;

/// Parsed header; `parse` checks every byte it reports.
struct Hdr {
    dsap: u8,
    ssap: u8,
    /// Control field as Wireshark reads it (2-byte fields little-endian).
    control: u16,
    control_len: usize,
    /// OUI and protocol ID when SNAP follows.
    snap: Option<(u32, u16)>,
    /// DSAP and SSAP announce SNAP but its 5 bytes are missing.
    snap_cut: bool,
}

impl Hdr {
    fn parse(b: &[u8]) -> Option<Hdr> {
        let (&dsap, &ssap, &c0) = (b.first()?, b.get(1)?, b.get(2)?);
        let (control, control_len) = if c0 & 3 == 3 {
            (c0 as u16, 1)
        } else {
            (u16::from_le_bytes([c0, *b.get(3)?]), 2)
        };
        let is_snap = dsap == SAP_SNAP && ssap == SAP_SNAP;
        let snap = b
            .get(2 + control_len..2 + control_len + SNAP_LEN)
            .filter(|_| is_snap)
            .map(|s| {
                let oui = u32::from_be_bytes([0, s[0], s[1], s[2]]);
                (oui, u16::from_be_bytes([s[3], s[4]]))
            });
        let snap_cut = is_snap && snap.is_none();
        Some(Hdr {
            dsap,
            ssap,
            control,
            control_len,
            snap,
            snap_cut,
        })
    }
    fn len(&self) -> usize {
        2 + self.control_len + if self.snap.is_some() { SNAP_LEN } else { 0 }
    }
    fn is_response(&self) -> bool {
        self.ssap & 1 != 0
    }
    /// I frames and UI frames carry data for the next protocol.
    fn is_information(&self) -> bool {
        self.control & 1 == 0 || self.control == 0x03
    }
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let Some(h) = Hdr::parse(cx.rest(off)) else {
        cx.short(Proto::Llc, "LLC header cut short");
        return Next::Done;
    };
    let end = off + h.len();
    if !cx.push(Proto::Llc, off, end, cx.limit) {
        return Next::Done;
    }
    if h.snap_cut {
        cx.short(Proto::Llc, "SNAP header cut short");
        return Next::Done;
    }
    match h.snap {
        Some((OUI_ENCAP_ETHER | OUI_CISCO_90, t)) if h.is_information() => Next::Ethertype(t, end),
        // Other payloads (STP, NetBIOS, IPX, vendor SNAP) stay undecoded.
        _ => Next::Proto(Proto::Data, end),
    }
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let Some(h) = Hdr::parse(pkt.bytes(l.header())) else {
        return;
    };
    out.layer("llc", "Logical-Link Control", l.header());
    let (d, s) = (o..o + 1, o + 1..o + 2);
    out.put_note(
        "llc.dsap",
        "DSAP",
        Value::Hex(h.dsap as u64, 2),
        d.clone(),
        sap_name(h.dsap & 0xfe),
    );
    out.open("DSAP", d.clone());
    out.put(
        "llc.dsap.sap",
        "SAP",
        Value::U((h.dsap >> 1) as u64),
        d.clone(),
    );
    out.put("llc.dsap.ig", "IG Bit", Value::Bool(h.dsap & 1 != 0), d);
    out.close();
    out.put_note(
        "llc.ssap",
        "SSAP",
        Value::Hex(h.ssap as u64, 2),
        s.clone(),
        sap_name(h.ssap & 0xfe),
    );
    out.open("SSAP", s.clone());
    out.put(
        "llc.ssap.sap",
        "SAP",
        Value::U((h.ssap >> 1) as u64),
        s.clone(),
    );
    out.put("llc.ssap.cr", "CR Bit", Value::Bool(h.ssap & 1 != 0), s);
    out.close();
    control_fields(&h, o + 2, out);
    if let Some((oui, pid)) = h.snap {
        let at = o + 2 + h.control_len;
        out.put(
            "llc.oui",
            "Organization Code",
            Value::U(oui as u64),
            at..at + 3,
        );
        let pr = at + 3..at + 5;
        let v = Value::Hex(pid as u64, 4);
        match oui {
            OUI_ENCAP_ETHER | OUI_CISCO_90 if h.is_information() => {
                out.put_note("llc.type", "Type", v, pr, ethertype::name(pid))
            }
            OUI_ENCAP_ETHER | OUI_CISCO_90 => {}
            OUI_CISCO => out.put("llc.cisco_pid", "PID", v, pr),
            OUI_APPLE_ATALK => out.put("llc.apple_atalk_pid", "PID", v, pr),
            _ => out.put("llc.pid", "Protocol ID", v, pr),
        }
    }
}

fn control_fields(h: &Hdr, at: usize, out: &mut dyn FieldSink) {
    let c = h.control;
    let r = at..at + h.control_len;
    out.put("llc.control", "Control", Value::Hex(c as u64, 4), r.clone());
    out.open("Control field", r.clone());
    let (p, f) = ("llc.control.p", "llc.control.f");
    let pf_name = if h.is_response() { f } else { p };
    match c & 3 {
        3 => {
            if c & 0x10 != 0 {
                out.put(pf_name, "Poll/Final", Value::Bool(true), r.clone());
            }
            let m = Value::Hex(((c & 0xec) >> 2) as u64, 2);
            if h.is_response() {
                out.put("llc.control.u_modifier_resp", "Response", m, r.clone());
            } else {
                out.put("llc.control.u_modifier_cmd", "Command", m, r.clone());
            }
            out.put("llc.control.ftype", "Frame type", Value::Hex(3, 2), r);
        }
        1 => {
            out.put(
                "llc.control.n_r",
                "N(R)",
                Value::U((c >> 9) as u64),
                r.clone(),
            );
            if c & 0x100 != 0 {
                out.put(pf_name, "Poll/Final", Value::Bool(true), r.clone());
            }
            let sf = Value::Hex(((c & 0x0c) >> 2) as u64, 4);
            out.put(
                "llc.control.s_ftype",
                "Supervisory frame type",
                sf,
                r.clone(),
            );
            out.put("llc.control.ftype", "Frame type", Value::Hex(1, 4), r);
        }
        _ => {
            out.put(
                "llc.control.n_r",
                "N(R)",
                Value::U((c >> 9) as u64),
                r.clone(),
            );
            out.put(
                "llc.control.n_s",
                "N(S)",
                Value::U(((c & 0xfe) >> 1) as u64),
                r.clone(),
            );
            if c & 0x100 != 0 {
                out.put(pf_name, "Poll/Final", Value::Bool(true), r.clone());
            }
            out.put("llc.control.ftype", "Frame type", Value::Hex(0, 4), r);
        }
    }
    out.close();
}

/// Wireshark's summary: the control field, then the SAPs or the SNAP header.
pub fn info(pkt: &Packet<'_>, l: &Layer, w: &mut Vec<u8>) {
    let Some(h) = Hdr::parse(pkt.bytes(l.header())) else {
        return;
    };
    let c = h.control;
    let mut n = itoa::Buffer::new();
    let pf: &[u8] = if h.is_response() { b" F" } else { b" P" };
    match c & 3 {
        3 => {
            w.push(b'U');
            if c & 0x10 != 0 {
                w.extend_from_slice(pf);
            }
            w.extend_from_slice(b", func=");
            w.extend_from_slice(u_func(c as u8 & 0xec, h.is_response()).as_bytes());
        }
        1 => {
            w.push(b'S');
            if c & 0x100 != 0 {
                w.extend_from_slice(pf);
            }
            w.extend_from_slice(b", func=");
            w.extend_from_slice(["RR", "RNR", "REJ", "SREJ"][((c >> 2) & 3) as usize].as_bytes());
            w.extend_from_slice(b", N(R)=");
            w.extend_from_slice(n.format(c >> 9).as_bytes());
        }
        _ => {
            w.push(b'I');
            if c & 0x100 != 0 {
                w.extend_from_slice(pf);
            }
            w.extend_from_slice(b", N(R)=");
            w.extend_from_slice(n.format(c >> 9).as_bytes());
            w.extend_from_slice(b", N(S)=");
            w.extend_from_slice(n.format((c & 0xfe) >> 1).as_bytes());
        }
    }
    match h.snap {
        Some((oui, pid)) => {
            w.extend_from_slice(b"; SNAP, OUI 0x");
            let _ = std::io::Write::write_fmt(w, format_args!("{oui:06X}"));
            if let Some(name) = oui_name(oui) {
                w.extend_from_slice(b" (");
                w.extend_from_slice(name.as_bytes());
                w.push(b')');
            }
            let _ = std::io::Write::write_fmt(w, format_args!(", PID 0x{pid:04X}"));
        }
        None => {
            w.extend_from_slice(b"; DSAP ");
            sap_text(w, h.dsap & 0xfe);
            w.extend_from_slice(if h.dsap & 1 != 0 {
                b" Group"
            } else {
                b" Individual"
            });
            w.extend_from_slice(b", SSAP ");
            sap_text(w, h.ssap & 0xfe);
            w.extend_from_slice(if h.is_response() {
                b" Response"
            } else {
                b" Command"
            });
        }
    }
}

fn sap_text(w: &mut Vec<u8>, sap: u8) {
    match sap_name(sap) {
        "" => {
            let _ = std::io::Write::write_fmt(w, format_args!("0x{sap:02x}"));
        }
        s => w.extend_from_slice(s.as_bytes()),
    }
}

fn u_func(m: u8, resp: bool) -> &'static str {
    match (m, resp) {
        (0x00, _) => "UI",
        (0x04, false) => "SIM",
        (0x04, true) => "RIM",
        (0x0c, false) => "SARM",
        (0x0c, true) => "DM",
        (0x20, _) => "UP",
        (0x2c, _) => "SABM",
        (0x40, false) => "DISC",
        (0x40, true) => "RD",
        (0x60, _) => "UA",
        (0x6c, _) => "SABME",
        (0x80, _) => "SNRM",
        (0x84, _) => "FRMR",
        (0xac, _) => "XID",
        (0xcc, _) => "SNRME",
        (0xe0, _) => "TEST",
        _ => "Unknown",
    }
}

fn oui_name(oui: u32) -> Option<&'static str> {
    Some(match oui {
        OUI_ENCAP_ETHER => "Officially Xerox, but",
        OUI_CISCO => "Cisco",
        OUI_CISCO_90 => "Cisco IOS 9.0 Compatible",
        OUI_APPLE_ATALK => "Apple",
        _ => return None,
    })
}

/// IEEE-assigned SAP names, as Wireshark lists them.
fn sap_name(sap: u8) -> &'static str {
    match sap {
        0x00 => "NULL LSAP",
        0x02 => "LLC Sub-Layer Management",
        0x04 => "SNA Path Control",
        0x06 => "TCP/IP",
        0x08 => "SNA",
        0x0c => "SNA",
        0x0e => "PROWAY (IEC 955) Network Management and Initialization",
        0x18 => "Texas Instruments",
        0x42 => "Spanning Tree BPDU",
        0x4e => "EIA RS-511 Manufacturing Message Service",
        0x7e => "ISO 8208 (X.25 over 802.2)",
        0x80 => "XNS",
        0x86 => "Nestar",
        0x8e => "PROWAY (IEC 955) Active Station List Maintenance",
        0x98 => "ARP",
        0xaa => "SNAP",
        0xbc => "Banyan Vines",
        0xe0 => "NetWare (unofficial?)",
        0xf0 => "NetBIOS",
        0xf4 => "IBM Net Management",
        0xf8 => "HP Extended LLC",
        0xfa => "Ungermann-Bass",
        0xfe => "ISO Network Layer (OSLAN 1)",
        _ => "",
    }
}

/// Every field this file's decoders emit, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("llc.apple_atalk_pid", Uint, "PID"),
        f("llc.cisco_pid", Uint, "PID"),
        f("llc.control", Uint, "Control"),
        f("llc.control.f", Bool, "Final"),
        f("llc.control.ftype", Uint, "Frame type"),
        f("llc.control.n_r", Uint, "N(R)"),
        f("llc.control.n_s", Uint, "N(S)"),
        f("llc.control.p", Bool, "Poll"),
        f("llc.control.s_ftype", Uint, "Supervisory frame type"),
        f("llc.control.u_modifier_cmd", Uint, "Command"),
        f("llc.control.u_modifier_resp", Uint, "Response"),
        f("llc.dsap", Uint, "DSAP"),
        f("llc.dsap.ig", Bool, "IG Bit"),
        f("llc.dsap.sap", Uint, "SAP"),
        f("llc.oui", Uint, "Organization Code"),
        f("llc.pid", Uint, "Protocol ID"),
        f("llc.ssap", Uint, "SSAP"),
        f("llc.ssap.cr", Bool, "CR Bit"),
        f("llc.ssap.sap", Uint, "SAP"),
        f("llc.type", Uint, "Type"),
    ]
};

/// Logical-Link Control: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Tier};
    Decl {
        filter_name: "llc",
        name: "Logical-Link Control",
        display: "LLC",
        short: "LLC",
        tier: Tier::Link,
        reached: &[],
        dissect,
        fields,
        info: Some(info),
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};

#[cfg(test)]
mod tests {
    use crate::dissect::link::testutil::{hex, run};
    use crate::dissect::linktype::ETHERNET;

    const E: &str = "ffffffffffff001122334455";

    // Expected values: tshark 4.0.17 on the same bytes.
    #[test]
    fn snap_arp() {
        // zeek snap-arp.pcapng frame 3.
        let f = hex("c23d196c0001c23c196c00010024aaaa0300000008060006080006040002c23c196c00010a000002c23d196c00010a00000100000000000000000000");
        let o = run(ETHERNET, &f, f.len());
        assert_eq!(o.protocols, "eth:llc:arp");
        assert_eq!(
            o.with_prefix("llc"),
            [
                "llc.dsap=0xaa",
                "llc.dsap.sap=85",
                "llc.dsap.ig=0",
                "llc.ssap=0xaa",
                "llc.ssap.sap=85",
                "llc.ssap.cr=0",
                "llc.control=0x0003",
                "llc.control.u_modifier_cmd=0x00",
                "llc.control.ftype=0x03",
                "llc.oui=0",
                "llc.type=0x0806"
            ]
        );
        assert_eq!(o.get("eth.len"), "36");
        assert_eq!(o.get("eth.padding"), "00000000000000000000");
        assert_eq!(o.info, "10.0.0.2 is at c2:3c:19:6c:00:01");
    }

    #[test]
    fn control_field_kinds() {
        let i = run(ETHERNET, &hex(&format!("{E} 0008 f0f0 3223 11223344")), 22);
        assert_eq!(
            i.with_prefix("llc.control"),
            [
                "llc.control=0x2332",
                "llc.control.n_r=17",
                "llc.control.n_s=25",
                "llc.control.p=1",
                "llc.control.ftype=0x0000"
            ]
        );
        assert_eq!(
            i.info,
            "I P, N(R)=17, N(S)=25; DSAP NetBIOS Individual, SSAP NetBIOS Command"
        );
        let s = run(ETHERNET, &hex(&format!("{E} 0008 f0f1 0545 11223344")), 22);
        assert_eq!(
            s.with_prefix("llc.control"),
            [
                "llc.control=0x4505",
                "llc.control.n_r=34",
                "llc.control.f=1",
                "llc.control.s_ftype=0x0001",
                "llc.control.ftype=0x0001"
            ]
        );
        assert_eq!(
            s.info,
            "S F, func=RNR, N(R)=34; DSAP NetBIOS Individual, SSAP NetBIOS Response"
        );
        let u = run(ETHERNET, &hex(&format!("{E} 0004 0405 7f 11")), 18);
        assert_eq!(
            u.with_prefix("llc.control"),
            [
                "llc.control=0x007f",
                "llc.control.f=1",
                "llc.control.u_modifier_resp=0x1b",
                "llc.control.ftype=0x03"
            ]
        );
        assert_eq!(
            u.info,
            "U F, func=SABME; DSAP SNA Path Control Individual, SSAP SNA Path Control Response"
        );
        let c = run(
            ETHERNET,
            &hex(&format!("{E} 0008 aaaa 03 00000c 2000 11")),
            22,
        );
        assert_eq!(c.get("llc.oui"), "12");
        assert_eq!(c.get("llc.cisco_pid"), "0x2000");
        assert_eq!(c.get("eth.trailer"), "11");
    }

    #[test]
    fn cut_short_never_panics() {
        let f = hex(&format!(
            "{E} 0024 aaaa0300000008060006080006040002c23c196c00010a000002c23d196c00010a000001"
        ));
        for n in 0..f.len() {
            assert!(run(ETHERNET, &f[..n], f.len()).issue, "{n}");
        }
    }
}
