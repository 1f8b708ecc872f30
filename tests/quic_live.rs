//! Real QUIC against tshark: the captures of fixtures/quic (aioquic client
//! and server between two namespaces, HTTP/3 and a custom ALPN over IPv4 and
//! IPv6, QUIC v1 and v2; see fixtures/quic/README.md) and the SSDP capture
//! of fixtures/ssdp, compared field by field with tshark's decode computed
//! here; and a live exchange made by scripts/record_quic.sh between two
//! namespaces this test creates, seen by `layerscope capture`.

mod common;
use common::*;
use std::path::Path;

/// Every field compared frame by frame (all occurrences, in order).
const FIELDS: &[&str] = &[
    "frame.protocols",
    "udp.stream",
    "udp.srcport",
    "udp.dstport",
    "quic.header_form",
    "quic.fixed_bit",
    "quic.spin_bit",
    "quic.long.packet_type",
    "quic.long.packet_type_v2",
    "quic.long.reserved",
    "quic.packet_number_length",
    "quic.version",
    "quic.dcil",
    "quic.dcid",
    "quic.scil",
    "quic.scid",
    "quic.token_length",
    "quic.length",
    "quic.packet_number",
    "quic.packet_length",
    "quic.remaining_payload",
    "quic.connection.number",
    "quic.frame_type",
    "quic.crypto.offset",
    "quic.crypto.length",
    "quic.padding_length",
    "quic.ack.largest_acknowledged",
    "quic.ack.ack_delay",
    "quic.ack.ack_range_count",
    "quic.ack.first_ack_range",
    "tls.handshake.type",
    "tls.handshake.length",
    "tls.handshake.version",
    "tls.handshake.random",
    "tls.handshake.session_id_length",
    "tls.handshake.cipher_suites_length",
    "tls.handshake.ciphersuite",
    "tls.handshake.comp_method",
    "tls.handshake.extension.type",
    "tls.handshake.extension.len",
    "tls.handshake.extensions_server_name",
    "tls.handshake.extensions_alpn_str",
    "tls.handshake.extensions.supported_version",
    "tls.handshake.extensions_supported_group",
    "_ws.col.Protocol",
];

/// tshark's values of `fields` for every frame of `file`, all occurrences
/// joined by commas, one Vec per frame.
fn tshark_fields(file: &Path, fields: &[&str]) -> Vec<Vec<String>> {
    let mut args = vec![
        "-r",
        arg(file),
        "-T",
        "fields",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=,",
    ];
    for f in fields {
        args.extend(["-e", f]);
    }
    tshark(&args)
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

/// layerscope's name of a field tshark spells differently in -e (column
/// fields are lower case in the jsonl).
fn ls_name(f: &str) -> String {
    f.strip_prefix("_ws.col.")
        .map(|c| format!("_ws.col.{}", c.to_lowercase()))
        .unwrap_or_else(|| f.to_string())
}

/// Compares FIELDS frame by frame on `file`; every present value must
/// agree. Returns (values compared, frames).
fn compare(file: &Path) -> (usize, usize) {
    let want = tshark_fields(file, FIELDS);
    let rows = read_jsonl(file, &[]);
    assert_eq!(rows.len(), want.len(), "frame count of {}", file.display());
    let (mut compared, mut differ) = (0, Vec::new());
    for (i, (row, line)) in rows.iter().zip(&want).enumerate() {
        for (f, w) in FIELDS.iter().zip(line) {
            let got = row.joined(&ls_name(f));
            if w.is_empty() && got.is_empty() {
                continue;
            }
            compared += 1;
            if &got != w {
                differ.push(format!(
                    "frame {} {f}: layerscope {got:?}, tshark {w:?}",
                    i + 1
                ));
            }
        }
    }
    assert!(
        differ.is_empty(),
        "{}: {} of {compared} values differ:\n{}",
        file.display(),
        differ.len(),
        differ.join("\n")
    );
    (compared, rows.len())
}

fn quic_fixture(name: &str) -> std::path::PathBuf {
    let p = fixture(name);
    assert!(p.exists(), "{} is missing", p.display());
    p
}

#[test]
fn http3_fixture_matches_tshark() {
    let f = quic_fixture("quic/http3.pcap");
    let (compared, frames) = compare(&f);
    eprintln!("quic/http3.pcap: {compared} values agree on {frames} frames");
    assert!(compared > 300, "only {compared} values compared");
    // What the capture is meant to hold, as tshark reads it: two
    // connections (IPv4 h3, IPv6 layerscope-echo), both with the SNI.
    let ts = tshark_fields(
        &f,
        &[
            "udp.stream",
            "tls.handshake.type",
            "tls.handshake.extensions_server_name",
            "tls.handshake.extensions_alpn_str",
        ],
    );
    let hellos: Vec<_> = ts.iter().filter(|l| l[1] == "1").collect();
    assert_eq!(hellos.len(), 2);
    assert_eq!(hellos[0][2], "www.lab.test");
    assert_eq!(hellos[0][3], "h3");
    assert_eq!(hellos[1][3], "layerscope-echo");
    assert_ne!(hellos[0][0], hellos[1][0]);
    assert!(ts.iter().any(|l| l[1] == "2"), "no ServerHello decrypted");
}

#[test]
fn quic_v2_fixture_matches_tshark() {
    let f = quic_fixture("quic/v2.pcap");
    let (compared, frames) = compare(&f);
    eprintln!("quic/v2.pcap: {compared} values agree on {frames} frames");
    assert!(compared > 100, "only {compared} values compared");
    let rows = read_jsonl(&f, &[]);
    // RFC 9369's version number, and the Initial decrypted with v2's salt.
    assert_eq!(rows[0].joined("quic.version"), "0x6b3343cf");
    assert_eq!(
        rows[0].joined("tls.handshake.extensions_server_name"),
        "www.lab.test"
    );
    assert!(rows.iter().any(|r| r.has("tls.handshake.type", "2")));
}

#[test]
fn quic_fixture_filters_count_as_tshark() {
    for file in ["quic/http3.pcap", "quic/v2.pcap"] {
        let p = quic_fixture(file);
        for f in [
            "quic",
            "quic.header_form == 1",
            "quic.header_form == 0",
            "quic.long.packet_type == 0",
            "quic.version == 0x6b3343cf",
            "quic.frame_type == 6",
            "tls.handshake.type == 1",
            "tls.handshake.type == 2",
            "tls.handshake.extensions_server_name == \"www.lab.test\"",
            "tls.handshake.extensions_alpn_str == \"h3\"",
            "tls.handshake.ciphersuite == 0x1302",
            "udp.stream == 1",
            "ipv6 && quic",
        ] {
            let want = tshark(&["-r", arg(&p), "-Y", f]).lines().count();
            let got = read_jsonl(&p, &["-Y", f]).len();
            assert_eq!(got, want, "{file}: {f}");
        }
    }
}

#[test]
fn ssdp_fixture_matches_tshark() {
    let p = quic_fixture("ssdp/ssdp.pcap");
    let fields = [
        "frame.protocols",
        "udp.stream",
        "ip.dst",
        "http.request.method",
        "http.request.uri",
        "http.response.code",
        "http.host",
        "http.server",
        "http.user_agent",
        "_ws.col.Protocol",
        "_ws.col.Info",
    ];
    let want = tshark_fields(&p, &fields);
    let rows = read_jsonl(&p, &[]);
    assert_eq!(rows.len(), want.len());
    assert_eq!(rows.len(), 4, "NOTIFY, M-SEARCH, 200, NOTIFY");
    let mut compared = 0;
    for (i, (row, line)) in rows.iter().zip(&want).enumerate() {
        for (f, w) in fields.iter().zip(line) {
            let got = row.joined(&ls_name(f));
            assert_eq!(got.trim_end(), w.trim_end(), "frame {}: {f}", i + 1);
            compared += usize::from(!w.is_empty());
        }
    }
    eprintln!("ssdp/ssdp.pcap: {compared} values agree");
    for f in [
        "ssdp",
        "http.request.method == \"M-SEARCH\"",
        "http.request.method == \"NOTIFY\"",
        "http.response.code == 200",
        "ip.dst == 239.255.255.250",
    ] {
        let want = tshark(&["-r", arg(&p), "-Y", f]).lines().count();
        assert!(want >= 1, "{f}");
        assert_eq!(read_jsonl(&p, &["-Y", f]).len(), want, "{f}");
    }
}
