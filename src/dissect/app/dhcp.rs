//! DHCP/BOOTP (RFC 951, 2131, 2132): the fixed BOOTP header, then the
//! options after the magic cookie, listed by name as Wireshark does.

use crate::dissect::{Cx, Field, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};
use std::io::Write as _;

/// Fixed header up to the end of `file`.
const FIXED: usize = 236;
const COOKIE: [u8; 4] = [99, 130, 83, 99];

/// True when the payload starts like a BOOTP message with the DHCP cookie.
pub fn looks_like(payload: &[u8]) -> bool {
    payload.len() >= FIXED + 4 && matches!(payload[0], 1 | 2) && payload[FIXED..FIXED + 4] == COOKIE
}

#[derive(Debug, PartialEq, Eq)]
enum Stop {
    Short,
    BadLength,
}

struct Null;
impl FieldSink for Null {
    fn field(&mut self, _f: &Field<'_>) {}
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let end = cx.limit.max(off);
    if !cx.push(Proto::Dhcp, off, end, end) {
        return Next::Done;
    }
    let b = cx.bytes(off..end);
    match walk(b, off, &mut Null) {
        Ok(_) => {}
        Err(Stop::Short) => cx.short(Proto::Dhcp, "DHCP message cut short"),
        Err(Stop::BadLength) => cx.malformed(Proto::Dhcp, "DHCP option length past the message"),
    }
    Next::Done
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    out.layer("dhcp", "Dynamic Host Configuration Protocol", l.extent());
    let _ = walk(pkt.bytes(l.extent()), l.start as usize, out);
}

fn msg_type_name(t: u8) -> Option<&'static str> {
    Some(match t {
        1 => "Discover",
        2 => "Offer",
        3 => "Request",
        4 => "Decline",
        5 => "ACK",
        6 => "NAK",
        7 => "Release",
        8 => "Inform",
        9 => "Force Renew",
        10 => "Lease query",
        11 => "Lease Unassigned",
        12 => "Lease Unknown",
        13 => "Lease Active",
        14 => "Bulk Lease Query",
        15 => "Lease Query Done",
        16 => "Active LeaseQuery",
        17 => "Lease Query Status",
        18 => "TLS",
        _ => return None,
    })
}

pub fn info(pkt: &Packet<'_>, l: &Layer, w: &mut Vec<u8>) {
    let b = pkt.bytes(l.extent());
    let Some(&op) = b.first() else {
        return;
    };
    let xid = b
        .get(4..8)
        .map(|x| u32::from_be_bytes([x[0], x[1], x[2], x[3]]));
    if let (Some(t), Some(xid)) = (option53(b), xid) {
        match msg_type_name(t) {
            Some(n) => {
                let _ = write!(w, "DHCP {n:<8} - Transaction ID 0x{xid:x}");
            }
            None => {
                let _ = write!(
                    w,
                    "DHCP Unknown Message Type (0x{t:02x}) - Transaction ID 0x{xid:x}"
                );
            }
        }
        return;
    }
    match op {
        1 => {
            w.extend_from_slice(b"Boot Request");
            if let Some(m) = b.get(28..34) {
                if b.get(1..3) == Some(&[1, 6]) {
                    w.extend_from_slice(b" from ");
                    let mac: [u8; 6] = m.try_into().unwrap_or_default();
                    // Wireshark: resolved name, then the address (same with -n).
                    Value::Mac(mac).write_to(w);
                    w.extend_from_slice(b" (");
                    Value::Mac(mac).write_to(w);
                    w.push(b')');
                }
            }
        }
        2 => w.extend_from_slice(b"Boot Reply"),
        _ => {
            let _ = write!(w, "Unknown BOOTP message type ({op})");
        }
    }
}

/// The DHCP message type (option 53), if the options carry one.
fn option53(b: &[u8]) -> Option<u8> {
    if b.get(FIXED..FIXED + 4)? != COOKIE {
        return None;
    }
    let mut p = FIXED + 4;
    while let Some(&t) = b.get(p) {
        match t {
            0 => p += 1,
            255 => return None,
            _ => {
                let l = *b.get(p + 1)? as usize;
                if t == 53 && l >= 1 {
                    return b.get(p + 2).copied();
                }
                p += 2 + l;
            }
        }
    }
    None
}

fn ipv4(b: &[u8], at: usize) -> Option<[u8; 4]> {
    b.get(at..at + 4).map(|x| [x[0], x[1], x[2], x[3]])
}

/// NUL-terminated text of a fixed field or option (tshark's FT_STRINGZ).
fn stringz(b: &[u8]) -> &str {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    std::str::from_utf8(&b[..end]).unwrap_or("")
}

fn walk(b: &[u8], o: usize, out: &mut dyn FieldSink) -> Result<(), Stop> {
    let r = |a: usize, n: usize| o + a..o + a + n;
    macro_rules! need {
        ($n:expr) => {
            if b.len() < $n {
                return Err(Stop::Short);
            }
        };
    }
    need!(1);
    out.put("dhcp.type", "Message type", Value::U(b[0] as u64), r(0, 1));
    need!(4);
    out.put(
        "dhcp.hw.type",
        "Hardware type",
        Value::Hex(b[1] as u64, 2),
        r(1, 1),
    );
    out.put(
        "dhcp.hw.len",
        "Hardware address length",
        Value::U(b[2] as u64),
        r(2, 1),
    );
    out.put("dhcp.hops", "Hops", Value::U(b[3] as u64), r(3, 1));
    need!(8);
    let xid = u32::from_be_bytes([b[4], b[5], b[6], b[7]]);
    out.put(
        "dhcp.id",
        "Transaction ID",
        Value::Hex(xid as u64, 8),
        r(4, 4),
    );
    need!(10);
    out.put(
        "dhcp.secs",
        "Seconds elapsed",
        Value::U(u16::from_be_bytes([b[8], b[9]]) as u64),
        r(8, 2),
    );
    need!(12);
    let flags = u16::from_be_bytes([b[10], b[11]]);
    out.put(
        "dhcp.flags",
        "Bootp flags",
        Value::Hex(flags as u64, 4),
        r(10, 2),
    );
    out.open("Bootp flags", r(10, 2));
    out.put(
        "dhcp.flags.bc",
        "Broadcast flag",
        Value::Bool(flags & 0x8000 != 0),
        r(10, 2),
    );
    out.put(
        "dhcp.flags.reserved",
        "Reserved flags",
        Value::Hex((flags & 0x7fff) as u64, 4),
        r(10, 2),
    );
    out.close();
    for (i, (f, l)) in [
        ("dhcp.ip.client", "Client IP address"),
        ("dhcp.ip.your", "Your (client) IP address"),
        ("dhcp.ip.server", "Next server IP address"),
        ("dhcp.ip.relay", "Relay agent IP address"),
    ]
    .into_iter()
    .enumerate()
    {
        let at = 12 + 4 * i;
        let a = ipv4(b, at).ok_or(Stop::Short)?;
        out.put(f, l, Value::Ipv4(a), r(at, 4));
    }
    need!(44);
    if b[1] == 1 && b[2] == 6 {
        let mac: [u8; 6] = b[28..34].try_into().unwrap_or_default();
        out.put(
            "dhcp.hw.mac_addr",
            "Client MAC address",
            Value::Mac(mac),
            r(28, 6),
        );
        out.put(
            "dhcp.hw.addr_padding",
            "Client hardware address padding",
            Value::Bytes(&b[34..44]),
            r(34, 10),
        );
    }
    need!(108);
    out.put(
        "dhcp.server",
        "Server host name",
        Value::Str(stringz(&b[44..108])),
        r(44, 64),
    );
    need!(FIXED);
    out.put(
        "dhcp.file",
        "Boot file name",
        Value::Str(stringz(&b[108..236])),
        r(108, 128),
    );
    // Wireshark reads the cookie unconditionally: a message ending at
    // `file` is cut short.
    let cookie = ipv4(b, FIXED).ok_or(Stop::Short)?;
    if cookie != COOKIE {
        return Ok(());
    }
    out.put(
        "dhcp.cookie",
        "Magic cookie",
        Value::Ipv4(cookie),
        r(FIXED, 4),
    );
    options(b, o, FIXED + 4, out)
}

fn options(b: &[u8], o: usize, mut p: usize, out: &mut dyn FieldSink) -> Result<(), Stop> {
    let r = |a: usize, n: usize| o + a..o + a + n;
    while let Some(&t) = b.get(p) {
        if t == 255 {
            out.open("Option: (255) End", r(p, 1));
            // tshark 4.0 reports the End option's type as 0.
            out.put("dhcp.option.type", "Option", Value::U(0), r(p, 1));
            out.put("dhcp.option.end", "Option End", Value::U(255), r(p, 1));
            out.close();
            let rest = &b[p + 1..];
            if !rest.is_empty() {
                out.put(
                    "dhcp.option.padding",
                    "Padding",
                    Value::Bytes(rest),
                    o + p + 1..o + b.len(),
                );
            }
            return Ok(());
        }
        if t == 0 {
            // Pad: a run of zero bytes shown as one padding item.
            let n = b[p..].iter().take_while(|&&c| c == 0).count();
            out.put("dhcp.option.type", "Option", Value::U(0), r(p, 1));
            out.put(
                "dhcp.option.padding",
                "Padding",
                Value::Bytes(&b[p..p + n]),
                r(p, n),
            );
            p += n;
            continue;
        }
        let Some(&len) = b.get(p + 1) else {
            return Err(Stop::Short);
        };
        let len = len as usize;
        let Some(v) = b.get(p + 2..p + 2 + len) else {
            return Err(Stop::BadLength);
        };
        out.open(option_name(t), r(p, 2 + len));
        out.put("dhcp.option.type", "Option", Value::U(t as u64), r(p, 1));
        out.put(
            "dhcp.option.length",
            "Length",
            Value::U(len as u64),
            r(p + 1, 1),
        );
        if len > 0 {
            out.put("dhcp.option.value", "Value", Value::Bytes(v), r(p + 2, len));
        }
        option_value(t, v, p + 2 + o, out);
        out.close();
        p += 2 + len;
    }
    Ok(())
}

/// The option's typed field(s), for the options users look at.
fn option_value(t: u8, v: &[u8], at: usize, out: &mut dyn FieldSink) {
    let addrs = |f: &'static str, l: &'static str, out: &mut dyn FieldSink| {
        for (i, c) in v.chunks_exact(4).enumerate() {
            out.put(
                f,
                l,
                Value::Ipv4([c[0], c[1], c[2], c[3]]),
                at + 4 * i..at + 4 * i + 4,
            );
        }
    };
    let u32v = || (v.len() == 4).then(|| u32::from_be_bytes([v[0], v[1], v[2], v[3]]) as u64);
    let s = |f: &'static str, l: &'static str, out: &mut dyn FieldSink| {
        out.put(f, l, Value::Str(stringz(v)), at..at + v.len());
    };
    match t {
        1 if v.len() == 4 => addrs("dhcp.option.subnet_mask", "Subnet Mask", out),
        3 => addrs("dhcp.option.router", "Router", out),
        4 => addrs("dhcp.option.time_server", "Time Server", out),
        5 => addrs("dhcp.option.name_server", "Name Server", out),
        6 => addrs("dhcp.option.domain_name_server", "Domain Name Server", out),
        12 => s("dhcp.option.hostname", "Host Name", out),
        15 => s("dhcp.option.domain_name", "Domain Name", out),
        28 if v.len() == 4 => addrs("dhcp.option.broadcast_address", "Broadcast Address", out),
        42 => addrs("dhcp.option.ntp_server", "NTP Server", out),
        50 if v.len() == 4 => addrs(
            "dhcp.option.requested_ip_address",
            "Requested IP Address",
            out,
        ),
        51 => {
            if let Some(x) = u32v() {
                out.put(
                    "dhcp.option.ip_address_lease_time",
                    "IP Address Lease Time",
                    Value::U(x),
                    at..at + 4,
                );
            }
        }
        53 if v.len() == 1 => out.put(
            "dhcp.option.dhcp",
            "DHCP",
            Value::U(v[0] as u64),
            at..at + 1,
        ),
        54 if v.len() == 4 => addrs("dhcp.option.dhcp_server_id", "DHCP Server Identifier", out),
        55 => {
            for (i, &x) in v.iter().enumerate() {
                out.put(
                    "dhcp.option.request_list_item",
                    "Parameter Request List Item",
                    Value::U(x as u64),
                    at + i..at + i + 1,
                );
            }
        }
        56 => s("dhcp.option.message", "Message", out),
        57 if v.len() == 2 => out.put(
            "dhcp.option.dhcp_max_message_size",
            "Maximum DHCP Message Size",
            Value::U(u16::from_be_bytes([v[0], v[1]]) as u64),
            at..at + 2,
        ),
        58 | 59 => {
            if let Some(x) = u32v() {
                let (f, l) = if t == 58 {
                    ("dhcp.option.renewal_time_value", "Renewal Time Value")
                } else {
                    ("dhcp.option.rebinding_time_value", "Rebinding Time Value")
                };
                out.put(f, l, Value::U(x), at..at + 4);
            }
        }
        61 if v.len() == 7 && v[0] == 1 => {
            out.put(
                "dhcp.hw.type",
                "Hardware type",
                Value::Hex(1, 2),
                at..at + 1,
            );
            let mac: [u8; 6] = v[1..7].try_into().unwrap_or_default();
            out.put(
                "dhcp.hw.mac_addr",
                "Client MAC address",
                Value::Mac(mac),
                at + 1..at + 7,
            );
        }
        66 => s("dhcp.option.tftp_server_name", "TFTP Server Name", out),
        67 => s("dhcp.option.bootfile_name", "Bootfile name", out),
        150 => addrs(
            "dhcp.option.tftp_server_address",
            "TFTP Server Address",
            out,
        ),
        _ => {}
    }
}

/// RFC 2132 names as Wireshark lists them in the detail view.
fn option_name(t: u8) -> &'static str {
    match t {
        1 => "Option: (1) Subnet Mask",
        2 => "Option: (2) Time Offset",
        3 => "Option: (3) Router",
        4 => "Option: (4) Time Server",
        5 => "Option: (5) Name Server",
        6 => "Option: (6) Domain Name Server",
        12 => "Option: (12) Host Name",
        15 => "Option: (15) Domain Name",
        26 => "Option: (26) Interface MTU",
        28 => "Option: (28) Broadcast Address",
        42 => "Option: (42) Network Time Protocol Servers",
        43 => "Option: (43) Vendor-Specific Information",
        50 => "Option: (50) Requested IP Address",
        51 => "Option: (51) IP Address Lease Time",
        52 => "Option: (52) Option Overload",
        53 => "Option: (53) DHCP Message Type",
        54 => "Option: (54) DHCP Server Identifier",
        55 => "Option: (55) Parameter Request List",
        56 => "Option: (56) Message",
        57 => "Option: (57) Maximum DHCP Message Size",
        58 => "Option: (58) Renewal Time Value",
        59 => "Option: (59) Rebinding Time Value",
        60 => "Option: (60) Vendor class identifier",
        61 => "Option: (61) Client identifier",
        66 => "Option: (66) TFTP Server Name",
        67 => "Option: (67) Bootfile name",
        77 => "Option: (77) User Class Information",
        81 => "Option: (81) Client Fully Qualified Domain Name",
        82 => "Option: (82) Agent Information Option",
        119 => "Option: (119) Domain Search",
        121 => "Option: (121) Classless Static Route",
        150 => "Option: (150) TFTP Server Address",
        _ => "Option",
    }
}

/// Every field this file's decoders emit, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("dhcp.cookie", Ipv4, "Magic cookie"),
        f("dhcp.file", Str, "Boot file name"),
        f("dhcp.flags", Uint, "Bootp flags"),
        f("dhcp.flags.bc", Bool, "Broadcast flag"),
        f("dhcp.flags.reserved", Uint, "Reserved flags"),
        f("dhcp.hops", Uint, "Hops"),
        f(
            "dhcp.hw.addr_padding",
            Bytes,
            "Client hardware address padding",
        ),
        f("dhcp.hw.len", Uint, "Hardware address length"),
        f("dhcp.hw.mac_addr", Mac, "Client MAC address"),
        f("dhcp.hw.type", Uint, "Hardware type"),
        f("dhcp.id", Uint, "Transaction ID"),
        f("dhcp.ip.client", Ipv4, "Client IP address"),
        f("dhcp.ip.relay", Ipv4, "Relay agent IP address"),
        f("dhcp.ip.server", Ipv4, "Next server IP address"),
        f("dhcp.ip.your", Ipv4, "Your (client) IP address"),
        f("dhcp.option.bootfile_name", Str, "Bootfile name"),
        f("dhcp.option.broadcast_address", Ipv4, "Broadcast Address"),
        f("dhcp.option.dhcp", Uint, "DHCP"),
        f(
            "dhcp.option.dhcp_max_message_size",
            Uint,
            "Maximum DHCP Message Size",
        ),
        f("dhcp.option.dhcp_server_id", Ipv4, "DHCP Server Identifier"),
        f("dhcp.option.domain_name", Str, "Domain Name"),
        f("dhcp.option.domain_name_server", Ipv4, "Domain Name Server"),
        f("dhcp.option.end", Uint, "Option End"),
        f("dhcp.option.hostname", Str, "Host Name"),
        f(
            "dhcp.option.ip_address_lease_time",
            Uint,
            "IP Address Lease Time",
        ),
        f("dhcp.option.length", Uint, "Length"),
        f("dhcp.option.message", Str, "Message"),
        f("dhcp.option.name_server", Ipv4, "Name Server"),
        f(
            "dhcp.option.ntp_server",
            Ipv4,
            "Network Time Protocol Server",
        ),
        f("dhcp.option.padding", Bytes, "Padding"),
        f(
            "dhcp.option.rebinding_time_value",
            Uint,
            "Rebinding Time Value",
        ),
        f("dhcp.option.renewal_time_value", Uint, "Renewal Time Value"),
        f(
            "dhcp.option.request_list_item",
            Uint,
            "Parameter Request List Item",
        ),
        f(
            "dhcp.option.requested_ip_address",
            Ipv4,
            "Requested IP Address",
        ),
        f("dhcp.option.router", Ipv4, "Router"),
        f("dhcp.option.subnet_mask", Ipv4, "Subnet Mask"),
        f(
            "dhcp.option.tftp_server_address",
            Ipv4,
            "TFTP Server Address",
        ),
        f("dhcp.option.tftp_server_name", Str, "TFTP Server Name"),
        f("dhcp.option.time_server", Ipv4, "Time Server"),
        f("dhcp.option.type", Uint, "Option"),
        f("dhcp.option.value", Bytes, "Value"),
        f("dhcp.secs", Uint, "Seconds elapsed"),
        f("dhcp.server", Str, "Server host name"),
        f("dhcp.type", Uint, "Message type"),
    ]
};

/// Dynamic Host Configuration Protocol: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "dhcp",
        name: "Dynamic Host Configuration Protocol",
        display: "DHCP",
        short: "DHCP",
        tier: Tier::Application,
        reached: &[Reach::UdpPort(67), Reach::UdpPort(68)],
        dissect,
        fields,
        info: Some(info),
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};
