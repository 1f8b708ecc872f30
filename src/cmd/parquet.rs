//! `read --format parquet`: the columns (`-e`, the default set, or every
//! field seen with `--all-fields`), and the output (`-w FILE`, `-w -`, or a
//! directory per hour with `--partition hour`).

use super::exit;
use super::read::{drive, drive_parallel, ReadOptions};
use crate::output::parquet::{FieldNames, ParquetSink, DEFAULT_FIELDS};
use std::io::{self, IsTerminal, Write};
use std::path::Path;

/// The Parquet-only options of `read`.
#[derive(Clone, Debug, Default)]
pub struct ParquetOptions {
    /// `--all-fields`: a column for every field the input holds (a first
    /// pass over the files finds them).
    pub all_fields: bool,
    /// `--partition hour`: `-w` names a directory of one file per hour.
    pub partition_hour: bool,
}

fn usage(msg: &str) -> i32 {
    eprintln!("layerscope: {msg}");
    exit::USAGE
}

/// Runs `read --format parquet`; returns the process exit code.
pub fn run_read(opts: &ReadOptions, pq: &ParquetOptions) -> i32 {
    let Some(path) = opts.write.as_deref() else {
        return usage(
            "--format parquet needs -w FILE (or -w - for standard output): Parquet is not for a terminal",
        );
    };
    if path == "-" && io::stdout().is_terminal() {
        return usage("--format parquet -w - writes binary data: redirect standard output to a file or a pipe");
    }
    if pq.partition_hour && path == "-" {
        return usage("--partition hour writes a directory: -w must name it, not standard output");
    }
    if opts.write_format.is_some() || opts.print {
        return usage("--write-format and -P go with pcap output (-w without --format parquet)");
    }
    if pq.all_fields {
        if opts.output.fields.is_some() {
            return usage("--all-fields and -e exclude each other");
        }
        if opts.files.iter().any(|f| f == "-") {
            return usage(
            "--all-fields reads the input twice (to find the fields, then to write them): it needs capture files, not standard input",
        );
        }
    }
    // The output first: the sandbox is entered before the first pass
    // (--all-fields) and allows only what is open or made by then.
    let out: io::Result<Option<Box<dyn Write>>> = if pq.partition_hour {
        ParquetSink::prepare_dir(Path::new(path)).map(|()| None)
    } else if path == "-" {
        Ok(Some(Box::new(io::BufWriter::with_capacity(
            1 << 20,
            io::stdout(),
        ))))
    } else {
        std::fs::File::create(path)
            .map(|f| Some(Box::new(io::BufWriter::with_capacity(1 << 20, f)) as Box<dyn Write>))
            .map_err(|e| io::Error::new(e.kind(), format!("{path}: {e}")))
    };
    let out = match out {
        Ok(o) => o,
        Err(e) => {
            eprintln!("layerscope: {e}");
            return exit::INPUT;
        }
    };
    // With a display filter, frame.time_delta_displayed depends on every
    // earlier frame's verdict: a column of it keeps the run on one thread.
    let plain = !pq.all_fields
        && !opts
            .output
            .fields
            .as_ref()
            .is_some_and(|f| f.iter().any(|n| n == "frame.time_delta_displayed"));
    let threads = opts.threads_for(plain);
    let fields = if pq.all_fields {
        let mut found = Vec::new();
        let code = if threads > 1 {
            drive_parallel(opts, FieldNames::default(), threads, |n| found = n.names())
        } else {
            let mut names = FieldNames::default();
            let code = drive(opts, &mut names, |_| {});
            found = names.names();
            code
        };
        if code != exit::OK {
            return code;
        }
        found
    } else {
        opts.output
            .fields
            .clone()
            .unwrap_or_else(|| DEFAULT_FIELDS.iter().map(|s| s.to_string()).collect())
    };
    let sink = match out {
        None => ParquetSink::hourly(Path::new(path), &fields),
        Some(o) => ParquetSink::new(o, &fields),
    };
    let mut sink = match sink {
        Ok(s) => s,
        Err(e) => {
            eprintln!("layerscope: {e}");
            return exit::INPUT;
        }
    };
    sink.set_time_format(opts.output.time_format);
    let mut unconvertible = 0;
    let code = if threads > 1 {
        drive_parallel(opts, sink, threads, |s| unconvertible = s.unconvertible())
    } else {
        let code = drive(opts, &mut sink, |_| {});
        unconvertible = sink.unconvertible();
        code
    };
    if unconvertible > 0 {
        eprintln!(
            "layerscope: parquet: {unconvertible} values did not fit their column's type and were written as null list elements"
        );
    }
    code
}
