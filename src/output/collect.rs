//! Gathers a packet's fields as formatted text, for the flat outputs (JSON
//! lines, CSV). Buffers are reused from packet to packet.

use crate::dissect::{self, Field, FieldSink, IssueKind, Packet};
use crate::flow::FlowHasherBuilder;
use std::collections::HashMap;

#[derive(Clone, Copy, Debug)]
pub struct Entry {
    pub name: &'static str,
    /// Small integer naming the field, so grouping never compares strings.
    pub id: u32,
    pub start: u32,
    pub end: u32,
    pub numeric: bool,
    /// The text may hold quotes, backslashes or control bytes (free text).
    pub needs_escape: bool,
}

/// Field name → formatted value pairs of one packet, in wire order.
pub struct Collected {
    pub text: Vec<u8>,
    pub entries: Vec<Entry>,
    /// When set, only these names are kept (the `-e` list).
    pub only: Option<Vec<String>>,
    /// The format of `_ws.col.Time` (given only when `-e` names it).
    pub time_format: crate::dissect::timefmt::TimeFormat,
    /// Name interning: by the name's address first (the common case), then
    /// by content (the same name spelled in two places).
    by_ptr: HashMap<(usize, usize), u32, FlowHasherBuilder>,
    by_name: HashMap<&'static str, u32, FlowHasherBuilder>,
    /// Per id: the packet generation it was last seen in, and its first and
    /// last entry in that packet; `next` chains entries of the same id.
    seen_gen: Vec<u32>,
    first: Vec<u32>,
    last: Vec<u32>,
    next: Vec<u32>,
    generation: u32,
    /// Stream indices are this worker's own (`--threads`): they are written
    /// as [`late_mark`]s for the merge to number.
    late: bool,
}

/// A worker's own stream index in place of its digits: a NUL (which JSON
/// text never holds raw), the slot, the index (little-endian).
pub const LATE_MARK_LEN: usize = 6;

pub fn late_mark(slot: u8, local: u32, w: &mut Vec<u8>) {
    w.push(0);
    w.push(slot);
    w.extend_from_slice(&local.to_le_bytes());
}

/// Writes `rows` with each [`late_mark`] replaced by its capture-wide
/// index from `map` (slot, then the worker's own index).
pub fn write_late<O: std::io::Write>(
    out: &mut O,
    mut rows: &[u8],
    map: &crate::engine::parallel::StreamMap,
) -> std::io::Result<()> {
    while let Some(i) = memchr::memchr(0, rows) {
        out.write_all(&rows[..i])?;
        let Some(m) = rows.get(i + 1..i + LATE_MARK_LEN) else {
            return out.write_all(&rows[i..]);
        };
        let local = u32::from_le_bytes([m[1], m[2], m[3], m[4]]);
        let global = map.get(m[0] as usize, local).unwrap_or(local);
        out.write_all(itoa::Buffer::new().format(global).as_bytes())?;
        rows = &rows[i + LATE_MARK_LEN..];
    }
    out.write_all(rows)
}

const NONE: u32 = u32::MAX;

impl FieldSink for Collected {
    /// Values only: decoders need not format titles and labels.
    fn tree(&self) -> bool {
        false
    }

    fn field(&mut self, f: &Field<'_>) {
        if let Some(only) = &self.only {
            if !only.iter().any(|n| n == f.name) {
                return;
            }
        }
        if let (true, crate::dissect::Value::U(n)) = (self.late, f.value) {
            if let Some(slot) = crate::flow::stream_slot(f.name) {
                let local = n as u32;
                return self.push(f.name, |w| late_mark(slot as u8, local, w), true, false);
            }
        }
        let free_text = matches!(f.value, crate::dissect::Value::Str(_));
        self.push(
            f.name,
            |w| f.value.write_to(w),
            f.value.is_numeric(),
            free_text,
        );
    }
}

impl Collected {
    pub fn with_only(only: Option<Vec<String>>) -> Self {
        let h = FlowHasherBuilder::random();
        Collected {
            text: Vec::new(),
            entries: Vec::new(),
            only,
            time_format: Default::default(),
            by_ptr: HashMap::with_hasher(h),
            by_name: HashMap::with_hasher(h),
            seen_gen: Vec::new(),
            first: Vec::new(),
            last: Vec::new(),
            next: Vec::new(),
            generation: 0,
            late: false,
        }
    }

    /// Stream indices become [`late_mark`]s (see `late`).
    pub fn set_late_streams(&mut self) {
        self.late = true;
    }

    fn intern(&mut self, name: &'static str) -> u32 {
        let key = (name.as_ptr() as usize, name.len());
        if let Some(&id) = self.by_ptr.get(&key) {
            return id;
        }
        let fresh = self.seen_gen.len() as u32;
        let id = *self.by_name.entry(name).or_insert(fresh);
        if id == fresh {
            self.seen_gen.push(0);
            self.first.push(NONE);
            self.last.push(NONE);
        }
        self.by_ptr.insert(key, id);
        id
    }

    fn push(
        &mut self,
        name: &'static str,
        write: impl FnOnce(&mut Vec<u8>),
        numeric: bool,
        needs_escape: bool,
    ) {
        let id = self.intern(name);
        let idx = self.entries.len() as u32;
        let start = self.text.len() as u32;
        write(&mut self.text);
        let end = self.text.len() as u32;
        self.entries.push(Entry {
            name,
            id,
            start,
            end,
            numeric,
            needs_escape,
        });
        self.next.push(NONE);
        let i = id as usize;
        if self.seen_gen[i] != self.generation {
            self.seen_gen[i] = self.generation;
            self.first[i] = idx;
        } else {
            let prev = self.last[i] as usize;
            self.next[prev] = idx;
        }
        self.last[i] = idx;
    }

    fn wanted(&self, name: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|o| o.iter().any(|n| n == name))
    }

    /// Collects every field of `pkt`, plus the column pseudo-fields
    /// (`_ws.col.protocol`, `_ws.col.info`) and `_ws.malformed`.
    pub fn fill(&mut self, pkt: &Packet<'_>) {
        self.text.clear();
        self.entries.clear();
        self.next.clear();
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            // Stamps wrapped: forget them all once every 4 billion packets.
            self.seen_gen.iter_mut().for_each(|g| *g = u32::MAX);
            self.generation = 1;
        }
        dissect::all_fields(pkt, self);
        if self.wanted("_ws.col.protocol") {
            self.push(
                "_ws.col.protocol",
                |w| w.extend_from_slice(dissect::top_protocol(pkt).as_bytes()),
                false,
                false,
            );
        }
        let time_named = self
            .only
            .as_ref()
            .is_some_and(|o| o.iter().any(|n| n == "_ws.col.Time"));
        if time_named {
            let f = self.time_format;
            self.push(
                "_ws.col.Time",
                |w| dissect::timefmt::write_column(w, f, pkt),
                false,
                false,
            );
        }
        if self.wanted("_ws.col.info") {
            self.push("_ws.col.info", |w| dissect::info(pkt, w), false, true);
        }
        if let Some(issue) = pkt.issue {
            let name = match issue.kind {
                IssueKind::Malformed => "_ws.malformed",
                IssueKind::Truncated => "_ws.short",
            };
            if self.wanted(name) {
                self.push(
                    name,
                    |w| {
                        w.extend_from_slice(issue.proto.display().as_bytes());
                        w.extend_from_slice(b": ");
                        w.extend_from_slice(issue.msg.as_bytes());
                    },
                    false,
                    false,
                );
            }
        }
    }

    /// Appends every value of `name`, joined with `,` as `tshark -T fields` does.
    pub fn join(&self, name: &str, out: &mut Vec<u8>) {
        let mut first = true;
        for e in self.entries.iter().filter(|e| e.name == name) {
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(self.value(e));
        }
    }

    pub fn value(&self, e: &Entry) -> &[u8] {
        &self.text[e.start as usize..e.end as usize]
    }

    /// Calls `f` once per distinct name, in order of first occurrence, with
    /// the number of entries of that name and the index of the first one.
    pub fn groups(&self, mut f: impl FnMut(&'static str, usize, usize)) {
        for (i, e) in self.entries.iter().enumerate() {
            if self.first[e.id as usize] as usize != i {
                continue;
            }
            f(e.name, self.same_name(i).count(), i);
        }
    }

    /// Entries named like `entries[first]`, from `first` on, in wire order.
    pub fn same_name(&self, first: usize) -> impl Iterator<Item = &Entry> + '_ {
        let mut at = first as u32;
        std::iter::from_fn(move || {
            if at == NONE {
                return None;
            }
            let e = &self.entries[at as usize];
            at = self.next[at as usize];
            Some(e)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_marks_become_capture_wide_indices() {
        // A worker's TCP streams 0 and 1 are the capture's 3 and 7; its UDP
        // stream 0 the capture's 12.
        let mut map = crate::engine::parallel::StreamMap::default();
        for (slot, local, global) in [(0, 0, 3), (0, 1, 7), (1, 0, 12)] {
            map.insert(slot, local, global);
        }
        let mut rows = b"{\"tcp.stream\":".to_vec();
        late_mark(0, 1, &mut rows);
        rows.extend_from_slice(b",\"udp.stream\":");
        late_mark(1, 0, &mut rows);
        rows.extend_from_slice(b"}\n{\"tcp.stream\":");
        late_mark(0, 0, &mut rows);
        rows.extend_from_slice(b"}\n");
        let mut out = Vec::new();
        write_late(&mut out, &rows, &map).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"tcp.stream\":7,\"udp.stream\":12}\n{\"tcp.stream\":3}\n"
        );
        // A mark cut short is written as it is, never read past the end.
        let mut out = Vec::new();
        write_late(&mut out, &[b'x', 0, 0, 1], &map).unwrap();
        assert_eq!(out, [b'x', 0, 0, 1]);
    }
}
