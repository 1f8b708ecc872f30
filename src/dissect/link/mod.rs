//! Data-link layer: Ethernet, 802.1Q/802.1ad tags, Linux cooked capture
//! (SLL, SLL2) and BSD loopback (null).

use super::{Layer, Packet, Proto};

pub mod eth;
pub mod null;
pub mod sll;
pub mod vlan;

/// The name a layer contributes to `frame.protocols`.
pub fn protocols_name(_pkt: &Packet<'_>, l: &Layer) -> &'static str {
    l.proto.filter_name()
}

/// True when the layer names its payload by EtherType (tshark then lists an
/// `ethertype` pseudo-protocol after it).
pub fn names_by_ethertype(_pkt: &Packet<'_>, l: &Layer) -> bool {
    matches!(l.proto, Proto::Eth | Proto::Vlan | Proto::Sll | Proto::Sll2)
}
