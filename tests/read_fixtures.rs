//! `layerscope read` on the project's own fixtures (fixtures/, written by
//! `examples/make_fixtures.rs`): what is behaviour rather than field values
//! (those are data, checked by tests/fixture_fields.rs): exit codes, errors
//! with byte offsets, the table's markers, `-c`, `-f`, `-e`, stdin, pipes and
//! several files.
//!
//! Expected values were printed by tshark 4.0.17 on the same file or counted
//! with tcpdump 4.99.3 / libpcap 1.10.3; none was taken from layerscope.

mod common;

use common::{arg, fixture, jsonl, ok_jsonl, run, run_stdin, text};
use serde_json::{json, Value};
use std::io::Write;
use std::process::Stdio;

/// `layerscope read --format table --color never ARGS...`: the packet rows
/// (lines that start with a frame number), which must succeed.
fn table_rows(args: &[&str]) -> Vec<String> {
    let mut all = vec!["read", "--format", "table", "--color", "never"];
    all.extend_from_slice(args);
    let out = run(&all);
    assert_eq!(out.status.code(), Some(0), "stderr:\n{}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|t| t.parse::<u64>().is_ok())
        })
        .map(str::to_string)
        .collect()
}

/// Checks every listed field of one packet and reports all mismatches at once.
fn expect(pkt: &Value, want: &[(&str, Value)]) {
    let bad: Vec<String> = want
        .iter()
        .filter(|(name, v)| pkt.get(*name) != Some(v))
        .map(|(name, v)| format!("  {name}: expected {v}, got {:?}", pkt.get(*name)))
        .collect();
    assert!(bad.is_empty(), "{}\nwhole packet: {pkt}", bad.join("\n"));
}

#[test]
fn table_marks_malformed_and_truncated_frames() {
    let r = table_rows(&[arg(&fixture("malformed.pcap"))]);
    assert_eq!(r.len(), 7, "{r:#?}");
    for (i, row) in r.iter().enumerate() {
        let tag = if i == 0 || i == 6 {
            "[truncated: "
        } else {
            "[malformed: "
        };
        assert!(row.contains(tag), "row {} lacks {tag:?}: {row}", i + 1);
    }
    for row in table_rows(&[arg(&fixture("eth_ipv4_tcp.pcap"))]) {
        assert!(
            !row.contains("[malformed: ") && !row.contains("[truncated: "),
            "{row}"
        );
    }
}

/// A frame of a link type with no decoder (LINKTYPE_USER0) says so in the
/// Info column; its neighbours do not.
#[test]
fn unsupported_link_type_is_named() {
    let r = table_rows(&[arg(&fixture("unsupported_linktype.pcapng"))]);
    assert_eq!(r.len(), 3, "{r:#?}");
    assert!(r[1].contains("unsupported link type 147"), "{}", r[1]);
    assert!(
        !r[0].contains("unsupported") && !r[2].contains("unsupported"),
        "{r:#?}"
    );
}

/// A file that ends inside a record, and one with an impossible record
/// length: the good packets come out first, then an error naming the file
/// and the byte offset, and exit code 2. tshark prints the same 3 packets
/// ("cut short in the middle of a packet" / "File has 4294967295-byte
/// packet, bigger than maximum of 262144").
#[test]
fn damaged_files_are_input_errors_after_the_good_packets() {
    for name in ["truncated_file.pcap", "corrupt.pcap"] {
        let out = run(&["read", "--format", "jsonl", arg(&fixture(name))]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: stderr:\n{err}");
        assert!(
            err.contains(name),
            "{name}: error does not name the file: {err}"
        );
        assert!(
            err.contains("byte offset"),
            "{name}: error has no byte offset: {err}"
        );
        let p = jsonl(&out.stdout);
        assert_eq!(p.len(), 3, "{name}");
        for (i, (len, id)) in [(50, "0x1101"), (50, "0x1102"), (47, "0x1103")]
            .into_iter()
            .enumerate()
        {
            expect(
                &p[i],
                &[
                    ("frame.number", json!(i + 1)),
                    ("frame.len", json!(len)),
                    ("ip.id", json!(id)),
                ],
            );
        }
    }
}

#[test]
fn missing_and_non_capture_files_are_input_errors() {
    let missing = fixture("no_such_file.pcap");
    let out = run(&["read", arg(&missing)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no_such_file.pcap"),
        "{}",
        text(&out.stderr)
    );

    let readme = fixture("README.md");
    let out = run(&["read", "--format", "jsonl", arg(&readme)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("README.md"),
        "{}",
        text(&out.stderr)
    );
    assert!(jsonl(&out.stdout).is_empty());

    // An error in a later file still prints every packet of the earlier ones.
    let tcp = fixture("eth_ipv4_tcp.pcap");
    let out = run(&["read", "--format", "jsonl", arg(&tcp), arg(&missing)]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(jsonl(&out.stdout).len(), 12);
}

#[test]
fn count_stops_after_n_packets() {
    let tcp = fixture("eth_ipv4_tcp.pcap");
    let p = ok_jsonl(&run(&["read", "--format", "jsonl", "-c", "2", arg(&tcp)]));
    assert_eq!(p.len(), 2);
    expect(
        &p[1],
        &[("frame.number", json!(2)), ("tcp.flags", json!("0x0012"))],
    );
    assert_eq!(table_rows(&["-c", "2", arg(&tcp)]).len(), 2);
}

/// Packet counts printed by `tcpdump -nn -r FILE EXPR | wc -l`.
#[test]
fn bpf_filter_selects_what_tcpdump_selects() {
    let cases = [
        ("eth_ipv4_tcp.pcap", "tcp port 4242", 12),
        ("eth_ipv4_tcp.pcap", "tcp port 80", 0),
        ("eth_ipv4_tcp.pcap", "tcp[tcpflags] & tcp-syn != 0", 2),
        ("eth_ipv4_tcp.pcap", "src host 198.51.100.20", 5),
        // libpcap does not look past an 802.1Q tag unless told `vlan`.
        ("vlan.pcap", "udp", 0),
        ("vlan.pcap", "vlan and udp", 1),
        ("vlan.pcap", "vlan 100", 1),
        ("sll.pcap", "arp", 1),
        ("sll.pcap", "udp port 4242", 2),
        ("raw_ip.pcap", "ip6", 2),
        ("null_loopback.pcap", "ip6", 3),
        ("null_loopback.pcap", "ip", 1),
        ("arp.pcap", "arp[6:2] == 2", 2),
        ("icmp.pcap", "icmp[icmptype] == icmp-echo", 1),
        ("ipv4_options_frag.pcap", "ip[6:2] & 0x3fff != 0", 3),
        // libpcap follows the fragment header to the ICMPv6 next header.
        ("ipv6_ext.pcap", "icmp6", 2),
        ("udp.pcap", "udp and ip6", 1),
        ("malformed.pcap", "tcp", 3),
    ];
    for (name, expr, n) in cases {
        let out = run(&["read", "--format", "jsonl", "-f", expr, arg(&fixture(name))]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name} '{expr}': {}",
            text(&out.stderr)
        );
        assert_eq!(jsonl(&out.stdout).len(), n, "{name} '{expr}'");
    }
    let out = run(&[
        "read",
        "--format",
        "jsonl",
        "-f",
        "tcp[tcpflags] & tcp-syn != 0",
        arg(&fixture("eth_ipv4_tcp.pcap")),
    ]);
    let p = ok_jsonl(&out);
    expect(&p[0], &[("tcp.flags", json!("0x0002"))]);
    expect(&p[1], &[("tcp.flags", json!("0x0012"))]);
}

#[test]
fn stdin_gives_the_same_output_as_the_path() {
    for name in ["eth_ipv4_tcp.pcap", "big_endian.pcap", "multi_if.pcapng"] {
        let path = fixture(name);
        let by_path = run(&["read", "--format", "jsonl", arg(&path)]);
        let bytes = std::fs::read(&path).expect("read fixture");
        let by_stdin = run_stdin(&["read", "--format", "jsonl", "-"], &bytes);
        assert_eq!(
            by_path.status.code(),
            Some(0),
            "{name}: {}",
            text(&by_path.stderr)
        );
        assert_eq!(
            by_stdin.status.code(),
            Some(0),
            "{name}: {}",
            text(&by_stdin.stderr)
        );
        assert!(!by_path.stdout.is_empty(), "{name}");
        assert_eq!(text(&by_stdin.stdout), text(&by_path.stdout), "{name}");
    }
}

/// Frame numbers run on across files; values are tshark's for udp.pcap frame 1.
#[test]
fn several_files_are_numbered_on() {
    let p = ok_jsonl(&run(&[
        "read",
        "--format",
        "jsonl",
        arg(&fixture("eth_ipv4_tcp.pcap")),
        arg(&fixture("udp.pcap")),
    ]));
    assert_eq!(p.len(), 16);
    for (i, pkt) in p.iter().enumerate() {
        assert_eq!(pkt.get("frame.number"), Some(&json!(i + 1)), "{pkt}");
    }
    expect(
        &p[12],
        &[
            ("frame.len", json!(55)),
            ("frame.protocols", json!("eth:ethertype:ip:udp:data")),
            ("ip.id", json!("0x0d01")),
            ("udp.srcport", json!(12345)),
            ("udp.dstport", json!(4242)),
            ("udp.length", json!(21)),
        ],
    );
}

#[test]
fn field_list_limits_the_keys() {
    let p = ok_jsonl(&run(&[
        "read",
        "--format",
        "jsonl",
        "-c",
        "1",
        "-e",
        "frame.number",
        "-e",
        "ip.src",
        "-e",
        "tcp.flags",
        arg(&fixture("eth_ipv4_tcp.pcap")),
    ]));
    assert_eq!(p.len(), 1);
    let mut keys: Vec<&String> = p[0].as_object().expect("object").keys().collect();
    keys.sort();
    assert_eq!(keys, ["frame.number", "ip.src", "tcp.flags"]);
    expect(
        &p[0],
        &[
            ("frame.number", json!(1)),
            ("ip.src", json!("192.0.2.10")),
            ("tcp.flags", json!("0x0002")),
        ],
    );
}

#[test]
fn a_pipe_is_read_as_it_arrives_and_count_stops_without_eof() {
    // The writer keeps the pipe open after the capture, as `tcpdump -w -`
    // does: `-c 3` must print three packets and exit without waiting.
    let bytes = std::fs::read(fixture("live/http.pcap")).expect("read fixture");
    let mut child = common::layerscope()
        .args([
            "read",
            "--format",
            "csv",
            "-e",
            "frame.number",
            "-c",
            "3",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn layerscope");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(&bytes).expect("write capture");
    stdin.flush().expect("flush");
    let started = std::time::Instant::now();
    let mut status = None;
    while started.elapsed() < std::time::Duration::from_secs(10) {
        if let Some(s) = child.try_wait().expect("wait") {
            status = Some(s);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    drop(stdin);
    let Some(status) = status else {
        let _ = child.kill();
        panic!("read -c 3 - waited for the end of the pipe");
    };
    let out = child.wait_with_output().expect("output");
    assert_eq!(status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "frame.number\n1\n2\n3\n");
}
