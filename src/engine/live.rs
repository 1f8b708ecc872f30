//! Live captures as a frame source: stop on request (a signal, the demo's
//! end) or at a deadline, drain what the kernel already holds, and tick the
//! sink while frames arrive. Opening the handle is the only privileged
//! step; [`drop_privileges`] gives root up right after.

use super::source::{FrameSource, Pull};
use super::{EngineError, Stop};
use crate::source::live::{LiveOptions, LiveSource, LiveStats};
use nix::unistd::{self, Gid, Uid, User};
use std::time::{Duration, Instant};

/// How long a stopping capture keeps reading what the kernel already holds
/// (a block timeout, and some).
const DRAIN_FOR: Duration = Duration::from_millis(1300);

/// An open live capture, read until a stop request, a deadline or an error.
pub struct LiveFrames {
    src: LiveSource,
    stop: Stop,
    deadline: Option<Instant>,
    tick_every: Option<Duration>,
    /// Set once asked to stop: reading goes on until a read finds nothing
    /// (so frames that arrived before the request are not lost), bounded
    /// so a flood cannot keep the capture from stopping.
    draining: Option<Instant>,
    /// Draining found the ring empty: the next pull ends unless the kernel
    /// still holds frames in an open block.
    drained: bool,
}

impl LiveFrames {
    /// Opens the interface and installs the kernel filter (privileged).
    pub fn open(opts: &LiveOptions) -> Result<LiveFrames, EngineError> {
        LiveSource::open(opts)
            .map(LiveFrames::new)
            .map_err(EngineError::Capture)
    }

    /// Wraps a capture already open; it ticks every 100 ms until told otherwise.
    pub fn new(src: LiveSource) -> LiveFrames {
        LiveFrames {
            src,
            stop: Stop::new(),
            deadline: None,
            tick_every: Some(Duration::from_millis(100)),
            draining: None,
            drained: false,
        }
    }

    /// The flag that stops this capture (share it with signal handlers).
    pub fn stop_handle(&self) -> Stop {
        self.stop.clone()
    }

    /// Uses `stop` as this capture's stop flag.
    pub fn set_stop(&mut self, stop: Stop) {
        self.stop = stop;
    }

    /// Stops after `d` from now.
    pub fn set_duration(&mut self, d: Option<Duration>) {
        self.deadline = d.map(|d| Instant::now() + d);
    }

    /// How often the engine ticks the sink while frames arrive (it also
    /// ticks whenever a read finds nothing).
    pub fn set_tick_every(&mut self, every: Duration) {
        self.tick_every = Some(every);
    }

    pub fn interface(&self) -> &str {
        &self.src.interface
    }

    pub fn linktype(&self) -> u32 {
        self.src.linktype
    }

    /// Whether a pull on an empty ring waits up to a tick for a frame (it
    /// does by default; [`super::queue::QueuedLive`] waits itself).
    pub fn set_waiting(&mut self, on: bool) {
        self.src.set_waiting(on);
    }

    /// Waits up to a tick for a frame to arrive.
    pub fn wait_readable(&self) {
        self.src.wait_readable();
    }

    /// The kernel's counters (read at the end of a capture).
    pub fn stats(&mut self) -> LiveStats {
        self.src.stats()
    }
}

impl FrameSource for LiveFrames {
    fn pull(&mut self) -> Result<Pull<'_>, EngineError> {
        if self.draining.is_none()
            && (self.stop.is_requested() || self.deadline.is_some_and(|d| Instant::now() >= d))
        {
            self.draining = Some(Instant::now());
        }
        if self.stop.is_immediate() || self.draining.is_some_and(|t| t.elapsed() >= DRAIN_FOR) {
            return Ok(Pull::End);
        }
        if std::mem::take(&mut self.drained) && self.src.pending() == 0 {
            return Ok(Pull::End);
        }
        match self.src.next_frame() {
            Ok(Some(f)) => Ok(Pull::Frame(f)),
            // Nothing more on the ring: a stopping capture still waits
            // for frames the kernel holds in a block not handed over yet
            // (at most one block timeout, within DRAIN_FOR), so a stop
            // does not lose the last moments of a slow stream.
            Ok(None) if self.draining.is_some() => {
                self.drained = true;
                Ok(Pull::Idle)
            }
            Ok(None) => Ok(Pull::Idle),
            Err(e) => Err(EngineError::Capture(e)),
        }
    }

    fn tick_every(&self) -> Option<Duration> {
        self.tick_every
    }
}

/// Who the process became.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dropped {
    pub uid: u32,
    pub gid: u32,
    pub name: Option<String>,
}

/// Least privilege: once the capture handle is open, become `user`, or the
/// user who ran sudo (SUDO_UID/SUDO_GID), as `tcpdump -Z` does, before
/// decoding a byte. Returns None when there was nothing to drop (not root,
/// or root without sudo and no `user`).
pub fn drop_privileges(user: Option<&str>) -> Result<Option<Dropped>, EngineError> {
    drop_to(user).map_err(EngineError::Privilege)
}

fn drop_to(user: Option<&str>) -> Result<Option<Dropped>, String> {
    if !unistd::geteuid().is_root() {
        return Ok(None);
    }
    let (uid, gid, name) = match user {
        Some(name) => {
            let u = User::from_name(name)
                .map_err(|e| format!("cannot look up user {name}: {e}"))?
                .ok_or_else(|| format!("no such user: {name}"))?;
            (u.uid, u.gid, Some(u.name))
        }
        None => {
            let uid = std::env::var("SUDO_UID")
                .ok()
                .and_then(|v| v.parse::<u32>().ok());
            let gid = std::env::var("SUDO_GID")
                .ok()
                .and_then(|v| v.parse::<u32>().ok());
            match (uid, gid) {
                (Some(u), Some(g)) if u != 0 => {
                    let uid = Uid::from_raw(u);
                    // The account's own name first: SUDO_USER may be unset
                    // (sudo -E from a script, su) or stale.
                    let name = User::from_uid(uid)
                        .ok()
                        .flatten()
                        .map(|u| u.name)
                        .or_else(|| std::env::var("SUDO_USER").ok());
                    (uid, Gid::from_raw(g), name)
                }
                _ => return Ok(None),
            }
        }
    };
    // Order matters: groups and gid first, while we still may change them.
    unistd::setgroups(&[gid]).map_err(|e| format!("setgroups({gid}): {e}"))?;
    unistd::setgid(gid).map_err(|e| format!("setgid({gid}): {e}"))?;
    unistd::setuid(uid).map_err(|e| format!("setuid({uid}): {e}"))?;
    if unistd::geteuid() != uid || unistd::setuid(Uid::from_raw(0)).is_ok() {
        return Err(format!("could not drop root to uid {uid}"));
    }
    Ok(Some(Dropped {
        uid: uid.as_raw(),
        gid: gid.as_raw(),
        name,
    }))
}
