//! The `alloc` pass for pipelines: `alloc`, or `alloc{nodes=N spread=K}`.

use super::{Options, allocate};
use timetable_ir::diag::Diagnostics;
use timetable_ir::ir::Module;
use timetable_ir::pass::{Pass, PassInfo, PassOptions};
use timetable_ir::target::Target;

/// The pass: [`allocate`] with its options.
pub struct AllocPass {
    pub options: Options,
}

/// Registered in the driver as `alloc`.
pub const INFO: PassInfo = PassInfo {
    name: "alloc",
    summary: "places every buffer in a slice, bank and address range (capacity-safe, no spills)",
    create: |mut options: PassOptions| {
        let mut o = Options::default();
        if let Some(nodes) = options.take::<u64>("nodes")? {
            o.limits.nodes = nodes;
        }
        if let Some(spread) = options.take::<u32>("spread")? {
            o.spread = Some(spread);
        }
        options.finish("alloc")?;
        Ok(Box::new(AllocPass { options: o }))
    },
};

impl Pass for AllocPass {
    fn name(&self) -> &'static str {
        "alloc"
    }

    fn run(&self, module: &mut Module, target: &Target) -> Result<(), Diagnostics> {
        allocate(module, target, &self.options).map(|_| ())
    }
}
