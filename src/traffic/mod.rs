//! The built-in client and server: real Berkeley sockets (through socket2,
//! so every step — socket, bind, listen, accept, connect — is a visible
//! call), TCP and UDP, IPv4 and IPv6.
//!
//! The echo protocol: TCP messages end with `\n`; the server answers each
//! with `echo: ` + the message. UDP: one datagram each way. The reply
//! differs from the request, so both directions are easy to tell apart in a
//! capture.

pub mod client;
pub mod demo;
pub mod explain;
pub mod server;

use std::fmt;
use std::io;
use std::net::SocketAddr;

/// The prefix the server puts before every echoed message.
pub const ECHO_PREFIX: &[u8] = b"echo: ";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Tcp,
    Udp,
}

impl Transport {
    pub fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "TCP",
            Transport::Udp => "UDP",
        }
    }
}

/// A socket error, worded for a person and tied to the address involved.
#[derive(Debug)]
pub struct NetError {
    pub what: String,
    pub source: io::Error,
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.source)
    }
}

impl std::error::Error for NetError {}

/// Explains the common failures of bind/connect in words, with the fix.
pub fn describe(op: &str, addr: SocketAddr, e: io::Error) -> NetError {
    let what = match e.kind() {
        io::ErrorKind::AddrInUse => {
            format!(
                "cannot {op} {addr}: the address is already in use (another server on that port?)"
            )
        }
        io::ErrorKind::AddrNotAvailable => {
            format!("cannot {op} {addr}: no local interface has that address")
        }
        io::ErrorKind::PermissionDenied if addr.port() < 1024 => format!(
            "cannot {op} {addr}: ports below 1024 need root or the cap_net_bind_service capability"
        ),
        io::ErrorKind::ConnectionRefused => {
            format!("cannot {op} {addr}: connection refused (is a server listening there?)")
        }
        io::ErrorKind::TimedOut => format!("cannot {op} {addr}: timed out"),
        _ => format!("cannot {op} {addr}"),
    };
    NetError { what, source: e }
}

/// Human name of a socket's family/type/protocol triple.
pub fn socket_triple(addr: SocketAddr, t: Transport) -> &'static str {
    match (addr.is_ipv4(), t) {
        (true, Transport::Tcp) => "AF_INET, SOCK_STREAM, IPPROTO_TCP",
        (true, Transport::Udp) => "AF_INET, SOCK_DGRAM, IPPROTO_UDP",
        (false, Transport::Tcp) => "AF_INET6, SOCK_STREAM, IPPROTO_TCP",
        (false, Transport::Udp) => "AF_INET6, SOCK_DGRAM, IPPROTO_UDP",
    }
}
