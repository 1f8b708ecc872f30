//! Typing of the parsed filter and its evaluation per packet.

use super::parser::{parse, Ast, Lit, Rel, Test};
use super::{field_type, suggest, FieldType, FilterError};
use crate::dissect::{Field, FieldSink, Packet, Value};
use std::cmp::Ordering;
use std::ops::Range;

/// A constant typed by its field.
#[derive(Clone, Debug)]
enum Const {
    /// Integers, booleans, times (nanoseconds).
    Num(i128),
    Float(f64),
    /// Address and prefix length.
    V4([u8; 4], u8),
    V6([u8; 16], u8),
    /// Strings, byte sequences, MACs, slices.
    Bytes(Vec<u8>),
}

#[derive(Clone, Debug)]
enum Pred {
    Exists,
    Cmp(Ordering, bool, Const), // ordering wanted, or-equal
    Eq(Const),
    Contains(Vec<u8>),
    Matches(regex::bytes::Regex),
    In(Vec<(Const, Const)>),
}

#[derive(Clone, Debug)]
struct Leaf {
    name: usize,
    /// Byte slice `start..end` (end None: to the end); negative from the end.
    slice: Option<(i64, Option<i64>)>,
    pred: Pred,
    /// A protocol compared by its bytes (`tcp contains 47:45:54`,
    /// `eth[0:6] == ff:ff:ff:ff:ff:ff`): tested against each of its layers'
    /// bytes, not against a field.
    proto: bool,
    /// A string field (`ip.src_host`): an address it holds is tested as its text.
    text: bool,
}

#[derive(Clone, Debug)]
enum Node {
    Leaf(usize),
    Not(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
}

/// A compiled display filter; reuse it for every packet.
#[derive(Clone, Debug)]
pub struct Filter {
    names: Vec<String>,
    leaves: Vec<Leaf>,
    root: Node,
    hits: Vec<bool>,
    scope: super::scope::Scope,
    lens: u64,
}

impl Filter {
    pub fn compile(src: &str) -> Result<Filter, FilterError> {
        let ast = parse(src)?;
        let mut f = Filter {
            names: Vec::new(),
            leaves: Vec::new(),
            root: Node::Leaf(0),
            hits: Vec::new(),
            scope: super::scope::Scope::new(&[]),
            lens: 0,
        };
        f.root = f.node(src, ast)?;
        f.hits = vec![false; f.leaves.len()];
        f.scope = super::scope::Scope::new(&f.names);
        f.lens = f
            .names
            .iter()
            .map(|n| if n.len() < 64 { 1u64 << n.len() } else { 0 })
            .fold(0, |a, b| a | b);
        Ok(f)
    }

    /// The field and protocol names the filter tests.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    fn node(&mut self, src: &str, ast: Ast) -> Result<Node, FilterError> {
        Ok(match ast {
            Ast::Not(a) => Node::Not(Box::new(self.node(src, *a)?)),
            Ast::And(a, b) => {
                Node::And(Box::new(self.node(src, *a)?), Box::new(self.node(src, *b)?))
            }
            Ast::Or(a, b) => Node::Or(Box::new(self.node(src, *a)?), Box::new(self.node(src, *b)?)),
            Ast::Test(t) => {
                // As tshark 4.0: `a != b` holds when the field occurs and
                // no occurrence equals b (absent fields do not match).
                let negate = matches!(t.rel, Rel::Cmp("!=", _));
                let leaf = leaf(src, &t)?;
                let name = match self.names.iter().position(|n| *n == t.field) {
                    Some(i) => i,
                    None => {
                        self.names.push(t.field.clone());
                        self.names.len() - 1
                    }
                };
                self.leaves.push(Leaf { name, ..leaf });
                let n = Node::Leaf(self.leaves.len() - 1);
                if negate {
                    self.leaves.push(Leaf {
                        name,
                        slice: None,
                        pred: Pred::Exists,
                        proto: false,
                        text: false,
                    });
                    let exists = Node::Leaf(self.leaves.len() - 1);
                    Node::And(Box::new(exists), Box::new(Node::Not(Box::new(n))))
                } else {
                    n
                }
            }
        })
    }

    /// Whether the packet passes. Runs the field visitor once.
    pub fn matches(&mut self, pkt: &Packet<'_>) -> bool {
        self.hits.iter_mut().for_each(|h| *h = false);
        let mut sink = Sink {
            names: &self.names,
            lens: self.lens,
            leaves: &self.leaves,
            hits: &mut self.hits,
        };
        self.scope.fields(pkt, &mut sink);
        for (i, l) in self.leaves.iter().enumerate() {
            if l.proto && !self.hits[i] {
                self.hits[i] = proto_bytes(pkt, &self.names[l.name], l.slice.is_some())
                    .any(|b| test(l, &Value::Bytes(b)));
            }
        }
        eval(&self.root, &self.hits)
    }
}

/// The bytes of each layer of protocol `name`, as tshark 4.0 tests a
/// protocol's value: `contains`, `matches` and comparisons see everything
/// from its first byte to the end of what the layers' length fields cover
/// (a TCP segment with its payload, an IP datagram without the Ethernet
/// padding after it), a slice (`tcp[0:2]`, `ip[-1]`) only its header.
/// `frame` is the whole captured frame.
fn proto_bytes<'p>(
    pkt: &'p Packet<'_>,
    name: &'p str,
    header: bool,
) -> impl Iterator<Item = &'p [u8]> + 'p {
    let frame = (name == "frame").then_some(pkt.data);
    let layers = pkt
        .layers
        .iter()
        .filter(move |l| l.proto.filter_name() == name)
        .map(move |l| pkt.bytes_of(l, if header { l.header() } else { l.extent() }));
    frame.into_iter().chain(layers)
}

fn eval(n: &Node, hits: &[bool]) -> bool {
    match n {
        Node::Leaf(i) => hits.get(*i).copied().unwrap_or(false),
        Node::Not(a) => !eval(a, hits),
        Node::And(a, b) => eval(a, hits) && eval(b, hits),
        Node::Or(a, b) => eval(a, hits) || eval(b, hits),
    }
}

struct Sink<'f> {
    names: &'f [String],
    /// Bit n set when some name is n bytes long (names of 64 bytes or more always pass).
    lens: u64,
    leaves: &'f [Leaf],
    hits: &'f mut [bool],
}

impl Sink<'_> {
    fn name_index(&self, name: &str) -> Option<usize> {
        // Most fields are not named by the filter: reject them by length first.
        if name.len() < 64 && self.lens & (1 << name.len()) == 0 {
            return None;
        }
        self.names.iter().position(|n| n == name)
    }
}

impl FieldSink for Sink<'_> {
    fn tree(&self) -> bool {
        false
    }

    fn layer(&mut self, name: &'static str, _title: &str, _range: Range<usize>) {
        if let Some(ni) = self.name_index(name) {
            for (i, l) in self.leaves.iter().enumerate() {
                if l.name == ni && !l.proto && matches!(l.pred, Pred::Exists) {
                    self.hits[i] = true;
                }
            }
        }
    }

    fn wants(&mut self, name: &'static str) -> bool {
        self.name_index(name).is_some()
    }

    fn field(&mut self, f: &Field<'_>) {
        let Some(ni) = self.name_index(f.name) else {
            return;
        };
        for (i, l) in self.leaves.iter().enumerate() {
            if l.name == ni && !l.proto && !self.hits[i] && test(l, &f.value) {
                self.hits[i] = true;
            }
        }
    }
}

/// The value's bytes (for slices, contains, matches, byte comparisons).
fn with_bytes<R>(v: &Value<'_>, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
    match v {
        Value::Str(s) => Some(f(s.as_bytes())),
        Value::Bytes(b) => Some(f(b)),
        Value::Ipv4(a) => Some(f(a)),
        Value::Ipv6(a) => Some(f(a)),
        Value::Mac(m) => Some(f(m)),
        Value::U(_) | Value::Hex(..) | Value::I(_) | Value::Bool(_) => None,
        _ => None,
    }
}

fn num(v: &Value<'_>) -> Option<i128> {
    Some(match *v {
        Value::U(x) | Value::Hex(x, _) => x as i128,
        Value::I(x) => x as i128,
        Value::Bool(b) => b as i128,
        Value::Nanos(n) => n,
        Value::Epoch(s, ns) | Value::Date(s, ns) | Value::LocalDate(s, ns) => {
            s as i128 * 1_000_000_000 + ns as i128
        }
        Value::Str(s) => s.trim().parse().ok()?,
        _ => return None,
    })
}

fn float(v: &Value<'_>) -> Option<f64> {
    match *v {
        Value::Str(s) => s.trim().parse().ok(),
        Value::Nanos(n) => Some(n as f64 / 1e9),
        _ => num(v).map(|n| n as f64),
    }
}

fn slice_of(b: &[u8], s: (i64, Option<i64>)) -> Option<&[u8]> {
    let len = b.len() as i64;
    let abs = |i: i64| if i < 0 { len + i } else { i };
    let start = abs(s.0);
    let end = s.1.map_or(len, abs);
    if start < 0 || end > len || start > end {
        return None;
    }
    b.get(start as usize..end as usize)
}

fn test(l: &Leaf, v: &Value<'_>) -> bool {
    // Host-name fields hold the address when names are not resolved, and
    // tshark tests its text (`ip.host contains "99.0"`).
    if l.text {
        let s = match v {
            Value::Ipv4(a) => Some(std::net::Ipv4Addr::from(*a).to_string()),
            Value::Ipv6(a) => Some(std::net::Ipv6Addr::from(*a).to_string()),
            _ => None,
        };
        if let Some(s) = s {
            return test_value(l, &Value::Str(&s));
        }
    }
    test_value(l, v)
}

fn test_value(l: &Leaf, v: &Value<'_>) -> bool {
    if let Some(s) = l.slice {
        return with_bytes(v, |b| {
            slice_of(b, s).is_some_and(|b| pred_bytes(&l.pred, b))
        })
        .unwrap_or(false);
    }
    match &l.pred {
        Pred::Exists => true,
        Pred::Eq(c) => cmp(c, v).is_some_and(|o| o == Ordering::Equal),
        Pred::Cmp(want, or_eq, c) => {
            // cmp gives constant vs value; flip to value vs constant.
            cmp(c, v).is_some_and(|o| o.reverse() == *want || (*or_eq && o == Ordering::Equal))
        }
        Pred::In(set) => set.iter().any(|(lo, hi)| {
            cmp(lo, v).is_some_and(|o| o != Ordering::Greater)
                && cmp(hi, v).is_some_and(|o| o != Ordering::Less)
        }),
        Pred::Contains(_) | Pred::Matches(_) => {
            with_bytes(v, |b| pred_bytes(&l.pred, b)).unwrap_or(false)
        }
    }
}

fn pred_bytes(p: &Pred, b: &[u8]) -> bool {
    match p {
        Pred::Exists => true,
        Pred::Contains(n) => n.is_empty() || b.windows(n.len()).any(|w| w == n.as_slice()),
        Pred::Matches(r) => r.is_match(b),
        Pred::Eq(Const::Bytes(c)) => b == c.as_slice(),
        Pred::Cmp(want, or_eq, Const::Bytes(c)) => {
            let o = b.cmp(c.as_slice());
            o == *want || (*or_eq && o == Ordering::Equal)
        }
        Pred::In(set) => set.iter().any(|(lo, hi)| match (lo, hi) {
            (Const::Bytes(lo), Const::Bytes(hi)) => b >= lo.as_slice() && b <= hi.as_slice(),
            _ => false,
        }),
        _ => false,
    }
}

/// The constant compared with the value (a subnet is Equal to its members).
fn cmp(c: &Const, v: &Value<'_>) -> Option<Ordering> {
    match (c, v) {
        (Const::Num(n), _) => num(v).map(|x| n.cmp(&x)),
        (Const::Float(f), _) => float(v).and_then(|x| f.partial_cmp(&x)),
        (Const::V4(a, p), Value::Ipv4(x)) => Some(masked(a, x, *p)),
        (Const::V6(a, p), Value::Ipv6(x)) => Some(masked(a, x, *p)),
        // A host-name field holds the address when names are not
        // resolved: compare a string with its text, as tshark does.
        (Const::Bytes(b), Value::Ipv4(x)) if b.len() != 4 => Some(
            b.as_slice()
                .cmp(std::net::Ipv4Addr::from(*x).to_string().as_bytes()),
        ),
        (Const::Bytes(b), Value::Ipv6(x)) if b.len() != 16 => Some(
            b.as_slice()
                .cmp(std::net::Ipv6Addr::from(*x).to_string().as_bytes()),
        ),
        (Const::Bytes(b), _) => with_bytes(v, |x| b.as_slice().cmp(x)),
        _ => None,
    }
}

fn masked(a: &[u8], x: &[u8], prefix: u8) -> Ordering {
    let mut bits = prefix as usize;
    for (ca, cx) in a.iter().zip(x) {
        let m: u8 = if bits >= 8 {
            0xff
        } else {
            !(0xffu8.checked_shr(bits as u32).unwrap_or(0))
        };
        bits = bits.saturating_sub(8);
        let o = (ca & m).cmp(&(cx & m));
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

fn leaf(src: &str, t: &Test) -> Result<Leaf, FilterError> {
    let Some(mut ty) = field_type(&t.field) else {
        return Err(FilterError::new(src, t.pos, &unknown_name(&t.field)));
    };
    // A protocol compared with a value is compared by its bytes.
    let proto = ty == FieldType::Proto && !matches!(t.rel, Rel::Exists);
    if proto {
        ty = FieldType::Bytes;
    }
    let slice = match &t.slice {
        None => None,
        Some((s, p)) => {
            ty = FieldType::Bytes;
            Some(parse_slice(s).ok_or_else(|| {
                FilterError::new(
                    src,
                    *p,
                    "invalid slice: expected [start:length], [start-end], [start] or [start:]",
                )
            })?)
        }
    };
    let ty_err = |l: &Lit| {
        FilterError::new(
            src,
            l.pos(),
            &format!("{} expects {}", t.field, ty.expected()),
        )
    };
    // `frame.time_utc` reads dates as UTC; other absolute times as local.
    let utc = t.field.ends_with("_utc");
    let typed = |l: &Lit| typed(ty, l, utc).ok_or_else(|| ty_err(l));
    let pred = match &t.rel {
        Rel::Exists => Pred::Exists,
        Rel::Cmp(op, l) => {
            let c = typed(l)?;
            let subnet =
                matches!(c, Const::V4(_, p) if p < 32) || matches!(c, Const::V6(_, p) if p < 128);
            if subnet && !matches!(*op, "==" | "!=") {
                return Err(FilterError::new(
                    src,
                    l.pos(),
                    "a subnet can only be compared with '==' or '!='",
                ));
            }
            match *op {
                "==" | "!=" => Pred::Eq(c),
                "<" => Pred::Cmp(Ordering::Less, false, c),
                "<=" => Pred::Cmp(Ordering::Less, true, c),
                ">" => Pred::Cmp(Ordering::Greater, false, c),
                _ => Pred::Cmp(Ordering::Greater, true, c),
            }
        }
        Rel::Contains(l) => {
            if !matches!(ty, FieldType::Str | FieldType::Bytes | FieldType::Mac) {
                return Err(FilterError::new(
                    src,
                    l.pos(),
                    &format!(
                        "'contains' needs a string or bytes field; {} expects {}",
                        t.field,
                        ty.expected()
                    ),
                ));
            }
            Pred::Contains(match l {
                Lit::Quoted(b, _) => b.clone(),
                Lit::Word(w, _) => match parse_bytes(w) {
                    Some(b) => b,
                    None if ty == FieldType::Str => w.as_bytes().to_vec(),
                    None => return Err(ty_err(l)),
                },
            })
        }
        Rel::Matches(l) => {
            if !matches!(ty, FieldType::Str | FieldType::Bytes) {
                return Err(FilterError::new(
                    src,
                    l.pos(),
                    &format!(
                        "'matches' needs a string or bytes field; {} expects {}",
                        t.field,
                        ty.expected()
                    ),
                ));
            }
            let Lit::Quoted(b, _) = l else {
                return Err(FilterError::new(
                    src,
                    l.pos(),
                    "expected a quoted regular expression after 'matches'",
                ));
            };
            let pat = String::from_utf8_lossy(b);
            // Case-insensitive unless the pattern says `(?-i)`, as Wireshark.
            let re = regex::bytes::RegexBuilder::new(&pat)
                .case_insensitive(true)
                .build()
                .map_err(|e| {
                    let e = e.to_string();
                    let last = e.lines().last().unwrap_or("").trim().to_string();
                    FilterError::new(src, l.pos(), &format!("invalid regular expression: {last}"))
                })?;
            Pred::Matches(re)
        }
        Rel::In(items) => {
            let mut set = Vec::new();
            for (lo, hi) in items {
                let a = typed(lo)?;
                let b = match hi {
                    Some(h) => typed(h)?,
                    None => a.clone(),
                };
                set.push((a, b));
            }
            Pred::In(set)
        }
    };
    Ok(Leaf {
        name: 0,
        slice,
        pred,
        proto,
        text: ty == FieldType::Str,
    })
}

/// The message for a name no table knows, with the nearest known ones.
pub(super) fn unknown_name(name: &str) -> String {
    let s = suggest(name);
    if s.is_empty() {
        format!("\"{name}\" is not a known field or protocol")
    } else {
        format!(
            "\"{name}\" is not a known field or protocol; did you mean {}?",
            s.join(", ")
        )
    }
}

fn parse_slice(s: &str) -> Option<(i64, Option<i64>)> {
    let s = s.trim();
    let n = |x: &str| x.trim().parse::<i64>().ok();
    if let Some((a, b)) = s.split_once(':') {
        let start = if a.trim().is_empty() { 0 } else { n(a)? };
        if b.trim().is_empty() {
            return Some((start, None));
        }
        let len = n(b)?;
        if len < 0 || (start < 0 && start + len > 0) {
            return None;
        }
        return Some((
            start,
            if start < 0 && start + len == 0 {
                None
            } else {
                Some(start + len)
            },
        ));
    }
    if let Some((a, b)) = s.split_once('-').filter(|(a, _)| !a.is_empty()) {
        let (a, b) = (n(a)?, n(b)?);
        return (b >= a).then_some((a, Some(b + 1)));
    }
    let i = n(s)?;
    Some((i, if i == -1 { None } else { Some(i + 1) }))
}

fn parse_int(w: &str) -> Option<i128> {
    let (neg, w) = match w.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, w),
    };
    let v = if let Some(h) = w.strip_prefix("0x").or_else(|| w.strip_prefix("0X")) {
        i128::from_str_radix(h, 16).ok()?
    } else if w.len() > 1 && w.starts_with('0') {
        i128::from_str_radix(&w[1..], 8).ok()?
    } else {
        w.parse().ok()?
    };
    Some(if neg { -v } else { v })
}

/// `47:45:54`, `47-45-54`, `47.45.54`, `474554` (an even number of hex digits) or `47`.
fn parse_bytes(w: &str) -> Option<Vec<u8>> {
    let parts: Vec<&str> = w.split([':', '-', '.']).collect();
    let hex = |p: &str| u8::from_str_radix(p, 16).ok();
    if parts.len() > 1 {
        // `0011.2233.4455` style groups of four digits.
        if w.contains('.') && parts.iter().all(|p| p.len() == 4) {
            let mut v = Vec::new();
            for p in parts {
                v.push(hex(p.get(..2)?)?);
                v.push(hex(p.get(2..)?)?);
            }
            return Some(v);
        }
        return parts
            .iter()
            .map(|p| {
                if p.len() <= 2 && !p.is_empty() {
                    hex(p)
                } else {
                    None
                }
            })
            .collect();
    }
    if w.len() <= 2 {
        return hex(w).map(|b| vec![b]);
    }
    if w.len() % 2 == 0 && w.bytes().all(|c| c.is_ascii_hexdigit()) {
        return (0..w.len()).step_by(2).map(|i| hex(&w[i..i + 2])).collect();
    }
    None
}

fn typed(ty: FieldType, l: &Lit, utc: bool) -> Option<Const> {
    let word = match l {
        Lit::Word(w, _) => w.as_str(),
        Lit::Quoted(b, _) => {
            return match ty {
                FieldType::Str | FieldType::Bytes => Some(Const::Bytes(b.clone())),
                _ => typed(
                    ty,
                    &Lit::Word(String::from_utf8(b.clone()).ok()?, l.pos()),
                    utc,
                ),
            };
        }
    };
    Some(match ty {
        FieldType::Uint => {
            let v = parse_int(word).filter(|v| *v >= 0)?;
            Const::Num(v)
        }
        FieldType::Int => Const::Num(parse_int(word)?),
        FieldType::Bool => Const::Num(match word.to_ascii_lowercase().as_str() {
            "true" => 1,
            "false" => 0,
            w => match parse_int(w)? {
                0 => 0,
                _ => 1,
            },
        }),
        FieldType::Ipv4 => {
            let (a, p) = match word.split_once('/') {
                Some((a, p)) => (a, p.parse::<u8>().ok().filter(|p| *p <= 32)?),
                None => (word, 32),
            };
            Const::V4(a.parse::<std::net::Ipv4Addr>().ok()?.octets(), p)
        }
        FieldType::Ipv6 => {
            let (a, p) = match word.split_once('/') {
                Some((a, p)) => (a, p.parse::<u8>().ok().filter(|p| *p <= 128)?),
                None => (word, 128),
            };
            Const::V6(a.parse::<std::net::Ipv6Addr>().ok()?.octets(), p)
        }
        FieldType::Mac => {
            let b = parse_bytes(word)?;
            if b.len() != 6 {
                return None;
            }
            Const::Bytes(b)
        }
        FieldType::Str => Const::Bytes(word.as_bytes().to_vec()),
        FieldType::Bytes => Const::Bytes(parse_bytes(word)?),
        FieldType::RelTime => {
            let f: f64 = word.parse().ok()?;
            if !f.is_finite() {
                return None;
            }
            Const::Num((f * 1e9).round() as i128)
        }
        FieldType::Float => Const::Float(word.parse().ok().filter(|f: &f64| f.is_finite())?),
        FieldType::AbsTime => Const::Num(crate::dissect::timefmt::parse_abs(word, utc)?),
        FieldType::Proto => return None,
    })
}
