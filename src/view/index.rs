//! The view's index: one compact record per frame, saying where its bytes
//! are and what state the streaming pass gave it, so any packet can be
//! decoded again on demand exactly as `read` decoded it, without keeping
//! decoded packets in memory. (Wireshark keeps its `frame_data` and
//! per-packet protocol data the same way.)
//!
//! What cannot be recomputed from one frame is saved: the layers (their
//! shape depends on reassembly and retransmission analysis), the flow
//! note (stream index, relative sequence numbers, analysis flags), the
//! issue, and reassembled bytes, the last under a byte cap that evicts the
//! oldest and counts what it evicted.

use crate::dissect::{FlowNote, Issue, Layer, Packet, QuicNote, ReasmKind};
use crate::engine::{EngineError, FrameSource, Pull, Sink};
use crate::source::file::FileSource;
use crate::source::{Frame, Timestamp};
use std::cell::Cell;
use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

/// Default cap on packets the view keeps (about 150 bytes each, plus
/// reassembled bytes): past it the oldest are evicted, and the status bar
/// says how many.
pub const DEFAULT_MAX_PACKETS: usize = 3_000_000;

/// Default cap on reassembled bytes kept for on-demand decoding.
pub const DEFAULT_REASM_CAP: usize = 64 << 20;

/// Elements per arena chunk: growth never copies what is stored.
const CHUNK: usize = 1 << 16;

/// An append-only arena in fixed chunks, so a million records grow without
/// the copy (and the doubled peak) of one big `Vec`; the oldest chunks can
/// be dropped (indices stay absolute: a dropped element reads as absent).
pub struct Chunked<T> {
    chunks: Vec<Option<Vec<T>>>,
    len: usize,
    /// Chunks dropped from the front.
    dropped: usize,
}

impl<T: Copy> Chunked<T> {
    pub fn new() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
            dropped: 0,
        }
    }
    /// One past the last index ever pushed.
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// The first index still held.
    pub fn first(&self) -> usize {
        self.dropped * CHUNK
    }
    /// Elements held.
    pub fn held(&self) -> usize {
        self.len - self.first().min(self.len)
    }
    pub fn push(&mut self, v: T) {
        let full = match self.chunks.last() {
            Some(Some(c)) => c.len() == CHUNK,
            _ => true,
        };
        if full {
            self.chunks.push(Some(Vec::with_capacity(CHUNK)));
        }
        if let Some(Some(c)) = self.chunks.last_mut() {
            c.push(v);
            self.len += 1;
        }
    }
    pub fn get(&self, i: usize) -> Option<&T> {
        self.chunks.get(i / CHUNK)?.as_ref()?.get(i % CHUNK)
    }
    /// Drops the oldest full chunk; false when only the last one is left.
    pub fn drop_front(&mut self) -> bool {
        if self.dropped + 1 >= self.chunks.len() {
            return false;
        }
        if let Some(c) = self.chunks.get_mut(self.dropped) {
            *c = None;
        }
        self.dropped += 1;
        true
    }
}

impl<T: Copy> Default for Chunked<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// What the list needs of a frame, and where its bytes are.
#[derive(Clone, Copy, Debug)]
pub struct Rec {
    pub number: u64,
    /// Offset of the frame's bytes in its backing file.
    pub offset: u64,
    pub ts: Timestamp,
    pub wire_len: u32,
    pub cap_len: u32,
    pub linktype: u32,
    pub interface: u32,
    pub file: u16,
    /// Digits of its timestamps' precision (6: µs, 9: ns).
    pub ts_digits: u8,
    nlayers: u8,
    layer_at: u32,
    note: Note,
}

/// A `FlowNote` in 16 bytes; the rare echo-reply times live beside it.
#[derive(Clone, Copy, Debug, Default)]
struct Note {
    stream: u32,
    rel_seq: u32,
    rel_ack: u32,
    flags: u8,
    win_scale: i8,
    /// The layer `stream` numbers (0xff: none).
    layer: u8,
    dir: u8,
}

const HAS_STREAM: u8 = 1;
const HAS_SEQ: u8 = 2;
const HAS_ACK: u8 = 4;
const HAS_WS: u8 = 8;
const ACE: u8 = 16;
const RETRANS: u8 = 32;
const LOST: u8 = 64;
const PDU_PART: u8 = 128;

impl Note {
    fn of(f: &FlowNote) -> Note {
        let mut n = Note::default();
        let mut set = |bit: u8, on: bool| {
            if on {
                n.flags |= bit;
            }
        };
        set(HAS_STREAM, f.stream.is_some());
        set(HAS_SEQ, f.rel_seq.is_some());
        set(HAS_ACK, f.rel_ack.is_some());
        set(HAS_WS, f.win_scale.is_some());
        set(ACE, f.ace);
        set(RETRANS, f.retransmission);
        set(LOST, f.lost_segment);
        set(PDU_PART, f.pdu_part);
        n.stream = f.stream.unwrap_or(0);
        n.rel_seq = f.rel_seq.unwrap_or(0);
        n.rel_ack = f.rel_ack.unwrap_or(0);
        n.win_scale = f.win_scale.unwrap_or(0);
        n.layer = f.layer.unwrap_or(0xff);
        n.dir = f.dir;
        n
    }

    fn flow(&self, resp: Option<&(u64, i128)>, quic: Option<&QuicNote>) -> FlowNote {
        let has = |bit: u8| self.flags & bit != 0;
        FlowNote {
            stream: has(HAS_STREAM).then_some(self.stream),
            rel_seq: has(HAS_SEQ).then_some(self.rel_seq),
            rel_ack: has(HAS_ACK).then_some(self.rel_ack),
            win_scale: has(HAS_WS).then_some(self.win_scale),
            ace: has(ACE),
            retransmission: has(RETRANS),
            lost_segment: has(LOST),
            resp_to: resp.map(|r| r.0),
            resp_ns: resp.map(|r| r.1),
            pdu_part: has(PDU_PART),
            quic: quic.copied(),
            layer: (self.layer != 0xff).then_some(self.layer),
            // Restored by `packet` from their own maps.
            app: None,
            app_from: 0,
            outer: [None; 3],
            alpn: None,
            // A memo the decoders redo when it is missing.
            tcp_len: None,
            dir: self.dir,
        }
    }
}

/// Bytes a packet's decoding needs that its frame has not: what reassembly
/// rebuilt (with `kind`), and what an application decoder derived from
/// connection state (HTTP/2 headers decoded with HPACK tables).
struct Reasm {
    bytes: Box<[u8]>,
    at: u32,
    kind: Option<ReasmKind>,
    pieces: Box<[u64]>,
    decoded: Box<[u8]>,
}

impl Reasm {
    fn size(&self) -> usize {
        self.bytes.len() + self.pieces.len() * 8 + self.decoded.len()
    }
}

/// Reassembled bytes by record, oldest evicted first past the cap.
struct ReasmStore {
    map: HashMap<u32, Reasm>,
    order: VecDeque<u32>,
    bytes: usize,
    cap: usize,
    evicted: u64,
}

impl ReasmStore {
    fn insert(&mut self, i: u32, r: Reasm) {
        let size = r.size();
        if size > self.cap {
            self.evicted += 1;
            return;
        }
        while self.bytes + size > self.cap {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some(o) = self.map.remove(&old) {
                self.bytes -= o.size();
                self.evicted += 1;
            }
        }
        self.bytes += size;
        self.order.push_back(i);
        self.map.insert(i, r);
    }
}

/// Every frame the view knows, in frame order.
pub struct Index {
    recs: Chunked<Rec>,
    layers: Chunked<Layer>,
    issues: HashMap<u32, Issue>,
    resp: HashMap<u32, (u64, i128)>,
    /// QUIC datagrams' connection facts (sparse: only QUIC has them).
    quic: HashMap<u32, QuicNote>,
    /// The protocol a connection turned to (HTTP/2 after an Upgrade), and
    /// from which offset of the segment.
    app: HashMap<u32, (crate::dissect::Proto, u32)>,
    /// Stream numbers of the outer TCP/UDP layers a tunnel runs over.
    outer: HashMap<u32, [Option<(u8, u32)>; 3]>,
    /// The protocol a TLS connection's ALPN chose, for its records.
    alpn: HashMap<u32, u8>,
    reasm: ReasmStore,
    /// `frame.time_relative`'s zero, as the streaming pass had it.
    pub first_ts: Option<Timestamp>,
    /// Records kept at most; past it the oldest are evicted (by chunks).
    max_recs: usize,
    evicted: u64,
}

impl Index {
    pub fn new(reasm_cap: usize) -> Index {
        Index::with_cap(reasm_cap, DEFAULT_MAX_PACKETS)
    }

    /// An index keeping at most about `max_recs` records (rounded up to
    /// whole chunks), the oldest evicted first.
    pub fn with_cap(reasm_cap: usize, max_recs: usize) -> Index {
        Index {
            recs: Chunked::new(),
            layers: Chunked::new(),
            issues: HashMap::new(),
            resp: HashMap::new(),
            quic: HashMap::new(),
            app: HashMap::new(),
            outer: HashMap::new(),
            alpn: HashMap::new(),
            reasm: ReasmStore {
                map: HashMap::new(),
                order: VecDeque::new(),
                bytes: 0,
                cap: reasm_cap,
                evicted: 0,
            },
            first_ts: None,
            max_recs: max_recs.max(1),
            evicted: 0,
        }
    }

    /// The first position still held (positions below it were evicted).
    pub fn first(&self) -> usize {
        self.recs.first().min(self.recs.len())
    }

    /// Records evicted to stay under the cap.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Drops the oldest records while more than the cap (plus one chunk)
    /// are held, with their layers and side data.
    fn evict(&mut self) {
        while self.recs.held() > self.max_recs + CHUNK {
            let before = self.recs.first();
            if !self.recs.drop_front() {
                break;
            }
            let first = self.recs.first();
            self.evicted += (first - before) as u64;
            let keep_from = self
                .recs
                .get(first)
                .map(|r| r.layer_at as usize)
                .unwrap_or(usize::MAX);
            while self.layers.first() + CHUNK <= keep_from && self.layers.drop_front() {}
            let f = first as u32;
            self.issues.retain(|&k, _| k >= f);
            self.resp.retain(|&k, _| k >= f);
            self.quic.retain(|&k, _| k >= f);
            self.app.retain(|&k, _| k >= f);
            self.outer.retain(|&k, _| k >= f);
            self.alpn.retain(|&k, _| k >= f);
            let r = &mut self.reasm;
            while r.order.front().is_some_and(|&k| k < f) {
                if let Some(k) = r.order.pop_front() {
                    if let Some(o) = r.map.remove(&k) {
                        r.bytes -= o.size();
                    }
                }
            }
        }
    }

    pub fn len(&self) -> usize {
        self.recs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    pub fn rec(&self, i: usize) -> Option<Rec> {
        self.recs.get(i).copied()
    }

    /// Reassembled buffers dropped to stay under the cap.
    pub fn reasm_evicted(&self) -> u64 {
        self.reasm.evicted
    }

    /// The position of frame `number` (records are in number order).
    pub fn position_of(&self, number: u64) -> Option<usize> {
        let (mut lo, mut hi) = (self.first(), self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            let n = self.recs.get(mid)?.number;
            if n < number {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        (self.recs.get(lo)?.number == number).then_some(lo)
    }

    /// Records a packet as the engine delivered it.
    pub fn push(&mut self, pkt: &Packet<'_>, file: u16, offset: u64) {
        let i = self.recs.len() as u32;
        self.first_ts.get_or_insert(pkt.first_ts);
        if let Some(issue) = pkt.issue {
            self.issues.insert(i, issue);
        }
        if let (Some(to), Some(ns)) = (pkt.flow.resp_to, pkt.flow.resp_ns) {
            self.resp.insert(i, (to, ns));
        }
        if let Some(q) = pkt.flow.quic {
            self.quic.insert(i, q);
        }
        let kind = pkt.reasm_kind.filter(|_| !pkt.reassembled.is_empty());
        if kind.is_some() || !pkt.app_decoded.is_empty() {
            self.reasm.insert(
                i,
                Reasm {
                    bytes: if kind.is_some() {
                        pkt.reassembled.into()
                    } else {
                        Box::new([])
                    },
                    at: pkt.reassembled_at,
                    kind,
                    pieces: pkt.pieces.into(),
                    decoded: pkt.app_decoded.into(),
                },
            );
        }
        if let Some(p) = pkt.flow.app {
            self.app.insert(i, (p, pkt.flow.app_from));
        }
        if pkt.flow.outer.iter().any(Option::is_some) {
            self.outer.insert(i, pkt.flow.outer);
        }
        if let Some(p) = pkt.flow.alpn {
            self.alpn.insert(i, p);
        }
        let layer_at = self.layers.len() as u32;
        for l in &pkt.layers {
            self.layers.push(*l);
        }
        self.recs.push(Rec {
            number: pkt.number,
            offset,
            ts: pkt.ts,
            wire_len: pkt.wire_len,
            cap_len: pkt.data.len() as u32,
            linktype: pkt.linktype,
            interface: pkt.interface,
            file,
            ts_digits: pkt.ts_digits,
            nlayers: pkt.layers.len() as u8,
            layer_at,
            note: Note::of(&pkt.flow),
        });
        self.evict();
    }

    /// Rebuilds record `i`'s packet over its bytes (`data`, read from the
    /// backing file), as the streaming pass delivered it. The flag is true
    /// when its reassembled bytes were evicted: the layers decoded from them
    /// are then left out.
    pub fn packet<'a>(&'a self, i: usize, data: &'a [u8]) -> Option<(Packet<'a>, bool)> {
        let r = self.recs.get(i)?;
        let frame = Frame {
            ts: r.ts,
            wire_len: r.wire_len,
            linktype: r.linktype,
            interface: r.interface,
            ts_digits: r.ts_digits,
            bytes: data,
        };
        let first = self.first_ts.unwrap_or(r.ts);
        let mut pkt = Packet::new(&frame, r.number, first);
        // The frame before it in the index (the view shows deltas between
        // indexed frames).
        if let Some(prev) = i.checked_sub(1).and_then(|p| self.recs.get(p)) {
            pkt.prev_ts = prev.ts;
            pkt.prev_shown_ts = Some(prev.ts);
        }
        let key = i as u32;
        let stored = self.reasm.map.get(&key);
        let mut evicted = false;
        for k in 0..r.nlayers as usize {
            let Some(l) = self.layers.get(r.layer_at as usize + k) else {
                break;
            };
            if l.src == crate::dissect::Src::Reassembled && stored.is_none_or(|s| s.kind.is_none())
            {
                evicted = true;
                break;
            }
            if pkt.layers.try_push(*l).is_err() {
                break;
            }
        }
        pkt.issue = self.issues.get(&key).copied();
        pkt.flow = r.note.flow(self.resp.get(&key), self.quic.get(&key));
        if let Some(s) = stored {
            if s.kind.is_some() {
                pkt.reassembled = &s.bytes;
                pkt.reassembled_at = s.at;
                pkt.reasm_kind = s.kind;
                pkt.pieces = &s.pieces;
            }
            pkt.app_decoded = &s.decoded;
        }
        if let Some(o) = self.outer.get(&key) {
            pkt.flow.outer = *o;
        }
        if let Some(&(p, from)) = self.app.get(&key) {
            pkt.flow.app = Some(p);
            pkt.flow.app_from = from;
        }
        pkt.flow.alpn = self.alpn.get(&key).copied();
        Some((pkt, evicted))
    }
}

/// The files the index points into, read at offsets.
#[derive(Default)]
pub struct Backing {
    files: Vec<(String, File)>,
}

impl Backing {
    pub fn add(&mut self, path: &str) -> io::Result<u16> {
        let f = File::open(path)?;
        self.files.push((path.to_string(), f));
        Ok((self.files.len() - 1) as u16)
    }

    pub fn name(&self, file: u16) -> &str {
        self.files
            .get(file as usize)
            .map(|f| f.0.as_str())
            .unwrap_or("?")
    }

    /// Reads a record's captured bytes into `buf`.
    pub fn read(&self, r: &Rec, buf: &mut Vec<u8>) -> io::Result<()> {
        let (_, f) = self
            .files
            .get(r.file as usize)
            .ok_or_else(|| io::Error::other("no such backing file"))?;
        buf.resize(r.cap_len as usize, 0);
        f.read_exact_at(buf, r.offset)
    }
}

/// A capture file read frame by frame that also says where each frame's
/// bytes are (the index sink reads it after every pull).
pub struct SpotFile {
    src: FileSource,
    path: String,
    at: Rc<Cell<u64>>,
}

impl SpotFile {
    pub fn open(path: &str, at: Rc<Cell<u64>>) -> Result<SpotFile, EngineError> {
        let src = FileSource::open(path).map_err(|error| EngineError::Input {
            path: path.to_string(),
            error,
        })?;
        Ok(SpotFile {
            src,
            path: path.to_string(),
            at,
        })
    }

    pub fn total_len(&self) -> Option<u64> {
        self.src.total_len()
    }
}

impl FrameSource for SpotFile {
    fn pull(&mut self) -> Result<Pull<'_>, EngineError> {
        match self.src.next_frame_at() {
            Ok(Some((at, f))) => {
                self.at.set(at);
                Ok(Pull::Frame(f))
            }
            Ok(None) => Ok(Pull::End),
            Err(error) => Err(EngineError::Input {
                path: self.path.clone(),
                error,
            }),
        }
    }

    fn position(&self) -> u64 {
        self.src.bytes_read()
    }
}

/// Fills a shared index as the engine delivers packets.
pub struct IndexSink {
    pub index: Arc<Mutex<Index>>,
    pub file: u16,
    pub at: Rc<Cell<u64>>,
}

impl Sink for IndexSink {
    fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
        if let Ok(mut ix) = self.index.lock() {
            ix.push(pkt, self.file, self.at.get());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Engine, EngineOptions};

    /// Every packet rebuilt from the index has the layers, note, issue and
    /// reassembled bytes the streaming pass delivered.
    #[test]
    fn rebuilt_packets_equal_the_streamed_ones() {
        let root = env!("CARGO_MANIFEST_DIR");
        let mut reassembled = 0;
        for name in [
            "fixtures/live/http.pcap",
            "fixtures/ipv4_options_frag.pcap",
            "fixtures/live/ping.pcap",
            // QUIC: per-connection notes, decrypted Initial packets.
            "../shared/corpus-links/quic_handshake.pcap",
            // HTTP/2: headers decoded with per-connection HPACK tables.
            "fixtures/http2/h2c_upgrade.pcap",
            // Tunnels: stream numbers of outer and inner layers.
            "fixtures/vxlan/vxlan.pcap",
        ] {
            let path = format!("{root}/{name}");
            let at = Rc::new(Cell::new(0));
            let mut src = SpotFile::open(&path, at.clone()).unwrap();
            let index = Arc::new(Mutex::new(Index::new(DEFAULT_REASM_CAP)));
            // Number, layer count, flow note, reassembled and decoded bytes.
            type Seen = (u64, usize, FlowNote, Vec<u8>, Vec<u8>);
            let mut seen: Vec<Seen> = Vec::new();
            let mut engine = Engine::new(EngineOptions::default());
            let mut sink = (
                IndexSink {
                    index: index.clone(),
                    file: 0,
                    at,
                },
                crate::engine::each(|p: &Packet<'_>| {
                    seen.push((
                        p.number,
                        p.layers.len(),
                        p.flow,
                        p.reassembled.to_vec(),
                        p.app_decoded.to_vec(),
                    ));
                    Ok(())
                }),
            );
            engine.run(&mut src, &mut sink).unwrap();
            drop(sink);
            let ix = index.lock().unwrap();
            let mut back = Backing::default();
            back.add(&path).unwrap();
            assert_eq!(ix.len(), seen.len());
            reassembled += seen.iter().filter(|s| !s.3.is_empty()).count();
            let mut buf = Vec::new();
            for (i, s) in seen.iter().enumerate() {
                let r = ix.rec(i).unwrap();
                back.read(&r, &mut buf).unwrap();
                let (p, evicted) = ix.packet(i, &buf).unwrap();
                assert!(!evicted);
                // `tcp_len` is a memo, not kept: the decoders compute it again.
                let want = FlowNote {
                    tcp_len: None,
                    ..s.2
                };
                assert_eq!((p.number, p.layers.len(), p.flow), (s.0, s.1, want));
                assert_eq!(p.reassembled, &s.3[..]);
                assert_eq!(p.app_decoded, &s.4[..]);
            }
        }
        assert!(reassembled >= 2, "no reassembled packets to check");
    }

    #[test]
    fn the_packet_cap_evicts_oldest_chunks_and_counts() {
        let path = format!("{}/fixtures/live/http.pcap", env!("CARGO_MANIFEST_DIR"));
        let at = Rc::new(Cell::new(0));
        let index = Arc::new(Mutex::new(Index::with_cap(DEFAULT_REASM_CAP, 1)));
        let mut engine = Engine::new(EngineOptions::default());
        let mut sink = IndexSink {
            index: index.clone(),
            file: 0,
            at,
        };
        // Enough passes over the file to fill several chunks.
        let mut n = 0;
        while n < 3 * CHUNK {
            let mut src2 = SpotFile::open(&path, sink.at.clone()).unwrap();
            engine.run(&mut src2, &mut sink).unwrap();
            n = index.lock().unwrap().len();
        }
        let ix = index.lock().unwrap();
        assert!(ix.first() > 0);
        assert_eq!(ix.evicted(), ix.first() as u64);
        assert!(ix.len() - ix.first() <= 2 * CHUNK);
        assert!(ix.rec(ix.first() - 1).is_none());
        let last = ix.rec(ix.len() - 1).unwrap();
        let mut back = Backing::default();
        back.add(&path).unwrap();
        let mut buf = Vec::new();
        back.read(&last, &mut buf).unwrap();
        let (p, _) = ix.packet(ix.len() - 1, &buf).unwrap();
        assert_eq!(p.number, last.number);
        assert_eq!(ix.position_of(last.number), Some(ix.len() - 1));
    }

    #[test]
    fn the_reassembly_cap_evicts_oldest_and_counts() {
        let mut st = ReasmStore {
            map: HashMap::new(),
            order: VecDeque::new(),
            bytes: 0,
            cap: 100,
            evicted: 0,
        };
        for i in 0..5 {
            st.insert(
                i,
                Reasm {
                    bytes: vec![0; 40].into(),
                    at: 0,
                    kind: Some(ReasmKind::Tcp),
                    pieces: Box::new([]),
                    decoded: Box::new([]),
                },
            );
        }
        assert_eq!(st.evicted, 3);
        assert!(st.map.contains_key(&4) && st.map.contains_key(&3));
        assert!(st.bytes <= 100);
    }
}
