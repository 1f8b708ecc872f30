//! Tunnels decoded to the inner packet: VXLAN recorded between network
//! namespaces (fixtures/vxlan/vxlan.pcap, scripts/record_vxlan.sh), the
//! tunnel captures of ../shared/corpus-links, and a live VXLAN underlay.
//! Expected values come from tshark on the same bytes.

mod common;

use common::*;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

fn links(name: &str) -> PathBuf {
    root().join("../shared/corpus-links").join(name)
}

const CAPTURES: &[&str] = &[
    "vxlan.pcap",
    "nsh-over-vxlan-gpe.pcap",
    "geneve.pcap",
    "geneve-gcp.pcap",
    "gso-ipv4-vxlan-ipv4.pcap",
    "gso-ipv6-vxlan-ipv6.pcap",
    "gso-ipv4-geneve-ipv6.pcap",
    "gso-ipv6-geneve-ipv4.pcap",
    "erspan-type-i-1.pcap",
    "erspan-type-i-4.pcap",
    "erspan-type-ii-1.pcap",
    "erspan-type-ii-3.pcap",
    "erspan-type-iii-ft-0.pcap",
    "erspan-type-iii-ft-7.pcap",
    "erspan-type-iii-pb-1.pcap",
    "various_gre.pcap",
    "wccp_redirect_gre.pcap",
    "gre-heapoverflow-1.pcap",
    "gre-heapoverflow-2.pcap",
    "pppoe.pcap",
    "pppoes.pcap",
    "l2tp-avp-overflow.pcap",
    "mpls-over-udp.pcap",
];

/// Per frame, `-e` fields as tshark prints them (occurrences joined by commas).
fn tshark_rows(file: &std::path::Path, fields: &[&str]) -> Vec<Vec<String>> {
    let mut args = vec!["-r", arg(file), "-T", "fields", "-E", "occurrence=a"];
    for f in fields {
        args.extend(["-e", f]);
    }
    tshark(&args)
        .lines()
        .map(|l| l.split('\t').map(String::from).collect())
        .collect()
}

fn assert_same_fields(file: &std::path::Path, fields: &[&str]) {
    let ours = read_jsonl(file, &[]);
    let theirs = tshark_rows(file, fields);
    assert_eq!(ours.len(), theirs.len(), "{file:?}: frame count");
    for (i, (o, t)) in ours.iter().zip(&theirs).enumerate() {
        for (k, f) in fields.iter().enumerate() {
            assert_eq!(o.joined(f), t[k], "{file:?} frame {}: {f}", i + 1);
        }
    }
}

#[test]
fn recorded_vxlan_matches_tshark_through_every_layer() {
    let f = fixture("vxlan/vxlan.pcap");
    assert_same_fields(
        &f,
        &[
            "frame.protocols",
            "vxlan.vni",
            "vxlan.flags",
            "eth.src",
            "ip.src",
            "ip.dst",
            "ip.ttl",
            "udp.srcport",
            "udp.dstport",
            "udp.stream",
            "tcp.stream",
            "tcp.seq",
            "tcp.srcport",
            "icmp.type",
            "ipv6.src",
        ],
    );
    // The VNI the recording script gave the device.
    let rows = read_jsonl(&f, &[]);
    assert!(rows.iter().all(|r| r.has("vxlan.vni", "42")));
}

#[test]
fn corpus_tunnels_match_tshark_on_headers_and_streams() {
    for name in CAPTURES {
        assert_same_fields(
            &links(name),
            &[
                "ip.src",
                "ip.dst",
                "ipv6.src",
                "udp.stream",
                "tcp.stream",
                "tcp.srcport",
                "gre.proto",
                "gre.key",
                "erspan.spanid",
                "geneve.vni",
                "vxlan.vni",
                "pppoe.session_id",
                "l2tp.tunnel",
                "mpls.label",
            ],
        );
    }
}

#[test]
fn socket_pair_names_the_inner_conversation() {
    let out = run(&["read", arg(&fixture("vxlan/vxlan.pcap"))]);
    assert!(out.status.success());
    let t = text(&out.stdout);
    // tshark's inner TCP endpoints, read in the test.
    let rows = tshark_rows(
        &fixture("vxlan/vxlan.pcap"),
        &["tcp.srcport", "tcp.dstport", "ip.src", "ip.dst"],
    );
    let r = rows.iter().find(|r| !r[0].is_empty()).expect("a TCP frame");
    let inner_src = r[2].split(',').next_back().unwrap();
    let inner_dst = r[3].split(',').next_back().unwrap();
    let pair = format!("{inner_src}:{} → {inner_dst}:{}", r[0], r[1]);
    assert!(t.contains(&pair), "table lacks {pair}:\n{t}");
    let outer = r[2].split(',').next().unwrap();
    assert!(
        !t.contains(&format!("{outer}:")),
        "outer address in a socket pair"
    );
}

#[test]
fn filters_on_tunnel_fields_count_as_tshark() {
    for (file, filter) in [
        (fixture("vxlan/vxlan.pcap"), "vxlan.vni == 42"),
        (fixture("vxlan/vxlan.pcap"), "vxlan && tcp"),
        (fixture("vxlan/vxlan.pcap"), "ip.src == 10.97.0.1"),
        (fixture("vxlan/vxlan.pcap"), "ip.src == 10.98.0.1"),
        (links("geneve.pcap"), "geneve.vni == 10"),
        (links("various_gre.pcap"), "gre.key == 0x28"),
        (links("erspan-type-ii-3.pcap"), "erspan.spanid == 100"),
        (links("erspan-type-iii-ft-0.pcap"), "erspan.vlan == 20"),
        (links("pppoes.pcap"), "pppoe.session_id == 0x17"),
        (links("l2tp-avp-overflow.pcap"), "l2tp.tunnel == 560"),
        (links("mpls-over-udp.pcap"), "mpls && icmp"),
        (links("wccp_redirect_gre.pcap"), "gre.wccp.service_id == 89"),
    ] {
        let ours = read_jsonl(&file, &["-Y", filter]).len();
        let theirs = tshark(&["-r", arg(&file), "-Y", filter]).lines().count();
        assert_eq!(ours, theirs, "{file:?} -Y {filter}");
    }
    // Each side of the outer/inner pair matches on its own occurrence.
    let f = fixture("vxlan/vxlan.pcap");
    let all = read_jsonl(&f, &[]).len();
    assert_eq!(
        read_jsonl(&f, &["-Y", "ip.src == 10.98.0.1 || ip.src == 10.98.0.2"]).len(),
        all
    );
}

#[test]
fn malformed_tunnels_decode_without_crash() {
    let bin = bin();
    for name in [
        "gre-heapoverflow-1.pcap",
        "gre-heapoverflow-2.pcap",
        "l2tp-avp-overflow.pcap",
    ] {
        let out = run_out(
            Command::new("bash")
                .arg(root().join("scripts/corpus_robustness.sh"))
                .args(["--layerscope", arg(&bin)])
                .arg(links(name)),
            Duration::from_secs(300),
        );
        assert!(
            out.status.success(),
            "{name}: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }
}

#[test]
fn live_vxlan_underlay_shows_the_inner_socket_pair() {
    require_root();
    let (a, b) = (unique("lstva"), unique("lstvb"));
    let (va, vb) = ("lstv0", "lstv1");
    let ns = |n: &str, args: &[&str]| {
        let mut v = vec!["ip", "netns", "exec", n];
        v.extend_from_slice(args);
        sh(&v)
    };
    struct Cleanup(String, String);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
            let _ = Command::new("ip").args(["netns", "del", &self.1]).status();
        }
    }
    sh(&["ip", "netns", "add", &a]);
    sh(&["ip", "netns", "add", &b]);
    let _c = Cleanup(a.clone(), b.clone());
    sh(&[
        "ip", "link", "add", va, "netns", &a, "type", "veth", "peer", "name", vb, "netns", &b,
    ]);
    for (n, dev, under, peer, over) in [
        (&a, va, "10.96.0.1/24", "10.96.0.2", "10.95.0.1/24"),
        (&b, vb, "10.96.0.2/24", "10.96.0.1", "10.95.0.2/24"),
    ] {
        ns(n, &["ip", "link", "set", "lo", "up"]);
        ns(n, &["ip", "addr", "add", under, "dev", dev]);
        ns(n, &["ip", "link", "set", dev, "up"]);
        ns(
            n,
            &[
                "ip", "link", "add", "vx0", "type", "vxlan", "id", "7", "remote", peer, "dstport",
                "4789", "dev", dev,
            ],
        );
        ns(n, &["ip", "addr", "add", over, "dev", "vx0"]);
        ns(n, &["ip", "link", "set", "vx0", "up"]);
    }
    let mut cap = Proc::spawn_cmd(
        Command::new("ip")
            .args(["netns", "exec", &a])
            .arg(bin())
            .args([
                "capture",
                "-i",
                va,
                "-F",
                "jsonl",
                "-Y",
                "udp.dstport == 7009",
            ]),
    );
    cap.wait_ready();
    for _ in 0..6 {
        ns(&a, &["python3", "-c", "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('10.95.0.2', 7009))"]);
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    cap.signal("INT");
    let done = cap.wait(Duration::from_secs(20));
    // The filter matches the datagrams and the port-unreachable errors
    // quoting them (any occurrence matches, as in tshark).
    let rows: Vec<_> = done
        .rows()
        .into_iter()
        .filter(|r| r.one("icmp.type").is_none())
        .collect();
    assert!(rows.len() >= 3, "datagrams: {}", done.rest().join("\n"));
    for r in &rows {
        assert!(r.has("vxlan.vni", "7"), "{r}");
        assert!(
            r.has("ip.src", "10.96.0.1") && r.has("ip.src", "10.95.0.1"),
            "{r}"
        );
        assert!(
            r.has("udp.dstport", "4789") && r.has("udp.dstport", "7009"),
            "{r}"
        );
    }
}
