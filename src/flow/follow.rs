//! One conversation's byte stream, both directions in delivery order, as
//! `tshark -q -z follow,tcp,…,N` rebuilds it.
//!
//! Each direction is put in sequence order by [`InOrder`], as reassembly
//! does: data already delivered (retransmissions, overlaps) is skipped,
//! data past a gap waits until the gap fills (and is flushed as it is at
//! the end of the capture).

use super::stream::{InOrder, Place};
use crate::dissect::{transport::tcp, Packet, Proto};

/// Cap on out-of-order bytes held per direction.
const MAX_PENDING: usize = 64 << 20;

/// The followed stream: endpoints and chunks in delivery order.
#[derive(Default)]
pub struct Follow {
    stream: u32,
    udp: bool,
    /// Node 0 (the first packet's sender) and node 1, as "addr:port".
    pub nodes: Option<(String, String)>,
    node0: Option<(std::net::IpAddr, u16)>,
    dirs: [InOrder<()>; 2],
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
            d.set_next(start);
        }
        if data.is_empty() {
            return;
        }
        match d.place(start, data.len()) {
            Place::Fresh { skip } => {
                self.chunks.push((dir, data[skip..].to_vec()));
                let chunks = &mut self.chunks;
                d.release(|b, ()| chunks.push((dir, b.to_vec())));
            }
            Place::Ahead => {
                // Past the cap the segment is not kept.
                d.hold(start, data, (), usize::MAX, MAX_PENDING);
            }
            Place::Old => {}
        }
    }

    /// Data still waiting behind a gap at the end, in sequence order.
    pub fn finish(&mut self) {
        for (dir, d) in self.dirs.iter_mut().enumerate() {
            let chunks = &mut self.chunks;
            d.flush(|b, ()| chunks.push((dir, b.to_vec())));
        }
    }
}
