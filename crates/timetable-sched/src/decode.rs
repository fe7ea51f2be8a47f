//! Decoding an activity list into a schedule. The search works with any
//! [`ListDecoder`]; the RCPSP decoder is the serial SGS followed by double
//! justification, keeping the shorter of the two.

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

/// Turns precedence-feasible activity lists into schedules for the search.
pub(crate) trait ListDecoder {
    /// Budget units (generated schedules) one decoding costs.
    const COST: u64;
    /// Decodes `list`; `None` when this list yields no schedule (the search skips it).
    /// The returned list regenerates the returned starts and replaces the genes.
    fn decode(&mut self, list: Vec<ActivityId>) -> Option<Decoded>;
}

/// The RCPSP decoder of a problem.
pub(crate) struct Rcpsp<'p> {
    pub(crate) problem: &'p Problem,
    pub(crate) decoder: Decoder,
}

impl ListDecoder for Rcpsp<'_> {
    const COST: u64 = DECODE_COST;

    fn decode(&mut self, list: Vec<ActivityId>) -> Option<Decoded> {
        Some(self.decoder.decode(self.problem, list))
    }
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
