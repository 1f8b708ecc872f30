//! `layerscope view`: Wireshark's three panes in a terminal.
//!
//! ```text
//! capture file ──indexing thread (engine)──▶ Index ──on demand──▶ list rows, tree, bytes
//!                                           (a compact record per frame:
//!                                            offset, layers, flow note)
//! ```
//!
//! The screen never waits for the file: a background pass runs the engine
//! over it (BPF, flow state, reassembly, exactly as `read`) and records a
//! compact entry per frame; the list, the detail tree and the bytes decode
//! only the packets on screen, from their bytes at the recorded offsets and
//! the recorded state. Display filters, searches, follow, conversations and
//! statistics replay the index on worker threads with progress and Esc.

pub mod app;
pub mod index;
pub mod jobs;
pub mod live;
pub mod tree;
pub mod ui;

use crate::engine::{EngineOptions, ReasmOptions, Stop};
use app::App;
use index::{Index, DEFAULT_REASM_CAP};
use ratatui::backend::Backend;
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use ratatui::Terminal;
use std::fmt;
use std::io::{self, IsTerminal};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct ViewOptions {
    pub files: Vec<String>,
    /// `-f`: BPF applied while indexing, as `read -f`.
    pub bpf: Option<String>,
    /// `-Y`: the display filter the view opens with.
    pub display: Option<String>,
    pub reasm: ReasmOptions,
    /// Cap on reassembled bytes kept for on-demand decoding.
    pub reasm_cap: usize,
    /// Cap on packets kept; the oldest are evicted past it.
    pub max_packets: usize,
    pub color: bool,
}

impl Default for ViewOptions {
    fn default() -> Self {
        ViewOptions {
            files: Vec::new(),
            bpf: None,
            display: None,
            reasm: ReasmOptions::default(),
            reasm_cap: DEFAULT_REASM_CAP,
            max_packets: index::DEFAULT_MAX_PACKETS,
            color: true,
        }
    }
}

#[derive(Debug)]
pub enum ViewError {
    /// Standard output is not a terminal.
    NotATerminal,
    /// A file cannot be opened.
    Open(String, io::Error),
    /// The files must be capture files on disk (the view reads them again
    /// at offsets): standard input and pipes cannot be viewed.
    NotAFile(String),
    Terminal(io::Error),
}

impl fmt::Display for ViewError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ViewError::NotATerminal => write!(
                f,
                "view needs a terminal on standard output; to print packets, use `layerscope read`"
            ),
            ViewError::Open(p, e) => write!(f, "cannot open {p}: {e}"),
            ViewError::NotAFile(p) => write!(
                f,
                "{p}: view reads capture files on disk (it returns to packets by their offset); \
                 save the stream first, or use `layerscope read -`"
            ),
            ViewError::Terminal(e) => write!(f, "terminal error: {e}"),
        }
    }
}

impl std::error::Error for ViewError {}

/// Files the view made (decompressed captures, a live spool), removed when
/// it ends.
#[derive(Default)]
pub struct TempFiles(pub Vec<std::path::PathBuf>);

impl Drop for TempFiles {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// A compressed capture, decompressed to a file of our own: the view
/// returns to packets by their offset, which a compressed stream has not.
fn decompressed(path: &str, n: usize, temp: &mut TempFiles) -> Result<Option<String>, ViewError> {
    use crate::source::file::Compression;
    use std::io::Read;
    let open = |e| ViewError::Open(path.to_string(), e);
    let mut f = std::fs::File::open(path).map_err(open)?;
    let mut head = [0u8; 6];
    let got = f.read(&mut head).map_err(open)?;
    let Some(c) = Compression::sniff(&head[..got]) else {
        return Ok(None);
    };
    let rd = std::fs::File::open(path).map_err(open)?;
    let mut dec = c.decoder(Box::new(rd)).map_err(open)?;
    let out = std::env::temp_dir().join(format!(
        "layerscope-view-{}-{n}.{}",
        std::process::id(),
        c.name()
    ));
    temp.0.push(out.clone());
    let mut w =
        std::fs::File::create(&out).map_err(|e| ViewError::Open(out.display().to_string(), e))?;
    // A stream cut short keeps what it held: the indexing pass then reports
    // the damage with its offset, after the packets before it.
    let _ = std::io::copy(&mut dec, &mut w);
    Ok(Some(out.display().to_string()))
}

/// Builds the app and starts the indexing pass (no terminal involved).
pub fn open(opts: &ViewOptions) -> Result<App, ViewError> {
    let mut temp = TempFiles::default();
    let mut files = Vec::new();
    for (n, p) in opts.files.iter().enumerate() {
        let m = std::fs::metadata(p).map_err(|e| ViewError::Open(p.clone(), e))?;
        if p == "-" || !m.is_file() {
            return Err(ViewError::NotAFile(p.clone()));
        }
        files.push(decompressed(p, n, &mut temp)?.unwrap_or_else(|| p.clone()));
    }
    let backing = jobs::backing(&files).map_err(|e| ViewError::Open(opts.files.join(", "), e))?;
    let index = Arc::new(Mutex::new(Index::with_cap(
        opts.reasm_cap,
        opts.max_packets,
    )));
    let indexed = files
        .iter()
        .enumerate()
        .map(|(i, p)| (p.clone(), i as u16))
        .collect();
    let indexer = jobs::Indexer::start(
        indexed,
        EngineOptions {
            bpf: opts.bpf.clone(),
            reasm: opts.reasm,
            ..Default::default()
        },
        index.clone(),
    );
    let mut app = App::new(index, backing, files, opts.color);
    app.names = opts.files.clone();
    app.temp = temp;
    app.indexer = Some(indexer);
    if let Some(d) = &opts.display {
        app.apply_filter(d.clone());
    }
    Ok(app)
}

/// Runs the view over files until `q`, Ctrl-C, SIGINT or SIGTERM.
pub fn run(opts: &ViewOptions, stop: &Stop) -> Result<(), ViewError> {
    if !io::stdout().is_terminal() {
        return Err(ViewError::NotATerminal);
    }
    let app = open(opts)?;
    show(app, stop)
}

/// A live capture's view: `src` is open and privileges are dropped; its
/// frames are spooled to `spool` (a new file at `spool_path`, removed at
/// the end) and, with `save`, written as `capture -w` writes them.
pub fn run_live(
    opts: &ViewOptions,
    src: crate::engine::live::LiveFrames,
    spool_path: &std::path::Path,
    spool: std::fs::File,
    save: Option<crate::output::savefile::SaveSink>,
) -> Result<(), ViewError> {
    let _remove = TempFiles(vec![spool_path.to_path_buf()]);
    if !io::stdout().is_terminal() {
        return Err(ViewError::NotATerminal);
    }
    let stop = src.stop_handle();
    let path = spool_path.display().to_string();
    let backing =
        jobs::backing(std::slice::from_ref(&path)).map_err(|e| ViewError::Open(path.clone(), e))?;
    let index = Arc::new(Mutex::new(Index::with_cap(
        opts.reasm_cap,
        opts.max_packets,
    )));
    let status = Arc::new(Mutex::new(app::LiveStatus {
        iface: src.interface().to_string(),
        ..Default::default()
    }));
    let mut indexer = live::start(
        src,
        spool,
        save,
        EngineOptions {
            reasm: opts.reasm,
            ..Default::default()
        },
        index.clone(),
        status.clone(),
    )
    .map_err(ViewError::Terminal)?;
    indexer.capture = Some(stop.clone());
    let mut app = App::new(index, backing, vec![path], opts.color);
    app.indexer = Some(indexer);
    app.live = Some(status);
    app.tail = true;
    if let Some(d) = &opts.display {
        app.apply_filter(d.clone());
    }
    show(app, &stop)
}

/// Runs the terminal side until asked to quit.
fn show(mut app: App, stop: &Stop) -> Result<(), ViewError> {
    let mut term = ratatui::try_init().map_err(ViewError::Terminal)?;
    let _ = ratatui::crossterm::execute!(io::stdout(), event::EnableMouseCapture);
    // A panic must leave a usable terminal: ratatui's hook restores the
    // screen; mouse reporting is turned off here first.
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = ratatui::crossterm::execute!(io::stdout(), event::DisableMouseCapture);
        prev(info);
    }));
    let r = event_loop(&mut term, &mut app, stop);
    let _ = ratatui::crossterm::execute!(io::stdout(), event::DisableMouseCapture);
    ratatui::restore();
    if let Some(ix) = &mut app.indexer {
        ix.stop();
    }
    r
}

/// Draws, waits up to 50 ms for input, applies it; until asked to quit.
pub fn event_loop<B: Backend>(
    term: &mut Terminal<B>,
    app: &mut App,
    stop: &Stop,
) -> Result<(), ViewError> {
    let mut seen = usize::MAX;
    let mut dirty = true;
    loop {
        if stop.is_requested() || app.quit {
            return Ok(());
        }
        let n = app.index.lock().map(|i| i.len()).unwrap_or(0);
        let behind = app.live_filter.as_ref().is_some_and(|(_, upto)| *upto < n);
        if n != seen || behind {
            seen = n;
            app.on_growth();
            dirty = true;
        }
        if app.poll_jobs() {
            dirty = true;
        }
        if app.indexer.as_ref().is_some_and(|i| !i.finished()) {
            dirty = true;
        }
        if dirty {
            term.draw(|f| ui::draw(app, f))
                .map_err(ViewError::Terminal)?;
            dirty = false;
        }
        if event::poll(Duration::from_millis(50)).map_err(ViewError::Terminal)? {
            match event::read().map_err(ViewError::Terminal)? {
                Event::Key(k) if k.kind != KeyEventKind::Release => app.key(k),
                Event::Mouse(m) => app.mouse(m),
                _ => {}
            }
            dirty = true;
        }
    }
}
