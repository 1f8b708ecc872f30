//! The detail tree and the hex dump colour a layer by the same tier (both
//! come from the protocol's declaration): the title of every layer has the
//! colour of its first byte in the dump. MPLS, PPP and NFLOG are link layers.

mod common;

use common::{arg, run, shared_corpus, text};

/// (colour code, first byte) of every layer title in a coloured detail view.
fn titles(out: &str) -> Vec<(String, String, usize)> {
    let mut v = Vec::new();
    for line in out.lines() {
        let Some(rest) = line.strip_prefix("\x1b[1m\x1b[") else {
            continue;
        };
        let code = rest.split('m').next().unwrap_or("").to_string();
        let name_at = line.rsplit("\x1b[2m").next().unwrap_or("");
        let mut parts = name_at.split_whitespace();
        let name = parts.next().unwrap_or("").to_string();
        let at = parts
            .next()
            .and_then(|a| a.strip_prefix('@'))
            .and_then(|a| a.parse().ok());
        let len: Option<usize> = parts
            .next()
            .and_then(|l| l.trim_end_matches("\x1b[0m").strip_prefix('+'))
            .and_then(|l| l.parse().ok());
        if let (Some(at), Some(len)) = (at, len) {
            if len > 0 {
                v.push((code, name, at));
            }
        }
    }
    v
}

/// The colour code of every byte of the frame's hex dump, by offset.
fn byte_colours(out: &str) -> Vec<String> {
    let mut colours = Vec::new();
    for line in out.lines() {
        let Some(off) = line
            .get(..4)
            .and_then(|o| usize::from_str_radix(o, 16).ok())
        else {
            continue;
        };
        if !line[4..].starts_with("  ") || off != colours.len() {
            continue;
        }
        let (mut col, mut cur, mut chars) = (0usize, String::new(), line.chars().peekable());
        let cols: Vec<usize> = (0..16).map(|i| 6 + i * 3 + usize::from(i >= 8)).collect();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                let code: String = chars.by_ref().take_while(|&c| c != 'm').collect();
                cur = code.trim_start_matches('[').to_string();
                continue;
            }
            if cols.contains(&col) && c.is_ascii_hexdigit() {
                colours.push(cur.clone());
            }
            col += 1;
        }
    }
    colours
}

#[test]
fn tree_and_hex_dump_agree_on_every_layer_tier() {
    let link = "34";
    let mut total = 0;
    for (file, layer) in [
        ("zeek/traces/mixed-vlan-mpls.pcap", "mpls"),
        ("zeek/traces/nflog-http.pcap", "nflog"),
        ("tcpdump/ppp_ip_udp_dns.pcap", "ppp"),
    ] {
        let path = shared_corpus(file);
        let o = run(&[
            "read",
            "--format",
            "detail",
            "-x",
            "--color",
            "always",
            "-c",
            "3",
            arg(&path),
        ]);
        assert!(o.status.success(), "{file}: {}", text(&o.stderr));
        let out = text(&o.stdout);
        let mut checked = 0;
        for frame in out.split("\x1b[1mFrame ").skip(1) {
            let bytes = byte_colours(frame);
            for (code, name, at) in titles(frame) {
                let Some(b) = bytes.get(at) else { continue };
                assert_eq!(&code, b, "{file}: layer {name} @{at}: title vs bytes");
                if name == layer {
                    assert_eq!(code, link, "{file}: {name} is a link layer");
                }
                checked += 1;
            }
        }
        assert!(
            out.contains(&format!("\x1b[2m{layer}  @")),
            "{file}: no {layer} layer"
        );
        assert!(checked >= 2, "{file}: only {checked} layers checked");
        total += checked;
    }
    assert!(total >= 15, "only {total} layers checked");
}
