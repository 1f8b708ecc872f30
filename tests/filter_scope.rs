//! A display filter only generates the fields of layers that can carry the
//! names it uses (`filter::scope`). That is right only while every decoder
//! emits fields under its own protocol name or a prefix listed in
//! `scope::also_emits`: this walks every field of every fixture (and of the
//! shared corpus when it is beside the project) to keep the list true, and
//! checks that display filters know every field name a decoder emits.

mod common;

use layerscope::dissect::{self, Field, FieldSink, Proto};
use layerscope::engine::{each, source::open_file, Engine, EngineOptions};
use layerscope::filter::field_type;
use layerscope::filter::scope::{also_emits, Scope, PORT_NAMES};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::Path;
use std::rc::Rc;

struct Check<'a> {
    proto: Proto,
    bad: &'a mut BTreeSet<String>,
}

impl Check<'_> {
    fn allowed(&self, name: &str) -> bool {
        let own = self.proto.filter_name();
        let first = name.split('.').next().unwrap_or(name);
        name == own
            || name.strip_prefix(own).is_some_and(|r| r.starts_with('.'))
            || also_emits(self.proto).contains(&first)
    }
}

impl FieldSink for Check<'_> {
    fn layer(&mut self, name: &'static str, _t: &str, _r: std::ops::Range<usize>) {
        if !self.allowed(name) {
            self.bad.insert(format!("{:?} layer {name}", self.proto));
        }
        if field_type(name).is_none() {
            self.bad
                .insert(format!("{name} unknown to display filters"));
        }
    }
    fn field(&mut self, f: &Field<'_>) {
        if !self.allowed(f.name) {
            self.bad
                .insert(format!("{:?} field {}", self.proto, f.name));
        }
    }
}

/// Every field of the packet, frame and reassembly trees included, must be
/// a name display filters know.
struct Known<'a>(&'a mut BTreeSet<String>);

impl FieldSink for Known<'_> {
    fn layer(&mut self, name: &'static str, _t: &str, _r: std::ops::Range<usize>) {
        if field_type(name).is_none() {
            self.0.insert(format!("{name} unknown to display filters"));
        }
    }
    fn field(&mut self, f: &Field<'_>) {
        if field_type(f.name).is_none() {
            self.0
                .insert(format!("{} unknown to display filters", f.name));
        }
    }
}

/// (name, value) of the layers and fields a port-only filter reads.
#[derive(Default)]
struct Ports(Vec<(String, String)>);

impl FieldSink for Ports {
    fn layer(&mut self, name: &'static str, _t: &str, _r: std::ops::Range<usize>) {
        if PORT_NAMES.contains(&name) {
            self.0.push((name.to_string(), String::new()));
        }
    }
    fn field(&mut self, f: &Field<'_>) {
        if PORT_NAMES.contains(&f.name) {
            self.0.push((f.name.to_string(), format!("{:?}", f.value)));
        }
    }
}

fn captures(dir: &Path, out: &mut Vec<String>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            captures(&p, out);
        } else if p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
            [".pcap", ".pcapng", ".cap", ".trace"]
                .iter()
                .any(|x| n.ends_with(x))
        }) {
            out.push(p.to_string_lossy().into_owned());
        }
    }
}

#[test]
fn emitted_prefixes_are_listed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    captures(&root.join("fixtures"), &mut files);
    let fixtures = files.len();
    captures(&common::shared_corpus(""), &mut files);
    assert!(fixtures >= 20, "fixtures missing: {fixtures}");
    let bad = Rc::new(RefCell::new(BTreeSet::new()));
    let seen = Rc::new(RefCell::new(0u64));
    for f in &files {
        let (b2, s2) = (Rc::clone(&bad), Rc::clone(&seen));
        let mut sink = each(move |pkt| {
            let mut bad = b2.borrow_mut();
            for l in &pkt.layers {
                *s2.borrow_mut() += 1;
                let mut c = Check {
                    proto: l.proto,
                    bad: &mut bad,
                };
                dissect::layer_fields(pkt, l, &mut c);
            }
            dissect::all_fields(pkt, &mut Known(&mut bad));
            // A filter naming only ports reads them without the decoders'
            // full pass: it must see exactly what that pass emits.
            let (mut full, mut fast) = (Ports::default(), Ports::default());
            dissect::all_fields(pkt, &mut full);
            Scope::new(&PORT_NAMES.map(String::from)).fields(pkt, &mut fast);
            full.0.sort();
            fast.0.sort();
            if full.0 != fast.0 {
                bad.insert(format!(
                    "frame {}: port fast path {:?} != full pass {:?}",
                    pkt.number, fast.0, full.0
                ));
            }
            Ok(())
        });
        // Damaged corpus files end with an error after their good packets.
        if let Ok(mut src) = open_file(f) {
            let _ = Engine::new(EngineOptions::default()).run(&mut src, &mut sink);
        }
    }
    assert!(*seen.borrow() > 1000, "too few layers walked");
    let bad = bad.borrow();
    assert!(
        bad.is_empty(),
        "fields outside their protocol's prefix (list them in scope::also_emits) or unknown to filters (regenerate src/filter/fields.rs with scripts/gen_filter_fields.py): {bad:?}"
    );
}
