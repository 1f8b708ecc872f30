//! Wi-Fi: 802.11 with radiotap, PPI, Prism and AVS headers, and EAPOL,
//! checked field by field against tshark on tcpdump's captures
//! (../shared/corpus-links) and on captures rewrapped from them; display
//! filters counted against tshark; malformed captures decode without a
//! panic; monitor mode refused clearly where the interface cannot do it.

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A capture of ../shared/corpus-links (must exist).
fn links(name: &str) -> PathBuf {
    let p = root().join("../shared/corpus-links").join(name);
    assert!(
        p.exists(),
        "{} is missing: these tests read ../shared/corpus-links",
        p.display()
    );
    p
}

const WIFI: &[&str] = &[
    "ieee802.11_exthdr.pcap",
    "ieee802.11_htc.pcap",
    "ieee802.11_meshhdr-oobr.pcap",
    "ieee802.11_meshid.pcap",
    "ieee802.11_parse_elements_oobr.pcap",
    "ieee802.11_rates_oobr.pcap",
    "ieee802.11_rx-stbc.pcap",
    "ieee802.11_tim_ie_oobr.pcap",
    "radiotap-heapoverflow.pcap",
];

/// Prefixes of the fields this work adds (and what they carry).
const PREFIXES: &[&str] = &[
    "radiotap.",
    "wlan_radio.",
    "wlan.",
    "ppi.",
    "prism.",
    "wlancap.",
    "eapol.",
    "eap.",
    "wlan_rsna_eapol.",
    "llc.",
    "ip.src",
    "ip.dst",
    "udp.",
    "arp.",
    "frame.protocols",
];

/// A JSON value as tshark prints it (lists joined by commas).
fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => (if *b { "1" } else { "0" }).into(),
        Value::Array(a) => a.iter().map(cell).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

#[derive(Default, Debug)]
struct Tally {
    agree: usize,
    disagree: Vec<String>,
}

/// Compares every field layerscope emits under `PREFIXES` with tshark's
/// value for the same frame.
fn compare(file: &Path, t: &mut Tally) {
    let rows = read_jsonl(file, &["--no-reassembly"]);
    let mut names: Vec<String> = Vec::new();
    for r in &rows {
        for k in r.as_object().unwrap().keys() {
            if PREFIXES.iter().any(|p| k.starts_with(p)) && !names.contains(k) {
                names.push(k.clone());
            }
        }
    }
    // tshark in batches of fields.
    let mut theirs: Vec<BTreeMap<String, String>> = vec![BTreeMap::new(); rows.len()];
    for chunk in names.chunks(150) {
        let mut args = vec![
            "-r".to_string(),
            arg(file).to_string(),
            "-T".into(),
            "fields".into(),
            "-E".into(),
            "occurrence=a".into(),
            "-E".into(),
            "aggregator=,".into(),
        ];
        for n in chunk {
            args.push("-e".into());
            args.push(n.clone());
        }
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = tshark(&a);
        for (i, line) in out.lines().enumerate() {
            if i >= theirs.len() {
                break;
            }
            for (n, v) in chunk.iter().zip(line.split('\t')) {
                theirs[i].insert(n.clone(), v.to_string());
            }
        }
    }
    for (i, r) in rows.iter().enumerate() {
        for (k, v) in r.as_object().unwrap() {
            if !names.contains(k) {
                continue;
            }
            if k == "frame.protocols" && !["wlan", "eapol"].iter().any(|p| cell(v).contains(p)) {
                continue; // NBNS, SMB, SSDP, IGMP: decoders outside this work.
            }
            let ours = cell(v);
            let th = theirs[i].get(k).cloned().unwrap_or_default();
            if th.is_empty() {
                continue; // tshark does not decode it here: coverage, not a value.
            }
            // tshark prints an empty byte string (the wildcard SSID) so.
            if ours == th || (ours.is_empty() && th == "<MISSING>") {
                t.agree += 1;
            } else {
                t.disagree.push(format!(
                    "{} frame {}: {k} layerscope {ours:?} tshark {th:?}",
                    file.display(),
                    i + 1
                ));
            }
        }
    }
}

#[test]
fn corpus_fields_agree_with_tshark() {
    let mut t = Tally::default();
    for f in WIFI.iter().chain(["eapon1.pcap"].iter()) {
        compare(&links(f), &mut t);
    }
    eprintln!("corpus: {} values agree", t.agree);
    assert!(
        t.disagree.is_empty(),
        "disagreements:\n{}",
        t.disagree.join("\n")
    );
    assert!(t.agree > 5000, "too few values compared: {}", t.agree);
}

// ------------------------------------------------------------ pcap writing

fn pcap(linktype: u32, frames: &[Vec<u8>]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&4u16.to_le_bytes());
    b.extend_from_slice(&[0; 8]);
    b.extend_from_slice(&65535u32.to_le_bytes());
    b.extend_from_slice(&linktype.to_le_bytes());
    for (i, f) in frames.iter().enumerate() {
        b.extend_from_slice(&(1_700_000_000u32 + i as u32).to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&(f.len() as u32).to_le_bytes());
        b.extend_from_slice(&(f.len() as u32).to_le_bytes());
        b.extend_from_slice(f);
    }
    b
}

/// Frames of a classic little-endian pcap: (wire length, bytes).
fn frames_of(buf: &[u8]) -> Vec<(usize, Vec<u8>)> {
    let u32le = |o: usize| u32::from_le_bytes(buf[o..o + 4].try_into().unwrap()) as usize;
    let mut out = Vec::new();
    let mut o = 24;
    while o + 16 <= buf.len() {
        let (cap, wire) = (u32le(o + 8), u32le(o + 12));
        out.push((wire, buf[o + 16..(o + 16 + cap).min(buf.len())].to_vec()));
        o += 16 + cap;
    }
    out
}

/// The 802.11 frames of a radiotap capture without radiotap and FCS.
fn bare_80211(name: &str) -> Vec<Vec<u8>> {
    let buf = std::fs::read(links(name)).unwrap();
    frames_of(&buf)
        .into_iter()
        .filter_map(|(_, f)| {
            let len = u16::from_le_bytes([f[2], f[3]]) as usize;
            // Flags (bit 1 of the first present word) say whether an FCS ends it;
            // these captures have TSFT first, so flags sit at byte len_of_words.
            let present = u32::from_le_bytes(f[4..8].try_into().unwrap());
            let mut at = 8;
            let mut w = present;
            while w & 0x8000_0000 != 0 {
                w = u32::from_le_bytes(f[at..at + 4].try_into().unwrap());
                at += 4;
            }
            let tsft = present & 1 != 0;
            let flags_at = if tsft { at.div_ceil(8) * 8 + 8 } else { at };
            let fcs = present & 2 != 0 && f.get(flags_at).is_some_and(|b| b & 0x10 != 0);
            let end = f.len() - if fcs { 4 } else { 0 };
            (len < end).then(|| f[len..end].to_vec())
        })
        .collect()
}

fn ppi(frame: &[u8], i: usize) -> Vec<u8> {
    let mut b = vec![0u8, 0];
    b.extend_from_slice(&32u16.to_le_bytes());
    b.extend_from_slice(&105u32.to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes()); // 802.11-Common
    b.extend_from_slice(&20u16.to_le_bytes());
    b.extend_from_slice(&(1000u64 + i as u64).to_le_bytes()); // TSFT
    b.extend_from_slice(&0u16.to_le_bytes()); // flags: no FCS
    b.extend_from_slice(&((2 + 2 * (i % 4)) as u16).to_le_bytes()); // rate
    b.extend_from_slice(&2437u16.to_le_bytes());
    b.extend_from_slice(&0x00a0u16.to_le_bytes()); // CCK, 2 GHz
    b.extend_from_slice(&[0, 0, (-40 - i as i32) as i8 as u8, (-95i8) as u8]);
    b.extend_from_slice(frame);
    b
}

fn prism(frame: &[u8], i: usize) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&0x44u32.to_le_bytes());
    b.extend_from_slice(&144u32.to_le_bytes());
    let mut name = [0u8; 16];
    name[..5].copy_from_slice(b"wlan0");
    b.extend_from_slice(&name);
    for item in 1..=10u32 {
        b.extend_from_slice(&((item << 16) | 0x44).to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&4u16.to_le_bytes());
        let v: u32 = match item {
            3 => 6,
            6 => (-50 - i as i32) as u32,
            7 => (-90i32) as u32,
            8 => 22,
            10 => frame.len() as u32,
            _ => 100 * item + i as u32,
        };
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(frame);
    b
}

fn avs(frame: &[u8], i: usize) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&0x8021_1001u32.to_be_bytes());
    b.extend_from_slice(&64u32.to_be_bytes());
    b.extend_from_slice(&(5000u64 + i as u64).to_be_bytes());
    b.extend_from_slice(&(7000u64 + i as u64).to_be_bytes());
    for v in [
        4u32, // phy type
        11,   // channel
        110,  // rate, 100 kb/s
        1,    // antenna
        0,    // priority
        2,    // SSI type
        (-45i32) as u32,
        (-92i32) as u32,
        1, // preamble
        1, // encoding
    ] {
        b.extend_from_slice(&v.to_be_bytes());
    }
    b.extend_from_slice(frame);
    b
}

/// A QoS data frame (from DS) carrying an EAPOL-Key of the 4-way handshake.
fn eapol_key(msg: u8) -> Vec<u8> {
    let (ap, sta) = (
        [0x02u8, 0x11, 0x22, 0x33, 0x44, 0x55],
        [0x02u8, 0xaa, 0xbb, 0xcc, 0xdd, 0xee],
    );
    let from_ap = msg % 2 == 1;
    let mut f = vec![0x88, if from_ap { 0x02 } else { 0x01 }, 0x2c, 0x00];
    if from_ap {
        f.extend_from_slice(&sta);
        f.extend_from_slice(&ap);
        f.extend_from_slice(&ap);
    } else {
        f.extend_from_slice(&ap);
        f.extend_from_slice(&sta);
        f.extend_from_slice(&ap);
    }
    f.extend_from_slice(&((msg as u16) << 4).to_le_bytes());
    f.extend_from_slice(&[0x06, 0x00]); // QoS: TID 6
    f.extend_from_slice(&[0xaa, 0xaa, 0x03, 0, 0, 0, 0x88, 0x8e]);
    let info: u16 = match msg {
        1 => 0x008a,
        2 => 0x010a,
        3 => 0x13ca,
        _ => 0x030a,
    };
    let data: Vec<u8> = match msg {
        2 => vec![
            0x30, 0x14, 1, 0, 0, 0x0f, 0xac, 4, 1, 0, 0, 0x0f, 0xac, 4, 1, 0, 0, 0x0f, 0xac, 2,
            0x0c, 0,
        ],
        3 => (0..56).map(|x| x as u8 ^ 0x5a).collect(),
        _ => Vec::new(),
    };
    let mut k = vec![2u8]; // RSN descriptor
    k.extend_from_slice(&info.to_be_bytes());
    k.extend_from_slice(&16u16.to_be_bytes());
    k.extend_from_slice(&(msg as u64).to_be_bytes());
    let nonce: Vec<u8> = if msg == 4 {
        vec![0; 32]
    } else {
        (0..32).map(|x| x as u8 + msg).collect()
    };
    k.extend_from_slice(&nonce);
    k.extend_from_slice(&[0; 16]); // IV
    k.extend_from_slice(&[0; 8]); // RSC
    k.extend_from_slice(&[0; 8]); // ID
    let mic: Vec<u8> = if msg == 1 {
        vec![0; 16]
    } else {
        (0..16).map(|x| x as u8 * 3 + msg).collect()
    };
    k.extend_from_slice(&mic);
    k.extend_from_slice(&(data.len() as u16).to_be_bytes());
    k.extend_from_slice(&data);
    let mut e = vec![2u8, 3];
    e.extend_from_slice(&(k.len() as u16).to_be_bytes());
    e.extend_from_slice(&k);
    f.extend_from_slice(&e);
    f
}

/// Writes the rewrapped captures; returns their paths.
fn rewrapped(dir: &TempDir) -> Vec<PathBuf> {
    let mut bare = bare_80211("ieee802.11_exthdr.pcap");
    bare.extend(bare_80211("ieee802.11_meshid.pcap"));
    let mut out = Vec::new();
    let mut write = |name: &str, lt: u32, frames: Vec<Vec<u8>>| {
        let p = dir.path(name);
        std::fs::write(&p, pcap(lt, &frames)).unwrap();
        out.push(p);
    };
    write("wlan105.pcap", 105, bare.clone());
    write(
        "ppi.pcap",
        192,
        bare.iter().enumerate().map(|(i, f)| ppi(f, i)).collect(),
    );
    write(
        "prism.pcap",
        119,
        bare.iter().enumerate().map(|(i, f)| prism(f, i)).collect(),
    );
    write(
        "avs.pcap",
        163,
        bare.iter().enumerate().map(|(i, f)| avs(f, i)).collect(),
    );
    write("eapol4way.pcap", 105, (1..=4).map(eapol_key).collect());
    out
}

#[test]
fn rewrapped_and_handshake_fields_agree_with_tshark() {
    let dir = TempDir::new();
    let mut t = Tally::default();
    let files = rewrapped(&dir);
    for f in &files {
        let before = t.agree;
        compare(f, &mut t);
        eprintln!("{}: {} values agree", f.display(), t.agree - before);
        assert!(
            t.agree > before + 20,
            "{}: too few values compared",
            f.display()
        );
    }
    assert!(
        t.disagree.is_empty(),
        "disagreements:\n{}",
        t.disagree.join("\n")
    );
    // The handshake's message numbers, as tshark numbers them.
    let hs = files.last().unwrap();
    let ours: Vec<String> = read_jsonl(hs, &[])
        .iter()
        .map(|r| cell(&r["wlan_rsna_eapol.keydes.msgnr"]))
        .collect();
    let theirs: Vec<String> = tshark(&[
        "-r",
        arg(hs),
        "-T",
        "fields",
        "-e",
        "wlan_rsna_eapol.keydes.msgnr",
    ])
    .lines()
    .map(String::from)
    .collect();
    assert_eq!(ours, ["1", "2", "3", "4"]);
    assert_eq!(ours, theirs);
}

#[test]
fn filters_count_as_tshark() {
    let dir = TempDir::new();
    let mut files: Vec<PathBuf> = WIFI.iter().map(|f| links(f)).collect();
    files.push(links("eapon1.pcap"));
    files.extend(rewrapped(&dir));
    let filters = [
        "wlan",
        "radiotap",
        "wlan_radio",
        "eapol",
        "ppi",
        "prism",
        "wlancap",
        "wlan.fc.type_subtype == 0x0004",
        "wlan.fc.type == 1",
        "wlan.fc.retry == 0",
        "wlan.fc.protected == 1",
        "wlan.fc.pwrmgt",
        "wlan.addr == 90:a4:de:c0:46:11",
        "wlan.bssid == ff:ff:ff:ff:ff:ff",
        "wlan.ta == 90:a4:de:c0:46:0a && wlan.fc.type == 0",
        "wlan.ssid",
        "wlan.tag.number == 45",
        "wlan.fixed.beacon == 100",
        "wlan.seq > 1000",
        "wlan.qos.tid == 6",
        "radiotap.dbm_antsignal < -40",
        "radiotap.channel.freq == 2412",
        "radiotap.flags.fcs == 1",
        "radiotap.present.ext",
        "wlan_radio.phy == 7",
        "wlan_radio.channel == 1",
        "wlan_radio.signal_dbm > -30",
        "eapol.type == 3",
        "eapol.keydes.type == 1",
        "eap.code == 2",
        "wlan_rsna_eapol.keydes.msgnr == 3",
        "wlan_rsna_eapol.keydes.key_info.key_ack == 1",
        "wlan && udp",
        "wlan && dhcp",
    ];
    let (mut agree, mut total) = (0, 0);
    let mut bad = Vec::new();
    for flt in filters {
        let mut any = 0;
        for f in &files {
            let ours = read_jsonl(f, &["-Y", flt]).len();
            let theirs = tshark(&[
                "-r",
                arg(f),
                "-Y",
                flt,
                "-T",
                "fields",
                "-e",
                "frame.number",
            ])
            .lines()
            .count();
            total += 1;
            any += theirs;
            if ours == theirs {
                agree += 1;
            } else {
                bad.push(format!(
                    "{flt} on {}: layerscope {ours}, tshark {theirs}",
                    f.display()
                ));
            }
        }
        assert!(
            any > 0,
            "filter {flt} matches nothing anywhere: a weak test"
        );
    }
    eprintln!("filters: {agree} of {total} counts agree");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn malformed_and_cut_frames_decode_without_panic() {
    let dir = TempDir::new();
    // Every frame of every Wi-Fi capture cut at every length.
    let mut cut = Vec::new();
    for f in WIFI {
        let buf = std::fs::read(links(f)).unwrap();
        for (_, fr) in frames_of(&buf) {
            for n in 0..=fr.len() {
                cut.push(fr[..n].to_vec());
            }
        }
    }
    let p = dir.path("cut.pcap");
    std::fs::write(&p, pcap(127, &cut)).unwrap();
    let p105 = dir.path("cut105.pcap");
    std::fs::write(&p105, pcap(105, &cut)).unwrap();
    let mut inputs: Vec<PathBuf> = WIFI.iter().map(|f| links(f)).collect();
    inputs.push(p);
    inputs.push(p105);
    for f in &inputs {
        for fmt in [
            &["--format", "detail", "-x"][..],
            &["--format", "jsonl"],
            &[],
        ] {
            let mut args = vec!["read"];
            args.extend_from_slice(fmt);
            args.push(arg(f));
            let out = run(&args);
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(0), "{}: {err}", f.display());
            assert!(!err.contains("panicked"), "{}: {err}", f.display());
        }
    }
    // The malformed captures are marked as tshark marks them.
    for f in [
        "ieee802.11_parse_elements_oobr.pcap",
        "ieee802.11_tim_ie_oobr.pcap",
    ] {
        let rows = read_jsonl(&links(f), &["-e", "_ws.malformed", "-e", "_ws.short"]);
        assert!(
            rows.iter()
                .any(|r| !r["_ws.malformed"].is_null() || !r["_ws.short"].is_null()),
            "{f}: no frame marked malformed or cut short"
        );
    }
}

#[test]
fn data_frames_have_socket_pairs_streams_and_an_80211_link_column() {
    let f = links("ieee802.11_htc.pcap");
    let out = run(&["read", arg(&f)]);
    let t = text(&out.stdout);
    let row = t.lines().nth(1).expect("a row");
    assert!(row.contains("802.11"), "{row}");
    // The socket pair as tshark sees the addresses and ports.
    let th = tshark(&[
        "-r",
        arg(&f),
        "-T",
        "fields",
        "-e",
        "ip.src",
        "-e",
        "udp.srcport",
        "-e",
        "ip.dst",
        "-e",
        "udp.dstport",
        "-e",
        "udp.stream",
    ]);
    let v: Vec<&str> = th.trim().split('\t').collect();
    let pair = format!("{}:{} → {}:{}", v[0], v[1], v[2], v[3]);
    assert!(row.contains(&pair), "{row} lacks {pair}");
    let rows = read_jsonl(&f, &["-e", "udp.stream"]);
    assert_eq!(cell(&rows[0]["udp.stream"]), v[4]);
    // Management frames show transmitter → receiver.
    let f = links("ieee802.11_exthdr.pcap");
    let out = run(&["read", arg(&f)]);
    let th = tshark(&[
        "-r",
        arg(&f),
        "-T",
        "fields",
        "-e",
        "wlan.ta",
        "-e",
        "wlan.ra",
    ]);
    let (ta, ra) = th.lines().next().unwrap().split_once('\t').unwrap();
    let first = text(&out.stdout).lines().nth(1).unwrap().to_string();
    assert!(first.contains(&format!("{ta} → {ra}")), "{first}");
    // Flows see the Wi-Fi conversation as tshark does.
    let fl = run(&["flows", arg(&links("ieee802.11_htc.pcap"))]);
    assert_eq!(fl.status.code(), Some(0), "{}", text(&fl.stderr));
    assert!(
        text(&fl.stdout).contains("255.255.255.255"),
        "{}",
        text(&fl.stdout)
    );
}

#[test]
fn monitor_mode_is_refused_where_unsupported() {
    require_root();
    // The exit code of other capture-open errors.
    let other = run(&["capture", "-i", "nosuch-wifi0", "-c", "1"]);
    let code = other.status.code();
    assert!(code.is_some() && code != Some(0));
    let lo = run(&["capture", "-I", "-i", "lo", "-c", "1"]);
    let err = text(&lo.stderr);
    assert_eq!(lo.status.code(), code, "{err}");
    assert!(
        err.contains("lo") && err.contains("monitor mode") && err.contains("unsupported"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let a = unique("wv").replace('-', "");
    let a = &a[a.len().saturating_sub(12)..];
    let (x, y) = (format!("m{a}"), format!("n{a}"));
    sh(&["ip", "link", "add", &x, "type", "veth", "peer", "name", &y]);
    sh(&["ip", "link", "set", &x, "up"]);
    let v = run(&["capture", "--rfmon", "-i", &x, "-c", "1"]);
    sh(&["ip", "link", "del", &x]);
    let err = text(&v.stderr);
    assert_eq!(v.status.code(), code, "{err}");
    assert!(
        err.contains(x.as_str()) && err.contains("monitor mode"),
        "{err}"
    );
    // `interfaces` says which can: neither lo nor a wired interface.
    let out = run(&["interfaces"]);
    let t = text(&out.stdout);
    assert!(t.contains("Monitor"), "{t}");
    let lo_row = t.lines().find(|l| l.contains(" lo ")).expect("lo listed");
    assert!(
        lo_row.trim_end_matches(['│', ' ']).ends_with("no"),
        "{lo_row}"
    );
}
