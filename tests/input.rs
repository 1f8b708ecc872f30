//! Reading inputs as tcpdump and tshark users expect: compressed captures
//! (compressed here with the real gzip, zstd and xz), rows that stream from
//! a live pipe, `-f` keeping Wireshark's frame numbers, `-r`, `-l`, `-n`,
//! and a progress bar that says which file of how many it is on.

mod common;

use common::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// `path` compressed with the real `tool` (gzip, zstd or xz) into `dir`.
fn compress(dir: &TempDir, path: &Path, tool: &str) -> PathBuf {
    let ext = match tool {
        "gzip" => "gz",
        "zstd" => "zst",
        "xz" => "xz",
        _ => panic!("unknown tool {tool}"),
    };
    let name = format!(
        "{}.{ext}",
        path.file_name()
            .and_then(|n| n.to_str())
            .expect("file name")
    );
    let out = dir.path(&name);
    let done = run_out(
        Command::new(tool).args(["-c", "-q"]).arg(path),
        Duration::from_secs(60),
    );
    assert!(
        done.status.success(),
        "{tool} failed: {}",
        text(&done.stderr)
    );
    fs::write(&out, &done.stdout).expect("write compressed file");
    out
}

/// The live fixtures merged by mergecap into one capture of several
/// protocols (DNS, HTTP, ICMP, DHCP, TLS).
fn merged(dir: &TempDir) -> PathBuf {
    let out = dir.path("mix.pcap");
    let mut args = vec!["-F".to_string(), "pcap".into(), "-w".into()];
    args.push(arg(&out).to_string());
    for f in ["dns", "http", "ping", "dhcp", "tls"] {
        args.push(arg(&fixture(&format!("live/{f}.pcap"))).to_string());
    }
    let a: Vec<&str> = std::iter::once("mergecap")
        .chain(args.iter().map(String::as_str))
        .collect();
    sh(&a);
    out
}

fn read_out(args: &[&str]) -> std::process::Output {
    let mut a = vec!["read"];
    a.extend_from_slice(args);
    run(&a)
}

/// stdout of a run that must succeed.
fn ok_stdout(out: &std::process::Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "layerscope failed; stderr:\n{}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// stderr lines other than blank ones.
fn err_lines(out: &std::process::Output) -> Vec<String> {
    text(&out.stderr)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn compressed_captures_read_like_the_plain_file() {
    let dir = TempDir::new();
    let mix = merged(&dir);
    let files = [
        mix,
        fixture("multi_if.pcapng"),
        fixture("nanosecond.pcap"),
        fixture("big_endian.pcap"),
    ];
    for plain in &files {
        let want = ok_stdout(&read_out(&["--format", "jsonl", arg(plain)]));
        let rows = want.lines().count();
        assert!(rows > 0, "{} gave no rows", plain.display());
        for tool in ["gzip", "zstd", "xz"] {
            let z = compress(&dir, plain, tool);
            assert_ne!(fs::read(&z).unwrap(), fs::read(plain).unwrap());
            let got = ok_stdout(&read_out(&["--format", "jsonl", arg(&z)]));
            assert_eq!(
                got,
                want,
                "{} differs from {}",
                z.display(),
                plain.display()
            );
            // Standard input: recognised by the same magic bytes.
            let piped = run_stdin(&["read", "--format", "jsonl", "-"], &fs::read(&z).unwrap());
            assert_eq!(ok_stdout(&piped), want, "{tool} on stdin");
            // The table too, with the same frame count as tshark where
            // tshark reads the format (gzip and zstd; not xz).
            if tool != "xz" {
                assert_eq!(tshark_count(&z), rows, "tshark -r {}", z.display());
            }
        }
    }
}

/// The byte offset of the first pcap record whose caplen is over 262144,
/// found by walking the records.
fn first_bad_record(pcap: &[u8]) -> usize {
    let mut at = 24;
    while at + 16 <= pcap.len() {
        let caplen = u32::from_le_bytes(pcap[at + 8..at + 12].try_into().unwrap()) as usize;
        if caplen > 262_144 {
            return at;
        }
        at += 16 + caplen;
    }
    panic!("no oversized record");
}

#[test]
fn errors_inside_compressed_files_give_decompressed_offsets() {
    let dir = TempDir::new();
    let corrupt = fixture("corrupt.pcap");
    let off = first_bad_record(&fs::read(&corrupt).unwrap());
    let plain = read_out(&["--format", "jsonl", arg(&corrupt)]);
    assert_eq!(plain.status.code(), Some(2));
    let plain_rows = text(&plain.stdout);
    assert!(!plain_rows.is_empty());
    for tool in ["gzip", "zstd", "xz"] {
        let z = compress(&dir, &corrupt, tool);
        let out = read_out(&["--format", "jsonl", arg(&z)]);
        // Same exit code as the plain file's, rows before the error printed.
        assert_eq!(out.status.code(), Some(2), "{tool}");
        assert_eq!(text(&out.stdout), plain_rows, "{tool}");
        let err = err_lines(&out);
        assert_eq!(err.len(), 1, "{err:?}");
        assert!(
            err[0].contains(&format!("at byte {off} of the decompressed data")),
            "{tool}: {}",
            err[0]
        );
    }
    let plain_err = err_lines(&plain);
    assert!(
        plain_err[0].contains(&format!("at byte offset {off}:")),
        "{plain_err:?}"
    );
}

#[test]
fn cut_short_or_corrupt_compressed_streams_are_input_errors_after_their_rows() {
    let dir = TempDir::new();
    let mix = merged(&dir);
    // Large enough that half of each compressed file decodes to rows (zstd
    // and xz decode whole blocks of up to 128 KiB and more).
    let many = dir.path("many.pcap");
    many_udp_frames(&many, 60_000);
    // The plain file cut short: the exit code every input error has.
    let raw = fs::read(&mix).unwrap();
    let cut = dir.path("cut.pcap");
    fs::write(&cut, &raw[..raw.len() - 10]).unwrap();
    let want_code = read_out(&[arg(&cut)]).status.code();
    assert_eq!(want_code, Some(2));
    for plain in [&mix, &many] {
        let all: Vec<String> = ok_stdout(&read_out(&[
            "--format",
            "jsonl",
            "-e",
            "frame.number",
            arg(plain),
        ]))
        .lines()
        .map(str::to_string)
        .collect();
        assert_eq!(all.len(), tshark_count(plain));
        for tool in ["gzip", "zstd", "xz"] {
            let z = fs::read(compress(&dir, plain, tool)).unwrap();
            for (how, bytes) in [
                ("half", z[..z.len() / 2].to_vec()),
                ("last bytes cut", z[..z.len() - 3].to_vec()),
                ("corrupt middle", {
                    let mut b = z.clone();
                    let m = b.len() / 2;
                    for x in &mut b[m..m + 64] {
                        *x ^= 0x5a;
                    }
                    b
                }),
            ] {
                let p = dir.path(&format!("bad-{how}.{tool}"));
                fs::write(&p, &bytes).unwrap();
                let out = read_out(&["--format", "jsonl", "-e", "frame.number", arg(&p)]);
                assert_eq!(out.status.code(), want_code, "{tool} {how}");
                let err = err_lines(&out);
                assert_eq!(err.len(), 1, "{tool} {how}: {err:?}");
                // A corrupt stream may decode to garbage that the pcap
                // reader finds first (gzip checks its CRC only at the end).
                assert!(
                    err[0].starts_with(&format!("layerscope: {}: ", p.display()))
                        && (err[0].contains(&format!("{tool} data")) || how == "corrupt middle")
                        && err[0].contains("of the decompressed data"),
                    "{tool} {how}: {}",
                    err[0]
                );
                // The rows before the error, in order, as in the whole file.
                let got: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
                assert_eq!(got[..], all[..got.len()], "{tool} {how}");
                if how == "half" && plain == &many {
                    assert!(
                        !got.is_empty() && got.len() < all.len(),
                        "{tool}: {} rows",
                        got.len()
                    );
                }
            }
        }
    }
}

/// One frame per line (`frame.number`, `frame.time_relative`), as tshark -T
/// fields prints them.
fn numbers_and_times(jsonl_out: &str) -> Vec<String> {
    jsonl(jsonl_out.as_bytes())
        .iter()
        .map(|v| {
            format!(
                "{}\t{}",
                v.one("frame.number").expect("frame.number"),
                v.one("frame.time_relative").expect("frame.time_relative")
            )
        })
        .collect()
}

#[test]
fn bpf_on_read_keeps_wiresharks_frame_numbers_and_time_reference() {
    let dir = TempDir::new();
    let mix = merged(&dir);
    // BPF filters and display filters that select the same frames here;
    // tshark applies BPF only when capturing, so -Y is its side.
    for (bpf, display) in [
        ("udp", "udp"),
        ("tcp port 80", "tcp.port == 80"),
        ("icmp", "icmp"),
        ("udp port 67 or udp port 68", "dhcp"),
    ] {
        let want: Vec<String> = tshark(&[
            "-r",
            arg(&mix),
            "-Y",
            display,
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "frame.time_relative",
        ])
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
        assert!(!want.is_empty(), "{display} matches nothing");
        let fields = [
            "--format",
            "jsonl",
            "-e",
            "frame.number",
            "-e",
            "frame.time_relative",
        ];
        let mut args = vec!["-f", bpf];
        args.extend_from_slice(&fields);
        args.push(arg(&mix));
        let got = numbers_and_times(&ok_stdout(&read_out(&args)));
        assert_eq!(got, want, "-f '{bpf}' against tshark -Y '{display}'");
        // -c counts the frames that pass the filter.
        let mut args = vec!["-f", bpf, "-c", "2"];
        args.extend_from_slice(&fields);
        args.push(arg(&mix));
        let got = numbers_and_times(&ok_stdout(&read_out(&args)));
        assert_eq!(got[..], want[..want.len().min(2)], "-f '{bpf}' -c 2");
    }
}

#[test]
fn dash_r_reads_files_as_tcpdump_and_tshark_take_them() {
    let a = fixture("live/dns.pcap");
    let b = fixture("live/ping.pcap");
    let c = fixture("udp.pcap");
    let positional = ok_stdout(&read_out(&["--format", "jsonl", arg(&a), arg(&b), arg(&c)]));
    let rows = positional.lines().count();
    assert_eq!(rows, tshark_count(&a) + tshark_count(&b) + tshark_count(&c));
    let with_r = ok_stdout(&read_out(&[
        "--format",
        "jsonl",
        "-r",
        arg(&a),
        "-r",
        arg(&b),
        arg(&c),
    ]));
    assert_eq!(with_r, positional);
    // tcpdump's own spelling: -nr FILE.
    let one = ok_stdout(&read_out(&["--format", "jsonl", arg(&a)]));
    assert_eq!(
        ok_stdout(&read_out(&["--format", "jsonl", "-nr", arg(&a)])),
        one
    );
    assert_eq!(one.lines().count(), tshark_count(&a));
    // No file at all is still a usage error.
    assert_eq!(read_out(&["--format", "jsonl"]).status.code(), Some(1));
}

#[test]
fn n_flags_are_accepted_and_change_nothing() {
    let f = fixture("live/http.pcap");
    for cmd in ["read", "flows", "stats"] {
        let plain = ok_stdout(&run(&[cmd, arg(&f)]));
        assert!(!plain.is_empty());
        for n in ["-n", "-nn"] {
            assert_eq!(ok_stdout(&run(&[cmd, n, arg(&f)])), plain, "{cmd} {n}");
        }
        // -l too: the same output, only flushed sooner.
        assert_eq!(ok_stdout(&run(&[cmd, "-l", arg(&f)])), plain, "{cmd} -l");
    }
    for cmd in ["read", "capture", "flows", "stats"] {
        let help = ok_stdout(&run(&[cmd, "--help"]));
        assert!(
            help.contains("never resolves") && help.contains("tcpdump habits"),
            "{cmd} --help:\n{help}"
        );
        assert!(help.contains("--line-buffered"), "{cmd} --help:\n{help}");
    }
}

/// A pcap of `n` small Ethernet/IPv4/UDP frames, a millisecond apart.
fn many_udp_frames(path: &Path, n: u32) {
    let mut frame = Vec::new();
    etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .udp(40000, 9)
        .write(&mut frame, b"layerscope")
        .expect("frame");
    let mut w = pcap(1, &[]);
    w.reserve(n as usize * (16 + frame.len()));
    for i in 0..n {
        w.extend_from_slice(&(1_700_000_000 + i / 1000).to_le_bytes());
        w.extend_from_slice(&((i % 1000) * 1000).to_le_bytes());
        w.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        w.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        w.extend_from_slice(&frame);
    }
    fs::write(path, w).expect("write pcap");
}

/// Writes `data` into the named pipe `fifo` once a reader opens it (on a
/// thread; the pipe is opened for writing only when `go` is received).
fn feed_later(fifo: &Path, data: Vec<u8>) -> (std::sync::mpsc::Sender<()>, thread::JoinHandle<()>) {
    let fifo = fifo.to_path_buf();
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let h = thread::spawn(move || {
        use std::io::Write;
        if rx.recv_timeout(Duration::from_secs(60)).is_err() {
            return;
        }
        let mut w = fs::OpenOptions::new()
            .write(true)
            .open(&fifo)
            .expect("fifo");
        w.write_all(&data).expect("write fifo");
    });
    (tx, h)
}

#[test]
fn line_buffered_rows_leave_as_they_are_written() {
    // A file, then a named pipe nobody writes to yet: the process waits to
    // open the pipe with the file's one matching row written. With -l that
    // row is out; without, it sits in the output buffer until the end.
    let dir = TempDir::new();
    let first = fixture("live/dns.pcap");
    let second = fixture("udp.pcap");
    for line_buffered in [true, false] {
        let fifo = dir.path(&format!("pipe-{line_buffered}"));
        sh(&["mkfifo", arg(&fifo)]);
        let mut args = vec![
            "read",
            "--format",
            "jsonl",
            "-e",
            "frame.number",
            "-Y",
            "frame.number == 1",
        ];
        if line_buffered {
            args.push("-l");
        }
        args.extend([arg(&first), arg(&fifo)]);
        let mut p = Proc::spawn(&args);
        let (go, h) = feed_later(&fifo, fs::read(&second).unwrap());
        let early = p.next_line(Duration::from_secs(if line_buffered { 20 } else { 2 }));
        let _ = go.send(());
        h.join().unwrap();
        let done = p.wait(Duration::from_secs(20));
        assert_eq!(done.code(), Some(0), "{}", done.stderr);
        let all: Vec<String> = early
            .iter()
            .map(|(_, l)| l.clone())
            .chain(done.rest())
            .filter(|l| !l.is_empty())
            .collect();
        assert_eq!(all, [r#"{"frame.number":1}"#], "-l {line_buffered}");
        assert_eq!(
            early.is_some(),
            line_buffered,
            "-l {line_buffered}: the row came {} the second input was opened",
            if early.is_some() {
                "before"
            } else {
                "only after"
            }
        );
    }
}

/// Arrival times of the first `n` rows of a process (header lines skipped).
fn arrivals(p: &mut Proc, n: usize, skip_header: bool) -> Vec<Instant> {
    let mut at = Vec::new();
    let end = Instant::now() + Duration::from_secs(30);
    while at.len() < n && Instant::now() < end {
        match p.next_line(Duration::from_secs(10)) {
            Some((_, l)) if skip_header && l.trim_start().starts_with("No.") => {}
            Some((t, _)) => at.push(t),
            None => break,
        }
    }
    at
}

fn ping(count: &str) -> std::process::Child {
    Command::new("ping")
        .args(["-n", "-c", count, "-i", "0.3", "127.0.0.1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ping")
}

#[test]
fn rows_from_a_live_pipe_arrive_with_their_packets() {
    require_root();
    // tcpdump writes each packet as it comes (-U, and --immediate-mode so
    // the kernel does not hold packets for its block timeout); layerscope
    // reads the pipe. tcpdump stops by itself after 12 packets (or 30 s).
    let script = format!(
        "timeout 30 tcpdump --immediate-mode -U -n -i lo -c 12 -w - 'icmp and host 127.0.0.1' | {} read -",
        bin().display()
    );
    let mut p = Proc::spawn_cmd(Command::new("bash").args(["-c", &script]));
    p.wait_for_stderr("listening on lo", Duration::from_secs(20));
    let started = Instant::now();
    let mut pinger = ping("6");
    let at = arrivals(&mut p, 12, true);
    let _ = pinger.wait();
    let done = p.wait(Duration::from_secs(20));
    assert_eq!(done.code(), Some(0), "{}", done.stderr);
    assert_eq!(at.len(), 12, "rows: {at:?}\n{}", done.stdout);
    // Six pings 0.3 s apart span 1.5 s: rows spread the same way, the first
    // long before the last packet was sent.
    let spread = at[11].duration_since(at[0]);
    assert!(
        spread >= Duration::from_millis(1200),
        "rows spread {spread:?}"
    );
    assert!(
        at[0].duration_since(started) < Duration::from_millis(1000),
        "first row only after {:?}",
        at[0].duration_since(started)
    );
}

#[test]
fn capture_line_buffered_rows_arrive_with_their_packets() {
    require_root();
    let mut p = Proc::spawn(&[
        "capture",
        "-l",
        "-nn",
        "-i",
        "lo",
        "-f",
        "icmp and host 127.0.0.1",
        "-c",
        "8",
        "--duration",
        "30",
    ]);
    p.wait_ready();
    let mut pinger = ping("4");
    let at = arrivals(&mut p, 8, true);
    let _ = pinger.wait();
    let done = p.wait(Duration::from_secs(20));
    assert_eq!(done.code(), Some(0), "{}", done.stderr);
    assert_eq!(at.len(), 8);
    let spread = at[7].duration_since(at[0]);
    assert!(
        spread >= Duration::from_millis(700),
        "rows spread {spread:?}"
    );
}

/// A tmux session running a shell command, killed on drop.
struct Tmux(String);

impl Tmux {
    fn start(cmd: &str) -> Tmux {
        let name = unique("ls-input");
        sh(&[
            "tmux",
            "new-session",
            "-d",
            "-s",
            &name,
            "-x",
            "160",
            "-y",
            "10",
            cmd,
        ]);
        Tmux(name)
    }

    fn screen(&self) -> String {
        sh(&["tmux", "capture-pane", "-p", "-t", &self.0])
    }

    /// Waits (bounded) for `needle` on the screen; the screen.
    fn wait_for(&self, needle: &str) -> String {
        let end = Instant::now() + Duration::from_secs(20);
        loop {
            let s = self.screen();
            if s.contains(needle) {
                return s;
            }
            assert!(Instant::now() < end, "no '{needle}' on screen:\n{s}");
            thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.0])
            .status();
    }
}

#[test]
fn progress_bar_names_the_file_of_how_many() {
    let dir = TempDir::new();
    let big = dir.path("many.pcap");
    many_udp_frames(&big, 20_000);
    let gz = compress(&dir, &big, "gzip");
    // Two named pipes, fed one after the other and held open, so the bar
    // of each stays on screen.
    let fifos = [dir.path("first"), dir.path("second")];
    for f in &fifos {
        sh(&["mkfifo", arg(f)]);
    }
    let out = dir.path("out.txt");
    let t = Tmux::start(&format!(
        "{} read --progress --format jsonl {} {} > {}; sleep 30",
        bin().display(),
        arg(&fifos[0]),
        arg(&fifos[1]),
        arg(&out)
    ));
    // A writer that sends a whole file, then keeps the pipe open until told.
    let feed = |fifo: &Path, data: Vec<u8>| {
        let fifo = fifo.to_path_buf();
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let h = thread::spawn(move || {
            use std::io::Write;
            let mut w = fs::OpenOptions::new()
                .write(true)
                .open(&fifo)
                .expect("fifo");
            w.write_all(&data).expect("write fifo");
            let _ = rx.recv_timeout(Duration::from_secs(30));
        });
        (tx, h)
    };
    let (tx, h) = feed(&fifos[0], fs::read(&gz).unwrap());
    let s = t.wait_for("[1/2]");
    assert!(s.contains("first (gzip)"), "{s}");
    drop(tx);
    h.join().unwrap();
    let (tx, h) = feed(&fifos[1], fs::read(&big).unwrap());
    let s = t.wait_for("[2/2]");
    assert!(s.contains("second") && !s.contains("gzip"), "{s}");
    drop(tx);
    h.join().unwrap();
    // Both files read whole.
    let end = Instant::now() + Duration::from_secs(20);
    while fs::read_to_string(&out)
        .map(|s| s.lines().count())
        .unwrap_or(0)
        < 40_000
    {
        assert!(Instant::now() < end, "output incomplete");
        thread::sleep(Duration::from_millis(100));
    }
}
