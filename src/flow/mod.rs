//! Per-connection state: `tcp.stream` / `udp.stream` indices, TCP relative
//! sequence numbers and window scaling, assigned as tshark 4.0 assigns them.
//!
//! tshark's rules, which this module mirrors:
//! - a conversation is the address/port pair of the transport header's
//!   nearest enclosing IP header, in either direction; each new one gets the
//!   next index (TCP and UDP count separately);
//! - a pure SYN whose sequence number differs from the base already recorded
//!   for its direction starts a new TCP stream (port reuse); a SYN with the
//!   same number is a retransmission and stays. tshark ignores FIN/RST here;
//! - the base of each direction is the ISN of its SYN, else one less than the
//!   first sequence number seen; the peer's base may also be learnt from the
//!   first ACK (ack - 1), so a capture that starts mid-stream counts from 1;
//! - a SYN-ACK with a new ISN moves the base of its direction;
//! - window scale: a WS option sets its sender's shift; a SYN without one
//!   means no scaling either way, as does a SYN-ACK answering a SYN without one.
//!
//! The table is bounded: past `max_entries` the oldest conversations (a
//! CLOCK second-chance approximation of least recently used) are evicted and
//! counted, and a conversation seen again after eviction gets a new index.

pub mod conversations;
pub mod echo;
pub mod follow;
pub mod ftp_data;
pub mod http2;
pub mod ip_defrag;
pub mod ledger;

/// The fields whose values are stream indices this module numbers, in the
/// order of `--threads`' stream maps (TCP, UDP, QUIC).
pub const STREAM_FIELDS: [&str; 3] = ["tcp.stream", "udp.stream", "quic.connection.number"];

/// A stream-index field's place in [`STREAM_FIELDS`] (None: another field).
pub fn stream_slot(name: &str) -> Option<usize> {
    STREAM_FIELDS.iter().position(|&s| s == name)
}
pub mod quic;
pub mod stats;
pub mod stream;
pub mod tcp_reassembly;
#[cfg(test)]
pub(crate) mod testutil;

use crate::dissect::net::{ipv4::Ipv4Header, ipv6::Ipv6Header};
use crate::dissect::transport::tcp::{self, TcpHeader, ACK, AE, CWR, ECE, FIN, RST, SYN};
use crate::dissect::transport::{self, udp::UdpHeader};
use crate::dissect::{Packet, Proto, Src};
use std::collections::hash_map::Entry;
use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hasher};
use std::net::Ipv4Addr;

/// Default cap on tracked conversations.
pub const DEFAULT_MAX_ENTRIES: usize = conversations::DEFAULT_MAX_OPEN;

/// A direction-free conversation key: the two endpoints in canonical order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Key {
    proto: u8,
    a: [u8; 16],
    b: [u8; 16],
    pa: u16,
    pb: u16,
}

impl std::hash::Hash for Key {
    /// Five words (the derived hash writes nine, with two length prefixes):
    /// this runs for every packet.
    fn hash<H: Hasher>(&self, h: &mut H) {
        let (a, b) = (u128::from_ne_bytes(self.a), u128::from_ne_bytes(self.b));
        h.write_u64(a as u64);
        h.write_u64((a >> 64) as u64);
        h.write_u64(b as u64);
        h.write_u64((b >> 64) as u64);
        h.write_u64(u64::from(self.proto) | (u64::from(self.pa) << 8) | (u64::from(self.pb) << 24));
    }
}

/// Per-direction TCP state (tshark's `tcp_flow_t`, the parts we need).
#[derive(Clone, Copy, Debug)]
struct Dir {
    base: Option<u32>,
    /// One past the highest sequence number seen (SYN and FIN count one).
    next_seq: Option<u32>,
    /// -1 unknown, -2 no scaling, else the shift count.
    win_scale: i8,
}

impl Default for Dir {
    fn default() -> Self {
        Dir {
            base: None,
            next_seq: None,
            win_scale: -1,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Conv {
    stream: u32,
    /// Indexed by direction: 0 when the packet's source is endpoint `a`.
    dir: [Dir; 2],
    acc_ecn_syn: bool,
    acc_ecn_synack: bool,
    /// The protocol the server's ALPN chose (TLS 1.2; 1.3 encrypts it).
    alpn: Option<u8>,
    /// Second-chance bit for CLOCK eviction.
    used: bool,
}

impl Conv {
    fn new(stream: u32) -> Self {
        Conv {
            stream,
            dir: [Dir::default(); 2],
            acc_ecn_syn: false,
            acc_ecn_synack: false,
            alpn: None,
            used: false,
        }
    }
}

/// Folded-multiply hasher with a per-table random seed: fast on our small
/// fixed keys, and an attacker cannot precompute colliding socket pairs.
#[derive(Clone, Copy)]
pub struct FlowHasher {
    state: u64,
    seed: u64,
}

const MUL: u64 = 0x9e37_79b9_7f4a_7c15;

#[inline]
fn fold(a: u64, b: u64) -> u64 {
    let r = (a as u128).wrapping_mul(b as u128);
    (r as u64) ^ ((r >> 64) as u64)
}

impl Hasher for FlowHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in chunks.by_ref() {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.state = fold(self.state ^ w, self.seed ^ MUL);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.state = fold(self.state ^ u64::from_le_bytes(buf), self.seed ^ MUL);
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.write_u64(i as u64);
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.write_u64(i as u64);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.state = fold(self.state ^ i, self.seed ^ MUL);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        fold(self.state, self.seed.rotate_left(17) | 1)
    }
}

#[derive(Clone, Copy)]
pub struct FlowHasherBuilder {
    seed: u64,
}

impl FlowHasherBuilder {
    pub fn random() -> Self {
        let seed = RandomState::new().build_hasher().finish();
        FlowHasherBuilder { seed }
    }
}

impl BuildHasher for FlowHasherBuilder {
    type Hasher = FlowHasher;
    fn build_hasher(&self) -> FlowHasher {
        FlowHasher {
            state: self.seed,
            seed: self.seed,
        }
    }
}

/// Assigns stream indices and relative sequence numbers, packet by packet,
/// in capture order.
pub struct FlowTracker {
    convs: HashMap<Key, Conv, FlowHasherBuilder>,
    /// Keys in insertion order, for CLOCK eviction; one entry per live key.
    order: VecDeque<Key>,
    max_entries: usize,
    next_tcp: u32,
    next_udp: u32,
    evicted: u64,
    /// Ping requests waiting for their replies.
    pub echo: echo::EchoPairs,
    /// Data-connection endpoints announced on FTP control connections.
    pub ftp: ftp_data::FtpDataTable,
    /// HTTP/2 connections and their HPACK tables.
    pub http2: http2::Http2Conns,
    /// With several workers: how stream indices become capture-wide.
    numbering: Numbering,
    /// Streams forgotten (evicted, or replaced on a reused port) since
    /// [`Self::take_forgotten`], kept only when asked: the merge that
    /// numbers a worker's streams drops them from its map.
    forgotten: Option<Vec<(u8, u32)>>,
    /// The frame being observed (where a new stream opens).
    frame: u64,
    /// With several workers: the conversations all of them hold, which the
    /// cap applies to (a worker with the busier shard may hold more).
    held: Option<Held>,
}

/// The conversations every worker holds, shared, and this worker's last
/// reading of that count. The reading is refreshed by the worker's own
/// additions and removals only: reading the shared count for every packet
/// cost a cache miss whenever another worker had just added one. A stale
/// reading lets a worker add at most one conversation past the cap before
/// it sees the count again, so the workers together exceed it by at most
/// their number (as two workers adding at once could anyway).
pub(crate) struct Held {
    total: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    seen: usize,
}

impl Held {
    /// Joins the shared count with `n` conversations.
    pub(crate) fn new(total: std::sync::Arc<std::sync::atomic::AtomicUsize>, n: usize) -> Self {
        let seen = total.fetch_add(n, std::sync::atomic::Ordering::Relaxed) + n;
        Held { total, seen }
    }

    /// The count as last read.
    pub(crate) fn seen(&self) -> usize {
        self.seen
    }

    /// One conversation added (or dropped).
    pub(crate) fn count(&mut self, added: bool) {
        use std::sync::atomic::Ordering::Relaxed;
        self.seen = if added {
            self.total.fetch_add(1, Relaxed).wrapping_add(1)
        } else {
            self.total.fetch_sub(1, Relaxed).wrapping_sub(1)
        };
    }

    /// `n` conversations handed on (the count no longer holds them).
    pub(crate) fn release(&mut self, n: usize) {
        use std::sync::atomic::Ordering::Relaxed;
        self.seen = self.total.fetch_sub(n, Relaxed).wrapping_sub(n);
    }
}

/// Where a tracker's stream indices come from.
enum Numbering {
    /// Its own count: one thread, or workers whose indices are never shown.
    Own,
    /// Capture-wide as each stream opens, through the workers' ledger.
    Ledger(ledger::LedgerHandle),
}

/// The next `tcp.stream` / `udp.stream` index (a free function so the hot
/// path can call it while it holds an entry of the conversation map).
fn next_index(
    next_tcp: &mut u32,
    next_udp: &mut u32,
    numbering: &mut Numbering,
    frame: u64,
    proto: u8,
) -> u32 {
    let c = if proto == 6 { next_tcp } else { next_udp };
    let s = *c;
    *c = c.wrapping_add(1);
    match numbering {
        Numbering::Own => s,
        Numbering::Ledger(l) => l.assign(proto, frame, s),
    }
}

impl Default for FlowTracker {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_ENTRIES)
    }
}

/// The transport layer a packet's flow is keyed on, and its endpoints.
struct Endpoints {
    key: Key,
    /// 0 when the packet travels from `key.a` to `key.b`.
    dir: usize,
    idx: usize,
}

/// The TCP/UDP layer a packet's flow is keyed on: the innermost packet's
/// (through tunnels), else the first one (an ICMP error's quoted header, or
/// the UDP a tunnel runs over when the inner packet has no ports).
pub fn flow_layer(pkt: &Packet<'_>) -> Option<usize> {
    pkt.transport_index()
        .filter(|&i| matches!(pkt.layers[i].proto, Proto::Tcp | Proto::Udp))
        .or_else(|| {
            pkt.layers
                .iter()
                .position(|l| matches!(l.proto, Proto::Tcp | Proto::Udp))
        })
}

fn endpoints_at(pkt: &Packet<'_>, idx: usize) -> Option<Endpoints> {
    let t = pkt.layers[idx];
    let ip = pkt.layers[..idx]
        .iter()
        .rev()
        .find(|l| matches!(l.proto, Proto::Ip | Proto::Ipv6))?;
    let h = pkt.bytes(ip.header());
    let (src, dst) = if ip.proto == Proto::Ip {
        // IPv4 addresses are stored in the IPv4-mapped form so the two
        // families never collide.
        let h = Ipv4Header::new(h)?;
        let mapped = |a: [u8; 4]| Ipv4Addr::from(a).to_ipv6_mapped().octets();
        (mapped(h.src()), mapped(h.dst()))
    } else {
        let h = Ipv6Header::new(h)?;
        (h.src(), h.dst())
    };
    let (sp, dp) = transport::ports(pkt.bytes(t.header()))?;
    let proto = if t.proto == Proto::Tcp { 6 } else { 17 };
    let (key, dir) = if (src, sp) <= (dst, dp) {
        (
            Key {
                proto,
                a: src,
                b: dst,
                pa: sp,
                pb: dp,
            },
            0,
        )
    } else {
        (
            Key {
                proto,
                a: dst,
                b: src,
                pa: dp,
                pb: sp,
            },
            1,
        )
    };
    Some(Endpoints { key, dir, idx })
}

impl FlowTracker {
    pub fn new(max_entries: usize) -> Self {
        let max_entries = max_entries.max(1);
        FlowTracker {
            convs: HashMap::with_hasher(FlowHasherBuilder::random()),
            order: VecDeque::new(),
            max_entries,
            next_tcp: 0,
            next_udp: 0,
            evicted: 0,
            echo: echo::EchoPairs::default(),
            ftp: ftp_data::FtpDataTable::default(),
            http2: http2::Http2Conns::default(),
            numbering: Numbering::Own,
            forgotten: None,
            frame: 0,
            held: None,
        }
    }

    /// Applies the cap to the conversations held by every worker sharing
    /// `held`, not to this one's alone.
    pub fn share_cap(&mut self, held: std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        self.held = Some(Held::new(held, self.convs.len()));
    }

    /// At the cap: a new conversation needs room first.
    fn full(&self) -> bool {
        match &self.held {
            Some(h) => h.seen() >= self.max_entries,
            None => self.convs.len() >= self.max_entries,
        }
    }

    /// A conversation was added (+1) or dropped (-1): the shared count follows.
    fn count(&mut self, added: bool) {
        if let Some(h) = &mut self.held {
            h.count(added);
        }
    }

    /// Numbers streams capture-wide, as one of several workers.
    pub fn set_ledger(&mut self, l: ledger::LedgerHandle) {
        self.numbering = Numbering::Ledger(l);
    }

    /// Keeps the streams it forgets for [`Self::take_forgotten`].
    pub fn keep_forgotten(&mut self) {
        self.forgotten = Some(Vec::new());
    }

    /// The streams forgotten since the last call: (0 TCP / 1 UDP, index).
    pub fn take_forgotten(&mut self) -> Vec<(u8, u32)> {
        self.forgotten
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// TCP and UDP streams opened so far: with its own numbering, the next
    /// indices (the engine makes them capture-wide after the fact).
    pub fn opened(&self) -> [u32; 2] {
        [self.next_tcp, self.next_udp]
    }

    /// The cap on conversations held.
    pub fn cap(&self) -> usize {
        self.max_entries
    }

    /// Conversations dropped to stay under the cap.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Conversations currently tracked.
    pub fn len(&self) -> usize {
        self.convs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.convs.is_empty()
    }

    fn next_stream(&mut self, proto: u8) -> u32 {
        next_index(
            &mut self.next_tcp,
            &mut self.next_udp,
            &mut self.numbering,
            self.frame,
            proto,
        )
    }

    /// Evicts until there is room for one more conversation.
    fn make_room(&mut self) {
        // Each pass either evicts or clears one second-chance bit, so two
        // rounds over the queue always free a slot.
        let mut budget = self.order.len().saturating_mul(2).saturating_add(1);
        while self.full() && budget > 0 {
            budget -= 1;
            let Some(k) = self.order.pop_front() else {
                break;
            };
            match self.convs.get_mut(&k) {
                Some(c) if c.used => {
                    c.used = false;
                    self.order.push_back(k);
                }
                Some(_) => {
                    if let (Some(c), Some(f)) = (self.convs.remove(&k), &mut self.forgotten) {
                        f.push((u8::from(k.proto != 6), c.stream));
                    }
                    self.count(false);
                    self.evicted += 1;
                }
                None => {}
            }
        }
    }

    /// Fills `pkt.flow` from the packet's outermost TCP or UDP layer (keyed
    /// by its nearest enclosing IP header) and updates the table.
    pub fn observe(&mut self, pkt: &mut Packet<'_>) {
        self.observe_transport(pkt);
        self.ftp_data(pkt);
        self.http2.mark(pkt);
    }

    /// `observe` without its last step (FTP data labelling), for a packet
    /// whose application layers are not decoded yet; `observe_app` follows.
    pub fn observe_transport(&mut self, pkt: &mut Packet<'_>) {
        // A transport header rebuilt from fragments is read from the
        // reassembled buffer, where every layer's offsets are valid.
        let t = pkt
            .layers
            .iter()
            .find(|l| matches!(l.proto, Proto::Tcp | Proto::Udp));
        if let Some(t) = t.filter(|t| t.src == Src::Reassembled) {
            let mut v = pkt.view_for(t).into_owned();
            self.observe_here(&mut v);
            pkt.flow = v.flow;
        } else {
            self.observe_here(pkt);
        }
        self.echo.observe(pkt);
        self.http2.note(pkt);
    }

    /// The rest of `observe` once the application layers are decoded.
    pub fn observe_app(&mut self, pkt: &mut Packet<'_>) {
        self.ftp_data(pkt);
        self.http2.mark(pkt);
    }

    /// Some FTP data endpoint is announced: every payload may be ftp-data.
    pub fn wants_app(&self) -> bool {
        !self.ftp.is_empty()
    }

    /// FTP: a PASV/EPSV reply or PORT/EPRT command announces a data
    /// endpoint; payload to or from it later is labelled ftp-data, as
    /// tshark ties a data connection to its control connection.
    fn ftp_data(&mut self, pkt: &mut Packet<'_>) {
        if let Some(l) = pkt.layers.iter().find(|l| l.proto == Proto::Ftp) {
            if let Some((ip, port)) = crate::dissect::app::ftp::announced(pkt, l) {
                self.ftp.note(ip, port, pkt.flow.stream);
            }
            return;
        }
        if self.ftp.is_empty() {
            return;
        }
        let Some(t) = pkt.layers.iter().position(|l| l.proto == Proto::Tcp) else {
            return;
        };
        let Some(d) = pkt.layers[t + 1..]
            .iter()
            .position(|l| l.proto == Proto::Data)
        else {
            return;
        };
        let (Some((src, dst)), Some((sp, dp))) = (pkt.addrs(), pkt.ports()) else {
            return;
        };
        if self.ftp.is_data(dst, dp) || self.ftp.is_data(src, sp) {
            pkt.layers[t + 1 + d].proto = Proto::FtpData;
        }
    }

    /// Numbers the outer TCP/UDP layers a tunnel runs over (before the
    /// flow layer), as tshark numbers each conversation it meets, outermost
    /// first.
    fn observe_outer(&mut self, pkt: &mut Packet<'_>, range: std::ops::Range<usize>) {
        let mut k = pkt.flow.outer.iter().flatten().count();
        for i in range {
            if k == pkt.flow.outer.len() {
                break;
            }
            if !matches!(pkt.layers[i].proto, Proto::Tcp | Proto::Udp) {
                continue;
            }
            let Some(ep) = endpoints_at(pkt, i) else {
                continue;
            };
            let c = self.conv(ep.key);
            pkt.flow.outer[k] = Some((i as u8, c.stream));
            k += 1;
        }
    }

    /// The conversation of `key`, created (with the next index) if new.
    fn conv(&mut self, key: Key) -> &mut Conv {
        let existed = self.convs.contains_key(&key);
        if !existed {
            if self.full() {
                self.make_room();
            }
            let s = self.next_stream(key.proto);
            self.order.push_back(key);
            self.convs.insert(key, Conv::new(s));
            self.count(true);
        }
        let c = self.convs.entry(key).or_insert_with(|| Conv::new(0));
        c.used |= existed;
        c
    }

    fn observe_here(&mut self, pkt: &mut Packet<'_>) {
        pkt.flow = Default::default();
        self.frame = pkt.number;
        let Some(main) = flow_layer(pkt) else { return };
        self.observe_outer(pkt, 0..main);
        pkt.flow.layer = Some(main as u8);
        self.observe_main(pkt, main);
        // Headers an ICMP error inside a tunnel quotes: numbered after.
        let n = pkt.layers.len();
        self.observe_outer(pkt, main + 1..n);
    }

    fn observe_main(&mut self, pkt: &mut Packet<'_>, main: usize) {
        let Some(ep) = endpoints_at(pkt, main) else {
            return;
        };
        let t = pkt.layers[ep.idx];
        let th = pkt.bytes(t.header());
        let tcp_hdr = if t.proto == Proto::Tcp {
            // tshark reads through the window field before it looks up the conversation.
            match TcpHeader::new(th) {
                Some(h) => Some(h),
                None if TcpHeader::new_through_window(th).is_some() => None,
                None => return,
            }
        } else {
            let Some(h) = UdpHeader::new(th) else {
                return;
            };
            let ulen = h.length();
            // tshark gives up on a length below the header before numbering.
            let ipv6 = pkt.layers[..ep.idx]
                .iter()
                .rev()
                .find(|l| matches!(l.proto, Proto::Ip | Proto::Ipv6))
                .is_some_and(|l| l.proto == Proto::Ipv6);
            if ulen < 8 && !(ulen == 0 && ipv6) {
                return;
            }
            None
        };
        // A new conversation earns its second chance only when seen again.
        let c = if !self.full() {
            // Room without eviction: one lookup.
            match self.convs.entry(ep.key) {
                Entry::Occupied(o) => {
                    let c = o.into_mut();
                    c.used = true;
                    c
                }
                Entry::Vacant(v) => {
                    let s = next_index(
                        &mut self.next_tcp,
                        &mut self.next_udp,
                        &mut self.numbering,
                        self.frame,
                        ep.key.proto,
                    );
                    self.order.push_back(ep.key);
                    if let Some(h) = &mut self.held {
                        h.count(true);
                    }
                    v.insert(Conv::new(s))
                }
            }
        } else {
            let existed = self.convs.contains_key(&ep.key);
            if !existed {
                self.make_room();
                let s = self.next_stream(ep.key.proto);
                self.convs.insert(ep.key, Conv::new(s));
                self.count(true);
                self.order.push_back(ep.key);
            }
            let Some(c) = self.convs.get_mut(&ep.key) else {
                return;
            };
            c.used |= existed;
            c
        };
        if t.proto == Proto::Udp {
            pkt.flow.stream = Some(c.stream);
            pkt.flow.dir = ep.dir as u8;
            return;
        }
        // Read through the window: `tcp_hdr` is None for a header cut short.
        let Some(h) = TcpHeader::new_through_window(th) else {
            return;
        };
        let (seq, ack, flags) = (h.seq(), h.ack(), h.flags());
        let seglen = tcp::seg_len(pkt, ep.idx);
        if t.src == Src::Frame {
            pkt.flow.tcp_len = Some((ep.idx as u8, t.start, seglen));
        }
        let (fwd, rev) = (ep.dir, 1 - ep.dir);

        // Port reuse: a pure SYN with a new ISN opens a new stream.
        if flags & (SYN | ACK) == SYN && c.dir[fwd].base.is_some_and(|b| b != seq) {
            if let Some(f) = &mut self.forgotten {
                f.push((0, c.stream));
            }
            // Numbered as any new stream (capture-wide with a ledger).
            let s = next_index(
                &mut self.next_tcp,
                &mut self.next_udp,
                &mut self.numbering,
                self.frame,
                6,
            );
            *c = Conv::new(s);
            c.used = true;
        }
        pkt.flow.alpn = c.alpn;
        // A ServerHello's ALPN names what the connection's later records
        // carry; read from the segment itself, so it holds whether or not
        // its application layers are decoded.
        if let Some(p) = crate::dissect::app::tls::server_alpn(pkt.bytes_of(&t, t.payload())) {
            c.alpn = Some(p);
        }
        if flags & (SYN | ACK) == SYN | ACK && c.dir[fwd].base.is_some_and(|b| b != seq) {
            c.dir[fwd].base = Some(seq);
        }
        pkt.flow.stream = Some(c.stream);
        pkt.flow.dir = ep.dir as u8;
        pkt.flow.win_scale = Some(c.dir[fwd].win_scale);

        if flags & (SYN | ACK) == SYN {
            c.acc_ecn_syn = flags & (AE | CWR | ECE) == AE | CWR | ECE;
        } else if flags & (SYN | ACK) == SYN | ACK {
            c.acc_ecn_synack = flags & (AE | CWR) == CWR || flags & (AE | ECE) == AE;
        }
        pkt.flow.ace = flags & SYN == 0 && c.acc_ecn_syn && c.acc_ecn_synack;

        if seglen.is_some() {
            let base = *c.dir[fwd].base.get_or_insert(if flags & SYN != 0 {
                seq
            } else {
                seq.wrapping_sub(1)
            });
            if flags & ACK != 0 && c.dir[rev].base.is_none() {
                c.dir[rev].base = Some(ack.wrapping_sub(1));
            }
            pkt.flow.rel_seq = Some(seq.wrapping_sub(base));
            if flags & ACK != 0 {
                pkt.flow.rel_ack = c.dir[rev].base.map(|b| ack.wrapping_sub(b));
            }
        }

        // Sequence analysis, as tshark's: old sequence space again is a
        // retransmission (a one-byte keep-alive is not), a gap is a lost
        // segment.
        if let Some(len) = seglen {
            let span = len
                .wrapping_add((flags & SYN != 0) as u32)
                .wrapping_add((flags & FIN != 0) as u32);
            let end = seq.wrapping_add(span);
            if let Some(n) = c.dir[fwd].next_seq {
                let before = (seq.wrapping_sub(n) as i32) < 0;
                let after = (seq.wrapping_sub(n) as i32) > 0;
                let keepalive = len <= 1 && seq.wrapping_add(1) == n && flags & (SYN | FIN) == 0;
                if span > 0 && before && !keepalive && flags & RST == 0 {
                    pkt.flow.retransmission = true;
                }
                if after && flags & RST == 0 {
                    pkt.flow.lost_segment = true;
                }
                if (end.wrapping_sub(n) as i32) > 0 {
                    c.dir[fwd].next_seq = Some(end);
                }
            } else {
                c.dir[fwd].next_seq = Some(end);
            }
        }

        // Options come after the window in tshark, so they affect later packets only.
        if let Some(h) = tcp_hdr {
            if let Some(shift) = tcp::wscale_option(h.options()) {
                c.dir[fwd].win_scale = shift.min(14) as i8;
            }
            if flags & SYN != 0 {
                if c.dir[fwd].win_scale == -1 {
                    c.dir[fwd].win_scale = -2;
                    c.dir[rev].win_scale = -2;
                } else if flags & ACK != 0 && c.dir[rev].win_scale == -2 {
                    c.dir[fwd].win_scale = -2;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::*;
    use super::*;

    fn ws(shift: u8) -> [u8; 4] {
        [3, 3, shift, 0]
    }

    /// The scenario of a synthetic capture checked with tshark 4.0.17:
    /// close and reuse of a port pair, a reverse SYN, SYN-ACKs with new ISNs,
    /// a mid-stream start, every window-scale case, sequence wrap, IPv6, UDP.
    #[test]
    fn streams_and_relative_numbers_match_tshark() {
        let (c, sv) = (C4, S4);
        let h3 = [10, 0, 0, 3];
        let h4 = [10, 0, 0, 4];
        let h5 = [10, 0, 0, 5];
        let h6 = [10, 0, 0, 6];
        let (w2, w3, w5, w4, w1) = (ws(2), ws(3), ws(5), ws(4), ws(1));
        let x40 = [b'x'; 40];
        let t = |a, b, s: Seg<'_>| tcp4(a, b, &s);
        let frames: Vec<Vec<u8>> = vec![
            t(
                c,
                sv,
                Seg {
                    opts: &w2,
                    ..seg(1000, 80, 100, 0, SYN)
                },
            ),
            t(
                sv,
                c,
                Seg {
                    opts: &w3,
                    ..seg(80, 1000, 500, 101, SYN | ACK)
                },
            ),
            t(
                c,
                sv,
                Seg {
                    win: 100,
                    ..seg(1000, 80, 101, 501, ACK)
                },
            ),
            t(
                sv,
                c,
                Seg {
                    win: 100,
                    payload: b"abc",
                    ..seg(80, 1000, 501, 101, ACK | PSH)
                },
            ),
            t(c, sv, seg(1000, 80, 101, 504, FIN | ACK)),
            t(sv, c, seg(80, 1000, 504, 102, FIN | ACK)),
            t(c, sv, seg(1000, 80, 102, 505, ACK)),
            t(c, sv, seg(1000, 80, 100, 0, SYN)),
            t(c, sv, seg(1000, 80, 9000, 0, SYN)),
            t(sv, c, seg(80, 1000, 7000, 9001, SYN | ACK)),
            t(
                c,
                sv,
                Seg {
                    win: 100,
                    ..seg(1000, 80, 9001, 7001, ACK)
                },
            ),
            t(c, sv, seg(1000, 80, 9001, 7001, RST | ACK)),
            t(c, sv, seg(1000, 80, 9000, 0, SYN)),
            t(sv, c, seg(80, 1000, 123, 0, SYN)),
            t(sv, c, seg(80, 1000, 7000, 9001, SYN | ACK)),
            t(sv, c, seg(80, 1000, 8000, 9001, SYN | ACK)),
            t(sv, c, seg(80, 1000, 8001, 9001, ACK)),
            t(
                h3,
                sv,
                Seg {
                    payload: b"hello",
                    ..seg(2000, 443, 5000, 7000, ACK | PSH)
                },
            ),
            t(
                sv,
                h3,
                Seg {
                    opts: &w5,
                    ..seg(443, 2000, 7000, 5005, ACK)
                },
            ),
            t(
                sv,
                h3,
                Seg {
                    win: 10,
                    ..seg(443, 2000, 7000, 5005, ACK)
                },
            ),
            t(h3, sv, seg(2000, 443, 5005, 7000, FIN | ACK)),
            t(h4, sv, seg(3000, 80, 1, 0, SYN)),
            t(
                sv,
                h4,
                Seg {
                    opts: &w4,
                    ..seg(80, 3000, 1, 2, SYN | ACK)
                },
            ),
            t(
                sv,
                h4,
                Seg {
                    win: 10,
                    ..seg(80, 3000, 2, 2, ACK)
                },
            ),
            t(
                h4,
                sv,
                Seg {
                    win: 10,
                    ..seg(3000, 80, 2, 2, ACK)
                },
            ),
            t(
                h5,
                sv,
                Seg {
                    opts: &w1,
                    ..seg(4000, 80, 1, 0, SYN)
                },
            ),
            t(
                h5,
                sv,
                Seg {
                    win: 10,
                    ..seg(4000, 80, 2, 50, ACK)
                },
            ),
            t(
                sv,
                h5,
                Seg {
                    win: 10,
                    ..seg(80, 4000, 50, 2, ACK)
                },
            ),
            t(
                h5,
                sv,
                Seg {
                    opts: &w1,
                    ..seg(4000, 80, 1, 0, SYN)
                },
            ),
            t(h6, sv, seg(5000, 80, 0xffff_fff0, 0, SYN)),
            t(
                h6,
                sv,
                Seg {
                    payload: &x40,
                    ..seg(5000, 80, 0xffff_fff1, 0, ACK | PSH)
                },
            ),
            eth_frame(&ip6(&seg(6000, 80, 10, 0, SYN).bytes(), 1, 2, 6), 0x86dd),
            eth_frame(
                &ip6(&seg(80, 6000, 20, 11, SYN | ACK).bytes(), 2, 1, 6),
                0x86dd,
            ),
            eth_frame(
                &ip4(&udp_dgram(1000, 80, b"q", None, 1), c, sv, 17, None),
                0x0800,
            ),
            eth_frame(
                &ip4(&udp_dgram(80, 1000, b"q", None, 1), sv, c, 17, None),
                0x0800,
            ),
            eth_frame(
                &ip4(&udp_dgram(1000, 81, b"q", None, 1), c, sv, 17, None),
                0x0800,
            ),
        ];
        // tshark: tcp.stream|udp.stream|tcp.seq|tcp.ack|tcp.nxtseq|tcp.len|
        //         tcp.window_size_value|tcp.window_size|tcp.window_size_scalefactor
        let want = "\
0||0|0|1|0|1000|1000|
0||0|1|1|0|1000|1000|
0||1|1|1|0|100|400|4
0||1|1|4|3|100|800|8
0||1|4|2|0|1000|4000|4
0||4|2|5|0|1000|8000|8
0||2|5|2|0|1000|4000|4
0||0|0|1|0|1000|1000|
1||0|0|1|0|1000|1000|
1||0|1|1|0|1000|1000|
1||1|1|1|0|100|100|-2
1||1|1|1|0|1000|1000|-2
1||0|0|1|0|1000|1000|
2||0|0|1|0|1000|1000|
2||0|1|1|0|1000|1000|
2||0|1|1|0|1000|1000|
2||1|1|1|0|1000|1000|-2
3||1|1|6|5|1000|1000|-1
3||1|6|1|0|1000|1000|-1
3||1|6|1|0|10|320|32
3||6|1|7|0|1000|1000|-1
4||0|0|1|0|1000|1000|
4||0|1|1|0|1000|1000|
4||1|1|1|0|10|10|-2
4||1|1|1|0|10|10|-2
5||0|0|1|0|1000|1000|
5||1|1|1|0|10|20|2
5||1|1|1|0|10|10|-1
5||0|0|1|0|1000|1000|
6||0|0|1|0|1000|1000|
6||1|1|41|40|1000|1000|-2
7||0|0|1|0|1000|1000|
7||0|1|1|0|1000|1000|
|0|||||||
|0|||||||
|1|||||||";
        let cols = [
            "tcp.stream",
            "udp.stream",
            "tcp.seq",
            "tcp.ack",
            "tcp.nxtseq",
            "tcp.len",
            "tcp.window_size_value",
            "tcp.window_size",
            "tcp.window_size_scalefactor",
        ];
        let mut ft = FlowTracker::default();
        for (i, (f, w)) in frames.iter().zip(want.lines()).enumerate() {
            let mut pkt = decode(f, f.len() as u32, 1);
            ft.observe(&mut pkt);
            let c = fields(&pkt);
            let got: Vec<String> = cols.iter().map(|n| c.get(n)).collect();
            assert_eq!(got.join("|"), w, "frame {}", i + 1);
        }
        assert_eq!(ft.evicted(), 0);
        assert_eq!(ft.len(), 8);
    }

    #[test]
    fn quoted_headers_get_a_stream_but_no_relative_numbers() {
        // An ICMP error quoting a UDP datagram: tshark numbers the quoted
        // conversation by its own addresses.
        let inner = ip4(
            &udp_dgram(53, 59207, b"", Some(143), 0x76d2),
            S4,
            C4,
            17,
            Some(163),
        );
        let mut icmp = vec![3, 3, 0, 0, 0, 0, 0, 0];
        icmp.extend_from_slice(&inner);
        let fr = eth_frame(&ip4(&icmp, C4, S4, 1, None), 0x0800);
        let frame = crate::source::Frame {
            ts: Default::default(),
            wire_len: fr.len() as u32,
            linktype: 1,
            interface: 0,
            ts_digits: 6,
            bytes: &fr,
        };
        let mut pkt = Packet::new(&frame, 1, Default::default());
        {
            let limit = fr.len();
            let mut cx = crate::dissect::Cx {
                pkt: &mut pkt,
                limit,
                src: crate::dissect::Src::Frame,
            };
            cx.push(Proto::Eth, 0, 14, limit);
            cx.push(Proto::Ip, 14, 34, limit);
            cx.push(Proto::Icmp, 34, 42, limit);
            cx.push(Proto::Ip, 42, 62, limit);
            crate::dissect::transport::udp::dissect(&mut cx, 62);
        }
        let mut ft = FlowTracker::default();
        ft.observe(&mut pkt);
        assert_eq!(pkt.flow.stream, Some(0));
        // The quoted datagram's own direction is the conversation's.
        let again = eth_frame(
            &ip4(&udp_dgram(59207, 53, b"", None, 1), C4, S4, 17, None),
            0x0800,
        );
        let mut p2 = decode(&again, again.len() as u32, 1);
        ft.observe(&mut p2);
        assert_eq!(p2.flow.stream, Some(0));
    }

    #[test]
    fn table_is_bounded_and_counts_evictions() {
        let mut ft = FlowTracker::new(4);
        let stream_of = |port: u16, ft: &mut FlowTracker| {
            let f = tcp4(C4, S4, &seg(port, 80, 1, 0, SYN));
            let mut pkt = decode(&f, f.len() as u32, 1);
            ft.observe(&mut pkt);
            pkt.flow.stream
        };
        for p in 0..4 {
            assert_eq!(stream_of(1000 + p, &mut ft), Some(p as u32));
        }
        assert_eq!(ft.evicted(), 0);
        // Port 1000 was just used again, so the CLOCK spares it.
        assert_eq!(stream_of(1000, &mut ft), Some(0));
        assert_eq!(stream_of(2000, &mut ft), Some(4));
        assert_eq!(ft.len(), 4);
        assert_eq!(ft.evicted(), 1);
        assert_eq!(stream_of(1000, &mut ft), Some(0));
        // 1001 was evicted: seen again, it is a new conversation.
        assert_eq!(stream_of(1001, &mut ft), Some(5));
        assert_eq!(ft.len(), 4);
        for p in 0..1000 {
            stream_of(3000 + p, &mut ft);
        }
        assert_eq!(ft.len(), 4);
        assert_eq!(ft.evicted(), 2 + 1000);
    }

    #[test]
    fn hasher_spreads_keys() {
        let b = FlowHasherBuilder::random();
        let mut seen = std::collections::HashSet::new();
        for p in 0..10_000u16 {
            let k = Key {
                proto: 6,
                a: [0; 16],
                b: [1; 16],
                pa: p,
                pb: 80,
            };
            seen.insert(b.hash_one(k) >> 48);
        }
        // 10k keys into 65536 top-16-bit buckets: a good hash leaves few collisions.
        assert!(seen.len() > 9_000, "{}", seen.len());
    }
}
