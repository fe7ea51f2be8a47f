//! The lexer (logos). Comments are `//` to the end of the line.

use crate::span::Span;
use logos::Logos;
use std::fmt;

/// Why a piece of text is not a token.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum LexErrorKind {
    #[default]
    InvalidToken,
    IntOverflow,
    BadEscape,
}

#[derive(Logos, Clone, Debug, PartialEq)]
#[logos(skip r"[ \t\r\n\f]+")]
#[logos(skip(r"//[^\n]*", allow_greedy = true))]
#[logos(error = LexErrorKind)]
pub enum Tok<'s> {
    #[token("module")]
    Module,
    #[token("func")]
    Func,
    #[token("target")]
    Target,
    #[token("stage")]
    Stage,
    #[token("attributes")]
    Attributes,
    #[token("loc")]
    Loc,
    #[token("true")]
    True,
    #[token("false")]
    False,
    #[token("dense")]
    Dense,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token("<")]
    Lt,
    #[token(">")]
    Gt,
    #[token(",")]
    Comma,
    #[token(":")]
    Colon,
    #[token("=")]
    Eq,
    #[token("->")]
    Arrow,
    /// `%name`, without the `%`.
    #[regex(r"%[A-Za-z0-9_.$]+", |lex| &lex.slice()[1..])]
    ValueId(&'s str),
    /// `@name`, without the `@`.
    #[regex(r"@[A-Za-z_][A-Za-z0-9_.]*", |lex| &lex.slice()[1..])]
    Symbol(&'s str),
    /// Op names, attribute keys, stage names: dotted identifiers.
    #[regex(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")]
    Ident(&'s str),
    /// A whole type literal such as `tensor<4x320xf16>`; its insides are checked by
    /// `Type::parse` so that a bad type gets a precise message.
    #[regex(r"(tensor|vec|mem)<[^<>\n]*>")]
    TypeLit(&'s str),
    #[regex(r"-?[0-9]+", |lex| lex.slice().parse::<i64>().map_err(|_| LexErrorKind::IntOverflow))]
    Int(i64),
    #[regex(r"-?[0-9]+\.[0-9]+([eE][+-]?[0-9]+)?", parse_float)]
    #[regex(r"-?[0-9]+[eE][+-]?[0-9]+", parse_float)]
    // `nan` and `inf` lex as identifiers (so they also work as attribute keys); the
    // grammar reads them as floats in value position.
    #[token("-inf", |_| f64::NEG_INFINITY)]
    Float(f64),
    #[regex(r#""([^"\\\n]|\\[^\n])*""#, unescape)]
    Str(String),
}

fn parse_float<'s>(lex: &mut logos::Lexer<'s, Tok<'s>>) -> Result<f64, LexErrorKind> {
    lex.slice()
        .parse::<f64>()
        .map_err(|_| LexErrorKind::InvalidToken)
}

fn unescape<'s>(lex: &mut logos::Lexer<'s, Tok<'s>>) -> Result<String, LexErrorKind> {
    let body = &lex.slice()[1..lex.slice().len() - 1];
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next() {
            Some('n') => '\n',
            Some('t') => '\t',
            Some('"') => '"',
            Some('\\') => '\\',
            _ => return Err(LexErrorKind::BadEscape),
        });
    }
    Ok(out)
}

impl fmt::Display for Tok<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::ValueId(v) => write!(f, "value `%{v}`"),
            Tok::Symbol(s) => write!(f, "symbol `@{s}`"),
            Tok::Ident(i) => write!(f, "`{i}`"),
            Tok::TypeLit(t) => write!(f, "type `{t}`"),
            Tok::Int(i) => write!(f, "integer `{i}`"),
            Tok::Float(x) => write!(f, "float `{x}`"),
            Tok::Str(s) => write!(f, "string {s:?}"),
            other => {
                let text = match other {
                    Tok::Module => "module",
                    Tok::Func => "func",
                    Tok::Target => "target",
                    Tok::Stage => "stage",
                    Tok::Attributes => "attributes",
                    Tok::Loc => "loc",
                    Tok::True => "true",
                    Tok::False => "false",
                    Tok::Dense => "dense",
                    Tok::LParen => "(",
                    Tok::RParen => ")",
                    Tok::LBrace => "{",
                    Tok::RBrace => "}",
                    Tok::LBracket => "[",
                    Tok::RBracket => "]",
                    Tok::Lt => "<",
                    Tok::Gt => ">",
                    Tok::Comma => ",",
                    Tok::Colon => ":",
                    Tok::Eq => "=",
                    Tok::Arrow => "->",
                    _ => unreachable!("payload tokens are printed above"),
                };
                write!(f, "`{text}`")
            }
        }
    }
}

/// An error found while lexing or while checking what the grammar matched (a bad type, a
/// duplicate key), with an optional second place to point at.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntaxError {
    pub code: &'static str,
    pub span: Span,
    pub message: String,
    pub label: String,
    pub other: Option<(Span, String)>,
}

impl SyntaxError {
    pub fn new(code: &'static str, span: Span, message: impl Into<String>) -> Self {
        SyntaxError {
            code,
            span,
            message: message.into(),
            label: String::new(),
            other: None,
        }
    }
}

/// Adapts logos to LALRPOP's external-lexer interface.
pub struct Lexer<'s> {
    inner: logos::SpannedIter<'s, Tok<'s>>,
}

impl<'s> Lexer<'s> {
    pub fn new(text: &'s str) -> Self {
        Lexer {
            inner: Tok::lexer(text).spanned(),
        }
    }
}

impl<'s> Iterator for Lexer<'s> {
    type Item = Result<(usize, Tok<'s>, usize), SyntaxError>;

    fn next(&mut self) -> Option<Self::Item> {
        let (tok, range) = self.inner.next()?;
        Some(match tok {
            Ok(tok) => Ok((range.start, tok, range.end)),
            Err(kind) => {
                let span = Span::new(range.start, range.end);
                let slice = &self.inner.source()[range];
                let (code, message) = match kind {
                    LexErrorKind::InvalidToken => (
                        crate::codes::INVALID_TOKEN,
                        format!("invalid token `{slice}`"),
                    ),
                    LexErrorKind::IntOverflow => (
                        crate::codes::INVALID_LITERAL,
                        format!("integer `{slice}` does not fit in 64 bits"),
                    ),
                    LexErrorKind::BadEscape => (
                        crate::codes::INVALID_LITERAL,
                        "unknown escape in string (use \\n, \\t, \\\" or \\\\)".to_string(),
                    ),
                };
                Err(SyntaxError::new(code, span, message))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<Tok<'_>> {
        Lexer::new(text).map(|t| t.unwrap().1).collect()
    }

    #[test]
    fn lexes_ops_types_and_literals() {
        assert_eq!(
            toks("%0 = tensor.add(%a) {k = -1.5e3} : (tensor<Bx4xf16>) -> vec<f32> // c"),
            vec![
                Tok::ValueId("0"),
                Tok::Eq,
                Tok::Ident("tensor.add"),
                Tok::LParen,
                Tok::ValueId("a"),
                Tok::RParen,
                Tok::LBrace,
                Tok::Ident("k"),
                Tok::Eq,
                Tok::Float(-1500.0),
                Tok::RBrace,
                Tok::Colon,
                Tok::LParen,
                Tok::TypeLit("tensor<Bx4xf16>"),
                Tok::RParen,
                Tok::Arrow,
                Tok::TypeLit("vec<f32>"),
            ]
        );
    }

    #[test]
    fn strings_unescape() {
        assert_eq!(toks(r#""a\"b\n""#), vec![Tok::Str("a\"b\n".into())]);
    }

    #[test]
    fn bad_characters_are_errors() {
        let err = Lexer::new("# x").next().unwrap().unwrap_err();
        assert!(err.message.contains("invalid token"));
    }
}
