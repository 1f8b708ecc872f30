//! `layerscope view` driven in a real terminal: tmux runs it, keys go in
//! with send-keys, the screen comes back with capture-pane. Expected values
//! come from tshark on the same capture.

mod common;

use common::{bin, fixture, tshark, TempDir};
use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server of our own (its own socket), one window running a command.
struct Tmux {
    sock: String,
}

impl Tmux {
    fn start(w: u16, h: u16, cmd: &str, env: &[(&str, &str)]) -> Tmux {
        let sock = common::unique("lsview");
        let mut c = Command::new("tmux");
        c.args(["-L", &sock, "-f", "/dev/null", "new-session", "-d"]);
        c.args(["-x", &w.to_string(), "-y", &h.to_string()]);
        for (k, v) in env {
            c.args(["-e", &format!("{k}={v}")]);
        }
        c.arg(cmd);
        let st = c.status().expect("tmux (apt-get install tmux)");
        assert!(st.success(), "tmux did not start");
        Tmux { sock }
    }

    fn keys(&self, keys: &[&str]) {
        let st = Command::new("tmux")
            .args(["-L", &self.sock, "send-keys", "-t", "0"])
            .args(keys)
            .status()
            .unwrap();
        assert!(st.success());
        std::thread::sleep(Duration::from_millis(150));
    }

    fn text(&self, s: &str) {
        let st = Command::new("tmux")
            .args(["-L", &self.sock, "send-keys", "-t", "0", "-l", s])
            .status()
            .unwrap();
        assert!(st.success());
    }

    fn screen(&self) -> String {
        self.capture(false)
    }

    fn capture(&self, escapes: bool) -> String {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.sock, "capture-pane", "-p", "-t", "0"]);
        if escapes {
            c.arg("-e");
        }
        String::from_utf8_lossy(&c.output().unwrap().stdout).into_owned()
    }

    fn wait(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let end = Instant::now() + Duration::from_secs(20);
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            if Instant::now() > end {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the reverse-video runs on screen satisfy `pred`.
    fn wait_selected(&self, what: &str, pred: impl Fn(&[String]) -> bool) -> Vec<String> {
        let end = Instant::now() + Duration::from_secs(20);
        loop {
            let rev = reversed_text(&self.capture(true));
            if pred(&rev) {
                return rev;
            }
            if Instant::now() > end {
                panic!(
                    "timed out waiting for {what}; selected: {rev:?}\n{}",
                    self.screen()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn pid(&self) -> u32 {
        let out = Command::new("tmux")
            .args(["-L", &self.sock, "display", "-p", "-t", "0", "#{pane_pid}"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.sock, "kill-server"])
            .status();
    }
}

/// A shell line that runs the view, then records how it ended and the
/// terminal's settings before and after, and waits.
fn script(dir: &TempDir, args: &str) -> String {
    format!(
        "stty -g > {d}/before; {bin} view {args}; echo EXIT=$? > {d}/exit; stty -g > {d}/after; \
         echo VIEW-ENDED; sleep 60",
        d = dir.0.display(),
        bin = bin().display()
    )
}

fn tshark_count(file: &str, filter: &str) -> usize {
    tshark(&[
        "-r",
        file,
        "-Y",
        filter,
        "-T",
        "fields",
        "-e",
        "frame.number",
    ])
    .lines()
    .count()
}

/// Ranges of the screen drawn in reverse video, per line (SGR 7 on, 27/0 off).
fn reversed_text(screen_e: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in screen_e.lines() {
        let mut rev = false;
        let mut cur = String::new();
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\x1b' && chars.peek() == Some(&'[') {
                chars.next();
                let mut params = String::new();
                for p in chars.by_ref() {
                    if p.is_ascii_alphabetic() {
                        if p == 'm' {
                            for n in params.split(';') {
                                match n {
                                    "7" => rev = true,
                                    "27" | "0" | "" => rev = false,
                                    _ => {}
                                }
                            }
                        }
                        break;
                    }
                    params.push(p);
                }
                continue;
            }
            if rev {
                cur.push(c);
            } else if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        }
        if !cur.is_empty() {
            out.push(cur);
        }
    }
    out
}

#[test]
fn filter_select_a_field_and_see_its_bytes() {
    let dir = TempDir::new();
    let f = fixture("live/dns.pcap");
    let file = f.to_str().unwrap();
    let t = Tmux::start(120, 40, &script(&dir, file), &[]);
    let total = tshark_count(file, "frame");
    t.wait("the index", |s| s.contains(&format!("{total} packets")));
    // Filter as typed: an unknown name is caught before Enter.
    t.keys(&["/"]);
    t.text("dns && udp.srcport == 53 && dnsx");
    let s = t.wait("the filter error", |s| s.contains("not a known field"));
    assert!(s.contains("^"), "{s}");
    t.keys(&["BSpace"]);
    t.keys(&["Enter"]);
    let want = tshark_count(file, "dns && udp.srcport == 53 && dns");
    let s = t.wait("the filtered list", |s| {
        s.contains(&format!("displayed {want}"))
    });
    // The first displayed row is tshark's first matching frame.
    let first = tshark(&[
        "-r",
        file,
        "-Y",
        "dns && udp.srcport == 53",
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        "dns.id",
    ]);
    let (no, id) = first.lines().next().unwrap().split_once('\t').unwrap();
    let row = s
        .lines()
        .find(|l| l.contains(" DNS ") || l.contains("DNS"))
        .unwrap_or_else(|| panic!("no DNS row:\n{s}"));
    assert!(
        row.trim_start_matches('│').trim_start().starts_with(no),
        "{row}\n{s}"
    );
    // Detail pane: the last layer is DNS; open it and select its first field.
    t.keys(&["Tab", "End", "Enter", "Down"]);
    let s = t.wait("the DNS tree", |s| s.contains("Domain Name System"));
    assert!(s.contains("Transaction ID"), "{s}");
    // Its two bytes are highlighted in the bytes pane: the id tshark reads.
    let rev = reversed_text(&t.capture(true));
    let hex = format!("{} {}", &id[2..4], &id[4..6]);
    assert!(
        rev.iter().any(|r| r.trim() == hex),
        "no highlighted {hex} in {rev:?}\n{s}"
    );
    // The other way: selecting a byte selects its field. Byte 1 is in the
    // Ethernet destination (byte 0 also holds its LG/IG bits), which tshark
    // reads as this frame's eth.dst.
    t.keys(&["Tab", "Home", "Right"]);
    let dst = tshark(&[
        "-r",
        file,
        "-Y",
        &format!("frame.number == {no}"),
        "-T",
        "fields",
        "-e",
        "eth.dst",
    ]);
    let rev = reversed_text(&t.capture(true));
    assert!(
        rev.iter()
            .any(|r| r.contains("Destination") && r.contains(dst.trim())),
        "field of byte 1 not selected ({}): {rev:?}",
        dst.trim()
    );
    t.keys(&["q"]);
    t.wait("the view to end", |s| s.contains("VIEW-ENDED"));
    let exit = std::fs::read_to_string(dir.path("exit")).unwrap();
    assert_eq!(exit.trim(), "EXIT=0");
    assert_eq!(
        std::fs::read_to_string(dir.path("before")).unwrap(),
        std::fs::read_to_string(dir.path("after")).unwrap(),
        "terminal settings not restored"
    );
}

#[test]
fn follow_a_stream_and_filter_to_a_conversation() {
    let dir = TempDir::new();
    let f = fixture("live/http.pcap");
    let file = f.to_str().unwrap();
    let t = Tmux::start(140, 45, &script(&dir, file), &[]);
    let total = tshark_count(file, "frame");
    t.wait("the index", |s| s.contains(&format!("{total} packets")));
    t.keys(&[":"]);
    t.text("4");
    t.keys(&["Enter", "f"]);
    let s = t.wait("the follow window", |s| s.contains("Follow TCP stream"));
    assert!(s.contains("GET / HTTP/1.1"), "{s}");
    // Byte counts each way, as tshark's follow reports them.
    let fl = tshark(&["-r", file, "-q", "-z", "follow,tcp,ascii,0"]);
    let (mut a, mut b) = (0usize, 0usize);
    for l in fl.lines() {
        if let Ok(n) = l.trim_start_matches('\t').parse::<usize>() {
            if l.starts_with('\t') {
                b += n
            } else {
                a += n
            }
        }
    }
    t.keys(&["End"]);
    let s = t.screen();
    assert!(
        s.contains(&format!("{a} bytes from node 0, {b} bytes from node 1")),
        "{a}/{b}:\n{s}"
    );
    t.keys(&["Escape"]);
    // Conversations: one row per TCP conversation tshark lists.
    t.keys(&["c"]);
    let s = t.wait("the conversations", |s| s.contains("Conversations ("));
    let conv = tshark(&["-r", file, "-q", "-z", "conv,tcp"]);
    let n = conv.lines().filter(|l| l.contains("<->")).count();
    assert!(s.contains(&format!("Conversations ({n})")), "{n}\n{s}");
    // Enter on the first (stream 0) shows only its packets.
    t.keys(&["Enter"]);
    let want = tshark_count(file, "tcp.stream == 0");
    t.wait("the stream's packets", |s| {
        s.contains(&format!("displayed {want}")) && s.contains("tcp.stream == 0")
    });
    t.keys(&["q"]);
    t.wait("the view to end", |s| s.contains("VIEW-ENDED"));
}

#[test]
fn sigterm_restores_the_terminal() {
    let dir = TempDir::new();
    let f = fixture("live/http.pcap");
    let t = Tmux::start(100, 30, &script(&dir, f.to_str().unwrap()), &[]);
    t.wait("the view", |s| s.contains("Packets"));
    // The pane's shell runs the view as its child.
    let shell = t.pid();
    let kids = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children")).unwrap();
    let view = kids.split_whitespace().next().expect("the view process");
    assert!(Command::new("kill")
        .args(["-TERM", view])
        .status()
        .unwrap()
        .success());
    t.wait("the view to end", |s| s.contains("VIEW-ENDED"));
    assert_eq!(
        std::fs::read_to_string(dir.path("exit")).unwrap().trim(),
        "EXIT=143"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path("before")).unwrap(),
        std::fs::read_to_string(dir.path("after")).unwrap()
    );
}

#[test]
fn fits_80_by_24_and_no_color_is_monochrome() {
    let dir = TempDir::new();
    let f = fixture("ipv6_ext.pcap");
    let t = Tmux::start(
        80,
        24,
        &script(&dir, f.to_str().unwrap()),
        &[("NO_COLOR", "1")],
    );
    let s = t.wait("rows", |s| s.contains("Packets") && s.contains("Version 6"));
    for l in s.lines() {
        assert!(l.chars().count() <= 80, "{l}");
    }
    let e = t.capture(true);
    // No foreground colours (SGR 30–37, 90–97), yet the selection is reversed.
    let colored = e.contains("\x1b[3")
        && e.split("\x1b[").any(|p| {
            p.split(['m', ';'])
                .next()
                .and_then(|n| n.parse::<u32>().ok())
                .is_some_and(|n| (30..=37).contains(&n) || (90..=97).contains(&n))
        });
    assert!(!colored, "colour with NO_COLOR");
    assert!(!reversed_text(&e).is_empty(), "no reverse-video selection");
    t.keys(&["q"]);
    t.wait("the view to end", |s| s.contains("VIEW-ENDED"));
}

#[test]
fn without_a_terminal_it_says_to_use_read() {
    let out = Command::new(bin())
        .args(["view", fixture("live/http.pcap").to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("layerscope read"), "{err}");
}

#[test]
fn save_the_displayed_packets_and_read_them_back() {
    let dir = TempDir::new();
    let f = fixture("live/http.pcap");
    let file = f.to_str().unwrap();
    let t = Tmux::start(120, 40, &script(&dir, &format!("-Y http {file}")), &[]);
    let want = tshark_count(file, "http");
    t.wait("the filtered list", |s| {
        s.contains(&format!("displayed {want}"))
    });
    for name in ["saved.pcapng", "saved.pcap"] {
        let out = dir.path(name);
        t.keys(&["w"]);
        t.text(out.to_str().unwrap());
        t.keys(&["Enter"]);
        t.wait("the save", |s| s.contains(&format!("saved {want} packets")));
        // Same packets, timestamps and lengths as tshark selects from the source.
        let fields = ["-T", "fields", "-e", "frame.time_epoch", "-e", "frame.len"];
        let mut a = vec!["-r", file, "-Y", "http"];
        a.extend(fields);
        let mut b = vec!["-r", out.to_str().unwrap()];
        b.extend(fields);
        assert_eq!(tshark(&a), tshark(&b), "{name}");
        let cap = Command::new("capinfos")
            .args(["-t", "-c", out.to_str().unwrap()])
            .output()
            .unwrap();
        let info = String::from_utf8_lossy(&cap.stdout);
        let kind = if name.ends_with("pcapng") {
            "pcapng"
        } else {
            "pcap"
        };
        assert!(info.contains(kind), "{info}");
        assert!(
            info.lines()
                .any(|l| l.contains("Number of packets")
                    && l.trim_end().ends_with(&want.to_string())),
            "{info}"
        );
    }
    t.keys(&["q"]);
    t.wait("the view to end", |s| s.contains("VIEW-ENDED"));
}

#[test]
fn live_rows_arrive_and_hold_when_scrolled_up() {
    common::require_root();
    let dir = TempDir::new();
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sock.local_addr().unwrap().port();
    let saved = dir.path("live.pcapng");
    let args = format!("-i lo -f 'udp port {port}' -w {}", saved.display());
    let t = Tmux::start(120, 30, &script(&dir, &args), &[]);
    t.wait("the capture", |s| s.contains("received"));
    let send = |n: usize, from: usize| {
        for i in from..from + n {
            sock.send_to(format!("ping {i}").as_bytes(), ("127.0.0.1", port))
                .unwrap();
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    send(5, 0);
    t.wait("five rows", |s| s.contains("5 packets"));
    // The newest row is selected while following.
    t.wait_selected("row 5 selected", |rev| {
        rev.iter().any(|r| r.trim_start().starts_with("5 "))
    });
    // Scrolled up, the list holds and says how many rows wait below.
    t.keys(&["Home"]);
    send(40, 5);
    t.wait("45 rows", |s| {
        s.contains("45 packets") && s.contains("new below")
    });
    let rev = reversed_text(&t.capture(true));
    assert!(
        rev.iter().any(|r| r.trim_start().starts_with("1 ")),
        "{rev:?}"
    );
    // End follows the newest again.
    t.keys(&["End"]);
    t.wait_selected("row 45 selected", |rev| {
        rev.iter().any(|r| r.trim_start().starts_with("45 "))
    });
    t.keys(&["q"]);
    t.wait("the view to end", |s| s.contains("VIEW-ENDED"));
    assert_eq!(
        std::fs::read_to_string(dir.path("exit")).unwrap().trim(),
        "EXIT=0"
    );
    // -w wrote what was captured, as tshark reads it.
    let n = tshark(&[
        "-r",
        saved.to_str().unwrap(),
        "-T",
        "fields",
        "-e",
        "udp.dstport",
    ]);
    assert_eq!(n.lines().count(), 45, "{n}");
    assert!(n.lines().all(|l| l.trim() == port.to_string()));
}

#[test]
fn a_compressed_capture_is_viewed_like_the_plain_one() {
    let dir = TempDir::new();
    let f = fixture("live/dns.pcap");
    let gz = dir.path("dns.pcap.gz");
    let st = Command::new("sh")
        .args(["-c", &format!("gzip -c {} > {}", f.display(), gz.display())])
        .status()
        .unwrap();
    assert!(st.success());
    let tmp = dir.path("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let t = Tmux::start(
        120,
        40,
        &script(&dir, gz.to_str().unwrap()),
        &[("TMPDIR", tmp.to_str().unwrap())],
    );
    let total = tshark_count(f.to_str().unwrap(), "frame");
    t.wait("the index", |s| s.contains(&format!("{total} packets")));
    // A late packet decodes from the decompressed bytes as tshark reads it.
    let rows = tshark(&[
        "-r",
        f.to_str().unwrap(),
        "-Y",
        "dns && udp",
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        "dns.id",
    ]);
    let (no, id) = rows.lines().last().unwrap().split_once('\t').unwrap();
    t.keys(&[":"]);
    t.text(no);
    t.keys(&["Enter", "Tab", "End", "Enter", "Down"]);
    let s = t.wait("the packet's DNS id", |s| {
        s.contains(&format!("Transaction ID: {}", id.trim()))
    });
    assert!(s.contains("dns.pcap.gz"), "{s}");
    t.keys(&["q"]);
    t.wait("the view to end", |s| s.contains("VIEW-ENDED"));
    // The decompressed copy is gone.
    let left: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("layerscope-view-")
        })
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn the_packet_cap_drops_the_oldest_and_says_so() {
    let dir = TempDir::new();
    // 1,600 copies of a real capture, end to end: 142,400 packets.
    let f = fixture("live/http.pcap");
    let copies: Vec<String> = (0..1600).map(|_| f.display().to_string()).collect();
    let big = dir.path("big.pcap");
    let st = Command::new("mergecap")
        .args(["-a", "-F", "pcap", "-w", big.to_str().unwrap()])
        .args(&copies)
        .status()
        .expect("mergecap (wireshark-common)");
    assert!(st.success());
    let total = 89 * 1600;
    let t = Tmux::start(
        120,
        40,
        &script(&dir, &format!("--max-packets 1000 {}", big.display())),
        &[],
    );
    let s = t.wait("the index", |s| {
        s.contains(&format!("{total} packets")) && !s.contains("reading")
    });
    // Chunks of 65,536 records go at once: at most the cap plus one chunk stay.
    let dropped: u64 = s
        .split(" oldest packets dropped")
        .next()
        .and_then(|h| h.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no eviction reported:\n{s}"));
    assert!(dropped > 0 && dropped % 65536 == 0, "{dropped}");
    assert!(total as u64 - dropped <= 1000 + 65536, "{dropped}");
    // The newest packets are there; the oldest are not.
    t.keys(&[":"]);
    t.text(&total.to_string());
    t.keys(&["Enter"]);
    t.wait("the last packet", |s| {
        s.contains(&format!("Packet {total} "))
    });
    t.keys(&[":"]);
    t.text("1");
    t.keys(&["Enter"]);
    t.wait("packet 1 gone", |s| s.contains("no packet 1"));
    t.keys(&["q"]);
    t.wait("the view to end", |s| s.contains("VIEW-ENDED"));
}
