//! The per-packet writers (table, jsonl, csv, detail) as one engine sink.

use super::csv::CsvWriter;
use super::detail::DetailWriter;
use super::json::JsonWriter;
use super::style;
use super::table::{Dump, TableWriter};
use crate::dissect::timefmt::TimeFormat;
use crate::dissect::Packet;
use crate::engine::parallel::{Split, StreamMap};
use crate::engine::{Sink, Status, Tick};
use std::io::{self, Write};

/// Output format of the packet writers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Jsonl,
    Csv,
    Detail,
}

/// A row (or tree) per packet, in one of the formats.
pub enum PacketWriter<W: Write> {
    Table(TableWriter<W>),
    Jsonl(JsonWriter<W>),
    Csv(CsvWriter<W>),
    Detail(DetailWriter<W>),
}

impl<W: Write> PacketWriter<W> {
    /// `hex`: a hex dump under each detail tree; `fields`: the jsonl/csv
    /// columns (all fields / default columns when None); `color`: None
    /// decides from the terminal and NO_COLOR.
    pub fn new(
        out: W,
        format: Format,
        hex: bool,
        fields: Option<Vec<String>>,
        color: Option<bool>,
    ) -> Self {
        let color = color.unwrap_or_else(style::stdout_wants_color);
        match format {
            Format::Table => {
                let mut t = TableWriter::new(out, color, style::terminal_width());
                if let Some(f) = fields {
                    t.set_extra_columns(f);
                }
                PacketWriter::Table(t)
            }
            Format::Jsonl => PacketWriter::Jsonl(JsonWriter::new(out, fields)),
            Format::Csv => PacketWriter::Csv(CsvWriter::new(out, fields)),
            Format::Detail => PacketWriter::Detail(DetailWriter::new(out, color, hex)),
        }
    }

    /// Writes `dump` under each packet's row or tree (`-X`, `-XX`, `-A`).
    pub fn with_dump(self, dump: Dump) -> Self {
        match self {
            PacketWriter::Table(t) => PacketWriter::Table(t.with_dump(dump)),
            PacketWriter::Detail(d) => PacketWriter::Detail(d.with_dump(dump)),
            other => other,
        }
    }

    /// The Time column's format (`-t`): the table's, and `_ws.col.Time`'s.
    pub fn with_time_format(mut self, f: TimeFormat) -> Self {
        match &mut self {
            PacketWriter::Table(t) => t.set_time_format(f),
            PacketWriter::Jsonl(j) => j.set_time_format(f),
            PacketWriter::Csv(c) => c.set_time_format(f),
            PacketWriter::Detail(_) => {}
        }
        self
    }

    /// See [`TableWriter::begin`]: the header row, if the format has one.
    pub fn begin(&mut self, digits: u8, write: bool) -> io::Result<()> {
        match self {
            PacketWriter::Table(t) => t.begin(digits, write),
            PacketWriter::Csv(c) => c.begin(write),
            PacketWriter::Jsonl(_) | PacketWriter::Detail(_) => Ok(()),
        }
    }

    pub fn get_mut(&mut self) -> &mut W {
        match self {
            PacketWriter::Table(t) => t.get_mut(),
            PacketWriter::Jsonl(j) => j.get_mut(),
            PacketWriter::Csv(c) => c.get_mut(),
            PacketWriter::Detail(d) => d.get_mut(),
        }
    }

    pub fn flush(&mut self) -> io::Result<()> {
        match self {
            PacketWriter::Table(t) => t.flush(),
            PacketWriter::Jsonl(j) => j.flush(),
            PacketWriter::Csv(c) => c.flush(),
            PacketWriter::Detail(d) => d.flush(),
        }
    }
}

/// Each writer is a sink of its own: a row per packet, flushed on every
/// live tick (rows must show up promptly, not when the buffer fills) and at
/// the end.
macro_rules! writer_sink {
    ($t:ident, $row:ident) => {
        impl<W: Write> Sink for $t<W> {
            fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
                self.$row(pkt)
            }
            fn tick(&mut self, _why: Tick, _status: &Status) -> io::Result<()> {
                self.flush()
            }
            fn finish(&mut self, _status: &Status) -> io::Result<()> {
                self.flush()
            }
            fn flush(&mut self) -> io::Result<()> {
                $t::flush(self)
            }
        }
    };
}

writer_sink!(TableWriter, row);
writer_sink!(JsonWriter, row);
writer_sink!(CsvWriter, row);
writer_sink!(DetailWriter, packet);

impl<W: Write> Sink for PacketWriter<W> {
    fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
        match self {
            PacketWriter::Table(t) => t.row(pkt),
            PacketWriter::Jsonl(j) => j.row(pkt),
            PacketWriter::Csv(c) => c.row(pkt),
            PacketWriter::Detail(d) => d.packet(pkt),
        }
    }

    fn tick(&mut self, _why: Tick, _status: &Status) -> io::Result<()> {
        self.flush()
    }

    fn finish(&mut self, _status: &Status) -> io::Result<()> {
        self.flush()
    }

    fn flush(&mut self) -> io::Result<()> {
        PacketWriter::flush(self)
    }
}

/// "packet" or "packets", as tcpdump words its counts.
pub fn packets_word(n: u64) -> &'static str {
    if n == 1 {
        "packet"
    } else {
        "packets"
    }
}

/// How often the running count may be redrawn.
const COUNT_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// No rows, only a running count of packets on a terminal (`capture -q`),
/// redrawn in place on every tick (at most ten times a second) and cleared
/// at the end so the closing summary starts on a clean line.
pub struct CountLine<W: Write> {
    out: Option<W>,
    /// The count on screen, if one is.
    shown: Option<u64>,
    drawn_at: Option<std::time::Instant>,
}

impl<W: Write> CountLine<W> {
    /// `out`: where the count goes (None: print nothing at all). Give it a
    /// terminal only: the line is redrawn with carriage returns.
    pub fn new(out: Option<W>) -> Self {
        CountLine {
            out,
            shown: None,
            drawn_at: None,
        }
    }
}

impl<W: Write> Sink for CountLine<W> {
    fn packet(&mut self, _pkt: &Packet<'_>) -> io::Result<()> {
        Ok(())
    }

    fn needs_layers(&self) -> bool {
        false
    }

    fn tick(&mut self, why: Tick, status: &Status) -> io::Result<()> {
        let Some(out) = &mut self.out else {
            return Ok(());
        };
        if why == Tick::Stop
            || self.shown == Some(status.packets)
            || self.drawn_at.is_some_and(|t| t.elapsed() < COUNT_EVERY)
        {
            return Ok(());
        }
        let n = status.packets;
        // A status line that cannot be shown does not stop the capture.
        let _ = write!(out, "\r\x1b[K{n} {}", packets_word(n)).and_then(|()| out.flush());
        self.shown = Some(n);
        self.drawn_at = Some(std::time::Instant::now());
        Ok(())
    }

    fn finish(&mut self, _status: &Status) -> io::Result<()> {
        if let (Some(out), Some(_)) = (&mut self.out, self.shown) {
            let _ = write!(out, "\r\x1b[K").and_then(|()| out.flush());
            self.shown = None;
        }
        Ok(())
    }
}

/// The packet writers spread over `--threads` workers: each worker renders
/// its packets into a buffer of its own, and the rows go out in frame order.
pub struct SplitRows<W: Write> {
    out: PacketWriter<W>,
    make: Box<dyn Fn() -> PacketWriter<Vec<u8>>>,
    started: bool,
    streams: bool,
}

impl<W: Write> SplitRows<W> {
    /// `make`: a writer with the same settings as `out`, into a buffer.
    /// `streams`: whether the rows show stream indices (the default table
    /// columns do not).
    pub fn new(
        out: PacketWriter<W>,
        make: Box<dyn Fn() -> PacketWriter<Vec<u8>>>,
        streams: bool,
    ) -> Self {
        SplitRows {
            out,
            make,
            started: false,
            streams,
        }
    }

    pub fn writer(&mut self) -> &mut PacketWriter<W> {
        &mut self.out
    }
}

impl<W: Write> Split for SplitRows<W> {
    type Part = PacketWriter<Vec<u8>>;
    fn part(&self) -> Self::Part {
        (self.make)()
    }
    fn start(part: &mut Self::Part, digits: u8) {
        // Writing into a buffer cannot fail.
        let _ = part.begin(digits, false);
    }
    fn rows(part: &mut Self::Part) -> Option<&mut Vec<u8>> {
        Some(part.get_mut())
    }
    fn shows_streams(&self) -> bool {
        self.streams
    }
    /// JSON lines mark stream indices for the merge to number; the other
    /// formats pad or quote them, so their workers number through the ledger.
    fn late_streams(&self) -> bool {
        matches!(self.out, PacketWriter::Jsonl(_))
    }
    fn use_late_streams(part: &mut Self::Part) {
        if let PacketWriter::Jsonl(j) = part {
            j.set_late_streams();
        }
    }
    fn joins_rows(&self) -> bool {
        true
    }
    fn emit(&mut self, rows: &[u8], digits: u8, streams: &StreamMap) -> io::Result<()> {
        if !self.started {
            self.started = true;
            self.out.begin(digits, true)?;
        }
        if self.late_streams() {
            return super::collect::write_late(self.out.get_mut(), rows, streams);
        }
        self.out.get_mut().write_all(rows)
    }
    /// Handed to the output as they lie in the workers' buffers: a large
    /// vectored write goes past the output's buffer, one copy fewer.
    fn emit_runs(&mut self, runs: &mut [io::IoSlice<'_>], digits: u8) -> io::Result<()> {
        if !self.started {
            self.started = true;
            self.out.begin(digits, true)?;
        }
        write_all_vectored(self.out.get_mut(), runs)
    }
    fn join(&mut self, _parts: Vec<Self::Part>, status: &Status) -> io::Result<()> {
        self.out.finish(status)
    }
}

/// `Write::write_all` for several slices (std's is not stable yet).
fn write_all_vectored<W: Write>(w: &mut W, mut bufs: &mut [io::IoSlice<'_>]) -> io::Result<()> {
    io::IoSlice::advance_slices(&mut bufs, 0);
    while !bufs.is_empty() {
        match w.write_vectored(bufs) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => io::IoSlice::advance_slices(&mut bufs, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(packets: u64) -> Status {
        Status {
            packets,
            first_ts: None,
        }
    }

    #[test]
    fn the_count_is_redrawn_in_place_and_cleared() {
        let mut c = CountLine::new(Some(Vec::new()));
        c.tick(Tick::Idle, &status(1)).unwrap();
        // Too soon after the last draw: skipped.
        c.tick(Tick::Frames, &status(2)).unwrap();
        std::thread::sleep(COUNT_EVERY);
        // Idle ticks redraw too (a count must not stall between bursts).
        c.tick(Tick::Idle, &status(3)).unwrap();
        c.finish(&status(3)).unwrap();
        let out = String::from_utf8(c.out.take().unwrap()).unwrap();
        assert_eq!(out, "\r\x1b[K1 packet\r\x1b[K3 packets\r\x1b[K");
    }
}
