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

use super::{Cx, FieldSink, Layer, Next, Packet, Proto};

/// Chooses the application protocol of the payload at `off..limit`: by
/// content first (so HTTP on port 9999 is still HTTP), then by the
/// well-known port of either side; `Data` when nothing claims it.
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
    let b = pkt.bytes(t.start as usize..t.start as usize + 4);
    let (sp, dp) = match b {
        [a, b, c, d] => (u16::from_be_bytes([*a, *b]), u16::from_be_bytes([*c, *d])),
        _ => return Proto::Data,
    };
    let port = |p: u16| sp == p || dp == p;
    if t.proto == Proto::Udp {
        return if port(5353) {
            Proto::Mdns
        } else if port(5355) {
            Proto::Llmnr
        } else if port(53) {
            Proto::Dns
        } else if port(67) || port(68) {
            Proto::Dhcp
        } else if port(546) || port(547) {
            Proto::Dhcpv6
        } else if port(123) {
            Proto::Ntp
        } else {
            Proto::Data
        };
    }
    if http::looks_like(payload) {
        Proto::Http
    } else if tls::looks_like(payload) {
        Proto::Tls
    } else if ssh::looks_like(payload) {
        Proto::Ssh
    } else if port(53) {
        Proto::Dns
    } else if port(21) {
        Proto::Ftp
    } else if port(20) {
        Proto::FtpData
    } else if port(23) {
        Proto::Telnet
    } else if port(22) {
        Proto::Ssh
    } else if port(80) || port(8080) {
        Proto::Http
    } else if port(443) {
        Proto::Tls
    } else {
        Proto::Data
    }
}

pub fn dissect(cx: &mut Cx<'_, '_>, p: Proto, off: usize) -> Next {
    match p {
        Proto::Dns | Proto::Mdns | Proto::Llmnr => dns::dissect(cx, p, off),
        Proto::Dhcp => dhcp::dissect(cx, off),
        Proto::Dhcpv6 => dhcpv6::dissect(cx, off),
        Proto::Ntp => ntp::dissect(cx, off),
        Proto::Http => http::dissect(cx, off),
        Proto::Tls => tls::dissect(cx, off),
        Proto::Ftp | Proto::FtpData => ftp::dissect(cx, p, off),
        Proto::Telnet => telnet::dissect(cx, off),
        Proto::Ssh => ssh::dissect(cx, off),
        _ => super::data::dissect(cx, off),
    }
}

pub fn fields(pkt: &Packet<'_>, l: &Layer, out: &mut dyn FieldSink) {
    match l.proto {
        Proto::Dns | Proto::Mdns | Proto::Llmnr => dns::fields(pkt, l, out),
        Proto::Dhcp => dhcp::fields(pkt, l, out),
        Proto::Dhcpv6 => dhcpv6::fields(pkt, l, out),
        Proto::Ntp => ntp::fields(pkt, l, out),
        Proto::Http => http::fields(pkt, l, out),
        Proto::Tls => tls::fields(pkt, l, out),
        Proto::Ftp | Proto::FtpData => ftp::fields(pkt, l, out),
        Proto::Telnet => telnet::fields(pkt, l, out),
        Proto::Ssh => ssh::fields(pkt, l, out),
        _ => {}
    }
}

pub fn info(pkt: &Packet<'_>, l: &Layer, w: &mut Vec<u8>) {
    match l.proto {
        Proto::Dns | Proto::Mdns | Proto::Llmnr => dns::info(pkt, l, w),
        Proto::Dhcp => dhcp::info(pkt, l, w),
        Proto::Dhcpv6 => dhcpv6::info(pkt, l, w),
        Proto::Ntp => ntp::info(pkt, l, w),
        Proto::Http => http::info(pkt, l, w),
        Proto::Tls => tls::info(pkt, l, w),
        Proto::Ftp | Proto::FtpData => ftp::info(pkt, l, w),
        Proto::Telnet => telnet::info(pkt, l, w),
        Proto::Ssh => ssh::info(pkt, l, w),
        _ => {}
    }
}
