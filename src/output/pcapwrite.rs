//! Capture files written by layerscope: classic pcap (microsecond or
//! nanosecond magic) and pcapng (section header, one interface description
//! per interface, enhanced packet blocks, and interface statistics at the
//! end of a live capture), readable by tcpdump, tshark and capinfos.
//!
//! Every block is written whole with one `write_all`, so a file cut by a
//! rotation or a stop ends on a block boundary once flushed.

use crate::source::Timestamp;
use std::io::{self, Write};

/// The two file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteFormat {
    Pcap,
    Pcapng,
}

impl WriteFormat {
    /// pcapng for a `.pcapng` (or `.ntar`) file name, pcap otherwise, as
    /// Wireshark picks by extension.
    pub fn for_path(path: &str) -> WriteFormat {
        let lower = path.to_ascii_lowercase();
        if lower.ends_with(".pcapng") || lower.ends_with(".ntar") {
            WriteFormat::Pcapng
        } else {
            WriteFormat::Pcap
        }
    }
}

/// What the writer knows of the capture before the first frame.
#[derive(Clone, Debug)]
pub struct WriteOptions {
    pub format: WriteFormat,
    /// Nanosecond timestamps (pcap magic 0xa1b23c4d, pcapng if_tsresol 9);
    /// microseconds otherwise.
    pub nanos: bool,
    /// Snap length written in the file header and interface descriptions.
    pub snaplen: u32,
    /// The link type when known before any frame (a live capture): the
    /// header is then written at once, and an empty capture still names it.
    pub linktype: Option<u32>,
    /// pcapng if_name of the interfaces (a live capture's interface).
    pub if_name: Option<String>,
    /// pcapng shb_userappl.
    pub application: String,
    /// pcapng shb_os (e.g. "Linux 6.1.0-13-amd64").
    pub os: Option<String>,
}

impl WriteOptions {
    /// Defaults for `format`: nanoseconds, snap length 262144, this
    /// program's name and version, this system's name and release.
    pub fn new(format: WriteFormat) -> WriteOptions {
        WriteOptions {
            format,
            nanos: true,
            snaplen: DEFAULT_SNAPLEN,
            linktype: None,
            if_name: None,
            application: format!("layerscope {}", env!("CARGO_PKG_VERSION")),
            os: system_name(),
        }
    }
}

/// libpcap's largest snap length for most link types (tcpdump's default).
pub const DEFAULT_SNAPLEN: u32 = 262_144;

/// The kernel's name and release, as dumpcap writes shb_os.
pub fn system_name() -> Option<String> {
    let u = nix::sys::utsname::uname().ok()?;
    Some(format!(
        "{} {}",
        u.sysname().to_string_lossy(),
        u.release().to_string_lossy()
    ))
}

/// Interface counters for a pcapng Interface Statistics Block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IfStats {
    /// isb_ifrecv: packets the interface received (pcap stats `ps_recv`).
    pub received: u64,
    /// isb_ifdrop: packets dropped for lack of buffer (pcap stats `ps_drop`).
    pub dropped: u64,
    /// isb_starttime / isb_endtime.
    pub start: Option<Timestamp>,
    pub end: Option<Timestamp>,
}

const PCAP_MAGIC_US: u32 = 0xa1b2_c3d4;
const PCAP_MAGIC_NS: u32 = 0xa1b2_3c4d;
const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 1;
const ISB: u32 = 5;
const EPB: u32 = 6;
const LINKTYPE_ETHERNET: u32 = 1;

/// A capture file being written to `out` (a file, standard output, …).
pub struct CaptureWriter<W: Write> {
    out: W,
    opts: WriteOptions,
    /// The file header (pcap) or section header (pcapng) is out.
    started: bool,
    /// pcap: the link type in the file header.
    pcap_linktype: Option<u32>,
    /// pcapng: the interfaces described so far, as (source interface,
    /// link type); the position is the interface id in this file.
    ifaces: Vec<(u32, u32)>,
    /// Bytes written so far (the file's size, for rotation by size).
    written: u64,
    /// Block buffer reused between frames.
    block: Vec<u8>,
}

/// A frame whose link type a classic pcap file cannot hold.
fn mixed_linktypes(file: u32, frame: u32) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "a pcap file holds one link type: this one is {file}, a frame has {frame} \
             (write pcapng instead: a .pcapng name or --write-format pcapng)"
        ),
    )
}

impl<W: Write> CaptureWriter<W> {
    /// A writer; with a known link type the header is written at once.
    pub fn new(out: W, opts: WriteOptions) -> io::Result<CaptureWriter<W>> {
        let mut w = CaptureWriter {
            out,
            opts,
            started: false,
            pcap_linktype: None,
            ifaces: Vec::new(),
            written: 0,
            block: Vec::with_capacity(2048),
        };
        if let Some(lt) = w.opts.linktype {
            w.start(lt)?;
            if w.opts.format == WriteFormat::Pcapng {
                w.interface(0, lt)?;
            }
        }
        Ok(w)
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    fn emit(&mut self) -> io::Result<()> {
        self.out.write_all(&self.block)?;
        self.written += self.block.len() as u64;
        Ok(())
    }

    /// The file header (pcap, with `linktype`) or section header (pcapng).
    fn start(&mut self, linktype: u32) -> io::Result<()> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        self.block.clear();
        match self.opts.format {
            WriteFormat::Pcap => {
                let b = &mut self.block;
                let magic = if self.opts.nanos {
                    PCAP_MAGIC_NS
                } else {
                    PCAP_MAGIC_US
                };
                b.extend_from_slice(&magic.to_le_bytes());
                b.extend_from_slice(&2u16.to_le_bytes());
                b.extend_from_slice(&4u16.to_le_bytes());
                b.extend_from_slice(&[0; 8]); // thiszone, sigfigs
                b.extend_from_slice(&self.opts.snaplen.to_le_bytes());
                b.extend_from_slice(&linktype.to_le_bytes());
                self.pcap_linktype = Some(linktype);
            }
            WriteFormat::Pcapng => {
                let mut opts = Vec::new();
                if let Some(os) = &self.opts.os {
                    option(&mut opts, 3, os.as_bytes()); // shb_os
                }
                option(&mut opts, 4, self.opts.application.as_bytes()); // shb_userappl
                end_options(&mut opts);
                let b = &mut self.block;
                let len = 28 + opts.len() as u32;
                b.extend_from_slice(&SHB.to_le_bytes());
                b.extend_from_slice(&len.to_le_bytes());
                b.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
                b.extend_from_slice(&1u16.to_le_bytes());
                b.extend_from_slice(&0u16.to_le_bytes());
                b.extend_from_slice(&u64::MAX.to_le_bytes()); // section length unknown
                b.extend_from_slice(&opts);
                b.extend_from_slice(&len.to_le_bytes());
            }
        }
        self.emit()
    }

    /// The pcapng interface id for frames of `src_iface` with `linktype`,
    /// describing it first if it is new.
    fn interface(&mut self, src_iface: u32, linktype: u32) -> io::Result<u32> {
        if let Some(i) = self
            .ifaces
            .iter()
            .position(|&(s, l)| s == src_iface && l == linktype)
        {
            return Ok(i as u32);
        }
        if linktype > u16::MAX as u32 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("link type {linktype} does not fit a pcapng interface description"),
            ));
        }
        let mut opts = Vec::new();
        if let Some(name) = &self.opts.if_name {
            option(&mut opts, 2, name.as_bytes()); // if_name
        }
        let tsresol = if self.opts.nanos { 9u8 } else { 6 };
        option(&mut opts, 9, &[tsresol]); // if_tsresol
        end_options(&mut opts);
        let len = 20 + opts.len() as u32;
        let b = &mut self.block;
        b.clear();
        b.extend_from_slice(&IDB.to_le_bytes());
        b.extend_from_slice(&len.to_le_bytes());
        b.extend_from_slice(&(linktype as u16).to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&self.opts.snaplen.to_le_bytes());
        b.extend_from_slice(&opts);
        b.extend_from_slice(&len.to_le_bytes());
        self.emit()?;
        self.ifaces.push((src_iface, linktype));
        Ok(self.ifaces.len() as u32 - 1)
    }

    /// The timestamp in this file's units (pcapng: 10^-9 or 10^-6 s since
    /// the epoch; times before 1970 cannot be written and become 0).
    fn ticks(&self, ts: Timestamp) -> u64 {
        let secs = u64::try_from(ts.sec).unwrap_or(0);
        if self.opts.nanos {
            secs.saturating_mul(1_000_000_000)
                .saturating_add(ts.nsec as u64)
        } else {
            secs.saturating_mul(1_000_000)
                .saturating_add(ts.nsec as u64 / 1000)
        }
    }

    /// One frame: its original timestamp, captured bytes and length on the
    /// wire, on the interface `src_iface` of its source.
    pub fn write_frame(
        &mut self,
        ts: Timestamp,
        wire_len: u32,
        linktype: u32,
        src_iface: u32,
        bytes: &[u8],
    ) -> io::Result<()> {
        self.start(linktype)?;
        let caplen = u32::try_from(bytes.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame over 4 GiB"))?;
        let wire_len = wire_len.max(caplen);
        match self.opts.format {
            WriteFormat::Pcap => {
                let file_lt = self.pcap_linktype.unwrap_or(linktype);
                if file_lt != linktype {
                    return Err(mixed_linktypes(file_lt, linktype));
                }
                // The classic format has 32-bit seconds.
                let sec = u32::try_from(ts.sec).unwrap_or(0);
                let frac = if self.opts.nanos {
                    ts.nsec
                } else {
                    ts.nsec / 1000
                };
                let b = &mut self.block;
                b.clear();
                b.extend_from_slice(&sec.to_le_bytes());
                b.extend_from_slice(&frac.to_le_bytes());
                b.extend_from_slice(&caplen.to_le_bytes());
                b.extend_from_slice(&wire_len.to_le_bytes());
                b.extend_from_slice(bytes);
            }
            WriteFormat::Pcapng => {
                let id = self.interface(src_iface, linktype)?;
                let t = self.ticks(ts);
                let padded = bytes.len().next_multiple_of(4);
                let len = u32::try_from(32 + padded)
                    .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame over 4 GiB"))?;
                let b = &mut self.block;
                b.clear();
                b.extend_from_slice(&EPB.to_le_bytes());
                b.extend_from_slice(&len.to_le_bytes());
                b.extend_from_slice(&id.to_le_bytes());
                b.extend_from_slice(&((t >> 32) as u32).to_le_bytes());
                b.extend_from_slice(&(t as u32).to_le_bytes());
                b.extend_from_slice(&caplen.to_le_bytes());
                b.extend_from_slice(&wire_len.to_le_bytes());
                b.extend_from_slice(bytes);
                b.resize(b.len() + padded - bytes.len(), 0);
                b.extend_from_slice(&len.to_le_bytes());
            }
        }
        self.emit()
    }

    /// pcapng: an Interface Statistics Block for every interface of this
    /// file (a live capture has one); pcap has no place for them.
    pub fn write_stats(&mut self, stats: &IfStats) -> io::Result<()> {
        if self.opts.format != WriteFormat::Pcapng || !self.started {
            return Ok(());
        }
        let now = self.ticks(stats.end.unwrap_or_else(Timestamp::now));
        for id in 0..self.ifaces.len() as u32 {
            let mut opts = Vec::new();
            let split = |t: u64| {
                let mut v = Vec::with_capacity(8);
                v.extend_from_slice(&((t >> 32) as u32).to_le_bytes());
                v.extend_from_slice(&(t as u32).to_le_bytes());
                v
            };
            if let Some(s) = stats.start {
                option(&mut opts, 2, &split(self.ticks(s))); // isb_starttime
            }
            option(&mut opts, 3, &split(now)); // isb_endtime
            option(&mut opts, 4, &stats.received.to_le_bytes()); // isb_ifrecv
            option(&mut opts, 5, &stats.dropped.to_le_bytes()); // isb_ifdrop
            end_options(&mut opts);
            let len = 24 + opts.len() as u32;
            let b = &mut self.block;
            b.clear();
            b.extend_from_slice(&ISB.to_le_bytes());
            b.extend_from_slice(&len.to_le_bytes());
            b.extend_from_slice(&id.to_le_bytes());
            b.extend_from_slice(&((now >> 32) as u32).to_le_bytes());
            b.extend_from_slice(&(now as u32).to_le_bytes());
            b.extend_from_slice(&opts);
            b.extend_from_slice(&len.to_le_bytes());
            self.emit()?;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Writes the header if no frame came (an empty but valid file; the
    /// link type is Ethernet when nothing named one), flushes, and hands
    /// the output back.
    pub fn finish(mut self) -> io::Result<W> {
        if !self.started {
            let lt = self.opts.linktype.unwrap_or(LINKTYPE_ETHERNET);
            self.start(lt)?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

/// A pcapng option: code, length, value padded to 32 bits.
fn option(out: &mut Vec<u8>, code: u16, value: &[u8]) {
    let len = value.len().min(u16::MAX as usize - 3);
    out.extend_from_slice(&code.to_le_bytes());
    out.extend_from_slice(&(len as u16).to_le_bytes());
    out.extend_from_slice(&value[..len]);
    out.resize(out.len() + (len.next_multiple_of(4) - len), 0);
}

fn end_options(out: &mut Vec<u8>) {
    out.extend_from_slice(&[0, 0, 0, 0]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::file::FileSource;

    fn frame(n: u8) -> Vec<u8> {
        (0..(40 + n)).collect()
    }

    /// Writes three frames and reads them back with the project's reader.
    fn round_trip(format: WriteFormat, nanos: bool) {
        let mut o = WriteOptions::new(format);
        o.nanos = nanos;
        let mut w = CaptureWriter::new(Vec::new(), o).unwrap();
        let ts = |i: u32| Timestamp {
            sec: 1_700_000_000 + i as i64,
            nsec: 123_456_789 + i,
        };
        for i in 0..3u8 {
            w.write_frame(ts(i as u32), 1000, 1, 0, &frame(i)).unwrap();
        }
        w.write_stats(&IfStats {
            received: 7,
            dropped: 2,
            ..Default::default()
        })
        .unwrap();
        let bytes = w.finish().unwrap();
        let mut r = FileSource::from_reader(Box::new(std::io::Cursor::new(bytes))).unwrap();
        for i in 0..3u8 {
            let f = r.next_frame().unwrap().expect("frame");
            assert_eq!(f.bytes, &frame(i)[..]);
            assert_eq!(f.wire_len, 1000);
            assert_eq!(f.linktype, 1);
            let want = if nanos {
                ts(i as u32).nsec
            } else {
                ts(i as u32).nsec / 1000 * 1000
            };
            assert_eq!((f.ts.sec, f.ts.nsec), (ts(i as u32).sec, want));
        }
        assert!(r.next_frame().unwrap().is_none());
    }

    #[test]
    fn both_formats_and_resolutions_read_back() {
        for f in [WriteFormat::Pcap, WriteFormat::Pcapng] {
            round_trip(f, true);
            round_trip(f, false);
        }
    }

    #[test]
    fn pcap_refuses_a_second_link_type_and_pcapng_describes_it() {
        let mut w = CaptureWriter::new(Vec::new(), WriteOptions::new(WriteFormat::Pcap)).unwrap();
        w.write_frame(Timestamp::default(), 40, 1, 0, &frame(0))
            .unwrap();
        let e = w
            .write_frame(Timestamp::default(), 40, 113, 0, &frame(0))
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        let mut w = CaptureWriter::new(Vec::new(), WriteOptions::new(WriteFormat::Pcapng)).unwrap();
        w.write_frame(Timestamp::default(), 40, 1, 0, &frame(0))
            .unwrap();
        w.write_frame(Timestamp::default(), 40, 113, 0, &frame(1))
            .unwrap();
        assert_eq!(w.ifaces, [(0, 1), (0, 113)]);
    }

    #[test]
    fn an_empty_capture_is_a_valid_file() {
        let mut o = WriteOptions::new(WriteFormat::Pcap);
        o.linktype = Some(113);
        let b = CaptureWriter::new(Vec::new(), o).unwrap().finish().unwrap();
        assert_eq!(b.len(), 24);
        assert_eq!(&b[20..24], &113u32.to_le_bytes());
    }

    #[test]
    fn the_format_follows_the_file_name() {
        assert_eq!(WriteFormat::for_path("a.PCAPNG"), WriteFormat::Pcapng);
        assert_eq!(WriteFormat::for_path("a.pcap"), WriteFormat::Pcap);
        assert_eq!(WriteFormat::for_path("-"), WriteFormat::Pcap);
    }
}
