//! Parquet: one column per field, named by its Wireshark name and typed
//! from the protocols' field tables, written a row group at a time so that
//! memory stays flat whatever the capture's size.
//!
//! Typing (see the README's "Parquet and DuckDB"): unsigned integers are
//! UINT64, signed INT64, booleans BOOLEAN, absolute times TIMESTAMP(NANOS),
//! relative times DECIMAL(18,9) seconds, doubles DOUBLE, and addresses,
//! strings and bytes (hex) UTF-8 strings. Frame metadata (`frame.*`) and the
//! column pseudo-fields (`_ws.*`) occur once per packet and are plain
//! optional columns; every protocol field may occur more than once (the
//! outer and inner `ip.src` of a tunnel, several `dns.qry.name`), and a
//! streaming writer must fix its schema before it has seen the rows, so
//! those are LIST columns (null when the packet has no such field).
//!
//! The file is built in memory one row group at a time and each finished
//! row group goes out to the writer at once, so the output may be any
//! `Write` (a file, a pipe) and needs no seeking.

use crate::dissect::{self, Field, FieldSink, FieldType, IssueKind, Packet, Value};
use crate::engine::parallel::{Split, StreamMap};
use crate::engine::{Sink, Status};
use crate::filter::scope::Scope;
use crate::flow::conversations::Conversation;
use crate::source::Timestamp;
use parquet::basic::{Compression, LogicalType, Repetition, TimeUnit, Type as Physical, ZstdLevel};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::{Type, TypePtr};
use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Rows buffered before a row group is written.
pub const ROW_GROUP_ROWS: usize = 64 * 1024;
/// Buffered value bytes that also end a row group (payload fields are long).
const ROW_GROUP_BYTES: usize = 64 << 20;

/// The columns written when `-e` names none.
pub const DEFAULT_FIELDS: &[&str] = &[
    "frame.number",
    "frame.time",
    "frame.len",
    "frame.protocols",
    "eth.src",
    "eth.dst",
    "ip.src",
    "ip.dst",
    "ipv6.src",
    "ipv6.dst",
    "ip.proto",
    "tcp.srcport",
    "tcp.dstport",
    "udp.srcport",
    "udp.dstport",
    "tcp.stream",
    "udp.stream",
    "tcp.flags",
    "tcp.len",
    "dns.qry.name",
    "http.host",
    "tls.handshake.extensions_server_name",
    "_ws.col.protocol",
    "_ws.col.info",
];

/// A column's value type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    U64,
    I64,
    Bool,
    Str,
    /// Nanoseconds since the epoch, UTC.
    Time,
    /// Seconds with nine decimals (DECIMAL(18,9), nanoseconds inside).
    Secs,
    F64,
}

impl Kind {
    pub fn of(ty: FieldType) -> Kind {
        match ty {
            FieldType::Uint => Kind::U64,
            FieldType::Int => Kind::I64,
            FieldType::Bool => Kind::Bool,
            FieldType::AbsTime => Kind::Time,
            FieldType::RelTime => Kind::Secs,
            FieldType::Float => Kind::F64,
            FieldType::Proto
            | FieldType::Ipv4
            | FieldType::Ipv6
            | FieldType::Mac
            | FieldType::Str
            | FieldType::Bytes => Kind::Str,
        }
    }
}

/// One column: its name, type, and whether it is a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnSpec {
    pub name: String,
    pub kind: Kind,
    pub list: bool,
}

impl ColumnSpec {
    /// The column for a field name: typed from the declarations (column
    /// pseudo-fields are strings), a list unless it is per-frame.
    pub fn for_field(name: &str) -> ColumnSpec {
        let kind = crate::dissect::registry::vocabulary()
            .get(name)
            .map_or(Kind::Str, |&t| Kind::of(t));
        ColumnSpec {
            name: name.to_string(),
            kind,
            list: !(name.starts_with("frame.") || name.starts_with("_ws.")),
        }
    }

    fn scalar(name: &str, kind: Kind) -> ColumnSpec {
        ColumnSpec {
            name: name.to_string(),
            kind,
            list: false,
        }
    }

    fn parquet_type(&self) -> io::Result<TypePtr> {
        let (physical, logical, scale) = match self.kind {
            Kind::U64 => (Physical::INT64, Some(LogicalType::integer(64, false)), None),
            Kind::I64 => (Physical::INT64, None, None),
            Kind::Bool => (Physical::BOOLEAN, None, None),
            Kind::Str => (Physical::BYTE_ARRAY, Some(LogicalType::String), None),
            Kind::Time => (
                Physical::INT64,
                Some(LogicalType::timestamp(false, TimeUnit::NANOS)),
                None,
            ),
            Kind::Secs => (Physical::INT64, Some(LogicalType::decimal(9, 18)), Some(9)),
            Kind::F64 => (Physical::DOUBLE, None, None),
        };
        let leaf = |name: &str, rep| {
            let mut b = Type::primitive_type_builder(name, physical)
                .with_repetition(rep)
                .with_logical_type(logical.clone());
            if let Some(s) = scale {
                b = b.with_precision(18).with_scale(s);
            }
            b.build().map_err(io::Error::other)
        };
        if !self.list {
            return Ok(Arc::new(leaf(&self.name, Repetition::OPTIONAL)?));
        }
        // The standard three-level list: optional group (LIST) { repeated
        // group list { optional element } }.
        let element = Arc::new(leaf("element", Repetition::OPTIONAL)?);
        let list = Type::group_type_builder("list")
            .with_repetition(Repetition::REPEATED)
            .with_fields(vec![element])
            .build()
            .map_err(io::Error::other)?;
        let outer = Type::group_type_builder(&self.name)
            .with_repetition(Repetition::OPTIONAL)
            .with_logical_type(Some(LogicalType::List))
            .with_fields(vec![Arc::new(list)])
            .build()
            .map_err(io::Error::other)?;
        Ok(Arc::new(outer))
    }
}

/// A value converted to its column's type; `Text`'s bytes are in a side
/// buffer.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Conv {
    Int(i64),
    Float(f64),
    Bool(bool),
    Text,
    /// Did not convert: written as a null and counted.
    Null,
    /// tshark's `NULL` for a zero NTP time: a null, not a failure.
    NullText,
}

impl Conv {
    /// Appends the value to a row record (a worker's encoding).
    fn encode(self, col: u32, text: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(&col.to_le_bytes());
        match self {
            Conv::Int(x) => {
                out.push(1);
                out.extend_from_slice(&x.to_le_bytes());
            }
            Conv::Float(f) => {
                out.push(2);
                out.extend_from_slice(&f.to_le_bytes());
            }
            Conv::Bool(b) => out.extend_from_slice(&[3, b as u8]),
            Conv::Text => {
                out.push(4);
                out.extend_from_slice(&(text.len() as u32).to_le_bytes());
                out.extend_from_slice(text);
            }
            Conv::Null => out.push(5),
            Conv::NullText => out.push(6),
        }
    }

    /// The next value of a row record: its column, the value, its text,
    /// and the rest of the record (None: the record ends or is cut).
    fn decode(b: &[u8]) -> Option<(u32, Conv, &[u8], &[u8])> {
        let col = u32::from_le_bytes(b.get(..4)?.try_into().ok()?);
        let tag = *b.get(4)?;
        let b = &b[5..];
        let eight = |b: &[u8]| -> Option<[u8; 8]> { b.get(..8)?.try_into().ok() };
        Some(match tag {
            1 => (
                col,
                Conv::Int(i64::from_le_bytes(eight(b)?)),
                &[][..],
                &b[8..],
            ),
            2 => (
                col,
                Conv::Float(f64::from_le_bytes(eight(b)?)),
                &[][..],
                &b[8..],
            ),
            3 => (col, Conv::Bool(*b.first()? != 0), &[][..], &b[1..]),
            4 => {
                let n = u32::from_le_bytes(b.get(..4)?.try_into().ok()?) as usize;
                let text = b.get(4..4 + n)?;
                (col, Conv::Text, text, &b[4 + n..])
            }
            5 => (col, Conv::Null, &[][..], b),
            6 => (col, Conv::NullText, &[][..], b),
            _ => return None,
        })
    }
}

/// `v` as a value of `kind` (text written to `text`).
fn convert(kind: Kind, v: &Value<'_>, text: &mut Vec<u8>) -> Conv {
    let null = match v {
        Value::Str("NULL") => Conv::NullText,
        _ => Conv::Null,
    };
    match kind {
        Kind::U64 => match *v {
            Value::U(x) | Value::Hex(x, _) => Conv::Int(x as i64),
            Value::I(x) if x >= 0 => Conv::Int(x),
            Value::Bool(b) => Conv::Int(b as i64),
            _ => null,
        },
        Kind::I64 => match *v {
            Value::I(x) => Conv::Int(x),
            Value::U(x) | Value::Hex(x, _) if x <= i64::MAX as u64 => Conv::Int(x as i64),
            Value::Bool(b) => Conv::Int(b as i64),
            _ => null,
        },
        Kind::Bool => match *v {
            Value::Bool(b) => Conv::Bool(b),
            Value::U(x) | Value::Hex(x, _) => Conv::Bool(x != 0),
            _ => null,
        },
        Kind::Time => match *v {
            Value::Epoch(s, n) | Value::Date(s, n) | Value::LocalDate(s, n) => {
                nanos(s, n).map_or(null, Conv::Int)
            }
            // Times a decoder formats itself (NTP's), as tshark prints them.
            Value::Str(s) => parse_utc_date(s).map_or(null, Conv::Int),
            _ => null,
        },
        Kind::Secs => match *v {
            Value::Nanos(n) => i64::try_from(n).map_or(null, Conv::Int),
            Value::Epoch(s, n) => nanos(s, n).map_or(null, Conv::Int),
            _ => null,
        },
        Kind::F64 => match *v {
            Value::Float(f) => Conv::Float(f),
            Value::U(x) => Conv::Float(x as f64),
            Value::I(x) => Conv::Float(x as f64),
            _ => null,
        },
        Kind::Str => {
            text.clear();
            v.write_to(text);
            Conv::Text
        }
    }
}

/// A column's buffered values for the current row group. Definition
/// levels: scalar 0 null / 1 value; list 0 null, 1 empty, 2 null element,
/// 3 element.
struct Col {
    spec: ColumnSpec,
    ints: Vec<i64>,
    floats: Vec<f64>,
    bools: Vec<bool>,
    text: Vec<u8>,
    ends: Vec<usize>,
    def: Vec<i16>,
    rep: Vec<i16>,
    /// The row this column last received a value in.
    row: u64,
}

impl Col {
    fn new(spec: ColumnSpec) -> Col {
        Col {
            spec,
            ints: Vec::new(),
            floats: Vec::new(),
            bools: Vec::new(),
            text: Vec::new(),
            ends: Vec::new(),
            def: Vec::new(),
            rep: Vec::new(),
            row: 0,
        }
    }

    /// Appends a converted value; false for a null (it did not convert).
    fn push(&mut self, c: Conv, text: &[u8]) -> bool {
        match c {
            Conv::Int(x) => self.ints.push(x),
            Conv::Float(f) => self.floats.push(f),
            Conv::Bool(b) => self.bools.push(b),
            Conv::Text => {
                self.text.extend_from_slice(text);
                self.ends.push(self.text.len());
            }
            Conv::Null | Conv::NullText => return false,
        }
        true
    }

    /// Writes this column's buffered values as one column chunk.
    fn write(
        &mut self,
        w: parquet::file::writer::SerializedColumnWriter<'_>,
    ) -> parquet::errors::Result<()> {
        let mut w = w;
        let rep = self.spec.list.then_some(&self.rep[..]);
        let def = Some(&self.def[..]);
        match self.spec.kind {
            Kind::U64 | Kind::I64 | Kind::Time | Kind::Secs => {
                w.typed::<Int64Type>().write_batch(&self.ints, def, rep)?;
            }
            Kind::Bool => {
                w.typed::<BoolType>().write_batch(&self.bools, def, rep)?;
            }
            Kind::F64 => {
                w.typed::<DoubleType>()
                    .write_batch(&self.floats, def, rep)?;
            }
            Kind::Str => {
                let all = bytes::Bytes::from(std::mem::take(&mut self.text));
                let mut start = 0;
                let vals: Vec<ByteArray> = self
                    .ends
                    .iter()
                    .map(|&e| {
                        let b = ByteArray::from(all.slice(start..e));
                        start = e;
                        b
                    })
                    .collect();
                w.typed::<ByteArrayType>().write_batch(&vals, def, rep)?;
            }
        }
        w.close()?;
        self.ints.clear();
        self.floats.clear();
        self.bools.clear();
        self.text.clear();
        self.ends.clear();
        self.def.clear();
        self.rep.clear();
        Ok(())
    }

    fn buffered_bytes(&self) -> usize {
        self.ints.len() * 8 + self.floats.len() * 8 + self.text.len() + self.def.len() * 4
    }
}

fn nanos(s: i64, n: u32) -> Option<i64> {
    s.checked_mul(1_000_000_000)?.checked_add(n as i64)
}

/// `Apr 14, 2024 00:25:36.071111110 UTC` (tshark's absolute time in UTC)
/// in nanoseconds since the epoch.
fn parse_utc_date(s: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let rest = s.strip_suffix(" UTC")?;
    let (mon, rest) = rest.split_once(' ')?;
    let (day, rest) = rest.split_once(", ")?;
    let (year, time) = rest.split_once(' ')?;
    let month = MONTHS.iter().position(|m| *m == mon)? as u8 + 1;
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let mut hms = hms.split(':').map(|x| x.parse::<i8>().ok());
    let (h, m, sec) = (hms.next()??, hms.next()??, hms.next()??);
    if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let ns: u32 = format!("{frac:0<9}").parse().ok()?;
    let date =
        jiff::civil::Date::new(year.parse().ok()?, month as i8, day.trim().parse().ok()?).ok()?;
    let t = date
        .at(h, m, sec, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()?
        .timestamp();
    nanos(t.as_second(), ns)
}

/// Column numbers by field name, cached by the name's address (field names
/// are the declarations' static strings). A packet's field pass asks once
/// per field, so the cache is a direct-mapped table of addresses, with a
/// fast-hashed map behind it for the names that collide.
struct Columns {
    /// (name address, column + 1, or 0 for none); address 0 is an empty slot.
    slots: Vec<(u64, u32)>,
    by_ptr: HashMap<u64, Option<u32>, crate::flow::FlowHasherBuilder>,
    by_name: HashMap<String, u32>,
    /// The layers whose fields can fill a column.
    scope: Arc<Scope>,
    /// The columns no declaration fills, looked up once:
    /// [`SPECIAL`]'s order.
    special: [Option<usize>; 5],
}

/// Columns from the packet's summary rather than a layer's field pass.
const SPECIAL: [&str; 5] = [
    "_ws.col.protocol",
    "_ws.col.Time",
    "_ws.col.info",
    "_ws.malformed",
    "_ws.short",
];

/// Direct-mapped slots: more than the fields of the layers in any one run.
const SLOT_BITS: u32 = 10;

impl Columns {
    fn new(specs: &[ColumnSpec]) -> Columns {
        let names: Vec<String> = specs.iter().map(|s| s.name.clone()).collect();
        Columns {
            scope: Arc::new(Scope::new(&names)),
            special: SPECIAL.map(|n| names.iter().position(|m| m == n)),
            slots: vec![(0, 0); 1 << SLOT_BITS],
            by_ptr: HashMap::with_hasher(crate::flow::FlowHasherBuilder::random()),
            by_name: specs
                .iter()
                .enumerate()
                .map(|(i, s)| (s.name.clone(), i as u32))
                .collect(),
        }
    }

    #[inline]
    fn column(&mut self, name: &'static str) -> Option<usize> {
        // Names are distinct statics, so the address alone identifies one;
        // a name's text can also be a prefix of another's at the same
        // address, so the length is folded in.
        let key = (name.as_ptr() as u64).wrapping_add((name.len() as u64) << 48);
        let slot = (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (u64::BITS - SLOT_BITS)) as usize;
        let (k, c) = self.slots[slot];
        if k == key {
            return c.checked_sub(1).map(|c| c as usize);
        }
        let c = match self.by_ptr.get(&key) {
            Some(&c) => c,
            None => {
                let c = self.by_name.get(name).copied();
                self.by_ptr.insert(key, c);
                c
            }
        };
        if k == 0 {
            self.slots[slot] = (key, c.map_or(0, |c| c + 1));
        }
        c.map(|c| c as usize)
    }
}

/// What a row's values go into: the table itself, or a worker's records.
trait Cells: FieldSink {
    fn columns(&self) -> &Columns;
    fn put(&mut self, i: usize, v: &Value<'_>);
}

/// One packet's fields, with the column pseudo-fields as `--format jsonl`
/// gives them.
fn packet_cells<C: Cells>(
    c: &mut C,
    pkt: &Packet<'_>,
    time_format: crate::dissect::timefmt::TimeFormat,
    s: &mut Vec<u8>,
) {
    // Only the layers that can fill a column: the field pass of the rest
    // would cost more than the columns' whole row.
    let scope = c.columns().scope.clone();
    scope.fields(pkt, c);
    let text = |c: &mut C, i: usize, b: &[u8]| match std::str::from_utf8(b) {
        Ok(t) => c.put(i, &Value::Str(t)),
        Err(_) => c.put(i, &Value::Str(&String::from_utf8_lossy(b))),
    };
    let [protocol, time, info, malformed, short] = c.columns().special;
    if let Some(i) = protocol {
        c.put(i, &Value::Str(dissect::top_protocol(pkt)));
    }
    if let Some(i) = time {
        s.clear();
        dissect::timefmt::write_column(s, time_format, pkt);
        text(c, i, s);
    }
    if let Some(i) = info {
        s.clear();
        dissect::info(pkt, s);
        text(c, i, s);
    }
    if let Some(issue) = pkt.issue {
        let column = match issue.kind {
            IssueKind::Malformed => malformed,
            IssueKind::Truncated => short,
        };
        if let Some(i) = column {
            s.clear();
            s.extend_from_slice(issue.proto.display().as_bytes());
            s.extend_from_slice(b": ");
            s.extend_from_slice(issue.msg.as_bytes());
            text(c, i, s);
        }
    }
}

/// Rows being gathered into the next row group.
pub struct Table {
    cols: Vec<Col>,
    index: Columns,
    rows: usize,
    /// The current row's number (from 1; 0: none yet).
    row: u64,
    /// Values whose type did not fit their column (written as nulls).
    pub unconvertible: u64,
    time_format: crate::dissect::timefmt::TimeFormat,
    scratch: Vec<u8>,
    text: Vec<u8>,
    /// Columns of stream indices, and their [`StreamMap`] slot.
    stream_cols: Vec<(u32, usize)>,
}

impl Table {
    pub fn new(specs: Vec<ColumnSpec>) -> Table {
        let stream_cols = specs
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let slot = crate::flow::stream_slot(&c.name)?;
                Some((i as u32, slot))
            })
            .collect();
        Table {
            stream_cols,
            index: Columns::new(&specs),
            cols: specs.into_iter().map(Col::new).collect(),
            rows: 0,
            row: 0,
            unconvertible: 0,
            time_format: Default::default(),
            scratch: Vec::new(),
            text: Vec::new(),
        }
    }

    /// The Parquet schema of these columns.
    pub fn schema(&self) -> io::Result<TypePtr> {
        let fields = self
            .cols
            .iter()
            .map(|c| c.spec.parquet_type())
            .collect::<io::Result<Vec<_>>>()?;
        Ok(Arc::new(
            Type::group_type_builder("layerscope")
                .with_fields(fields)
                .build()
                .map_err(io::Error::other)?,
        ))
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    fn begin_row(&mut self) {
        self.row += 1;
    }

    /// Column `i` receives a converted value in the current row.
    fn put_conv(&mut self, i: usize, c: Conv, text: &[u8]) {
        let row = self.row;
        let Some(col) = self.cols.get_mut(i) else {
            return;
        };
        let first = col.row != row;
        if !col.spec.list && !first {
            // A per-frame field given twice: the first one stands.
            return;
        }
        col.row = row;
        let ok = col.push(c, text);
        match (col.spec.list, ok) {
            (false, true) => col.def.push(1),
            (false, false) => col.def.push(0),
            (true, ok) => {
                col.def.push(if ok { 3 } else { 2 });
                col.rep.push(if first { 0 } else { 1 });
            }
        }
        if c == Conv::Null {
            self.unconvertible += 1;
        }
    }

    /// Nulls for the columns the row did not reach.
    fn end_row(&mut self) {
        let row = self.row;
        for c in &mut self.cols {
            if c.row != row {
                c.def.push(0);
                if c.spec.list {
                    c.rep.push(0);
                }
            }
        }
        self.rows += 1;
    }

    /// Gathers one packet's fields, with the column pseudo-fields as
    /// `--format jsonl` gives them.
    pub fn add_packet(&mut self, pkt: &Packet<'_>) {
        self.begin_row();
        let mut s = std::mem::take(&mut self.scratch);
        packet_cells(self, pkt, self.time_format, &mut s);
        self.scratch = s;
        self.end_row();
    }

    /// Gathers one row from a worker's record (see [`ParquetPart`]).
    /// A worker's record; `streams` makes its stream indices capture-wide
    /// (empty when they are already).
    fn add_record(&mut self, mut rec: &[u8], streams: &StreamMap) {
        let late = !streams.is_empty();
        self.begin_row();
        while let Some((i, mut c, text, rest)) = Conv::decode(rec) {
            if let (true, Conv::Int(x)) = (late, &mut c) {
                if let Some(&(_, slot)) = self.stream_cols.iter().find(|s| s.0 == i) {
                    if let Some(g) = u32::try_from(*x).ok().and_then(|x| streams.get(slot, x)) {
                        *x = i64::from(g);
                    }
                }
            }
            self.put_conv(i as usize, c, text);
            rec = rest;
        }
        self.end_row();
    }

    fn full(&self) -> bool {
        self.rows >= ROW_GROUP_ROWS
            || self.cols.iter().map(Col::buffered_bytes).sum::<usize>() >= ROW_GROUP_BYTES
    }

    /// Writes the buffered rows as one row group (nothing when none).
    fn write_group<W: Write + Send>(
        &mut self,
        w: &mut SerializedFileWriter<W>,
    ) -> parquet::errors::Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut rg = w.next_row_group()?;
        let mut i = 0;
        while let Some(c) = rg.next_column()? {
            self.cols[i].write(c)?;
            i += 1;
        }
        rg.close()?;
        self.rows = 0;
        Ok(())
    }
}

impl FieldSink for Table {
    fn tree(&self) -> bool {
        false
    }

    fn field(&mut self, f: &Field<'_>) {
        if let Some(i) = self.index.column(f.name) {
            Cells::put(self, i, &f.value);
        }
    }

    fn wants(&mut self, name: &'static str) -> bool {
        self.index.column(name).is_some()
    }
}

impl Cells for Table {
    fn columns(&self) -> &Columns {
        &self.index
    }

    fn put(&mut self, i: usize, v: &Value<'_>) {
        let Some(col) = self.cols.get(i) else {
            return;
        };
        if !col.spec.list && col.row == self.row {
            return;
        }
        let mut text = std::mem::take(&mut self.text);
        let c = convert(col.spec.kind, v, &mut text);
        self.put_conv(i, c, &text);
        self.text = text;
    }
}

/// One worker's rows for [`ParquetSink`] (`--threads`): each packet's
/// values converted to their columns' types and encoded as a record, which
/// the writer puts into the row group in frame order.
pub struct ParquetPart {
    index: Columns,
    kinds: Vec<Kind>,
    time_format: crate::dissect::timefmt::TimeFormat,
    rows: Vec<u8>,
    scratch: Vec<u8>,
    text: Vec<u8>,
}

impl FieldSink for ParquetPart {
    fn tree(&self) -> bool {
        false
    }

    fn field(&mut self, f: &Field<'_>) {
        if let Some(i) = self.index.column(f.name) {
            Cells::put(self, i, &f.value);
        }
    }

    fn wants(&mut self, name: &'static str) -> bool {
        self.index.column(name).is_some()
    }
}

impl Cells for ParquetPart {
    fn columns(&self) -> &Columns {
        &self.index
    }

    fn put(&mut self, i: usize, v: &Value<'_>) {
        let Some(&kind) = self.kinds.get(i) else {
            return;
        };
        let c = convert(kind, v, &mut self.text);
        c.encode(i as u32, &self.text, &mut self.rows);
    }
}

impl Sink for ParquetPart {
    /// The record: the timestamp (for `--partition hour`), then the values.
    fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
        self.rows.extend_from_slice(&pkt.ts.sec.to_le_bytes());
        self.rows.extend_from_slice(&pkt.ts.nsec.to_le_bytes());
        let mut s = std::mem::take(&mut self.scratch);
        packet_cells(self, pkt, self.time_format, &mut s);
        self.scratch = s;
        Ok(())
    }
}

impl Split for ParquetSink {
    type Part = ParquetPart;

    fn part(&self) -> ParquetPart {
        let specs: Vec<ColumnSpec> = self.table.cols.iter().map(|c| c.spec.clone()).collect();
        ParquetPart {
            index: Columns::new(&specs),
            kinds: specs.iter().map(|s| s.kind).collect(),
            time_format: self.table.time_format,
            rows: Vec::new(),
            scratch: Vec::new(),
            text: Vec::new(),
        }
    }

    fn rows(part: &mut ParquetPart) -> Option<&mut Vec<u8>> {
        Some(&mut part.rows)
    }

    fn emit(&mut self, rows: &[u8], _digits: u8, streams: &StreamMap) -> io::Result<()> {
        let (Some(sec), Some(nsec)) = (rows.get(..8), rows.get(8..12)) else {
            return Ok(());
        };
        let ts = Timestamp {
            sec: i64::from_le_bytes(sec.try_into().unwrap_or_default()),
            nsec: u32::from_le_bytes(nsec.try_into().unwrap_or_default()),
        };
        self.switch_hour(ts)?;
        self.table.add_record(&rows[12..], streams);
        self.group_if_full()
    }

    /// Records carry stream indices as integers: the merge maps them.
    fn late_streams(&self) -> bool {
        true
    }

    fn join(&mut self, _parts: Vec<ParquetPart>, status: &Status) -> io::Result<()> {
        Sink::finish(self, status)
    }
}

/// One Parquet file going out to `out` a row group at a time.
struct PqFile<O: Write> {
    w: SerializedFileWriter<Vec<u8>>,
    out: O,
}

impl<O: Write> PqFile<O> {
    fn new(out: O, schema: TypePtr) -> io::Result<PqFile<O>> {
        // Level 1, Arrow's own default: measured on a 1M-packet mix, 7 %
        // less time than level 3 for a file 1.6 % larger.
        let level = ZstdLevel::try_new(1).map_err(io::Error::other)?;
        let mut props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(level))
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_created_by(format!("layerscope {}", env!("CARGO_PKG_VERSION")));
        // Frame numbers and times differ in every row and mostly grow: a
        // dictionary of them is wasted work, their deltas are small.
        for t in schema.get_fields() {
            let info = t.get_basic_info();
            let rising = info.name() == "frame.number"
                || matches!(
                    info.logical_type_ref(),
                    Some(LogicalType::Timestamp { .. } | LogicalType::Decimal { .. })
                );
            if t.is_primitive() && t.get_physical_type() == Physical::INT64 && rising {
                let path = parquet::schema::types::ColumnPath::new(vec![info.name().to_string()]);
                props = props
                    .set_column_dictionary_enabled(path.clone(), false)
                    .set_column_encoding(path, parquet::basic::Encoding::DELTA_BINARY_PACKED);
            }
        }
        let props = props.build();
        let w = SerializedFileWriter::new(Vec::with_capacity(1 << 20), schema, Arc::new(props))
            .map_err(io::Error::other)?;
        let mut f = PqFile { w, out };
        // The magic bytes go out at once: the file exists from the start.
        f.drain()?;
        Ok(f)
    }

    /// Writes the table's rows as a row group and sends its bytes out.
    fn group(&mut self, t: &mut Table) -> io::Result<()> {
        t.write_group(&mut self.w).map_err(io::Error::other)?;
        self.drain()
    }

    fn drain(&mut self) -> io::Result<()> {
        self.w.flush()?;
        let buf = self.w.inner_mut();
        self.out.write_all(buf)?;
        buf.clear();
        Ok(())
    }

    fn close(self) -> io::Result<()> {
        let PqFile { w, mut out } = self;
        let rest = w.into_inner().map_err(io::Error::other)?;
        out.write_all(&rest)?;
        out.flush()
    }
}

/// Where the rows go.
enum Target {
    One(Option<PqFile<Box<dyn Write>>>),
    /// `--partition hour`: `DIR/date=YYYY-MM-DD/hour=HH/part-N.parquet`.
    Hourly {
        dir: PathBuf,
        /// The open file and its hour (seconds since the epoch / 3600).
        cur: Option<(i64, PqFile<Box<dyn Write>>)>,
        /// Files started per hour, for the next part's number.
        parts: HashMap<i64, u32>,
    },
}

/// The Parquet sink for packets.
pub struct ParquetSink {
    table: Table,
    schema: TypePtr,
    target: Target,
    files: Vec<PathBuf>,
}

impl ParquetSink {
    /// A sink writing one file to `out`, with these columns.
    pub fn new(out: Box<dyn Write>, fields: &[String]) -> io::Result<ParquetSink> {
        let (table, schema) = Self::table(fields)?;
        let f = PqFile::new(out, schema.clone())?;
        Ok(ParquetSink {
            table,
            schema,
            target: Target::One(Some(f)),
            files: Vec::new(),
        })
    }

    /// A sink writing a Hive-style directory, one file per hour of capture
    /// time (UTC). `dir` must not exist or be empty.
    pub fn hourly(dir: &Path, fields: &[String]) -> io::Result<ParquetSink> {
        Self::prepare_dir(dir)?;
        let (table, schema) = Self::table(fields)?;
        Ok(ParquetSink {
            table,
            schema,
            target: Target::Hourly {
                dir: dir.to_path_buf(),
                cur: None,
                parts: HashMap::new(),
            },
            files: Vec::new(),
        })
    }

    /// Makes the directory for [`hourly`](Self::hourly), which must not
    /// exist or be empty (it may be made before the columns are known).
    pub fn prepare_dir(dir: &Path) -> io::Result<()> {
        if let Ok(mut entries) = std::fs::read_dir(dir) {
            if entries.next().is_some() {
                return Err(io::Error::other(format!(
                    "{} exists and is not empty (--partition writes a new directory)",
                    dir.display()
                )));
            }
        }
        std::fs::create_dir_all(dir)
    }

    fn table(fields: &[String]) -> io::Result<(Table, TypePtr)> {
        let table = Table::new(fields.iter().map(|n| ColumnSpec::for_field(n)).collect());
        let schema = table.schema()?;
        Ok((table, schema))
    }

    /// The format of `_ws.col.Time` when `-e` names it.
    pub fn set_time_format(&mut self, f: crate::dissect::timefmt::TimeFormat) {
        self.table.time_format = f;
    }

    /// Values whose type did not fit their column (written as nulls).
    pub fn unconvertible(&self) -> u64 {
        self.table.unconvertible
    }

    /// The files written by `--partition hour`, in the order started.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// Hourly: makes sure the open file is the one for `ts`'s hour.
    fn switch_hour(&mut self, ts: Timestamp) -> io::Result<()> {
        let Target::Hourly { dir, cur, parts } = &mut self.target else {
            return Ok(());
        };
        let hour = ts.sec.div_euclid(3600);
        if cur.as_ref().is_some_and(|(h, _)| *h == hour) {
            return Ok(());
        }
        if let Some((_, mut f)) = cur.take() {
            f.group(&mut self.table)?;
            f.close()?;
        }
        let when = jiff::Timestamp::from_second(hour * 3600).map_err(io::Error::other)?;
        let sub = dir.join(when.strftime("date=%Y-%m-%d/hour=%H").to_string());
        std::fs::create_dir_all(&sub)?;
        let n = parts.entry(hour).or_insert(0);
        let path = sub.join(format!("part-{n}.parquet"));
        *n += 1;
        let file = std::fs::File::create_new(&path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        let out: Box<dyn Write> = Box::new(io::BufWriter::with_capacity(1 << 20, file));
        *cur = Some((hour, PqFile::new(out, self.schema.clone())?));
        self.files.push(path);
        Ok(())
    }

    fn current(&mut self) -> Option<&mut PqFile<Box<dyn Write>>> {
        match &mut self.target {
            Target::One(f) => f.as_mut(),
            Target::Hourly { cur, .. } => cur.as_mut().map(|(_, f)| f),
        }
    }
}

impl Sink for ParquetSink {
    fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
        self.switch_hour(pkt.ts)?;
        self.table.add_packet(pkt);
        self.group_if_full()
    }

    fn finish(&mut self, status: &Status) -> io::Result<()> {
        self.close(status)
    }
}

impl ParquetSink {
    /// Writes a row group once the table holds enough.
    fn group_if_full(&mut self) -> io::Result<()> {
        if self.table.full() {
            let mut t = std::mem::replace(&mut self.table, Table::new(Vec::new()));
            let r = match self.current() {
                Some(f) => f.group(&mut t),
                None => Ok(()),
            };
            self.table = t;
            r?;
        }
        Ok(())
    }

    fn close(&mut self, _status: &Status) -> io::Result<()> {
        let f = match &mut self.target {
            Target::One(f) => f.take(),
            Target::Hourly { cur, .. } => cur.take().map(|(_, f)| f),
        };
        if let Some(mut f) = f {
            f.group(&mut self.table)?;
            f.close()?;
        }
        Ok(())
    }
}

/// Collects the names of the fields seen, in order of first sight (the
/// first pass of `--all-fields`).
#[derive(Default)]
pub struct FieldNames {
    seen: std::collections::HashSet<&'static str>,
    /// Each name with where it was first seen: frame number, place in it.
    names: Vec<(u64, u32, &'static str)>,
    frame: u64,
    k: u32,
    malformed: bool,
    short: bool,
}

impl FieldNames {
    /// The names seen, then the column pseudo-fields `jsonl` also gives.
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.names.iter().map(|n| n.2.to_string()).collect();
        v.push("_ws.col.protocol".into());
        v.push("_ws.col.info".into());
        if self.malformed {
            v.push("_ws.malformed".into());
        }
        if self.short {
            v.push("_ws.short".into());
        }
        v
    }
}

impl FieldSink for FieldNames {
    fn tree(&self) -> bool {
        false
    }

    fn field(&mut self, f: &Field<'_>) {
        if self.seen.insert(f.name) {
            self.names.push((self.frame, self.k, f.name));
            self.k += 1;
        }
    }
}

impl Sink for FieldNames {
    fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
        self.frame = pkt.number;
        self.k = 0;
        dissect::all_fields(pkt, self);
        match pkt.issue.map(|i| i.kind) {
            Some(IssueKind::Malformed) => self.malformed = true,
            Some(IssueKind::Truncated) => self.short = true,
            None => {}
        }
        Ok(())
    }
}

/// `--threads`: each worker finds the names in its frames; the first
/// sightings over all of them, in frame order, are the serial order.
impl Split for FieldNames {
    type Part = FieldNames;

    /// Names only: no worker needs another's stream numbers.
    fn shows_streams(&self) -> bool {
        false
    }

    fn part(&self) -> FieldNames {
        FieldNames::default()
    }

    fn join(&mut self, parts: Vec<FieldNames>, _status: &Status) -> io::Result<()> {
        let mut all = std::mem::take(&mut self.names);
        for p in parts {
            all.extend(p.names);
            self.malformed |= p.malformed;
            self.short |= p.short;
        }
        all.sort_unstable_by_key(|n| (n.0, n.1));
        self.seen.clear();
        for n in all {
            if self.seen.insert(n.2) {
                self.names.push(n);
            }
        }
        Ok(())
    }
}

/// The conversation columns, as `flows --format jsonl` names them.
fn flow_specs() -> Vec<ColumnSpec> {
    use Kind::*;
    [
        ("stream", U64),
        ("tcp.stream", U64),
        ("udp.stream", U64),
        ("transport", Str),
        ("app", Str),
        ("src", Str),
        ("sport", U64),
        ("dst", Str),
        ("dport", U64),
        ("packets_ab", U64),
        ("bytes_ab", U64),
        ("packets_ba", U64),
        ("bytes_ba", U64),
        ("packets", U64),
        ("bytes", U64),
        ("start", Time),
        ("rel_start", Secs),
        ("duration", Secs),
        ("state", Str),
        ("retransmissions", U64),
        ("evicted", Bool),
    ]
    .into_iter()
    .map(|(n, k)| ColumnSpec::scalar(n, k))
    .collect()
}

/// Writes one row per conversation to `out` as a Parquet file.
pub fn write_flows<W: Write>(out: W, rows: &[Conversation], first: Timestamp) -> io::Result<()> {
    let mut t = Table::new(flow_specs());
    let schema = t.schema()?;
    let mut f = PqFile::new(out, schema)?;
    for c in rows {
        t.begin_row();
        let addr_a = c.a.to_string();
        let addr_b = c.b.to_string();
        let vals: [Option<Value<'_>>; 21] = [
            c.stream.map(|s| Value::U(s as u64)),
            c.stream
                .filter(|_| c.transport == "TCP")
                .map(|s| Value::U(s as u64)),
            c.stream
                .filter(|_| c.transport == "UDP")
                .map(|s| Value::U(s as u64)),
            Some(Value::Str(c.transport)),
            c.app.map(Value::Str),
            Some(Value::Str(&addr_a)),
            c.port_a.map(|p| Value::U(p as u64)),
            Some(Value::Str(&addr_b)),
            c.port_b.map(|p| Value::U(p as u64)),
            Some(Value::U(c.packets[0])),
            Some(Value::U(c.bytes[0])),
            Some(Value::U(c.packets[1])),
            Some(Value::U(c.bytes[1])),
            Some(Value::U(c.total_packets())),
            Some(Value::U(c.total_bytes())),
            Some(Value::Epoch(c.start.sec, c.start.nsec)),
            Some(Value::Nanos(c.start.nanos_since(first))),
            Some(Value::Nanos(c.duration_nanos())),
            c.tcp_state().map(|s| Value::Str(s.name())),
            Some(Value::U(c.retransmissions)),
            Some(Value::Bool(c.evicted)),
        ];
        for (i, v) in vals.iter().enumerate() {
            if let Some(v) = v {
                t.put(i, v);
            }
        }
        t.end_row();
        if t.full() {
            f.group(&mut t)?;
        }
    }
    f.group(&mut t)?;
    f.close()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_fields_are_known_and_typed() {
        for n in DEFAULT_FIELDS {
            assert!(
                crate::filter::check_field_name(n).is_ok(),
                "{n} is not a known field"
            );
        }
        assert_eq!(ColumnSpec::for_field("frame.time").kind, Kind::Time);
        assert!(!ColumnSpec::for_field("frame.number").list);
        assert_eq!(ColumnSpec::for_field("tcp.srcport").kind, Kind::U64);
        assert!(ColumnSpec::for_field("ip.src").list);
        assert_eq!(ColumnSpec::for_field("ip.src").kind, Kind::Str);
        assert_eq!(ColumnSpec::for_field("_ws.col.info").kind, Kind::Str);
    }

    #[test]
    fn levels_mark_nulls_lists_and_unconvertible_values() {
        let mut t = Table::new(vec![
            ColumnSpec::for_field("frame.number"),
            ColumnSpec::for_field("ip.src"),
        ]);
        t.begin_row();
        t.put(0, &Value::U(1));
        t.put(1, &Value::Ipv4([10, 0, 0, 1]));
        t.put(1, &Value::Ipv4([10, 0, 0, 2]));
        t.end_row();
        t.begin_row();
        t.put(0, &Value::Str("x"));
        t.end_row();
        assert_eq!(t.cols[0].def, [1, 0]);
        assert_eq!(t.cols[0].ints, [1]);
        assert_eq!(t.cols[1].def, [3, 3, 0]);
        assert_eq!(t.cols[1].rep, [0, 1, 0]);
        assert_eq!(t.unconvertible, 1);
        assert_eq!(t.rows(), 2);
    }

    #[test]
    fn utc_dates_parse_to_nanoseconds() {
        // `date -u -d 'Apr 14, 2024 00:25:36' +%s` = 1713054336.
        assert_eq!(
            parse_utc_date("Apr 14, 2024 00:25:36.071111110 UTC"),
            Some(1_713_054_336_071_111_110)
        );
        // Days are space-padded, as tshark prints them.
        assert_eq!(
            parse_utc_date("Jan  1, 1970 00:00:00.000000000 UTC"),
            Some(0)
        );
        assert_eq!(
            parse_utc_date("Jan 1, 1970 00:00:00.000000001 UTC"),
            Some(1)
        );
        assert_eq!(parse_utc_date("NULL"), None);
        assert_eq!(parse_utc_date("Feb 30, 2024 00:00:00.0 UTC"), None);
    }
}
