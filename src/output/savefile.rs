//! The `-w` sink: the original bytes of every packet that reaches it
//! (after the BPF and display filters) written to a capture file or to
//! standard output, with tcpdump's ring buffers for live captures.
//!
//! Rotation follows tcpdump (`-C`, `-G`, `-W`):
//! - `-C size`: before writing a packet, if the current file is larger than
//!   `size` bytes, close it and open the next. Files after the first carry a
//!   number after the name (`cap.pcap`, `cap.pcap1`, `cap.pcap2`, …); with
//!   `-W N` every name is numbered, zero-padded to the width of N-1
//!   (`cap.pcap0` … `cap.pcap{N-1}`) and numbering wraps to 0, overwriting
//!   the oldest file.
//! - `-G secs`: on the first packet at least `secs` wall-clock seconds after
//!   the current file was opened, open a new one; the name is passed
//!   through strftime(3) in local time. With `-W N` (and no `-C`) the
//!   capture stops once N files have been written. With `-C` too, the size
//!   numbering restarts at 0 on every time rotation.

use super::pcapwrite::{CaptureWriter, IfStats, WriteOptions};
use crate::dissect::Packet;
use crate::engine::{Sink, Status, Stop, Tick};
use crate::source::file::{CaptureFormat, FileSource};
use std::collections::VecDeque;
use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// tcpdump's ring-buffer flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rotation {
    /// `-C`: rotate once a file is larger than this many bytes.
    pub size: Option<u64>,
    /// `-G`: rotate after this many seconds.
    pub every_secs: Option<u64>,
    /// `-W`: with `size`, the number of files in the ring; with
    /// `every_secs` alone, the number of files after which to stop.
    pub files: Option<u32>,
}

impl Rotation {
    pub fn is_set(&self) -> bool {
        self.size.is_some() || self.every_secs.is_some()
    }
}

/// Where and how to write.
#[derive(Clone, Debug)]
pub struct SaveOptions {
    /// File name (a strftime pattern with `-G`); `-` is standard output.
    pub path: String,
    pub write: WriteOptions,
    pub rotation: Rotation,
    /// Flush after every packet (tcpdump's -U).
    pub packet_buffered: bool,
}

/// A file that could not be created or written.
#[derive(Debug)]
pub struct SaveError {
    pub path: String,
    pub error: io::Error,
}

impl fmt::Display for SaveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot write {}: {}", self.path, self.error)
    }
}

impl std::error::Error for SaveError {}

type Out = BufWriter<Box<dyn Write + Send>>;

/// What reached the file under the buffer.
#[derive(Default)]
struct DiskState {
    on_disk: AtomicU64,
    failed: AtomicBool,
    /// The write error that failed it (reported whichever call meets it).
    first_error: std::sync::OnceLock<(io::ErrorKind, String)>,
}

/// The file under the buffer: counts the bytes that reached it and, once a
/// write has failed (a full disk), refuses the rest, so the file can be cut
/// back to its last whole packet and stay that way.
struct Disk {
    file: File,
    state: Arc<DiskState>,
}

impl Write for Disk {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        if self.state.failed.load(Ordering::Relaxed) {
            return Err(io::Error::other("an earlier write to this file failed"));
        }
        match self.file.write(b) {
            Ok(n) => {
                self.state.on_disk.fetch_add(n as u64, Ordering::Relaxed);
                Ok(n)
            }
            Err(e) => {
                let _ = self.state.first_error.set((e.kind(), e.to_string()));
                self.state.failed.store(true, Ordering::Relaxed);
                Err(e)
            }
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// The current file's whole-packet boundaries not yet known to be on disk.
struct Boundaries {
    state: Arc<DiskState>,
    /// A second handle on the file, to cut it back.
    file: File,
    /// (file offset after a packet, packets in the file up to there).
    ends: VecDeque<(u64, u64)>,
    /// The last boundary known to be on disk.
    safe: (u64, u64),
}

impl Boundaries {
    /// Drops the boundaries already on disk, keeping the last as `safe`.
    fn settle(&mut self) {
        let d = self.state.on_disk.load(Ordering::Relaxed);
        while self.ends.front().is_some_and(|e| e.0 <= d) {
            if let Some(e) = self.ends.pop_front() {
                self.safe = e;
            }
        }
    }
}

/// Writes every packet it is handed, rotating files as asked.
pub struct SaveSink {
    opts: SaveOptions,
    writer: Option<CaptureWriter<Out>>,
    current: String,
    /// tcpdump's Cflag_count, Gflag_count and Gflag_time.
    size_count: u32,
    time_count: u32,
    opened_at: i64,
    /// Zero-padding width of file numbers (tcpdump's WflagChars).
    width: usize,
    /// Every distinct file name written, in order of first use.
    files: Vec<String>,
    stop: Option<Stop>,
    limit_reached: bool,
    stats: Option<IfStats>,
    packets: u64,
    /// Regular files only (not standard output).
    bounds: Option<Boundaries>,
    /// Packets written to the current file.
    in_file: u64,
}

fn wall_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Digits needed for the numbers 0..n-1 (tcpdump's getWflagChars).
fn width_for(n: u32) -> usize {
    let mut x = n.saturating_sub(1);
    let mut c = 0;
    while x > 0 {
        c += 1;
        x /= 10;
    }
    c
}

impl SaveSink {
    /// Creates the first file (call it after privileges are dropped, so it
    /// belongs to the account the capture runs as).
    pub fn create(opts: SaveOptions) -> Result<SaveSink, SaveError> {
        let r = opts.rotation;
        if opts.path == "-" && r.is_set() {
            return Err(SaveError {
                path: opts.path,
                error: io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "standard output cannot rotate (-C/-G need a file name)",
                ),
            });
        }
        let width = match (r.size, r.files) {
            (Some(_), Some(n)) => width_for(n),
            _ => 0,
        };
        let mut s = SaveSink {
            current: String::new(),
            opts,
            writer: None,
            size_count: 0,
            time_count: 0,
            opened_at: wall_secs(),
            width,
            files: Vec::new(),
            stop: None,
            limit_reached: false,
            stats: None,
            packets: 0,
            bounds: None,
            in_file: 0,
        };
        s.open(0, width)?;
        Ok(s)
    }

    /// Asks `stop` to end the capture once `-G` with `-W` has written its
    /// last file.
    pub fn with_stop(mut self, stop: Stop) -> SaveSink {
        self.stop = Some(stop);
        self
    }

    /// Counters for the pcapng Interface Statistics Block written at the end.
    pub fn set_stats(&mut self, stats: IfStats) {
        self.stats = Some(stats);
    }

    /// Every file written, in order of first use.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// The file written last.
    pub fn current(&self) -> &str {
        &self.current
    }

    /// Packets written.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// `-G` with `-W`: the last file is written and the capture was asked to stop.
    pub fn limit_reached(&self) -> bool {
        self.limit_reached
    }

    /// tcpdump's MakeFilename: the name (through strftime with `-G`), and a
    /// number unless it is 0 without padding.
    fn name(&self, count: u32, width: usize) -> Result<String, SaveError> {
        let base = match self.opts.rotation.every_secs {
            Some(_) => {
                strftime_local(&self.opts.path, self.opened_at).ok_or_else(|| SaveError {
                    path: self.opts.path.clone(),
                    error: io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "the file name pattern does not expand (strftime)",
                    ),
                })?
            }
            None => self.opts.path.clone(),
        };
        Ok(if count == 0 && width == 0 {
            base
        } else {
            format!("{base}{count:0width$}")
        })
    }

    fn open(&mut self, count: u32, width: usize) -> Result<(), SaveError> {
        let name = self.name(count, width)?;
        let err = |error| SaveError {
            path: name.clone(),
            error,
        };
        self.bounds = None;
        self.in_file = 0;
        let out: Box<dyn Write + Send> = if name == "-" && !self.opts.rotation.is_set() {
            Box::new(io::stdout())
        } else {
            let file = File::create(&name).map_err(err)?;
            let state = Arc::new(DiskState::default());
            self.bounds = Some(Boundaries {
                state: Arc::clone(&state),
                file: file.try_clone().map_err(err)?,
                ends: VecDeque::new(),
                safe: (0, 0),
            });
            Box::new(Disk { file, state })
        };
        let w = CaptureWriter::new(
            BufWriter::with_capacity(256 * 1024, out),
            self.opts.write.clone(),
        )
        .map_err(err)?;
        if let Some(b) = &mut self.bounds {
            b.ends.push_back((w.written(), 0));
        }
        self.writer = Some(w);
        if !self.files.contains(&name) {
            self.files.push(name.clone());
        }
        self.current = name;
        Ok(())
    }

    /// Closes the current file: flushed, complete.
    fn close(&mut self) -> io::Result<()> {
        match self.writer.take() {
            Some(w) => w.finish().map(drop).map_err(|e| self.io_error(e)),
            None => Ok(()),
        }
    }

    /// The error for the current file, which a failed write (a full disk)
    /// first cuts back to its last whole packet so it stays readable.
    fn io_error(&mut self, e: io::Error) -> io::Error {
        let Some(b) = self
            .bounds
            .as_mut()
            .filter(|b| b.state.failed.load(Ordering::Relaxed))
        else {
            return io::Error::new(e.kind(), format!("{}: {e}", self.current));
        };
        b.settle();
        let (kind, msg) = b
            .state
            .first_error
            .get()
            .cloned()
            .unwrap_or_else(|| (e.kind(), e.to_string()));
        let (len, packets) = b.safe;
        let kept = match b.file.set_len(len) {
            Ok(()) => format!("the file keeps its first {packets} packets, whole"),
            Err(t) => format!("and it could not be cut back to its last whole packet: {t}"),
        };
        io::Error::new(kind, format!("{}: {msg}; {kept}", self.current))
    }

    fn reopen(&mut self, count: u32, width: usize) -> io::Result<()> {
        self.close()?;
        self.open(count, width)
            .map_err(|e| io::Error::new(e.error.kind(), e.to_string()))
    }

    /// tcpdump's checks before writing a packet.
    fn rotate(&mut self) -> io::Result<()> {
        let r = self.opts.rotation;
        if let Some(g) = r.every_secs {
            let now = wall_secs();
            if now - self.opened_at >= g as i64 {
                self.opened_at = now;
                self.time_count += 1;
                if r.size.is_none() && r.files.is_some_and(|w| self.time_count >= w) {
                    self.close()?;
                    self.limit_reached = true;
                    if let Some(s) = &self.stop {
                        s.request_now();
                    }
                    return Ok(());
                }
                self.size_count = 0;
                let width = if r.size.is_some() { self.width } else { 0 };
                self.reopen(0, width)?;
            }
        }
        if let Some(c) = r.size {
            if self.writer.as_ref().is_some_and(|w| w.written() > c) {
                self.size_count += 1;
                if r.files.is_some_and(|w| self.size_count >= w) {
                    self.size_count = 0;
                }
                self.reopen(self.size_count, self.width)?;
            }
        }
        Ok(())
    }
}

impl Sink for SaveSink {
    /// Bytes and metadata only.
    fn needs_layers(&self) -> bool {
        false
    }

    fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
        if self.limit_reached {
            return Ok(());
        }
        if self.opts.rotation.is_set() {
            self.rotate()?;
            if self.limit_reached {
                return Ok(());
            }
        }
        let Some(w) = &mut self.writer else {
            return Ok(());
        };
        let r = w.write_frame(pkt.ts, pkt.wire_len, pkt.linktype, pkt.interface, pkt.data);
        let r = r.and_then(|()| {
            if self.opts.packet_buffered {
                w.flush()
            } else {
                Ok(())
            }
        });
        let end = w.written();
        r.map_err(|e| self.io_error(e))?;
        self.packets += 1;
        self.in_file += 1;
        if let Some(b) = &mut self.bounds {
            b.ends.push_back((end, self.in_file));
            b.settle();
        }
        Ok(())
    }

    /// Live: what is written reaches the file (or pipe) promptly.
    fn tick(&mut self, _why: Tick, _status: &Status) -> io::Result<()> {
        let r = match &mut self.writer {
            Some(w) => w.flush(),
            None => Ok(()),
        };
        r.map_err(|e| self.io_error(e))
    }

    fn finish(&mut self, _status: &Status) -> io::Result<()> {
        if let (Some(w), Some(st)) = (&mut self.writer, &self.stats) {
            let r = w.write_stats(st);
            r.map_err(|e| self.io_error(e))?;
        }
        self.close()
    }

    fn lazy_app(&self) -> bool {
        true
    }

    fn wants_app(&mut self, _pkt: &Packet<'_>) -> bool {
        false
    }
}

/// Whether frames read from `paths` need nanosecond timestamps: not when
/// every input is a classic microsecond pcap file (standard input, pipes
/// and pcapng count as nanosecond, which loses nothing).
pub fn inputs_need_nanos(paths: &[String]) -> bool {
    paths.iter().any(|p| {
        // Only a regular file may be opened twice: a pipe's header would be
        // gone for the real read.
        if p == "-" || !std::fs::metadata(p).is_ok_and(|m| m.is_file()) {
            return true;
        }
        match FileSource::open(p) {
            Ok(s) => !(s.format() == CaptureFormat::Pcap && s.pcap_nanos() == Some(false)),
            // The read reports the error; the precision does not matter then.
            Err(_) => false,
        }
    })
}

/// `fmt` through strftime(3) for the local time at `t` (tcpdump's -G names).
fn strftime_local(fmt: &str, t: i64) -> Option<String> {
    let c = std::ffi::CString::new(fmt).ok()?;
    let tt = t as libc::time_t;
    // SAFETY: libc::tm is plain data (integers and a raw pointer), for
    // which all-zero bytes are a valid value.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are to live locals of the right types;
    // localtime_r writes only into `tm`.
    if unsafe { libc::localtime_r(&tt, &mut tm) }.is_null() {
        return None;
    }
    let mut buf = vec![0u8; 4096];
    // SAFETY: `buf` is valid for `buf.len()` bytes, `c` is NUL-terminated
    // and `tm` was filled by localtime_r; strftime writes at most
    // `buf.len()` bytes and returns how many it wrote before the NUL (0 on
    // overflow).
    let n = unsafe { libc::strftime(buf.as_mut_ptr().cast(), buf.len(), c.as_ptr(), &tm) };
    if n == 0 {
        return None;
    }
    buf.truncate(n);
    String::from_utf8(buf).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbering_is_tcpdumps() {
        assert_eq!(width_for(1), 0);
        assert_eq!(width_for(3), 1);
        assert_eq!(width_for(10), 1);
        assert_eq!(width_for(11), 2);
        assert_eq!(width_for(100), 2);
    }

    #[test]
    fn strftime_expands_in_local_time() {
        let s = strftime_local("cap-%Y%m%d-%H%M%S.pcap", 0).expect("expands");
        assert!(s.starts_with("cap-19"), "{s}");
        assert!(s.len() == "cap-19700101-000000.pcap".len(), "{s}");
        assert_eq!(strftime_local("plain", 0).as_deref(), Some("plain"));
        assert_eq!(strftime_local("", 0), None);
    }

    #[test]
    fn standard_output_does_not_rotate() {
        let e = SaveSink::create(SaveOptions {
            path: "-".into(),
            write: WriteOptions::new(super::super::pcapwrite::WriteFormat::Pcap),
            rotation: Rotation {
                size: Some(1),
                ..Default::default()
            },
            packet_buffered: false,
        });
        assert!(e.is_err());
    }
}
