//! Hex dump whose bytes are coloured by the layer that owns them, so the
//! encapsulation is visible in the raw frame.

use super::style::{tier_color, DIM, RESET};
use crate::dissect::{reasm, Packet, Src, Tier};

/// The tier that owns each byte of the frame (`None`: padding or trailer).
pub fn byte_owners(pkt: &Packet<'_>) -> Vec<Option<Tier>> {
    owners_of(pkt, Src::Frame, pkt.data.len(), 0)
}

/// Owners of the bytes of one buffer, shifted left by `skip`.
pub fn owners_of(pkt: &Packet<'_>, src: Src, len: usize, skip: usize) -> Vec<Option<Tier>> {
    let mut owners = vec![None; len];
    for l in pkt.layers.iter().filter(|l| l.src == src) {
        let r = l.header();
        let r = r.start.saturating_sub(skip)..r.end.saturating_sub(skip);
        let end = r.end.min(owners.len());
        for o in owners.iter_mut().take(end).skip(r.start) {
            *o = Some(l.proto.tier());
        }
    }
    owners
}

/// Writes `pkt.data` as 16-byte lines: offset, hex, ASCII; then the
/// reassembled bytes, if any, as a second block titled as Wireshark's tab
/// ("Reassembled TCP (N bytes):").
pub fn write(pkt: &Packet<'_>, color: bool, w: &mut Vec<u8>) {
    let owners = byte_owners(pkt);
    write_bytes(pkt.data, &owners, color, w);
    let re = reasm::rebuilt(pkt);
    if !re.is_empty() && pkt.reasm_kind.is_some() {
        w.extend_from_slice(reasm::title(pkt).as_bytes());
        w.extend_from_slice(b" (");
        w.extend_from_slice(itoa::Buffer::new().format(re.len()).as_bytes());
        w.extend_from_slice(b" bytes):\n");
        let owners = owners_of(pkt, Src::Reassembled, re.len(), pkt.reassembled_at as usize);
        write_bytes(re, &owners, color, w);
    }
}

pub fn write_bytes(data: &[u8], owners: &[Option<Tier>], color: bool, w: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (line_no, chunk) in data.chunks(16).enumerate() {
        let base = line_no * 16;
        for s in 0..4 {
            w.push(HEX[(base >> (12 - 4 * s)) & 0xf]);
        }
        w.extend_from_slice(b"  ");
        let mut cur: Option<Option<Tier>> = None;
        let set = |w: &mut Vec<u8>, o: Option<Tier>, cur: &mut Option<Option<Tier>>| {
            if color && *cur != Some(o) {
                w.extend_from_slice(RESET.as_bytes());
                match o {
                    Some(t) => w.extend_from_slice(tier_color(t).as_bytes()),
                    None => w.extend_from_slice(DIM.as_bytes()),
                }
                *cur = Some(o);
            }
        };
        for i in 0..16 {
            if i == 8 {
                w.push(b' ');
            }
            match chunk.get(i) {
                Some(&b) => {
                    set(w, owners.get(base + i).copied().flatten(), &mut cur);
                    w.push(HEX[(b >> 4) as usize]);
                    w.push(HEX[(b & 0xf) as usize]);
                    w.push(b' ');
                }
                None => w.extend_from_slice(b"   "),
            }
        }
        w.push(b' ');
        for (i, &b) in chunk.iter().enumerate() {
            set(w, owners.get(base + i).copied().flatten(), &mut cur);
            w.push(if (0x20..0x7f).contains(&b) { b } else { b'.' });
        }
        if color {
            w.extend_from_slice(RESET.as_bytes());
        }
        w.push(b'\n');
    }
}

/// `data` as tcpdump's `-X` prints it: a tab, the offset (`0x0010:`), 16
/// bytes per line in 8 groups of 4 hex digits, then the bytes as ASCII
/// with '.' for anything but visible characters (space included).
pub fn write_tcpdump(data: &[u8], w: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (line_no, chunk) in data.chunks(16).enumerate() {
        w.extend_from_slice(b"\t0x");
        let off = format!("{:04x}", line_no * 16);
        w.extend_from_slice(off.as_bytes());
        w.extend_from_slice(b": ");
        let start = w.len();
        for pair in chunk.chunks(2) {
            w.push(b' ');
            for &b in pair {
                w.push(HEX[(b >> 4) as usize]);
                w.push(HEX[(b & 0xf) as usize]);
            }
        }
        // The hex part is padded to 40 columns (8 groups of " xxxx").
        let used = w.len() - start;
        w.resize(w.len() + 40usize.saturating_sub(used), b' ');
        w.extend_from_slice(b"  ");
        w.extend(
            chunk
                .iter()
                .map(|&b| if b.is_ascii_graphic() { b } else { b'.' }),
        );
        w.push(b'\n');
    }
}

/// `data` as tcpdump's `-A` prints it: visible characters, spaces, tabs and
/// line feeds as they are, a CR before a LF dropped, anything else '.';
/// ends with a line feed.
pub fn write_ascii(data: &[u8], w: &mut Vec<u8>) {
    for (i, &b) in data.iter().enumerate() {
        match b {
            b'\r' if data.get(i + 1) == Some(&b'\n') => {}
            b'\t' | b' ' | b'\n' => w.push(b),
            _ if b.is_ascii_graphic() => w.push(b),
            _ => w.push(b'.'),
        }
    }
    w.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_dump() {
        let mut w = Vec::new();
        write_bytes(b"GET / HTTP/1.1\r\nHost", &[], false, &mut w);
        let s = String::from_utf8(w).unwrap();
        assert_eq!(
            s,
            "0000  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 31 0d 0a  GET / HTTP/1.1..\n\
             0010  48 6f 73 74                                       Host\n"
        );
    }

    #[test]
    fn tcpdump_layout() {
        let mut w = Vec::new();
        write_tcpdump(b"E\x00\x00<abc def ghijklmnopq", &mut w);
        assert_eq!(
            String::from_utf8(w).unwrap(),
            "\t0x0000:  4500 003c 6162 6320 6465 6620 6768 696a  E..<abc.def.ghij\n\
             \t0x0010:  6b6c 6d6e 6f70 71                        klmnopq\n"
        );
        let mut w = Vec::new();
        write_ascii(b"GET / HTTP/1.1\r\nHost: a\r\n\x01\r", &mut w);
        assert_eq!(w, b"GET / HTTP/1.1\nHost: a\n..\n");
    }
}
