//! The `layerscope` command line: flags only; the work is in the library.

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use layerscope::cmd::{self, exit, Format, OutputOptions};

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
    /// Capture live from an interface (needs root or cap_net_raw,cap_net_admin)
    Capture(CaptureArgs),
    /// List network interfaces, their state and addresses
    Interfaces,
    /// One row per conversation (socket pair): packets and bytes each way, timing, TCP state
    Flows(FlowsArgs),
    /// Protocol hierarchy, ports and endpoints
    Stats(StatsArgs),
    /// The byte stream of one TCP (or UDP) conversation, both directions in order
    Follow(FollowArgs),
    /// Run the echo server (TCP or UDP), narrating each socket call with --explain
    Serve(ServeArgs),
    /// Send messages to an echo server and print the replies
    Client(ClientArgs),
    /// Watch one send() become frames: server, client and capture in private network namespaces
    Demo(DemoArgs),
    /// Interactive view: packet list, layer tree and bytes, as Wireshark's panes
    View(ViewArgs),
    /// Print a shell completion script (e.g. `source <(layerscope completions bash)`)
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) to standard output (e.g. `layerscope man | man -l -`)
    Man,
}

#[derive(Args)]
struct ViewArgs {
    /// Capture files (pcap or pcapng) on disk, shown one after another
    #[arg(required_unless_present = "interface", value_name = "FILE")]
    files: Vec<String>,
    /// Capture live from this interface instead (needs root or
    /// cap_net_raw,cap_net_admin; privileges are dropped once it is open)
    #[arg(
        short = 'i',
        long = "interface",
        value_name = "IFACE",
        conflicts_with = "files"
    )]
    interface: Option<String>,
    /// BPF filter expression, applied as tcpdump applies it (e.g. 'tcp port 80');
    /// compiled into the kernel with -i
    #[arg(short = 'f', long = "filter", value_name = "BPF")]
    filter: Option<String>,
    /// Live: also write the captured packets to this file, as `capture -w`
    #[arg(
        short = 'w',
        long = "write",
        value_name = "FILE",
        requires = "interface"
    )]
    write: Option<String>,
    /// File format for -w [default: pcapng for a .pcapng name, else pcap]
    #[arg(long, value_enum, value_name = "FORMAT", requires = "write")]
    write_format: Option<WriteFormatArg>,
    /// Live: bytes to capture per frame
    #[arg(short = 's', long, value_name = "N", default_value_t = 262144)]
    snaplen: i32,
    /// Live: do not put the interface into promiscuous mode
    #[arg(short = 'p', long)]
    no_promisc: bool,
    /// Live: kernel capture buffer in KiB [default: 32768]
    #[arg(short = 'B', long, value_name = "KIB")]
    buffer_size: Option<u32>,
    /// Live: user to become once the capture is open (default: the sudo caller)
    #[arg(short = 'Z', long, value_name = "NAME")]
    user: Option<String>,
    /// Display filter to open with (edit it with `/` in the view)
    #[arg(short = 'Y', long = "display-filter", value_name = "FILTER")]
    display_filter: Option<String>,
    /// Decode every frame alone: no IP defragmentation, no TCP reassembly
    #[arg(long)]
    no_reassembly: bool,
    /// Cap on reassembled bytes kept for revisiting packets (oldest dropped, reported)
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20)]
    keep_reassembled: usize,
    /// Packets the view keeps, about 150 bytes of memory each; past it the
    /// oldest are dropped (reported in the status bar)
    #[arg(long, value_name = "N", default_value_t = layerscope::view::index::DEFAULT_MAX_PACKETS)]
    max_packets: usize,
    /// When to colour the view (NO_COLOR also turns colour off)
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorArg,
}

#[derive(Args)]
struct TransportArgs {
    /// Use TCP (the default)
    #[arg(long, conflicts_with = "udp")]
    tcp: bool,
    /// Use UDP
    #[arg(long)]
    udp: bool,
}

impl TransportArgs {
    fn get(&self) -> layerscope::traffic::Transport {
        if self.udp {
            layerscope::traffic::Transport::Udp
        } else {
            layerscope::traffic::Transport::Tcp
        }
    }
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    transport: TransportArgs,
    /// Address and port to listen on
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:7007")]
    listen: std::net::SocketAddr,
    /// Narrate every socket call (socket, bind, listen, accept, recv, send, close)
    #[arg(long)]
    explain: bool,
    /// Exit after N connections (TCP) or datagrams (UDP)
    #[arg(long, value_name = "N")]
    count: Option<u64>,
    /// listen() backlog
    #[arg(long, default_value_t = 128)]
    backlog: i32,
}

#[derive(Args)]
struct ClientArgs {
    #[command(flatten)]
    transport: TransportArgs,
    /// Server address and port (e.g. 127.0.0.1:7007 or [::1]:7007)
    #[arg(value_name = "ADDR:PORT")]
    server: std::net::SocketAddr,
    /// Message to send; a newline ends it, on TCP and UDP alike (the echo protocol is line-based)
    #[arg(long, conflicts_with = "size")]
    message: Option<String>,
    /// Send a message of N bytes instead
    #[arg(long, value_name = "N")]
    size: Option<usize>,
    /// Send the message N times
    #[arg(long, value_name = "N", default_value_t = 1)]
    repeat: u32,
    /// TCP maximum segment size (TCP_MAXSEG) to force segmentation
    #[arg(long, value_name = "N")]
    mss: Option<u32>,
    /// Narrate every socket call
    #[arg(long)]
    explain: bool,
    /// Seconds to wait for the connection and each reply
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    timeout: f64,
}

#[derive(Args)]
struct DemoArgs {
    #[command(flatten)]
    transport: TransportArgs,
    /// Use IPv6 (::1, or fd99::1 and fd99::2 with --veth)
    #[arg(long)]
    ipv6: bool,
    /// Message to send; a newline ends it, on TCP and UDP alike (the echo protocol is line-based)
    #[arg(long, conflicts_with = "size")]
    message: Option<String>,
    /// Send a message of N bytes instead (larger than the MSS to see segmentation)
    #[arg(long, value_name = "N")]
    size: Option<usize>,
    /// TCP maximum segment size (TCP_MAXSEG on the client socket)
    #[arg(long, value_name = "N")]
    mss: Option<u32>,
    /// Run across a veth pair between two namespaces (MTU 1500, real MACs, ARP/NDP)
    #[arg(long)]
    veth: bool,
    /// Print the findings as one JSON object at the end (for tests and scripts)
    #[arg(long)]
    json_summary: bool,
    /// When to colour output
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorArg,
    /// Wait this many milliseconds before the client starts (for tests)
    #[arg(long, hide = true, value_name = "MS")]
    test_pause_ms: Option<u64>,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Table,
    Jsonl,
    Csv,
    Detail,
    /// Columnar, for DuckDB and Spark (read: with -w FILE)
    Parquet,
}

#[derive(Clone, Copy, ValueEnum)]
enum PartitionArg {
    Hour,
}

#[derive(Clone, Copy, ValueEnum)]
enum WriteFormatArg {
    Pcap,
    Pcapng,
}

impl WriteFormatArg {
    fn get(f: Option<Self>) -> Option<layerscope::output::pcapwrite::WriteFormat> {
        use layerscope::output::pcapwrite::WriteFormat;
        f.map(|f| match f {
            WriteFormatArg::Pcap => WriteFormat::Pcap,
            WriteFormatArg::Pcapng => WriteFormat::Pcapng,
        })
    }
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
    /// Hex and ASCII of each packet under its row, as tcpdump -X prints it,
    /// from the network layer (-XX: from the link layer)
    #[arg(short = 'X', action = clap::ArgAction::Count, conflicts_with = "ascii")]
    hex_ascii: u8,
    /// ASCII of each packet (from the network layer) under its row, as tcpdump -A prints it
    #[arg(short = 'A')]
    ascii: bool,
    /// The detail view, as tcpdump users ask for more with -v (-vv: with
    /// the hex dump, as -x)
    #[arg(short = 'v', action = clap::ArgAction::Count)]
    verbose: u8,
    /// Field to output (repeatable; Wireshark names, e.g. -e ip.src): the
    /// jsonl/csv fields, or extra table columns before Info
    #[arg(short = 'e', long = "field", value_name = "FIELD")]
    fields: Vec<String>,
    /// Time column format, as tshark's -t: a (local time), ad (local date and
    /// time), adoy (local, day of year), d (delta from previous frame), dd
    /// (delta from previous displayed), e (epoch), r (relative to first),
    /// u, ud, udoy (as a, ad, adoy in UTC)
    #[arg(short = 't', value_name = "FORMAT", default_value = "r", value_parser = time_format)]
    time: layerscope::dissect::timefmt::TimeFormat,
    /// When to colour output
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorArg,
    /// Display filter in Wireshark's language, applied after decoding
    /// (e.g. 'http.request.method == "GET" && ip.dst == 10.0.0.0/8')
    #[arg(short = 'Y', long = "display-filter", value_name = "FILTER")]
    display_filter: Option<String>,
    /// Decode every frame alone: no IP defragmentation, no TCP reassembly
    #[arg(long)]
    no_reassembly: bool,
    /// Cap on bytes held by TCP reassembly (oldest streams are evicted)
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20)]
    reassembly_max_bytes: usize,
    /// Cap on bytes held in incomplete IP datagrams (oldest are evicted)
    #[arg(long, value_name = "BYTES", default_value_t = 16 << 20)]
    max_fragments_bytes: usize,
    /// Drop reassembly state idle for this long (seconds of capture time)
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    reassembly_timeout: u64,
}

#[derive(Args)]
struct ReadArgs {
    /// Capture files (pcap or pcapng, also gzip-, zstd- or xz-compressed), read
    /// one after another; `-` is standard input
    #[arg(required_unless_present = "read", value_name = "FILE")]
    files: Vec<String>,
    /// A capture file to read, as tcpdump -r and tshark -r take it (repeatable;
    /// read before the positional files)
    #[arg(short = 'r', value_name = "FILE")]
    read: Vec<String>,
    /// Stop after N packets
    #[arg(short = 'c', long = "count", value_name = "N")]
    count: Option<u64>,
    /// BPF filter expression, applied as tcpdump applies it (e.g. 'tcp port 80');
    /// frames it drops keep their numbers, as with -Y
    #[arg(short = 'f', long = "filter", value_name = "BPF")]
    filter: Option<String>,
    /// Show a progress bar on standard error (default: when stderr is a terminal and stdout is not)
    #[arg(long, overrides_with = "no_progress")]
    progress: bool,
    /// Never show a progress bar
    #[arg(long)]
    no_progress: bool,
    /// Write the packets that pass -f and -Y to a capture file (`-`: standard
    /// output), with their original timestamps and bytes; rows are then not
    /// printed unless -P asks. With --format parquet: the Parquet file
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    write: Option<String>,
    /// File format for -w [default: pcapng for a .pcapng name, else pcap]
    #[arg(long, value_enum, value_name = "FORMAT", requires = "write")]
    write_format: Option<WriteFormatArg>,
    /// With -w, print rows as well (on standard error when writing to standard output)
    #[arg(short = 'P', long = "print", requires = "write")]
    print: bool,
    /// With --format parquet: a column for every field the files hold (read
    /// twice: a first pass finds the fields; not for standard input)
    #[arg(long)]
    all_fields: bool,
    /// With --format parquet: -w names a directory written Hive-style,
    /// DIR/date=YYYY-MM-DD/hour=HH/part-N.parquet (UTC capture time)
    #[arg(long, value_enum, value_name = "BY")]
    partition: Option<PartitionArg>,
    /// Line-buffered output: each row goes out as soon as it is written (rows
    /// from a pipe such as `tcpdump -U -w - | layerscope read -` appear as
    /// their packets arrive even without it)
    #[arg(short = 'l', long = "line-buffered")]
    line_buffered: bool,
    #[command(flatten)]
    threads: Threads,
    #[command(flatten)]
    numeric: Numeric,
    #[command(flatten)]
    sandbox: SandboxArgs,
    #[command(flatten)]
    output: OutputArgs,
}

/// `--threads`, on the commands that read files.
#[derive(Args)]
struct Threads {
    /// Decoding threads for capture files, conversations sharded over them;
    /// the output is the same as with one [default: the machine's cores;
    /// on fewer than four, one for flows, stats, the detail view and rows
    /// or filters with stream indices, where more were measured slower]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    threads: Option<u16>,
}

impl Threads {
    /// `scales_small`: whether the work gains from a second thread on two
    /// cores. Measured on two: the table, JSON lines, CSV and Parquet run
    /// 1.4-1.7x faster on two threads; flows and stats 10-15 % slower (a
    /// worker's share is too light to pay for the shard and the merge), and
    /// so are outputs whose workers number streams in lockstep.
    fn get(&self, scales_small: bool) -> usize {
        match self.threads {
            Some(n) => n as usize,
            None => match std::thread::available_parallelism().map_or(1, |n| n.get()) {
                n if n >= 4 || scales_small => n,
                _ => 1,
            },
        }
    }
}

/// `-n`/`-nn`, as tcpdump users type them.
#[derive(Args)]
struct Numeric {
    /// Numeric addresses and ports (-n, -nn): layerscope never resolves
    /// names; accepted for tcpdump habits
    #[arg(short = 'n', action = clap::ArgAction::Count)]
    _numeric: u8,
}

/// `--no-sandbox`, and the hidden self-test of the sandbox.
#[derive(Args)]
struct SandboxArgs {
    /// Decode without the sandbox. By default, before the first byte is
    /// decoded (and after a live capture's privileges are dropped), the
    /// process confines itself: no new privileges, Landlock (only the
    /// inputs and the -w output), and a seccomp allowlist of system calls
    #[arg(long)]
    no_sandbox: bool,
    /// Once (not) confined, try to open /etc/shadow and spawn /bin/true,
    /// and say on stderr whether each was refused (for tests)
    #[arg(long, hide = true)]
    sandbox_selftest: bool,
}

impl SandboxArgs {
    fn options(&self) -> cmd::sandbox::SandboxOptions {
        cmd::sandbox::SandboxOptions {
            enabled: !self.no_sandbox,
            selftest: self.sandbox_selftest,
        }
    }
}

/// Source options of the commands that aggregate packets (`flows`, `stats`, `follow`).
#[derive(Args)]
struct SourceArgs {
    /// Capture files (pcap or pcapng), read one after another; `-` is standard input
    #[arg(required_unless_present_any = ["interface", "read"], value_name = "FILE")]
    files: Vec<String>,
    /// A capture file to read, as tcpdump -r and tshark -r take it (repeatable;
    /// read before the positional files)
    #[arg(short = 'r', value_name = "FILE", conflicts_with = "interface")]
    read: Vec<String>,
    /// Capture live from this interface instead of reading files (needs root
    /// or cap_net_raw,cap_net_admin; `any` for all)
    #[arg(
        short = 'i',
        long = "interface",
        value_name = "IFACE",
        conflicts_with = "files"
    )]
    interface: Option<String>,
    /// BPF filter expression, applied as tcpdump applies it (e.g. 'tcp port 80');
    /// compiled into the kernel with -i
    #[arg(short = 'f', long = "filter", value_name = "BPF")]
    filter: Option<String>,
    /// Stop after N packets
    #[arg(short = 'c', long = "count", value_name = "N")]
    count: Option<u64>,
    /// Stop a live capture after this many seconds
    #[arg(long, value_name = "SECS")]
    duration: Option<f64>,
    /// Bytes to capture per frame (live) [default: 262144]
    #[arg(short = 's', long, value_name = "N")]
    snaplen: Option<i32>,
    /// Do not put the interface into promiscuous mode (live)
    #[arg(short = 'p', long)]
    no_promisc: bool,
    /// Kernel capture buffer in KiB (live) [default: 32768: counts must not
    /// miss bursts, and on lo libpcap's 2 MiB holds only ~31 frames]
    #[arg(short = 'B', long, value_name = "KIB")]
    buffer_size: Option<u32>,
    /// User to become once the capture is open (live; default: the sudo caller)
    #[arg(short = 'Z', long, value_name = "NAME")]
    user: Option<String>,
    /// Display filter in Wireshark's language: only matching packets count
    #[arg(short = 'Y', long = "display-filter", value_name = "FILTER")]
    display_filter: Option<String>,
    /// Show a progress bar on standard error while reading files (default: when stderr is a terminal)
    #[arg(long, overrides_with = "no_progress")]
    progress: bool,
    /// Never show a progress bar
    #[arg(long)]
    no_progress: bool,
    /// Line-buffered output: each line goes out as soon as it is written
    #[arg(short = 'l', long = "line-buffered")]
    line_buffered: bool,
    #[command(flatten)]
    numeric: Numeric,
    #[command(flatten)]
    sandbox: SandboxArgs,
}

impl SourceArgs {
    fn options(&self) -> cmd::SourceOptions {
        if self.interface.is_none()
            && (self.duration.is_some()
                || self.snaplen.is_some()
                || self.no_promisc
                || self.buffer_size.is_some()
                || self.user.is_some())
        {
            eprintln!(
                "layerscope: --duration, -s, -p, -B and -Z apply to a live capture (-i IFACE)"
            );
            std::process::exit(exit::USAGE);
        }
        let live = self
            .interface
            .as_ref()
            .map(|i| layerscope::source::live::LiveOptions {
                interface: Some(i.clone()),
                snaplen: self.snaplen.unwrap_or(262_144),
                promisc: !self.no_promisc,
                filter: self.filter.clone(),
                buffer_size: Some(buffer_bytes(self.buffer_size)),
                // As tcpdump: frame by frame only for a terminal or -l.
                immediate: self.line_buffered
                    || std::io::IsTerminal::is_terminal(&std::io::stdout()),
                ..Default::default()
            });
        cmd::SourceOptions {
            files: self.read.iter().chain(&self.files).cloned().collect(),
            live,
            user: self.user.clone(),
            count: self.count,
            duration: duration_arg(self.duration),
            bpf: self.filter.clone(),
            display: self.display_filter.clone(),
            progress: progress_choice(self.progress, self.no_progress),
            line_buffered: self.line_buffered,
            sandbox: self.sandbox.options(),
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum FlowFormatArg {
    Table,
    Jsonl,
    Csv,
    /// Columnar, for DuckDB and Spark (with -w FILE)
    Parquet,
}

#[derive(Clone, Copy, ValueEnum)]
enum SortArg {
    Bytes,
    Packets,
    Start,
    Duration,
}

#[derive(Args)]
struct FlowsArgs {
    #[command(flatten)]
    source: SourceArgs,
    /// Output format
    #[arg(long = "format", short = 'F', value_enum, default_value = "table")]
    format: FlowFormatArg,
    /// Row order [default: start; bytes with -i]
    #[arg(long, value_enum)]
    sort: Option<SortArg>,
    /// Cap on open conversations (the least recently active are closed early past it)
    #[arg(long, value_name = "N", default_value_t = layerscope::flow::conversations::DEFAULT_MAX_OPEN)]
    max_flows: usize,
    /// Close conversations idle this long (seconds of capture time)
    #[arg(long, value_name = "SECS", default_value_t = layerscope::flow::conversations::DEFAULT_IDLE_SECS)]
    idle_timeout: u64,
    /// With --format parquet: the Parquet file (`-`: standard output)
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    write: Option<String>,
    #[command(flatten)]
    threads: Threads,
}

#[derive(Args)]
struct FollowArgs {
    #[command(flatten)]
    source: SourceArgs,
    /// Stream index (tcp.stream, or udp.stream with --udp)
    #[arg(long, value_name = "N")]
    stream: u32,
    /// Follow a UDP stream
    #[arg(long)]
    udp: bool,
    /// Text, non-printable bytes as '.' (the default)
    #[arg(long, conflicts_with_all = ["hex", "raw"])]
    ascii: bool,
    /// Hex dump
    #[arg(long, conflicts_with = "raw")]
    hex: bool,
    /// The payload bytes themselves, both directions concatenated
    #[arg(long)]
    raw: bool,
    /// When to colour output (client red, server blue)
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorArg,
}

#[derive(Args)]
struct StatsArgs {
    #[command(flatten)]
    source: SourceArgs,
    /// Cap on open conversations
    #[arg(long, value_name = "N", default_value_t = layerscope::flow::conversations::DEFAULT_MAX_OPEN)]
    max_flows: usize,
    /// Close conversations idle this long (seconds of capture time)
    #[arg(long, value_name = "SECS", default_value_t = layerscope::flow::conversations::DEFAULT_IDLE_SECS)]
    idle_timeout: u64,
    #[command(flatten)]
    threads: Threads,
}

#[derive(Args)]
struct CaptureArgs {
    /// Interface to capture on (default: the first that is up and not loopback; `any` for all)
    #[arg(short = 'i', long = "interface", value_name = "IFACE")]
    interface: Option<String>,
    /// BPF filter compiled into the kernel (e.g. 'tcp port 80')
    #[arg(short = 'f', long = "filter", value_name = "BPF")]
    filter: Option<String>,
    /// Stop after N packets
    #[arg(short = 'c', long = "count", value_name = "N")]
    count: Option<u64>,
    /// Stop after this many seconds
    #[arg(long, value_name = "SECS")]
    duration: Option<f64>,
    /// Write the captured packets to a capture file (`-`: standard output, and
    /// nothing else goes there); with -Y only the packets it matches are written
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    write: Option<String>,
    /// File format for -w [default: pcapng for a .pcapng name, else pcap]
    #[arg(long, value_enum, value_name = "FORMAT", requires = "write")]
    write_format: Option<WriteFormatArg>,
    /// With -w, flush the file after every packet, as tcpdump -U (otherwise
    /// written packets reach it at least every 50 ms)
    #[arg(short = 'U', long = "packet-buffered", requires = "write")]
    packet_buffered: bool,
    /// Hand each frame over as it arrives (libpcap's immediate mode), as
    /// tcpdump --immediate-mode; the default when rows go to a terminal, or
    /// with -l or -U. Otherwise frames come in blocks, at most 100 ms late,
    /// and the kernel buffer holds many more of them
    #[arg(long = "immediate-mode")]
    immediate_mode: bool,
    /// Ring buffer: start a new file once the current one is larger than MB
    /// million bytes (files after the first get a number: FILE1, FILE2, ...)
    #[arg(short = 'C', value_name = "MB", requires = "write")]
    file_size: Option<f64>,
    /// Start a new file every SECS seconds; FILE is passed through strftime
    /// (e.g. -w 'cap-%H%M%S.pcap')
    #[arg(short = 'G', value_name = "SECS", requires = "write")]
    rotate_seconds: Option<u64>,
    /// With -C: keep N files (FILE0 ... FILE{N-1}), overwriting the oldest;
    /// with -G alone: stop after N files
    #[arg(short = 'W', value_name = "N", requires = "write")]
    file_count: Option<u32>,
    /// With -w -, print rows on standard error as well
    #[arg(
        short = 'P',
        long = "print",
        requires = "write",
        conflicts_with = "quiet"
    )]
    print: bool,
    /// Kernel capture buffer in KiB [default: 32768]
    #[arg(short = 'B', long, value_name = "KIB")]
    buffer_size: Option<u32>,
    /// Bytes to capture per frame
    #[arg(short = 's', long, value_name = "N", default_value_t = 262144)]
    snaplen: i32,
    /// Do not put the interface into promiscuous mode
    #[arg(short = 'p', long)]
    no_promisc: bool,
    /// Put a Wi-Fi interface into monitor mode (libpcap rfmon): frames arrive
    /// as 802.11 with radio headers; see the Monitor column of `interfaces`
    #[arg(short = 'I', long)]
    rfmon: bool,
    /// Print no rows, only a running count
    #[arg(short = 'q', long)]
    quiet: bool,
    /// User to become once the capture is open (default: the sudo caller)
    #[arg(short = 'Z', long, value_name = "NAME")]
    user: Option<String>,
    /// Line-buffered output: each row goes out as soon as it is written
    /// (otherwise rows are flushed every 50 ms)
    #[arg(short = 'l', long = "line-buffered")]
    line_buffered: bool,
    #[command(flatten)]
    numeric: Numeric,
    #[command(flatten)]
    sandbox: SandboxArgs,
    #[command(flatten)]
    output: OutputArgs,
}

impl OutputArgs {
    fn options(&self) -> OutputOptions {
        let mut format = match self.format {
            FormatArg::Table => Format::Table,
            // Parquet takes the jsonl fields (-e), typed; cmd::parquet writes it.
            FormatArg::Jsonl | FormatArg::Parquet => Format::Jsonl,
            FormatArg::Csv => Format::Csv,
            FormatArg::Detail => Format::Detail,
        };
        if (self.hex_ascii > 0 || self.ascii) && matches!(format, Format::Jsonl | Format::Csv) {
            eprintln!(
                "layerscope: -X and -A print under table rows or detail trees, not in jsonl/csv"
            );
            std::process::exit(exit::USAGE);
        }
        if self.hex || self.verbose > 0 {
            format = Format::Detail;
        }
        OutputOptions {
            format,
            hex: self.hex || self.verbose > 1,
            dump: match (self.hex_ascii, self.ascii) {
                (0, false) => layerscope::output::Dump::None,
                (0, true) => layerscope::output::Dump::Ascii,
                (n, _) => layerscope::output::Dump::HexAscii { link: n > 1 },
            },
            fields: (!self.fields.is_empty()).then(|| self.fields.clone()),
            color: match self.color {
                ColorArg::Auto => None,
                ColorArg::Always => Some(true),
                ColorArg::Never => Some(false),
            },
            display: self.display_filter.clone(),
            time_format: self.time,
            reasm: layerscope::engine::ReasmOptions {
                enabled: !self.no_reassembly,
                tcp: true,
                tcp_max_bytes: self.reassembly_max_bytes,
                frag_max_bytes: self.max_fragments_bytes,
                timeout_secs: self.reassembly_timeout,
            },
        }
    }
}

/// `--progress` / `--no-progress`: forced on or off; None decides from the
/// terminal.
fn progress_choice(progress: bool, no_progress: bool) -> Option<bool> {
    if no_progress {
        Some(false)
    } else if progress {
        Some(true)
    } else {
        None
    }
}

/// `-B KIB` in bytes [default: 32 MiB: counts must not miss bursts, and on
/// lo libpcap's 2 MiB holds only ~31 frames].
fn buffer_bytes(kib: Option<u32>) -> i32 {
    kib.unwrap_or(32 << 10)
        .saturating_mul(1024)
        .min(i32::MAX as u32) as i32
}

/// `-C`, `-G`, `-W`, checked (exits with a usage error).
fn rotation_args(
    mb: Option<f64>,
    secs: Option<u64>,
    files: Option<u32>,
    write: &Option<String>,
) -> layerscope::output::savefile::Rotation {
    let usage = |m: &str| -> ! {
        eprintln!("layerscope: {m}");
        std::process::exit(exit::USAGE);
    };
    let size = mb.map(|mb| {
        if !(mb.is_finite() && mb > 0.0 && mb < 1e12) {
            usage("-C must be a positive number of megabytes (1,000,000 bytes)");
        }
        (mb * 1e6) as u64
    });
    if secs == Some(0) {
        usage("-G must be a positive number of seconds");
    }
    if files == Some(0) {
        usage("-W must be at least 1");
    }
    if files.is_some() && size.is_none() && secs.is_none() {
        usage("-W needs -C or -G");
    }
    if (size.is_some() || secs.is_some()) && write.as_deref() == Some("-") {
        usage("-C and -G need a file name for -w, not standard output");
    }
    layerscope::output::savefile::Rotation {
        size,
        every_secs: secs,
        files,
    }
}

/// `-t FORMAT`, spelled as tshark spells it.
fn time_format(s: &str) -> Result<layerscope::dissect::timefmt::TimeFormat, String> {
    layerscope::dissect::timefmt::TimeFormat::parse(s).ok_or_else(|| {
        format!(
            "invalid time format \"{s}\"; it must be one of a, ad, adoy, d, dd, e, r, u, ud, udoy"
        )
    })
}

/// `--duration`, checked (exits with a usage error).
fn duration_arg(d: Option<f64>) -> Option<std::time::Duration> {
    match d {
        Some(d) if !(d.is_finite() && d > 0.0 && d < 1e12) => {
            eprintln!("layerscope: --duration must be a positive number of seconds");
            std::process::exit(exit::USAGE);
        }
        d => d.map(std::time::Duration::from_secs_f64),
    }
}

/// The manual page: clap_mangen's page for the command, then a section per
/// subcommand with its synopsis and options (one page, as tcpdump's).
fn man_page() -> std::io::Result<Vec<u8>> {
    let mut cli = Cli::command();
    cli.build();
    let mut out = Vec::new();
    clap_mangen::Man::new(cli.clone()).render(&mut out)?;
    for sub in cli.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = sub.get_name().to_uppercase();
        out.extend_from_slice(format!(".SH \"LAYERSCOPE {name}\"\n").as_bytes());
        let man = clap_mangen::Man::new(sub.clone());
        let mut part = Vec::new();
        man.render_description_section(&mut part)?;
        man.render_synopsis_section(&mut part)?;
        man.render_options_section(&mut part)?;
        let part = String::from_utf8_lossy(&part)
            .replace(".SH DESCRIPTION\n", "")
            .replace(".SH SYNOPSIS\n", ".SS Synopsis\n")
            .replace(".SH OPTIONS\n", ".SS Options\n");
        out.extend_from_slice(part.as_bytes());
    }
    Ok(out)
}

fn main() {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    // A bad display filter fails before any packet is read or captured.
    let display = match &cli.command {
        Command::Read(ReadArgs { output, .. }) | Command::Capture(CaptureArgs { output, .. }) => {
            output.display_filter.as_deref()
        }
        Command::Flows(FlowsArgs { source, .. })
        | Command::Stats(StatsArgs { source, .. })
        | Command::Follow(FollowArgs { source, .. }) => source.display_filter.as_deref(),
        _ => None,
    };
    {
        if let Some(Err(e)) = display.map(layerscope::filter::Filter::compile) {
            eprintln!("layerscope: invalid display filter:\n{e}");
            std::process::exit(exit::USAGE);
        }
    }
    // So is an unknown -e name, with the same message and suggestions.
    if let Command::Read(ReadArgs { output, .. }) | Command::Capture(CaptureArgs { output, .. }) =
        &cli.command
    {
        if let Err(code) = cmd::check_fields(&output.fields) {
            std::process::exit(code);
        }
    }
    let code = match cli.command {
        Command::View(a) => cmd::view::run(&cmd::view::ViewCommand {
            live: a
                .interface
                .clone()
                .map(|_| layerscope::source::live::LiveOptions {
                    interface: a.interface.clone(),
                    snaplen: a.snaplen,
                    promisc: !a.no_promisc,
                    filter: a.filter.clone(),
                    buffer_size: Some(buffer_bytes(a.buffer_size)),
                    ..Default::default()
                }),
            user: a.user,
            write: a.write,
            write_format: WriteFormatArg::get(a.write_format),
            view: layerscope::view::ViewOptions {
                files: a.files,
                bpf: a.filter,
                display: a.display_filter,
                reasm: layerscope::engine::ReasmOptions {
                    enabled: !a.no_reassembly,
                    ..Default::default()
                },
                reasm_cap: a.keep_reassembled,
                max_packets: a.max_packets,
                color: match a.color {
                    ColorArg::Always => true,
                    ColorArg::Never => false,
                    ColorArg::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
                },
            },
        }),
        Command::Read(a) => {
            let output = a.output.options();
            cmd::read::run(&cmd::read::ReadOptions {
                files: a.read.into_iter().chain(a.files).collect(),
                line_buffered: a.line_buffered,
                threads: a.threads.get(!output.streams_in_lockstep()),
                output,
                count: a.count,
                bpf: a.filter,
                parquet: match (a.output.format, a.all_fields || a.partition.is_some()) {
                    (FormatArg::Parquet, _) => Some(cmd::parquet::ParquetOptions {
                        all_fields: a.all_fields,
                        partition_hour: a.partition.is_some(),
                    }),
                    (_, true) => {
                        eprintln!(
                            "layerscope: --all-fields and --partition go with --format parquet"
                        );
                        std::process::exit(exit::USAGE);
                    }
                    (_, false) => None,
                },
                write: a.write,
                write_format: WriteFormatArg::get(a.write_format),
                print: a.print,
                sandbox: a.sandbox.options(),
                progress: progress_choice(a.progress, a.no_progress),
            })
        }
        Command::Capture(a) => {
            if matches!(a.output.format, FormatArg::Parquet) {
                eprintln!("layerscope: capture writes pcap (-w); make Parquet from the file with `layerscope read --format parquet -w OUT FILE`");
                std::process::exit(exit::USAGE);
            }
            let duration = duration_arg(a.duration);
            cmd::capture::run(&cmd::capture::CaptureOptions {
                live: layerscope::source::live::LiveOptions {
                    interface: a.interface,
                    snaplen: a.snaplen,
                    promisc: !a.no_promisc,
                    rfmon: a.rfmon,
                    filter: a.filter,
                    buffer_size: Some(buffer_bytes(a.buffer_size)),
                    immediate: a.immediate_mode || a.line_buffered || a.packet_buffered,
                    ..Default::default()
                },
                output: a.output.options(),
                count: a.count,
                duration,
                rotation: rotation_args(a.file_size, a.rotate_seconds, a.file_count, &a.write),
                write: a.write,
                write_format: WriteFormatArg::get(a.write_format),
                print: a.print,
                quiet: a.quiet,
                user: a.user,
                line_buffered: a.line_buffered,
                packet_buffered: a.packet_buffered,
                sandbox: a.sandbox.options(),
            })
        }
        Command::Interfaces => cmd::interfaces::run(),
        Command::Completions { shell } => {
            use std::io::Write;
            // Into a buffer: clap_complete panics on a write error (`| head`).
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "layerscope", &mut buf);
            match std::io::stdout().lock().write_all(&buf) {
                Ok(()) => exit::OK,
                Err(e) => cmd::io_exit(e),
            }
        }
        Command::Man => match man_page() {
            Ok(roff) => {
                use std::io::Write;
                match std::io::stdout().lock().write_all(&roff) {
                    Ok(()) => exit::OK,
                    Err(e) => cmd::io_exit(e),
                }
            }
            Err(e) => cmd::io_exit(e),
        },
        Command::Follow(a) => {
            use cmd::follow::{FollowMode, FollowOptions};
            cmd::follow::run(&FollowOptions {
                source: a.source.options(),
                stream: a.stream,
                udp: a.udp,
                mode: if a.hex {
                    FollowMode::Hex
                } else if a.raw {
                    FollowMode::Raw
                } else {
                    FollowMode::Ascii
                },
                color: match a.color {
                    ColorArg::Auto => None,
                    ColorArg::Always => Some(true),
                    ColorArg::Never => Some(false),
                },
            })
        }
        Command::Stats(a) => cmd::stats::run(&cmd::stats::StatsOptions {
            source: a.source.options(),
            max_open: a.max_flows,
            idle_secs: a.idle_timeout,
            threads: a.threads.get(false),
        }),
        Command::Flows(a) => {
            use cmd::flows::{FlowFormat, FlowsOptions, SortKey};
            cmd::flows::run(&FlowsOptions {
                source: a.source.options(),
                format: match a.format {
                    FlowFormatArg::Table => FlowFormat::Table,
                    FlowFormatArg::Jsonl => FlowFormat::Jsonl,
                    FlowFormatArg::Csv => FlowFormat::Csv,
                    FlowFormatArg::Parquet => FlowFormat::Parquet,
                },
                write: a.write,
                sort: match a.sort {
                    Some(SortArg::Bytes) => SortKey::Bytes,
                    Some(SortArg::Packets) => SortKey::Packets,
                    Some(SortArg::Start) => SortKey::Start,
                    Some(SortArg::Duration) => SortKey::Duration,
                    // Live: the busiest on top, as `top` does.
                    None if a.source.interface.is_some() => SortKey::Bytes,
                    None => SortKey::Start,
                },
                max_open: a.max_flows,
                idle_secs: a.idle_timeout,
                threads: a.threads.get(false),
            })
        }
        Command::Serve(a) => cmd::traffic::serve(
            layerscope::traffic::server::ServerOptions {
                transport: a.transport.get(),
                listen: a.listen,
                backlog: a.backlog,
                limit: a.count,
            },
            a.explain,
        ),
        Command::Client(a) => {
            use layerscope::traffic::client;
            let t = a.transport.get();
            let message = match (a.size, &a.message) {
                (Some(n), _) => client::sized_message(n),
                (None, Some(m)) => client::text_message(m),
                (None, None) => client::text_message("hello from layerscope"),
            };
            if !(a.timeout.is_finite() && a.timeout > 0.0) {
                eprintln!("layerscope: --timeout must be a positive number of seconds");
                std::process::exit(exit::USAGE);
            }
            cmd::traffic::client(
                client::ClientOptions {
                    transport: t,
                    server: a.server,
                    message,
                    repeat: a.repeat,
                    mss: a.mss,
                    timeout: std::time::Duration::from_secs_f64(a.timeout),
                },
                a.explain,
            )
        }
        Command::Demo(a) => {
            use layerscope::traffic::client;
            let t = a.transport.get();
            let message = match (a.size, &a.message) {
                (Some(n), _) => client::sized_message(n),
                (None, Some(m)) => client::text_message(m),
                (None, None) => client::text_message("hello, layers"),
            };
            let color = match a.color {
                ColorArg::Auto => None,
                ColorArg::Always => Some(true),
                ColorArg::Never => Some(false),
            };
            cmd::demo::run(
                &layerscope::traffic::demo::DemoOptions {
                    transport: t,
                    ipv6: a.ipv6,
                    message,
                    mss: a.mss,
                    veth: a.veth,
                    pause: a.test_pause_ms.map(std::time::Duration::from_millis),
                },
                color,
                a.json_summary,
            )
        }
    };
    std::process::exit(code);
}
