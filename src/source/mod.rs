//! Frame sources: capture files (pcap/pcapng) and live interfaces.
//! Everything downstream of a source is identical for both.

pub mod file;
pub mod interfaces;
pub mod live;

/// A capture timestamp, seconds and nanoseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp {
    pub sec: i64,
    pub nsec: u32,
}

impl Timestamp {
    /// The wall clock (live frames are stamped with it).
    pub fn now() -> Timestamp {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp {
            sec: d.as_secs().min(i64::MAX as u64) as i64,
            nsec: d.subsec_nanos(),
        }
    }

    /// Nanoseconds between `earlier` and `self` (negative when out of order).
    pub fn nanos_since(self, earlier: Timestamp) -> i128 {
        (self.sec as i128 - earlier.sec as i128) * 1_000_000_000 + self.nsec as i128
            - earlier.nsec as i128
    }
}

/// One captured frame as a source hands it on. `bytes` borrows the source's
/// buffer, so a frame must be consumed before the next one is read.
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    pub ts: Timestamp,
    /// Length on the wire; `bytes.len()` is the captured length.
    pub wire_len: u32,
    /// LINKTYPE_* value (pcap-linktype registry).
    pub linktype: u32,
    /// pcapng interface id (0 for classic pcap and live capture).
    pub interface: u32,
    /// Decimal digits the timestamp's source resolves (6 for microsecond
    /// pcap, 9 for nanosecond), the precision tshark prints times with.
    pub ts_digits: u8,
    pub bytes: &'a [u8],
}
