//! The echo client: connect, send each message, wait for its echo, close.

use super::explain::{now, Call, Narrator};
use super::{describe, socket_triple, NetError, Transport, ECHO_PREFIX};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct ClientOptions {
    pub transport: Transport,
    pub server: SocketAddr,
    /// One message (for TCP it ends with `\n`, the echo protocol's delimiter).
    pub message: Vec<u8>,
    pub repeat: u32,
    /// TCP_MAXSEG before connect, to force small segments.
    pub mss: Option<u32>,
    /// How long to wait for each reply.
    pub timeout: Duration,
}

/// What the client saw.
#[derive(Clone, Debug, Default)]
pub struct ClientReport {
    pub local: Option<SocketAddr>,
    pub sent: usize,
    pub received: usize,
    pub replies: Vec<Vec<u8>>,
    /// Messages whose reply did not come within the timeout.
    pub unanswered: usize,
}

/// `--size N`: N bytes of a readable pattern, the last one `\n`.
///
/// The echo protocol is line-based on both transports (a TCP stream has no
/// message boundaries, so the newline ends a message), and the same message
/// goes out over TCP and UDP alike.
pub fn sized_message(n: usize) -> Vec<u8> {
    let pat = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut m: Vec<u8> = (0..n).map(|i| pat[i % pat.len()]).collect();
    if let Some(last) = m.last_mut() {
        *last = b'\n';
    }
    m
}

/// `--message TEXT`: the text, newlines folded, and `\n` appended (on TCP
/// and UDP alike, as `echo TEXT | nc` sends it).
pub fn text_message(text: &str) -> Vec<u8> {
    let mut m: Vec<u8> = text
        .bytes()
        .map(|b| if b == b'\n' { b' ' } else { b })
        .collect();
    m.push(b'\n');
    m
}

/// A read timeout (SO_RCVTIMEO) shows as EAGAIN, or ETIMEDOUT on some systems.
fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

pub fn run(o: &ClientOptions, say: &Narrator) -> Result<ClientReport, NetError> {
    match o.transport {
        Transport::Tcp => run_tcp(o, say),
        Transport::Udp => run_udp(o, say),
    }
}

fn new_socket(o: &ClientOptions, say: &Narrator) -> Result<Socket, NetError> {
    let a = o.server;
    let (ty, p) = match o.transport {
        Transport::Tcp => (Type::STREAM, Protocol::TCP),
        Transport::Udp => (Type::DGRAM, Protocol::UDP),
    };
    let d = if a.is_ipv4() {
        Domain::IPV4
    } else {
        Domain::IPV6
    };
    let s = Socket::new(d, ty, Some(p)).map_err(|e| describe("create a socket for", a, e))?;
    say.say(
        Call::Socket,
        format!(
            "socket({}) = fd {}",
            socket_triple(a, o.transport),
            s.as_raw_fd()
        ),
    );
    Ok(s)
}

fn run_tcp(o: &ClientOptions, say: &Narrator) -> Result<ClientReport, NetError> {
    let a = o.server;
    let s = new_socket(o, say)?;
    if let Some(mss) = o.mss {
        s.set_tcp_mss(mss)
            .map_err(|e| describe("set TCP_MAXSEG for", a, e))?;
        say.say(
            Call::Other,
            format!("setsockopt(TCP_MAXSEG, {mss}): segments carry at most {mss} bytes"),
        );
    }
    say.note(format!("connect() sends SYN to {a} and waits for SYN-ACK"));
    let t = now();
    s.connect_timeout(&SockAddr::from(a), o.timeout)
        .map_err(|e| describe("connect to", a, e))?;
    let local = s.local_addr().ok().and_then(|x| x.as_socket());
    say.said(
        t,
        Call::Connect,
        format!(
            "connect(fd {}, {a}) = 0: handshake done; the kernel picked local address {}",
            s.as_raw_fd(),
            local.map(|l| l.to_string()).unwrap_or_else(|| "?".into())
        ),
    );
    let mut st: TcpStream = s.into();
    let _ = st.set_read_timeout(Some(o.timeout));
    let fd = st.as_raw_fd();
    let mut rep = ClientReport {
        local,
        ..Default::default()
    };
    let mut buf = vec![0u8; 65536];
    for _ in 0..o.repeat {
        let t = now();
        st.write_all(&o.message)
            .map_err(|e| describe("send to", a, e))?;
        rep.sent += o.message.len();
        say.said(
            t,
            Call::Send(o.message.len()),
            format!(
                "send(fd {fd}, {} bytes) = {}",
                o.message.len(),
                o.message.len()
            ),
        );
        // The echo is the prefix plus the message.
        let want = ECHO_PREFIX.len() + o.message.len();
        let mut got = Vec::with_capacity(want);
        while got.len() < want {
            let n = match st.read(&mut buf) {
                Ok(n) => n,
                Err(e) if is_timeout(&e) => {
                    say.note(format!("no reply within {:?}", o.timeout));
                    rep.unanswered += 1;
                    break;
                }
                Err(e) => return Err(describe("receive from", a, e)),
            };
            if n == 0 {
                say.say(
                    Call::Recv(0),
                    format!("recv(fd {fd}) = 0: the server closed the connection"),
                );
                break;
            }
            say.say(Call::Recv(n), format!("recv(fd {fd}) = {n} bytes"));
            got.extend_from_slice(&buf[..n]);
        }
        rep.received += got.len();
        if !got.is_empty() {
            rep.replies.push(got);
        }
    }
    say.say(
        Call::Close,
        format!("close(fd {fd}): sends FIN; the server answers with its own"),
    );
    drop(st);
    Ok(rep)
}

fn run_udp(o: &ClientOptions, say: &Narrator) -> Result<ClientReport, NetError> {
    let a = o.server;
    if o.message.len() > 65507 {
        return Err(NetError {
            what: format!(
                "cannot send {} bytes in one UDP datagram to {a}",
                o.message.len()
            ),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "the limit is 65507"),
        });
    }
    let s = new_socket(o, say)?;
    let sock: UdpSocket = s.into();
    let _ = sock.set_read_timeout(Some(o.timeout));
    let fd = sock.as_raw_fd();
    let mut rep = ClientReport::default();
    let mut buf = vec![0u8; 65536];
    for _ in 0..o.repeat {
        let t = now();
        let n = sock
            .send_to(&o.message, a)
            .map_err(|e| describe("send to", a, e))?;
        if rep.local.is_none() {
            rep.local = sock.local_addr().ok();
            say.note(format!(
                "the first sendto() bound the socket to {} implicitly",
                rep.local.map(|l| l.to_string()).unwrap_or_default()
            ));
        }
        rep.sent += n;
        say.said(
            t,
            Call::Send(n),
            format!("sendto(fd {fd}, {a}) = {n} bytes: one datagram, no handshake"),
        );
        match sock.recv_from(&mut buf) {
            Ok((m, from)) => {
                say.say(
                    Call::Recv(m),
                    format!("recvfrom(fd {fd}) = {m} bytes from {from}"),
                );
                rep.received += m;
                rep.replies.push(buf[..m].to_vec());
            }
            Err(e) if is_timeout(&e) => {
                say.note(format!(
                    "no reply within {:?} (UDP does not retransmit)",
                    o.timeout
                ));
                rep.unanswered += 1;
            }
            Err(e) => return Err(describe("receive from", a, e)),
        }
    }
    say.say(
        Call::Close,
        format!("close(fd {fd}): nothing is sent; UDP has no connection to end"),
    );
    Ok(rep)
}
