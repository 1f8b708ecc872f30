//! HPACK (RFC 7541): the header compression of HTTP/2.
//!
//! A decoder for hostile input: every integer, string and index is checked,
//! integers past 2^32 are errors, and the dynamic table is bounded by the
//! size the peer announced (SETTINGS_HEADER_TABLE_SIZE, capped by the
//! caller) so a header block cannot grow memory beyond it. Decoding never
//! panics; an error stops the block and the table stays as it was left.
//! The static table (Appendix A) and Huffman code (Appendix B) are the
//! RFC's.

use std::collections::VecDeque;

/// Why a header block could not be decoded (to its end).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HpackError {
    /// An integer or string runs past the block.
    Truncated,
    /// An integer needs more than 32 bits.
    IntegerOverflow,
    /// An index names no entry of the static or dynamic table.
    BadIndex(u32),
    /// A Huffman string is invalid (EOS inside, bad padding).
    Huffman,
    /// A dynamic table size update above the allowed maximum.
    TableSize(u32),
}

impl std::fmt::Display for HpackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HpackError::Truncated => f.write_str("header block truncated"),
            HpackError::IntegerOverflow => f.write_str("integer too large"),
            HpackError::BadIndex(i) => write!(f, "header index {i} out of range"),
            HpackError::Huffman => f.write_str("invalid Huffman string"),
            HpackError::TableSize(n) => write!(f, "table size update {n} above the maximum"),
        }
    }
}

/// How a header was represented, as Wireshark names it (`http2.header.repr`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repr {
    Indexed,
    IncrementalIndexedName,
    IncrementalNewName,
    WithoutIndexedName,
    WithoutNewName,
    NeverIndexedName,
    NeverNewName,
}

impl Repr {
    pub fn name(self) -> &'static str {
        match self {
            Repr::Indexed => "Indexed Header Field",
            Repr::IncrementalIndexedName => {
                "Literal Header Field with Incremental Indexing - Indexed Name"
            }
            Repr::IncrementalNewName => "Literal Header Field with Incremental Indexing - New Name",
            Repr::WithoutIndexedName => "Literal Header Field without Indexing - Indexed Name",
            Repr::WithoutNewName => "Literal Header Field without Indexing - New Name",
            Repr::NeverIndexedName => "Literal Header Field never Indexed - Indexed Name",
            Repr::NeverNewName => "Literal Header Field never Indexed - New Name",
        }
    }

    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn from_code(c: u8) -> Option<Repr> {
        use Repr::*;
        [
            Indexed,
            IncrementalIndexedName,
            IncrementalNewName,
            WithoutIndexedName,
            WithoutNewName,
            NeverIndexedName,
            NeverNewName,
        ]
        .get(c as usize)
        .copied()
    }
}

/// One decoded header, handed to the caller's callback.
pub struct Header<'h> {
    pub name: &'h [u8],
    pub value: &'h [u8],
    pub repr: Repr,
    /// The table index used (the entry, or its name); 0 for a new name.
    pub index: u32,
}

/// Default and maximum table size before any SETTINGS (RFC 7540 6.5.2).
pub const DEFAULT_TABLE_SIZE: usize = 4096;
/// Per-entry overhead counted in a table's size (RFC 7541 4.1).
const ENTRY_OVERHEAD: usize = 32;

/// A dynamic table entry: name and value.
type Entry = (Box<[u8]>, Box<[u8]>);

/// One direction's decoding state: its dynamic table.
#[derive(Debug)]
pub struct Decoder {
    table: VecDeque<Entry>,
    size: usize,
    /// The table size the encoder chose (by a size update), at most `limit`.
    max: usize,
    /// The most the encoder may choose: the decoder side's
    /// SETTINGS_HEADER_TABLE_SIZE, clipped to the caller's cap.
    limit: usize,
    /// Entries evicted to stay under `max`.
    pub evicted: u64,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new(DEFAULT_TABLE_SIZE)
    }
}

impl Decoder {
    pub fn new(limit: usize) -> Self {
        Decoder {
            table: VecDeque::new(),
            size: 0,
            max: limit,
            limit,
            evicted: 0,
        }
    }

    /// Bytes the dynamic table holds, as RFC 7541 counts them.
    pub fn size(&self) -> usize {
        self.size
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// A new SETTINGS_HEADER_TABLE_SIZE (clipped by the caller's cap): the
    /// encoder may use up to it; a smaller one applies at once.
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
        if self.max > limit {
            self.max = limit;
            self.evict_to(limit);
        }
    }

    fn evict_to(&mut self, max: usize) {
        while self.size > max {
            let Some((n, v)) = self.table.pop_back() else {
                self.size = 0;
                break;
            };
            self.size = self.size.saturating_sub(n.len() + v.len() + ENTRY_OVERHEAD);
            self.evicted += 1;
        }
    }

    fn insert(&mut self, name: &[u8], value: &[u8]) {
        let need = name.len() + value.len() + ENTRY_OVERHEAD;
        if need > self.max {
            // An entry larger than the table empties it (RFC 7541 4.4).
            self.evicted += self.table.len() as u64;
            self.table.clear();
            self.size = 0;
            return;
        }
        self.evict_to(self.max - need);
        self.table.push_front((name.into(), value.into()));
        self.size += need;
    }

    fn get(&self, index: u32) -> Result<(&[u8], &[u8]), HpackError> {
        let i = index as usize;
        if i == 0 {
            return Err(HpackError::BadIndex(index));
        }
        if let Some(&(n, v)) = STATIC_TABLE.get(i - 1) {
            return Ok((n, v));
        }
        self.table
            .get(i - 1 - STATIC_TABLE.len())
            .map(|(n, v)| (&n[..], &v[..]))
            .ok_or(HpackError::BadIndex(index))
    }

    /// Decodes one header block (HEADERS plus its CONTINUATIONs, joined),
    /// calling `each` per header in order. On an error the headers before
    /// it have been handed on; the table keeps what they inserted.
    pub fn decode(
        &mut self,
        block: &[u8],
        mut each: impl FnMut(&Header<'_>),
    ) -> Result<(), HpackError> {
        let mut at = 0;
        let mut name_buf = Vec::new();
        let mut value_buf = Vec::new();
        while at < block.len() {
            let b = block[at];
            if b & 0x80 != 0 {
                let (idx, n) = integer(&block[at..], 7)?;
                at += n;
                let (name, value) = self.get(idx)?;
                each(&Header {
                    name,
                    value,
                    repr: Repr::Indexed,
                    index: idx,
                });
                continue;
            }
            if b & 0xe0 == 0x20 {
                let (size, n) = integer(&block[at..], 5)?;
                at += n;
                if size as usize > self.limit {
                    return Err(HpackError::TableSize(size));
                }
                self.max = size as usize;
                self.evict_to(self.max);
                continue;
            }
            let (prefix, indexed_repr, new_repr) = if b & 0x40 != 0 {
                (6, Repr::IncrementalIndexedName, Repr::IncrementalNewName)
            } else if b & 0x10 != 0 {
                (4, Repr::NeverIndexedName, Repr::NeverNewName)
            } else {
                (4, Repr::WithoutIndexedName, Repr::WithoutNewName)
            };
            let (idx, n) = integer(&block[at..], prefix)?;
            at += n;
            name_buf.clear();
            if idx == 0 {
                at += string(&block[at..], &mut name_buf)?;
            } else {
                name_buf.extend_from_slice(self.get(idx)?.0);
            }
            value_buf.clear();
            at += string(&block[at..], &mut value_buf)?;
            let repr = if idx == 0 { new_repr } else { indexed_repr };
            each(&Header {
                name: &name_buf,
                value: &value_buf,
                repr,
                index: idx,
            });
            if prefix == 6 {
                self.insert(&name_buf, &value_buf);
            }
        }
        Ok(())
    }
}

/// An integer with an N-bit prefix (RFC 7541 5.1): (value, bytes used).
pub fn integer(b: &[u8], prefix: u8) -> Result<(u32, usize), HpackError> {
    let first = *b.first().ok_or(HpackError::Truncated)?;
    let mask = ((1u16 << prefix) - 1) as u8;
    let mut v = (first & mask) as u64;
    if v < mask as u64 {
        return Ok((v as u32, 1));
    }
    let mut shift = 0u32;
    for (i, &c) in b.iter().enumerate().skip(1) {
        if shift > 28 {
            return Err(HpackError::IntegerOverflow);
        }
        v += ((c & 0x7f) as u64) << shift;
        if v > u32::MAX as u64 {
            return Err(HpackError::IntegerOverflow);
        }
        shift += 7;
        if c & 0x80 == 0 {
            return Ok((v as u32, i + 1));
        }
    }
    Err(HpackError::Truncated)
}

/// A string literal (RFC 7541 5.2) appended to `out`: bytes used.
fn string(b: &[u8], out: &mut Vec<u8>) -> Result<usize, HpackError> {
    let huff = b.first().ok_or(HpackError::Truncated)? & 0x80 != 0;
    let (len, n) = integer(b, 7)?;
    let end = n
        .checked_add(len as usize)
        .filter(|&e| e <= b.len())
        .ok_or(HpackError::Truncated)?;
    let raw = &b[n..end];
    if huff {
        huffman_decode(raw, out)?;
    } else {
        out.extend_from_slice(raw);
    }
    Ok(end)
}

/// Decodes a Huffman-coded string (RFC 7541 5.2, Appendix B), bit by bit
/// against the canonical code: codes are 5 to 30 bits long, and at each
/// length the codes of that length form one contiguous range.
pub fn huffman_decode(b: &[u8], out: &mut Vec<u8>) -> Result<(), HpackError> {
    let mut code: u32 = 0;
    let mut len: u8 = 0;
    for &byte in b {
        for bit in (0..8).rev() {
            code = (code << 1) | ((byte >> bit) & 1) as u32;
            len += 1;
            if let Some(sym) = lookup(code, len) {
                if sym == 256 {
                    // EOS inside the string is an error (5.2).
                    return Err(HpackError::Huffman);
                }
                out.push(sym as u8);
                code = 0;
                len = 0;
            } else if len >= 30 {
                return Err(HpackError::Huffman);
            }
        }
    }
    // Padding: fewer than 8 bits, all ones (the EOS prefix).
    if len > 7 || code != (1u32 << len) - 1 {
        return Err(HpackError::Huffman);
    }
    Ok(())
}

/// The symbol whose code is `code` of `len` bits, if any.
fn lookup(code: u32, len: u8) -> Option<u16> {
    let t = decode_table();
    let (first_code, first_idx, count) = *t.by_len.get(len as usize)?;
    if count == 0 || code < first_code || code - first_code >= count as u32 {
        return None;
    }
    Some(t.symbols[first_idx as usize + (code - first_code) as usize])
}

struct DecodeTable {
    /// Per code length: first code, index of its first symbol, how many.
    by_len: [(u32, u16, u16); 31],
    /// Symbols sorted by (length, code).
    symbols: [u16; 257],
}

fn decode_table() -> &'static DecodeTable {
    static T: std::sync::OnceLock<DecodeTable> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let mut order: Vec<u16> = (0..257).collect();
        order.sort_by_key(|&s| {
            let (c, l) = HUFFMAN_CODE_TABLE[s as usize];
            (l, c)
        });
        let mut t = DecodeTable {
            by_len: [(0, 0, 0); 31],
            symbols: [0; 257],
        };
        for (i, &s) in order.iter().enumerate() {
            t.symbols[i] = s;
            let (c, l) = HUFFMAN_CODE_TABLE[s as usize];
            let e = &mut t.by_len[l as usize];
            if e.2 == 0 {
                *e = (c, i as u16, 0);
            }
            e.2 += 1;
        }
        t
    })
}

/// RFC 7541 Appendix A.
pub static STATIC_TABLE: &[(&[u8], &[u8])] = &[
    (b":authority", b""),
    (b":method", b"GET"),
    (b":method", b"POST"),
    (b":path", b"/"),
    (b":path", b"/index.html"),
    (b":scheme", b"http"),
    (b":scheme", b"https"),
    (b":status", b"200"),
    (b":status", b"204"),
    (b":status", b"206"),
    (b":status", b"304"),
    (b":status", b"400"),
    (b":status", b"404"),
    (b":status", b"500"),
    (b"accept-charset", b""),
    (b"accept-encoding", b"gzip, deflate"),
    (b"accept-language", b""),
    (b"accept-ranges", b""),
    (b"accept", b""),
    (b"access-control-allow-origin", b""),
    (b"age", b""),
    (b"allow", b""),
    (b"authorization", b""),
    (b"cache-control", b""),
    (b"content-disposition", b""),
    (b"content-encoding", b""),
    (b"content-language", b""),
    (b"content-length", b""),
    (b"content-location", b""),
    (b"content-range", b""),
    (b"content-type", b""),
    (b"cookie", b""),
    (b"date", b""),
    (b"etag", b""),
    (b"expect", b""),
    (b"expires", b""),
    (b"from", b""),
    (b"host", b""),
    (b"if-match", b""),
    (b"if-modified-since", b""),
    (b"if-none-match", b""),
    (b"if-range", b""),
    (b"if-unmodified-since", b""),
    (b"last-modified", b""),
    (b"link", b""),
    (b"location", b""),
    (b"max-forwards", b""),
    (b"proxy-authenticate", b""),
    (b"proxy-authorization", b""),
    (b"range", b""),
    (b"referer", b""),
    (b"refresh", b""),
    (b"retry-after", b""),
    (b"server", b""),
    (b"set-cookie", b""),
    (b"strict-transport-security", b""),
    (b"transfer-encoding", b""),
    (b"user-agent", b""),
    (b"vary", b""),
    (b"via", b""),
    (b"www-authenticate", b""),
];

/// RFC 7541 Appendix B: (code, bit length) per symbol, EOS last.
static HUFFMAN_CODE_TABLE: &[(u32, u8)] = &[
    (0x1ff8, 13),
    (0x7fffd8, 23),
    (0xfffffe2, 28),
    (0xfffffe3, 28),
    (0xfffffe4, 28),
    (0xfffffe5, 28),
    (0xfffffe6, 28),
    (0xfffffe7, 28),
    (0xfffffe8, 28),
    (0xffffea, 24),
    (0x3ffffffc, 30),
    (0xfffffe9, 28),
    (0xfffffea, 28),
    (0x3ffffffd, 30),
    (0xfffffeb, 28),
    (0xfffffec, 28),
    (0xfffffed, 28),
    (0xfffffee, 28),
    (0xfffffef, 28),
    (0xffffff0, 28),
    (0xffffff1, 28),
    (0xffffff2, 28),
    (0x3ffffffe, 30),
    (0xffffff3, 28),
    (0xffffff4, 28),
    (0xffffff5, 28),
    (0xffffff6, 28),
    (0xffffff7, 28),
    (0xffffff8, 28),
    (0xffffff9, 28),
    (0xffffffa, 28),
    (0xffffffb, 28),
    (0x14, 6),
    (0x3f8, 10),
    (0x3f9, 10),
    (0xffa, 12),
    (0x1ff9, 13),
    (0x15, 6),
    (0xf8, 8),
    (0x7fa, 11),
    (0x3fa, 10),
    (0x3fb, 10),
    (0xf9, 8),
    (0x7fb, 11),
    (0xfa, 8),
    (0x16, 6),
    (0x17, 6),
    (0x18, 6),
    (0x0, 5),
    (0x1, 5),
    (0x2, 5),
    (0x19, 6),
    (0x1a, 6),
    (0x1b, 6),
    (0x1c, 6),
    (0x1d, 6),
    (0x1e, 6),
    (0x1f, 6),
    (0x5c, 7),
    (0xfb, 8),
    (0x7ffc, 15),
    (0x20, 6),
    (0xffb, 12),
    (0x3fc, 10),
    (0x1ffa, 13),
    (0x21, 6),
    (0x5d, 7),
    (0x5e, 7),
    (0x5f, 7),
    (0x60, 7),
    (0x61, 7),
    (0x62, 7),
    (0x63, 7),
    (0x64, 7),
    (0x65, 7),
    (0x66, 7),
    (0x67, 7),
    (0x68, 7),
    (0x69, 7),
    (0x6a, 7),
    (0x6b, 7),
    (0x6c, 7),
    (0x6d, 7),
    (0x6e, 7),
    (0x6f, 7),
    (0x70, 7),
    (0x71, 7),
    (0x72, 7),
    (0xfc, 8),
    (0x73, 7),
    (0xfd, 8),
    (0x1ffb, 13),
    (0x7fff0, 19),
    (0x1ffc, 13),
    (0x3ffc, 14),
    (0x22, 6),
    (0x7ffd, 15),
    (0x3, 5),
    (0x23, 6),
    (0x4, 5),
    (0x24, 6),
    (0x5, 5),
    (0x25, 6),
    (0x26, 6),
    (0x27, 6),
    (0x6, 5),
    (0x74, 7),
    (0x75, 7),
    (0x28, 6),
    (0x29, 6),
    (0x2a, 6),
    (0x7, 5),
    (0x2b, 6),
    (0x76, 7),
    (0x2c, 6),
    (0x8, 5),
    (0x9, 5),
    (0x2d, 6),
    (0x77, 7),
    (0x78, 7),
    (0x79, 7),
    (0x7a, 7),
    (0x7b, 7),
    (0x7ffe, 15),
    (0x7fc, 11),
    (0x3ffd, 14),
    (0x1ffd, 13),
    (0xffffffc, 28),
    (0xfffe6, 20),
    (0x3fffd2, 22),
    (0xfffe7, 20),
    (0xfffe8, 20),
    (0x3fffd3, 22),
    (0x3fffd4, 22),
    (0x3fffd5, 22),
    (0x7fffd9, 23),
    (0x3fffd6, 22),
    (0x7fffda, 23),
    (0x7fffdb, 23),
    (0x7fffdc, 23),
    (0x7fffdd, 23),
    (0x7fffde, 23),
    (0xffffeb, 24),
    (0x7fffdf, 23),
    (0xffffec, 24),
    (0xffffed, 24),
    (0x3fffd7, 22),
    (0x7fffe0, 23),
    (0xffffee, 24),
    (0x7fffe1, 23),
    (0x7fffe2, 23),
    (0x7fffe3, 23),
    (0x7fffe4, 23),
    (0x1fffdc, 21),
    (0x3fffd8, 22),
    (0x7fffe5, 23),
    (0x3fffd9, 22),
    (0x7fffe6, 23),
    (0x7fffe7, 23),
    (0xffffef, 24),
    (0x3fffda, 22),
    (0x1fffdd, 21),
    (0xfffe9, 20),
    (0x3fffdb, 22),
    (0x3fffdc, 22),
    (0x7fffe8, 23),
    (0x7fffe9, 23),
    (0x1fffde, 21),
    (0x7fffea, 23),
    (0x3fffdd, 22),
    (0x3fffde, 22),
    (0xfffff0, 24),
    (0x1fffdf, 21),
    (0x3fffdf, 22),
    (0x7fffeb, 23),
    (0x7fffec, 23),
    (0x1fffe0, 21),
    (0x1fffe1, 21),
    (0x3fffe0, 22),
    (0x1fffe2, 21),
    (0x7fffed, 23),
    (0x3fffe1, 22),
    (0x7fffee, 23),
    (0x7fffef, 23),
    (0xfffea, 20),
    (0x3fffe2, 22),
    (0x3fffe3, 22),
    (0x3fffe4, 22),
    (0x7ffff0, 23),
    (0x3fffe5, 22),
    (0x3fffe6, 22),
    (0x7ffff1, 23),
    (0x3ffffe0, 26),
    (0x3ffffe1, 26),
    (0xfffeb, 20),
    (0x7fff1, 19),
    (0x3fffe7, 22),
    (0x7ffff2, 23),
    (0x3fffe8, 22),
    (0x1ffffec, 25),
    (0x3ffffe2, 26),
    (0x3ffffe3, 26),
    (0x3ffffe4, 26),
    (0x7ffffde, 27),
    (0x7ffffdf, 27),
    (0x3ffffe5, 26),
    (0xfffff1, 24),
    (0x1ffffed, 25),
    (0x7fff2, 19),
    (0x1fffe3, 21),
    (0x3ffffe6, 26),
    (0x7ffffe0, 27),
    (0x7ffffe1, 27),
    (0x3ffffe7, 26),
    (0x7ffffe2, 27),
    (0xfffff2, 24),
    (0x1fffe4, 21),
    (0x1fffe5, 21),
    (0x3ffffe8, 26),
    (0x3ffffe9, 26),
    (0xffffffd, 28),
    (0x7ffffe3, 27),
    (0x7ffffe4, 27),
    (0x7ffffe5, 27),
    (0xfffec, 20),
    (0xfffff3, 24),
    (0xfffed, 20),
    (0x1fffe6, 21),
    (0x3fffe9, 22),
    (0x1fffe7, 21),
    (0x1fffe8, 21),
    (0x7ffff3, 23),
    (0x3fffea, 22),
    (0x3fffeb, 22),
    (0x1ffffee, 25),
    (0x1ffffef, 25),
    (0xfffff4, 24),
    (0xfffff5, 24),
    (0x3ffffea, 26),
    (0x7ffff4, 23),
    (0x3ffffeb, 26),
    (0x7ffffe6, 27),
    (0x3ffffec, 26),
    (0x3ffffed, 26),
    (0x7ffffe7, 27),
    (0x7ffffe8, 27),
    (0x7ffffe9, 27),
    (0x7ffffea, 27),
    (0x7ffffeb, 27),
    (0xffffffe, 28),
    (0x7ffffec, 27),
    (0x7ffffed, 27),
    (0x7ffffee, 27),
    (0x7ffffef, 27),
    (0x7fffff0, 27),
    (0x3ffffee, 26),
    (0x3fffffff, 30),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn run(d: &mut Decoder, block: &str) -> Vec<(String, String)> {
        let mut v = Vec::new();
        d.decode(&hex(block), |h| {
            v.push((
                String::from_utf8_lossy(h.name).into_owned(),
                String::from_utf8_lossy(h.value).into_owned(),
            ))
        })
        .expect("decodes");
        v
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn integers_rfc7541_c1() {
        assert_eq!(integer(&[0b01010], 5), Ok((10, 1)));
        assert_eq!(
            integer(&[0b11111, 0b10011010, 0b00001010], 5),
            Ok((1337, 3))
        );
        assert_eq!(integer(&[42], 8), Ok((42, 1)));
        assert_eq!(integer(&[0x1f], 5), Err(HpackError::Truncated));
        // Huge integers are errors, never overflow.
        let huge = [0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f];
        assert_eq!(integer(&huge, 5), Err(HpackError::IntegerOverflow));
        let long = [[0x7fu8].as_slice(), &[0x80; 4000], &[0]].concat();
        assert!(integer(&long, 7).is_err());
    }

    #[test]
    fn requests_with_huffman_rfc7541_c4() {
        let mut d = Decoder::default();
        let base = [
            (":method", "GET"),
            (":scheme", "http"),
            (":path", "/"),
            (":authority", "www.example.com"),
        ];
        assert_eq!(
            run(&mut d, "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff"),
            pairs(&base)
        );
        assert_eq!(d.size(), 57);
        let mut second = base.to_vec();
        second.push(("cache-control", "no-cache"));
        assert_eq!(run(&mut d, "8286 84be 5886 a8eb 1064 9cbf"), pairs(&second));
        assert_eq!(d.size(), 110);
        assert_eq!(
            run(
                &mut d,
                "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"
            ),
            pairs(&[
                (":method", "GET"),
                (":scheme", "https"),
                (":path", "/index.html"),
                (":authority", "www.example.com"),
                ("custom-key", "custom-value"),
            ])
        );
        assert_eq!((d.len(), d.size()), (3, 164));
    }

    #[test]
    fn responses_with_eviction_rfc7541_c6() {
        let mut d = Decoder::new(256);
        let r1 = run(
            &mut d,
            "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 \
             2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
        );
        assert_eq!(
            r1,
            pairs(&[
                (":status", "302"),
                ("cache-control", "private"),
                ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
                ("location", "https://www.example.com"),
            ])
        );
        assert_eq!(d.size(), 222);
        let r2 = run(&mut d, "4883 640e ffc1 c0bf");
        assert_eq!(r2[0], (":status".into(), "307".into()));
        assert_eq!(d.size(), 222);
        assert_eq!(d.evicted, 1);
        let r3 = run(
            &mut d,
            "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab \
             77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f \
             9587 3160 65c0 03ed 4ee5 b106 3d50 07",
        );
        assert_eq!(
            r3.last().unwrap().1,
            "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"
        );
        assert_eq!(d.size(), 215);
    }

    #[test]
    fn hostile_blocks_are_errors() {
        let mut d = Decoder::default();
        let mut e = |b: &[u8]| d.decode(b, |_| {}).unwrap_err();
        assert_eq!(e(&[0x80]), HpackError::BadIndex(0));
        assert_eq!(e(&[0xff, 0x80, 0x01]), HpackError::BadIndex(255));
        assert_eq!(e(&[0x40, 0x85, b'a']), HpackError::Truncated);
        // A size update above the limit.
        assert_eq!(e(&[0x3f, 0xe1, 0x7f]), HpackError::TableSize(16384));
        // A string length of 2^32 - 1.
        assert_eq!(
            e(&[0x40, 0x7f, 0x80, 0xff, 0xff, 0xff, 0x0f]),
            HpackError::Truncated
        );
        // EOS inside a Huffman string; padding of zeros.
        assert_eq!(
            e(&[0x40, 0x84, 0xff, 0xff, 0xff, 0xff, 0x00]),
            HpackError::Huffman
        );
        assert_eq!(e(&[0x40, 0x81, 0x00, 0x00]), HpackError::Huffman);
    }

    #[test]
    fn table_is_bounded_by_its_limit() {
        let mut d = Decoder::new(100);
        let mut block = Vec::new();
        for i in 0..50u8 {
            block.extend_from_slice(&[0x40, 0x02, b'k', b'0' + i % 10, 0x01, b'v']);
        }
        d.decode(&block, |_| {}).unwrap();
        // Each entry: 2 + 1 + 32 = 35 bytes: two fit in 100.
        assert_eq!((d.len(), d.size()), (2, 70));
        assert_eq!(d.evicted, 48);
        d.set_limit(40);
        assert_eq!(d.len(), 1);
    }
}
