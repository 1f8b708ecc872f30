//! Transmission Control Protocol (RFC 9293), with the options of RFC 7323
//! (window scale, timestamps), RFC 2018 (SACK), RFC 7413 (Fast Open) and
//! Accurate ECN, formatted as tshark 4.0 prints them.
//!
//! Relative sequence numbers, stream indices and the window scale come from
//! the flow stage ([`crate::flow`]) through `pkt.flow`; without it the raw
//! values are shown.

use crate::dissect::ip::{fragmented, quoted, reported_from};
use crate::dissect::put;
use crate::dissect::{Cx, FieldSink, Layer, Next, Packet, Proto, SinkExt, Src, Value};
use arrayvec::ArrayString;
use std::fmt::Write as _;
use std::io::Write as _;

pub const MIN_HEADER: usize = 20;

pub const FIN: u16 = 0x001;
pub const SYN: u16 = 0x002;
pub const RST: u16 = 0x004;
pub const PSH: u16 = 0x008;
pub const ACK: u16 = 0x010;
pub const URG: u16 = 0x020;
pub const ECE: u16 = 0x040;
pub const CWR: u16 = 0x080;
pub const AE: u16 = 0x100;
pub const RES: u16 = 0xe00;

/// Option kinds layerscope names.
pub mod kind {
    pub const EOL: u8 = 0;
    pub const NOP: u8 = 1;
    pub const MSS: u8 = 2;
    pub const WSCALE: u8 = 3;
    pub const SACK_PERM: u8 = 4;
    pub const SACK: u8 = 5;
    pub const TIMESTAMP: u8 = 8;
    pub const MD5: u8 = 19;
    pub const USER_TO: u8 = 28;
    pub const MPTCP: u8 = 30;
    pub const TFO: u8 = 34;
    pub const ACC_ECN_0: u8 = 172;
    pub const ACC_ECN_1: u8 = 174;
    pub const EXP1: u8 = 253;
    pub const EXP2: u8 = 254;
}

/// Experiment identifiers (RFC 6994) tshark decodes.
const EXID_TFO: u16 = 0xf989;
const EXID_ACC_ECN_0: u16 = 0xacc0;
const EXID_ACC_ECN_1: u16 = 0xacc1;

use crate::dissect::bytes::{be16_or0 as be16, be32_or0 as be32};

fn be24(b: &[u8], at: usize) -> u32 {
    match b.get(at..at + 3) {
        Some(x) => u32::from_be_bytes([0, x[0], x[1], x[2]]),
        None => 0,
    }
}

/// Read-only view of a fixed TCP header; `new` refuses fewer than 20 bytes,
/// so every accessor is in bounds.
#[derive(Clone, Copy)]
pub struct TcpHeader<'a>(&'a [u8]);

/// Bytes through the window field: what tshark reads of a header cut short
/// before it looks the conversation up.
pub const THROUGH_WINDOW: usize = 16;

impl<'a> TcpHeader<'a> {
    pub fn new(b: &'a [u8]) -> Option<Self> {
        (b.len() >= MIN_HEADER).then_some(TcpHeader(b))
    }
    /// A view of a header that may be cut short after its window field (16
    /// bytes or more): ports, numbers, flags and window read as sent, a
    /// missing checksum or urgent pointer reads 0, and there are no options.
    pub fn new_through_window(b: &'a [u8]) -> Option<Self> {
        (b.len() >= THROUGH_WINDOW).then_some(TcpHeader(b))
    }
    pub fn src_port(&self) -> u16 {
        be16(self.0, 0)
    }
    pub fn dst_port(&self) -> u16 {
        be16(self.0, 2)
    }
    pub fn seq(&self) -> u32 {
        be32(self.0, 4)
    }
    pub fn ack(&self) -> u32 {
        be32(self.0, 8)
    }
    /// Header length in bytes (data offset × 4); may be below 20 on bogus input.
    pub fn header_len(&self) -> usize {
        (self.0[12] >> 4) as usize * 4
    }
    /// The 12 flag bits (3 reserved, AE, CWR, ECE, URG, ACK, PSH, RST, SYN, FIN).
    pub fn flags(&self) -> u16 {
        be16(self.0, 12) & 0x0fff
    }
    pub fn window(&self) -> u16 {
        be16(self.0, 14)
    }
    pub fn checksum(&self) -> u16 {
        be16(self.0, 16)
    }
    pub fn urgent(&self) -> u16 {
        be16(self.0, 18)
    }
    /// Option bytes present in the slice (clipped when the header is cut short).
    pub fn options(&self) -> &'a [u8] {
        let end = self.header_len().min(self.0.len());
        self.0.get(MIN_HEADER..end).unwrap_or(&[])
    }
}

/// One option: its kind and where it sits within the options area.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Opt {
    pub kind: u8,
    /// Offset of the kind byte within the options area.
    pub at: usize,
    /// Whole length, kind and length bytes included.
    pub len: usize,
}

/// Walks TCP options; stops at the first option whose length is missing,
/// below 2, or runs past the options area, and records why in `bad`.
pub struct Opts<'a> {
    b: &'a [u8],
    pos: usize,
    pub bad: Option<&'static str>,
}

pub fn options(b: &[u8]) -> Opts<'_> {
    Opts {
        b,
        pos: 0,
        bad: None,
    }
}

impl Iterator for Opts<'_> {
    type Item = Opt;
    fn next(&mut self) -> Option<Opt> {
        let at = self.pos;
        let k = *self.b.get(at)?;
        if k == kind::EOL || k == kind::NOP {
            self.pos = at + 1;
            return Some(Opt {
                kind: k,
                at,
                len: 1,
            });
        }
        let Some(&len) = self.b.get(at + 1) else {
            self.bad = Some("TCP option length missing");
            self.pos = self.b.len();
            return None;
        };
        let len = len as usize;
        if len < 2 {
            self.bad = Some("TCP option length too short");
        } else if at + len > self.b.len() {
            self.bad = Some("TCP option goes past end of header");
        } else {
            self.pos = at + len;
            return Some(Opt { kind: k, at, len });
        }
        self.pos = self.b.len();
        None
    }
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    let b = cx.rest(off);
    let Some(h) = TcpHeader::new(b) else {
        // Keep the ports when they are there: they name the socket pair.
        if b.len() >= 4 {
            cx.push(Proto::Tcp, off, off + b.len(), cx.limit);
        }
        cx.short(Proto::Tcp, "TCP header cut short");
        return Next::Done;
    };
    let hlen = h.header_len();
    if hlen < MIN_HEADER {
        cx.push(Proto::Tcp, off, off + MIN_HEADER, cx.limit);
        cx.malformed(Proto::Tcp, "bogus TCP header length (must be at least 20)");
        return Next::Done;
    }
    if hlen > b.len() {
        cx.push(Proto::Tcp, off, off + b.len(), cx.limit);
        cx.short(Proto::Tcp, "TCP header (options) cut short");
        return Next::Done;
    }
    let end = off + hlen;
    if !cx.push(Proto::Tcp, off, end, cx.limit) {
        return Next::Done;
    }
    let mut it = options(h.options());
    for _ in it.by_ref() {}
    if let Some(msg) = it.bad {
        cx.malformed(Proto::Tcp, msg);
        return Next::Done;
    }
    // tshark reads a RST's payload as a text reason, not as data.
    if end < cx.limit && h.flags() & RST == 0 {
        Next::App(end)
    } else {
        Next::Done
    }
}

/// Index of `l` in the packet's layer list.
fn index_of(pkt: &Packet<'_>, l: &Layer) -> usize {
    pkt.layers
        .iter()
        .position(|x| x == l)
        .unwrap_or(pkt.layers.len())
}

/// Bytes from the start of layer `idx` to the end of the enclosing IP
/// datagram as its length field says (tshark's "reported length"), so a
/// snap-length-truncated capture still yields the real segment length.
/// None for fragments: their transport length is unknown.
pub fn reported_len(pkt: &Packet<'_>, idx: usize) -> Option<usize> {
    let l = pkt.layers.get(idx)?;
    let own = (l.limit.max(l.end) - l.start) as usize;
    reported_from(pkt, idx, l.start as usize)
        .or(Some(own))
        .filter(|_| !fragmented(pkt, idx))
}

/// TCP payload length as tshark computes it (`tcp.len`): the IP-reported
/// length minus the header length. None when tshark leaves it out
/// (fragments, ICMP quotes, header longer than the segment).
pub fn seg_len(pkt: &Packet<'_>, idx: usize) -> Option<u32> {
    let l = pkt.layers.get(idx)?;
    match pkt.flow.tcp_len {
        Some((i, start, n)) if i as usize == idx && start == l.start && l.src == Src::Frame => {
            return n;
        }
        _ => {}
    }
    if quoted(pkt, idx) {
        return None;
    }
    let b = pkt.bytes(l.header());
    let hlen = (*b.get(12)? >> 4) as usize * 4;
    let n = reported_len(pkt, idx)?.checked_sub(hlen)?;
    u32::try_from(n).ok()
}

/// Shift count of the first window-scale option, if any.
pub fn wscale_option(opts: &[u8]) -> Option<u8> {
    options(opts)
        .find(|o| o.kind == kind::WSCALE && o.len == 3)
        .and_then(|o| opts.get(o.at + 2).copied())
}

/// The ACE counter (AE, CWR, ECE read as a 3-bit number).
fn ace_value(flags: u16) -> u16 {
    (flags >> 6) & 7
}

/// The flag list of the nine named bits, built once per combination: every
/// row's Info column has one.
fn flag_names(flags: u16) -> &'static put::Short<48> {
    static NAMES: std::sync::OnceLock<Vec<put::Short<48>>> = std::sync::OnceLock::new();
    let names = NAMES.get_or_init(|| {
        (0u16..512)
            .map(|f| {
                let mut s = String::new();
                write_flag_names(&mut s, f, false);
                // At most nine names of three letters and their commas.
                put::Short::new(s.as_bytes()).expect("flag names fit 48 bytes")
            })
            .collect()
    });
    &names[(flags & 0x1ff) as usize]
}

/// tshark's flag list: `SYN, ACK`, `ACK, ACE=2`, `<None>`.
fn write_flag_names(w: &mut impl std::fmt::Write, flags: u16, ace: bool) {
    const NAMES: [&str; 9] = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "AE"];
    let mut first = true;
    let mut sep = |w: &mut dyn std::fmt::Write| {
        if !first {
            let _ = w.write_str(", ");
        }
        first = false;
    };
    let n = if ace { 6 } else { 9 };
    for (i, name) in NAMES.iter().enumerate().take(n) {
        if flags & (1 << i) != 0 {
            sep(w);
            let _ = w.write_str(name);
        }
    }
    if ace {
        sep(w);
        let _ = write!(w, "ACE={}", ace_value(flags));
    }
    if flags & RES != 0 {
        sep(w);
        let _ = w.write_str("Reserved");
    }
    if first {
        let _ = w.write_str("<None>");
    }
}

/// tshark's `tcp.flags.str`: one letter per set bit, a middle dot otherwise.
fn write_flag_letters(w: &mut impl std::fmt::Write, flags: u16, ace: bool) {
    const LETTERS: &[u8; 12] = b"RRRACEUAPRSF";
    for (i, &c) in LETTERS.iter().enumerate() {
        if ace && (3..6).contains(&i) {
            if i == 3 {
                let _ = write!(w, "-{}-", ace_value(flags));
            }
            continue;
        }
        if flags >> (11 - i) & 1 != 0 {
            let _ = w.write_char(c as char);
        } else {
            let _ = w.write_char('\u{b7}');
        }
    }
}

/// Header facts shared by `fields` and `info`.
struct View<'a> {
    h: TcpHeader<'a>,
    o: usize,
    seq: u32,
    ack: u32,
    flags: u16,
    ace: bool,
    seglen: Option<u32>,
    win: u32,
    quoted: bool,
    /// Base of the peer's sequence space, for relative SACK edges.
    peer_base: u32,
}

fn view<'a>(pkt: &Packet<'a>, l: &Layer) -> Option<View<'a>> {
    let h = TcpHeader::new(pkt.bytes(l.header()))?;
    let idx = index_of(pkt, l);
    let quoted = quoted(pkt, idx);
    let seglen = seg_len(pkt, idx);
    let flags = h.flags();
    let (seq, ack) = if seglen.is_some() {
        let seq = pkt.flow.rel_seq.unwrap_or(h.seq());
        let ack = match pkt.flow.rel_ack {
            Some(a) if flags & ACK != 0 => a,
            _ => h.ack(),
        };
        (seq, ack)
    } else {
        (h.seq(), h.ack())
    };
    let peer_base = match pkt.flow.rel_ack {
        Some(a) if flags & ACK != 0 && seglen.is_some() => h.ack().wrapping_sub(a),
        _ => 0,
    };
    let mut win = h.window() as u32;
    // SYNs are never scaled; nor is anything tshark cannot size.
    if flags & SYN == 0 && seglen.is_some() {
        if let Some(s @ 0..=14) = pkt.flow.win_scale {
            win <<= s;
        }
    }
    let ace = pkt.flow.ace && flags & SYN == 0;
    Some(View {
        h,
        o: l.start as usize,
        seq,
        ack,
        flags,
        ace,
        seglen,
        win,
        quoted,
        peer_base,
    })
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    let o = l.start as usize;
    let b = pkt.bytes(l.header());
    let Some((sport, dport)) = super::ports(b) else {
        return;
    };
    let v = view(pkt, l);
    let mut title = ArrayString::<128>::new();
    if out.tree() {
        let _ = write!(
            title,
            "Transmission Control Protocol, Src Port: {sport}, Dst Port: {dport}"
        );
    }
    if let (Some(v), true) = (&v, out.tree()) {
        let _ = write!(title, ", Seq: {}", v.seq);
        if v.flags & ACK != 0 && v.h.header_len() >= MIN_HEADER {
            let _ = write!(title, ", Ack: {}", v.ack);
        }
        if let Some(n) = v.seglen {
            let _ = write!(title, ", Len: {n}");
        }
    }
    out.layer("tcp", &title, l.header());
    out.put(
        "tcp.srcport",
        "Source Port",
        Value::U(sport as u64),
        o..o + 2,
    );
    out.put(
        "tcp.dstport",
        "Destination Port",
        Value::U(dport as u64),
        o + 2..o + 4,
    );
    out.put(
        "tcp.port",
        "Source or Destination Port",
        Value::U(sport as u64),
        o..o + 2,
    );
    out.put(
        "tcp.port",
        "Source or Destination Port",
        Value::U(dport as u64),
        o + 2..o + 4,
    );
    if b.len() >= 8 && quoted(pkt, index_of(pkt, l)) {
        // tshark shows the quoted sequence number at once (an ICMP quote is
        // often only 8 bytes long).
        out.put(
            "tcp.seq",
            "Sequence Number",
            Value::U(be32(b, 4) as u64),
            o + 4..o + 8,
        );
    }
    let Some(v) = v else { return };
    if let Some(s) = pkt.flow.stream_at(index_of(pkt, l)) {
        out.put("tcp.stream", "Stream index", Value::U(s as u64), o..o);
    }
    if pkt.flow.retransmission || pkt.flow.lost_segment {
        out.open("SEQ/ACK analysis", o..o);
        out.put(
            "tcp.analysis.flags",
            "TCP Analysis Flags",
            Value::Bool(true),
            o..o,
        );
        if pkt.flow.retransmission {
            out.put_note(
                "tcp.analysis.retransmission",
                "This frame is a (suspected) retransmission",
                Value::Bool(true),
                o..o,
                "expert: note",
            );
        }
        if pkt.flow.lost_segment {
            out.put_note(
                "tcp.analysis.lost_segment",
                "Previous segment(s) not captured",
                Value::Bool(true),
                o..o,
                "common at capture start",
            );
        }
        out.close();
    }
    if let Some(n) = v.seglen {
        out.put(
            "tcp.len",
            "TCP Segment Len",
            Value::U(n as u64),
            o + 12..o + 13,
        );
    }
    if !v.quoted {
        out.put(
            "tcp.seq",
            "Sequence Number",
            Value::U(v.seq as u64),
            o + 4..o + 8,
        );
        out.put(
            "tcp.seq_raw",
            "Sequence Number (raw)",
            Value::U(v.h.seq() as u64),
            o + 4..o + 8,
        );
    }
    let hlen = v.h.header_len();
    if hlen < MIN_HEADER {
        out.put(
            "tcp.hdr_len",
            "Header Length",
            Value::U(hlen as u64),
            o + 12..o + 13,
        );
        return;
    }
    let f = v.flags;
    if let Some(n) = v.seglen {
        let extra = u32::from(f & (SYN | FIN) != 0);
        let nxt = v.seq.wrapping_add(n).wrapping_add(extra);
        out.put(
            "tcp.nxtseq",
            "Next Sequence Number",
            Value::U(nxt as u64),
            o..o,
        );
    }
    out.put(
        "tcp.ack",
        "Acknowledgment Number",
        Value::U(v.ack as u64),
        o + 8..o + 12,
    );
    out.put(
        "tcp.ack_raw",
        "Acknowledgment number (raw)",
        Value::U(v.h.ack() as u64),
        o + 8..o + 12,
    );
    out.put(
        "tcp.hdr_len",
        "Header Length",
        Value::U(hlen as u64),
        o + 12..o + 13,
    );
    let fr = o + 12..o + 14;
    let mut names = ArrayString::<96>::new();
    if out.tree() {
        write_flag_names(&mut names, f, v.ace);
    }
    out.put_note(
        "tcp.flags",
        "Flags",
        Value::Hex(f as u64, 4),
        fr.clone(),
        &names,
    );
    out.open("Flags", fr.clone());
    let hi = o + 12..o + 13;
    let lo = o + 13..o + 14;
    let bit = |m: u16| Value::Bool(f & m != 0);
    out.put("tcp.flags.res", "Reserved", bit(RES), hi.clone());
    if v.ace {
        out.put(
            "tcp.flags.ace",
            "ACE",
            Value::U(ace_value(f) as u64),
            fr.clone(),
        );
    } else {
        out.put("tcp.flags.ae", "Accurate ECN", bit(AE), hi);
        out.put(
            "tcp.flags.cwr",
            "Congestion Window Reduced",
            bit(CWR),
            lo.clone(),
        );
        out.put("tcp.flags.ece", "ECN-Echo", bit(ECE), lo.clone());
    }
    out.put("tcp.flags.urg", "Urgent", bit(URG), lo.clone());
    out.put("tcp.flags.ack", "Acknowledgment", bit(ACK), lo.clone());
    out.put("tcp.flags.push", "Push", bit(PSH), lo.clone());
    out.put("tcp.flags.reset", "Reset", bit(RST), lo.clone());
    out.put("tcp.flags.syn", "Syn", bit(SYN), lo.clone());
    out.put("tcp.flags.fin", "Fin", bit(FIN), lo);
    let mut letters = ArrayString::<48>::new();
    write_flag_letters(&mut letters, f, v.ace);
    out.put("tcp.flags.str", "TCP Flags", Value::Str(&letters), fr);
    out.close();
    let wr = o + 14..o + 16;
    out.put(
        "tcp.window_size_value",
        "Window",
        Value::U(v.h.window() as u64),
        wr.clone(),
    );
    out.put(
        "tcp.window_size",
        "Calculated window size",
        Value::U(v.win as u64),
        wr.clone(),
    );
    if f & SYN == 0 {
        if let Some(s) = pkt.flow.win_scale {
            let factor = if (0..=14).contains(&s) {
                1i64 << s
            } else {
                s as i64
            };
            out.put(
                "tcp.window_size_scalefactor",
                "Window size scaling factor",
                Value::I(factor),
                wr,
            );
        }
    }
    out.put(
        "tcp.checksum",
        "Checksum",
        Value::Hex(v.h.checksum() as u64, 4),
        o + 16..o + 18,
    );
    out.put_note(
        "tcp.checksum.status",
        "Checksum Status",
        Value::U(2),
        o..o,
        "Unverified",
    );
    out.put(
        "tcp.urgent_pointer",
        "Urgent Pointer",
        Value::U(v.h.urgent() as u64),
        o + 18..o + 20,
    );
    let opts = v.h.options();
    if !opts.is_empty() {
        let r = o + MIN_HEADER..o + MIN_HEADER + opts.len();
        out.put("tcp.options", "TCP Options", Value::Bytes(opts), r.clone());
        out.open("Options", r);
        for opt in options(opts) {
            option_fields(&v, opts, opt, out);
        }
        out.close();
    }
    let p = l.payload();
    if !p.is_empty() {
        let bytes = pkt.bytes(p.clone());
        if f & RST != 0 {
            // Some stacks (BIG-IP, …) explain a reset in its payload.
            let text = String::from_utf8_lossy(bytes);
            out.put("tcp.reset_cause", "Reset cause", Value::Str(&text), p);
        } else {
            out.put("tcp.payload", "TCP payload", Value::Bytes(bytes), p);
        }
    }
}

fn option_fields(v: &View<'_>, opts: &[u8], opt: Opt, out: &mut dyn FieldSink) {
    let base = v.o + MIN_HEADER + opt.at;
    let whole = opts.get(opt.at..opt.at + opt.len).unwrap_or(&[]);
    let body = whole.get(2..).unwrap_or(&[]);
    let r = base..base + opt.len;
    let (name, label) = match opt.kind {
        kind::EOL => ("tcp.options.eol", "TCP Option - End of Option List (EOL)"),
        kind::NOP => ("tcp.options.nop", "TCP Option - No-Operation (NOP)"),
        kind::MSS => ("tcp.options.mss", "TCP Option - Maximum segment size"),
        kind::WSCALE => ("tcp.options.wscale", "TCP Option - Window scale"),
        kind::SACK_PERM => ("tcp.options.sack_perm", "TCP Option - SACK permitted"),
        kind::SACK => ("tcp.options.sack", "TCP Option - SACK"),
        kind::TIMESTAMP => ("tcp.options.timestamp", "TCP Option - Timestamps"),
        kind::MD5 => ("tcp.options.md5", "TCP Option - TCP MD5 signature"),
        kind::USER_TO => ("tcp.options.user_to", "TCP Option - User Timeout"),
        kind::MPTCP => ("mptcp", "Multipath Transmission Control Protocol"),
        kind::TFO => ("tcp.options.tfo", "TCP Option - TCP Fast Open"),
        kind::ACC_ECN_0 | kind::ACC_ECN_1 => ("tcp.options.acc_ecn", "TCP Option - Accurate ECN"),
        kind::EXP1 | kind::EXP2 => ("tcp.options.experimental", "TCP Option - Experimental"),
        _ => ("tcp.options.unknown", "TCP Option - Unknown"),
    };
    if opt.kind == kind::MPTCP {
        // A protocol item: tshark prints its label with the subtype.
        let sub = match body.first().map(|b| b >> 4) {
            Some(0) => "Multipath Transmission Control Protocol: Multipath Capable",
            Some(1) => "Multipath Transmission Control Protocol: Join Connection",
            Some(2) => "Multipath Transmission Control Protocol: Data Sequence Signal",
            Some(3) => "Multipath Transmission Control Protocol: Add Address",
            Some(4) => "Multipath Transmission Control Protocol: Remove Address",
            Some(5) => "Multipath Transmission Control Protocol: Change Subflow Priority",
            Some(6) => "Multipath Transmission Control Protocol: Fallback",
            Some(7) => "Multipath Transmission Control Protocol: Fast Close",
            Some(8) => "Multipath Transmission Control Protocol: TCP Reset",
            _ => "Multipath Transmission Control Protocol: Unknown",
        };
        out.put(name, label, Value::Str(sub), r.clone());
    } else {
        out.put(name, label, Value::Bytes(whole), r.clone());
    }
    out.open(label, r);
    out.put(
        "tcp.option_kind",
        "Kind",
        Value::U(opt.kind as u64),
        base..base + 1,
    );
    if opt.len == 1 {
        out.close();
        return;
    }
    out.put(
        "tcp.option_len",
        "Length",
        Value::U(opt.len as u64),
        base + 1..base + 2,
    );
    let b = base + 2;
    match (opt.kind, opt.len) {
        (kind::MSS, 4) => out.put(
            "tcp.options.mss_val",
            "MSS Value",
            Value::U(be16(body, 0) as u64),
            b..b + 2,
        ),
        (kind::WSCALE, 3) => {
            let shift = body.first().copied().unwrap_or(0);
            out.put(
                "tcp.options.wscale.shift",
                "Shift count",
                Value::U(shift as u64),
                b..b + 1,
            );
            let mult = 1u64 << shift.min(14);
            out.put(
                "tcp.options.wscale.multiplier",
                "Multiplier",
                Value::U(mult),
                b..b + 1,
            );
        }
        (kind::SACK, _) => {
            let mut n = 0u64;
            for (i, blk) in body.chunks_exact(8).enumerate() {
                let at = b + i * 8;
                let le = be32(blk, 0).wrapping_sub(v.peer_base);
                let re = be32(blk, 4).wrapping_sub(v.peer_base);
                out.put(
                    "tcp.options.sack_le",
                    "TCP SACK Left Edge",
                    Value::U(le as u64),
                    at..at + 4,
                );
                out.put(
                    "tcp.options.sack_re",
                    "TCP SACK Right Edge",
                    Value::U(re as u64),
                    at + 4..at + 8,
                );
                n += 1;
            }
            out.put(
                "tcp.options.sack.count",
                "TCP SACK Count",
                Value::U(n),
                base..base,
            );
        }
        (kind::TIMESTAMP, 10) => {
            out.put(
                "tcp.options.timestamp.tsval",
                "Timestamp value",
                Value::U(be32(body, 0) as u64),
                b..b + 4,
            );
            let ecr = Value::U(be32(body, 4) as u64);
            out.put(
                "tcp.options.timestamp.tsecr",
                "Timestamp echo reply",
                ecr,
                b + 4..b + 8,
            );
        }
        (kind::MD5, 18) => out.put(
            "tcp.options.md5.digest",
            "MD5 digest",
            Value::Bytes(body),
            b..b + 16,
        ),
        (kind::USER_TO, 4) => {
            let t = be16(body, 0);
            out.put(
                "tcp.options.user_to_granularity",
                "Granularity",
                Value::Bool(t & 0x8000 != 0),
                b..b + 2,
            );
            out.put(
                "tcp.options.user_to_val",
                "User Timeout",
                Value::U((t & 0x7fff) as u64),
                b..b + 2,
            );
        }
        (kind::MPTCP, _) => {
            if let Some(&st) = body.first() {
                out.put(
                    "tcp.options.mptcp.subtype",
                    "Multipath TCP subtype",
                    Value::U((st >> 4) as u64),
                    b..b + 1,
                );
            }
        }
        (kind::TFO, _) => tfo_fields(body, b, out),
        (kind::ACC_ECN_0, _) => acc_ecn_fields(body, b, false, out),
        (kind::ACC_ECN_1, _) => acc_ecn_fields(body, b, true, out),
        (kind::EXP1 | kind::EXP2, 4..) => {
            let exid = be16(body, 0);
            out.put(
                "tcp.options.experimental.exid",
                "Experiment Identifier",
                Value::Hex(exid as u64, 4),
                b..b + 2,
            );
            let rest = body.get(2..).unwrap_or(&[]);
            match exid {
                EXID_TFO => tfo_fields(rest, b + 2, out),
                EXID_ACC_ECN_0 => acc_ecn_fields(rest, b + 2, false, out),
                EXID_ACC_ECN_1 => acc_ecn_fields(rest, b + 2, true, out),
                _ if !rest.is_empty() => {
                    let r = b + 2..b + 2 + rest.len();
                    out.put(
                        "tcp.options.experimental.data",
                        "Data",
                        Value::Bytes(rest),
                        r,
                    );
                }
                _ => {}
            }
        }
        (kind::EXP1 | kind::EXP2, _) => {}
        _ if name == "tcp.options.unknown" && !body.is_empty() => {
            out.put(
                "tcp.options.unknown.payload",
                "Payload",
                Value::Bytes(body),
                b..b + body.len(),
            );
        }
        _ => {}
    }
    out.close();
}

fn tfo_fields(cookie: &[u8], at: usize, out: &mut dyn FieldSink) {
    if cookie.is_empty() {
        out.put(
            "tcp.options.tfo.request",
            "Fast Open Cookie Request",
            // A field with no value: tshark's -T fields prints 1.
            Value::Bool(true),
            at..at,
        );
    } else {
        out.put(
            "tcp.options.tfo.cookie",
            "Fast Open Cookie",
            Value::Bytes(cookie),
            at..at + cookie.len(),
        );
    }
}

/// The three 24-bit byte counters; order 1 (kind 174 / ExID 0xacc1) lists ECT(1) first.
type Counter = (&'static str, &'static str, &'static [u8]);

fn acc_ecn_counters(order1: bool) -> [Counter; 3] {
    let e0 = (
        "tcp.options.acc_ecn.ee0b",
        "Accurate ECN Echo ECT(0) Byte Counter",
        &b"EE0B"[..],
    );
    let ce = (
        "tcp.options.acc_ecn.eceb",
        "Accurate ECN Echo CE Byte Counter",
        &b"ECEB"[..],
    );
    let e1 = (
        "tcp.options.acc_ecn.ee1b",
        "Accurate ECN Echo ECT(1) Byte Counter",
        &b"EE1B"[..],
    );
    if order1 {
        [e1, ce, e0]
    } else {
        [e0, ce, e1]
    }
}

fn acc_ecn_fields(body: &[u8], at: usize, order1: bool, out: &mut dyn FieldSink) {
    for (i, (name, label, _)) in acc_ecn_counters(order1).into_iter().enumerate() {
        if body.len() < i * 3 + 3 {
            break;
        }
        let s = at + i * 3;
        out.put(name, label, Value::U(be24(body, i * 3) as u64), s..s + 3);
    }
}

/// ` label=v`. Inlined so the constant label is copied in place (a call to
/// memcpy per label cost more than the rest of the Info column).
#[inline(always)]
fn push_u(w: &mut Vec<u8>, label: &[u8], v: u64) {
    w.push(b' ');
    w.extend_from_slice(label);
    w.push(b'=');
    put::dec(w, v);
}

fn acc_ecn_info(w: &mut Vec<u8>, body: &[u8], order1: bool) {
    for (i, (_, _, short)) in acc_ecn_counters(order1).into_iter().enumerate() {
        if body.len() < i * 3 + 3 {
            break;
        }
        push_u(w, short, be24(body, i * 3) as u64);
    }
}

fn option_info(v: &View<'_>, opts: &[u8], opt: Opt, w: &mut Vec<u8>) {
    let body = opts.get(opt.at + 2..opt.at + opt.len).unwrap_or(&[]);
    match (opt.kind, opt.len) {
        (kind::MSS, 4) => push_u(w, b"MSS", be16(body, 0) as u64),
        (kind::WSCALE, 3) => {
            let shift = body.first().copied().unwrap_or(0);
            push_u(w, b"WS", 1u64 << shift.min(14));
        }
        (kind::SACK_PERM, 2) => w.extend_from_slice(b" SACK_PERM"),
        (kind::SACK, _) => {
            for blk in body.chunks_exact(8) {
                push_u(w, b"SLE", be32(blk, 0).wrapping_sub(v.peer_base) as u64);
                push_u(w, b"SRE", be32(blk, 4).wrapping_sub(v.peer_base) as u64);
            }
        }
        (kind::TIMESTAMP, 10) => {
            push_u(w, b"TSval", be32(body, 0) as u64);
            push_u(w, b"TSecr", be32(body, 4) as u64);
        }
        (kind::MD5, 18) => w.extend_from_slice(b" MD5"),
        (kind::USER_TO, 4) => push_u(w, b"USER_TO", (be16(body, 0) & 0x7fff) as u64),
        (kind::TFO, _) => w.extend_from_slice(if body.is_empty() {
            b" TFO=R"
        } else {
            b" TFO=C"
        }),
        (kind::ACC_ECN_0, _) => acc_ecn_info(w, body, false),
        (kind::ACC_ECN_1, _) => acc_ecn_info(w, body, true),
        (kind::EXP1 | kind::EXP2, 4..) => {
            let rest = body.get(2..).unwrap_or(&[]);
            match be16(body, 0) {
                EXID_TFO => w.extend_from_slice(if rest.is_empty() {
                    b" TFO=R"
                } else {
                    b" TFO=C"
                }),
                EXID_ACC_ECN_0 => acc_ecn_info(w, rest, false),
                EXID_ACC_ECN_1 => acc_ecn_info(w, rest, true),
                _ => {}
            }
        }
        _ => {}
    }
}

/// `55920 → 80 [SYN] Seq=0 Win=32767 Len=0 MSS=16396 SACK_PERM TSval=… TSecr=0 WS=4`
pub fn info(pkt: &Packet<'_>, l: &Layer, w: &mut Vec<u8>) {
    let Some((sport, dport)) = super::ports(pkt.bytes(l.header())) else {
        return;
    };
    if pkt.flow.lost_segment {
        w.extend_from_slice(b"[TCP Previous segment not captured] ");
    }
    if pkt.flow.retransmission {
        w.extend_from_slice(b"[TCP Retransmission] ");
    }
    put::dec(w, sport as u64);
    w.extend_from_slice(" → ".as_bytes());
    put::dec(w, dport as u64);
    let Some(v) = view(pkt, l) else { return };
    w.extend_from_slice(b" [");
    if !v.ace && v.flags & RES == 0 {
        flag_names(v.flags).put(w);
    } else {
        let mut names = ArrayString::<96>::new();
        write_flag_names(&mut names, v.flags, v.ace);
        w.extend_from_slice(names.as_bytes());
    }
    w.push(b']');
    push_u(w, b"Seq", v.seq as u64);
    if v.flags & ACK != 0 {
        push_u(w, b"Ack", v.ack as u64);
    }
    push_u(w, b"Win", v.win as u64);
    let hlen = v.h.header_len();
    if hlen < MIN_HEADER {
        let _ = write!(
            w,
            ", bogus TCP header length ({hlen}, must be at least {MIN_HEADER})"
        );
        return;
    }
    if v.flags & URG != 0 {
        push_u(w, b"Urg", v.h.urgent() as u64);
    }
    if let Some(n) = v.seglen {
        push_u(w, b"Len", n as u64);
    }
    let opts = v.h.options();
    for opt in options(opts) {
        option_info(&v, opts, opt, w);
    }
}

/// Every field this file's decoders emit, as Wireshark registers them.
pub const FIELDS: &[crate::dissect::decl::FieldDef] = {
    use crate::dissect::decl::{f, FieldType::*};
    &[
        f("mptcp", Proto, "Multipath Transmission Control Protocol"),
        f("tcp.ack", Uint, "Acknowledgment Number"),
        f("tcp.ack_raw", Uint, "Acknowledgment number (raw)"),
        f("tcp.analysis.flags", Proto, "TCP Analysis Flags"),
        f(
            "tcp.analysis.lost_segment",
            Proto,
            "Previous segment(s) not captured (common at capture start)",
        ),
        f(
            "tcp.analysis.retransmission",
            Proto,
            "This frame is a (suspected) retransmission",
        ),
        f("tcp.checksum", Uint, "Checksum"),
        f("tcp.checksum.status", Uint, "Checksum Status"),
        f("tcp.dstport", Uint, "Destination Port"),
        f("tcp.flags", Uint, "Flags"),
        f("tcp.flags.ace", Uint, "ACE"),
        f("tcp.flags.ack", Bool, "Acknowledgment"),
        f("tcp.flags.ae", Bool, "Accurate ECN"),
        f("tcp.flags.cwr", Bool, "Congestion Window Reduced"),
        f("tcp.flags.ece", Bool, "ECN-Echo"),
        f("tcp.flags.fin", Bool, "Fin"),
        f("tcp.flags.push", Bool, "Push"),
        f("tcp.flags.res", Bool, "Reserved"),
        f("tcp.flags.reset", Bool, "Reset"),
        f("tcp.flags.str", Str, "TCP Flags"),
        f("tcp.flags.syn", Bool, "Syn"),
        f("tcp.flags.urg", Bool, "Urgent"),
        f("tcp.hdr_len", Uint, "Header Length"),
        f("tcp.len", Uint, "TCP Segment Len"),
        f("tcp.nxtseq", Uint, "Next Sequence Number"),
        f("tcp.option_kind", Uint, "Kind"),
        f("tcp.option_len", Uint, "Length"),
        f("tcp.options", Bytes, "TCP Options"),
        f("tcp.options.acc_ecn", Proto, "TCP Option - Accurate ECN"),
        f(
            "tcp.options.acc_ecn.eceb",
            Uint,
            "Accurate ECN Echo CE Byte Counter",
        ),
        f(
            "tcp.options.acc_ecn.ee0b",
            Uint,
            "Accurate ECN Echo ECT(0) Byte Counter",
        ),
        f(
            "tcp.options.acc_ecn.ee1b",
            Uint,
            "Accurate ECN Echo ECT(1) Byte Counter",
        ),
        f(
            "tcp.options.eol",
            Proto,
            "TCP Option - End of Option List (EOL)",
        ),
        f(
            "tcp.options.experimental",
            Proto,
            "TCP Option - Experimental",
        ),
        f("tcp.options.experimental.data", Bytes, "Data"),
        f(
            "tcp.options.experimental.exid",
            Uint,
            "Experiment Identifier",
        ),
        f("tcp.options.md5", Proto, "TCP Option - TCP MD5 signature"),
        f("tcp.options.md5.digest", Bytes, "MD5 digest"),
        f("tcp.options.mptcp.subtype", Uint, "Multipath TCP subtype"),
        f(
            "tcp.options.mss",
            Proto,
            "TCP Option - Maximum segment size",
        ),
        f("tcp.options.mss_val", Uint, "MSS Value"),
        f("tcp.options.nop", Proto, "TCP Option - No-Operation (NOP)"),
        f("tcp.options.sack", Proto, "TCP Option - SACK"),
        f("tcp.options.sack.count", Uint, "TCP SACK Count"),
        f("tcp.options.sack_le", Uint, "TCP SACK Left Edge"),
        f(
            "tcp.options.sack_perm",
            Proto,
            "TCP Option - SACK permitted",
        ),
        f("tcp.options.sack_re", Uint, "TCP SACK Right Edge"),
        f("tcp.options.tfo", Proto, "TCP Option - TCP Fast Open"),
        f("tcp.options.tfo.cookie", Bytes, "Fast Open Cookie"),
        f("tcp.options.tfo.request", Proto, "Fast Open Cookie Request"),
        f("tcp.options.timestamp", Proto, "TCP Option - Timestamps"),
        f("tcp.options.timestamp.tsecr", Uint, "Timestamp echo reply"),
        f("tcp.options.timestamp.tsval", Uint, "Timestamp value"),
        f("tcp.options.unknown", Proto, "TCP Option - Unknown"),
        f("tcp.options.unknown.payload", Bytes, "Payload"),
        f("tcp.options.user_to", Proto, "TCP Option - User Timeout"),
        f("tcp.options.user_to_granularity", Bool, "Granularity"),
        f("tcp.options.user_to_val", Uint, "User Timeout"),
        f("tcp.options.wscale", Proto, "TCP Option - Window scale"),
        f("tcp.options.wscale.multiplier", Uint, "Multiplier"),
        f("tcp.options.wscale.shift", Uint, "Shift count"),
        f("tcp.payload", Bytes, "TCP payload"),
        f("tcp.port", Uint, "Source or Destination Port"),
        f("tcp.reset_cause", Str, "Reset cause"),
        f("tcp.seq", Uint, "Sequence Number"),
        f("tcp.seq_raw", Uint, "Sequence Number (raw)"),
        f("tcp.srcport", Uint, "Source Port"),
        f("tcp.stream", Uint, "Stream index"),
        f("tcp.urgent_pointer", Uint, "Urgent Pointer"),
        f("tcp.window_size", Uint, "Calculated window size"),
        f(
            "tcp.window_size_scalefactor",
            Int,
            "Window size scaling factor",
        ),
        f("tcp.window_size_value", Uint, "Window"),
    ]
};

/// Transmission Control Protocol: names, place in the layer model, how it is reached, decoders.
pub static DECL: crate::dissect::decl::Decl = {
    use crate::dissect::decl::{Decl, Reach, Tier};
    Decl {
        filter_name: "tcp",
        name: "Transmission Control Protocol",
        display: "TCP",
        short: "TCP",
        tier: Tier::Transport,
        reached: &[Reach::IpProto(6)],
        dissect,
        fields,
        info: Some(info),
        pdu_len: None,
        field_tables: &[FIELDS],
    }
};

#[cfg(test)]
mod tests {
    //! Expected values come from tshark 4.0.17 on the same bytes (the corpus
    //! frames quoted in hex, or the same segments written to a pcap).
    use crate::flow::testutil::*;
    use crate::flow::FlowTracker;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// print-flags.pcap frames 1-3: handshake with MSS, SACK_PERM, TS, WS.
    const PF1: &str = "00000000000000000000000008004500003c1b684000400621527f0000017f000001da7000503758897e00000000a0027fff142100000204400c0402080a4ddc92160000000001030302";
    const PF2: &str = "00000000000000000000000008004500003c0000400040063cba7f0000017f0000010050da70377a8df13758897fa0127fff6eb100000204400c0402080a4ddc92164ddc921601030302";
    const PF3: &str = "0000000000000000000000000800450000341b6a4000400621587f0000017f000001da7000503758897f377a8df28010200037d000000101080a4ddc92164ddc9216";

    #[test]
    fn view_through_window_of_a_cut_header() {
        use super::{TcpHeader, ACK, SYN};
        // print-flags.pcap frame 2 (tshark: seq_raw 930778609, ack_raw
        // 928549247, flags 0x012, window 32767, hdr_len 40, checksum 0x6eb1),
        // its TCP header 34 bytes in.
        let f = hex(PF2);
        let t = &f[34..];
        let full = TcpHeader::new(t).unwrap();
        let cut = TcpHeader::new_through_window(&t[..16]).unwrap();
        assert!(TcpHeader::new(&t[..16]).is_none());
        assert!(TcpHeader::new_through_window(&t[..15]).is_none());
        for h in [full, cut] {
            assert_eq!((h.src_port(), h.dst_port()), (80, 55920));
            assert_eq!((h.seq(), h.ack()), (930778609, 928549247));
            assert_eq!(
                (h.flags(), h.window(), h.header_len()),
                (SYN | ACK, 32767, 40)
            );
        }
        // What the cut header does not hold reads as absent.
        assert_eq!(
            (cut.checksum(), cut.urgent(), cut.options()),
            (0, 0, &[][..])
        );
        assert_eq!((full.checksum(), full.options().len()), (0x6eb1, 20));
    }

    #[test]
    fn handshake_matches_tshark() {
        let frames: Vec<Vec<u8>> = [PF1, PF2, PF3].iter().map(|h| hex(h)).collect();
        let mut ft = FlowTracker::default();
        let mut got = Vec::new();
        for f in &frames {
            let mut pkt = decode(f, f.len() as u32, 1);
            ft.observe(&mut pkt);
            assert!(pkt.issue.is_none());
            got.push((fields(&pkt), info(&pkt)));
        }
        let (f, i) = &got[0];
        assert_eq!(i, "55920 → 80 [SYN] Seq=0 Win=32767 Len=0 MSS=16396 SACK_PERM TSval=1306300950 TSecr=0 WS=4");
        let want = [
            ("tcp.srcport", "55920"),
            ("tcp.dstport", "80"),
            ("tcp.port", "55920,80"),
            ("tcp.stream", "0"),
            ("tcp.len", "0"),
            ("tcp.seq", "0"),
            ("tcp.seq_raw", "928549246"),
            ("tcp.nxtseq", "1"),
            ("tcp.ack", "0"),
            ("tcp.ack_raw", "0"),
            ("tcp.hdr_len", "40"),
            ("tcp.flags", "0x0002"),
            ("tcp.flags.res", "0"),
            ("tcp.flags.ae", "0"),
            ("tcp.flags.syn", "1"),
            ("tcp.flags.str", "··········S·"),
            ("tcp.window_size_value", "32767"),
            ("tcp.window_size", "32767"),
            ("tcp.window_size_scalefactor", ""),
            ("tcp.checksum", "0x1421"),
            ("tcp.checksum.status", "2"),
            ("tcp.urgent_pointer", "0"),
            ("tcp.options", "0204400c0402080a4ddc92160000000001030302"),
            ("tcp.option_kind", "2,4,8,1,3"),
            ("tcp.option_len", "4,2,10,3"),
            ("tcp.options.mss", "0204400c"),
            ("tcp.options.mss_val", "16396"),
            ("tcp.options.sack_perm", "0402"),
            ("tcp.options.timestamp.tsval", "1306300950"),
            ("tcp.options.timestamp.tsecr", "0"),
            ("tcp.options.nop", "01"),
            ("tcp.options.wscale", "030302"),
            ("tcp.options.wscale.shift", "2"),
            ("tcp.options.wscale.multiplier", "4"),
        ];
        for (n, v) in want {
            assert_eq!(f.get(n), v, "{n}");
        }
        let (f, i) = &got[1];
        assert_eq!(
            i,
            "80 → 55920 [SYN, ACK] Seq=0 Ack=1 Win=32767 Len=0 MSS=16396 SACK_PERM TSval=1306300950 TSecr=1306300950 WS=4"
        );
        assert_eq!(f.get("tcp.ack"), "1");
        assert_eq!(f.get("tcp.ack_raw"), "928549247");
        assert_eq!(f.get("tcp.flags.str"), "·······A··S·");
        let (f, i) = &got[2];
        assert_eq!(
            i,
            "55920 → 80 [ACK] Seq=1 Ack=1 Win=32768 Len=0 TSval=1306300950 TSecr=1306300950"
        );
        assert_eq!(f.get("tcp.window_size_value"), "8192");
        assert_eq!(f.get("tcp.window_size"), "32768");
        assert_eq!(f.get("tcp.window_size_scalefactor"), "4");
        assert_eq!(f.get("tcp.nxtseq"), "1");
    }

    /// accecn_handshake.pcap: after an AccECN SYN / SYN-ACK the three bits read as ACE.
    #[test]
    fn accurate_ecn() {
        let frames = [
            "18fd740745cd000c29f7801208004500003c0000400040061a4f1f8592f842e42b0c40310050741d4a2d00000000a1c2ffff209c0000020405b4010303060402080a06af3c1500000000",
            "000c29f7801218fd740745cd080045000048000040003606244342e42b0c1f8592f800504031b128b393741d4a2ed092fe8822a80000020405b40402080aa5e4dec406af3c15fe0dacc0000001000000000000030307",
            "18fd740745cd000c29f780120800450000440000400040061a471f8592f842e42b0c40310050741d4a2eb128b394c090040320a400000101080a06af3cf2a5e4dec4fe0dacc0000000ffffffffffff000000",
        ]
        .map(hex);
        let mut ft = FlowTracker::default();
        let mut got = Vec::new();
        for f in &frames {
            let mut pkt = decode(f, f.len() as u32, 1);
            ft.observe(&mut pkt);
            got.push((fields(&pkt), info(&pkt)));
        }
        assert_eq!(
            got[0].1,
            "16433 → 80 [SYN, ECE, CWR, AE] Seq=0 Win=65535 Len=0 MSS=1460 WS=64 SACK_PERM TSval=112147477 TSecr=0"
        );
        assert_eq!(got[0].0.get("tcp.flags.str"), "···ACE····S·");
        assert_eq!(
            got[1].1,
            "80 → 16433 [SYN, ACK, CWR] Seq=0 Ack=1 Win=65160 Len=0 MSS=1460 SACK_PERM TSval=2783239876 TSecr=112147477 EE0B=1 ECEB=0 EE1B=0 WS=128"
        );
        assert_eq!(got[1].0.get("tcp.options.experimental.exid"), "0xacc0");
        let (f, i) = &got[2];
        assert_eq!(
            i,
            "16433 → 80 [ACK, ACE=2] Seq=1 Ack=1 Win=65728 Len=0 TSval=112147698 TSecr=2783239876 EE0B=0 ECEB=16777215 EE1B=16777215"
        );
        assert_eq!(f.get("tcp.flags.ace"), "2");
        assert_eq!(f.get("tcp.flags.ae"), "");
        assert_eq!(f.get("tcp.flags.str"), "···-2-·A····");
        assert_eq!(f.get("tcp.option_kind"), "1,1,8,254,0,0,0");
        assert_eq!(f.get("tcp.window_size_scalefactor"), "64");
    }

    fn one(frame: &[u8], wire: u32) -> (crate::dissect::Packet<'_>, Collect, String) {
        let mut pkt = decode(frame, wire, 1);
        FlowTracker::default().observe(&mut pkt);
        let f = fields(&pkt);
        let i = info(&pkt);
        (pkt, f, i)
    }

    #[test]
    fn bogus_header_length() {
        let s = Seg {
            off: Some(4),
            ..seg(1004, 80, 100, 0, SYN)
        };
        let fr = tcp4(C4, S4, &s);
        let (pkt, f, i) = one(&fr, fr.len() as u32);
        assert_eq!(
            i,
            "1004 → 80 [SYN] Seq=0 Win=1000, bogus TCP header length (16, must be at least 20)"
        );
        assert_eq!(f.get("tcp.len"), "4");
        assert_eq!(f.get("tcp.seq"), "0");
        assert_eq!(f.get("tcp.hdr_len"), "16");
        assert_eq!(f.get("tcp.nxtseq"), "");
        assert_eq!(f.get("tcp.flags"), "");
        assert_eq!(
            pkt.issue.map(|x| x.kind),
            Some(crate::dissect::IssueKind::Malformed)
        );
    }

    #[test]
    fn header_longer_than_segment_is_malformed() {
        // Data offset 15 (60 bytes) but the IP datagram holds 30 TCP bytes.
        let s = Seg {
            opts: &[1; 40],
            ..seg(1005, 80, 100, 0, SYN)
        };
        let fr = eth_frame(&ip4(&s.bytes()[..30], C4, S4, 6, None), 0x0800);
        let (pkt, f, i) = one(&fr, fr.len() as u32);
        assert_eq!(i, "1005 → 80 [SYN] Seq=100 Win=1000");
        assert_eq!(f.get("tcp.seq"), "100");
        assert_eq!(f.get("tcp.len"), "");
        assert_eq!(f.get("tcp.nxtseq"), "");
        assert_eq!(f.get("tcp.hdr_len"), "60");
        assert_eq!(f.get("tcp.options"), "01010101010101010101");
        assert_eq!(
            pkt.issue.map(|x| x.kind),
            Some(crate::dissect::IssueKind::Malformed)
        );
    }

    #[test]
    fn truncated_capture_keeps_ip_length() {
        let payload = b"abcdef".repeat(20);
        let s = Seg {
            payload: &payload,
            // A port with no application decoder: the TCP summary is the Info.
            ..seg(1015, 4242, 100, 77, ACK | PSH)
        };
        let fr = tcp4(C4, S4, &s);
        let (pkt, f, i) = one(&fr[..60], fr.len() as u32);
        assert_eq!(i, "1015 → 4242 [PSH, ACK] Seq=1 Ack=1 Win=1000 Len=120");
        assert_eq!(f.get("tcp.len"), "120");
        assert_eq!(f.get("tcp.nxtseq"), "121");
        assert_eq!(f.get("tcp.payload"), "616263646566");
        assert!(pkt.issue.is_none());
    }

    #[test]
    fn flags_urgent_and_none() {
        let s = Seg {
            urp: 5,
            payload: b"hello",
            ..seg(1007, 4242, 100, 77, URG | ACK | PSH)
        };
        let (_, f, i) = one(&tcp4(C4, S4, &s), 0);
        assert_eq!(
            i,
            "1007 → 4242 [PSH, ACK, URG] Seq=1 Ack=1 Win=1000 Urg=5 Len=5"
        );
        assert_eq!(f.get("tcp.flags.str"), "······UAP···");
        assert_eq!(f.get("tcp.window_size_scalefactor"), "-1");
        let (_, f, i) = one(&tcp4(C4, S4, &seg(1008, 80, 100, 77, 0)), 0);
        assert_eq!(i, "1008 → 80 [<None>] Seq=1 Win=1000 Len=0");
        assert_eq!(f.get("tcp.ack"), "77");
        assert_eq!(f.get("tcp.flags.str"), "············");
        let s = Seg {
            payload: b"x",
            ..seg(1013, 80, 100, 77, 0xfff)
        };
        let fr = tcp4(C4, S4, &s);
        let (pkt, f, i) = one(&fr, 0);
        assert_eq!(
            i,
            "1013 → 80 [FIN, SYN, RST, PSH, ACK, URG, ECE, CWR, AE, Reserved] Seq=0 Ack=1 Win=1000 Urg=0 Len=1"
        );
        assert_eq!(f.get("tcp.flags"), "0x0fff");
        assert_eq!(f.get("tcp.flags.str"), "RRRACEUAPRSF");
        assert_eq!(f.get("tcp.nxtseq"), "2");
        // A reset's payload is its reason, not data.
        assert_eq!(f.get("tcp.payload"), "");
        assert_eq!(f.get("tcp.reset_cause"), "x");
        assert!(!pkt.has(crate::dissect::Proto::Data));
    }

    #[test]
    fn sack_edges_are_relative_to_the_peer() {
        let mut o = vec![1, 1, 5, 18];
        for v in [300u32, 400, 500, 600] {
            o.extend_from_slice(&v.to_be_bytes());
        }
        let s = Seg {
            opts: &o,
            ..seg(1009, 80, 100, 77, ACK)
        };
        let (_, f, i) = one(&tcp4(C4, S4, &s), 0);
        assert_eq!(
            i,
            "1009 → 80 [ACK] Seq=1 Ack=1 Win=1000 Len=0 SLE=224 SRE=324 SLE=424 SRE=524"
        );
        assert_eq!(f.get("tcp.options.sack_le"), "224,424");
        assert_eq!(f.get("tcp.options.sack_re"), "324,524");
        assert_eq!(f.get("tcp.options.sack.count"), "2");
    }

    #[test]
    fn less_common_options() {
        let mut o = vec![
            0x63, 4, 0xaa, 0xbb, 0x1c, 4, 0x80, 0x10, 0x22, 2, 0x13, 0x12,
        ];
        o.extend_from_slice(&[0x11; 16]);
        let s = Seg {
            opts: &o,
            ..seg(1001, 80, 100, 0, SYN)
        };
        let (_, f, i) = one(&tcp4(C4, S4, &s), 0);
        assert_eq!(
            i,
            "1001 → 80 [SYN] Seq=0 Win=1000 Len=0 USER_TO=16 TFO=R MD5"
        );
        assert_eq!(f.get("tcp.option_kind"), "99,28,34,19");
        assert_eq!(f.get("tcp.option_len"), "4,4,2,18");
        assert_eq!(f.get("tcp.options.unknown.payload"), "aabb");
        assert_eq!(f.get("tcp.options.user_to_val"), "16");
        assert_eq!(f.get("tcp.options.user_to_granularity"), "1");
        assert_eq!(f.get("tcp.options.md5.digest"), "11".repeat(16));
        // Kind 172 (AccECN order 0).
        let o = [0xac, 0x0b, 0, 0, 1, 0, 0, 2, 0, 0, 3, 1];
        let s = Seg {
            opts: &o,
            ..seg(1010, 80, 100, 77, SYN)
        };
        let (_, f, i) = one(&tcp4(C4, S4, &s), 0);
        assert_eq!(
            i,
            "1010 → 80 [SYN] Seq=0 Win=1000 Len=0 EE0B=1 ECEB=2 EE1B=3"
        );
        assert_eq!(f.get("tcp.option_kind"), "172,1");
        // WS shift above 14 is used as 14; a wrong-length WS is skipped.
        let o = [3, 3, 15, 0];
        let (_, f, i) = one(
            &tcp4(
                C4,
                S4,
                &Seg {
                    opts: &o,
                    ..seg(1, 2, 0, 0, SYN)
                },
            ),
            0,
        );
        assert_eq!(i, "1 → 2 [SYN] Seq=0 Win=1000 Len=0 WS=16384");
        assert_eq!(f.get("tcp.options.wscale.shift"), "15");
        assert_eq!(f.get("tcp.options.wscale.multiplier"), "16384");
        let o = [2, 4, 5, 0xb4, 3, 4, 5, 0];
        let (_, f, i) = one(
            &tcp4(
                C4,
                S4,
                &Seg {
                    opts: &o,
                    ..seg(1, 2, 0, 0, SYN)
                },
            ),
            0,
        );
        assert_eq!(i, "1 → 2 [SYN] Seq=0 Win=1000 Len=0 MSS=1460");
        assert_eq!(f.get("tcp.option_kind"), "2,3");
        assert_eq!(f.get("tcp.options.wscale.shift"), "");
    }

    #[test]
    fn bad_option_lengths_stop_and_mark() {
        // tshark only warns here; layerscope marks the packet malformed.
        for o in [[1u8, 2, 1, 0], [1, 2, 8, 0], [1, 5, 0, 0]] {
            let fr = tcp4(
                C4,
                S4,
                &Seg {
                    opts: &o,
                    ..seg(1002, 80, 100, 0, SYN)
                },
            );
            let (pkt, f, i) = one(&fr, 0);
            assert_eq!(i, "1002 → 80 [SYN] Seq=0 Win=1000 Len=0");
            assert_eq!(f.get("tcp.option_kind"), "1");
            assert_eq!(
                pkt.issue.map(|x| x.kind),
                Some(crate::dissect::IssueKind::Malformed)
            );
        }
    }

    #[test]
    fn short_headers_never_panic() {
        let full = tcp4(
            C4,
            S4,
            &Seg {
                opts: &[2, 4, 5, 0xb4],
                payload: b"data",
                ..seg(1, 2, 3, 4, ACK)
            },
        );
        for cut in 0..full.len() {
            for wire in [cut as u32, full.len() as u32] {
                let (pkt, _, _) = one(&full[..cut], wire);
                let _ = pkt.issue;
            }
        }
        // Every byte value at every header position.
        for pos in 34..full.len() {
            for v in [0u8, 1, 0x0f, 0x10, 0x4f, 0x50, 0xf0, 0xff] {
                let mut fr = full.clone();
                fr[pos] = v;
                let _ = one(&fr, fr.len() as u32);
            }
        }
    }
}
