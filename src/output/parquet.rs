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
use crate::engine::{Sink, Status};
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

    /// Appends the typed value; false when it does not convert.
    fn put_value(&mut self, v: &Value<'_>) -> bool {
        match self.spec.kind {
            Kind::U64 => match *v {
                Value::U(x) | Value::Hex(x, _) => self.ints.push(x as i64),
                Value::I(x) if x >= 0 => self.ints.push(x),
                Value::Bool(b) => self.ints.push(b as i64),
                _ => return false,
            },
            Kind::I64 => match *v {
                Value::I(x) => self.ints.push(x),
                Value::U(x) | Value::Hex(x, _) if x <= i64::MAX as u64 => self.ints.push(x as i64),
                Value::Bool(b) => self.ints.push(b as i64),
                _ => return false,
            },
            Kind::Bool => match *v {
                Value::Bool(b) => self.bools.push(b),
                Value::U(x) | Value::Hex(x, _) => self.bools.push(x != 0),
                _ => return false,
            },
            Kind::Time => match *v {
                Value::Epoch(s, n) | Value::Date(s, n) | Value::LocalDate(s, n) => {
                    match nanos(s, n) {
                        Some(t) => self.ints.push(t),
                        None => return false,
                    }
                }
                // Times a decoder formats itself (NTP's), as tshark prints them.
                Value::Str(s) => match parse_utc_date(s) {
                    Some(t) => self.ints.push(t),
                    None => return false,
                },
                _ => return false,
            },
            Kind::Secs => match *v {
                Value::Nanos(n) => match i64::try_from(n) {
                    Ok(t) => self.ints.push(t),
                    Err(_) => return false,
                },
                Value::Epoch(s, n) => match nanos(s, n) {
                    Some(t) => self.ints.push(t),
                    None => return false,
                },
                _ => return false,
            },
            Kind::F64 => match *v {
                Value::Float(f) => self.floats.push(f),
                Value::U(x) => self.floats.push(x as f64),
                Value::I(x) => self.floats.push(x as f64),
                _ => return false,
            },
            Kind::Str => {
                v.write_to(&mut self.text);
                self.ends.push(self.text.len());
            }
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

/// Rows being gathered into the next row group.
pub struct Table {
    cols: Vec<Col>,
    by_ptr: HashMap<(usize, usize), Option<u32>>,
    by_name: HashMap<String, u32>,
    rows: usize,
    /// The current row's number (from 1; 0: none yet).
    row: u64,
    /// Values whose type did not fit their column (written as nulls).
    pub unconvertible: u64,
    time_format: crate::dissect::timefmt::TimeFormat,
    scratch: Vec<u8>,
}

impl Table {
    pub fn new(specs: Vec<ColumnSpec>) -> Table {
        let by_name = specs
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), i as u32))
            .collect();
        Table {
            cols: specs.into_iter().map(Col::new).collect(),
            by_ptr: HashMap::new(),
            by_name,
            rows: 0,
            row: 0,
            unconvertible: 0,
            time_format: Default::default(),
            scratch: Vec::new(),
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

    fn column(&mut self, name: &'static str) -> Option<usize> {
        let key = (name.as_ptr() as usize, name.len());
        if let Some(&c) = self.by_ptr.get(&key) {
            return c.map(|c| c as usize);
        }
        let c = self.by_name.get(name).copied();
        self.by_ptr.insert(key, c);
        c.map(|c| c as usize)
    }

    fn begin_row(&mut self) {
        self.row += 1;
    }

    /// Column `i` receives `v` in the current row.
    fn put(&mut self, i: usize, v: &Value<'_>) {
        let row = self.row;
        let col = &mut self.cols[i];
        let first = col.row != row;
        if !col.spec.list && !first {
            // A per-frame field given twice: the first one stands.
            return;
        }
        col.row = row;
        let ok = col.put_value(v);
        // tshark's NULL for a zero NTP time is a null, not a failure.
        if !ok && !matches!(v, Value::Str("NULL")) {
            self.unconvertible += 1;
        }
        let col = &mut self.cols[i];
        match (col.spec.list, ok) {
            (false, true) => col.def.push(1),
            (false, false) => col.def.push(0),
            (true, ok) => {
                col.def.push(if ok { 3 } else { 2 });
                col.rep.push(if first { 0 } else { 1 });
            }
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
        dissect::all_fields(pkt, self);
        let mut s = std::mem::take(&mut self.scratch);
        if let Some(i) = self.by_name.get("_ws.col.protocol").copied() {
            self.put(i as usize, &Value::Str(dissect::top_protocol(pkt)));
        }
        if let Some(i) = self.by_name.get("_ws.col.Time").copied() {
            s.clear();
            dissect::timefmt::write_column(&mut s, self.time_format, pkt);
            self.put_text(i as usize, &s);
        }
        if let Some(i) = self.by_name.get("_ws.col.info").copied() {
            s.clear();
            dissect::info(pkt, &mut s);
            self.put_text(i as usize, &s);
        }
        if let Some(issue) = pkt.issue {
            let name = match issue.kind {
                IssueKind::Malformed => "_ws.malformed",
                IssueKind::Truncated => "_ws.short",
            };
            if let Some(i) = self.by_name.get(name).copied() {
                s.clear();
                s.extend_from_slice(issue.proto.display().as_bytes());
                s.extend_from_slice(b": ");
                s.extend_from_slice(issue.msg.as_bytes());
                self.put_text(i as usize, &s);
            }
        }
        self.scratch = s;
        self.end_row();
    }

    fn put_text(&mut self, i: usize, b: &[u8]) {
        let t = String::from_utf8_lossy(b);
        self.put(i, &Value::Str(&t));
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
        if let Some(i) = self.column(f.name) {
            self.put(i, &f.value);
        }
    }
}

/// One Parquet file going out to `out` a row group at a time.
struct PqFile<O: Write> {
    w: SerializedFileWriter<Vec<u8>>,
    out: O,
}

impl<O: Write> PqFile<O> {
    fn new(out: O, schema: TypePtr) -> io::Result<PqFile<O>> {
        let level = ZstdLevel::try_new(3).map_err(io::Error::other)?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(level))
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_created_by(format!("layerscope {}", env!("CARGO_PKG_VERSION")))
            .build();
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

    fn finish(&mut self, _status: &Status) -> io::Result<()> {
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
    names: Vec<&'static str>,
    malformed: bool,
    short: bool,
}

impl FieldNames {
    /// The names seen, then the column pseudo-fields `jsonl` also gives.
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.names.iter().map(|s| s.to_string()).collect();
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
            self.names.push(f.name);
        }
    }
}

impl Sink for FieldNames {
    fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
        dissect::all_fields(pkt, self);
        match pkt.issue.map(|i| i.kind) {
            Some(IssueKind::Malformed) => self.malformed = true,
            Some(IssueKind::Truncated) => self.short = true,
            None => {}
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
