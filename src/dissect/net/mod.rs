//! Network layer: ARP, IPv4, IPv6 with its extension headers, ICMP, ICMPv6.

pub mod arp;
pub mod icmp;
pub mod icmpv6;
pub mod ipv4;
pub mod ipv6;
