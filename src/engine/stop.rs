//! A request to stop, shared between threads (and signal handlers).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Set once to ask a run to stop; holds the number of the signal that
/// asked, when one did (so the caller can exit as a signalled process).
/// Cloning shares the flag.
#[derive(Clone, Debug, Default)]
pub struct Stop(Arc<AtomicUsize>);

/// The value set by a stop that no signal asked for.
const NO_SIGNAL: usize = usize::MAX;
/// The value set by a stop that must not wait for frames in flight.
const NOW: usize = usize::MAX - 1;

impl Stop {
    pub fn new() -> Self {
        Stop::default()
    }

    pub fn request(&self) {
        let _ = self
            .0
            .compare_exchange(0, NO_SIGNAL, Ordering::Relaxed, Ordering::Relaxed);
    }

    /// Asks to stop at once, without draining what the kernel holds (a
    /// ring buffer that wrote its last file: more frames have nowhere to go).
    pub fn request_now(&self) {
        let _ = self
            .0
            .compare_exchange(0, NOW, Ordering::Relaxed, Ordering::Relaxed);
    }

    /// Asked with [`Stop::request_now`].
    pub fn is_immediate(&self) -> bool {
        self.0.load(Ordering::Relaxed) == NOW
    }

    pub fn is_requested(&self) -> bool {
        self.0.load(Ordering::Relaxed) != 0
    }

    /// The signal that asked to stop, if one did.
    pub fn signal(&self) -> Option<i32> {
        match self.0.load(Ordering::Relaxed) {
            0 | NO_SIGNAL | NOW => None,
            s => i32::try_from(s).ok(),
        }
    }

    /// The flag itself, for `signal_hook::flag::register_usize(sig, flag, sig)`.
    pub fn flag(&self) -> Arc<AtomicUsize> {
        Arc::clone(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signal_number_is_kept_and_a_plain_request_has_none() {
        let s = Stop::new();
        assert!(!s.is_requested());
        s.request();
        assert!(s.is_requested());
        assert_eq!(s.signal(), None);
        let t = Stop::new();
        t.flag().store(2, Ordering::Relaxed);
        let shared = t.clone();
        assert!(shared.is_requested());
        assert_eq!(shared.signal(), Some(2));
        // A later plain request does not hide the signal.
        shared.request();
        assert_eq!(t.signal(), Some(2));
        let n = Stop::new();
        n.request_now();
        assert!(n.is_requested() && n.is_immediate());
        assert_eq!(n.signal(), None);
    }
}
