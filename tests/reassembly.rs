//! IP defragmentation and TCP reassembly on the project's fixtures, with
//! expected values from tshark 4.0.17 with reassembly on
//! (`tshark -o ip.defragment:TRUE`), and a generated adversarial capture
//! proving the caps bound memory.

mod common;

use common::{arg, fixture, pcap_record, run, run_out, shared_corpus, text, TempDir};
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// CSV rows (header dropped, quotes removed) for the given fields.
fn csv(file: &Path, extra: &[&str], fields: &[&str]) -> Vec<String> {
    let mut args = vec!["read", arg(file), "-F", "csv", "--color", "never"];
    args.extend_from_slice(extra);
    for f in fields {
        args.push("-e");
        args.push(f);
    }
    let out = run(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .skip(1)
        .map(|l| l.replace('"', ""))
        .collect()
}

#[test]
fn ipv4_three_fragments() {
    let rows = csv(
        &fixture("ipv4_options_frag.pcap"),
        &[],
        &[
            "frame.number",
            "frame.protocols",
            "ip.fragment",
            "ip.fragment.count",
            "ip.reassembled.length",
            "udp.length",
            "udp.stream",
        ],
    );
    assert_eq!(rows[1], "2,eth:ethertype:ip:data,,,,,");
    assert_eq!(rows[2], "3,eth:ethertype:ip:data,,,,,");
    assert_eq!(rows[3], "4,eth:ethertype:ip:udp:data,2,3,4,3,56,56,0");
}

#[test]
fn ipv4_overlapping_fragments_as_tshark() {
    let rows = csv(
        &shared_corpus("zeek/traces/ipv4/fragmented-1.pcap"),
        &[],
        &[
            "frame.number",
            "ip.fragment.count",
            "ip.reassembled.length",
            "udp.length",
        ],
    );
    assert_eq!(rows[2], "3,3,164,18");
}

#[test]
fn ipv6_two_fragments() {
    let rows = csv(
        &fixture("ipv6_ext.pcap"),
        &[],
        &[
            "frame.number",
            "frame.protocols",
            "ipv6.fragment",
            "ipv6.fragment.count",
            "ipv6.reassembled.length",
            "icmpv6.type",
        ],
    );
    assert_eq!(rows[2], "3,eth:ethertype:ipv6:ipv6.fraghdr:data,,,,");
    assert_eq!(
        rows[3],
        "4,eth:ethertype:ipv6:ipv6.fraghdr:icmpv6:data,3,4,2,40,128"
    );
}

#[test]
fn no_reassembly_leaves_fragments_alone() {
    let rows = csv(
        &fixture("ipv4_options_frag.pcap"),
        &["--no-reassembly"],
        &["frame.number", "frame.protocols", "ip.fragment.count"],
    );
    assert_eq!(rows[3], "4,eth:ethertype:ip:data,");
}

#[test]
fn http_response_over_two_segments() {
    let fields = [
        "frame.number",
        "tcp.len",
        "tcp.segment",
        "tcp.segment.count",
        "tcp.reassembled.length",
    ];
    let http = fixture("live/http.pcap");
    let rows = csv(&http, &[], &fields);
    // tshark: frame 8 completes the 239-byte response begun in frame 6.
    assert_eq!(rows[5], "6,162,,,");
    assert_eq!(rows[7], "8,77,6,8,2,239");
    // Every segment tshark reassembles, with the same frames and lengths.
    let ts = ["8,77,6,8,2,239"];
    for want in ts {
        assert!(rows.iter().any(|r| r == want), "{want}");
    }
    let table = run(&["read", arg(&http), "--color", "never"]);
    let t = text(&table.stdout);
    let row6 = t
        .lines()
        .find(|l| l.trim_start().starts_with("6 "))
        .unwrap();
    assert!(
        row6.ends_with("[TCP segment of a reassembled PDU]"),
        "{row6}"
    );
}

#[test]
fn tls_record_over_four_segments() {
    let rows = csv(
        &fixture("live/tls.pcap"),
        &[],
        &[
            "frame.number",
            "tcp.segment",
            "tcp.segment.count",
            "tcp.reassembled.length",
        ],
    );
    // tshark: frame 15 completes a 5256-byte record from frames 12-15.
    assert_eq!(rows[14], "15,12,13,14,15,4,5256");
}

#[test]
fn hex_dump_shows_reassembled_block() {
    let out = run(&[
        "read",
        arg(&fixture("live/http.pcap")),
        "-x",
        "-c",
        "8",
        "--color",
        "never",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(s.contains("Reassembled TCP (239 bytes):\n0000  48 54 54 50 2f 31 2e 31"));
}

// ---- adversarial capture: memory stays under the caps ----

fn eth_ip(proto: u8, id: u16, frag: u16, src: [u8; 4], dst: [u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8; 12];
    f.extend_from_slice(&[0x08, 0x00, 0x45, 0]);
    f.extend_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
    f.extend_from_slice(&id.to_be_bytes());
    f.extend_from_slice(&frag.to_be_bytes());
    f.extend_from_slice(&[64, proto, 0, 0]);
    f.extend_from_slice(&src);
    f.extend_from_slice(&dst);
    f.extend_from_slice(payload);
    f
}

/// 1,000,000 first fragments that never complete (distinct ids and
/// sources), then 10,000 TCP connections that each send 8000 bytes of an
/// HTTP request whose header never ends.
fn adversarial(path: &Path) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut w = common::pcap(1, &[]);
    let payload = [0x55u8; 24];
    for i in 0..1_000_000u32 {
        let src = [10, (i >> 16) as u8, (i >> 8) as u8, i as u8];
        let f = eth_ip(17, i as u16, 0x2000, src, [192, 0, 2, 1], &payload);
        pcap_record(&mut w, 1_000 + i / 100_000, &f);
        if w.len() > 1 << 20 {
            file.write_all(&w).unwrap();
            w.clear();
        }
    }
    let mut body = b"GET /".to_vec();
    body.resize(8000, b'a');
    for i in 0..10_000u32 {
        let mut tcp = Vec::with_capacity(20 + body.len());
        tcp.extend_from_slice(&(20_000 + (i % 40_000) as u16).to_be_bytes());
        tcp.extend_from_slice(&80u16.to_be_bytes());
        tcp.extend_from_slice(&1000u32.to_be_bytes());
        tcp.extend_from_slice(&1u32.to_be_bytes());
        tcp.extend_from_slice(&[0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
        tcp.extend_from_slice(&body);
        let src = [172, 16, (i >> 8) as u8, i as u8];
        let f = eth_ip(6, 1, 0x4000, src, [192, 0, 2, 1], &tcp);
        pcap_record(&mut w, 1_010, &f);
        if w.len() > 1 << 20 {
            file.write_all(&w).unwrap();
            w.clear();
        }
    }
    file.write_all(&w).unwrap();
}

#[test]
fn adversarial_capture_stays_under_caps() {
    assert!(
        Path::new("/usr/bin/time").exists(),
        "this test measures peak memory with GNU time: install it (Debian package `time`)"
    );
    let dir = TempDir::new();
    let pcap = dir.path("adv.pcap");
    adversarial(&pcap);
    let rss = dir.path("rss");
    let mut cmd = Command::new("/usr/bin/time");
    cmd.arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&rss)
        .arg(common::bin())
        .arg("read")
        .arg(&pcap)
        .args(["--format", "csv", "-e", "frame.number"])
        .arg("--max-fragments-bytes")
        .arg((8u32 << 20).to_string())
        .arg("--reassembly-max-bytes")
        .arg((16u32 << 20).to_string());
    let out = run_out(&mut cmd, Duration::from_secs(300));
    let peak_kb: u64 = std::fs::read_to_string(&rss)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let err = text(&out.stderr);
    eprintln!("peak RSS {peak_kb} KiB; stderr: {err}");
    assert!(out.status.success(), "{err}");
    assert!(err.contains("layerscope: reassembly: evicted"), "{err}");
    assert!(err.contains("TCP stream"), "{err}");
    assert!(err.contains("incomplete IP datagrams"), "{err}");
    // Caps of 8 + 16 MiB; without them the run holds ~80 MB of TCP data
    // and ~250 MB of fragment state.
    assert!(peak_kb < 100 * 1024, "peak RSS {peak_kb} KiB");
}
