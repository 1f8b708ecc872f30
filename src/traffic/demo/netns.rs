//! The demo's private network namespaces: created with `ip netns add`,
//! entered per thread with setns(2), and always deleted again by the
//! guard's Drop (a Ctrl-C makes the demo return early, through it), so a
//! run leaves nothing behind on the host.

use nix::sched::{setns, CloneFlags};
use std::fs::File;
use std::io;
use std::process::{Command, Stdio};

/// Every name starts with this, followed by the pid, so stale namespaces of
/// a killed run can be recognised and removed.
pub const PREFIX: &str = "lsdemo-";

/// Why a setup command failed.
#[derive(Debug)]
pub enum NsError {
    /// The process may not create namespaces (not root).
    Privilege(String),
    /// A command is not installed.
    Missing(&'static str),
    Failed(String),
}

impl std::fmt::Display for NsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NsError::Privilege(d) => write!(f, "{d}"),
            NsError::Missing(c) => write!(f, "the `{c}` command is not installed"),
            NsError::Failed(d) => write!(f, "{d}"),
        }
    }
}

/// Runs a command quietly; its stderr becomes the error text.
pub fn run(prog: &'static str, args: &[&str]) -> Result<(), NsError> {
    let out = Command::new(prog)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                NsError::Missing(prog)
            } else {
                NsError::Failed(format!("cannot run {prog}: {e}"))
            }
        })?;
    if out.status.success() {
        return Ok(());
    }
    let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
    let line = format!("`{prog} {}` failed: {err}", args.join(" "));
    let lower = err.to_lowercase();
    if lower.contains("permission denied") || lower.contains("not permitted") {
        Err(NsError::Privilege(line))
    } else {
        Err(NsError::Failed(line))
    }
}

/// Owns the demo's namespaces; deletes them when dropped.
pub struct Namespaces {
    pub names: Vec<String>,
}

impl Namespaces {
    /// Creates one namespace per suffix, named `lsdemo-<pid>-<suffix>`.
    pub fn create(suffixes: &[&str]) -> Result<Namespaces, NsError> {
        remove_stale();
        let pid = std::process::id();
        let mut ns = Namespaces { names: Vec::new() };
        for s in suffixes {
            let name = format!("{PREFIX}{pid}-{s}");
            run("ip", &["netns", "add", &name])?;
            ns.names.push(name);
        }
        Ok(ns)
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        for n in &self.names {
            let _ = run("ip", &["netns", "delete", n]);
        }
    }
}

/// Removes namespaces left by a demo that was killed outright (SIGKILL):
/// those whose pid no longer runs.
fn remove_stale() {
    let Ok(dir) = std::fs::read_dir("/run/netns") else {
        return;
    };
    for e in dir.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(PREFIX) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = run("ip", &["netns", "delete", &name]);
        }
    }
}

/// Moves the calling thread (only it) into the named namespace. Sockets and
/// capture handles it opens afterwards belong to that namespace.
pub fn enter(name: &str) -> Result<(), String> {
    let path = format!("/run/netns/{name}");
    let f = File::open(&path).map_err(|e| format!("cannot open {path}: {e}"))?;
    setns(&f, CloneFlags::CLONE_NEWNET).map_err(|e| format!("setns({path}): {e}"))
}

/// Turns off segmentation and receive offloads on an interface, so that
/// every frame the capture sees is a frame of the size the wire would carry.
/// Returns how it was done, or why it could not be.
pub fn offloads_off(ns: &str, dev: &str) -> Result<(), String> {
    match run(
        "ip",
        &[
            "netns", "exec", ns, "ethtool", "-K", dev, "tso", "off", "gso", "off", "gro", "off",
        ],
    ) {
        Ok(()) => Ok(()),
        Err(NsError::Failed(m)) if m.contains("No such file") || m.contains("exec of") => {
            Err("ethtool is not installed (Debian package ethtool)".into())
        }
        Err(e) => Err(e.to_string()),
    }
}
