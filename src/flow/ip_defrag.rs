//! IPv4 and IPv6 defragmentation, as tshark's `ip.defragment` does it in
//! one pass: fragments are kept per (src, dst, protocol, id) (IPv6: src,
//! dst, id) in offset order; the datagram is complete when the last
//! fragment (MF clear) is known and no hole is left, and it is decoded on
//! the fragment that completes it. Overlaps are resolved as Wireshark's
//! `fragment_defragment_and_free`: fragments are copied in offset order
//! (ties in arrival order) and each only fills bytes not yet written.
//!
//! Bounded: past `max_bytes` of stored fragments, or `timeout` of capture
//! time after a datagram's first fragment, the oldest datagrams are
//! dropped and counted.

use super::FlowHasherBuilder;
use crate::dissect::{Packet, Proto, ReasmKind, Src};
use std::collections::{HashMap, VecDeque};

/// Default cap on bytes held in incomplete datagrams.
pub const DEFAULT_MAX_BYTES: usize = 16 << 20;
/// Default idle time after which an incomplete datagram is dropped (ns).
pub const DEFAULT_TIMEOUT_NS: i128 = 60_000_000_000;
/// Bookkeeping charged per fragment and per datagram on top of its bytes,
/// so a flood of tiny fragments is bounded too.
const FRAG_OVERHEAD: usize = 64;
const DGRAM_OVERHEAD: usize = 160;
/// Largest IP payload a datagram can be rebuilt to.
const MAX_DATAGRAM: usize = 65_535;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Key {
    v6: bool,
    src: [u8; 16],
    dst: [u8; 16],
    proto: u8,
    id: u32,
}

struct Frag {
    off: usize,
    data: Vec<u8>,
    frame: u64,
}

struct Pending {
    frags: Vec<Frag>,
    /// Payload length, known once the last fragment is seen.
    total: Option<usize>,
    first_ns: i128,
    charged: usize,
    generation: u64,
}

/// A datagram completed by the current packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Done {
    pub kind: ReasmKind,
    /// IP protocol / next header of the rebuilt payload.
    pub proto: u8,
    /// Layers of the frame to keep (through the IP or fragment header).
    pub keep: usize,
    /// Where the rebuilt payload starts in `buf()`.
    pub at: usize,
}

/// The fragment facts of one packet.
struct Piece {
    key: Key,
    kind: ReasmKind,
    off: usize,
    more: bool,
    /// Layer index of the IPv4 header / IPv6 fragment header.
    idx: usize,
    /// Layer index of the IP header (IPv4 or IPv6) to patch.
    ip_idx: usize,
}

pub struct Defrag {
    pending: HashMap<Key, Pending, FlowHasherBuilder>,
    order: VecDeque<(Key, u64)>,
    generation: u64,
    bytes: usize,
    pub max_bytes: usize,
    pub timeout_ns: i128,
    /// Datagrams dropped incomplete (cap or timeout).
    pub evicted: u64,
    pub evicted_for_cap: u64,
    buf: Vec<u8>,
    pieces: Vec<u64>,
}

impl Default for Defrag {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_NS)
    }
}

use crate::dissect::net::ipv4::{self, Ipv4Header};
use crate::dissect::net::ipv6::{self, Ipv6FragHeader, Ipv6Header};

/// Finds the fragment header of a packet whose decoding stopped at a
/// fragment (the IP layer is last, or followed only by `Data`).
fn piece(pkt: &Packet<'_>) -> Option<Piece> {
    let n = pkt.layers.len();
    let last = n.checked_sub(1)?;
    let idx = if pkt.layers[last].proto == Proto::Data {
        last.checked_sub(1)?
    } else {
        last
    };
    let l = pkt.layers[idx];
    if l.src != Src::Frame {
        return None;
    }
    let h = pkt.bytes(l.header());
    match l.proto {
        Proto::Ip => {
            let ip = Ipv4Header::new(h).filter(|ip| ip.is_fragment())?;
            let mapped = |a: [u8; 4]| {
                let mut m = [0u8; 16];
                m[12..].copy_from_slice(&a);
                m
            };
            Some(Piece {
                key: Key {
                    v6: false,
                    src: mapped(ip.src()),
                    dst: mapped(ip.dst()),
                    proto: ip.protocol(),
                    id: ip.ident() as u32,
                },
                kind: ReasmKind::Ipv4,
                off: ip.frag_offset() as usize * 8,
                more: ip.more_fragments(),
                idx,
                ip_idx: idx,
            })
        }
        Proto::Ipv6Frag => {
            let f = Ipv6FragHeader::new(h).filter(|f| f.is_fragment())?;
            let ip_idx = pkt.layers[..idx]
                .iter()
                .rposition(|x| x.proto == Proto::Ipv6)?;
            let ip = Ipv6Header::new(pkt.bytes(pkt.layers[ip_idx].header()))?;
            Some(Piece {
                key: Key {
                    v6: true,
                    src: ip.src(),
                    dst: ip.dst(),
                    proto: 0,
                    id: f.ident(),
                },
                kind: ReasmKind::Ipv6,
                off: f.offset_bytes() as usize,
                more: f.more_fragments(),
                idx,
                ip_idx,
            })
        }
        _ => None,
    }
}

impl Defrag {
    pub fn new(max_bytes: usize, timeout_ns: i128) -> Self {
        Defrag {
            pending: HashMap::with_hasher(FlowHasherBuilder::random()),
            order: VecDeque::new(),
            generation: 0,
            bytes: 0,
            max_bytes,
            timeout_ns,
            evicted: 0,
            evicted_for_cap: 0,
            buf: Vec::new(),
            pieces: Vec::new(),
        }
    }

    /// Bytes currently held (fragments plus bookkeeping).
    pub fn held(&self) -> usize {
        self.bytes
    }

    /// The last completed datagram: frame headers, then the rebuilt payload.
    pub fn buf(&self) -> &[u8] {
        &self.buf
    }

    /// Frame numbers of the last completed datagram's fragments.
    pub fn pieces(&self) -> &[u64] {
        &self.pieces
    }

    fn drop_entry(&mut self, k: &Key) {
        if let Some(p) = self.pending.remove(k) {
            self.bytes = self.bytes.saturating_sub(p.charged);
        }
    }

    /// Drops datagrams older than the timeout, then the oldest until
    /// `need` more bytes fit under the cap.
    fn expire(&mut self, now: i128, need: usize) {
        while let Some(&(k, g)) = self.order.front() {
            let Some(p) = self.pending.get(&k) else {
                self.order.pop_front();
                continue;
            };
            if p.generation != g {
                self.order.pop_front();
                continue;
            }
            let old = now.saturating_sub(p.first_ns) > self.timeout_ns;
            let full = self.bytes.saturating_add(need) > self.max_bytes;
            if !old && !full {
                break;
            }
            self.order.pop_front();
            self.drop_entry(&k);
            self.evicted += 1;
            if !old {
                self.evicted_for_cap += 1;
            }
        }
    }

    /// Adds the packet's fragment, if it is one. When it completes a
    /// datagram, `buf()`/`pieces()` hold it and the layout is returned.
    pub fn process(&mut self, pkt: &Packet<'_>) -> Option<Done> {
        if self.pending.is_empty() && self.order.is_empty() {
            // Fast path: most packets are not fragments.
            piece(pkt)?;
        }
        let now = pkt
            .ts
            .nanos_since(crate::source::Timestamp { sec: 0, nsec: 0 });
        let pc = piece(pkt);
        let Some(pc) = pc else {
            self.expire(now, 0);
            return None;
        };
        let l = pkt.layers[pc.idx];
        // The fragment's payload as its length field says; a fragment cut
        // by the snap length cannot be rebuilt from.
        let payload = pkt.bytes(l.payload());
        if pkt.data.len() < pkt.wire_len as usize && l.payload().end >= pkt.data.len() {
            return None;
        }
        let next_proto = match pc.kind {
            ReasmKind::Ipv4 => pc.key.proto,
            _ => Ipv6FragHeader::new(pkt.bytes(l.header()))?.next_header(),
        };
        let end = pc.off.saturating_add(payload.len());
        if end > MAX_DATAGRAM {
            return None;
        }
        let cost = payload.len() + FRAG_OVERHEAD;
        self.expire(now, cost + DGRAM_OVERHEAD);
        if cost + DGRAM_OVERHEAD > self.max_bytes {
            self.evicted += 1;
            self.evicted_for_cap += 1;
            return None;
        }
        let key = pc.key;
        if !self.pending.contains_key(&key) {
            self.generation += 1;
            self.pending.insert(
                key,
                Pending {
                    frags: Vec::new(),
                    total: None,
                    first_ns: now,
                    charged: DGRAM_OVERHEAD,
                    generation: self.generation,
                },
            );
            self.bytes += DGRAM_OVERHEAD;
            self.order.push_back((key, self.generation));
        }
        let p = self.pending.get_mut(&key)?;
        let pos = p.frags.partition_point(|f| f.off <= pc.off);
        p.frags.insert(
            pos,
            Frag {
                off: pc.off,
                data: payload.to_vec(),
                frame: pkt.number,
            },
        );
        p.charged += cost;
        self.bytes += cost;
        if !pc.more && p.total.is_none() {
            p.total = Some(end);
        }
        let total = p.total?;
        let mut max = 0usize;
        for f in &p.frags {
            if f.off > max {
                return None;
            }
            max = max.max(f.off + f.data.len());
        }
        if max < total {
            return None;
        }
        // Complete: frame headers (made whole), then the payload.
        let p = self.pending.remove(&key)?;
        self.bytes = self.bytes.saturating_sub(p.charged);
        let at = l.end as usize;
        self.buf.clear();
        self.buf.extend_from_slice(pkt.bytes(0..at));
        if self.buf.len() != at {
            return None;
        }
        let ip = pkt.layers[pc.ip_idx];
        let ips = ip.start as usize;
        match pc.kind {
            ReasmKind::Ipv4 => {
                let len = (at - ips + total).min(0xffff) as u16;
                let f = ipv4::TOTAL_LEN;
                self.buf[ips + f.start..ips + f.end].copy_from_slice(&len.to_be_bytes());
                // Keep DF/reserved, clear MF and the offset.
                let f = ipv4::FRAG_OFFSET;
                self.buf[ips + f.start] &= 0xc0;
                self.buf[ips + f.start + 1] = 0;
            }
            _ => {
                let len = (at - ips - ipv6::HEADER_LEN + total).min(0xffff) as u16;
                let f = ipv6::PAYLOAD_LEN;
                self.buf[ips + f.start..ips + f.end].copy_from_slice(&len.to_be_bytes());
                // Offset and M flag cleared: the datagram is whole.
                let f = ipv6::FRAG_OFFSET_WORD;
                let fs = l.start as usize;
                self.buf[fs + f.start..fs + f.end].fill(0);
            }
        }
        self.pieces.clear();
        let mut pos = 0usize;
        for f in &p.frags {
            self.pieces.push(f.frame);
            let fend = (f.off + f.data.len()).min(total);
            if fend > pos && f.off <= pos {
                self.buf
                    .extend_from_slice(&f.data[pos - f.off..fend - f.off]);
                pos = fend;
            }
        }
        Some(Done {
            kind: pc.kind,
            proto: next_proto,
            keep: pc.idx + 1,
            at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect;
    use crate::source::{Frame, Timestamp};

    /// An Ethernet + IPv4 fragment of UDP (proto 17) with the given id.
    fn frag4(id: u16, off8: u16, more: bool, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 14];
        f[12] = 0x08;
        let tl = (20 + payload.len()) as u16;
        let fo = off8 | if more { 0x2000 } else { 0 };
        f.extend_from_slice(&[0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0]);
        f[16..18].copy_from_slice(&tl.to_be_bytes());
        f[18..20].copy_from_slice(&id.to_be_bytes());
        f[20..22].copy_from_slice(&fo.to_be_bytes());
        f.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
        f.extend_from_slice(payload);
        f
    }

    fn run(d: &mut Defrag, n: u64, bytes: &[u8]) -> Option<(Done, Vec<u8>, Vec<u64>)> {
        let frame = Frame {
            ts: Timestamp { sec: 1, nsec: 0 },
            wire_len: bytes.len() as u32,
            linktype: 1,
            interface: 0,
            ts_digits: 6,
            bytes,
        };
        let pkt = dissect::dissect(&frame, n, frame.ts);
        let done = d.process(&pkt)?;
        Some((done, d.buf()[done.at..].to_vec(), d.pieces().to_vec()))
    }

    #[test]
    fn out_of_order_and_overlap_first_in_offset_order_wins() {
        let mut d = Defrag::default();
        let udp: Vec<u8> = (0u8..40).collect();
        // Last fragment first, then an overlapping middle, then the head.
        assert!(run(&mut d, 1, &frag4(7, 3, false, &udp[24..])).is_none());
        let mut mid = udp[8..32].to_vec();
        mid[20] = 0xee; // conflicts with the last fragment's byte 28
        assert!(run(&mut d, 2, &frag4(7, 1, true, &mid)).is_none());
        let (done, data, pieces) = run(&mut d, 3, &frag4(7, 0, true, &udp[..8])).unwrap();
        assert_eq!(done.proto, 17);
        assert_eq!(pieces, vec![3, 2, 1]);
        let mut want = udp.clone();
        want[28] = 0xee;
        assert_eq!(data, want);
        assert_eq!(d.held(), 0);
    }

    #[test]
    fn cap_evicts_oldest_and_counts() {
        let mut d = Defrag::new(4096, DEFAULT_TIMEOUT_NS);
        for id in 0..1000u16 {
            run(&mut d, id as u64, &frag4(id, 0, true, &[0u8; 64]));
            assert!(d.held() <= 4096);
        }
        assert!(d.evicted > 900);
    }
}
