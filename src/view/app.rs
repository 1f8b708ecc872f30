//! The view's state and what each key does. Drawing is in `ui.rs`; this
//! file knows nothing of the terminal, so tests drive it with key events
//! and render it on ratatui's test backend.

use super::index::{Backing, Index};
use super::jobs::{self, Indexer, Job};
use super::tree::{self, Buf, Node};
use crate::dissect::{self, Packet, Tier};
use crate::flow::follow::Follow;
use ratatui::crossterm::event::MouseEventKind;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent};
use ratatui::layout::Rect;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    List,
    Detail,
    Bytes,
}

/// A line being typed at the bottom of the screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Prompt {
    Filter,
    Goto,
    /// A file name to save the displayed packets to.
    Save,
    Search(SearchKind),
}

/// What a search looks for, as Wireshark's Find Packet offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchKind {
    /// A string in the frame's bytes.
    Text,
    /// A byte sequence (`47:45:54`, `474554`).
    Hex,
    /// A display filter (`dns.qry.name == "example.com"`).
    Filter,
}

impl SearchKind {
    fn next(self) -> SearchKind {
        match self {
            SearchKind::Text => SearchKind::Hex,
            SearchKind::Hex => SearchKind::Filter,
            SearchKind::Filter => SearchKind::Text,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            SearchKind::Text => "string",
            SearchKind::Hex => "hex bytes",
            SearchKind::Filter => "display filter",
        }
    }
}

/// A window over the panes: text to scroll, or rows to choose.
pub struct Popup {
    pub title: String,
    pub lines: Vec<PopLine>,
    pub top: usize,
    /// Rows that can be chosen (conversations): the selected one.
    pub sel: Option<usize>,
    /// The filter each choosable row applies.
    pub filters: Vec<Option<String>>,
}

/// One popup line: spans of (text, tier colour, emphasis).
pub type PopLine = Vec<(String, Option<Tier>, bool)>;

/// What the popup's background job will show when done.
pub enum Pending {
    Filter(Job<Vec<u32>>, String),
    Search(Job<Vec<u32>>, bool),
    Follow(Job<Follow>, u32, bool),
    Text(Job<Vec<u8>>, String),
    Conversations(Job<Vec<u8>>),
    Save(Job<Vec<u8>>, String),
}

pub struct App {
    pub index: Arc<Mutex<Index>>,
    pub backing: Backing,
    /// The files jobs read (a compressed capture's decompressed copy).
    pub paths: Vec<String>,
    /// The names the user gave, for the status bar.
    pub names: Vec<String>,
    pub temp: super::TempFiles,
    pub indexer: Option<Indexer>,
    /// Positions of the displayed packets; None: all.
    pub shown: Option<Arc<Vec<u32>>>,
    pub filter: String,
    /// The list's selection (a position in the displayed rows) and scroll.
    pub sel: usize,
    pub top: usize,
    /// Live: keep the newest row selected until the user moves.
    pub tail: bool,
    pub focus: Pane,
    pub nodes: Vec<Node>,
    pub vis: Vec<usize>,
    pub node_sel: usize,
    pub node_top: usize,
    pub open: HashSet<String>,
    /// The record whose tree and bytes are loaded.
    pub loaded: Option<usize>,
    pub frame: Vec<u8>,
    pub reassembled: Vec<u8>,
    pub reasm_title: String,
    pub owners: Vec<Option<Tier>>,
    pub reasm_owners: Vec<Option<Tier>>,
    pub byte_sel: Option<(Buf, usize)>,
    pub bytes_top: usize,
    pub prompt: Option<(Prompt, String)>,
    /// The prompt's text does not compile: message and position.
    pub prompt_error: Option<(usize, String)>,
    pub search: Option<(SearchKind, String)>,
    pub popup: Option<Popup>,
    pub pending: Option<Pending>,
    pub message: String,
    pub hidden: [bool; 3],
    /// Share of the height for the list and detail panes (bytes get the rest).
    pub split: [u16; 2],
    pub color: bool,
    pub quit: bool,
    /// Where the panes were last drawn (for the mouse).
    pub areas: [Rect; 3],
    pub live: Option<Arc<Mutex<LiveStatus>>>,
    /// Live with a display filter: the filter, and how many records it has seen.
    pub live_filter: Option<(crate::filter::Filter, usize)>,
    /// The first record still in the index when last looked (rows count from it).
    pub base: usize,
}

/// A live capture's counters for the status bar.
#[derive(Clone, Debug, Default)]
pub struct LiveStatus {
    pub iface: String,
    pub received: u64,
    pub dropped: u64,
    pub stopped: bool,
}

/// One row of the packet list.
pub struct Row {
    pub number: u64,
    pub time: String,
    pub tiers: [&'static str; 4],
    /// The top protocol and its tier (the narrow layout's one column).
    pub top: (&'static str, Option<Tier>),
    pub pair: String,
    pub len: u32,
    pub info: String,
    pub issue: bool,
}

impl App {
    pub fn new(index: Arc<Mutex<Index>>, backing: Backing, paths: Vec<String>, color: bool) -> App {
        App {
            index,
            backing,
            names: paths.clone(),
            paths,
            temp: Default::default(),
            indexer: None,
            shown: None,
            filter: String::new(),
            sel: 0,
            top: 0,
            tail: false,
            focus: Pane::List,
            nodes: Vec::new(),
            vis: Vec::new(),
            node_sel: 0,
            node_top: 0,
            open: HashSet::new(),
            loaded: None,
            frame: Vec::new(),
            reassembled: Vec::new(),
            reasm_title: String::new(),
            owners: Vec::new(),
            reasm_owners: Vec::new(),
            byte_sel: None,
            bytes_top: 0,
            prompt: None,
            prompt_error: None,
            search: None,
            popup: None,
            pending: None,
            message: String::new(),
            hidden: [false; 3],
            split: [45, 35],
            color,
            quit: false,
            areas: [Rect::default(); 3],
            live: None,
            live_filter: None,
            base: 0,
        }
    }

    /// Packets on the list.
    pub fn count(&self) -> usize {
        match &self.shown {
            Some(s) => s.len(),
            None => self.index.lock().map(|i| i.len() - i.first()).unwrap_or(0),
        }
    }

    /// The record at list row `row`.
    pub fn record_at(&self, row: usize) -> Option<usize> {
        match &self.shown {
            Some(s) => s.get(row).map(|&p| p as usize),
            None => (row < self.count()).then_some(self.base + row),
        }
    }

    /// Records were evicted under the cap: rows move up by as many.
    fn rebase(&mut self) {
        let first = self.index.lock().map(|i| i.first()).unwrap_or(0);
        if first <= self.base {
            return;
        }
        let gone = match &mut self.shown {
            None => first - self.base,
            Some(s) => {
                let k = s.partition_point(|&p| (p as usize) < first);
                Arc::make_mut(s).drain(..k);
                k
            }
        };
        self.base = first;
        self.sel = self.sel.saturating_sub(gone);
        self.top = self.top.saturating_sub(gone);
    }

    /// What background jobs read.
    pub fn data(&self) -> jobs::Data {
        jobs::Data {
            index: self.index.clone(),
            paths: self.paths.clone(),
            // A file still being indexed: jobs wait for the rest of it. A
            // live capture never ends: jobs take what is there.
            indexing: match (&self.indexer, &self.live) {
                (Some(ix), None) => Some(ix.progress.clone()),
                _ => None,
            },
        }
    }

    pub fn selected_record(&self) -> Option<usize> {
        self.record_at(self.sel)
    }

    /// Decodes the record again and hands its packet to `f`.
    pub fn with_packet<T>(&self, rec: usize, f: impl FnOnce(&Packet<'_>, bool) -> T) -> Option<T> {
        let ix = self.index.lock().ok()?;
        let r = ix.rec(rec)?;
        let mut buf = Vec::new();
        self.backing.read(&r, &mut buf).ok()?;
        let (pkt, evicted) = ix.packet(rec, &buf)?;
        Some(f(&pkt, evicted))
    }

    /// The list rows `from..from+n` (fewer at the end).
    pub fn rows(&self, from: usize, n: usize) -> Vec<Row> {
        let mut out = Vec::with_capacity(n);
        let Ok(ix) = self.index.lock() else {
            return out;
        };
        let mut buf = Vec::new();
        let mut scratch = Vec::new();
        for row in from..from + n {
            let Some(rec) = (match &self.shown {
                Some(s) => s.get(row).map(|&p| p as usize),
                None => (self.base + row < ix.len()).then_some(self.base + row),
            }) else {
                break;
            };
            let Some(r) = ix.rec(rec) else { break };
            if self.backing.read(&r, &mut buf).is_err() {
                break;
            }
            let Some((pkt, _)) = ix.packet(rec, &buf) else {
                break;
            };
            out.push(row_of(&pkt, &mut scratch));
        }
        out
    }

    /// Loads the selected packet's tree and bytes when the selection moved.
    pub fn load_selected(&mut self) {
        let rec = self.selected_record();
        if rec == self.loaded {
            return;
        }
        self.loaded = rec;
        let Some(rec) = rec else {
            self.nodes.clear();
            self.vis.clear();
            self.frame.clear();
            self.reassembled.clear();
            return;
        };
        let got = self.with_packet(rec, |pkt, evicted| {
            let mut nodes = tree::build(pkt);
            if evicted {
                nodes.push(Node {
                    depth: 0,
                    text: "[reassembled bytes not kept: over the view's reassembly cap]".into(),
                    name: String::new(),
                    range: 0..0,
                    buf: Buf::Frame,
                    tier: None,
                    layer: true,
                    key: "_evicted".into(),
                    has_children: false,
                    model: String::new(),
                });
            }
            let re = dissect::reasm::rebuilt(pkt).to_vec();
            let title = if re.is_empty() {
                String::new()
            } else {
                dissect::reasm::title(pkt).to_string()
            };
            let owners = crate::output::hexdump::byte_owners(pkt);
            let re_owners = crate::output::hexdump::owners_of(
                pkt,
                dissect::Src::Reassembled,
                re.len(),
                pkt.reassembled_at as usize,
            );
            (nodes, pkt.data.to_vec(), re, title, owners, re_owners)
        });
        if let Some((nodes, frame, re, title, owners, re_owners)) = got {
            // The reassembled buffer starts with a copy of the headers; the
            // pane shows the rebuilt PDU alone, as Wireshark's tab does.
            self.nodes = nodes;
            self.frame = frame;
            self.reassembled = re;
            self.reasm_title = title;
            self.owners = owners;
            self.reasm_owners = re_owners;
        }
        self.vis = tree::visible(&self.nodes, &self.open);
        self.node_sel = self.node_sel.min(self.vis.len().saturating_sub(1));
        self.node_top = 0;
        self.byte_sel = None;
        self.bytes_top = 0;
    }

    /// The selected tree node.
    pub fn node(&self) -> Option<&Node> {
        self.vis.get(self.node_sel).and_then(|&i| self.nodes.get(i))
    }

    /// Which buffer the bytes pane shows, and the highlighted range in it.
    pub fn bytes_view(&self) -> (Buf, Option<std::ops::Range<usize>>) {
        let skip = self.reasm_skip();
        match self.node() {
            Some(n) if n.buf == Buf::Reassembled && !self.reassembled.is_empty() => (
                Buf::Reassembled,
                Some(n.range.start.saturating_sub(skip)..n.range.end.saturating_sub(skip)),
            ),
            Some(n) if self.focus != Pane::List || n.range.len() < self.frame.len() => {
                (Buf::Frame, Some(n.range.clone()))
            }
            _ => (Buf::Frame, None),
        }
    }

    /// Offset of the rebuilt PDU inside the reassembled buffer.
    pub fn reasm_skip(&self) -> usize {
        self.with_packet(self.loaded.unwrap_or(0), |p, _| p.reassembled_at as usize)
            .filter(|_| self.loaded.is_some())
            .unwrap_or(0)
    }

    fn list_height(&self) -> usize {
        (self.areas[0].height as usize).saturating_sub(3).max(1)
    }

    fn select_row(&mut self, row: usize) {
        let n = self.count();
        if n == 0 {
            self.sel = 0;
            return;
        }
        self.sel = row.min(n - 1);
        let h = self.list_height();
        if self.sel < self.top {
            self.top = self.sel;
        } else if self.sel >= self.top + h {
            self.top = self.sel + 1 - h;
        }
        self.load_selected();
    }

    /// Live with a display filter: runs it over the records that arrived
    /// since (a bounded number per call, so the screen stays responsive).
    fn filter_new(&mut self) {
        let Some((filter, seen)) = &mut self.live_filter else {
            return;
        };
        let Ok(ix) = self.index.lock() else { return };
        *seen = (*seen).max(ix.first());
        let end = ix.len().min(*seen + 20_000);
        let mut buf = Vec::new();
        let mut keep = Vec::new();
        for i in *seen..end {
            let Some(r) = ix.rec(i) else { break };
            if self.backing.read(&r, &mut buf).is_err() {
                break;
            }
            if let Some((pkt, _)) = ix.packet(i, &buf) {
                if filter.matches(&pkt) {
                    keep.push(i as u32);
                }
            }
            *seen = i + 1;
        }
        drop(ix);
        if let Some(shown) = &mut self.shown {
            Arc::make_mut(shown).extend(keep);
        }
    }

    /// New rows arrived (indexing, live): keep following the newest if asked.
    pub fn on_growth(&mut self) {
        self.rebase();
        self.filter_new();
        if self.tail {
            let n = self.count();
            if n > 0 {
                self.select_row(n - 1);
            }
        } else if self.loaded.is_none() && self.count() > 0 {
            self.load_selected();
        }
    }

    /// Rows that arrived below the view while the user holds it.
    pub fn waiting(&self) -> usize {
        if self.tail {
            return 0;
        }
        self.count().saturating_sub(self.top + self.list_height())
    }

    pub fn key(&mut self, k: KeyEvent) {
        self.message.clear();
        if self.prompt.is_some() {
            self.prompt_key(k);
            return;
        }
        if self.popup.is_some() {
            self.popup_key(k);
            return;
        }
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        match k.code {
            KeyCode::Char('q') => self.quit = true,
            KeyCode::Char('c') if ctrl => self.quit = true,
            KeyCode::Esc => {
                if self.pending.take().is_some() {
                    self.message = "cancelled".into();
                }
            }
            KeyCode::Tab => self.cycle_focus(true),
            KeyCode::BackTab => self.cycle_focus(false),
            KeyCode::Char('/') => self.start_prompt(Prompt::Filter, self.filter.clone()),
            KeyCode::Char(':') => self.start_prompt(Prompt::Goto, String::new()),
            KeyCode::Char('f') if ctrl => {
                let (kind, text) = self
                    .search
                    .clone()
                    .unwrap_or((SearchKind::Text, String::new()));
                self.start_prompt(Prompt::Search(kind), text)
            }
            KeyCode::Char('n') => self.search_next(true),
            KeyCode::Char('N') => self.search_next(false),
            KeyCode::Char('f') => self.follow(),
            KeyCode::Char('c') => self.conversations(),
            KeyCode::Char('s') => self.statistics(),
            KeyCode::Char('e') => self.encapsulation(),
            KeyCode::Char('w') => self.start_prompt(Prompt::Save, String::new()),
            KeyCode::Char('?') | KeyCode::F(1) => self.help(),
            KeyCode::Char('1') => self.toggle_pane(0),
            KeyCode::Char('2') => self.toggle_pane(1),
            KeyCode::Char('3') => self.toggle_pane(2),
            KeyCode::Char('+') => self.resize(true),
            KeyCode::Char('-') => self.resize(false),
            _ => match self.focus {
                Pane::List => self.list_key(k),
                Pane::Detail => self.detail_key(k),
                Pane::Bytes => self.bytes_key(k),
            },
        }
    }

    fn cycle_focus(&mut self, fwd: bool) {
        let order = [Pane::List, Pane::Detail, Pane::Bytes];
        let mut i = order.iter().position(|&p| p == self.focus).unwrap_or(0);
        for _ in 0..3 {
            i = if fwd { (i + 1) % 3 } else { (i + 2) % 3 };
            if !self.hidden[i] {
                self.focus = order[i];
                return;
            }
        }
    }

    fn toggle_pane(&mut self, i: usize) {
        let others_shown = (0..3).filter(|&j| j != i && !self.hidden[j]).count();
        if !self.hidden[i] && others_shown == 0 {
            return; // keep one pane
        }
        self.hidden[i] = !self.hidden[i];
        if self.hidden[i] && self.focus == [Pane::List, Pane::Detail, Pane::Bytes][i] {
            self.cycle_focus(true);
        }
    }

    fn resize(&mut self, grow: bool) {
        let i = match self.focus {
            Pane::List => 0,
            Pane::Detail => 1,
            Pane::Bytes => {
                // Growing the bytes pane shrinks the other two.
                let d: i16 = if grow { -5 } else { 5 };
                for s in &mut self.split {
                    *s = (*s as i16 + d / 2).clamp(10, 80) as u16;
                }
                return;
            }
        };
        let d: i16 = if grow { 5 } else { -5 };
        self.split[i] = (self.split[i] as i16 + d).clamp(10, 80) as u16;
        if self.split[0] + self.split[1] > 90 {
            self.split[1 - i] = 90 - self.split[i];
        }
    }

    fn page(&self) -> usize {
        self.list_height().saturating_sub(1).max(1)
    }

    fn list_key(&mut self, k: KeyEvent) {
        let n = self.count();
        let page = self.page();
        self.tail = false;
        match k.code {
            KeyCode::Down | KeyCode::Char('j') => self.select_row(self.sel + 1),
            KeyCode::Up | KeyCode::Char('k') => self.select_row(self.sel.saturating_sub(1)),
            KeyCode::PageDown => self.select_row(self.sel + page),
            KeyCode::PageUp => self.select_row(self.sel.saturating_sub(page)),
            KeyCode::Home | KeyCode::Char('g') => self.select_row(0),
            KeyCode::End | KeyCode::Char('G') => {
                self.select_row(n.saturating_sub(1));
                self.tail = self.live.is_some();
            }
            KeyCode::Enter | KeyCode::Right => self.focus = Pane::Detail,
            _ => {}
        }
    }

    fn move_node(&mut self, to: usize) {
        if self.vis.is_empty() {
            return;
        }
        self.node_sel = to.min(self.vis.len() - 1);
        self.byte_sel = None;
    }

    fn toggle_node(&mut self, open: Option<bool>) {
        let Some(n) = self.node() else { return };
        if !n.has_children {
            // ← on a leaf goes to its parent, as in Wireshark.
            if open == Some(false) {
                let d = n.depth;
                if let Some(p) = (0..self.node_sel)
                    .rev()
                    .find(|&j| self.nodes[self.vis[j]].depth < d)
                {
                    self.node_sel = p;
                }
            }
            return;
        }
        let key = n.key.clone();
        let is_open = self.open.contains(&key);
        let want = open.unwrap_or(!is_open);
        if want {
            self.open.insert(key);
        } else {
            self.open.remove(&key);
        }
        let at = self.vis[self.node_sel];
        self.vis = tree::visible(&self.nodes, &self.open);
        self.node_sel = self.vis.iter().position(|&i| i == at).unwrap_or(0);
    }

    fn detail_key(&mut self, k: KeyEvent) {
        let page = (self.areas[1].height as usize).saturating_sub(3).max(1);
        match k.code {
            KeyCode::Down | KeyCode::Char('j') => self.move_node(self.node_sel + 1),
            KeyCode::Up | KeyCode::Char('k') => self.move_node(self.node_sel.saturating_sub(1)),
            KeyCode::PageDown => self.move_node(self.node_sel + page),
            KeyCode::PageUp => self.move_node(self.node_sel.saturating_sub(page)),
            KeyCode::Home | KeyCode::Char('g') => self.move_node(0),
            KeyCode::End | KeyCode::Char('G') => self.move_node(usize::MAX),
            KeyCode::Enter | KeyCode::Char(' ') => self.toggle_node(None),
            KeyCode::Right | KeyCode::Char('l') => self.toggle_node(Some(true)),
            KeyCode::Left | KeyCode::Char('h') => self.toggle_node(Some(false)),
            _ => {}
        }
    }

    fn bytes_len(&self, buf: Buf) -> usize {
        match buf {
            Buf::Frame => self.frame.len(),
            Buf::Reassembled => self.reassembled.len().saturating_sub(self.reasm_skip()),
        }
    }

    fn bytes_key(&mut self, k: KeyEvent) {
        let (buf, range) = self.bytes_view();
        let len = self.bytes_len(buf);
        if len == 0 {
            return;
        }
        let cur = match self.byte_sel {
            Some((b, at)) if b == buf => at,
            _ => range.map(|r| r.start).unwrap_or(0),
        };
        let to = match k.code {
            KeyCode::Right | KeyCode::Char('l') => cur + 1,
            KeyCode::Left | KeyCode::Char('h') => cur.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => cur + 16,
            KeyCode::Up | KeyCode::Char('k') => cur.saturating_sub(16),
            KeyCode::Home | KeyCode::Char('g') => 0,
            KeyCode::End | KeyCode::Char('G') => len - 1,
            _ => return,
        }
        .min(len - 1);
        self.select_byte(buf, to);
    }

    /// Selects a byte, and with it the field that owns it.
    pub fn select_byte(&mut self, buf: Buf, at: usize) {
        let abs = match buf {
            Buf::Frame => at,
            Buf::Reassembled => at + self.reasm_skip(),
        };
        if let Some(i) = tree::node_at(&self.nodes, buf, abs) {
            // Open the way down to it.
            let d = self.nodes[i].depth;
            let mut need = d;
            for j in (0..i).rev() {
                if self.nodes[j].depth < need {
                    self.open.insert(self.nodes[j].key.clone());
                    need = self.nodes[j].depth;
                    if need == 0 {
                        break;
                    }
                }
            }
            self.vis = tree::visible(&self.nodes, &self.open);
            if let Some(p) = self.vis.iter().position(|&v| v == i) {
                self.node_sel = p;
            }
        }
        self.byte_sel = Some((buf, at));
    }

    fn start_prompt(&mut self, p: Prompt, text: String) {
        self.prompt = Some((p, text));
        self.check_prompt();
    }

    /// Compiles the filter being typed, so errors show as you type.
    fn check_prompt(&mut self) {
        self.prompt_error = None;
        let Some((p, text)) = &self.prompt else {
            return;
        };
        let is_filter = matches!(p, Prompt::Filter | Prompt::Search(SearchKind::Filter));
        if is_filter && !text.trim().is_empty() {
            if let Err(e) = crate::filter::Filter::compile(text) {
                self.prompt_error = Some((e.pos, e.msg));
            }
        }
        if let (Prompt::Search(SearchKind::Hex), t) = (p, text) {
            if !t.is_empty() && parse_hex(t).is_none() {
                self.prompt_error =
                    Some((0, "expected hex bytes such as 47:45:54 or 474554".into()));
            }
        }
    }

    fn prompt_key(&mut self, k: KeyEvent) {
        let Some((p, mut text)) = self.prompt.take() else {
            return;
        };
        match k.code {
            KeyCode::Esc => {
                self.prompt_error = None;
                return;
            }
            KeyCode::Enter => {
                self.prompt_error = None;
                self.submit(p, text);
                return;
            }
            KeyCode::Tab => {
                if let Prompt::Search(kind) = p {
                    self.prompt = Some((Prompt::Search(kind.next()), text));
                    self.check_prompt();
                    return;
                }
            }
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char('u') if k.modifiers.contains(KeyModifiers::CONTROL) => text.clear(),
            KeyCode::Char(c) => text.push(c),
            _ => {}
        }
        self.prompt = Some((p, text));
        self.check_prompt();
    }

    fn submit(&mut self, p: Prompt, text: String) {
        match p {
            Prompt::Filter => self.apply_filter(text),
            Prompt::Goto => match text.trim().parse::<u64>() {
                Ok(n) => self.goto(n),
                Err(_) => self.message = format!("not a packet number: {text:?}"),
            },
            Prompt::Search(kind) => {
                self.search = Some((kind, text));
                self.search_next(true);
            }
            Prompt::Save => self.save(text.trim().to_string()),
        }
    }

    /// `w`: writes the displayed packets to a pcap or pcapng file (by the
    /// name, as Wireshark picks), with their original timestamps.
    pub fn save(&mut self, path: String) {
        use crate::output::pcapwrite::{WriteFormat, WriteOptions};
        use crate::output::savefile::{SaveOptions, SaveSink};
        if path.is_empty() {
            self.message = "no file name: nothing saved".into();
            return;
        }
        let opts = SaveOptions {
            path: path.clone(),
            write: WriteOptions::new(WriteFormat::for_path(&path)),
            rotation: Default::default(),
            packet_buffered: false,
        };
        let job = jobs::sink_job(
            self.data(),
            format!("saving {path}"),
            self.shown.clone(),
            move |_| SaveSink::create(opts).map_err(|e| std::io::Error::other(e.to_string())),
        );
        self.pending = Some(Pending::Save(job, path));
    }

    /// Shows the packets a display filter keeps (all, when empty).
    pub fn apply_filter(&mut self, text: String) {
        let text = text.trim().to_string();
        if text.is_empty() {
            let keep = self.selected_record();
            self.shown = None;
            self.live_filter = None;
            self.filter.clear();
            self.after_filter(keep);
            return;
        }
        if let Err(e) = crate::filter::Filter::compile(&text) {
            self.message = format!("invalid display filter: {}", e.msg);
            return;
        }
        let job = jobs::filter_job(self.data(), text.clone());
        self.pending = Some(Pending::Filter(job, text));
    }

    fn after_filter(&mut self, keep: Option<usize>) {
        // Keep the selected packet if it is still shown, else the nearest.
        let row = match (&self.shown, keep) {
            (Some(s), Some(k)) => s.partition_point(|&p| (p as usize) < k),
            (None, Some(k)) => k.saturating_sub(self.base),
            _ => 0,
        };
        self.loaded = None;
        self.top = row.saturating_sub(self.list_height() / 2);
        self.select_row(row);
    }

    /// Selects frame `n` (if displayed).
    pub fn goto(&mut self, n: u64) {
        let pos = self.index.lock().ok().and_then(|ix| ix.position_of(n));
        let Some(pos) = pos else {
            self.message = format!("no packet {n}");
            return;
        };
        let row = match &self.shown {
            Some(s) => match s.binary_search(&(pos as u32)) {
                Ok(r) => r,
                Err(_) => {
                    self.message = format!("packet {n} is hidden by the display filter");
                    return;
                }
            },
            None => pos.saturating_sub(self.base),
        };
        self.tail = false;
        self.top = row.saturating_sub(self.list_height() / 2);
        self.select_row(row);
    }

    /// Finds the next (or previous) displayed packet matching the search.
    pub fn search_next(&mut self, fwd: bool) {
        let Some((kind, text)) = self.search.clone() else {
            self.message = "no search: Ctrl-F to search".into();
            return;
        };
        let shown = self.shown.clone();
        let from = self.selected_record();
        let data = self.data();
        let needle: Vec<u8> = match kind {
            SearchKind::Text => text.as_bytes().to_vec(),
            SearchKind::Hex => match parse_hex(&text) {
                Some(b) => b,
                None => {
                    self.message = "expected hex bytes such as 47:45:54".into();
                    return;
                }
            },
            SearchKind::Filter => Vec::new(),
        };
        if kind == SearchKind::Filter {
            if let Err(e) = crate::filter::Filter::compile(&text) {
                self.message = format!("invalid display filter: {}", e.msg);
                return;
            }
        }
        let job = Job::spawn(format!("search {text}"), move |p| {
            let mut filter = match kind {
                SearchKind::Filter => Some(
                    crate::filter::Filter::compile(&text)
                        .map_err(|e| std::io::Error::other(e.msg))?,
                ),
                _ => None,
            };
            let mut hits = Vec::new();
            let done = jobs::replay(&data, p, |i, pkt| {
                let shown_ok = shown
                    .as_ref()
                    .is_none_or(|s| s.binary_search(&(i as u32)).is_ok());
                if !shown_ok {
                    return true;
                }
                let hit = match &mut filter {
                    Some(f) => f.matches(pkt),
                    None => contains(pkt.data, &needle) || contains(pkt.reassembled, &needle),
                };
                if hit {
                    hits.push(i as u32);
                }
                true
            })?;
            Ok(done.then_some(hits))
        });
        let _ = from;
        self.pending = Some(Pending::Search(job, fwd));
    }

    fn finish_search(&mut self, hits: Vec<u32>, fwd: bool) {
        let cur = self.selected_record().unwrap_or(0) as u32;
        let next = if fwd {
            hits.iter().find(|&&h| h > cur).or(hits.first())
        } else {
            hits.iter().rev().find(|&&h| h < cur).or(hits.last())
        };
        let Some(&rec) = next else {
            self.message = "no match".into();
            return;
        };
        let number = self
            .index
            .lock()
            .ok()
            .and_then(|ix| ix.rec(rec as usize))
            .map(|r| r.number);
        if let Some(n) = number {
            self.goto(n);
            let wrapped = if fwd { rec <= cur } else { rec >= cur };
            self.message = format!(
                "match in packet {n} ({} matches{})",
                hits.len(),
                if wrapped { ", wrapped" } else { "" }
            );
        }
    }

    /// `f`: the selected packet's TCP or UDP stream.
    fn follow(&mut self) {
        let Some(rec) = self.selected_record() else {
            return;
        };
        let what = self.with_packet(rec, |p, _| {
            let udp = p.has(dissect::Proto::Udp) && !p.has(dissect::Proto::Tcp);
            p.flow.stream.map(|s| (s, udp))
        });
        let Some(Some((stream, udp))) = what else {
            self.message = "the selected packet is not TCP or UDP".into();
            return;
        };
        let data = self.data();
        let job = Job::spawn(format!("follow stream {stream}"), move |p| {
            let mut f = Follow::new(stream, udp);
            let done = jobs::replay(&data, p, |_, pkt| {
                f.observe(pkt);
                true
            })?;
            f.finish();
            Ok(done.then_some(f))
        });
        self.pending = Some(Pending::Follow(job, stream, udp));
    }

    fn conversations(&mut self) {
        let job = jobs::sink_job(
            self.data(),
            "conversations".into(),
            self.shown.clone(),
            |out| {
                Ok(crate::output::flows::FlowsSink::new(
                    out,
                    crate::output::flows::FlowFormat::Csv,
                    crate::output::flows::SortKey::Start,
                    500_000,
                    60,
                ))
            },
        );
        self.pending = Some(Pending::Conversations(job));
    }

    fn statistics(&mut self) {
        let job = jobs::sink_job(
            self.data(),
            "statistics".into(),
            self.shown.clone(),
            |out| Ok(crate::output::stats::StatsSink::new(out, 500_000, 60)),
        );
        let title = if self.filter.is_empty() {
            "Statistics".to_string()
        } else {
            format!("Statistics of the displayed packets ({})", self.filter)
        };
        self.pending = Some(Pending::Text(job, title));
    }

    /// `e`: the selected packet's layers nested, with sizes and overhead.
    fn encapsulation(&mut self) {
        let Some(rec) = self.selected_record() else {
            return;
        };
        let lines = self.with_packet(rec, |p, _| encapsulation_lines(p));
        if let Some(lines) = lines {
            self.popup = Some(Popup {
                title: format!("Encapsulation of packet {}", self.number_of(rec)),
                lines,
                top: 0,
                sel: None,
                filters: Vec::new(),
            });
        }
    }

    fn number_of(&self, rec: usize) -> u64 {
        self.index
            .lock()
            .ok()
            .and_then(|ix| ix.rec(rec))
            .map(|r| r.number)
            .unwrap_or(0)
    }

    fn help(&mut self) {
        let lines = HELP
            .lines()
            .map(|l| vec![(l.to_string(), None, l.ends_with(':'))])
            .collect();
        self.popup = Some(Popup {
            title: "Keys".into(),
            lines,
            top: 0,
            sel: None,
            filters: Vec::new(),
        });
    }

    fn popup_key(&mut self, k: KeyEvent) {
        let Some(p) = &mut self.popup else { return };
        let h = 10usize;
        match k.code {
            KeyCode::Esc | KeyCode::Char('q') => self.popup = None,
            KeyCode::Down | KeyCode::Char('j') => match &mut p.sel {
                Some(s) => *s = (*s + 1).min(p.filters.len().saturating_sub(1)),
                None => p.top = (p.top + 1).min(p.lines.len().saturating_sub(1)),
            },
            KeyCode::Up | KeyCode::Char('k') => match &mut p.sel {
                Some(s) => *s = s.saturating_sub(1),
                None => p.top = p.top.saturating_sub(1),
            },
            KeyCode::PageDown => match &mut p.sel {
                Some(s) => *s = (*s + h).min(p.filters.len().saturating_sub(1)),
                None => p.top = (p.top + h).min(p.lines.len().saturating_sub(1)),
            },
            KeyCode::PageUp => match &mut p.sel {
                Some(s) => *s = s.saturating_sub(h),
                None => p.top = p.top.saturating_sub(h),
            },
            KeyCode::Home | KeyCode::Char('g') => {
                p.top = 0;
                if let Some(s) = &mut p.sel {
                    *s = 0;
                }
            }
            KeyCode::End | KeyCode::Char('G') => match &mut p.sel {
                Some(s) => *s = p.filters.len().saturating_sub(1),
                None => p.top = p.lines.len().saturating_sub(1),
            },
            KeyCode::Enter => {
                if let Some(f) = p.sel.and_then(|s| p.filters.get(s).cloned().flatten()) {
                    self.popup = None;
                    self.apply_filter(f);
                }
            }
            _ => {}
        }
    }

    pub fn mouse(&mut self, m: MouseEvent) {
        if self.popup.is_some() || self.prompt.is_some() {
            if let (Some(p), MouseEventKind::ScrollDown) = (&mut self.popup, m.kind) {
                p.top = (p.top + 3).min(p.lines.len().saturating_sub(1));
            }
            if let (Some(p), MouseEventKind::ScrollUp) = (&mut self.popup, m.kind) {
                p.top = p.top.saturating_sub(3);
            }
            return;
        }
        let at = |r: Rect| {
            m.column >= r.x && m.column < r.x + r.width && m.row >= r.y && m.row < r.y + r.height
        };
        let pane = (0..3).find(|&i| !self.hidden[i] && at(self.areas[i]));
        let Some(pane) = pane else { return };
        let r = self.areas[pane];
        match m.kind {
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let down = m.kind == MouseEventKind::ScrollDown;
                match pane {
                    0 => {
                        self.tail = false;
                        let to = if down {
                            self.sel + 3
                        } else {
                            self.sel.saturating_sub(3)
                        };
                        self.select_row(to);
                    }
                    1 => {
                        let to = if down {
                            self.node_sel + 3
                        } else {
                            self.node_sel.saturating_sub(3)
                        };
                        self.move_node(to);
                    }
                    _ => {
                        self.bytes_top = if down {
                            self.bytes_top + 3
                        } else {
                            self.bytes_top.saturating_sub(3)
                        };
                    }
                }
            }
            MouseEventKind::Down(MouseButton::Left) => {
                let line = (m.row.saturating_sub(r.y + 1)) as usize;
                match pane {
                    0 => {
                        self.focus = Pane::List;
                        self.tail = false;
                        // Row 0 of the pane's inside is the header.
                        if line >= 1 {
                            self.select_row(self.top + line - 1);
                        }
                    }
                    1 => {
                        self.focus = Pane::Detail;
                        let i = self.node_top + line;
                        if i < self.vis.len() {
                            let again = i == self.node_sel;
                            self.move_node(i);
                            if again {
                                self.toggle_node(None);
                            }
                        }
                    }
                    _ => {
                        self.focus = Pane::Bytes;
                        let col = m.column.saturating_sub(r.x + 1) as usize;
                        // "0000  xx xx … xx  xx … xx  ascii": hex from column 6.
                        let hex = col.checked_sub(6).map(|c| {
                            let c = if c >= 25 { c - 1 } else { c };
                            c / 3
                        });
                        let ascii = col.checked_sub(6 + 49).filter(|&c| c < 16);
                        if let Some(b) = ascii.or(hex.filter(|&b| b < 16)) {
                            let (buf, _) = self.bytes_view();
                            let at = (self.bytes_top + line) * 16 + b;
                            if at < self.bytes_len(buf) {
                                self.select_byte(buf, at);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Collects finished background work; true when the screen changed.
    pub fn poll_jobs(&mut self) -> bool {
        let Some(p) = &mut self.pending else {
            return false;
        };
        let done = match p {
            Pending::Filter(j, _) | Pending::Search(j, _) => j.finished(),
            Pending::Follow(j, ..) => j.finished(),
            Pending::Text(j, _) | Pending::Conversations(j) | Pending::Save(j, _) => j.finished(),
        };
        if !done {
            return true; // the progress bar moves
        }
        match self.pending.take() {
            Some(Pending::Filter(mut j, text)) => match j.take() {
                Some(Ok(Some(keep))) => {
                    let covered = j.progress.done.load(std::sync::atomic::Ordering::Relaxed);
                    // Live: packets after those the job saw are filtered as they come.
                    self.live_filter = match (&self.live, crate::filter::Filter::compile(&text)) {
                        (Some(_), Ok(f)) => Some((f, covered as usize)),
                        _ => None,
                    };
                    let sel = self.selected_record();
                    self.message = format!("{} packets match", keep.len());
                    self.shown = Some(Arc::new(keep));
                    self.filter = text;
                    self.after_filter(sel);
                }
                Some(Err(e)) => self.message = format!("filter failed: {e}"),
                _ => {}
            },
            Some(Pending::Search(mut j, fwd)) => {
                if let Some(Ok(Some(hits))) = j.take() {
                    self.finish_search(hits, fwd);
                }
            }
            Some(Pending::Follow(mut j, stream, udp)) => {
                if let Some(Ok(Some(f))) = j.take() {
                    self.popup = Some(follow_popup(&f, stream, udp));
                }
            }
            Some(Pending::Text(mut j, title)) => match j.take() {
                Some(Ok(Some(out))) => {
                    let lines = String::from_utf8_lossy(&out)
                        .lines()
                        .map(|l| vec![(l.to_string(), None, false)])
                        .collect();
                    self.popup = Some(Popup {
                        title,
                        lines,
                        top: 0,
                        sel: None,
                        filters: Vec::new(),
                    });
                }
                Some(Err(e)) => self.message = format!("failed: {e}"),
                _ => {}
            },
            Some(Pending::Save(mut j, path)) => match j.take() {
                Some(Ok(Some(n))) => {
                    self.message =
                        format!("saved {} packets to {path}", String::from_utf8_lossy(&n))
                }
                Some(Err(e)) => self.message = format!("not saved: {e}"),
                _ => {}
            },
            Some(Pending::Conversations(mut j)) => match j.take() {
                Some(Ok(Some(csv))) => self.popup = Some(conversations_popup(&csv)),
                Some(Err(e)) => self.message = format!("failed: {e}"),
                _ => {}
            },
            None => {}
        }
        true
    }

    /// The running job's name and progress, for the status bar.
    pub fn job_status(&self) -> Option<(String, f64)> {
        let (what, p) = match self.pending.as_ref()? {
            Pending::Filter(j, _) | Pending::Search(j, _) => (&j.what, &j.progress),
            Pending::Follow(j, ..) => (&j.what, &j.progress),
            Pending::Text(j, _) | Pending::Conversations(j) | Pending::Save(j, _) => {
                (&j.what, &j.progress)
            }
        };
        Some((what.clone(), p.fraction()))
    }
}

const HELP: &str = "\
Moving:
  ↑ ↓  j k         previous / next packet, field, or byte line
  PgUp PgDn        a page up / down
  g G  Home End    first / last
  Tab  Shift-Tab   next / previous pane (list, detail, bytes)
  :N               go to packet N
Detail pane:
  Enter Space      open or close a layer or subtree
  → ←  l h         open / close (← on a field goes to its layer)
Bytes pane:
  arrows, click    select a byte, and with it the field it belongs to
Filtering and searching:
  /                display filter (as -Y; checked as you type; empty shows all)
  Ctrl-F           search: a string, hex bytes or a display filter (Tab switches)
  n N              next / previous match
  Esc              cancel a running filter or search; close a window
Windows:
  f                follow the selected packet's TCP/UDP stream
  c                conversations (Enter on one shows only its packets)
  s                statistics: protocol hierarchy, ports, endpoints
  e                encapsulation of the selected packet: layers, sizes, overhead
  w                save the displayed packets (pcapng for a .pcapng name, else pcap)
  ?  F1            this help
Layout:
  1 2 3            hide or show the list, detail, bytes pane
  + -              grow / shrink the focused pane
  q  Ctrl-C        quit
Mouse: click a row, a field (click again to open it) or a byte; wheel scrolls.";

/// `47:45:54`, `47 45 54`, `474554`.
pub fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let digits: String = s
        .chars()
        .filter(|c| !matches!(c, ':' | ' ' | '-' | '.'))
        .collect();
    if digits.is_empty() || digits.len() % 2 != 0 {
        return None;
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(digits.get(i..i + 2)?, 16).ok())
        .collect()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && memchr::memmem::find(hay, needle).is_some()
}

/// One list row from a decoded packet.
pub fn row_of(pkt: &Packet<'_>, scratch: &mut Vec<u8>) -> Row {
    let tiers = crate::output::table::tier_names(pkt);
    let top = [
        Tier::Application,
        Tier::Transport,
        Tier::Network,
        Tier::Link,
    ]
    .into_iter()
    .zip(tiers.iter().rev())
    .find(|(_, n)| **n != "-")
    .map(|(t, n)| (*n, Some(t)))
    .unwrap_or(("?", None));
    scratch.clear();
    crate::output::write_socket_pair(pkt, scratch);
    let pair = String::from_utf8_lossy(scratch).into_owned();
    scratch.clear();
    dissect::info(pkt, scratch);
    let mark = scratch.len();
    scratch.extend_from_slice(b" for ");
    if !crate::output::write_quoted_pair(pkt, scratch) {
        scratch.truncate(mark);
    }
    let mut info = tree::escape_controls(&String::from_utf8_lossy(scratch));
    if let Some(issue) = pkt.issue {
        let kind = match issue.kind {
            dissect::IssueKind::Malformed => "malformed",
            dissect::IssueKind::Truncated => "truncated",
        };
        info.push_str(&format!(" [{kind}: {}]", tree::issue_text(&issue)));
    }
    scratch.clear();
    crate::output::table::write_rel_time(scratch, pkt.ts.nanos_since(pkt.first_ts));
    Row {
        number: pkt.number,
        time: String::from_utf8_lossy(scratch).into_owned(),
        tiers,
        top,
        pair,
        len: pkt.wire_len,
        info,
        issue: pkt.issue.is_some(),
    }
}

/// The layers of a packet nested inside each other, outside in, with the
/// bytes each adds: the demo's encapsulation picture for any packet.
pub fn encapsulation_lines(pkt: &Packet<'_>) -> Vec<PopLine> {
    let mut out: Vec<PopLine> = Vec::new();
    let total = pkt.data.len().max(1);
    let mut header_bytes = 0usize;
    let frame_layers: Vec<_> = pkt
        .layers
        .iter()
        .filter(|l| l.src == dissect::Src::Frame)
        .collect();
    for (depth, l) in frame_layers.iter().enumerate() {
        let tier = l.proto.tier();
        let (model, osi) = tier.model();
        let osi = if tier == Tier::Application {
            "5–7".to_string()
        } else {
            osi.to_string()
        };
        let hdr = l.header().len();
        let whole = (l.limit as usize)
            .max(l.end as usize)
            .saturating_sub(l.start as usize);
        if tier != Tier::Application {
            header_bytes += hdr;
        }
        let pad = "│ ".repeat(depth);
        out.push(vec![
            (pad.clone(), None, false),
            (format!("┌ {} ", l.proto.display()), Some(tier), true),
            (
                format!(
                    "{model} · OSI {osi} — header {hdr} B, with what it carries {whole} B, bytes {}..{}",
                    l.start,
                    l.end.saturating_sub(1)
                ),
                None,
                false,
            ),
        ]);
    }
    for depth in (0..frame_layers.len()).rev() {
        out.push(vec![
            ("│ ".repeat(depth), None, false),
            (
                "└".to_string(),
                frame_layers.get(depth).map(|l| l.proto.tier()),
                false,
            ),
        ]);
    }
    let payload = total.saturating_sub(header_bytes);
    out.push(Vec::new());
    out.push(vec![(
        format!(
            "Headers {header_bytes} B + what the top layer carries {payload} B = {} B captured ({} B on the wire): {:.1} % of the frame is headers.",
            pkt.data.len(),
            pkt.wire_len,
            header_bytes as f64 * 100.0 / total as f64
        ),
        None,
        false,
    )]);
    if !pkt.reassembled.is_empty() {
        out.push(vec![(
            format!(
                "{} ({} bytes) was rebuilt from packets {:?}.",
                dissect::reasm::title(pkt),
                dissect::reasm::rebuilt(pkt).len(),
                pkt.pieces
            ),
            None,
            false,
        )]);
    }
    out
}

fn follow_popup(f: &Follow, stream: u32, udp: bool) -> Popup {
    let proto = if udp { "udp" } else { "tcp" };
    let mut lines: Vec<PopLine> = Vec::new();
    if let Some((a, b)) = &f.nodes {
        lines.push(vec![(format!("{a} → {b}"), Some(Tier::Link), true)]);
        lines.push(vec![(format!("{b} → {a}"), Some(Tier::Application), true)]);
        lines.push(Vec::new());
    }
    let mut bytes = [0usize; 2];
    for (dir, chunk) in &f.chunks {
        bytes[*dir & 1] += chunk.len();
        // Client blue, server magenta, as `follow` colours them.
        let tier = if *dir == 0 {
            Tier::Link
        } else {
            Tier::Application
        };
        let text: String = chunk
            .iter()
            .map(|&b| {
                if b == b'\n' || b == b'\t' || (0x20..0x7f).contains(&b) {
                    b as char
                } else if b == b'\r' {
                    '\u{0}'
                } else {
                    '.'
                }
            })
            .filter(|&c| c != '\u{0}')
            .collect();
        for l in text.split('\n') {
            lines.push(vec![(l.to_string(), Some(tier), false)]);
        }
    }
    lines.push(Vec::new());
    lines.push(vec![(
        format!(
            "{} bytes from node 0, {} bytes from node 1 ({proto}.stream eq {stream})",
            bytes[0], bytes[1]
        ),
        None,
        true,
    )]);
    Popup {
        title: format!("Follow {} stream {stream}", proto.to_uppercase()),
        lines,
        top: 0,
        sel: None,
        filters: Vec::new(),
    }
}

fn conversations_popup(csv: &[u8]) -> Popup {
    let text = String::from_utf8_lossy(csv);
    let mut rows: Vec<Vec<String>> = text
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    let header = if rows.is_empty() {
        Vec::new()
    } else {
        rows.remove(0)
    };
    let col = |name: &str| header.iter().position(|h| h == name);
    let get = |r: &Vec<String>, name: &str| {
        col(name)
            .and_then(|i| r.get(i).cloned())
            .unwrap_or_default()
    };
    let mut lines = Vec::new();
    let mut filters = Vec::new();
    lines.push(vec![(
        format!(
            "{:<8} {:<12} {:<44} {:<44} {:>8} {:>10} {:<12}",
            "Stream", "Proto", "Initiator", "Responder", "Packets", "Bytes", "State"
        ),
        None,
        true,
    )]);
    for r in &rows {
        let (stream, tp, app) = (get(r, "stream"), get(r, "transport"), get(r, "app"));
        let ep = |a: String, p: String| {
            if p.is_empty() {
                a
            } else if a.contains(':') {
                format!("[{a}]:{p}")
            } else {
                format!("{a}:{p}")
            }
        };
        let (src, dst) = (get(r, "src"), get(r, "dst"));
        let ini = ep(src.clone(), get(r, "sport"));
        let resp = ep(dst.clone(), get(r, "dport"));
        let num = |k: &str| get(r, k).parse::<u64>().unwrap_or(0);
        let pk = num("packets_ab") + num("packets_ba");
        let by = num("bytes_ab") + num("bytes_ba");
        let proto = if app.is_empty() {
            tp.clone()
        } else {
            format!("{tp}/{app}")
        };
        let shown_stream = if stream.is_empty() {
            "-".to_string()
        } else {
            format!("{} {stream}", tp.to_lowercase())
        };
        lines.push(vec![(
            format!(
                "{shown_stream:<8} {proto:<12} {ini:<44} {resp:<44} {pk:>8} {by:>10} {:<12}",
                get(r, "state")
            ),
            None,
            false,
        )]);
        let f = match tp.as_str() {
            "TCP" if !stream.is_empty() => Some(format!("tcp.stream == {stream}")),
            "UDP" if !stream.is_empty() => Some(format!("udp.stream == {stream}")),
            "ARP" => Some(format!(
                "arp.src.proto_ipv4 == {src} || arp.dst.proto_ipv4 == {src}"
            )),
            _ if src.contains(':') => Some(format!("ipv6.addr == {src} && ipv6.addr == {dst}")),
            _ if !src.is_empty() => Some(format!("ip.addr == {src} && ip.addr == {dst}")),
            _ => None,
        };
        filters.push(f);
    }
    Popup {
        title: format!(
            "Conversations ({}) — Enter shows one's packets",
            filters.len()
        ),
        lines,
        top: 0,
        sel: (!filters.is_empty()).then_some(0),
        filters,
    }
}
