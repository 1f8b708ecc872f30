//! Renderers. Nothing upstream knows how output looks.

pub mod collect;
pub mod csv;
pub mod detail;
pub mod flows;
pub mod follow;
pub mod grid;
pub mod hexdump;
pub mod json;
pub mod screen;
pub mod services;
pub mod stats;
pub mod style;
pub mod table;
pub mod writer;

pub use writer::{Format, PacketWriter};

use crate::dissect::field::{write_ipv4, write_ipv6, write_mac};
use crate::dissect::{Packet, Proto};

/// Writes the packet's socket pair (`10.0.0.2:41234 → 10.0.0.1:80`,
/// `[fe80::1]:546 → [ff02::1:2]:547`); addresses alone when there are no
/// ports, MAC addresses when there is no network layer. Returns the number
/// of display columns written.
pub fn write_socket_pair(pkt: &Packet<'_>, w: &mut Vec<u8>) -> usize {
    let start = w.len();
    let ports = pkt.ports();
    match pkt.addrs() {
        Some((s, d)) => {
            let v6 = s.is_ipv6();
            write_endpoint(w, s, ports.map(|p| p.0), v6);
            w.extend_from_slice(" → ".as_bytes());
            write_endpoint(w, d, ports.map(|p| p.1), v6);
        }
        None => {
            if let Some((_, l)) = pkt.find(Proto::Arp) {
                if let Some((s, d)) = arp_addrs(pkt.bytes(l.header())) {
                    write_ipv4(w, s);
                    w.extend_from_slice(" → ".as_bytes());
                    write_ipv4(w, d);
                    return w.len() - start - 2;
                }
            }
            if let Some((_, l)) = pkt.find(Proto::Eth) {
                let b = pkt.bytes(l.header());
                if b.len() >= 12 {
                    let mut d = [0u8; 6];
                    let mut s = [0u8; 6];
                    d.copy_from_slice(&b[0..6]);
                    s.copy_from_slice(&b[6..12]);
                    write_mac(w, s);
                    w.extend_from_slice(" → ".as_bytes());
                    write_mac(w, d);
                    return w.len() - start - 2;
                }
            }
            return 0;
        }
    }
    // "→" is three bytes but one column.
    w.len() - start - 2
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
        Proto::Ip if h.len() >= 20 => (
            std::net::Ipv4Addr::new(h[12], h[13], h[14], h[15]).into(),
            std::net::Ipv4Addr::new(h[16], h[17], h[18], h[19]).into(),
        ),
        Proto::Ipv6 if h.len() >= 40 => {
            let a: [u8; 16] = h[8..24].try_into().unwrap_or_default();
            let b: [u8; 16] = h[24..40].try_into().unwrap_or_default();
            (
                std::net::Ipv6Addr::from(a).into(),
                std::net::Ipv6Addr::from(b).into(),
            )
        }
        _ => return false,
    };
    let t = inner
        .iter()
        .find(|l| matches!(l.proto, Proto::Tcp | Proto::Udp));
    let ports = t.and_then(|t| {
        let b = pkt.bytes(t.start as usize..t.start as usize + 4);
        (b.len() == 4).then(|| {
            (
                u16::from_be_bytes([b[0], b[1]]),
                u16::from_be_bytes([b[2], b[3]]),
            )
        })
    });
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
        w.extend_from_slice(itoa::Buffer::new().format(p).as_bytes());
    }
}

/// Sender and target protocol addresses of an ARP packet carrying IPv4.
fn arp_addrs(b: &[u8]) -> Option<([u8; 4], [u8; 4])> {
    let hs = *b.get(4)? as usize;
    if *b.get(5)? != 4 {
        return None;
    }
    let spa = b.get(8 + hs..12 + hs)?;
    let tpa = b.get(12 + 2 * hs..16 + 2 * hs)?;
    Some((spa.try_into().ok()?, tpa.try_into().ok()?))
}
