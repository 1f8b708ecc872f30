//! The packet model and the dissector that fills it.
//!
//! A [`Packet`] is the frame's bytes plus an ordered list of [`Layer`]s, each
//! naming its protocol and the byte range it covers. Fields are not stored:
//! each protocol module reads them on demand from the layer's bytes (the
//! smoltcp `wire` idea), so decoding a packet allocates nothing and a sink pays
//! only for the fields it looks at.
//!
//! Every protocol lives in one file with three functions:
//! - `dissect(cx, off) -> Next`: validate the header at `off`, push a layer;
//! - `fields(pkt, layer, out)`: emit the layer's fields with byte ranges;
//! - `info(pkt, layer, w)`: the short summary for the Info column.
//!
//! ## Reassembled data (IP fragments, TCP PDUs)
//!
//! Bytes that are not in the frame live in `Packet::reassembled`, and each
//! layer says which buffer its offsets index (`Layer::src`). The
//! reassembled buffer begins with a copy of the frame's headers (the IP
//! header made whole), so *every* layer's offsets are valid in it; the
//! rebuilt datagram/PDU starts at `Packet::reassembled_at`. Consequences:
//! - `dissect(cx, off)`: read through `cx.rest(off)` / `cx.data()`, never
//!   `cx.pkt.data` or `cx.pkt.bytes(..)`: the context knows which buffer is
//!   being decoded (`cx.src`) and `cx.push` tags the layer with it.
//! - `fields` / `info`: `layer_fields` and `layer_info` hand a reassembled
//!   layer's decoder a view of the packet whose `data` *is* the reassembled
//!   buffer (`Packet::view_for`), so `pkt.bytes(l.header())` keeps working,
//!   and they shift field ranges so they index the rebuilt bytes.
//! - Code that looks at a layer from outside its decoder (flow tracking,
//!   sinks) uses `pkt.bytes_of(layer, range)`.
//! - TCP framing: a protocol whose messages span segments declares
//!   `Decl::pdu_len` (a `decl::PduLen`); `flow::tcp_reassembly` cuts the
//!   stream with it and decodes a completed PDU from the reassembled buffer
//!   via `dissect_reassembled(pkt, Next::App(at))`.

pub mod app;
pub mod bytes;
pub mod checksum;
pub mod data;
pub mod decl;
pub mod ethertype;
pub mod field;
pub mod frame;
pub mod ip;
pub mod link;
pub mod manuf;
pub mod net;
pub mod put;
pub mod reasm;
pub mod registry;
pub mod services;
pub mod timefmt;
pub mod transport;
pub mod tunnel;

use arrayvec::ArrayVec;
use std::ops::Range;

pub use decl::{Decl, FieldType, Tier};
pub use field::{Field, FieldSink, SinkExt, Value};
pub use registry::{by_ethertype, by_ip_proto, Proto};

use crate::source::{Frame, Timestamp};

/// Most layers one packet may carry; deeper nesting is marked malformed.
pub const MAX_LAYERS: usize = 24;

/// Which buffer a layer's byte offsets index.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Src {
    /// The captured frame (`Packet::data`).
    #[default]
    Frame,
    /// The reassembled buffer (`Packet::reassembled`): a datagram rebuilt
    /// from IP fragments or a PDU rebuilt from TCP segments.
    Reassembled,
}

/// What a packet's reassembled buffer was rebuilt from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReasmKind {
    Ipv4,
    Ipv6,
    Tcp,
    /// QUIC Initial packets decrypted (the buffer's layout: `app::quic::Plain`).
    Quic,
}

/// One decoded layer: its protocol and where it sits in the frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layer {
    pub proto: Proto,
    /// The buffer `start..limit` index: the frame, or the reassembled bytes.
    pub src: Src,
    /// First byte of the header.
    pub start: u32,
    /// One past the header's last byte (where the payload begins).
    pub end: u32,
    /// One past the last byte this layer's length fields cover, clipped to
    /// the captured bytes (trims Ethernet padding off IP payloads).
    pub limit: u32,
}

impl Layer {
    pub fn header(&self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
    pub fn payload(&self) -> Range<usize> {
        self.end as usize..(self.limit as usize).max(self.end as usize)
    }
    /// Whole extent: header and payload.
    pub fn extent(&self) -> Range<usize> {
        self.start as usize..(self.limit as usize).max(self.end as usize)
    }
}

/// Why a packet could not be decoded to its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssueKind {
    /// The bytes contradict the protocol (bad length, bad version, loop).
    Malformed,
    /// The capture holds fewer bytes than the headers need (snap length).
    Truncated,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Issue {
    pub kind: IssueKind,
    pub proto: Proto,
    pub msg: &'static str,
}

/// Per-connection facts the flow stage adds after dissection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlowNote {
    /// `tcp.stream` / `udp.stream` index of the packet's conversation
    /// (its innermost TCP/UDP layer, the one at `layer`).
    pub stream: Option<u32>,
    /// Index of the layer `stream` numbers.
    pub layer: Option<u8>,
    /// Which way the packet goes in that conversation: 0 from the
    /// endpoint (address, port) that sorts first, 1 towards it.
    pub dir: u8,
    /// Streams of the outer UDP/TCP layers a tunnel runs over, outermost
    /// first: (layer index, stream index).
    pub outer: [Option<(u8, u32)>; 3],
    /// TCP sequence and acknowledgment numbers relative to each side's ISN.
    pub rel_seq: Option<u32>,
    pub rel_ack: Option<u32>,
    /// TCP window scale of the sender, as tshark tracks it: a shift count,
    /// -1 unknown (no SYN seen), -2 no scaling negotiated.
    pub win_scale: Option<i8>,
    /// The connection negotiated Accurate ECN, so AE/CWR/ECE form the ACE counter.
    pub ace: bool,
    /// TCP analysis: the segment repeats sequence space already seen.
    pub retransmission: bool,
    /// TCP analysis: sequence space before this segment was never seen.
    pub lost_segment: bool,
    /// An echo reply: the frame number of its request.
    pub resp_to: Option<u64>,
    /// An echo reply: nanoseconds since its request.
    pub resp_ns: Option<i128>,
    /// The segment's payload (or its tail) is part of a PDU that a later
    /// segment completes (tshark's "[TCP segment of a reassembled PDU]").
    pub pdu_part: bool,
    /// QUIC: what the connection's state says about this datagram.
    pub quic: Option<QuicNote>,
    /// The application protocol the connection was found to speak (HTTP/2
    /// after its preface or an Upgrade), from frame offset `app_from` of
    /// this segment on: it overrides classification by content and port.
    pub app: Option<Proto>,
    pub app_from: u32,
    /// The protocol a TLS 1.2 ServerHello's ALPN named for this
    /// connection (an index `tls.rs` resolves): its application data is
    /// that protocol, encrypted.
    pub alpn: Option<u8>,
    /// `tcp.len` of the frame's TCP layer at (index, start offset), as the
    /// flow stage found it: the reassembler and the Info column ask again.
    pub tcp_len: Option<(u8, u32, Option<u32>)>,
}

/// What the flow stage knows about a QUIC datagram's connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QuicNote {
    /// `quic.connection.number`, counted from 0 in order of appearance.
    pub conn: u32,
    /// Sent by the server (the side that did not send the first Initial).
    pub from_server: bool,
    /// Destination Connection ID length of short headers in this direction.
    pub dcil: u8,
}

impl FlowNote {
    /// The stream index of the TCP/UDP layer at `idx`, outer or inner.
    pub fn stream_at(&self, idx: usize) -> Option<u32> {
        if self.layer.is_none_or(|l| l as usize == idx) {
            return self.stream;
        }
        self.outer
            .iter()
            .flatten()
            .find(|(l, _)| *l as usize == idx)
            .map(|&(_, s)| s)
    }
}

/// A dissected frame. Reused from packet to packet to avoid allocation.
#[derive(Clone, Debug)]
pub struct Packet<'a> {
    /// 1-based frame number across all inputs.
    pub number: u64,
    pub ts: Timestamp,
    /// Timestamp of the first frame, for `frame.time_relative`.
    pub first_ts: Timestamp,
    /// The previous frame's timestamp (this frame's own for the first), for
    /// `frame.time_delta`.
    pub prev_ts: Timestamp,
    /// The previous frame the display filter let through (None before the
    /// first), for `frame.time_delta_displayed`, as tshark counts it.
    pub prev_shown_ts: Option<Timestamp>,
    /// Decimal digits the capture resolves timestamps to (6 or 9 mostly).
    pub ts_digits: u8,
    pub wire_len: u32,
    pub linktype: u32,
    pub interface: u32,
    pub data: &'a [u8],
    pub layers: ArrayVec<Layer, MAX_LAYERS>,
    /// The first problem found, if any; decoding stops there.
    pub issue: Option<Issue>,
    pub flow: FlowNote,
    /// Bytes rebuilt by reassembly, empty when none. Its first
    /// `reassembled_at` bytes repeat the frame's headers (with the IP header
    /// made whole: no fragment bits, length of the whole datagram), so the
    /// outer layers' offsets are valid in it too and decoders read it as
    /// they read a frame; the rebuilt datagram/PDU starts at `reassembled_at`.
    pub reassembled: &'a [u8],
    pub reassembled_at: u32,
    /// What `reassembled` was rebuilt from (None when empty).
    pub reasm_kind: Option<ReasmKind>,
    /// Frame numbers of the fragments/segments it was rebuilt from, in
    /// offset order (`ip.fragment`, `tcp.segment`).
    pub pieces: &'a [u64],
    /// Application data the flow stage decoded with connection state (HTTP/2
    /// headers through each direction's HPACK table), in the format of
    /// `app::http2::Decoded`; empty when none.
    pub app_decoded: &'a [u8],
}

impl<'a> Packet<'a> {
    pub fn new(frame: &Frame<'a>, number: u64, first_ts: Timestamp) -> Self {
        Packet {
            number,
            ts: frame.ts,
            first_ts,
            prev_ts: frame.ts,
            prev_shown_ts: None,
            ts_digits: frame.ts_digits,
            wire_len: frame.wire_len,
            linktype: frame.linktype,
            interface: frame.interface,
            data: frame.bytes,
            layers: ArrayVec::new(),
            issue: None,
            flow: FlowNote::default(),
            reassembled: &[],
            reassembled_at: 0,
            reasm_kind: None,
            pieces: &[],
            app_decoded: &[],
        }
    }

    /// The buffer a layer's offsets index.
    #[inline]
    pub fn src_data(&self, src: Src) -> &'a [u8] {
        match src {
            Src::Frame => self.data,
            Src::Reassembled => self.reassembled,
        }
    }

    /// Bytes of a range of `l`'s buffer (frame or reassembled), clipped
    /// (never panics). Application decoders must read through this (not
    /// `bytes`), since their layer may come from reassembled data.
    #[inline]
    pub fn bytes_of(&self, l: &Layer, r: Range<usize>) -> &'a [u8] {
        let data = self.src_data(l.src);
        let end = r.end.min(data.len());
        let start = r.start.min(end);
        &data[start..end]
    }

    /// The packet as a decoder of layer `l` should see it: for a layer of
    /// reassembled data, `data` is the reassembled buffer (whose prefix
    /// repeats the frame's headers, so every layer's offsets stay valid).
    /// Lets decoders that read `pkt.bytes(..)` work on reassembled layers.
    pub fn view_for(&self, l: &Layer) -> std::borrow::Cow<'_, Packet<'a>> {
        match l.src {
            Src::Frame => std::borrow::Cow::Borrowed(self),
            Src::Reassembled => {
                let mut v = self.clone();
                v.data = self.reassembled;
                v.wire_len = self.reassembled.len() as u32;
                std::borrow::Cow::Owned(v)
            }
        }
    }

    /// The first layer of `proto`, with its index.
    pub fn find(&self, proto: Proto) -> Option<(usize, &Layer)> {
        self.layers
            .iter()
            .enumerate()
            .find(|(_, l)| l.proto == proto)
    }

    pub fn has(&self, proto: Proto) -> bool {
        self.layers.iter().any(|l| l.proto == proto)
    }

    /// Bytes of a range, clipped to the captured data (never panics).
    pub fn bytes(&self, r: Range<usize>) -> &'a [u8] {
        let end = r.end.min(self.data.len());
        let start = r.start.min(end);
        &self.data[start..end]
    }

    /// Index of the innermost network layer (IPv4/IPv6/ARP) of the packet's
    /// own layers (those before the first ICMP/ICMPv6 layer: what an ICMP
    /// error quotes is another packet's headers): through a tunnel (VXLAN,
    /// GRE, IP in IP, …) the inner packet's, the one the socket pair names.
    pub fn network_index(&self) -> Option<usize> {
        // One walk: the last network layer before the first ICMP layer.
        let mut found = None;
        for (i, l) in self.layers.iter().enumerate() {
            match l.proto {
                Proto::Ip | Proto::Ipv6 | Proto::Arp => found = Some(i),
                Proto::Icmp | Proto::Icmpv6 => break,
                _ => {}
            }
        }
        found
    }

    /// The innermost network layer (see `network_index`).
    pub fn network(&self) -> Option<&Layer> {
        self.network_index().map(|i| &self.layers[i])
    }

    /// Index of the transport layer right above the innermost network
    /// layer (TCP, UDP, ICMP, ICMPv6), skipping IPv6 extension headers.
    pub fn transport_index(&self) -> Option<usize> {
        let n = self.network_index()?;
        let i = self.layers[n + 1..]
            .iter()
            .position(|l| {
                !matches!(
                    l.proto,
                    Proto::Ipv6HopOpts
                        | Proto::Ipv6Routing
                        | Proto::Ipv6Frag
                        | Proto::Ipv6DstOpts
                        | Proto::Ah
                )
            })
            .map(|i| n + 1 + i)?;
        matches!(
            self.layers[i].proto,
            Proto::Tcp | Proto::Udp | Proto::Icmp | Proto::Icmpv6
        )
        .then_some(i)
    }

    /// The transport layer of the innermost packet (see `transport_index`).
    pub fn transport(&self) -> Option<&Layer> {
        self.transport_index().map(|i| &self.layers[i])
    }

    /// The source and destination addresses of the innermost IP header
    /// (None when the innermost network layer is ARP).
    pub fn addrs(&self) -> Option<(std::net::IpAddr, std::net::IpAddr)> {
        let l = self.network()?;
        match l.proto {
            Proto::Ip => net::ipv4::addrs(self, l).map(|(s, d)| (s.into(), d.into())),
            Proto::Ipv6 => net::ipv6::addrs(self, l).map(|(s, d)| (s.into(), d.into())),
            _ => None,
        }
    }

    /// Source and destination ports of the innermost TCP/UDP header. An
    /// ICMP error's quoted TCP/UDP header does not give the frame ports.
    pub fn ports(&self) -> Option<(u16, u16)> {
        let l = self
            .transport()
            .filter(|l| matches!(l.proto, Proto::Tcp | Proto::Udp))?;
        transport::ports(self.bytes_of(l, l.header()))
    }
}

/// What follows a header, as its dissector sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// A known protocol begins at the offset.
    Proto(Proto, usize),
    /// An EtherType value names what begins at the offset.
    Ethertype(u16, usize),
    /// An IP protocol / IPv6 next-header value names what begins at the offset.
    IpProto(u8, usize),
    /// A TCP/UDP payload begins at the offset: the application protocol is
    /// chosen by content, then by port (`app_payload_proto`).
    App(usize),
    /// Nothing more to decode (or the rest is undecodable; see `Packet::issue`).
    Done,
}

/// Dissection context: the packet being filled and the current byte limit.
pub struct Cx<'p, 'a> {
    pub pkt: &'p mut Packet<'a>,
    /// One past the last byte the enclosing length fields allow.
    pub limit: usize,
    /// The buffer being decoded: offsets and `rest`/`data` refer to it, and
    /// pushed layers are tagged with it.
    pub src: Src,
}

impl<'a> Cx<'_, 'a> {
    /// The buffer being decoded (the frame, or the reassembled bytes).
    pub fn data(&self) -> &'a [u8] {
        self.pkt.src_data(self.src)
    }

    /// Bytes of a range of the buffer being decoded, clipped (never panics).
    pub fn bytes(&self, r: Range<usize>) -> &'a [u8] {
        let data = self.data();
        let end = r.end.min(data.len());
        &data[r.start.min(end)..end]
    }

    /// Bytes from `off` up to the current limit (empty when out of range).
    pub fn rest(&self, off: usize) -> &'a [u8] {
        let data = self.data();
        let end = self.limit.min(data.len());
        let start = off.min(end);
        &data[start..end]
    }

    /// Records a layer. Returns false (and marks the packet) when the layer
    /// list is full, so a hostile nesting cannot grow without end.
    pub fn push(&mut self, proto: Proto, start: usize, end: usize, limit: usize) -> bool {
        let cap = self.data().len();
        let end = end.min(cap);
        let layer = Layer {
            proto,
            src: self.src,
            start: start.min(end) as u32,
            end: end as u32,
            limit: limit.clamp(end, cap) as u32,
        };
        if self.pkt.layers.try_push(layer).is_err() {
            self.malformed(proto, "too many nested layers");
            return false;
        }
        true
    }

    /// Marks the packet malformed (first problem wins).
    pub fn malformed(&mut self, proto: Proto, msg: &'static str) {
        self.issue(IssueKind::Malformed, proto, msg);
    }

    /// Marks the packet as cut short by the capture's snap length.
    pub fn truncated(&mut self, proto: Proto, msg: &'static str) {
        self.issue(IssueKind::Truncated, proto, msg);
    }

    fn issue(&mut self, kind: IssueKind, proto: Proto, msg: &'static str) {
        if self.pkt.issue.is_none() {
            self.pkt.issue = Some(Issue { kind, proto, msg });
        }
    }

    /// Marks a header that does not fit: truncated when the frame itself was
    /// cut by the snap length, malformed when the length fields lie.
    pub fn short(&mut self, proto: Proto, msg: &'static str) {
        if self.src == Src::Frame && (self.pkt.data.len() as u32) < self.pkt.wire_len {
            self.truncated(proto, msg);
        } else {
            self.malformed(proto, msg);
        }
    }
}

/// LINKTYPE_* values layerscope decodes.
pub mod linktype {
    pub const NULL: u32 = 0;
    pub const ETHERNET: u32 = 1;
    pub const RAW: u32 = 101;
    pub const LOOP: u32 = 108;
    pub const LINUX_SLL: u32 = 113;
    pub const IPV4: u32 = 228;
    pub const IPV6: u32 = 229;
    pub const LINUX_SLL2: u32 = 276;
    pub const PPP: u32 = 9;
    pub const PPP_HDLC: u32 = 50;
    pub const NFLOG: u32 = 239;
}

/// The first protocol of a frame of the given link type.
fn first_proto(linktype: u32, data: &[u8]) -> Option<Next> {
    match linktype {
        // Raw IP: the version nibble says which.
        linktype::RAW | 12 | 14 => Some(match data.first().map(|b| b >> 4) {
            Some(6) => Next::Proto(Proto::Ipv6, 0),
            _ => Next::Proto(Proto::Ip, 0),
        }),
        l => registry::by_linktype(l).map(|p| Next::Proto(p, 0)),
    }
}

/// Decodes `frame` into `pkt` through every layer its bytes carry.
pub fn dissect<'a>(frame: &Frame<'a>, number: u64, first_ts: Timestamp) -> Packet<'a> {
    let mut pkt = Packet::new(frame, number, first_ts);
    dissect_into(&mut pkt);
    pkt
}

/// As `dissect`, but stops where a TCP/UDP payload is classified and
/// returns that point (offset, limit, the protocol classification found)
/// to finish later with `dissect_from(.., Src::Frame, Next::App(off),
/// limit)`, or with `Next::Proto` of that protocol when nothing the
/// classification reads changed: `flows` decodes application layers only
/// on packets whose conversation still needs them.
/// (Filling a packet made by `Packet::new`, which saves moving it.)
pub fn dissect_to_app(pkt: &mut Packet<'_>) -> Option<(usize, usize, Proto)> {
    pkt.layers.clear();
    pkt.issue = None;
    let limit = pkt.data.len();
    let mut cx = Cx {
        pkt,
        limit,
        src: Src::Frame,
    };
    match first_proto(cx.pkt.linktype, cx.pkt.data) {
        Some(next) => run_chain_until(&mut cx, next, true),
        None => {
            cx.push(Proto::Unsupported, 0, 0, limit);
            None
        }
    }
}

/// Runs the dissector chain over `pkt.data`, filling `pkt.layers`.
pub fn dissect_into(pkt: &mut Packet<'_>) {
    pkt.layers.clear();
    pkt.issue = None;
    let limit = pkt.data.len();
    let mut cx = Cx {
        pkt,
        limit,
        src: Src::Frame,
    };
    let next = match first_proto(cx.pkt.linktype, cx.pkt.data) {
        Some(n) => n,
        None => {
            cx.push(Proto::Unsupported, 0, 0, limit);
            return;
        }
    };
    run_chain(&mut cx, next);
    mark_snap_cut(&mut cx);
}

/// A frame cut by the snap length inside a decoded protocol (not merely in
/// padding or in undecoded data) is marked truncated, naming the topmost
/// protocol, as Wireshark's "[Packet size limited during capture: HTTP
/// truncated]": a decoder that reads a line or a record to the captured end
/// cannot tell by itself.
fn mark_snap_cut(cx: &mut Cx<'_, '_>) {
    let pkt = &*cx.pkt;
    let cap = pkt.data.len();
    if pkt.issue.is_some() || cap >= pkt.wire_len as usize {
        return;
    }
    // Undecoded bytes over TCP, UDP or IP are not marked (tshark does not
    // either); an application protocol's body shown as data is.
    let Some(top) = pkt
        .layers
        .iter()
        .rev()
        .find(|l| l.proto != Proto::Data)
        .filter(|l| l.proto.tier() == Tier::Application)
    else {
        return;
    };
    // The innermost IP datagram says how far the decoded bytes should go.
    let claimed = pkt.layers.iter().rev().find_map(|l| {
        let h = pkt.bytes(l.start as usize..cap);
        match l.proto {
            Proto::Ip => {
                net::ipv4::Ipv4Header::new(h).map(|ip| l.start as usize + ip.total_len() as usize)
            }
            Proto::Ipv6 => net::ipv6::Ipv6Header::new(h)
                .map(|ip| l.start as usize + 40 + ip.payload_len() as usize),
            _ => None,
        }
    });
    if claimed.is_some_and(|end| end > cap)
        && pkt.layers.last().is_some_and(|l| l.extent().end >= cap)
    {
        let proto = top.proto;
        cx.truncated(proto, "packet size limited during capture");
    }
}

/// Decodes `pkt.reassembled[pkt.reassembled_at..]` as `first` (a transport
/// protocol for a defragmented datagram, an application protocol for a TCP
/// PDU; `Next::App` to classify by content and port), appending its layers
/// tagged `Src::Reassembled`. The caller sets `reassembled`,
/// `reassembled_at`, `reasm_kind` and `pieces` first. A pending issue from
/// the frame's own decoding is kept (first problem wins).
pub fn dissect_reassembled(pkt: &mut Packet<'_>, first: Next) {
    if pkt.reassembled.is_empty() {
        return;
    }
    let limit = pkt.reassembled.len();
    dissect_from(pkt, Src::Reassembled, first, limit);
}

/// Continues decoding `src` at `first`, bytes up to `limit`, appending
/// layers (TCP reassembly uses it for the PDUs a segment holds whole).
/// Without reassembly, a first fragment (offset 0, more to come) still
/// carries the transport header: decode what it holds, as tshark does with
/// defragmentation off. Later fragments stay data.
pub fn decode_first_fragment(pkt: &mut Packet<'_>) {
    let n = pkt.layers.len();
    if n < 2 || pkt.layers[n - 1].proto != Proto::Data {
        return;
    }
    let (frag, data) = (pkt.layers[n - 2], pkt.layers[n - 1]);
    let h = pkt.bytes(frag.header());
    let next = match frag.proto {
        Proto::Ip => match net::ipv4::Ipv4Header::new(h) {
            Some(ip) if ip.is_first_fragment() => ip.protocol(),
            _ => return,
        },
        Proto::Ipv6Frag => match net::ipv6::Ipv6FragHeader::new(h) {
            Some(f) if f.is_first_fragment() => f.next_header(),
            _ => return,
        },
        _ => return,
    };
    pkt.layers.pop();
    let limit = data.limit.max(data.end) as usize;
    dissect_from(
        pkt,
        Src::Frame,
        Next::IpProto(next, data.start as usize),
        limit,
    );
}

pub fn dissect_from(pkt: &mut Packet<'_>, src: Src, first: Next, limit: usize) {
    let mut cx = Cx { pkt, limit, src };
    run_chain(&mut cx, first);
}

fn run_chain(cx: &mut Cx<'_, '_>, next: Next) {
    run_chain_until(cx, next, false);
}

/// The chain; with `stop_at_app`, returns (offset, limit) of the first
/// payload to classify instead of decoding it.
fn run_chain_until(
    cx: &mut Cx<'_, '_>,
    mut next: Next,
    stop_at_app: bool,
) -> Option<(usize, usize, Proto)> {
    // A layer takes at most two steps (a type value, then the protocol it
    // names), so the cap on layers, not this bound, ends a nesting loop
    // (GRE in GRE…, IP in IP…) and marks it; the bound is a backstop.
    for _ in 0..4 * (MAX_LAYERS + 1) {
        next = match next {
            Next::Done => return None,
            Next::App(off) if stop_at_app => {
                // A tunnel over UDP carries whole packets: decode through it
                // now, so flows see the inner conversation.
                match classify(cx, off) {
                    p if p.tier() != Tier::Application && p != Proto::Data => Next::Proto(p, off),
                    p => return Some((off, cx.limit, p)),
                }
            }
            Next::Ethertype(t, off) => match by_ethertype(t) {
                Some(p) => Next::Proto(p, off),
                None => Next::Proto(Proto::Data, off),
            },
            Next::App(off) => Next::Proto(classify(cx, off), off),
            Next::IpProto(p, off) => match by_ip_proto(p) {
                Some(p) => Next::Proto(p, off),
                None => Next::Proto(Proto::Data, off),
            },
            Next::Proto(p, off) => {
                if off >= cx.limit && p != Proto::Data {
                    // A header announced but no bytes left for it.
                    if off > cx.limit || cx.pkt.data.len() < cx.pkt.wire_len as usize {
                        cx.short(p, "header missing");
                    }
                    // As tshark, a header announced with no bytes left is still
                    // named (`ipv6:icmpv6` for a zero payload length, `eth`
                    // for a frame captured with no bytes).
                    // IPv4 calls nothing for an empty payload; IPv6 hands
                    // its next header the empty rest, which then fails.
                    let after_ipv6 = cx.pkt.layers.last().is_some_and(|l| {
                        matches!(
                            l.proto,
                            Proto::Ipv6
                                | Proto::Ipv6HopOpts
                                | Proto::Ipv6Routing
                                | Proto::Ipv6Frag
                                | Proto::Ipv6DstOpts
                        )
                    });
                    if cx.pkt.layers.is_empty() || (off == cx.limit && after_ipv6) {
                        let at = off.min(cx.limit);
                        cx.push(p, at, at, at);
                        if after_ipv6 {
                            cx.malformed(p, "no bytes left for the next header");
                        }
                    }
                    return None;
                }
                dissect_one(cx, p, off)
            }
        };
    }
    if next != Next::Done {
        cx.malformed(Proto::Data, "too many nested layers");
    }
    None
}

/// Chooses the application protocol of the payload at `off..limit`: over
/// TCP by content first (so HTTP on port 9999 is still HTTP), then by the
/// port of either side as the declarations register them; `Data` when
/// nothing claims it.
pub fn app_payload_proto(pkt: &Packet<'_>, off: usize, limit: usize) -> Proto {
    let payload = pkt.bytes(off..limit);
    let Some(t) = pkt
        .layers
        .iter()
        .rev()
        .find(|l| matches!(l.proto, Proto::Tcp | Proto::Udp))
    else {
        return Proto::Data;
    };
    if payload.is_empty() {
        return Proto::Data;
    }
    let Some((sp, dp)) = transport::ports(pkt.bytes(t.header())) else {
        return Proto::Data;
    };
    let udp = t.proto == Proto::Udp;
    if !udp {
        if let Some(p) = pkt.flow.app.filter(|_| off >= pkt.flow.app_from as usize) {
            return p;
        }
    }
    let by_content = if udp {
        registry::by_udp_content(payload)
    } else {
        registry::by_tcp_content(payload)
    };
    if let Some(p) = by_content {
        return p;
    }
    registry::by_ports(udp, sp, dp).unwrap_or(Proto::Data)
}

/// `app_payload_proto` over the buffer being decoded: for reassembled bytes it
/// sees the packet as `view_for` shows it.
fn classify(cx: &Cx<'_, '_>, off: usize) -> Proto {
    match cx.src {
        Src::Frame => app_payload_proto(cx.pkt, off, cx.limit),
        Src::Reassembled => {
            let mut v = cx.pkt.clone();
            v.data = cx.pkt.reassembled;
            app_payload_proto(&v, off, cx.limit)
        }
    }
}

fn dissect_one(cx: &mut Cx<'_, '_>, p: Proto, off: usize) -> Next {
    (p.decl().dissect)(cx, off)
}

/// Emits every field of one layer. A layer of reassembled data is decoded
/// from the reassembled buffer, its byte ranges made relative to the
/// rebuilt datagram/PDU.
pub fn layer_fields(pkt: &Packet<'_>, layer: &Layer, out: &mut dyn FieldSink) {
    if layer.src == Src::Reassembled {
        let v = pkt.view_for(layer);
        let mut shifted = reasm::Shifted {
            inner: out,
            by: pkt.reassembled_at as usize,
        };
        frame_layer_fields(&v, layer, &mut shifted);
        return;
    }
    frame_layer_fields(pkt, layer, out);
}

fn frame_layer_fields(pkt: &Packet<'_>, layer: &Layer, out: &mut dyn FieldSink) {
    (layer.proto.decl().fields)(pkt, layer, out)
}

/// Emits the frame's fields, then every layer's, in wire order.
pub fn all_fields(pkt: &Packet<'_>, out: &mut dyn FieldSink) {
    frame::fields(pkt, out);
    let parent = reasm::parent_index(pkt);
    for (i, l) in pkt.layers.iter().enumerate() {
        out.source(l.src);
        layer_fields(pkt, l, out);
        if Some(i) == parent {
            // The reassembly tree's ranges index the frame.
            out.source(Src::Frame);
            reasm::fields(pkt, out);
        }
    }
}

/// Writes the Info text of one layer (empty when it has none).
pub fn layer_info(pkt: &Packet<'_>, layer: &Layer, w: &mut Vec<u8>) {
    if layer.src == Src::Reassembled {
        let v = pkt.view_for(layer);
        frame_layer_info(&v, layer, w);
        return;
    }
    frame_layer_info(pkt, layer, w);
}

fn frame_layer_info(pkt: &Packet<'_>, layer: &Layer, w: &mut Vec<u8>) {
    if let Some(info) = layer.proto.decl().info {
        info(pkt, layer, w)
    }
}

/// The Info column: the topmost layer that has a summary, as Wireshark
/// shows the highest protocol's info. ICMP errors quote an inner IP and
/// transport header; the ICMP summary, not the quoted packet's, describes
/// the frame.
pub fn info(pkt: &Packet<'_>, w: &mut Vec<u8>) {
    info_inner(pkt, w);
    if pkt.flow.pdu_part {
        w.extend_from_slice(b" [TCP segment of a reassembled PDU]");
    }
}

fn info_inner(pkt: &Packet<'_>, w: &mut Vec<u8>) {
    if let Some(l) = pkt
        .layers
        .iter()
        .find(|x| matches!(x.proto, Proto::Icmp | Proto::Icmpv6))
    {
        layer_info(pkt, l, w);
        return;
    }
    for l in pkt.layers.iter().rev() {
        let before = w.len();
        layer_info(pkt, l, w);
        if w.len() > before {
            return;
        }
    }
}

/// The protocol column: the topmost layer's name, as Wireshark's Protocol column.
pub fn top_protocol(pkt: &Packet<'_>) -> &'static str {
    if let Some((_, l)) = pkt
        .layers
        .iter()
        .enumerate()
        .find(|(_, x)| matches!(x.proto, Proto::Icmp | Proto::Icmpv6))
    {
        return l.proto.display();
    }
    if let Some((_, l)) = pkt.find(Proto::Arp) {
        if pkt.layers.last().map(|x| x.proto) == Some(Proto::Arp) {
            return net::arp::column_name(pkt, l);
        }
    }
    // TLS handshake messages inside QUIC: the column stays QUIC, as tshark's.
    if let [.., q, t] = pkt.layers.as_slice() {
        if q.proto == Proto::Quic && t.proto == Proto::Tls {
            return q.proto.display();
        }
    }
    pkt.layers
        .iter()
        .rev()
        .find(|l| {
            !matches!(
                l.proto,
                Proto::Data
                    | Proto::Ipv6HopOpts
                    | Proto::Ipv6Routing
                    | Proto::Ipv6Frag
                    | Proto::Ipv6DstOpts
            )
        })
        .map(|l| l.proto.display())
        .unwrap_or("Data")
}
