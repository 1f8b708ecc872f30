//! Terminal output as tcpdump and tshark users expect it: rows that fit a
//! real terminal (tmux) at 80 to 200 columns, full rows when piped, tcpdump's
//! `-X`/`-XX`/`-A` dumps, `-v` for the detail tree, the flows Stream column,
//! the stats hierarchy around ICMP, and shell completions and the manual
//! page generated from the flags.
//!
//! Expected values come from tshark, tcpdump, groff and the shells on the
//! same files, computed here.

mod common;

use common::{arg, bin, fixture, jsonl, run, sh, shared_corpus, text, tshark, unique};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// Captures with long IPv6 socket pairs (and IPv4 ones for contrast).
fn v6_captures() -> Vec<PathBuf> {
    vec![
        fixture("icmpv6.pcap"),
        fixture("ipv6_ext.pcap"),
        fixture("live/http.pcap"),
        shared_corpus("zeek/traces/ipv6-http-atomic-frag.pcap"),
        shared_corpus("zeek/traces/icmp/icmp6-nd-options.pcap"),
    ]
}

/// Packets in a capture, as tshark counts them.
fn tshark_count(f: &str) -> usize {
    tshark(&["-r", f, "-T", "fields", "-e", "frame.number"])
        .lines()
        .count()
}

/// A tmux session `width` columns wide running `cmd` (through sh); the
/// pane's whole text with wrapped lines joined (-J), once `cmd` has ended.
/// The session is killed on drop.
struct Tmux {
    name: String,
}

impl Tmux {
    fn start(width: usize, cmd: &str) -> Tmux {
        let name = unique("lsterm");
        let shell = format!("env -u COLUMNS -u NO_COLOR {cmd}; echo __END__; sleep 120");
        // A server of its own: tests run in parallel, and killing the last
        // session of a shared server would end the others' sessions.
        sh(&[
            "tmux",
            "-L",
            &name,
            "new-session",
            "-d",
            "-s",
            &name,
            "-x",
            &width.to_string(),
            "-y",
            "50",
            "sh",
            "-c",
            &shell,
        ]);
        // (tmux keeps 2000 lines of history: more than these captures print.)
        Tmux { name }
    }

    fn pane(&self) -> String {
        sh(&[
            "tmux",
            "-L",
            &self.name,
            "capture-pane",
            "-p",
            "-J",
            "-S",
            "-",
            "-t",
            &self.name,
        ])
    }

    /// The pane once the command has printed its end marker (bounded).
    fn finished(&self) -> String {
        let t0 = Instant::now();
        loop {
            let p = self.pane();
            if p.contains("__END__") {
                return p;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(60),
                "tmux command did not end:\n{p}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.name, "kill-server"])
            .status();
    }
}

/// The lines before the end marker, with trailing blanks trimmed.
fn body(pane: &str) -> Vec<String> {
    pane.lines()
        .take_while(|l| !l.contains("__END__"))
        .map(|l| l.trim_end().to_string())
        .collect()
}

/// A packet row: its number, then its time (`0.000011`).
fn is_row(l: &str) -> bool {
    let mut w = l.split_whitespace();
    w.next().is_some_and(|t| t.parse::<u64>().is_ok())
        && w.next()
            .is_some_and(|t| t.contains('.') && t.parse::<f64>().is_ok())
}

fn assert_fits(lines: &[String], width: usize, what: &str) {
    for l in lines {
        assert!(
            l.chars().count() <= width,
            "{what}: line of {} columns on a {width}-column terminal:\n{l}",
            l.chars().count()
        );
    }
}

#[test]
fn read_rows_fit_the_terminal_one_line_each() {
    for f in v6_captures() {
        let f = arg(&f);
        let n = tshark_count(f);
        for width in [80, 100, 120, 200] {
            let t = Tmux::start(
                width,
                &format!("{} read --no-progress {f}", bin().display()),
            );
            let lines = body(&t.finished());
            assert_fits(&lines, width, f);
            let rows: Vec<&String> = lines.iter().filter(|l| is_row(l)).collect();
            assert_eq!(rows.len(), n, "{f} at {width}:\n{}", lines.join("\n"));
            // Numbered 1..n: every packet on its own line, in order.
            for (i, r) in rows.iter().enumerate() {
                let no: usize = r.split_whitespace().next().unwrap().parse().unwrap();
                assert_eq!(no, i + 1, "{f} at {width}: {r}");
            }
            // The Len column stays in line: every row has the frame length
            // tshark reports at the same column as the header's "Len".
            let header = lines.iter().find(|l| l.contains("Len Info")).unwrap();
            let len_end = header.find("Len").unwrap() + 3;
            let lens = tshark(&["-r", f, "-T", "fields", "-e", "frame.len"]);
            for (r, len) in rows.iter().zip(lens.lines()) {
                let upto: String = r.chars().take(len_end).collect();
                assert!(upto.ends_with(&format!(" {len}")), "{f} at {width}: {r}");
            }
        }
    }
}

#[test]
fn flows_and_stats_fit_the_terminal() {
    let files = [
        fixture("live/dns.pcap"),
        shared_corpus("zeek/traces/ipv6-http-atomic-frag.pcap"),
        shared_corpus("zeek/traces/icmp/icmp6-nd-options.pcap"),
    ];
    for f in &files {
        let f = arg(f);
        let tcp: BTreeSet<String> =
            tshark(&["-r", f, "-Y", "tcp", "-T", "fields", "-e", "tcp.stream"])
                .lines()
                .map(String::from)
                .collect();
        let udp: BTreeSet<String> = tshark(&[
            "-r",
            f,
            "-Y",
            "udp && !icmp && !icmpv6",
            "-T",
            "fields",
            "-e",
            "udp.stream",
        ])
        .lines()
        .map(String::from)
        .collect();
        for width in [80, 100, 120, 200] {
            let t = Tmux::start(
                width,
                &format!("{} flows --no-progress {f}", bin().display()),
            );
            let lines = body(&t.finished());
            assert_fits(&lines, width, f);
            let cell = |l: &str| {
                l.trim_start_matches('│')
                    .split('│')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string()
            };
            let tcp_rows: BTreeSet<String> = lines
                .iter()
                .map(|l| cell(l))
                .filter_map(|c| c.strip_prefix("tcp ").map(String::from))
                .collect();
            let udp_rows: BTreeSet<String> = lines
                .iter()
                .map(|l| cell(l))
                .filter_map(|c| c.strip_prefix("udp ").map(String::from))
                .collect();
            assert_eq!(tcp_rows, tcp, "{f} at {width}:\n{}", lines.join("\n"));
            assert_eq!(udp_rows, udp, "{f} at {width}:\n{}", lines.join("\n"));

            let t = Tmux::start(
                width,
                &format!("{} stats --no-progress {f}", bin().display()),
            );
            let lines = body(&t.finished());
            assert_fits(&lines, width, f);
            let phs = tshark(&["-q", "-z", "io,phs", "-r", f]);
            let first = phs.lines().find(|l| l.starts_with("eth")).unwrap();
            assert!(
                lines.iter().any(|l| l == first),
                "{f} at {width}:\n{}",
                lines.join("\n")
            );
        }
    }
}

#[test]
fn capture_rows_fit_the_terminal() {
    common::require_root();
    let dir = common::TempDir::new();
    let pcap = dir.path("cap.pcap");
    let t = Tmux::start(
        80,
        &format!(
            "{} capture -i lo -c 6 -f 'icmp6 and host ::1' -w {}",
            bin().display(),
            arg(&pcap)
        ),
    );
    // Until the capture is ready, then six packets: three echo requests
    // and their replies.
    let t0 = Instant::now();
    while !t.pane().contains("capturing on") {
        assert!(t0.elapsed() < Duration::from_secs(20), "{}", t.pane());
        std::thread::sleep(Duration::from_millis(50));
    }
    sh(&["ping", "-6", "-c", "3", "-i", "0.2", "-s", "56", "::1"]);
    let lines = body(&t.finished());
    assert_fits(&lines, 80, "capture");
    let rows: Vec<&String> = lines.iter().filter(|l| is_row(l)).collect();
    assert_eq!(rows.len(), 6, "{}", lines.join("\n"));
    // The same frames as tshark reads them from the -w file: lengths and
    // ICMPv6 types in order.
    let f = tshark(&[
        "-r",
        arg(&pcap),
        "-c",
        "6",
        "-T",
        "fields",
        "-e",
        "frame.len",
        "-e",
        "icmpv6.type",
    ]);
    for (r, l) in rows.iter().zip(f.lines()) {
        let (len, ty) = l.split_once('\t').unwrap();
        assert!(r.contains(&format!(" {len} ")), "{r} / {l}");
        let name = if ty == "128" {
            "ping) req"
        } else {
            "ping) rep"
        };
        assert!(r.contains(name), "{r} / {l}");
    }
}

#[test]
fn piped_rows_keep_full_addresses() {
    for f in v6_captures() {
        let f = arg(&f);
        let out = run(&["read", "--color", "never", f]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let rows: Vec<String> = text(&out.stdout)
            .lines()
            .filter(|l| is_row(l))
            .map(String::from)
            .collect();
        let addrs = tshark(&[
            "-r", f, "-T", "fields", "-e", "ipv6.src", "-e", "ipv6.dst", "-e", "ip.src", "-e",
            "ip.dst",
        ]);
        assert_eq!(rows.len(), addrs.lines().count(), "{f}");
        for (r, a) in rows.iter().zip(addrs.lines()) {
            assert!(!r.contains('…'), "{f}: piped row elided: {r}");
            // The outer addresses (tshark lists inner ones after a comma).
            let f: Vec<&str> = a
                .split('\t')
                .map(|v| v.split(',').next().unwrap_or(""))
                .collect();
            let (s, d) = if f[0].is_empty() {
                (f[2], f[3])
            } else {
                (f[0], f[1])
            };
            if s.is_empty() {
                continue;
            }
            // (An ICMP error's Info names the quoted pair after it.)
            let pair = r.split_once(" → ").unwrap_or_else(|| panic!("{r}"));
            assert!(
                pair.0.contains(s) && pair.1.contains(d),
                "{s} → {d} not in {r}"
            );
        }
    }
}

/// tcpdump's dump lines (`\t0x0000:  …`) of `tcpdump -n -r F FLAG`.
fn tcpdump_dump(f: &str, flag: &str) -> Vec<String> {
    let out = Command::new("tcpdump")
        .args(["-n", "-r", f, flag])
        .output()
        .expect("tcpdump");
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("\t0x"))
        .map(String::from)
        .collect()
}

#[test]
fn hex_ascii_dumps_match_tcpdump() {
    let files = [
        fixture("eth_ipv4_tcp.pcap"),
        fixture("vlan.pcap"),
        fixture("sll.pcap"),
        fixture("raw_ip.pcap"),
        fixture("null_loopback.pcap"),
        fixture("icmpv6.pcap"),
        fixture("arp.pcap"),
        fixture("live/http.pcap"),
    ];
    for f in &files {
        let f = arg(f);
        for flag in ["-X", "-XX"] {
            let out = run(&["read", "--color", "never", flag, f]);
            assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
            let ours: Vec<String> = text(&out.stdout)
                .lines()
                .filter(|l| l.starts_with("\t0x"))
                .map(String::from)
                .collect();
            let theirs = tcpdump_dump(f, flag);
            assert!(!theirs.is_empty(), "{f}");
            assert_eq!(ours, theirs, "{f} {flag}");
        }
    }
}

#[test]
fn ascii_dump_matches_tcpdump() {
    let f = fixture("live/http.pcap");
    let f = arg(&f);
    let out = run(&["read", "--color", "never", "-A", f]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Per packet: the lines under its row / header line.
    let split = |s: &str, head: &dyn Fn(&str) -> bool| -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        for l in s.lines() {
            if head(l) {
                v.push(String::new());
            } else if let Some(last) = v.last_mut() {
                last.push_str(l);
                last.push('\n');
            }
        }
        v
    };
    let ours = split(&text(&out.stdout), &|l| is_row(l));
    let td = Command::new("tcpdump")
        .args(["-n", "-r", f, "-A"])
        .output()
        .expect("tcpdump");
    let time = regex::Regex::new(r"^\d\d:\d\d:\d\d\.\d{6} ").unwrap();
    let theirs = split(&text(&td.stdout), &|l| time.is_match(l));
    assert_eq!(ours.len(), tshark_count(f));
    assert_eq!(ours, theirs);
}

#[test]
fn verbose_selects_the_detail_view() {
    let f = fixture("live/http.pcap");
    let f = arg(&f);
    let detail = run(&["read", "--color", "never", "-F", "detail", f]).stdout;
    let v = run(&["read", "--color", "never", "-v", f]).stdout;
    let x = run(&["read", "--color", "never", "-x", f]).stdout;
    let vv = run(&["read", "--color", "never", "-vv", f]).stdout;
    assert_eq!(v, detail);
    assert_eq!(vv, x);
    let frames = text(&v).lines().filter(|l| l.starts_with("Frame ")).count();
    assert_eq!(frames, tshark_count(f));
}

#[test]
fn detail_escapes_header_lines_and_wraps_payloads() {
    let f = fixture("live/http.pcap");
    let f = arg(&f);
    let out = text(&run(&["read", "--color", "never", "-v", f]).stdout);
    // Every line of the tree stays short (a payload is a wrapped block).
    for l in out.lines() {
        assert!(l.chars().count() < 200, "long line: {l}");
    }
    // Header lines as Wireshark shows them: their CRLF escaped.
    for host in tshark(&[
        "-r",
        f,
        "-Y",
        "http.host",
        "-T",
        "fields",
        "-e",
        "http.host",
    ])
    .lines()
    {
        let want = format!("Header line: Host: {host}\\r\\n");
        assert!(out.contains(&want), "missing {want}");
    }
    // The wrapped payload's hex, joined, is tshark's tcp.payload.
    let payloads: Vec<String> = tshark(&[
        "-r",
        f,
        "-Y",
        "tcp.len > 32",
        "-T",
        "fields",
        "-e",
        "tcp.payload",
    ])
    .lines()
    .map(String::from)
    .collect();
    assert!(!payloads.is_empty());
    let mut ours = Vec::new();
    let mut cur: Option<String> = None;
    for l in out.lines() {
        if l.trim_start().starts_with("TCP payload (") {
            cur = Some(String::new());
            continue;
        }
        if let Some(c) = &mut cur {
            let t = l.trim_start();
            let hexpart = t
                .get(6..55)
                .filter(|_| t.len() > 6 && t.as_bytes()[4] == b' ');
            match hexpart {
                Some(h) if t[..4].chars().all(|c| c.is_ascii_hexdigit()) => {
                    c.extend(h.split_whitespace());
                }
                _ => ours.push(cur.take().unwrap()),
            }
        }
    }
    assert_eq!(ours, payloads);
}

#[test]
fn marks_name_their_protocol_once() {
    let mut marks = 0;
    for f in [
        fixture("malformed.pcap"),
        fixture("ipv4_options_frag.pcap"),
        fixture("udp.pcap"),
    ] {
        let f = arg(&f);
        let flagged = tshark(&[
            "-r",
            f,
            "-Y",
            "_ws.malformed || _ws.short",
            "-T",
            "fields",
            "-e",
            "frame.number",
        ]);
        let mut table_marks = 0;
        for fmt in ["table", "detail"] {
            let out = text(&run(&["read", "--color", "never", "-F", fmt, f]).stdout);
            for (i, _) in out
                .match_indices("[malformed: ")
                .chain(out.match_indices("[truncated: "))
            {
                marks += 1;
                let mark = &out[i..i + out[i..].find(']').unwrap() + 1];
                // No protocol name (a word with capitals) twice.
                let names: Vec<&str> = mark[1..]
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .filter(|w| w.len() > 1 && w.chars().any(|c| c.is_ascii_uppercase()))
                    .collect();
                let unique: BTreeSet<&str> = names.iter().copied().collect();
                assert_eq!(unique.len(), names.len(), "{f}: {mark}");
                if fmt == "table" {
                    table_marks += 1;
                }
            }
        }
        // At least every frame tshark flags is marked.
        assert!(table_marks >= flagged.lines().count(), "{f}");
    }
    assert!(marks > 0);
}

#[test]
fn stats_hierarchy_around_icmp_matches_tshark() {
    for f in [
        fixture("icmp.pcap"),
        fixture("icmpv6.pcap"),
        fixture("ipv6_ext.pcap"),
        shared_corpus("zeek/traces/icmp/icmp-destunreach-udp.pcap"),
        shared_corpus("zeek/traces/icmp/icmp6-nd-options.pcap"),
        shared_corpus("zeek/traces/ipv6-fragmented-dns.pcap"),
    ] {
        let f = arg(&f);
        let phs = tshark(&["-q", "-z", "io,phs", "-r", f]);
        let want: Vec<&str> = phs
            .lines()
            .filter(|l| l.contains(" frames:"))
            .map(str::trim_end)
            .collect();
        let out = text(&run(&["stats", f]).stdout);
        let ours: Vec<&str> = out
            .lines()
            .skip(1)
            .take_while(|l| !l.is_empty())
            .map(str::trim_end)
            .collect();
        assert_eq!(ours, want, "{f}");
    }
}

#[test]
fn flows_name_tcp_and_udp_streams_apart() {
    let f = fixture("live/dns.pcap");
    let f = arg(&f);
    let rows = jsonl(&run(&["flows", "-F", "jsonl", f]).stdout);
    let ours = |key: &str| -> BTreeSet<String> {
        rows.iter()
            .filter_map(|r| r[key].as_u64())
            .map(|v| v.to_string())
            .collect()
    };
    let theirs = |field: &str, filter: &str| -> BTreeSet<String> {
        tshark(&["-r", f, "-Y", filter, "-T", "fields", "-e", field])
            .lines()
            .map(String::from)
            .collect()
    };
    assert_eq!(ours("tcp.stream"), theirs("tcp.stream", "tcp"));
    assert_eq!(ours("udp.stream"), theirs("udp.stream", "udp"));
    for r in &rows {
        match r["transport"].as_str() {
            Some("TCP") => assert!(r["udp.stream"].is_null() && r["tcp.stream"] == r["stream"]),
            Some("UDP") => assert!(r["tcp.stream"].is_null() && r["udp.stream"] == r["stream"]),
            _ => assert!(r["tcp.stream"].is_null() && r["udp.stream"].is_null()),
        }
    }
    let csv = text(&run(&["flows", "-F", "csv", f]).stdout);
    let head: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let ti = head.iter().position(|h| *h == "tcp.stream").unwrap();
    let ui = head.iter().position(|h| *h == "udp.stream").unwrap();
    let col = |i: usize| -> BTreeSet<String> {
        csv.lines()
            .skip(1)
            .map(|l| l.split(',').nth(i).unwrap_or("").to_string())
            .filter(|v| !v.is_empty())
            .collect()
    };
    assert_eq!(col(ti), theirs("tcp.stream", "tcp"));
    assert_eq!(col(ui), theirs("udp.stream", "udp"));
}

#[test]
fn live_flows_status_agrees_with_rows() {
    common::require_root();
    let port = 20000 + (std::process::id() % 20000) as u16;
    let t = Tmux::start(
        160,
        &format!(
            "{} flows -i lo -f 'tcp port {port}' --duration 6",
            bin().display()
        ),
    );
    let t0 = Instant::now();
    while !t.pane().contains("layerscope flows on") {
        assert!(t0.elapsed() < Duration::from_secs(20), "{}", t.pane());
        std::thread::sleep(Duration::from_millis(50));
    }
    let listen = format!("127.0.0.1:{port}");
    let mut server = Command::new(bin())
        .args(["serve", "--listen", &listen, "--count", "1"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("serve");
    std::thread::sleep(Duration::from_millis(300));
    sh(&[
        bin().to_str().unwrap(),
        "client",
        &listen,
        "--message",
        "hi",
    ]);
    let _ = server.wait();
    // The view after the connection ended (redrawn about once a second).
    std::thread::sleep(Duration::from_millis(2500));
    let view = t.pane();
    let _ = t.finished();
    let status = view
        .lines()
        .find(|l| l.starts_with("layerscope flows on"))
        .unwrap_or_else(|| panic!("{view}"));
    let closed = view.lines().filter(|l| l.contains(" closed ")).count();
    assert_eq!(closed, 1, "{view}");
    assert!(
        status.contains("(0 active, 1 ended or idle)"),
        "status disagrees with the rows:\n{view}"
    );
}

/// Long flags of every subcommand, from its `--help`.
fn long_flags() -> Vec<(String, String)> {
    let help = text(&run(&["--help"]).stdout);
    let subs: Vec<String> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(String::from))
        .filter(|s| s != "help")
        .collect();
    assert!(subs.len() >= 9, "{help}");
    let re = regex::Regex::new(r"^\s+(?:-\w, )?--([a-z][a-z0-9-]+)").unwrap();
    let mut all = Vec::new();
    for s in subs {
        let h = text(&run(&[s.as_str(), "--help"]).stdout);
        for l in h.lines() {
            if let Some(c) = re.captures(l) {
                all.push((s.clone(), c[1].to_string()));
            }
        }
    }
    all
}

#[test]
fn completions_cover_every_flag_and_load() {
    let flags = long_flags();
    assert!(flags
        .iter()
        .any(|(s, f)| s == "read" && f == "display-filter"));
    for shell in ["bash", "zsh", "fish"] {
        let out = run(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0));
        let script = text(&out.stdout);
        for (sub, flag) in &flags {
            let needle = match shell {
                "fish" => format!("-l {flag}"),
                _ => format!("--{flag}"),
            };
            assert!(script.contains(&needle), "{shell}: {sub} --{flag} missing");
        }
    }
    let bin = bin();
    let b = bin.display();
    let out = Command::new("zsh")
        .args([
            "-c",
            &format!(
                "autoload -U compinit; compinit -u; source <({b} completions zsh) && echo loaded"
            ),
        ])
        .output()
        .expect("zsh");
    assert_eq!(text(&out.stdout).trim(), "loaded", "{}", text(&out.stderr));
    assert!(text(&out.stderr).is_empty(), "{}", text(&out.stderr));
    let out = Command::new("fish")
        .args([
            "-c",
            &format!("{b} completions fish | source; complete -C 'layerscope read --display-f'"),
        ])
        .output()
        .expect("fish");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).starts_with("--display-filter"),
        "{}",
        text(&out.stdout)
    );
    let out = Command::new("bash")
        .args([
            "-c",
            &format!("source <({b} completions bash) && complete -p layerscope"),
        ])
        .output()
        .expect("bash");
    assert!(
        text(&out.stdout).contains("layerscope"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn man_page_renders_every_flag() {
    let out = run(&["man"]);
    assert_eq!(out.status.code(), Some(0));
    let dir = common::TempDir::new();
    let page = dir.path("layerscope.1");
    std::fs::write(&page, &out.stdout).unwrap();
    // groff with every warning on: none may appear.
    let g = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z", arg(&page)])
        .output()
        .expect("groff");
    assert!(
        g.status.success() && g.stderr.is_empty(),
        "{}",
        text(&g.stderr)
    );
    let m = Command::new("man")
        .args(["-l", arg(&page)])
        .env("MANWIDTH", "100")
        .env_remove("MAN_KEEP_FORMATTING")
        .output()
        .expect("man");
    assert!(m.status.success(), "{}", text(&m.stderr));
    let rendered = text(&m.stdout);
    for (sub, flag) in long_flags() {
        assert!(
            rendered.contains(&format!("LAYERSCOPE {}", sub.to_uppercase())),
            "section for {sub}"
        );
        assert!(
            rendered.contains(&format!("--{flag}")),
            "{sub} --{flag} not in the page"
        );
    }
}
