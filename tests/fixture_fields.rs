//! Every field value tshark prints for the fixtures, against layerscope's
//! `read --format jsonl` output: one table-driven test over
//! fixtures/expect/*.tsv.
//!
//! The expect files are written by `scripts/gen_expect.py` from tshark itself
//! (their header names the tshark version and the command); none was taken
//! from layerscope. Where layerscope deliberately differs, the difference and
//! its reason are in fixtures/expect/overrides.tsv.
//!
//! For each frame of each file, every field the tshark command asked for is
//! compared: the values, in order, as text (a string escaped as `tshark -T
//! fields` escapes it), and their JSON type (a decimal value of an integer or
//! boolean field is a number, anything else a string); a field tshark does
//! not print for a frame must be absent from layerscope's line too.

mod common;

use common::{fixture, read_jsonl, root};
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// One expect file.
struct Expect {
    /// The file's path under fixtures/expect, without `.tsv`.
    name: String,
    fixture: String,
    layerscope: Vec<String>,
    fields: Vec<String>,
    numeric: HashSet<String>,
    /// Frame number -> field -> values, as tshark prints them.
    frames: BTreeMap<usize, BTreeMap<String, Vec<String>>>,
}

#[derive(Debug)]
enum Rule {
    Eq(Vec<String>),
    IfAbsent(Vec<String>),
    Present,
    Absent,
    Presence,
    Unchecked,
}

#[derive(Debug)]
struct Override {
    line: usize,
    /// None: every expect file.
    file: Option<String>,
    /// None: every frame.
    frames: Option<Vec<usize>>,
    field: String,
    rule: Rule,
}

impl Override {
    fn applies(&self, file: &str, frame: usize, field: &str) -> bool {
        self.field == field
            && self.file.as_deref().is_none_or(|f| f == file)
            && self.frames.as_ref().is_none_or(|v| v.contains(&frame))
    }
}

fn expect_dir() -> PathBuf {
    root().join("fixtures/expect")
}

fn tsv_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for e in entries {
        let p = e.expect("directory entry").path();
        if p.is_dir() {
            tsv_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "tsv")
            && p.file_name().is_some_and(|n| n != "overrides.tsv")
        {
            out.push(p);
        }
    }
}

fn parse_expect(path: &Path) -> Expect {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let name = path
        .strip_prefix(expect_dir())
        .expect("under fixtures/expect")
        .with_extension("")
        .to_string_lossy()
        .into_owned();
    let mut header = BTreeMap::new();
    let mut frames: BTreeMap<usize, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(h) = line.strip_prefix("# ") {
            if let Some((k, v)) = h.split_once(':') {
                header.insert(k.to_string(), v.trim().to_string());
            }
            continue;
        }
        let mut cols = line.split('\t');
        let (Some(frame), Some(field)) = (cols.next(), cols.next()) else {
            panic!(
                "{}:{}: not FRAME<tab>FIELD<tab>VALUE...",
                path.display(),
                i + 1
            );
        };
        let frame: usize = frame
            .parse()
            .unwrap_or_else(|_| panic!("{}:{}: bad frame number", path.display(), i + 1));
        let values: Vec<String> = cols.map(str::to_string).collect();
        assert!(!values.is_empty(), "{}:{}: no value", path.display(), i + 1);
        frames
            .entry(frame)
            .or_default()
            .insert(field.to_string(), values);
    }
    let get = |k: &str| {
        header
            .get(k)
            .cloned()
            .unwrap_or_else(|| panic!("{}: no `# {k}:` header", path.display()))
    };
    let words = |s: String| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    assert!(
        get("tshark").starts_with("TShark"),
        "{}: no tshark version",
        path.display()
    );
    assert!(
        get("command").starts_with("tshark "),
        "{}: no tshark command",
        path.display()
    );
    let e = Expect {
        name,
        fixture: get("fixture"),
        layerscope: words(get("layerscope")),
        fields: words(get("fields")),
        numeric: words(get("numeric")).into_iter().collect(),
        frames,
    };
    for (n, (&frame, fields)) in e.frames.iter().enumerate() {
        assert_eq!(frame, n + 1, "{}: frames not numbered 1..", path.display());
        for f in fields.keys() {
            assert!(
                e.fields.contains(f),
                "{}: frame {frame}: {f} is not in the fields line",
                path.display()
            );
        }
    }
    e
}

fn parse_overrides(path: &Path) -> Vec<Override> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    let mut reason = false;
    for (i, line) in text.lines().enumerate() {
        let at = format!("{}:{}", path.display(), i + 1);
        if line.starts_with('#') {
            reason = true;
            continue;
        }
        if line.trim().is_empty() {
            reason = false;
            continue;
        }
        assert!(reason, "{at}: an override without a `#` reason above it");
        let cols: Vec<&str> = line.split('\t').collect();
        assert!(cols.len() >= 4, "{at}: EXPECT FRAMES FIELD RULE [VALUE...]");
        let values: Vec<String> = cols[4..].iter().map(|s| s.to_string()).collect();
        let rule = match (cols[3], values.is_empty()) {
            ("=", false) => Rule::Eq(values),
            ("if-absent", false) => Rule::IfAbsent(values),
            ("present", true) => Rule::Present,
            ("absent", true) => Rule::Absent,
            ("presence", true) => Rule::Presence,
            ("unchecked", true) => Rule::Unchecked,
            (r, _) => panic!("{at}: bad rule {r:?} or values for it"),
        };
        out.push(Override {
            line: i + 1,
            file: (cols[0] != "*").then(|| cols[0].to_string()),
            frames: (cols[1] != "*").then(|| {
                cols[1]
                    .split(',')
                    .map(|n| n.parse().unwrap_or_else(|_| panic!("{at}: bad frame {n}")))
                    .collect()
            }),
            field: cols[2].to_string(),
            rule,
        });
    }
    out
}

/// A string as `tshark -T fields` prints it: control characters escaped.
fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '\r' => o.push_str("\\r"),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\x{:02x}", c as u32)),
            c => o.push(c),
        }
    }
    o
}

/// Values as (text, is a JSON number).
type Typed = Vec<(String, bool)>;

fn typed_layerscope(v: &Value) -> Typed {
    match v {
        Value::Array(a) => a.iter().flat_map(typed_layerscope).collect(),
        Value::String(s) => vec![(escape(s), false)],
        Value::Number(n) => vec![(n.to_string(), true)],
        other => vec![(other.to_string(), false)],
    }
}

fn typed_tshark(e: &Expect, field: &str, values: &[String]) -> Typed {
    let numeric = e.numeric.contains(field);
    values
        .iter()
        .map(|v| {
            let digits = v.strip_prefix('-').unwrap_or(v);
            let number =
                numeric && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
            (v.clone(), number)
        })
        .collect()
}

fn show(t: &Typed) -> String {
    let v: Vec<String> = t
        .iter()
        .map(|(s, num)| if *num { s.clone() } else { format!("{s:?}") })
        .collect();
    v.join(", ")
}

/// Compares one file; returns the number of checks made and pushes every
/// mismatch to `bad`.
fn check(
    e: &Expect,
    threads: &str,
    overrides: &[Override],
    used: &mut [bool],
    bad: &mut Vec<String>,
) -> usize {
    let mut extra: Vec<&str> = e.layerscope.iter().map(String::as_str).collect();
    extra.extend(["--threads", threads]);
    let rows = read_jsonl(&fixture(&e.fixture), &extra);
    if rows.len() != e.frames.len() {
        bad.push(format!(
            "{}: {} frames, tshark {}",
            e.name,
            rows.len(),
            e.frames.len()
        ));
        return 1;
    }
    let mut checks = 1;
    for (row, (&n, want)) in rows.iter().zip(&e.frames) {
        for field in &e.fields {
            let rule = overrides
                .iter()
                .enumerate()
                .rev()
                .find(|(_, o)| o.applies(&e.name, n, field));
            let tshark = want.get(field).map(|v| typed_tshark(e, field, v));
            let got = row.get(field.as_str()).map(typed_layerscope);
            let mut fail = |what: String| {
                bad.push(format!("{} frame {n}: {field}: {what}", e.name));
            };
            checks += 1;
            let Some((i, o)) = rule else {
                if got != tshark {
                    fail(match (&got, &tshark) {
                        (None, Some(t)) => format!("missing, tshark [{}]", show(t)),
                        (Some(g), None) => format!("[{}], tshark prints nothing", show(g)),
                        (Some(g), Some(t)) => format!("[{}], tshark [{}]", show(g), show(t)),
                        (None, None) => unreachable!(),
                    });
                }
                continue;
            };
            used[i] = true;
            let at = format!("(overrides.tsv:{})", o.line);
            match &o.rule {
                Rule::Eq(v) | Rule::IfAbsent(v) => {
                    let want = match (&o.rule, &tshark) {
                        (Rule::IfAbsent(_), Some(t)) => t.clone(),
                        _ => typed_tshark(e, field, v),
                    };
                    if matches!(o.rule, Rule::Eq(_)) && tshark.as_ref() == Some(&want) {
                        fail(format!("agrees with tshark: remove {at}"));
                    } else if got.as_ref() != Some(&want) {
                        let g = got.as_ref().map(show).unwrap_or("missing".into());
                        fail(format!("[{g}], expected [{}] {at}", show(&want)));
                    }
                }
                Rule::Present | Rule::Absent => {
                    let present = matches!(o.rule, Rule::Present);
                    if tshark.is_some() == present {
                        fail(format!("agrees with tshark: remove {at}"));
                    } else if got.is_some() != present {
                        fail(format!("expected {:?} {at}", o.rule));
                    }
                }
                Rule::Presence => {
                    if got.is_some() != tshark.is_some() {
                        fail(format!(
                            "present: {}, tshark: {} {at}",
                            got.is_some(),
                            tshark.is_some()
                        ));
                    }
                }
                Rule::Unchecked => checks -= 1,
            }
        }
    }
    checks
}

#[test]
fn fixture_fields_match_tshark() {
    match_tshark("1");
}

/// Sharded over four workers, every value is still tshark's (stream
/// indices, relative sequence numbers, reassembled messages).
#[test]
fn fixture_fields_match_tshark_on_four_threads() {
    match_tshark("4");
}

fn match_tshark(threads: &str) {
    let mut files = Vec::new();
    tsv_files(&expect_dir(), &mut files);
    files.sort();
    assert!(files.len() >= 26, "expect files missing: {files:?}");
    let overrides = parse_overrides(&expect_dir().join("overrides.tsv"));
    let expects: Vec<Expect> = files.iter().map(|p| parse_expect(p)).collect();
    for o in &overrides {
        if let Some(f) = &o.file {
            assert!(
                expects.iter().any(|e| &e.name == f),
                "overrides.tsv:{}: no expect file {f}",
                o.line
            );
        }
        assert!(
            expects.iter().any(|e| e.fields.contains(&o.field)),
            "overrides.tsv:{}: no expect file asks for {}",
            o.line,
            o.field
        );
    }
    let mut used = vec![false; overrides.len()];
    let mut bad = Vec::new();
    let mut checks = 0;
    for e in &expects {
        checks += check(e, threads, &overrides, &mut used, &mut bad);
    }
    for (o, u) in overrides.iter().zip(&used) {
        if !u {
            bad.push(format!(
                "overrides.tsv:{}: matches no frame of its file",
                o.line
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {checks} checks differ from tshark (--threads {threads}):\n{}",
        bad.len(),
        bad.join("\n")
    );
    // A floor, so a broken reader that finds no frames cannot pass.
    assert!(checks > 18_000, "only {checks} checks");
}
