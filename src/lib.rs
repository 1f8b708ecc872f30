//! layerscope: a network layer-model inspector and packet dissector.
//!
//! Data path: [`source`] yields frames, [`dissect`] turns each into a
//! [`dissect::Packet`] (layers with byte ranges), [`flow`] adds per-connection
//! state, and [`output`] renders. Nothing upstream knows how output looks.

pub mod cmd;
pub mod dissect;
pub mod filter;
pub mod flow;
pub mod output;
pub mod source;
pub mod traffic;
