//! `flows` on a capture of 1,000,000 distinct socket pairs (issue 6): the
//! run finishes, every pair is a row, evictions past `--max-flows` are
//! counted on stderr, and peak memory with a small cap stays bounded.
//!
//! The capture is written byte by byte (Ethernet/IPv4, half UDP datagrams,
//! half TCP SYNs, one packet per pair, 1 µs apart so the idle timeout never
//! fires); checksums are left zero, which no part of `flows` checks.
//!
//! Peak RSS is the child's VmHWM in /proc, read once the first CSV line
//! arrives (rows are written after every packet has been counted, so the
//! high-water mark is reached by then) and again at the end of output.
#![cfg(target_os = "linux")]

mod common;

use common::{layerscope, TempDir};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;

const PAIRS: u32 = 1_000_000;

/// One pcap record: Ethernet, IPv4 from 10.0.0.0 + `i`, UDP (even `i`) or
/// a TCP SYN (odd `i`) to 192.0.2.1.
fn record(out: &mut Vec<u8>, i: u32) {
    let tcp = i % 2 == 1;
    let l4 = if tcp { 20 } else { 8 };
    let ip_len = 20 + l4;
    let frame_len = 14 + ip_len;
    let usec = i; // 1 µs apart: 1 s of capture time in all
    out.extend_from_slice(&(1_700_000_000 + usec / 1_000_000).to_le_bytes());
    out.extend_from_slice(&(usec % 1_000_000).to_le_bytes());
    out.extend_from_slice(&(frame_len as u32).to_le_bytes());
    out.extend_from_slice(&(frame_len as u32).to_le_bytes());
    // Ethernet
    out.extend_from_slice(&[0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00]);
    // IPv4
    let src = (10u32 << 24) | i;
    out.extend_from_slice(&[0x45, 0]);
    out.extend_from_slice(&(ip_len as u16).to_be_bytes());
    out.extend_from_slice(&[0, 0, 0x40, 0, 64, if tcp { 6 } else { 17 }, 0, 0]);
    out.extend_from_slice(&src.to_be_bytes());
    out.extend_from_slice(&[192, 0, 2, 1]);
    let sport = 1024 + (i % 60_000) as u16;
    out.extend_from_slice(&sport.to_be_bytes());
    if tcp {
        out.extend_from_slice(&80u16.to_be_bytes());
        out.extend_from_slice(&i.to_be_bytes()); // seq
        out.extend_from_slice(&[0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]);
    } else {
        out.extend_from_slice(&53u16.to_be_bytes());
        out.extend_from_slice(&8u16.to_be_bytes());
        out.extend_from_slice(&[0, 0]);
    }
}

fn write_capture(path: &Path) {
    let mut buf = common::pcap(1, &[]);
    buf.reserve(PAIRS as usize * 72);
    for i in 0..PAIRS {
        record(&mut buf, i);
    }
    std::fs::File::create(path)
        .and_then(|mut f| f.write_all(&buf))
        .expect("write capture");
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

struct Run {
    rows: u64,
    tcp_attempts: u64,
    udp: u64,
    stderr: String,
    peak_kib: u64,
}

fn run_flows(capture: &Path, extra: &[&str]) -> Run {
    let mut child = layerscope()
        .args(["flows", "--format", "csv", "--no-progress"])
        .args(extra)
        .arg(capture)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run layerscope");
    let pid = child.id();
    let mut err = child.stderr.take().expect("stderr");
    let err_thread = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let mut out = BufReader::with_capacity(1 << 20, child.stdout.take().expect("stdout"));
    let mut line = String::new();
    let (mut rows, mut tcp_attempts, mut udp, mut peak_kib) = (0, 0, 0, 0);
    let mut header = true;
    loop {
        line.clear();
        if out.read_line(&mut line).expect("read stdout") == 0 {
            break;
        }
        if header {
            header = false;
            peak_kib = peak_kib.max(vm_hwm_kib(pid).unwrap_or(0));
            continue;
        }
        rows += 1;
        let f: Vec<&str> = line.trim_end().split(',').collect();
        // stream,transport,app,src,sport,dst,dport,packets_ab,...,state,retransmissions,tcp.stream,udp.stream
        assert_eq!(f.len(), 17, "{line}");
        assert_eq!((f[7], f[9]), ("1", "0"), "{line}");
        match (f[1], f[13]) {
            ("TCP", "attempt") => tcp_attempts += 1,
            ("UDP", "") => udp += 1,
            _ => panic!("unexpected row {line}"),
        }
    }
    peak_kib = peak_kib.max(vm_hwm_kib(pid).unwrap_or(0));
    let status = child.wait().expect("wait");
    let stderr = err_thread.join().expect("stderr thread");
    assert!(status.success(), "{status}: {stderr}");
    Run {
        rows,
        tcp_attempts,
        udp,
        stderr,
        peak_kib,
    }
}

/// The count in "layerscope: flows: N conversations closed early ...".
fn evictions(stderr: &str) -> Option<u64> {
    let l = stderr
        .lines()
        .find(|l| l.contains("conversations closed early"))?;
    l.split("flows: ").nth(1)?.split(' ').next()?.parse().ok()
}

/// About 12 s in release; minutes unoptimised, so only release runs it.
#[test]
#[cfg_attr(debug_assertions, ignore = "slow unoptimised; run with --release")]
fn one_million_socket_pairs() {
    let dir = TempDir::new();
    let cap: PathBuf = dir.path("pairs.pcap");
    let t = std::time::Instant::now();
    write_capture(&cap);
    eprintln!("capture written in {:?}", t.elapsed());

    // Evictions close the least recently active conversations in batches;
    // with every pair seen once and (PAIRS - cap) a multiple of the batch,
    // the table ends full, so exactly PAIRS - cap are closed early.
    for (max, extra) in [
        (500_000u64, &[][..]),
        (10_000, &["--max-flows", "10000"][..]),
    ] {
        let t = std::time::Instant::now();
        let r = run_flows(&cap, extra);
        eprintln!(
            "max-flows {max}: {:?}, peak RSS {} MiB; stderr: {}",
            t.elapsed(),
            r.peak_kib / 1024,
            r.stderr.trim()
        );
        assert_eq!(
            r.rows,
            u64::from(PAIRS),
            "evicted pairs are rows of their own"
        );
        assert_eq!((r.tcp_attempts, r.udp), (500_000, 500_000));
        assert_eq!(
            evictions(&r.stderr),
            Some(u64::from(PAIRS) - max),
            "{}",
            r.stderr
        );
        assert!(
            r.stderr.contains(&format!("cap of {max} open")),
            "{}",
            r.stderr
        );
        eprintln!("--max-flows {max}: peak RSS {} MiB", r.peak_kib >> 10);
        if max == 10_000 {
            assert!(r.peak_kib > 0, "VmHWM not readable");
            assert!(
                r.peak_kib < PEAK_BOUND_KIB,
                "peak RSS {} KiB over the bound of {PEAK_BOUND_KIB} KiB",
                r.peak_kib
            );
        }
    }
}

/// Peak RSS bound for `--max-flows 10000`. Measured 443 MiB (release,
/// x86_64): open conversations and stream numbering stay under the cap, but
/// every finished row (~230 B, its opening frame included so rows keep one
/// order on any number of threads) is kept until the end to be merged and
/// ordered, and a million rows are the output itself. The default cap
/// (500,000) measured 587 MiB.
const PEAK_BOUND_KIB: u64 = 500 << 10;

/// Past the stream table's cap (500,000 held), on one thread and on two:
/// every pair is a new stream, numbered in capture order per protocol as
/// tshark numbers them (no cap there), though half were forgotten; the
/// workers' own numbers are made capture-wide by the merge, whose map
/// forgets what the workers forgot.
#[test]
#[cfg_attr(debug_assertions, ignore = "slow unoptimised; run with --release")]
fn stream_indices_past_the_cap_on_threads() {
    let dir = TempDir::new();
    let cap: PathBuf = dir.path("pairs.pcap");
    write_capture(&cap);
    let mut outs = Vec::new();
    for threads in ["1", "2"] {
        let out = layerscope()
            .args(["read", "--no-progress", "--threads", threads, "-F", "jsonl"])
            .args(["-e", "frame.number", "-e", "tcp.stream", "-e", "udp.stream"])
            .arg(&cap)
            .output()
            .expect("run layerscope");
        assert!(out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("forgot 500000 conversations"), "{err}");
        outs.push(out.stdout);
    }
    assert!(outs[0] == outs[1], "one thread and two differ");
    let text = String::from_utf8(outs.pop().unwrap()).unwrap();
    let mut n = 0u32;
    for (i, line) in text.lines().enumerate() {
        // Frame 2k+1 is pair 2k (UDP), frame 2k+2 pair 2k+1 (TCP).
        let (field, k) = if i % 2 == 0 {
            ("udp", i / 2)
        } else {
            ("tcp", i / 2)
        };
        let want = format!("{{\"frame.number\":{},\"{field}.stream\":{k}}}", i + 1);
        assert_eq!(line, want);
        n += 1;
    }
    assert_eq!(n, PAIRS);
}
