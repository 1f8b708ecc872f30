//! One direction of a TCP byte stream put back in sequence order: shared by
//! reassembly (which cuts the bytes into application PDUs) and `follow`
//! (which prints them), so both see the same stream.
//!
//! Bytes already delivered are skipped (retransmissions, overlaps: the
//! first copy wins); segments past a hole are held, within the caller's
//! bounds, and released once the hole fills, in arrival order as tshark
//! does; what is still held at the end can be flushed in sequence order.
//! What to do about a hole (wait, resynchronise, give up) is the caller's
//! policy.

/// Where a segment falls relative to the next expected byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// It brings new bytes from `skip` on (the first `skip` were already
    /// delivered); the next expected byte is now past its end.
    Fresh { skip: usize },
    /// Every byte was delivered already.
    Old,
    /// It starts past a hole.
    Ahead,
}

/// A segment held behind a hole, with the caller's tag (a frame number).
struct Held<T> {
    seq: u32,
    data: Vec<u8>,
    tag: T,
}

/// One direction's in-order delivery state.
pub struct InOrder<T> {
    next: Option<u32>,
    held: Vec<Held<T>>,
    held_bytes: usize,
}

impl<T> Default for InOrder<T> {
    fn default() -> Self {
        InOrder {
            next: None,
            held: Vec::new(),
            held_bytes: 0,
        }
    }
}

/// Sequence numbers compare modulo 2^32, as TCP's do.
fn before_or_at(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) <= 0
}

impl<T> InOrder<T> {
    /// The next expected sequence number, once known.
    pub fn next(&self) -> Option<u32> {
        self.next
    }

    /// Expects `seq` next (a SYN, or a resynchronisation past a hole).
    pub fn set_next(&mut self, seq: u32) {
        self.next = Some(seq);
    }

    /// Takes `seq` as the stream's start unless one is known already.
    pub fn start_at(&mut self, seq: u32) {
        self.next.get_or_insert(seq);
    }

    /// Places the segment `seq..seq+len` (starting the stream at `seq` if
    /// it has no start yet); a `Fresh` segment moves the next expected byte
    /// past its end.
    pub fn place(&mut self, seq: u32, len: usize) -> Place {
        let next = *self.next.get_or_insert(seq);
        if !before_or_at(seq, next) {
            return Place::Ahead;
        }
        let skip = next.wrapping_sub(seq) as usize;
        if skip >= len {
            return Place::Old;
        }
        self.next = Some(seq.wrapping_add(len as u32));
        Place::Fresh { skip }
    }

    /// Holds a segment past a hole unless that would exceed `max_segs`
    /// segments or `max_bytes` bytes held; false when it was not held.
    pub fn hold(
        &mut self,
        seq: u32,
        data: &[u8],
        tag: T,
        max_segs: usize,
        max_bytes: usize,
    ) -> bool {
        if self.held.len() >= max_segs || self.held_bytes.saturating_add(data.len()) > max_bytes {
            return false;
        }
        self.held_bytes += data.len();
        self.held.push(Held {
            seq,
            data: data.to_vec(),
            tag,
        });
        true
    }

    /// Hands `out` the new bytes of every held segment the delivered bytes
    /// now reach (in arrival order), dropping those with nothing new.
    pub fn release(&mut self, mut out: impl FnMut(&[u8], T)) {
        let Some(mut next) = self.next else {
            return;
        };
        while let Some(i) = self.held.iter().position(|s| before_or_at(s.seq, next)) {
            let s = self.held.remove(i);
            self.held_bytes -= s.data.len();
            let skip = next.wrapping_sub(s.seq) as usize;
            if skip < s.data.len() {
                out(&s.data[skip..], s.tag);
                next = s.seq.wrapping_add(s.data.len() as u32);
                self.next = Some(next);
            }
        }
    }

    /// Hands `out` every segment still held, whole, in sequence order (one
    /// per sequence number: the first that arrived), and forgets them.
    pub fn flush(&mut self, mut out: impl FnMut(&[u8], T)) {
        let base = self.next.unwrap_or(0);
        let mut held = std::mem::take(&mut self.held);
        self.held_bytes = 0;
        held.sort_by_key(|s| s.seq.wrapping_sub(base));
        let mut last = None;
        for s in held {
            if last != Some(s.seq) {
                last = Some(s.seq);
                out(&s.data, s.tag);
            }
        }
    }

    /// Whether segments wait behind a hole.
    pub fn holding(&self) -> bool {
        !self.held.is_empty()
    }

    /// Drops the held segments.
    pub fn clear_held(&mut self) {
        self.held.clear();
        self.held_bytes = 0;
    }

    /// Memory the held segments occupy, charging `per_seg` for each.
    pub fn footprint(&self, per_seg: usize) -> usize {
        self.held.iter().map(|s| s.data.capacity() + per_seg).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(s: &mut InOrder<u32>) -> Vec<(Vec<u8>, u32)> {
        let mut v = Vec::new();
        s.release(|b, t| v.push((b.to_vec(), t)));
        v
    }

    #[test]
    fn skips_delivered_bytes() {
        let mut s = InOrder::<u32>::default();
        assert_eq!(s.place(100, 10), Place::Fresh { skip: 0 });
        assert_eq!(s.place(100, 10), Place::Old);
        assert_eq!(s.place(105, 10), Place::Fresh { skip: 5 });
        assert_eq!(s.next(), Some(115));
    }

    #[test]
    fn holds_past_a_hole_and_releases_in_arrival_order() {
        let mut s = InOrder::<u32>::default();
        assert_eq!(s.place(0, 4), Place::Fresh { skip: 0 });
        assert_eq!(s.place(8, 4), Place::Ahead);
        assert!(s.hold(8, b"ijkl", 3, 64, usize::MAX));
        assert!(s.hold(20, b"x", 4, 64, usize::MAX));
        assert!(s.hold(10, b"klmn", 5, 64, usize::MAX));
        assert_eq!(s.place(4, 4), Place::Fresh { skip: 0 });
        // 8.. goes, then the overlapping 10.. adds only what is new; 20
        // still waits behind the hole at 14.
        assert_eq!(
            collect(&mut s),
            vec![(b"ijkl".to_vec(), 3), (b"mn".to_vec(), 5)]
        );
        assert_eq!(s.next(), Some(14));
        assert!(s.holding());
    }

    #[test]
    fn bounds_and_flush() {
        let mut s = InOrder::<u32>::default();
        s.place(0, 1);
        assert!(s.hold(10, b"bb", 1, 2, 4));
        assert!(!s.hold(20, b"ccc", 2, 2, 4));
        assert!(s.hold(5, b"a", 3, 2, 4));
        assert!(!s.hold(30, b"d", 4, 2, 4));
        let mut v = Vec::new();
        s.flush(|b, t| v.push((b.to_vec(), t)));
        assert_eq!(v, vec![(b"a".to_vec(), 3), (b"bb".to_vec(), 1)]);
        assert!(!s.holding());
        assert_eq!(s.footprint(0), 0);
    }

    #[test]
    fn wraps_around_the_sequence_space() {
        let mut s = InOrder::<u32>::default();
        assert_eq!(s.place(u32::MAX - 1, 4), Place::Fresh { skip: 0 });
        assert_eq!(s.next(), Some(2));
        assert_eq!(s.place(u32::MAX, 2), Place::Old);
        assert_eq!(s.place(6, 1), Place::Ahead);
    }
}
