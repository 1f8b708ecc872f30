//! Entering the sandbox from a command: the paths a command may still use,
//! the warning when the kernel lacks a layer (once), and the hidden
//! self-test. The confinement itself is [`crate::engine::sandbox`].

use super::exit;
use crate::engine::sandbox::{self, Allow};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether and how a command confines itself.
#[derive(Clone, Debug, Default)]
pub struct SandboxOptions {
    /// Confine before decoding. Off by default for library callers (tests
    /// drive commands in their own process); the command line turns it on
    /// unless `--no-sandbox`.
    pub enabled: bool,
    /// Hidden `--sandbox-selftest`: once (not) confined, try to open
    /// /etc/shadow and spawn /bin/true, and say on stderr what happened.
    pub selftest: bool,
}

/// Entered already: a command that reads its input twice confines once.
static ENTERED: AtomicBool = AtomicBool::new(false);

/// Confines the process to `allow` (when enabled), printing a warning for
/// each layer this kernel lacks and going on without it. Err is the exit
/// code, after the message.
pub fn enter(opts: &SandboxOptions, allow: &Allow) -> Result<(), i32> {
    if ENTERED.swap(true, Ordering::SeqCst) {
        return Ok(());
    }
    if opts.enabled {
        match sandbox::confine(allow) {
            Ok(status) => {
                for w in status.warnings() {
                    eprintln!("layerscope: warning: {w}; decoding goes on");
                }
            }
            Err(e) => {
                eprintln!("layerscope: cannot confine the process: {e}");
                return Err(exit::INPUT);
            }
        }
    }
    if opts.selftest {
        for line in sandbox::selftest() {
            eprintln!("sandbox selftest: {line}");
        }
    }
    Ok(())
}

/// Input paths as given (`-` is standard input, already open).
pub fn inputs(files: &[String]) -> Vec<PathBuf> {
    files
        .iter()
        .filter(|f| *f != "-")
        .map(PathBuf::from)
        .collect()
}

/// An output file (`-` is standard output, already open).
pub fn output(path: Option<&str>) -> Vec<PathBuf> {
    path.filter(|p| *p != "-")
        .map(PathBuf::from)
        .into_iter()
        .collect()
}

/// The directory a ring buffer's files are created in: the `-w` name's
/// parent, above any strftime pattern (`-G` expands it per file).
pub fn ring_dir(path: &str) -> PathBuf {
    let mut dir = Path::new(path).parent();
    while let Some(d) = dir {
        if !d.to_string_lossy().contains('%') {
            break;
        }
        dir = d.parent();
    }
    match dir {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_dir_is_the_parent_above_patterns() {
        assert_eq!(ring_dir("out.pcap"), PathBuf::from("."));
        assert_eq!(ring_dir("/tmp/x/out.pcap"), PathBuf::from("/tmp/x"));
        assert_eq!(ring_dir("/tmp/%Y/%H/out"), PathBuf::from("/tmp"));
    }
}
