//! layerscope: a network layer-model inspector and packet dissector.
//!
//! Data path: [`source`] yields frames, [`dissect`] turns each into a
//! [`dissect::Packet`] (layers with byte ranges), [`flow`] adds per-connection
//! state, [`filter`] selects, and the sinks of [`output`] render. [`engine`]
//! runs that path for files, pipes and live captures alike; [`cmd`] only
//! turns flags into an engine and sinks, and errors into exit codes.
//! Nothing upstream knows how output looks.

pub mod cmd;
pub mod dissect;
pub mod engine;
pub mod filter;
pub mod flow;
pub mod fuzz;
pub mod output;
pub mod source;
pub mod traffic;
pub mod view;
