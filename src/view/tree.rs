//! The detail pane's tree: the packet's layers and fields as collapsible
//! nodes, each knowing the bytes it covers, so selecting a field can light
//! up its bytes and a byte can find its field.

use crate::dissect::{self, Field, FieldSink, Packet, Tier};
use std::collections::HashSet;
use std::ops::Range;

/// Which buffer a node's range indexes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Buf {
    Frame,
    Reassembled,
}

#[derive(Clone, Debug)]
pub struct Node {
    pub depth: u8,
    pub text: String,
    /// Filter name (`tcp.srcport`), or the layer's name for a layer node.
    pub name: String,
    pub range: Range<usize>,
    pub buf: Buf,
    pub tier: Option<Tier>,
    pub layer: bool,
    /// Stable across packets: expanding TCP's flags in one packet keeps
    /// them open in the next, as in Wireshark.
    pub key: String,
    pub has_children: bool,
    /// A layer's place in both models (`transport · OSI 4`), shown even
    /// when its title is cut.
    pub model: String,
}

/// Pair fields Wireshark keeps hidden in the tree (they repeat src/dst).
fn hidden(name: &str) -> bool {
    crate::output::detail::HIDDEN.contains(&name)
}

struct Builder {
    nodes: Vec<Node>,
    depth: u8,
    layer: String,
    tier: Option<Tier>,
    buf: Buf,
    /// Open subtrees' keys, for nested keys.
    path: Vec<String>,
}

impl Builder {
    /// A node at the current depth, layer and buffer.
    fn node(&self, text: String, name: &str, range: Range<usize>, key: String) -> Node {
        Node {
            depth: self.depth,
            text,
            name: name.to_string(),
            range,
            buf: self.buf,
            tier: self.tier,
            layer: false,
            key,
            has_children: false,
            model: String::new(),
        }
    }

    fn push(&mut self, n: Node) {
        if let Some(parent) = self
            .nodes
            .iter_mut()
            .rev()
            .find(|p| p.depth < n.depth)
            .filter(|p| p.depth + 1 == n.depth)
        {
            parent.has_children = true;
        }
        self.nodes.push(n);
    }
}

impl FieldSink for Builder {
    fn layer(&mut self, name: &'static str, title: &str, range: Range<usize>) {
        self.depth = 0;
        self.path.clear();
        self.layer = name.to_string();
        self.tier = crate::output::detail::layer_tier(name);
        let model = match self.tier {
            Some(t) => {
                let (model, osi) = t.model();
                let osi = if t == Tier::Application {
                    "5–7".to_string()
                } else {
                    osi.to_string()
                };
                format!("{model} · OSI {osi}")
            }
            None => String::new(),
        };
        let node = Node {
            layer: true,
            model,
            ..self.node(title.to_string(), name, range, name.to_string())
        };
        self.push(node);
        self.depth = 1;
    }

    fn field(&mut self, f: &Field<'_>) {
        if hidden(f.name) {
            return;
        }
        let mut text = String::with_capacity(f.label.len() + 24);
        text.push_str(f.label);
        text.push_str(": ");
        let mut v = Vec::new();
        f.value.write_to(&mut v);
        let value = escape_controls(&String::from_utf8_lossy(&v));
        match (f.value, f.note.is_empty()) {
            (_, true) => text.push_str(&value),
            // A named address reads as Wireshark shows it: `Intel_12:34:56 (00:1b:21:12:34:56)`.
            (dissect::Value::Mac(_), false) => text.push_str(&format!("{} ({value})", f.note)),
            _ => text.push_str(&format!("{value} ({})", f.note)),
        }
        let key = format!("{}/{}", self.path.join("/"), f.name);
        let node = self.node(text, f.name, f.range.clone(), key);
        self.push(node);
    }

    fn open(&mut self, label: &str, range: Range<usize>) {
        let stem = label.split([':', '=']).next().unwrap_or(label).trim();
        self.path.push(format!("{}.{}", self.layer, stem));
        let key = self.path.join("/");
        let node = self.node(escape_controls(label), "", range, key);
        self.push(node);
        self.depth = self.depth.saturating_add(1);
    }

    fn source(&mut self, src: dissect::Src) {
        self.buf = match src {
            dissect::Src::Frame => Buf::Frame,
            dissect::Src::Reassembled => Buf::Reassembled,
        };
    }

    fn close(&mut self) {
        self.path.pop();
        self.depth = self.depth.saturating_sub(1).max(1);
    }
}

/// CR, LF and other controls shown as Wireshark shows them (`\r\n`).
pub fn escape_controls(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\r' => o.push_str("\\r"),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            c if c.is_control() => o.push_str(&format!("\\x{:02x}", c as u32)),
            c => o.push(c),
        }
    }
    o
}

/// An issue's message, led by its protocol's name unless it already is.
pub fn issue_text(issue: &dissect::Issue) -> String {
    let proto = issue.proto.display();
    if issue.msg.starts_with(proto) {
        issue.msg.to_string()
    } else {
        format!("{proto} {}", issue.msg)
    }
}

/// All nodes of a packet, in tree order.
pub fn build(pkt: &Packet<'_>) -> Vec<Node> {
    let mut b = Builder {
        nodes: Vec::new(),
        depth: 0,
        layer: String::new(),
        tier: None,
        buf: Buf::Frame,
        path: Vec::new(),
    };
    dissect::all_fields(pkt, &mut b);
    // Wireshark's first line for the frame.
    if let Some(f) = b.nodes.iter_mut().find(|n| n.layer && n.name == "frame") {
        let (wire, cap) = (pkt.wire_len as usize, pkt.data.len());
        f.text = format!(
            "Frame {}: {wire} bytes on wire ({} bits), {cap} bytes captured ({} bits)",
            pkt.number,
            wire * 8,
            cap * 8
        );
    }
    if let Some(issue) = pkt.issue {
        let kind = match issue.kind {
            dissect::IssueKind::Malformed => "malformed",
            dissect::IssueKind::Truncated => "truncated",
        };
        b.nodes.push(Node {
            depth: 0,
            text: format!("[{kind}: {}]", issue_text(&issue)),
            name: format!("_ws.{}", if kind == "malformed" { kind } else { "short" }),
            range: 0..0,
            buf: Buf::Frame,
            tier: None,
            layer: true,
            key: "_ws".into(),
            has_children: false,
            model: String::new(),
        });
    }
    b.nodes
}

/// The nodes shown: children of collapsed nodes are skipped.
pub fn visible(nodes: &[Node], open: &HashSet<String>) -> Vec<usize> {
    let mut out = Vec::with_capacity(nodes.len());
    let mut skip_below: Option<u8> = None;
    for (i, n) in nodes.iter().enumerate() {
        if let Some(d) = skip_below {
            if n.depth > d {
                continue;
            }
            skip_below = None;
        }
        out.push(i);
        if n.has_children && !open.contains(&n.key) {
            skip_below = Some(n.depth);
        }
    }
    out
}

/// The deepest node whose range holds byte `at` of buffer `buf`: the
/// field a click on a byte selects.
pub fn node_at(nodes: &[Node], buf: Buf, at: usize) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, n) in nodes.iter().enumerate() {
        if n.buf == buf && n.range.contains(&at) && n.name != "frame" {
            let better = match best {
                None => true,
                Some(b) => {
                    let nb = &nodes[b];
                    n.range.len() < nb.range.len()
                        || (n.range.len() == nb.range.len() && n.depth > nb.depth)
                }
            };
            if better {
                best = Some(i);
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_as_wireshark_shows_them() {
        assert_eq!(
            escape_controls("GET / HTTP/1.1\r\n"),
            "GET / HTTP/1.1\\r\\n"
        );
        assert_eq!(escape_controls("plain"), "plain");
    }

    #[test]
    fn collapsed_nodes_hide_their_children() {
        let n = |depth: u8, key: &str, kids: bool| Node {
            depth,
            text: key.into(),
            name: key.into(),
            range: 0..0,
            buf: Buf::Frame,
            tier: None,
            layer: depth == 0,
            key: key.into(),
            has_children: kids,
            model: String::new(),
        };
        let nodes = vec![
            n(0, "ip", true),
            n(1, "ip.flags", true),
            n(2, "ip.flags.df", false),
            n(1, "ip.ttl", false),
            n(0, "tcp", true),
            n(1, "tcp.port", false),
        ];
        let mut open = HashSet::new();
        assert_eq!(visible(&nodes, &open), vec![0, 4]);
        open.insert("ip".to_string());
        assert_eq!(visible(&nodes, &open), vec![0, 1, 3, 4]);
        open.insert("ip.flags".to_string());
        assert_eq!(visible(&nodes, &open), vec![0, 1, 2, 3, 4]);
    }
}
