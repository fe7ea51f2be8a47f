//! Lowering: tensor-level functions to machine-level functions, one per shape bucket.
//!
//! - [`buckets`]: symbolic dimensions, bucket lists (`--buckets=B:1,2,4,8` or the
//!   `buckets` function attribute), one specialised function per combination;
//! - [`function`]: one static function: plan ([`plan`]: fusion, free reshapes, outputs),
//!   capacity checks ([`capacity`]), then one lowering per op kind: [`matmul`] (MXM),
//!   [`elementwise`] (VXM chains), [`reduce`] and [`softmax`] (VXM/SXM trees),
//!   [`transpose`] and [`reshape`] (memory re-indexing and the SXM);
//! - [`emit`]: the machine-function builder (names, spans, lane constants, planes).
//!
//! The scheme and the numeric contract are in `docs/lowering.md`.

pub mod buckets;
mod capacity;
pub mod codes;
pub mod elementwise;
pub mod emit;
pub mod function;
pub mod matmul;
pub mod plan;
pub mod reduce;
pub mod report;
pub mod reshape;
pub mod shape;
pub mod sink;
pub mod softmax;
pub mod transpose;

pub use buckets::{Bucket, BucketSpec};
pub use report::{FunctionReport, LowerReport};

use shape::Shape;
use timetable_ir::pass::{Pass, PassInfo, PassOptions};
use timetable_ir::{Diagnostic, Diagnostics, Module, Stage, Target};

/// What to lower for.
#[derive(Clone, Debug, Default)]
pub struct LowerOptions {
    /// Bucket sizes that override the functions' `buckets` attributes.
    pub buckets: BucketSpec,
}

/// A lowered module and what lowering found out about its buckets.
#[derive(Clone, Debug)]
pub struct Lowered {
    pub module: Module,
    pub report: LowerReport,
}

/// Lowers every function of a tensor-stage module, once per bucket.
pub fn lower_module(
    module: &Module,
    target: &Target,
    options: &LowerOptions,
) -> Result<Lowered, Diagnostics> {
    if module.stage != Stage::Tensor {
        return Err(vec![
            Diagnostic::error(
                codes::WRONG_STAGE,
                format!(
                    "`lower` takes a `tensor` module, not a `{}` one",
                    module.stage
                ),
            )
            .primary(module.span, "this module"),
        ]);
    }
    let used: std::collections::BTreeSet<String> = module
        .functions
        .iter()
        .flat_map(buckets::symbols_of)
        .collect();
    if let Some(sym) = options.buckets.symbols().find(|s| !used.contains(*s)) {
        return Err(vec![
            Diagnostic::error(
                codes::BAD_BUCKETS,
                format!("buckets are given for `{sym}`, which no function uses"),
            )
            .primary(module.name.span, "in this module")
            .note(format!(
                "symbols used: {}",
                if used.is_empty() {
                    "none".to_string()
                } else {
                    used.into_iter().collect::<Vec<_>>().join(", ")
                }
            )),
        ]);
    }
    let mut out = Module::new(&module.name.text, &module.target.text, Stage::Machine);
    out.name.span = module.name.span;
    out.target.span = module.target.span;
    out.span = module.span;
    out.targets = module.targets.clone();
    let mut report = LowerReport::default();
    let mut diags = Vec::new();
    for func in &module.functions {
        let buckets = match buckets::buckets_for(func, &options.buckets) {
            Ok(b) => b,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        for bucket in buckets {
            let tf = buckets::specialize(func, &bucket);
            let name = bucket.function_name(&func.name.text);
            match function::lower_function(&tf, target, &name) {
                Ok(mut mf) => {
                    mf.name.span = func.name.span;
                    mf.span = func.span;
                    if !bucket.choices.is_empty() {
                        mf.attrs.set(buckets::BUCKET_ATTR, bucket.attr());
                    }
                    let shapes: Vec<Shape> = tf
                        .values
                        .iter()
                        .filter_map(|(_, v)| {
                            v.ty.as_tensor().and_then(|t| Shape::of(t, target.lanes))
                        })
                        .collect();
                    let refs: Vec<&Shape> = shapes.iter().collect();
                    report.functions.push(FunctionReport::new(
                        &func.name.text,
                        &name,
                        bucket,
                        &refs,
                        mf.body.len(),
                    ));
                    out.functions.push(mf);
                }
                Err(d) => {
                    diags.extend(d);
                    // One bucket's errors say what is wrong; the others would repeat them.
                    break;
                }
            }
        }
    }
    if diags.is_empty() {
        Ok(Lowered {
            module: out,
            report,
        })
    } else {
        Err(diags)
    }
}

/// The `lower` pass for pipelines: `lower` or `lower{buckets=B:1,2,4;SEQ:64,128}`.
pub struct LowerPass {
    pub options: LowerOptions,
}

pub const INFO: PassInfo = PassInfo {
    name: "lower",
    summary: "tensor-level functions to machine code, one function per shape bucket",
    create: |mut options: PassOptions| {
        let buckets = match options.take::<String>("buckets")? {
            Some(text) => BucketSpec::parse(&text)?,
            None => BucketSpec::default(),
        };
        options.finish("lower")?;
        Ok(Box::new(LowerPass {
            options: LowerOptions { buckets },
        }))
    },
};

impl Pass for LowerPass {
    fn name(&self) -> &'static str {
        "lower"
    }

    fn run(&self, module: &mut Module, target: &Target) -> Result<(), Diagnostics> {
        *module = lower_module(module, target, &self.options)?.module;
        Ok(())
    }
}
