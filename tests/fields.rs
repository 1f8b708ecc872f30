//! Time formats, time fields, `-e` checks and columns, payload and slice
//! filters, host-name fields and MAC vendor names, each checked against
//! tshark on real captures (expected values are tshark's, computed here).

mod common;

use common::{arg, fixture, run_out, shared_corpus, text};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

const ZONES: [&str; 3] = ["UTC", "Europe/Berlin", "America/New_York"];
const FORMATS: [&str; 10] = ["a", "ad", "adoy", "d", "dd", "e", "r", "u", "ud", "udoy"];

/// tshark in zone `tz`; `resolve` keeps its default name resolution (MAC
/// vendor names), else `-n`.
fn tshark_tz(tz: &str, resolve: bool, args: &[&str]) -> String {
    let mut c = Command::new("tshark");
    c.env("TZ", tz);
    if !resolve {
        c.arg("-n");
    }
    let out = run_out(c.args(args), Duration::from_secs(300));
    assert!(
        out.status.success(),
        "tshark {args:?}: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn ls_tz(tz: &str, args: &[&str]) -> Output {
    run_out(
        common::layerscope().env("TZ", tz).args(args),
        Duration::from_secs(120),
    )
}

fn ls_ok(tz: &str, args: &[&str]) -> String {
    let out = ls_tz(tz, args);
    assert!(
        out.status.success(),
        "layerscope {args:?}: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// `-e` fields of every packet as tshark prints them (tab-separated rows),
/// from layerscope's jsonl (arrays joined with `,`).
fn ls_fields(tz: &str, file: &Path, fields: &[&str], extra: &[&str]) -> String {
    let mut args = vec!["read", "-F", "jsonl"];
    for f in fields {
        args.extend(["-e", f]);
    }
    args.extend_from_slice(extra);
    args.push(arg(file));
    let mut rows = String::new();
    for line in ls_ok(tz, &args).lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("jsonl");
        let cells: Vec<String> = fields
            .iter()
            .map(|f| match &v[*f] {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Array(a) => a
                    .iter()
                    .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                    .collect::<Vec<_>>()
                    .join(","),
                x => x.to_string(),
            })
            .collect();
        rows.push_str(&cells.join("\t"));
        rows.push('\n');
    }
    rows
}

fn ts_fields(tz: &str, resolve: bool, file: &Path, fields: &[&str], extra: &[&str]) -> String {
    let mut args = vec!["-r", arg(file), "-T", "fields"];
    for f in fields {
        args.extend(["-e", f]);
    }
    args.extend_from_slice(extra);
    tshark_tz(tz, resolve, &args)
}

/// Packets a display filter keeps: (tshark, layerscope).
fn counts(file: &Path, filter: &str, tz: &str) -> (usize, usize) {
    let t = tshark_tz(
        tz,
        false,
        &[
            "-r",
            arg(file),
            "-Y",
            filter,
            "-T",
            "fields",
            "-e",
            "frame.number",
        ],
    )
    .lines()
    .count();
    let out = ls_tz(
        tz,
        &[
            "read",
            "--no-progress",
            "-Y",
            filter,
            "-F",
            "csv",
            "-e",
            "frame.number",
            arg(file),
        ],
    );
    assert!(out.status.success(), "{filter}: {}", text(&out.stderr));
    (t, text(&out.stdout).lines().count().saturating_sub(1))
}

fn time_captures() -> Vec<PathBuf> {
    vec![
        fixture("live/http.pcap"),
        fixture("eth_ipv4_tcp.pcap"),
        fixture("nanosecond.pcap"),
        fixture("multi_if.pcapng"),
        shared_corpus("tcpdump/dhcp-option-108.pcapng"),
    ]
}

#[test]
fn time_column_formats_match_tsharks_time_column() {
    for file in time_captures() {
        for tz in ZONES {
            for t in FORMATS {
                let want = ts_fields(tz, false, &file, &["_ws.col.Time"], &["-t", t]);
                let got = ls_fields(tz, &file, &["_ws.col.Time"], &["-t", t]);
                assert_eq!(got, want, "{} TZ={tz} -t {t}", file.display());
                assert!(!want.trim().is_empty());
            }
        }
    }
    // The table's Time column is the same text (one token for these formats).
    let file = fixture("live/http.pcap");
    for t in ["e", "r", "d", "u", "a"] {
        let want: Vec<String> =
            ts_fields("Europe/Berlin", false, &file, &["_ws.col.Time"], &["-t", t])
                .lines()
                .map(str::to_string)
                .collect();
        let table = ls_ok(
            "Europe/Berlin",
            &["read", "--color", "never", "-t", t, arg(&file)],
        );
        let got: Vec<String> = table
            .lines()
            .skip(1)
            .map(|l| l.split_whitespace().nth(1).unwrap_or("").to_string())
            .collect();
        assert_eq!(got, want, "table -t {t}");
    }
    // Dates take two tokens in the table.
    let table = ls_ok("UTC", &["read", "--color", "never", "-t", "ud", arg(&file)]);
    let want = ts_fields("UTC", false, &file, &["_ws.col.Time"], &["-t", "ud"]);
    let first = table.lines().nth(1).expect("a row");
    let toks: Vec<&str> = first.split_whitespace().collect();
    assert_eq!(
        format!("{} {}", toks[1], toks[2]),
        want.lines().next().unwrap_or("")
    );
}

#[test]
fn delta_displayed_counts_from_the_previous_displayed_frame() {
    let file = fixture("live/http.pcap");
    for filter in ["tcp.len > 0", "ip.src == 10.99.0.1", "http"] {
        for t in ["dd", "d"] {
            let want = ts_fields(
                "UTC",
                false,
                &file,
                &["_ws.col.Time"],
                &["-t", t, "-Y", filter],
            );
            let got = ls_fields("UTC", &file, &["_ws.col.Time"], &["-t", t, "-Y", filter]);
            assert_eq!(got, want, "-t {t} -Y {filter}");
        }
    }
}

#[test]
fn frame_time_fields_match_tshark() {
    let fields = [
        "frame.time",
        "frame.time_epoch",
        "frame.time_delta",
        "frame.time_delta_displayed",
        "frame.time_relative",
    ];
    for file in time_captures() {
        for tz in ["Europe/Berlin", "Asia/Kolkata"] {
            for y in [None, Some("tcp.len > 0"), Some("frame.number > 2")] {
                let extra: Vec<&str> = y.map(|y| vec!["-Y", y]).unwrap_or_default();
                let want = ts_fields(tz, false, &file, &fields, &extra);
                let got = ls_fields(tz, &file, &fields, &extra);
                assert_eq!(got, want, "{} TZ={tz} {y:?}", file.display());
            }
        }
        // tshark 4.0 has no frame.time_utc: it is frame.time read in UTC.
        let want = ts_fields("UTC", false, &file, &["frame.time"], &[]);
        let got = ls_fields("Europe/Berlin", &file, &["frame.time_utc"], &[]);
        assert_eq!(got, want, "{}", file.display());
    }
}

#[test]
fn time_filters_keep_what_tshark_keeps() {
    let http = fixture("live/http.pcap");
    let ftp = fixture("live/ftp.pcap");
    for (file, tz, filter) in [
        (
            &http,
            "Europe/Berlin",
            "frame.time >= \"2026-11-25 04:24:42.7\"",
        ),
        (
            &http,
            "Europe/Berlin",
            "frame.time < \"2026-11-25T04:24:42.7\"",
        ),
        (
            &http,
            "Europe/Berlin",
            "frame.time >= \"Nov 25, 2026 03:24:42.7 UTC\"",
        ),
        (
            &http,
            "America/New_York",
            "frame.time >= \"2026-11-25 03:24:42.7Z\"",
        ),
        (&http, "UTC", "frame.time >= \"2026-11-25\""),
        (&http, "UTC", "frame.time_relative > 0.05"),
        (&http, "UTC", "frame.time_delta < 0.001"),
        (&http, "UTC", "frame.time_delta >= 0.0001 && tcp"),
        (&http, "UTC", "frame.time_delta_displayed == 0"),
        (&http, "UTC", "frame.time_delta_displayed >= 0"),
        (&http, "UTC", "frame.time_epoch > 1795577082.7"),
        (&ftp, "UTC", "frame.time_relative > 1.5"),
        (&ftp, "UTC", "frame.time_relative <= 0.5"),
        (&ftp, "UTC", "frame.time_delta > 0.01"),
    ] {
        let (t, l) = counts(file, filter, tz);
        assert_eq!(l, t, "{} TZ={tz} {filter}", file.display());
    }
    // At least one of them must keep some but not all packets.
    let (t, _) = counts(&http, "frame.time_delta < 0.001", "UTC");
    assert!(t > 0 && t < 89, "{t}");
}

#[test]
fn unknown_e_fields_fail_as_unknown_display_filter_names() {
    let file = fixture("live/http.pcap");
    let e = ls_tz("UTC", &["read", "-e", "ip.scr", "-F", "jsonl", arg(&file)]);
    let y = ls_tz("UTC", &["read", "-Y", "ip.scr", arg(&file)]);
    assert_eq!(e.status.code(), Some(1), "{}", text(&e.stderr));
    assert_eq!(e.status.code(), y.status.code());
    assert!(e.stdout.is_empty());
    let msg = text(&e.stderr);
    assert!(
        msg.contains("\"ip.scr\" is not a known field or protocol; did you mean ip.src?"),
        "{msg}"
    );
    // The same sentence as -Y's.
    let ymsg = text(&y.stderr);
    let last = |m: &str| m.lines().last().unwrap_or("").to_string();
    assert_eq!(last(&msg), last(&ymsg));
    // tshark refuses the field too.
    let out = run_out(
        Command::new("tshark").args(["-r", arg(&file), "-T", "fields", "-e", "ip.scr"]),
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(1));
    // Table and csv too; the column pseudo-fields are accepted.
    for format in ["table", "csv"] {
        let out = ls_tz("UTC", &["read", "-F", format, "-e", "tcp.lenn", arg(&file)]);
        assert_eq!(out.status.code(), Some(1), "{format}");
    }
    ls_ok(
        "UTC",
        &[
            "read",
            "-F",
            "csv",
            "-e",
            "_ws.col.info",
            "-e",
            "_ws.col.Time",
            arg(&file),
        ],
    );
}

#[test]
fn e_fields_become_table_columns() {
    let file = fixture("live/http.pcap");
    let table = ls_ok(
        "UTC",
        &[
            "read",
            "--color",
            "never",
            "-e",
            "tcp.len",
            "-e",
            "ip.ttl",
            arg(&file),
        ],
    );
    let mut lines = table.lines();
    let header = lines.next().expect("header");
    assert!(
        header.contains(" tcp.len ") && header.contains(" ip.ttl "),
        "{header}"
    );
    // Columns count characters ("→" is one column, three bytes).
    let col = header[..header.find("tcp.len").expect("column")]
        .chars()
        .count();
    let want = ts_fields("UTC", false, &file, &["tcp.len", "ip.ttl"], &[]);
    let mut n = 0;
    for (row, w) in lines.zip(want.lines()) {
        let rest: String = row.chars().skip(col).collect();
        let cells: Vec<&str> = rest.split_whitespace().take(2).collect();
        assert_eq!(cells.join("\t"), w, "{row}");
        n += 1;
    }
    assert_eq!(n, want.lines().count());
}

#[test]
fn protocol_bytes_and_slices_filter_as_tshark() {
    let filters = [
        "frame contains \"GET\"",
        "frame contains \"get\"",
        "tcp contains 47:45:54",
        "tcp contains \"HTTP\"",
        "eth contains \"HTTP\"",
        "ip contains 0a:63",
        "http contains \"Host\"",
        "dns contains 03:77:77:77",
        "udp matches \"[a-z]{5}\"",
        "frame matches \"http/1\\\\.1\"",
        "tcp matches \"(?-i)get\"",
        "tcp[0:2] == 00:50",
        "tcp[2:2] == 00:50",
        "tcp[13] == 12",
        "tcp[-1:1] == 0a",
        "tcp[4:] contains 47:45:54",
        "eth[0:6] == ff:ff:ff:ff:ff:ff",
        "eth[-1] == 00",
        "frame[12:2] == 08:00",
        "frame[-4:] == 00:00:00:00",
        "ip[-1] == 01",
        "ip[-2:] == 00:01",
        "ip[9] == 06",
        "ip[0-1] == 45:00",
        "udp[-1] == 00",
        "ipv6[0] == 60",
        "icmp contains 00:00",
    ];
    let mut files: Vec<PathBuf> = ["http", "dns", "ftp", "tls", "ping", "telnet", "dhcp"]
        .iter()
        .map(|n| fixture(&format!("live/{n}.pcap")))
        .collect();
    for f in [
        "arp.pcap",
        "vlan.pcap",
        "icmp.pcap",
        "ipv6_ext.pcap",
        "udp.pcap",
    ] {
        files.push(fixture(f));
    }
    files.push(shared_corpus("tcpdump/ipv4_tcp_http_xml.pcap"));
    let mut matched = 0;
    for file in &files {
        for filter in filters {
            let (t, l) = counts(file, filter, "UTC");
            assert_eq!(l, t, "{} {filter}", file.display());
            matched += usize::from(t > 0);
        }
    }
    assert!(matched > 40, "{matched}");
}

#[test]
fn host_fields_hold_the_address_text() {
    for (file, filters) in [
        (
            fixture("live/http.pcap"),
            vec![
                "ip.src_host == \"10.99.0.1\"",
                "ip.dst_host == \"10.99.0.1\"",
                "ip.host == \"10.99.0.2\"",
                "ip.host contains \"99.0\"",
                "ip.src_host matches \"\\\\.2$\"",
            ],
        ),
        (
            fixture("icmpv6.pcap"),
            vec![
                "ipv6.src_host == \"fe80::1\"",
                "ipv6.host contains \"fe80\"",
                "ipv6.dst_host matches \"^ff02\"",
            ],
        ),
        (
            fixture("ipv6_ext.pcap"),
            vec![
                "ipv6.host contains \"2001:db8\"",
                "ipv6.src_host contains \"::\"",
            ],
        ),
    ] {
        for f in filters {
            let (t, l) = counts(&file, f, "UTC");
            assert_eq!(l, t, "{} {f}", file.display());
        }
    }
    let (t, _) = counts(
        &fixture("live/http.pcap"),
        "ip.src_host == \"10.99.0.1\"",
        "UTC",
    );
    assert!(t > 0);
}

#[test]
fn mac_vendor_names_match_tsharks_resolution() {
    let fields = ["eth.src_resolved", "eth.dst_resolved", "eth.addr_resolved"];
    let mut files = vec![
        fixture("arp.pcap"),
        fixture("live/dhcp.pcap"),
        fixture("vlan.pcap"),
    ];
    for f in [
        "tcpdump/dhcp-rfc3004.pcap",
        "tcpdump/dns_tcp.pcap",
        "tcpdump/icmpv6.pcap",
        "tcpdump/ipv6-routing-header.pcap",
        "tcpdump/ssh.pcap",
        "tcpdump/pptp.pcap",
        "tcpdump/tfo-5c1fa7f9ae91.pcap",
    ] {
        files.push(shared_corpus(f));
    }
    let mut named = 0;
    for file in &files {
        // Without -n, tshark names vendors from its manuf file.
        let want = ts_fields("UTC", true, file, &fields, &[]);
        let got = ls_fields("UTC", file, &fields, &["--no-reassembly"]);
        assert_eq!(got, want, "{}", file.display());
        named += want.lines().filter(|l| l.contains('_')).count();
    }
    assert!(named > 20, "{named}");
    // A filter on a name.
    let file = shared_corpus("tcpdump/dhcp-rfc3004.pcap");
    let t = tshark_tz(
        "UTC",
        true,
        &[
            "-r",
            arg(&file),
            "-Y",
            "eth.src_resolved == \"VMware_1f:74:06\"",
            "-T",
            "fields",
            "-e",
            "frame.number",
        ],
    );
    let l = ls_fields(
        "UTC",
        &file,
        &["frame.number"],
        &["-Y", "eth.src_resolved == \"VMware_1f:74:06\""],
    );
    assert_eq!(l, t);
    assert!(!t.is_empty());
    // The detail view shows the name first, as tshark -V.
    let v = tshark_tz("UTC", true, &["-r", arg(&file), "-V", "-c", "1"]);
    let want = v
        .lines()
        .find(|l| l.trim_start().starts_with("Source: "))
        .expect("tshark Source line")
        .trim()
        .to_string();
    assert_eq!(want, "Source: VMware_1f:74:06 (00:0c:29:1f:74:06)");
    let d = ls_ok(
        "UTC",
        &[
            "read",
            "-F",
            "detail",
            "--color",
            "never",
            "-c",
            "1",
            arg(&file),
        ],
    );
    assert!(d.lines().any(|l| l.trim_start().starts_with(&want)), "{d}");
    let title = v
        .lines()
        .find(|l| l.starts_with("Ethernet II"))
        .expect("title");
    assert!(d.lines().any(|l| l.starts_with(title)), "{title}\n{d}");
}
