//! The protocol declarations are the display-filter vocabulary and decide
//! which layers a filter visits (`filter::scope`). That is right only while
//! every name a decoder emits is in its own declaration's field table, with
//! the declared type: this walks every field of every fixture and shared
//! corpus capture to keep the tables true.

mod common;

use layerscope::dissect::decl::FieldDef;
use layerscope::dissect::{self, Field, FieldSink, FieldType, Proto, Value};
use layerscope::engine::{each, source::open_file, Engine, EngineOptions};
use layerscope::filter::field_type;
use layerscope::filter::scope::{Scope, PORT_NAMES};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::Path;
use std::rc::Rc;

/// Whether a value can be a field of a declared type (`Hex` prints an
/// unsigned integer, `Epoch` a relative-time-like seconds value, as tshark's
/// types do).
fn fits(ty: FieldType, v: &Value<'_>) -> bool {
    matches!(
        (ty, v),
        (FieldType::Uint, Value::U(_) | Value::Hex(..))
            | (FieldType::Int, Value::I(_) | Value::U(_))
            | (FieldType::Bool, Value::Bool(_))
            | (FieldType::Ipv4, Value::Ipv4(_))
            | (FieldType::Ipv6, Value::Ipv6(_))
            | (FieldType::Mac, Value::Mac(_))
            | (FieldType::Str, Value::Str(_))
            // Host names: without name resolution tshark prints the address.
            | (FieldType::Str, Value::Ipv4(_) | Value::Ipv6(_))
            | (FieldType::Bytes, Value::Bytes(_) | Value::Mac(_))
            // An empty byte field, printed as tshark prints it (`<none>`).
            | (FieldType::Bytes, Value::Str("<none>"))
            | (FieldType::RelTime, Value::Nanos(_) | Value::Epoch(..))
            | (FieldType::AbsTime, Value::Date(..) | Value::LocalDate(..) | Value::Epoch(..))
            | (FieldType::Float, Value::Float(_))
            | (FieldType::Proto, _)
    )
}

/// The variant of a value, without its contents.
fn kind(v: &Value<'_>) -> String {
    let d = format!("{v:?}");
    d.split('(').next().unwrap_or(&d).to_string()
}

/// Checks every name a layer emits against that protocol's declaration
/// (so filter scope, which visits a layer only for the names it declares,
/// never misses one) and against the display-filter vocabulary and type.
struct Check<'a> {
    /// The declared names (None: the frame-level tables).
    tables: Vec<&'static [FieldDef]>,
    own: &'static str,
    who: String,
    bad: &'a mut BTreeSet<String>,
}

impl Check<'_> {
    fn check(&mut self, name: &str, v: Option<&Value<'_>>) {
        let declared =
            name == self.own || self.tables.iter().any(|t| t.iter().any(|f| f.name == name));
        if !declared {
            self.bad.insert(format!(
                "{} emits {name}, missing from its field table",
                self.who
            ));
        }
        match (field_type(name), v) {
            (None, _) => {
                self.bad.insert(format!("{name} rejected by -Y"));
            }
            (Some(ty), Some(v)) if !fits(ty, v) => {
                self.bad
                    .insert(format!("{name} declared {ty:?} but emitted as {}", kind(v)));
            }
            _ => {}
        }
    }
}

impl FieldSink for Check<'_> {
    fn layer(&mut self, name: &'static str, _t: &str, _r: std::ops::Range<usize>) {
        self.check(name, None);
    }
    fn field(&mut self, f: &Field<'_>) {
        self.check(f.name, Some(&f.value));
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
    let rd = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
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
fn every_emitted_name_is_declared_and_known_to_filters() {
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
                let d = l.proto.decl();
                let mut c = Check {
                    tables: d.field_tables.to_vec(),
                    own: d.filter_name,
                    who: format!("{:?}", l.proto),
                    bad: &mut bad,
                };
                dissect::layer_fields(pkt, l, &mut c);
            }
            let mut c = Check {
                tables: vec![dissect::frame::FIELDS],
                own: "frame",
                who: "frame".into(),
                bad: &mut bad,
            };
            dissect::frame::fields(pkt, &mut c);
            let mut c = Check {
                tables: vec![dissect::reasm::FIELDS],
                own: "",
                who: "reassembly".into(),
                bad: &mut bad,
            };
            dissect::reasm::fields(pkt, &mut c);
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
        "add these names to the emitting protocol's field table (its `FIELDS` in its file): {bad:?}"
    );
}

/// Every declaration: names unique, each declared name typed the same
/// wherever it is declared, and accepted by `-Y` with that type.
#[test]
fn declarations_are_consistent_and_filterable() {
    use layerscope::dissect::registry::{vocabulary, EXTRA_TABLES};
    use std::collections::HashMap;
    let mut seen: HashMap<&str, FieldType> = HashMap::new();
    let mut bad = Vec::new();
    let mut filter_names = BTreeSet::new();
    for p in Proto::ALL {
        let d = p.decl();
        if !filter_names.insert((d.filter_name, d.name)) {
            bad.push(format!("{p:?}: declared twice"));
        }
        assert!(!d.display.is_empty() && !d.short.is_empty() && !d.name.is_empty());
        for f in d
            .all_fields()
            .chain(EXTRA_TABLES.iter().flat_map(|t| t.iter()))
        {
            if let Some(t) = seen.insert(f.name, f.ty) {
                if t != f.ty {
                    bad.push(format!("{} declared {t:?} and {:?}", f.name, f.ty));
                }
            }
            if field_type(f.name) != Some(f.ty) {
                bad.push(format!("{} not typed {:?} by -Y", f.name, f.ty));
            }
            assert!(!f.label.is_empty(), "{} has no label", f.name);
        }
        assert_eq!(field_type(d.filter_name), Some(FieldType::Proto), "{p:?}");
    }
    assert!(
        vocabulary().len() > 650,
        "vocabulary: {}",
        vocabulary().len()
    );
    assert!(bad.is_empty(), "{bad:?}");
    // Names decoders emit that a vocabulary built from captures once missed.
    for (expr, ok) in [
        ("icmp.mtu == 1400", true),
        ("dns.srv.port == 5060", true),
        ("ip.opt.mtu == 576", true),
        ("tcp.options.tfo", true),
        ("icmp.mtu == \"x\"", false),
    ] {
        assert_eq!(
            layerscope::filter::Filter::compile(expr).is_ok(),
            ok,
            "{expr}"
        );
    }
}
