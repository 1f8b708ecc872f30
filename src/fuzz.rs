//! Entry points for coverage-guided fuzzing (the `fuzz-*` binaries built
//! with the `fuzz` feature) and for replaying what fuzzing found
//! (`fixtures/fuzz/`, in the test suite). Each takes arbitrary bytes and
//! must return without panicking, hanging or growing without bound;
//! everything it computes is thrown away.

use crate::dissect::{self, Packet};
use crate::engine::source::{MemoryFrames, OwnedFrame};
use crate::engine::{self, Engine, EngineOptions, ReasmOptions, Sink};
use crate::filter::Filter;
use crate::output::collect::Collected;
use crate::output::detail::DetailWriter;
use crate::source::Timestamp;
use crate::view::index::Index;
use std::io;

/// At most this many frames from one input (a bound on work, not on input).
const MAX_FRAMES: usize = 2048;

/// Everything a packet can be turned into: every field (as the JSON and
/// filter sinks collect them), the Info column and the detail tree.
struct Everything {
    fields: Collected,
    info: Vec<u8>,
    detail: DetailWriter<io::Sink>,
}

impl Everything {
    fn new() -> Self {
        Everything {
            fields: Collected::with_only(None),
            info: Vec::new(),
            detail: DetailWriter::new(io::sink(), false, true),
        }
    }
}

impl Sink for Everything {
    fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
        self.fields.fill(pkt);
        self.info.clear();
        dissect::info(pkt, &mut self.info);
        self.detail.packet(pkt)
    }
}

/// A capture file (pcap, pcapng, or either compressed), read to its end
/// or its first error and decoded with reassembly.
pub fn capture_file(data: &[u8]) {
    let Ok(mut src) = engine::source::from_bytes(data.to_vec()) else {
        return;
    };
    let mut engine = Engine::new(EngineOptions {
        count: Some(MAX_FRAMES as u64),
        ..Default::default()
    });
    let mut sink = Everything::new();
    let _ = engine.run(&mut src, &mut sink);
    let _ = engine.finish(&mut sink);
}

/// Splits `data` into a link type (2 bytes) and frames (each a 2-byte
/// length, then that many bytes; the last may be cut short), one second
/// apart.
fn frames(data: &[u8]) -> Option<(u32, Vec<OwnedFrame>)> {
    let lt = u16::from_be_bytes([*data.first()?, *data.get(1)?]) as u32;
    let mut out = Vec::new();
    let mut rest = &data[2..];
    while rest.len() >= 2 && out.len() < MAX_FRAMES {
        let n = u16::from_be_bytes([rest[0], rest[1]]) as usize;
        let bytes = rest[2..].get(..n).unwrap_or(&rest[2..]).to_vec();
        rest = &rest[(2 + n).min(rest.len())..];
        out.push(OwnedFrame {
            ts: Timestamp {
                sec: out.len() as i64,
                nsec: 0,
            },
            wire_len: bytes.len() as u32,
            bytes,
        });
    }
    Some((lt, out))
}

/// A sequence of frames of any link type through the whole engine: every
/// dissector, IP defragmentation, TCP reassembly, QUIC and HTTP/2 state,
/// with small caps so eviction runs too.
pub fn frame_sequence(data: &[u8]) {
    let Some((lt, frames)) = frames(data) else {
        return;
    };
    for reasm in [true, false] {
        let mut engine = Engine::new(EngineOptions {
            reasm: ReasmOptions {
                enabled: reasm,
                tcp_max_bytes: 64 << 10,
                frag_max_bytes: 64 << 10,
                ..Default::default()
            },
            max_flows: Some(64),
            ..Default::default()
        });
        let mut sink = Everything::new();
        let _ = engine.run(&mut MemoryFrames::new(&frames, lt), &mut sink);
        let _ = engine.finish(&mut sink);
    }
}

/// A display filter: compiled, and when it compiles, evaluated against
/// the packets of a real capture.
pub fn display_filter(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(filter) = Filter::compile(&text) else {
        return;
    };
    let Ok(mut src) = engine::source::from_bytes(SAMPLE.to_vec()) else {
        return;
    };
    let mut engine = Engine::new(EngineOptions {
        display: Some(filter),
        ..Default::default()
    });
    let _ = engine.run(&mut src, &mut Everything::new());
}

/// A small real capture (TCP, UDP, DNS, HTTP, ICMP) for filters to match.
const SAMPLE: &[u8] = include_bytes!("../fixtures/live/http.pcap");

/// The interactive view's index: frames pushed as the streaming pass
/// pushes them under small caps (so records and reassembled bytes are
/// evicted), then every packet still held rebuilt and decoded again.
pub fn view_index(data: &[u8]) {
    let Some((lt, frames)) = frames(data) else {
        return;
    };
    let mut ix = Index::with_cap(16 << 10, 256);
    let mut offsets = Vec::new();
    let mut engine = Engine::new(EngineOptions::default());
    let mut at = 0u64;
    {
        let mut push = engine::each(|pkt: &Packet<'_>| {
            if ix.first_ts.is_none() {
                ix.first_ts = Some(pkt.first_ts);
            }
            ix.push(pkt, 0, at);
            offsets.push((pkt.number as usize - 1, at));
            at += pkt.data.len() as u64;
            Ok(())
        });
        let _ = engine.run(&mut MemoryFrames::new(&frames, lt), &mut push);
    }
    let mut detail = Everything::new();
    for i in 0..ix.len() {
        let Some(&(n, _)) = offsets.get(i) else { break };
        let Some(f) = frames.get(n) else { break };
        if let Some((pkt, _)) = ix.packet(i, &f.bytes) {
            let _ = detail.packet(&pkt);
        }
    }
}
