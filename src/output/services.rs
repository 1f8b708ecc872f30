//! Well-known service names by port (IANA registry names, shortened to the
//! table's 8-column App field), for payloads no decoder claims: the table
//! then says what the port usually carries instead of plain "Data".

/// The service name of a TCP or UDP port, when it is a well-known one.
pub fn name(udp: bool, port: u16) -> Option<&'static str> {
    Some(match (udp, port) {
        (_, 7) => "echo",
        (false, 20) => "ftp-data",
        (false, 21) => "ftp",
        (false, 22) => "ssh",
        (false, 23) => "telnet",
        (false, 25) => "smtp",
        (_, 53) => "domain",
        (true, 67) => "bootps",
        (true, 68) => "bootpc",
        (true, 69) => "tftp",
        (false, 80) => "http",
        (false, 88) | (true, 88) => "kerberos",
        (false, 110) => "pop3",
        (_, 111) => "sunrpc",
        (true, 123) => "ntp",
        (false, 143) => "imap",
        (true, 137) => "nbns",
        (true, 138) => "nbdgm",
        (false, 139) => "nbss",
        (true, 161) => "snmp",
        (true, 162) => "snmptrap",
        (false, 179) => "bgp",
        (false, 389) => "ldap",
        (false, 443) => "https",
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
        (true, 5353) => "mdns",
        (false, 5672) => "amqp",
        (false, 5900) => "vnc",
        (true, 6081) => "geneve",
        (false, 6379) => "redis",
        (false, 6443) => "k8s-api",
        (true, 4789) => "vxlan",
        (false, 8080) => "http",
        (false, 8443) => "https",
        (false, 9092) => "kafka",
        (false, 11211) | (true, 11211) => "memcache",
        (false, 27017) => "mongodb",
        _ => return None,
    })
}

/// The service for a pair of ports: the well-known one, the lower first.
pub fn for_ports(udp: bool, a: u16, b: u16) -> Option<&'static str> {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    name(udp, lo).or_else(|| name(udp, hi))
}

#[cfg(test)]
mod tests {
    #[test]
    fn names() {
        assert_eq!(super::for_ports(false, 49002, 5432), Some("pgsql"));
        assert_eq!(super::for_ports(true, 53, 40000), Some("domain"));
        assert_eq!(super::for_ports(false, 40000, 40001), None);
    }
}
