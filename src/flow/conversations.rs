//! Conversations: one record per socket pair (TCP/UDP by the stream index
//! `FlowTracker` assigned, other IP traffic by address pair and protocol,
//! ARP by its addresses), with packets and bytes per direction, timing, the
//! TCP state and retransmissions, as `tshark -z conv,tcp` / Zeek's conn.log.
//!
//! Bounded: past `max_open` open conversations, or after `idle` of capture
//! time without a packet, a conversation is closed early and becomes a
//! finished row (counted in `evicted`), so memory for open state stays
//! under the cap whatever the capture holds.

use crate::dissect::net::{arp::ArpHeader, ipv4::Ipv4Header, ipv6::Ipv6Header};
use crate::dissect::transport::tcp::{self, TcpHeader, ACK, FIN, RST, SYN};
use crate::dissect::{Packet, Proto, Tier};
use crate::source::Timestamp;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

/// Default cap on open conversations.
pub const DEFAULT_MAX_OPEN: usize = 500_000;
/// Default idle timeout, in seconds of capture time.
pub const DEFAULT_IDLE_SECS: u64 = 600;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Key {
    /// Transport protocol number (6 or 17) and stream index.
    Stream(u8, u32),
    /// Another IP protocol between two addresses (canonical order).
    Ip(u8, IpAddr, IpAddr),
    /// ARP between two protocol addresses (canonical order).
    Arp([u8; 4], [u8; 4]),
}

/// The TCP life of a conversation, as far as the capture shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpState {
    /// SYN seen, handshake not (yet) complete.
    Attempt,
    /// SYN, SYN-ACK and ACK seen; no FIN or RST.
    Established,
    /// No handshake in the capture (started earlier), no FIN or RST.
    Midstream,
    /// FIN seen from both sides.
    Closed,
    /// FIN from one side only.
    HalfClosed,
    Reset,
}

impl TcpState {
    pub fn name(self) -> &'static str {
        match self {
            TcpState::Attempt => "attempt",
            TcpState::Established => "established",
            TcpState::Midstream => "open",
            TcpState::Closed => "closed",
            TcpState::HalfClosed => "half-closed",
            TcpState::Reset => "reset",
        }
    }
}

/// One conversation. Direction 0 is from the initiator (`a`) to `b`.
#[derive(Clone, Debug)]
pub struct Conversation {
    key: Key,
    /// "TCP", "UDP", "ICMP", "ARP", or the IP protocol number.
    pub transport: &'static str,
    pub ip_proto: u8,
    pub stream: Option<u32>,
    pub a: IpAddr,
    pub b: IpAddr,
    pub port_a: Option<u16>,
    pub port_b: Option<u16>,
    /// First application protocol seen (filter name), else from a well-known port.
    pub app: Option<&'static str>,
    pub packets: [u64; 2],
    pub bytes: [u64; 2],
    pub start: Timestamp,
    pub last: Timestamp,
    pub retransmissions: u64,
    syn: bool,
    synack: bool,
    handshake: bool,
    fin: [bool; 2],
    rst: bool,
    /// Closed early to stay under the cap or because it was idle.
    pub evicted: bool,
    /// When it was opened: frame number × 8 + its place among the
    /// conversations that frame opened (the rows' order among equal starts,
    /// the same however the frames were shared out).
    seq: u64,
}

impl Conversation {
    /// The TCP state; None for other transports.
    pub fn tcp_state(&self) -> Option<TcpState> {
        if self.ip_proto != 6 || self.transport != "TCP" {
            return None;
        }
        Some(if self.rst {
            TcpState::Reset
        } else if self.fin[0] && self.fin[1] {
            TcpState::Closed
        } else if self.fin[0] || self.fin[1] {
            TcpState::HalfClosed
        } else if self.handshake {
            TcpState::Established
        } else if self.syn || self.synack {
            TcpState::Attempt
        } else {
            TcpState::Midstream
        })
    }

    pub fn total_packets(&self) -> u64 {
        self.packets[0] + self.packets[1]
    }

    pub fn total_bytes(&self) -> u64 {
        self.bytes[0] + self.bytes[1]
    }

    /// Folds a later piece of the same conversation into this one.
    fn merge(&mut self, o: &Conversation) {
        // Direction 0 stays the initiator of the earlier piece.
        let flip = usize::from(!(o.a == self.a && o.port_a == self.port_a));
        for d in 0..2 {
            self.packets[d ^ flip] += o.packets[d];
            self.bytes[d ^ flip] += o.bytes[d];
            self.fin[d ^ flip] |= o.fin[d];
        }
        if o.start.nanos_since(self.start) < 0 {
            self.start = o.start;
        }
        if o.last.nanos_since(self.last) > 0 {
            self.last = o.last;
        }
        self.app = self.app.or(o.app);
        self.retransmissions += o.retransmissions;
        self.syn |= o.syn;
        self.synack |= o.synack;
        self.handshake |= o.handshake;
        self.rst |= o.rst;
        self.evicted |= o.evicted;
    }

    /// A TCP conversation that a FIN from both sides or an RST ended.
    fn ended(&self) -> bool {
        self.ip_proto == 6 && (self.rst || (self.fin[0] && self.fin[1]))
    }

    /// No dissector named the application: a well-known port may.
    fn fill_app(&mut self) {
        if self.app.is_none() {
            if let (Some(pa), Some(pb)) = (self.port_a, self.port_b) {
                self.app =
                    port_service(self.ip_proto, pb).or_else(|| port_service(self.ip_proto, pa));
            }
        }
    }

    /// Nanoseconds between the first and the last packet.
    pub fn duration_nanos(&self) -> i128 {
        self.last.nanos_since(self.start).max(0)
    }
}

/// The open conversations. TCP and UDP ones (nearly all) are found by their
/// stream index in a plain array, without hashing; the rest by key. Rows
/// stay packed in one vector (a removal moves the last row into the gap).
struct Table {
    rows: Vec<Conversation>,
    /// TCP, UDP: stream index → row + 1 (0: none open).
    by_stream: [Vec<u32>; 2],
    others: HashMap<Key, u32, super::FlowHasherBuilder>,
}

impl Default for Table {
    fn default() -> Self {
        Table {
            rows: Vec::new(),
            by_stream: Default::default(),
            others: HashMap::with_hasher(super::FlowHasherBuilder::random()),
        }
    }
}

impl Table {
    fn row(&self, k: &Key) -> Option<usize> {
        match *k {
            Key::Stream(p, s) => self.by_stream[usize::from(p == 17)]
                .get(s as usize)
                .and_then(|&v| v.checked_sub(1))
                .map(|v| v as usize),
            _ => self.others.get(k).map(|&v| v as usize),
        }
    }

    fn set_row(&mut self, k: Key, row: Option<usize>) {
        let v = row.map_or(0, |r| r as u32 + 1);
        match k {
            Key::Stream(p, s) => {
                let m = &mut self.by_stream[usize::from(p == 17)];
                if m.len() <= s as usize {
                    if v == 0 {
                        return;
                    }
                    m.resize(s as usize + 1, 0);
                }
                m[s as usize] = v;
            }
            _ if v == 0 => {
                self.others.remove(&k);
            }
            _ => {
                self.others.insert(k, v - 1);
            }
        }
    }

    fn get(&self, k: &Key) -> Option<&Conversation> {
        self.row(k).and_then(|r| self.rows.get(r))
    }

    fn contains_key(&self, k: &Key) -> bool {
        self.row(k).is_some()
    }

    fn get_or_insert_with(
        &mut self,
        k: Key,
        f: impl FnOnce() -> Conversation,
    ) -> &mut Conversation {
        let r = match self.row(&k) {
            Some(r) => r,
            None => {
                self.rows.push(f());
                let r = self.rows.len() - 1;
                self.set_row(k, Some(r));
                r
            }
        };
        &mut self.rows[r]
    }

    fn remove(&mut self, k: &Key) -> Option<Conversation> {
        let r = self.row(k)?;
        self.set_row(*k, None);
        let c = self.rows.swap_remove(r);
        if let Some(moved) = self.rows.get(r).map(|m| m.key) {
            self.set_row(moved, Some(r));
        }
        Some(c)
    }

    fn len(&self) -> usize {
        self.rows.len()
    }

    fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn values(&self) -> std::slice::Iter<'_, Conversation> {
        self.rows.iter()
    }

    fn drain(&mut self) -> Vec<Conversation> {
        self.by_stream = Default::default();
        self.others.clear();
        std::mem::take(&mut self.rows)
    }
}

/// Aggregates packets (after `FlowTracker::observe`) into conversations.
pub struct Conversations {
    open: Table,
    /// Conversations that ended (evicted, or finished at `finish`), in the
    /// order they were closed.
    pub done: Vec<Conversation>,
    max_open: usize,
    idle_nanos: i128,
    /// Conversations closed early (cap or idle timeout).
    pub evicted: u64,
    /// Capture time of the last idle sweep.
    last_sweep: Option<Timestamp>,
    /// Live mode: how long a TCP conversation that ended (FIN both ways,
    /// or RST) stays open for its last ACKs before it is closed.
    linger_nanos: Option<i128>,
    /// TCP conversations that ended and wait out the linger.
    ending: Vec<Key>,
    /// The frame that opened the last conversation, and how many it opened.
    opened_by: (u64, u64),
    /// Other workers' conversations were taken in: pieces of one may meet.
    absorbed: bool,
    /// Conversations closed early and handed out by `drain_closed`.
    drained_evicted: u64,
    /// Idle conversations close only at [`clock`](Self::clock), which a
    /// worker is given on the capture's schedule (`--threads`).
    external_clock: bool,
    /// Open conversations of every worker sharing the cap (`--threads`):
    /// the cap holds for all of them together, not per worker.
    held: Option<super::Held>,
    /// The count the tables [`share`](Self::share) makes hold together.
    pool: Arc<AtomicUsize>,
}

impl Default for Conversations {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_OPEN, DEFAULT_IDLE_SECS)
    }
}

fn mapped(b: &[u8]) -> Option<[u8; 4]> {
    b.get(..4)?.try_into().ok()
}

/// The service of a port, from the one service table.
pub fn port_service(proto: u8, port: u16) -> Option<&'static str> {
    match proto {
        6 | 17 => crate::dissect::services::name(proto == 17, port),
        _ => None,
    }
}

impl Conversations {
    pub fn new(max_open: usize, idle_secs: u64) -> Self {
        Conversations {
            open: Table::default(),
            done: Vec::new(),
            max_open: max_open.max(1),
            idle_nanos: idle_secs.min(1 << 32) as i128 * 1_000_000_000,
            evicted: 0,
            last_sweep: None,
            linger_nanos: None,
            ending: Vec::new(),
            opened_by: (0, 0),
            absorbed: false,
            drained_evicted: 0,
            external_clock: false,
            held: None,
            pool: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Closes TCP conversations that ended (FIN from both sides, or RST)
    /// `linger` after their last packet, at `tick`, so a live capture can
    /// report them as they end (`drain_closed`). Off by default: a file's
    /// rows are only needed at `finish`.
    pub fn close_ended_after(&mut self, linger: std::time::Duration) {
        self.linger_nanos = Some(linger.as_nanos().min(i128::MAX as u128) as i128);
        self.ending.reserve(64);
    }

    /// Time passes without packets (a live capture's clock): closes idle
    /// conversations and ended ones past the linger.
    pub fn tick(&mut self, now: Timestamp) {
        self.sweep(now);
        let Some(linger) = self.linger_nanos else {
            return;
        };
        let mut i = 0;
        while i < self.ending.len() {
            let k = self.ending[i];
            match self.open.get(&k) {
                Some(c) if c.ended() && now.nanos_since(c.last) <= linger => i += 1,
                Some(c) if c.ended() => {
                    self.ending.swap_remove(i);
                    self.close(&k, false);
                }
                // Closed meanwhile (idle), or a new piece that has not ended.
                _ => {
                    self.ending.swap_remove(i);
                }
            }
        }
    }

    /// Conversations closed since the last call (ended, idle, or evicted at
    /// the cap), in the order they closed.
    pub fn drain_closed(&mut self) -> impl Iterator<Item = Conversation> + '_ {
        self.drained_evicted += self.done.iter().filter(|c| c.evicted).count() as u64;
        self.done.drain(..).map(|mut c| {
            c.fill_app();
            c
        })
    }

    /// Every conversation so far, open or closed (pieces not merged), for
    /// a live view.
    pub fn iter(&self) -> impl Iterator<Item = &Conversation> {
        self.open.values().chain(self.done.iter())
    }

    /// Conversations open now.
    pub fn open_len(&self) -> usize {
        self.open.len()
    }

    /// Conversations still going: open and not ended by FINs or an RST
    /// (an ended TCP conversation stays open a moment for its last ACKs).
    pub fn active_len(&self) -> usize {
        self.open.values().filter(|c| !c.ended()).count()
    }

    /// Whether `observe` would look at the packet's application layers: its
    /// TCP/UDP conversation has no application name yet (or may be closed
    /// as idle first, so a new piece starts without one).
    pub fn needs_app(&self, pkt: &Packet<'_>) -> bool {
        let Some(s) = pkt.flow.stream else {
            return false;
        };
        let proto = match pkt.transport().map(|l| l.proto) {
            Some(Proto::Tcp) => 6,
            Some(Proto::Udp) => 17,
            _ => return false,
        };
        match self.open.get(&Key::Stream(proto, s)) {
            Some(c) => c.app.is_none() || pkt.ts.nanos_since(c.last) > self.idle_nanos,
            None => true,
        }
    }

    /// Adds one packet.
    pub fn observe(&mut self, pkt: &Packet<'_>) {
        if !self.external_clock {
            self.sweep(pkt.ts);
        }
        // As tshark's conversation tables: a packet counts in the
        // conversation of every TCP/UDP header it carries (a tunnel's outer
        // UDP and the inner TCP both), but not in one an ICMP error quotes,
        // which belongs to the ICMP pair.
        let carried = |li: usize| {
            !pkt.layers[..li]
                .iter()
                .any(|l| matches!(l.proto, Proto::Icmp | Proto::Icmpv6))
        };
        let mut streams: [Option<(usize, u32)>; 4] = [None; 4];
        for (k, &(li, s)) in pkt.flow.outer.iter().flatten().enumerate() {
            streams[k] = Some((li as usize, s));
        }
        if let (Some(s), Some(li)) = (pkt.flow.stream, pkt.flow.layer) {
            streams[3] = Some((li as usize, s));
        }
        let mut inner_counted = false;
        let innermost = pkt.transport_index();
        for (li, s) in streams.into_iter().flatten() {
            let is_stream = pkt
                .layers
                .get(li)
                .is_some_and(|l| matches!(l.proto, Proto::Tcp | Proto::Udp));
            if !is_stream || !carried(li) || bogus_tcp_header(pkt, li) {
                continue;
            }
            self.observe_stream(pkt, li, s);
            inner_counted |= Some(li) == innermost;
        }
        if inner_counted {
        } else if let Some((_, l)) = pkt.find(Proto::Arp) {
            let Some(a) = ArpHeader::new(pkt.bytes(l.extent())) else {
                return;
            };
            let (Some(spa), Some(tpa)) = (
                a.sender_proto().and_then(mapped),
                a.target_proto().and_then(mapped),
            ) else {
                return;
            };
            let key = if spa <= tpa {
                Key::Arp(spa, tpa)
            } else {
                Key::Arp(tpa, spa)
            };
            let (a, b) = (Ipv4Addr::from(spa).into(), Ipv4Addr::from(tpa).into());
            self.add(pkt, key, "ARP", 0, a, b, None);
        } else if let Some((src, dst)) = pkt.addrs() {
            let proto = ip_proto(pkt);
            let transport = match proto {
                1 => "ICMP",
                58 => "ICMPv6",
                6 => "TCP",
                17 => "UDP",
                2 => "IGMP",
                _ => "IP",
            };
            let key = if src <= dst {
                Key::Ip(proto, src, dst)
            } else {
                Key::Ip(proto, dst, src)
            };
            self.add(pkt, key, transport, proto, src, dst, None);
        }
    }

    fn observe_stream(&mut self, pkt: &Packet<'_>, ti: usize, stream: u32) {
        let t = &pkt.layers[ti];
        let proto = if t.proto == Proto::Tcp { 6 } else { 17 };
        let ports = crate::dissect::transport::ports(pkt.bytes_of(t, t.header()));
        let (Some((src, dst)), Some((sp, dp))) = (transport_addrs(pkt, ti), ports) else {
            return;
        };
        let name = if proto == 6 { "TCP" } else { "UDP" };
        let linger = self.linger_nanos.is_some();
        let mut ended_now = false;
        let (c, dir) = self.add(
            pkt,
            Key::Stream(proto, stream),
            name,
            proto,
            src,
            dst,
            Some((sp, dp, stream)),
        );
        if c.app.is_none() {
            c.app = pkt
                .layers
                .iter()
                .find(|l| l.proto.tier() == Tier::Application && l.proto != Proto::Data)
                .map(|l| l.proto.filter_name());
        }
        if proto == 6 {
            // A stream was numbered: the header holds at least its window.
            if let Some(h) = TcpHeader::new_through_window(pkt.bytes_of(t, t.header())) {
                let flags = h.flags();
                if flags & (SYN | ACK) == SYN {
                    c.syn = true;
                } else if flags & (SYN | ACK) == SYN | ACK {
                    c.synack = true;
                } else if flags & ACK != 0 && c.syn && c.synack && dir == 0 {
                    c.handshake = true;
                }
                if flags & (FIN | RST) != 0 {
                    let was = c.ended();
                    c.fin[dir] |= flags & FIN != 0;
                    c.rst |= flags & RST != 0;
                    ended_now = !was && c.ended() && linger;
                }
            }
            if pkt.flow.retransmission {
                c.retransmissions += 1;
            }
        }
        if ended_now {
            self.ending.push(Key::Stream(proto, stream));
        }
    }

    /// Counts the packet in its conversation (opening one if needed);
    /// returns it and the direction (0: from the initiator).
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        pkt: &Packet<'_>,
        key: Key,
        transport: &'static str,
        proto: u8,
        src: IpAddr,
        dst: IpAddr,
        ports: Option<(u16, u16, u32)>,
    ) -> (&mut Conversation, usize) {
        // The length first: below the cap, one lookup per packet.
        if self.full() && !self.open.contains_key(&key) {
            self.evict_oldest();
        }
        let opened_by = &mut self.opened_by;
        let mut opened = false;
        let c = self.open.get_or_insert_with(key, || {
            opened = true;
            let n = if opened_by.0 == pkt.number {
                opened_by.1 + 1
            } else {
                0
            };
            *opened_by = (pkt.number, n);
            Conversation {
                key,
                transport,
                ip_proto: proto,
                stream: ports.map(|p| p.2),
                a: src,
                b: dst,
                port_a: ports.map(|p| p.0),
                port_b: ports.map(|p| p.1),
                app: None,
                packets: [0; 2],
                bytes: [0; 2],
                start: pkt.ts,
                last: pkt.ts,
                retransmissions: 0,
                syn: false,
                synack: false,
                handshake: false,
                fin: [false; 2],
                rst: false,
                evicted: false,
                seq: pkt.number.saturating_mul(8).saturating_add(n.min(7)),
            }
        });
        if let (true, Some(h)) = (opened, &mut self.held) {
            h.count(true);
        }
        let dir = match ports {
            Some((sp, _, _)) => usize::from(!(src == c.a && Some(sp) == c.port_a)),
            None => usize::from(src != c.a),
        };
        c.packets[dir] += 1;
        c.bytes[dir] += pkt.wire_len as u64;
        if pkt.ts.nanos_since(c.last) > 0 {
            c.last = pkt.ts;
        }
        (c, dir)
    }

    /// How often, in capture time, idle conversations are looked for: an
    /// eighth of the timeout (at least a second), so the scan stays cheap
    /// and a conversation closes within 9/8 of it.
    pub fn sweep_every(&self) -> i128 {
        (self.idle_nanos / 8).max(1_000_000_000)
    }

    /// From now on idle conversations close only at [`clock`](Self::clock).
    pub fn use_external_clock(&mut self) {
        self.external_clock = true;
    }

    /// A sweep due at `now` on the whole capture's schedule: the same
    /// conversations close on every worker as on one thread.
    pub fn clock(&mut self, now: Timestamp) {
        self.last_sweep = None;
        self.sweep(now);
    }

    /// The capture's clock reached `now` (every frame, shown or not): a
    /// sweep when one is due.
    pub fn advance(&mut self, now: Timestamp) {
        self.sweep(now);
    }

    /// Closes conversations idle longer than the timeout, when a sweep is
    /// due (see [`sweep_every`](Self::sweep_every)).
    fn sweep(&mut self, now: Timestamp) {
        let due = match self.last_sweep {
            None => true,
            Some(t) => now.nanos_since(t) >= self.sweep_every(),
        };
        if !due {
            return;
        }
        self.last_sweep = Some(now);
        let idle = self.idle_nanos;
        if self.open.is_empty() {
            return;
        }
        let stale: Vec<Key> = self
            .open
            .values()
            .filter(|c| now.nanos_since(c.last) > idle)
            .map(|c| c.key)
            .collect();
        for k in stale {
            self.close(&k, true);
        }
    }

    /// At the cap: closes the least recently active eighth (one scan pays
    /// for many new conversations).
    fn evict_oldest(&mut self) {
        let n = (self.open.len() / 8).max(1);
        let mut lasts: Vec<(Timestamp, Key)> =
            self.open.values().map(|c| (c.last, c.key)).collect();
        let n = n.min(lasts.len());
        if n == 0 {
            return;
        }
        lasts.select_nth_unstable_by(n - 1, |x, y| x.0.nanos_since(y.0).cmp(&0));
        for (_, k) in lasts.into_iter().take(n) {
            self.close(&k, true);
        }
    }

    fn close(&mut self, k: &Key, evicted: bool) {
        if let Some(mut c) = self.open.remove(k) {
            if let Some(h) = &mut self.held {
                h.count(false);
            }
            c.evicted = evicted;
            if evicted {
                self.evicted += 1;
            }
            self.done.push(c);
        }
    }

    /// An empty table for one of several workers (`--threads`): the same
    /// idle timeout, and the cap counted over every table this one shares
    /// out, so `--max-flows` bounds the run whatever the workers' mix.
    pub fn share(&self) -> Conversations {
        let mut c = Conversations::new(self.max_open, 0);
        c.idle_nanos = self.idle_nanos;
        c.held = Some(super::Held::new(self.pool.clone(), 0));
        c
    }

    /// At the cap: a new conversation needs room first. Shared, the count
    /// is every worker's, and a worker with none open has nothing to give.
    fn full(&self) -> bool {
        match &self.held {
            Some(h) => h.seen() >= self.max_open && !self.open.is_empty(),
            None => self.open.len() >= self.max_open,
        }
    }

    /// Takes in another worker's conversations (their keys are none of
    /// this one's: a conversation lives on one worker), as closed pieces
    /// for [`finish`](Self::finish).
    /// Makes a worker's stream indices capture-wide (`--threads`).
    pub fn renumber(&mut self, map: &crate::engine::parallel::StreamMap) {
        let re = |k: &mut Key| {
            if let Key::Stream(p, s) = k {
                if let Some(g) = map.get(usize::from(*p == 17), *s) {
                    *s = g;
                }
            }
        };
        let re_row = |c: &mut Conversation| {
            re(&mut c.key);
            if let Key::Stream(_, s) = c.key {
                c.stream = Some(s);
            }
        };
        self.done.iter_mut().for_each(re_row);
        // Open rows are found by index: put them back under the new ones.
        let mut rows = self.open.drain();
        rows.iter_mut().for_each(re_row);
        for (i, c) in rows.iter().enumerate() {
            self.open.set_row(c.key, Some(i));
        }
        self.open.rows = rows;
        self.ending.iter_mut().for_each(re);
    }

    pub fn absorb(&mut self, mut other: Conversations) {
        self.done.append(&mut other.done);
        let open = other.open.drain();
        if let Some(h) = &mut other.held {
            h.release(open.len());
        }
        self.done.append(&mut { open });
        self.evicted += other.evicted;
        self.absorbed = true;
    }

    /// Ends the capture: every open conversation becomes a row (with the
    /// number of them closed early at least once); rows come back in order
    /// of their first packet. Pieces of one conversation
    /// closed early and seen again (same stream index, or same address pair)
    /// are merged back into one row, so the counts match tshark's.
    pub fn finish(mut self) -> (Vec<Conversation>, u64) {
        let mut pieces = std::mem::take(&mut self.done);
        pieces.append(&mut self.open.drain());
        if self.evicted > 0 || self.absorbed {
            // Pieces of one key side by side, earliest first, folded in place
            // (no second copy of the rows: there may be millions).
            pieces.sort_unstable_by(|x, y| {
                x.key.cmp(&y.key).then(x.start.nanos_since(y.start).cmp(&0))
            });
            pieces.dedup_by(|later, first| {
                let same = later.key == first.key;
                if same {
                    first.merge(later);
                }
                same
            });
        }
        // Ordered through a small key array: moving the rows themselves
        // while sorting cost more than building them.
        // Keys packed into 32 bytes (a million rows sort here): start in
        // nanoseconds, stream index (none first), opening order, row.
        let mut order: Vec<(i128, u32, u64, u32)> = pieces
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let start = c.start.sec as i128 * 1_000_000_000 + c.start.nsec as i128;
                let stream = c.stream.map_or(0, |s| s.saturating_add(1));
                (start, stream, c.seq, i as u32)
            })
            .collect();
        order.sort_unstable();
        let mut slots: Vec<Option<Conversation>> = pieces.into_iter().map(Some).collect();
        let mut rows: Vec<Conversation> = order
            .iter()
            .filter_map(|&(_, _, _, i)| slots.get_mut(i as usize).and_then(Option::take))
            .collect();
        drop(slots);
        for c in &mut rows {
            c.fill_app();
        }
        // Conversations (rows), not closings: a conversation whose ICMP
        // errors were decoded on another worker closes there too.
        let evicted = rows.iter().filter(|c| c.evicted).count() as u64 + self.drained_evicted;
        (rows, evicted)
    }
}

/// A TCP header whose data offset is under 20 bytes: tshark counts no
/// conversation for it (its TCP tap is never reached), and it is no valid
/// segment, so it only counts in its address pair's row.
fn bogus_tcp_header(pkt: &Packet<'_>, ti: usize) -> bool {
    let Some(t) = pkt.layers.get(ti).filter(|l| l.proto == Proto::Tcp) else {
        return false;
    };
    TcpHeader::new_through_window(pkt.bytes_of(t, t.header()))
        .is_some_and(|h| h.header_len() < tcp::MIN_HEADER)
}

/// The addresses a transport header belongs to, as tshark's conversations
/// (and RFC 8200 8.1's pseudo-header) see them: those of its nearest
/// enclosing IP header (the inner one in a tunnel), the destination being
/// the final one a routing header names (as IPv4's source route already
/// is), the source a Mobile IPv6 Home Address option's (RFC 6275 6.3).
fn transport_addrs(pkt: &Packet<'_>, ti: usize) -> Option<(IpAddr, IpAddr)> {
    use crate::dissect::net::{ipv4, ipv6};
    let (ii, ip) = pkt
        .layers
        .get(..ti)?
        .iter()
        .enumerate()
        .rev()
        .find(|(_, l)| matches!(l.proto, Proto::Ip | Proto::Ipv6))?;
    if ip.proto == Proto::Ip {
        return ipv4::addrs(pkt, ip).map(|(s, d)| (s.into(), d.into()));
    }
    let (mut src, _) = ipv6::addrs(pkt, ip)?;
    let dst = ipv6::final_dst(pkt, ii, ti)?;
    for x in pkt.layers.get(ii + 1..ti)? {
        if x.proto == Proto::Ipv6DstOpts {
            if let Some(a) = home_address(pkt.bytes(x.header())) {
                src = a.into();
            }
        }
    }
    Some((src.into(), IpAddr::from(std::net::Ipv6Addr::from(dst))))
}

/// The Home Address option (type 0xc9, 16 bytes) of a Destination Options
/// header.
fn home_address(h: &[u8]) -> Option<[u8; 16]> {
    let mut i = 2;
    while i < h.len() {
        let ty = h[i];
        if ty == 0 {
            i += 1;
            continue;
        }
        let len = *h.get(i + 1)? as usize;
        let body = h.get(i + 2..i + 2 + len)?;
        if ty == 0xc9 && len == 16 {
            return body.try_into().ok();
        }
        i += 2 + len;
    }
    None
}

/// The IP protocol of the innermost IP header's payload (IPv6 extension
/// headers skipped as the dissector did), the header `addrs` names.
fn ip_proto(pkt: &Packet<'_>) -> u8 {
    let Some(i) = pkt
        .network_index()
        .filter(|&i| matches!(pkt.layers[i].proto, Proto::Ip | Proto::Ipv6))
    else {
        return 0;
    };
    let next = pkt.layers.get(i + 1..).unwrap_or(&[]).iter().find(|l| {
        !matches!(
            l.proto,
            Proto::Ipv6HopOpts
                | Proto::Ipv6Routing
                | Proto::Ipv6Frag
                | Proto::Ipv6DstOpts
                | Proto::Ah
        )
    });
    match next.map(|l| l.proto) {
        Some(Proto::Icmp) => 1,
        Some(Proto::Icmpv6) => 58,
        Some(Proto::Tcp) => 6,
        Some(Proto::Udp) => 17,
        _ => {
            let l = pkt.layers[i];
            let h = pkt.bytes(l.header());
            if l.proto == Proto::Ip {
                Ipv4Header::new(h).map_or(0, |h| h.protocol())
            } else {
                Ipv6Header::new(h).map_or(0, |h| h.next_header())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Frame;

    fn udp_frame(sport: u16, dport: u16) -> Vec<u8> {
        let b = etherparse::PacketBuilder::ethernet2([1; 6], [2; 6])
            .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
            .udp(sport, dport);
        let mut v = Vec::new();
        b.write(&mut v, &[0u8; 4]).unwrap();
        v
    }

    fn feed(c: &mut Conversations, t: &mut crate::flow::FlowTracker, bytes: &[u8], sec: i64) {
        let f = Frame {
            ts: Timestamp { sec, nsec: 0 },
            wire_len: bytes.len() as u32,
            linktype: 1,
            interface: 0,
            ts_digits: 6,
            bytes,
        };
        let mut p = crate::dissect::dissect(&f, 1, Timestamp::default());
        t.observe(&mut p);
        c.observe(&p);
    }

    fn rows_of(frames: &[Vec<u8>]) -> Vec<Conversation> {
        let mut c = Conversations::default();
        let mut t = crate::flow::FlowTracker::default();
        for f in frames {
            feed(&mut c, &mut t, f, 0);
        }
        c.finish().0
    }

    /// Ethernet + IPv6 (2001:db8::1 -> 2001:db8::2) + `ext` (whose first
    /// byte's header type is `nxt`) + UDP `sport` -> 53.
    fn v6_udp(nxt: u8, ext: &[u8], sport: u16) -> Vec<u8> {
        let mut v = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd];
        let plen = (ext.len() + 8) as u16;
        v.extend_from_slice(&[0x60, 0, 0, 0]);
        v.extend_from_slice(&plen.to_be_bytes());
        v.extend_from_slice(&[nxt, 64]);
        v.extend_from_slice(&[0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        v.extend_from_slice(&[0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        v.extend_from_slice(ext);
        v.extend_from_slice(&sport.to_be_bytes());
        v.extend_from_slice(&[0, 53, 0, 8, 0, 0]);
        v
    }

    const FINAL: [u8; 16] = [0x20, 1, 0x0d, 0xb8, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9];

    #[test]
    fn routing_header_final_destination_and_home_address() {
        // Type 0 routing header, one segment left: the conversation is
        // with the final destination, as tshark's (rows of
        // ipv6-routing-header.pcap, ipv6-hbh-routing0.pcap).
        let mut rh = vec![17, 2, 0, 1, 0, 0, 0, 0];
        rh.extend_from_slice(&FINAL);
        // Destination options with a Home Address: it is the source.
        let mut dopt = vec![17, 2, 1, 2, 0, 0, 0xc9, 16];
        dopt.extend_from_slice(&FINAL);
        let rows = rows_of(&[v6_udp(43, &rh, 1000), v6_udp(60, &dopt, 1001)]);
        let ep = |r: &Conversation| (r.a.to_string(), r.b.to_string(), r.stream);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            ep(&rows[0]),
            ("2001:db8::1".into(), "2001:db8:9::9".into(), Some(0))
        );
        assert_eq!(
            ep(&rows[1]),
            ("2001:db8:9::9".into(), "2001:db8::2".into(), Some(1))
        );
    }

    #[test]
    fn bogus_tcp_header_length_is_no_tcp_conversation() {
        // Data offset 4 (16 bytes): tshark's conv,tcp leaves it out
        // (fixtures/malformed.pcap frame 4); it counts in its address pair.
        let mut v = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
        v.extend_from_slice(&[0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0]);
        v.extend_from_slice(&[192, 0, 2, 1, 192, 0, 2, 2]);
        v.extend_from_slice(&[0x04, 0xd2, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x40, 0x02]);
        v.extend_from_slice(&[0xff, 0xff, 0, 0, 0, 0]);
        let rows = rows_of(&[v]);
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].transport, rows[0].stream), ("TCP", None));
        assert_eq!(rows[0].port_a, None);
    }

    fn tcp_frame(from_client: bool, flags: (bool, bool, bool, bool)) -> Vec<u8> {
        let (syn, ack, fin, rst) = flags;
        let (src, dst, sp, dp) = if from_client {
            ([10, 0, 0, 1], [10, 0, 0, 2], 40000, 80)
        } else {
            ([10, 0, 0, 2], [10, 0, 0, 1], 80, 40000)
        };
        let mut b = etherparse::PacketBuilder::ethernet2([1; 6], [2; 6])
            .ipv4(src, dst, 64)
            .tcp(sp, dp, if from_client { 100 } else { 500 }, 1024);
        if syn {
            b = b.syn();
        }
        if ack {
            b = b.ack(1);
        }
        if fin {
            b = b.fin();
        }
        if rst {
            b = b.rst();
        }
        let mut v = Vec::new();
        b.write(&mut v, &[]).unwrap();
        v
    }

    #[test]
    fn ended_tcp_closes_after_linger_and_drains() {
        let mut c = Conversations::new(100, 600);
        c.close_ended_after(std::time::Duration::from_secs(2));
        let mut t = crate::flow::FlowTracker::default();
        feed(
            &mut c,
            &mut t,
            &tcp_frame(true, (true, false, false, false)),
            10,
        );
        feed(
            &mut c,
            &mut t,
            &tcp_frame(false, (true, true, false, false)),
            10,
        );
        feed(
            &mut c,
            &mut t,
            &tcp_frame(true, (false, true, true, false)),
            10,
        );
        feed(
            &mut c,
            &mut t,
            &tcp_frame(false, (false, true, true, false)),
            10,
        );
        // Inside the linger: the last ACK still counts in the same row.
        c.tick(Timestamp { sec: 11, nsec: 0 });
        assert_eq!(c.drain_closed().count(), 0);
        feed(
            &mut c,
            &mut t,
            &tcp_frame(true, (false, true, false, false)),
            11,
        );
        c.tick(Timestamp { sec: 14, nsec: 0 });
        let closed: Vec<Conversation> = c.drain_closed().collect();
        assert_eq!(closed.len(), 1);
        assert_eq!(closed[0].packets, [3, 2]);
        assert_eq!(closed[0].tcp_state(), Some(TcpState::Closed));
        assert!(!closed[0].evicted);
        assert_eq!(closed[0].app, Some("http"));
        assert_eq!(c.open_len(), 0);
        let (rows, evicted) = c.finish();
        assert_eq!((rows.len(), evicted), (0, 0));
    }

    #[test]
    fn files_keep_ended_tcp_open_until_finish() {
        let mut c = Conversations::new(100, 600);
        let mut t = crate::flow::FlowTracker::default();
        feed(
            &mut c,
            &mut t,
            &tcp_frame(true, (false, true, false, true)),
            10,
        );
        c.tick(Timestamp { sec: 100, nsec: 0 });
        assert_eq!(c.drain_closed().count(), 0);
        assert_eq!(c.open_len(), 1);
        let (rows, _) = c.finish();
        assert_eq!(rows[0].tcp_state(), Some(TcpState::Reset));
    }

    #[test]
    fn cap_and_idle_close_into_rows() {
        let mut c = Conversations::new(4, 10);
        let mut t = crate::flow::FlowTracker::default();
        for i in 0..20u16 {
            feed(&mut c, &mut t, &udp_frame(1000 + i, 53), 0);
        }
        assert!(c.open_len() <= 4);
        // Idle past the timeout: everything open closes at the next sweep.
        feed(&mut c, &mut t, &udp_frame(5000, 53), 100);
        assert_eq!(c.open_len(), 1);
        // A closed conversation seen again is merged back into its row.
        feed(&mut c, &mut t, &udp_frame(1000, 53), 100);
        let (rows, evicted) = c.finish();
        assert_eq!(rows.len(), 21);
        assert_eq!(evicted, 20);
        assert_eq!(rows.iter().map(|r| r.total_packets()).sum::<u64>(), 22);
        assert_eq!(rows[0].packets, [2, 0]);
        assert!(rows
            .iter()
            .all(|r| r.app == Some("dns") && r.tcp_state().is_none()));
    }

    #[test]
    fn shared_tables_hold_one_cap_together() {
        let whole = Conversations::new(8, 600);
        let mut parts = [whole.share(), whole.share()];
        let mut t = crate::flow::FlowTracker::default();
        // Every new conversation lands on the first worker: alone it may
        // fill the whole cap; the second then takes its share from it.
        for i in 0..6u16 {
            feed(&mut parts[0], &mut t, &udp_frame(1000 + i, 53), 0);
        }
        assert_eq!(parts[0].open_len(), 6);
        for i in 0..40u16 {
            feed(&mut parts[1], &mut t, &udp_frame(2000 + i, 53), 0);
        }
        assert_eq!(parts[0].open_len(), 6);
        assert!(parts[1].open_len() <= 3, "{}", parts[1].open_len());
        assert!(parts[1].evicted > 0);
        let mut whole = whole;
        for p in parts {
            whole.absorb(p);
        }
        assert_eq!(whole.pool.load(std::sync::atomic::Ordering::Relaxed), 0);
        let (rows, _) = whole.finish();
        assert_eq!(rows.len(), 46);
    }
}
