//! One conversation's byte stream, both directions in delivery order, as
//! `tshark -q -z follow,tcp,…,N` rebuilds it.
//!
//! Each direction is put in sequence order: data already delivered
//! (retransmissions, overlaps) is skipped, data past a gap waits until the
//! gap fills (and is flushed as it is at the end of the capture).

use crate::dissect::{transport::tcp, Packet, Proto};
use std::collections::BTreeMap;

/// Cap on out-of-order bytes held per direction.
const MAX_PENDING: usize = 64 << 20;

#[derive(Default)]
struct Dir {
    next: Option<u32>,
    /// Segments past a gap, by sequence number.
    pending: BTreeMap<u32, Vec<u8>>,
    pending_bytes: usize,
}

/// The followed stream: endpoints and chunks in delivery order.
#[derive(Default)]
pub struct Follow {
    stream: u32,
    udp: bool,
    /// Node 0 (the first packet's sender) and node 1, as "addr:port".
    pub nodes: Option<(String, String)>,
    node0: Option<(std::net::IpAddr, u16)>,
    dirs: [Dir; 2],
    /// (direction, bytes); direction 0 is from node 0.
    pub chunks: Vec<(usize, Vec<u8>)>,
}

fn ep(a: std::net::IpAddr, p: u16) -> String {
    match a {
        std::net::IpAddr::V6(v) => format!("{v}:{p}"),
        a => format!("{a}:{p}"),
    }
}

impl Follow {
    pub fn new(stream: u32, udp: bool) -> Self {
        Follow {
            stream,
            udp,
            ..Default::default()
        }
    }

    pub fn observe(&mut self, pkt: &Packet<'_>) {
        if pkt.flow.stream != Some(self.stream) {
            return;
        }
        let want = if self.udp { Proto::Udp } else { Proto::Tcp };
        let Some(idx) = pkt.layers.iter().position(|l| {
            matches!(
                l.proto,
                Proto::Tcp | Proto::Udp | Proto::Icmp | Proto::Icmpv6
            )
        }) else {
            return;
        };
        let t = pkt.layers[idx];
        if t.proto != want {
            return;
        }
        let (Some((src, dst)), Some((sp, dp))) = (pkt.addrs(), pkt.ports()) else {
            return;
        };
        let node0 = *self.node0.get_or_insert((src, sp));
        if self.nodes.is_none() {
            self.nodes = Some((ep(src, sp), ep(dst, dp)));
        }
        let dir = usize::from((src, sp) != node0);
        if self.udp {
            let p = pkt.bytes_of(&t, t.payload());
            if !p.is_empty() {
                self.chunks.push((dir, p.to_vec()));
            }
            return;
        }
        // The stream was numbered, so the header holds at least its window.
        let Some(h) = tcp::TcpHeader::new_through_window(pkt.bytes_of(&t, t.header())) else {
            return;
        };
        let (seq, flags) = (h.seq(), h.flags());
        let len = tcp::seg_len(pkt, idx).unwrap_or(0) as usize;
        let data = pkt.bytes_of(&t, t.payload());
        let data = &data[..data.len().min(len)];
        let d = &mut self.dirs[dir];
        // Data starts one past the SYN.
        let start = if flags & tcp::SYN != 0 {
            seq.wrapping_add(1)
        } else {
            seq
        };
        if flags & tcp::SYN != 0 {
            d.next = Some(start);
        }
        if data.is_empty() {
            return;
        }
        let next = *d.next.get_or_insert(start);
        let ahead = start.wrapping_sub(next) as i32;
        if ahead > 0 {
            if d.pending_bytes + data.len() <= MAX_PENDING {
                d.pending_bytes += data.len();
                d.pending.entry(start).or_insert_with(|| data.to_vec());
            }
            return;
        }
        // Skip what was delivered already.
        let skip = (-(ahead as i64)) as usize;
        if skip >= data.len() {
            return;
        }
        self.deliver(dir, start.wrapping_add(skip as u32), &data[skip..]);
    }

    fn deliver(&mut self, dir: usize, at: u32, data: &[u8]) {
        self.chunks.push((dir, data.to_vec()));
        let d = &mut self.dirs[dir];
        let mut next = at.wrapping_add(data.len() as u32);
        d.next = Some(next);
        // Pending segments that now touch or overlap the delivered data.
        while let Some(s) = d
            .pending
            .keys()
            .copied()
            .find(|&s| (s.wrapping_sub(next) as i32) <= 0)
        {
            let Some(buf) = d.pending.remove(&s) else {
                break;
            };
            d.pending_bytes -= buf.len();
            let skip = next.wrapping_sub(s) as usize;
            if skip < buf.len() {
                self.chunks.push((dir, buf[skip..].to_vec()));
                next = s.wrapping_add(buf.len() as u32);
                d.next = Some(next);
            }
        }
    }

    /// Data still waiting behind a gap at the end, in sequence order.
    pub fn finish(&mut self) {
        for dir in 0..2 {
            let pending = std::mem::take(&mut self.dirs[dir].pending);
            for (_, buf) in pending {
                self.chunks.push((dir, buf));
            }
        }
    }
}
