//! Network Time Protocol (RFC 5905): the 48-byte header of modes 1–5;
//! control (6) and private (7) messages show their flags only.

use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};
use std::io::Write as _;

const HEADER_LEN: usize = 48;
/// Seconds from 1900-01-01 (NTP era 0) to 1970-01-01.
const NTP_UNIX_OFFSET: i64 = 2_208_988_800;

/// True when the payload starts like an NTP client/server header.
pub fn looks_like(payload: &[u8]) -> bool {
    payload.len() >= HEADER_LEN
        && matches!(payload[0] & 7, 1..=5)
        && (1..=4).contains(&((payload[0] >> 3) & 7))
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let end = cx.limit.max(off);
    if !cx.push(Proto::Ntp, off, end, end) {
        return Next::Done;
    }
    let b = cx.bytes(off..end);
    let mode = b.first().map(|f| f & 7).unwrap_or(0);
    if mode < 6 && b.len() < HEADER_LEN {
        cx.short(Proto::Ntp, "NTP header cut short");
    }
    Next::Done
}

fn mode_name(m: u8) -> &'static str {
    match m {
        0 => "reserved",
        1 => "symmetric active",
        2 => "symmetric passive",
        3 => "client",
        4 => "server",
        5 => "broadcast",
        6 => "reserved for NTP control message",
        _ => "reserved for private use",
    }
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let b = pkt.bytes(l.extent());
    out.layer("ntp", "Network Time Protocol", l.extent());
    let Some(&f) = b.first() else {
        return;
    };
    out.put_note(
        "ntp.flags",
        "Flags",
        Value::Hex(f as u64, 2),
        o..o + 1,
        mode_name(f & 7),
    );
    out.open("Flags", o..o + 1);
    out.put(
        "ntp.flags.li",
        "Leap Indicator",
        Value::U((f >> 6) as u64),
        o..o + 1,
    );
    out.put(
        "ntp.flags.vn",
        "Version number",
        Value::U(((f >> 3) & 7) as u64),
        o..o + 1,
    );
    out.put("ntp.flags.mode", "Mode", Value::U((f & 7) as u64), o..o + 1);
    out.close();
    if f & 7 >= 6 || b.len() < HEADER_LEN {
        return;
    }
    let u32at = |a: usize| u32::from_be_bytes([b[a], b[a + 1], b[a + 2], b[a + 3]]);
    out.put(
        "ntp.stratum",
        "Peer Clock Stratum",
        Value::U(b[1] as u64),
        o + 1..o + 2,
    );
    out.put(
        "ntp.ppoll",
        "Peer Polling Interval",
        Value::U(b[2] as u64),
        o + 2..o + 3,
    );
    out.put(
        "ntp.precision",
        "Peer Clock Precision",
        Value::U(b[3] as u64),
        o + 3..o + 4,
    );
    out.put(
        "ntp.rootdelay",
        "Root Delay",
        Value::U(u32at(4) as u64),
        o + 4..o + 8,
    );
    out.put(
        "ntp.rootdispersion",
        "Root Dispersion",
        Value::U(u32at(8) as u64),
        o + 8..o + 12,
    );
    out.put(
        "ntp.refid",
        "Reference ID",
        Value::Bytes(&b[12..16]),
        o + 12..o + 16,
    );
    for (i, (name, label)) in [
        ("ntp.reftime", "Reference Timestamp"),
        ("ntp.org", "Origin Timestamp"),
        ("ntp.rec", "Receive Timestamp"),
        ("ntp.xmt", "Transmit Timestamp"),
    ]
    .into_iter()
    .enumerate()
    {
        let at = 16 + 8 * i;
        let mut buf = [0u8; 64];
        let n = write_ntp_time(&mut buf, u32at(at), u32at(at + 4));
        let s = std::str::from_utf8(&buf[..n]).unwrap_or("");
        out.put(name, label, Value::Str(s), o + at..o + at + 8);
    }
}

/// An NTP timestamp as tshark prints absolute times (`Apr 14, 2024
/// 00:28:34.500000000 UTC`), or `NULL` for zero. Returns the length.
fn write_ntp_time(buf: &mut [u8; 64], secs: u32, frac: u32) -> usize {
    let mut v = Vec::with_capacity(40);
    if secs == 0 && frac == 0 {
        v.extend_from_slice(b"NULL");
    } else {
        // RFC 4330 section 3: with the top bit clear the time is in era 1
        // (from 2036-02-07), as Wireshark reads it.
        let era = if secs & 0x8000_0000 == 0 {
            1i64 << 32
        } else {
            0
        };
        let unix = secs as i64 + era - NTP_UNIX_OFFSET;
        let nsec = ((frac as u64 * 1_000_000_000) >> 32) as u32;
        crate::dissect::field::write_date(&mut v, unix, nsec);
    }
    let n = v.len().min(buf.len());
    buf[..n].copy_from_slice(&v[..n]);
    n
}

pub fn info(pkt: &Packet<'_>, l: &Layer, w: &mut Vec<u8>) {
    let Some(&f) = pkt.bytes(l.extent()).first() else {
        return;
    };
    let _ = write!(w, "NTP Version {}, {}", (f >> 3) & 7, mode_name(f & 7));
}

/// Every field this file's decoders emit, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("ntp.flags", Uint, "Flags"),
        f("ntp.flags.li", Uint, "Leap Indicator"),
        f("ntp.flags.mode", Uint, "Mode"),
        f("ntp.flags.vn", Uint, "Version number"),
        f("ntp.org", AbsTime, "Origin Timestamp"),
        f("ntp.ppoll", Uint, "Peer Polling Interval"),
        f("ntp.precision", Uint, "Peer Clock Precision"),
        f("ntp.rec", AbsTime, "Receive Timestamp"),
        f("ntp.refid", Bytes, "Reference ID"),
        f("ntp.reftime", AbsTime, "Reference Timestamp"),
        f("ntp.rootdelay", Uint, "Root Delay"),
        f("ntp.rootdispersion", Uint, "Root Dispersion"),
        f("ntp.stratum", Uint, "Peer Clock Stratum"),
        f("ntp.xmt", AbsTime, "Transmit Timestamp"),
    ]
};

/// Network Time Protocol: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "ntp",
        name: "Network Time Protocol",
        display: "NTP",
        short: "NTP",
        tier: Tier::Application,
        reached: &[Reach::UdpPort(123)],
        dissect,
        fields,
        info: Some(info),
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ntp_time_format() {
        // Expected values: tshark 4.0.17 on the same timestamps.
        let mut b = [0u8; 64];
        let n = write_ntp_time(&mut b, 0xe9c5a100, 0x12345678);
        assert_eq!(&b[..n], b"Apr 14, 2024 00:25:36.071111110 UTC");
        let n = write_ntp_time(&mut b, 0, 0);
        assert_eq!(&b[..n], b"NULL");
    }
}
