//! The IP datagram a layer sits in, as the decoders above IP see it: is it
//! a fragment, how long does its header say it is, which addresses make
//! the pseudo-header, is the layer quoted inside an ICMP error. TCP, UDP,
//! ICMP and ICMPv6 share these; they read the enclosing headers through
//! the IPv4/IPv6 views, so no transport file imports another.

use crate::dissect::checksum;
use crate::dissect::net::ipv4::{self, Ipv4Header};
use crate::dissect::net::ipv6::{self, Ipv6FragHeader, Ipv6Header};
use crate::dissect::{Packet, Proto};

/// True when the layer at `idx` sits inside an ICMP error (a quoted
/// header): tshark then neither computes lengths nor tracks sequence numbers.
pub fn quoted(pkt: &Packet<'_>, idx: usize) -> bool {
    pkt.layers
        .iter()
        .take(idx)
        .any(|x| matches!(x.proto, Proto::Icmp | Proto::Icmpv6))
}

/// True when an enclosing IPv4 header or IPv6 fragment header among the
/// first `before` layers says the datagram is a fragment (offset or
/// more-fragments set).
pub fn fragmented(pkt: &Packet<'_>, before: usize) -> bool {
    for x in pkt.layers.iter().take(before).rev() {
        let h = pkt.bytes(x.header());
        match x.proto {
            // Offset or M set: a real fragment (an atomic one is whole).
            Proto::Ipv6Frag if Ipv6FragHeader::new(h).is_some_and(|f| f.is_fragment()) => {
                return true;
            }
            Proto::Ip => return Ipv4Header::new(h).is_none_or(|h| h.is_fragment()),
            Proto::Ipv6 => return false,
            _ => {}
        }
    }
    false
}

/// Bytes from `start` to the end of the nearest IP datagram among the first
/// `before` layers, per its length field, never past the wire length.
/// None when there is no IP layer or its header is cut short.
pub fn reported_from(pkt: &Packet<'_>, before: usize, start: usize) -> Option<usize> {
    let wire_end = (pkt.wire_len as usize).max(pkt.data.len());
    let x = pkt
        .layers
        .iter()
        .take(before)
        .rev()
        .find(|x| matches!(x.proto, Proto::Ip | Proto::Ipv6))?;
    let xs = x.start as usize;
    let h = pkt.bytes(x.header());
    let end = if x.proto == Proto::Ip {
        // Total length 0 is TCP segmentation offload: trust the frame.
        match Ipv4Header::new(h)?.total_len() as usize {
            0 => wire_end,
            n => (xs + n).min(wire_end),
        }
    } else {
        // Payload length 0 is a jumbogram (or a lie): trust the frame.
        match Ipv6Header::new(h)?.payload_len() as usize {
            0 => wire_end,
            n => (xs + ipv6::HEADER_LEN + n).min(wire_end),
        }
    };
    Some(end.saturating_sub(start))
}

/// The pseudo-header sum for the transport layer at index `layer` (TCP,
/// UDP, ICMPv6): taken from the last IPv4/IPv6 layer before it, with the
/// final destination when a source route / routing header names one.
/// `len` is the upper-layer length. None when there is no enclosing IP
/// header or its addresses were not captured.
pub fn pseudo_header_sum(pkt: &Packet<'_>, layer: usize, proto: u8, len: u32) -> Option<u64> {
    let upto = layer.min(pkt.layers.len());
    let (idx, ip) = pkt.layers[..upto]
        .iter()
        .enumerate()
        .rev()
        .find(|(_, l)| matches!(l.proto, Proto::Ip | Proto::Ipv6))?;
    Some(match ip.proto {
        Proto::Ip => {
            let (src, dst) = ipv4::addrs(pkt, ip)?;
            checksum::pseudo_header(&src.octets(), &dst.octets(), proto, len)
        }
        _ => {
            let (src, _) = ipv6::addrs(pkt, ip)?;
            let dst = ipv6::final_dst(pkt, idx, upto)?;
            checksum::pseudo_header(&src.octets(), &dst, proto, len)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::checksum::{fold, sum_words};
    use crate::dissect::linktype;

    fn decode(lt: u32, data: &[u8]) -> Packet<'_> {
        let fr = crate::source::Frame {
            ts: Default::default(),
            wire_len: data.len() as u32,
            linktype: lt,
            interface: 0,
            ts_digits: 6,
            bytes: data,
        };
        crate::dissect::dissect(&fr, 1, Default::default())
    }

    #[test]
    fn pseudo_header_verifies_udp_checksum() {
        let mut v4 = Vec::new();
        etherparse::PacketBuilder::ipv4([192, 168, 1, 2], [10, 0, 0, 1], 64)
            .udp(5353, 53)
            .write(&mut v4, b"hello, world!")
            .unwrap();
        let mut v6 = Vec::new();
        let (a, b) = (
            [0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
            [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
        );
        etherparse::PacketBuilder::ipv6(a, b, 64)
            .udp(1000, 2000)
            .write(&mut v6, b"odd")
            .unwrap();
        for (lt, data) in [(linktype::IPV4, v4), (linktype::IPV6, v6)] {
            let pkt = decode(lt, &data);
            let ip = pkt.layers[0];
            let udp = &data[ip.end as usize..];
            let sum = pseudo_header_sum(&pkt, 1, 17, udp.len() as u32).unwrap();
            assert_eq!(fold(sum_words(udp, sum)), 0);
            assert_eq!(pseudo_header_sum(&pkt, 0, 17, 0), None);
        }
    }

    #[test]
    fn fragments_and_reported_lengths() {
        // IPv4, total length 28 (UDP header + 0 bytes), MF set, offset 0,
        // captured with 4 bytes of Ethernet-style padding after it.
        let mut f = vec![
            0x45, 0, 0, 28, 0x12, 0x34, 0x20, 0x00, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        f.extend_from_slice(&[0x9c, 0x40, 0x9c, 0x41, 0, 8, 0, 0, 0, 0, 0, 0]);
        let pkt = decode(linktype::IPV4, &f);
        assert_eq!(pkt.layers[0].proto, Proto::Ip);
        assert!(fragmented(&pkt, 1));
        assert_eq!(reported_from(&pkt, 1, 20), Some(8));
        assert!(!quoted(&pkt, 1));
        // Same datagram, DF instead of MF: whole.
        f[6] = 0x40;
        let pkt = decode(linktype::IPV4, &f);
        assert!(!fragmented(&pkt, 1));
        // No IP layer before: nothing to report.
        assert_eq!(reported_from(&pkt, 0, 0), None);
    }
}
