//! Field values and the visitor that receives them.
//!
//! Dissectors never build strings for fields: they hand typed [`Value`]s to a
//! [`FieldSink`], and each sink (JSON, CSV, detail tree, filter) formats or
//! compares only what it needs. Formatting follows `tshark -T fields`.

use std::io::{self, Write};
use std::ops::Range;

/// A decoded field value. Formatting matches `tshark -T fields` output.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'a> {
    /// Unsigned integer printed in decimal.
    U(u64),
    /// Signed integer printed in decimal.
    I(i64),
    /// Unsigned integer printed as `0x` followed by `width` hex digits.
    Hex(u64, u8),
    /// Boolean printed as `1` / `0` (tshark's `-T fields` style).
    Bool(bool),
    Ipv4([u8; 4]),
    Ipv6([u8; 16]),
    Mac([u8; 6]),
    Str(&'a str),
    /// Raw bytes printed as contiguous lowercase hex.
    Bytes(&'a [u8]),
    /// Absolute time, printed as epoch seconds with 9 decimals.
    Epoch(i64, u32),
    /// A duration in nanoseconds, printed as seconds with 9 decimals.
    Nanos(i128),
    /// A floating-point value, printed in its shortest exact form (as tshark
    /// prints FT_DOUBLE fields such as `icmp.resptime`, in milliseconds).
    Float(f64),
    /// Absolute time printed as a UTC date, as tshark prints FT_ABSOLUTE_TIME
    /// (`Nov 25, 2026 03:24:52.000000000 UTC`).
    Date(i64, u32),
    /// Absolute time in the local zone (`TZ`), as tshark prints `frame.time`
    /// (`Nov 25, 2026 04:24:42.668194732 CET`).
    LocalDate(i64, u32),
}

/// One decoded field: its Wireshark name, a human label for the detail view,
/// the value, and the bytes of the frame it came from.
#[derive(Clone, Debug)]
pub struct Field<'a> {
    /// Wireshark display-filter name, e.g. `ip.ttl`.
    pub name: &'static str,
    /// Human label, e.g. `Time to Live`.
    pub label: &'static str,
    pub value: Value<'a>,
    /// Byte range within the frame (empty for generated fields).
    pub range: Range<usize>,
    /// Meaning of the value for the detail view (`Echo (ping) request`), or "".
    pub note: &'a str,
}

/// Receives the fields of a packet, layer by layer, in wire order.
pub trait FieldSink {
    /// Start of a layer; `name` is its protocol filter name (`ip`, `tcp`).
    fn layer(&mut self, _name: &'static str, _title: &str, _range: Range<usize>) {}
    fn field(&mut self, f: &Field<'_>);
    /// Opens a subtree (flags, options) under the last field or layer.
    fn open(&mut self, _label: &str, _range: Range<usize>) {}
    fn close(&mut self) {}
    /// Which buffer the next layer's ranges index (the frame, or the
    /// reassembled bytes): for sinks that point at bytes.
    fn source(&mut self, _src: super::Src) {}
    /// Whether layer titles and labels are shown; a sink that only reads
    /// values (a display filter) says no, and decoders skip formatting them.
    fn tree(&self) -> bool {
        true
    }
    /// Whether the sink keeps a field of this name: a decoder asks before
    /// computing a costly value (a vendor name) that a sink reading a few
    /// columns would throw away. Sinks that keep everything say yes.
    fn wants(&mut self, _name: &'static str) -> bool {
        true
    }
}

/// Convenience for dissectors: `out.put("ip.ttl", "Time to Live", Value::U(64), 22..23)`.
pub trait SinkExt: FieldSink {
    #[inline]
    fn put(
        &mut self,
        name: &'static str,
        label: &'static str,
        value: Value<'_>,
        range: Range<usize>,
    ) {
        self.field(&Field {
            name,
            label,
            value,
            range,
            note: "",
        });
    }
    #[inline]
    fn put_note(
        &mut self,
        name: &'static str,
        label: &'static str,
        value: Value<'_>,
        range: Range<usize>,
        note: &str,
    ) {
        self.field(&Field {
            name,
            label,
            value,
            range,
            note,
        });
    }
}
impl<T: FieldSink + ?Sized> SinkExt for T {}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl Value<'_> {
    /// Writes the value as `tshark -T fields` prints it.
    pub fn write_to(&self, w: &mut Vec<u8>) {
        match *self {
            Value::U(v) => w.extend_from_slice(itoa::Buffer::new().format(v).as_bytes()),
            Value::I(v) => w.extend_from_slice(itoa::Buffer::new().format(v).as_bytes()),
            Value::Hex(v, width) => {
                w.extend_from_slice(b"0x");
                let digits = (16 - (v.leading_zeros() / 4) as usize).max(1);
                for _ in digits..width as usize {
                    w.push(b'0');
                }
                for i in (0..digits).rev() {
                    w.push(HEX[((v >> (i * 4)) & 0xf) as usize]);
                }
            }
            Value::Bool(b) => w.push(if b { b'1' } else { b'0' }),
            Value::Ipv4(a) => write_ipv4(w, a),
            Value::Ipv6(a) => write_ipv6(w, a),
            Value::Mac(m) => write_mac(w, m),
            Value::Str(s) => w.extend_from_slice(s.as_bytes()),
            Value::Bytes(b) => {
                // Payload fields run to kilobytes: fill a sized slice, no
                // capacity check per digit.
                let start = w.len();
                w.resize(start + b.len() * 2, 0);
                for (o, &x) in w[start..].chunks_exact_mut(2).zip(b) {
                    o[0] = HEX[(x >> 4) as usize];
                    o[1] = HEX[(x & 0xf) as usize];
                }
            }
            Value::Epoch(sec, nsec) => write_secs(w, sec as i128 * 1_000_000_000 + nsec as i128),
            Value::Nanos(n) => write_secs(w, n),
            Value::Date(sec, nsec) => write_date(w, sec, nsec),
            Value::LocalDate(sec, nsec) => super::timefmt::write_date(w, sec, nsec, true),
            Value::Float(f) => write_g(w, f),
        }
    }

    /// The value as a string (allocates; for tests and slow paths).
    pub fn to_string_lossy(&self) -> String {
        let mut v = Vec::new();
        self.write_to(&mut v);
        String::from_utf8_lossy(&v).into_owned()
    }

    /// True when a JSON writer should emit the value without quotes.
    pub fn is_numeric(&self) -> bool {
        matches!(self, Value::U(_) | Value::I(_) | Value::Bool(_))
    }
}

/// Seconds with nine decimals (`-1.000000500`), as tshark prints times.
pub fn write_secs(w: &mut Vec<u8>, nanos: i128) {
    let n = nanos.unsigned_abs();
    if nanos < 0 {
        w.push(b'-');
    }
    let mut b = itoa::Buffer::new();
    w.extend_from_slice(b.format(n / 1_000_000_000).as_bytes());
    w.push(b'.');
    // "1xxxxxxxxx": the nine digits after the leading 1 are the zero-padded fraction.
    let frac = b.format((n % 1_000_000_000) as u32 + 1_000_000_000);
    w.extend_from_slice(&frac.as_bytes()[1..]);
}

/// Shortest exact digits in C's `%g` layout, as tshark prints doubles:
/// `0.022812`, but `1e-06` below 1e-4 and `1e+17` from 1e17 on.
pub fn write_g(w: &mut Vec<u8>, f: f64) {
    let a = f.abs();
    if f != 0.0 && f.is_finite() && !(1e-4..1e17).contains(&a) {
        let s = format!("{f:e}");
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let (sign, digits) = match e.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', e),
        };
        let _ = write!(w, "{m}e{sign}{digits:0>2}");
    } else {
        let _ = write!(w, "{f}");
    }
}

/// `Mon DD, YYYY HH:MM:SS.nnnnnnnnn UTC` (day space-padded, as tshark).
pub fn write_date(w: &mut Vec<u8>, sec: i64, nsec: u32) {
    super::timefmt::write_date(w, sec, nsec, false)
}

/// Dotted-quad IPv4.
pub fn write_ipv4(w: &mut Vec<u8>, a: [u8; 4]) {
    // Built on the stack from a table of the 256 octets and copied once: a
    // row writes two or four of these.
    let mut o = [0u8; 16];
    let mut n = 0;
    for x in a {
        let (digits, len) = DEC_OCTET[x as usize];
        o[n..n + 4].copy_from_slice(&digits);
        n += len as usize;
    }
    // Each octet was followed by a dot; the last one is not kept.
    super::put::prefix(w, &o, n - 1);
}

/// Each octet's decimal digits followed by a dot, and how many of the four
/// bytes that is.
static DEC_OCTET: [([u8; 4], u8); 256] = {
    let mut t = [([0u8; 4], 0u8); 256];
    let mut i = 0;
    while i < 256 {
        let x = i as u8;
        t[i] = if x >= 100 {
            ([b'0' + x / 100, b'0' + x / 10 % 10, b'0' + x % 10, b'.'], 4)
        } else if x >= 10 {
            ([b'0' + x / 10, b'0' + x % 10, b'.', 0], 3)
        } else {
            ([b'0' + x, b'.', 0, 0], 2)
        };
        i += 1;
    }
    t
};

/// Colon-separated lowercase MAC.
pub fn write_mac(w: &mut Vec<u8>, m: [u8; 6]) {
    for (i, x) in m.iter().enumerate() {
        if i > 0 {
            w.push(b':');
        }
        w.push(HEX[(x >> 4) as usize]);
        w.push(HEX[(x & 0xf) as usize]);
    }
}

/// RFC 5952 compressed IPv6 (as std and tshark print it).
pub fn write_ipv6(w: &mut Vec<u8>, a: [u8; 16]) {
    let ip = std::net::Ipv6Addr::from(a);
    if let Some(v4) = ip.to_ipv4_mapped() {
        w.extend_from_slice(b"::ffff:");
        return write_ipv4(w, v4.octets());
    }
    // std's rule without its formatter: the longest run of two or more zero
    // groups (the first of equals) becomes `::`.
    let g = ip.segments();
    let (mut best, mut best_len, mut run) = (0usize, 0usize, 0usize);
    for (i, &x) in g.iter().enumerate() {
        run = if x == 0 { run + 1 } else { 0 };
        if run > best_len {
            best_len = run;
            best = i + 1 - run;
        }
    }
    let mut o = [0u8; 39];
    let mut n = 0;
    let mut i = 0;
    while i < 8 {
        if best_len > 1 && i == best {
            o[n] = b':';
            o[n + 1] = b':';
            n += 2;
            i += best_len;
            continue;
        }
        if i > 0 && !(best_len > 1 && i == best + best_len) {
            o[n] = b':';
            n += 1;
        }
        let x = g[i];
        let digits = (16 - x.leading_zeros() as usize).div_ceil(4).max(1);
        for k in (0..digits).rev() {
            o[n] = HEX[((x >> (k * 4)) & 0xf) as usize];
            n += 1;
        }
        i += 1;
    }
    super::put::prefix(w, &o, n);
}

/// Writes `s` as a JSON string literal (with quotes). Bytes that are not
/// UTF-8 are kept visible as `\u00XX` rather than dropped.
pub fn write_json_str(w: &mut Vec<u8>, s: &[u8]) {
    w.push(b'"');
    // Runs between the bytes JSON needs escaped are copied whole (bytes of
    // multi-byte UTF-8 characters are all >= 0x80, never special).
    let special = |b: u8| b < 0x20 || b == b'"' || b == b'\\' || b == 0x7f;
    for chunk in s.utf8_chunks() {
        let v = chunk.valid().as_bytes();
        let mut run = 0;
        for (i, &b) in v.iter().enumerate() {
            if !special(b) {
                continue;
            }
            w.extend_from_slice(&v[run..i]);
            match b {
                b'"' => w.extend_from_slice(b"\\\""),
                b'\\' => w.extend_from_slice(b"\\\\"),
                b'\n' => w.extend_from_slice(b"\\n"),
                b'\r' => w.extend_from_slice(b"\\r"),
                b'\t' => w.extend_from_slice(b"\\t"),
                b => {
                    let _ = write!(w, "\\u{:04x}", b);
                }
            }
            run = i + 1;
        }
        w.extend_from_slice(&v[run..]);
        for &b in chunk.invalid() {
            let _ = write!(w, "\\u{:04x}", b);
        }
    }
    w.push(b'"');
}

/// Writes `io::Write` errors through; used by sinks that stream to stdout.
pub fn flush_to(w: &mut dyn Write, buf: &mut Vec<u8>) -> io::Result<()> {
    w.write_all(buf)?;
    buf.clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: Value) -> String {
        v.to_string_lossy()
    }

    /// The hand-written address formatters print what std prints (RFC 5952
    /// for IPv6, tshark's form too), over edge cases and a sweep of
    /// addresses with zero runs in every place.
    #[test]
    fn addresses_match_std() {
        let mut cases: Vec<[u8; 16]> = vec![
            [0; 16],
            std::net::Ipv6Addr::LOCALHOST.octets(),
            "::ffff:192.0.2.1"
                .parse::<std::net::Ipv6Addr>()
                .unwrap()
                .octets(),
            "::192.0.2.1"
                .parse::<std::net::Ipv6Addr>()
                .unwrap()
                .octets(),
            "1:0:0:2:0:0:0:3"
                .parse::<std::net::Ipv6Addr>()
                .unwrap()
                .octets(),
            "1:0:0:2:0:0:3:4"
                .parse::<std::net::Ipv6Addr>()
                .unwrap()
                .octets(),
            "fe80::1".parse::<std::net::Ipv6Addr>().unwrap().octets(),
            [0xff; 16],
        ];
        let mut x: u32 = 0x9e37_79b9;
        for mask in 0u32..256 {
            let mut a = [0u8; 16];
            for g in 0..8 {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                if mask & (1 << g) != 0 {
                    // Values of 1 to 4 hex digits.
                    let v = (x >> 16) >> (4 * (x & 3));
                    a[2 * g..2 * g + 2].copy_from_slice(&(v as u16).to_be_bytes());
                }
            }
            cases.push(a);
        }
        for a in cases {
            let mut w = Vec::new();
            write_ipv6(&mut w, a);
            assert_eq!(
                String::from_utf8(w).unwrap(),
                std::net::Ipv6Addr::from(a).to_string()
            );
        }
        for a in [
            [0, 0, 0, 0],
            [255, 255, 255, 255],
            [10, 100, 9, 99],
            [1, 20, 200, 0],
        ] {
            let mut w = Vec::new();
            write_ipv4(&mut w, a);
            assert_eq!(
                String::from_utf8(w).unwrap(),
                std::net::Ipv4Addr::from(a).to_string()
            );
        }
    }

    #[test]
    fn tshark_formats() {
        assert_eq!(s(Value::Hex(0x12, 4)), "0x0012");
        assert_eq!(s(Value::Hex(0x2, 2)), "0x02");
        assert_eq!(s(Value::Hex(0, 8)), "0x00000000");
        assert_eq!(s(Value::Hex(0x12345, 4)), "0x12345");
        assert_eq!(s(Value::Bool(true)), "1");
        assert_eq!(s(Value::Ipv4([10, 0, 0, 1])), "10.0.0.1");
        let mut v6 = [0u8; 16];
        v6[0] = 0xfe;
        v6[1] = 0x80;
        v6[15] = 1;
        assert_eq!(s(Value::Ipv6(v6)), "fe80::1");
        assert_eq!(
            s(Value::Mac([0, 0x1b, 0x21, 0xaa, 0xbb, 0xcc])),
            "00:1b:21:aa:bb:cc"
        );
        assert_eq!(s(Value::Bytes(b"GET")), "474554");
        assert_eq!(
            s(Value::Epoch(1120622255, 938066000)),
            "1120622255.938066000"
        );
        assert_eq!(s(Value::Nanos(56_000)), "0.000056000");
        assert_eq!(s(Value::Float(0.022812)), "0.022812");
        assert_eq!(s(Value::Float(0.000001)), "1e-06");
        assert_eq!(s(Value::Float(2.5e-7)), "2.5e-07");
        assert_eq!(s(Value::Float(0.0)), "0");
        assert_eq!(
            s(Value::Date(1795577092, 0)),
            "Nov 25, 2026 03:24:52.000000000 UTC"
        );
        assert_eq!(
            s(Value::Date(951782400, 5)),
            "Feb 29, 2000 00:00:00.000000005 UTC"
        );
    }

    #[test]
    fn json_escapes() {
        let mut w = Vec::new();
        write_json_str(&mut w, b"a\"b\\\n\x01\xff");
        assert_eq!(
            String::from_utf8(w).unwrap(),
            "\"a\\\"b\\\\\\n\\u0001\\u00ff\""
        );
        // Multi-byte characters pass whole; DEL and tabs are escaped.
        let mut w = Vec::new();
        write_json_str(&mut w, "··S·\x7f\té".as_bytes());
        assert_eq!(String::from_utf8(w).unwrap(), "\"··S·\\u007f\\té\"");
    }
}
