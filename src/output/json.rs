//! JSON lines: one flat object per packet, keyed by Wireshark field names.
//! A field that occurs more than once becomes an array in wire order.

use super::collect::{Collected, Entry};
use crate::dissect::field::write_json_str;
use crate::dissect::Packet;
use std::io::{self, Write};

pub struct JsonWriter<W: Write> {
    out: W,
    fields: Collected,
    line: Vec<u8>,
}

impl<W: Write> JsonWriter<W> {
    pub fn new(out: W, only: Option<Vec<String>>) -> Self {
        JsonWriter {
            out,
            fields: Collected::with_only(only),
            line: Vec::with_capacity(2048),
        }
    }

    /// The format of `_ws.col.Time` when `-e` names it.
    pub fn set_time_format(&mut self, f: crate::dissect::timefmt::TimeFormat) {
        self.fields.time_format = f;
    }

    /// Stream indices as marks the merge numbers (`--threads`).
    pub fn set_late_streams(&mut self) {
        self.fields.set_late_streams();
    }

    /// The output (the parallel engine reads each packet's rows from it).
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn row(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
        self.fields.fill(pkt);
        let line = &mut self.line;
        line.clear();
        line.push(b'{');
        let mut first = true;
        let f = &self.fields;
        f.groups(|name, n, i| {
            if !first {
                line.push(b',');
            }
            first = false;
            // Field names are our own ASCII identifiers: no escaping needed.
            line.push(b'"');
            line.extend_from_slice(name.as_bytes());
            line.extend_from_slice(b"\":");
            if n > 1 {
                line.push(b'[');
                for (k, e) in f.same_name(i).enumerate() {
                    if k > 0 {
                        line.push(b',');
                    }
                    put(line, f.value(e), e);
                }
                line.push(b']');
            } else {
                let e = &f.entries[i];
                put(line, f.value(e), e);
            }
        });
        line.extend_from_slice(b"}\n");
        self.out.write_all(line)
    }
}

fn put(line: &mut Vec<u8>, v: &[u8], e: &Entry) {
    if e.numeric {
        line.extend_from_slice(v);
    } else if e.needs_escape {
        write_json_str(line, v);
    } else {
        // Addresses, hex and times are plain ASCII by construction.
        line.push(b'"');
        line.extend_from_slice(v);
        line.push(b'"');
    }
}
