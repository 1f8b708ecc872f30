//! `layerscope flows` on the fixtures: exact conversation rows.
//!
//! Packets and bytes per direction come from tshark 4.0.17
//! (`tshark -q -z conv,tcp -z conv,udp -r FILE`; its "->" columns are A→B,
//! A being the sender of the first packet, "<-" are B→A), with exact byte
//! counts where tshark shows kB from `tshark -T fields -e tcp.stream -e
//! frame.len`. States and retransmissions were read from the tshark packet
//! list (SYN/FIN/RST flags, tcp.analysis.retransmission).

mod common;

use common::{arg, fixture, ok_jsonl, run, text};
use serde_json::Value;

/// `layerscope flows --format jsonl --no-progress ARGS...`, which must succeed.
fn flows(args: &[&str]) -> Vec<Value> {
    let mut all = vec!["flows", "--format", "jsonl", "--no-progress"];
    all.extend_from_slice(args);
    ok_jsonl(&run(&all))
}

/// (transport, stream, src:port, dst:port, pkts A→B, bytes A→B, pkts B→A, bytes B→A, state)
type Expect<'a> = (&'a str, u64, &'a str, &'a str, u64, u64, u64, u64, &'a str);

fn check(rows: &[Value], expect: &[Expect<'_>]) {
    assert_eq!(rows.len(), expect.len(), "{rows:#?}");
    for (r, e) in rows.iter().zip(expect) {
        let src = format!("{}:{}", r["src"].as_str().unwrap(), r["sport"]);
        let dst = format!("{}:{}", r["dst"].as_str().unwrap(), r["dport"]);
        let got = (
            r["transport"].as_str().unwrap(),
            r["stream"].as_u64().unwrap(),
            src.as_str(),
            dst.as_str(),
            r["packets_ab"].as_u64().unwrap(),
            r["bytes_ab"].as_u64().unwrap(),
            r["packets_ba"].as_u64().unwrap(),
            r["bytes_ba"].as_u64().unwrap(),
            r["state"].as_str().unwrap_or("-"),
        );
        assert_eq!(got, *e);
    }
}

#[test]
fn tcp_fixture_one_conversation() {
    let rows = flows(&[arg(&fixture("eth_ipv4_tcp.pcap"))]);
    check(
        &rows,
        &[(
            "TCP",
            0,
            "192.0.2.10:49152",
            "198.51.100.20:4242",
            7,
            499,
            5,
            418,
            "closed",
        )],
    );
    assert_eq!(rows[0]["retransmissions"], 1);
    assert_eq!(rows[0]["duration"].as_f64(), Some(0.011));
}

#[test]
fn http_four_connections() {
    let rows = flows(&[arg(&fixture("live/http.pcap"))]);
    let c = "10.99.0.1:80";
    check(
        &rows,
        &[
            ("TCP", 0, "10.99.0.2:45708", c, 7, 546, 5, 577, "closed"),
            (
                "TCP",
                1,
                "10.99.0.2:45710",
                c,
                22,
                1543,
                20,
                23894,
                "closed",
            ),
            ("TCP", 2, "10.99.0.2:45722", c, 7, 662, 5, 551, "closed"),
            ("TCP", 3, "10.99.0.2:45726", c, 13, 1032, 10, 1075, "closed"),
        ],
    );
    assert!(rows.iter().all(|r| r["app"] == "http"));
    assert_eq!(rows[1]["rel_start"].as_f64(), Some(0.018556038));
}

#[test]
fn dns_udp_and_tcp() {
    let rows = flows(&[arg(&fixture("live/dns.pcap"))]);
    let s = "10.99.0.1:53";
    check(
        &rows,
        &[
            ("UDP", 0, "10.99.0.2:48383", s, 1, 95, 1, 99, "-"),
            ("UDP", 1, "10.99.0.2:32899", s, 1, 95, 1, 111, "-"),
            ("UDP", 2, "10.99.0.2:60233", s, 1, 91, 1, 124, "-"),
            ("UDP", 3, "10.99.0.2:58845", s, 1, 91, 1, 106, "-"),
            ("UDP", 4, "10.99.0.2:55627", s, 1, 95, 1, 109, "-"),
            ("UDP", 5, "10.99.0.2:38072", s, 1, 95, 1, 125, "-"),
            ("UDP", 6, "10.99.0.2:60983", s, 1, 98, 1, 86, "-"),
            ("UDP", 7, "10.99.0.2:54932", s, 1, 106, 1, 120, "-"),
            ("UDP", 8, "10.99.0.2:42096", s, 1, 105, 1, 118, "-"),
            ("TCP", 0, "10.99.0.2:38143", s, 6, 459, 4, 331, "closed"),
        ],
    );
    assert!(rows.iter().all(|r| r["app"] == "dns"));
}

#[test]
fn sort_by_bytes_and_filter() {
    let rows = flows(&["--sort", "bytes", arg(&fixture("live/http.pcap"))]);
    let streams: Vec<u64> = rows.iter().map(|r| r["stream"].as_u64().unwrap()).collect();
    // Totals: 1123, 25437, 1213, 2107 bytes.
    assert_eq!(streams, [1, 3, 2, 0]);
    let rows = flows(&["-f", "port 45722", arg(&fixture("live/http.pcap"))]);
    assert_eq!(rows.len(), 1);
    // Stream indices count the packets that pass the filter.
    assert_eq!(rows[0]["stream"], 0);
    assert_eq!(rows[0]["sport"], 45722);
}

#[test]
fn icmp_and_arp_by_addresses() {
    // tshark -z conv,ip: 192.0.2.10 <-> 198.51.100.20 1 frame/74 bytes
    // A→B, 2/149 B→A; 192.0.2.1 -> 192.0.2.10 1/82. The ICMP error quoting
    // a UDP header is not a UDP conversation (tshark's conv,udp is empty).
    let rows = flows(&[arg(&fixture("icmp.pcap"))]);
    assert_eq!(rows.len(), 2);
    let got: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r["transport"].as_str().unwrap(),
                r["src"].as_str().unwrap(),
                r["dst"].as_str().unwrap(),
                r["packets_ab"].as_u64().unwrap(),
                r["bytes_ab"].as_u64().unwrap(),
                r["packets_ba"].as_u64().unwrap(),
                r["bytes_ba"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("ICMP", "192.0.2.10", "198.51.100.20", 1, 74, 2, 149),
            ("ICMP", "192.0.2.1", "192.0.2.10", 1, 82, 0, 0),
        ]
    );
    let rows = flows(&[arg(&fixture("arp.pcap"))]);
    assert!(rows.iter().all(|r| r["transport"] == "ARP"));
}

#[test]
fn cap_evicts_into_rows() {
    let out = run(&[
        "flows",
        "--format",
        "jsonl",
        "--no-progress",
        "--max-flows",
        "2",
        arg(&fixture("live/dns.pcap")),
    ]);
    let rows = ok_jsonl(&out);
    // Every conversation is still a row, with every packet counted.
    assert_eq!(rows.len(), 10);
    let pkts: u64 = rows.iter().map(|r| r["packets"].as_u64().unwrap()).sum();
    assert_eq!(pkts, 28);
    assert!(rows.iter().any(|r| r["evicted"] == true));
    assert!(text(&out.stderr).contains("closed early"));
}

fn stats(file: &str) -> String {
    let out = run(&["stats", "--no-progress", arg(&fixture(file))]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    String::from_utf8(out.stdout).expect("utf8")
}

#[test]
fn stats_protocol_hierarchy_as_tshark() {
    // `tshark -q -z io,phs -r fixtures/live/dns.pcap`, verbatim.
    let s = stats("live/dns.pcap");
    let expect = "\
eth                                      frames:28 bytes:2659
  ip                                     frames:28 bytes:2659
    udp                                  frames:18 bytes:1869
      dns                                frames:18 bytes:1869
    tcp                                  frames:10 bytes:790
      dns                                frames:2 bytes:246
";
    assert!(s.contains(expect), "{s}");
    // Ports and endpoints from the same conversations as `flows`.
    assert!(
        s.contains("│ 53/udp │ dns     │      18 │  1869 │           9 │"),
        "{s}"
    );
    assert!(
        s.contains("│ 53/tcp │ dns     │      10 │   790 │           1 │"),
        "{s}"
    );
    assert!(
        s.contains("│ 10.99.0.1 │      28 │  2659 │            10 │"),
        "{s}"
    );
    // tshark: eth 89/29880, ip, tcp 89/29880, http 10/2009 (its text-lines
    // and form children are not decoded by layerscope: `data` there).
    let s = stats("live/http.pcap");
    assert!(s.contains("    tcp                                  frames:89 bytes:29880\n      http                               frames:10 bytes:2009\n"), "{s}");
}

fn follow(args: &[&str]) -> Vec<u8> {
    let mut all = vec!["follow", "--color", "never"];
    all.extend_from_slice(args);
    let out = run(&all);
    assert!(out.status.success(), "{}", text(&out.stderr));
    out.stdout
}

/// Client and server byte totals from the chunk length lines of ascii mode
/// (server lines start with a tab), as tshark prints them.
fn byte_counts(text: &str) -> (usize, usize) {
    let mut c = (0, 0);
    // Split on '\n' only: the chunks' own '\r's count as bytes.
    let mut lines = text
        .split('\n')
        .skip_while(|l| !l.starts_with("Node 1:"))
        .skip(1);
    while let Some(l) = lines.next() {
        let (server, n) = match l.strip_prefix('\t') {
            Some(n) => (true, n),
            None => (false, l),
        };
        let Ok(n) = n.parse::<usize>() else { break };
        if server {
            c.1 += n;
        } else {
            c.0 += n;
        }
        // Skip the chunk's text: count bytes until n are consumed.
        let mut seen = 0;
        while seen < n {
            let Some(t) = lines.next() else { break };
            seen += t.len() + 1;
        }
        // The newline tshark adds after a chunk that ended in one.
        if seen == n {
            lines.next();
        }
    }
    c
}

#[test]
fn follow_http_streams_as_tshark() {
    // Client/server bytes per stream of `tshark -q -z follow,tcp,raw,N -r
    // fixtures/live/http.pcap`.
    let expect = [(76, 239), (83, 22566), (192, 213), (166, 407)];
    let http = fixture("live/http.pcap");
    let f = arg(&http);
    for (i, e) in expect.iter().enumerate() {
        let n = i.to_string();
        let raw = follow(&["--stream", &n, "--raw", f]);
        assert_eq!(raw.len(), e.0 + e.1, "stream {i}");
        let text = String::from_utf8(follow(&["--stream", &n, f])).unwrap();
        assert_eq!(byte_counts(&text), *e, "stream {i}");
    }
    // Stream 0 in full, as tshark prints it.
    let text = String::from_utf8(follow(&["--stream", "0", f])).unwrap();
    assert!(text.starts_with(
        "\n===================================================================\n\
         Follow: tcp,ascii\nFilter: tcp.stream eq 0\nNode 0: 10.99.0.2:45708\n\
         Node 1: 10.99.0.1:80\n76\nGET / HTTP/1.1\r\nHost: www.lab.test\r\n"
    ));
    assert!(text.ends_with(
        "\t77\n<html><head><title>lab</title></head><body>Hello from the lab.</body></html>\n\n\
         ===================================================================\n"
    ));
    // Hex mode, first line (tshark's `follow,tcp,hex,0`).
    let hex = String::from_utf8(follow(&["--stream", "0", "--hex", f])).unwrap();
    assert!(hex.contains(
        "\n00000000  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 31 0d 0a  GET / HT TP/1.1..\n"
    ));
    assert!(hex.contains("\t000000A0  0d 0a                                             ..\n"));
}

#[test]
fn follow_udp_stream() {
    // tshark -q -z follow,udp,raw,0 -r fixtures/live/dns.pcap: 53 + 57 bytes.
    let raw = follow(&[
        "--udp",
        "--stream",
        "0",
        "--raw",
        arg(&fixture("live/dns.pcap")),
    ]);
    assert_eq!(raw.len(), 53 + 57);
}

#[test]
fn follow_missing_stream_fails() {
    let out = run(&["follow", "--stream", "99", arg(&fixture("live/http.pcap"))]);
    assert!(!out.status.success());
}
