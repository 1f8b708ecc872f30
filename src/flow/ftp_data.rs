//! FTP data connections announced on a control connection.
//!
//! A 227/229 reply or a PORT/EPRT command (`dissect::app::ftp::announced`)
//! names the endpoint the next data connection will use. The flow stage
//! notes it here and asks `is_data` for each new TCP connection, so the data
//! connection is labelled ftp-data even off port 20. The table is bounded
//! (attacker-controlled replies must not grow memory): past `cap` entries the
//! oldest announcement is evicted and counted.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

/// Default cap on remembered announcements.
pub const DEFAULT_CAP: usize = 4096;

#[derive(Debug)]
pub struct FtpDataTable {
    cap: usize,
    /// Endpoint → the control stream that announced it (if known).
    map: HashMap<(IpAddr, u16), Option<u32>>,
    /// Insertion order, for evicting the oldest.
    order: VecDeque<(IpAddr, u16)>,
    evicted: u64,
}

impl Default for FtpDataTable {
    fn default() -> Self {
        Self::new(DEFAULT_CAP)
    }
}

impl FtpDataTable {
    pub fn new(cap: usize) -> Self {
        FtpDataTable {
            cap: cap.max(1),
            map: HashMap::new(),
            order: VecDeque::new(),
            evicted: 0,
        }
    }

    /// Remembers that `ip:port` will carry an FTP data connection.
    pub fn note_passive(&mut self, ip: IpAddr, port: u16) {
        self.note(ip, port, None);
    }

    /// As `note_passive`, remembering the announcing control stream
    /// (`tcp.stream`), which ties the data connection to it.
    pub fn note(&mut self, ip: IpAddr, port: u16, control_stream: Option<u32>) {
        let k = (ip, port);
        if self.map.insert(k, control_stream).is_some() {
            // Re-announced: move it to the back so it is evicted last.
            self.order.retain(|x| *x != k);
        }
        self.order.push_back(k);
        while self.map.len() > self.cap {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if self.map.remove(&old).is_some() {
                self.evicted += 1;
            }
        }
    }

    /// True when `ip:port` was announced as an FTP data endpoint.
    pub fn is_data(&self, ip: IpAddr, port: u16) -> bool {
        self.map.contains_key(&(ip, port))
    }

    /// The control stream that announced `ip:port`, if it was recorded.
    pub fn control_stream(&self, ip: IpAddr, port: u16) -> Option<u32> {
        self.map.get(&(ip, port)).copied().flatten()
    }

    /// Forgets an endpoint (e.g. when its data connection closes).
    pub fn forget(&mut self, ip: IpAddr, port: u16) {
        if self.map.remove(&(ip, port)).is_some() {
            self.order.retain(|x| *x != (ip, port));
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Announcements dropped because the table was full.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_with_eviction() {
        let ip: IpAddr = "10.99.0.1".parse().unwrap();
        let mut t = FtpDataTable::new(3);
        for p in 30000..30005 {
            t.note_passive(ip, p);
        }
        assert_eq!(t.len(), 3);
        assert_eq!(t.evicted(), 2);
        assert!(!t.is_data(ip, 30000));
        assert!(t.is_data(ip, 30004));
        t.note(ip, 30002, Some(7));
        t.note_passive(ip, 30005);
        assert!(t.is_data(ip, 30002), "re-announced entry is newest");
        assert_eq!(t.control_stream(ip, 30002), Some(7));
        t.forget(ip, 30002);
        assert!(!t.is_data(ip, 30002));
    }
}
