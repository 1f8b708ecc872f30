//! Recursive-descent parser: `or` binds looser than `and`, `not` tightest,
//! as in Wireshark's grammar.

use super::lexer::{lex, Tok};
use super::FilterError;

/// An unparsed value with its offset: typing needs the field's type.
#[derive(Clone, Debug, PartialEq)]
pub enum Lit {
    Word(String, usize),
    Quoted(Vec<u8>, usize),
}

impl Lit {
    pub fn pos(&self) -> usize {
        match self {
            Lit::Word(_, p) | Lit::Quoted(_, p) => *p,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Rel {
    Exists,
    Cmp(&'static str, Lit),
    Contains(Lit),
    Matches(Lit),
    /// Elements, each a value or an inclusive `lo..hi` range.
    In(Vec<(Lit, Option<Lit>)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Test {
    pub field: String,
    pub pos: usize,
    pub slice: Option<(String, usize)>,
    pub rel: Rel,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Ast {
    Test(Test),
    Not(Box<Ast>),
    And(Box<Ast>, Box<Ast>),
    Or(Box<Ast>, Box<Ast>),
}

struct P<'s> {
    src: &'s str,
    toks: Vec<(Tok, usize)>,
    i: usize,
}

pub fn parse(src: &str) -> Result<Ast, FilterError> {
    let toks = lex(src)?;
    let mut p = P { src, toks, i: 0 };
    if p.peek() == &Tok::End {
        return Err(p.err("empty filter: expected a field or protocol name"));
    }
    let ast = p.or()?;
    if p.peek() != &Tok::End {
        let what = if p.peek() == &Tok::RParen {
            "unmatched ')'"
        } else {
            "expected 'and', 'or' or the end of the filter"
        };
        return Err(p.err(what));
    }
    Ok(ast)
}

fn cmp_word(w: &str) -> Option<&'static str> {
    Some(match w {
        "eq" => "==",
        "ne" => "!=",
        "lt" => "<",
        "le" => "<=",
        "gt" => ">",
        "ge" => ">=",
        _ => return None,
    })
}

impl P<'_> {
    fn peek(&self) -> &Tok {
        &self.toks[self.i.min(self.toks.len() - 1)].0
    }
    fn pos(&self) -> usize {
        self.toks[self.i.min(self.toks.len() - 1)].1
    }
    fn bump(&mut self) -> (Tok, usize) {
        let t = self.toks[self.i.min(self.toks.len() - 1)].clone();
        self.i += 1;
        t
    }
    fn err(&self, msg: &str) -> FilterError {
        FilterError::new(self.src, self.pos(), msg)
    }
    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Tok::Word(x) if x == w)
    }

    fn or(&mut self) -> Result<Ast, FilterError> {
        let mut l = self.and()?;
        while self.is_word("or") || self.peek() == &Tok::Op("||") {
            self.bump();
            let r = self.and()?;
            l = Ast::Or(Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn and(&mut self) -> Result<Ast, FilterError> {
        let mut l = self.unary()?;
        while self.is_word("and") || self.peek() == &Tok::Op("&&") {
            self.bump();
            let r = self.unary()?;
            l = Ast::And(Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn unary(&mut self) -> Result<Ast, FilterError> {
        if self.is_word("not") || self.peek() == &Tok::Op("!") {
            self.bump();
            return Ok(Ast::Not(Box::new(self.unary()?)));
        }
        if self.peek() == &Tok::LParen {
            self.bump();
            let e = self.or()?;
            if self.peek() != &Tok::RParen {
                return Err(self.err("expected ')'"));
            }
            self.bump();
            return Ok(e);
        }
        self.test()
    }

    fn test(&mut self) -> Result<Ast, FilterError> {
        let (field, pos) = match self.peek().clone() {
            Tok::Word(w)
                if !matches!(w.as_str(), "and" | "or" | "contains" | "matches" | "in")
                    && cmp_word(&w).is_none() =>
            {
                self.bump();
                (w, self.toks[self.i - 1].1)
            }
            _ => return Err(self.err("expected a field or protocol name")),
        };
        let slice = match self.peek().clone() {
            Tok::Slice(s) => {
                let p = self.pos();
                self.bump();
                Some((s, p))
            }
            _ => None,
        };
        let op = match self.peek().clone() {
            Tok::Op(o) if o != "!" && o != "&&" && o != "||" => Some(o),
            Tok::Word(w) => cmp_word(&w).or(match w.as_str() {
                "contains" => Some("contains"),
                "matches" => Some("matches"),
                "in" => Some("in"),
                _ => None,
            }),
            _ => None,
        };
        let Some(op) = op else {
            return Ok(Ast::Test(Test {
                field,
                pos,
                slice,
                rel: Rel::Exists,
            }));
        };
        if op == "~=" {
            return Err(self.err("'~=' is not supported: use '!(a == b)' or 'a != b'"));
        }
        self.bump();
        let rel = match op {
            "in" => self.set()?,
            _ => {
                let v = self.value(op)?;
                match op {
                    "contains" => Rel::Contains(v),
                    "matches" => Rel::Matches(v),
                    _ => Rel::Cmp(op, v),
                }
            }
        };
        Ok(Ast::Test(Test {
            field,
            pos,
            slice,
            rel,
        }))
    }

    fn value(&mut self, after: &str) -> Result<Lit, FilterError> {
        match self.peek().clone() {
            Tok::Word(w) => {
                let p = self.pos();
                self.bump();
                Ok(Lit::Word(w, p))
            }
            Tok::Quoted(v) => {
                let p = self.pos();
                self.bump();
                Ok(Lit::Quoted(v, p))
            }
            _ => Err(self.err(&format!("expected a value after '{after}'"))),
        }
    }

    fn set(&mut self) -> Result<Rel, FilterError> {
        if self.peek() != &Tok::LBrace {
            return Err(self.err("expected '{' after 'in'"));
        }
        self.bump();
        let mut items = Vec::new();
        loop {
            match self.peek().clone() {
                Tok::RBrace => {
                    self.bump();
                    break;
                }
                Tok::Comma if !items.is_empty() => {
                    self.bump();
                }
                Tok::Word(w) => {
                    let p = self.pos();
                    self.bump();
                    // `8000..8100` lexes as one word; an IPv4 address never holds "..".
                    match w.split_once("..") {
                        Some((lo, hi)) if !lo.is_empty() && !hi.is_empty() => items.push((
                            Lit::Word(lo.to_string(), p),
                            Some(Lit::Word(hi.to_string(), p + lo.len() + 2)),
                        )),
                        Some(_) => {
                            return Err(FilterError::new(
                                self.src,
                                p,
                                "expected a range 'low..high'",
                            ))
                        }
                        None => items.push((Lit::Word(w, p), None)),
                    }
                }
                Tok::Quoted(v) => {
                    let p = self.pos();
                    self.bump();
                    items.push((Lit::Quoted(v, p), None));
                }
                _ => return Err(self.err("expected a value or '}' in the set")),
            }
        }
        if items.is_empty() {
            return Err(FilterError::new(
                self.src,
                self.toks[self.i - 1].1,
                "expected at least one value in the set",
            ));
        }
        Ok(Rel::In(items))
    }
}
