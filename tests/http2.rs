//! HTTP/2 in clear text (h2c by prior knowledge and after an HTTP/1.1
//! Upgrade), checked against tshark on captures of nghttp2's tools and curl
//! (fixtures/http2, recorded by scripts/record_http2.sh), and on hostile
//! frames made here.

mod common;
use common::*;
use std::collections::BTreeMap;

const CAPTURES: &[&str] = &["http2/h2c_prior.pcap", "http2/h2c_upgrade.pcap"];

/// Fields compared frame by frame with tshark.
const FIELDS: &[&str] = &[
    "http2.type",
    "http2.flags",
    "http2.streamid",
    "http2.length",
    "http2.magic",
    "http2.header.name",
    "http2.header.value",
    "http2.header.repr",
    "http2.header.index",
    "http2.header.count",
    "http2.header.length",
    "http2.headers.method",
    "http2.headers.path",
    "http2.headers.status",
    "http2.headers.authority",
    "http2.headers.content_type",
    "http2.settings.id",
    "http2.settings.max_concurrent_streams",
    "http2.settings.initial_window_size",
    "http2.window_update.window_size_increment",
    "http2.goaway.last_stream_id",
    "http2.goaway.error",
    "http2.stream_dependency",
    "http2.headers.weight",
    "http2.flags.end_stream",
    "http2.flags.eh",
];

/// tshark's values, frame number → field → comma-joined values. tshark
/// finds HTTP/2 on its own on both captures (by the preface on 8080, by
/// the Upgrade on 80): no decode-as is needed.
fn tshark_fields(path: &str, prefs: &[&str]) -> BTreeMap<u64, Vec<String>> {
    let mut args = vec!["-n", "-r", path, "-T", "fields", "-E", "separator=\t"];
    for p in prefs {
        args.extend_from_slice(&["-o", p]);
    }
    args.extend_from_slice(&["-e", "frame.number"]);
    for f in FIELDS {
        args.extend_from_slice(&["-e", f]);
    }
    let out = tshark(&args);
    out.lines()
        .filter_map(|l| {
            let mut cols = l.split('\t');
            let n = cols.next()?.parse().ok()?;
            Some((n, cols.map(str::to_string).collect()))
        })
        .collect()
}

fn ours(path: &str, extra: &[&str]) -> BTreeMap<u64, Vec<String>> {
    let mut args = vec!["read", "--format", "jsonl", "-e", "frame.number"];
    args.extend_from_slice(extra);
    for f in FIELDS {
        args.extend_from_slice(&["-e", f]);
    }
    args.push(path);
    ok_jsonl(&run(&args))
        .iter()
        .map(|row| {
            let n: u64 = row.one("frame.number").unwrap().parse().unwrap();
            (n, FIELDS.iter().map(|f| row.joined(f)).collect())
        })
        .collect()
}

/// Compares every field of every frame; returns (agreeing values, total
/// values tshark shows), and asserts that nothing disagrees.
fn compare(path: &str, prefs: &[&str], extra: &[&str]) -> (usize, usize) {
    let theirs = tshark_fields(path, prefs);
    let mine = ours(path, extra);
    assert_eq!(theirs.len(), mine.len(), "{path}: frame counts");
    let (mut agree, mut total) = (0, 0);
    let mut bad = Vec::new();
    for (n, t) in &theirs {
        // Frames where tshark shows an HTTP/2 frame: tshark also decodes the
        // base64 SETTINGS of an HTTP/1.1 request's HTTP2-Settings header
        // into http2.settings.* (layerscope does not: a known difference).
        let o = &mine[n];
        if t[0].is_empty() && o[0].is_empty() {
            continue;
        }
        for (i, f) in FIELDS.iter().enumerate() {
            let (tv, ov) = (&t[i], &o[i]);
            if tv.is_empty() && ov.is_empty() {
                continue;
            }
            total += 1;
            if tv == ov {
                agree += 1;
            } else {
                bad.push(format!("{path} #{n} {f}: ours {ov:?} tshark {tv:?}"));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{} disagreements:\n{}",
        bad.len(),
        bad.join("\n")
    );
    (agree, total)
}

#[test]
fn h2c_fields_agree_with_tshark_with_reassembly() {
    let mut sum = (0, 0);
    for c in CAPTURES {
        let p = fixture(c);
        let (a, t) = compare(arg(&p), &[], &[]);
        eprintln!("{c}: {a}/{t} http2 values agree (reassembly on)");
        sum = (sum.0 + a, sum.1 + t);
    }
    // Enough decoded to mean something: headers of every request and response.
    assert!(sum.1 > 200, "{sum:?}");
}

#[test]
fn h2c_fields_agree_with_tshark_frame_by_frame() {
    let prefs = ["tcp.desegment_tcp_streams:FALSE"];
    for c in CAPTURES {
        let p = fixture(c);
        let (a, t) = compare(arg(&p), &prefs, &["--no-reassembly"]);
        eprintln!("{c}: {a}/{t} http2 values agree (reassembly off)");
        assert!(t > 100);
    }
}

#[test]
fn headers_are_hpack_decoded_in_order() {
    let rows = read_jsonl(&fixture("http2/h2c_prior.pcap"), &["-Y", "http2.type == 1"]);
    let methods: Vec<String> = rows
        .iter()
        .flat_map(|r| r.all("http2.headers.method"))
        .collect();
    let paths: Vec<String> = rows
        .iter()
        .flat_map(|r| r.all("http2.headers.path"))
        .collect();
    // Expected from tshark, computed here.
    let t = tshark(&[
        "-n",
        "-r",
        arg(&fixture("http2/h2c_prior.pcap")),
        "-Y",
        "http2.type == 1",
        "-T",
        "fields",
        "-e",
        "http2.headers.method",
        "-e",
        "http2.headers.path",
    ]);
    let mut tm = Vec::new();
    let mut tp = Vec::new();
    for l in t.lines() {
        let (m, p) = l.split_once('\t').unwrap_or((l, ""));
        tm.extend(m.split(',').filter(|s| !s.is_empty()).map(str::to_string));
        tp.extend(p.split(',').filter(|s| !s.is_empty()).map(str::to_string));
    }
    assert_eq!(methods, tm);
    assert_eq!(paths, tp);
    assert!(methods.contains(&"POST".to_string()));
    // The dynamic table at work: later requests reuse indices above 61.
    let idx: Vec<u64> = rows
        .iter()
        .flat_map(|r| r.all("http2.header.index"))
        .map(|v| v.parse().unwrap())
        .collect();
    assert!(idx.iter().any(|&i| i > 61), "{idx:?}");
}

#[test]
fn filters_count_as_tshark() {
    let filters = [
        "http2",
        "http2.type == 1",
        "http2.type == 0",
        "http2.streamid == 3",
        "http2.streamid == 13",
        "http2.header.value contains \"nghttp2\"",
        "http2.headers.status == 200",
        "http2.headers.method == \"POST\"",
        "http2.magic",
    ];
    for c in CAPTURES {
        let p = fixture(c);
        for f in filters {
            let t = tshark(&["-n", "-r", arg(&p), "-Y", f]).lines().count();
            let out = run(&[
                "read",
                "--format",
                "jsonl",
                "-e",
                "frame.number",
                "-Y",
                f,
                arg(&p),
            ]);
            let o = ok_jsonl(&out).len();
            assert_eq!(o, t, "{c}: {f}");
        }
    }
}

/// HTTP/2 over TLS stays encrypted; what names it is the ServerHello's ALPN
/// (TLS 1.2, port 8443) or the port (443, whatever TLS 1.3 negotiated):
/// `tls.app_data_proto` on every record, as tshark shows it, and nowhere on
/// the second connection of h2_tls12.pcap, whose ALPN chose nothing.
#[test]
fn tls_application_data_names_its_protocol_as_tshark() {
    let fields = ["tls.app_data_proto"];
    for c in ["http2/h2_tls.pcap", "http2/h2_tls12.pcap"] {
        let p = fixture(c);
        let mut args = vec!["-n", "-r", arg(&p), "-T", "fields", "-E", "separator=\t"];
        for f in ["frame.number"].iter().chain(&fields) {
            args.extend_from_slice(&["-e", f]);
        }
        let theirs: Vec<String> = tshark(&args).lines().map(str::to_string).collect();
        let mut args = vec!["read", "--format", "jsonl", "-e", "frame.number"];
        for f in &fields {
            args.extend_from_slice(&["-e", f]);
        }
        args.push(arg(&p));
        let mine: Vec<String> = ok_jsonl(&run(&args))
            .iter()
            .map(|r| {
                let mut cols = vec![r.joined("frame.number")];
                cols.extend(fields.iter().map(|f| r.joined(f)));
                cols.join("\t")
            })
            .collect();
        assert_eq!(mine, theirs, "{c}");
        let named = theirs.iter().filter(|l| l.contains("Protocol")).count();
        assert!(named >= 4, "{c}: {named} frames name a protocol");
    }
    let f = "tls.app_data_proto == \"HyperText Transfer Protocol 2\"";
    let p = fixture("http2/h2_tls12.pcap");
    let t = tshark(&["-n", "-r", arg(&p), "-Y", f]).lines().count();
    let o = ok_jsonl(&run(&["read", "--format", "jsonl", "-Y", f, arg(&p)])).len();
    assert_eq!((o, t), (5, 5));
}

#[test]
fn upgrade_switches_the_connection_mid_segment() {
    let rows = read_jsonl(&fixture("http2/h2c_upgrade.pcap"), &[]);
    // The 101 and the server's first SETTINGS share a segment.
    let both = rows
        .iter()
        .find(|r| r.has("http.response.code", "101"))
        .expect("a 101 response");
    assert_eq!(both.joined("http2.type"), "4");
    // The stream-1 response to the upgraded request is decoded.
    assert!(rows
        .iter()
        .any(|r| r.has("http2.streamid", "1") && r.has("http2.headers.status", "200")));
}

/// A TCP segment from 10.0.0.1:40000 to 10.0.0.2:8080 carrying `payload`,
/// in a one-frame pcap.
fn pcap_with(payloads: &[&[u8]]) -> Vec<u8> {
    let mut f = vec![
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
    ];
    let mut seq = 1u32;
    for (i, p) in payloads.iter().enumerate() {
        let mut fr = vec![0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 8, 0];
        let total = (40 + p.len()) as u16;
        fr.extend_from_slice(&[
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            0,
            0x40,
            0,
            64,
            6,
            0,
            0,
            10,
            0,
            0,
            1,
            10,
            0,
            0,
            2,
        ]);
        fr.extend_from_slice(&40000u16.to_be_bytes());
        fr.extend_from_slice(&8080u16.to_be_bytes());
        fr.extend_from_slice(&seq.to_be_bytes());
        fr.extend_from_slice(&[0, 0, 0, 1, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
        fr.extend_from_slice(p);
        seq = seq.wrapping_add(p.len() as u32);
        f.extend_from_slice(&(i as u32).to_le_bytes());
        f.extend_from_slice(&0u32.to_le_bytes());
        f.extend_from_slice(&(fr.len() as u32).to_le_bytes());
        f.extend_from_slice(&(fr.len() as u32).to_le_bytes());
        f.extend_from_slice(&fr);
    }
    f
}

#[test]
fn hostile_frames_decode_as_far_as_they_go() {
    let preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    let mut hostile: Vec<Vec<u8>> = Vec::new();
    // HEADERS with a huge HPACK integer, a bogus index, a truncated string.
    for block in [
        &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f][..],
        &[0xff, 0x80, 0x80, 0x01],
        &[0x40, 0x7f, 0xff, 0xff, 0xff, 0xff, 0x0f, b'a'],
        &[0x3f, 0xff, 0xff, 0xff, 0xff, 0x0f],
    ] {
        let mut f = vec![0, 0, block.len() as u8, 1, 0x05, 0, 0, 0, 1];
        f.extend_from_slice(block);
        hostile.push(f);
    }
    // A frame claiming 16 MB, a padded frame whose pad exceeds it, a cut header.
    hostile.push(vec![0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 1, 1, 2, 3]);
    hostile.push(vec![0, 0, 2, 1, 0x0d, 0, 0, 0, 3, 200, 0x82]);
    hostile.push(vec![0, 0, 6, 4]);
    let mut payloads: Vec<&[u8]> = vec![preface];
    payloads.extend(hostile.iter().map(|v| v.as_slice()));
    let dir = TempDir::new();
    let path = dir.path("hostile.pcap");
    std::fs::write(&path, pcap_with(&payloads)).unwrap();
    for extra in [&[][..], &["--no-reassembly"]] {
        let mut args = vec!["read", "--format", "jsonl"];
        args.extend_from_slice(extra);
        args.push(arg(&path));
        let rows = ok_jsonl(&run(&args));
        assert_eq!(rows.len(), payloads.len());
        // Every frame header is still shown; no header survives a bad block.
        assert!(rows[1].has("http2.type", "1"));
        assert!(rows[1..5]
            .iter()
            .all(|r| r.all("http2.header.name").is_empty()));
    }
    // tshark agrees on the frame types of the segments it decodes.
    let t = tshark(&[
        "-n",
        "-r",
        arg(&path),
        "-d",
        "tcp.port==8080,http2",
        "-T",
        "fields",
        "-e",
        "http2.type",
    ]);
    assert_eq!(t.lines().nth(1), Some("1"));
}
