//! The per-packet writers (table, jsonl, csv, detail) as one engine sink.

use super::csv::CsvWriter;
use super::detail::DetailWriter;
use super::json::JsonWriter;
use super::style;
use super::table::TableWriter;
use crate::dissect::Packet;
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
                PacketWriter::Table(TableWriter::new(out, color, style::terminal_width()))
            }
            Format::Jsonl => PacketWriter::Jsonl(JsonWriter::new(out, fields)),
            Format::Csv => PacketWriter::Csv(CsvWriter::new(out, fields)),
            Format::Detail => PacketWriter::Detail(DetailWriter::new(out, color, hex)),
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

/// No rows, only a running count of packets on a terminal (`capture -q`).
pub struct CountLine<W: Write> {
    out: Option<W>,
}

impl<W: Write> CountLine<W> {
    /// `out`: where the count goes (None: print nothing at all).
    pub fn new(out: Option<W>) -> Self {
        CountLine { out }
    }
}

impl<W: Write> Sink for CountLine<W> {
    fn packet(&mut self, _pkt: &Packet<'_>) -> io::Result<()> {
        Ok(())
    }

    fn tick(&mut self, why: Tick, status: &Status) -> io::Result<()> {
        // A status line that cannot be shown does not stop the capture.
        if let (Some(out), Tick::Frames) = (&mut self.out, why) {
            let _ = write!(out, "\r{} packets", status.packets).and_then(|()| out.flush());
        }
        Ok(())
    }

    fn finish(&mut self, _status: &Status) -> io::Result<()> {
        if let Some(out) = &mut self.out {
            let _ = writeln!(out).and_then(|()| out.flush());
        }
        Ok(())
    }
}
