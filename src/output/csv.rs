//! CSV: the chosen fields as columns, header row first (RFC 4180 quoting).
//! Repeated fields are joined with `,` as `tshark -T fields` does.

use super::collect::Collected;
use crate::dissect::Packet;
use std::io::{self, Write};

/// Columns used when no `-e` list is given.
pub const DEFAULT_COLUMNS: &[&str] = &[
    "frame.number",
    "frame.time_relative",
    "frame.len",
    "frame.protocols",
    "eth.src",
    "eth.dst",
    "ip.src",
    "ip.dst",
    "ipv6.src",
    "ipv6.dst",
    "tcp.srcport",
    "tcp.dstport",
    "udp.srcport",
    "udp.dstport",
    "_ws.col.protocol",
    "_ws.col.info",
];

pub struct CsvWriter<W: Write> {
    out: W,
    columns: Vec<String>,
    fields: Collected,
    line: Vec<u8>,
    cell: Vec<u8>,
    header_done: bool,
}

impl<W: Write> CsvWriter<W> {
    pub fn new(out: W, columns: Option<Vec<String>>) -> Self {
        let columns =
            columns.unwrap_or_else(|| DEFAULT_COLUMNS.iter().map(|s| s.to_string()).collect());
        CsvWriter {
            out,
            fields: Collected::with_only(Some(columns.clone())),
            columns,
            line: Vec::with_capacity(1024),
            cell: Vec::with_capacity(256),
            header_done: false,
        }
    }

    /// The format of `_ws.col.Time` when `-e` names it.
    pub fn set_time_format(&mut self, f: crate::dissect::timefmt::TimeFormat) {
        self.fields.time_format = f;
    }

    /// The output (the parallel engine reads each packet's rows from it).
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// The header row, written (`write`) or taken as written by another
    /// writer of the same output.
    pub fn begin(&mut self, write: bool) -> io::Result<()> {
        self.header_done = true;
        if write {
            let h = self.columns.join(",");
            self.out.write_all(h.as_bytes())?;
            self.out.write_all(b"\n")?;
        }
        Ok(())
    }

    pub fn row(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
        if !self.header_done {
            self.begin(true)?;
        }
        self.fields.fill(pkt);
        self.line.clear();
        for (i, col) in self.columns.iter().enumerate() {
            if i > 0 {
                self.line.push(b',');
            }
            self.cell.clear();
            for e in self.fields.entries.iter().filter(|e| e.name == col) {
                if !self.cell.is_empty() {
                    self.cell.push(b',');
                }
                self.cell.extend_from_slice(self.fields.value(e));
            }
            quote(&mut self.line, &self.cell);
        }
        self.line.push(b'\n');
        self.out.write_all(&self.line)
    }
}

fn quote(line: &mut Vec<u8>, cell: &[u8]) {
    if cell
        .iter()
        .any(|&c| matches!(c, b',' | b'"' | b'\n' | b'\r'))
    {
        line.push(b'"');
        for &c in cell {
            if c == b'"' {
                line.push(b'"');
            }
            line.push(c);
        }
        line.push(b'"');
    } else {
        line.extend_from_slice(cell);
    }
}
