//! Which parts of a packet a filter has to look at.
//!
//! Generating every field of every layer costs more than decoding the
//! packet did, so a filter visits only the layers that can emit the fields
//! it names: `tcp.port == 443` never formats an Ethernet or DNS field. A
//! protocol tested for presence still runs its decoder's field pass, since
//! some decoders add no tree item for bytes tshark would not either.

use crate::dissect::{self, transport, Field, FieldSink, IssueKind, Packet, Proto, Src, Value};

/// Names a filter can test from the TCP/UDP port words alone (the most
/// common display filters): such a filter reads two 16-bit words per
/// transport header instead of running the decoders' whole field pass.
pub const PORT_NAMES: [&str; 8] = [
    "tcp",
    "tcp.port",
    "tcp.srcport",
    "tcp.dstport",
    "udp",
    "udp.port",
    "udp.srcport",
    "udp.dstport",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Visit {
    Skip,
    Fields,
}

/// What to visit, decided once per protocol when the filter compiles.
#[derive(Clone, Debug)]
pub struct Scope {
    /// Indexed by `Proto as usize`.
    visit: Vec<Visit>,
    frame: bool,
    reasm: bool,
    issue: bool,
    /// Every name is in `PORT_NAMES`.
    ports_only: bool,
}

impl Scope {
    /// The scope of a filter naming `names` (fields and bare protocols):
    /// a layer is visited when its declaration lists one of the names.
    pub fn new(names: &[String]) -> Self {
        let in_table = |t: &[dissect::decl::FieldDef]| {
            names.iter().any(|n| t.iter().any(|f| f.name == n.as_str()))
        };
        let visit = Proto::ALL
            .iter()
            .map(|&p| {
                if names.iter().any(|n| p.decl().emits(n)) {
                    Visit::Fields
                } else {
                    Visit::Skip
                }
            })
            .collect();
        Scope {
            visit,
            frame: names.iter().any(|n| n == "frame") || in_table(dissect::frame::FIELDS),
            reasm: in_table(dissect::reasm::FIELDS),
            issue: in_table(dissect::registry::ISSUE_FIELDS),
            ports_only: !names.is_empty() && names.iter().all(|n| PORT_NAMES.contains(&n.as_str())),
        }
    }

    /// Like the full pass for a `ports_only` filter: the same layer and port
    /// fields the TCP and UDP decoders emit (their first four bytes), and
    /// nothing else.
    fn port_fields(pkt: &Packet<'_>, out: &mut dyn FieldSink) {
        for l in &pkt.layers {
            let (name, names) = match l.proto {
                Proto::Tcp => ("tcp", ["tcp.srcport", "tcp.dstport", "tcp.port"]),
                Proto::Udp => ("udp", ["udp.srcport", "udp.dstport", "udp.port"]),
                _ => continue,
            };
            if l.src == Src::Reassembled {
                dissect::layer_fields(pkt, l, out);
                continue;
            }
            let Some((sp, dp)) = transport::ports(pkt.bytes(l.header())) else {
                continue;
            };
            out.layer(name, "", l.header());
            let o = l.start as usize;
            let (spr, dpr) = (transport::SRC_PORT, transport::DST_PORT);
            let (spr, dpr) = (o + spr.start..o + spr.end, o + dpr.start..o + dpr.end);
            for (n, v, r) in [
                (names[0], sp, spr.clone()),
                (names[1], dp, dpr.clone()),
                (names[2], sp, spr),
                (names[2], dp, dpr),
            ] {
                out.field(&Field {
                    name: n,
                    label: "",
                    value: Value::U(v as u64),
                    range: r,
                    note: "",
                });
            }
        }
    }

    /// Hands `out` the fields of `pkt` that the filter can use, in the order
    /// `dissect::all_fields` would.
    pub fn fields(&self, pkt: &Packet<'_>, out: &mut dyn FieldSink) {
        if self.ports_only {
            return Self::port_fields(pkt, out);
        }
        if self.frame {
            dissect::frame::fields(pkt, out);
        }
        let parent = if self.reasm {
            dissect::reasm::parent_index(pkt)
        } else {
            None
        };
        for (i, l) in pkt.layers.iter().enumerate() {
            match self.visit.get(l.proto as usize) {
                Some(Visit::Skip) => {}
                // A protocol missing from `Proto::ALL` is visited in full.
                Some(Visit::Fields) | None => dissect::layer_fields(pkt, l, out),
            }
            if Some(i) == parent {
                dissect::reasm::fields(pkt, out);
            }
        }
        if self.issue {
            if let Some(issue) = &pkt.issue {
                let name = match issue.kind {
                    IssueKind::Malformed => "_ws.malformed",
                    IssueKind::Truncated => "_ws.short",
                };
                out.layer(name, "", 0..0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_every_protocol_at_its_index() {
        for (i, p) in Proto::ALL.iter().enumerate() {
            assert_eq!(*p as usize, i, "{p:?}");
        }
        assert_eq!(Proto::ALL.last(), Some(&Proto::Unsupported));
    }

    fn scope(names: &[&str]) -> Scope {
        Scope::new(&names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn visits_only_what_the_names_need() {
        let s = scope(&["tcp.port"]);
        assert_eq!(s.visit[Proto::Tcp as usize], Visit::Fields);
        assert_eq!(s.visit[Proto::Eth as usize], Visit::Skip);
        assert_eq!(s.visit[Proto::Dns as usize], Visit::Skip);
        assert!(!s.frame && !s.reasm && !s.issue);
        let s = scope(&["tcp.segment", "ip.fragment", "_ws.malformed"]);
        assert!(s.reasm && s.issue);
        let s = scope(&["dns", "ipv6.addr", "frame.len"]);
        assert_eq!(s.visit[Proto::Dns as usize], Visit::Fields);
        assert_eq!(s.visit[Proto::Http as usize], Visit::Skip);
        assert_eq!(s.visit[Proto::Ipv6 as usize], Visit::Fields);
        assert_eq!(s.visit[Proto::Ipv6Routing as usize], Visit::Fields);
        assert!(s.frame);
        let s = scope(&["dns.qry.name", "eth.src", "mptcp"]);
        assert_eq!(s.visit[Proto::Mdns as usize], Visit::Fields);
        assert_eq!(s.visit[Proto::Eth as usize], Visit::Fields);
        // SLL declares no `eth.src` (its source is `sll.src.eth`).
        assert_eq!(s.visit[Proto::Sll as usize], Visit::Skip);
        assert_eq!(s.visit[Proto::Tcp as usize], Visit::Fields);
        let s = scope(&["ipv6.routing.type"]);
        assert_eq!(s.visit[Proto::Ipv6Routing as usize], Visit::Fields);
        assert_eq!(s.visit[Proto::Tcp as usize], Visit::Skip);
    }
}
