//! A genetic algorithm on activity lists (Hartmann 1998) in which every
//! child is decoded by the serial SGS and improved by double justification,
//! and the justified order replaces the child's genes (as in Valls et al.
//! 2008 and Debels et al. 2006). Every child gets one random shift.
//! Replacement keeps the best distinct schedules of parents and children;
//! when the incumbent stalls, the population restarts around its elite.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

use crate::budget::Budget;
use crate::decode::{DECODE_COST, Decoded, Decoder};
use crate::incumbent::Incumbent;
use crate::priority::sample_list;
use crate::problem::{ActivityId, Problem};

/// Individuals kept per generation; also the children per generation.
pub(crate) const POPULATION: usize = 100;
/// Noise on the priority keys of sampled lists, relative to their range.
const SAMPLING_SPREAD: f64 = 0.5;
/// Generations without a new incumbent before the population restarts.
const RESTART_AFTER: usize = 30;
/// Individuals that survive a restart.
const ELITE: usize = 4;
/// A restarted individual is an elite list moved by up to this many shifts
/// (or, as often, a fresh sample).
const RESTART_SHIFTS: usize = 5;

struct Individual {
    list: Vec<ActivityId>,
    makespan: u32,
    /// Hash of the decoded schedule: equal schedules are kept only once.
    fingerprint: u64,
}

impl From<Decoded> for Individual {
    fn from(decoded: Decoded) -> Self {
        let mut hasher = DefaultHasher::new();
        decoded.starts.hash(&mut hasher);
        Individual {
            list: decoded.list,
            makespan: decoded.makespan,
            fingerprint: hasher.finish(),
        }
    }
}

pub(crate) struct Genetic<'p> {
    problem: &'p Problem,
    decoder: Decoder,
    rng: Xoshiro256PlusPlus,
    position: Vec<usize>,
    taken: Vec<bool>,
}

/// The search ran out of budget or proved its incumbent optimal.
struct Stop;

impl<'p> Genetic<'p> {
    pub(crate) fn new(problem: &'p Problem, seed: u64) -> Self {
        let n = problem.activity_count();
        Genetic {
            problem,
            decoder: Decoder::new(problem),
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            position: vec![0; n],
            taken: vec![false; n],
        }
    }

    /// Evolves a population seeded with `seeds` and lists sampled around
    /// `keys` until the budget is spent or the incumbent is optimal.
    pub(crate) fn run(
        &mut self,
        seeds: Vec<Decoded>,
        keys: &[i64],
        budget: &mut Budget,
        incumbent: &mut Incumbent,
    ) {
        let mut population: Vec<Individual> = seeds.into_iter().map(Individual::from).collect();
        // Evolution ends only by `Stop`: budget spent or optimum proven.
        let Err(Stop) = self.evolve(&mut population, keys, budget, incumbent);
    }

    fn evolve(
        &mut self,
        population: &mut Vec<Individual>,
        keys: &[i64],
        budget: &mut Budget,
        incumbent: &mut Incumbent,
    ) -> Result<std::convert::Infallible, Stop> {
        while population.len() < POPULATION {
            let list = sample_list(self.problem, keys, SAMPLING_SPREAD, &mut self.rng);
            population.push(self.decode(list.into_vec(), budget, incumbent)?);
        }
        survive(population);
        let (mut best, mut stagnant) = (incumbent.makespan, 0);
        loop {
            if incumbent.makespan < best {
                (best, stagnant) = (incumbent.makespan, 0);
            } else {
                stagnant += 1;
            }
            if stagnant >= RESTART_AFTER {
                stagnant = 0;
                self.restart(population, keys, budget, incumbent)?;
            }
            let parents = population.len();
            for _ in 0..POPULATION / 2 {
                let mother = self.tournament(&population[..parents]);
                let father = self.tournament(&population[..parents]);
                let daughter = self.crossover(&mother.list, &father.list);
                let son = self.crossover(&father.list, &mother.list);
                for mut child in [daughter, son] {
                    self.shift(&mut child);
                    population.push(self.decode(child, budget, incumbent)?);
                }
            }
            survive(population);
        }
    }

    /// Keeps the elite and refills the population with mutated copies of
    /// it and fresh samples, to leave a converged region.
    fn restart(
        &mut self,
        population: &mut Vec<Individual>,
        keys: &[i64],
        budget: &mut Budget,
        incumbent: &mut Incumbent,
    ) -> Result<(), Stop> {
        population.truncate(ELITE);
        let elite = population.len();
        while population.len() < POPULATION {
            let list = if self.rng.random_bool(0.5) {
                let mut list = population[self.rng.random_range(0..elite)].list.clone();
                for _ in 0..self.rng.random_range(1..=RESTART_SHIFTS) {
                    self.shift(&mut list);
                }
                list
            } else {
                sample_list(self.problem, keys, SAMPLING_SPREAD, &mut self.rng).into_vec()
            };
            population.push(self.decode(list, budget, incumbent)?);
        }
        survive(population);
        Ok(())
    }

    fn decode(
        &mut self,
        list: Vec<ActivityId>,
        budget: &mut Budget,
        incumbent: &mut Incumbent,
    ) -> Result<Individual, Stop> {
        if incumbent.is_optimal() || !budget.take(DECODE_COST) {
            return Err(Stop);
        }
        let decoded = self.decoder.decode(self.problem, list);
        incumbent.offer(&decoded.starts, decoded.makespan);
        Ok(Individual::from(decoded))
    }

    /// The better of two random individuals.
    fn tournament<'a>(&mut self, population: &'a [Individual]) -> &'a Individual {
        let a = &population[self.rng.random_range(0..population.len())];
        let b = &population[self.rng.random_range(0..population.len())];
        if b.makespan < a.makespan { b } else { a }
    }

    /// Two-point crossover: the head of `first` up to `q1`, then `second`'s
    /// order up to `q2`, then `first`'s order. Keeps precedence feasibility.
    fn crossover(&mut self, first: &[ActivityId], second: &[ActivityId]) -> Vec<ActivityId> {
        let n = first.len();
        let mut q1 = self.rng.random_range(0..=n);
        let mut q2 = self.rng.random_range(0..=n);
        if q1 > q2 {
            std::mem::swap(&mut q1, &mut q2);
        }
        self.taken.fill(false);
        let mut child = Vec::with_capacity(n);
        let mut take_from = |source: &[ActivityId], until: usize, child: &mut Vec<ActivityId>| {
            for &a in source {
                if child.len() == until {
                    break;
                }
                if !self.taken[a.index()] {
                    self.taken[a.index()] = true;
                    child.push(a);
                }
            }
        };
        take_from(&first[..q1], q1, &mut child);
        take_from(second, q2, &mut child);
        take_from(first, n, &mut child);
        child
    }

    /// Moves one random activity to a random position between its last
    /// predecessor and its first successor.
    fn shift(&mut self, list: &mut [ActivityId]) {
        if list.len() < 2 {
            return;
        }
        for (i, &a) in list.iter().enumerate() {
            self.position[a.index()] = i;
        }
        let from = self.rng.random_range(0..list.len());
        let a = list[from];
        let earliest = self
            .problem
            .predecessors(a)
            .iter()
            .map(|l| self.position[l.activity.index()] + 1)
            .max()
            .unwrap_or(0);
        let latest = self
            .problem
            .successors(a)
            .iter()
            .map(|l| self.position[l.activity.index()] - 1)
            .min()
            .unwrap_or(list.len() - 1);
        let to = self.rng.random_range(earliest..=latest);
        if to < from {
            list[to..=from].rotate_right(1);
        } else {
            list[from..=to].rotate_left(1);
        }
    }
}

/// Keeps the best `POPULATION` distinct schedules (stable on ties, so the
/// older individual survives).
fn survive(population: &mut Vec<Individual>) {
    population.sort_by_key(|i| i.makespan);
    let mut seen = std::collections::HashSet::new();
    population.retain(|i| seen.insert(i.fingerprint));
    population.truncate(POPULATION);
}
