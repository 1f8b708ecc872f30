//! Writing captures (`read -w`, `capture -w`, ring buffers), checked with
//! tshark, tcpdump and capinfos: every file they read back must hold the
//! packets the peers select themselves, with the same timestamps (to the
//! nanosecond), lengths and bytes.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::Duration;

/// `frame.time_epoch`, `frame.len` and `frame.cap_len` of every frame tshark
/// reads from `path` (through its own display filter when given).
fn frames(path: &Path, filter: Option<&str>) -> Vec<String> {
    let mut args = vec!["-r", arg(path)];
    if let Some(f) = filter {
        args.extend(["-Y", f]);
    }
    args.extend([
        "-T",
        "fields",
        "-e",
        "frame.time_epoch",
        "-e",
        "frame.len",
        "-e",
        "frame.cap_len",
    ]);
    tshark(&args)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// The frames' bytes as tcpdump dumps them (`-xx`: from the link layer),
/// with nanosecond timestamps; only the timestamp and hex lines, so the
/// comparison does not depend on how tcpdump decodes.
fn tcpdump_bytes(path: &Path) -> Vec<String> {
    let out = run_out(
        Command::new("tcpdump")
            .args(["-nn", "-tt", "--time-stamp-precision=nano", "-xx", "-r"])
            .arg(path),
        Duration::from_secs(60),
    );
    assert!(
        out.status.success(),
        "tcpdump -r {}: {}",
        path.display(),
        text(&out.stderr)
    );
    text(&out.stdout)
        .lines()
        .filter_map(|l| {
            if l.starts_with("\t0x") {
                Some(l.to_string())
            } else {
                // The timestamp that starts each packet's first line.
                l.split_whitespace()
                    .next()
                    .filter(|t| {
                        t.contains('.') && t.chars().all(|c| c.is_ascii_digit() || c == '.')
                    })
                    .map(str::to_string)
            }
        })
        .collect()
}

/// capinfos' value for `key` (e.g. "Number of packets") in `capinfos ARGS path`.
fn capinfos(path: &Path, args: &[&str]) -> String {
    let out = run_out(
        Command::new("capinfos").args(args).arg(path),
        Duration::from_secs(60),
    );
    assert!(
        out.status.success(),
        "capinfos {}: {}",
        path.display(),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn capinfos_value(info: &str, key: &str) -> Option<String> {
    info.lines()
        .find_map(|l| l.trim().strip_prefix(key))
        .map(|v| v.trim_start_matches([' ', ':', '=']).trim().to_string())
}

/// Packets in a file according to capinfos (`-M`: exact numbers).
fn capinfos_count(path: &Path) -> usize {
    let info = capinfos(path, &["-c", "-M"]);
    capinfos_value(&info, "Number of packets")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no packet count in capinfos output:\n{info}"))
}

/// Every reader agrees `out` holds `want` packets.
fn assert_count(out: &Path, want: usize) {
    assert_eq!(tshark_count(out), want, "tshark on {}", out.display());
    assert_eq!(tcpdump_count(out), want, "tcpdump on {}", out.display());
    assert_eq!(capinfos_count(out), want, "capinfos on {}", out.display());
}

/// `layerscope read SRC -Y/-f … -w OUT`: stdout stays empty, and OUT
/// holds exactly what `reference` holds (a file written by tshark or
/// tcpdump with the same filter).
fn check_read_write(src: &Path, filter_args: &[&str], reference: &Path, out: &Path) {
    let o = run_out(
        layerscope()
            .arg("read")
            .arg(src)
            .args(filter_args)
            .arg("-w")
            .arg(out),
        Duration::from_secs(60),
    );
    assert!(o.status.success(), "read -w: {}", text(&o.stderr));
    assert!(
        o.stdout.is_empty(),
        "rows printed with -w: {}",
        text(&o.stdout)
    );
    let want = frames(reference, None);
    assert!(!want.is_empty(), "empty reference for {}", src.display());
    assert_eq!(frames(out, None), want, "{} {filter_args:?}", src.display());
    assert_count(out, want.len());
    assert_eq!(
        tcpdump_bytes(out),
        tcpdump_bytes(reference),
        "frame bytes of {} {filter_args:?}",
        src.display()
    );
}

fn tshark_write(src: &Path, filter: &str, out: &Path) {
    tshark(&["-r", arg(src), "-Y", filter, "-w", arg(out)]);
}

#[test]
fn read_w_writes_exactly_the_packets_tshark_selects_in_both_formats() {
    let cases: &[(PathBuf, &str)] = &[
        (shared_corpus("zeek/traces/http/get.pcap"), "http"),
        (
            shared_corpus("zeek/traces/http/get.pcap"),
            "tcp.flags.syn == 1",
        ),
        (shared_corpus("tcpdump/dns_tcp.pcap"), "dns"),
        (shared_corpus("zeek/traces/dns53.pcap"), "dns"),
        (
            shared_corpus("zeek/traces/pcapng-multi-interface.pcapng"),
            "frame",
        ),
        (fixture("nanosecond.pcap"), "frame"),
        (fixture("icmp.pcap"), "icmp.type == 8"),
        (fixture("sll.pcap"), "ip"),
        (fixture("raw_ip.pcap"), "ip"),
    ];
    let d = TempDir::new();
    for (i, (src, filter)) in cases.iter().enumerate() {
        let reference = d.path(&format!("ref{i}.pcapng"));
        tshark_write(src, filter, &reference);
        for ext in ["pcap", "pcapng"] {
            let out = d.path(&format!("out{i}.{ext}"));
            check_read_write(src, &["-Y", filter], &reference, &out);
            // The file's own type follows its name.
            let info = capinfos(&out, &["-t"]);
            let want = if ext == "pcapng" { "pcapng" } else { "pcap" };
            assert!(
                capinfos_value(&info, "File type").is_some_and(|t| t.ends_with(want)),
                "{}: {info}",
                out.display()
            );
        }
    }
}

#[test]
fn read_w_with_a_bpf_filter_writes_what_tcpdump_writes() {
    let d = TempDir::new();
    for (src, bpf) in [
        (
            shared_corpus("zeek/traces/http/get.pcap"),
            "tcp dst port 80",
        ),
        (fixture("icmpv6.pcap"), "icmp6"),
        (fixture("vlan.pcap"), "vlan"),
    ] {
        let reference = d.path("ref.pcap");
        sh(&["tcpdump", "-r", arg(&src), "-w", arg(&reference), bpf]);
        let out = d.path("out.pcap");
        check_read_write(&src, &["-f", bpf], &reference, &out);
    }
}

#[test]
fn write_format_flag_overrides_the_name_and_precision_follows_the_source() {
    let d = TempDir::new();
    let out = d.path("out.cap");
    let src = fixture("nanosecond.pcap");
    let o = run(&[
        "read",
        arg(&src),
        "-w",
        arg(&out),
        "--write-format",
        "pcapng",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let info = capinfos(&out, &["-t", "-I"]);
    assert!(info.contains("pcapng"), "{info}");
    assert!(info.contains("nanoseconds (9)"), "{info}");
    // Nanosecond pcap in, nanosecond pcap out; microsecond in, microsecond out.
    for (src, want) in [
        (fixture("nanosecond.pcap"), "nanoseconds"),
        (fixture("udp.pcap"), "microseconds"),
    ] {
        let out = d.path("p.pcap");
        let o = run(&["read", arg(&src), "-w", arg(&out)]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        let prec = |f: &Path| {
            let info = capinfos(f, &[]);
            capinfos_value(&info, "File timestamp precision")
                .unwrap_or_else(|| panic!("no precision: {info}"))
        };
        assert!(prec(&src).starts_with(want), "{}", prec(&src));
        assert_eq!(prec(&out), prec(&src), "{}", src.display());
        assert_eq!(frames(&out, None), frames(&src, None));
    }
    // From a pipe (read once, never peeked at): nanosecond pcap, every frame.
    let src = fixture("udp.pcap");
    let out = d.path("pipe.pcap");
    let script = format!(
        "'{}' read <(cat '{}') -w '{}'",
        bin().display(),
        src.display(),
        out.display()
    );
    let o = run_out(
        Command::new("bash").args(["-c", &script]),
        Duration::from_secs(30),
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(frames(&out, None), frames(&src, None));
}

#[test]
fn read_w_of_several_link_types_needs_pcapng() {
    let d = TempDir::new();
    let src = fixture("multi_if.pcapng");
    let out = d.path("out.pcap");
    let o = run(&["read", arg(&src), "-w", arg(&out)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains("one link type") && err.contains("pcapng"),
        "{err}"
    );
    // What was written before the refusal is a valid file.
    tshark_count(&out);
    // libpcap (tcpdump) reads one link type per file: tshark and capinfos
    // check this one, bytes through tshark's hex dump.
    let out = d.path("out.pcapng");
    let reference = d.path("ref.pcapng");
    tshark_write(&src, "frame", &reference);
    let o = run(&["read", arg(&src), "-w", arg(&out)]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(frames(&out, None), frames(&reference, None));
    assert_eq!(capinfos_count(&out), tshark_count(&reference));
    assert_eq!(
        tshark(&["-r", arg(&out), "-x"]),
        tshark(&["-r", arg(&reference), "-x"])
    );
    let info = capinfos(&out, &["-I"]);
    let want = capinfos(&src, &["-I"]);
    // One description per link type of each source interface.
    let encaps = |s: &str| -> std::collections::BTreeSet<String> {
        s.lines()
            .filter(|l| l.contains("Encapsulation ="))
            .map(|l| l.trim().to_string())
            .collect()
    };
    assert_eq!(encaps(&info), encaps(&want));
}

#[test]
fn read_w_prints_rows_only_with_p_and_never_on_the_captures_stdout() {
    let d = TempDir::new();
    let src = shared_corpus("zeek/traces/http/get.pcap");
    let n = frames(&src, Some("tcp")).len();
    let out = d.path("o.pcap");
    let o = run(&[
        "read",
        arg(&src),
        "-Y",
        "tcp",
        "-w",
        arg(&out),
        "-P",
        "-F",
        "jsonl",
    ]);
    assert!(o.status.success());
    assert_eq!(jsonl(&o.stdout).len(), n);
    assert_count(&out, n);
    // -w -: the capture alone on stdout, read by tcpdump through a pipe;
    // -P rows go to stderr.
    let bin = bin();
    let script = format!(
        "set -o pipefail; '{}' read '{}' -Y tcp -w - -P -F jsonl 2>'{}' | tcpdump -nn -r - 2>/dev/null",
        bin.display(),
        src.display(),
        d.path("err").display()
    );
    let o = run_out(
        Command::new("bash").args(["-c", &script]),
        Duration::from_secs(60),
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout).lines().count(), n);
    let err = std::fs::read(d.path("err")).unwrap();
    assert_eq!(jsonl(&err).len(), n, "{}", text(&err));
}

/// Sends `n` UDP datagrams of `size` bytes to 127.0.0.1:`port`, one every
/// `gap` seconds (bounded); each starts with its number (`000042`).
fn udp_burst(port: u16, n: u32, size: usize, gap: f64) {
    let py = format!(
        "import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n\
         for i in range({n}):\n    s.sendto(('%06d' % i).encode().ljust({size}, b'x'),('127.0.0.1',{port}))\n    time.sleep({gap})\n"
    );
    sh(&["python3", "-c", &py]);
}

fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A directory user nobody can write in.
fn nobody_dir() -> TempDir {
    use std::os::unix::fs::PermissionsExt;
    let d = TempDir::new();
    std::fs::set_permissions(&d.0, std::fs::Permissions::from_mode(0o777)).unwrap();
    d
}

fn nobody_uid() -> u32 {
    sh(&["id", "-u", "nobody"]).trim().parse().unwrap()
}

/// Files in `dir` whose names start with `prefix`, sorted.
fn files_with(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
        .collect();
    v.sort();
    v
}

fn summary_count(stderr: &str) -> usize {
    stderr
        .lines()
        .find_map(|l| {
            l.strip_suffix(" packets captured")
                .or_else(|| l.strip_suffix(" packet captured"))
        })
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no summary on stderr:\n{stderr}"))
}

#[test]
fn capture_w_pcapng_describes_the_interface_and_ends_with_statistics() {
    require_root();
    let d = TempDir::new();
    let f = d.path("live.pcapng");
    let port = free_port();
    let mut cap = Proc::spawn(&[
        "capture",
        "-i",
        "lo",
        "-s",
        "2000",
        "-f",
        &format!("udp port {port}"),
        "-w",
        arg(&f),
        "-q",
    ]);
    cap.wait_ready();
    udp_burst(port, 25, 100, 0.005);
    thread::sleep(Duration::from_millis(300));
    cap.signal("INT");
    let done = cap.wait(Duration::from_secs(10));
    assert_eq!(done.code(), Some(0), "{}", done.stderr);
    assert_count(&f, 25);
    assert_eq!(summary_count(&done.stderr), 25);
    let info = capinfos(&f, &[]);
    let uname = sh(&["uname", "-s", "-r"]).trim().to_string();
    assert_eq!(
        capinfos_value(&info, "Capture oper-sys").as_deref(),
        Some(uname.as_str()),
        "{info}"
    );
    let version = text(&run(&["--version"]).stdout)
        .trim()
        .replace("layerscope ", "");
    assert_eq!(
        capinfos_value(&info, "Capture application"),
        Some(format!("layerscope {version}")),
        "{info}"
    );
    assert_eq!(
        capinfos_value(&info, "Name").as_deref(),
        Some("lo"),
        "{info}"
    );
    assert_eq!(
        capinfos_value(&info, "Encapsulation").as_deref(),
        Some("Ethernet (1 - ether)"),
        "{info}"
    );
    assert_eq!(
        capinfos_value(&info, "Capture length").as_deref(),
        Some("2000"),
        "{info}"
    );
    assert_eq!(
        capinfos_value(&info, "Time precision").as_deref(),
        Some("nanoseconds (9)"),
        "{info}"
    );
    assert_eq!(
        capinfos_value(&info, "Number of stat entries").as_deref(),
        Some("1"),
        "{info}"
    );
    let names = tshark(&["-r", arg(&f), "-T", "fields", "-e", "frame.interface_name"]);
    assert_eq!(names.lines().filter(|l| *l == "lo").count(), 25, "{names}");
    // The statistics block, read by an independent pcapng reader: the
    // kernel's counters as the closing summary printed them.
    let (recv, drop) = isb_counters(&f);
    let line = |suffix: &str| -> u64 {
        done.stderr
            .lines()
            .find_map(|l| l.strip_suffix(suffix))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no '{suffix}' on stderr:\n{}", done.stderr))
    };
    assert_eq!(drop, line(" packets dropped by kernel"));
    assert_eq!(recv, line(" packets received by filter"));
    assert!(recv >= 25, "isb_ifrecv {recv}");
}

/// isb_ifrecv and isb_ifdrop of the file's one Interface Statistics Block.
fn isb_counters(path: &Path) -> (u64, u64) {
    use pcap_file::pcapng::blocks::interface_statistics::InterfaceStatisticsOption;
    use pcap_file::pcapng::{Block, PcapNgReader};
    let mut r = PcapNgReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut found = Vec::new();
    while let Some(b) = r.next_block() {
        if let Block::InterfaceStatistics(isb) = b.unwrap() {
            let mut recv = None;
            let mut drop = None;
            for o in &isb.options {
                match o {
                    InterfaceStatisticsOption::IsbIfRecv(n) => recv = Some(*n),
                    InterfaceStatisticsOption::IsbIfDrop(n) => drop = Some(*n),
                    _ => {}
                }
            }
            found.push((recv.expect("isb_ifrecv"), drop.expect("isb_ifdrop")));
        }
    }
    assert_eq!(found.len(), 1, "{found:?}");
    found[0]
}

#[test]
fn capture_w_with_y_writes_only_matching_packets_in_pcap() {
    require_root();
    let d = TempDir::new();
    let f = d.path("echo.pcap");
    let mut cap = Proc::spawn(&[
        "capture",
        "-i",
        "lo",
        "-f",
        "icmp and host 127.0.0.2",
        "-Y",
        "icmp.type == 8",
        "-w",
        arg(&f),
        "-c",
        "40",
        "-F",
        "jsonl",
    ]);
    cap.wait_ready();
    sh(&["ping", "-n", "-q", "-c", "20", "-i", "0.01", "127.0.0.2"]);
    let done = cap.wait(Duration::from_secs(15));
    assert_eq!(done.code(), Some(0), "{}", done.stderr);
    // 40 captured (requests and replies), 20 requests written and shown.
    assert_eq!(summary_count(&done.stderr), 40);
    assert_count(&f, 20);
    assert_eq!(frames(&f, Some("icmp.type == 8")).len(), 20);
    assert_eq!(done.rows().len(), 20);
    let info = capinfos(&f, &[]);
    assert!(
        capinfos_value(&info, "File timestamp precision").is_some_and(|p| p.starts_with("nano")),
        "{info}"
    );
}

#[test]
fn capture_w_dash_feeds_tcpdump_and_nothing_else_on_stdout() {
    require_root();
    let d = TempDir::new();
    let script = format!(
        "set -o pipefail; '{}' capture -i lo -f 'icmp and host 127.0.0.3' -c 40 -w - -P -F jsonl 2>'{}' | tcpdump -nn -r - 2>/dev/null",
        bin().display(),
        d.path("err").display()
    );
    let p = Proc::spawn_cmd(Command::new("bash").args(["-c", &script]));
    // The capture is ready once its line is on stderr (in the file).
    let ready = (0..200).any(|_| {
        thread::sleep(Duration::from_millis(50));
        std::fs::read_to_string(d.path("err")).is_ok_and(|s| s.contains("capturing on"))
    });
    assert!(ready, "capture did not start");
    sh(&["ping", "-n", "-q", "-c", "20", "-i", "0.01", "127.0.0.3"]);
    let done = p.wait(Duration::from_secs(20));
    let err = std::fs::read_to_string(d.path("err")).unwrap();
    assert_eq!(done.code(), Some(0), "{err}{}", done.stderr);
    assert_eq!(done.lines().len(), 40, "{}", done.stdout);
    assert!(
        done.lines().iter().all(|l| l.contains("ICMP echo")),
        "{}",
        done.stdout
    );
    // -P: rows on stderr, beside the messages.
    let rows = err.lines().filter(|l| l.starts_with('{')).count();
    assert_eq!(rows, 40, "{err}");
}

#[test]
fn ring_by_size_numbers_files_like_tcpdump_and_keeps_every_packet_as_nobody() {
    require_root();
    let d = nobody_dir();
    let bin = bin_for_nobody(&d);
    let port = free_port();
    let base = d.path("ring.pcap");
    let mut cap = Proc::spawn_cmd(layerscope_at(&bin).args([
        "capture",
        "-i",
        "lo",
        "-f",
        &format!("udp port {port}"),
        "-w",
        arg(&base),
        "-C",
        "0.02",
        "--user",
        "nobody",
        "-q",
    ]));
    cap.wait_ready();
    // 300 datagrams of 242 bytes on the wire: about 73 kB, 4 files of 20 kB.
    udp_burst(port, 300, 200, 0.001);
    thread::sleep(Duration::from_millis(300));
    cap.signal("TERM");
    let done = cap.wait(Duration::from_secs(10));
    assert_eq!(done.code(), Some(0), "{}", done.stderr);
    let files = files_with(&d.0, "ring.pcap");
    let names: Vec<_> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        ["ring.pcap", "ring.pcap1", "ring.pcap2", "ring.pcap3"]
    );
    let mut total = 0;
    for f in &files {
        assert_eq!(owner(f), nobody_uid(), "{}", f.display());
        let n = tshark_count(f);
        assert_eq!(tcpdump_count(f), n);
        assert_eq!(capinfos_count(f), n);
        total += n;
        let size = std::fs::metadata(f).unwrap().len();
        // Rotated once over 20,000 bytes: at most one packet more.
        assert!(size <= 20_000 + 242 + 16, "{} is {size} bytes", f.display());
    }
    assert_eq!(total, 300);
    assert_eq!(summary_count(&done.stderr), 300);
}

/// The binary at `bin` without the caller's sudo variables.
fn layerscope_at(bin: &Path) -> Command {
    let mut c = Command::new(bin);
    for v in ["SUDO_UID", "SUDO_GID", "SUDO_USER", "RUST_BACKTRACE"] {
        c.env_remove(v);
    }
    c
}

#[test]
fn ring_with_w_keeps_n_files_overwriting_the_oldest() {
    require_root();
    let d = TempDir::new();
    let port = free_port();
    let base = d.path("r.pcapng");
    let mut cap = Proc::spawn(&[
        "capture",
        "-i",
        "lo",
        "-f",
        &format!("udp port {port}"),
        "-w",
        arg(&base),
        "-C",
        "0.01",
        "-W",
        "3",
        "-q",
    ]);
    cap.wait_ready();
    udp_burst(port, 400, 200, 0.001);
    thread::sleep(Duration::from_millis(300));
    cap.signal("INT");
    let done = cap.wait(Duration::from_secs(10));
    assert_eq!(done.code(), Some(0), "{}", done.stderr);
    let names: Vec<_> = files_with(&d.0, "r.pcapng")
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["r.pcapng0", "r.pcapng1", "r.pcapng2"]);
    let mut total = 0;
    for n in &names {
        let f = d.path(n);
        let c = tshark_count(&f);
        assert_eq!(capinfos_count(&f), c);
        assert!(c > 0, "{n} is empty");
        total += c;
    }
    // The ring kept the newest packets only.
    assert!(total < 400, "{total}");
    // The ring holds the newest packets, in order: together they end with
    // the last datagram sent, and their numbers run without a gap.
    let mut numbers: Vec<u32> = names
        .iter()
        .flat_map(|n| {
            let out = tshark(&["-r", arg(&d.path(n)), "-T", "fields", "-e", "data.data"]);
            out.lines()
                .map(|hex| {
                    let b: Vec<u8> = (0..12)
                        .step_by(2)
                        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                        .collect();
                    String::from_utf8(b).unwrap().parse().unwrap()
                })
                .collect::<Vec<u32>>()
        })
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers.last(), Some(&399));
    let first = numbers[0];
    assert_eq!(numbers, (first..400).collect::<Vec<_>>());
}

#[test]
fn ring_by_time_names_files_with_strftime_and_stops_after_w_files() {
    require_root();
    let d = TempDir::new();
    let port = free_port();
    let pattern = d.path("cap-%H%M%S.pcap");
    let mut cap = Proc::spawn(&[
        "capture",
        "-i",
        "lo",
        "-f",
        &format!("udp port {port}"),
        "-w",
        arg(&pattern),
        "-G",
        "1",
        "-W",
        "2",
        "-q",
    ]);
    cap.wait_ready();
    // About 4 s of traffic; the capture stops by itself after 2 files.
    let sender = thread::spawn(move || udp_burst(port, 200, 50, 0.02));
    let done = cap.wait(Duration::from_secs(15));
    sender.join().unwrap();
    assert_eq!(done.code(), Some(0), "{}", done.stderr);
    assert!(
        done.stderr.contains("Maximum file limit reached: 2"),
        "{}",
        done.stderr
    );
    let files = files_with(&d.0, "cap-");
    assert_eq!(files.len(), 2, "{files:?}");
    let mut total = 0;
    for f in &files {
        let name = f.file_name().unwrap().to_str().unwrap();
        let digits = name
            .strip_prefix("cap-")
            .and_then(|s| s.strip_suffix(".pcap"))
            .unwrap();
        assert!(
            digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit()),
            "{name}"
        );
        let n = tshark_count(f);
        assert_eq!(tcpdump_count(f), n);
        assert_eq!(capinfos_count(f), n);
        total += n;
    }
    // Every packet captured is in one of the files but the one that found
    // the time up with no file left (tcpdump counts it too, then exits).
    assert_eq!(total + 1, summary_count(&done.stderr), "{}", done.stderr);
    assert!(total > 0 && total < 200, "{total}");
}

#[test]
fn ring_by_time_without_w_keeps_every_packet() {
    require_root();
    let d = TempDir::new();
    let port = free_port();
    let pattern = d.path("t-%H%M%S.pcapng");
    let mut cap = Proc::spawn(&[
        "capture",
        "-i",
        "lo",
        "-f",
        &format!("udp port {port}"),
        "-w",
        arg(&pattern),
        "-G",
        "1",
        "-q",
    ]);
    cap.wait_ready();
    udp_burst(port, 120, 50, 0.02);
    thread::sleep(Duration::from_millis(300));
    cap.signal("TERM");
    let done = cap.wait(Duration::from_secs(10));
    assert_eq!(done.code(), Some(0), "{}", done.stderr);
    let files = files_with(&d.0, "t-");
    assert!(files.len() >= 2, "{files:?}");
    let total: usize = files
        .iter()
        .map(|f| {
            let n = tshark_count(f);
            assert_eq!(capinfos_count(f), n);
            n
        })
        .sum();
    assert_eq!(total, 120);
}

#[test]
fn a_signal_mid_traffic_leaves_every_file_complete() {
    require_root();
    for sig in ["TERM", "INT"] {
        let d = TempDir::new();
        let port = free_port();
        let base = d.path("s.pcapng");
        let mut cap = Proc::spawn(&[
            "capture",
            "-i",
            "lo",
            "-f",
            &format!("udp port {port}"),
            "-w",
            arg(&base),
            "-C",
            "0.01",
            "-q",
        ]);
        cap.wait_ready();
        // Six seconds of traffic: the signal lands mid-stream even when the
        // sender is slow to start on a loaded machine.
        let sender = thread::spawn(move || udp_burst(port, 3000, 300, 0.002));
        thread::sleep(Duration::from_millis(1500));
        cap.signal(sig);
        let done = cap.wait(Duration::from_secs(10));
        sender.join().unwrap();
        assert_eq!(done.code(), Some(0), "SIG{sig}: {}", done.stderr);
        let files = files_with(&d.0, "s.pcapng");
        assert!(!files.is_empty());
        let total: usize = files
            .iter()
            .map(|f| {
                // tshark_count fails on a cut-short file.
                let n = tshark_count(f);
                assert_eq!(tcpdump_count(f), n);
                n
            })
            .sum();
        assert_eq!(total, summary_count(&done.stderr), "SIG{sig}");
        assert!(total > 0 && total < 3000, "SIG{sig}: {total}");
    }
}

/// Size of the packet socket's ring mapped into process `pid` (libpcap's
/// TPACKET ring, sized from the -B buffer).
fn ring_bytes(pid: u32) -> u64 {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
    let line = maps
        .lines()
        .find(|l| l.contains("socket:["))
        .unwrap_or_else(|| panic!("no socket mapping in {pid}:\n{maps}"));
    let range = line.split_whitespace().next().unwrap();
    let (a, b) = range.split_once('-').unwrap();
    u64::from_str_radix(b, 16).unwrap() - u64::from_str_radix(a, 16).unwrap()
}

#[test]
fn capture_b_sizes_the_kernel_buffer_as_tcpdump_b_does() {
    require_root();
    // Writing to a file, both hand frames over in blocks; with
    // --immediate-mode, both use fixed-size slots. Same -B, same ring.
    for immediate in [false, true] {
        for kib in ["4096", "16384"] {
            let mut td_args = vec!["-i", "lo", "-B", kib, "-w", "/dev/null"];
            let mut ls_args = vec!["capture", "-i", "lo", "-q", "-B", kib];
            if immediate {
                td_args.push("--immediate-mode");
                ls_args.push("--immediate-mode");
            }
            let mut td = Proc::spawn_cmd(Command::new("tcpdump").args(&td_args));
            td.wait_for_stderr("listening on", Duration::from_secs(20));
            let want = ring_bytes(td.pid);
            td.signal("TERM");
            td.wait(Duration::from_secs(10));
            let mut cap = Proc::spawn(&ls_args);
            cap.wait_ready();
            let got = ring_bytes(cap.pid);
            cap.signal("TERM");
            let done = cap.wait(Duration::from_secs(10));
            assert_eq!(done.code(), Some(0), "{}", done.stderr);
            assert_eq!(got, want, "-B {kib}, immediate {immediate}");
        }
    }
}

#[test]
fn capture_q_redraws_one_count_line_and_clears_it_before_the_summary() {
    require_root();
    let session = unique("ls-write");
    let bin = bin();
    let cmd = format!(
        "'{}' capture -i lo -f 'icmp and host 127.0.0.4' -q -c 6; sleep 30",
        bin.display()
    );
    sh(&[
        "tmux",
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "100",
        "-y",
        "30",
        &cmd,
    ]);
    struct Kill(String);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = Command::new("tmux")
                .args(["kill-session", "-t", &self.0])
                .status();
        }
    }
    let _k = Kill(session.clone());
    let pane = || sh(&["tmux", "capture-pane", "-p", "-t", &session]);
    let wait_for = |needle: &str| {
        for _ in 0..200 {
            let p = pane();
            if p.contains(needle) {
                return p;
            }
            thread::sleep(Duration::from_millis(50));
        }
        panic!("no '{needle}' on the terminal:\n{}", pane());
    };
    wait_for("capturing on lo");
    // One ping: a request and its reply; the count shows 2 within ~0.1 s
    // of the next tick, without waiting for more packets.
    sh(&["ping", "-n", "-q", "-c", "1", "127.0.0.4"]);
    let p = wait_for("2 packets");
    assert!(!p.contains("2 packets captured"), "{p}");
    sh(&["ping", "-n", "-q", "-c", "2", "-i", "0.2", "127.0.0.4"]);
    let p = wait_for("6 packets captured");
    let lines: Vec<&str> = p.lines().filter(|l| !l.trim().is_empty()).collect();
    // The count line was cleared: the summary follows the ready line.
    assert_eq!(
        lines,
        [
            "layerscope: capturing on lo",
            "6 packets captured",
            lines[2],
            "0 packets dropped by kernel",
            "0 packets dropped by interface",
        ],
        "{p}"
    );
    assert!(lines[2].ends_with("received by filter"), "{p}");
}

/// A small tmpfs mounted for one test, unmounted when dropped.
struct SmallDisk {
    _dir: TempDir,
    at: PathBuf,
}

impl SmallDisk {
    fn new(size: &str) -> SmallDisk {
        let dir = TempDir::new();
        let at = dir.path("disk");
        std::fs::create_dir_all(&at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&at)
            .status()
            .expect("mount");
        assert!(ok.success(), "mount tmpfs");
        SmallDisk { _dir: dir, at }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.at).status();
    }
}

/// The packets tshark reads from `f`, and whether it complained.
fn tshark_read(f: &Path) -> (Vec<String>, String) {
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(f)
        .args(["-T", "fields", "-e", "frame.len", "-e", "frame.time_epoch"])
        .output()
        .expect("tshark");
    let rows = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    // Only complaints count, not tshark's note about running as root.
    let complaint = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.starts_with("Running as user"))
        .collect::<Vec<_>>()
        .join("\n");
    (rows, complaint)
}

/// A full disk under `read -w`: one clear error naming the file and the
/// cause, a non-zero exit, and a file cut back to its last whole packet:
/// tshark reads it without complaint and finds the source's first packets.
#[test]
fn full_disk_under_read_w_keeps_whole_packets() {
    require_root();
    let disk = SmallDisk::new("16k");
    let src = fixture("live/http.pcap");
    let out_path = disk.at.join("out.pcap");
    let out = run_out(
        layerscope().args(["read", "-w"]).arg(&out_path).arg(&src),
        Duration::from_secs(30),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "exit status: {err}");
    assert!(err.contains("No space left on device"), "{err}");
    assert!(err.contains(out_path.to_str().unwrap()), "{err}");
    assert_eq!(
        err.lines().filter(|l| l.contains("error")).count(),
        1,
        "one error line: {err}"
    );
    let (rows, complaint) = tshark_read(&out_path);
    assert!(complaint.trim().is_empty(), "tshark: {complaint}");
    let (all, _) = tshark_read(&src);
    assert!(
        !rows.is_empty() && rows.len() < all.len(),
        "{} of {}",
        rows.len(),
        all.len()
    );
    assert_eq!(rows[..], all[..rows.len()]);
    assert!(
        err.contains(&format!("keeps its first {} packets", rows.len())),
        "{err}"
    );
}

/// The same during a live capture: the capture ends with the error, its
/// summary still printed, and the file holds whole packets only.
#[test]
fn full_disk_under_capture_w_keeps_whole_packets() {
    require_root();
    let disk = SmallDisk::new("64k");
    let f = disk.at.join("live.pcap");
    let rx = std::net::UdpSocket::bind(("127.0.0.1", 0)).unwrap();
    let port = rx.local_addr().unwrap().port();
    let mut cap = Proc::spawn(&[
        "capture",
        "-i",
        "lo",
        "-q",
        "-f",
        &format!("udp dst port {port}"),
        "-w",
        f.to_str().unwrap(),
    ]);
    cap.wait_ready();
    let tx = std::net::UdpSocket::bind(("127.0.0.1", 0)).unwrap();
    // 400 datagrams of 442 bytes on the wire: far more than 64 KiB.
    for _ in 0..400 {
        tx.send_to(&[b'y'; 400], ("127.0.0.1", port)).unwrap();
        thread::sleep(Duration::from_millis(2));
    }
    thread::sleep(Duration::from_millis(500));
    if cap.running() {
        cap.signal("INT");
    }
    let done = cap.wait(Duration::from_secs(10));
    assert_ne!(done.code(), Some(0), "stderr:\n{}", done.stderr);
    assert!(
        done.stderr.contains("No space left on device"),
        "{}",
        done.stderr
    );
    assert!(done.stderr.contains("packets captured"), "{}", done.stderr);
    let (rows, complaint) = tshark_read(&f);
    assert!(complaint.trim().is_empty(), "tshark: {complaint}");
    assert!(
        rows.len() > 50 && rows.len() < 400,
        "{} packets",
        rows.len()
    );
    assert!(rows.iter().all(|r| r.starts_with("442\t")), "{rows:?}");
    assert!(
        done.stderr
            .contains(&format!("keeps its first {} packets", rows.len())),
        "{}",
        done.stderr
    );
}

/// SIGKILL during `capture -w`, with and without -U: no chance to finish
/// the file, yet it is valid and holds every packet sent more than a second
/// and a half before (the kernel hands a block over within a second, and
/// written packets are flushed every 50 ms).
#[test]
fn sigkill_during_capture_w_leaves_a_valid_file() {
    require_root();
    for extra in [&[][..], &["-U"][..]] {
        let dir = TempDir::new();
        let f = dir.path("killed.pcap");
        let rx = std::net::UdpSocket::bind(("127.0.0.1", 0)).unwrap();
        let port = rx.local_addr().unwrap().port();
        let filter = format!("udp dst port {port}");
        let mut args = vec!["capture", "-i", "lo", "-q", "-f", &filter];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["-w", f.to_str().unwrap()]);
        let mut cap = Proc::spawn(&args);
        cap.wait_ready();
        let tx = std::net::UdpSocket::bind(("127.0.0.1", 0)).unwrap();
        for i in 0..50u32 {
            tx.send_to(&i.to_be_bytes(), ("127.0.0.1", port)).unwrap();
            thread::sleep(Duration::from_millis(2));
        }
        thread::sleep(Duration::from_millis(1500));
        cap.signal("KILL");
        let _ = cap.wait(Duration::from_secs(10));
        let (rows, complaint) = tshark_read(&f);
        assert!(
            complaint.trim().is_empty(),
            "{extra:?}: tshark: {complaint}"
        );
        assert_eq!(rows.len(), 50, "{extra:?}");
    }
}
