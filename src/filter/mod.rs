//! Wireshark display filters (`-Y`) over layerscope's decoded fields.
//!
//! A filter is parsed and typed once against the field registry
//! (the protocol declarations' field tables); per packet, a [`crate::dissect::FieldSink`] looks only
//! at the fields the filter names and compares typed values, never strings.

mod eval;
mod lexer;
mod parser;
pub mod scope;

pub use eval::Filter;

pub use crate::dissect::FieldType;

/// The type of a known field, or None: the protocol declarations' field
/// tables are the vocabulary.
pub fn field_type(name: &str) -> Option<FieldType> {
    crate::dissect::registry::vocabulary().get(name).copied()
}

/// A filter that does not compile: the message and the offset it is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterError {
    pub expr: String,
    pub pos: usize,
    pub msg: String,
}

impl FilterError {
    pub fn new(expr: &str, pos: usize, msg: &str) -> Self {
        FilterError {
            expr: expr.to_string(),
            pos,
            msg: msg.to_string(),
        }
    }
}

/// The expression, then a caret under the failing position and the message.
impl std::fmt::Display for FilterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let col = self
            .expr
            .get(..self.pos.min(self.expr.len()))
            .map_or(0, |s| s.chars().count());
        write!(f, "{}\n{}^ {}", self.expr, " ".repeat(col), self.msg)
    }
}

impl std::error::Error for FilterError {}

/// Pseudo-fields the flat outputs give besides the decoders' fields.
pub const COLUMN_FIELDS: &[&str] = &["_ws.col.Time", "_ws.col.protocol", "_ws.col.info"];

/// Whether `-e` may name `name`: a field or protocol of the vocabulary, or
/// a column pseudo-field. The error reads as a display filter's would.
pub fn check_field_name(name: &str) -> Result<(), FilterError> {
    if field_type(name).is_some() || COLUMN_FIELDS.contains(&name) {
        return Ok(());
    }
    Err(FilterError::new(name, 0, &eval::unknown_name(name)))
}

/// Known names nearest to `name` by edit distance, best first (at most 3).
pub fn suggest(name: &str) -> Vec<&'static str> {
    let limit = (name.len() / 3).clamp(2, 4);
    let mut best: Vec<(usize, &'static str)> = crate::dissect::registry::vocabulary()
        .keys()
        .map(|n| (levenshtein(name, n), *n))
        .filter(|(d, _)| *d <= limit)
        .collect();
    best.sort();
    best.into_iter().take(3).map(|(_, n)| n).collect()
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(expr: &str) -> String {
        Filter::compile(expr).unwrap_err().to_string()
    }

    #[test]
    fn syntax_errors_point_at_the_failure() {
        assert_eq!(
            err("tcp.port == "),
            "tcp.port == \n            ^ expected a value after '=='"
        );
        assert_eq!(
            err("tcp and (udp"),
            "tcp and (udp\n            ^ expected ')'"
        );
        assert_eq!(
            err("tcp udp"),
            "tcp udp\n    ^ expected 'and', 'or' or the end of the filter"
        );
        assert_eq!(err("tcp)"), "tcp)\n   ^ unmatched ')'");
        assert_eq!(
            err("tcp &&"),
            "tcp &&\n      ^ expected a field or protocol name"
        );
        assert_eq!(
            err("http.host == \"abc"),
            "http.host == \"abc\n             ^ unterminated string: expected '\"'"
        );
        assert_eq!(
            err("tcp.port in 80"),
            "tcp.port in 80\n            ^ expected '{' after 'in'"
        );
        assert_eq!(
            err("ip.src # 1"),
            "ip.src # 1\n       ^ unexpected character '#'"
        );
        assert_eq!(
            err(""),
            "\n^ empty filter: expected a field or protocol name"
        );
        assert_eq!(
            err("tcp.port in {80..}"),
            "tcp.port in {80..}\n             ^ expected a range 'low..high'"
        );
        assert_eq!(
            err("tcp.port in {}"),
            "tcp.port in {}\n             ^ expected at least one value in the set"
        );
        assert_eq!(
            err("eth.src[0:3 == 00"),
            "eth.src[0:3 == 00\n       ^ unclosed '[': expected ']'"
        );
    }

    #[test]
    fn unknown_fields_suggest_near_names() {
        assert_eq!(
            err("ip.scr == 1.2.3.4"),
            "ip.scr == 1.2.3.4\n^ \"ip.scr\" is not a known field or protocol; did you mean ip.src?"
        );
        assert_eq!(
            err("tcp && tcp.prot == 80"),
            "tcp && tcp.prot == 80\n       ^ \"tcp.prot\" is not a known field or protocol; did you mean tcp.port?"
        );
        assert_eq!(
            err("tcp.flags.sin == 1"),
            "tcp.flags.sin == 1\n^ \"tcp.flags.sin\" is not a known field or protocol; did you mean tcp.flags.fin, tcp.flags.syn, tcp.flags.str?"
        );
        assert_eq!(
            err("zzzzzzzzzzzz"),
            "zzzzzzzzzzzz\n^ \"zzzzzzzzzzzz\" is not a known field or protocol"
        );
    }

    #[test]
    fn type_errors_say_what_was_expected() {
        assert_eq!(
            err("ip.src == \"abc\""),
            "ip.src == \"abc\"\n          ^ ip.src expects an IPv4 address or subnet (10.0.0.1, 10.0.0.0/8)"
        );
        assert_eq!(
            err("ip.dst == 300.1.1.1"),
            "ip.dst == 300.1.1.1\n          ^ ip.dst expects an IPv4 address or subnet (10.0.0.1, 10.0.0.0/8)"
        );
        assert_eq!(
            err("http.host matches \"(\""),
            "http.host matches \"(\"\n                  ^ invalid regular expression: error: unclosed group"
        );
        assert_eq!(
            err("tcp.port == 8o"),
            "tcp.port == 8o\n            ^ tcp.port expects an unsigned integer"
        );
        assert_eq!(
            err("eth.src == 00:11:22"),
            "eth.src == 00:11:22\n           ^ eth.src expects a MAC address (00:11:22:33:44:55)"
        );
        assert_eq!(
            err("ip.ttl contains 01"),
            "ip.ttl contains 01\n                ^ 'contains' needs a string or bytes field; ip.ttl expects an unsigned integer"
        );
        assert_eq!(
            err("ip.src < 10.0.0.0/8"),
            "ip.src < 10.0.0.0/8\n         ^ a subnet can only be compared with '==' or '!='"
        );
        assert_eq!(
            err("eth.src[0;3] == 00"),
            "eth.src[0;3] == 00\n       ^ invalid slice: expected [start:length], [start-end], [start] or [start:]"
        );
    }

    /// Whether `expr` matches the frame (link type `lt`), decoded alone.
    fn hit(expr: &str, lt: u32, bytes: &[u8]) -> bool {
        let fr = crate::source::Frame {
            ts: Default::default(),
            wire_len: bytes.len() as u32,
            linktype: lt,
            interface: 0,
            ts_digits: 6,
            bytes,
        };
        let pkt = crate::dissect::dissect(&fr, 1, Default::default());
        Filter::compile(expr).unwrap().matches(&pkt)
    }

    fn hex(s: &str) -> Vec<u8> {
        crate::dissect::link::testutil::hex(s)
    }

    #[test]
    fn protocol_tests_follow_tshark_trees() {
        use crate::dissect::linktype::{IPV4, RAW};
        // IPv6 on LINKTYPE_IPV4 (tcpdump LINKTYPE_IPV4_invalid.pcap): tshark
        // lists ip:ipv6 in frame.protocols, but only `ipv6` matches.
        let v6 =
            hex("6000000000003b4020010db800000000000000000000000126200000fe0000000000000000000009");
        assert!(!hit("ip", IPV4, &v6));
        assert!(hit("ipv6 && ip.version == 6", IPV4, &v6));
        // A 3-byte DNS message (zeek ipv6-hbh-routing0.pcap): no dns tree in
        // tshark 4.0.17 below 4 bytes (ID and flags are read first).
        let udp = |n: &str| {
            let plen = n.len() / 2;
            hex(&format!(
                "45000000000100004011000000000000000000000035003500{:02x}0000{n}",
                8 + plen
            ))
        };
        let mut short = udp("123401");
        let mut four = udp("12340100");
        for f in [&mut short, &mut four] {
            let tot = (f.len() as u16).to_be_bytes();
            f[2..4].copy_from_slice(&tot);
        }
        assert!(!hit("dns", RAW, &short));
        assert!(hit("udp.port == 53 && !dns", RAW, &short));
        assert!(hit("dns", RAW, &four));
    }

    #[test]
    fn accepted_forms_compile() {
        for f in [
            "tcp.port in {80 443 8000..8100}",
            "tcp.port in {80, 443, 8000..8100}",
            "http.request.method == \"GET\" && ip.dst == 10.99.0.0/24",
            "tcp.payload contains 47:45:54",
            "eth.src[0:3] == 02:00:5e",
            "eth.src[1-2] == 00:5e",
            "http.host matches \"(?i)EXAMPLE\\\\.com$\"",
            "not tcp || !(udp.port ne 53) and ftp-data",
            "ip.ttl ge 0x40 and ipv6.addr == fe80::/10",
            "frame.time_relative < 1.5 && frame.number > 3 && frame.len <= 1514",
            "tcp.flags.syn == true and tcp.flags.ack == 0",
            "frame contains \"GET\" && tcp[0:2] == 00:50 && udp matches \"a.b\"",
            "frame.time >= \"2024-01-01 10:00:00\" && frame.time_delta < 0.001",
            "http.host == \"a\\x41\\101\\\"\"",
        ] {
            assert!(
                Filter::compile(f).is_ok(),
                "{f}: {:?}",
                Filter::compile(f).err()
            );
        }
    }
}
