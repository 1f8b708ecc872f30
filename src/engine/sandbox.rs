//! Confinement before decoding: once the capture handle is open and root is
//! given up, the process that parses hostile bytes keeps only what decoding
//! and writing need. Three layers, each enforced by the kernel:
//!
//! - `no_new_privs`: nothing it runs can gain privileges (setuid binaries);
//! - Landlock: the file system shrinks to the inputs (read), the `-w` file or
//!   directory (write), and the read-only data the decoders look up;
//! - seccomp: an allowlist of system calls. Anything else fails with EPERM,
//!   so a refused call is an error message, not a dead process. Spawning a
//!   process (`execve`, `fork`, a `clone` without `CLONE_THREAD`) and opening
//!   sockets are among the refused.
//!
//! Landlock binds the calling thread and the threads it creates later, so
//! [`confine`] must run before any thread is spawned; it checks that.

use landlock::{
    Access, AccessFs, AccessNet, BitFlags, CompatLevel, Compatible, LandlockStatus, PathBeneath,
    PathFd, Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetStatus, Scope, ABI,
};
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule,
};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// What the confined process may still touch in the file system.
#[derive(Clone, Debug, Default)]
pub struct Allow {
    /// Inputs, read only (files, or directories read as a whole).
    pub read: Vec<PathBuf>,
    /// Files already open or created for writing (`-w FILE`): written and
    /// truncated, nothing else.
    pub write_files: Vec<PathBuf>,
    /// Directories whose files are created, overwritten and removed (ring
    /// buffers' `-w` directory, `--partition` trees), with subdirectories.
    pub write_dirs: Vec<PathBuf>,
}

/// How far Landlock got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Landlock {
    /// Every rule enforced.
    Full,
    /// This kernel knows an older Landlock: enforced with the rights it knows.
    Partial,
    /// No Landlock (not built in, or not enabled): the reason.
    Unavailable(String),
}

/// What [`confine`] enforced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub no_new_privs: bool,
    pub landlock: Landlock,
    /// The seccomp allowlist is installed (Err: why not, on this kernel).
    pub seccomp: Result<(), String>,
}

impl Status {
    /// One line per layer this kernel could not enforce.
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if let Landlock::Unavailable(why) = &self.landlock {
            w.push(format!(
                "Landlock is not available ({why}); file access is not confined"
            ));
        }
        if let Err(why) = &self.seccomp {
            w.push(format!(
                "seccomp is not available ({why}); system calls are not confined"
            ));
        }
        if !self.no_new_privs {
            w.push("no_new_privs could not be set".to_string());
        }
        w
    }
}

/// Why the process could not be confined (a bug, not a kernel's lack).
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// Read-only data the decoders load on first use (manufacturer names).
/// The local time zone is loaded before confining instead: its files
/// depend on `TZ` and the system's links.
const DATA_DIRS: &[&str] = &[
    crate::dissect::manuf::WIRESHARK_DIR,
    crate::dissect::manuf::IEEE_DIR,
];

/// Landlock rights asked for: ABI 6 (Linux 6.12) covers files, truncation,
/// device ioctls, TCP and IPC scopes; an older kernel enforces what it knows.
const LANDLOCK_ABI: ABI = ABI::V6;

/// Confines the calling process for good: `no_new_privs`, then Landlock
/// with `allow`, then the seccomp allowlist. Layers the kernel lacks are
/// reported in the status, and the rest still applies.
pub fn confine(allow: &Allow) -> Result<Status, Error> {
    let threads = thread_count();
    if threads > 1 {
        return Err(Error(format!(
            "{threads} threads are running; the sandbox must be entered before any is spawned"
        )));
    }
    preload();
    // SAFETY: prctl with these arguments only sets a flag on this process.
    let nnp = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } == 0;
    let landlock = landlock(allow)?;
    let seccomp = seccomp();
    Ok(Status {
        no_new_privs: nnp,
        landlock,
        seccomp,
    })
}

/// Threads of this process (1 when /proc cannot tell).
fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(1)
}

/// Loads now what would otherwise be read from files after confinement:
/// the local time zone (jiff's, and libc's for `-G` file names).
fn preload() {
    let _ = crate::dissect::timefmt::local_offset(0);
    // SAFETY: tzset reads TZ and the zone files into libc's own state.
    unsafe { tzset() };
}

extern "C" {
    fn tzset();
}

fn landlock(allow: &Allow) -> Result<Landlock, Error> {
    let err = |e: landlock::RulesetError| Error(format!("Landlock: {e}"));
    let abi = LANDLOCK_ABI;
    let file = AccessFs::from_file(abi);
    let read = AccessFs::ReadFile | AccessFs::ReadDir;
    let write_file = AccessFs::WriteFile | AccessFs::Truncate;
    let write_dir =
        read | write_file | AccessFs::MakeReg | AccessFs::MakeDir | AccessFs::RemoveFile;
    let mut rules: Vec<(PathFd, BitFlags<AccessFs>)> = Vec::new();
    let mut add = |path: &Path, access: BitFlags<AccessFs>| {
        // A path that does not exist (yet) gets no rule: opening it fails
        // with "No such file or directory" as it would unconfined.
        let Ok(meta) = std::fs::metadata(path) else {
            return;
        };
        let access = if meta.is_dir() { access } else { access & file };
        if let Ok(fd) = PathFd::new(path) {
            rules.push((fd, access));
        }
    };
    for p in &allow.read {
        add(p, read);
    }
    for d in DATA_DIRS {
        add(Path::new(d), read);
    }
    for p in &allow.write_files {
        add(p, write_file);
    }
    for p in &allow.write_dirs {
        add(p, write_dir);
    }
    let mut ruleset = Ruleset::default().set_compatibility(CompatLevel::BestEffort);
    ruleset = ruleset
        .handle_access(AccessFs::from_all(abi))
        .map_err(err)?
        .handle_access(AccessNet::from_all(abi))
        .map_err(err)?
        .scope(Scope::from_all(abi))
        .map_err(err)?;
    let mut created = ruleset.create().map_err(err)?;
    for (fd, access) in rules {
        // A rule the kernel rejects only takes access away: an anonymous
        // pipe named by path (`<(zcat …)`, /dev/fd/N) is one, and pipes
        // are not Landlock's to restrict anyway.
        let _ = (&mut created).add_rule(PathBeneath::new(fd, access));
    }
    let status = created.restrict_self().map_err(err)?;
    Ok(match (status.ruleset, status.landlock) {
        (RulesetStatus::FullyEnforced, _) => Landlock::Full,
        (RulesetStatus::PartiallyEnforced, _) => Landlock::Partial,
        (RulesetStatus::NotEnforced, LandlockStatus::NotEnabled) => {
            Landlock::Unavailable("disabled in this kernel".into())
        }
        (RulesetStatus::NotEnforced, LandlockStatus::NotImplemented) => {
            Landlock::Unavailable("not built into this kernel".into())
        }
        (RulesetStatus::NotEnforced, _) => Landlock::Unavailable("not enforced".into()),
    })
}

/// The system calls that reading, decoding and writing make once confined
/// (measured with `strace -f -c` over read, capture, flows and stats runs;
/// see the README's Sandbox section). Every other call fails with EPERM.
const ALLOWED: &[libc::c_long] = &[
    // Files and pipes already open, and the ones Landlock lets it open.
    libc::SYS_read,
    libc::SYS_readv,
    libc::SYS_pread64,
    libc::SYS_write,
    libc::SYS_writev,
    libc::SYS_pwrite64,
    libc::SYS_lseek,
    libc::SYS_openat,
    libc::SYS_close,
    libc::SYS_fstat,
    libc::SYS_newfstatat,
    libc::SYS_statx,
    libc::SYS_fcntl,
    libc::SYS_getdents64,
    libc::SYS_pipe2,
    libc::SYS_dup,
    // Writing: -w files, ring buffers, Parquet partitions.
    libc::SYS_ftruncate,
    libc::SYS_fsync,
    libc::SYS_fdatasync,
    libc::SYS_mkdirat,
    libc::SYS_unlinkat,
    libc::SYS_renameat,
    libc::SYS_renameat2,
    // Live capture: libpcap's ring, its counters, the read timeout.
    libc::SYS_ppoll,
    libc::SYS_recvfrom,
    libc::SYS_recvmsg,
    libc::SYS_getsockopt,
    // Memory.
    libc::SYS_brk,
    libc::SYS_mmap,
    libc::SYS_munmap,
    libc::SYS_mremap,
    libc::SYS_mprotect,
    libc::SYS_madvise,
    // Threads (the file reader), locks and signals.
    libc::SYS_futex,
    libc::SYS_set_robust_list,
    libc::SYS_rseq,
    libc::SYS_sched_getaffinity,
    libc::SYS_sched_yield,
    libc::SYS_sigaltstack,
    libc::SYS_rt_sigaction,
    libc::SYS_rt_sigprocmask,
    libc::SYS_rt_sigreturn,
    libc::SYS_restart_syscall,
    libc::SYS_tgkill,
    libc::SYS_gettid,
    libc::SYS_getpid,
    libc::SYS_exit,
    libc::SYS_exit_group,
    // Time and randomness (hash seeds).
    libc::SYS_clock_gettime,
    libc::SYS_clock_nanosleep,
    libc::SYS_nanosleep,
    libc::SYS_gettimeofday,
    libc::SYS_getrandom,
    // Identity, asked by libc and error paths; changing it is refused.
    libc::SYS_getuid,
    libc::SYS_geteuid,
    libc::SYS_getgid,
    libc::SYS_getegid,
];

/// The same on x86-64 only, where libc still uses the older calls.
#[cfg(target_arch = "x86_64")]
const ALLOWED_X86_64: &[libc::c_long] = &[
    libc::SYS_poll,
    libc::SYS_mkdir,
    libc::SYS_unlink,
    libc::SYS_rename,
    libc::SYS_dup2,
];
#[cfg(not(target_arch = "x86_64"))]
const ALLOWED_X86_64: &[libc::c_long] = &[];

/// `ioctl` requests: is this a terminal, and how wide (the table's width,
/// the progress bar). Device ioctls are Landlock's too.
// The requests' type differs between libcs (unsigned long, int).
#[allow(clippy::unnecessary_cast)]
const IOCTLS: &[u64] = &[libc::TCGETS as u64, libc::TIOCGWINSZ as u64];

/// Two filters: an allowlist (EPERM for the rest), and one that answers
/// `clone3` with ENOSYS, whose flags sit in memory a filter cannot read,
/// so libc falls back to `clone`, whose flags it can: threads only.
fn filters() -> Result<[BpfProgram; 2], String> {
    let arch = std::env::consts::ARCH
        .try_into()
        .map_err(|e| format!("{e}"))?;
    let e = |e: seccompiler::BackendError| e.to_string();
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = ALLOWED
        .iter()
        .chain(ALLOWED_X86_64)
        .map(|&n| (n, Vec::new()))
        .collect();
    let arg = |i, op, v| SeccompCondition::new(i, SeccompCmpArgLen::Qword, op, v).map_err(e);
    let dword =
        |i, v| SeccompCondition::new(i, SeccompCmpArgLen::Dword, SeccompCmpOp::Eq, v).map_err(e);
    rules.insert(
        libc::SYS_ioctl,
        IOCTLS
            .iter()
            .map(|&r| SeccompRule::new(vec![dword(1, r)?]).map_err(e))
            .collect::<Result<_, _>>()?,
    );
    // libpcap tears its ring down through the capture socket when it closes.
    rules.insert(
        libc::SYS_setsockopt,
        vec![SeccompRule::new(vec![dword(1, libc::SOL_PACKET as u64)?]).map_err(e)?],
    );
    let clone_thread = libc::CLONE_THREAD as u64;
    rules.insert(
        libc::SYS_clone,
        vec![SeccompRule::new(vec![arg(
            0,
            SeccompCmpOp::MaskedEq(clone_thread),
            clone_thread,
        )?])
        .map_err(e)?],
    );
    // Threads name themselves (PR_SET_NAME); no other prctl.
    rules.insert(
        libc::SYS_prctl,
        vec![
            SeccompRule::new(vec![arg(0, SeccompCmpOp::Eq, libc::PR_SET_NAME as u64)?])
                .map_err(e)?,
            SeccompRule::new(vec![arg(0, SeccompCmpOp::Eq, libc::PR_GET_NAME as u64)?])
                .map_err(e)?,
        ],
    );
    rules.insert(libc::SYS_clone3, Vec::new());
    let allow = SeccompFilter::new(
        rules,
        SeccompAction::Errno(libc::EPERM as u32),
        SeccompAction::Allow,
        arch,
    )
    .map_err(e)?;
    let clone3 = SeccompFilter::new(
        [(libc::SYS_clone3, Vec::new())].into_iter().collect(),
        SeccompAction::Allow,
        SeccompAction::Errno(libc::ENOSYS as u32),
        arch,
    )
    .map_err(e)?;
    Ok([clone3.try_into().map_err(e)?, allow.try_into().map_err(e)?])
}

fn seccomp() -> Result<(), String> {
    let [clone3, allow] = filters()?;
    // The ENOSYS filter first: the allowlist refuses `seccomp` itself.
    for f in [&clone3, &allow] {
        seccompiler::apply_filter_all_threads(f).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The hidden `--sandbox-selftest`: what a hijacked decoder would try
/// first. One line for each attempt, saying whether it was refused.
pub fn selftest() -> Vec<String> {
    let verdict = |r: std::io::Result<String>| match r {
        Ok(what) => format!("allowed ({what})"),
        Err(e) => match e.raw_os_error() {
            Some(code @ (libc::EACCES | libc::EPERM)) => {
                format!("refused ({})", nix::errno::Errno::from_raw(code).desc())
            }
            _ => format!("failed ({e})"),
        },
    };
    let open = std::fs::File::open("/etc/shadow").map(|_| "opened".to_string());
    let spawn = std::process::Command::new("/bin/true")
        .status()
        .map(|s| s.to_string());
    vec![
        format!("open /etc/shadow: {}", verdict(open)),
        format!("spawn /bin/true: {}", verdict(spawn)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_layer_is_one_warning() {
        let st = Status {
            no_new_privs: true,
            landlock: Landlock::Unavailable("not built into this kernel".into()),
            seccomp: Err("Invalid argument".into()),
        };
        let w = st.warnings();
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].starts_with("Landlock is not available (not built into this kernel)"));
        assert!(w[1].starts_with("seccomp is not available (Invalid argument)"));
        let full = Status {
            no_new_privs: true,
            landlock: Landlock::Full,
            seccomp: Ok(()),
        };
        assert!(full.warnings().is_empty());
    }

    #[test]
    fn the_allowlist_compiles_for_this_machine() {
        let [clone3, allow] = filters().unwrap();
        assert!(!clone3.is_empty() && !allow.is_empty());
    }
}
