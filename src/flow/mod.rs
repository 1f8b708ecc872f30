//! Per-connection state: stream indices and TCP relative sequence numbers.

use crate::dissect::Packet;

/// TEMPORARY placeholder until the flow tracker lands.
#[derive(Default)]
pub struct FlowTracker;
impl FlowTracker {
    pub fn observe(&mut self, _p: &mut Packet<'_>) {}
}
