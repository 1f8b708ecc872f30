//! `flows`, `stats` and `follow` on a live interface (`-i lo`): real TCP
//! and UDP traffic from std sockets to 127.0.0.1, checked against what the
//! test sent and against `layerscope flows` on a `tcpdump -w` capture of
//! the same traffic taken in parallel.
//!
//! These tests need root (they capture on lo). Traffic goes only to
//! loopback, and every loop and wait is bounded.

mod common;

use common::{
    arg, fixture, json_line, layerscope, ok_jsonl, require_root, run, run_out, Proc, TempDir,
};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, TcpListener, TcpStream, UdpSocket};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

/// One TCP connection with a known number of writes each way: the client
/// sends `writes` messages of `size` bytes (each waiting for the server's
/// echo, so each is its own segment), then both sides close.
fn tcp_echo(listener: TcpListener, writes: usize, size: usize) -> (u16, u16) {
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut buf = vec![0u8; size];
        for _ in 0..writes {
            s.read_exact(&mut buf).unwrap();
            s.write_all(&buf).unwrap();
        }
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty());
    });
    let mut c = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    c.set_nodelay(true).unwrap();
    let cport = c.local_addr().unwrap().port();
    let msg: Vec<u8> = (0..size).map(|i| b'a' + (i % 26) as u8).collect();
    let mut back = vec![0u8; size];
    for _ in 0..writes {
        c.write_all(&msg).unwrap();
        c.read_exact(&mut back).unwrap();
        assert_eq!(back, msg);
    }
    c.shutdown(Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    c.read_to_end(&mut rest).unwrap();
    drop(c);
    server.join().unwrap();
    (cport, addr.port())
}

/// `n` UDP requests of `req` bytes, each answered with `resp` bytes, from
/// one client socket; returns (client port, server port).
fn udp_exchange(server: UdpSocket, n: usize, req: usize, resp: usize) -> (u16, u16) {
    let saddr = server.local_addr().unwrap();
    let client = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    for s in [&client, &server] {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    }
    let mut buf = [0u8; 2048];
    for _ in 0..n {
        client.send_to(&vec![b'q'; req], saddr).unwrap();
        let (got, from) = server.recv_from(&mut buf).unwrap();
        assert_eq!(got, req);
        server.send_to(&vec![b'a'; resp], from).unwrap();
        let (got, _) = client.recv_from(&mut buf).unwrap();
        assert_eq!(got, resp);
    }
    (client.local_addr().unwrap().port(), saddr.port())
}

/// Frame length on lo (Ethernet header with zero MACs + IPv4 + UDP).
fn udp_frame_len(payload: usize) -> u64 {
    (14 + 20 + 8 + payload) as u64
}

/// A tcpdump -w of `filter` on lo, ready when it returns.
fn tcpdump(dir: &TempDir, filter: &str) -> (Proc, std::path::PathBuf) {
    let f = dir.path("ref.pcap");
    let mut p = Proc::spawn_cmd(
        Command::new("tcpdump")
            .args(["-i", "lo", "-U", "-n", "-B", "32768"])
            .args(["--time-stamp-precision=nano", "-w"])
            .arg(&f)
            .arg(filter),
    );
    p.wait_for_stderr("listening on", Duration::from_secs(20));
    (p, f)
}

/// `layerscope flows FILE --format jsonl` on the reference capture.
fn flows_of_file(f: &std::path::Path) -> Vec<Value> {
    ok_jsonl(&run(&[
        "flows",
        "--format",
        "jsonl",
        "--no-progress",
        arg(f),
    ]))
}

fn key(v: &Value) -> (String, u64) {
    (
        v["transport"].as_str().unwrap_or("?").to_string(),
        v["sport"].as_u64().unwrap_or(0),
    )
}

#[test]
fn jsonl_closed_tcp_line_arrives_during_capture_then_open_ones_at_exit() {
    require_root();
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let tp = l.local_addr().unwrap().port();
    let us = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let up = us.local_addr().unwrap().port();
    let filter = format!("tcp port {tp} or udp port {up}");
    let dir = TempDir::new();
    let (dump, reference) = tcpdump(&dir, &filter);
    let mut live = Proc::spawn(&[
        "flows",
        "-i",
        "lo",
        "-f",
        &filter,
        "--duration",
        "8",
        "--format",
        "jsonl",
    ]);
    let started = Instant::now();
    assert!(live.wait_ready().contains("capturing on lo"));
    let (cport, sport) = tcp_echo(l, 3, 100);
    let (ucport, usport) = udp_exchange(us, 2, 30, 70);

    // The closed TCP conversation is written while the capture runs.
    let (at, first) = live
        .next_line(Duration::from_secs(6))
        .expect("no line for the closed TCP connection within 6 s");
    assert!(live.running(), "the line came only at exit");
    assert!(
        at.duration_since(started) < Duration::from_secs(7),
        "too late"
    );
    let tcp = json_line(&first);
    assert_eq!(tcp["transport"], "TCP");
    assert_eq!(tcp["state"], "closed");
    assert_eq!(tcp["evicted"], false);
    assert_eq!(
        (tcp["src"].as_str(), tcp["sport"].as_u64()),
        (Some("127.0.0.1"), Some(cport as u64))
    );
    assert_eq!(
        (tcp["dst"].as_str(), tcp["dport"].as_u64()),
        (Some("127.0.0.1"), Some(sport as u64))
    );
    // Handshake, 3 writes and 3 echoes, a FIN each way and their ACKs at
    // least; on lo every data segment carries its write whole.
    assert!(tcp["packets"].as_u64().unwrap() >= 3 + 6 + 2, "{tcp}");
    let done = live.wait(Duration::from_secs(15));
    let (code, rest, stderr) = (done.code(), done.rest(), done.stderr.clone());
    assert_eq!(code, Some(0), "stderr:\n{stderr}");
    // The 32 MiB default ring holds the whole burst.
    assert!(stderr.contains("\n0 packets dropped by kernel"), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
    // The UDP conversation never closes: it comes at exit, exact.
    assert_eq!(rest.len(), 1, "{rest:#?}");
    let udp = json_line(&rest[0]);
    assert_eq!(udp["transport"], "UDP", "first line {tcp}; at exit {udp}");
    assert_eq!(
        (
            udp["sport"].as_u64(),
            udp["dport"].as_u64(),
            udp["packets_ab"].as_u64(),
            udp["bytes_ab"].as_u64(),
            udp["packets_ba"].as_u64(),
            udp["bytes_ba"].as_u64(),
        ),
        (
            Some(ucport as u64),
            Some(usport as u64),
            Some(2),
            Some(2 * udp_frame_len(30)),
            Some(2),
            Some(2 * udp_frame_len(70)),
        ),
        "stderr:\n{stderr}"
    );
    assert_eq!(udp["state"], Value::Null);

    // The same rows as `flows` on tcpdump's capture of the same traffic.
    dump.signal("INT");
    let d = dump.wait(Duration::from_secs(10));
    assert_eq!(d.code(), Some(0), "tcpdump: {}", d.stderr);
    // Two capture handles stamp the same packet a few µs apart: timing
    // fields differ, nothing else.
    let untimed = |mut v: Vec<Value>| {
        v.sort_by_key(key);
        for r in &mut v {
            if let Some(o) = r.as_object_mut() {
                for k in ["start", "rel_start", "duration"] {
                    o.remove(k);
                }
            }
        }
        v
    };
    assert_eq!(untimed(vec![tcp, udp]), untimed(flows_of_file(&reference)));
}

#[test]
fn table_on_sigint_without_refresh_when_stdout_is_a_pipe() {
    require_root();
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let tp = l.local_addr().unwrap().port();
    let filter = format!("tcp port {tp}");
    let dir = TempDir::new();
    let (dump, reference) = tcpdump(&dir, &filter);
    let mut live = Proc::spawn(&["flows", "-i", "lo", "-f", &filter]);
    live.wait_ready();
    let (cport, sport) = tcp_echo(l, 2, 10);
    thread::sleep(Duration::from_millis(1500));
    assert!(live.running(), "stopped by itself");
    // Nothing before the end: the table comes once, on exit.
    assert!(live.next_line(Duration::from_millis(10)).is_none());
    live.signal("INT");
    let done = live.wait(Duration::from_secs(10));
    let (code, lines, stderr) = (done.code(), done.rest(), done.stderr.clone());
    assert_eq!(code, Some(0), "stderr:\n{stderr}");
    let text = lines.join("\n");
    assert!(!text.contains('\x1b'), "escape codes on a pipe:\n{text}");
    assert_eq!(lines.last().map(String::as_str), Some("1 conversations"));
    let row = lines
        .iter()
        .find(|l| l.contains(&format!("127.0.0.1:{cport}")))
        .unwrap_or_else(|| panic!("no row for the connection:\n{text}"));
    let cells: Vec<&str> = row
        .split('│')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    dump.signal("INT");
    dump.wait(Duration::from_secs(10));
    let want = flows_of_file(&reference);
    assert_eq!(want.len(), 1, "{want:#?}");
    let w = &want[0];
    let want_cells = [
        format!("tcp {}", w["tcp.stream"]),
        "TCP".to_string(),
        format!("127.0.0.1:{cport}"),
        format!("127.0.0.1:{sport}"),
        w["packets_ab"].to_string(),
        w["bytes_ab"].to_string(),
        w["packets_ba"].to_string(),
        w["bytes_ba"].to_string(),
    ];
    assert_eq!(&cells[..8], &want_cells[..], "{row}");
    assert_eq!(cells[10], "closed", "{row}");
}

#[test]
fn stats_live_with_count_and_user_drop() {
    require_root();
    let us = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let up = us.local_addr().unwrap().port();
    // -c 6: three request/answer pairs, then it stops by itself.
    let mut live = Proc::spawn(&[
        "stats",
        "-i",
        "lo",
        "-f",
        &format!("udp port {up}"),
        "-c",
        "6",
        "-Z",
        "nobody",
    ]);
    let ready = live.wait_ready();
    assert!(ready.contains("running as nobody"), "{ready}");
    udp_exchange(us, 3, 20, 40);
    let done = live.wait(Duration::from_secs(15));
    let (code, lines, stderr) = (done.code(), done.rest(), done.stderr.clone());
    assert_eq!(code, Some(0), "stderr:\n{stderr}");
    assert!(stderr.contains("6 packets captured"), "{stderr}");
    let bytes = 3 * (udp_frame_len(20) + udp_frame_len(40));
    let text = lines.join("\n");
    for (name, depth) in [("eth", 0), ("ip", 1), ("udp", 2), ("data", 3)] {
        let label = format!("{}{name}", "  ".repeat(depth));
        let want = format!("{label:<40} frames:6 bytes:{bytes}");
        assert!(lines.contains(&want), "no '{want}' in:\n{text}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&format!("│ {up}/udp ")) && l.contains(&format!(" {bytes} │"))),
        "no port row for {up}/udp:\n{text}"
    );
}

#[test]
fn follow_live_prints_the_stream_on_exit() {
    require_root();
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let tp = l.local_addr().unwrap().port();
    let mut live = Proc::spawn(&[
        "follow",
        "-i",
        "lo",
        "-f",
        &format!("tcp port {tp}"),
        "--stream",
        "0",
        "--duration",
        "3",
    ]);
    live.wait_ready();
    let (cport, sport) = tcp_echo(l, 2, 5);
    let done = live.wait(Duration::from_secs(15));
    let (code, lines, stderr) = (done.code(), done.rest(), done.stderr.clone());
    assert_eq!(code, Some(0), "stderr:\n{stderr}");
    let want: Vec<String> = [
        "",
        "===================================================================",
        "Follow: tcp,ascii",
        "Filter: tcp.stream eq 0",
        &format!("Node 0: 127.0.0.1:{cport}"),
        &format!("Node 1: 127.0.0.1:{sport}"),
        "5",
        "abcde",
        "\t5",
        "abcde",
        "5",
        "abcde",
        "\t5",
        "abcde",
        "===================================================================",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(lines, want);
}

#[test]
fn missing_privileges_exit_3_with_advice() {
    require_root();
    let dir = TempDir::new();
    let exe = common::bin_for_nobody(&dir);
    for cmd in [
        &["flows", "-i", "lo", "-c", "1"][..],
        &["stats", "-i", "lo", "-c", "1"],
        &["follow", "-i", "lo", "-c", "1", "--stream", "0"],
    ] {
        let out = run_out(
            Command::new("setpriv")
                .args([
                    "--reuid=65534",
                    "--regid=65534",
                    "--clear-groups",
                    "--inh-caps=-all",
                ])
                .arg(&exe)
                .args(cmd)
                .env_remove("SUDO_UID")
                .env_remove("SUDO_GID")
                .env("RUST_BACKTRACE", "1"),
            Duration::from_secs(20),
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{cmd:?} stderr:\n{err}");
        assert!(err.contains("no permission to capture on lo"), "{err}");
        assert!(err.contains("sudo "), "no sudo advice:\n{err}");
        let setcap = format!("setcap cap_net_raw,cap_net_admin=eip {}", exe.display());
        assert!(err.contains(&setcap), "no '{setcap}':\n{err}");
        assert!(!err.contains("panicked"), "panic:\n{err}");
        assert!(out.stdout.is_empty(), "{cmd:?}");
    }
}

#[test]
fn usage_errors() {
    let f = fixture("eth_ipv4_tcp.pcap");
    for (args, needle) in [
        (vec!["flows", "-i", "lo", arg(&f)], "cannot be used with"),
        (vec!["stats"], "required"),
        (vec!["flows", "--duration", "1", arg(&f)], "live capture"),
        (
            vec!["follow", "--stream", "0", "-i", "lo", "--duration", "0"],
            "--duration",
        ),
    ] {
        let out = run_out(layerscope().args(&args), Duration::from_secs(20));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn idle_udp_closes_by_the_wall_clock_while_nothing_arrives() {
    require_root();
    let us = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let up = us.local_addr().unwrap().port();
    let mut live = Proc::spawn(&[
        "flows",
        "-i",
        "lo",
        "-f",
        &format!("udp port {up}"),
        "--format",
        "jsonl",
        "--idle-timeout",
        "1",
        "--duration",
        "8",
    ]);
    live.wait_ready();
    let (cport, _) = udp_exchange(us, 1, 10, 10);
    // No packet after the exchange: only the wall-clock tick can close it.
    let (_, l) = live
        .next_line(Duration::from_secs(5))
        .expect("idle conversation not closed within 5 s");
    assert!(live.running());
    let r = json_line(&l);
    assert_eq!(r["sport"].as_u64(), Some(cport as u64), "{r}");
    assert_eq!(
        (r["packets"].as_u64(), r["evicted"].as_bool()),
        (Some(2), Some(true))
    );
    live.signal("TERM");
    let done = live.wait(Duration::from_secs(10));
    let (code, rest, stderr) = (done.code(), done.rest(), done.stderr.clone());
    assert_eq!(code, Some(0), "{stderr}");
    assert!(rest.is_empty(), "{rest:#?}");
    assert!(stderr.contains("1 conversations closed early"), "{stderr}");
}

/// On a terminal (`script` gives it one) the view is redrawn in place on
/// the alternate screen; the full table follows on the normal screen.
#[test]
fn terminal_view_refreshes_then_prints_the_table() {
    require_root();
    let us = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let up = us.local_addr().unwrap().port();
    let bin = common::bin();
    let cmd = format!(
        "stty rows 10 cols 200; exec {} flows -i lo -f 'udp port {up}' --duration 3",
        bin.display()
    );
    let p = Proc::spawn_cmd(
        Command::new("script")
            .args(["-qefc", &cmd, "/dev/null"])
            .env_remove("SUDO_UID")
            .env_remove("SUDO_GID"),
    );
    thread::sleep(Duration::from_millis(800));
    let (cport, _) = udp_exchange(us, 2, 10, 10);
    let d = p.wait(Duration::from_secs(15));
    assert_eq!(d.code(), Some(0), "{}{}", d.stdout, d.stderr);
    let out = d.stdout;
    let (view, after) = out
        .split_once("\x1b[?1049l")
        .unwrap_or_else(|| panic!("no alternate screen: {out:?}"));
    assert!(view.contains("\x1b[?1049h"), "{view:?}");
    let frames = view.matches("\x1b[Hlayerscope flows on lo: ").count();
    assert!(frames >= 2, "{frames} redraws: {view:?}");
    assert!(
        view.contains("4 packets, 1 conversations (1 active, 0 ended or idle)"),
        "{view:?}"
    );
    // Each line of a frame fits the 10-line terminal.
    let last = view.rsplit("\x1b[H").next().unwrap_or("");
    assert!(last.split("\r\n").count() <= 10, "{last:?}");
    assert!(!after.contains('\x1b'), "{after:?}");
    assert!(after.contains(&format!("127.0.0.1:{cport}")), "{after:?}");
    assert!(after.trim_end().ends_with("1 conversations"), "{after:?}");
}

/// One TCP connection from `src` (port 0: any) to `to`, which the server
/// closes first (so the client's port is free again at once); returns the
/// client's port.
fn server_closes(srv: &TcpListener, src: Ipv4Addr, port: u16) -> u16 {
    use socket2::{Domain, Socket, Type};
    let c = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    c.set_reuse_address(true).unwrap();
    c.bind(&std::net::SocketAddr::from((src, port)).into())
        .unwrap();
    c.connect_timeout(&srv.local_addr().unwrap().into(), Duration::from_secs(5))
        .unwrap();
    let mut c: TcpStream = c.into();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let (mut s, _) = srv.accept().unwrap();
    s.write_all(b"hello").unwrap();
    drop(s);
    let mut got = Vec::new();
    c.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"hello");
    c.local_addr().unwrap().port()
}

/// A client port used again (a new SYN, a new ISN) after other address
/// pairs opened streams: tshark gives the reuse a new `tcp.stream`, numbered
/// after theirs, and so must every worker of `--threads`, though the reuse
/// and the streams before it are decoded on different workers.
#[test]
fn reused_port_is_numbered_capture_wide_on_threads() {
    require_root();
    let srv = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let filter = format!("tcp port {}", srv.local_addr().unwrap().port());
    let dir = TempDir::new();
    let (dump, f) = tcpdump(&dir, &filter);
    let cport = server_closes(&srv, Ipv4Addr::LOCALHOST, 0);
    // Eight other address pairs: some land on other workers than the first.
    for i in 2..10 {
        server_closes(&srv, Ipv4Addr::new(127, 0, 0, i), 0);
    }
    thread::sleep(Duration::from_millis(100));
    server_closes(&srv, Ipv4Addr::LOCALHOST, cport);
    // Past tcpdump's 1 s block timeout: frames still in the kernel's open
    // block are lost to a stopping libpcap reader.
    thread::sleep(Duration::from_millis(1500));
    dump.signal("INT");
    dump.wait(Duration::from_secs(10));

    let want = common::tshark(&["-r", arg(&f), "-T", "fields", "-e", "tcp.stream"]);
    let want: Vec<&str> = want.lines().collect();
    // Ten streams: the reuse is the tenth, not a repeat of the first.
    assert_eq!(want.last().copied(), Some("9"), "{want:?}");
    for threads in ["1", "2", "4"] {
        let out = run(&[
            "read",
            "--no-progress",
            "--threads",
            threads,
            "-F",
            "csv",
            "-e",
            "tcp.stream",
            arg(&f),
        ]);
        assert!(out.status.success(), "{}", common::text(&out.stderr));
        let got = common::text(&out.stdout);
        let got: Vec<&str> = got.lines().skip(1).collect();
        assert_eq!(got, want, "--threads {threads}");
    }
}
