//! Renderers. Nothing upstream knows how output looks.

pub mod collect;
pub mod csv;
pub mod detail;
pub mod flows;
pub mod follow;
pub mod grid;
pub mod hexdump;
pub mod json;
pub mod parquet;
pub mod pcapwrite;
pub mod savefile;
pub mod screen;
pub mod stats;
pub mod style;
pub mod table;
pub mod writer;

pub use table::Dump;
pub use writer::{Format, PacketWriter};

use crate::dissect::field::{write_ipv4, write_ipv6, write_mac};
use crate::dissect::link::eth;
use crate::dissect::net::arp::ArpHeader;
use crate::dissect::net::ipv4::Ipv4Header;
use crate::dissect::net::ipv6::Ipv6Header;
use crate::dissect::{transport, Packet, Proto};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Writes the packet's socket pair (`10.0.0.2:41234 → 10.0.0.1:80`,
/// `[fe80::1]:546 → [ff02::1:2]:547`); addresses alone when there are no
/// ports, MAC addresses when there is no network layer. Returns the number
/// of display columns written.
pub fn write_socket_pair(pkt: &Packet<'_>, w: &mut Vec<u8>) -> usize {
    if let Some(addrs) = pkt.addrs() {
        return write_ip_pair(w, addrs, pkt.ports());
    }
    // "→" is three bytes but one column.
    let start = w.len();
    if let Some((_, l)) = pkt.find(Proto::Arp) {
        if let Some((s, d)) = arp_addrs(pkt.bytes(l.header())) {
            write_ipv4(w, s);
            w.extend_from_slice(" → ".as_bytes());
            write_ipv4(w, d);
            return w.len() - start - 2;
        }
    }
    if let Some((_, l)) = pkt.find(Proto::Wlan) {
        // 802.11: transmitter → receiver, as Ethernet's source → destination.
        if let Some((s, d)) = crate::dissect::link::wlan::pair(pkt, l) {
            write_mac(w, s);
            w.extend_from_slice(" → ".as_bytes());
            write_mac(w, d);
            return w.len() - start - 2;
        }
    }
    if let Some((_, l)) = pkt.find(Proto::Eth) {
        // A header cut short keeps its addresses (the first 12 bytes).
        let b = pkt.bytes(l.header());
        let mac = |r| b.get(r).and_then(|m: &[u8]| <[u8; 6]>::try_from(m).ok());
        if let (Some(d), Some(s)) = (mac(eth::DST), mac(eth::SRC)) {
            write_mac(w, s);
            w.extend_from_slice(" → ".as_bytes());
            write_mac(w, d);
            return w.len() - start - 2;
        }
    }
    0
}

/// The addresses and ports part of [`write_socket_pair`]; its columns.
fn write_ip_pair(w: &mut Vec<u8>, (s, d): (IpAddr, IpAddr), ports: Option<(u16, u16)>) -> usize {
    let start = w.len();
    let v6 = s.is_ipv6();
    write_endpoint(w, s, ports.map(|p| p.0), v6);
    w.extend_from_slice(" → ".as_bytes());
    write_endpoint(w, d, ports.map(|p| p.1), v6);
    // "→" is three bytes but one column.
    w.len() - start - 2
}

/// The addresses and ports of a socket pair.
type PairKey = ((IpAddr, IpAddr), Option<(u16, u16)>);

/// [`write_socket_pair`] remembering the last two pairs it wrote: a
/// conversation's packets, both ways, repeat them, and copying the text
/// costs less than formatting it again (IPv6 above all).
#[derive(Default)]
pub struct PairCache {
    slots: [Option<(PairKey, Vec<u8>, usize)>; 2],
    /// The slot the next new pair replaces.
    next: usize,
}

impl PairCache {
    /// As [`write_socket_pair`].
    pub fn write(&mut self, pkt: &Packet<'_>, w: &mut Vec<u8>) -> usize {
        let Some(addrs) = pkt.addrs() else {
            return write_socket_pair(pkt, w);
        };
        let key = (addrs, pkt.ports());
        for (k, text, chars) in self.slots.iter().flatten() {
            if *k == key {
                w.extend_from_slice(text);
                return *chars;
            }
        }
        let start = w.len();
        let chars = write_ip_pair(w, key.0, key.1);
        let slot = &mut self.slots[self.next];
        self.next ^= 1;
        let mut text = slot.take().map(|(_, t, _)| t).unwrap_or_default();
        text.clear();
        text.extend_from_slice(&w[start..]);
        *slot = Some((key, text, chars));
        chars
    }
}

/// For an ICMP error, the socket pair of the packet it quotes (`UDP
/// 192.0.2.10:33434 → 198.51.100.20:12345`): which connection the error is
/// about. Returns false when the packet quotes nothing.
pub fn write_quoted_pair(pkt: &Packet<'_>, w: &mut Vec<u8>) -> bool {
    let Some(icmp) = pkt
        .layers
        .iter()
        .position(|l| matches!(l.proto, Proto::Icmp | Proto::Icmpv6))
    else {
        return false;
    };
    let inner = &pkt.layers[icmp + 1..];
    let Some(ip) = inner
        .iter()
        .find(|l| matches!(l.proto, Proto::Ip | Proto::Ipv6))
    else {
        return false;
    };
    let h = pkt.bytes(ip.header());
    let (s, d): (std::net::IpAddr, std::net::IpAddr) = match ip.proto {
        Proto::Ip => match Ipv4Header::new(h) {
            Some(h) => (
                Ipv4Addr::from(h.src()).into(),
                Ipv4Addr::from(h.dst()).into(),
            ),
            None => return false,
        },
        _ => match Ipv6Header::new(h) {
            Some(h) => (
                Ipv6Addr::from(h.src()).into(),
                Ipv6Addr::from(h.dst()).into(),
            ),
            None => return false,
        },
    };
    let t = inner
        .iter()
        .find(|l| matches!(l.proto, Proto::Tcp | Proto::Udp));
    let ports = t.and_then(|t| transport::ports(pkt.bytes(t.header())));
    if let Some(t) = t {
        w.extend_from_slice(t.proto.display().as_bytes());
        w.push(b' ');
    }
    let v6 = s.is_ipv6();
    write_endpoint(w, s, ports.map(|p| p.0), v6);
    w.extend_from_slice(" → ".as_bytes());
    write_endpoint(w, d, ports.map(|p| p.1), v6);
    true
}

fn write_endpoint(w: &mut Vec<u8>, a: std::net::IpAddr, port: Option<u16>, v6: bool) {
    match a {
        std::net::IpAddr::V4(a) => write_ipv4(w, a.octets()),
        std::net::IpAddr::V6(a) => {
            if port.is_some() && v6 {
                w.push(b'[');
            }
            write_ipv6(w, a.octets());
            if port.is_some() && v6 {
                w.push(b']');
            }
        }
    }
    if let Some(p) = port {
        w.push(b':');
        crate::dissect::put::dec(w, p as u64);
    }
}

/// A packet's mark as the table and the detail view show it:
/// `[truncated: TCP header cut short]`, `[malformed: IPv4 bogus IP
/// version]`; the protocol is named once (most messages name it already).
pub fn write_issue(issue: &crate::dissect::Issue, w: &mut Vec<u8>) {
    w.extend_from_slice(match issue.kind {
        crate::dissect::IssueKind::Malformed => b"[malformed: ",
        crate::dissect::IssueKind::Truncated => b"[truncated: ",
    });
    let name = issue.proto.display();
    let named = issue
        .msg
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '.')
        .any(|w| w == name);
    if !named {
        w.extend_from_slice(name.as_bytes());
        w.push(b' ');
    }
    w.extend_from_slice(issue.msg.as_bytes());
    w.push(b']');
}

/// Sender and target protocol addresses of an ARP packet carrying IPv4.
fn arp_addrs(b: &[u8]) -> Option<([u8; 4], [u8; 4])> {
    let a = ArpHeader::new(b).filter(|a| a.proto_size() == 4)?;
    Some((
        a.sender_proto()?.try_into().ok()?,
        a.target_proto()?.try_into().ok()?,
    ))
}
