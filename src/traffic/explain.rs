//! Narrates socket API calls as they happen, with real values, and records
//! them with wall-clock timestamps so the demo can line them up with the
//! frames they caused.

use crate::source::Timestamp;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

/// Which program made the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Server,
    Client,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Server => "server",
            Role::Client => "client",
        }
    }
}

/// The socket calls the demo lines frames up with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    Socket,
    Bind,
    Listen,
    Accept,
    Connect,
    /// Bytes handed to the kernel.
    Send(usize),
    /// Bytes received.
    Recv(usize),
    Shutdown,
    Close,
    Other,
}

#[derive(Clone, Debug)]
pub struct Event {
    /// When the call began: calls that make frames (connect, send, close)
    /// come before those frames, so the timeline places them by this.
    pub start: Timestamp,
    /// When the call returned: calls that wait for frames (accept, recv)
    /// are placed by this, after the frames they waited for.
    pub ts: Timestamp,
    pub role: Role,
    pub call: Call,
    pub text: String,
}

impl Event {
    /// Where the call belongs among the frames: its start for calls that
    /// cause frames, its return for calls that wait for them.
    pub fn at(&self) -> Timestamp {
        match self.call {
            Call::Accept | Call::Recv(_) => self.ts,
            _ => self.start,
        }
    }
}

/// Shared record of events, for the demo.
pub type EventLog = Arc<Mutex<Vec<Event>>>;

/// Prints (with `--explain`) and records socket calls.
#[derive(Clone)]
pub struct Narrator {
    pub role: Role,
    pub print: bool,
    pub log: Option<EventLog>,
}

pub fn now() -> Timestamp {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp {
        sec: d.as_secs() as i64,
        nsec: d.subsec_nanos(),
    }
}

impl Narrator {
    pub fn new(role: Role, print: bool) -> Self {
        Narrator {
            role,
            print,
            log: None,
        }
    }

    /// Records a call that returned just now (and began then, for quick
    /// calls), and prints it when explaining.
    pub fn say(&self, call: Call, text: impl Into<String>) {
        let t = now();
        self.said(t, call, text)
    }

    /// Records a call that began at `start` and returned just now.
    pub fn said(&self, start: Timestamp, call: Call, text: impl Into<String>) {
        let ts = now();
        let text = text.into();
        if self.print {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "[{}] {}", self.role.name(), text);
        }
        if let Some(log) = &self.log {
            if let Ok(mut l) = log.lock() {
                l.push(Event {
                    start,
                    ts,
                    role: self.role,
                    call,
                    text,
                });
            }
        }
    }

    /// A line of commentary (no socket call).
    pub fn note(&self, text: impl AsRef<str>) {
        if self.print {
            eprintln!("[{}]   {}", self.role.name(), text.as_ref());
        }
    }
}
