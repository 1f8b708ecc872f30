//! The built-in server and client over loopback: echoes, the narrated
//! socket calls, and one clear message for each kind of failure.

mod common;

use common::{arg, bin_for_nobody, layerscope, require_root, run, TempDir};
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free port on 127.0.0.1 (bound and released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `serve` and waits for its "echo server on" line.
fn serve(args: &[&str]) -> (Child, Vec<String>) {
    let mut child = layerscope()
        .arg("serve")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start serve");
    let mut lines = Vec::new();
    let mut r = BufReader::new(child.stderr.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let mut l = String::new();
        if r.read_line(&mut l).unwrap_or(0) == 0 {
            break;
        }
        let done = l.contains("echo server on");
        lines.push(l.trim_end().to_string());
        if done {
            // Keep draining in the background so the server never blocks.
            std::thread::spawn(move || for _ in r.lines() {});
            return (child, lines);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("server did not start: {lines:?}");
}

fn wait(mut c: Child) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(s) = c.try_wait().unwrap() {
            return s.code().unwrap_or(-1);
        }
        if Instant::now() > deadline {
            let _ = c.kill();
            panic!("server did not exit");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn tcp_echo_with_explained_calls() {
    let port = free_port().to_string();
    let addr = format!("127.0.0.1:{port}");
    let (srv, lines) = serve(&["--listen", &addr, "--explain", "--count", "1"]);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("bind(fd ") && l.contains(&addr)),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l.contains("listen(fd ")), "{lines:?}");
    let out = run(&[
        "client",
        &addr,
        "--message",
        "hi there",
        "--repeat",
        "2",
        "--explain",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "echo: hi there\necho: hi there\n"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    for want in [
        "connect(fd ",
        "send(fd ",
        "9 bytes) = 9",
        "recv(fd ",
        "close(fd ",
    ] {
        assert!(err.contains(want), "missing {want:?} in {err}");
    }
    assert!(err.contains("sent 18 bytes, received 30 bytes"), "{err}");
    assert_eq!(wait(srv), 0);
}

#[test]
fn udp_echo_over_ipv6() {
    let port = UdpSocket::bind("[::1]:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("[::1]:{port}");
    let (srv, _) = serve(&["--udp", "--listen", &addr, "--count", "1"]);
    let out = run(&["client", "--udp", &addr, "--size", "100"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reply = String::from_utf8_lossy(&out.stdout);
    assert!(reply.starts_with("echo: 0123456789abcdef"), "{reply}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("sent 100 bytes, received 106 bytes"));
    assert_eq!(wait(srv), 0);
}

#[test]
fn port_in_use_is_one_clear_error() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let out = run(&["serve", "--listen", &addr]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("already in use"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains("panicked"));
}

#[test]
fn refused_connection_is_one_clear_error() {
    let addr = format!("127.0.0.1:{}", free_port());
    let out = run(&["client", &addr]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("connection refused"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn address_not_on_this_host_is_one_clear_error() {
    // 192.0.2.0/24 is documentation space: binding it only asks the kernel.
    let out = run(&["serve", "--listen", "192.0.2.254:7007"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no local interface has that address"), "{err}");
}

#[test]
fn privileged_port_without_rights_says_how() {
    // As nobody, with no capabilities: binding port 80 needs root or
    // cap_net_bind_service (CI runs as root, so setpriv can drop to nobody).
    require_root();
    let dir = TempDir::new();
    let exe = bin_for_nobody(&dir);
    let out = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            arg(&exe),
        ])
        .args(["serve", "--listen", "127.0.0.1:80"])
        .output()
        .expect("setpriv");
    let err = String::from_utf8_lossy(&out.stderr);
    if err.contains("Permission denied") && err.contains("setpriv") {
        panic!("nobody cannot execute the test binary: {err}");
    }
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("ports below 1024 need root or the cap_net_bind_service capability"),
        "{err}"
    );
}

#[test]
fn udp_client_says_it_timed_out() {
    // A socket that receives and never answers.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap().to_string();
    let t = Instant::now();
    let out = run(&[
        "client",
        "--udp",
        &addr,
        "--timeout",
        "1",
        "--message",
        "hi",
    ]);
    assert!(t.elapsed() < Duration::from_secs(5));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("timed out") && err.contains(&addr) && err.contains("1 of 1"),
        "{err}"
    );
    let mut buf = [0u8; 64];
    let (n, _) = silent.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hi\n");
}

#[test]
fn message_ends_with_one_newline_over_tcp_and_udp_alike() {
    use std::io::Read;
    // Plain sockets, not our server: what arrives is what the client sent.
    let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
    let taddr = tcp.local_addr().unwrap().to_string();
    let client =
        std::thread::spawn(move || run(&["client", &taddr, "--timeout", "1", "--message", "hi"]));
    let (mut conn, _) = tcp.accept().unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    while !got.ends_with(b"\n") {
        let n = conn.read(&mut buf).unwrap();
        assert!(n > 0, "connection closed after {got:?}");
        got.extend_from_slice(&buf[..n]);
    }
    drop(conn);
    let _ = client.join();
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let uaddr = udp.local_addr().unwrap().to_string();
    let _ = run(&[
        "client",
        "--udp",
        &uaddr,
        "--timeout",
        "1",
        "--message",
        "hi",
    ]);
    let (n, _) = udp.recv_from(&mut buf).unwrap();
    assert_eq!(got, b"hi\n");
    assert_eq!(&buf[..n], b"hi\n");
}
