//! The view over a live capture: a thread runs the engine on the open
//! capture, appends each frame to a spool file (a pcap the view reads back
//! at offsets, as it reads a capture file) and indexes it; the screen shows
//! rows as they arrive.

use super::app::LiveStatus;
use super::index::Index;
use super::jobs::{Indexer, Progress};
use crate::dissect::Packet;
use crate::engine::live::LiveFrames;
use crate::engine::{Engine, EngineError, EngineOptions, FrameSource, Pull, Sink, Status, Tick};
use crate::output::pcapwrite::{CaptureWriter, WriteFormat, WriteOptions};
use crate::output::savefile::SaveSink;
use std::fs::File;
use std::io;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Reads the kernel's counters now and then while passing frames on.
struct Counted {
    src: LiveFrames,
    status: Arc<Mutex<LiveStatus>>,
    last: Instant,
}

impl Counted {
    fn refresh(&mut self) {
        let st = self.src.stats();
        if let Ok(mut s) = self.status.lock() {
            s.received = st.received as u64;
            s.dropped = st.dropped as u64;
        }
        self.last = Instant::now();
    }
}

impl FrameSource for Counted {
    fn pull(&mut self) -> Result<Pull<'_>, EngineError> {
        if self.last.elapsed() >= Duration::from_millis(250) {
            self.refresh();
        }
        self.src.pull()
    }
    fn tick_every(&self) -> Option<Duration> {
        self.src.tick_every()
    }
    fn stopped(&mut self) {
        self.refresh();
        self.src.stopped();
    }
}

/// Spools and indexes each packet (and saves it with `-w`).
struct Spool {
    writer: CaptureWriter<File>,
    index: Arc<Mutex<Index>>,
    save: Option<SaveSink>,
}

impl Sink for Spool {
    fn packet(&mut self, pkt: &Packet<'_>) -> io::Result<()> {
        // A pcap record header (16 bytes) precedes the frame's bytes. The
        // writer is unbuffered: the bytes are in the file before the index
        // points at them.
        let at = self.writer.written() + 16;
        self.writer
            .write_frame(pkt.ts, pkt.wire_len, pkt.linktype, pkt.interface, pkt.data)?;
        if let Ok(mut ix) = self.index.lock() {
            ix.push(pkt, 0, at);
        }
        if let Some(s) = &mut self.save {
            s.packet(pkt)?;
        }
        Ok(())
    }
    fn tick(&mut self, why: Tick, status: &Status) -> io::Result<()> {
        match &mut self.save {
            Some(s) => s.tick(why, status),
            None => Ok(()),
        }
    }
    fn finish(&mut self, status: &Status) -> io::Result<()> {
        match &mut self.save {
            Some(s) => s.finish(status),
            None => Ok(()),
        }
    }
}

/// Starts capturing into `spool` (created by the caller after the
/// privilege drop); the returned indexer finishes when the capture stops.
pub fn start(
    mut src: LiveFrames,
    spool: File,
    save: Option<SaveSink>,
    opts: EngineOptions,
    index: Arc<Mutex<Index>>,
    status: Arc<Mutex<LiveStatus>>,
) -> io::Result<Indexer> {
    let mut w = WriteOptions::new(WriteFormat::Pcap);
    w.linktype = Some(src.linktype());
    let writer = CaptureWriter::new(spool, w)?;
    src.set_tick_every(Duration::from_millis(100));
    let progress = Arc::new(Progress::default());
    let error = Arc::new(Mutex::new(None));
    let (p, e) = (progress.clone(), error.clone());
    let handle = std::thread::Builder::new()
        .name("layerscope-live".into())
        .spawn(move || {
            let mut engine = Engine::new(opts);
            let mut src = Counted {
                src,
                status: status.clone(),
                last: Instant::now(),
            };
            let mut sink = Spool {
                writer,
                index,
                save,
            };
            let r = engine.run(&mut src, &mut sink);
            let _ = engine.finish(&mut sink);
            if let Err(err) = r {
                if let Ok(mut slot) = e.lock() {
                    *slot = Some(err.to_string());
                }
            }
            if let Ok(mut s) = status.lock() {
                s.stopped = true;
            }
            p.finished.store(true, Ordering::Release);
        })?;
    Ok(Indexer::from_parts(progress, error, handle))
}
