//! Pairs ICMP and ICMPv6 echo ("ping") replies with their requests by
//! addresses, identifier and sequence number, for `icmp.resp_to` and the
//! round-trip time, as tshark does in one pass. Bounded: the oldest
//! unanswered requests are forgotten first.

use crate::dissect::net::{icmp::IcmpHeader, ipv4::Ipv4Header, ipv6::Ipv6Header};
use crate::dissect::{Packet, Proto};
use crate::flow::FlowHasherBuilder;
use crate::source::Timestamp;
use std::collections::{HashMap, VecDeque};

/// Unanswered requests remembered at most.
pub const DEFAULT_MAX_PENDING: usize = 65_536;

/// (IPv6 flag, requester, responder, identifier, sequence).
type Key = (bool, [u8; 16], [u8; 16], u16, u16);

pub struct EchoPairs {
    pending: HashMap<Key, (u64, Timestamp), FlowHasherBuilder>,
    order: VecDeque<Key>,
    max: usize,
    evicted: u64,
}

impl Default for EchoPairs {
    fn default() -> Self {
        EchoPairs {
            pending: HashMap::with_hasher(FlowHasherBuilder::random()),
            order: VecDeque::new(),
            max: DEFAULT_MAX_PENDING,
            evicted: 0,
        }
    }
}

fn addr16(b: &[u8]) -> [u8; 16] {
    let mut a = [0u8; 16];
    let n = b.len().min(16);
    a[..n].copy_from_slice(&b[..n]);
    a
}

impl EchoPairs {
    /// Requests forgotten to stay under the cap.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Records a request, or marks a reply with its request's frame and the
    /// time between them (`pkt.flow.resp_to`, `pkt.flow.resp_ns`).
    pub fn observe(&mut self, pkt: &mut Packet<'_>) {
        // Only an echo at the top of the packet: not one quoted in an error.
        let Some(i) = pkt
            .layers
            .iter()
            .position(|l| matches!(l.proto, Proto::Icmp | Proto::Icmpv6))
        else {
            return;
        };
        let l = pkt.layers[i];
        let v6 = l.proto == Proto::Icmpv6;
        let Some(ip) = pkt.layers[..i]
            .iter()
            .rev()
            .find(|x| matches!(x.proto, Proto::Ip | Proto::Ipv6))
        else {
            return;
        };
        // A reassembled datagram's ICMP header is in the reassembled bytes.
        let m = pkt.bytes_of(&l, l.header());
        let h = pkt.bytes_of(ip, ip.header());
        // ICMPv6 echo has ICMP's layout.
        let Some(m) = IcmpHeader::new(m) else {
            return;
        };
        let (t, id, seq) = (m.msg_type(), m.ident(), m.seq());
        let (src, dst) = match ip.proto {
            Proto::Ip => match Ipv4Header::new(h) {
                Some(h) => (addr16(&h.src()), addr16(&h.dst())),
                None => return,
            },
            _ => match Ipv6Header::new(h) {
                Some(h) => (h.src(), h.dst()),
                None => return,
            },
        };
        let (request, reply) = if v6 { (128, 129) } else { (8, 0) };
        if t == request {
            let k = (v6, src, dst, id, seq);
            if self.pending.insert(k, (pkt.number, pkt.ts)).is_none() {
                self.order.push_back(k);
            }
            while self.pending.len() > self.max {
                match self.order.pop_front() {
                    Some(old) => {
                        if self.pending.remove(&old).is_some() {
                            self.evicted += 1;
                        }
                    }
                    None => break,
                }
            }
        } else if t == reply {
            if let Some(&(n, ts)) = self.pending.get(&(v6, dst, src, id, seq)) {
                pkt.flow.resp_to = Some(n);
                pkt.flow.resp_ns = Some(pkt.ts.nanos_since(ts));
            }
        }
        // Keep the order queue from growing past the table when requests repeat.
        if self.order.len() > 2 * self.max {
            let pending = &self.pending;
            self.order.retain(|k| pending.contains_key(k));
        }
    }
}
