//! Gathers a packet's fields as formatted text, for the flat outputs (JSON
//! lines, CSV). Buffers are reused from packet to packet.

use crate::dissect::{self, Field, FieldSink, IssueKind, Packet};

#[derive(Clone, Copy, Debug)]
pub struct Entry {
    pub name: &'static str,
    pub start: u32,
    pub end: u32,
    pub numeric: bool,
}

/// Field name → formatted value pairs of one packet, in wire order.
#[derive(Default)]
pub struct Collected {
    pub text: Vec<u8>,
    pub entries: Vec<Entry>,
    /// When set, only these names are kept (the `-e` list).
    pub only: Option<Vec<String>>,
}

impl FieldSink for Collected {
    fn field(&mut self, f: &Field<'_>) {
        if let Some(only) = &self.only {
            if !only.iter().any(|n| n == f.name) {
                return;
            }
        }
        self.push(f.name, |w| f.value.write_to(w), f.value.is_numeric());
    }
}

impl Collected {
    pub fn with_only(only: Option<Vec<String>>) -> Self {
        Collected { only, ..Default::default() }
    }

    fn push(&mut self, name: &'static str, write: impl FnOnce(&mut Vec<u8>), numeric: bool) {
        let start = self.text.len() as u32;
        write(&mut self.text);
        let end = self.text.len() as u32;
        self.entries.push(Entry { name, start, end, numeric });
    }

    fn wanted(&self, name: &str) -> bool {
        self.only.as_ref().is_none_or(|o| o.iter().any(|n| n == name))
    }

    /// Collects every field of `pkt`, plus the column pseudo-fields
    /// (`_ws.col.protocol`, `_ws.col.info`) and `_ws.malformed`.
    pub fn fill(&mut self, pkt: &Packet<'_>) {
        self.text.clear();
        self.entries.clear();
        dissect::all_fields(pkt, self);
        if self.wanted("_ws.col.protocol") {
            self.push("_ws.col.protocol", |w| w.extend_from_slice(dissect::top_protocol(pkt).as_bytes()), false);
        }
        if self.wanted("_ws.col.info") {
            self.push("_ws.col.info", |w| dissect::info(pkt, w), false);
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
                );
            }
        }
    }

    pub fn value(&self, e: &Entry) -> &[u8] {
        &self.text[e.start as usize..e.end as usize]
    }

    /// Calls `f` once per distinct name, in order of first occurrence, with
    /// the number of entries of that name and the index of the first one.
    pub fn groups(&self, mut f: impl FnMut(&'static str, usize, usize)) {
        for (i, e) in self.entries.iter().enumerate() {
            if self.entries[..i].iter().any(|x| same(x.name, e.name)) {
                continue;
            }
            let n = 1 + self.entries[i + 1..].iter().filter(|x| same(x.name, e.name)).count();
            f(e.name, n, i);
        }
    }

    /// Entries named like `entries[first]`, from `first` on.
    pub fn same_name(&self, first: usize) -> impl Iterator<Item = &Entry> {
        let name = self.entries[first].name;
        self.entries[first..].iter().filter(move |x| same(x.name, name))
    }
}

#[inline]
fn same(a: &'static str, b: &'static str) -> bool {
    std::ptr::eq(a, b) || a == b
}
