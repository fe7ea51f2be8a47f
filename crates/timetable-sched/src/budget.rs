//! Search effort accounting: generated schedules (one serial-SGS run each)
//! and an optional wall-clock deadline.

use std::time::Instant;

#[derive(Clone, Debug)]
pub(crate) struct Budget {
    remaining: u64,
    used: u64,
    deadline: Option<Instant>,
}

impl Budget {
    pub(crate) fn new(schedules: u64, deadline: Option<Instant>) -> Self {
        Budget {
            remaining: schedules,
            used: 0,
            deadline,
        }
    }

    /// Reserves `schedules` schedule generations; false once the budget or
    /// the deadline is exhausted.
    pub(crate) fn take(&mut self, schedules: u64) -> bool {
        if self.remaining < schedules || self.deadline.is_some_and(|d| Instant::now() >= d) {
            self.remaining = 0;
            return false;
        }
        self.remaining -= schedules;
        self.used += schedules;
        true
    }

    /// Whether `schedules` more generations fit the schedule budget.
    pub(crate) fn affords(&self, schedules: u64) -> bool {
        self.remaining >= schedules
    }

    /// Charges work that has to happen whatever the budget says.
    pub(crate) fn charge(&mut self, schedules: u64) {
        self.remaining = self.remaining.saturating_sub(schedules);
        self.used += schedules;
    }

    pub(crate) fn used(&self) -> u64 {
        self.used
    }
}
