//! Target descriptions. A target is data: it is written in the IR's attribute syntax
//! (`target @name { key = value, ... }`), and the built-ins are that same text.

mod builtin;
mod units;

pub use builtin::{builtin, builtin_names, builtin_source};
pub use units::{Direction, StreamId, UnitId};

use crate::attr::{AttrValue, Attrs};
use crate::codes;
use crate::diag::Diagnostic;
use crate::registry::{LatencyClass, UnitClass};
use crate::span::Span;
use crate::types::ElemType;
use std::collections::BTreeMap;
use std::fmt;

/// How integer arithmetic treats overflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntOverflow {
    Wrap,
    Saturate,
}

impl IntOverflow {
    fn name(self) -> &'static str {
        match self {
            IntOverflow::Wrap => "wrap",
            IntOverflow::Saturate => "saturate",
        }
    }
}

/// A run of identical functional slices in the east–west layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayoutGroup {
    pub unit: UnitClass,
    pub count: u32,
}

/// On-chip memory: every `mem` slice has `banks` banks of `words_per_bank` words; one
/// word is one byte per lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemSpec {
    pub banks: u32,
    pub words_per_bank: u32,
    /// Buffers start at addresses that are multiples of this.
    pub align: u32,
}

/// A machine description.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub name: String,
    pub clock_mhz: u32,
    pub lanes: u32,
    pub superlanes: u32,
    /// Streams per direction.
    pub streams: u32,
    pub layout: Vec<LayoutGroup>,
    pub mem: MemSpec,
    /// Independent ALUs of each VXM: vector ops it can issue per cycle.
    pub vxm_alus: u32,
    /// Weight planes per MXM.
    pub mxm_planes: u32,
    /// Accumulators per MXM plane.
    pub mxm_acc_slots: u32,
    /// Ops each SXM can issue per cycle.
    pub sxm_issue: u32,
    latency: BTreeMap<LatencyClass, u32>,
    pub int_overflow: IntOverflow,
    /// Unit instance at each slice position, west to east (derived from `layout`).
    positions: Vec<UnitId>,
}

impl Target {
    pub fn latency(&self, class: LatencyClass) -> u32 {
        self.latency[&class]
    }

    /// Number of slice positions on the east–west axis.
    pub fn width(&self) -> u32 {
        self.positions.len() as u32
    }

    /// The unit at each position, west to east.
    pub fn positions(&self) -> &[UnitId] {
        &self.positions
    }

    /// Where a unit instance sits, if the target has it.
    pub fn position(&self, unit: UnitId) -> Option<u32> {
        self.positions
            .iter()
            .position(|&u| u == unit)
            .map(|p| p as u32)
    }

    /// How many instances of a class the layout has.
    pub fn unit_count(&self, class: UnitClass) -> u32 {
        self.layout
            .iter()
            .filter(|g| g.unit == class)
            .map(|g| g.count)
            .sum()
    }

    /// The instances of a class, west to east.
    pub fn units(&self, class: UnitClass) -> impl Iterator<Item = UnitId> + '_ {
        self.positions
            .iter()
            .copied()
            .filter(move |u| u.class == class)
    }

    /// Memory slices.
    pub fn mem_slices(&self) -> u32 {
        self.unit_count(UnitClass::Mem)
    }

    /// Total MXM weight planes on the chip; plane `p` lives on MXM `p / mxm_planes`.
    pub fn total_planes(&self) -> u32 {
        self.unit_count(UnitClass::Mxm) * self.mxm_planes
    }

    /// The MXM that holds a plane.
    pub fn plane_unit(&self, plane: u32) -> Option<UnitId> {
        (plane < self.total_planes()).then(|| UnitId::new(UnitClass::Mxm, plane / self.mxm_planes))
    }

    /// Whether a memory slice lies west of position `pos`, and whether one lies east:
    /// the sides from which a value read from memory (or parked there) can reach `pos`,
    /// each bringing at most `streams` streams in one cycle.
    pub fn memory_sides(&self, pos: u32) -> (bool, bool) {
        let is_mem = |u: &UnitId| u.class == UnitClass::Mem;
        let at = (pos as usize).min(self.positions.len());
        let west = self.positions[..at].iter().any(is_mem);
        let east = self
            .positions
            .get(at + 1..)
            .is_some_and(|rest| rest.iter().any(is_mem));
        (west, east)
    }

    /// Streams of values from memory that can reach position `pos` in one cycle.
    pub fn memory_streams_into(&self, pos: u32) -> u32 {
        let (west, east) = self.memory_sides(pos);
        self.streams * (u32::from(west) + u32::from(east))
    }

    /// Lanes per superlane: the size of the SXM transpose block.
    pub fn transpose_group(&self) -> u32 {
        self.lanes / self.superlanes
    }

    /// Bytes in one memory word (one byte per lane).
    pub fn word_bytes(&self) -> u32 {
        self.lanes
    }

    /// Memory words, and streams, one vector of `elem` occupies.
    pub fn vector_words(&self, elem: ElemType) -> u32 {
        elem.bytes()
    }

    /// Total on-chip memory in bytes.
    pub fn mem_bytes(&self) -> u64 {
        u64::from(self.mem_slices())
            * u64::from(self.mem.banks)
            * u64::from(self.mem.words_per_bank)
            * u64::from(self.word_bytes())
    }

    /// Cycles to microseconds at the target clock.
    pub fn cycles_to_us(&self, cycles: u64) -> f64 {
        cycles as f64 / f64::from(self.clock_mhz)
    }

    /// Whether a stream group of `width` streams starting at `stream` exists and is
    /// aligned (groups start at multiples of their width).
    pub fn stream_group_ok(&self, stream: StreamId, width: u32) -> bool {
        stream.index.is_multiple_of(width) && stream.index + width <= self.streams
    }

    // ---- text form ------------------------------------------------------------------

    /// The target as an attribute dictionary: the text form's entries.
    pub fn to_attrs(&self) -> Attrs {
        let dict = |pairs: Vec<(&str, AttrValue)>| -> AttrValue {
            pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
        };
        let mut a = Attrs::new();
        a.set("clock_mhz", self.clock_mhz);
        a.set("lanes", self.lanes);
        a.set("superlanes", self.superlanes);
        a.set("streams", self.streams);
        a.set(
            "layout",
            AttrValue::Array(
                self.layout
                    .iter()
                    .map(|g| {
                        dict(vec![
                            ("unit", g.unit.name().into()),
                            ("count", g.count.into()),
                        ])
                    })
                    .collect(),
            ),
        );
        a.set(
            "mem",
            dict(vec![
                ("banks", self.mem.banks.into()),
                ("words_per_bank", self.mem.words_per_bank.into()),
                ("align", self.mem.align.into()),
            ]),
        );
        a.set("vxm", dict(vec![("alus", self.vxm_alus.into())]));
        a.set(
            "mxm",
            dict(vec![
                ("planes", self.mxm_planes.into()),
                ("acc_slots", self.mxm_acc_slots.into()),
            ]),
        );
        a.set("sxm", dict(vec![("issue", self.sxm_issue.into())]));
        a.set(
            "latency",
            self.latency
                .iter()
                .map(|(c, &n)| (c.name().to_string(), AttrValue::from(n)))
                .collect::<AttrValue>(),
        );
        a.set("int_overflow", self.int_overflow.name());
        a
    }

    /// Reads a target from its entries, reporting every missing, unknown or invalid field.
    pub fn from_attrs(
        name: &str,
        name_span: Span,
        attrs: &Attrs,
    ) -> Result<Target, Vec<Diagnostic>> {
        let mut r = FieldReader {
            attrs,
            errors: Vec::new(),
            reported: Default::default(),
            whole: name_span,
        };
        let clock_mhz = r.positive("clock_mhz", None);
        let lanes = r.positive("lanes", None);
        let superlanes = r.positive("superlanes", None);
        let streams = r.positive("streams", None);
        let layout = r.layout();
        let mem = MemSpec {
            banks: r.positive("mem", Some("banks")),
            words_per_bank: r.positive("mem", Some("words_per_bank")),
            align: r.positive("mem", Some("align")),
        };
        let vxm_alus = r.positive("vxm", Some("alus"));
        let mxm_planes = r.positive("mxm", Some("planes"));
        let mxm_acc_slots = r.positive("mxm", Some("acc_slots"));
        let sxm_issue = r.positive("sxm", Some("issue"));
        let latency = LatencyClass::ALL
            .into_iter()
            .map(|c| (c, r.non_negative("latency", Some(c.name()))))
            .collect();
        let int_overflow = match r.string("int_overflow").as_deref() {
            Some("wrap") => IntOverflow::Wrap,
            Some("saturate") => IntOverflow::Saturate,
            other => {
                if other.is_some() {
                    r.bad("int_overflow", "must be \"wrap\" or \"saturate\"");
                }
                IntOverflow::Wrap
            }
        };
        r.unknown_fields();
        if lanes != 0 && superlanes != 0 && !lanes.is_multiple_of(superlanes) {
            r.bad("superlanes", "must divide `lanes`");
        }
        if !r.errors.is_empty() {
            return Err(r.errors);
        }
        let positions = expand_layout(&layout);
        Ok(Target {
            name: name.to_string(),
            clock_mhz,
            lanes,
            superlanes,
            streams,
            layout,
            mem,
            vxm_alus,
            mxm_planes,
            mxm_acc_slots,
            sxm_issue,
            latency,
            int_overflow,
            positions,
        })
    }
}

fn expand_layout(layout: &[LayoutGroup]) -> Vec<UnitId> {
    let mut next = BTreeMap::<UnitClass, u32>::new();
    let mut positions = Vec::new();
    for g in layout {
        for _ in 0..g.count {
            let index = next.entry(g.unit).or_insert(0);
            positions.push(UnitId::new(g.unit, *index));
            *index += 1;
        }
    }
    positions
}

const FIELDS: &[&str] = &[
    "clock_mhz",
    "lanes",
    "superlanes",
    "streams",
    "layout",
    "mem",
    "vxm",
    "mxm",
    "sxm",
    "latency",
    "int_overflow",
];

/// Reads fields of a target dictionary, collecting every problem.
struct FieldReader<'a> {
    attrs: &'a Attrs,
    errors: Vec<Diagnostic>,
    /// Fields already reported missing or malformed.
    reported: std::collections::HashSet<String>,
    whole: Span,
}

impl<'a> FieldReader<'a> {
    fn span(&self, key: &str) -> Span {
        self.attrs.span_of(key).unwrap_or(self.whole)
    }

    /// Reports field `field` (written under top-level `key`) as having a bad value.
    fn bad_field(&mut self, key: &str, field: &str, what: &str) {
        let span = self.span(key);
        self.errors.push(
            Diagnostic::error(
                codes::TARGET_FIELD_VALUE,
                format!("target field `{field}` {what}"),
            )
            .primary(span, "here"),
        );
    }

    /// The value of `key` (or of `key.sub`), reporting a missing field once.
    fn bad(&mut self, key: &str, what: &str) {
        self.bad_field(key, key, what);
    }

    fn lookup(&mut self, key: &str, sub: Option<&str>) -> Option<&'a AttrValue> {
        let attrs: &'a Attrs = self.attrs;
        let field = match (attrs.get(key), sub) {
            (None, _) => key.to_string(),
            (Some(v), None) => return Some(v),
            (Some(AttrValue::Dict(d)), Some(s)) => match d.get(s) {
                Some(v) => return Some(v),
                None => format!("{key}.{s}"),
            },
            (Some(_), Some(_)) => {
                if self.reported.insert(key.to_string()) {
                    self.bad(key, "must be a dictionary");
                }
                return None;
            }
        };
        if self.reported.insert(field.clone()) {
            let span = self.span(key);
            self.errors.push(
                Diagnostic::error(
                    codes::TARGET_FIELD_MISSING,
                    format!("target field `{field}` is missing"),
                )
                .primary(span, "in this target"),
            );
        }
        None
    }

    fn integer(&mut self, key: &str, sub: Option<&str>, min: i64) -> u32 {
        let Some(value) = self.lookup(key, sub) else {
            return 0;
        };
        let field = sub.map_or(key.to_string(), |s| format!("{key}.{s}"));
        match value
            .as_int()
            .and_then(|i| (i >= min).then_some(i))
            .and_then(|i| u32::try_from(i).ok())
        {
            Some(n) => n,
            None => {
                let what = if min > 0 {
                    "a positive"
                } else {
                    "a non-negative"
                };
                self.bad_field(key, &field, &format!("must be {what} 32-bit integer"));
                0
            }
        }
    }

    fn positive(&mut self, key: &str, sub: Option<&str>) -> u32 {
        self.integer(key, sub, 1)
    }

    fn non_negative(&mut self, key: &str, sub: Option<&str>) -> u32 {
        self.integer(key, sub, 0)
    }

    fn string(&mut self, key: &str) -> Option<String> {
        match self.lookup(key, None)? {
            AttrValue::Str(s) => Some(s.clone()),
            _ => {
                self.bad(key, "must be a string");
                None
            }
        }
    }

    fn layout(&mut self) -> Vec<LayoutGroup> {
        let Some(value) = self.lookup("layout", None) else {
            return Vec::new();
        };
        let groups: Option<Vec<LayoutGroup>> = value.as_array().and_then(|items| {
            items
                .iter()
                .map(|item| {
                    let d = item.as_dict()?;
                    let unit = UnitClass::from_name(d.get("unit")?.as_str()?)?;
                    let count = u32::try_from(d.get("count")?.as_int()?).ok()?;
                    (d.len() == 2 && count > 0 && unit != UnitClass::Icu)
                        .then_some(LayoutGroup { unit, count })
                })
                .collect()
        });
        match groups {
            Some(g) if !g.is_empty() => g,
            _ => {
                self.bad(
                    "layout",
                    "must be a non-empty array of `{unit = \"mem\" | \"vxm\" | \"mxm\" | \"sxm\", count = N}`",
                );
                Vec::new()
            }
        }
    }

    fn unknown_fields(&mut self) {
        let unknown: Vec<(String, Span)> = self
            .attrs
            .iter()
            .filter(|a| !FIELDS.contains(&a.key.as_str()))
            .map(|a| (a.key.clone(), a.span))
            .collect();
        for (key, span) in unknown {
            self.errors.push(
                Diagnostic::error(
                    codes::TARGET_FIELD_UNKNOWN,
                    format!("unknown target field `{key}`"),
                )
                .primary(span, "not a target field")
                .note(format!("target fields: {}", FIELDS.join(", "))),
            );
        }
    }
}

impl fmt::Display for Target {
    /// The canonical text form: `target @name { key = value, ... }`, one entry per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "target @{} {{", self.name)?;
        let attrs = self.to_attrs();
        let n = attrs.len();
        for (i, a) in attrs.iter().enumerate() {
            let comma = if i + 1 < n { "," } else { "" };
            writeln!(f, "  {} = {}{comma}", a.key, a.value)?;
        }
        writeln!(f, "}}")
    }
}
