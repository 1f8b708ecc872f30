//! Helpers shared by every integration test: find the fixtures and the shared
//! corpus, run the real binary (bounded, with or without input), read its JSON
//! lines, ask tshark and tcpdump, and, for the live tests, wait for a capture
//! to be ready, stop it with signals and make network namespaces joined by a
//! veth pair (removed again on drop, also when a test panics).
#![allow(dead_code)]

use serde_json::Value;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_layerscope"))
}

/// The project's root directory.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A file under fixtures/ (`live/http.pcap` for the recorded ones). Not
/// checked: some tests name a missing file on purpose.
pub fn fixture(name: &str) -> PathBuf {
    root().join("fixtures").join(name)
}

/// A file of the corpus shared beside the project (`../shared/corpus/REL`).
/// Panics when it is missing: a test that needs it must not pass without it.
pub fn shared_corpus(rel: &str) -> PathBuf {
    let p = root().join("../shared/corpus").join(rel);
    assert!(
        p.exists(),
        "{} is missing: this test reads the shared capture corpus, which must sit \
         beside the project as ../shared/corpus",
        p.display()
    );
    p
}

/// A path as a command-line argument.
pub fn arg(p: &Path) -> &str {
    p.to_str()
        .unwrap_or_else(|| panic!("{} is not UTF-8", p.display()))
}

/// Bytes as text (lossy), for output and messages.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs the binary with `args` to completion (no input, at most two
/// minutes).
pub fn run<S: AsRef<OsStr>>(args: &[S]) -> Output {
    run_out(layerscope().args(args), Duration::from_secs(120))
}

/// Runs the binary with `args`, writing `input` to its stdin (at most two
/// minutes).
pub fn run_stdin<S: AsRef<OsStr>>(args: &[S], input: &[u8]) -> Output {
    let mut cmd = layerscope();
    cmd.args(args);
    let desc = format!("{cmd:?}");
    let limit = Duration::from_secs(120);
    let done = Proc::start(&mut cmd, Some(input.to_vec())).wait(limit);
    done.output(&desc, limit)
}

/// Asserts exit code 0 and returns stdout parsed as JSON lines.
pub fn ok_jsonl(out: &Output) -> Vec<Value> {
    assert_eq!(
        out.status.code(),
        Some(0),
        "layerscope failed; stderr:\n{}",
        text(&out.stderr)
    );
    jsonl(&out.stdout)
}

/// stdout as JSON lines: one object per non-empty line.
pub fn jsonl(stdout: &[u8]) -> Vec<Value> {
    text(stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(json_line)
        .collect()
}

/// One JSON line, which must be an object.
pub fn json_line(l: &str) -> Value {
    let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line ({e}): {l}"));
    assert!(v.is_object(), "not a JSON object: {l}");
    v
}

/// `layerscope read --format jsonl [EXTRA...] FILE`, which must succeed.
pub fn read_jsonl(file: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["read", "--format", "jsonl"];
    args.extend_from_slice(extra);
    args.push(arg(file));
    ok_jsonl(&run(&args))
}

/// Field access on one JSON line of layerscope's output, as text: a number
/// as printed, a repeated field (an array) value by value.
pub trait Fields {
    /// Every value of field `key` as text (none when absent).
    fn all(&self, key: &str) -> Vec<String>;
    /// The (first) value of field `key` as text.
    fn one(&self, key: &str) -> Option<String> {
        self.all(key).into_iter().next()
    }
    /// Does field `key` have the value `val`?
    fn has(&self, key: &str, val: &str) -> bool {
        self.all(key).iter().any(|v| v == val)
    }
    /// Every value of field `key` joined by commas, as `tshark -T fields -E
    /// occurrence=a` prints them; empty when absent.
    fn joined(&self, key: &str) -> String {
        self.all(key).join(",")
    }
}

impl Fields for Value {
    fn all(&self, key: &str) -> Vec<String> {
        fn flat(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::Null => {}
                Value::String(s) => out.push(s.clone()),
                Value::Array(a) => a.iter().for_each(|x| flat(x, out)),
                other => out.push(other.to_string()),
            }
        }
        let mut out = Vec::new();
        if let Some(v) = self.get(key) {
            flat(v, &mut out);
        }
        out
    }
}

/// Runs tshark (`-n` and the given arguments) and returns its stdout; it
/// must succeed, and tshark must be installed.
pub fn tshark(args: &[&str]) -> String {
    let out = run_out(
        Command::new("tshark").arg("-n").args(args),
        Duration::from_secs(300),
    );
    assert!(
        out.status.success(),
        "tshark {args:?} failed: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// Live capture needs root; these tests must fail loudly, not pass silently,
/// when run without it.
/// The binary at a path user nobody can run: itself when every directory
/// above it is searchable by others, else a copy in `dir` (a private target
/// directory, e.g. under /root).
pub fn bin_for_nobody(dir: &TempDir) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let orig = bin().canonicalize().unwrap();
    let reachable = orig.ancestors().skip(1).all(|d| {
        std::fs::metadata(d)
            .map(|m| m.permissions().mode() & 0o001 != 0)
            .unwrap_or(false)
    });
    if reachable {
        return orig;
    }
    std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o755)).unwrap();
    let copy = dir.path("layerscope");
    std::fs::copy(&orig, &copy).unwrap();
    copy.canonicalize().unwrap()
}

pub fn require_root() {
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| status_ids(&s, "Uid:"))
        .map(|v| v[1]);
    assert_eq!(
        uid,
        Some(0),
        "the live-capture tests need root (they capture on lo, create network namespaces \
         and veth pairs, and test dropping privileges): run them as root, e.g. \
         `sudo -E cargo test --test live_capture`"
    );
}

/// The four ids (real, effective, saved, fs) of a `Uid:`/`Gid:` line of
/// /proc/PID/status.
pub fn status_ids(status: &str, key: &str) -> Option<Vec<u32>> {
    let line = status.lines().find(|l| l.starts_with(key))?;
    line[key.len()..]
        .split_whitespace()
        .map(|x| x.parse().ok())
        .collect()
}

/// A unique name for this process and call (namespaces, temp dirs), so
/// tests running in parallel never share one.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        let p = std::env::temp_dir().join(unique("ls-live"));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A `layerscope` command with none of the caller's sudo variables, so a
/// test run through sudo does not drop privileges unless a test asks for it.
pub fn layerscope() -> Command {
    let mut c = Command::new(bin());
    for v in ["SUDO_UID", "SUDO_GID", "SUDO_USER", "RUST_BACKTRACE"] {
        c.env_remove(v);
    }
    c
}

/// Runs a command to completion (bounded), returning its output.
pub fn run_out(cmd: &mut Command, limit: Duration) -> Output {
    let desc = format!("{cmd:?}");
    let done = Proc::spawn_cmd(cmd).wait(limit);
    done.output(&desc, limit)
}

/// Runs a setup command that must succeed.
pub fn sh(args: &[&str]) -> String {
    let out = run_out(
        Command::new(args[0]).args(&args[1..]),
        Duration::from_secs(20),
    );
    assert!(
        out.status.success(),
        "{args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A running child whose stdout and stderr are collected by threads, so it
/// never blocks on a full pipe; stderr can be watched while it runs.
pub struct Proc {
    child: Option<Child>,
    pub pid: u32,
    stderr: Arc<Mutex<String>>,
    stderr_lines: mpsc::Receiver<String>,
    stdout: Option<thread::JoinHandle<Vec<u8>>>,
    stdout_lines: mpsc::Receiver<(Instant, String)>,
    /// Lines already taken with `next_line`.
    taken: usize,
    stdin: Option<thread::JoinHandle<()>>,
    stderr_thread: Option<thread::JoinHandle<()>>,
}

/// How a process ended.
#[derive(Debug)]
pub struct Done {
    /// None when it had to be killed after the time limit.
    pub status: Option<std::process::ExitStatus>,
    pub stdout: String,
    /// stdout as written (`stdout` is its lossy text).
    pub stdout_bytes: Vec<u8>,
    pub stderr: String,
    /// stdout lines already taken with `Proc::next_line`.
    pub taken: usize,
}

impl Done {
    /// As a `std::process::Output`; panics if it had to be killed.
    fn output(self, desc: &str, limit: Duration) -> Output {
        Output {
            status: self
                .status
                .unwrap_or_else(|| panic!("{desc} did not finish in {limit:?}")),
            stdout: self.stdout_bytes,
            stderr: self.stderr.into_bytes(),
        }
    }

    pub fn code(&self) -> Option<i32> {
        self.status.and_then(|s| s.code())
    }
    /// Non-empty stdout lines.
    pub fn lines(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect()
    }
    /// stdout lines not taken with `Proc::next_line` before the end.
    pub fn rest(&self) -> Vec<String> {
        self.stdout
            .lines()
            .skip(self.taken)
            .map(str::to_string)
            .collect()
    }
    /// stdout parsed as JSON lines.
    pub fn rows(&self) -> Vec<Value> {
        jsonl(self.stdout.as_bytes())
    }
}

impl Proc {
    pub fn spawn(args: &[&str]) -> Proc {
        let mut c = layerscope();
        c.args(args);
        Proc::spawn_cmd(&mut c)
    }

    pub fn spawn_cmd(cmd: &mut Command) -> Proc {
        Proc::start(cmd, None)
    }

    /// Starts `cmd` with `input` written to its stdin by a thread (then
    /// closed), or with no stdin at all.
    pub fn start(cmd: &mut Command, input: Option<Vec<u8>>) -> Proc {
        let mut child = cmd
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        let pid = child.id();
        let stdin = match (input, child.stdin.take()) {
            (Some(data), Some(mut w)) => Some(thread::spawn(move || {
                let _ = w.write_all(&data);
            })),
            _ => None,
        };
        let out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        let (otx, stdout_lines) = mpsc::channel();
        let stdout = thread::spawn(move || {
            let mut all = Vec::new();
            let mut r = BufReader::new(out);
            let mut line = Vec::new();
            loop {
                line.clear();
                match r.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        all.extend_from_slice(&line);
                        let l = String::from_utf8_lossy(&line);
                        let _ = otx.send((Instant::now(), l.trim_end_matches('\n').to_string()));
                    }
                }
            }
            all
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let shared = Arc::clone(&stderr);
        let stderr_thread = thread::spawn(move || {
            let mut r = BufReader::new(err);
            let mut line = Vec::new();
            loop {
                line.clear();
                match r.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let l = String::from_utf8_lossy(&line).into_owned();
                        shared.lock().unwrap().push_str(&l);
                        let _ = tx.send(l);
                    }
                }
            }
        });
        Proc {
            child: Some(child),
            pid,
            stderr,
            stderr_lines: rx,
            stdout: Some(stdout),
            stdout_lines,
            taken: 0,
            stdin,
            stderr_thread: Some(stderr_thread),
        }
    }

    /// The next stdout line (without its newline) and when it arrived, if
    /// one comes within `limit`.
    pub fn next_line(&mut self, limit: Duration) -> Option<(Instant, String)> {
        let l = self.stdout_lines.recv_timeout(limit).ok()?;
        self.taken += 1;
        Some(l)
    }

    /// What the process has written to stderr so far.
    pub fn stderr_now(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits for a stderr line containing `needle` (the capture's
    /// `capturing on IFACE` line means the handle is open and filtering).
    pub fn wait_for_stderr(&mut self, needle: &str, limit: Duration) -> String {
        let end = Instant::now() + limit;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self
                .stderr_lines
                .recv_timeout(left.min(Duration::from_millis(100)))
            {
                Ok(l) if l.contains(needle) => return l,
                Ok(_) => {}
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if Instant::now() >= end {
                        panic!(
                            "no '{needle}' on stderr within {limit:?}; stderr so far:\n{}",
                            self.stderr_now()
                        );
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let done = self.finish(Duration::from_secs(5));
                    panic!(
                        "process ended (code {:?}) before printing '{needle}'; stderr:\n{}\nstdout:\n{}",
                        done.code(),
                        done.stderr,
                        done.stdout
                    );
                }
            }
        }
    }

    /// Waits for the capture to report that it is capturing.
    pub fn wait_ready(&mut self) -> String {
        self.wait_for_stderr("capturing on", Duration::from_secs(20))
    }

    /// Sends a signal (`TERM`, `INT`, `KILL`) with bash's built-in kill
    /// (a minimal Debian has bash but not procps' kill(1)).
    pub fn signal(&self, sig: &str) {
        let st = Command::new("bash")
            .args(["-c", &format!("kill -s {sig} {}", self.pid)])
            .status()
            .expect("bash");
        assert!(st.success(), "kill -s {sig} {} failed", self.pid);
    }

    /// Has it exited yet?
    pub fn running(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }

    fn finish(&mut self, limit: Duration) -> Done {
        let mut child = self.child.take().expect("already waited");
        let end = Instant::now() + limit;
        let status = loop {
            match child.try_wait() {
                Ok(Some(s)) => break Some(s),
                Ok(None) if Instant::now() < end => thread::sleep(Duration::from_millis(20)),
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
            }
        };
        let stdout_bytes = self
            .stdout
            .take()
            .map(|h| h.join().unwrap_or_default())
            .unwrap_or_default();
        for h in [self.stderr_thread.take(), self.stdin.take()]
            .into_iter()
            .flatten()
        {
            let _ = h.join();
        }
        Done {
            status,
            stdout: String::from_utf8_lossy(&stdout_bytes).into_owned(),
            stdout_bytes,
            stderr: self.stderr_now(),
            taken: self.taken,
        }
    }

    /// Waits up to `limit` for the process to exit by itself; kills it
    /// after that (and the returned status is None).
    pub fn wait(mut self, limit: Duration) -> Done {
        self.finish(limit)
    }

    /// SIGTERM, then wait for it to exit.
    pub fn stop(self) -> Done {
        self.signal("TERM");
        self.wait(Duration::from_secs(10))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Two network namespaces joined by a veth pair: `a` holds veth0
/// (10.99.0.1/24, fd99::1/64), `b` holds veth1 (10.99.0.2/24, fd99::2/64).
/// Both namespaces are deleted on drop, whatever happened.
pub struct NsPair {
    pub a: String,
    pub b: String,
}

impl NsPair {
    pub fn new() -> NsPair {
        let base = unique("ls-test");
        let ns = NsPair {
            a: format!("{base}-a"),
            b: format!("{base}-b"),
        };
        // Created before the first command, so a failure below still cleans up.
        sh(&["ip", "netns", "add", &ns.a]);
        sh(&["ip", "netns", "add", &ns.b]);
        sh(&[
            "ip", "link", "add", "veth0", "netns", &ns.a, "type", "veth", "peer", "name", "veth1",
            "netns", &ns.b,
        ]);
        for (n, dev, v4, v6) in [
            (&ns.a, "veth0", "10.99.0.1/24", "fd99::1/64"),
            (&ns.b, "veth1", "10.99.0.2/24", "fd99::2/64"),
        ] {
            sh(&["ip", "-n", n, "link", "set", "lo", "up"]);
            sh(&["ip", "-n", n, "link", "set", dev, "mtu", "1500"]);
            sh(&["ip", "-n", n, "addr", "add", v4, "dev", dev]);
            sh(&["ip", "-n", n, "addr", "add", v6, "dev", dev, "nodad"]);
            sh(&["ip", "-n", n, "link", "set", dev, "up"]);
        }
        ns
    }

    /// The MAC address of `dev` in namespace `ns`, from `ip -j link`.
    pub fn mac(ns: &str, dev: &str) -> String {
        let out = sh(&["ip", "-n", ns, "-j", "link", "show", "dev", dev]);
        let j: Value = serde_json::from_str(out.trim()).expect("ip -j link output");
        match j.get(0).and_then(|o| o.get("address")) {
            Some(Value::String(s)) => s.clone(),
            other => panic!("no address in ip -j link output ({other:?}): {out}"),
        }
    }

    /// A command run inside namespace `ns`.
    pub fn exec(ns: &str, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns]).args(args);
        for v in ["SUDO_UID", "SUDO_GID", "SUDO_USER"] {
            c.env_remove(v);
        }
        c
    }
}

impl Drop for NsPair {
    fn drop(&mut self) {
        for n in [&self.a, &self.b] {
            let _ = Command::new("ip")
                .args(["netns", "del", n])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// Frames in a capture file according to tshark; the file must read
/// without any error or warning (a cut-short file is an error).
pub fn tshark_count(path: &Path) -> usize {
    let out = run_out(
        Command::new("tshark").args(["-n", "-r"]).arg(path).args([
            "-T",
            "fields",
            "-e",
            "frame.number",
        ]),
        Duration::from_secs(60),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    let err: Vec<&str> = err
        .lines()
        .filter(|l| !l.contains("Running as user"))
        .collect();
    assert!(
        out.status.success() && err.is_empty(),
        "tshark -r {} failed: {err:?}",
        path.display()
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .count()
}

/// Frames in a capture file according to tcpdump.
pub fn tcpdump_count(path: &Path) -> usize {
    let out = run_out(
        Command::new("tcpdump").args(["-nn", "-r"]).arg(path),
        Duration::from_secs(60),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !err.contains("truncated") && !err.contains("error"),
        "tcpdump -r {} failed: {err}",
        path.display()
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .count()
}

/// Owner uid of a file.
pub fn owner(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .uid()
}

/// A classic little-endian microsecond pcap file (snap length 65535) of
/// `frames` of link type `linktype`, each with its timestamp in seconds.
pub fn pcap(linktype: u32, frames: &[(u32, &[u8])]) -> Vec<u8> {
    let mut w = Vec::new();
    w.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    w.extend_from_slice(&2u16.to_le_bytes());
    w.extend_from_slice(&4u16.to_le_bytes());
    w.extend_from_slice(&[0; 8]);
    w.extend_from_slice(&65535u32.to_le_bytes());
    w.extend_from_slice(&linktype.to_le_bytes());
    for (ts, f) in frames {
        pcap_record(&mut w, *ts, f);
    }
    w
}

/// Appends one pcap record (whole frame captured) to `w`.
pub fn pcap_record(w: &mut Vec<u8>, ts: u32, frame: &[u8]) {
    w.extend_from_slice(&ts.to_le_bytes());
    w.extend_from_slice(&0u32.to_le_bytes());
    w.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    w.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    w.extend_from_slice(frame);
}
