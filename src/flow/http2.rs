//! HTTP/2 connection state: which TCP connections speak HTTP/2, and each
//! direction's HPACK decoding table.
//!
//! A connection becomes HTTP/2 when a client sends the connection preface
//! (on any port) or a server answers `101 Switching Protocols` to `h2c`;
//! from then on its payloads are HTTP/2 whatever their first bytes
//! (`FlowNote::app`), and the rest of the 101 segment too. Header blocks
//! (HEADERS or PUSH_PROMISE and their CONTINUATIONs) are decoded in TCP
//! order, as reassembly delivers the frames, with the table of their
//! direction; a SETTINGS_HEADER_TABLE_SIZE bounds the table the peer's
//! blocks fill.
//!
//! Bounded: each table is capped at `table_cap` bytes whatever SETTINGS
//! says, a pending header block at `MAX_BLOCK`, and past `max_conns`
//! connections (or `max_bytes` of tables) the least recently used are
//! dropped (CLOCK) and counted in `evicted`.

use crate::dissect::app::hpack::{self, Decoder};
use crate::dissect::app::http2::{
    self, Decoded, FrameHeader, Item, CONTINUATION, END_HEADERS, HEADERS, PADDED, PRIO,
    PUSH_PROMISE, SETTINGS,
};
use crate::dissect::transport::tcp::{TcpHeader, SYN};
use crate::dissect::{dissect_from, Next, Packet, Proto, Src, Tier};
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

/// Default cap on HTTP/2 connections tracked.
pub const DEFAULT_MAX_CONNS: usize = 4096;
/// Default cap on one HPACK table, whatever the peer's SETTINGS allow.
pub const DEFAULT_TABLE_CAP: usize = 64 << 10;
/// Default cap on the bytes of all tables together.
pub const DEFAULT_MAX_BYTES: usize = 32 << 20;
/// Largest header block buffered across CONTINUATION frames.
const MAX_BLOCK: usize = 256 << 10;

#[derive(Default)]
struct Dir {
    dec: Decoder,
    /// TCP sequence number where the next frame starts, as tshark keeps it
    /// to tell a segment that continues a frame from one that starts one.
    next_seq: Option<u32>,
    /// Fragments of a header block waiting for END_HEADERS.
    pending: Vec<u8>,
    overflow: bool,
}

struct Conn {
    /// The client's address and port: direction 0 is from it.
    client: (IpAddr, u16),
    dirs: [Dir; 2],
    used: bool,
}

impl Conn {
    fn new(client: (IpAddr, u16), table_cap: usize) -> Self {
        let d = || Dir {
            dec: Decoder::new(hpack::DEFAULT_TABLE_SIZE.min(table_cap)),
            ..Default::default()
        };
        Conn {
            client,
            dirs: [d(), d()],
            used: false,
        }
    }

    fn bytes(&self) -> usize {
        self.dirs
            .iter()
            .map(|d| d.dec.size() + d.pending.capacity())
            .sum()
    }
}

pub struct Http2Conns {
    conns: HashMap<u32, Conn>,
    order: VecDeque<u32>,
    pub max_conns: usize,
    pub table_cap: usize,
    pub max_bytes: usize,
    bytes: usize,
    /// Connections dropped to stay under the caps.
    pub evicted: u64,
    /// Header blocks that failed to decode (HPACK errors, oversized blocks).
    pub hpack_errors: u64,
}

impl Default for Http2Conns {
    fn default() -> Self {
        Http2Conns {
            conns: HashMap::new(),
            order: VecDeque::new(),
            max_conns: DEFAULT_MAX_CONNS,
            table_cap: DEFAULT_TABLE_CAP,
            max_bytes: DEFAULT_MAX_BYTES,
            bytes: 0,
            evicted: 0,
            hpack_errors: 0,
        }
    }
}

fn tcp_stream(pkt: &Packet<'_>) -> Option<u32> {
    pkt.transport()
        .filter(|t| t.proto == Proto::Tcp)
        .and(pkt.flow.stream)
}

fn endpoints(pkt: &Packet<'_>) -> Option<((IpAddr, u16), (IpAddr, u16))> {
    let (s, d) = pkt.addrs()?;
    let (sp, dp) = pkt.ports()?;
    Some(((s, sp), (d, dp)))
}

/// True for an HTTP layer that is a `101` response upgrading to `h2c`.
fn upgrades_to_h2c(head: &[u8]) -> bool {
    if !(head.starts_with(b"HTTP/1.") && head.get(8..13) == Some(b" 101 ")) {
        return false;
    }
    head.split(|&c| c == b'\n').any(|line| {
        let l = line.to_ascii_lowercase();
        l.starts_with(b"upgrade:") && l.windows(3).any(|w| w == b"h2c")
    })
}

impl Http2Conns {
    pub fn len(&self) -> usize {
        self.conns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.conns.is_empty()
    }

    /// Says a known HTTP/2 connection's payload is HTTP/2, before its
    /// application layers are classified.
    pub fn note(&self, pkt: &mut Packet<'_>) {
        if self.conns.is_empty() {
            return;
        }
        if let Some(s) = tcp_stream(pkt) {
            if self.conns.contains_key(&s) {
                pkt.flow.app = Some(Proto::Http2);
                pkt.flow.app_from = 0;
            }
        }
    }

    fn add(&mut self, stream: u32, client: (IpAddr, u16)) {
        if self.conns.contains_key(&stream) {
            return;
        }
        let mut budget = self.order.len().saturating_mul(2).saturating_add(1);
        while self.conns.len() >= self.max_conns.max(1) && budget > 0 {
            budget -= 1;
            self.evict_one();
        }
        self.conns.insert(stream, Conn::new(client, self.table_cap));
        self.order.push_back(stream);
    }

    /// One CLOCK step: clears a second-chance bit or drops a connection.
    fn evict_one(&mut self) {
        let Some(k) = self.order.pop_front() else {
            return;
        };
        match self.conns.get_mut(&k) {
            Some(c) if c.used => {
                c.used = false;
                self.order.push_back(k);
            }
            Some(_) => {
                if let Some(c) = self.conns.remove(&k) {
                    self.bytes = self.bytes.saturating_sub(c.bytes());
                    self.evicted += 1;
                }
            }
            None => {}
        }
    }

    /// After the frame's own decoding: finds new HTTP/2 connections (the
    /// preface, a 101 to h2c) and decodes a known connection's payload as
    /// HTTP/2 where classification by content and port could not tell.
    pub fn mark(&mut self, pkt: &mut Packet<'_>) {
        let Some(stream) = tcp_stream(pkt) else {
            return;
        };
        let Some(t) = pkt.layers.iter().position(|l| l.proto == Proto::Tcp) else {
            return;
        };
        let tl = pkt.layers[t];
        if tl.src != Src::Frame {
            return;
        }
        // Only a known connection, an HTTP/2 layer or a 101 to h2c can
        // change anything below: most segments stop here.
        if !self.conns.contains_key(&stream) {
            let above = &pkt.layers[t + 1..];
            let upgrade = || {
                above
                    .iter()
                    .find(|l| l.proto == Proto::Http)
                    .is_some_and(|h| h.src == Src::Frame && upgrades_to_h2c(pkt.bytes(h.header())))
            };
            if !above.iter().any(|l| l.proto == Proto::Http2) && !upgrade() {
                return;
            }
        }
        let Some((src, dst)) = endpoints(pkt) else {
            return;
        };
        let seg = TcpHeader::new(pkt.bytes(tl.header()))
            .map(|h| h.seq().wrapping_add((h.flags() & SYN != 0) as u32));
        if let Some(conn) = self.conns.get_mut(&stream) {
            pkt.flow.app = Some(Proto::Http2);
            pkt.flow.app_from = 0;
            let pay = tl.payload();
            if pay.is_empty() || pkt.flow.retransmission {
                return;
            }
            let d = if src == conn.client { 0 } else { 1 };
            // Where the first frame starts in this segment.
            let skip = match (conn.dirs[d].next_seq, seg) {
                (Some(n), Some(seq)) => {
                    let ahead = n.wrapping_sub(seq) as i32;
                    if ahead < 0 {
                        0
                    } else {
                        (ahead as usize).min(pay.len())
                    }
                }
                _ => 0,
            };
            let first = pkt.layers.get(t + 1).copied();
            let redo = skip > 0 || first.is_some_and(|l| l.proto != Proto::Http2);
            if redo {
                pkt.layers.truncate(t + 1);
                if pkt
                    .issue
                    .is_some_and(|i| i.proto.tier() == Tier::Application)
                {
                    pkt.issue = None;
                }
                if pay.start + skip < pay.end {
                    let lim = tl.limit as usize;
                    dissect_from(
                        pkt,
                        Src::Frame,
                        Next::Proto(Proto::Http2, pay.start + skip),
                        lim,
                    );
                }
            }
            if let (Some(seq), true) = (seg, skip < pay.len()) {
                let b = pkt.bytes(pay.start + skip..pay.end);
                let used = frames_span(b);
                conn.dirs[d].next_seq = Some(seq.wrapping_add((skip + used) as u32));
            }
            return;
        }
        if let Some(l) = pkt.layers[t + 1..].iter().find(|l| l.proto == Proto::Http2) {
            let b = pkt.bytes_of(l, l.extent());
            if l.src == Src::Frame && http2::looks_like(b) {
                let at = l.start as usize - tl.end as usize;
                self.add(stream, src);
                pkt.flow.app = Some(Proto::Http2);
                if let (Some(c), Some(seq)) = (self.conns.get_mut(&stream), seg) {
                    c.dirs[0].next_seq = Some(seq.wrapping_add((at + frames_span(b)) as u32));
                }
            }
            return;
        }
        let Some(h) = pkt.layers[t + 1..]
            .iter()
            .position(|l| l.proto == Proto::Http)
            .map(|i| i + t + 1)
        else {
            return;
        };
        // A 101 to h2c: the check at the top let nothing else through.
        let hl = pkt.layers[h];
        self.add(stream, dst);
        // The rest of the segment after the 101's header is HTTP/2.
        let end = hl.end as usize;
        pkt.flow.app = Some(Proto::Http2);
        pkt.flow.app_from = end as u32;
        pkt.layers.truncate(h + 1);
        pkt.layers[h].limit = hl.end;
        let lim = tl.limit as usize;
        if end < lim {
            dissect_from(pkt, Src::Frame, Next::Proto(Proto::Http2, end), lim);
        }
        let span = frames_span(pkt.bytes(end..lim.max(end)));
        if let (Some(c), Some(seq)) = (self.conns.get_mut(&stream), seg) {
            let at = end.saturating_sub(tl.end as usize);
            c.dirs[1].next_seq = Some(seq.wrapping_add((at + span) as u32));
        }
    }

    /// Decodes the header blocks of the packet's HTTP/2 layers with the
    /// connection's tables, in order, writing `Decoded` records to `out`.
    pub fn decode(&mut self, pkt: &Packet<'_>, out: &mut Vec<u8>) {
        out.clear();
        if self.conns.is_empty() || !pkt.has(Proto::Http2) {
            return;
        }
        let (Some(stream), Some((src, _))) = (tcp_stream(pkt), endpoints(pkt)) else {
            return;
        };
        let table_cap = self.table_cap;
        let Some(conn) = self.conns.get_mut(&stream) else {
            return;
        };
        conn.used = true;
        let before = conn.bytes();
        let d = if src == conn.client { 0 } else { 1 };
        let mut errors = 0u64;
        for l in pkt.layers.iter().filter(|l| l.proto == Proto::Http2) {
            let b = pkt.bytes_of(l, l.extent());
            for item in http2::items(b, l.start as usize) {
                let Item::Frame { at, h, whole } = item else {
                    continue;
                };
                if !whole {
                    continue;
                }
                let p = pkt.bytes_of(l, at + http2::HDR..at + http2::HDR + h.len as usize);
                match h.ty {
                    SETTINGS if h.flags & 1 == 0 => {
                        // Our SETTINGS_HEADER_TABLE_SIZE bounds the table
                        // of what the peer sends us.
                        for s in p.chunks_exact(6) {
                            if u16::from_be_bytes([s[0], s[1]]) == 1 {
                                let v = u32::from_be_bytes([s[2], s[3], s[4], s[5]]) as usize;
                                conn.dirs[1 - d].dec.set_limit(v.min(table_cap));
                            }
                        }
                    }
                    HEADERS | PUSH_PROMISE | CONTINUATION => {
                        let dir = &mut conn.dirs[d];
                        let frag = block_fragment(&h, p);
                        if dir.pending.len() + frag.len() > MAX_BLOCK {
                            dir.overflow = true;
                        } else {
                            dir.pending.extend_from_slice(frag);
                        }
                        if h.flags & END_HEADERS == 0 {
                            continue;
                        }
                        let rec = Decoded::begin(out, l.src, at);
                        let mut n = 0u16;
                        let status = if dir.overflow {
                            1
                        } else {
                            let r = dir.dec.decode(&dir.pending, |hd| {
                                if n < u16::MAX {
                                    Decoded::push_header(out, hd.repr, hd.index, hd.name, hd.value);
                                    n += 1;
                                }
                            });
                            r.is_err() as u8
                        };
                        errors += (status != 0) as u64;
                        Decoded::finish(out, rec, status, n);
                        dir.pending.clear();
                        dir.overflow = false;
                        if dir.pending.capacity() > 1 << 16 {
                            dir.pending = Vec::new();
                        }
                    }
                    _ => {}
                }
            }
        }
        let after = conn.bytes();
        self.hpack_errors += errors;
        self.bytes = self.bytes.saturating_sub(before).saturating_add(after);
        let mut budget = self.order.len().saturating_mul(2).saturating_add(1);
        while self.bytes > self.max_bytes && budget > 0 {
            budget -= 1;
            self.evict_one();
        }
    }
}

/// How far the preface and frames starting at `b[0]` reach (past `b`'s
/// end when the last frame continues in later segments).
fn frames_span(b: &[u8]) -> usize {
    let mut end = 0usize;
    for item in http2::items(b, 0) {
        end = match item {
            Item::Magic(at) => at + http2::PREFACE.len(),
            Item::Frame { at, h, .. } => at + http2::HDR + h.len as usize,
        };
    }
    end
}

/// The header block fragment of a HEADERS, PUSH_PROMISE or CONTINUATION
/// payload: without padding, priority and promised stream id.
fn block_fragment<'b>(h: &FrameHeader, p: &'b [u8]) -> &'b [u8] {
    let mut start = 0usize;
    let mut end = p.len();
    if h.flags & PADDED != 0 && h.ty != CONTINUATION {
        let pad = p.first().copied().unwrap_or(0) as usize;
        start = 1;
        end = end.saturating_sub(pad);
    }
    if h.ty == HEADERS && h.flags & PRIO != 0 {
        start += 5;
    }
    if h.ty == PUSH_PROMISE {
        start += 4;
    }
    p.get(start..end).unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_the_upgrade_response() {
        assert!(upgrades_to_h2c(
            b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"
        ));
        assert!(!upgrades_to_h2c(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
        ));
        assert!(!upgrades_to_h2c(b"HTTP/1.1 200 OK\r\nUpgrade: h2c\r\n\r\n"));
    }

    #[test]
    fn fragments_drop_padding_and_priority() {
        let h = FrameHeader {
            len: 0,
            ty: HEADERS,
            flags: PADDED | PRIO,
            r: false,
            stream: 1,
        };
        let p = [2u8, 0, 0, 0, 3, 15, 0x82, 0x84, 0, 0];
        assert_eq!(block_fragment(&h, &p), &[0x82, 0x84]);
        // A pad length past the payload leaves nothing, without panicking.
        assert_eq!(block_fragment(&h, &[200, 1, 2]), &[] as &[u8]);
    }
}
