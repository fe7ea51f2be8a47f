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
use crate::decode::{Decoded, ListDecoder};
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

pub(crate) struct Genetic<'p, D: ListDecoder> {
    problem: &'p Problem,
    decoder: D,
    rng: Xoshiro256PlusPlus,
    position: Vec<usize>,
    taken: Vec<bool>,
}

/// The search ran out of budget or proved its incumbent optimal.
struct Stop;

impl<'p, D: ListDecoder> Genetic<'p, D> {
    pub(crate) fn new(problem: &'p Problem, decoder: D, seed: u64) -> Self {
        let n = problem.activity_count();
        Genetic {
            problem,
            decoder,
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
            population.extend(self.decode(list.into_vec(), budget, incumbent)?);
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
                    population.extend(self.decode(child, budget, incumbent)?);
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
            population.extend(self.decode(list, budget, incumbent)?);
        }
        survive(population);
        Ok(())
    }

    fn decode(
        &mut self,
        list: Vec<ActivityId>,
        budget: &mut Budget,
        incumbent: &mut Incumbent,
    ) -> Result<Option<Individual>, Stop> {
        if incumbent.is_optimal() || !budget.take(D::COST) {
            return Err(Stop);
        }
        // A list without a schedule is dropped; the budget still pays for it.
        Ok(self.decoder.decode(list).map(|decoded| {
            incumbent.offer(&decoded);
            Individual::from(decoded)
        }))
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

/// Budget and stopping point of a [`ListSearch`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct SearchBudget {
    /// Decodings the search may spend.
    pub decodes: u64,
    /// The search stops when it reaches this makespan.
    pub lower_bound: u32,
}

/// What a [`ListSearch`] found: the best makespan among the lists it decoded (the
/// caller keeps the list itself as decoded) and the decodes spent.
#[derive(Clone, Debug)]
pub(crate) struct SearchOutcome {
    pub makespan: u32,
    pub decodes: u64,
}

/// The genetic search for schedulers built on the engine with their own decoder: a
/// closure from a precedence-feasible list to its makespan and the activities' starts
/// (`None` if the list yields no schedule). Each decoded list is normalised to its
/// activities in order of start (ties in list order), like the justified lists of the
/// RCPSP decoder.
pub(crate) struct ListSearch<'p> {
    problem: &'p Problem,
    seed: u64,
}

struct ClosureDecoder<F> {
    decode: F,
}

impl<F: FnMut(&[ActivityId]) -> Option<(u32, Vec<u32>)>> ListDecoder for ClosureDecoder<F> {
    const COST: u64 = 1;

    fn decode(&mut self, list: Vec<ActivityId>) -> Option<Decoded> {
        let (makespan, starts) = (self.decode)(&list)?;
        let mut rank = vec![0u32; list.len()];
        for (i, a) in list.iter().enumerate() {
            rank[a.index()] = i as u32;
        }
        let mut normalised = list;
        normalised.sort_by_key(|a| (starts[a.index()], rank[a.index()]));
        Some(Decoded {
            list: normalised,
            starts,
            makespan,
        })
    }
}

/// Decodes an op list into its makespan and start times (`None`: the list fails).
pub(crate) type ListDecodeFn<'a> = dyn FnMut(&[ActivityId]) -> Option<(u32, Vec<u32>)> + 'a;

impl<'p> ListSearch<'p> {
    pub(crate) fn new(problem: &'p Problem, seed: u64) -> Self {
        ListSearch { problem, seed }
    }

    /// Evolves lists from `seeds` and samples around `keys`; the outcome is the best
    /// makespan decoded (a seed's, if nothing beats it).
    pub(crate) fn run(
        &mut self,
        seeds: Vec<Vec<ActivityId>>,
        keys: &[i64],
        decode: &mut ListDecodeFn<'_>,
        budget: SearchBudget,
    ) -> SearchOutcome {
        let mut decoder = ClosureDecoder { decode };
        let mut spent = Budget::new(budget.decodes, None);
        let mut decoded: Vec<Decoded> = Vec::new();
        for list in seeds {
            if !spent.take(1) {
                break;
            }
            decoded.extend(decoder.decode(list));
        }
        let Some(first) = decoded.iter().min_by_key(|d| d.makespan) else {
            return SearchOutcome {
                makespan: u32::MAX,
                decodes: spent.used(),
            };
        };
        let mut incumbent = Incumbent::new(first, budget.lower_bound);
        if !incumbent.is_optimal() && spent.affords(POPULATION as u64) {
            Genetic::new(self.problem, decoder, self.seed).run(
                decoded,
                keys,
                &mut spent,
                &mut incumbent,
            );
        }
        SearchOutcome {
            makespan: incumbent.makespan,
            decodes: spent.used(),
        }
    }
}
