//! What a protocol declares about itself, once, in its own file.
//!
//! Every protocol file ends with a `pub static` [`Decl`]: its names, its
//! tier in the layer model, how the layer below reaches it, its decode,
//! field and info functions, and its field table (every name it can emit,
//! typed, as Wireshark registers fields). `dissect::protocols!` registers
//! the declarations; dispatch, the display-filter vocabulary, filter scope,
//! layer colours and port→service names are all derived from them.

use super::{Cx, FieldSink, Layer, Next, Packet};

/// Which column of the layer model a protocol belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    Link,
    Network,
    Transport,
    Application,
}

impl Tier {
    /// The layer's name in the TCP/IP model and its number in the OSI model.
    pub fn model(self) -> (&'static str, u8) {
        match self {
            Tier::Link => ("link", 2),
            Tier::Network => ("network", 3),
            Tier::Transport => ("transport", 4),
            Tier::Application => ("application", 7),
        }
    }
}

/// The type of a field, as `tshark -G fields` classifies it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// A protocol: only tested for presence.
    Proto,
    Uint,
    Int,
    Bool,
    Ipv4,
    Ipv6,
    Mac,
    Str,
    Bytes,
    RelTime,
    AbsTime,
    Float,
}

impl FieldType {
    /// What a value of this type looks like, for display-filter errors.
    pub fn expected(self) -> &'static str {
        match self {
            FieldType::Proto => "nothing (a protocol is only tested for presence)",
            FieldType::Uint => "an unsigned integer",
            FieldType::Int => "an integer",
            FieldType::Bool => "a boolean (1, 0, true or false)",
            FieldType::Ipv4 => "an IPv4 address or subnet (10.0.0.1, 10.0.0.0/8)",
            FieldType::Ipv6 => "an IPv6 address or subnet (2001:db8::1, 2001:db8::/32)",
            FieldType::Mac => "a MAC address (00:11:22:33:44:55)",
            FieldType::Str => "a string (\"text\")",
            FieldType::Bytes => "a byte sequence (47:45:54) or a string",
            FieldType::RelTime => "a time in seconds (1.5)",
            FieldType::AbsTime => {
                "an absolute time (\"2011-07-04 12:34:56\" or \"Nov 12, 1999 08:55:44.123\")"
            }
            FieldType::Float => "a number",
        }
    }
}

/// One field a protocol can emit, as Wireshark registers it.
#[derive(Clone, Copy, Debug)]
pub struct FieldDef {
    /// Display-filter name (`ip.ttl`).
    pub name: &'static str,
    pub ty: FieldType,
    /// Wireshark's label (`Time to Live`).
    pub label: &'static str,
}

/// Shorthand for field tables: `f("ip.ttl", Uint, "Time to Live")`.
pub const fn f(name: &'static str, ty: FieldType, label: &'static str) -> FieldDef {
    FieldDef { name, ty, label }
}

/// A TCP payload's framing: how long its first message is, for reassembly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PduLen {
    /// The message is this many bytes (it may need more than `b` holds).
    Known(usize),
    /// More bytes are needed to tell.
    NeedMore,
    /// Not this protocol's framing (or none): take the payload as it is.
    Unframed,
}

/// How the layer below hands bytes to a protocol.
#[derive(Clone, Copy, Debug)]
pub enum Reach {
    /// First protocol of frames of this LINKTYPE_* value.
    LinkType(u32),
    Ethertype(u16),
    /// IP protocol number / IPv6 next header.
    IpProto(u8),
    TcpPort(u16),
    UdpPort(u16),
    /// A TCP payload whose first bytes this function recognises, whatever
    /// the ports (tried before ports, in registration order).
    TcpContent(fn(&[u8]) -> bool),
    /// A UDP payload whose first bytes this function recognises, whatever
    /// the ports (tried before ports; kept to strict tests such as QUIC's).
    UdpContent(fn(&[u8]) -> bool),
}

/// A protocol's declaration. See the module documentation.
pub struct Decl {
    /// Wireshark's filter name (`tcp`), also its layer name in the field tree.
    pub filter_name: &'static str,
    /// Wireshark's protocol name (`Transmission Control Protocol`).
    pub name: &'static str,
    /// The Protocol column's name (`TCP`).
    pub display: &'static str,
    /// The table's layer-column name (`Eth`); usually `display`.
    pub short: &'static str,
    pub tier: Tier,
    /// Empty when only the layer below names it directly.
    pub reached: &'static [Reach],
    /// Validates the header at the offset, pushes a layer, says what follows.
    pub dissect: fn(&mut Cx<'_, '_>, usize) -> Next,
    /// Emits the layer's fields with their byte ranges.
    pub fields: fn(&Packet<'_>, &Layer, &mut dyn FieldSink),
    /// The layer's Info-column summary, if it has one.
    pub info: Option<fn(&Packet<'_>, &Layer, &mut Vec<u8>)>,
    /// Message framing over TCP, for reassembly.
    pub pdu_len: Option<fn(&[u8]) -> PduLen>,
    /// Every name `fields` can emit (tables shared between protocols, such
    /// as Ethernet's trailer fields, are listed more than once).
    pub field_tables: &'static [&'static [FieldDef]],
}

impl Decl {
    /// Every field this protocol can emit.
    pub fn all_fields(&self) -> impl Iterator<Item = &'static FieldDef> {
        self.field_tables.iter().flat_map(|t| t.iter())
    }

    /// Whether `name` is one of this protocol's fields or its own name.
    pub fn emits(&self, name: &str) -> bool {
        self.filter_name == name || self.all_fields().any(|f| f.name == name)
    }
}

/// A field emitted outside any protocol's layer (frame metadata, markers).
pub struct Extra {
    pub fields: &'static [FieldDef],
}
