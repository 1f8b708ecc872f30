//! `layerscope view`: flags → the interactive view; errors → exit codes.

use super::{exit, start_live};
use crate::engine::Stop;
use crate::output::pcapwrite::{WriteFormat, WriteOptions};
use crate::output::savefile::{SaveOptions, SaveSink};
use crate::source::live::LiveOptions;
use crate::view::{ViewError, ViewOptions};
use std::io::IsTerminal;

pub struct ViewCommand {
    pub view: ViewOptions,
    /// `-i`: a live capture instead of files.
    pub live: Option<LiveOptions>,
    pub user: Option<String>,
    /// `-w` (live): also save the capture.
    pub write: Option<String>,
    pub write_format: Option<WriteFormat>,
}

pub fn run(c: &ViewCommand) -> i32 {
    let opts = &c.view;
    if let Some(d) = &opts.display {
        if let Err(code) = super::display_filter(Some(d)) {
            return code;
        }
    }
    if !std::io::stdout().is_terminal() {
        return fail(ViewError::NotATerminal);
    }
    let r = match &c.live {
        Some(live) => run_live(c, live),
        None => {
            let stop = Stop::new();
            // SIGHUP too: a closed terminal ends the view cleanly (its
            // temporary files removed).
            for sig in [
                signal_hook::consts::SIGINT,
                signal_hook::consts::SIGTERM,
                signal_hook::consts::SIGHUP,
            ] {
                let _ = signal_hook::flag::register_usize(sig, stop.flag(), sig as usize);
            }
            crate::view::run(opts, &stop).map(|()| stop.signal())
        }
    };
    match r {
        // Stopped by a signal: exit as the shell expects (128 + N).
        Ok(Some(sig)) => 128 + sig,
        Ok(None) => exit::OK,
        Err(e) => fail(e),
    }
}

fn fail(e: ViewError) -> i32 {
    eprintln!("layerscope: {e}");
    match e {
        ViewError::NotATerminal => exit::USAGE,
        _ => exit::INPUT,
    }
}

fn run_live(c: &ViewCommand, live: &LiveOptions) -> Result<Option<i32>, ViewError> {
    let mut save = None;
    let src = match start_live(
        live,
        c.user.as_deref(),
        |src| {
            // Created after the privilege drop: the files belong to that user.
            if let Some(path) = &c.write {
                let format = c
                    .write_format
                    .unwrap_or_else(|| WriteFormat::for_path(path));
                let mut write = WriteOptions::new(format);
                write.linktype = Some(src.linktype());
                write.if_name = Some(src.interface().to_string());
                write.snaplen = u32::try_from(live.snaplen).unwrap_or(0);
                match SaveSink::create(SaveOptions {
                    path: path.clone(),
                    write,
                    rotation: Default::default(),
                    packet_buffered: false,
                }) {
                    Ok(s) => save = Some(s),
                    Err(e) => {
                        eprintln!("layerscope: {e}");
                        return Err(exit::INPUT);
                    }
                }
            }
            Ok(())
        },
        // Unconfined: the view spools to a temporary file and runs jobs on
        // threads of its own; see the README's Sandbox section.
        &Default::default(),
        &Default::default(),
    ) {
        Ok(s) => s,
        Err(code) => std::process::exit(code),
    };
    let stop = src.stop_handle();
    let _ = signal_hook::flag::register_usize(
        signal_hook::consts::SIGHUP,
        stop.flag(),
        signal_hook::consts::SIGHUP as usize,
    );
    let path = std::env::temp_dir().join(format!("layerscope-view-{}.pcap", std::process::id()));
    let spool = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| ViewError::Open(path.display().to_string(), e))?;
    crate::view::run_live(&c.view, src, &path, spool, save)?;
    Ok(stop.signal())
}
