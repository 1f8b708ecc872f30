//! FileSource against tshark 4.0.17 on the shared corpus and on synthetic
//! captures, plus error reporting and a no-panic / no-hang fuzz run.

mod common;

use common::{run_out, shared_corpus, TempDir};
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use layerscope::source::file::{FileSource, SourceError};
use layerscope::source::Timestamp;

// ---------------------------------------------------------------- helpers

/// The whole shared corpus (it must be there).
fn corpus_dir() -> PathBuf {
    shared_corpus("")
}

fn corpus_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else if matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("pcap" | "pcapng")
            ) {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&corpus_dir(), &mut out);
    assert!(
        out.len() > 50,
        "corpus looks incomplete: {} files",
        out.len()
    );
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    caplen: u32,
    len: u32,
    ts: Timestamp,
    iface: u32,
    /// pcap LINKTYPE_* for ours, wiretap encapsulation for tshark's.
    link: u32,
}

/// Everything our reader yields, and the error that stopped it.
fn read_all(src: Result<FileSource, SourceError>) -> (Vec<Row>, Option<SourceError>) {
    let mut s = match src {
        Ok(s) => s,
        Err(e) => return (Vec::new(), Some(e)),
    };
    let mut rows = Vec::new();
    loop {
        match s.next_frame() {
            Ok(Some(f)) => rows.push(Row {
                caplen: f.bytes.len() as u32,
                len: f.wire_len,
                ts: f.ts,
                iface: f.interface,
                link: f.linktype,
            }),
            Ok(None) => return (rows, None),
            Err(e) => return (rows, Some(e)),
        }
    }
}

/// tshark's frame.time_epoch: "sec.frac", where frac is normally 9 digits;
/// tshark prints an out-of-range nanosecond count raw (more digits).
fn parse_epoch(s: &str) -> Timestamp {
    if s.is_empty() {
        return Timestamp::default();
    }
    let (sec, frac) = s.split_once('.').unwrap_or((s, "0"));
    let sec: i64 = sec.parse().unwrap();
    let nanos: u64 = if frac.len() <= 9 {
        format!("{frac:0<9}").parse().unwrap()
    } else {
        frac.parse().unwrap()
    };
    Timestamp {
        sec: sec + (nanos / 1_000_000_000) as i64,
        nsec: (nanos % 1_000_000_000) as u32,
    }
}

/// Packet rows tshark reports, and its complaint on stderr if any.
fn tshark(path: &Path) -> (Vec<Row>, Option<String>) {
    let out = run_out(
        Command::new("tshark")
            .args(["-n", "-r"])
            .arg(path)
            .args(["-T", "fields", "-E", "separator=/t"])
            .args([
                "-e",
                "frame.cap_len",
                "-e",
                "frame.len",
                "-e",
                "frame.time_epoch",
            ])
            .args(["-e", "frame.interface_id", "-e", "frame.encap_type"]),
        Duration::from_secs(120),
    );
    let mut rows = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 5, "tshark line {line:?}");
        // Custom blocks and other non-packet records have no encapsulation.
        if f[4].is_empty() {
            continue;
        }
        rows.push(Row {
            caplen: f[0].parse().unwrap(),
            len: f[1].parse().unwrap(),
            ts: parse_epoch(f[2]),
            iface: if f[3].is_empty() {
                0
            } else {
                f[3].parse().unwrap()
            },
            link: f[4].parse().unwrap(),
        });
    }
    let err: String = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("Running as user"))
        .collect::<Vec<_>>()
        .join(" ");
    (rows, (!err.is_empty()).then_some(err))
}

/// pcap LINKTYPE_* to wiretap WTAP_ENCAP_* (what frame.encap_type shows)
/// for the link types in the corpus and the synthetic files.
fn wtap_encap(linktype: u32) -> Option<u32> {
    Some(match linktype {
        0 => 15,    // NULL
        1 => 1,     // ETHERNET
        9 => 4,     // PPP
        50 => 4,    // PPP_HDLC → PPP
        101 => 7,   // RAW → RAW_IP
        113 => 25,  // LINUX_SLL
        228 => 129, // IPV4 → RAW_IP4
        229 => 130, // IPV6 → RAW_IP6
        239 => 141, // NFLOG
        276 => 210, // LINUX_SLL2
        _ => return None,
    })
}

/// Our rows with the link type translated to wiretap's numbering.
fn as_wtap(rows: &[Row]) -> Vec<Row> {
    rows.iter()
        .map(|r| Row {
            link: wtap_encap(r.link)
                .unwrap_or_else(|| panic!("link type {} missing from the wtap table", r.link)),
            ..r.clone()
        })
        .collect()
}

/// Reads `path` with both our reader and tshark and compares every packet.
/// Returns tshark's error, if it had one.
fn compare_with_tshark(path: &Path) -> Option<String> {
    let (theirs, their_err) = tshark(path);
    let (ours, our_err) = read_all(FileSource::open(path));
    let ours = as_wtap(&ours);
    for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        assert_eq!(
            a,
            b,
            "{}: frame {} differs (ours, tshark)",
            path.display(),
            i + 1
        );
    }
    assert_eq!(
        ours.len(),
        theirs.len(),
        "{}: frame count (ours {}, tshark {}); our error: {:?}, tshark's: {:?}",
        path.display(),
        ours.len(),
        theirs.len(),
        our_err.as_ref().map(|e| e.to_string()),
        their_err
    );
    match (&our_err, &their_err) {
        (None, None) | (Some(_), Some(_)) => {}
        _ => panic!(
            "{}: error mismatch: ours {:?}, tshark {:?}",
            path.display(),
            our_err.map(|e| e.to_string()),
            their_err
        ),
    }
    their_err
}

/// Runs `job` on every item with a few threads (tshark start-up dominates).
fn par_map<T: Sync, R: Send>(items: &[T], job: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let r = job(item);
                results.lock().unwrap().push((i, r));
            });
        }
    });
    let mut r = results.into_inner().unwrap();
    r.sort_by_key(|(i, _)| *i);
    r.into_iter().map(|(_, r)| r).collect()
}

// ------------------------------------------------------- capture builders

struct Ng {
    be: bool,
    out: Vec<u8>,
}

fn pad4(v: &mut Vec<u8>) {
    while v.len() % 4 != 0 {
        v.push(0);
    }
}

impl Ng {
    fn u16(&self, v: u16) -> [u8; 2] {
        if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn u32(&self, v: u32) -> [u8; 4] {
        if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn block(&mut self, btype: u32, body: &[u8]) {
        let len = 12 + body.len() as u32;
        self.out.extend(self.u32(btype));
        self.out.extend(self.u32(len));
        self.out.extend(body);
        self.out.extend(self.u32(len));
    }
    fn shb(&mut self, be: bool) {
        self.be = be;
        let mut b = Vec::new();
        b.extend(self.u32(0x1A2B_3C4D));
        b.extend(self.u16(1));
        b.extend(self.u16(0));
        b.extend([0xff; 8]);
        self.block(0x0A0D_0D0A, &b);
    }
    fn opt(&self, code: u16, val: &[u8]) -> Vec<u8> {
        let mut o = Vec::new();
        o.extend(self.u16(code));
        o.extend(self.u16(val.len() as u16));
        o.extend(val);
        pad4(&mut o);
        o
    }
    fn idb(&mut self, linktype: u16, snaplen: u32, opts: &[Vec<u8>]) {
        let mut b = Vec::new();
        b.extend(self.u16(linktype));
        b.extend(self.u16(0));
        b.extend(self.u32(snaplen));
        if !opts.is_empty() {
            for o in opts {
                b.extend(o);
            }
            b.extend([0; 4]);
        }
        self.block(1, &b);
    }
    fn epb(&mut self, iface: u32, ticks: u64, data: &[u8], orig: u32) {
        let mut b = Vec::new();
        b.extend(self.u32(iface));
        b.extend(self.u32((ticks >> 32) as u32));
        b.extend(self.u32(ticks as u32));
        b.extend(self.u32(data.len() as u32));
        b.extend(self.u32(orig));
        b.extend(data);
        pad4(&mut b);
        self.block(6, &b);
    }
    fn pb(&mut self, iface: u16, ticks: u64, data: &[u8]) {
        let mut b = Vec::new();
        b.extend(self.u16(iface));
        b.extend(self.u16(0));
        b.extend(self.u32((ticks >> 32) as u32));
        b.extend(self.u32(ticks as u32));
        b.extend(self.u32(data.len() as u32));
        b.extend(self.u32(data.len() as u32));
        b.extend(data);
        pad4(&mut b);
        self.block(2, &b);
    }
    fn spb(&mut self, data: &[u8], orig: u32) {
        let mut b = Vec::new();
        b.extend(self.u32(orig));
        b.extend(data);
        pad4(&mut b);
        self.block(3, &b);
    }
}

fn ng() -> Ng {
    Ng {
        be: false,
        out: Vec::new(),
    }
}

/// Classic pcap: (sec, frac, caplen-bytes, wire len) records.
fn pcap(be: bool, nano: bool, linktype: u32, recs: &[(u32, u32, &[u8], u32)]) -> Vec<u8> {
    let w32 = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
    let w16 = |v: u16| if be { v.to_be_bytes() } else { v.to_le_bytes() };
    let mut o = Vec::new();
    o.extend(w32(if nano { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }));
    o.extend(w16(2));
    o.extend(w16(4));
    o.extend([0; 8]);
    o.extend(w32(65535));
    o.extend(w32(linktype));
    for (sec, frac, data, len) in recs {
        o.extend(w32(*sec));
        o.extend(w32(*frac));
        o.extend(w32(data.len() as u32));
        o.extend(w32(*len));
        o.extend(*data);
    }
    o
}

/// The pcapng features tshark and we must agree on: two sections in both
/// byte orders, several interfaces with different link types, if_tsresol
/// (decimal and binary), if_tsoffset, EPB/SPB/PB, skipped NRB/ISB/custom.
fn multi_section_pcapng() -> Vec<u8> {
    let pkt: Vec<u8> = (0..60).collect();
    let mut n = ng();
    n.shb(false);
    n.idb(1, 0, &[]);
    let o = n.opt(9, &[9]);
    n.idb(101, 0, &[o]);
    let o1 = n.opt(9, &[0x94]);
    let o2 = n.opt(14, &1000i64.to_le_bytes());
    n.idb(1, 0, &[o1, o2]);
    n.epb(0, 1_600_000_000_123_456, &pkt, 60);
    n.block(4, &[0, 0, 0, 0]); // NRB
    n.epb(1, 1_600_000_000_123_456_789, &pkt[..20], 20);
    n.epb(2, (1_600_000_000 << 20) + 12345, &pkt, 100);
    n.block(0x4000_0BAD, b"abcdefgh"); // custom block
    n.block(0x0000_000A, &[0; 16]); // DSB
    n.spb(&pkt, 60);
    n.pb(1, 1_600_000_001_000_000_001, &pkt[..40]);
    n.epb(0, 1_600_000_002_000_000, &pkt, 40); // caplen > len
    n.block(5, &[0; 12]); // ISB
    n.shb(true);
    n.idb(113, 0, &[]);
    let o = n.opt(9, &[3]);
    n.idb(1, 0, &[o]);
    n.epb(1, 1_700_000_000_123, &pkt, 60);
    n.spb(&pkt, 60);
    n.epb(0, 1_700_000_000_000_001, &pkt[..10], 60);
    let o = n.opt(14, &(-2_000_000_000i64).to_be_bytes());
    n.idb(1, 0, &[o]);
    n.epb(2, 1_600_000_000_123_456, &pkt, 60);
    n.out
}

// ------------------------------------------------------------------ tests

#[test]
fn corpus_matches_tshark() {
    let files = corpus_files();
    let errs = par_map(&files, |p| compare_with_tshark(p).map(|e| (p.clone(), e)));
    let rejected: Vec<_> = errs.into_iter().flatten().collect();
    for (p, e) in &rejected {
        eprintln!("tshark rejects {}: {e}", p.display());
    }
    eprintln!("{} corpus files compared", files.len());
}

#[test]
fn synthetic_captures_match_tshark() {
    let dir = TempDir::new();
    let pkt: Vec<u8> = (0..100).collect();
    let mut files: Vec<(&str, Vec<u8>)> = vec![("multi.pcapng", multi_section_pcapng())];
    for (name, be, nano) in [
        ("le_us.pcap", false, false),
        ("be_us.pcap", true, false),
        ("le_ns.pcap", false, true),
        ("be_ns.pcap", true, true),
    ] {
        let frac = if nano { 999_999_999 } else { 999_999 };
        let recs: &[(u32, u32, &[u8], u32)] = &[
            (1_500_000_000, frac, &pkt[..60], 60),
            (4_000_000_000, 1, &pkt[..20], 80),
            (5, 0, &pkt[..0], 0),
            (7, 2, &pkt[..60], 40), // caplen > len
        ];
        files.push((name, pcap(be, nano, 1, recs)));
    }
    // Many odd-sized packets: crosses the 1 MiB buffer edge many times.
    let big: Vec<u8> = (0..70_000u32).map(|i| i as u8).collect();
    let sizes: Vec<usize> = (0..3000).map(|i| (i * 7919) % 1500 + 1).collect();
    let mut recs: Vec<(u32, u32, &[u8], u32)> = sizes
        .iter()
        .enumerate()
        .map(|(i, &s)| (i as u32, i as u32, &big[..s], s as u32))
        .collect();
    recs.push((9, 9, &big[..65_000], 65_000));
    files.push(("many.pcap", pcap(false, false, 1, &recs)));
    let mut n = ng();
    n.shb(false);
    n.idb(1, 0, &[]);
    n.block(0x99, &vec![0; 3 << 20]); // unknown block, larger than the buffer
    for (i, &s) in sizes.iter().enumerate() {
        n.epb(0, i as u64 * 1_000_003, &big[..s], s as u32);
    }
    n.epb(0, 5, &big[..65_000], 65_000);
    files.push(("many.pcapng", n.out));
    // Errors tshark reports too.
    let mut n = ng();
    n.shb(false);
    n.idb(1, 0, &[]);
    n.epb(3, 1, &pkt, 100);
    files.push(("undeclared-iface.pcapng", n.out));
    let mut cut = pcap(
        false,
        false,
        1,
        &[(1, 2, &pkt[..60], 60), (1, 3, &pkt[..60], 60)],
    );
    cut.truncate(cut.len() - 5);
    files.push(("cut.pcap", cut));
    let big_caplen = pcap(false, false, 1, &[(1, 2, &big[..0], 0)]);
    let mut big_caplen2 = big_caplen.clone();
    big_caplen2[32..36].copy_from_slice(&300_000u32.to_le_bytes());
    files.push(("big-caplen.pcap", big_caplen2));

    for (name, bytes) in &files {
        let path = dir.path(name);
        std::fs::write(&path, bytes).unwrap();
        let err = compare_with_tshark(&path);
        // Trickled one byte per read, the result must be the same.
        let (a, ea) = read_all(FileSource::from_reader(Box::new(Trickle(Cursor::new(
            bytes.clone(),
        )))));
        let (b, eb) = read_all(FileSource::open(&path));
        assert_eq!(a, b, "{name}: trickled read differs");
        assert_eq!(
            ea.map(|e| e.to_string()),
            eb.map(|e| e.to_string()),
            "{name}: trickled error differs"
        );
        eprintln!("{name}: ok, tshark error {err:?}");
    }
}

/// A reader that hands out at most one byte per call.
struct Trickle(Cursor<Vec<u8>>);

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(1);
        self.0.read(&mut buf[..n])
    }
}

fn open_bytes(b: Vec<u8>) -> Result<FileSource, SourceError> {
    FileSource::from_reader(Box::new(Cursor::new(b)))
}

fn error_of(b: Vec<u8>) -> String {
    match read_all(open_bytes(b)) {
        (_, Some(e)) => e.to_string(),
        (rows, None) => panic!("no error, {} frames", rows.len()),
    }
}

#[test]
fn error_messages() {
    let pkt = [0u8; 60];
    assert_eq!(error_of(Vec::new()), "empty file, not a capture file");
    assert_eq!(
        error_of(b"<!DOCTYPE html>".to_vec()),
        "not a capture file (no pcap or pcapng magic); first bytes: 3c 21 44 4f 43 54 59 50 \"<!DOCTYP\""
    );
    assert!(error_of(vec![0x1f, 0x8b, 8, 0]).contains("gzip"));
    assert_eq!(
        error_of(vec![0xd4, 0xc3]),
        "not a capture file (no pcap or pcapng magic); first bytes: d4 c3 \"..\""
    );
    let mut p = pcap(false, false, 1, &[(1, 2, &pkt, 60), (1, 2, &pkt, 60)]);
    p[24 + 16 + 60 + 8..24 + 16 + 60 + 12].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(
        error_of(p),
        "corrupt pcap record at byte offset 100: caplen 4294967295 exceeds maximum 262144"
    );
    let mut p = pcap(false, false, 1, &[(1, 2, &pkt, 60), (1, 2, &pkt, 60)]);
    p.truncate(p.len() - 1);
    assert_eq!(
        error_of(p),
        "truncated pcap record at byte offset 100: file ends after 75 of its 76 bytes"
    );
    let mut p = pcap(true, false, 1, &[(1, 2, &pkt, 60)]);
    p.extend([0; 7]);
    assert_eq!(
        error_of(p),
        "truncated pcap record at byte offset 100: file ends after 7 of its 16 bytes"
    );
    let p = pcap(false, false, 1, &[]);
    assert_eq!(
        error_of(p[..20].to_vec()),
        "truncated pcap file header at byte offset 0: file ends after 20 of its 24 bytes"
    );
    // pcapng
    let mut n = ng();
    n.shb(false);
    n.idb(1, 0, &[]);
    n.epb(1, 1, &pkt, 60);
    assert_eq!(
        error_of(n.out),
        "corrupt pcapng enhanced packet block at byte offset 48: interface id 1 not declared (section has 1 interfaces)"
    );
    let mut n = ng();
    n.shb(true);
    n.spb(&pkt, 60);
    assert!(error_of(n.out).contains("interface 0 is not declared"));
    let mut n = ng();
    n.shb(false);
    n.idb(1, 0, &[]);
    let at = n.out.len();
    n.epb(0, 1, &pkt, 60);
    n.out[at + 20..at + 24].copy_from_slice(&61u32.to_le_bytes());
    assert_eq!(
        error_of(n.out),
        "corrupt pcapng enhanced packet block at byte offset 48: caplen 61 exceeds block length 92 (room for 60 bytes)"
    );
    let mut n = ng();
    n.shb(false);
    n.idb(1, 0, &[]);
    n.out.extend(6u32.to_le_bytes());
    n.out.extend(34u32.to_le_bytes());
    n.out.extend([0; 26]);
    assert_eq!(
        error_of(n.out),
        "corrupt pcapng block at byte offset 48: block type 0x00000006: block length 34 is not a multiple of 4"
    );
    let mut n = ng();
    n.shb(false);
    n.idb(1, 0, &[]);
    n.epb(0, 1, &pkt, 60);
    let l = n.out.len();
    n.out[l - 1] = 1;
    assert_eq!(
        error_of(n.out),
        "corrupt pcapng block at byte offset 48: block type 0x00000006: block length 92 and trailing length 16777308 differ"
    );
    let mut n = ng();
    n.shb(false);
    n.idb(1, 0, &[]);
    n.epb(0, 1, &pkt, 60);
    n.out.truncate(n.out.len() - 30);
    assert_eq!(
        error_of(n.out),
        "truncated pcapng block at byte offset 48: file ends after 62 of its 92 bytes"
    );
    let mut n = ng();
    n.shb(false);
    n.out[12] = 2;
    assert_eq!(
        error_of(n.out),
        "unsupported capture file at byte offset 0: pcapng version 2.0"
    );
    let mut n = ng();
    n.shb(false);
    n.out[8] = 0;
    assert!(error_of(n.out).contains("bad byte-order magic"));
}

#[test]
fn empty_captures_are_fine() {
    assert_eq!(read_all(open_bytes(pcap(true, true, 1, &[]))).0.len(), 0);
    let mut n = ng();
    n.shb(false);
    n.idb(1, 0, &[]);
    let (rows, err) = read_all(open_bytes(n.out));
    assert!(rows.is_empty() && err.is_none());
}

#[test]
fn progress_and_length() {
    let p = pcap(
        false,
        false,
        1,
        &[(1, 2, &[0; 60], 60), (3, 4, &[0; 10], 10)],
    );
    let mut s = open_bytes(p.clone()).unwrap();
    assert_eq!(s.total_len(), None);
    assert_eq!(s.bytes_read(), 24);
    s.next_frame().unwrap().unwrap();
    assert_eq!(s.bytes_read(), 100);
    s.next_frame().unwrap().unwrap();
    assert_eq!(s.bytes_read(), p.len() as u64);
    assert!(s.next_frame().unwrap().is_none());
    assert!(s.next_frame().unwrap().is_none());
    let f = corpus_dir().join("tcpdump/whois.pcap");
    let s = FileSource::open(&f).unwrap();
    assert_eq!(s.total_len(), Some(std::fs::metadata(&f).unwrap().len()));
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Reads to the end; a frame costs at least 12 input bytes, so more frames
/// than that means the reader is looping.
fn drain(bytes: Vec<u8>) -> (usize, Option<SourceError>) {
    let limit = bytes.len() / 12 + 1;
    let mut s = match open_bytes(bytes) {
        Ok(s) => s,
        Err(e) => return (0, Some(e)),
    };
    let mut n = 0;
    loop {
        match s.next_frame() {
            Ok(Some(f)) => {
                assert!(f.bytes.len() <= 262_144);
                n += 1;
                assert!(n <= limit, "reader does not advance");
            }
            Ok(None) => return (n, None),
            Err(e) => return (n, Some(e)),
        }
    }
}

#[test]
fn fuzz_corpus_truncated_and_flipped() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut files: Vec<Vec<u8>> = corpus_files()
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    files.push(multi_section_pcapng());
    // LAYERSCOPE_FUZZ_ROUNDS=N runs N times as many mutants.
    let rounds: usize = std::env::var("LAYERSCOPE_FUZZ_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    for orig in &files {
        let (full, full_err) = drain(orig.clone());
        // Truncation: a prefix of the frames, then a clean end or a
        // truncation error (never "corrupt").
        for _ in 0..40 * rounds {
            let cut = rng.below(orig.len() + 1);
            let (n, err) = drain(orig[..cut].to_vec());
            assert!(n <= full);
            match err {
                None => assert!(full_err.is_some() || n <= full),
                Some(SourceError::Truncated { offset, .. }) => {
                    assert!(offset < cut as u64)
                }
                Some(SourceError::Empty) => assert_eq!(cut, 0),
                Some(SourceError::NotCapture { .. }) => assert!(cut < 4),
                Some(e) if full_err.is_some() => drop(e),
                Some(e) => panic!("cut at {cut}: unexpected error {e}"),
            }
        }
        // Flipped bytes: anything but a panic or a hang.
        for _ in 0..150 * rounds {
            let mut b = orig.clone();
            if b.is_empty() {
                break;
            }
            for _ in 0..1 + rng.below(4) {
                // Favour the headers, where the lengths live.
                let at = if rng.below(2) == 0 {
                    rng.below(b.len().min(64))
                } else {
                    rng.below(b.len())
                };
                let at = at.min(b.len() - 1);
                b[at] ^= 1 << rng.below(8);
                if rng.below(8) == 0 {
                    b[at] = 0xff;
                }
            }
            let keep = if rng.below(4) == 0 {
                rng.below(b.len() + 1)
            } else {
                b.len()
            };
            b.truncate(keep);
            let _ = drain(b);
        }
    }
}
