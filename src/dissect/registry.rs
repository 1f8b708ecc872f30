//! The registration list: one line per protocol, naming its declaration.
//! The `Proto` enum and every table derived from the declarations
//! (dispatch by link type, EtherType, IP protocol and port, the field
//! vocabulary) come from this list.
//!
//! Order matters twice: a payload whose ports two protocols claim goes to
//! the one registered first, and content heuristics are tried in order.

use super::decl::{Decl, FieldDef, FieldType, Reach};
use super::{app, data, frame, link, net, reasm, transport, tunnel};
use std::collections::HashMap;
use std::sync::LazyLock;

macro_rules! protocols {
    ($($(#[$m:meta])* $variant:ident => $decl:path,)*) => {
        /// Every protocol layerscope decodes, in registration order.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Proto {
            $($(#[$m])* $variant,)*
        }

        impl Proto {
            /// Every variant, in registration order (`ALL[p as usize] == p`).
            pub const ALL: &'static [Proto] = &[$(Proto::$variant,)*];
        }

        static DECLS: &[&Decl] = &[$(&$decl,)*];
    };
}

protocols! {
    Eth => link::eth::DECL,
    Vlan => link::vlan::DECL,
    Sll => link::sll::SLL,
    Sll2 => link::sll::SLL2,
    Null => link::null::DECL,
    /// IEEE 802.2 LLC (with SNAP).
    Llc => link::llc::DECL,
    Mpls => link::mpls::DECL,
    Ppp => link::ppp::DECL,
    Nflog => link::nflog::DECL,
    Pppoed => tunnel::pppoe::DISCOVERY,
    Pppoes => tunnel::pppoe::SESSION,
    Erspan => tunnel::erspan::DECL,
    Cmd => tunnel::cmd::DECL,
    Vxlan => tunnel::vxlan::DECL,
    Geneve => tunnel::geneve::DECL,
    L2tp => tunnel::l2tp::DECL,
    Radiotap => link::radiotap::DECL,
    WlanRadio => link::wlancap::RADIO,
    Wlan => link::wlan::DECL,
    Ppi => link::wlancap::PPI,
    Prism => link::wlancap::PRISM,
    Avs => link::wlancap::AVS,
    Eapol => link::eapol::DECL,
    Arp => net::arp::DECL,
    Ip => net::ipv4::DECL,
    Ipv6 => net::ipv6::DECL,
    Ipv6HopOpts => net::ipv6::HOPOPTS,
    Ipv6Routing => net::ipv6::ROUTING,
    Ipv6Frag => net::ipv6::FRAG,
    Ipv6DstOpts => net::ipv6::DSTOPTS,
    Ah => net::ipv6::AH,
    Icmp => net::icmp::DECL,
    Icmpv6 => net::icmpv6::DECL,
    Tcp => transport::tcp::DECL,
    Udp => transport::udp::DECL,
    Gre => tunnel::gre::DECL,
    Gtp => tunnel::gtp::DECL,
    Teredo => tunnel::teredo::DECL,
    Nsh => tunnel::nsh::DECL,
    /// Bytes no dissector claimed.
    Data => data::DECL,
    Mdns => app::dns::MDNS,
    Llmnr => app::dns::LLMNR,
    Dns => app::dns::DNS,
    Dhcp => app::dhcp::DECL,
    Dhcpv6 => app::dhcpv6::DECL,
    Ntp => app::ntp::DECL,
    Ftp => app::ftp::FTP,
    FtpData => app::ftp::FTP_DATA,
    Telnet => app::telnet::DECL,
    Ssh => app::ssh::DECL,
    Http => app::http::DECL,
    Tls => app::tls::DECL,
    Quic => app::quic::DECL,
    Ssdp => app::ssdp::DECL,
    Http2 => app::http2::DECL,
    /// A frame whose link type layerscope does not decode.
    Unsupported => UNSUPPORTED,
}

/// Frames of a link type nobody decodes: one empty layer naming it.
static UNSUPPORTED: Decl = Decl {
    filter_name: "unsupported",
    name: "Unsupported link type",
    display: "Unsupported",
    short: "Unsupported",
    tier: super::Tier::Link,
    reached: &[],
    dissect: |_, _| super::Next::Done,
    fields: |_, _, _| {},
    info: Some(|pkt, _, w| {
        w.extend_from_slice(b"unsupported link type ");
        w.extend_from_slice(itoa::Buffer::new().format(pkt.linktype).as_bytes());
    }),
    pdu_len: None,
    field_tables: &[],
};

/// Fields of a packet no protocol layer owns: frame metadata and markers.
pub const ISSUE_FIELDS: &[FieldDef] = {
    use super::decl::{f, FieldType::*};
    &[
        f("_ws.malformed", Proto, "Malformed Packet"),
        f("_ws.short", Proto, "Packet size limited during capture"),
    ]
};

/// Tables of fields emitted outside any one layer's decoder.
pub const EXTRA_TABLES: &[&[FieldDef]] = &[frame::FIELDS, reasm::FIELDS, ISSUE_FIELDS];

impl Proto {
    /// The protocol's declaration.
    #[inline]
    pub fn decl(self) -> &'static Decl {
        DECLS[self as usize]
    }
    /// Wireshark's protocol filter name (used in `frame.protocols`).
    #[inline]
    pub fn filter_name(self) -> &'static str {
        self.decl().filter_name
    }
    /// The Protocol column's name.
    #[inline]
    pub fn display(self) -> &'static str {
        self.decl().display
    }
    #[inline]
    pub fn tier(self) -> super::Tier {
        self.decl().tier
    }
}

/// A content test over a TCP payload.
type Heuristic = fn(&[u8]) -> bool;

/// Dispatch tables built once from the declarations.
struct Tables {
    /// Few entries each, looked up per frame: a short scan beats hashing.
    ethertype: Vec<(u16, Proto)>,
    ip_proto: [Option<Proto>; 256],
    linktype: Vec<(u32, Proto)>,
    /// Port → first protocol registered for it.
    tcp_port: Box<[Option<Proto>]>,
    udp_port: Box<[Option<Proto>]>,
    tcp_content: Vec<(Heuristic, Proto)>,
    udp_content: Vec<(Heuristic, Proto)>,
}

static TABLES: LazyLock<Tables> = LazyLock::new(|| {
    let mut t = Tables {
        ethertype: Vec::new(),
        ip_proto: [None; 256],
        linktype: Vec::new(),
        tcp_port: vec![None; 65536].into_boxed_slice(),
        udp_port: vec![None; 65536].into_boxed_slice(),
        tcp_content: Vec::new(),
        udp_content: Vec::new(),
    };
    for &p in Proto::ALL {
        for r in p.decl().reached {
            match *r {
                // The first registration of a value wins, as for ports.
                Reach::LinkType(v) if !t.linktype.iter().any(|e| e.0 == v) => {
                    t.linktype.push((v, p))
                }
                Reach::Ethertype(v) if !t.ethertype.iter().any(|e| e.0 == v) => {
                    t.ethertype.push((v, p))
                }
                Reach::LinkType(_) | Reach::Ethertype(_) => {}
                Reach::IpProto(v) => {
                    t.ip_proto[v as usize].get_or_insert(p);
                }
                Reach::TcpPort(v) => {
                    t.tcp_port[v as usize].get_or_insert(p);
                }
                Reach::UdpPort(v) => {
                    t.udp_port[v as usize].get_or_insert(p);
                }
                Reach::TcpContent(f) => t.tcp_content.push((f, p)),
                Reach::UdpContent(f) => t.udp_content.push((f, p)),
            }
        }
    }
    t
});

/// The protocol an EtherType names.
pub fn by_ethertype(t: u16) -> Option<Proto> {
    TABLES.ethertype.iter().find(|e| e.0 == t).map(|e| e.1)
}

/// The protocol an IP protocol number (or IPv6 next header) names.
#[inline]
pub fn by_ip_proto(p: u8) -> Option<Proto> {
    TABLES.ip_proto[p as usize]
}

/// The first protocol of frames of a link type.
pub fn by_linktype(l: u32) -> Option<Proto> {
    TABLES.linktype.iter().find(|e| e.0 == l).map(|e| e.1)
}

/// The protocol registered first for either port.
pub fn by_ports(udp: bool, a: u16, b: u16) -> Option<Proto> {
    let table = if udp {
        &TABLES.udp_port
    } else {
        &TABLES.tcp_port
    };
    match (table[a as usize], table[b as usize]) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

/// The first protocol whose content heuristic claims a TCP payload.
pub fn by_tcp_content(payload: &[u8]) -> Option<Proto> {
    TABLES
        .tcp_content
        .iter()
        .find(|(f, _)| f(payload))
        .map(|&(_, p)| p)
}

/// The first protocol whose content heuristic claims a UDP payload.
pub fn by_udp_content(payload: &[u8]) -> Option<Proto> {
    TABLES
        .udp_content
        .iter()
        .find(|(f, _)| f(payload))
        .map(|&(_, p)| p)
}

/// The protocol whose filter name or field table gives a layer name
/// (`ieee8021ad` is a layer the VLAN decoder emits).
pub fn by_layer_name(name: &str) -> Option<Proto> {
    /// Built once: the detail view asks for every layer of every packet.
    static NAMES: LazyLock<HashMap<&'static str, Proto>> = LazyLock::new(|| {
        let mut m = HashMap::new();
        for &p in Proto::ALL {
            m.entry(p.filter_name()).or_insert(p);
        }
        for &p in Proto::ALL {
            for f in p.decl().all_fields() {
                m.entry(f.name).or_insert(p);
            }
        }
        m
    });
    NAMES.get(name).copied()
}

/// Every name the display filter knows, with its type: each protocol's
/// own name and fields, plus the frame-level tables.
pub fn vocabulary() -> &'static HashMap<&'static str, FieldType> {
    static V: LazyLock<HashMap<&'static str, FieldType>> = LazyLock::new(|| {
        let mut v = HashMap::new();
        for &p in Proto::ALL {
            v.insert(p.filter_name(), FieldType::Proto);
            for f in p.decl().all_fields() {
                v.entry(f.name).or_insert(f.ty);
            }
        }
        for t in EXTRA_TABLES {
            for f in *t {
                v.entry(f.name).or_insert(f.ty);
            }
        }
        v.insert("frame", FieldType::Proto);
        v
    });
    &V
}
