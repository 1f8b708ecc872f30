//! Service names by port, for payloads and conversations no decoder named.
//! A port a protocol declaration registers is named by that protocol
//! (`dns`, `tls`); the others by the IANA registry's service name,
//! shortened to the table's App column (`pgsql`, `smtp`).

use super::registry;

/// The service name of a TCP or UDP port: the protocol registered for it,
/// else a well-known service.
pub fn name(udp: bool, port: u16) -> Option<&'static str> {
    registry::by_ports(udp, port, port)
        .map(|p| p.filter_name())
        .or_else(|| well_known(udp, port))
}

/// The service for a pair of ports: the lower port's first.
pub fn for_ports(udp: bool, a: u16, b: u16) -> Option<&'static str> {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    name(udp, lo).or_else(|| name(udp, hi))
}

/// Services layerscope does not decode, by (UDP?, port).
fn well_known(udp: bool, port: u16) -> Option<&'static str> {
    Some(match (udp, port) {
        (_, 7) => "echo",
        (false, 25) => "smtp",
        (true, 69) => "tftp",
        (false, 88) | (true, 88) => "kerberos",
        (false, 110) => "pop3",
        (_, 111) => "sunrpc",
        (false, 143) => "imap",
        (true, 137) => "nbns",
        (true, 138) => "nbdgm",
        (false, 139) => "nbss",
        (true, 161) => "snmp",
        (true, 162) => "snmptrap",
        (false, 179) => "bgp",
        (false, 389) => "ldap",
        (true, 443) => "quic",
        (false, 445) => "smb",
        (true, 500) => "isakmp",
        (true, 514) => "syslog",
        (false, 514) => "shell",
        (false, 587) => "smtp",
        (false, 636) => "ldaps",
        (true, 1812) => "radius",
        (true, 1813) => "radacct",
        (false, 993) => "imaps",
        (false, 995) => "pop3s",
        (false, 1433) => "ms-sql-s",
        (false, 1883) => "mqtt",
        (true, 1900) => "ssdp",
        (true, 3784) => "bfd",
        (false, 3306) => "mysql",
        (false, 3389) => "rdp",
        (true, 4500) => "nat-t",
        (true, 5060) | (false, 5060) => "sip",
        (false, 5222) => "xmpp",
        (false, 5432) => "pgsql",
        (false, 5672) => "amqp",
        (false, 5900) => "vnc",
        (true, 6081) => "geneve",
        (false, 6379) => "redis",
        (false, 6443) => "k8s-api",
        (true, 4789) => "vxlan",
        (false, 8443) => "https",
        (false, 9092) => "kafka",
        (false, 11211) | (true, 11211) => "memcache",
        (false, 27017) => "mongodb",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn names() {
        assert_eq!(super::for_ports(false, 49002, 5432), Some("pgsql"));
        assert_eq!(super::for_ports(true, 53, 40000), Some("dns"));
        assert_eq!(super::for_ports(false, 443, 40000), Some("tls"));
        assert_eq!(super::for_ports(true, 443, 40000), Some("quic"));
        assert_eq!(super::for_ports(false, 40000, 40001), None);
    }
}
