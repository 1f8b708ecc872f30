//! MAC address names as Wireshark shows them (`VMware_1f:74:06`,
//! `Broadcast`, `IPv6mcast_01`), from the registry files on this machine,
//! read once at run time (nothing is bundled or downloaded):
//!
//! - Wireshark's `manuf` and `wka` files (`/usr/share/wireshark/`), whose
//!   short vendor names are exactly what tshark prints; else
//! - the IEEE registry as Debian's ieee-data package installs it
//!   (`/usr/share/ieee-data/{oui,mam,oui36,iab}.csv`), with short names
//!   derived from the long ones as Wireshark's `make-manuf.py` derives them.
//!
//! With neither, a name is the address itself, as tshark prints it without
//! a manuf file. The lookup order and formats follow tshark 4.0's
//! `eth_addr_resolve`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

pub const WIRESHARK_DIR: &str = "/usr/share/wireshark";
pub const IEEE_DIR: &str = "/usr/share/ieee-data";

/// The registry: whole addresses, ranges under a mask (keyed by the
/// masked address, one table for every mask length as tshark 4.0 keeps
/// them), and 24-bit OUIs.
#[derive(Default)]
pub struct Registry {
    exact: HashMap<[u8; 6], String>,
    masked: HashMap<[u8; 6], String>,
    oui: HashMap<[u8; 3], String>,
}

fn registry() -> &'static Registry {
    static R: OnceLock<Registry> = OnceLock::new();
    R.get_or_init(Registry::load)
}

impl Registry {
    /// Wireshark's files when present, else the IEEE CSVs, else empty.
    pub fn load() -> Registry {
        let mut r = Registry::default();
        let manuf = std::fs::read_to_string(format!("{WIRESHARK_DIR}/manuf"));
        if let Ok(text) = manuf {
            r.add_manuf(&text);
            if let Ok(wka) = std::fs::read_to_string(format!("{WIRESHARK_DIR}/wka")) {
                r.add_manuf(&wka);
            }
            return r;
        }
        for file in ["oui.csv", "mam.csv", "oui36.csv", "iab.csv"] {
            if let Ok(text) = std::fs::read_to_string(format!("{IEEE_DIR}/{file}")) {
                r.add_ieee_csv(&text);
            }
        }
        r
    }

    /// Lines of `manuf`/`wka`: `00:0C:29<TAB>VMware<TAB>VMware, Inc.`,
    /// `33-33-00-00-00-00/16<TAB>IPv6mcast`; `#` starts a comment.
    pub fn add_manuf(&mut self, text: &str) {
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("");
            let mut cols = line.split('\t').filter(|c| !c.trim().is_empty());
            let (Some(addr), Some(name)) = (cols.next(), cols.next()) else {
                continue;
            };
            let name = name.trim();
            let (addr, mask) = match addr.trim().split_once('/') {
                Some((a, m)) => (a, m.parse::<u32>().ok()),
                None => (addr.trim(), None),
            };
            let Some(bytes) = parse_hex_bytes(addr) else {
                continue;
            };
            self.add(&bytes, mask, name.to_string());
        }
    }

    fn add(&mut self, bytes: &[u8], mask: Option<u32>, name: String) {
        let mut a = [0u8; 6];
        let n = bytes.len().min(6);
        a[..n].copy_from_slice(&bytes[..n]);
        match (mask, bytes.len()) {
            (None | Some(48), 6) => {
                self.exact.insert(a, name);
            }
            (None | Some(24), 3) => {
                self.oui.insert([a[0], a[1], a[2]], name);
            }
            (Some(m), _) if m < 48 => {
                self.masked.insert(masked(&a, m), name);
            }
            _ => {}
        }
    }

    /// Rows of an IEEE registry CSV: `MA-L,000C29,"VMware, Inc.",address`.
    pub fn add_ieee_csv(&mut self, text: &str) {
        for line in text.lines().skip(1) {
            let cols = csv_fields(line);
            let (Some(prefix), Some(org)) = (cols.get(1), cols.get(2)) else {
                continue;
            };
            let prefix = prefix.trim();
            let bits = prefix.len() as u32 * 4;
            let padded = format!("{prefix:0<12}");
            let Some(bytes) = parse_hex_bytes(&padded) else {
                continue;
            };
            let name = shorten(org);
            if bits == 24 {
                // make-manuf keeps the first entry of a prefix.
                self.oui
                    .entry([bytes[0], bytes[1], bytes[2]])
                    .or_insert(name);
            } else if bits < 48 {
                self.masked
                    .entry(masked(&to6(&bytes), bits))
                    .or_insert(name);
            }
        }
    }

    /// The name tshark 4.0 shows for `a` (the address itself when the
    /// registry has nothing for it).
    pub fn name(&self, a: [u8; 6]) -> String {
        if let Some(n) = self.exact.get(&a) {
            return n.clone();
        }
        let look = |bits: u32| self.masked.get(&masked(&a, bits));
        // Ranges narrower than an OUI, then OUIs, then wider ranges; each
        // with the bytes after the range's whole bytes.
        for (whole, tail) in [(5usize, 1usize), (4, 2), (3, 3)] {
            for low in (0..8u32).rev() {
                if let Some(n) = look(whole as u32 * 8 + low) {
                    return with_tail(n, &a, whole, low, tail);
                }
            }
        }
        if let Some(n) = self.oui.get(&[a[0], a[1], a[2]]) {
            return format!("{n}_{:02x}:{:02x}:{:02x}", a[3], a[4], a[5]);
        }
        for whole in [2usize, 1] {
            for low in (0..8u32).rev() {
                if let Some(n) = look(whole as u32 * 8 + low) {
                    return with_tail(n, &a, whole, low, 6 - whole);
                }
            }
        }
        for low in (1..8u32).rev() {
            if let Some(n) = look(low) {
                return with_tail(n, &a, 0, low, 6);
            }
        }
        let mut w = Vec::with_capacity(17);
        super::field::write_mac(&mut w, a);
        String::from_utf8_lossy(&w).into_owned()
    }
}

/// `name_` and the last `tail` bytes, the first of them cut to the bits
/// below the range (`addr[whole] & (0xff >> low)`).
fn with_tail(name: &str, a: &[u8; 6], whole: usize, low: u32, tail: usize) -> String {
    let mut s = String::with_capacity(name.len() + 3 * tail);
    s.push_str(name);
    s.push('_');
    for (k, i) in (6 - tail..6).enumerate() {
        if k > 0 {
            s.push(':');
        }
        let b = if i == whole {
            a[i] & (0xff >> low)
        } else {
            a[i]
        };
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// `a` with all bits past the first `bits` cleared.
fn masked(a: &[u8; 6], bits: u32) -> [u8; 6] {
    let mut m = [0u8; 6];
    for (i, b) in a.iter().enumerate() {
        let start = i as u32 * 8;
        m[i] = if bits >= start + 8 {
            *b
        } else if bits > start {
            b & (0xffu8 << (8 - (bits - start)))
        } else {
            0
        };
    }
    m
}

fn to6(b: &[u8]) -> [u8; 6] {
    let mut a = [0u8; 6];
    let n = b.len().min(6);
    a[..n].copy_from_slice(&b[..n]);
    a
}

/// `00:0C:29`, `00-0C-29`, `000C29` → bytes (1 to 6 of them).
fn parse_hex_bytes(s: &str) -> Option<Vec<u8>> {
    let digits: String = s
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | '.'))
        .collect();
    if digits.is_empty() || digits.len() % 2 != 0 || digits.len() > 12 {
        return None;
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(digits.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The fields of one CSV line (quotes as RFC 4180).
fn csv_fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Terms `make-manuf.py` drops from a long name (after punctuation).
const GENERAL_TERMS: &str = "a/s|ab|ag|b ?v|closed joint stock company|co|company|corp|corporation|de c ?v|gmbh|holding|inc|incorporated|jsc|kg|k k|limited|llc|ltd|n ?v|oao|of|open joint stock company|ooo|oy|oyj|plc|pty|pvt|s ?a ?r ?l|s ?a|s ?p ?a|sp ?k|s ?r ?l|systems|the|zao|z ?o ?o";

/// A long registry name shortened as Wireshark's `make-manuf.py` (of the
/// 4.0 era) does: all-caps names title-cased, punctuation and business
/// terms ("Inc", "Ltd", "Corporation", …) dropped, spaces removed, eight
/// characters kept ("VMware, Inc." → "VMware", "Intel Corporate" →
/// "IntelCor").
pub fn shorten(long: &str) -> String {
    static TERMS: OnceLock<Option<regex::Regex>> = OnceLock::new();
    let terms = TERMS.get_or_init(|| {
        regex::RegexBuilder::new(&format!(r"\W({GENERAL_TERMS}) "))
            .case_insensitive(true)
            .build()
            .ok()
    });
    let mut m = format!(
        " {} ",
        long.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    let has_cased = m.chars().any(|c| c.is_lowercase() || c.is_uppercase());
    if has_cased && !m.chars().any(char::is_lowercase) {
        m = title(&m);
    }
    m = m
        .chars()
        .map(|c| if "\"',.()".contains(c) { ' ' } else { c })
        .collect();
    m = m.replace(" & ", " ");
    if let Some(re) = terms {
        // Python's pattern ends in a lookahead; replacing the space too
        // and repeating finds the terms that follow one another.
        let mut plain = m.clone();
        for _ in 0..8 {
            let next = re.replace_all(&plain, " ").into_owned();
            if next == plain {
                break;
            }
            plain = next;
        }
        if !plain.chars().all(|c| c == ' ') {
            m = plain;
        }
    }
    m.chars().filter(|c| !c.is_whitespace()).take(8).collect()
}

/// Python's `str.title()`: a capital after every non-letter, small letters after letters.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_letter = false;
    for c in s.chars() {
        if c.is_alphabetic() {
            if prev_letter {
                out.extend(c.to_lowercase());
            } else {
                out.extend(c.to_uppercase());
            }
            prev_letter = true;
        } else {
            out.push(c);
            prev_letter = false;
        }
    }
    out
}

/// Appends the name of `a` (cached per thread: most captures hold few addresses).
pub fn write_name(w: &mut Vec<u8>, a: [u8; 6]) {
    thread_local! {
        static CACHE: RefCell<HashMap<[u8; 6], String>> = RefCell::new(HashMap::new());
    }
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if let Some(n) = c.get(&a) {
            w.extend_from_slice(n.as_bytes());
            return;
        }
        let n = registry().name(a);
        w.extend_from_slice(n.as_bytes());
        if c.len() >= 4096 {
            c.clear();
        }
        c.insert(a, n);
    });
}

/// The name of `a` as a string.
pub fn name(a: [u8; 6]) -> String {
    let mut w = Vec::new();
    write_name(&mut w, a);
    String::from_utf8_lossy(&w).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg() -> Registry {
        let mut r = Registry::default();
        r.add_manuf(
            "00:0C:29\tVMware\tVMware, Inc.\n\
             00:50:C2:33:10:00/36\tBroadcas\tBroadcast Sports Inc\n\
             # comment\n",
        );
        r.add_manuf(
            "FF-FF-FF-FF-FF-FF\tBroadcast\n\
             33-33-00-00-00-00/16\tIPv6mcast\n\
             00-00-0C-07-AC/40\tAll-HSRP-routers\n",
        );
        r
    }

    #[test]
    fn names_follow_tsharks_lookup_order() {
        let r = reg();
        assert_eq!(r.name([0, 0x0c, 0x29, 0x1f, 0x74, 6]), "VMware_1f:74:06");
        assert_eq!(r.name([0xff; 6]), "Broadcast");
        assert_eq!(r.name([0x33, 0x33, 0, 0, 0, 1]), "IPv6mcast_01");
        assert_eq!(
            r.name([0x33, 0x33, 0xff, 0, 0x53, 2]),
            "IPv6mcast_ff:00:53:02"
        );
        assert_eq!(r.name([0, 0, 0x0c, 7, 0xac, 1]), "All-HSRP-routers_01");
        assert_eq!(r.name([0, 0x50, 0xc2, 0x33, 0x1a, 0xbc]), "Broadcas_0a:bc");
        assert_eq!(
            r.name([0x16, 0x51, 0x53, 4, 0x3f, 0x55]),
            "16:51:53:04:3f:55"
        );
    }

    #[test]
    fn ieee_rows_get_short_names() {
        let mut r = Registry::default();
        r.add_ieee_csv(
            "Registry,Assignment,Organization Name,Organization Address\n\
             MA-L,000C29,\"VMware, Inc.\",3401 Hillview Avenue\n\
             MA-S,0050C2331,Broadcast Sports Inc,somewhere\n",
        );
        assert_eq!(r.name([0, 0x0c, 0x29, 1, 2, 3]), "VMware_01:02:03");
        assert_eq!(r.name([0, 0x50, 0xc2, 0x33, 0x1a, 0xbc]), "Broadcas_0a:bc");
        assert_eq!(shorten("Intel Corporate"), "IntelCor");
        assert_eq!(shorten("Cisco Systems, Inc"), "Cisco");
        assert_eq!(shorten("ASUSTek COMPUTER INC."), "ASUSTekC");
        assert_eq!(shorten("HUAWEI TECHNOLOGIES CO.,LTD"), "HuaweiTe");
        assert_eq!(shorten("Apple, Inc."), "Apple");
    }
}
