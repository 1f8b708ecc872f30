//! Protocol statistics: the protocol hierarchy (as `tshark -q -z io,phs`
//! counts it), and ports and endpoints summed from the conversations.

use super::conversations::{port_service, Conversation};
use crate::dissect::{Packet, Proto};
use std::collections::HashMap;
use std::net::IpAddr;

/// One protocol at one position in the layer stack.
pub struct Node {
    pub name: &'static str,
    pub frames: u64,
    pub bytes: u64,
    pub children: Vec<usize>,
    /// The frame that first reached it: siblings stay in first-seen order
    /// when workers' trees are merged.
    first: u64,
}

/// Packets and bytes per protocol per position in the layer stack.
#[derive(Default)]
pub struct Hierarchy {
    nodes: Vec<Node>,
    roots: Vec<usize>,
}

impl Hierarchy {
    pub fn observe(&mut self, pkt: &Packet<'_>) {
        let mut parent: Option<usize> = None;
        let bytes = pkt.wire_len as u64;
        let mut in_icmp = false;
        for (k, l) in pkt.layers.iter().enumerate() {
            // Inside an ICMP message tshark's tree holds the echo data and
            // the quoted packet under ICMP's own node: its hierarchy counts
            // neither, except what a quoted UDP/TCP header carries.
            if in_icmp {
                let after_transport =
                    k > 0 && matches!(pkt.layers[k - 1].proto, Proto::Udp | Proto::Tcp);
                if !(l.proto.tier() == crate::dissect::Tier::Application && after_transport) {
                    continue;
                }
            }
            in_icmp |= matches!(l.proto, Proto::Icmp | Proto::Icmpv6);
            let name = l.proto.filter_name();
            // IPv6 extension headers (AH among them) sit in the IPv6 tree.
            let prev = k.checked_sub(1).map(|p| pkt.layers[p].proto.filter_name());
            if name.starts_with("ipv6.")
                || (l.proto == Proto::Ah && prev.is_some_and(|p| p.starts_with("ipv6")))
            {
                continue;
            }
            let list = match parent {
                Some(p) => &self.nodes[p].children,
                None => &self.roots,
            };
            let found = list.iter().copied().find(|&i| self.nodes[i].name == name);
            let i = match found {
                Some(i) => i,
                None => {
                    let i = self.nodes.len();
                    self.nodes.push(Node {
                        name,
                        frames: 0,
                        bytes: 0,
                        children: Vec::new(),
                        first: pkt.number,
                    });
                    match parent {
                        Some(p) => self.nodes[p].children.push(i),
                        None => self.roots.push(i),
                    }
                    i
                }
            };
            self.nodes[i].frames += 1;
            self.nodes[i].bytes += bytes;
            parent = Some(i);
        }
    }

    /// Adds another worker's counts: nodes at the same place are summed,
    /// and siblings stay in the order the capture first showed them.
    pub fn merge(&mut self, other: &Hierarchy) {
        fn into(me: &mut Hierarchy, o: &Hierarchy, from: &[usize], parent: Option<usize>) {
            for &oi in from {
                let on = &o.nodes[oi];
                let list = match parent {
                    Some(p) => &me.nodes[p].children,
                    None => &me.roots,
                };
                let i = match list.iter().copied().find(|&i| me.nodes[i].name == on.name) {
                    Some(i) => i,
                    None => {
                        let i = me.nodes.len();
                        me.nodes.push(Node {
                            name: on.name,
                            frames: 0,
                            bytes: 0,
                            children: Vec::new(),
                            first: on.first,
                        });
                        match parent {
                            Some(p) => me.nodes[p].children.push(i),
                            None => me.roots.push(i),
                        }
                        i
                    }
                };
                let n = &mut me.nodes[i];
                n.frames += on.frames;
                n.bytes += on.bytes;
                n.first = n.first.min(on.first);
                into(me, o, &on.children, Some(i));
            }
        }
        into(self, other, &other.roots, None);
        let firsts: Vec<u64> = self.nodes.iter().map(|n| n.first).collect();
        self.roots.sort_by_key(|&i| firsts[i]);
        for n in &mut self.nodes {
            n.children.sort_by_key(|&i| firsts[i]);
        }
    }

    /// Every node with its depth, parents before children, in first-seen order.
    pub fn walk(&self, mut f: impl FnMut(&Node, usize)) {
        let mut stack: Vec<(usize, usize)> = self.roots.iter().rev().map(|&i| (i, 0)).collect();
        while let Some((i, depth)) = stack.pop() {
            let n = &self.nodes[i];
            f(n, depth);
            stack.extend(n.children.iter().rev().map(|&c| (c, depth + 1)));
        }
    }
}

/// Traffic to one service port.
pub struct PortRow {
    /// `443/tcp`.
    pub port: String,
    pub service: String,
    pub packets: u64,
    pub bytes: u64,
    pub conns: u64,
}

/// Traffic of one address.
pub struct EndpointRow {
    pub addr: String,
    pub packets: u64,
    pub bytes: u64,
    pub convs: u64,
}

/// Service name, packets, bytes, connections.
type PortAgg = (Option<&'static str>, u64, u64, u64);

/// Ports by the responder's (service) port of each TCP/UDP conversation,
/// busiest first.
pub fn ports(rows: &[&Conversation]) -> Vec<PortRow> {
    let mut m: HashMap<(&'static str, u16), PortAgg> = HashMap::new();
    for c in rows {
        let (Some(pb), Some(_)) = (c.port_b, c.port_a) else {
            continue;
        };
        let e = m.entry((c.transport, pb)).or_insert((None, 0, 0, 0));
        e.0 = e.0.or(port_service(c.ip_proto, pb)).or(c.app);
        e.1 += c.total_packets();
        e.2 += c.total_bytes();
        e.3 += 1;
    }
    let mut v: Vec<_> = m.into_iter().collect();
    v.sort_by(|a, b| b.1 .2.cmp(&a.1 .2).then(a.0.cmp(&b.0)));
    v.into_iter()
        .map(|((t, p), (svc, packets, bytes, conns))| PortRow {
            port: format!("{p}/{}", t.to_ascii_lowercase()),
            service: svc.unwrap_or("-").to_string(),
            packets,
            bytes,
            conns,
        })
        .collect()
}

/// Every address with the traffic of the conversations it takes part in,
/// busiest first.
pub fn endpoints(rows: &[&Conversation]) -> Vec<EndpointRow> {
    let mut m: HashMap<IpAddr, (u64, u64, u64)> = HashMap::new();
    for c in rows {
        let mut add = |a: IpAddr| {
            let e = m.entry(a).or_default();
            e.0 += c.total_packets();
            e.1 += c.total_bytes();
            e.2 += 1;
        };
        add(c.a);
        if c.b != c.a {
            add(c.b);
        }
    }
    let mut v: Vec<_> = m.into_iter().collect();
    v.sort_by(|a, b| b.1 .1.cmp(&a.1 .1).then(a.0.cmp(&b.0)));
    v.into_iter()
        .map(|(a, (packets, bytes, convs))| EndpointRow {
            addr: a.to_string(),
            packets,
            bytes,
            convs,
        })
        .collect()
}
