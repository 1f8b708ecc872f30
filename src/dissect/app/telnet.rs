//! Telnet (RFC 854) with option negotiation (RFC 855).
//!
//! The stream mixes user data with IAC commands: `IAC WILL/WONT/DO/DONT opt`
//! negotiations, `IAC SB opt … IAC SE` sub-negotiations and one-byte
//! commands. Data runs are shown line by line, as tshark does.

use super::http::line_at;
use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Value};

const IAC: u8 = 255;
const SB: u8 = 250;

/// Content detection: a segment opening with an option negotiation.
pub fn looks_like(payload: &[u8]) -> bool {
    matches!(payload, [IAC, 251..=254, _, ..])
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let limit = cx.limit.max(off);
    cx.push(Proto::Telnet, off, limit, limit);
    Next::Done
}

pub fn command_name(c: u8) -> &'static str {
    match c {
        240 => "Suboption End",
        241 => "No Operation",
        242 => "Data Mark",
        243 => "Break",
        244 => "Interrupt Process",
        245 => "Abort Output",
        246 => "Are You There?",
        247 => "Escape Character",
        248 => "Erase Line",
        249 => "Go Ahead",
        250 => "Suboption",
        251 => "Will",
        252 => "Won't",
        253 => "Do",
        254 => "Don't",
        _ => "",
    }
}

/// Option names as Wireshark's telnet dissector shows them.
pub fn option_name(o: u8) -> &'static str {
    match o {
        0 => "Binary Transmission",
        1 => "Echo",
        2 => "Reconnection",
        3 => "Suppress Go Ahead",
        4 => "Approx Message Size Negotiation",
        5 => "Status",
        6 => "Timing Mark",
        7 => "Remote Controlled Trans and Echo",
        8 => "Output Line Width",
        9 => "Output Page Size",
        10 => "Output Carriage-Return Disposition",
        11 => "Output Horizontal Tab Stops",
        12 => "Output Horizontal Tab Disposition",
        13 => "Output Formfeed Disposition",
        14 => "Output Vertical Tabstops",
        15 => "Output Vertical Tab Disposition",
        16 => "Output Linefeed Disposition",
        17 => "Extended ASCII",
        18 => "Logout",
        19 => "Byte Macro",
        20 => "Data Entry Terminal",
        21 => "SUPDUP",
        22 => "SUPDUP Output",
        23 => "Send Location",
        24 => "Terminal Type",
        25 => "End of Record",
        26 => "TACACS User Identification",
        27 => "Output Marking",
        28 => "Terminal Location Number",
        29 => "Telnet 3270 Regime",
        30 => "X.3 PAD",
        31 => "Negotiate About Window Size",
        32 => "Terminal Speed",
        33 => "Remote Flow Control",
        34 => "Linemode",
        35 => "X Display Location",
        36 => "Environment Option",
        37 => "Authentication Option",
        38 => "Encryption Option",
        39 => "New Environment Option",
        40 => "TN3270E",
        44 => "Com Port Control Option",
        46 => "START_TLS",
        _ => "Unknown",
    }
}

/// One element of a Telnet stream.
enum Item {
    /// User data `start..end` (one line, with its line ending).
    Data(usize, usize),
    /// `IAC cmd` at `at` (two bytes).
    Cmd(usize, u8),
    /// `IAC cmd opt` negotiation, or the start of `IAC SB opt …`; `sub` is the
    /// sub-negotiation's parameter bytes.
    Opt(usize, u8, u8, std::ops::Range<usize>),
}

fn walk(b: &[u8], mut f: impl FnMut(Item)) {
    let mut i = 0;
    let mut data_start = 0;
    let flush = |f: &mut dyn FnMut(Item), s: usize, e: usize| {
        let mut at = s;
        while at < e {
            let Some(l) = line_at(&b[..e], at) else { break };
            // NVT: CR NUL is a bare carriage return; the NUL ends the line.
            let cr_nul = l.terminated && b[l.end] == b'\r' && l.next < e && b[l.next] == 0;
            let next = if cr_nul { l.next + 1 } else { l.next };
            f(Item::Data(l.start, next));
            at = next;
        }
    };
    while i < b.len() {
        if b[i] != IAC {
            i += 1;
            continue;
        }
        match b.get(i + 1) {
            // IAC IAC is a literal 255 in the data.
            Some(&IAC) => {
                i += 2;
                continue;
            }
            None => break,
            Some(_) => {}
        }
        flush(&mut f, data_start, i);
        let cmd = b[i + 1];
        match cmd {
            251..=254 => {
                let Some(&opt) = b.get(i + 2) else {
                    f(Item::Cmd(i, cmd));
                    i = b.len();
                    data_start = i;
                    break;
                };
                f(Item::Opt(i, cmd, opt, 0..0));
                i += 3;
            }
            SB => {
                let opt = b.get(i + 2).copied().unwrap_or(0);
                let ps = (i + 3).min(b.len());
                // Parameters run to the next IAC that is not IAC IAC (as
                // tshark: usually IAC SE), or the end of the segment.
                let mut j = ps;
                while j < b.len() && !(b[j] == IAC && b.get(j + 1) != Some(&IAC)) {
                    j += if b[j] == IAC { 2 } else { 1 };
                }
                let pe = j.min(b.len());
                f(Item::Opt(i, cmd, opt, ps..pe));
                i = pe;
            }
            _ => {
                f(Item::Cmd(i, cmd));
                i += 2;
            }
        }
        data_start = i;
    }
    flush(&mut f, data_start.min(b.len()), b.len());
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let b = pkt.bytes(l.extent());
    out.layer("telnet", "Telnet", l.extent());
    walk(b, |it| match it {
        Item::Data(s, e) => {
            // tshark shows the line as a C string: it stops at a NUL.
            let line = &b[s..e];
            let line = &line[..line.iter().position(|&c| c == 0).unwrap_or(line.len())];
            if let Ok(t) = std::str::from_utf8(line) {
                out.put("telnet.data", "Data", Value::Str(t), o + s..o + e);
            }
        }
        Item::Cmd(at, c) => {
            out.put_note(
                "telnet.cmd",
                "Command",
                Value::U(c as u64),
                o + at + 1..o + at + 2,
                command_name(c),
            );
        }
        Item::Opt(at, c, opt, sub) => {
            out.open(command_name(c), o + at..o + sub.end.max(at + 3));
            out.put_note(
                "telnet.cmd",
                "Command",
                Value::U(c as u64),
                o + at + 1..o + at + 2,
                command_name(c),
            );
            out.put_note(
                "telnet.subcmd",
                "Subcommand",
                Value::U(opt as u64),
                o + at + 2..o + at + 3,
                option_name(opt),
            );
            // TERMINAL-TYPE SEND (1) / IS (0): tshark shows the verb as a subcommand.
            if c == SB && opt == 24 {
                if let Some(&v) = b.get(sub.start).filter(|_| !sub.is_empty()) {
                    out.put(
                        "telnet.subcmd",
                        "Subcommand",
                        Value::U(v as u64),
                        o + sub.start..o + sub.start + 1,
                    );
                }
            }
            out.close();
        }
    });
}

pub fn info(_pkt: &Packet<'_>, _l: &Layer, w: &mut Vec<u8>) {
    w.extend_from_slice(b"Telnet Data ...");
}

/// Every field this file's decoders emit, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("telnet.cmd", Uint, "Command"),
        f("telnet.data", Str, "Data"),
        f("telnet.subcmd", Uint, "Subcommand"),
    ]
};

/// Telnet: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "telnet",
        name: "Telnet",
        display: "TELNET",
        short: "TELNET",
        tier: Tier::Application,
        reached: &[Reach::TcpPort(23)],
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
    use crate::dissect::link::testutil::{hex, run};
    use crate::dissect::linktype::ETHERNET;

    // Frames 6 and 14 of fixtures/live/telnet.pcap; values from tshark 4.0.17.
    #[test]
    fn negotiation_and_data() {
        let p = hex("fffd25fffd26fffa2601fff0fffb18fffb20fffc23fffb27fffc24");
        let f = tcp_frame(53780, 23, &p);
        let o = run(ETHERNET, &f, f.len());
        assert_eq!(o.get("telnet.cmd"), "253,253,250,240,251,251,252,251,252");
        assert_eq!(o.get("telnet.subcmd"), "37,38,38,24,32,35,39,36");
        assert_eq!(o.info, "Telnet Data ...");
        let p = hex("fffa2103fff000fffb01fffd00fffe22");
        let f = tcp_frame(23, 53780, &p);
        let o = run(ETHERNET, &f, f.len());
        assert_eq!(o.get("telnet.cmd"), "250,240,251,253,254");
        assert_eq!(o.get("telnet.subcmd"), "33,1,0,34");
        assert_eq!(o.get("telnet.data"), "");
        let f = tcp_frame(23, 53780, b"Debian GNU/Linux 12\r\0\r\n\r\0\r\nlab login: ");
        let o = run(ETHERNET, &f, f.len());
        assert_eq!(
            o.get("telnet.data"),
            "Debian GNU/Linux 12\r,\r\n,\r,\r\n,lab login: "
        );
    }
}
