//! Decoding an activity list into a schedule: the serial SGS followed by
//! double justification, keeping the shorter of the two.

use crate::justify::Justifier;
use crate::problem::{ActivityId, Problem};
use crate::sgs::SerialSgs;

/// Schedules generated per decoding (one SGS run, two for justification).
pub(crate) const DECODE_COST: u64 = 3;

/// A decoded list: `list` regenerates `starts` under the serial SGS.
pub(crate) struct Decoded {
    pub(crate) list: Vec<ActivityId>,
    pub(crate) starts: Vec<u32>,
    pub(crate) makespan: u32,
}

pub(crate) struct Decoder {
    sgs: SerialSgs,
    justifier: Justifier,
}

impl Decoder {
    pub(crate) fn new(problem: &Problem) -> Self {
        Decoder {
            sgs: SerialSgs::new(problem),
            justifier: Justifier::new(problem),
        }
    }

    /// `list` must be precedence-feasible.
    pub(crate) fn decode(&mut self, problem: &Problem, list: Vec<ActivityId>) -> Decoded {
        let mut starts = Vec::with_capacity(list.len());
        let makespan = self.sgs.run_into(problem, &list, &mut starts);
        let justified = self.justifier.justify(problem, &starts);
        if justified.makespan <= makespan {
            Decoded {
                list: justified.list.into_vec(),
                starts: justified.starts,
                makespan: justified.makespan,
            }
        } else {
            Decoded {
                list,
                starts,
                makespan,
            }
        }
    }
}
