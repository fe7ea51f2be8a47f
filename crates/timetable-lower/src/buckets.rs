//! Shape buckets. A tensor function with symbolic dimensions (`B`, `SEQ`) is compiled
//! once per combination of bucket sizes; a request is padded up to the smallest bucket
//! that holds it.

use crate::codes;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use timetable_ir::attr::AttrValue;
use timetable_ir::types::{Dim, TensorType, Type};
use timetable_ir::{Diagnostic, Function};

/// The key of the tensor-level function attribute listing buckets.
pub const BUCKETS_ATTR: &str = "buckets";
/// The key of the machine-level function attribute naming the bucket it was compiled for.
pub const BUCKET_ATTR: &str = "bucket";

/// Bucket sizes per symbol, ascending and distinct: `B:1,2,4,8;SEQ:64,128`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BucketSpec {
    sizes: BTreeMap<String, Vec<u64>>,
}

impl BucketSpec {
    /// Parses `SYM:n,n,...`, several separated by `;`.
    pub fn parse(text: &str) -> Result<BucketSpec, String> {
        let mut spec = BucketSpec::default();
        for item in text.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            let (sym, list) = item
                .split_once(':')
                .ok_or_else(|| format!("bucket list `{item}` is not `SYMBOL:n,n,...`"))?;
            let sizes = list
                .split(',')
                .map(|n| {
                    n.trim().parse::<u64>().map_err(|_| {
                        format!("bucket size `{}` of `{sym}` is not a number", n.trim())
                    })
                })
                .collect::<Result<Vec<u64>, String>>()?;
            spec.insert(sym.trim(), sizes)?;
        }
        Ok(spec)
    }

    /// Reads the `buckets = {B = [1, 2, 4]}` function attribute.
    pub fn from_attr(value: &AttrValue) -> Result<BucketSpec, String> {
        let dict = value.as_dict().ok_or_else(|| {
            format!("`buckets` must be a dictionary such as `{{B = [1, 2, 4]}}`, not {value}")
        })?;
        let mut spec = BucketSpec::default();
        for (sym, list) in dict {
            let sizes = list
                .as_int_array()
                .and_then(|v| {
                    v.into_iter()
                        .map(|n| u64::try_from(n).ok())
                        .collect::<Option<Vec<u64>>>()
                })
                .ok_or_else(|| format!("buckets of `{sym}` must be a list of sizes, not {list}"))?;
            spec.insert(sym, sizes)?;
        }
        Ok(spec)
    }

    fn insert(&mut self, sym: &str, mut sizes: Vec<u64>) -> Result<(), String> {
        let is_symbol = sym.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && sym
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if !is_symbol {
            return Err(format!(
                "`{sym}` is not a symbolic dimension (upper case, such as `B`)"
            ));
        }
        if sizes.is_empty() || sizes.contains(&0) {
            return Err(format!(
                "buckets of `{sym}` must be one or more positive sizes"
            ));
        }
        sizes.sort_unstable();
        sizes.dedup();
        self.sizes.insert(sym.to_string(), sizes);
        Ok(())
    }

    /// Adds `other`'s symbols, replacing this spec's lists for the symbols both name.
    pub fn overridden_by(mut self, other: &BucketSpec) -> BucketSpec {
        for (sym, sizes) in &other.sizes {
            self.sizes.insert(sym.clone(), sizes.clone());
        }
        self
    }

    pub fn get(&self, sym: &str) -> Option<&[u64]> {
        self.sizes.get(sym).map(Vec::as_slice)
    }

    pub fn symbols(&self) -> impl Iterator<Item = &str> {
        self.sizes.keys().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.sizes.is_empty()
    }
}

impl fmt::Display for BucketSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (sym, sizes)) in self.sizes.iter().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            let list: Vec<String> = sizes.iter().map(u64::to_string).collect();
            write!(f, "{sym}:{}", list.join(","))?;
        }
        Ok(())
    }
}

/// One size of one symbol, and the request sizes it serves (`lo..=size`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    pub symbol: String,
    pub size: u64,
    /// The smallest request padded up to this bucket.
    pub lo: u64,
}

/// One combination of bucket sizes: one machine function.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bucket {
    pub choices: Vec<Choice>,
}

impl Bucket {
    pub fn size_of(&self, sym: &str) -> Option<u64> {
        self.choices
            .iter()
            .find(|c| c.symbol == sym)
            .map(|c| c.size)
    }

    /// `mlp` → `mlp_B4_SEQ64`; unchanged without symbols.
    pub fn function_name(&self, base: &str) -> String {
        self.choices.iter().fold(base.to_string(), |n, c| {
            format!("{n}_{}{}", c.symbol, c.size)
        })
    }

    /// The `bucket = {B = 4}` attribute.
    pub fn attr(&self) -> AttrValue {
        self.choices
            .iter()
            .map(|c| (c.symbol.clone(), AttrValue::from(c.size)))
            .collect()
    }

    /// Fraction of padded elements for the worst request (each symbol at its `lo`).
    pub fn worst_waste(&self) -> f64 {
        1.0 - self
            .choices
            .iter()
            .map(|c| c.lo as f64 / c.size as f64)
            .product::<f64>()
    }

    /// Fraction of padded elements on average, request sizes uniform over each range.
    pub fn mean_waste(&self) -> f64 {
        1.0 - self
            .choices
            .iter()
            .map(|c| (c.lo + c.size) as f64 / 2.0 / c.size as f64)
            .product::<f64>()
    }
}

/// The symbolic dimensions a function uses, in name order.
pub fn symbols_of(func: &Function) -> BTreeSet<String> {
    let types = func.values.iter().map(|(_, v)| &v.ty).chain(&func.results);
    types
        .filter_map(Type::as_tensor)
        .flat_map(|t| &t.dims)
        .filter_map(|d| match d {
            Dim::Sym(s) => Some(s.clone()),
            Dim::Fixed(_) => None,
        })
        .collect()
}

/// The buckets to compile `func` for: the command line's lists override the function's
/// `buckets` attribute; every symbol needs one.
pub fn buckets_for(func: &Function, given: &BucketSpec) -> Result<Vec<Bucket>, Diagnostic> {
    let from_attr = match func.attrs.get(BUCKETS_ATTR) {
        None => BucketSpec::default(),
        Some(v) => BucketSpec::from_attr(v).map_err(|e| {
            let span = func.attrs.span_of(BUCKETS_ATTR).unwrap_or(func.name.span);
            Diagnostic::error(codes::BAD_BUCKETS, e).primary(span, "in this attribute")
        })?,
    };
    let spec = from_attr.overridden_by(given);
    let mut buckets = vec![Bucket::default()];
    for sym in symbols_of(func) {
        let sizes =
            spec.get(&sym).ok_or_else(|| {
                Diagnostic::error(
                codes::NO_BUCKETS,
                format!("symbolic dimension `{sym}` of `@{}` has no buckets", func.name.text),
            )
            .primary(func.name.span, format!("uses `{sym}`"))
            .note(format!(
                "give `--buckets={sym}:1,2,4` or `attributes {{buckets = {{{sym} = [1, 2, 4]}}}}`"
            ))
            })?;
        buckets = buckets
            .into_iter()
            .flat_map(|b| {
                let sym = sym.clone();
                sizes.iter().enumerate().map(move |(i, &size)| {
                    let lo = if i == 0 { 1 } else { sizes[i - 1] + 1 };
                    let mut b = b.clone();
                    b.choices.push(Choice {
                        symbol: sym.clone(),
                        size,
                        lo,
                    });
                    b
                })
            })
            .collect();
    }
    Ok(buckets)
}

/// `func` with every symbolic dimension replaced by its bucket size.
pub fn specialize(func: &Function, bucket: &Bucket) -> Function {
    let subst = |ty: &Type| -> Type {
        match ty {
            Type::Tensor(t) => Type::Tensor(TensorType::new(
                t.dims
                    .iter()
                    .map(|d| match d {
                        Dim::Sym(s) => bucket.size_of(s).map_or_else(|| d.clone(), Dim::Fixed),
                        Dim::Fixed(_) => d.clone(),
                    })
                    .collect(),
                t.elem,
            )),
            other => other.clone(),
        }
    };
    let mut f = func.clone();
    for h in func.values.handles() {
        f.values[h].ty = subst(&func.values[h].ty);
    }
    f.results = func.results.iter().map(subst).collect();
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sorts_and_deduplicates() {
        let spec = BucketSpec::parse("B:4,1,2,2; SEQ:128,64").unwrap();
        assert_eq!(spec.get("B"), Some(&[1, 2, 4][..]));
        assert_eq!(spec.get("SEQ"), Some(&[64, 128][..]));
        assert_eq!(spec.to_string(), "B:1,2,4;SEQ:64,128");
    }

    #[test]
    fn rejects_bad_lists_with_reasons() {
        for (text, why) in [
            ("B", "is not `SYMBOL:n,n,...`"),
            ("B:1,x", "`x` of `B` is not a number"),
            ("B:0,1", "positive"),
            ("batch:1", "not a symbolic dimension"),
        ] {
            let e = BucketSpec::parse(text).unwrap_err();
            assert!(e.contains(why), "{text}: {e}");
        }
    }

    #[test]
    fn the_command_line_overrides_the_attribute_per_symbol() {
        let attr = BucketSpec::parse("B:1,2;N:8").unwrap();
        let given = BucketSpec::parse("B:16").unwrap();
        let spec = attr.overridden_by(&given);
        assert_eq!(spec.get("B"), Some(&[16][..]));
        assert_eq!(spec.get("N"), Some(&[8][..]));
    }

    #[test]
    fn waste_of_worst_and_average_requests() {
        let b = Bucket {
            choices: vec![Choice {
                symbol: "B".into(),
                size: 8,
                lo: 5,
            }],
        };
        assert_eq!(b.function_name("mlp"), "mlp_B8");
        assert!((b.worst_waste() - 3.0 / 8.0).abs() < 1e-12);
        assert!((b.mean_waste() - (1.0 - 6.5 / 8.0)).abs() < 1e-12);
    }
}
