//! Live capture on real interfaces: loopback, and veth pairs between network
//! namespaces that the tests create (and always remove). Real traffic from
//! real sockets and tools; checked against tcpdump and tshark.
//!
//! These tests need root. Without it they fail with a message saying so.
//! Traffic goes only to loopback and to 10.99.0.0/24 / fd99::/64 inside the
//! namespaces the tests create.

mod common;

use common::{
    layerscope, owner, require_root, run_out, sh, status_ids, tcpdump_count, tshark_count, Done,
    Fields, NsPair, Proc, TempDir,
};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::Duration;

const V4: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const V6: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);

/// One TCP connection: the client sends `payload` bytes and half-closes; the
/// server reads to the end, answers `reply` bytes and closes.
struct TcpRun {
    client_port: u16,
    server_port: u16,
    payload: usize,
    reply: usize,
}

fn tcp_listener(ip: IpAddr) -> TcpListener {
    TcpListener::bind(SocketAddr::new(ip, 0)).unwrap_or_else(|e| panic!("bind {ip}: {e}"))
}

fn tcp_exchange(listener: TcpListener, payload: usize, reply: usize) -> TcpRun {
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).unwrap();
        s.write_all(&vec![b'r'; reply]).unwrap();
        got.len()
    });
    let mut c = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let client_port = c.local_addr().unwrap().port();
    let data: Vec<u8> = (0..payload).map(|i| b'a' + (i % 26) as u8).collect();
    c.write_all(&data).unwrap();
    c.shutdown(std::net::Shutdown::Write).unwrap();
    let mut back = Vec::new();
    c.read_to_end(&mut back).unwrap();
    drop(c);
    assert_eq!(server.join().unwrap(), payload);
    assert_eq!(back.len(), reply);
    TcpRun {
        client_port,
        server_port: addr.port(),
        payload,
        reply,
    }
}

/// One UDP request (`req` bytes) and its answer (`resp` bytes); returns
/// (client port, server port).
fn udp_exchange(server: UdpSocket, req: usize, resp: usize) -> (u16, u16) {
    let saddr = server.local_addr().unwrap();
    let client = UdpSocket::bind(SocketAddr::new(saddr.ip(), 0)).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    server
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    client.send_to(&vec![b'q'; req], saddr).unwrap();
    let mut buf = [0u8; 2048];
    let (n, from) = server.recv_from(&mut buf).unwrap();
    assert_eq!(n, req);
    server.send_to(&vec![b'a'; resp], from).unwrap();
    let (n, _) = client.recv_from(&mut buf).unwrap();
    assert_eq!(n, resp);
    (client.local_addr().unwrap().port(), saddr.port())
}

fn port(r: &Value, field: &str) -> u16 {
    r.one(field)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in {r:?}"))
}

fn flags(r: &Value) -> u16 {
    let f = r
        .one("tcp.flags")
        .unwrap_or_else(|| panic!("no tcp.flags in {r:?}"));
    u16::from_str_radix(f.trim_start_matches("0x"), 16).unwrap_or_else(|_| panic!("tcp.flags {f}"))
}

fn num(r: &Value, field: &str) -> u64 {
    r.one(field)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no numeric {field} in {r:?}"))
}

/// Checks one TCP connection's rows: addresses, ports, the handshake in
/// order, the payload byte count each way, and a FIN each way.
fn check_tcp(rows: &[&Value], run: &TcpRun, src_field: &str, dst_field: &str, addr: &str) {
    assert!(
        rows.len() >= 6,
        "too few TCP rows ({}): {rows:#?}",
        rows.len()
    );
    for r in rows {
        assert_eq!(
            r.one(src_field).as_deref(),
            Some(addr),
            "{src_field} in {r:?}"
        );
        assert_eq!(
            r.one(dst_field).as_deref(),
            Some(addr),
            "{dst_field} in {r:?}"
        );
    }
    let (c, s) = (run.client_port, run.server_port);
    let hs: Vec<(u16, u16, u16)> = rows[..3]
        .iter()
        .map(|r| (port(r, "tcp.srcport"), port(r, "tcp.dstport"), flags(r)))
        .collect();
    assert_eq!(
        hs,
        vec![(c, s, 0x0002), (s, c, 0x0012), (c, s, 0x0010)],
        "handshake"
    );
    assert_eq!(
        rows[0].one("tcp.flags").as_deref(),
        Some("0x0002"),
        "tcp.flags text"
    );
    let from_client = |r: &&&Value| port(r, "tcp.srcport") == c;
    let sent: u64 = rows
        .iter()
        .filter(from_client)
        .map(|r| num(r, "tcp.len"))
        .sum();
    let back: u64 = rows
        .iter()
        .filter(|r| port(r, "tcp.srcport") == s)
        .map(|r| num(r, "tcp.len"))
        .sum();
    assert_eq!(sent, run.payload as u64, "client→server tcp.len sum");
    assert_eq!(back, run.reply as u64, "server→client tcp.len sum");
    assert!(
        rows.iter()
            .filter(from_client)
            .any(|r| flags(r) & 0x001 != 0),
        "no FIN from client"
    );
    assert!(
        rows.iter()
            .filter(|r| port(r, "tcp.srcport") == s)
            .any(|r| flags(r) & 0x001 != 0),
        "no FIN from server"
    );
    assert!(
        rows.iter()
            .all(|r| r.one("tcp.flags.syn").is_some() && r.one("tcp.seq").is_some()),
        "tcp.flags.syn / tcp.seq missing"
    );
}

fn summary_count(stderr: &str) -> u64 {
    stderr
        .lines()
        .find_map(|l| l.strip_suffix(" packets captured"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no 'N packets captured' summary on stderr:\n{stderr}"))
}

fn assert_no_panic(d: &Done) {
    assert!(
        !d.stderr.contains("panicked") && !d.stderr.to_lowercase().contains("backtrace"),
        "panic output:\n{}",
        d.stderr
    );
}

#[test]
fn lo_tcp_ipv4_handshake_payload_and_fin() {
    require_root();
    let l = tcp_listener(V4);
    let p = l.local_addr().unwrap().port();
    let mut cap = Proc::spawn(&[
        "capture",
        "-i",
        "lo",
        "-f",
        &format!("tcp port {p}"),
        "--format",
        "jsonl",
        "--duration",
        "3",
    ]);
    let ready = cap.wait_ready();
    assert!(ready.contains("capturing on lo"), "{ready}");
    let run = tcp_exchange(l, 3000, 1234);
    let done = cap.wait(Duration::from_secs(15));
    assert_eq!(done.code(), Some(0), "stderr:\n{}", done.stderr);
    let rows = done.rows();
    let refs: Vec<&Value> = rows.iter().collect();
    check_tcp(&refs, &run, "ip.src", "ip.dst", "127.0.0.1");
    assert!(rows.iter().all(|r| r.has("ip.version", "4")), "ip.version");
    assert_eq!(summary_count(&done.stderr), rows.len() as u64);
}

#[test]
fn lo_udp_ipv4_with_count() {
    require_root();
    let server = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let p = server.local_addr().unwrap().port();
    let mut cap = Proc::spawn(&[
        "capture",
        "-i",
        "lo",
        "-f",
        &format!("udp port {p}"),
        "--format",
        "jsonl",
        "-c",
        "2",
    ]);
    cap.wait_ready();
    let (cp, sp) = udp_exchange(server, 100, 50);
    // -c 2: it stops by itself after the request and the answer.
    let done = cap.wait(Duration::from_secs(15));
    assert_eq!(done.code(), Some(0), "stderr:\n{}", done.stderr);
    let rows = done.rows();
    assert_eq!(rows.len(), 2, "{rows:#?}");
    let got: Vec<(u16, u16, u64)> = rows
        .iter()
        .map(|r| {
            (
                port(r, "udp.srcport"),
                port(r, "udp.dstport"),
                num(r, "udp.length"),
            )
        })
        .collect();
    assert_eq!(got, vec![(cp, sp, 108), (sp, cp, 58)]);
    for r in &rows {
        assert!(
            r.has("ip.src", "127.0.0.1") && r.has("ip.dst", "127.0.0.1"),
            "{r:?}"
        );
        assert!(r.has("ip.proto", "17"), "{r:?}");
    }
}

#[test]
fn lo_display_filter_keeps_matching_packets_and_their_numbers() {
    require_root();
    let server = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let p = server.local_addr().unwrap().port();
    let mut cap = Proc::spawn(&[
        "capture",
        "-i",
        "lo",
        "-f",
        &format!("udp port {p}"),
        "-Y",
        "udp.payload contains \"keep\" && udp.length > 12",
        "--format",
        "jsonl",
        "-c",
        "6",
    ]);
    cap.wait_ready();
    let client = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    // Frames 1..6: keep-me, drop, keep (too short), drop, keep-me, drop.
    for m in ["keep-me", "drop-me", "keep", "nope", "keep-me", "none"] {
        client.send_to(m.as_bytes(), ("127.0.0.1", p)).unwrap();
        let mut b = [0u8; 64];
        let _ = server.recv_from(&mut b).unwrap();
    }
    // -c counts frames captured, as tshark's -c counts frames read.
    let done = cap.wait(Duration::from_secs(15));
    assert_eq!(done.code(), Some(0), "stderr:\n{}", done.stderr);
    let rows = done.rows();
    let numbers: Vec<u64> = rows.iter().map(|r| num(r, "frame.number")).collect();
    assert_eq!(numbers, vec![1, 5], "{rows:#?}");
    assert!(rows.iter().all(|r| port(r, "udp.dstport") == p));
}

#[test]
fn lo_ipv6_tcp_and_udp() {
    require_root();
    let l = tcp_listener(V6);
    let tp = l.local_addr().unwrap().port();
    let server = UdpSocket::bind((Ipv6Addr::LOCALHOST, 0)).unwrap();
    let up = server.local_addr().unwrap().port();
    let mut cap = Proc::spawn(&[
        "capture",
        "-i",
        "lo",
        "-f",
        &format!("(ip6 and tcp port {tp}) or (ip6 and udp port {up})"),
        "--format",
        "jsonl",
        "--duration",
        "3",
    ]);
    cap.wait_ready();
    let run = tcp_exchange(l, 5000, 10);
    let (cp, sp) = udp_exchange(server, 32, 7);
    let done = cap.wait(Duration::from_secs(15));
    assert_eq!(done.code(), Some(0), "stderr:\n{}", done.stderr);
    let rows = done.rows();
    let tcp: Vec<&Value> = rows
        .iter()
        .filter(|r| r.one("tcp.srcport").is_some())
        .collect();
    check_tcp(&tcp, &run, "ipv6.src", "ipv6.dst", "::1");
    let udp: Vec<(u16, u16, u64)> = rows
        .iter()
        .filter(|r| r.one("udp.srcport").is_some())
        .map(|r| {
            (
                port(r, "udp.srcport"),
                port(r, "udp.dstport"),
                num(r, "udp.length"),
            )
        })
        .collect();
    assert_eq!(udp, vec![(cp, sp, 40), (sp, cp, 15)]);
    assert!(rows
        .iter()
        .all(|r| r.has("ipv6.src", "::1") && r.one("ip.src").is_none()));
}

/// A one-connection TCP server inside a namespace (python3) on `port`: it
/// answers "pong\n" to whatever arrives, then exits; bounded by timeouts.
/// A fresh namespace has nothing bound, so a fixed port is free.
fn ns_tcp_server(ns: &str, addr: &str, port: u16) -> Proc {
    let code = format!(
        "import socket, sys\n\
         s=socket.socket()\n\
         s.bind(('{addr}',{port})); s.listen(1); s.settimeout(15)\n\
         print('listening', file=sys.stderr, flush=True)\n\
         c,_=s.accept(); c.settimeout(5)\n\
         c.recv(100); c.sendall(b'pong\\n'); c.close()\n"
    );
    let mut p = Proc::spawn_cmd(&mut NsPair::exec(
        ns,
        &["timeout", "20", "python3", "-c", &code],
    ));
    p.wait_for_stderr("listening", Duration::from_secs(15));
    p
}

fn ns_run(ns: &str, args: &[&str]) -> String {
    let out = run_out(&mut NsPair::exec(ns, args), Duration::from_secs(20));
    assert!(
        out.status.success(),
        "{args:?} in {ns} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn veth_between_namespaces_arp_ndp_icmp_tcp() {
    require_root();
    let ns = NsPair::new();
    let mac_a = NsPair::mac(&ns.a, "veth0");
    let mac_b = NsPair::mac(&ns.b, "veth1");
    assert_ne!(mac_a, mac_b);
    let bin = common::bin();
    let bin = bin.to_str().unwrap();
    let mut cap = Proc::spawn_cmd(&mut NsPair::exec(
        &ns.a,
        &[bin, "capture", "-i", "veth0", "--format", "jsonl"],
    ));
    assert!(cap.wait_ready().contains("capturing on veth0"));
    ns_run(
        &ns.b,
        &["ping", "-n", "-c", "2", "-i", "0.2", "-W", "2", "10.99.0.1"],
    );
    let tport = 5555;
    let server = ns_tcp_server(&ns.a, "10.99.0.1", tport);
    let reply = ns_run(
        &ns.b,
        &[
            "timeout",
            "10",
            "bash",
            "-c",
            &format!("exec 3<>/dev/tcp/10.99.0.1/{tport}; echo ping >&3; head -c 5 <&3"),
        ],
    );
    assert_eq!(reply, "pong\n");
    server.wait(Duration::from_secs(10));
    ns_run(
        &ns.b,
        &[
            "ping", "-6", "-n", "-c", "2", "-i", "0.2", "-W", "2", "fd99::1",
        ],
    );
    thread::sleep(Duration::from_millis(300));
    let done = cap.stop();
    assert_eq!(done.code(), Some(0), "stderr:\n{}", done.stderr);
    let rows = done.rows();

    // Real link-layer addresses on every frame.
    for r in &rows {
        if r.has("ip.src", "10.99.0.2") || r.has("ipv6.src", "fd99::2") {
            assert_eq!(r.one("eth.src").as_deref(), Some(mac_b.as_str()), "{r:?}");
        }
        if r.has("ip.dst", "10.99.0.1") || r.has("ipv6.dst", "fd99::1") {
            assert_eq!(r.one("eth.dst").as_deref(), Some(mac_a.as_str()), "{r:?}");
        }
        if r.has("ip.src", "10.99.0.1") {
            assert_eq!(r.one("eth.src").as_deref(), Some(mac_a.as_str()), "{r:?}");
        }
    }
    // ARP: B asks for 10.99.0.1 (broadcast), A answers.
    let req = rows
        .iter()
        .find(|r| r.has("arp.opcode", "1") && r.has("arp.dst.proto_ipv4", "10.99.0.1"))
        .unwrap_or_else(|| panic!("no ARP request: {rows:#?}"));
    assert_eq!(req.one("eth.src").as_deref(), Some(mac_b.as_str()));
    assert_eq!(req.one("eth.dst").as_deref(), Some("ff:ff:ff:ff:ff:ff"));
    assert_eq!(req.one("arp.src.hw_mac").as_deref(), Some(mac_b.as_str()));
    let rep = rows
        .iter()
        .find(|r| r.has("arp.opcode", "2") && r.has("arp.src.proto_ipv4", "10.99.0.1"))
        .unwrap_or_else(|| panic!("no ARP reply: {rows:#?}"));
    assert_eq!(rep.one("arp.src.hw_mac").as_deref(), Some(mac_a.as_str()));
    // ICMP echo both ways, two each.
    let echo = |t: &str| rows.iter().filter(|r| r.has("icmp.type", t)).count();
    assert_eq!((echo("8"), echo("0")), (2, 2), "ICMP echo request/reply");
    // NDP for fd99::1, then ICMPv6 echo.
    assert!(
        rows.iter()
            .any(|r| r.has("icmpv6.type", "135") && r.has("ipv6.src", "fd99::2")),
        "no neighbour solicitation from fd99::2"
    );
    assert!(
        rows.iter().any(|r| r.has("icmpv6.type", "136")),
        "no neighbour advertisement"
    );
    let echo6 = |t: &str| rows.iter().filter(|r| r.has("icmpv6.type", t)).count();
    assert_eq!(
        (echo6("128"), echo6("129")),
        (2, 2),
        "ICMPv6 echo request/reply"
    );
    // The TCP connection, handshake first.
    let tcp: Vec<&Value> = rows
        .iter()
        .filter(|r| r.has("tcp.port", &tport.to_string()))
        .collect();
    let hs: Vec<u16> = tcp.iter().take(3).map(|r| flags(r)).collect();
    assert_eq!(hs, vec![0x0002, 0x0012, 0x0010], "TCP handshake: {tcp:#?}");
    assert!(tcp[0].has("ip.src", "10.99.0.2") && tcp[0].has("ip.dst", "10.99.0.1"));
    let data: u64 = tcp.iter().map(|r| num(r, "tcp.len")).sum();
    assert_eq!(data, 10, "ping\\n + pong\\n");
}

#[test]
fn write_file_matches_tcpdump_tshark_and_read() {
    require_root();
    let dir = TempDir::new();
    let f = dir.path("lo.pcap");
    let l = tcp_listener(V4);
    let p = l.local_addr().unwrap().port();
    let mut cap = Proc::spawn(&[
        "capture",
        "-i",
        "lo",
        "-f",
        &format!("tcp port {p}"),
        "-w",
        f.to_str().unwrap(),
        "--format",
        "jsonl",
        "--duration",
        "3",
    ]);
    cap.wait_ready();
    tcp_exchange(l, 70_000, 100); // more than one segment on lo (MSS 65483)
    let done = cap.wait(Duration::from_secs(15));
    assert_eq!(done.code(), Some(0), "stderr:\n{}", done.stderr);
    let rows = done.lines().len();
    assert!(rows >= 7, "{rows} rows");
    assert!(
        done.stderr.contains(&format!("wrote {}", f.display())),
        "{}",
        done.stderr
    );
    assert_eq!(tcpdump_count(&f), rows, "tcpdump -r count");
    assert_eq!(tshark_count(&f), rows, "tshark -r count");
    let out = run_out(
        layerscope().args(["read", "--format", "jsonl"]).arg(&f),
        Duration::from_secs(30),
    );
    assert!(
        out.status.success(),
        "layerscope read: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read_rows = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .count();
    assert_eq!(read_rows, rows, "layerscope read count");
}

#[test]
fn sigterm_and_sigint_stop_cleanly_with_complete_file() {
    require_root();
    for sig in ["TERM", "INT"] {
        let dir = TempDir::new();
        let f = dir.path("sig.pcap");
        let l = tcp_listener(V4);
        let p = l.local_addr().unwrap().port();
        let mut cap = Proc::spawn(&[
            "capture",
            "-i",
            "lo",
            "-f",
            &format!("tcp port {p}"),
            "-w",
            f.to_str().unwrap(),
            "--format",
            "jsonl",
        ]);
        cap.wait_ready();
        tcp_exchange(l, 2000, 2000);
        thread::sleep(Duration::from_millis(300));
        assert!(cap.running(), "capture without -c ended by itself");
        cap.signal(sig);
        let done = cap.wait(Duration::from_secs(10));
        assert_eq!(done.code(), Some(0), "SIG{sig}: stderr:\n{}", done.stderr);
        assert_no_panic(&done);
        let rows = done.lines().len();
        assert!(rows >= 6, "SIG{sig}: {rows} rows");
        assert_eq!(summary_count(&done.stderr), rows as u64, "SIG{sig}");
        assert!(
            done.stderr.contains("packets received by filter"),
            "{}",
            done.stderr
        );
        assert_eq!(
            tshark_count(&f),
            rows,
            "SIG{sig}: tshark count of the -w file"
        );
    }
}

/// The `capturing on` line is the readiness signal: a SIGTERM sent right
/// after it must already find the handler installed and the -w file open.
#[test]
fn sigterm_right_after_ready_line() {
    require_root();
    let dir = TempDir::new();
    let f = dir.path("early.pcap");
    let mut cap = Proc::spawn(&[
        "capture",
        "-i",
        "lo",
        "-f",
        "udp port 9",
        "-w",
        f.to_str().unwrap(),
    ]);
    cap.wait_ready();
    cap.signal("TERM");
    let done = cap.wait(Duration::from_secs(10));
    assert_eq!(done.code(), Some(0), "stderr:\n{}", done.stderr);
    assert!(done.stderr.contains("packets captured"), "{}", done.stderr);
    assert_eq!(tshark_count(&f), summary_count(&done.stderr) as usize);
}

fn uid_gid_of(user: &str) -> (u32, u32) {
    let u = sh(&["id", "-u", user]).trim().parse().unwrap();
    let g = sh(&["id", "-g", user]).trim().parse().unwrap();
    (u, g)
}

/// Runs a capture that drops privileges, checks /proc/PID/status while it
/// runs and the -w file's owner after it stops.
fn check_privilege_drop(extra: &[&str], env: &[(&str, &str)], uid: u32, gid: u32) {
    let dir = TempDir::new();
    std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o777)).unwrap();
    let f = dir.path("dropped.pcap");
    let l = tcp_listener(V4);
    let p = l.local_addr().unwrap().port();
    let mut c = layerscope();
    c.args([
        "capture",
        "-i",
        "lo",
        "-f",
        &format!("tcp port {p}"),
        "--format",
        "jsonl",
        "-w",
    ])
    .arg(&f)
    .args(extra)
    .envs(env.iter().copied());
    let mut cap = Proc::spawn_cmd(&mut c);
    let ready = cap.wait_ready();
    assert!(
        ready.contains(&format!("running as nobody (uid {uid}, gid {gid})")),
        "ready line: {ready}"
    );
    let status = std::fs::read_to_string(format!("/proc/{}/status", cap.pid)).unwrap();
    assert_eq!(status_ids(&status, "Uid:"), Some(vec![uid; 4]), "{status}");
    assert_eq!(status_ids(&status, "Gid:"), Some(vec![gid; 4]), "{status}");
    let groups = status.lines().find(|l| l.starts_with("Groups:")).unwrap();
    assert_eq!(
        groups.split_whitespace().skip(1).collect::<Vec<_>>(),
        vec![gid.to_string()]
    );
    let capeff = status.lines().find(|l| l.starts_with("CapEff:")).unwrap();
    assert!(
        capeff.ends_with("0000000000000000"),
        "capabilities left: {capeff}"
    );
    // Still capturing after the drop.
    tcp_exchange(l, 500, 500);
    thread::sleep(Duration::from_millis(300));
    let done = cap.stop();
    assert_eq!(done.code(), Some(0), "stderr:\n{}", done.stderr);
    assert!(done.lines().len() >= 6, "{}", done.stdout);
    assert_eq!(owner(&f), uid, "-w file owner");
    assert_eq!(tshark_count(&f), done.lines().len());
}

#[test]
fn drops_root_to_sudo_caller() {
    require_root();
    check_privilege_drop(
        &[],
        &[("SUDO_UID", "65534"), ("SUDO_GID", "65534")],
        65534,
        65534,
    );
}

#[test]
fn drops_root_to_user_flag() {
    require_root();
    let (uid, gid) = uid_gid_of("nobody");
    check_privilege_drop(&["-Z", "nobody"], &[], uid, gid);
}

#[test]
fn missing_privileges_exit_3_with_advice() {
    require_root();
    let dir = TempDir::new();
    let exe = common::bin_for_nobody(&dir);
    let out = run_out(
        Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--inh-caps=-all",
            ])
            .arg(&exe)
            .args(["capture", "-i", "lo", "-c", "1"])
            .env_remove("SUDO_UID")
            .env_remove("SUDO_GID")
            .env("RUST_BACKTRACE", "1"),
        Duration::from_secs(20),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "stderr:\n{err}");
    assert!(err.contains(" lo"), "interface not named:\n{err}");
    assert!(err.contains("sudo "), "no sudo advice:\n{err}");
    let setcap = format!("setcap cap_net_raw,cap_net_admin=eip {}", exe.display());
    assert!(err.contains(&setcap), "no '{setcap}':\n{err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "panic:\n{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn unknown_interface_exit_2() {
    require_root();
    let out = run_out(
        layerscope().args(["capture", "-i", "ls-nosuch0", "-c", "1"]),
        Duration::from_secs(20),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr:\n{err}");
    assert!(err.contains("no such interface: ls-nosuch0"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bad_bpf_exit_1() {
    require_root();
    let out = run_out(
        layerscope().args(["capture", "-i", "lo", "-f", "tcp port", "-c", "1"]),
        Duration::from_secs(20),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr:\n{err}");
    assert!(err.contains("invalid BPF filter 'tcp port'"), "{err}");
    assert!(!err.contains("capturing on"), "{err}");
}

#[test]
fn interface_deleted_mid_capture() {
    require_root();
    let ns = NsPair::new();
    let dir = TempDir::new();
    let f = dir.path("gone.pcap");
    let bin = common::bin();
    let mut cap = Proc::spawn_cmd(&mut NsPair::exec(
        &ns.a,
        &[
            bin.to_str().unwrap(),
            "capture",
            "-i",
            "veth0",
            "-f",
            "icmp or arp",
            "--format",
            "jsonl",
            "-w",
            f.to_str().unwrap(),
        ],
    ));
    cap.wait_ready();
    ns_run(
        &ns.b,
        &["ping", "-n", "-c", "2", "-i", "0.2", "-W", "2", "10.99.0.1"],
    );
    // Rows into a pipe: frames come in blocks the kernel hands over when
    // full or after a second (tcpdump's timeout). What it had not handed
    // over when the interface vanished is gone for any libpcap reader.
    thread::sleep(Duration::from_millis(1300));
    // Deleting one end of a veth pair deletes both.
    sh(&["ip", "-n", &ns.b, "link", "del", "veth1"]);
    let done = cap.wait(Duration::from_secs(10));
    assert!(
        done.status.is_some(),
        "still running after its interface was deleted"
    );
    assert_ne!(done.code(), Some(0), "stderr:\n{}", done.stderr);
    assert!(
        done.stderr.contains("capture on veth0 failed"),
        "{}",
        done.stderr
    );
    assert_no_panic(&done);
    let rows = done.lines().len();
    assert!(rows >= 4, "{rows} rows: {}", done.stdout);
    assert_eq!(summary_count(&done.stderr), rows as u64);
    assert_eq!(
        tshark_count(Path::new(&f)),
        rows,
        "the -w file keeps what was captured"
    );
}

#[test]
fn interfaces_lists_lo_and_any() {
    require_root();
    let out = run_out(layerscope().arg("interfaces"), Duration::from_secs(20));
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let lo = text
        .lines()
        .find(|l| l.contains(" lo "))
        .unwrap_or_else(|| panic!("no lo:\n{text}"));
    assert!(lo.contains("127.0.0.1/8"), "{lo}");
    assert!(text.lines().any(|l| l.contains(" any ")), "no any:\n{text}");
}

#[test]
fn interfaces_inside_namespace_show_veth() {
    require_root();
    let ns = NsPair::new();
    let mac = NsPair::mac(&ns.a, "veth0");
    let bin = common::bin();
    let text = ns_run(&ns.a, &[bin.to_str().unwrap(), "interfaces"]);
    let row = text
        .lines()
        .find(|l| l.contains(" veth0 "))
        .unwrap_or_else(|| panic!("no veth0:\n{text}"));
    assert!(
        row.contains(&mac),
        "MAC {mac} not on the veth0 row:\n{text}"
    );
    assert!(row.contains("10.99.0.1/24"), "{text}");
    assert!(text.contains("fd99::1/64"), "{text}");
    assert!(
        !text.contains("veth1"),
        "the peer lives in another namespace:\n{text}"
    );
}

/// Datagrams paced over several read ticks, with idle gaps between bursts:
/// every one sent reaches the rows and the -w file (no frame lost between a
/// read and the periodic wake-up).
#[test]
fn paced_datagrams_across_ticks_are_all_captured() {
    require_root();
    let dir = TempDir::new();
    let f = dir.path("paced.pcap");
    let rx = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let p = rx.local_addr().unwrap().port();
    let mut cap = Proc::spawn(&[
        "capture",
        "-i",
        "lo",
        "-f",
        &format!("udp dst port {p}"),
        "-w",
        f.to_str().unwrap(),
        "--format",
        "jsonl",
    ]);
    cap.wait_ready();
    let tx = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    const SENT: usize = 600;
    for i in 0..SENT {
        tx.send_to(&(i as u32).to_be_bytes(), ("127.0.0.1", p))
            .unwrap();
        // Bursts of 20, then a gap longer than a read tick.
        if i % 20 == 19 {
            thread::sleep(Duration::from_millis(130));
        } else {
            thread::sleep(Duration::from_micros(700));
        }
    }
    thread::sleep(Duration::from_millis(300));
    cap.signal("INT");
    let done = cap.wait(Duration::from_secs(10));
    assert_eq!(done.code(), Some(0), "stderr:\n{}", done.stderr);
    assert_no_panic(&done);
    assert_eq!(done.lines().len(), SENT, "rows");
    assert_eq!(summary_count(&done.stderr), SENT as u64, "{}", done.stderr);
    assert_eq!(tshark_count(&f), SENT, "tshark count of the -w file");
}

/// The largest VmRSS of `pid` seen while `until` is unset.
fn watch_rss(
    pid: u32,
    until: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> thread::JoinHandle<u64> {
    thread::spawn(move || {
        let mut peak = 0;
        while !until.load(std::sync::atomic::Ordering::Relaxed) {
            if let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
                if let Some(kb) = s
                    .lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                {
                    peak = peak.max(kb);
                }
            }
            thread::sleep(Duration::from_millis(20));
        }
        peak
    })
}

/// A decoder that cannot keep up (its output pipe is not read for a while)
/// under a flood far larger than the queue: the queue stops at its cap, the
/// capture says it is behind, the kernel drops the rest and counts it, and
/// every frame libpcap delivered is decoded and written.
#[test]
fn decoder_behind_a_flood_queues_to_the_cap_then_the_kernel_drops() {
    require_root();
    let dir = TempDir::new();
    let f = dir.path("flood.pcap");
    let rx = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let p = rx.local_addr().unwrap().port();
    let mut child = layerscope()
        .args([
            "capture",
            "-i",
            "lo",
            "-B",
            "4096",
            "-f",
            &format!("udp dst port {p}"),
            "-w",
            f.to_str().unwrap(),
            "--format",
            "jsonl",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (etx, erx) = std::sync::mpsc::channel::<String>();
    let err = child.stderr.take().unwrap();
    let errs = thread::spawn(move || {
        let mut all = String::new();
        for l in std::io::BufRead::lines(std::io::BufReader::new(err)).map_while(Result::ok) {
            all.push_str(&l);
            all.push('\n');
            let _ = etx.send(l);
        }
        all
    });
    let wait_for = |needle: &str, secs: u64| {
        let end = std::time::Instant::now() + Duration::from_secs(secs);
        while std::time::Instant::now() < end {
            if let Ok(l) = erx.recv_timeout(Duration::from_millis(100)) {
                if l.contains(needle) {
                    return true;
                }
            }
        }
        false
    };
    assert!(wait_for("capturing on", 10), "no ready line");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let rss = watch_rss(pid, stop.clone());
    // About 300 MB of frames: far past the 64 MiB queue and the 4 MiB ring,
    // so a queue without a cap would show in the RSS.
    let tx = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let payload = [0x5au8; 1000];
    const SENT: usize = 300_000;
    for _ in 0..SENT {
        let _ = tx.send_to(&payload, ("127.0.0.1", p));
    }
    let behind = wait_for("decoding is behind the capture", 15);
    // Now read the rows: the decoder catches up and the capture stops.
    let mut out = child.stdout.take().unwrap();
    let rows = thread::spawn(move || {
        let mut all = Vec::new();
        let _ = out.read_to_end(&mut all);
        all.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count()
    });
    thread::sleep(Duration::from_secs(2));
    sh(&["kill", "-INT", &pid.to_string()]);
    let status = child.wait().unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let peak_kib = rss.join().unwrap();
    let rows = rows.join().unwrap();
    let stderr = errs.join().unwrap();
    drop(rx);
    assert!(
        behind,
        "no notice that decoding was behind; stderr:\n{stderr}"
    );
    assert_eq!(status.code(), Some(0), "stderr:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let captured = summary_count(&stderr);
    let dropped: u64 = stderr
        .lines()
        .find_map(|l| l.strip_suffix(" packets dropped by kernel"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no kernel drop count:\n{stderr}"));
    assert!(
        dropped > 0,
        "a flood this size past a stalled decoder must overflow the ring:\n{stderr}"
    );
    assert!(captured < SENT as u64, "{stderr}");
    // Every frame libpcap delivered was decoded and written.
    assert_eq!(rows as u64, captured, "rows vs summary:\n{stderr}");
    assert_eq!(tcpdump_count(&f) as u64, captured, "the -w file vs summary");
    let line = stderr
        .lines()
        .find(|l| l.contains("decoding fell behind the capture: up to"))
        .unwrap_or_else(|| panic!("no queue depth in the summary:\n{stderr}"));
    let mib: f64 = line
        .split('(')
        .nth(1)
        .and_then(|s| s.split(" MiB").next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(mib > 32.0 && mib <= 64.5, "queue depth {mib} MiB: {line}");
    // The queue's 64 MiB, the 4 MiB ring and the process itself; an
    // uncapped queue would hold ~300 MB.
    assert!(
        peak_kib < 200 * 1024,
        "peak RSS {peak_kib} KiB; stderr:\n{stderr}"
    );
}
