//! Tokens of the display-filter language, each with its byte offset for carets.

use super::FilterError;

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// A field name, keyword or unquoted value (`ip.src`, `and`, `10.0.0.0/8`).
    Word(String),
    /// A quoted string, escapes resolved, as bytes (`"\x47ET"`).
    Quoted(Vec<u8>),
    /// The text between `[` and `]` after a field.
    Slice(String),
    Op(&'static str),
    LParen,
    RParen,
    LBrace,
    RBrace,
    Comma,
    End,
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b':' | b'-' | b'/')
}

/// Splits `src` into tokens with their offsets; the last is `End`.
pub fn lex(src: &str) -> Result<Vec<(Tok, usize)>, FilterError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let two = b.get(i..i + 2).unwrap_or(&[]);
        let op2 = match two {
            b"==" => Some("=="),
            b"!=" => Some("!="),
            b"<=" => Some("<="),
            b">=" => Some(">="),
            b"&&" => Some("&&"),
            b"||" => Some("||"),
            b"~=" => Some("~="),
            _ => None,
        };
        if let Some(op) = op2 {
            out.push((Tok::Op(op), start));
            i += 2;
            continue;
        }
        let tok = match c {
            b'(' => Tok::LParen,
            b')' => Tok::RParen,
            b'{' => Tok::LBrace,
            b'}' => Tok::RBrace,
            b',' => Tok::Comma,
            b'<' => Tok::Op("<"),
            b'>' => Tok::Op(">"),
            b'!' => Tok::Op("!"),
            b'=' => Tok::Op("=="),
            b'~' => Tok::Op("matches"),
            b'[' => {
                let end = src[i..]
                    .find(']')
                    .map(|e| i + e)
                    .ok_or_else(|| FilterError::new(src, i, "unclosed '[': expected ']'"))?;
                let t = Tok::Slice(src[i + 1..end].to_string());
                out.push((t, start));
                i = end + 1;
                continue;
            }
            b'"' => {
                let (v, end) = quoted(src, i)?;
                out.push((Tok::Quoted(v), start));
                i = end;
                continue;
            }
            c if is_word(c) => {
                while i < b.len() && is_word(b[i]) {
                    i += 1;
                }
                out.push((Tok::Word(src[start..i].to_string()), start));
                continue;
            }
            _ => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return Err(FilterError::new(
                    src,
                    i,
                    &format!("unexpected character '{ch}'"),
                ));
            }
        };
        out.push((tok, start));
        i += 1;
    }
    out.push((Tok::End, src.len()));
    Ok(out)
}

/// A `"..."` string starting at `at`; returns its bytes and the offset after it.
fn quoted(src: &str, at: usize) -> Result<(Vec<u8>, usize), FilterError> {
    let b = src.as_bytes();
    let mut v = Vec::new();
    let mut i = at + 1;
    loop {
        let Some(&c) = b.get(i) else {
            return Err(FilterError::new(
                src,
                at,
                "unterminated string: expected '\"'",
            ));
        };
        i += 1;
        match c {
            b'"' => return Ok((v, i)),
            b'\\' => {
                let Some(&e) = b.get(i) else { continue };
                i += 1;
                match e {
                    b'n' => v.push(b'\n'),
                    b't' => v.push(b'\t'),
                    b'r' => v.push(b'\r'),
                    b'0'..=b'7' => {
                        let mut n = u32::from(e - b'0');
                        for _ in 0..2 {
                            match b.get(i) {
                                Some(&d @ b'0'..=b'7') => {
                                    n = n * 8 + u32::from(d - b'0');
                                    i += 1;
                                }
                                _ => break,
                            }
                        }
                        v.push(n as u8);
                    }
                    b'x' => {
                        let hex = |j: usize| b.get(j).and_then(|c| (*c as char).to_digit(16));
                        match (hex(i), hex(i + 1)) {
                            (Some(h), Some(l)) => {
                                v.push((h * 16 + l) as u8);
                                i += 2;
                            }
                            (Some(h), None) => {
                                v.push(h as u8);
                                i += 1;
                            }
                            _ => {
                                return Err(FilterError::new(
                                    src,
                                    i - 2,
                                    "invalid escape: expected hex digits after \\x",
                                ))
                            }
                        }
                    }
                    other => v.push(other),
                }
            }
            c => v.push(c),
        }
    }
}
