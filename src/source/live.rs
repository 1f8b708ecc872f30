//! Live capture through libpcap: immediate mode (a row per frame as it
//! arrives) or blocks of frames (dense, for floods), kernel BPF filters, pcap stats, and a clear error when the
//! process lacks the rights to capture.

use super::{Frame, Timestamp};
use std::fmt;
use std::time::Duration;

/// How to open a live capture (tcpdump's flags).
#[derive(Clone, Debug)]
pub struct LiveOptions {
    /// Interface name; None picks tcpdump's default (first up, non-loopback).
    pub interface: Option<String>,
    pub snaplen: i32,
    pub promisc: bool,
    /// Monitor mode (802.11 with radio headers) on a Wi-Fi interface.
    pub rfmon: bool,
    /// Kernel BPF filter.
    pub filter: Option<String>,
    /// How often a blocked read returns to check for signals, deadlines and
    /// unflushed rows (see `LiveSource::next_frame`).
    pub timeout_ms: i32,
    /// Kernel ring buffer in bytes (None: libpcap's default, 2 MiB). In
    /// immediate mode a ring slot is as big as the MTU, so on lo (64 KiB)
    /// the default holds only about 31 frames.
    pub buffer_size: Option<i32>,
    /// libpcap's immediate mode: each frame is handed over as it arrives,
    /// from a ring of fixed, MTU-sized slots. Off, frames are packed into
    /// blocks handed over when full or after a second (TPACKET_V3), so
    /// the same ring holds many more small frames: what tcpdump does unless
    /// it prints to a terminal.
    pub immediate: bool,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            interface: None,
            snaplen: 262_144,
            promisc: true,
            rfmon: false,
            filter: None,
            timeout_ms: 100,
            buffer_size: None,
            immediate: true,
        }
    }
}

#[derive(Debug)]
pub enum LiveError {
    /// The process may not capture on this interface.
    Privilege {
        interface: String,
        detail: String,
    },
    NoSuchInterface(String),
    NoDefaultInterface,
    BadFilter {
        expr: String,
        detail: String,
    },
    /// The interface failed while capturing (went down, was removed).
    Capture {
        interface: String,
        detail: String,
    },
    Open {
        interface: String,
        detail: String,
    },
    /// Monitor mode was asked for on an interface or driver that cannot do it.
    NoMonitorMode(String),
}

impl fmt::Display for LiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LiveError::Privilege { interface, detail } => {
                let exe = std::env::current_exe()
                    .ok()
                    .and_then(|p| p.canonicalize().ok())
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "layerscope".into());
                write!(
                    f,
                    "no permission to capture on {interface} ({detail}).\n  \
                     Run it as root:  sudo {exe} ...\n  \
                     or allow this binary to capture:  sudo setcap cap_net_raw,cap_net_admin=eip {exe}"
                )
            }
            LiveError::NoSuchInterface(i) => {
                write!(f, "no such interface: {i} (see `layerscope interfaces`)")
            }
            LiveError::NoDefaultInterface => {
                write!(
                    f,
                    "no interface to capture on (none is up); pick one with -i"
                )
            }
            LiveError::BadFilter { expr, detail } => {
                write!(f, "invalid BPF filter '{expr}': {detail}")
            }
            LiveError::Capture { interface, detail } => {
                write!(f, "capture on {interface} failed: {detail}")
            }
            LiveError::Open { interface, detail } => {
                write!(f, "cannot capture on {interface}: {detail}")
            }
            LiveError::NoMonitorMode(i) => write!(
                f,
                "cannot capture on {i}: monitor mode (-I/--rfmon) is unsupported by this \
                 interface or its driver (see the Monitor column of `layerscope interfaces`)"
            ),
        }
    }
}

impl std::error::Error for LiveError {}

/// Packet counts from the kernel at the end of a capture.
#[derive(Clone, Copy, Debug, Default)]
pub struct LiveStats {
    pub received: u32,
    pub dropped: u32,
    pub if_dropped: u32,
}

/// An open live capture.
pub struct LiveSource {
    cap: pcap::Capture<pcap::Active>,
    pub interface: String,
    pub linktype: u32,
    tick: Duration,
    /// An empty ring waits up to a tick in `next_frame` (off: the caller
    /// waits with [`wait_readable`](Self::wait_readable) when it chooses).
    waits: bool,
    /// Frames handed out so far.
    taken: u64,
    /// Frames come in blocks the kernel hands over when full or timed out.
    blocks: bool,
    /// A loopback interface: the kernel counts each packet twice (leaving
    /// and arriving) and libpcap skips the leaving copy.
    loopback: bool,
}

fn classify(interface: &str, e: pcap::Error) -> LiveError {
    let detail = e.to_string();
    let lower = detail.to_lowercase();
    if lower.contains("permission") || lower.contains("not permitted") {
        LiveError::Privilege {
            interface: interface.into(),
            detail,
        }
    } else if lower.contains("no such device") || lower.contains("doesn't exist") {
        LiveError::NoSuchInterface(interface.into())
    } else {
        LiveError::Open {
            interface: interface.into(),
            detail,
        }
    }
}

extern "C" {
    /// libpcap's `pcap_can_set_rfmon`, which the pcap crate does not wrap.
    fn pcap_can_set_rfmon(p: *mut std::ffi::c_void) -> std::ffi::c_int;
}

/// Whether monitor mode can be set on a created, not yet activated handle.
fn can_set_rfmon(cap: &pcap::Capture<pcap::Inactive>) -> Result<bool, pcap::Error> {
    // SAFETY: `cap` is a live pcap_t created by pcap_create and not yet
    // activated (the `Inactive` state guarantees both), which is exactly what
    // pcap_can_set_rfmon requires; the pointer stays valid for the call since
    // `cap` is borrowed, and libpcap keeps no reference to it afterwards.
    let r = unsafe { pcap_can_set_rfmon(cap.as_ptr().cast()) };
    match r {
        1 => Ok(true),
        0 => Ok(false),
        // PCAP_ERROR_NO_SUCH_DEVICE, PCAP_ERROR_PERM_DENIED, others.
        -5 => Err(pcap::Error::PcapError("No such device exists".into())),
        -8 => Err(pcap::Error::PcapError("permission denied".into())),
        e => Err(pcap::Error::PcapError(format!("libpcap error {e}"))),
    }
}

/// Whether an interface can be put into monitor mode: Some(yes/no), None
/// when libpcap cannot tell (no such device, no permission).
pub fn can_monitor(name: &str) -> Option<bool> {
    let cap = pcap::Capture::from_device(name).ok()?;
    can_set_rfmon(&cap).ok()
}

/// tcpdump's default: the first interface that is up and not loopback.
pub fn default_interface() -> Result<String, LiveError> {
    let devs = pcap::Device::list().map_err(|e| LiveError::Open {
        interface: "(default)".into(),
        detail: e.to_string(),
    })?;
    devs.iter()
        .find(|d| d.flags.is_up() && !d.flags.is_loopback() && d.name != "any")
        .or_else(|| devs.iter().find(|d| d.flags.is_up() && d.name != "any"))
        .map(|d| d.name.clone())
        .ok_or(LiveError::NoDefaultInterface)
}

/// The kernel's block timeout out of immediate mode (tcpdump's).
pub const BLOCK_TIMEOUT_MS: i32 = 1000;

impl LiveSource {
    /// Opens the interface and installs the kernel filter. Call this while
    /// still privileged; drop privileges right after.
    pub fn open(opts: &LiveOptions) -> Result<LiveSource, LiveError> {
        let name = match &opts.interface {
            Some(n) => n.clone(),
            None => default_interface()?,
        };
        let inactive = pcap::Capture::from_device(name.as_str()).map_err(|e| classify(&name, e))?;
        if opts.rfmon && !can_set_rfmon(&inactive).map_err(|e| classify(&name, e))? {
            // libpcap answers "no" for a missing device too: name that first.
            let known = pcap::Device::list()
                .map(|l| l.iter().any(|d| d.name == name))
                .unwrap_or(true);
            if !known {
                return Err(LiveError::NoSuchInterface(name));
            }
            return Err(LiveError::NoMonitorMode(name));
        }
        let mut inactive = inactive
            .rfmon(opts.rfmon)
            .immediate_mode(opts.immediate)
            .snaplen(opts.snaplen)
            .promisc(opts.promisc)
            // Out of immediate mode this is how long the kernel keeps a
            // block open before handing it over part-filled: tcpdump's
            // second. At 100 ms a flood on a small ring dropped several
            // times what tcpdump drops; the reads still wake every tick, and a
            // stop waits for the open block (see `pending`).
            .timeout(if opts.immediate {
                opts.timeout_ms
            } else {
                BLOCK_TIMEOUT_MS
            })
            .precision(pcap::Precision::Nano);
        if let Some(b) = opts.buffer_size {
            inactive = inactive.buffer_size(b);
        }
        // Non-blocking reads, with our own timed wait on the descriptor:
        // waking a blocked read with pcap_breakloop from another thread can
        // make libpcap report a break for a read that already took a frame
        // off the ring, and that frame would be lost.
        let mut cap = inactive
            .open()
            .and_then(|c| c.setnonblock())
            .map_err(|e| classify(&name, e))?;
        if let Some(expr) = &opts.filter {
            cap.filter(expr, true).map_err(|e| LiveError::BadFilter {
                expr: expr.clone(),
                detail: e.to_string(),
            })?;
        }
        let linktype = cap.get_datalink().0 as u32;
        let tick = Duration::from_millis(opts.timeout_ms.clamp(10, 1000) as u64);
        let loopback = pcap::Device::list()
            .ok()
            .and_then(|l| l.into_iter().find(|d| d.name == name))
            .is_some_and(|d| d.flags.is_loopback());
        Ok(LiveSource {
            cap,
            interface: name,
            linktype,
            tick,
            waits: true,
            taken: 0,
            blocks: !opts.immediate,
            loopback,
        })
    }

    /// Waits up to one tick for the descriptor to become readable. libpcap
    /// on Linux (TPACKET_V3, immediate mode) would otherwise keep polling
    /// while no packet arrives, so an idle capture would never see SIGTERM,
    /// `--duration` or its last buffered rows.
    fn wait_fd(fd: std::os::fd::RawFd, tick: Duration) {
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = tick.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: `pfd` is one valid, initialised pollfd that lives across
        // the call, and the count passed is 1. A signal (EINTR) or an error
        // only ends the wait early: the caller reads again either way.
        unsafe {
            libc::poll(&mut pfd, 1, ms);
        }
    }

    /// The next frame, or None when nothing arrived within the tick (or the
    /// read was woken to let the caller look at signals and deadlines).
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, LiveError> {
        let (fd, tick) = (std::os::fd::AsRawFd::as_raw_fd(&self.cap), self.tick);
        match self.cap.next_packet() {
            Ok(p) => {
                self.taken += 1;
                let ts = Timestamp {
                    sec: p.header.ts.tv_sec,
                    // Precision::Nano: libpcap puts nanoseconds in tv_usec.
                    nsec: p.header.ts.tv_usec as u32,
                };
                Ok(Some(Frame {
                    ts,
                    wire_len: p.header.len,
                    linktype: self.linktype,
                    interface: 0,
                    // Opened with nanosecond precision.
                    ts_digits: 9,
                    bytes: p.data,
                }))
            }
            // Nothing on the ring now: wait for the next frame or the tick.
            Err(pcap::Error::TimeoutExpired | pcap::Error::NoMorePackets) => {
                if self.waits {
                    Self::wait_fd(fd, tick);
                }
                Ok(None)
            }
            Err(e) => Err(LiveError::Capture {
                interface: self.interface.clone(),
                detail: e.to_string(),
            }),
        }
    }

    /// Whether `next_frame` waits on an empty ring (it does by default).
    pub fn set_waiting(&mut self, on: bool) {
        self.waits = on;
    }

    /// Waits up to one tick for a frame to arrive.
    pub fn wait_readable(&self) {
        Self::wait_fd(std::os::fd::AsRawFd::as_raw_fd(&self.cap), self.tick);
    }

    /// Frames the kernel took in (passed the filter, not dropped) that
    /// were not read yet: those in a block it has not handed over. Zero
    /// in immediate mode, where every frame is visible at once.
    pub fn pending(&mut self) -> u64 {
        if !self.blocks {
            return 0;
        }
        let st = self.stats();
        // libpcap's counters are 32 bits and wrap.
        let mut queued = st.received.wrapping_sub(st.dropped);
        if self.loopback {
            queued /= 2;
        }
        let left = queued.wrapping_sub(self.taken as u32);
        if left > u32::MAX / 2 {
            0
        } else {
            u64::from(left)
        }
    }

    pub fn stats(&mut self) -> LiveStats {
        self.cap
            .stats()
            .map(|s| LiveStats {
                received: s.received,
                dropped: s.dropped,
                if_dropped: s.if_dropped,
            })
            .unwrap_or_default()
    }
}
