//! SSH (RFC 4253): the version banner and the clear-text binary packets of
//! the key exchange. Packets after NEWKEYS are encrypted; tshark knows from
//! session state, layerscope from the shape: a clear packet's lengths tile
//! the segment in cipher-block (8-byte) multiples with at least 4 bytes of
//! padding.

use super::http::line_at;
use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};

/// True when the payload starts with an SSH version banner.
pub fn looks_like(payload: &[u8]) -> bool {
    payload.starts_with(b"SSH-")
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let limit = cx.limit.max(off);
    cx.push(Proto::Ssh, off, limit, limit);
    Next::Done
}

/// Client to server? Port 22 names the server; otherwise the lower port.
fn from_client(pkt: &Packet<'_>) -> bool {
    match pkt.ports() {
        Some((_, 22)) => true,
        Some((22, _)) => false,
        Some((s, d)) => s > d,
        None => true,
    }
}

fn msg_name(code: u8) -> &'static str {
    match code {
        1 => "Disconnect",
        2 => "Ignore",
        3 => "Unimplemented",
        4 => "Debug",
        5 => "Service Request",
        6 => "Service Accept",
        7 => "Extension Info",
        20 => "Key Exchange Init",
        21 => "New Keys",
        30 => "Elliptic Curve Diffie-Hellman Key Exchange Init",
        31 => "Elliptic Curve Diffie-Hellman Key Exchange Reply",
        _ => "Unknown",
    }
}

/// Clear-text packets: `(offset, packet_length, padding_length, code)`; an
/// empty walk (nothing reported) means the bytes look encrypted.
fn packets(b: &[u8]) -> Option<arrayvec::ArrayVec<(usize, u32, u8, u8), 8>> {
    let mut v = arrayvec::ArrayVec::new();
    let mut at = 0;
    while at < b.len() {
        let h = b.get(at..at + 6)?;
        let len = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
        let (pad, code) = (h[4], h[5]);
        let clear = (12..=35000).contains(&len)
            && (len as usize + 4) % 8 == 0
            && pad >= 4
            && (pad as u32) < len
            && (1..=49).contains(&code);
        if !clear || v.try_push((at, len, pad, code)).is_err() {
            return None;
        }
        at = at.checked_add(4 + len as usize)?;
    }
    (!v.is_empty()).then_some(v)
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let b = pkt.bytes(l.extent());
    out.layer("ssh", "SSH Protocol", l.extent());
    out.put(
        "ssh.direction",
        "Direction",
        Value::Bool(!from_client(pkt)),
        0..0,
    );
    if looks_like(b) {
        if let Some(ln) = line_at(b, 0) {
            if let Ok(s) = std::str::from_utf8(&b[ln.start..ln.end]) {
                out.put("ssh.protocol", "Protocol", Value::Str(s), o..o + ln.end);
            }
        }
        return;
    }
    for (at, len, pad, code) in packets(b).unwrap_or_default() {
        let a = o + at;
        out.open("packet", a..a + 4 + len as usize);
        out.put(
            "ssh.packet_length",
            "Packet Length",
            Value::U(len as u64),
            a..a + 4,
        );
        out.put(
            "ssh.padding_length",
            "Padding Length",
            Value::U(pad as u64),
            a + 4..a + 5,
        );
        out.put_note(
            "ssh.message_code",
            "Message Code",
            Value::U(code as u64),
            a + 5..a + 6,
            msg_name(code),
        );
        out.close();
    }
}

pub fn info(pkt: &Packet<'_>, l: &Layer, w: &mut Vec<u8>) {
    let b = pkt.bytes(l.extent());
    w.extend_from_slice(if from_client(pkt) {
        b"Client: "
    } else {
        b"Server: "
    });
    if looks_like(b) {
        w.extend_from_slice(b"Protocol (");
        if let Some(ln) = line_at(b, 0) {
            w.extend_from_slice(&b[ln.start..ln.end]);
        }
        w.push(b')');
        return;
    }
    for (i, p) in packets(b).unwrap_or_default().iter().enumerate() {
        if i > 0 {
            w.extend_from_slice(b", ");
        }
        w.extend_from_slice(msg_name(p.3).as_bytes());
    }
}

/// Every field this file's decoders emit, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("ssh.direction", Bool, "Direction"),
        f("ssh.message_code", Uint, "Message Code"),
        f("ssh.packet_length", Uint, "Packet Length"),
        f("ssh.padding_length", Uint, "Padding Length"),
        f("ssh.protocol", Str, "Protocol"),
    ]
};

/// SSH Protocol: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "ssh",
        name: "SSH Protocol",
        display: "SSH",
        short: "SSH",
        tier: Tier::Application,
        reached: &[Reach::TcpContent(looks_like), Reach::TcpPort(22)],
        dissect,
        fields,
        info: Some(info),
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};

#[cfg(test)]
mod tests {
    use crate::dissect::app::http::tests::tcp_frame;
    use crate::dissect::link::testutil::run;
    use crate::dissect::linktype::ETHERNET;

    // Values from tshark 4.0.17 on ../shared/corpus/tcpdump/ssh.pcap.
    #[test]
    fn banner_and_kex() {
        let f = tcp_frame(50000, 22, b"SSH-2.0-OpenSSH_7.8\r\n");
        let o = run(ETHERNET, &f, f.len());
        assert_eq!(o.get("ssh.protocol"), "SSH-2.0-OpenSSH_7.8");
        assert_eq!(o.info, "Client: Protocol (SSH-2.0-OpenSSH_7.8)");
        assert_eq!(o.get("ssh.direction"), "0");
        // NEWKEYS: length 12, padding 10, code 21.
        let mut p = vec![0, 0, 0, 12, 10, 21];
        p.extend_from_slice(&[0; 10]);
        let f = tcp_frame(22, 50000, &p);
        let o = run(ETHERNET, &f, f.len());
        assert_eq!(o.get("ssh.packet_length"), "12");
        assert_eq!(o.get("ssh.message_code"), "21");
        assert_eq!(o.info, "Server: New Keys");
        // Encrypted bytes: no packet fields.
        let f = tcp_frame(22, 50000, &[0x8a; 36]);
        let o = run(ETHERNET, &f, f.len());
        assert_eq!(o.get("ssh.packet_length"), "");
        assert_eq!(o.info, "Server: ");
    }
}
