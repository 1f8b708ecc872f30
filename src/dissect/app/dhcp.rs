//! DHCP/BOOTP (RFC 2131, 2132).
//!
//! Not decoded yet: the payload is shown as data.

use crate::dissect::{data, Cx, FieldSink, Layer, Next, Packet};

/// True when the payload starts like this protocol (content-based detection).
pub fn looks_like(_payload: &[u8]) -> bool {
    false
}

pub fn dissect(cx: &mut Cx<'_, '_>, off: usize) -> Next {
    data::dissect(cx, off)
}

pub fn fields(_pkt: &Packet<'_>, _l: &Layer, _out: &mut dyn FieldSink) {}

pub fn info(_pkt: &Packet<'_>, _l: &Layer, _w: &mut Vec<u8>) {}
