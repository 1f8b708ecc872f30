//! Writes layerscope's own edge-case capture files (see fixtures/README.md).
//!
//! `cargo run --example make_fixtures -- fixtures/`
//!
//! Frames come from etherparse's `PacketBuilder` where it can express them
//! and from hand-written bytes where it cannot (IPv4 options, IPv6 extension
//! chains, SLL2, the null header, lying lengths). A tiny pcap/pcapng writer
//! lives here too, so the files can hold what a real writer refuses to write
//! (cut records, impossible lengths). Everything is deterministic: fixed
//! timestamps, documentation-range addresses, no randomness.

use etherparse::{
    ArpHardwareId, ArpOperation, ArpPacket, EtherType, IpHeaders, IpNumber, Ipv4Header, Ipv6Header,
    LinuxSllPacketType, PacketBuilder, SingleVlanHeader, TcpOptionElement, VlanHeader, VlanId,
    VlanPcp,
};
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------- addresses

/// RFC 7042 documentation MACs (00:00:5e:00:53:xx).
const MAC_C: [u8; 6] = [0x00, 0x00, 0x5e, 0x00, 0x53, 0x01];
const MAC_S: [u8; 6] = [0x00, 0x00, 0x5e, 0x00, 0x53, 0x02];
const MAC_R: [u8; 6] = [0x00, 0x00, 0x5e, 0x00, 0x53, 0xfe];
const BCAST: [u8; 6] = [0xff; 6];

const IP_C: [u8; 4] = [192, 0, 2, 10];
const IP_S: [u8; 4] = [198, 51, 100, 20];
const IP_R: [u8; 4] = [192, 0, 2, 1];

const IP6_C: [u8; 16] = v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x10]);
const IP6_S: [u8; 16] = v6([0x2001, 0xdb8, 1, 0, 0, 0, 0, 0x20]);
const IP6_MID: [u8; 16] = v6([0x2001, 0xdb8, 2, 0, 0, 0, 0, 1]);
const LL_C: [u8; 16] = v6([0xfe80, 0, 0, 0, 0x200, 0x5eff, 0xfe00, 0x5301]);
const LL_S: [u8; 16] = v6([0xfe80, 0, 0, 0, 0x200, 0x5eff, 0xfe00, 0x5302]);
const ALL_ROUTERS: [u8; 16] = v6([0xff02, 0, 0, 0, 0, 0, 0, 2]);
const SOLICITED_S: [u8; 16] = v6([0xff02, 0, 0, 0, 0, 1, 0xff00, 0x5302]);

const TCP_PORT: u16 = 4242;
const UDP_PORT: u16 = 4242;
const UDP_CLIENT: u16 = 12345;
const TRACE_PORT: u16 = 33434;

/// 2023-11-14T22:13:20Z.
const BASE_SEC: u32 = 1_700_000_000;

const fn v6(g: [u16; 8]) -> [u8; 16] {
    let mut a = [0u8; 16];
    let mut i = 0;
    while i < 8 {
        a[2 * i] = (g[i] >> 8) as u8;
        a[2 * i + 1] = g[i] as u8;
        i += 1;
    }
    a
}

// ---------------------------------------------------------------- writers

/// One capture record. `orig_len` may exceed `data.len()` (snap length cut).
struct Rec {
    sec: u32,
    /// Microseconds, or nanoseconds in a nanosecond file.
    frac: u32,
    data: Vec<u8>,
    orig_len: u32,
}

/// Record `i` of a file: one millisecond apart from the previous one.
fn rec(i: usize, data: Vec<u8>) -> Rec {
    let orig_len = data.len() as u32;
    Rec {
        sec: BASE_SEC,
        frac: i as u32 * 1000,
        data,
        orig_len,
    }
}

fn recs(frames: Vec<Vec<u8>>) -> Vec<Rec> {
    frames
        .into_iter()
        .enumerate()
        .map(|(i, f)| rec(i, f))
        .collect()
}

/// Classic pcap with a 65535 snap length.
fn pcap(linktype: u32, records: &[Rec]) -> Vec<u8> {
    pcap_ext(linktype, records, false, false)
}

fn pcap_ext(linktype: u32, records: &[Rec], big_endian: bool, nanos: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let put32 = |out: &mut Vec<u8>, v: u32| {
        out.extend_from_slice(&if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        })
    };
    let put16 = |out: &mut Vec<u8>, v: u16| {
        out.extend_from_slice(&if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        })
    };
    put32(&mut out, if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 });
    put16(&mut out, 2);
    put16(&mut out, 4);
    put32(&mut out, 0); // thiszone
    put32(&mut out, 0); // sigfigs
    put32(&mut out, 65535);
    put32(&mut out, linktype);
    for r in records {
        put32(&mut out, r.sec);
        put32(&mut out, r.frac);
        put32(&mut out, r.data.len() as u32);
        put32(&mut out, r.orig_len);
        out.extend_from_slice(&r.data);
    }
    out
}

/// Little-endian pcapng, built block by block.
#[derive(Default)]
struct Ng {
    buf: Vec<u8>,
}

impl Ng {
    fn block(&mut self, kind: u32, body: &[u8]) {
        let pad = (4 - body.len() % 4) % 4;
        let total = (12 + body.len() + pad) as u32;
        self.buf.extend_from_slice(&kind.to_le_bytes());
        self.buf.extend_from_slice(&total.to_le_bytes());
        self.buf.extend_from_slice(body);
        self.buf.resize(self.buf.len() + pad, 0);
        self.buf.extend_from_slice(&total.to_le_bytes());
    }

    /// Section Header Block; interface ids restart at 0 after it.
    fn section(&mut self) {
        let mut b = Vec::new();
        b.extend_from_slice(&0x1a2b_3c4d_u32.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&u64::MAX.to_le_bytes()); // section length unknown
        self.block(0x0a0d_0d0a, &b);
    }

    /// Interface Description Block with `if_name` and an optional `if_tsresol`.
    fn interface(&mut self, linktype: u16, name: &str, tsresol: Option<u8>) {
        let mut b = Vec::new();
        b.extend_from_slice(&linktype.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&65535u32.to_le_bytes());
        option(&mut b, 2, name.as_bytes());
        if let Some(r) = tsresol {
            option(&mut b, 9, &[r]);
        }
        option(&mut b, 0, &[]);
        self.block(1, &b);
    }

    /// Enhanced Packet Block; `ts` is in the interface's time units.
    fn packet(&mut self, iface: u32, ts: u64, data: &[u8], orig_len: u32) {
        let mut b = Vec::new();
        b.extend_from_slice(&iface.to_le_bytes());
        b.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        b.extend_from_slice(&(ts as u32).to_le_bytes());
        b.extend_from_slice(&(data.len() as u32).to_le_bytes());
        b.extend_from_slice(&orig_len.to_le_bytes());
        b.extend_from_slice(data);
        self.block(6, &b);
    }
}

fn option(b: &mut Vec<u8>, code: u16, val: &[u8]) {
    b.extend_from_slice(&code.to_le_bytes());
    b.extend_from_slice(&(val.len() as u16).to_le_bytes());
    b.extend_from_slice(val);
    b.resize(b.len() + (4 - val.len() % 4) % 4, 0);
}

/// Microsecond timestamp of record `i`, as `rec` makes them.
fn ts_us(i: u64) -> u64 {
    BASE_SEC as u64 * 1_000_000 + i * 1000
}

// ---------------------------------------------------------------- checksums

fn sum16(data: &[u8], mut acc: u32) -> u32 {
    let mut it = data.chunks_exact(2);
    for c in &mut it {
        acc += u16::from_be_bytes([c[0], c[1]]) as u32;
    }
    if let [last] = it.remainder() {
        acc += (*last as u32) << 8;
    }
    acc
}

fn fold(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

fn pseudo4(src: [u8; 4], dst: [u8; 4], proto: u8, len: usize) -> u32 {
    sum16(&dst, sum16(&src, 0)) + proto as u32 + len as u32
}

fn pseudo6(src: [u8; 16], dst: [u8; 16], proto: u8, len: usize) -> u32 {
    sum16(&dst, sum16(&src, 0)) + proto as u32 + len as u32
}

// ---------------------------------------------------------------- hand-made headers

fn eth(dst: [u8; 6], src: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + payload.len());
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// An IPv4 header built field by field, so any field can lie.
#[derive(Clone)]
struct V4 {
    src: [u8; 4],
    dst: [u8; 4],
    ttl: u8,
    id: u16,
    /// Flags (top 3 bits) and fragment offset in 8-byte units.
    flags_frag: u16,
    proto: u8,
    options: Vec<u8>,
    ihl: Option<u8>,
    total_len: Option<u16>,
    checksum: Option<u16>,
}

impl V4 {
    fn new(src: [u8; 4], dst: [u8; 4], proto: u8) -> Self {
        V4 {
            src,
            dst,
            ttl: 64,
            id: 0,
            flags_frag: 0x4000,
            proto,
            options: Vec::new(),
            ihl: None,
            total_len: None,
            checksum: None,
        }
    }

    fn build(&self, payload: &[u8]) -> Vec<u8> {
        assert_eq!(self.options.len() % 4, 0, "IPv4 options must be padded");
        let hlen = 20 + self.options.len();
        let ihl = self.ihl.unwrap_or((hlen / 4) as u8);
        let total = self.total_len.unwrap_or((hlen + payload.len()) as u16);
        let mut h = vec![0x40 | ihl, 0];
        h.extend_from_slice(&total.to_be_bytes());
        h.extend_from_slice(&self.id.to_be_bytes());
        h.extend_from_slice(&self.flags_frag.to_be_bytes());
        h.extend_from_slice(&[self.ttl, self.proto, 0, 0]);
        h.extend_from_slice(&self.src);
        h.extend_from_slice(&self.dst);
        h.extend_from_slice(&self.options);
        let good = fold(sum16(&h, 0));
        let c = self.checksum.unwrap_or(good);
        h[10..12].copy_from_slice(&c.to_be_bytes());
        h.extend_from_slice(payload);
        h
    }
}

fn ipv6_hdr(next: u8, hop: u8, src: [u8; 16], dst: [u8; 16], payload: &[u8]) -> Vec<u8> {
    ipv6_hdr_len(next, hop, src, dst, payload, payload.len() as u16)
}

fn ipv6_hdr_len(
    next: u8,
    hop: u8,
    src: [u8; 16],
    dst: [u8; 16],
    payload: &[u8],
    plen: u16,
) -> Vec<u8> {
    let mut h = vec![0x60, 0, 0, 0];
    h.extend_from_slice(&plen.to_be_bytes());
    h.extend_from_slice(&[next, hop]);
    h.extend_from_slice(&src);
    h.extend_from_slice(&dst);
    h.extend_from_slice(payload);
    h
}

/// A UDP datagram with a correct checksum over the IPv4 pseudo-header.
fn udp4(src: [u8; 4], dst: [u8; 4], sp: u16, dp: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = udp_raw(sp, dp, (8 + payload.len()) as u16, payload);
    let c = fold(sum16(&u, pseudo4(src, dst, 17, u.len())));
    u[6..8].copy_from_slice(&(if c == 0 { 0xffff } else { c }).to_be_bytes());
    u
}

fn udp6(src: [u8; 16], dst: [u8; 16], sp: u16, dp: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = udp_raw(sp, dp, (8 + payload.len()) as u16, payload);
    let c = fold(sum16(&u, pseudo6(src, dst, 17, u.len())));
    u[6..8].copy_from_slice(&(if c == 0 { 0xffff } else { c }).to_be_bytes());
    u
}

/// UDP with a zero checksum and a length field that may lie.
fn udp_raw(sp: u16, dp: u16, len: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = Vec::with_capacity(8 + payload.len());
    u.extend_from_slice(&sp.to_be_bytes());
    u.extend_from_slice(&dp.to_be_bytes());
    u.extend_from_slice(&len.to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    u
}

/// ICMPv6 message (type, code, body after the checksum) with its checksum.
fn icmp6(src: [u8; 16], dst: [u8; 16], ty: u8, code: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![ty, code, 0, 0];
    m.extend_from_slice(body);
    let c = fold(sum16(&m, pseudo6(src, dst, 58, m.len())));
    m[2..4].copy_from_slice(&c.to_be_bytes());
    m
}

/// An 802.1Q/802.1ad tag: TPID, PCP/DEI/VID, and the next EtherType.
fn tag(tpid: u16, pcp: u8, dei: bool, vid: u16, next: u16) -> [u8; 6] {
    let tci = (pcp as u16) << 13 | (dei as u16) << 12 | vid;
    let [a, b] = tpid.to_be_bytes();
    let [c, d] = tci.to_be_bytes();
    let [e, f] = next.to_be_bytes();
    [a, b, c, d, e, f]
}

// ---------------------------------------------------------------- etherparse helpers

macro_rules! build {
    ($builder:expr, $payload:expr) => {{
        let b = $builder;
        let p: &[u8] = $payload;
        let mut v = Vec::with_capacity(b.size(p.len()));
        b.write(&mut v, p).expect("packet builder");
        v
    }};
}

macro_rules! build_arp {
    ($builder:expr) => {{
        let b = $builder;
        let mut v = Vec::with_capacity(b.size());
        b.write(&mut v).expect("packet builder");
        v
    }};
}

/// IPv4 header for the builder (protocol and lengths are filled in on write).
fn ip4(src: [u8; 4], dst: [u8; 4], ttl: u8, id: u16) -> IpHeaders {
    let mut h = Ipv4Header::new(0, ttl, IpNumber::UDP, src, dst).expect("ipv4 header");
    h.identification = id;
    h.dont_fragment = true;
    IpHeaders::Ipv4(h, Default::default())
}

fn ip6(src: [u8; 16], dst: [u8; 16], hop: u8) -> IpHeaders {
    IpHeaders::Ipv6(
        Ipv6Header {
            hop_limit: hop,
            source: src,
            destination: dst,
            ..Default::default()
        },
        Default::default(),
    )
}

fn arp(op: ArpOperation, sha: [u8; 6], spa: [u8; 4], tha: [u8; 6], tpa: [u8; 4]) -> ArpPacket {
    ArpPacket::new(
        ArpHardwareId::ETHERNET,
        EtherType::IPV4,
        op,
        &sha,
        &spa,
        &tha,
        &tpa,
    )
    .expect("arp packet")
}

/// Pads an Ethernet frame to the 60-byte minimum, as a NIC does on the wire.
fn pad60(mut f: Vec<u8>) -> Vec<u8> {
    if f.len() < 60 {
        f.resize(60, 0);
    }
    f
}

/// Deterministic payload bytes.
fn pattern(n: usize, start: u8) -> Vec<u8> {
    (0..n).map(|i| start.wrapping_add(i as u8)).collect()
}

// ---------------------------------------------------------------- fixtures

/// TCP handshake, data both ways, a lost segment answered by a SACK, and a FIN
/// teardown, between 192.0.2.10:49152 and 198.51.100.20:4242.
fn eth_ipv4_tcp() -> Vec<Vec<u8>> {
    use TcpOptionElement::*;
    const C_ISN: u32 = 0x6a1b_2c3d;
    const S_ISN: u32 = 0x0f0e_0d0c;
    const CP: u16 = 49152;
    let hello = b"HELLO layerscope\n"; // 17 bytes
    let seg_a = pattern(40, b'A');
    let seg_b = pattern(40, b'a');
    let c2s = |id: u16| PacketBuilder::ethernet2(MAC_C, MAC_S).ip(ip4(IP_C, IP_S, 64, id));
    let s2c = |id: u16| PacketBuilder::ethernet2(MAC_S, MAC_C).ip(ip4(IP_S, IP_C, 56, id));
    let ts = |a: u32, b: u32| [Noop, Noop, Timestamp(a, b)];
    vec![
        build!(
            c2s(0x4d2e)
                .tcp(CP, TCP_PORT, C_ISN, 64240)
                .syn()
                .options(&[
                    MaximumSegmentSize(1460),
                    SelectiveAcknowledgementPermitted,
                    Timestamp(1000, 0),
                    Noop,
                    WindowScale(7),
                ])
                .expect("options"),
            &[]
        ),
        build!(
            s2c(0)
                .tcp(TCP_PORT, CP, S_ISN, 65160)
                .syn()
                .ack(C_ISN + 1)
                .options(&[
                    MaximumSegmentSize(1400),
                    SelectiveAcknowledgementPermitted,
                    Timestamp(5000, 1000),
                    Noop,
                    WindowScale(8),
                ])
                .expect("options"),
            &[]
        ),
        build!(
            c2s(0x4d2f)
                .tcp(CP, TCP_PORT, C_ISN + 1, 502)
                .ack(S_ISN + 1)
                .options(&ts(1001, 5000))
                .expect("o"),
            &[]
        ),
        build!(
            c2s(0x4d30)
                .tcp(CP, TCP_PORT, C_ISN + 1, 502)
                .ack(S_ISN + 1)
                .psh()
                .options(&ts(1002, 5000))
                .expect("o"),
            hello
        ),
        build!(
            s2c(0x1001)
                .tcp(TCP_PORT, CP, S_ISN + 1, 509)
                .ack(C_ISN + 18)
                .options(&ts(5001, 1002))
                .expect("o"),
            &[]
        ),
        // Segment A (S_ISN+1..+41) was lost before the capture point; B arrives.
        build!(
            s2c(0x1003)
                .tcp(TCP_PORT, CP, S_ISN + 41, 509)
                .ack(C_ISN + 18)
                .psh()
                .options(&ts(5003, 1002))
                .expect("o"),
            &seg_b
        ),
        build!(
            c2s(0x4d31)
                .tcp(CP, TCP_PORT, C_ISN + 18, 502)
                .ack(S_ISN + 1)
                .options(&[
                    Noop,
                    Noop,
                    Timestamp(1003, 5003),
                    Noop,
                    Noop,
                    SelectiveAcknowledgement((S_ISN + 41, S_ISN + 81), [None, None, None]),
                ])
                .expect("o"),
            &[]
        ),
        build!(
            s2c(0x1004)
                .tcp(TCP_PORT, CP, S_ISN + 1, 509)
                .ack(C_ISN + 18)
                .options(&ts(5004, 1003))
                .expect("o"),
            &seg_a
        ),
        build!(
            c2s(0x4d32)
                .tcp(CP, TCP_PORT, C_ISN + 18, 502)
                .ack(S_ISN + 81)
                .options(&ts(1004, 5004))
                .expect("o"),
            &[]
        ),
        build!(
            c2s(0x4d33)
                .tcp(CP, TCP_PORT, C_ISN + 18, 502)
                .ack(S_ISN + 81)
                .fin()
                .options(&ts(1005, 5004))
                .expect("o"),
            &[]
        ),
        build!(
            s2c(0x1005)
                .tcp(TCP_PORT, CP, S_ISN + 81, 509)
                .ack(C_ISN + 19)
                .fin()
                .options(&ts(5005, 1005))
                .expect("o"),
            &[]
        ),
        build!(
            c2s(0x4d34)
                .tcp(CP, TCP_PORT, C_ISN + 19, 502)
                .ack(S_ISN + 82)
                .options(&ts(1006, 5005))
                .expect("o"),
            &[]
        ),
    ]
}

fn vlan() -> Vec<Vec<u8>> {
    let single = VlanHeader::Single(SingleVlanHeader {
        pcp: VlanPcp::try_new(5).expect("pcp"),
        drop_eligible_indicator: true,
        vlan_id: VlanId::try_new(100).expect("vid"),
        ether_type: EtherType(0),
    });
    let qinq = VlanHeader::Double(etherparse::DoubleVlanHeader {
        outer: SingleVlanHeader {
            pcp: VlanPcp::try_new(3).expect("pcp"),
            drop_eligible_indicator: false,
            vlan_id: VlanId::try_new(200).expect("vid"),
            ether_type: EtherType(0),
        },
        inner: SingleVlanHeader {
            pcp: VlanPcp::ZERO,
            drop_eligible_indicator: false,
            vlan_id: VlanId::try_new(300).expect("vid"),
            ether_type: EtherType(0),
        },
    });
    // Three tags: etherparse stops at two, so these are written by hand.
    let inner = udp6(IP6_C, IP6_S, UDP_CLIENT, UDP_PORT, b"triple tag");
    let mut triple = Vec::new();
    triple.extend_from_slice(&tag(0x88a8, 1, false, 10, 0x8100));
    triple.extend_from_slice(&tag(0x8100, 2, false, 20, 0x8100)[2..]);
    triple.extend_from_slice(&tag(0x8100, 6, true, 30, 0x86dd)[2..]);
    triple.extend_from_slice(&ipv6_hdr(17, 64, IP6_C, IP6_S, &inner));
    vec![
        build!(
            PacketBuilder::ethernet2(MAC_C, MAC_S)
                .vlan(single)
                .ip(ip4(IP_C, IP_S, 64, 0x0101))
                .udp(UDP_CLIENT, UDP_PORT),
            b"single 802.1Q tag"
        ),
        build!(
            PacketBuilder::ethernet2(MAC_C, MAC_S)
                .vlan(qinq)
                .ip(ip4(IP_C, IP_S, 64, 0x0102))
                .udp(UDP_CLIENT, UDP_PORT),
            b"802.1ad + 802.1Q"
        ),
        // The first tag's TPID is the Ethernet type field.
        eth(MAC_S, MAC_C, 0x88a8, &triple[2..]),
    ]
}

/// Linux cooked v1: outgoing IPv4/UDP, the incoming reply, a broadcast ARP.
fn sll() -> Vec<Vec<u8>> {
    let mut c = [0u8; 8];
    c[..6].copy_from_slice(&MAC_C);
    let mut s = [0u8; 8];
    s[..6].copy_from_slice(&MAC_S);
    vec![
        build!(
            PacketBuilder::linux_sll(LinuxSllPacketType::OUTGOING, 6, c)
                .ip(ip4(IP_C, IP_S, 64, 0x0201))
                .udp(UDP_CLIENT, UDP_PORT),
            b"sll out"
        ),
        build!(
            PacketBuilder::linux_sll(LinuxSllPacketType::HOST, 6, s)
                .ip(ip4(IP_S, IP_C, 56, 0x0202))
                .udp(UDP_PORT, UDP_CLIENT),
            b"sll in"
        ),
        build_arp!(
            PacketBuilder::linux_sll(LinuxSllPacketType::BROADCAST, 6, s).arp(arp(
                ArpOperation::REQUEST,
                MAC_S,
                [192, 0, 2, 20],
                [0; 6],
                IP_C
            ))
        ),
    ]
}

/// Linux cooked v2 (20-byte header), the same three packets on ifindex 2.
fn sll2() -> Vec<Vec<u8>> {
    let hdr = |proto: u16, pkttype: u8, addr: [u8; 6], payload: &[u8]| {
        let mut h = Vec::new();
        h.extend_from_slice(&proto.to_be_bytes());
        h.extend_from_slice(&[0, 0]); // reserved
        h.extend_from_slice(&2u32.to_be_bytes()); // interface index
        h.extend_from_slice(&1u16.to_be_bytes()); // ARPHRD_ETHER
        h.push(pkttype);
        h.push(6);
        h.extend_from_slice(&addr);
        h.extend_from_slice(&[0, 0]);
        h.extend_from_slice(payload);
        h
    };
    let out = build!(
        PacketBuilder::ip(ip4(IP_C, IP_S, 64, 0x0301)).udp(UDP_CLIENT, UDP_PORT),
        b"sll2 out"
    );
    let inn = build!(
        PacketBuilder::ip(ip4(IP_S, IP_C, 56, 0x0302)).udp(UDP_PORT, UDP_CLIENT),
        b"sll2 in"
    );
    let mut a = Vec::new();
    arp(ArpOperation::REQUEST, MAC_S, [192, 0, 2, 20], [0; 6], IP_C)
        .write(&mut a)
        .expect("arp");
    vec![
        hdr(0x0800, 4, MAC_C, &out),
        hdr(0x0800, 0, MAC_S, &inn),
        hdr(0x0806, 1, MAC_S, &a),
    ]
}

/// LINKTYPE_RAW: the version nibble tells IPv4 from IPv6.
fn raw_ip() -> Vec<Vec<u8>> {
    vec![
        build!(
            PacketBuilder::ip(ip4(IP_C, IP_S, 64, 0x0401)).udp(UDP_CLIENT, UDP_PORT),
            b"raw v4"
        ),
        build!(
            PacketBuilder::ip(ip6(IP6_C, IP6_S, 64)).udp(UDP_CLIENT, UDP_PORT),
            b"raw v6"
        ),
        build!(
            PacketBuilder::ip(ip6(IP6_C, IP6_S, 64)).icmpv6_echo_request(0x0601, 1),
            &pattern(8, 0)
        ),
    ]
}

fn ipv4_linktype() -> Vec<Vec<u8>> {
    vec![
        build!(
            PacketBuilder::ip(ip4(IP_C, IP_S, 64, 0x0501)).icmpv4_echo_request(0x0501, 7),
            &pattern(16, 0)
        ),
        build!(
            PacketBuilder::ip(ip4(IP_C, IP_S, 64, 0x0502))
                .tcp(49153, TCP_PORT, 1, 64240)
                .syn()
                .options(&[TcpOptionElement::MaximumSegmentSize(1460)])
                .expect("o"),
            &[]
        ),
    ]
}

fn ipv6_linktype() -> Vec<Vec<u8>> {
    vec![
        build!(
            PacketBuilder::ip(ip6(IP6_C, IP6_S, 64)).udp(UDP_CLIENT, UDP_PORT),
            b"ipv6 linktype"
        ),
        build!(
            PacketBuilder::ip(ip6(IP6_S, IP6_C, 57)).icmpv6_echo_reply(0x0602, 3),
            &pattern(8, 0x30)
        ),
    ]
}

/// BSD loopback: a 4-byte address family in the writer's (little-endian)
/// byte order. AF_INET6 differs per OS: 24 NetBSD/OpenBSD, 28 FreeBSD, 30 macOS.
fn null_loopback() -> Vec<Vec<u8>> {
    let af = |family: u32, p: Vec<u8>| {
        let mut f = family.to_le_bytes().to_vec();
        f.extend_from_slice(&p);
        f
    };
    vec![
        af(
            2,
            build!(
                PacketBuilder::ip(ip4(IP_C, IP_C, 64, 0x0701)).udp(UDP_CLIENT, UDP_PORT),
                b"lo v4"
            ),
        ),
        af(
            30,
            build!(
                PacketBuilder::ip(ip6(IP6_C, IP6_C, 64)).udp(UDP_CLIENT, UDP_PORT),
                b"lo v6 darwin"
            ),
        ),
        af(
            24,
            build!(
                PacketBuilder::ip(ip6(IP6_C, IP6_C, 64)).icmpv6_echo_request(0x0701, 1),
                &pattern(8, 0)
            ),
        ),
        af(
            28,
            build!(
                PacketBuilder::ip(ip6(IP6_C, IP6_C, 64))
                    .tcp(49154, TCP_PORT, 100, 65535)
                    .syn(),
                &[]
            ),
        ),
    ]
}

/// Request, reply (padded to 60 bytes as on the wire), gratuitous request and
/// gratuitous reply.
fn arp_frames() -> Vec<Vec<u8>> {
    let frame = |src: [u8; 6], dst: [u8; 6], a: ArpPacket| {
        build_arp!(PacketBuilder::ethernet2(src, dst).arp(a))
    };
    vec![
        frame(
            MAC_C,
            BCAST,
            arp(ArpOperation::REQUEST, MAC_C, IP_C, [0; 6], IP_R),
        ),
        pad60(frame(
            MAC_R,
            MAC_C,
            arp(ArpOperation::REPLY, MAC_R, IP_R, MAC_C, IP_C),
        )),
        frame(
            MAC_R,
            BCAST,
            arp(ArpOperation::REQUEST, MAC_R, IP_R, [0; 6], IP_R),
        ),
        frame(
            MAC_R,
            BCAST,
            arp(ArpOperation::REPLY, MAC_R, IP_R, BCAST, IP_R),
        ),
    ]
}

fn ipv4_options_frag() -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    // Record Route with one of two slots filled, Router Alert, End of List.
    let mut opt = V4::new(IP_C, IP_S, 17);
    opt.id = 0x0a01;
    opt.options = vec![7, 11, 8, 192, 0, 2, 10, 0, 0, 0, 0, 148, 4, 0, 0, 0];
    let u = udp4(IP_C, IP_S, UDP_CLIENT, UDP_PORT, b"options");
    frames.push(eth(MAC_S, MAC_C, 0x0800, &opt.build(&u)));

    // One UDP datagram (8 + 48 bytes) in three fragments of 24, 24 and 8 bytes.
    let dgram = udp4(IP_C, IP_S, UDP_CLIENT, UDP_PORT, &pattern(48, b'0'));
    for (i, (chunk, mf)) in [
        (&dgram[0..24], true),
        (&dgram[24..48], true),
        (&dgram[48..56], false),
    ]
    .into_iter()
    .enumerate()
    {
        let mut f = V4::new(IP_C, IP_S, 17);
        f.id = 0x5151;
        f.flags_frag = if mf { 0x2000 } else { 0 } | (i as u16 * 3);
        frames.push(eth(MAC_S, MAC_C, 0x0800, &f.build(chunk)));
    }

    // A header whose checksum is wrong (0xbad0; the right one is 0x446e).
    let mut bad = V4::new(IP_C, IP_S, 17);
    bad.id = 0x0a02;
    bad.checksum = Some(0xbad0);
    let u = udp4(IP_C, IP_S, UDP_CLIENT, UDP_PORT, b"bad ip checksum");
    let b = bad.build(&u);
    let mut good = bad.clone();
    good.checksum = None;
    assert_ne!(
        good.build(&u)[10..12],
        b[10..12],
        "pick another bad checksum"
    );
    frames.push(eth(MAC_S, MAC_C, 0x0800, &b));
    frames
}

fn ipv6_ext() -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    // HBH (Router Alert) → DstOpts → SRH (2 segments, 1 left) → atomic
    // Fragment → AH → UDP. The destination is the active segment; the UDP
    // checksum uses the final one (segment 0).
    let udp = udp6(IP6_C, IP6_S, UDP_CLIENT, UDP_PORT, b"ext chain");
    let mut p = Vec::new();
    p.extend_from_slice(&[60, 0, 5, 2, 0, 0, 1, 0]); // HBH: Router Alert (MLD=0), PadN(0)
    p.extend_from_slice(&[43, 0, 1, 4, 0, 0, 0, 0]); // DstOpts: PadN(4)
    p.extend_from_slice(&[44, 4, 4, 1, 1, 0, 0, 0]); // SRH: len 4, type 4, SL 1, last entry 1
    p.extend_from_slice(&IP6_S);
    p.extend_from_slice(&IP6_MID);
    p.extend_from_slice(&[51, 0, 0, 0, 0x0b, 0xad, 0xca, 0xfe]); // Fragment: offset 0, M=0
    p.extend_from_slice(&[17, 4, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 1]); // AH: SPI 0x1000, seq 1
    p.extend_from_slice(&pattern(12, 0xa0)); // AH ICV (96 bits)
    p.extend_from_slice(&udp);
    frames.push(eth(
        MAC_S,
        MAC_C,
        0x86dd,
        &ipv6_hdr(0, 64, IP6_C, IP6_MID, &p),
    ));

    // HBH (PadN) → Routing type 0 (1 address, 1 left) → DstOpts → ICMPv6 echo.
    let echo = icmp6(
        IP6_C,
        IP6_S,
        128,
        0,
        &[0x07, 0x01, 0, 1, b'r', b't', b'0', b'!'],
    );
    let mut p = Vec::new();
    p.extend_from_slice(&[43, 0, 1, 4, 0, 0, 0, 0]);
    p.extend_from_slice(&[60, 2, 0, 1, 0, 0, 0, 0]);
    p.extend_from_slice(&IP6_S);
    p.extend_from_slice(&[58, 0, 1, 4, 0, 0, 0, 0]);
    p.extend_from_slice(&echo);
    frames.push(eth(
        MAC_S,
        MAC_C,
        0x86dd,
        &ipv6_hdr(0, 64, IP6_C, IP6_MID, &p),
    ));

    // An ICMPv6 echo request (8 + 32 bytes) in two fragments: 24 bytes with
    // M=1, then 16 bytes at offset 3 (x 8 bytes).
    let echo = icmp6(
        IP6_C,
        IP6_S,
        128,
        0,
        &[0x07, 0x02, 0, 2]
            .iter()
            .copied()
            .chain(pattern(32, 0x40))
            .collect::<Vec<_>>(),
    );
    for (chunk, off, more) in [(&echo[0..24], 0u16, true), (&echo[24..40], 3, false)] {
        let mut p = vec![58, 0];
        p.extend_from_slice(&((off << 3) | more as u16).to_be_bytes());
        p.extend_from_slice(&0x0000_beefu32.to_be_bytes());
        p.extend_from_slice(chunk);
        frames.push(eth(
            MAC_S,
            MAC_C,
            0x86dd,
            &ipv6_hdr(44, 64, IP6_C, IP6_S, &p),
        ));
    }
    frames
}

fn icmp() -> Vec<Vec<u8>> {
    let data = pattern(32, 0x10);
    // The datagram the port-unreachable error quotes, whole.
    let mut q = V4::new(IP_C, IP_S, 17);
    q.id = 0x0c01;
    let quoted_udp = q.build(&udp4(IP_C, IP_S, UDP_CLIENT, TRACE_PORT, b"probe"));
    // A TTL-1 SYN the router drops; the error quotes its IP and TCP headers.
    let syn = build!(
        PacketBuilder::ip(ip4(IP_C, IP_S, 1, 0x0c02))
            .tcp(49155, TCP_PORT, 0x0102_0304, 64240)
            .syn(),
        &[]
    );
    vec![
        build!(
            PacketBuilder::ethernet2(MAC_C, MAC_S)
                .ip(ip4(IP_C, IP_S, 64, 0x0b01))
                .icmpv4_echo_request(0x1234, 1),
            &data
        ),
        build!(
            PacketBuilder::ethernet2(MAC_S, MAC_C)
                .ip(ip4(IP_S, IP_C, 56, 0x0b02))
                .icmpv4_echo_reply(0x1234, 1),
            &data
        ),
        build!(
            PacketBuilder::ethernet2(MAC_S, MAC_C)
                .ip(ip4(IP_S, IP_C, 56, 0x0b03))
                .icmpv4_raw(3, 3, [0; 4]),
            &quoted_udp
        ),
        build!(
            PacketBuilder::ethernet2(MAC_R, MAC_C)
                .ip(ip4(IP_R, IP_C, 255, 0x0b04))
                .icmpv4_raw(11, 0, [0; 4]),
            &syn
        ),
    ]
}

fn icmpv6() -> Vec<Vec<u8>> {
    let data = pattern(16, 0x20);
    let e6 = |src, dst| PacketBuilder::ethernet2(src, dst);
    let mut ns = LL_S.to_vec();
    ns.extend_from_slice(&[1, 1]); // Source link-layer address option
    ns.extend_from_slice(&MAC_C);
    let mut na = LL_S.to_vec();
    na.extend_from_slice(&[2, 1]); // Target link-layer address option
    na.extend_from_slice(&MAC_S);
    let mut rs = vec![1, 1];
    rs.extend_from_slice(&MAC_C);
    let quoted = ipv6_hdr(
        17,
        64,
        IP6_C,
        IP6_S,
        &udp6(IP6_C, IP6_S, UDP_CLIENT, TRACE_PORT, b"probe6"),
    );
    vec![
        build!(
            e6(MAC_C, MAC_S)
                .ip(ip6(IP6_C, IP6_S, 64))
                .icmpv6_echo_request(0x4321, 1),
            &data
        ),
        build!(
            e6(MAC_S, MAC_C)
                .ip(ip6(IP6_S, IP6_C, 57))
                .icmpv6_echo_reply(0x4321, 1),
            &data
        ),
        build!(
            e6(MAC_C, [0x33, 0x33, 0xff, 0x00, 0x53, 0x02])
                .ip(ip6(LL_C, SOLICITED_S, 255))
                .icmpv6_raw(135, 0, [0; 4]),
            &ns
        ),
        build!(
            e6(MAC_S, MAC_C)
                .ip(ip6(LL_S, LL_C, 255))
                .icmpv6_raw(136, 0, [0x60, 0, 0, 0]),
            &na
        ),
        build!(
            e6(MAC_C, [0x33, 0x33, 0, 0, 0, 2])
                .ip(ip6(LL_C, ALL_ROUTERS, 255))
                .icmpv6_raw(133, 0, [0; 4]),
            &rs
        ),
        build!(
            e6(MAC_S, MAC_C)
                .ip(ip6(IP6_S, IP6_C, 57))
                .icmpv6_raw(1, 4, [0; 4]),
            &quoted
        ),
    ]
}

fn udp() -> Vec<Vec<u8>> {
    let mut zero = V4::new(IP_C, IP_S, 17);
    zero.id = 0x0d03;
    let mut long = V4::new(IP_C, IP_S, 17);
    long.id = 0x0d04;
    vec![
        build!(
            PacketBuilder::ethernet2(MAC_C, MAC_S)
                .ip(ip4(IP_C, IP_S, 64, 0x0d01))
                .udp(UDP_CLIENT, UDP_PORT),
            b"udp over ipv4"
        ),
        build!(
            PacketBuilder::ethernet2(MAC_C, MAC_S)
                .ip(ip6(IP6_C, IP6_S, 64))
                .udp(UDP_CLIENT, UDP_PORT),
            b"udp over ipv6"
        ),
        eth(
            MAC_S,
            MAC_C,
            0x0800,
            &zero.build(&udp_raw(UDP_CLIENT, UDP_PORT, 8 + 13, b"zero checksum")),
        ),
        // udp.length says 100; the IP payload holds 8 + 12 bytes.
        eth(
            MAC_S,
            MAC_C,
            0x0800,
            &long.build(&udp_raw(UDP_CLIENT, UDP_PORT, 100, b"length lies!")),
        ),
    ]
}

fn malformed() -> Vec<Rec> {
    let mut out = Vec::new();
    // 1. A SYN with 20 bytes of options, cut by a 44-byte snap length inside
    //    the TCP header.
    let syn = build!(
        PacketBuilder::ethernet2(MAC_C, MAC_S)
            .ip(ip4(IP_C, IP_S, 64, 0x0e01))
            .tcp(49156, TCP_PORT, 0x1111_1111, 64240)
            .syn()
            .options(&[
                TcpOptionElement::MaximumSegmentSize(1460),
                TcpOptionElement::SelectiveAcknowledgementPermitted,
                TcpOptionElement::Timestamp(1, 0),
                TcpOptionElement::Noop,
                TcpOptionElement::WindowScale(7),
            ])
            .expect("o"),
        &[]
    );
    let mut r = rec(0, syn[..44].to_vec());
    r.orig_len = syn.len() as u32;
    out.push(r);

    // 2. IPv4 IHL 4 (16 bytes): less than the 20-byte minimum.
    let mut ihl = V4::new(IP_C, IP_S, 17);
    ihl.id = 0x0e02;
    ihl.ihl = Some(4);
    let u = udp4(IP_C, IP_S, UDP_CLIENT, UDP_PORT, b"ihl 4");
    out.push(rec(1, eth(MAC_S, MAC_C, 0x0800, &ihl.build(&u))));

    // 3. IPv4 total length 200, but the frame holds only 41 IP bytes.
    let mut tl = V4::new(IP_C, IP_S, 17);
    tl.id = 0x0e03;
    tl.total_len = Some(200);
    let u = udp4(IP_C, IP_S, UDP_CLIENT, UDP_PORT, b"total len 200");
    out.push(rec(2, eth(MAC_S, MAC_C, 0x0800, &tl.build(&u))));

    // 4. TCP data offset 4 (16 bytes): less than the 20-byte minimum.
    let mut f = build!(
        PacketBuilder::ethernet2(MAC_C, MAC_S)
            .ip(ip4(IP_C, IP_S, 64, 0x0e04))
            .tcp(49157, TCP_PORT, 1, 1000)
            .syn(),
        &[]
    );
    f[14 + 20 + 12] = 0x40;
    out.push(rec(3, f));

    // 5. A TCP option (MSS) whose length byte is 0.
    out.push(rec(
        4,
        build!(
            PacketBuilder::ethernet2(MAC_C, MAC_S)
                .ip(ip4(IP_C, IP_S, 64, 0x0e05))
                .tcp(49158, TCP_PORT, 1, 1000)
                .syn()
                .options_raw(&[2, 0, 0, 0])
                .expect("o"),
            &[]
        ),
    ));

    // 6. IPv6 payload length 400, with 8 + 12 bytes of UDP behind it.
    let u = udp6(IP6_C, IP6_S, UDP_CLIENT, UDP_PORT, b"plen is 400!");
    out.push(rec(
        5,
        eth(
            MAC_S,
            MAC_C,
            0x86dd,
            &ipv6_hdr_len(17, 64, IP6_C, IP6_S, &u, 400),
        ),
    ));

    // 7. An empty record: nothing captured of a 60-byte frame.
    let mut r = rec(6, Vec::new());
    r.orig_len = 60;
    out.push(r);
    out
}

/// Ethernet frames around one of LINKTYPE_USER0 (147), which nobody decodes.
fn unsupported_linktype() -> Vec<u8> {
    let mut ng = Ng::default();
    ng.section();
    ng.interface(1, "eth0", None);
    ng.interface(147, "user0", None);
    let a = build!(
        PacketBuilder::ethernet2(MAC_C, MAC_S)
            .ip(ip4(IP_C, IP_S, 64, 0x0f01))
            .udp(UDP_CLIENT, UDP_PORT),
        b"before"
    );
    let user = b"\x01\x02user0 frame bytes";
    let b = build!(
        PacketBuilder::ethernet2(MAC_C, MAC_S)
            .ip(ip4(IP_C, IP_S, 64, 0x0f02))
            .udp(UDP_CLIENT, UDP_PORT),
        b"after"
    );
    ng.packet(0, ts_us(0), &a, a.len() as u32);
    ng.packet(1, ts_us(1), user, user.len() as u32);
    ng.packet(0, ts_us(2), &b, b.len() as u32);
    ng.buf
}

/// Three small packets for the file-format variants.
fn three() -> Vec<Vec<u8>> {
    let data = pattern(8, 0);
    vec![
        build!(
            PacketBuilder::ethernet2(MAC_C, MAC_S)
                .ip(ip4(IP_C, IP_S, 64, 0x1101))
                .icmpv4_echo_request(0x1100, 1),
            &data
        ),
        build!(
            PacketBuilder::ethernet2(MAC_S, MAC_C)
                .ip(ip4(IP_S, IP_C, 56, 0x1102))
                .icmpv4_echo_reply(0x1100, 1),
            &data
        ),
        build!(
            PacketBuilder::ethernet2(MAC_C, MAC_S)
                .ip(ip4(IP_C, IP_S, 64, 0x1103))
                .udp(UDP_CLIENT, UDP_PORT),
            b"third"
        ),
    ]
}

fn nanosecond() -> Vec<Rec> {
    let fracs = [
        (BASE_SEC, 123_456_789),
        (BASE_SEC, 123_456_790),
        (BASE_SEC + 1, 1),
    ];
    three()
        .into_iter()
        .zip(fracs)
        .map(|(data, (sec, frac))| {
            let orig_len = data.len() as u32;
            Rec {
                sec,
                frac,
                data,
                orig_len,
            }
        })
        .collect()
}

/// Section 1: eth0 (Ethernet, µs) and tun0 (raw IP, ns) interleaved.
/// Section 2: a new SHB whose only interface (id 0 again) is Ethernet.
fn multi_if() -> Vec<u8> {
    let mut ng = Ng::default();
    ng.section();
    ng.interface(1, "eth0", None);
    ng.interface(101, "tun0", Some(9));
    let ns = |i: u64| ts_us(i) * 1000 + 7;
    let f0 = build!(
        PacketBuilder::ethernet2(MAC_C, MAC_S)
            .ip(ip4(IP_C, IP_S, 64, 0x1201))
            .udp(UDP_CLIENT, UDP_PORT),
        b"eth0 first"
    );
    let f1 = build!(
        PacketBuilder::ip(ip4([10, 99, 0, 2], [10, 99, 0, 1], 64, 0x1202))
            .icmpv4_echo_request(0x1200, 1),
        &pattern(8, 0)
    );
    let f2 = build_arp!(PacketBuilder::ethernet2(MAC_C, BCAST).arp(arp(
        ArpOperation::REQUEST,
        MAC_C,
        IP_C,
        [0; 6],
        IP_R
    )));
    let f3 = build!(
        PacketBuilder::ip(ip6(IP6_C, IP6_S, 64)).udp(UDP_CLIENT, UDP_PORT),
        b"tun0 v6"
    );
    ng.packet(0, ts_us(0), &f0, f0.len() as u32);
    ng.packet(1, ns(1), &f1, f1.len() as u32);
    ng.packet(0, ts_us(2), &f2, f2.len() as u32);
    ng.packet(1, ns(3), &f3, f3.len() as u32);
    ng.section();
    ng.interface(1, "eth1", None);
    let f4 = build!(
        PacketBuilder::ethernet2(MAC_S, MAC_C)
            .ip(ip6(IP6_S, IP6_C, 64))
            .udp(UDP_PORT, UDP_CLIENT),
        b"second section"
    );
    ng.packet(0, ts_us(4), &f4, f4.len() as u32);
    ng.buf
}

/// Three good records, then a record header promising 60 bytes and only 20.
fn truncated_file() -> Vec<u8> {
    let mut f = pcap(1, &recs(three()));
    let cut = &three()[2];
    f.extend_from_slice(&BASE_SEC.to_le_bytes());
    f.extend_from_slice(&3000u32.to_le_bytes());
    f.extend_from_slice(&(cut.len() as u32).to_le_bytes());
    f.extend_from_slice(&(cut.len() as u32).to_le_bytes());
    f.extend_from_slice(&cut[..20]);
    f
}

/// Three good records, then one whose caplen is 0xffffffff.
fn corrupt() -> Vec<u8> {
    let mut f = pcap(1, &recs(three()));
    f.extend_from_slice(&BASE_SEC.to_le_bytes());
    f.extend_from_slice(&3000u32.to_le_bytes());
    f.extend_from_slice(&u32::MAX.to_le_bytes());
    f.extend_from_slice(&60u32.to_le_bytes());
    f.extend_from_slice(&three()[0]);
    f
}

fn main() {
    let dir: PathBuf = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| "fixtures".into());
    std::fs::create_dir_all(&dir).expect("create output directory");
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("eth_ipv4_tcp.pcap", pcap(1, &recs(eth_ipv4_tcp()))),
        ("vlan.pcap", pcap(1, &recs(vlan()))),
        ("sll.pcap", pcap(113, &recs(sll()))),
        ("sll2.pcap", pcap(276, &recs(sll2()))),
        ("raw_ip.pcap", pcap(101, &recs(raw_ip()))),
        ("ipv4_linktype.pcap", pcap(228, &recs(ipv4_linktype()))),
        ("ipv6_linktype.pcap", pcap(229, &recs(ipv6_linktype()))),
        ("null_loopback.pcap", pcap(0, &recs(null_loopback()))),
        ("arp.pcap", pcap(1, &recs(arp_frames()))),
        (
            "ipv4_options_frag.pcap",
            pcap(1, &recs(ipv4_options_frag())),
        ),
        ("ipv6_ext.pcap", pcap(1, &recs(ipv6_ext()))),
        ("icmp.pcap", pcap(1, &recs(icmp()))),
        ("icmpv6.pcap", pcap(1, &recs(icmpv6()))),
        ("udp.pcap", pcap(1, &recs(udp()))),
        ("malformed.pcap", pcap(1, &malformed())),
        ("unsupported_linktype.pcapng", unsupported_linktype()),
        ("big_endian.pcap", pcap_ext(1, &recs(three()), true, false)),
        ("nanosecond.pcap", pcap_ext(1, &nanosecond(), false, true)),
        ("multi_if.pcapng", multi_if()),
        ("truncated_file.pcap", truncated_file()),
        ("corrupt.pcap", corrupt()),
    ];
    for (name, bytes) in files {
        let path: &Path = &dir.join(name);
        std::fs::write(path, &bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        println!("{:>6}  {}", bytes.len(), path.display());
    }
}
