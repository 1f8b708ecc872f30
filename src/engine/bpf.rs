//! BPF filters applied in user space, to frames read from files and pipes.

use crate::source::Frame;
use std::collections::HashMap;

/// A BPF expression compiled once per link type, as libpcap needs the link
/// type to compile (a pcapng file may mix several).
pub struct Bpf {
    expr: String,
    programs: HashMap<u32, pcap::BpfProgram>,
}

impl Bpf {
    pub fn new(expr: &str) -> Self {
        Bpf {
            expr: expr.to_string(),
            programs: HashMap::new(),
        }
    }

    /// Checks the expression compiles for `linktype` (errors as libpcap words them).
    pub fn check(&mut self, linktype: u32) -> Result<(), String> {
        if self.programs.contains_key(&linktype) {
            return Ok(());
        }
        // libpcap compiles some primitives differently for savefiles than
        // for live handles (`ip6` on DLT_NULL accepts every BSD AF_INET6
        // value only when reading a file), so compile against a savefile
        // handle, as tcpdump -r does: a header-only pcap of this link type.
        let prog = compile_for_savefile(&self.expr, linktype)?;
        self.programs.insert(linktype, prog);
        Ok(())
    }

    pub fn matches(&mut self, frame: &Frame<'_>) -> Result<bool, String> {
        self.check(frame.linktype)?;
        Ok(self
            .programs
            .get(&frame.linktype)
            .is_some_and(|p| p.filter(frame.bytes)))
    }
}

/// The header-only capture goes through a pipe, not a file: no temporary
/// file to clean up, and nothing for the sandbox to allow.
fn compile_for_savefile(expr: &str, linktype: u32) -> Result<pcap::BpfProgram, String> {
    let mut header = Vec::with_capacity(24);
    header.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    header.extend_from_slice(&2u16.to_le_bytes());
    header.extend_from_slice(&4u16.to_le_bytes());
    header.extend_from_slice(&[0; 8]);
    header.extend_from_slice(&262_144u32.to_le_bytes());
    header.extend_from_slice(&linktype.to_le_bytes());
    fn prepare(e: impl std::fmt::Display) -> String {
        format!("cannot prepare the BPF compiler: {e}")
    }
    let (rd, wr) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(prepare)?;
    // 24 bytes fit any pipe's buffer: the write cannot block.
    std::io::Write::write_all(&mut std::fs::File::from(wr), &header).map_err(prepare)?;
    // SAFETY: `rd` is an open descriptor this function owns; the capture
    // takes it over (and closes it when dropped).
    let cap = unsafe { pcap::Capture::from_raw_fd(std::os::fd::IntoRawFd::into_raw_fd(rd)) }
        .map_err(|e| format!("cannot compile filter for link type {linktype}: {e}"))?;
    cap.compile(expr, true)
        .map_err(|e| format!("invalid BPF filter '{expr}': {e}"))
}
