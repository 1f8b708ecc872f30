//! The echo server: every socket call narrated, one thread per connection.

use super::explain::{now, Call, Narrator};
use super::{describe, socket_triple, NetError, Transport, ECHO_PREFIX};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Longest TCP message the server buffers before answering anyway.
pub const MAX_MESSAGE: usize = 16 * 1024 * 1024;
/// Most connections served at once; more are accepted and closed.
pub const MAX_CLIENTS: usize = 1024;

#[derive(Clone, Debug)]
pub struct ServerOptions {
    pub transport: Transport,
    pub listen: SocketAddr,
    pub backlog: i32,
    /// Stop after this many connections (TCP) or datagrams (UDP).
    pub limit: Option<u64>,
}

/// A bound (and for TCP, listening) server socket.
pub struct Server {
    sock: Socket,
    pub local: SocketAddr,
    opts: ServerOptions,
    say: Narrator,
}

fn domain(a: SocketAddr) -> Domain {
    if a.is_ipv4() {
        Domain::IPV4
    } else {
        Domain::IPV6
    }
}

impl Server {
    /// socket() → setsockopt(SO_REUSEADDR) → bind() → listen().
    pub fn bind(opts: ServerOptions, say: Narrator) -> Result<Server, NetError> {
        let a = opts.listen;
        let (ty, proto) = match opts.transport {
            Transport::Tcp => (Type::STREAM, Protocol::TCP),
            Transport::Udp => (Type::DGRAM, Protocol::UDP),
        };
        let sock = Socket::new(domain(a), ty, Some(proto))
            .map_err(|e| describe("create a socket for", a, e))?;
        say.say(
            Call::Socket,
            format!(
                "socket({}) = fd {}",
                socket_triple(a, opts.transport),
                sock.as_raw_fd()
            ),
        );
        if opts.transport == Transport::Tcp {
            sock.set_reuse_address(true)
                .map_err(|e| describe("set SO_REUSEADDR on", a, e))?;
            say.say(
                Call::Other,
                "setsockopt(SO_REUSEADDR, 1): allow a quick restart on the same port",
            );
        }
        if a.is_ipv6() {
            let _ = sock.set_only_v6(true);
        }
        sock.bind(&SockAddr::from(a))
            .map_err(|e| describe("bind", a, e))?;
        let local = sock
            .local_addr()
            .ok()
            .and_then(|s| s.as_socket())
            .unwrap_or(a);
        say.say(
            Call::Bind,
            format!("bind(fd {}, {}) = 0", sock.as_raw_fd(), local),
        );
        if opts.transport == Transport::Tcp {
            sock.listen(opts.backlog)
                .map_err(|e| describe("listen on", a, e))?;
            say.say(
                Call::Listen,
                format!(
                    "listen(fd {}, backlog {}) = 0: the kernel now completes handshakes for {local}",
                    sock.as_raw_fd(),
                    opts.backlog
                ),
            );
        }
        Ok(Server {
            sock,
            local,
            opts,
            say,
        })
    }

    /// Serves until the limit (if any) is reached.
    pub fn serve(self) -> Result<(), NetError> {
        match self.opts.transport {
            Transport::Tcp => self.serve_tcp(),
            Transport::Udp => self.serve_udp(),
        }
    }

    fn serve_tcp(self) -> Result<(), NetError> {
        let active = Arc::new(AtomicUsize::new(0));
        let mut served = 0u64;
        let mut handles = Vec::new();
        loop {
            if self.opts.limit.is_some_and(|l| served >= l) {
                break;
            }
            let (conn, peer) = self
                .sock
                .accept()
                .map_err(|e| describe("accept on", self.local, e))?;
            served += 1;
            let peer = peer.as_socket().unwrap_or(self.local);
            let local = conn
                .local_addr()
                .ok()
                .and_then(|s| s.as_socket())
                .unwrap_or(self.local);
            self.say.say(
                Call::Accept,
                format!(
                    "accept(fd {}) = fd {}: new connection socket for {} → {}",
                    self.sock.as_raw_fd(),
                    conn.as_raw_fd(),
                    peer,
                    local
                ),
            );
            if active.load(Ordering::Relaxed) >= MAX_CLIENTS {
                self.say.say(
                    Call::Close,
                    format!("close(fd {}): too many clients", conn.as_raw_fd()),
                );
                continue;
            }
            active.fetch_add(1, Ordering::Relaxed);
            let say = self.say.clone();
            let active = Arc::clone(&active);
            let stream: TcpStream = conn.into();
            let h = std::thread::spawn(move || {
                handle_tcp(stream, &say);
                active.fetch_sub(1, Ordering::Relaxed);
            });
            handles.push(h);
            handles.retain(|h| !h.is_finished());
        }
        for h in handles {
            let _ = h.join();
        }
        Ok(())
    }

    fn serve_udp(self) -> Result<(), NetError> {
        let sock: UdpSocket = self.sock.into();
        let fd = sock.as_raw_fd();
        let mut buf = vec![0u8; 65536];
        let mut served = 0u64;
        while self.opts.limit.is_none_or(|l| served < l) {
            let (n, peer) = sock
                .recv_from(&mut buf)
                .map_err(|e| describe("receive on", self.local, e))?;
            served += 1;
            self.say.say(
                Call::Recv(n),
                format!("recvfrom(fd {fd}) = {n} bytes from {peer}"),
            );
            let mut reply = Vec::with_capacity(n + ECHO_PREFIX.len());
            reply.extend_from_slice(ECHO_PREFIX);
            reply.extend_from_slice(&buf[..n]);
            let reply = &reply[..reply.len().min(65507)];
            let t = now();
            match sock.send_to(reply, peer) {
                Ok(m) => self.say.said(
                    t,
                    Call::Send(m),
                    format!("sendto(fd {fd}, {peer}) = {m} bytes"),
                ),
                Err(e) => self.say.note(format!("sendto {peer} failed: {e}")),
            }
        }
        self.say.say(Call::Close, format!("close(fd {fd})"));
        Ok(())
    }
}

/// recv() until the peer closes; answer each complete line.
fn handle_tcp(mut s: TcpStream, say: &Narrator) {
    let fd = s.as_raw_fd();
    let mut buf = vec![0u8; 65536];
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let n = match s.read(&mut buf) {
            Ok(n) => n,
            Err(e) => {
                say.note(format!("recv(fd {fd}) failed: {e}"));
                break;
            }
        };
        if n == 0 {
            say.say(
                Call::Recv(0),
                format!("recv(fd {fd}) = 0: the client closed its side (FIN)"),
            );
            break;
        }
        say.say(Call::Recv(n), format!("recv(fd {fd}) = {n} bytes"));
        pending.extend_from_slice(&buf[..n]);
        while let Some(pos) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=pos).collect();
            if !reply(&mut s, &line, say) {
                return;
            }
        }
        if pending.len() > MAX_MESSAGE {
            let line = std::mem::take(&mut pending);
            if !reply(&mut s, &line, say) {
                return;
            }
        }
    }
    let _ = s.flush();
    say.say(Call::Close, format!("close(fd {fd}): sends our FIN"));
}

fn reply(s: &mut TcpStream, msg: &[u8], say: &Narrator) -> bool {
    let fd = s.as_raw_fd();
    let mut out = Vec::with_capacity(msg.len() + ECHO_PREFIX.len());
    out.extend_from_slice(ECHO_PREFIX);
    out.extend_from_slice(msg);
    let t = now();
    match s.write_all(&out) {
        Ok(()) => {
            say.said(
                t,
                Call::Send(out.len()),
                format!("send(fd {fd}, {} bytes) = {}", out.len(), out.len()),
            );
            true
        }
        Err(e) => {
            say.note(format!("send(fd {fd}) failed: {e}"));
            false
        }
    }
}
