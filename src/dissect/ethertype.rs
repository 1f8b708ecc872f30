//! EtherType values and their IEEE registry names, as Wireshark's
//! `etype` value strings print them ("IPv4 (0x0800)"). Every header that
//! carries an EtherType (Ethernet, 802.1Q, SLL, null, SNAP, ARP's protocol
//! type) names it from this one table.

pub const IPV4: u16 = 0x0800;
pub const ARP: u16 = 0x0806;
pub const IPV6: u16 = 0x86dd;

/// The registry name of an EtherType; empty when layerscope has none.
pub fn name(t: u16) -> &'static str {
    match t {
        IPV4 => "IPv4",
        ARP => "ARP",
        IPV6 => "IPv6",
        0x8100 => "802.1Q Virtual LAN",
        0x88a8 => "802.1ad Provider Bridge (Q-in-Q)",
        0x9100 => "VLAN double tagging",
        0x8847 => "MPLS label switched packet",
        0x8848 => "MPLS multicast label switched packet",
        0x8863 => "PPPoE Discovery",
        0x8864 => "PPPoE Session",
        0x888e => "802.1X Authentication",
        0x88cc => "802.1AB Link Layer Discovery Protocol",
        0x8035 => "Reverse ARP",
        0x88e5 => "802.1AE MAC Security",
        0x88f7 => "PTPv2 over Ethernet",
        0x8809 => "Slow Protocols",
        0x9000 => "Configuration Test Protocol (loopback)",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_wireshark() {
        // Wireshark's etype value strings (epan/etypes.h).
        assert_eq!(name(0x0800), "IPv4");
        assert_eq!(name(0x86dd), "IPv6");
        assert_eq!(name(0x88a8), "802.1ad Provider Bridge (Q-in-Q)");
        assert_eq!(name(0x1234), "");
    }
}
