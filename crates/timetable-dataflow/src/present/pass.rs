//! `analyze` as a pipeline pass: `opt --passes=lower,analyze{analysis=pressure}` leaves the
//! results as attributes in the printed module (the summary and warnings are dropped;
//! `timetable analyze` shows them).

use super::{Selection, analyze};
use timetable_ir::diag::Diagnostics;
use timetable_ir::pass::{Pass, PassInfo, PassOptions};
use timetable_ir::{Module, Target};

pub const INFO: PassInfo = PassInfo {
    name: "analyze",
    summary: "annotate ops with analysis results (`analysis=liveness|deps|critical-path|pressure|all`)",
    create: |mut options: PassOptions| {
        let selection = match options.take::<String>("analysis")? {
            None => Selection::All,
            Some(name) => Selection::from_name(&name).ok_or_else(|| {
                let names: Vec<&str> = Selection::ALL.iter().map(|s| s.name()).collect();
                format!(
                    "pass `analyze`: unknown analysis `{name}` (one of {})",
                    names.join(", ")
                )
            })?,
        };
        options.finish("analyze")?;
        Ok(Box::new(AnalyzePass { selection }))
    },
};

pub struct AnalyzePass {
    pub selection: Selection,
}

impl Pass for AnalyzePass {
    fn name(&self) -> &'static str {
        "analyze"
    }

    fn run(&self, module: &mut Module, target: &Target) -> Result<(), Diagnostics> {
        *module = analyze(module, target, self.selection)?.module;
        Ok(())
    }
}
