//! TCP reassembly, per direction, by sequence number, as tshark's
//! "allow subdissector to reassemble TCP streams" in one pass: the bytes a
//! direction has delivered in order are cut into the application's PDUs
//! by the framing its declaration gives (`Decl::pdu_len`; protocols
//! without one are not reassembled); a PDU that a segment does not finish is buffered, the
//! segment is marked "[TCP segment of a reassembled PDU]", and the PDU is
//! decoded on the segment that completes it, from the rebuilt bytes.
//!
//! Sequence order comes from [`InOrder`]: segments past a hole are held
//! until the hole fills (out of order); bytes already delivered are
//! skipped (retransmissions, overlaps: the first copy wins). Bounded: past `max_bytes` of held state the least
//! recently used directions are dropped (CLOCK), directions idle for
//! `timeout` of capture time are swept, and drops of pending data counted.

use super::stream::{InOrder, Place};
use super::FlowHasherBuilder;
use crate::dissect::decl::PduLen;
use crate::dissect::transport::tcp::{self, TcpHeader, FIN, RST, SYN};
use crate::dissect::{app_payload_proto, ip, Layer, Packet, Proto, Src};
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

/// How the application's byte stream is cut into PDUs: its declaration's
/// `pdu_len`.
type Framing = fn(&[u8]) -> PduLen;

/// The framing of the payload at `off..limit`: that of the protocol the
/// application classifier finds there, if it declares one.
fn framing(pkt: &Packet<'_>, off: usize, limit: usize) -> Option<Framing> {
    app_payload_proto(pkt, off, limit).decl().pdu_len
}

/// Where the last whole PDU in `start..end` ends (`end`: all whole), and
/// the framing of what follows: a connection that switches protocol in
/// this segment (HTTP/1.1 Upgrade to HTTP/2, `FlowNote::app_from`) is cut
/// by the new protocol's framing from that offset on.
fn cut(mut f: Framing, pkt: &Packet<'_>, start: usize, end: usize) -> (usize, Framing) {
    let mut pos = start;
    let switch = pkt
        .flow
        .app
        .and_then(|p| p.decl().pdu_len)
        .map(|g| (pkt.flow.app_from as usize, g));
    while pos < end {
        if let Some((_, g)) = switch.filter(|&(at, _)| at == pos && at > start) {
            f = g;
        }
        match f(pkt.bytes(pos..end)) {
            PduLen::Known(n) if n > 0 && pos + n <= end => pos += n,
            // Not framed: the rest is taken as it is.
            PduLen::Unframed => return (end, f),
            _ => break,
        }
    }
    (pos, f)
}

/// A direction of a TCP stream (the flow stage's numbering).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Key {
    stream: u32,
    dir: u8,
}

/// Room kept before a pending PDU's bytes for the headers of the frame
/// that completes it: the rebuilt buffer (frame headers, then the PDU) is
/// then made in place, not copied whole once more. Frames with longer
/// headers (deep tunnels) get a copy.
const ROOM: usize = 256;

#[derive(Default)]
struct Dir {
    /// Sequence order; held segments are tagged with their frame number.
    stream: InOrder<u64>,
    /// Empty, or [`ROOM`] bytes and then the bytes of the PDU being rebuilt.
    buf: Vec<u8>,
    framing: Option<Framing>,
    /// The connection's protocol (`FlowNote::app`) when `framing` was chosen:
    /// once the flow stage finds it speaks another (HTTP/2 after its
    /// preface), bytes pending under the old framing are dropped.
    app: Option<Proto>,
    /// Length of the pending PDU once known (saves re-parsing it).
    need: Option<usize>,
    frames: Vec<u64>,
    last_ns: i128,
    charged: usize,
    used: bool,
}

impl Dir {
    fn holds_data(&self) -> bool {
        !self.buf.is_empty() || self.stream.holding()
    }

    /// The pending PDU's bytes.
    fn pdu(&self) -> &[u8] {
        self.buf.get(ROOM..).unwrap_or(&[])
    }
}

/// Appends bytes to a PDU buffer (see [`Dir::buf`]).
fn append(buf: &mut Vec<u8>, b: &[u8]) {
    if buf.is_empty() {
        buf.resize(ROOM, 0);
    }
    buf.extend_from_slice(b);
}

/// The frame's own TCP segment: its layer's index, the layer and its
/// header; None for a TCP header quoted by an ICMP error or rebuilt.
fn segment<'p>(pkt: &'p Packet<'_>) -> Option<(usize, Layer, TcpHeader<'p>)> {
    let idx = pkt.layers.iter().position(|l| l.proto == Proto::Tcp)?;
    let t = pkt.layers[idx];
    if t.src != Src::Frame || ip::quoted(pkt, idx) {
        return None;
    }
    Some((idx, t, TcpHeader::new(pkt.bytes(t.header()))?))
}

/// The packet's capture time in nanoseconds, the reassembler's clock.
fn capture_ns(pkt: &Packet<'_>) -> i128 {
    pkt.ts
        .nanos_since(crate::source::Timestamp { sec: 0, nsec: 0 })
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
    /// The last completed PDU, after frame headers from `buf_at` on.
    buf: Vec<u8>,
    buf_at: usize,
    pieces: Vec<u64>,
}

impl Default for TcpReassembler {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_NS)
    }
}

fn charge(d: &Dir) -> usize {
    DIR_OVERHEAD + d.buf.capacity() + d.frames.capacity() * 8 + d.stream.footprint(SEG_OVERHEAD)
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
            buf_at: 0,
            pieces: Vec::new(),
        }
    }

    /// Bytes currently held.
    pub fn held(&self) -> usize {
        self.bytes
    }

    /// The last completed PDU: frame headers, then the PDU.
    pub fn buf(&self) -> &[u8] {
        self.buf.get(self.buf_at..).unwrap_or(&[])
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

    /// Directions with bytes of a PDU pending (only those are tracked).
    pub fn pending(&self) -> bool {
        !self.dirs.is_empty()
    }

    /// Whether [`Self::process`] will take this segment's payload whole
    /// into a PDU that is still short after it: then it keeps none of the
    /// frame's application layers, and they need not be decoded (tshark
    /// does not decode such a segment either). Asked after the flow stage
    /// numbered the stream; never true where `process` would do otherwise.
    pub fn swallows(&self, pkt: &Packet<'_>) -> bool {
        if self.dirs.is_empty() {
            return false;
        }
        let Some((idx, t, h)) = segment(pkt) else {
            return false;
        };
        if t.payload().is_empty() || h.flags() & (SYN | FIN | RST) != 0 {
            return false;
        }
        let (Some(seglen), Some(stream)) = (tcp::seg_len(pkt, idx), pkt.flow.stream) else {
            return false;
        };
        let key = Key {
            stream,
            dir: pkt.flow.dir,
        };
        let Some(d) = self.dirs.get(&key) else {
            return false;
        };
        let now = capture_ns(pkt);
        let seglen = seglen as usize;
        // Not idle long enough for `process`'s sweep to drop it; the very
        // next bytes expected, nothing held past a hole; the pending PDU,
        // of known length, still short once these bytes join it.
        seglen > 0
            && pkt.bytes(t.payload()).len() == seglen
            && now.saturating_sub(d.last_ns) <= self.timeout_ns
            && d.stream.next() == Some(h.seq())
            && !d.stream.holding()
            && !d.buf.is_empty()
            && d.framing.is_some()
            && d.app == pkt.flow.app
            && d.need
                .is_some_and(|n| d.pdu().len().saturating_add(seglen) < n)
    }

    /// Feeds one segment. Call after the flow stage (it needs
    /// `pkt.flow.stream`) on packets whose TCP layer is in the frame.
    pub fn process(&mut self, pkt: &Packet<'_>) -> Outcome {
        let none = Outcome::default();
        let Some((idx, t, h)) = segment(pkt) else {
            return none;
        };
        let (seq, flags) = (h.seq(), h.flags());
        let Some(seglen) = tcp::seg_len(pkt, idx) else {
            return none;
        };
        if seglen == 0 && self.dirs.is_empty() {
            return none;
        }
        let Some(stream) = pkt.flow.stream else {
            return none;
        };
        let now = capture_ns(pkt);
        self.sweep(now);
        let key = Key {
            stream,
            dir: pkt.flow.dir,
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
            let Some(f) = framing(pkt, start, end) else {
                return none;
            };
            if cut(f, pkt, start, end).0 >= end {
                return none;
            }
            self.make_room(DIR_OVERHEAD, &key);
            let mut d = Dir {
                charged: DIR_OVERHEAD,
                ..Default::default()
            };
            d.stream.set_next(data_seq);
            self.dirs.insert(key, d);
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
        d.stream.start_at(seq);
        if seglen == 0 {
            if flags & SYN != 0 {
                d.stream.set_next(seq);
            }
            return none;
        }
        let complete = payload.len() == seglen as usize;
        let mut place = d.stream.place(seq, seglen as usize);
        if place == Place::Ahead {
            // A hole before this segment.
            if d.buf.is_empty() && !d.stream.holding() {
                // Nothing waits on the hole: resynchronise here.
                d.stream.set_next(seq);
            } else if complete && d.stream.hold(seq, payload, pkt.number, MAX_OOO, usize::MAX) {
                return Outcome {
                    truncate: true,
                    pdu_part: true,
                    ..none
                };
            } else {
                // Give up on the hole: what was pending is lost.
                d.buf.clear();
                d.frames.clear();
                d.stream.clear_held();
                d.framing = None;
                d.need = None;
                d.stream.set_next(seq);
            }
            place = d.stream.place(seq, seglen as usize);
        }
        let Place::Fresh { skip } = place else {
            // Old bytes only: a retransmission.
            return none;
        };
        if !complete {
            // Cut by the snap length: the stream cannot be rebuilt here,
            // nor past it.
            d.buf.clear();
            d.frames.clear();
            d.stream.clear_held();
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
        let (buf, frames) = (&mut d.buf, &mut d.frames);
        d.stream.release(|b, frame| {
            append(buf, b);
            frames.push(frame);
        });
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
        if !d.buf.is_empty() && d.app != pkt.flow.app {
            d.buf.clear();
            d.frames.clear();
            d.framing = None;
            d.need = None;
        }
        if !d.buf.is_empty() {
            // Bytes are only buffered once a framing is chosen (and
            // dropped with it).
            let Some(f) = d.framing else {
                d.buf.clear();
                d.frames.clear();
                return out;
            };
            let have = d.pdu().len();
            append(&mut d.buf, fresh);
            d.frames.push(pkt.number);
            out.truncate = true;
            let len = match d.need {
                Some(n) => PduLen::Known(n),
                // Unframed: what is there is the whole message.
                None => match f(d.pdu()) {
                    PduLen::Unframed => PduLen::Known(d.pdu().len()),
                    l => l,
                },
            };
            if let PduLen::Known(n) = len {
                d.need = Some(n);
            }
            match len {
                PduLen::Known(n) if n <= d.pdu().len() => {
                    let used = n - have;
                    let head = pkt.bytes(0..off);
                    let at = head.len();
                    if at <= ROOM {
                        // The frame's headers go into the room before the
                        // PDU, and the buffer is handed over as it is.
                        d.buf.truncate(ROOM + n);
                        d.buf[ROOM - at..ROOM].copy_from_slice(head);
                        std::mem::swap(&mut self.buf, &mut d.buf);
                        self.buf_at = ROOM - at;
                    } else {
                        self.buf.clear();
                        self.buf.extend_from_slice(head);
                        self.buf.extend_from_slice(&d.buf[ROOM..ROOM + n]);
                        self.buf_at = 0;
                    }
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
        let Some(f) = framing(pkt, start, end) else {
            if out.truncate {
                out.frame_pdus = Some((start, end));
            }
            return out;
        };
        let (pos, f) = cut(f, pkt, start, end);
        d.framing = Some(f);
        d.app = pkt.flow.app;
        if pos < end {
            // The last PDU continues in later segments.
            append(&mut d.buf, pkt.bytes(pos..end));
            d.frames.push(pkt.number);
            d.need = match f(d.pdu()) {
                PduLen::Known(n) => {
                    // One allocation for the whole PDU instead of doubling
                    // (and copying) as segments arrive; capped, as the
                    // length is the sender's word.
                    d.buf.reserve(n.min(1 << 20).saturating_sub(d.pdu().len()));
                    Some(n)
                }
                PduLen::NeedMore | PduLen::Unframed => None,
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
    use crate::dissect::Proto;

    /// A response of three segments: the middle one is taken whole into
    /// the pending message, so its application layers need no decoding;
    /// the first starts the message and the last completes it.
    #[test]
    fn only_a_segment_inside_a_pending_pdu_is_swallowed() {
        use super::{Outcome, TcpReassembler};
        use crate::flow::testutil::*;
        use crate::flow::FlowTracker;
        let mut msg = b"HTTP/1.1 200 OK\r\nContent-Length: 2500\r\n\r\n".to_vec();
        msg.extend_from_slice(&[b'x'; 2500]);
        let (mut flows, mut r) = (FlowTracker::default(), TcpReassembler::default());
        let mut seq = 1;
        let mut seen = Vec::new();
        for part in [&msg[..1000], &msg[1000..2000], &msg[2000..]] {
            let s = Seg {
                payload: part,
                ..seg(80, 40000, seq, 1, ACK | PSH)
            };
            seq += part.len() as u32;
            let f = tcp4(S4, C4, &s);
            let mut pkt = decode(&f, f.len() as u32, crate::dissect::linktype::ETHERNET);
            flows.observe(&mut pkt);
            let swallowed = r.swallows(&pkt);
            let out = r.process(&pkt);
            if swallowed {
                let held = Outcome {
                    truncate: true,
                    pdu_part: true,
                    ..Outcome::default()
                };
                assert_eq!(out, held);
            }
            seen.push((swallowed, out.pdu_part, out.pdu_at.is_some()));
        }
        assert_eq!(
            seen,
            [
                (false, true, false),
                (true, true, false),
                (false, false, true)
            ]
        );
    }

    /// The rebuilt buffer is the completing frame's headers, then the whole
    /// message: made in place after ordinary headers, copied after headers
    /// longer than the room kept for them (a 248-byte IPv6 hop-by-hop
    /// header here).
    #[test]
    fn the_rebuilt_pdu_follows_the_completing_frames_headers() {
        use super::{TcpReassembler, ROOM};
        use crate::flow::testutil::*;
        use crate::flow::FlowTracker;
        let mut msg = b"HTTP/1.1 200 OK\r\nContent-Length: 2500\r\n\r\n".to_vec();
        msg.extend_from_slice(&[b'x'; 2500]);
        for long in [false, true] {
            let (mut flows, mut r) = (FlowTracker::default(), TcpReassembler::default());
            let mut seq = 1;
            for (i, part) in [&msg[..1000], &msg[1000..2000], &msg[2000..]]
                .into_iter()
                .enumerate()
            {
                let s = Seg {
                    payload: part,
                    ..seg(80, 40000, seq, 1, ACK | PSH)
                };
                seq += part.len() as u32;
                let f = if long {
                    // Hop-by-hop options: TCP next, length (30 + 1) * 8, PadN.
                    let mut hbh = vec![6, 30, 1, 244];
                    hbh.resize(248, 0);
                    hbh.extend_from_slice(&s.bytes());
                    eth_frame(&ip6(&hbh, 2, 1, 0), 0x86dd)
                } else {
                    tcp4(S4, C4, &s)
                };
                let mut pkt = decode(&f, f.len() as u32, crate::dissect::linktype::ETHERNET);
                flows.observe(&mut pkt);
                let out = r.process(&pkt);
                if i == 2 {
                    let at = f.len() - part.len();
                    assert_eq!(at > ROOM, long);
                    assert_eq!(out.pdu_at, Some(at));
                    assert_eq!(r.buf(), [&f[..at], &msg[..]].concat());
                }
            }
        }
    }

    #[test]
    fn framing_comes_from_the_declarations() {
        for p in [Proto::Http, Proto::Tls, Proto::Dns] {
            assert!(p.decl().pdu_len.is_some(), "{p:?}");
        }
        for p in [Proto::Ssh, Proto::Data] {
            assert!(p.decl().pdu_len.is_none(), "{p:?}");
        }
    }
}
