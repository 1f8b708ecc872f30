//! Bounds-checked big-endian readers shared by every decoder: input bytes
//! are never indexed without a length check.

pub fn be16(b: &[u8], at: usize) -> Option<u16> {
    let x = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([x[0], x[1]]))
}

pub fn be24(b: &[u8], at: usize) -> Option<u32> {
    let x = b.get(at..at.checked_add(3)?)?;
    Some(u32::from_be_bytes([0, x[0], x[1], x[2]]))
}

pub fn be32(b: &[u8], at: usize) -> Option<u32> {
    let x = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([x[0], x[1], x[2], x[3]]))
}

/// An IPv4 address at `i` (None past the end).
pub fn v4_at(b: &[u8], i: usize) -> Option<[u8; 4]> {
    b.get(i..i.checked_add(4)?)?.try_into().ok()
}

/// An IPv6 address at `i` (None past the end).
pub fn v6_at(b: &[u8], i: usize) -> Option<[u8; 16]> {
    b.get(i..i.checked_add(16)?)?.try_into().ok()
}

/// Zero when out of range: for fields of a header whose length was checked.
pub fn be16_or0(b: &[u8], at: usize) -> u16 {
    be16(b, at).unwrap_or(0)
}

/// Zero when out of range: for fields of a header whose length was checked.
pub fn be32_or0(b: &[u8], at: usize) -> u32 {
    be32(b, at).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_refuses() {
        let b = [1, 2, 3, 4];
        assert_eq!(be16(&b, 2), Some(0x0304));
        assert_eq!(be16(&b, 3), None);
        assert_eq!(be16(&b, usize::MAX), None);
        assert_eq!(be24(&b, 1), Some(0x020304));
        assert_eq!(be32(&b, 0), Some(0x01020304));
        assert_eq!(be32(&b, 1), None);
        assert_eq!(be16_or0(&b, 9), 0);
        assert_eq!(be32_or0(&b, 0), 0x01020304);
        assert_eq!(v4_at(&b, 0), Some([1, 2, 3, 4]));
        assert_eq!(v4_at(&b, 1), None);
        assert_eq!(v6_at(&b, 0), None);
    }
}
