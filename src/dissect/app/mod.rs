//! Application layer: the protocols users recognise first. Each lives in
//! one file with `looks_like` (content detection), `dissect`, `fields` and
//! `info`; the dispatcher in `dissect/mod.rs` picks among them
//! (`app_payload_proto`) from the declarations.

pub mod dhcp;
pub mod dhcpv6;
pub mod dns;
pub mod ftp;
pub mod hpack;
pub mod http;
pub mod http2;
pub mod ntp;
pub mod quic;
pub mod ssdp;
pub mod ssh;
pub mod telnet;
pub mod tls;
