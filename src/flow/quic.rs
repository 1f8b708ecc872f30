//! QUIC connection state: who the client is, the Destination Connection ID
//! its Initial keys come from (RFC 9001 §5.2; a Retry changes it), the
//! connection IDs each side chose (short headers do not carry their
//! length), and the Initial CRYPTO streams, reassembled so a ClientHello or
//! ServerHello split over packets is decoded once it is whole.
//!
//! Keyed by the UDP 5-tuple; at most [`MAX_CONNS`] connections (oldest
//! evicted first), each CRYPTO stream capped at [`MAX_CRYPTO`] bytes.

use crate::dissect::app::quic::{self, Frame, Hdr, Keys, Kind, LongType, Plain, Unprotect};
use crate::dissect::{Cx, Packet, Proto, QuicNote, ReasmKind, Src};
use arrayvec::ArrayVec;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

/// Connections tracked at once.
pub const MAX_CONNS: usize = 4096;
/// Bytes kept per Initial CRYPTO stream (a ClientHello is a few KiB).
pub const MAX_CRYPTO: usize = 64 * 1024;
/// Out-of-order CRYPTO pieces held per stream.
const MAX_PENDING: usize = 16;

type Cid = ArrayVec<u8, 20>;
type End = (IpAddr, u16);

#[derive(Default)]
struct Stream {
    data: Vec<u8>,
    pending: Vec<(usize, Vec<u8>)>,
    /// Bytes of whole handshake messages already handed to TLS.
    shown: usize,
}

impl Stream {
    fn add(&mut self, off: u64, d: &[u8]) {
        let Ok(off) = usize::try_from(off) else {
            return;
        };
        if off >= MAX_CRYPTO {
            return;
        }
        let d = &d[..d.len().min(MAX_CRYPTO - off)];
        if off > self.data.len() {
            if self.pending.len() < MAX_PENDING {
                self.pending.push((off, d.to_vec()));
            }
            return;
        }
        self.append(off, d);
        // Pieces that now join the contiguous prefix.
        while let Some(i) = self.pending.iter().position(|p| p.0 <= self.data.len()) {
            let (o, p) = self.pending.swap_remove(i);
            self.append(o, &p);
        }
    }

    fn append(&mut self, off: usize, d: &[u8]) {
        let have = self.data.len();
        if off + d.len() > have {
            self.data.extend_from_slice(&d[have - off..]);
        }
    }

    /// The whole handshake messages completed since the last call.
    fn take_new(&mut self) -> &[u8] {
        let start = self.shown;
        let mut at = start;
        while let Some(h) = self.data.get(at..at + 4) {
            let len = u32::from_be_bytes([0, h[1], h[2], h[3]]) as usize;
            if at + 4 + len > self.data.len() {
                break;
            }
            at += 4 + len;
        }
        self.shown = at;
        &self.data[start..at]
    }
}

struct Conn {
    number: u32,
    client: End,
    version: u32,
    key_dcid: Cid,
    after_retry: bool,
    client_cid: Cid,
    server_cid: Cid,
    /// Initial CRYPTO streams: client to server, server to client.
    crypto: [Stream; 2],
}

/// Where the decrypted copy put things, for [`apply`].
#[derive(Clone, Copy, Debug)]
pub struct Image {
    /// Offset of the UDP payload (the datagram) in the copy.
    pub at: usize,
    pub dg_len: usize,
    /// Start and end of the TLS handshake bytes completed by this datagram.
    pub tls: (usize, usize),
}

#[derive(Default)]
pub struct QuicTracker {
    conns: HashMap<(End, End), Conn>,
    order: VecDeque<(End, End)>,
    next_number: u32,
    /// With several workers: capture-wide connection numbering.
    ledger: Option<super::ledger::LedgerHandle>,
    /// Connection numbers forgotten (evicted) since
    /// [`Self::take_forgotten`], kept only when asked.
    forgotten: Option<Vec<u32>>,
    buf: Vec<u8>,
    plain: Vec<u8>,
    plains: Vec<u8>,
    /// Connections dropped to stay under the cap.
    pub evicted: u64,
}

fn cid_of(b: &[u8], r: &std::ops::Range<usize>) -> Cid {
    b.get(r.clone())
        .and_then(|s| Cid::try_from(s).ok())
        .unwrap_or_default()
}

impl QuicTracker {
    /// Numbers connections capture-wide, as one of several workers.
    /// Keeps the connection numbers it forgets for [`Self::take_forgotten`].
    pub fn keep_forgotten(&mut self) {
        self.forgotten = Some(Vec::new());
    }

    /// The connection numbers forgotten since the last call.
    pub fn take_forgotten(&mut self) -> Vec<u32> {
        self.forgotten
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Connections numbered so far: with its own numbering, the next
    /// `quic.connection.number`.
    pub fn opened(&self) -> u32 {
        self.next_number
    }

    pub fn set_ledger(&mut self, l: super::ledger::LedgerHandle) {
        self.ledger = Some(l);
    }

    /// The decrypted copy of the last datagram [`process`](Self::process) built.
    pub fn buf(&self) -> &[u8] {
        &self.buf
    }

    /// Decodes as QUIC a UDP datagram left as data between the two ends of
    /// a connection already seen (short header packets carry no version, so
    /// on a port other than 443 only the connection tells them apart), as
    /// tshark does once it has seen the handshake.
    pub fn claim(&self, pkt: &mut Packet<'_>) {
        let n = pkt.layers.len();
        if n < 2 {
            return;
        }
        let (udp, data) = (pkt.layers[n - 2], pkt.layers[n - 1]);
        if udp.proto != Proto::Udp || data.proto != Proto::Data || data.src != Src::Frame {
            return;
        }
        let Some((sport, dport)) = crate::dissect::transport::ports(pkt.bytes(udp.header())) else {
            return;
        };
        let Some((sa, da)) = pkt.addrs() else {
            return;
        };
        let (src, dst) = ((sa, sport), (da, dport));
        let key = if src <= dst { (src, dst) } else { (dst, src) };
        if !self.conns.contains_key(&key) || quic::parse_at(pkt.bytes(data.extent()), 0).is_none() {
            return;
        }
        pkt.layers.truncate(n - 1);
        let mut cx = Cx {
            pkt,
            limit: data.limit as usize,
            src: Src::Frame,
        };
        quic::dissect(&mut cx, data.start as usize);
    }

    /// Updates the connection of a datagram holding a `quic` layer and, when
    /// it carries Initial packets the connection has keys for, builds the
    /// decrypted copy. Returns what the packet should note, and the copy's
    /// layout when one was built.
    pub fn process(&mut self, pkt: &Packet<'_>) -> Option<(QuicNote, Option<Image>)> {
        let qi = pkt
            .layers
            .iter()
            .position(|l| l.proto == Proto::Quic && l.src == Src::Frame)?;
        let q = pkt.layers[qi];
        let udp = pkt.layers[..qi]
            .iter()
            .rev()
            .find(|l| l.proto == Proto::Udp)?;
        let (sport, dport) = crate::dissect::transport::ports(pkt.bytes(udp.header()))?;
        let (sa, da) = pkt.addrs()?;
        let (src, dst) = ((sa, sport), (da, dport));
        let key = if src <= dst { (src, dst) } else { (dst, src) };
        let dg = pkt.bytes(q.extent());
        let hdrs: ArrayVec<Hdr, 16> = quic::packets(dg).take(16).collect();
        if !self.conns.contains_key(&key) {
            let Some(Hdr {
                kind: Kind::Long { version, dcid, .. },
                ..
            }) = hdrs.first().filter(|h| h.is_initial())
            else {
                return None;
            };
            while self.conns.len() >= MAX_CONNS {
                let Some(old) = self.order.pop_front() else {
                    break;
                };
                if let Some(c) = self.conns.remove(&old) {
                    self.evicted += 1;
                    if let Some(f) = &mut self.forgotten {
                        f.push(c.number);
                    }
                }
            }
            let number = match &mut self.ledger {
                Some(l) => l.assign(0, pkt.number, self.next_number),
                None => self.next_number,
            };
            let c = Conn {
                number,
                client: src,
                version: *version,
                key_dcid: cid_of(dg, dcid),
                after_retry: false,
                client_cid: Cid::new(),
                server_cid: Cid::new(),
                crypto: Default::default(),
            };
            self.next_number = self.next_number.wrapping_add(1);
            self.conns.insert(key, c);
            self.order.push_back(key);
        }
        let c = self.conns.get_mut(&key)?;
        let from_server = src != c.client;
        for h in &hdrs {
            if let Kind::Long {
                ty,
                dcid,
                scid,
                version,
                ..
            } = &h.kind
            {
                if from_server {
                    c.server_cid = cid_of(dg, scid);
                    if *ty == LongType::Retry {
                        c.after_retry = true;
                    }
                } else {
                    c.client_cid = cid_of(dg, scid);
                    if *ty == LongType::Initial && c.after_retry {
                        c.key_dcid = cid_of(dg, dcid);
                        c.version = *version;
                        c.after_retry = false;
                    }
                }
            }
        }
        let note = QuicNote {
            conn: c.number,
            from_server,
            dcil: if from_server {
                c.client_cid.len() as u8
            } else {
                c.server_cid.len() as u8
            },
        };
        let wants = hdrs.iter().any(|h| {
            matches!(h.kind, Kind::Long { ty: LongType::Initial, version, .. }
                if version == quic::V1 || version == quic::V2)
        });
        // A datagram rebuilt from IP fragments already uses the packet's
        // reassembled buffer: its Initial packets stay encrypted.
        if !wants || pkt.reasm_kind.is_some() {
            return Some((note, None));
        }
        let at = q.start as usize;
        self.buf.clear();
        self.buf.extend_from_slice(pkt.bytes(0..at));
        self.buf.extend_from_slice(dg);
        self.plains.clear();
        let mut states: ArrayVec<(Unprotect, usize), 16> = ArrayVec::new();
        let dir = from_server as usize;
        for h in &hdrs {
            let Kind::Long {
                ty: LongType::Initial,
                version,
                pn_at,
                ..
            } = h.kind
            else {
                states.push((Unprotect::None, 0));
                continue;
            };
            let st = match Keys::initial(version, &c.key_dcid, from_server) {
                Some(k) => {
                    let p = &mut self.buf[at + h.span.start..at + h.span.end];
                    quic::unprotect(&k, p, pn_at - h.span.start, &mut self.plain)
                }
                None => Unprotect::None,
            };
            if st == Unprotect::Full {
                let plain = &self.plain;
                let stream = &mut c.crypto[dir];
                quic::walk_frames(plain, |_, _, f| {
                    if let Frame::Crypto { offset, data } = f {
                        stream.add(offset, &plain[data.0..data.1]);
                    }
                });
                self.plains.extend_from_slice(plain);
                states.push((st, plain.len()));
            } else {
                states.push((st, 0));
            }
        }
        Plain::write_table(&mut self.buf, &states);
        self.buf.extend_from_slice(&self.plains);
        let tls_start = self.buf.len();
        self.buf.extend_from_slice(c.crypto[dir].take_new());
        Some((
            note,
            Some(Image {
                at,
                dg_len: dg.len(),
                tls: (tls_start, self.buf.len()),
            }),
        ))
    }
}

/// Replaces the packet's `quic` layer by one decoded from the decrypted copy
/// (already set as `pkt.reassembled`), followed by a `tls` layer when the
/// datagram completed handshake messages.
pub fn apply(pkt: &mut Packet<'_>, img: Image) {
    let Some(qi) = pkt.layers.iter().position(|l| l.proto == Proto::Quic) else {
        return;
    };
    pkt.layers.truncate(qi);
    pkt.reassembled_at = img.at as u32;
    pkt.reasm_kind = Some(ReasmKind::Quic);
    let limit = pkt.reassembled.len();
    let mut cx = Cx {
        pkt,
        limit,
        src: Src::Reassembled,
    };
    cx.push(Proto::Quic, img.at, img.at + img.dg_len, img.tls.0);
    if img.tls.1 > img.tls.0 {
        cx.push(Proto::Tls, img.tls.0, img.tls.1, img.tls.1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crypto_stream_reassembles_in_any_order_and_stays_capped() {
        let mut s = Stream::default();
        let msg = [1u8, 0, 0, 6, 1, 2, 3, 4, 5, 6];
        s.add(5, &msg[5..]);
        assert!(s.take_new().is_empty());
        s.add(0, &msg[..5]);
        assert_eq!(s.take_new(), &msg[..]);
        // A retransmission shows nothing new.
        s.add(0, &msg);
        assert!(s.take_new().is_empty());
        s.add(MAX_CRYPTO as u64 - 2, &[9; 100]);
        s.add(u64::MAX, &[9; 10]);
        assert!(s.data.len() <= MAX_CRYPTO);
        for i in 0..100 {
            s.add(20_000 + i * 10, &[0; 5]);
        }
        assert!(s.pending.len() <= MAX_PENDING);
    }
}
