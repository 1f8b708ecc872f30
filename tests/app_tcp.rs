//! Application protocols over TCP that the recorded fixtures cannot show.
//! The field values of fixtures/live (HTTP, TLS, FTP, Telnet, with and
//! without reassembly) are data, checked against tshark by
//! tests/fixture_fields.rs.

mod common;

use common::{pcap, read_jsonl, TempDir};

/// HTTP on port 9999 is recognised by content. The frame is built here (the
/// values are the bytes' own; tshark leaves port 9999 undecoded).
#[test]
fn http_on_odd_port() {
    let payload = b"GET /x HTTP/1.0\r\nHost: odd.test\r\n\r\n";
    let mut frame = Vec::new();
    etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .tcp(40000, 9999, 1, 1000)
        .write(&mut frame, payload)
        .unwrap();
    let dir = TempDir::new();
    let path = dir.path("odd.pcap");
    std::fs::write(&path, pcap(1, &[(1, &frame)])).unwrap();
    let p = read_jsonl(&path, &["--no-reassembly"]);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0]["frame.protocols"], "eth:ethertype:ip:tcp:http");
    assert_eq!(p[0]["http.request.method"], "GET");
    assert_eq!(p[0]["http.request.uri"], "/x");
    assert_eq!(p[0]["http.host"], "odd.test");
}
