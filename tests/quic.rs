//! QUIC and SSDP against tshark: field values per frame on the QUIC
//! captures of ../shared/corpus-links (Initial packets decrypted, their
//! CRYPTO frames and the ClientHello/ServerHello inside), display-filter
//! counts, truncated and hostile captures, and SSDP sent for real between
//! two network namespaces.

mod common;
use common::*;
use std::path::PathBuf;
use std::time::Duration;

/// A capture of ../shared/corpus-links (must exist: the test fails otherwise).
fn links(name: &str) -> PathBuf {
    let p = root().join("../shared/corpus-links").join(name);
    assert!(p.exists(), "{} is missing", p.display());
    p
}

const FIELDS: &[&str] = &[
    "frame.protocols",
    "quic.header_form",
    "quic.fixed_bit",
    "quic.long.packet_type",
    "quic.version",
    "quic.dcil",
    "quic.dcid",
    "quic.scil",
    "quic.scid",
    "quic.token_length",
    "quic.length",
    "quic.packet_number",
    "quic.packet_length",
    "quic.payload",
    "quic.remaining_payload",
    "quic.connection.number",
    "quic.frame_type",
    "quic.crypto.offset",
    "quic.crypto.length",
    "quic.padding_length",
    "quic.ack.largest_acknowledged",
    "quic.ack.ack_delay",
    "quic.ack.first_ack_range",
    "quic.supported_version",
    "quic.retry_token",
    "quic.retry_integrity_tag",
    "tls.handshake.type",
    "tls.handshake.ciphersuite",
    "tls.handshake.extensions_server_name",
    "tls.handshake.extensions_alpn_str",
    "tls.handshake.extensions.supported_version",
    "tls.handshake.random",
];

/// Compares every field of FIELDS frame by frame; returns (agree, compared).
/// `skip` lists frames known to differ (see scripts/conformance_known.tsv).
fn compare(file: &std::path::Path, skip: &[usize]) -> (usize, usize) {
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
    for f in FIELDS {
        args.extend(["-e", f]);
    }
    let ts = tshark(&args);
    let rows = read_jsonl(file, &["--no-reassembly"]);
    let lines: Vec<&str> = ts.lines().collect();
    assert_eq!(rows.len(), lines.len(), "frame count of {}", file.display());
    let (mut agree, mut compared) = (0, 0);
    for (i, (row, line)) in rows.iter().zip(&lines).enumerate() {
        if skip.contains(&(i + 1)) {
            continue;
        }
        for (f, want) in FIELDS.iter().zip(line.split('\t')) {
            let got = row.joined(f);
            if want.is_empty() && got.is_empty() {
                continue;
            }
            compared += 1;
            assert_eq!(&got, want, "{} frame {}: {f}", file.display(), i + 1);
            agree += 1;
        }
    }
    (agree, compared)
}

#[test]
fn quic_corpus_fields_match_tshark() {
    let mut total = 0;
    for (name, skip) in [
        ("quic_handshake.pcap", &[][..]),
        ("quic_retry.pcap", &[]),
        ("quic_handshake_truncated.pcap", &[]),
        // Frames 1 and 3: greasing version and Initial after Version
        // Negotiation (known differences).
        ("quic_vn.pcap", &[1, 3]),
    ] {
        let (a, c) = compare(&links(name), skip);
        assert_eq!(a, c);
        total += c;
    }
    assert!(total > 800, "only {total} values compared");
}

#[test]
fn client_and_server_hello_are_decrypted() {
    let rows = read_jsonl(&links("quic_handshake.pcap"), &[]);
    assert_eq!(rows[0].joined("tls.handshake.type"), "1");
    assert_eq!(
        rows[0].joined("tls.handshake.extensions_server_name"),
        "localhost"
    );
    assert_eq!(rows[0].joined("tls.handshake.extensions_alpn_str"), "h3");
    assert_eq!(rows[1].joined("tls.handshake.type"), "2");
    let want = tshark(&[
        "-r",
        arg(&links("quic_handshake.pcap")),
        "-T",
        "fields",
        "-e",
        "_ws.col.Info",
        "-c",
        "2",
    ]);
    let want: Vec<&str> = want.lines().collect();
    assert_eq!(rows[0].joined("_ws.col.info"), want[0].trim_end());
    assert_eq!(rows[1].joined("_ws.col.info"), want[1].trim_end());
    assert_eq!(rows[0].joined("_ws.col.protocol"), "QUIC");
}

#[test]
fn quic_filters_count_as_tshark() {
    for file in ["quic_handshake.pcap", "quic_retry.pcap", "quic_vn.pcap"] {
        let p = links(file);
        for f in [
            "quic",
            "quic.long.packet_type == 0",
            "quic.long.packet_type == 3",
            "quic.header_form == 0",
            "quic.frame_type == 2",
            "tls.handshake.extensions_server_name contains \"local\"",
            "tls.handshake.type == 2",
        ] {
            if file == "quic_vn.pcap" && f.starts_with("tls.handshake.extensions") {
                continue; // frame 3: decrypted by layerscope only (known)
            }
            let want = tshark(&["-r", arg(&p), "-Y", f]).lines().count();
            let got = read_jsonl(&p, &["-Y", f]).len();
            assert_eq!(got, want, "{file}: {f}");
        }
    }
}

#[test]
fn truncated_and_hostile_captures_decode_without_error() {
    for f in [
        "quic_handshake_truncated.pcap",
        "quic_32_bit_pointer_overflow.pcap",
        "gquic.pcap",
    ] {
        let p = links(f);
        let rows = read_jsonl(&p, &[]);
        assert_eq!(rows.len(), tshark_count(&p), "{f}");
    }
    // gQUIC is left as data (tshark: gquic).
    let rows = read_jsonl(&links("gquic.pcap"), &[]);
    assert_eq!(rows[0].joined("frame.protocols"), "raw:ip:udp:data");
}

/// Real SSDP: an M-SEARCH, a NOTIFY and a response sent by Python's socket
/// module from one namespace to the other, captured with tcpdump there.
#[test]
fn ssdp_between_namespaces_matches_tshark() {
    require_root();
    let ns = NsPair::new();
    let dir = TempDir::new();
    let pcap = dir.path("ssdp.pcap");
    let mut dump = Proc::spawn_cmd(&mut NsPair::exec(
        &ns.b,
        &[
            "tcpdump",
            "-i",
            "veth1",
            "-U",
            // Each frame handed over as it comes, so the SIGINT below loses none.
            "--immediate-mode",
            "-w",
            arg(&pcap),
            "udp port 1900",
        ],
    ));
    dump.wait_for_stderr("listening on", Duration::from_secs(10));
    // The veth link needs a moment after coming up: wait for an answer.
    let up = (0..10).any(|_| {
        NsPair::exec(&ns.a, &["ping", "-c1", "-W1", "10.99.0.2"])
            .stdout(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    assert!(up, "10.99.0.2 never answered");
    let script = r#"
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
msgs = [
    b'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: ssdp:all\r\nUSER-AGENT: layerscope-test/1\r\n\r\n',
    b'NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nCACHE-CONTROL: max-age=1800\r\nLOCATION: http://10.99.0.1/desc.xml\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\nSERVER: Linux/6 UPnP/1.0 test/1\r\nUSN: uuid:1::upnp:rootdevice\r\n\r\n',
    b'HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\nLOCATION: http://10.99.0.1/desc.xml\r\nSERVER: Linux/6 UPnP/1.0 test/1\r\nST: upnp:rootdevice\r\nUSN: uuid:1::upnp:rootdevice\r\n\r\n',
]
for m in msgs:
    s.sendto(m, ('10.99.0.2', 1900))
    time.sleep(0.05)
"#;
    let out = run_out(
        &mut NsPair::exec(&ns.a, &["python3", "-c", script]),
        Duration::from_secs(20),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::thread::sleep(Duration::from_millis(500));
    dump.signal("INT");
    let _ = dump.wait(Duration::from_secs(10));
    let ts = tshark(&[
        "-r",
        arg(&pcap),
        "-T",
        "fields",
        "-e",
        "frame.protocols",
        "-e",
        "http.request.method",
        "-e",
        "http.response.code",
        "-e",
        "http.host",
        "-e",
        "http.server",
    ]);
    let rows = read_jsonl(&pcap, &[]);
    let lines: Vec<&str> = ts.lines().collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(lines.len(), 3);
    for (row, line) in rows.iter().zip(&lines) {
        let want: Vec<&str> = line.split('\t').collect();
        assert_eq!(row.joined("frame.protocols"), want[0]);
        assert_eq!(row.joined("http.request.method"), want[1]);
        assert_eq!(row.joined("http.response.code"), want[2]);
        assert_eq!(row.joined("http.host"), want[3]);
        assert_eq!(row.joined("http.server"), want[4]);
    }
    assert_eq!(
        rows[0].joined("frame.protocols"),
        "eth:ethertype:ip:udp:ssdp"
    );
    for f in [
        "ssdp",
        "http.request.method == \"M-SEARCH\"",
        "http.request.method == \"NOTIFY\"",
        "http.response.code == 200",
    ] {
        let want = tshark(&["-r", arg(&pcap), "-Y", f]).lines().count();
        assert_eq!(read_jsonl(&pcap, &["-Y", f]).len(), want, "{f}");
        assert!(want >= 1, "{f}");
    }
}
