//! Helpers for the live-capture tests: run the real binary, wait for it to be
//! ready, stop it with signals, make network namespaces joined by a veth pair
//! (removed again on drop, also when a test panics), and read JSON lines.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
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
    let p = Proc::spawn_cmd(cmd);
    let done = p.wait(limit);
    Output {
        status: done
            .status
            .unwrap_or_else(|| panic!("{desc} did not finish in {limit:?}")),
        stdout: done.stdout.into_bytes(),
        stderr: done.stderr.into_bytes(),
    }
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
    stdout: Option<thread::JoinHandle<String>>,
    stderr_thread: Option<thread::JoinHandle<()>>,
}

/// How a process ended.
#[derive(Debug)]
pub struct Done {
    /// None when it had to be killed after the time limit.
    pub status: Option<std::process::ExitStatus>,
    pub stdout: String,
    pub stderr: String,
}

impl Done {
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
    /// stdout parsed as JSON lines.
    pub fn rows(&self) -> Vec<Json> {
        self.lines()
            .iter()
            .map(|l| Json::parse(l).unwrap_or_else(|e| panic!("bad JSON line ({e}): {l}")))
            .collect()
    }
}

impl Proc {
    pub fn spawn(args: &[&str]) -> Proc {
        let mut c = layerscope();
        c.args(args);
        Proc::spawn_cmd(&mut c)
    }

    pub fn spawn_cmd(cmd: &mut Command) -> Proc {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        let pid = child.id();
        let mut out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        let stdout = thread::spawn(move || {
            let mut s = Vec::new();
            let _ = out.read_to_end(&mut s);
            String::from_utf8_lossy(&s).into_owned()
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
            stderr_thread: Some(stderr_thread),
        }
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
        let stdout = self
            .stdout
            .take()
            .map(|h| h.join().unwrap_or_default())
            .unwrap_or_default();
        if let Some(h) = self.stderr_thread.take() {
            let _ = h.join();
        }
        Done {
            status,
            stdout,
            stderr: self.stderr_now(),
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
        let j = Json::parse(out.trim()).expect("ip -j link output");
        match j.idx(0).and_then(|o| o.get("address")) {
            Some(Json::Str(s)) => s.clone(),
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

/// A JSON value: enough of JSON to read layerscope's JSON lines and
/// `ip -j` output without a dependency.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// Kept as text, as printed.
    Num(String),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    pub fn parse(s: &str) -> Result<Json, String> {
        let b = s.as_bytes();
        let mut i = 0;
        let v = parse_value(b, &mut i)?;
        skip_ws(b, &mut i);
        if i != b.len() {
            return Err(format!("trailing data at {i}"));
        }
        Ok(v)
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(kv) => kv.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn idx(&self, i: usize) -> Option<&Json> {
        match self {
            Json::Arr(a) => a.get(i),
            _ => None,
        }
    }

    /// Every value of field `key` as text (a repeated field is an array).
    pub fn all(&self, key: &str) -> Vec<String> {
        fn text(v: &Json, out: &mut Vec<String>) {
            match v {
                Json::Null => {}
                Json::Bool(b) => out.push(b.to_string()),
                Json::Num(s) | Json::Str(s) => out.push(s.clone()),
                Json::Arr(a) => a.iter().for_each(|x| text(x, out)),
                Json::Obj(_) => out.push(format!("{v:?}")),
            }
        }
        let mut out = Vec::new();
        if let Some(v) = self.get(key) {
            text(v, &mut out);
        }
        out
    }

    /// The (first) value of field `key` as text.
    pub fn one(&self, key: &str) -> Option<String> {
        self.all(key).into_iter().next()
    }

    /// Does field `key` have the value `val`?
    pub fn has(&self, key: &str, val: &str) -> bool {
        self.all(key).iter().any(|v| v == val)
    }
}

fn skip_ws(b: &[u8], i: &mut usize) {
    while *i < b.len() && b[*i].is_ascii_whitespace() {
        *i += 1;
    }
}

fn parse_value(b: &[u8], i: &mut usize) -> Result<Json, String> {
    skip_ws(b, i);
    match b.get(*i) {
        None => Err("unexpected end".into()),
        Some(b'{') => {
            *i += 1;
            let mut kv = Vec::new();
            skip_ws(b, i);
            if b.get(*i) == Some(&b'}') {
                *i += 1;
                return Ok(Json::Obj(kv));
            }
            loop {
                skip_ws(b, i);
                let k = match parse_value(b, i)? {
                    Json::Str(s) => s,
                    _ => return Err(format!("object key expected at {i}")),
                };
                skip_ws(b, i);
                if b.get(*i) != Some(&b':') {
                    return Err(format!("':' expected at {i}"));
                }
                *i += 1;
                kv.push((k, parse_value(b, i)?));
                skip_ws(b, i);
                match b.get(*i) {
                    Some(b',') => *i += 1,
                    Some(b'}') => {
                        *i += 1;
                        return Ok(Json::Obj(kv));
                    }
                    _ => return Err(format!("',' or '}}' expected at {i}")),
                }
            }
        }
        Some(b'[') => {
            *i += 1;
            let mut a = Vec::new();
            skip_ws(b, i);
            if b.get(*i) == Some(&b']') {
                *i += 1;
                return Ok(Json::Arr(a));
            }
            loop {
                a.push(parse_value(b, i)?);
                skip_ws(b, i);
                match b.get(*i) {
                    Some(b',') => *i += 1,
                    Some(b']') => {
                        *i += 1;
                        return Ok(Json::Arr(a));
                    }
                    _ => return Err(format!("',' or ']' expected at {i}")),
                }
            }
        }
        Some(b'"') => {
            *i += 1;
            let mut s = Vec::new();
            loop {
                match b.get(*i) {
                    None => return Err("unterminated string".into()),
                    Some(b'"') => {
                        *i += 1;
                        return Ok(Json::Str(String::from_utf8_lossy(&s).into_owned()));
                    }
                    Some(b'\\') => {
                        let e = *b.get(*i + 1).ok_or("bad escape")?;
                        *i += 2;
                        match e {
                            b'n' => s.push(b'\n'),
                            b't' => s.push(b'\t'),
                            b'r' => s.push(b'\r'),
                            b'b' => s.push(8),
                            b'f' => s.push(12),
                            b'u' => {
                                let h = b.get(*i..*i + 4).ok_or("bad \\u")?;
                                let h = std::str::from_utf8(h).map_err(|e| e.to_string())?;
                                let c = u32::from_str_radix(h, 16).map_err(|e| e.to_string())?;
                                *i += 4;
                                let ch = char::from_u32(c).unwrap_or('\u{fffd}');
                                let mut buf = [0u8; 4];
                                s.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                            }
                            other => s.push(other),
                        }
                    }
                    Some(&c) => {
                        s.push(c);
                        *i += 1;
                    }
                }
            }
        }
        Some(_) => {
            let start = *i;
            while *i < b.len() && !b",]} \t\r\n".contains(&b[*i]) {
                *i += 1;
            }
            let t = std::str::from_utf8(&b[start..*i]).map_err(|e| e.to_string())?;
            match t {
                "null" => Ok(Json::Null),
                "true" => Ok(Json::Bool(true)),
                "false" => Ok(Json::Bool(false)),
                "" => Err(format!("value expected at {start}")),
                _ if t.parse::<f64>().is_ok() => Ok(Json::Num(t.to_string())),
                _ => Err(format!("bad token '{t}' at {start}")),
            }
        }
    }
}

#[cfg(test)]
mod json_tests {
    use super::Json;

    #[test]
    fn parses_rows_and_ip_json() {
        let j =
            Json::parse(r#"{"a":1,"b":["x","y\"z"],"c":{"d":[true,null]},"e":-1.5e3}"#).unwrap();
        assert_eq!(j.all("b"), vec!["x", "y\"z"]);
        assert_eq!(j.one("a").as_deref(), Some("1"));
        assert!(j.has("e", "-1.5e3"));
        assert!(Json::parse("[1,").is_err());
    }
}
