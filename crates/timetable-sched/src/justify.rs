//! Forward-backward improvement (double justification, Valls, Ballestín
//! and Quintanilla 2005): shift every activity as late as possible in
//! order of decreasing finish, then as early as possible in order of
//! increasing start. Each pass is one run of the serial SGS, forwards on
//! the mirrored problem for the right shift. On classic RCPSP instances the
//! makespan never grows; with general delays or partial demands it can, so
//! the better schedule is kept.

use crate::priority::priority_list;
use crate::problem::Problem;
use crate::schedule::ActivityList;
use crate::sgs::SerialSgs;

/// The outcome of one justification: the schedule's starts, makespan, and
/// an activity list that the serial SGS turns back into exactly these starts.
#[derive(Clone, Debug)]
pub struct Justified {
    pub starts: Vec<u32>,
    pub makespan: u32,
    pub list: ActivityList,
}

/// Reusable workspace for justifying schedules of one problem.
#[derive(Clone, Debug)]
pub struct Justifier {
    mirror: Problem,
    forward: SerialSgs,
    backward: SerialSgs,
    keys: Vec<i64>,
    mirrored_starts: Vec<u32>,
}

impl Justifier {
    pub fn new(problem: &Problem) -> Self {
        let mirror = problem.mirrored();
        Justifier {
            forward: SerialSgs::new(problem),
            backward: SerialSgs::new(&mirror),
            mirror,
            keys: Vec::new(),
            mirrored_starts: Vec::new(),
        }
    }

    /// Double justification of the schedule `starts`; runs the serial SGS
    /// twice. The result can be longer than `starts` only on problems with
    /// general delays or partial demands; the caller keeps the better one.
    pub fn justify(&mut self, problem: &Problem, starts: &[u32]) -> Justified {
        // Right shift: latest finish first, scheduled forwards on the mirror.
        self.keys.clear();
        self.keys.extend(
            problem
                .activities()
                .map(|a| -i64::from(starts[a.index()] + problem.duration(a))),
        );
        let order = priority_list(&self.mirror, &self.keys);
        self.backward
            .run_into(&self.mirror, order.as_slice(), &mut self.mirrored_starts);
        // Left shift: earliest start in the right-shifted schedule first,
        // that is the latest mirrored finish first.
        self.keys.clear();
        self.keys.extend(
            problem
                .activities()
                .map(|a| -i64::from(self.mirrored_starts[a.index()] + problem.duration(a))),
        );
        let list = priority_list(problem, &self.keys);
        let mut starts = Vec::with_capacity(problem.activity_count());
        let makespan = self.forward.run_into(problem, list.as_slice(), &mut starts);
        Justified {
            starts,
            makespan,
            list,
        }
    }
}
