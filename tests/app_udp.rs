//! DNS and DHCP decoding end to end: the `layerscope` binary over the real
//! dnsmasq/dhclient/dig captures in fixtures/live, and over hand-made DNS
//! messages with compression loops and bad pointers.
//!
//! Every expected value was printed by tshark 4.0.17 on the same file
//! (`tshark -n -r FILE -T fields -E occurrence=a -e ...`).

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn fixture(name: &str) -> String {
    let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), "fixtures", "live", name]
        .iter()
        .collect();
    p.to_string_lossy().into_owned()
}

/// One JSON object per frame.
fn read(path: &str) -> Vec<Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_layerscope"))
        .args(["read", "--format", "jsonl", path])
        .output()
        .expect("run layerscope");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("jsonl"))
        .collect()
}

/// Every value of `name` in a frame, as text, joined by commas (tshark -E occurrence=a).
fn get(f: &Value, name: &str) -> String {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match f.get(name) {
        None => String::new(),
        Some(Value::Array(a)) => a.iter().map(text).collect::<Vec<_>>().join(","),
        Some(v) => text(v),
    }
}

/// `name` over the frames that carry `proto`, as "frame|value" lines.
fn column(frames: &[Value], proto: &str, names: &[&str]) -> Vec<String> {
    frames
        .iter()
        .filter(|f| get(f, "frame.protocols").split(':').any(|p| p == proto))
        .map(|f| {
            let mut v = vec![get(f, "frame.number")];
            v.extend(names.iter().map(|n| get(f, n)));
            v.join("|")
        })
        .collect()
}

#[test]
fn dhcp_fixture_matches_tshark() {
    let frames = read(&fixture("dhcp.pcap"));
    let got = column(
        &frames,
        "dhcp",
        &[
            "dhcp.option.dhcp",
            "dhcp.id",
            "dhcp.ip.your",
            "dhcp.option.ip_address_lease_time",
            "dhcp.hw.mac_addr",
            "dhcp.option.dhcp_server_id",
        ],
    );
    let want = [
        "1|1|0x134c9859|0.0.0.0||76:44:7b:51:86:90|",
        "5|1|0x134c9859|0.0.0.0||76:44:7b:51:86:90|",
        "7|2|0x134c9859|10.99.0.107|3600|76:44:7b:51:86:90|10.99.0.1",
        "8|2|0x134c9859|10.99.0.107|3600|76:44:7b:51:86:90|10.99.0.1",
        "9|3|0x134c9859|0.0.0.0||76:44:7b:51:86:90|10.99.0.1",
        "10|5|0x134c9859|10.99.0.107|3600|76:44:7b:51:86:90|10.99.0.1",
        "13|7|0x366c5b05|0.0.0.0||76:44:7b:51:86:90|10.99.0.1",
    ];
    assert_eq!(got, want);
    let ack = &frames[9];
    assert_eq!(
        get(ack, "dhcp.option.type"),
        "53,54,51,58,59,1,28,15,12,6,3,0"
    );
    assert_eq!(get(ack, "dhcp.option.subnet_mask"), "255.255.255.0");
    assert_eq!(get(ack, "dhcp.option.router"), "10.99.0.1");
    assert_eq!(get(ack, "dhcp.option.domain_name_server"), "10.99.0.1");
    assert_eq!(get(ack, "dhcp.option.hostname"), "vm");
    assert_eq!(get(ack, "dhcp.cookie"), "99.130.83.99");
    assert_eq!(
        get(ack, "_ws.col.info"),
        "DHCP ACK      - Transaction ID 0x134c9859"
    );
    assert_eq!(
        get(&frames[0], "dhcp.option.request_list_item"),
        "1,28,2,3,15,6,119,12,44,47,26,121,42"
    );
    assert!(frames.iter().all(|f| f.get("_ws.malformed").is_none()));
}

#[test]
fn dns_fixture_matches_tshark() {
    let frames = read(&fixture("dns.pcap"));
    let got = column(
        &frames,
        "dns",
        &[
            "dns.id",
            "dns.qry.name",
            "dns.qry.type",
            "dns.a",
            "dns.aaaa",
            "dns.mx.mail_exchange",
            "dns.txt",
            "dns.cname",
            "dns.ptr.domain_name",
            "dns.flags.rcode",
        ],
    );
    let want = [
        "1|0x0726|www.lab.test|1|||||||",
        "2|0x0726|www.lab.test|1|10.99.0.80||||||0",
        "3|0xcc81|www.lab.test|28|||||||",
        "4|0xcc81|www.lab.test|28||fd99::80|||||0",
        "5|0x1e23|lab.test|15|||||||",
        "6|0x1e23|lab.test|15|10.99.0.25||mail.lab.test||||0",
        "7|0xb5c8|lab.test|16|||||||",
        "8|0xb5c8|lab.test|16||||v=spf1 mx -all|||0",
        "9|0xe236|web.lab.test|5|||||||",
        "10|0xe236|web.lab.test|5|||||www.lab.test||0",
        "11|0xc259|web.lab.test|1|||||||",
        "12|0xc259|web.lab.test|1|10.99.0.80||||www.lab.test||0",
        "13|0x9af8|nosuch.lab.test|1|||||||",
        "14|0x9af8|nosuch.lab.test|1|||||||3",
        "15|0x59c5|80.0.99.10.in-addr.arpa|12|||||||",
        "16|0x59c5|80.0.99.10.in-addr.arpa|12||||||www.lab.test|0",
        "17|0xf1cd|1.0.99.10.in-addr.arpa|12|||||||",
        "18|0xf1cd|1.0.99.10.in-addr.arpa|12||||||gw.lab.test|0",
        "22|0xad0f|www.lab.test|1|||||||",
        "24|0xad0f|www.lab.test|1|10.99.0.80||||||0",
    ];
    assert_eq!(got, want);
    assert_eq!(get(&frames[5], "dns.mx.preference"), "10");
    assert_eq!(
        get(&frames[5], "_ws.col.info"),
        "Standard query response 0x1e23 MX lab.test MX 10 mail.lab.test A 10.99.0.25 OPT"
    );
    assert_eq!(
        get(&frames[13], "_ws.col.info"),
        "Standard query response 0x9af8 No such name A nosuch.lab.test OPT"
    );
    // DNS over TCP: the 2-byte length prefix.
    assert_eq!(get(&frames[21], "dns.length"), "53");
    assert_eq!(get(&frames[23], "dns.length"), "57");
    assert!(frames.iter().all(|f| f.get("_ws.malformed").is_none()));
}

/// A classic pcap of Ethernet/IPv4/UDP frames.
fn write_pcap(path: &std::path::Path, payloads: &[(u16, u16, Vec<u8>)]) {
    let mut f = vec![];
    f.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
    f.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    f.extend_from_slice(&65535u32.to_le_bytes());
    f.extend_from_slice(&1u32.to_le_bytes());
    for (i, (sp, dp, p)) in payloads.iter().enumerate() {
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
        f.extend_from_slice(&(1000 + i as u32).to_le_bytes());
        f.extend_from_slice(&0u32.to_le_bytes());
        f.extend_from_slice(&(fr.len() as u32).to_le_bytes());
        f.extend_from_slice(&(fr.len() as u32).to_le_bytes());
        f.extend_from_slice(&fr);
    }
    std::fs::write(path, f).unwrap();
}

#[test]
fn dns_compression_loops_and_bad_pointers() {
    // The corpus has no DNS message with a compression loop that reaches the
    // DNS layer (dns-zlip-1's UDP length leaves no payload), so the messages
    // are made here; /tmp/app1/loop.py wrote the same bytes for tshark.
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
    let dir = std::env::temp_dir().join(format!("layerscope-app-udp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("loop.pcap");
    write_pcap(
        &path,
        &[
            (53, 1234, self_loop),
            (1234, 53, mutual),
            (1234, 53, out_of_range),
            (1234, 53, label_loop),
        ],
    );
    let frames = read(path.to_str().unwrap());
    let _ = std::fs::remove_dir_all(&dir);
    let looped = "<Name contains a pointer that loops>";
    assert_eq!(get(&frames[0], "dns.qry.name"), "www.example.com");
    assert_eq!(get(&frames[0], "dns.resp.name"), looped);
    assert_eq!(get(&frames[0], "dns.a"), "1.2.3.4");
    assert_eq!(get(&frames[1], "dns.qry.name"), looped);
    assert_eq!(get(&frames[1], "dns.qry.name.len"), "36");
    assert_eq!(get(&frames[1], "dns.count.labels"), "1");
    assert_eq!(get(&frames[1], "dns.qry.type"), "49164");
    assert_eq!(get(&frames[3], "dns.qry.name"), looped);
    // tshark reports loops as expert info, not as malformed.
    for i in [0, 1, 3] {
        assert!(frames[i].get("_ws.malformed").is_none(), "frame {}", i + 1);
    }
    // A pointer past the message: malformed, no query fields, header kept.
    assert_eq!(get(&frames[2], "dns.id"), "0x4321");
    assert_eq!(get(&frames[2], "dns.qry.name"), "");
    assert!(frames[2].get("_ws.malformed").is_some());
    assert_eq!(get(&frames[2], "_ws.col.info"), "Standard query 0x4321");
}
