//! The Internet checksum (RFC 1071): the one's-complement sum IPv4, ICMP,
//! ICMPv6, TCP and UDP share, and the pseudo-header sum of the transport
//! checksums (RFC 768, RFC 9293, RFC 8200 8.1). Which addresses go into a
//! pseudo-header is the IP layer's business (`dissect::ip::pseudo_header_sum`).

use crate::dissect::bytes::be16;

/// Adds `data` as big-endian 16-bit words to a running one's-complement sum
/// (an odd last byte is padded with zero). A u64 cannot overflow for any
/// frame a capture can hold.
pub fn sum_words(data: &[u8], mut acc: u64) -> u64 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        acc += u16::from_be_bytes([c[0], c[1]]) as u64;
    }
    if let [last] = chunks.remainder() {
        acc += (*last as u64) << 8;
    }
    acc
}

/// Folds a running sum to 16 bits and complements it: the checksum value.
/// Over data that includes a correct checksum field the result is 0.
pub fn fold(mut sum: u64) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The checksum the sender should have written: the sum of everything but
/// the 16-bit field at `field` (an offset into `data`).
pub fn expected_checksum(data: &[u8], field: usize, acc: u64) -> u16 {
    let all = sum_words(data, acc);
    let stored = be16(data, field).unwrap_or(0) as u64;
    // Subtracting in one's complement = adding the complement.
    fold(all + (!stored & 0xffff))
}

/// The running sum of a pseudo-header: source and destination addresses
/// (4 bytes each for IPv4, 16 for IPv6), the upper-layer protocol number
/// and the upper-layer length. IPv4's 16-bit length and IPv6's 32-bit one
/// add up alike.
pub fn pseudo_header(src: &[u8], dst: &[u8], proto: u8, len: u32) -> u64 {
    let acc = proto as u64 + (len >> 16) as u64 + (len & 0xffff) as u64;
    sum_words(dst, sum_words(src, acc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3: these words sum to 0xddf2 (folded).
        let b = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(fold(sum_words(&b, 0)), !0xddf2);
        // The odd byte is the high half of a word.
        assert_eq!(sum_words(&[0x12], 0), 0x1200);
    }

    #[test]
    fn verifies_an_ipv4_header() {
        // A header carrying its correct checksum, 0xb861 (computed independently:
        // 0x4500 + 0x0073 + ... + 0x00c7 folds to 0x479e, complemented 0xb861).
        let h = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        assert_eq!(fold(sum_words(&h, 0)), 0);
        assert_eq!(expected_checksum(&h, 10, 0), 0xb861);
        let mut bad = h;
        bad[10] = 0;
        assert_eq!(expected_checksum(&bad, 10, 0), 0xb861);
        assert_ne!(fold(sum_words(&bad, 0)), 0);
    }

    #[test]
    fn pseudo_header_sums_every_part() {
        let s = pseudo_header(&[10, 0, 0, 1], &[10, 0, 0, 2], 17, 0x1_0008);
        assert_eq!(s, 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 17 + 1 + 8);
    }
}
