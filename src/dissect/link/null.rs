//! STUB: replaced by the real decoder.

use crate::dissect::{Cx, FieldSink, Layer, Next, Packet};

pub fn dissect(_cx: &mut Cx<'_, '_>, _off: usize) -> Next {
    Next::Done
}

pub fn fields(_pkt: &Packet<'_>, _l: &Layer, _out: &mut dyn FieldSink) {}

pub fn info(_pkt: &Packet<'_>, _l: &Layer, _w: &mut Vec<u8>) {}
