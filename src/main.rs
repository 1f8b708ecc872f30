//! The `layerscope` command line: flags only; the work is in the library.

use clap::{Args, Parser, Subcommand, ValueEnum};
use layerscope::cmd::{self, exit, pipeline::OutputOptions, Format};

#[derive(Parser)]
#[command(
    name = "layerscope",
    version,
    about = "Network layer-model inspector and packet dissector",
    long_about = "Decodes frames from capture files or live interfaces through the \
                  data link, network, transport and application layers, with \
                  Wireshark's field names and tcpdump's BPF filters."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read pcap/pcapng files (or `-` for standard input) and decode every packet
    Read(ReadArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Table,
    Jsonl,
    Csv,
    Detail,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Args)]
struct OutputArgs {
    /// Output format
    #[arg(long = "format", short = 'F', value_enum, default_value = "table")]
    format: FormatArg,
    /// Hex dump of each frame, coloured by layer (implies --format detail)
    #[arg(short = 'x')]
    hex: bool,
    /// Field to output in jsonl/csv (repeatable; Wireshark names, e.g. -e ip.src)
    #[arg(short = 'e', long = "field", value_name = "FIELD")]
    fields: Vec<String>,
    /// When to colour output
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorArg,
}

#[derive(Args)]
struct ReadArgs {
    /// Capture files (pcap or pcapng), read one after another; `-` is standard input
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
    /// Stop after N packets
    #[arg(short = 'c', long = "count", value_name = "N")]
    count: Option<u64>,
    /// BPF filter expression, applied as tcpdump applies it (e.g. 'tcp port 80')
    #[arg(short = 'f', long = "filter", value_name = "BPF")]
    filter: Option<String>,
    /// Show a progress bar on standard error (default: when stderr is a terminal and stdout is not)
    #[arg(long, overrides_with = "no_progress")]
    progress: bool,
    /// Never show a progress bar
    #[arg(long)]
    no_progress: bool,
    #[command(flatten)]
    output: OutputArgs,
}

impl OutputArgs {
    fn options(&self) -> OutputOptions {
        let mut format = match self.format {
            FormatArg::Table => Format::Table,
            FormatArg::Jsonl => Format::Jsonl,
            FormatArg::Csv => Format::Csv,
            FormatArg::Detail => Format::Detail,
        };
        if self.hex {
            format = Format::Detail;
        }
        OutputOptions {
            format,
            hex: self.hex,
            fields: (!self.fields.is_empty()).then(|| self.fields.clone()),
            color: match self.color {
                ColorArg::Auto => None,
                ColorArg::Always => Some(true),
                ColorArg::Never => Some(false),
            },
        }
    }
}

fn main() {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { exit::USAGE } else { exit::OK };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    let code = match cli.command {
        Command::Read(a) => cmd::read::run(&cmd::read::ReadOptions {
            files: a.files,
            output: a.output.options(),
            count: a.count,
            bpf: a.filter,
            progress: if a.no_progress {
                Some(false)
            } else if a.progress {
                Some(true)
            } else {
                None
            },
        }),
    };
    std::process::exit(code);
}
