//! Application layer: the protocols users recognise first. Each lives in
//! one file with `looks_like` (content detection), `dissect`, `fields` and
//! `info`; this module picks the protocol for a TCP/UDP payload and routes.

pub mod dhcp;
pub mod dhcpv6;
pub mod dns;
pub mod ftp;
pub mod http;
pub mod ntp;
pub mod ssh;
pub mod telnet;
pub mod tls;

use super::{registry, Packet, Proto};

/// Chooses the application protocol of the payload at `off..limit`: over
/// TCP by content first (so HTTP on port 9999 is still HTTP), then by the
/// port of either side as the declarations register them; `Data` when
/// nothing claims it.
pub fn classify(pkt: &Packet<'_>, off: usize, limit: usize) -> Proto {
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
    let Some((sp, dp)) = super::transport::ports(pkt.bytes(t.header())) else {
        return Proto::Data;
    };
    let udp = t.proto == Proto::Udp;
    if !udp {
        if let Some(p) = registry::by_tcp_content(payload) {
            return p;
        }
    }
    registry::by_ports(udp, sp, dp).unwrap_or(Proto::Data)
}
