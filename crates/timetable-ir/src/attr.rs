//! Attribute values and attribute dictionaries.
//!
//! Dictionaries are kept sorted by key, so every dictionary has exactly one printed form
//! whatever order a person or a pass wrote its entries in.

use crate::span::Span;
use crate::types::Type;
use std::collections::BTreeMap;
use std::fmt;

/// A number inside a dense constant.
#[derive(Clone, Copy, Debug)]
pub enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(x) => x,
        }
    }
}

impl PartialEq for Number {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a == b,
            (Number::Float(a), Number::Float(b)) => float_eq(*a, *b),
            _ => false,
        }
    }
}

/// Floats compare by bits so that `-0.0 != 0.0` survives a round trip, and any NaN equals
/// any NaN because the text form has one `nan`.
fn float_eq(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

/// A dense constant: row-major numbers and their shape. A splat has an empty shape and
/// one number.
#[derive(Clone, Debug, PartialEq)]
pub struct Dense {
    pub shape: Vec<usize>,
    pub values: Vec<Number>,
}

impl Dense {
    pub fn is_splat(&self) -> bool {
        self.shape.is_empty()
    }

    /// The numbers laid out over `count` elements: a splat repeats, a full constant must
    /// hold exactly `count` numbers.
    pub fn expand(&self, count: usize) -> Option<Vec<Number>> {
        if self.is_splat() {
            Some(vec![self.values[0]; count])
        } else if self.values.len() == count {
            Some(self.values.clone())
        } else {
            None
        }
    }
}

/// An attribute value.
#[derive(Clone, Debug)]
pub enum AttrValue {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    Array(Vec<AttrValue>),
    Dict(BTreeMap<String, AttrValue>),
    Symbol(String),
    Dense(Dense),
    Type(Type),
}

impl PartialEq for AttrValue {
    fn eq(&self, other: &Self) -> bool {
        use AttrValue::*;
        match (self, other) {
            (Int(a), Int(b)) => a == b,
            (Float(a), Float(b)) => float_eq(*a, *b),
            (Str(a), Str(b)) | (Symbol(a), Symbol(b)) => a == b,
            (Bool(a), Bool(b)) => a == b,
            (Array(a), Array(b)) => a == b,
            (Dict(a), Dict(b)) => a == b,
            (Dense(a), Dense(b)) => a == b,
            (Type(a), Type(b)) => a == b,
            _ => false,
        }
    }
}

impl AttrValue {
    pub fn kind_name(&self) -> &'static str {
        match self {
            AttrValue::Int(_) => "integer",
            AttrValue::Float(_) => "float",
            AttrValue::Str(_) => "string",
            AttrValue::Bool(_) => "boolean",
            AttrValue::Array(_) => "array",
            AttrValue::Dict(_) => "dictionary",
            AttrValue::Symbol(_) => "symbol",
            AttrValue::Dense(_) => "dense constant",
            AttrValue::Type(_) => "type",
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            AttrValue::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// A non-negative integer that fits the machine's counters.
    pub fn as_u64(&self) -> Option<u64> {
        self.as_int().and_then(|i| u64::try_from(i).ok())
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            AttrValue::Int(i) => Some(*i as f64),
            AttrValue::Float(x) => Some(*x),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            AttrValue::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            AttrValue::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[AttrValue]> {
        match self {
            AttrValue::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_dict(&self) -> Option<&BTreeMap<String, AttrValue>> {
        match self {
            AttrValue::Dict(d) => Some(d),
            _ => None,
        }
    }

    pub fn as_dense(&self) -> Option<&Dense> {
        match self {
            AttrValue::Dense(d) => Some(d),
            _ => None,
        }
    }

    pub fn as_type(&self) -> Option<&Type> {
        match self {
            AttrValue::Type(t) => Some(t),
            _ => None,
        }
    }

    /// An array of integers.
    pub fn as_int_array(&self) -> Option<Vec<i64>> {
        self.as_array()?.iter().map(AttrValue::as_int).collect()
    }
}

impl From<i64> for AttrValue {
    fn from(v: i64) -> Self {
        AttrValue::Int(v)
    }
}
impl From<u64> for AttrValue {
    fn from(v: u64) -> Self {
        AttrValue::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}
impl From<u32> for AttrValue {
    fn from(v: u32) -> Self {
        AttrValue::Int(i64::from(v))
    }
}
impl From<f64> for AttrValue {
    fn from(v: f64) -> Self {
        AttrValue::Float(v)
    }
}
impl From<bool> for AttrValue {
    fn from(v: bool) -> Self {
        AttrValue::Bool(v)
    }
}
impl From<&str> for AttrValue {
    fn from(v: &str) -> Self {
        AttrValue::Str(v.to_string())
    }
}
impl From<String> for AttrValue {
    fn from(v: String) -> Self {
        AttrValue::Str(v)
    }
}
impl From<Type> for AttrValue {
    fn from(v: Type) -> Self {
        AttrValue::Type(v)
    }
}
impl<V: Into<AttrValue>> FromIterator<(String, V)> for AttrValue {
    fn from_iter<I: IntoIterator<Item = (String, V)>>(iter: I) -> Self {
        AttrValue::Dict(iter.into_iter().map(|(k, v)| (k, v.into())).collect())
    }
}

/// One entry of an attribute dictionary, with the span it was written at.
#[derive(Clone, Debug)]
pub struct Attr {
    pub key: String,
    pub value: AttrValue,
    pub span: Span,
}

impl PartialEq for Attr {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key && self.value == other.value
    }
}

/// An attribute dictionary, sorted by key with unique keys.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Attrs {
    entries: Vec<Attr>,
}

impl Attrs {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Attr> {
        self.entries.iter()
    }

    /// Where `key` is, or where it would be inserted.
    fn position(&self, key: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|a| a.key.as_str().cmp(key))
    }

    /// Where `key` is. Ops carry a handful of attributes, and the verifier and the
    /// passes look them up millions of times: a scan that compares lengths first beats
    /// a binary search whose every step compares bytes.
    fn find(&self, key: &str) -> Option<usize> {
        if self.entries.len() <= 8 {
            self.entries.iter().position(|a| a.key == key)
        } else {
            self.position(key).ok()
        }
    }

    pub fn get(&self, key: &str) -> Option<&AttrValue> {
        self.entry(key).map(|a| &a.value)
    }

    pub fn entry(&self, key: &str) -> Option<&Attr> {
        self.find(key).map(|i| &self.entries[i])
    }

    pub fn contains(&self, key: &str) -> bool {
        self.find(key).is_some()
    }

    /// The span of an entry, if present.
    pub fn span_of(&self, key: &str) -> Option<Span> {
        self.entry(key).map(|a| a.span)
    }

    /// Sets `key`, replacing any previous value; returns the previous value.
    pub fn set(&mut self, key: &str, value: impl Into<AttrValue>) -> Option<AttrValue> {
        self.set_spanned(key, value.into(), Span::DUMMY)
    }

    pub fn set_spanned(&mut self, key: &str, value: AttrValue, span: Span) -> Option<AttrValue> {
        match self.position(key) {
            Ok(i) => {
                self.entries[i].span = span;
                Some(std::mem::replace(&mut self.entries[i].value, value))
            }
            Err(i) => {
                let key = key.to_string();
                self.entries.insert(i, Attr { key, value, span });
                None
            }
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<AttrValue> {
        self.find(key).map(|i| self.entries.remove(i).value)
    }

    /// Removes every entry for which `keep` is false.
    pub fn retain(&mut self, mut keep: impl FnMut(&Attr) -> bool) {
        self.entries.retain(|a| keep(a));
    }
}

impl FromIterator<(String, AttrValue)> for Attrs {
    fn from_iter<I: IntoIterator<Item = (String, AttrValue)>>(iter: I) -> Self {
        let mut attrs = Attrs::new();
        for (k, v) in iter {
            attrs.set(&k, v);
        }
        attrs
    }
}

// ---- printing -----------------------------------------------------------------------

/// Prints a float so that parsing the text gives back the same bits.
pub fn fmt_float(x: f64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if x.is_nan() {
        f.write_str("nan")
    } else if x.is_infinite() {
        f.write_str(if x > 0.0 { "inf" } else { "-inf" })
    } else {
        // `{:?}` is the shortest text that round-trips, and always has a `.` or exponent.
        write!(f, "{x:?}")
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) => fmt_float(*x, f),
        }
    }
}

/// Writes `s` as a quoted string literal with escapes.
pub fn fmt_string(s: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

impl fmt::Display for Dense {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn nested(f: &mut fmt::Formatter<'_>, shape: &[usize], values: &[Number]) -> fmt::Result {
            match shape.split_first() {
                None => write!(f, "{}", values[0]),
                Some((&n, inner)) => {
                    let stride = inner.iter().product::<usize>();
                    f.write_str("[")?;
                    for i in 0..n {
                        if i > 0 {
                            f.write_str(", ")?;
                        }
                        nested(f, inner, &values[i * stride..(i + 1) * stride])?;
                    }
                    f.write_str("]")
                }
            }
        }
        f.write_str("dense<")?;
        nested(f, &self.shape, &self.values)?;
        f.write_str(">")
    }
}

impl fmt::Display for AttrValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttrValue::Int(i) => write!(f, "{i}"),
            AttrValue::Float(x) => fmt_float(*x, f),
            AttrValue::Str(s) => fmt_string(s, f),
            AttrValue::Bool(b) => write!(f, "{b}"),
            AttrValue::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            AttrValue::Dict(d) => fmt_entries(d.iter().map(|(k, v)| (k.as_str(), v)), f),
            AttrValue::Symbol(s) => write!(f, "@{s}"),
            AttrValue::Dense(d) => write!(f, "{d}"),
            AttrValue::Type(t) => write!(f, "{t}"),
        }
    }
}

fn fmt_entries<'a>(
    entries: impl Iterator<Item = (&'a str, &'a AttrValue)>,
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    f.write_str("{")?;
    for (i, (k, v)) in entries.enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{k} = {v}")?;
    }
    f.write_str("}")
}

impl fmt::Display for Attrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_entries(self.entries.iter().map(|a| (a.key.as_str(), &a.value)), f)
    }
}
