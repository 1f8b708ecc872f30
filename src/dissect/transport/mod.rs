//! Transport layer: TCP and UDP.

use crate::dissect::bytes::be16;
use std::ops::Range;

pub mod tcp;
pub mod udp;

/// Both TCP and UDP headers open with the source and destination ports.
pub const SRC_PORT: Range<usize> = 0..2;
pub const DST_PORT: Range<usize> = 2..4;

/// The port pair a TCP or UDP header starts with, readable from a header
/// cut short after 4 bytes (the socket pair is named even when the rest of
/// the header is missing).
pub fn ports(h: &[u8]) -> Option<(u16, u16)> {
    Some((be16(h, SRC_PORT.start)?, be16(h, DST_PORT.start)?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn ports_from_four_bytes() {
        // 0xa112 = 41234, 0x0035 = 53 (RFC 768/9293: source port first).
        assert_eq!(super::ports(&[0xa1, 0x12, 0x00, 0x35]), Some((41234, 53)));
        assert_eq!(super::ports(&[0xa1, 0x12, 0x00]), None);
    }
}
