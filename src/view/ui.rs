//! Drawing the view: packet list, detail tree, bytes, prompt and status
//! bar, and the windows over them.

use super::app::{App, Pane, PopLine, Prompt, Row};
use super::tree::Buf;
use crate::dissect::Tier;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

/// The layer colours of the table and hex dump, as terminal colours.
pub fn tier_color(t: Tier) -> Color {
    match t {
        Tier::Link => Color::Blue,
        Tier::Network => Color::Green,
        Tier::Transport => Color::Yellow,
        Tier::Application => Color::Magenta,
    }
}

fn fg(app: &App, t: Option<Tier>) -> Style {
    match (app.color, t) {
        (true, Some(t)) => Style::default().fg(tier_color(t)),
        _ => Style::default(),
    }
}

fn selected() -> Style {
    Style::default().add_modifier(Modifier::REVERSED)
}

/// Cuts `s` to `w` columns, with "…" at the end when cut.
fn fit(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n <= w {
        return format!("{s:<w$}");
    }
    if w == 0 {
        return String::new();
    }
    let mut o: String = s.chars().take(w - 1).collect();
    o.push('…');
    o
}

/// Cuts `s` to `w` columns in the middle (long IPv6 socket pairs keep both ends).
fn fit_middle(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n <= w {
        return format!("{s:<w$}");
    }
    if w < 3 {
        return s.chars().take(w).collect();
    }
    let head = (w - 1) / 2;
    let tail = w - 1 - head;
    let mut o: String = s.chars().take(head).collect();
    o.push('…');
    o.extend(s.chars().skip(n - tail));
    o
}

pub fn draw(app: &mut App, f: &mut Frame) {
    let area = f.area();
    let bottom = if app.prompt.is_some() { 2 } else { 1 };
    let [main, foot] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(bottom)]).areas(area);
    let shown: Vec<usize> = (0..3).filter(|&i| !app.hidden[i]).collect();
    let weights: [u16; 3] = [
        app.split[0],
        app.split[1],
        100u16.saturating_sub(app.split[0] + app.split[1]).max(10),
    ];
    let cons: Vec<Constraint> = shown
        .iter()
        .map(|&i| Constraint::Fill(weights[i]))
        .collect();
    let rects = Layout::vertical(cons).split(main);
    app.areas = [Rect::default(); 3];
    for (k, &i) in shown.iter().enumerate() {
        app.areas[i] = rects[k];
    }
    if !app.hidden[0] {
        draw_list(app, f, app.areas[0]);
    }
    if !app.hidden[1] {
        draw_detail(app, f, app.areas[1]);
    }
    if !app.hidden[2] {
        draw_bytes(app, f, app.areas[2]);
    }
    draw_foot(app, f, foot);
    if app.popup.is_some() {
        draw_popup(app, f, area);
    }
}

fn block(app: &App, pane: Pane, title: String) -> Block<'static> {
    let focused = app.focus == pane;
    let style = if focused {
        Style::default().add_modifier(Modifier::BOLD)
    } else {
        Style::default().add_modifier(Modifier::DIM)
    };
    Block::default()
        .borders(Borders::ALL)
        .border_style(style)
        .title(Span::styled(title, style))
}

fn draw_list(app: &mut App, f: &mut Frame, r: Rect) {
    let inner_w = r.width.saturating_sub(2) as usize;
    let h = (r.height as usize).saturating_sub(3);
    let n = app.count();
    if app.sel >= app.top + h.max(1) {
        app.top = app.sel + 1 - h.max(1);
    }
    if app.sel < app.top {
        app.top = app.sel;
    }
    let rows = app.rows(app.top, h);
    let wide = inner_w >= 140;
    // Column widths: number and length fit the largest; the pair gets up
    // to 44 columns, less on a narrow screen; Info takes what remains.
    let w_no = n.max(1).to_string().len().max(3);
    let w_time = 11;
    let w_layers = if wide { 8 + 6 + 6 + 8 + 3 } else { 8 };
    let w_len = 5;
    let fixed = w_no + 1 + w_time + 1 + w_layers + 1 + w_len + 1;
    let w_pair = inner_w.saturating_sub(fixed + 20).clamp(12, 44);
    let w_info = inner_w.saturating_sub(fixed + w_pair + 1);
    let mut lines = Vec::with_capacity(h + 1);
    let head_layers = if wide {
        format!("{:<8} {:<6} {:<6} {:<8}", "Link", "Net", "Trans", "App")
    } else {
        format!("{:<8}", "Protocol")
    };
    lines.push(Line::from(Span::styled(
        fit(
            &format!(
                "{:>w_no$} {:<w_time$} {head_layers} {:<w_pair$} {:>w_len$} Info",
                "No.", "Time", "Socket pair", "Len"
            ),
            inner_w,
        ),
        Style::default().add_modifier(Modifier::BOLD),
    )));
    for (k, row) in rows.iter().enumerate() {
        let is_sel = app.top + k == app.sel;
        let mut spans = row_spans(app, row, wide, [w_no, w_time, w_pair, w_len, w_info]);
        if is_sel {
            for s in &mut spans {
                s.style = s.style.patch(selected());
            }
        }
        lines.push(Line::from(spans));
    }
    let mut title = " Packets ".to_string();
    if !app.filter.is_empty() {
        title = format!(" Packets (displayed {} — {}) ", n, app.filter);
    }
    let waiting = app.waiting();
    if app.live.is_some() && waiting > 0 {
        title.push_str(&format!("— {waiting} new below (End follows) "));
    }
    f.render_widget(
        Paragraph::new(lines).block(block(app, Pane::List, title)),
        r,
    );
}

fn row_spans(app: &App, row: &Row, wide: bool, w: [usize; 5]) -> Vec<Span<'static>> {
    let [w_no, w_time, w_pair, w_len, w_info] = w;
    let mut s = vec![
        Span::raw(format!("{:>w_no$} ", row.number)),
        Span::raw(format!("{} ", fit(&row.time, w_time))),
    ];
    if wide {
        let tiers = [
            Tier::Link,
            Tier::Network,
            Tier::Transport,
            Tier::Application,
        ];
        for (i, (name, width)) in row.tiers.iter().zip([8, 6, 6, 8]).enumerate() {
            let t = (*name != "-").then_some(tiers[i]);
            s.push(Span::styled(fit(name, width), fg(app, t)));
            s.push(Span::raw(" "));
        }
    } else {
        s.push(Span::styled(fit(row.top.0, 8), fg(app, row.top.1)));
        s.push(Span::raw(" "));
    }
    s.push(Span::raw(format!("{} ", fit_middle(&row.pair, w_pair))));
    s.push(Span::raw(format!("{:>w_len$} ", row.len)));
    let info_style = if row.issue && app.color {
        Style::default().fg(Color::Red)
    } else {
        Style::default()
    };
    s.push(Span::styled(fit(&row.info, w_info), info_style));
    s
}

fn draw_detail(app: &mut App, f: &mut Frame, r: Rect) {
    let h = (r.height as usize).saturating_sub(2);
    if app.node_sel >= app.node_top + h.max(1) {
        app.node_top = app.node_sel + 1 - h.max(1);
    }
    if app.node_sel < app.node_top {
        app.node_top = app.node_sel;
    }
    let w = r.width.saturating_sub(2) as usize;
    let mut lines = Vec::new();
    for (k, &i) in app.vis.iter().enumerate().skip(app.node_top).take(h) {
        let n = &app.nodes[i];
        let marker = if n.has_children {
            if app.open.contains(&n.key) {
                "▾ "
            } else {
                "▸ "
            }
        } else {
            "  "
        };
        let indent = "  ".repeat(n.depth as usize);
        let mut style = if n.layer {
            fg(app, n.tier).add_modifier(Modifier::BOLD)
        } else {
            Style::default()
        };
        if n.name.starts_with("_ws.") && app.color {
            style = Style::default().fg(Color::Red);
        }
        let mut text = format!("{indent}{marker}{}", n.text);
        if !n.model.is_empty() {
            // The model label stays whole; the title gives way.
            let tag = format!(" — {}", n.model);
            let room = w.saturating_sub(tag.chars().count());
            text = format!("{}{tag}", fit(&text, room).trim_end());
        }
        if !n.name.is_empty() && !n.layer && w > 60 {
            let used = text.chars().count();
            let tag = format!("  {}", n.name);
            if used + tag.len() < w {
                text.push_str(&" ".repeat(w - used - tag.len()));
                text.push_str(&tag);
            }
        }
        let mut line = Line::from(Span::styled(fit(&text, w), style));
        if k == app.node_sel {
            line = line.patch_style(selected());
        }
        lines.push(line);
    }
    let title = match app.loaded.and_then(|r| app.with_packet(r, |p, _| p.number)) {
        Some(n) => format!(" Packet {n} "),
        None => " Packet ".into(),
    };
    f.render_widget(
        Paragraph::new(lines).block(block(app, Pane::Detail, title)),
        r,
    );
}

fn draw_bytes(app: &mut App, f: &mut Frame, r: Rect) {
    let (buf, hl) = app.bytes_view();
    let skip = if buf == Buf::Reassembled {
        app.reasm_skip()
    } else {
        0
    };
    let (data, owners): (&[u8], &[Option<Tier>]) = match buf {
        Buf::Frame => (&app.frame, &app.owners),
        Buf::Reassembled => (
            app.reassembled.get(skip..).unwrap_or(&[]),
            &app.reasm_owners,
        ),
    };
    let h = (r.height as usize).saturating_sub(2);
    let lines_total = data.len().div_ceil(16);
    // Keep the highlight (or the byte cursor) on screen.
    let want = app
        .byte_sel
        .filter(|(b, _)| *b == buf)
        .map(|(_, at)| at)
        .or(hl.as_ref().map(|r| r.start));
    if let Some(at) = want {
        let line = at / 16;
        if line < app.bytes_top || line >= app.bytes_top + h.max(1) {
            app.bytes_top = line.saturating_sub(h / 3);
        }
    }
    app.bytes_top = app.bytes_top.min(lines_total.saturating_sub(1));
    let cursor = app.byte_sel.filter(|(b, _)| *b == buf).map(|(_, at)| at);
    let mut lines = Vec::new();
    for line in app.bytes_top..(app.bytes_top + h).min(lines_total) {
        let base = line * 16;
        let chunk = &data[base..(base + 16).min(data.len())];
        let mut spans = vec![Span::raw(format!("{base:04x}  "))];
        let style_of = |i: usize| {
            let at = base + i;
            let mut st = fg(app, owners.get(at).copied().flatten());
            if owners.get(at).copied().flatten().is_none() && app.color {
                st = st.add_modifier(Modifier::DIM);
            }
            if hl.as_ref().is_some_and(|r| r.contains(&at)) {
                st = st.add_modifier(Modifier::REVERSED);
            }
            if cursor == Some(at) {
                st = st.add_modifier(Modifier::UNDERLINED | Modifier::BOLD);
            }
            st
        };
        for i in 0..16 {
            if i == 8 {
                spans.push(Span::raw(" "));
            }
            match chunk.get(i) {
                Some(b) => {
                    spans.push(Span::styled(format!("{b:02x}"), style_of(i)));
                    // A highlighted field reads as one block: the gap to
                    // its next byte (within the half line) is lit too.
                    let joined = i != 7
                        && i + 1 < chunk.len()
                        && hl.as_ref().is_some_and(|r| {
                            r.contains(&(base + i)) && r.contains(&(base + i + 1))
                        });
                    let gap = if joined {
                        Style::default().add_modifier(Modifier::REVERSED)
                    } else {
                        Style::default()
                    };
                    spans.push(Span::styled(" ", gap));
                }
                None => spans.push(Span::raw("   ")),
            }
        }
        spans.push(Span::raw(" "));
        for (i, &b) in chunk.iter().enumerate() {
            let c = if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '.'
            };
            spans.push(Span::styled(c.to_string(), style_of(i)));
        }
        lines.push(Line::from(spans));
    }
    let title = match buf {
        Buf::Frame => format!(" Bytes ({} captured) ", data.len()),
        Buf::Reassembled => format!(" {} ({} bytes) ", app.reasm_title, data.len()),
    };
    f.render_widget(
        Paragraph::new(lines).block(block(app, Pane::Bytes, title)),
        r,
    );
}

fn draw_foot(app: &App, f: &mut Frame, r: Rect) {
    let mut lines = Vec::new();
    if let Some((p, text)) = &app.prompt {
        let label = match p {
            Prompt::Filter => "Display filter: ".to_string(),
            Prompt::Goto => "Go to packet: ".to_string(),
            Prompt::Save => "Save displayed packets to (.pcapng or .pcap): ".to_string(),
            Prompt::Search(k) => format!("Find ({}, Tab changes): ", k.name()),
        };
        let ok = app.prompt_error.is_none();
        let style = match (ok, app.color, text.is_empty()) {
            (_, _, true) => Style::default(),
            (true, true, _) => Style::default().fg(Color::Black).bg(Color::Green),
            (false, true, _) => Style::default().fg(Color::White).bg(Color::Red),
            (true, false, _) => Style::default(),
            (false, false, _) => Style::default().add_modifier(Modifier::UNDERLINED),
        };
        lines.push(Line::from(vec![
            Span::styled(label.clone(), Style::default().add_modifier(Modifier::BOLD)),
            Span::styled(text.clone(), style),
            Span::styled("▏", Style::default()),
        ]));
        let second = match &app.prompt_error {
            Some((pos, msg)) => {
                let col = label.chars().count()
                    + text
                        .get(..(*pos).min(text.len()))
                        .map_or(0, |s| s.chars().count());
                format!("{}^ {msg}", " ".repeat(col))
            }
            None => "Enter applies · Esc cancels".to_string(),
        };
        let st = if app.prompt_error.is_some() && app.color {
            Style::default().fg(Color::Red)
        } else {
            Style::default().add_modifier(Modifier::DIM)
        };
        lines.push(Line::from(Span::styled(second, st)));
    } else {
        let total = app.index.lock().map(|i| i.len()).unwrap_or(0);
        let mut parts = Vec::new();
        if let Some(l) = app
            .live
            .as_ref()
            .and_then(|l| l.lock().ok().map(|l| l.clone()))
        {
            parts.push(format!(
                "{} · {} received · {} dropped by the kernel{}",
                l.iface,
                l.received,
                l.dropped,
                if l.stopped { " · stopped" } else { "" }
            ));
        } else {
            parts.push(app.names.join(", "));
        }
        parts.push(format!("{total} packets"));
        if !app.filter.is_empty() {
            parts.push(format!("displayed {}", app.count()));
        }
        if let Some(ix) = &app.indexer {
            if !ix.finished() && app.live.is_none() {
                parts.push(format!("reading {:.0} %", ix.progress.fraction() * 100.0));
            }
            if let Some(e) = ix.error.lock().ok().and_then(|e| e.clone()) {
                parts.push(e);
            }
        }
        if let Some((what, frac)) = app.job_status() {
            parts.push(format!("{what}: {:.0} % (Esc cancels)", frac * 100.0));
        }
        let (evicted, old) = app
            .index
            .lock()
            .map(|i| (i.reasm_evicted(), i.evicted()))
            .unwrap_or((0, 0));
        if old > 0 {
            parts.push(format!("{old} oldest packets dropped (--max-packets)"));
        }
        if evicted > 0 {
            parts.push(format!("{evicted} reassembled PDUs over the cap not kept"));
        }
        if !app.message.is_empty() {
            parts.push(app.message.clone());
        }
        parts.push("? help · q quit".into());
        lines.push(Line::from(Span::styled(
            fit(&parts.join(" · "), r.width as usize),
            Style::default().add_modifier(Modifier::REVERSED),
        )));
    }
    f.render_widget(Paragraph::new(lines), r);
}

fn draw_popup(app: &mut App, f: &mut Frame, area: Rect) {
    let Some(p) = &mut app.popup else { return };
    let w = area.width.saturating_sub(4).max(10);
    let h = area.height.saturating_sub(4).max(5);
    let r = Rect::new(area.x + 2, area.y + 1, w, h);
    let inner_h = h.saturating_sub(2) as usize;
    // A choosable row keeps the selection on screen (line 0 is a header).
    if let Some(s) = p.sel {
        let line = s + 1;
        if line < p.top + 1 {
            p.top = line.saturating_sub(1);
        } else if line >= p.top + inner_h {
            p.top = line + 1 - inner_h;
        }
    }
    let color = app.color;
    let width = w.saturating_sub(2) as usize;
    let mut lines: Vec<Line> = Vec::new();
    let header: Option<&PopLine> = p.sel.and(p.lines.first());
    if let Some(hd) = header {
        lines.push(pop_line(hd, color, width));
    }
    let skip = if header.is_some() { 1 } else { 0 };
    let body = p.lines.iter().enumerate().skip(skip + p.top);
    for (i, l) in body.take(inner_h.saturating_sub(skip)) {
        let mut line = pop_line(l, color, width);
        if p.sel == Some(i.saturating_sub(1)) && header.is_some() {
            line = line.patch_style(selected());
        }
        lines.push(line);
    }
    f.render_widget(Clear, r);
    let title = format!(" {} — Esc closes ", p.title);
    f.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(Span::styled(
            title,
            Style::default().add_modifier(Modifier::BOLD),
        ))),
        r,
    );
}

fn pop_line(l: &PopLine, color: bool, width: usize) -> Line<'static> {
    let mut used = 0usize;
    let mut spans = Vec::new();
    for (text, tier, strong) in l {
        let room = width.saturating_sub(used);
        if room == 0 {
            break;
        }
        let t: String = text.chars().take(room).collect();
        used += t.chars().count();
        let mut st = match (color, tier) {
            (true, Some(t)) => Style::default().fg(tier_color(*t)),
            _ => Style::default(),
        };
        if *strong {
            st = st.add_modifier(Modifier::BOLD);
        }
        spans.push(Span::styled(t, st));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::{open, ViewOptions};
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    fn app_for(name: &str, color: bool) -> crate::view::app::App {
        let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        let mut app = open(&ViewOptions {
            files: vec![path],
            color,
            ..Default::default()
        })
        .unwrap();
        let end = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !app.indexer.as_ref().unwrap().finished() {
            assert!(std::time::Instant::now() < end);
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        app.on_growth();
        app
    }

    fn text(t: &Terminal<TestBackend>) -> Vec<String> {
        let b = t.backend().buffer();
        (0..b.area.height)
            .map(|y| (0..b.area.width).map(|x| b[(x, y)].symbol()).collect())
            .collect()
    }

    #[test]
    fn three_panes_at_80_by_24() {
        let mut app = app_for("live/http.pcap", true);
        let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
        t.draw(|f| draw(&mut app, f)).unwrap();
        let lines = text(&t);
        assert!(lines[0].contains("Packets"));
        assert!(lines[1].contains("No.") && lines[1].contains("Info"));
        assert!(
            lines[2].contains("  1 ") && lines[2].contains("TCP"),
            "{lines:#?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("Ethernet II") && l.contains("— link · OSI 2")),
            "{lines:#?}"
        );
        assert!(lines.iter().any(|l| l.contains("0000  ")));
        assert!(lines[23].contains("89 packets"), "{}", lines[23]);
        // The selected row is reversed; the link column is coloured as the table's.
        let b = t.backend().buffer();
        assert!(b[(3, 2)].modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn monochrome_without_colour() {
        let mut app = app_for("live/http.pcap", false);
        let mut t = Terminal::new(TestBackend::new(100, 30)).unwrap();
        t.draw(|f| draw(&mut app, f)).unwrap();
        let b = t.backend().buffer();
        for y in 0..b.area.height {
            for x in 0..b.area.width {
                assert_eq!(b[(x, y)].fg, Color::Reset, "colour at {x},{y}");
            }
        }
    }

    #[test]
    fn long_ipv6_pairs_are_cut_in_the_middle() {
        assert_eq!(fit_middle("abcdefghij", 5), "ab…ij");
        assert_eq!(fit_middle("abc", 5), "abc  ");
        assert_eq!(fit("abcdef", 4), "abc…");
    }
}
