//! The sandbox on the real binary: what the kernel says about the running
//! process (/proc/PID/status), what a confined process is refused (the
//! hidden `--sandbox-selftest` opens /etc/shadow and spawns /bin/true), and
//! that capture files and ring buffers are still written, checked with
//! capinfos and tshark.
//!
//! These tests need root (live capture on lo, and /etc/shadow must be
//! readable without the sandbox for its refusal to mean something).

mod common;

use common::{fixture, layerscope, require_root, run_out, tshark_count, Proc, TempDir};
use std::io::Write;
use std::net::{Ipv4Addr, UdpSocket};
use std::process::Stdio;
use std::time::{Duration, Instant};

const SHADOW_REFUSED: &str = "sandbox selftest: open /etc/shadow: refused (Permission denied)";
const SPAWN_REFUSED: &str = "sandbox selftest: spawn /bin/true: refused (Operation not permitted)";

/// The `NoNewPrivs` and `Seccomp` values of /proc/PID/status.
fn confinement(pid: u32) -> (String, String) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |k: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(k))
            .unwrap_or_else(|| panic!("no {k} in /proc/{pid}/status:\n{status}"))
            .trim()
            .to_string()
    };
    (field("NoNewPrivs:"), field("Seccomp:"))
}

/// Sends `n` datagrams of `size` bytes to a fresh UDP port on 127.0.0.1.
fn udp_burst(server: &UdpSocket, n: usize, size: usize) {
    let c = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    for _ in 0..n {
        c.send_to(&vec![b'x'; size], server.local_addr().unwrap())
            .unwrap();
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn capinfos_count(path: &std::path::Path) -> u64 {
    let out = run_out(
        std::process::Command::new("capinfos").args(["-c", "-M", path.to_str().unwrap()]),
        Duration::from_secs(20),
    );
    assert!(
        out.status.success(),
        "capinfos {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Number of packets:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no packet count from capinfos {}", path.display()))
}

#[test]
fn capture_is_confined_before_the_first_frame() {
    require_root();
    let server = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = server.local_addr().unwrap().port();
    let mut cap = Proc::spawn(&[
        "capture",
        "-i",
        "lo",
        "-f",
        &format!("udp port {port}"),
        "--format",
        "jsonl",
        "-c",
        "3",
        "--sandbox-selftest",
    ]);
    cap.wait_ready();
    assert_eq!(
        confinement(cap.pid),
        ("1".to_string(), "2".to_string()),
        "NoNewPrivs and Seccomp (2: filter) while capturing"
    );
    let err = cap.stderr_now();
    assert!(err.contains(SHADOW_REFUSED), "stderr:\n{err}");
    assert!(err.contains(SPAWN_REFUSED), "stderr:\n{err}");
    // Refused calls are errors, not a dead process: it goes on decoding.
    udp_burst(&server, 3, 40);
    let done = cap.wait(Duration::from_secs(15));
    assert_eq!(done.code(), Some(0), "stderr:\n{}", done.stderr);
    assert_eq!(done.rows().len(), 3, "stdout:\n{}", done.stdout);
    assert!(!done.stderr.contains("warning"), "{}", done.stderr);
}

#[test]
fn capture_without_sandbox_is_not_confined() {
    require_root();
    let mut cap = Proc::spawn(&[
        "capture",
        "-i",
        "lo",
        "-f",
        "udp port 9",
        "-q",
        "--no-sandbox",
        "--sandbox-selftest",
    ]);
    cap.wait_ready();
    assert_eq!(
        confinement(cap.pid),
        ("0".to_string(), "0".to_string()),
        "NoNewPrivs and Seccomp with --no-sandbox"
    );
    let done = cap.stop();
    assert_eq!(done.code(), Some(0), "stderr:\n{}", done.stderr);
    // As root and unconfined, both succeed: the refusals above are the sandbox's.
    assert!(
        done.stderr
            .contains("sandbox selftest: open /etc/shadow: allowed (opened)"),
        "{}",
        done.stderr
    );
    assert!(
        done.stderr
            .contains("sandbox selftest: spawn /bin/true: allowed (exit status: 0)"),
        "{}",
        done.stderr
    );
}

#[test]
fn read_is_confined_before_reading_a_byte() {
    require_root();
    let mut child = layerscope()
        .args(["read", "-", "-F", "jsonl", "--sandbox-selftest"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Nothing written yet: it waits for the header, confined already.
    let end = Instant::now() + Duration::from_secs(10);
    let mut seen = confinement(child.id());
    while seen.1 != "2" && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(20));
        seen = confinement(child.id());
    }
    assert_eq!(seen, ("1".to_string(), "2".to_string()));
    let capture = std::fs::read(fixture("eth_ipv4_tcp.pcap")).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&capture).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains(SHADOW_REFUSED), "{err}");
    assert!(err.contains(SPAWN_REFUSED), "{err}");
    let rows = String::from_utf8_lossy(&out.stdout).lines().count() as u64;
    assert_eq!(
        rows,
        tshark_count(&fixture("eth_ipv4_tcp.pcap")) as u64,
        "every packet decoded"
    );
}

#[test]
fn read_without_sandbox_is_not_confined() {
    require_root();
    let out = run_out(
        layerscope().args([
            "read",
            fixture("udp.pcap").to_str().unwrap(),
            "--no-sandbox",
            "--sandbox-selftest",
        ]),
        Duration::from_secs(20),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("sandbox selftest: open /etc/shadow: allowed (opened)"),
        "{err}"
    );
    assert!(
        err.contains("sandbox selftest: spawn /bin/true: allowed (exit status: 0)"),
        "{err}"
    );
}

#[test]
fn read_writes_capture_files_confined() {
    let dir = TempDir::new();
    let input = fixture("eth_ipv4_tcp.pcap");
    for name in ["out.pcap", "out.pcapng"] {
        let out_path = dir.path(name);
        let out = run_out(
            layerscope().args([
                "read",
                input.to_str().unwrap(),
                "-w",
                out_path.to_str().unwrap(),
                "--sandbox-selftest",
            ]),
            Duration::from_secs(20),
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        assert!(err.contains(SHADOW_REFUSED), "{err}");
        assert_eq!(capinfos_count(&out_path), tshark_count(&input) as u64);
    }
}

#[test]
fn ring_buffer_capture_rotates_confined() {
    require_root();
    let dir = TempDir::new();
    let server = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = server.local_addr().unwrap().port();
    let base = dir.path("ring.pcap");
    // -C 0.001: a new file past 1000 bytes; -W 3: three files, reused.
    let mut cap = Proc::spawn(&[
        "capture",
        "-i",
        "lo",
        "-f",
        &format!("udp port {port}"),
        "-w",
        base.to_str().unwrap(),
        "-C",
        "0.001",
        "-W",
        "3",
        "-c",
        "40",
    ]);
    cap.wait_ready();
    assert_eq!(confinement(cap.pid), ("1".to_string(), "2".to_string()));
    udp_burst(&server, 40, 200);
    let done = cap.wait(Duration::from_secs(20));
    assert_eq!(done.code(), Some(0), "stderr:\n{}", done.stderr);
    let mut total = 0;
    for i in 0..3 {
        let f = dir.path(&format!("ring.pcap{i}"));
        assert!(
            f.exists(),
            "{} missing; stderr:\n{}",
            f.display(),
            done.stderr
        );
        let n = capinfos_count(&f);
        assert!(n > 0, "{} is empty", f.display());
        assert_eq!(n, tshark_count(&f) as u64, "{}", f.display());
        total += n;
    }
    // Each frame is 242 bytes: four fill a file past 1000 bytes, so the
    // ring went round and the oldest files were overwritten.
    assert!(total < 40, "{total} packets kept of 40");
}
