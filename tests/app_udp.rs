//! DNS decoding of hand-made messages with compression loops and bad
//! pointers, which the recorded fixtures do not have. The field values of
//! the real dnsmasq/dhclient/dig captures in fixtures/live are data, checked
//! against tshark by tests/fixture_fields.rs.
//!
//! Every expected value was printed by tshark 4.0.17 on the same bytes
//! (`tshark -n -r FILE -T fields -E occurrence=a -e ...`).

mod common;

use common::{pcap, read_jsonl, Fields, TempDir};

/// A classic pcap of Ethernet/IPv4/UDP frames.
fn write_pcap(path: &std::path::Path, payloads: &[(u16, u16, Vec<u8>)]) {
    let mut frames = Vec::new();
    for (sp, dp, p) in payloads {
        let mut fr = vec![
            0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 8, 0,
        ];
        let ulen = 8 + p.len();
        let mut ip = vec![
            0x45, 0, 0, 0, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        ip[2..4].copy_from_slice(&((20 + ulen) as u16).to_be_bytes());
        let mut sum: u32 = ip
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]) as u32)
            .sum();
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        ip[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
        fr.extend_from_slice(&ip);
        fr.extend_from_slice(&sp.to_be_bytes());
        fr.extend_from_slice(&dp.to_be_bytes());
        fr.extend_from_slice(&(ulen as u16).to_be_bytes());
        fr.extend_from_slice(&[0, 0]);
        fr.extend_from_slice(p);
        frames.push(fr);
    }
    let recs: Vec<(u32, &[u8])> = frames
        .iter()
        .enumerate()
        .map(|(i, f)| (1000 + i as u32, f.as_slice()))
        .collect();
    std::fs::write(path, pcap(1, &recs)).unwrap();
}

#[test]
fn dns_compression_loops_and_bad_pointers() {
    // The corpus has no DNS message with a compression loop that reaches the
    // DNS layer (dns-zlip-1's UDP length leaves no payload), so the messages
    // are made here; tshark read the same bytes.
    let q = b"\x03www\x07example\x03com\x00\x00\x01\x00\x01";
    let mut self_loop = b"\x12\x34\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00".to_vec();
    self_loop.extend_from_slice(q);
    let ao = self_loop.len() as u16;
    self_loop.extend_from_slice(&(0xc000 | ao).to_be_bytes());
    self_loop.extend_from_slice(b"\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x01\x02\x03\x04");
    let hdr = b"\x43\x21\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00";
    let mut mutual = hdr.to_vec();
    mutual.extend_from_slice(b"\xc0\x0e\xc0\x0c\x00\x01\x00\x01");
    let mut out_of_range = hdr.to_vec();
    out_of_range.extend_from_slice(b"\x03abc\xc0\xff\x00\x01\x00\x01");
    let mut label_loop = hdr.to_vec();
    label_loop.extend_from_slice(b"\x01a\xc0\x0c\x00\x01\x00\x01");
    let dir = TempDir::new();
    let path = dir.path("loop.pcap");
    write_pcap(
        &path,
        &[
            (53, 1234, self_loop),
            (1234, 53, mutual),
            (1234, 53, out_of_range),
            (1234, 53, label_loop),
        ],
    );
    let frames = read_jsonl(&path, &[]);
    assert_eq!(frames.len(), 4);
    let looped = "<Name contains a pointer that loops>";
    assert_eq!(frames[0].joined("dns.qry.name"), "www.example.com");
    assert_eq!(frames[0].joined("dns.resp.name"), looped);
    assert_eq!(frames[0].joined("dns.a"), "1.2.3.4");
    assert_eq!(frames[1].joined("dns.qry.name"), looped);
    assert_eq!(frames[1].joined("dns.qry.name.len"), "36");
    assert_eq!(frames[1].joined("dns.count.labels"), "1");
    assert_eq!(frames[1].joined("dns.qry.type"), "49164");
    assert_eq!(frames[3].joined("dns.qry.name"), looped);
    // tshark reports loops as expert info, not as malformed.
    for i in [0, 1, 3] {
        assert!(frames[i].get("_ws.malformed").is_none(), "frame {}", i + 1);
    }
    // A pointer past the message: malformed, no query fields, header kept.
    assert_eq!(frames[2].joined("dns.id"), "0x4321");
    assert_eq!(frames[2].joined("dns.qry.name"), "");
    assert!(frames[2].get("_ws.malformed").is_some());
    assert_eq!(frames[2].joined("_ws.col.info"), "Standard query 0x4321");
}
