//! What the captured frames show: every frame dissected by layerscope's own
//! decoders (fields by their Wireshark names), its direction, and the facts
//! the demo reports — handshake, segments, fragments, FINs. Nothing here
//! comes from a model of TCP; each number is read from a frame.

use super::DemoRun;
use crate::dissect::transport::udp::UdpHeader;
use crate::dissect::{self, Field, FieldSink, Layer, Packet, Proto, Value};
use crate::engine::source::MemoryFrames;
use crate::engine::{Engine, EngineOptions, Sink};
use crate::source::Timestamp;
use crate::traffic::explain::{Call, Role};
use crate::traffic::Transport;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::ops::Range;

/// Which way a frame went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    ToServer,
    ToClient,
    Unknown,
}

/// TCP flag bits as in the header.
pub mod flag {
    pub const FIN: u16 = 0x001;
    pub const SYN: u16 = 0x002;
    pub const RST: u16 = 0x004;
    pub const PSH: u16 = 0x008;
    pub const ACK: u16 = 0x010;
}

#[derive(Clone, Debug, Default)]
pub struct TcpFacts {
    pub sport: u16,
    pub dport: u16,
    /// Relative to the sender's ISN (as tshark shows them).
    pub seq: u32,
    pub ack: u32,
    pub seq_raw: u32,
    pub flags: u16,
    pub hdr_len: u32,
    /// Payload bytes (`tcp.len`).
    pub len: u32,
    pub win: u64,
    pub mss: Option<u32>,
    pub wscale: Option<u32>,
    pub sack_perm: bool,
    pub timestamps: bool,
    pub sack_blocks: u32,
}

#[derive(Clone, Debug, Default)]
pub struct IpFacts {
    pub version: u8,
    pub src: Option<IpAddr>,
    pub dst: Option<IpAddr>,
    pub hdr_len: u32,
    /// Whole IP packet: `ip.len`, or 40 + `ipv6.plen`.
    pub total_len: u32,
    pub id: Option<u32>,
    pub df: bool,
    /// More fragments (IPv4 `ip.flags.mf` or the IPv6 fragment header's M bit).
    pub mf: bool,
    /// Fragment offset in bytes.
    pub frag_offset: u32,
    pub fragment: bool,
    /// `ip.proto` / the protocol after the IPv6 headers.
    pub proto: u32,
    pub ttl: u32,
}

/// One frame, as the demo needs it.
#[derive(Clone, Debug)]
pub struct Facts {
    pub no: usize,
    pub ts: Timestamp,
    pub caplen: usize,
    pub wire_len: u32,
    pub dir: Dir,
    pub layers: Vec<Layer>,
    pub eth: Option<(String, String, u32)>,
    pub ip: Option<IpFacts>,
    pub tcp: Option<TcpFacts>,
    pub udp: Option<(u16, u16, u32)>,
    /// ARP opcode, sender IP, target IP, sender MAC.
    pub arp: Option<(u32, String, String, String)>,
    /// ICMPv6 type and the target address of neighbour discovery.
    pub icmp6: Option<(u32, String)>,
    pub icmp: Option<(u32, u32)>,
    /// Bytes after the transport header (or after IP for a fragment).
    pub payload: Range<usize>,
    /// Wireshark-like Info text.
    pub info: String,
    /// Remarks: retransmission, GSO super-segment, coalesced ACK …
    pub notes: Vec<String>,
}

impl Facts {
    pub fn has_flag(&self, f: u16) -> bool {
        self.tcp.as_ref().is_some_and(|t| t.flags & f != 0)
    }
    pub fn is_data(&self) -> bool {
        self.tcp.as_ref().is_some_and(|t| t.len > 0)
    }
    /// Sum of the header bytes of every layer below the application data.
    pub fn header_bytes(&self) -> usize {
        self.layers
            .iter()
            .filter(|l| l.proto != Proto::Data)
            .map(|l| l.header().len())
            .sum()
    }
}

/// Field values kept as numbers or text, first occurrence wins.
#[derive(Default)]
struct Collect {
    fields: Vec<(&'static str, u64, String)>,
}

impl FieldSink for Collect {
    fn field(&mut self, f: &Field<'_>) {
        let n = match f.value {
            Value::U(v) | Value::Hex(v, _) => v,
            Value::I(v) => v as u64,
            Value::Bool(b) => b as u64,
            _ => 0,
        };
        let s = match f.value {
            Value::Bytes(_) => String::new(),
            v => v.to_string_lossy(),
        };
        self.fields.push((f.name, n, s));
    }
}

impl Collect {
    fn n(&self, name: &str) -> Option<u64> {
        self.fields.iter().find(|f| f.0 == name).map(|f| f.1)
    }
    fn s(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.0 == name)
            .map(|f| f.2.as_str())
    }
    fn has(&self, name: &str) -> bool {
        self.fields.iter().any(|f| f.0 == name)
    }
}

/// Replays the captured frames through the engine, each decoded alone as
/// it was on the wire (with the flow tracker's relative numbers), into
/// `sink`; with `count`, only the first `count` frames.
pub fn replay<K: Sink + ?Sized>(run: &DemoRun, count: Option<u64>, sink: &mut K) {
    let mut engine = Engine::new(EngineOptions {
        count,
        max_flows: Some(1024),
        plain: true,
        ..Default::default()
    });
    let mut frames = MemoryFrames::new(&run.frames, run.linktype);
    // Frames in memory cannot fail to read, and the demo's sinks never fail.
    let _ = engine.run(&mut frames, sink);
}

/// The analysis's sink: every frame's facts, in capture order.
struct FactsSink<'r> {
    run: &'r DemoRun,
    frames: Vec<Facts>,
}

impl Sink for FactsSink<'_> {
    fn packet(&mut self, pkt: &Packet<'_>) -> std::io::Result<()> {
        self.frames.push(facts_of(self.run, pkt));
        Ok(())
    }
}

fn facts_of(run: &DemoRun, pkt: &Packet<'_>) -> Facts {
    let mut c = Collect::default();
    dissect::all_fields(pkt, &mut c);
    let n32 = |name: &str| c.n(name).map(|v| v as u32);
    let eth = match (c.s("eth.src"), c.s("eth.dst"), c.n("eth.type")) {
        (Some(s), Some(d), t) => Some((s.to_string(), d.to_string(), t.unwrap_or(0) as u32)),
        _ => None,
    };
    let ip = if pkt.has(Proto::Ip) {
        let off = n32("ip.frag_offset").unwrap_or(0) * 8;
        let mf = c.n("ip.flags.mf") == Some(1);
        Some(IpFacts {
            version: 4,
            src: c.s("ip.src").and_then(|s| s.parse().ok()),
            dst: c.s("ip.dst").and_then(|s| s.parse().ok()),
            hdr_len: n32("ip.hdr_len").unwrap_or(0),
            total_len: n32("ip.len").unwrap_or(0),
            id: n32("ip.id"),
            df: c.n("ip.flags.df") == Some(1),
            mf,
            frag_offset: off,
            fragment: mf || off > 0,
            proto: n32("ip.proto").unwrap_or(0),
            ttl: n32("ip.ttl").unwrap_or(0),
        })
    } else if pkt.has(Proto::Ipv6) {
        let frag = c.has("ipv6.fraghdr.offset");
        let off = n32("ipv6.fraghdr.offset").unwrap_or(0) * 8;
        let mf = c.n("ipv6.fraghdr.more") == Some(1);
        let hdr: u32 = pkt
            .layers
            .iter()
            .filter(|l| {
                matches!(
                    l.proto,
                    Proto::Ipv6
                        | Proto::Ipv6HopOpts
                        | Proto::Ipv6Routing
                        | Proto::Ipv6Frag
                        | Proto::Ipv6DstOpts
                )
            })
            .map(|l| l.header().len() as u32)
            .sum();
        let proto = n32("ipv6.fraghdr.nxt")
            .or_else(|| n32("ipv6.nxt"))
            .unwrap_or(0);
        Some(IpFacts {
            version: 6,
            src: c.s("ipv6.src").and_then(|s| s.parse().ok()),
            dst: c.s("ipv6.dst").and_then(|s| s.parse().ok()),
            hdr_len: hdr,
            total_len: n32("ipv6.plen").unwrap_or(0) + 40,
            id: n32("ipv6.fraghdr.ident"),
            df: false,
            mf,
            frag_offset: off,
            fragment: frag && (mf || off > 0),
            proto,
            ttl: n32("ipv6.hlim").unwrap_or(0),
        })
    } else {
        None
    };
    let tcp = pkt.has(Proto::Tcp).then(|| TcpFacts {
        sport: c.n("tcp.srcport").unwrap_or(0) as u16,
        dport: c.n("tcp.dstport").unwrap_or(0) as u16,
        seq: n32("tcp.seq").unwrap_or(0),
        ack: n32("tcp.ack").unwrap_or(0),
        seq_raw: n32("tcp.seq_raw").unwrap_or(0),
        flags: c.n("tcp.flags").unwrap_or(0) as u16,
        hdr_len: n32("tcp.hdr_len").unwrap_or(0),
        len: n32("tcp.len").unwrap_or(0),
        win: c.n("tcp.window_size").unwrap_or(0),
        mss: n32("tcp.options.mss_val"),
        wscale: n32("tcp.options.wscale.shift"),
        sack_perm: c.has("tcp.options.sack_perm"),
        timestamps: c.has("tcp.options.timestamp.tsval"),
        sack_blocks: n32("tcp.options.sack.count").unwrap_or(0),
    });
    let udp = pkt.has(Proto::Udp).then(|| {
        (
            c.n("udp.srcport").unwrap_or(0) as u16,
            c.n("udp.dstport").unwrap_or(0) as u16,
            n32("udp.length").unwrap_or(0),
        )
    });
    let arp = pkt.has(Proto::Arp).then(|| {
        (
            n32("arp.opcode").unwrap_or(0),
            c.s("arp.src.proto_ipv4").unwrap_or("?").to_string(),
            c.s("arp.dst.proto_ipv4").unwrap_or("?").to_string(),
            c.s("arp.src.hw_mac").unwrap_or("?").to_string(),
        )
    });
    let icmp6 = pkt.has(Proto::Icmpv6).then(|| {
        let target = c
            .s("icmpv6.nd.ns.target_address")
            .or_else(|| c.s("icmpv6.nd.na.target_address"))
            .unwrap_or("")
            .to_string();
        (n32("icmpv6.type").unwrap_or(0), target)
    });
    let icmp = pkt
        .has(Proto::Icmp)
        .then(|| (n32("icmp.type").unwrap_or(0), n32("icmp.code").unwrap_or(0)));
    let payload = pkt
        .layers
        .iter()
        .find(|l| l.proto == Proto::Data)
        .map(|l| l.header())
        .unwrap_or(0..0);
    let mut info = Vec::new();
    dissect::info(pkt, &mut info);
    let mut f = Facts {
        no: pkt.number as usize,
        ts: pkt.ts,
        caplen: pkt.data.len(),
        wire_len: pkt.wire_len,
        dir: Dir::Unknown,
        layers: pkt.layers.to_vec(),
        eth,
        ip,
        tcp,
        udp,
        arp,
        icmp6,
        icmp,
        payload,
        info: String::from_utf8_lossy(&info).into_owned(),
        notes: Vec::new(),
    };
    f.dir = direction(run, &f);
    f
}

/// Direction from ports first (on lo both ends have the same address),
/// then from addresses.
fn direction(run: &DemoRun, f: &Facts) -> Dir {
    let (sip, cip, sport) = (run.server.ip(), run.client.ip(), run.server.port());
    let ports = f
        .tcp
        .as_ref()
        .map(|t| (t.sport, t.dport))
        .or(f.udp.map(|u| (u.0, u.1)));
    if let (Some((sp, dp)), Some(ip)) = (ports, &f.ip) {
        if dp == sport && ip.dst == Some(sip) {
            return Dir::ToServer;
        }
        if sp == sport && ip.src == Some(sip) {
            return Dir::ToClient;
        }
    }
    if sip == cip {
        return Dir::Unknown;
    }
    let src = if let Some((_, s, _, _)) = &f.arp {
        s.parse::<IpAddr>().ok()
    } else {
        f.ip.as_ref().and_then(|i| i.src)
    };
    match src {
        Some(a) if a == cip => Dir::ToServer,
        Some(a) if a == sip => Dir::ToClient,
        _ => Dir::Unknown,
    }
}

/// One direction's data: segments, bytes, and how they compare with the model.
#[derive(Clone, Debug, Default)]
pub struct Stream {
    /// Bytes the sender handed to send() (from its socket call).
    pub sent: Option<usize>,
    /// Indices (into `Analysis::frames`) of first transmissions carrying data.
    pub segments: Vec<usize>,
    pub retransmissions: Vec<usize>,
    /// The payload as reassembled from the first transmissions, in order.
    pub bytes: Vec<u8>,
    /// MSS offered in this side's SYN, and the peer's.
    pub own_mss: Option<u32>,
    pub peer_mss: Option<u32>,
    /// TCP option bytes carried on this side's data segments.
    pub option_bytes: Option<u32>,
    /// Data segments longer than one MSS: GSO super-segments.
    pub super_segments: Vec<usize>,
    pub fin: Option<usize>,
    /// The peer's frame that acknowledges the FIN.
    pub fin_acked: Option<usize>,
}

impl Stream {
    /// The MSS this side sends with: the smaller of the two offers.
    pub fn mss(&self) -> Option<u32> {
        match (self.own_mss, self.peer_mss) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
    /// Payload bytes per full segment: MSS minus the options data segments carry.
    pub fn per_segment(&self) -> Option<u32> {
        Some(self.mss()?.saturating_sub(self.option_bytes?)).filter(|&p| p > 0)
    }
    /// k = ceil(sent / per_segment).
    pub fn computed(&self) -> Option<usize> {
        let per = self.per_segment()? as usize;
        Some(self.sent?.div_ceil(per))
    }
}

/// One IP datagram that was fragmented.
#[derive(Clone, Debug, Default)]
pub struct Fragmented {
    pub dir: Option<Dir>,
    pub version: u8,
    pub id: u32,
    /// Indices of the fragments, in capture order.
    pub frames: Vec<usize>,
    /// The reassembled IP payload (all fragments present and contiguous).
    pub payload: Option<Vec<u8>>,
}

impl Fragmented {
    /// Fragments computed from the link MTU: each carries the most IP
    /// payload that fits, a multiple of 8 bytes (the offset's unit).
    pub fn computed(&self, mtu: u32, ip_hdr: u32) -> Option<usize> {
        let per = (mtu.checked_sub(ip_hdr)? / 8 * 8) as usize;
        let total = self.payload.as_ref()?.len();
        (per > 0).then(|| total.div_ceil(per))
    }
}

/// UDP datagrams, whole or reassembled, from one side.
#[derive(Clone, Debug, Default)]
pub struct Datagram {
    pub dir: Option<Dir>,
    /// The frame holding the UDP header (first fragment or the whole datagram).
    pub first: usize,
    pub sport: u16,
    pub dport: u16,
    pub udp_len: u32,
    pub payload: Vec<u8>,
    /// Index into `Analysis::fragmented` when it came in pieces.
    pub fragmented: Option<usize>,
}

#[derive(Clone, Debug, Default)]
pub struct Analysis {
    pub frames: Vec<Facts>,
    pub transport: Option<Transport>,
    /// Flags of the connection's first three TCP frames, in order.
    pub handshake: Vec<u16>,
    pub handshake_frames: Vec<usize>,
    pub client: Stream,
    pub server: Stream,
    pub rst: Vec<usize>,
    pub fragmented: Vec<Fragmented>,
    pub datagrams: Vec<Datagram>,
    pub arp: usize,
    pub ndp: usize,
    /// The first frame carrying the client's data (for the encapsulation view).
    pub first_data: Option<usize>,
}

impl Analysis {
    pub fn stream(&self, d: Dir) -> &Stream {
        if d == Dir::ToClient {
            &self.server
        } else {
            &self.client
        }
    }
}

pub fn analyze(run: &DemoRun) -> Analysis {
    let mut facts = FactsSink {
        run,
        frames: Vec::with_capacity(run.frames.len()),
    };
    replay(run, None, &mut facts);
    let mut a = Analysis {
        transport: Some(run.opts.transport),
        frames: facts.frames,
        ..Default::default()
    };
    for (role, s) in [(Role::Client, &mut a.client), (Role::Server, &mut a.server)] {
        s.sent = run.events.iter().find_map(|e| match e.call {
            Call::Send(n) if e.role == role => Some(n),
            _ => None,
        });
    }
    a.arp = a.frames.iter().filter(|f| f.arp.is_some()).count();
    a.ndp = a
        .frames
        .iter()
        .filter(|f| {
            f.icmp6
                .as_ref()
                .is_some_and(|(t, _)| (133..=137).contains(t))
        })
        .count();
    tcp_facts(run, &mut a);
    fragments(run, &mut a);
    datagrams(run, &mut a);
    a.first_data = match run.opts.transport {
        Transport::Tcp => a.client.segments.first().copied(),
        Transport::Udp => a
            .datagrams
            .iter()
            .find(|d| d.dir == Some(Dir::ToServer))
            .map(|d| d.first),
    };
    a
}

fn tcp_facts(run: &DemoRun, a: &mut Analysis) {
    let frames = &mut a.frames;
    let ours: Vec<usize> = (0..frames.len())
        .filter(|&i| frames[i].tcp.is_some() && frames[i].dir != Dir::Unknown)
        .collect();
    for &i in ours.iter().take(3) {
        a.handshake
            .push(frames[i].tcp.as_ref().map_or(0, |t| t.flags));
        a.handshake_frames.push(i);
    }
    // Highest sequence number sent so far, per direction, to spot resends.
    let mut high: [Option<u32>; 2] = [None, None];
    // Last ACK seen per direction, to spot duplicate and coalesced ACKs.
    let mut last_ack: [Option<u32>; 2] = [None, None];
    // Data segments not yet acknowledged, per direction (end sequence numbers).
    let mut unacked: [Vec<u32>; 2] = [Vec::new(), Vec::new()];
    let mut fin_seq: [Option<u32>; 2] = [None, None];
    let mut chunks: [BTreeMap<u32, Vec<u8>>; 2] = [BTreeMap::new(), BTreeMap::new()];
    for &i in &ours {
        let f = &frames[i];
        let Some(t) = f.tcp.clone() else { continue };
        let d = if f.dir == Dir::ToServer { 0 } else { 1 };
        let (st, peer) = if d == 0 {
            (&mut a.client, &mut a.server)
        } else {
            (&mut a.server, &mut a.client)
        };
        let mut notes = Vec::new();
        if t.flags & flag::SYN != 0 {
            st.own_mss = t.mss.or(st.own_mss);
            peer.peer_mss = t.mss.or(peer.peer_mss);
        }
        if t.flags & flag::RST != 0 {
            a.rst.push(i);
        }
        if t.len > 0 {
            let end = t.seq.wrapping_add(t.len);
            let resent = high[d].is_some_and(|h| end <= h || t.seq < h);
            if resent {
                st.retransmissions.push(i);
                notes.push("retransmission: these bytes were sent before".to_string());
            } else {
                high[d] = Some(end);
                st.segments.push(i);
                if st.option_bytes.is_none() {
                    st.option_bytes = Some(t.hdr_len.saturating_sub(20));
                }
                let bytes = run.frames[i].bytes.get(f.payload.clone()).unwrap_or(&[]);
                chunks[d].insert(t.seq, bytes.to_vec());
                unacked[d].push(end);
            }
            if let Some(per) = st.per_segment() {
                if t.len > per {
                    st.super_segments.push(i);
                    let k = t.len.div_ceil(per);
                    notes.push(format!(
                        "GSO super-segment: {} B in one packet, {k} segments' worth at {per} B; \
                         a NIC would send {k} frames, {} passes it on whole",
                        t.len, run.interface
                    ));
                }
            }
        }
        if t.flags & flag::FIN != 0 {
            st.fin.get_or_insert(i);
            fin_seq[d] = Some(t.seq.wrapping_add(t.len).wrapping_add(1));
        }
        if t.flags & flag::ACK != 0 {
            let o = 1 - d;
            if fin_seq[o] == Some(t.ack) && peer.fin_acked.is_none() {
                peer.fin_acked = Some(i);
            }
            let covered = unacked[o].iter().filter(|&&e| e <= t.ack).count();
            unacked[o].retain(|&e| e > t.ack);
            if covered > 1 {
                notes.push(format!(
                    "one ACK for {covered} segments (delayed or coalesced ACK)"
                ));
            }
            let pure = t.len == 0 && t.flags & (flag::SYN | flag::FIN | flag::RST) == 0;
            if pure && last_ack[d] == Some(t.ack) && covered == 0 && t.sack_blocks == 0 {
                notes.push("duplicate ACK (acknowledges nothing new)".to_string());
            }
            last_ack[d] = Some(t.ack);
        }
        frames[i].notes.extend(notes);
    }
    for (d, st) in [(0usize, &mut a.client), (1, &mut a.server)] {
        let mut next: Option<u32> = None;
        for (seq, b) in &chunks[d] {
            if next.is_some_and(|n| n != *seq) {
                break;
            }
            st.bytes.extend_from_slice(b);
            next = Some(seq.wrapping_add(b.len() as u32));
        }
    }
}

/// Groups IP fragments by datagram and reassembles their payload.
fn fragments(run: &DemoRun, a: &mut Analysis) {
    let mut groups: Vec<Fragmented> = Vec::new();
    for (i, f) in a.frames.iter().enumerate() {
        let Some(ip) = &f.ip else { continue };
        if !ip.fragment {
            continue;
        }
        let id = ip.id.unwrap_or(0);
        let g = match groups
            .iter_mut()
            .position(|g| g.id == id && g.version == ip.version)
        {
            Some(p) => &mut groups[p],
            None => {
                groups.push(Fragmented {
                    version: ip.version,
                    id,
                    ..Default::default()
                });
                groups.last_mut().expect("just pushed")
            }
        };
        g.frames.push(i);
        if f.dir != Dir::Unknown {
            g.dir = Some(f.dir);
        }
    }
    for g in &mut groups {
        let mut parts: Vec<(u32, &[u8], bool)> = g
            .frames
            .iter()
            .filter_map(|&i| {
                let f = &a.frames[i];
                let ip = f.ip.as_ref()?;
                Some((
                    ip.frag_offset,
                    run.frames[i].bytes.get(f.payload.clone())?,
                    ip.mf,
                ))
            })
            .collect();
        parts.sort_by_key(|p| p.0);
        let mut out = Vec::new();
        let mut complete = parts.last().is_some_and(|p| !p.2);
        for (off, b, _) in parts {
            if off as usize != out.len() {
                complete = false;
                break;
            }
            out.extend_from_slice(b);
        }
        if complete {
            g.payload = Some(out);
        }
    }
    a.fragmented = groups;
}

/// UDP datagrams: whole ones from the dissector, fragmented ones from the
/// reassembled payload (its first 8 bytes are the UDP header).
fn datagrams(run: &DemoRun, a: &mut Analysis) {
    let mut out = Vec::new();
    for (i, f) in a.frames.iter().enumerate() {
        if let (Some((sp, dp, ulen)), false) = (f.udp, f.ip.as_ref().is_some_and(|ip| ip.fragment))
        {
            let payload = run.frames[i]
                .bytes
                .get(f.payload.clone())
                .unwrap_or(&[])
                .to_vec();
            out.push(Datagram {
                dir: Some(f.dir),
                first: i,
                sport: sp,
                dport: dp,
                udp_len: ulen,
                payload,
                fragmented: None,
            });
        }
    }
    for (gi, g) in a.fragmented.iter().enumerate() {
        let first = g.frames.iter().copied().find(|&i| {
            a.frames[i]
                .ip
                .as_ref()
                .is_some_and(|ip| ip.frag_offset == 0)
        });
        let (Some(p), Some(first)) = (&g.payload, first) else {
            continue;
        };
        let is_udp = a.frames[first].ip.as_ref().is_some_and(|ip| ip.proto == 17);
        let Some(u) = UdpHeader::new(p).filter(|_| is_udp) else {
            continue;
        };
        let (sport, dport) = (u.src_port(), u.dst_port());
        let ulen = u.length() as u32;
        let dir = if dport == run.server.port() {
            Dir::ToServer
        } else if sport == run.server.port() {
            Dir::ToClient
        } else {
            g.dir.unwrap_or(Dir::Unknown)
        };
        out.push(Datagram {
            dir: Some(dir),
            first,
            sport,
            dport,
            udp_len: ulen,
            payload: p[8..].to_vec(),
            fragmented: Some(gi),
        });
    }
    out.sort_by_key(|d| d.first);
    for d in &out {
        if let Some(gi) = d.fragmented {
            if let Some(g) = a.fragmented.get_mut(gi) {
                g.dir = d.dir;
            }
            if let Some(g) = a.fragmented.get(gi) {
                for &i in &g.frames {
                    if a.frames[i].dir == Dir::Unknown {
                        a.frames[i].dir = d.dir.unwrap_or(Dir::Unknown);
                    }
                }
            }
        }
    }
    a.datagrams = out;
}

/// Human name of a set of TCP flags, as tshark's `tcp.flags.str` order
/// reads in Wireshark's Info column ("SYN, ACK").
pub fn flag_names(f: u16) -> String {
    let mut v = Vec::new();
    for (bit, name) in [
        (flag::FIN, "FIN"),
        (flag::SYN, "SYN"),
        (flag::RST, "RST"),
        (flag::PSH, "PSH"),
        (flag::ACK, "ACK"),
        (0x020, "URG"),
        (0x040, "ECE"),
        (0x080, "CWR"),
    ] {
        if f & bit != 0 {
            v.push(name);
        }
    }
    if v.is_empty() {
        "<none>".into()
    } else {
        v.join(", ")
    }
}
