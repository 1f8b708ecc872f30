//! TCP reassembly, per direction, by sequence number, as tshark's
//! "allow subdissector to reassemble TCP streams" in one pass: the bytes a
//! direction has delivered in order are cut into the application's PDUs
//! (`pdu_len`); a PDU that a segment does not finish is buffered, the
//! segment is marked "[TCP segment of a reassembled PDU]", and the PDU is
//! decoded on the segment that completes it, from the rebuilt bytes.
//!
//! Segments past a hole are held until the hole fills (out of order);
//! bytes already delivered are skipped (retransmissions, overlaps: the
//! first copy wins). Bounded: past `max_bytes` of held state the least
//! recently used directions are dropped (CLOCK), directions idle for
//! `timeout` of capture time are swept, and drops of pending data counted.

use super::FlowHasherBuilder;
use crate::dissect::transport::tcp::{self, TcpHeader, FIN, RST, SYN};
use crate::dissect::{app, ip, Packet, Proto, Src};
use std::collections::{HashMap, VecDeque};

/// Default cap on bytes held by TCP reassembly.
pub const DEFAULT_MAX_BYTES: usize = 64 << 20;
/// Default idle time after which a direction's state is dropped (ns).
pub const DEFAULT_TIMEOUT_NS: i128 = 60_000_000_000;
/// Bookkeeping charged per direction and per held segment.
const DIR_OVERHEAD: usize = 192;
const SEG_OVERHEAD: usize = 64;
/// Out-of-order segments held per direction before giving up on the hole.
const MAX_OOO: usize = 64;

/// How the application's byte stream is cut into PDUs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    Http,
    Tls,
    /// DNS over TCP: a 2-byte length, then the message.
    Dns,
}

/// The length of the PDU at the start of `b`, as far as `b` tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PduLen {
    Known(usize),
    /// Not enough bytes to know yet.
    NeedMore,
}

/// Length of the PDU starting at `b`. The application modules' own
/// `pdu_len` should replace these once they exist; these follow the
/// same rules (HTTP: headers + Content-Length or chunked body).
pub fn pdu_len(f: Framing, b: &[u8]) -> PduLen {
    match f {
        Framing::Tls => match b {
            [_, _, _, h, l, ..] => PduLen::Known(5 + u16::from_be_bytes([*h, *l]) as usize),
            _ => PduLen::NeedMore,
        },
        Framing::Dns => match b {
            [h, l, ..] => PduLen::Known(2 + u16::from_be_bytes([*h, *l]) as usize),
            _ => PduLen::NeedMore,
        },
        Framing::Http => http_len(b),
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn http_len(b: &[u8]) -> PduLen {
    let Some(h) = find(b, b"\r\n\r\n") else {
        return PduLen::NeedMore;
    };
    let head = &b[..h];
    let hlen = h + 4;
    let mut chunked = false;
    let mut clen: Option<usize> = None;
    for line in head.split(|&c| c == b'\n').skip(1) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = line.iter().position(|&c| c == b':') else {
            continue;
        };
        let (name, val) = (&line[..colon], line[colon + 1..].trim_ascii());
        if name.eq_ignore_ascii_case(b"content-length") {
            clen = std::str::from_utf8(val).ok().and_then(|s| s.parse().ok());
        } else if name.eq_ignore_ascii_case(b"transfer-encoding")
            && val.to_ascii_lowercase().ends_with(b"chunked")
        {
            chunked = true;
        }
    }
    // Responses that never carry a body.
    let status = head
        .strip_prefix(b"HTTP/")
        .and_then(|r| r.get(4..7))
        .and_then(|c| std::str::from_utf8(c).ok())
        .and_then(|c| c.parse::<u16>().ok());
    if matches!(status, Some(100..=199 | 204 | 304)) {
        return PduLen::Known(hlen);
    }
    if chunked {
        return chunked_len(b, hlen);
    }
    match clen {
        Some(n) => PduLen::Known(hlen.saturating_add(n)),
        None => PduLen::Known(hlen),
    }
}

fn chunked_len(b: &[u8], mut pos: usize) -> PduLen {
    loop {
        let Some(eol) = b.get(pos..).and_then(|r| find(r, b"\r\n")) else {
            return PduLen::NeedMore;
        };
        let line = &b[pos..pos + eol];
        let hex = line
            .split(|&c| c == b';')
            .next()
            .unwrap_or(&[])
            .trim_ascii();
        let Some(size) = std::str::from_utf8(hex)
            .ok()
            .and_then(|s| usize::from_str_radix(s, 16).ok())
        else {
            // Not a chunk header: the body ends here as far as we can tell.
            return PduLen::Known(pos);
        };
        pos += eol + 2;
        if size == 0 {
            // Trailer section ends with an empty line.
            return match b.get(pos..).and_then(|r| find(r, b"\r\n")) {
                Some(0) => PduLen::Known(pos + 2),
                Some(_) => match b.get(pos..).and_then(|r| find(r, b"\r\n\r\n")) {
                    Some(e) => PduLen::Known(pos + e + 4),
                    None => PduLen::NeedMore,
                },
                None => PduLen::NeedMore,
            };
        }
        pos = match pos.checked_add(size).and_then(|p| p.checked_add(2)) {
            Some(p) => p,
            None => return PduLen::NeedMore,
        };
        if pos > b.len() {
            return PduLen::NeedMore;
        }
    }
}

/// The framing of a payload's first PDU: the application classifier's
/// verdict, else a look at the bytes (so framing works before every
/// application decoder exists), else the DNS port.
fn framing(pkt: &Packet<'_>, off: usize, limit: usize, ports: (u16, u16)) -> Option<Framing> {
    match app::classify(pkt, off, limit) {
        Proto::Http => return Some(Framing::Http),
        Proto::Tls => return Some(Framing::Tls),
        Proto::Dns => return Some(Framing::Dns),
        Proto::Data => {}
        _ => return None,
    }
    let b = pkt.bytes(off..limit);
    const METHODS: [&[u8]; 9] = [
        b"GET ",
        b"POST ",
        b"HEAD ",
        b"PUT ",
        b"DELETE ",
        b"OPTIONS ",
        b"PATCH ",
        b"CONNECT ",
        b"TRACE ",
    ];
    if b.starts_with(b"HTTP/1.") || METHODS.iter().any(|m| b.starts_with(m)) {
        return Some(Framing::Http);
    }
    if let [t, 3, v, ..] = b {
        if (20..=24).contains(t) && *v <= 4 {
            return Some(Framing::Tls);
        }
    }
    if ports.0 == 53 || ports.1 == 53 {
        return Some(Framing::Dns);
    }
    None
}

/// Where the last whole PDU in `start..end` ends (`end`: all whole).
fn cut(f: Framing, pkt: &Packet<'_>, start: usize, end: usize) -> usize {
    let mut pos = start;
    while pos < end {
        match pdu_len(f, pkt.bytes(pos..end)) {
            PduLen::Known(n) if n > 0 && pos + n <= end => pos += n,
            _ => break,
        }
    }
    pos
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Key {
    stream: u32,
    src: [u8; 16],
    sport: u16,
}

struct Seg {
    seq: u32,
    data: Vec<u8>,
    frame: u64,
}

#[derive(Default)]
struct Dir {
    next: Option<u32>,
    /// Bytes of the PDU being rebuilt.
    buf: Vec<u8>,
    framing: Option<Framing>,
    /// Length of the pending PDU once known (saves re-parsing it).
    need: Option<usize>,
    frames: Vec<u64>,
    ooo: Vec<Seg>,
    last_ns: i128,
    charged: usize,
    used: bool,
}

impl Dir {
    fn holds_data(&self) -> bool {
        !self.buf.is_empty() || !self.ooo.is_empty()
    }
}

/// What the pipeline does with the segment just seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Drop the application layers the frame's own decoding found.
    pub truncate: bool,
    /// A PDU was completed: `buf()[at..]` holds it (after frame headers).
    pub pdu_at: Option<usize>,
    /// Complete PDUs to decode from the frame itself: `off..limit`.
    pub frame_pdus: Option<(usize, usize)>,
    /// Part of the payload waits for later segments.
    pub pdu_part: bool,
}

pub struct TcpReassembler {
    dirs: HashMap<Key, Dir, FlowHasherBuilder>,
    order: VecDeque<Key>,
    bytes: usize,
    pub max_bytes: usize,
    pub timeout_ns: i128,
    last_sweep_ns: Option<i128>,
    /// Directions dropped while holding data (cap or idle timeout).
    pub evicted: u64,
    pub evicted_for_cap: u64,
    buf: Vec<u8>,
    pieces: Vec<u64>,
}

impl Default for TcpReassembler {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_NS)
    }
}

fn charge(d: &Dir) -> usize {
    DIR_OVERHEAD
        + d.buf.capacity()
        + d.frames.capacity() * 8
        + d.ooo
            .iter()
            .map(|s| s.data.capacity() + SEG_OVERHEAD)
            .sum::<usize>()
}

impl TcpReassembler {
    pub fn new(max_bytes: usize, timeout_ns: i128) -> Self {
        TcpReassembler {
            dirs: HashMap::with_hasher(FlowHasherBuilder::random()),
            order: VecDeque::new(),
            bytes: 0,
            max_bytes,
            timeout_ns,
            last_sweep_ns: None,
            evicted: 0,
            evicted_for_cap: 0,
            buf: Vec::new(),
            pieces: Vec::new(),
        }
    }

    /// Bytes currently held.
    pub fn held(&self) -> usize {
        self.bytes
    }

    /// The last completed PDU: frame headers, then the PDU.
    pub fn buf(&self) -> &[u8] {
        &self.buf
    }

    /// Frame numbers of the last completed PDU's segments.
    pub fn pieces(&self) -> &[u64] {
        &self.pieces
    }

    fn sweep(&mut self, now: i128) {
        let due = match self.last_sweep_ns {
            None => {
                self.last_sweep_ns = Some(now);
                false
            }
            Some(t) => now.saturating_sub(t) > self.timeout_ns / 4,
        };
        if !due {
            return;
        }
        self.last_sweep_ns = Some(now);
        let limit = self.timeout_ns;
        let mut freed = 0usize;
        let mut lost = 0u64;
        self.dirs.retain(|_, d| {
            let keep = now.saturating_sub(d.last_ns) <= limit;
            if !keep {
                freed += d.charged;
                lost += d.holds_data() as u64;
            }
            keep
        });
        self.bytes = self.bytes.saturating_sub(freed);
        self.evicted += lost;
        let dirs = &self.dirs;
        self.order.retain(|k| dirs.contains_key(k));
    }

    /// Drops least recently used directions until `need` more bytes fit.
    fn make_room(&mut self, need: usize, keep: &Key) {
        let mut budget = self.order.len().saturating_mul(2).saturating_add(1);
        while self.bytes.saturating_add(need) > self.max_bytes && budget > 0 {
            budget -= 1;
            let Some(k) = self.order.pop_front() else {
                break;
            };
            if k == *keep {
                self.order.push_back(k);
                continue;
            }
            match self.dirs.get_mut(&k) {
                Some(d) if d.used => {
                    d.used = false;
                    self.order.push_back(k);
                }
                Some(_) => {
                    if let Some(d) = self.dirs.remove(&k) {
                        self.bytes = self.bytes.saturating_sub(d.charged);
                        if d.holds_data() {
                            self.evicted += 1;
                            self.evicted_for_cap += 1;
                        }
                    }
                }
                None => {}
            }
        }
    }

    /// Feeds one segment. Call after the flow stage (it needs
    /// `pkt.flow.stream`) on packets whose TCP layer is in the frame.
    pub fn process(&mut self, pkt: &Packet<'_>) -> Outcome {
        let none = Outcome::default();
        let Some(idx) = pkt.layers.iter().position(|l| l.proto == Proto::Tcp) else {
            return none;
        };
        let t = pkt.layers[idx];
        if t.src != Src::Frame || ip::quoted(pkt, idx) {
            return none;
        }
        let Some(h) = TcpHeader::new(pkt.bytes(t.header())) else {
            return none;
        };
        let (seq, flags) = (h.seq(), h.flags());
        let Some(seglen) = tcp::seg_len(pkt, idx) else {
            return none;
        };
        if seglen == 0 && self.dirs.is_empty() {
            return none;
        }
        let (Some(stream), Some((src, _)), Some(ports)) =
            (pkt.flow.stream, pkt.addrs(), pkt.ports())
        else {
            return none;
        };
        let now = pkt
            .ts
            .nanos_since(crate::source::Timestamp { sec: 0, nsec: 0 });
        self.sweep(now);
        let src16 = match src {
            std::net::IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
            std::net::IpAddr::V6(a) => a.octets(),
        };
        let key = Key {
            stream,
            src: src16,
            sport: ports.0,
        };
        let pay = t.payload();
        let payload = pkt.bytes(pay.clone());
        let data_seq = seq.wrapping_add((flags & SYN != 0) as u32);
        if !self.dirs.contains_key(&key) {
            // Only directions with a PDU pending are tracked: a segment
            // whose PDUs are all whole needs nothing (the frame's own
            // decoding stands), which keeps the common path cheap.
            if seglen == 0 || flags & (FIN | RST) != 0 || payload.len() != seglen as usize {
                return none;
            }
            let (start, end) = (pay.start, pay.start + payload.len());
            let Some(f) = framing(pkt, start, end, ports) else {
                return none;
            };
            if cut(f, pkt, start, end) >= end {
                return none;
            }
            self.make_room(DIR_OVERHEAD, &key);
            self.dirs.insert(
                key,
                Dir {
                    charged: DIR_OVERHEAD,
                    next: Some(data_seq),
                    ..Default::default()
                },
            );
            self.bytes += DIR_OVERHEAD;
            self.order.push_back(key);
        }
        let out = self.feed(
            &key, pkt, idx, data_seq, seglen, payload, pay.start, flags, now,
        );
        // Re-charge the direction's footprint, then keep under the cap.
        if let Some(d) = self.dirs.get_mut(&key) {
            let c = charge(d);
            self.bytes = self.bytes.saturating_sub(d.charged).saturating_add(c);
            d.charged = c;
        }
        let idle = self.dirs.get(&key).is_some_and(|d| !d.holds_data());
        if idle || flags & (FIN | RST) != 0 {
            if let Some(d) = self.dirs.remove(&key) {
                self.bytes = self.bytes.saturating_sub(d.charged);
            }
        }
        if self.bytes > self.max_bytes {
            self.make_room(0, &key);
            if self.bytes > self.max_bytes {
                // Even alone this direction is over the cap: drop its data.
                if let Some(d) = self.dirs.remove(&key) {
                    self.bytes = self.bytes.saturating_sub(d.charged);
                    self.evicted += d.holds_data() as u64;
                    self.evicted_for_cap += d.holds_data() as u64;
                }
            }
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn feed(
        &mut self,
        key: &Key,
        pkt: &Packet<'_>,
        idx: usize,
        seq: u32,
        seglen: u32,
        payload: &[u8],
        pay_off: usize,
        flags: u16,
        now: i128,
    ) -> Outcome {
        let none = Outcome::default();
        let Some(d) = self.dirs.get_mut(key) else {
            return none;
        };
        d.last_ns = now;
        d.used = true;
        let next = *d.next.get_or_insert(seq);
        if seglen == 0 {
            if flags & SYN != 0 {
                d.next = Some(seq);
            }
            return none;
        }
        let complete = payload.len() == seglen as usize;
        let rel = seq.wrapping_sub(next) as i32;
        if rel > 0 {
            // A hole before this segment.
            if d.buf.is_empty() && d.ooo.is_empty() {
                // Nothing waits on the hole: resynchronise here.
                d.next = Some(seq);
            } else if complete && d.ooo.len() < MAX_OOO {
                d.ooo.push(Seg {
                    seq,
                    data: payload.to_vec(),
                    frame: pkt.number,
                });
                return Outcome {
                    truncate: true,
                    pdu_part: true,
                    ..none
                };
            } else {
                // Give up on the hole: what was pending is lost.
                d.buf.clear();
                d.frames.clear();
                d.ooo.clear();
                d.framing = None;
                d.need = None;
                d.next = Some(seq);
            }
        }
        let next = d.next.unwrap_or(seq);
        let skip = next.wrapping_sub(seq) as usize;
        if skip >= seglen as usize && seglen > 0 {
            // Old bytes only: a retransmission.
            return none;
        }
        d.next = Some(seq.wrapping_add(seglen));
        if !complete {
            // Cut by the snap length: the stream cannot be rebuilt here.
            d.buf.clear();
            d.frames.clear();
            d.framing = None;
            d.need = None;
            return none;
        }
        let fresh = &payload[skip..];
        let fresh_off = pay_off + skip;
        let mut out = self.deliver(key, pkt, idx, fresh, fresh_off, skip > 0);
        // Held segments the hole no longer blocks: their bytes join the
        // pending PDU (their own frames were already shown as parts).
        let Some(d) = self.dirs.get_mut(key) else {
            return out;
        };
        loop {
            let n = d.next.unwrap_or(0);
            let Some(i) = d
                .ooo
                .iter()
                .position(|s| (s.seq.wrapping_sub(n) as i32) <= 0)
            else {
                break;
            };
            let s = d.ooo.swap_remove(i);
            let k = n.wrapping_sub(s.seq) as usize;
            if k < s.data.len() {
                d.buf.extend_from_slice(&s.data[k..]);
                d.frames.push(s.frame);
                d.next = Some(s.seq.wrapping_add(s.data.len() as u32));
            }
        }
        if out.pdu_at.is_none() && !d.buf.is_empty() {
            out.pdu_part = true;
        }
        out
    }

    /// Hands in-order bytes to the application framing.
    fn deliver(
        &mut self,
        key: &Key,
        pkt: &Packet<'_>,
        idx: usize,
        fresh: &[u8],
        off: usize,
        trimmed: bool,
    ) -> Outcome {
        let mut out = Outcome::default();
        let Some(d) = self.dirs.get_mut(key) else {
            return out;
        };
        let t = pkt.layers[idx];
        let end = off + fresh.len();
        // Where the frame's own bytes start a new PDU.
        let mut start = off;
        if !d.buf.is_empty() {
            let f = d.framing.unwrap_or(Framing::Http);
            let have = d.buf.len();
            d.buf.extend_from_slice(fresh);
            d.frames.push(pkt.number);
            out.truncate = true;
            let len = match d.need {
                Some(n) => PduLen::Known(n),
                None => pdu_len(f, &d.buf),
            };
            if let PduLen::Known(n) = len {
                d.need = Some(n);
            }
            match len {
                PduLen::Known(n) if n <= d.buf.len() => {
                    let used = n - have;
                    self.buf.clear();
                    self.buf.extend_from_slice(pkt.bytes(0..off));
                    let at = self.buf.len();
                    self.buf.extend_from_slice(&d.buf[..n]);
                    self.pieces.clear();
                    self.pieces.extend_from_slice(&d.frames);
                    d.buf.clear();
                    d.frames.clear();
                    d.need = None;
                    if d.buf.capacity() > 1 << 16 {
                        d.buf = Vec::new();
                    }
                    out.pdu_at = Some(at);
                    start = off + used;
                }
                _ => {
                    out.pdu_part = true;
                    return out;
                }
            }
        } else if trimmed {
            out.truncate = true;
        }
        if start >= end {
            return out;
        }
        // Cut the rest of the segment into PDUs.
        let ports = pkt.ports().unwrap_or((0, 0));
        let Some(f) = framing(pkt, start, end, ports) else {
            if out.truncate {
                out.frame_pdus = Some((start, end));
            }
            return out;
        };
        d.framing = Some(f);
        let pos = cut(f, pkt, start, end);
        if pos < end {
            // The last PDU continues in later segments.
            d.buf.extend_from_slice(pkt.bytes(pos..end));
            d.frames.push(pkt.number);
            d.need = match pdu_len(f, &d.buf) {
                PduLen::Known(n) => {
                    // One allocation for the whole PDU instead of doubling
                    // (and copying) as segments arrive; capped, as the
                    // length is the sender's word.
                    d.buf.reserve(n.min(1 << 20).saturating_sub(d.buf.len()));
                    Some(n)
                }
                PduLen::NeedMore => None,
            };
            out.pdu_part = true;
            out.truncate = true;
        }
        if out.truncate && pos > start {
            out.frame_pdus = Some((start, pos));
        }
        let _ = t;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_lengths() {
        let req = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        assert_eq!(pdu_len(Framing::Http, req), PduLen::Known(req.len()));
        let resp = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab";
        assert_eq!(pdu_len(Framing::Http, resp), PduLen::Known(resp.len() + 3));
        assert_eq!(
            pdu_len(Framing::Http, b"HTTP/1.1 200 OK\r\nConte"),
            PduLen::NeedMore
        );
        let ch = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
        assert_eq!(pdu_len(Framing::Http, ch), PduLen::Known(ch.len()));
        assert_eq!(
            pdu_len(Framing::Http, &ch[..ch.len() - 3]),
            PduLen::NeedMore
        );
        let huge = b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n";
        assert!(matches!(pdu_len(Framing::Http, huge), PduLen::Known(_)));
    }

    #[test]
    fn tls_and_dns_lengths() {
        assert_eq!(
            pdu_len(Framing::Tls, &[22, 3, 1, 0x02, 0x00]),
            PduLen::Known(517)
        );
        assert_eq!(pdu_len(Framing::Tls, &[22, 3]), PduLen::NeedMore);
        assert_eq!(pdu_len(Framing::Dns, &[0, 55, 1]), PduLen::Known(57));
    }
}
