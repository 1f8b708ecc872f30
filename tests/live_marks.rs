//! Marks and pairings that only real traffic shows: a frame cut by the snap
//! length inside an application protocol, and ping replies to requests that
//! were fragmented on the way. Real servers and clients on loopback or in
//! namespaces the tests create; every expectation comes from tshark on the
//! same frames (written by tcpdump or by layerscope itself).

mod common;

use common::{layerscope, require_root, run_out, tshark, Fields, NsPair, Proc, TempDir};
use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

/// Frame number → value of `field`, as tshark prints it (frames without it left out).
fn tshark_by_frame(file: &std::path::Path, extra: &[&str], field: &str) -> BTreeMap<u64, String> {
    let mut args = vec!["-n", "-r", file.to_str().unwrap()];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["-T", "fields", "-e", "frame.number", "-e", field]);
    tshark(&args)
        .lines()
        .filter_map(|l| {
            let (n, v) = l.split_once('\t')?;
            (!v.is_empty()).then(|| (n.parse().unwrap(), v.to_string()))
        })
        .collect()
}

fn layerscope_by_frame(file: &std::path::Path, field: &str) -> BTreeMap<u64, String> {
    let out = run_out(
        layerscope().args([
            "read",
            "-F",
            "jsonl",
            "-e",
            "frame.number",
            "-e",
            field,
            file.to_str().unwrap(),
        ]),
        Duration::from_secs(30),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    common::jsonl(&out.stdout)
        .iter()
        .filter_map(|r| {
            let v = r.one(field)?;
            Some((r.one("frame.number")?.parse().unwrap(), v))
        })
        .collect()
}

#[test]
fn http_cut_by_the_snap_length_is_marked_where_tshark_marks_it() {
    require_root();
    // Namespaces of our own: port 8080 is free there, and it is an HTTP port
    // for both layerscope and tshark, so continuation segments decode as HTTP
    // in both without a decode-as rule.
    let ns = NsPair::new();
    let dir = TempDir::new();
    std::fs::write(dir.path("page.txt"), "x".repeat(3000)).unwrap();
    let mut server = NsPair::exec(
        &ns.b,
        &[
            "python3",
            "-m",
            "http.server",
            "8080",
            "--bind",
            "10.99.0.2",
        ],
    )
    .current_dir(&dir.0)
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let file = dir.path("cut.pcap");
    let bin = common::bin();
    let mut cap = Proc::spawn_cmd(&mut NsPair::exec(
        &ns.a,
        &[
            bin.to_str().unwrap(),
            "capture",
            "-i",
            "veth0",
            "-s",
            "80",
            "-f",
            "tcp port 8080",
            "-w",
            file.to_str().unwrap(),
            "--format",
            "table",
            "--color",
            "never",
            "--duration",
            "4",
        ],
    ));
    cap.wait_ready();
    // A real client: two requests, a listing and a 3000-byte file.
    let client = "import urllib.request, time\n\
         for i in range(50):\n\
         \x20   try:\n\
         \x20       urllib.request.urlopen('http://10.99.0.2:8080/', timeout=2).read(); break\n\
         \x20   except OSError: time.sleep(0.1)\n\
         urllib.request.urlopen('http://10.99.0.2:8080/page.txt', timeout=2).read()\n";
    let st = NsPair::exec(&ns.a, &["timeout", "20", "python3", "-c", client])
        .status()
        .unwrap();
    let done = cap.wait(Duration::from_secs(20));
    let _ = server.kill();
    let _ = server.wait();
    assert!(st.success(), "HTTP client failed");
    assert_eq!(done.code(), Some(0), "{}", done.stderr);
    // Live rows show the mark.
    assert!(
        done.stdout.contains("[truncated: HTTP"),
        "no truncation mark in the live table:\n{}",
        done.stdout
    );
    let want = tshark_by_frame(&file, &[], "_ws.short");
    assert!(want.len() >= 2, "tshark marks too few frames: {want:?}");
    let got = layerscope_by_frame(&file, "_ws.short");
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "frames marked short: layerscope {got:?}, tshark {want:?}\n{}",
        tshark(&["-n", "-r", file.to_str().unwrap()])
    );
    assert!(got.values().all(|v| v.starts_with("HTTP")), "{got:?}");
}

#[test]
fn replies_to_fragmented_pings_are_paired_as_tshark_pairs_them() {
    require_root();
    let ns = NsPair::new();
    let dir = TempDir::new();
    let file = dir.path("frag.pcap");
    let mut dump = Proc::spawn_cmd(&mut NsPair::exec(
        &ns.a,
        &[
            "tcpdump",
            "-i",
            "veth0",
            "-U",
            // Each frame written as it comes: a SIGINT must not lose the last block.
            "--immediate-mode",
            "-w",
            file.to_str().unwrap(),
            // Not `icmp6`: it does not see past a fragment header.
            "icmp or ip6",
        ],
    ));
    dump.wait_for_stderr("listening on", Duration::from_secs(10));
    // 3000 bytes over an MTU of 1500: each request and reply in 3 fragments.
    for args in [
        [
            "ping",
            "-n",
            "-c",
            "2",
            "-i",
            "0.2",
            "-W",
            "2",
            "-s",
            "3000",
            "10.99.0.2",
        ],
        [
            "ping", "-n", "-c", "2", "-i", "0.2", "-W", "2", "-s", "3000", "fd99::2",
        ],
    ] {
        let st = NsPair::exec(&ns.a, &args)
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success(), "{args:?}");
    }
    std::thread::sleep(Duration::from_millis(300));
    dump.signal("INT");
    dump.wait(Duration::from_secs(10));
    for (field, expect) in [("icmp.resp_to", 2), ("icmpv6.resp_to", 2)] {
        let want = tshark_by_frame(&file, &[], field);
        assert_eq!(
            want.len(),
            expect,
            "tshark {field}: {want:?}\n{}",
            tshark(&["-n", "-r", file.to_str().unwrap()])
        );
        let got = layerscope_by_frame(&file, field);
        assert_eq!(got, want, "{field}");
    }
    // The table says which request a reply answers.
    let out = run_out(
        layerscope().args(["read", "--color", "never", file.to_str().unwrap()]),
        Duration::from_secs(30),
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert_eq!(table.matches("(request in ").count(), 4, "{table}");
}
