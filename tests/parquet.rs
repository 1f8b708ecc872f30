//! `--format parquet`: files read back with DuckDB (the venv made by
//! scripts/setup.sh, or `LAYERSCOPE_VENV`): row counts as capinfos counts
//! them, values as `--format jsonl` gives them, column types as DuckDB
//! describes them, hourly partitions as tshark's timestamps place the
//! packets, and conversations as `flows --format jsonl` prints them.

mod common;

use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The Python of the venv holding DuckDB; panics (never skips) when missing.
fn python() -> PathBuf {
    let venv = std::env::var_os("LAYERSCOPE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/tmp/layerscope-venv"));
    let py = venv.join("bin/python");
    assert!(
        py.exists(),
        "{} is missing: run scripts/setup.sh (it makes the venv with DuckDB) or set LAYERSCOPE_VENV",
        py.display()
    );
    py
}

/// Runs `sql` in DuckDB; each row as a JSON object (DuckDB's `to_json`).
fn duckdb(sql: &str) -> Vec<Value> {
    let script = "import duckdb, sys\n\
        con = duckdb.connect()\n\
        con.execute('SET enable_progress_bar = false')\n\
        for (j,) in con.sql('SELECT to_json(t) FROM (' + sys.argv[1] + ') t').fetchall():\n\
        \x20   print(j)\n";
    let out = run_out(
        Command::new(python()).args(["-c", script, sql]),
        Duration::from_secs(120),
    );
    assert!(
        out.status.success(),
        "duckdb failed on {sql}:\n{}",
        text(&out.stderr)
    );
    jsonl(&out.stdout)
}

fn capinfos_count(p: &Path) -> u64 {
    let out = run_out(
        Command::new("capinfos")
            .args(["-c", "-M", "-T", "-r"])
            .arg(p),
        Duration::from_secs(60),
    );
    let t = text(&out.stdout);
    let n = t.split('\t').nth(1).map(str::trim);
    n.and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("capinfos -c {}: {t} {}", p.display(), text(&out.stderr)))
}

/// Column name → DuckDB type, from DESCRIBE.
fn describe(file: &Path) -> BTreeMap<String, String> {
    duckdb(&format!("DESCRIBE SELECT * FROM '{}'", file.display()))
        .into_iter()
        .map(|r| {
            (
                r["column_name"].as_str().unwrap().to_string(),
                r["column_type"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Every row, with times as epoch nanoseconds and decimals as text, so that
/// nothing goes through a double.
fn rows(file: &Path, types: &BTreeMap<String, String>, order: &str) -> Vec<Value> {
    let cols: Vec<String> = types
        .iter()
        .map(|(n, t)| {
            let q = format!("\"{n}\"");
            let e = match t.as_str() {
                "TIMESTAMP_NS" => format!("epoch_ns({q})"),
                "TIMESTAMP_NS[]" => format!("list_transform({q}, x -> epoch_ns(x))"),
                t if t.starts_with("DECIMAL") && t.ends_with("[]") => {
                    format!("list_transform({q}, x -> CAST(x AS VARCHAR))")
                }
                t if t.starts_with("DECIMAL") => format!("CAST({q} AS VARCHAR)"),
                _ => q.clone(),
            };
            format!("{e} AS {q}")
        })
        .collect();
    duckdb(&format!(
        "SELECT {} FROM '{}' {order}",
        cols.join(", "),
        file.display()
    ))
}

/// `frame.time` as tshark prints it with TZ=UTC (`Nov 14, 2023
/// 22:13:20.000334000 UTC`), in nanoseconds since the epoch.
fn date_nanos(s: &str) -> i64 {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let p: Vec<&str> = s
        .split([' ', ',', ':', '.'])
        .filter(|x| !x.is_empty())
        .collect();
    assert_eq!(p.last(), Some(&"UTC"), "not a UTC date: {s}");
    let m = MONTHS.iter().position(|m| *m == p[0]).expect("month") as i64 + 1;
    let num = |i: usize| p[i].parse::<i64>().unwrap_or_else(|_| panic!("{s}"));
    let (d, y) = (num(1), num(2));
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    let secs = days * 86400 + num(3) * 3600 + num(4) * 60 + num(5);
    let frac = format!("{:0<9}", p[6]);
    secs * 1_000_000_000 + frac.parse::<i64>().unwrap()
}

/// A jsonl value as the Parquet column holds it, given DuckDB's type.
fn expected(v: &Value, ty: &str) -> Value {
    let base = ty.trim_end_matches("[]");
    match (v, base) {
        (Value::String(s), "UBIGINT" | "BIGINT") if s.starts_with("0x") => {
            Value::from(u64::from_str_radix(&s[2..], 16).expect("hex"))
        }
        (Value::Number(n), "BOOLEAN") => Value::Bool(n.as_u64() == Some(1)),
        // Presence-only fields (Wireshark's FT_NONE) keep their text.
        (Value::Number(n), "VARCHAR") => Value::from(n.to_string()),
        // An NTP timestamp of zero, which tshark prints as NULL.
        (Value::String(s), "TIMESTAMP_NS") if s == "NULL" => Value::Null,
        (Value::String(s), "TIMESTAMP_NS") => Value::from(date_nanos(s)),
        (Value::String(s), "DOUBLE") => Value::from(s.parse::<f64>().expect("double")),
        (v, _) => v.clone(),
    }
}

/// Asserts that `file`'s rows equal the jsonl rows field by field: absent
/// fields null, repeated ones lists in wire order.
fn assert_same(what: &str, file: &Path, jsonl: &[Value], types: &BTreeMap<String, String>) {
    let got = rows(file, types, "ORDER BY \"frame.number\"");
    assert_eq!(got.len(), jsonl.len(), "{what}: rows");
    let mut checked = 0;
    for (g, j) in got.iter().zip(jsonl) {
        for (name, ty) in types {
            let want = match (j.get(name), ty.ends_with("[]")) {
                (None, _) => Value::Null,
                (Some(Value::Array(a)), true) => {
                    Value::Array(a.iter().map(|v| expected(v, ty)).collect())
                }
                (Some(v), true) => Value::Array(vec![expected(v, ty)]),
                (Some(v), false) => expected(v, ty),
            };
            let have = &g[name];
            let same = match (have, &want) {
                (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
                _ => *have == want,
            };
            assert!(
                same,
                "{what}: frame {} field {name} ({ty}): parquet {have}, jsonl {want}",
                j["frame.number"]
            );
            checked += !want.is_null() as usize;
        }
    }
    assert!(checked > 0 || jsonl.is_empty(), "{what}: no value compared");
}

/// `read --format parquet -w OUT EXTRA FILE`, which must succeed quietly.
fn write_parquet(file: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec!["read", "--format", "parquet", "-w", arg(out)];
    args.extend_from_slice(extra);
    args.push(arg(file));
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o.stderr));
    assert!(
        o.stdout.is_empty() && o.stderr.is_empty(),
        "{args:?} printed: {} {}",
        text(&o.stdout),
        text(&o.stderr)
    );
}

/// jsonl rows with frame.time in UTC, as the Parquet timestamps hold it.
fn jsonl_utc(file: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["read", "--format", "jsonl"];
    args.extend_from_slice(extra);
    args.push(arg(file));
    ok_jsonl(&run_out(
        layerscope().env("TZ", "UTC").args(&args),
        Duration::from_secs(120),
    ))
}

fn captures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = [
        "eth_ipv4_tcp.pcap",
        "udp.pcap",
        "icmp.pcap",
        "icmpv6.pcap",
        "ipv6_ext.pcap",
        "ipv4_options_frag.pcap",
        "vlan.pcap",
        "arp.pcap",
        "sll.pcap",
        "nanosecond.pcap",
        "multi_if.pcapng",
        "malformed.pcap",
        "vxlan/vxlan.pcap",
        "http2/h2c_upgrade.pcap",
        "http2/h2_tls.pcap",
        "quic/http3.pcap",
    ]
    .iter()
    .map(|f| fixture(f))
    .collect();
    for c in [
        "tcpdump/dns_udp.pcap",
        "tcpdump/dns_tcp.pcap",
        "tcpdump/ipv4_tcp_http_xml.pcap",
        "tcpdump/pptp.pcap",
        "tcpdump/icmp-rfc5837.pcap",
        "tcpdump/802.1ad_QinQ.pcap",
    ] {
        v.push(shared_corpus(c));
    }
    v
}

#[test]
fn default_columns_match_jsonl_and_capinfos() {
    let dir = TempDir::new();
    for cap in captures() {
        let out = dir.path("p.parquet");
        write_parquet(&cap, &out, &[]);
        let what = cap.display().to_string();
        let n = duckdb(&format!("SELECT count(*) AS n FROM '{}'", out.display()));
        assert_eq!(n[0]["n"], capinfos_count(&cap), "{what}: rows vs capinfos");
        let types = describe(&out);
        let names: Vec<String> = types.keys().cloned().collect();
        let mut e = Vec::new();
        for n in &names {
            e.extend(["-e", n.as_str()]);
        }
        assert_same(&what, &out, &jsonl_utc(&cap, &e), &types);
    }
}

/// A generated capture with the benchmark's protocol mix (DNS, NTP, HTTP,
/// TLS, tunnels, …).
fn mix(dir: &TempDir, packets: u32) -> PathBuf {
    let cap = dir.path(&format!("mix-{packets}.pcap"));
    let st = Command::new("python3")
        .arg(root().join("../shared/bench/gen_mix_pcap.py"))
        .args([arg(&cap), &packets.to_string(), "7"])
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
    cap
}

#[test]
fn all_fields_are_every_jsonl_key_with_equal_values() {
    let dir = TempDir::new();
    let mut caps = captures();
    caps.push(mix(&dir, 20000));
    for cap in caps {
        let out = dir.path("all.parquet");
        write_parquet(&cap, &out, &["--all-fields"]);
        let what = cap.display().to_string();
        let j = jsonl_utc(&cap, &[]);
        let keys: BTreeSet<String> = j
            .iter()
            .flat_map(|r| r.as_object().unwrap().keys().cloned())
            .collect();
        let types = describe(&out);
        let cols: BTreeSet<String> = types.keys().cloned().collect();
        // jsonl names _ws.col.protocol and _ws.col.info in every row.
        assert_eq!(cols, keys, "{what}: columns vs jsonl keys");
        assert_same(&what, &out, &j, &types);
    }
}

#[test]
fn column_types_follow_the_field_declarations() {
    let dir = TempDir::new();
    let out = dir.path("t.parquet");
    let cap = fixture("icmpv6.pcap");
    let fields = [
        ("frame.number", "UBIGINT"),
        ("frame.time", "TIMESTAMP_NS"),
        ("frame.time_epoch", "DECIMAL(18,9)"),
        ("frame.protocols", "VARCHAR"),
        ("ip.src", "VARCHAR[]"),
        ("ipv6.src", "VARCHAR[]"),
        ("eth.src", "VARCHAR[]"),
        ("tcp.srcport", "UBIGINT[]"),
        ("tcp.flags", "UBIGINT[]"),
        ("ip.flags.df", "BOOLEAN[]"),
        ("icmpv6.resptime", "DOUBLE[]"),
        ("icmp.data_time_relative", "DECIMAL(18,9)[]"),
        ("frame.time_delta", "DECIMAL(18,9)"),
        ("data.len", "BIGINT[]"),
        ("_ws.col.info", "VARCHAR"),
    ];
    let mut e = Vec::new();
    for (n, _) in &fields {
        e.extend(["-e", *n]);
    }
    write_parquet(&cap, &out, &e);
    let types = describe(&out);
    let got: Vec<(&str, &str)> = types
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let mut want = fields.to_vec();
    want.sort();
    assert_eq!(got, want);
    assert_same("icmpv6.pcap typed", &out, &jsonl_utc(&cap, &e), &types);
    // frame.time and frame.time_epoch are the same instant.
    let r = duckdb(&format!(
        "SELECT count(*) AS n FROM '{}' WHERE epoch_ns(\"frame.time\") <> CAST(CAST(\"frame.time_epoch\" AS DECIMAL(38,9)) * 1000000000 AS BIGINT)",
        out.display()
    ));
    assert_eq!(r[0]["n"], 0);
}

#[test]
fn tunnels_give_both_addresses_in_wire_order() {
    let dir = TempDir::new();
    let out = dir.path("v.parquet");
    let cap = fixture("vxlan/vxlan.pcap");
    write_parquet(&cap, &out, &["-e", "frame.number", "-e", "ip.src"]);
    let want = tshark(&[
        "-r",
        arg(&cap),
        "-T",
        "fields",
        "-E",
        "occurrence=a",
        "-e",
        "ip.src",
    ]);
    let got = duckdb(&format!(
        "SELECT array_to_string(\"ip.src\", ',') AS s, len(\"ip.src\") AS n FROM '{}' ORDER BY \"frame.number\"",
        out.display()
    ));
    let want: Vec<&str> = want.lines().collect();
    assert_eq!(got.len(), want.len());
    assert!(got.iter().any(|r| r["n"] == 2), "no packet with two ip.src");
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g["s"].as_str().unwrap_or(""), w);
    }
}

/// Unix seconds of every frame, as tshark reads them.
fn tshark_secs(cap: &Path) -> Vec<i64> {
    tshark(&["-r", arg(cap), "-T", "fields", "-e", "frame.time_epoch"])
        .lines()
        .map(|l| l.split('.').next().unwrap().parse().unwrap())
        .collect()
}

#[test]
fn partition_hour_writes_one_file_per_hour_in_hive_directories() {
    let dir = TempDir::new();
    let base = fixture("udp.pcap");
    // The capture, the same two hours later, then the first hour again.
    let later = dir.path("later.pcap");
    let st = Command::new("editcap")
        .args(["-t", "7200", arg(&base), arg(&later)])
        .status()
        .unwrap();
    assert!(st.success());
    let cap = dir.path("hours.pcap");
    let st = Command::new("mergecap")
        .args([
            "-a",
            "-F",
            "pcap",
            "-w",
            arg(&cap),
            arg(&base),
            arg(&later),
            arg(&base),
        ])
        .status()
        .unwrap();
    assert!(st.success());
    let out = dir.path("out");
    write_parquet(&cap, &out, &["--partition", "hour"]);
    // Expected files: a new one whenever the hour changes, numbered per hour.
    let mut want: BTreeMap<String, u64> = BTreeMap::new();
    let mut cur = None;
    let mut parts: BTreeMap<i64, u32> = BTreeMap::new();
    let mut file = String::new();
    for s in tshark_secs(&cap) {
        let h = s.div_euclid(3600);
        if cur != Some(h) {
            cur = Some(h);
            let n = parts.entry(h).or_insert(0);
            let d = sh(&[
                "date",
                "-u",
                "-d",
                &format!("@{}", h * 3600),
                "+date=%Y-%m-%d/hour=%H",
            ]);
            file = format!("{}/part-{n}.parquet", d.trim());
            *n += 1;
        }
        *want.entry(file.clone()).or_insert(0) += 1;
    }
    assert!(want.len() >= 3, "{want:?}");
    let mut got = BTreeMap::new();
    for d in std::fs::read_dir(&out).unwrap() {
        let d = d.unwrap().path();
        for h in std::fs::read_dir(&d).unwrap() {
            for f in std::fs::read_dir(h.unwrap().path()).unwrap() {
                let f = f.unwrap().path();
                let rel = f.strip_prefix(&out).unwrap().display().to_string();
                let n = duckdb(&format!("SELECT count(*) AS n FROM '{}'", f.display()));
                got.insert(rel, n[0]["n"].as_u64().unwrap());
            }
        }
    }
    assert_eq!(got, want);
    // DuckDB reads the directory Hive-style; each row's hour is its own.
    let r = duckdb(&format!(
        "SELECT count(*) AS n, count(*) FILTER (WHERE strftime(\"frame.time\", '%Y-%m-%d') <> CAST(date AS VARCHAR) OR CAST(strftime(\"frame.time\", '%H') AS INT) <> CAST(hour AS INT)) AS bad FROM read_parquet('{}/*/*/*.parquet', hive_partitioning = true)",
        out.display()
    ));
    assert_eq!(r[0]["n"], capinfos_count(&cap));
    assert_eq!(r[0]["bad"], 0);
}

/// The raw text of a number in a JSON line (`"start":1700000000.000334000`),
/// as serde would round it through a double.
fn raw_number<'a>(line: &'a str, key: &str) -> &'a str {
    let at = line.find(&format!("\"{key}\":")).expect(key) + key.len() + 3;
    let rest = &line[at..];
    &rest[..rest.find([',', '}']).unwrap()]
}

#[test]
fn flows_parquet_equals_flows_jsonl() {
    let dir = TempDir::new();
    for cap in [
        fixture("eth_ipv4_tcp.pcap"),
        fixture("vxlan/vxlan.pcap"),
        fixture("quic/http3.pcap"),
        shared_corpus("tcpdump/dns_udp.pcap"),
        shared_corpus("tcpdump/pptp.pcap"),
    ] {
        let out = dir.path("f.parquet");
        let o = run(&["flows", "--format", "parquet", "-w", arg(&out), arg(&cap)]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        let j = run(&["flows", "--format", "jsonl", arg(&cap)]);
        assert_eq!(j.status.code(), Some(0));
        let lines: Vec<String> = text(&j.stdout).lines().map(String::from).collect();
        let types = describe(&out);
        assert_eq!(types["start"], "TIMESTAMP_NS");
        assert_eq!(types["duration"], "DECIMAL(18,9)");
        assert_eq!(types["bytes"], "UBIGINT");
        assert_eq!(types["evicted"], "BOOLEAN");
        let got = rows(&out, &types, "");
        assert_eq!(got.len(), lines.len(), "{}", cap.display());
        assert!(!lines.is_empty());
        for (g, l) in got.iter().zip(&lines) {
            let want = json_line(l);
            let keys: BTreeSet<&String> = want.as_object().unwrap().keys().collect();
            assert_eq!(keys, types.keys().collect(), "columns");
            for (k, ty) in &types {
                let w = match ty.as_str() {
                    "TIMESTAMP_NS" => {
                        let s = raw_number(l, k);
                        let (a, b) = s.split_once('.').unwrap();
                        Value::from(
                            a.parse::<i64>().unwrap() * 1_000_000_000 + b.parse::<i64>().unwrap(),
                        )
                    }
                    t if t.starts_with("DECIMAL") => Value::from(raw_number(l, k)),
                    _ => want[k].clone(),
                };
                assert_eq!(g[k], w, "{} {k}: {l}", cap.display());
            }
        }
    }
}

#[test]
fn parquet_to_standard_output_and_usage_errors() {
    let cap = fixture("eth_ipv4_tcp.pcap");
    let dir = TempDir::new();
    let o = run(&["read", "--format", "parquet", "-w", "-", arg(&cap)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let f = dir.path("stdout.parquet");
    std::fs::write(&f, &o.stdout).unwrap();
    let n = duckdb(&format!("SELECT count(*) AS n FROM '{}'", f.display()));
    assert_eq!(n[0]["n"], capinfos_count(&cap));
    for (args, needle) in [
        (
            vec!["read", "--format", "parquet", arg(&cap)],
            "needs -w FILE",
        ),
        (
            vec!["flows", "--format", "parquet", arg(&cap)],
            "needs -w FILE",
        ),
        (
            vec![
                "read",
                "--format",
                "parquet",
                "--all-fields",
                "-w",
                "x.parquet",
                "-",
            ],
            "not standard input",
        ),
        (
            vec![
                "read",
                "--format",
                "parquet",
                "--partition",
                "hour",
                "-w",
                "-",
                arg(&cap),
            ],
            "must name it",
        ),
        (
            vec!["read", "--all-fields", arg(&cap)],
            "go with --format parquet",
        ),
        (
            vec!["flows", "-w", "x.parquet", arg(&cap)],
            "add --format parquet",
        ),
    ] {
        let o = run_stdin(&args, b"");
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let err = text(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(o.stdout.is_empty());
    }
    assert!(!Path::new("x.parquet").exists());
}

#[test]
fn many_row_groups_on_a_generated_capture() {
    let dir = TempDir::new();
    let cap = mix(&dir, 150000);
    let out = dir.path("mix.parquet");
    write_parquet(&cap, &out, &[]);
    let f = out.display();
    let n = duckdb(&format!(
        "SELECT count(*) AS n, count(DISTINCT \"frame.number\") AS d FROM '{f}'"
    ));
    let want = capinfos_count(&cap);
    assert_eq!(n[0]["n"], want);
    assert_eq!(n[0]["d"], want);
    let g = duckdb(&format!(
        "SELECT count(DISTINCT row_group_id) AS g, max(row_group_num_rows) AS m FROM parquet_metadata('{f}')"
    ));
    assert_eq!(g[0]["g"], want.div_ceil(65536));
    assert_eq!(g[0]["m"], 65536);
    // The DuckDB example of the README, against tshark's count per source.
    let top = duckdb(&format!(
        "SELECT \"ip.src\"[1] AS s, count(*) AS n FROM '{f}' WHERE \"ip.src\" IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1"
    ));
    let s = top[0]["s"].as_str().unwrap();
    // Packets whose first (outer) ip.src is that address.
    let outer = tshark(&[
        "-r",
        arg(&cap),
        "-Y",
        &format!("ip.src == {s}"),
        "-T",
        "fields",
        "-E",
        "occurrence=f",
        "-e",
        "ip.src",
    ]);
    let n = outer.lines().filter(|o| *o == s).count();
    assert_eq!(top[0]["n"], n as u64);
}
