//! Replays the regression set of the fuzz targets (fixtures/fuzz/<target>/:
//! every crash and hang scripts/fuzz.sh found, and inputs that reached new
//! code) through the same entry points: each must return, without a panic,
//! within a few seconds.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

type Target = fn(&[u8]);

const TARGETS: &[(&str, Target)] = &[
    ("capture_file", layerscope::fuzz::capture_file),
    ("frame_sequence", layerscope::fuzz::frame_sequence),
    ("display_filter", layerscope::fuzz::display_filter),
    ("view_index", layerscope::fuzz::view_index),
];

/// Runs `f` on `data` on its own thread; Err when it panics or runs past
/// the limit.
fn run_bounded(f: Target, data: Vec<u8>, limit: Duration) -> Result<(), String> {
    let (tx, rx) = mpsc::channel();
    let h = std::thread::spawn(move || {
        f(&data);
        let _ = tx.send(());
    });
    match rx.recv_timeout(limit) {
        Ok(()) => h.join().map_err(|_| "panicked".to_string()),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err("panicked".to_string()),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(format!("still running after {limit:?}")),
    }
}

#[test]
fn every_regression_input_returns_without_panic_or_hang() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fuzz");
    let mut replayed = 0;
    let mut bad = Vec::new();
    for (name, f) in TARGETS {
        let Ok(rd) = std::fs::read_dir(root.join(name)) else {
            continue;
        };
        let mut paths: Vec<_> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            let data = std::fs::read(&p).expect("read regression input");
            if let Err(e) = run_bounded(*f, data, Duration::from_secs(20)) {
                bad.push(format!("{}: {e}", p.display()));
            }
            replayed += 1;
        }
    }
    assert!(replayed >= 4, "only {replayed} regression inputs found");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// The entry points on inputs a fuzzer meets first: empty, one byte, a
/// bare capture header, a frame sequence of every link type with a frame
/// cut short.
#[test]
fn entry_points_take_degenerate_inputs() {
    let pcap_header: Vec<u8> = [
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
    ]
    .to_vec();
    let mut inputs = vec![Vec::new(), vec![0], pcap_header];
    for lt in [0u16, 1, 101, 105, 113, 127, 192, 228, 276] {
        let mut s = lt.to_be_bytes().to_vec();
        s.extend_from_slice(&[0, 60]);
        s.extend_from_slice(&[0x45; 20]);
        inputs.push(s);
    }
    for (name, f) in TARGETS {
        for data in &inputs {
            let r = run_bounded(*f, data.clone(), Duration::from_secs(20));
            assert!(r.is_ok(), "{name} on {data:?}: {r:?}");
        }
    }
}
