//! IEEE 802.1X EAPOL (EtherType 0x888e), over Ethernet or 802.11 LLC/SNAP:
//! the EAPOL header, the EAP packet it carries (code, id, type), and
//! EAPOL-Key frames: the legacy RC4 descriptor and the RSN/WPA descriptor
//! of the 4-way and group-key handshakes (key information bits, replay
//! counter, nonce, MIC, key data) with the handshake message number.

use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};

const HDR: usize = 4;
const EAP_PACKET: u8 = 0;
const KEY: u8 = 3;

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let b = cx.rest(off);
    let Some(len) = be16(b, 2) else {
        let lim = cx.limit;
        cx.push(Proto::Eapol, off, lim, lim);
        cx.short(Proto::Eapol, "EAPOL header cut short");
        return Next::Done;
    };
    let end = off + HDR + len as usize;
    let lim = end.min(cx.limit);
    if !cx.push(Proto::Eapol, off, lim, lim) {
        return Next::Done;
    }
    if end > cx.limit {
        cx.short(Proto::Eapol, "EAPOL body cut short");
    }
    cx.limit = lim;
    Next::Done
}

/// The handshake message number Wireshark shows for an RSN/WPA key frame.
fn msgnr(info: u16, nonce_zero: bool, data_len: u16) -> u8 {
    let (pairwise, ack, install, secure) = (
        info & 0x8 != 0,
        info & 0x80 != 0,
        info & 0x40 != 0,
        info & 0x200 != 0,
    );
    if pairwise {
        if ack {
            if install {
                3
            } else {
                1
            }
        } else if secure && (data_len == 0 || nonce_zero) {
            4
        } else {
            2
        }
    } else if ack {
        1
    } else {
        2
    }
}

const KEY_INFO_BITS: [(&str, &str, u16); 10] = [
    ("wlan_rsna_eapol.keydes.key_info.key_type", "Key Type", 0x8),
    ("wlan_rsna_eapol.keydes.key_info.install", "Install", 0x40),
    ("wlan_rsna_eapol.keydes.key_info.key_ack", "Key ACK", 0x80),
    ("wlan_rsna_eapol.keydes.key_info.key_mic", "Key MIC", 0x100),
    ("wlan_rsna_eapol.keydes.key_info.secure", "Secure", 0x200),
    ("wlan_rsna_eapol.keydes.key_info.error", "Error", 0x400),
    ("wlan_rsna_eapol.keydes.key_info.request", "Request", 0x800),
    (
        "wlan_rsna_eapol.keydes.key_info.encrypted_key_data",
        "Encrypted Key Data",
        0x1000,
    ),
    (
        "wlan_rsna_eapol.keydes.key_info.smk_message",
        "SMK Message",
        0x2000,
    ),
    ("", "", 0),
];

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let d = &pkt.data[..(l.limit as usize).max(l.end as usize).min(pkt.data.len())];
    out.layer("eapol", "802.1X Authentication", l.extent());
    let r = |a: usize, n: usize| o + a..o + a + n;
    let (Some(&ver), Some(&ty), Some(len)) = (d.get(o), d.get(o + 1), be16(d, o + 2)) else {
        return;
    };
    out.put("eapol.version", "Version", Value::U(ver as u64), r(0, 1));
    out.put("eapol.type", "Type", Value::U(ty as u64), r(1, 1));
    out.put("eapol.len", "Length", Value::U(len as u64), r(2, 2));
    let b = o + HDR;
    match ty {
        EAP_PACKET => {
            let (Some(&code), Some(&id), Some(elen)) = (d.get(b), d.get(b + 1), be16(d, b + 2))
            else {
                return;
            };
            out.layer("eap", "Extensible Authentication Protocol", b..d.len());
            out.put("eap.code", "Code", Value::U(code as u64), b..b + 1);
            out.put("eap.id", "Id", Value::U(id as u64), b + 1..b + 2);
            out.put("eap.len", "Length", Value::U(elen as u64), b + 2..b + 4);
            if matches!(code, 1 | 2) && elen > 4 {
                if let Some(&t) = d.get(b + 4) {
                    out.put("eap.type", "Type", Value::U(t as u64), b + 4..b + 5);
                }
            }
        }
        KEY => key_fields(d, b, out),
        _ => {}
    }
}

fn key_fields(d: &[u8], b: usize, out: &mut dyn FieldSink) {
    let Some(&kt) = d.get(b) else {
        return;
    };
    out.put(
        "eapol.keydes.type",
        "Key Descriptor Type",
        Value::U(kt as u64),
        b..b + 1,
    );
    let r = |a: usize, n: usize| b + a..b + a + n;
    let bytes = |a: usize, n: usize| d.get(b + a..b + a + n);
    if kt == 1 {
        // RC4 descriptor (802.1X-2001).
        let Some(kl) = be16(d, b + 1) else {
            return;
        };
        out.put(
            "eapol.keydes.key_len",
            "Key Length",
            Value::U(kl as u64),
            r(1, 2),
        );
        let Some(rc) = bytes(3, 8) else {
            return;
        };
        let rc = u64::from_be_bytes(rc.try_into().unwrap_or_default());
        out.put(
            "eapol.keydes.replay_counter",
            "Replay Counter",
            Value::U(rc),
            r(3, 8),
        );
        let Some(iv) = bytes(11, 16) else {
            return;
        };
        out.put("eapol.keydes.key_iv", "Key IV", Value::Bytes(iv), r(11, 16));
        let Some(&ki) = d.get(b + 27) else {
            return;
        };
        out.put(
            "eapol.keydes.key_index",
            "Key Index",
            Value::Hex(ki as u64, 2),
            r(27, 1),
        );
        out.put(
            "eapol.keydes.key_index.type",
            "Type",
            Value::Bool(ki & 0x80 != 0),
            r(27, 1),
        );
        out.put(
            "eapol.keydes.key_index.number",
            "Number",
            Value::U((ki & 0x7f) as u64),
            r(27, 1),
        );
        let Some(sig) = bytes(28, 16) else {
            return;
        };
        out.put(
            "eapol.keydes.key_signature",
            "Key Signature",
            Value::Bytes(sig),
            r(28, 16),
        );
        let key = d.get(b + 44..).unwrap_or(&[]);
        if !key.is_empty() {
            out.put(
                "eapol.keydes.key",
                "Key",
                Value::Bytes(key),
                b + 44..d.len(),
            );
        }
        return;
    }
    if kt != 2 && kt != 254 {
        return;
    }
    let Some(info) = be16(d, b + 1) else {
        return;
    };
    let (Some(nonce), Some(data_len)) = (bytes(13, 32), be16(d, b + 93)) else {
        // Too short for the message number: the key information alone.
        key_info(info, r(1, 2), out);
        return;
    };
    let nr = msgnr(info, nonce.iter().all(|&x| x == 0), data_len);
    out.put(
        "wlan_rsna_eapol.keydes.msgnr",
        "Message number",
        Value::U(nr as u64),
        0..0,
    );
    key_info(info, r(1, 2), out);
    if let Some(kl) = be16(d, b + 3) {
        out.put(
            "eapol.keydes.key_len",
            "Key Length",
            Value::U(kl as u64),
            r(3, 2),
        );
    }
    if let Some(rc) = bytes(5, 8) {
        let rc = u64::from_be_bytes(rc.try_into().unwrap_or_default());
        out.put(
            "eapol.keydes.replay_counter",
            "Replay Counter",
            Value::U(rc),
            r(5, 8),
        );
    }
    out.put(
        "wlan_rsna_eapol.keydes.nonce",
        "WPA Key Nonce",
        Value::Bytes(nonce),
        r(13, 32),
    );
    for (a, n, name, label) in [
        (45, 16, "eapol.keydes.key_iv", "Key IV"),
        (61, 8, "wlan_rsna_eapol.keydes.rsc", "WPA Key RSC"),
        (69, 8, "wlan_rsna_eapol.keydes.id", "WPA Key ID"),
        (77, 16, "wlan_rsna_eapol.keydes.mic", "WPA Key MIC"),
    ] {
        if let Some(v) = bytes(a, n) {
            out.put(name, label, Value::Bytes(v), r(a, n));
        }
    }
    out.put(
        "wlan_rsna_eapol.keydes.data_len",
        "WPA Key Data Length",
        Value::U(data_len as u64),
        r(93, 2),
    );
    if data_len > 0 {
        let s = b + 95;
        let e = (s + data_len as usize).min(d.len());
        if s < e {
            out.put(
                "wlan_rsna_eapol.keydes.data",
                "WPA Key Data",
                Value::Bytes(&d[s..e]),
                s..e,
            );
        }
    }
}

fn key_info(info: u16, r: std::ops::Range<usize>, out: &mut dyn FieldSink) {
    out.put(
        "wlan_rsna_eapol.keydes.key_info",
        "Key Information",
        Value::Hex(info as u64, 4),
        r.clone(),
    );
    out.put(
        "wlan_rsna_eapol.keydes.key_info.keydes_version",
        "Key Descriptor Version",
        Value::U((info & 7) as u64),
        r.clone(),
    );
    out.put(
        "wlan_rsna_eapol.keydes.key_info.key_index",
        "Key Index",
        Value::U(((info >> 4) & 3) as u64),
        r.clone(),
    );
    for (name, label, m) in KEY_INFO_BITS {
        if !name.is_empty() {
            out.put(name, label, Value::Bool(info & m != 0), r.clone());
        }
    }
}

fn eap_type_name(t: u8) -> &'static str {
    match t {
        1 => "Identity",
        2 => "Notification",
        3 => "Legacy Nak (Response Only)",
        4 => "MD5-Challenge EAP (EAP-MD5-CHALLENGE)",
        6 => "Generic Token Card EAP (EAP-GTC)",
        13 => "TLS EAP (EAP-TLS)",
        17 => "EAP-Cisco Wireless (LEAP)",
        18 => "GSM Subscriber Identity Modules EAP (EAP-SIM)",
        21 => "Tunneled TLS EAP (EAP-TTLS)",
        23 => "UMTS Authentication and Key Agreement EAP (EAP-AKA)",
        25 => "Protected EAP (EAP-PEAP)",
        26 => "MS-CHAP-v2 EAP (EAP-MS-CHAP-V2)",
        43 => "Flexible Authentication via Secure Tunneling EAP (EAP-FAST)",
        _ => "Unknown",
    }
}

/// `Request, Identity`, `Start`, `Key (Message 1 of 4)`.
pub fn info(pkt: &Packet<'_>, l: &Layer, w: &mut Vec<u8>) {
    let o = l.start as usize;
    let d = &pkt.data[..(l.limit as usize).max(l.end as usize).min(pkt.data.len())];
    let Some(&ty) = d.get(o + 1) else {
        return;
    };
    let b = o + HDR;
    match ty {
        EAP_PACKET => {
            let Some(&code) = d.get(b) else {
                return;
            };
            let name = match code {
                1 => "Request",
                2 => "Response",
                3 => "Success",
                4 => "Failure",
                5 => "Initiate",
                6 => "Finish",
                _ => "Unknown",
            };
            w.extend_from_slice(name.as_bytes());
            if matches!(code, 1 | 2) {
                if let Some(&t) = d.get(b + 4) {
                    w.extend_from_slice(b", ");
                    w.extend_from_slice(eap_type_name(t).as_bytes());
                }
            }
        }
        1 => w.extend_from_slice(b"Start"),
        2 => w.extend_from_slice(b"Logoff"),
        KEY => {
            w.extend_from_slice(b"Key");
            let kt = d.get(b).copied();
            if let (Some(2 | 254), Some(info), Some(nonce), Some(dl)) =
                (kt, be16(d, b + 1), d.get(b + 13..b + 45), be16(d, b + 93))
            {
                let nr = msgnr(info, nonce.iter().all(|&x| x == 0), dl);
                if info & 0x8 != 0 {
                    w.extend_from_slice(format!(" (Message {nr} of 4)").as_bytes());
                } else {
                    w.extend_from_slice(format!(" (Group Message {nr} of 2)").as_bytes());
                }
            }
        }
        _ => {}
    }
}

pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("eapol.version", Uint, "Version"),
        f("eapol.type", Uint, "Type"),
        f("eapol.len", Uint, "Length"),
        f("eap", Proto, "Extensible Authentication Protocol"),
        f("eap.code", Uint, "Code"),
        f("eap.id", Uint, "Id"),
        f("eap.len", Uint, "Length"),
        f("eap.type", Uint, "Type"),
        f("eapol.keydes.type", Uint, "Key Descriptor Type"),
        f("eapol.keydes.key_len", Uint, "Key Length"),
        f("eapol.keydes.replay_counter", Uint, "Replay Counter"),
        f("eapol.keydes.key_iv", Bytes, "Key IV"),
        f("eapol.keydes.key_index", Uint, "Key Index"),
        f("eapol.keydes.key_index.type", Bool, "Type"),
        f("eapol.keydes.key_index.number", Uint, "Number"),
        f("eapol.keydes.key_signature", Bytes, "Key Signature"),
        f("eapol.keydes.key", Bytes, "Key"),
        f("wlan_rsna_eapol.keydes.msgnr", Uint, "Message number"),
        f("wlan_rsna_eapol.keydes.key_info", Uint, "Key Information"),
        f(
            "wlan_rsna_eapol.keydes.key_info.keydes_version",
            Uint,
            "Key Descriptor Version",
        ),
        f("wlan_rsna_eapol.keydes.key_info.key_type", Bool, "Key Type"),
        f(
            "wlan_rsna_eapol.keydes.key_info.key_index",
            Uint,
            "Key Index",
        ),
        f("wlan_rsna_eapol.keydes.key_info.install", Bool, "Install"),
        f("wlan_rsna_eapol.keydes.key_info.key_ack", Bool, "Key ACK"),
        f("wlan_rsna_eapol.keydes.key_info.key_mic", Bool, "Key MIC"),
        f("wlan_rsna_eapol.keydes.key_info.secure", Bool, "Secure"),
        f("wlan_rsna_eapol.keydes.key_info.error", Bool, "Error"),
        f("wlan_rsna_eapol.keydes.key_info.request", Bool, "Request"),
        f(
            "wlan_rsna_eapol.keydes.key_info.encrypted_key_data",
            Bool,
            "Encrypted Key Data",
        ),
        f(
            "wlan_rsna_eapol.keydes.key_info.smk_message",
            Bool,
            "SMK Message",
        ),
        f("wlan_rsna_eapol.keydes.nonce", Bytes, "WPA Key Nonce"),
        f("wlan_rsna_eapol.keydes.rsc", Bytes, "WPA Key RSC"),
        f("wlan_rsna_eapol.keydes.id", Bytes, "WPA Key ID"),
        f("wlan_rsna_eapol.keydes.mic", Bytes, "WPA Key MIC"),
        f(
            "wlan_rsna_eapol.keydes.data_len",
            Uint,
            "WPA Key Data Length",
        ),
        f("wlan_rsna_eapol.keydes.data", Bytes, "WPA Key Data"),
    ]
};

/// EAPOL: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "eapol",
        name: "802.1X Authentication",
        display: "EAPOL",
        short: "EAPOL",
        tier: Tier::Link,
        reached: &[Reach::Ethertype(0x888e)],
        dissect,
        fields,
        info: Some(info),
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};
