//! `layerscope demo`, run for real: it creates network namespaces, runs the
//! echo server and client there and captures them, so these tests need root
//! (CI runs as root). They fail, not skip, without it.
//!
//! Every assertion is on the demo's `--json-summary`, whose numbers come from
//! the captured frames. The expected values are TCP/IP arithmetic, worked out
//! by hand next to each test:
//! - payload per TCP segment = min(MSS in SYN, MSS in SYN-ACK) − 12 bytes of
//!   timestamp option (Linux sends timestamps on every data segment);
//! - an IPv4 fragment carries at most floor((MTU − 20) / 8) × 8 bytes of IP
//!   payload, an IPv6 fragment floor((MTU − 48) / 8) × 8.

mod common;

use common::{bin_for_nobody, layerscope, require_root, run, run_out, sh, text, Proc, TempDir};
use serde_json::Value;
use std::process::Command;
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

/// One demo at a time: they are cheap, but the machine is small and timing
/// (delayed ACKs) is steadier alone.
static SERIAL: Mutex<()> = Mutex::new(());
static ETHTOOL: Once = Once::new();

/// The demo turns offloads off with ethtool; without it the capture shows
/// GSO super-segments and the segment counts differ. Install it when missing.
fn ensure_ethtool() {
    ETHTOOL.call_once(|| {
        let have = || {
            Command::new("ethtool")
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if !have() {
            let _ = Command::new("apt-get")
                .args(["install", "-y", "-qq", "--no-install-recommends", "ethtool"])
                .env("DEBIAN_FRONTEND", "noninteractive")
                .status();
        }
        assert!(
            have(),
            "ethtool is needed by the demo tests (apt-get install ethtool)"
        );
    });
}

fn netns_list() -> String {
    sh(&["ip", "netns", "list"])
}

/// Runs the demo and returns its JSON summary (the last line of stdout).
fn demo(args: &[&str]) -> Value {
    require_root();
    ensure_ethtool();
    let _guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let out = run_out(
        layerscope()
            .arg("demo")
            .args(args)
            .args(["--json-summary", "--color", "never"]),
        Duration::from_secs(300),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo {args:?} failed ({}):\n{}\n{}",
        out.status,
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout.lines().last().unwrap_or("");
    let v: Value =
        serde_json::from_str(last).unwrap_or_else(|e| panic!("bad summary {last:?}: {e}"));
    // Nothing left behind.
    let list = netns_list();
    for ns in v["namespaces"].as_array().expect("namespaces") {
        let ns = ns.as_str().unwrap();
        assert!(!list.contains(ns), "namespace {ns} still exists:\n{list}");
    }
    assert_eq!(v["offloads_off"], true, "offloads stayed on:\n{stdout}");
    assert_eq!(v["problems"], serde_json::json!([]), "{stdout}");
    v
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn assert_tcp_conversation(v: &Value, message_len: u64) {
    assert_eq!(strings(&v["handshake"]), ["SYN", "SYN, ACK", "ACK"], "{v}");
    assert_eq!(v["message_bytes"], message_len);
    assert_eq!(v["client_payload_bytes"], message_len, "{v}");
    assert_eq!(v["client_payload_matches"], true, "{v}");
    // The echo: "echo: " + the message.
    assert_eq!(v["server_payload_bytes"], message_len + 6, "{v}");
    assert_eq!(v["fin_client"], true, "{v}");
    assert_eq!(v["fin_server"], true, "{v}");
    assert_eq!(v["fin_exchange"], true, "{v}");
    assert_eq!(v["rst"], false, "{v}");
}

#[test]
fn tcp_message_on_loopback() {
    let v = demo(&["--message", "hello, layers"]);
    assert_eq!(v["link"], "lo");
    assert_eq!(v["interface"], "lo");
    // "hello, layers" plus the newline that ends a message of the echo protocol.
    assert_tcp_conversation(&v, 14);
    assert_eq!(v["segments_observed"], 1);
    assert_eq!(v["segments_computed"], 1);
    assert_eq!(v["arp"], 0, "lo resolves nothing");
}

#[test]
fn segments_4000_bytes_mss_536() {
    // 536 − 12 = 524 bytes per segment; ceil(4000 / 524) = 8.
    let v = demo(&["--size", "4000", "--mss", "536"]);
    assert_tcp_conversation(&v, 4000);
    assert_eq!(v["mss"], 536);
    assert_eq!(v["payload_per_segment"], 524);
    assert_eq!(v["segments_computed"], 8);
    assert_eq!(v["segments_observed"], 8, "{v}");
    assert_eq!(v["gso_super_segments"], 0);
    // The reply, 4006 bytes, is segmented by the same MSS: ceil(4006 / 524) = 8.
    assert_eq!(v["reply_segments_computed"], 8);
    assert_eq!(v["reply_segments_observed"], 8);
}

#[test]
fn segments_10000_bytes_mss_1000() {
    // 1000 − 12 = 988; ceil(10000 / 988) = 11.
    let v = demo(&["--size", "10000", "--mss", "1000"]);
    assert_tcp_conversation(&v, 10000);
    assert_eq!(v["payload_per_segment"], 988);
    assert_eq!(v["segments_computed"], 11);
    assert_eq!(v["segments_observed"], 11, "{v}");
}

#[test]
fn segments_on_veth_with_the_path_mss() {
    // MTU 1500 − 20 − 20 = MSS 1460 in both SYNs; 1460 − 12 = 1448;
    // ceil(4380 / 1448) = 4.
    let v = demo(&["--veth", "--size", "4380"]);
    assert_eq!(v["link"], "veth");
    assert_eq!(v["mtu"], 1500);
    assert_tcp_conversation(&v, 4380);
    assert_eq!(v["mss"], 1460);
    assert_eq!(v["segments_computed"], 4);
    assert_eq!(v["segments_observed"], 4, "{v}");
    // A fresh namespace knows no MAC yet: ARP request and reply come first.
    assert!(v["arp"].as_u64().unwrap() >= 2, "{v}");
}

#[test]
fn udp_fragments_on_veth() {
    // 3000 + 8 = 3008 bytes of IP payload; 1480 per fragment → 1480, 1480, 48.
    let v = demo(&["--udp", "--veth", "--size", "3000"]);
    assert_eq!(v["transport"], "udp");
    assert_eq!(strings(&v["handshake"]), Vec::<String>::new());
    assert_eq!(v["client_payload_bytes"], 3000);
    assert_eq!(v["client_payload_matches"], true);
    assert_eq!(v["fragments"], 3, "{v}");
    let d = &v["datagrams"][0];
    assert_eq!(d["direction"], "to_server");
    assert_eq!(d["udp_length"], 3008);
    assert_eq!(d["fragments_computed"], 3);
    let frags = d["fragments"].as_array().expect("fragments");
    let got: Vec<(u64, u64, bool)> = frags
        .iter()
        .map(|f| {
            (
                f["offset"].as_u64().unwrap(),
                f["len"].as_u64().unwrap(),
                f["mf"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [(0, 1480, true), (1480, 1480, true), (2960, 48, false)]
    );
}

#[test]
fn udp_small_datagram_is_not_fragmented() {
    let v = demo(&["--udp", "--message", "one datagram"]);
    assert_eq!(v["fragments"], 0);
    // 12 characters and the newline that ends a message on either transport.
    assert_eq!(v["client_payload_bytes"], 13);
    assert_eq!(v["client_payload_matches"], true);
    assert_eq!(
        v["datagrams"].as_array().map(Vec::len),
        Some(2),
        "request and reply: {v}"
    );
}

#[test]
fn tcp_ipv6_on_veth() {
    let v = demo(&["--ipv6", "--veth", "--message", "over IPv6"]);
    assert_eq!(v["ip_version"], 6);
    assert_tcp_conversation(&v, 10);
    // MTU 1500 − 40 − 20 = 1440.
    assert_eq!(v["mss"], 1440);
    // Neighbour solicitation and advertisement instead of ARP.
    assert!(v["ndp"].as_u64().unwrap() >= 2, "{v}");
    assert_eq!(v["arp"], 0);
}

#[test]
fn tcp_ipv6_segments_on_loopback() {
    // 600 − 12 = 588; ceil(3000 / 588) = 6.
    let v = demo(&["--ipv6", "--size", "3000", "--mss", "600"]);
    assert_tcp_conversation(&v, 3000);
    assert_eq!(v["segments_computed"], 6);
    assert_eq!(v["segments_observed"], 6, "{v}");
}

#[test]
fn udp_ipv6_fragments_on_veth() {
    // IPv6: 1500 − 40 − 8 = 1452 → 1448 per fragment; 3008 → 1448, 1448, 112.
    let v = demo(&["--udp", "--ipv6", "--veth", "--size", "3000"]);
    assert_eq!(v["fragments"], 3, "{v}");
    let offs: Vec<u64> = v["datagrams"][0]["fragments"]
        .as_array()
        .expect("fragments")
        .iter()
        .map(|f| f["offset"].as_u64().unwrap())
        .collect();
    assert_eq!(offs, [0, 1448, 2896]);
    assert_eq!(v["client_payload_bytes"], 3000);
}

#[test]
fn report_fits_100_columns_and_names_both_models() {
    require_root();
    ensure_ethtool();
    let _guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let out = run_out(
        layerscope()
            .args(["demo", "--veth", "--size", "3000", "--mss", "700"])
            .env("NO_COLOR", "1"),
        Duration::from_secs(300),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    for l in s.lines() {
        assert!(
            l.chars().count() <= 100,
            "line wider than 100 columns: {l:?}"
        );
    }
    assert!(!s.contains('\x1b'), "colour without a terminal");
    for needle in [
        "1. Timeline",
        "2. Encapsulation",
        "3. Segmentation",
        "4. Ladder",
        "TCP/IP model",
        "OSI model",
        "3 network",
        "connect(",
        "[SYN]",
        "[SYN, ACK]",
        "equal: 5 computed, 5 observed",
    ] {
        assert!(s.contains(needle), "missing {needle:?} in:\n{s}");
    }
}

#[test]
fn udp_with_mss_is_a_usage_error() {
    let out = run(&["demo", "--udp", "--mss", "500"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn without_root_it_exits_3_with_the_capture_message() {
    require_root();
    // The binary may sit under a directory an unprivileged user cannot
    // enter: run a copy nobody can reach.
    let dir = TempDir::new();
    let exe = bin_for_nobody(&dir);
    let out = run_out(
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&exe)
            .arg("demo"),
        Duration::from_secs(60),
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("no permission to capture"), "{err}");
    assert!(err.contains("Run it as root"), "{err}");
}

#[test]
fn ctrl_c_removes_the_namespaces() {
    require_root();
    let _guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let child = Proc::spawn(&["demo", "--veth", "--test-pause-ms", "10000"]);
    let prefix = format!("lsdemo-{}-", child.pid);
    let start = Instant::now();
    while netns_list().matches(&prefix).count() < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "namespaces never appeared"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.signal("INT");
    let done = child.wait(Duration::from_secs(60));
    assert_eq!(done.code(), Some(130), "{}", done.stderr);
    let list = netns_list();
    assert!(
        !list.contains(&prefix),
        "namespaces left after Ctrl-C:\n{list}"
    );
}

/// The time in a report line ("+1.193 ms"), in nanoseconds.
fn line_ms(l: &str) -> Option<i64> {
    let t = l.split_whitespace().find(|w| w.starts_with('+'))?;
    let (whole, frac) = t.trim_start_matches('+').split_once('.')?;
    Some(whole.parse::<i64>().ok()? * 1_000_000 + frac.parse::<i64>().ok()? * 1_000)
}

#[test]
fn timeline_puts_each_call_beside_its_frames_on_the_ladders_clock() {
    require_root();
    ensure_ethtool();
    let _guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let out = run_out(
        layerscope().args(["demo"]).env("NO_COLOR", "1"),
        Duration::from_secs(120),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    let timeline: Vec<&str> = s
        .lines()
        .skip_while(|l| !l.starts_with("1. Timeline"))
        .take_while(|l| !l.starts_with("2. "))
        .collect();
    let find = |pred: &dyn Fn(&str) -> bool| {
        timeline
            .iter()
            .position(|l| pred(l))
            .unwrap_or_else(|| panic!("not in the timeline:\n{}", timeline.join("\n")))
    };
    // The message is 14 bytes ("hello, layers" and its newline).
    let send = find(&|l| l.contains("client  send("));
    let data = find(&|l| l.contains("client → server") && l.contains("len=14"));
    let srv_recv = find(&|l| l.contains("server  recv(") && l.contains("= 14 bytes"));
    let srv_send = find(&|l| l.contains("server  send("));
    let reply = find(&|l| l.contains("server → client") && l.contains("len=20"));
    let cli_recv = find(&|l| l.contains("client  recv(") && l.contains("= 20 bytes"));
    assert!(
        send < data
            && data < srv_recv
            && srv_recv < srv_send
            && srv_send < reply
            && reply < cli_recv,
        "calls out of order around their frames:\n{}",
        timeline.join("\n")
    );
    // Times in the timeline never go backwards.
    let times: Vec<i64> = timeline.iter().filter_map(|l| line_ms(l)).collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "{}",
        timeline.join("\n")
    );
    // Frame #1 has the same time in the timeline and the ladder.
    let t1 = line_ms(timeline[find(&|l| l.contains(" #1   "))]).unwrap();
    let ladder = s
        .lines()
        .skip_while(|l| !l.starts_with("4. Ladder"))
        .find(|l| l.starts_with(" #1 "))
        .expect("ladder row #1");
    assert_eq!(line_ms(ladder), Some(t1), "{ladder}");
}
