//! Appending short pieces of text without a `memcpy` call for each: a
//! table row is a dozen pieces of a few bytes (numbers, flag names,
//! addresses), and a libc call per piece costs more than the copy itself.
//! Each writer appends a fixed-size block (copied inline, whatever the
//! length of the text) and then cuts the vector back to the text's end.

/// Powers of ten that fit 64 bits.
const POW10: [u64; 20] = {
    let mut p = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        p[i] = p[i - 1] * 10;
        i += 1;
    }
    p
};

/// How many digits `v` has in decimal: log10 estimated from the bit
/// length (1233/4096 is just under log10(2)), then corrected once.
#[inline]
pub fn dec_len(v: u64) -> usize {
    let v = v | 1;
    let guess = (((64 - v.leading_zeros()) * 1233) >> 12) as usize;
    guess + (v >= POW10[guess.min(19)]) as usize
}

/// Appends `v` in decimal.
#[inline]
pub fn dec(w: &mut Vec<u8>, v: u64) {
    dec_n(w, v, dec_len(v));
}

/// Appends `v` in decimal, `n` being [`dec_len`] of it.
#[inline]
pub fn dec_n(w: &mut Vec<u8>, v: u64, n: usize) {
    const E8: u64 = 100_000_000;
    if n <= 8 {
        eight(w, v as u32, n);
    } else if n <= 16 {
        eight(w, (v / E8) as u32, n - 8);
        eight(w, (v % E8) as u32, 8);
    } else {
        eight(w, (v / (E8 * E8)) as u32, n - 16);
        eight(w, (v / E8 % E8) as u32, 8);
        eight(w, (v % E8) as u32, 8);
    }
}

/// Appends the last `n` (1 to 8) of the eight decimal digits of `v`
/// (below 10^8), computed in the lanes of one 64-bit word: split in
/// halves of four digits, those in pairs, the pairs in digits, with
/// multiplications by reciprocals instead of divisions and no table.
#[inline]
fn eight(w: &mut Vec<u8>, v: u32, n: usize) {
    let v = u64::from(v);
    // Lanes of 32 bits: the first four digits, then the last four.
    let halves = (v / 10_000) | ((v % 10_000) << 32);
    // Lanes of 16 bits, each below 100 (x * 10486 >> 20 is x / 100 below 10^4).
    let hi = ((halves * 10_486) >> 20) & 0x0000_007f_0000_007f;
    let pairs = ((halves - 100 * hi) << 16) | hi;
    // Lanes of 8 bits, one digit each (x * 103 >> 10 is x / 10 below 100).
    let tens = ((pairs * 103) >> 10) & 0x000f_000f_000f_000f;
    let digits = ((pairs - 10 * tens) << 8) | tens;
    let n = n.clamp(1, 8);
    // The first digit is the lowest byte: drop the leading zeros.
    let text = (digits + 0x3030_3030_3030_3030) >> (8 * (8 - n));
    let end = w.len() + n;
    w.extend_from_slice(&text.to_le_bytes());
    w.truncate(end);
}

/// Appends the first `len` bytes of `block` (a fixed-size buffer holding
/// the text and anything after it).
#[inline]
pub fn prefix<const N: usize>(w: &mut Vec<u8>, block: &[u8; N], len: usize) {
    let end = w.len() + len.min(N);
    w.extend_from_slice(block);
    w.truncate(end);
}

/// Text of at most `N` bytes kept in a fixed-size block, so that
/// [`prefix`] can append it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Short<const N: usize> {
    block: [u8; N],
    len: u8,
}

impl<const N: usize> Short<N> {
    /// None when `s` is longer than `N` bytes.
    pub fn new(s: &[u8]) -> Option<Self> {
        let mut block = [0; N];
        block.get_mut(..s.len())?.copy_from_slice(s);
        Some(Short {
            block,
            len: u8::try_from(s.len()).ok()?,
        })
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.block[..self.len as usize]
    }

    #[inline]
    pub fn put(&self, w: &mut Vec<u8>) {
        prefix(w, &self.block, self.len as usize);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_match_std_formatting() {
        let mut vals = vec![0u64, u64::MAX, u64::MAX / 10, 12_345_678_901_234_567_890];
        for p in 0..20 {
            let x = 10u64.pow(p);
            vals.extend([x - 1, x, x + 1, x * 3 / 2, x / 7 * 6]);
        }
        // Every value below 10^5 and a spread of larger ones.
        vals.extend(0..100_000);
        vals.extend((0..200_000u64).map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (i % 64)));
        for v in vals {
            assert_eq!(super::dec_len(v), v.to_string().len(), "{v}");
            let mut w = b"ab".to_vec();
            super::dec(&mut w, v);
            assert_eq!(w, format!("ab{v}").into_bytes());
        }
    }

    #[test]
    fn short_text_is_copied_exactly() {
        let src: Vec<u8> = (0..40u8).map(|i| b'!' + i).collect();
        for n in 0..=src.len() {
            let s = super::Short::<32>::new(&src[..n]);
            assert_eq!(s.is_some(), n <= 32);
            if let Some(s) = s {
                let mut w = b"ab".to_vec();
                s.put(&mut w);
                assert_eq!(&w[2..], &src[..n], "length {n}");
                assert_eq!(s.as_bytes(), &src[..n]);
            }
        }
    }
}
