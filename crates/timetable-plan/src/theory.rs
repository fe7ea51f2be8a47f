//! Queueing theory the simulator is validated against, computed independently of it.
//! Every time is in units of the service time `D` and `a = λD` is the offered load in
//! Erlangs. The derivations are in `docs/planning.md`.
//!
//! - M/D/1 waiting time: Erlang's formula.
//! - M/D/c waiting time: the number in system `N` satisfies `N(t+D) = max(N(t)-c, 0) +
//!   A(t, t+D]`, a Markov chain whose stationary law is the time-average one; a customer
//!   arriving at `τ` waits at most `mD + u` iff `max(N(τ+u-D) - c, 0) + Pois(a(1-u))
//!   <= (m+1)c - 1` (Crommelin's argument).
//! - M/D/c/c blocking: Erlang B (insensitive to the service distribution).
//! - M/D/1/K: the M/G/1/K departure-epoch chain.
//! - M/D/1 with deadline admission: the level-crossing equation of the workload.
//! - Greedy batching M/D^[1,B]/1: the completion-epoch chain plus a uniform age of the
//!   service in progress.

/// The Poisson probabilities `P(Pois(mean) = k)` for `k < len`.
pub fn poisson_pmf(mean: f64, len: usize) -> Vec<f64> {
    let mut pmf = Vec::with_capacity(len);
    let mut term = (-mean).exp();
    for k in 0..len {
        pmf.push(term);
        term *= mean / (k + 1) as f64;
    }
    pmf
}

/// `P(Pois(mean) <= n)` (0 for negative `n`).
pub fn poisson_cdf(mean: f64, n: i64) -> f64 {
    if n < 0 {
        return 0.0;
    }
    poisson_pmf(mean, n as usize + 1)
        .iter()
        .sum::<f64>()
        .min(1.0)
}

/// M/D/1 waiting-time distribution by Erlang's formula:
/// `P(W <= t) = (1-ρ) Σ_{k=0}^{⌊t⌋} (ρ(k-t))^k / k! · e^{-ρ(k-t)}`.
/// The terms alternate and reach about `e^{2ρt}` while the sum stays below 1/(1-ρ), so
/// in plain doubles the result is noise by `t ≈ 20` at ρ = 0.9. It is summed in
/// double-double arithmetic (about 32 digits) with `e^{ρt}` factored out, which keeps
/// better than 1e-12 absolute accuracy for `ρt` up to about 30.
pub fn md1_wait_cdf(rho: f64, t: f64) -> f64 {
    if t < 0.0 {
        return 0.0;
    }
    // e^{-ρ(k-t)} = e^{ρt} (e^{-ρ})^k.
    let decay = DoubleDouble::exp_neg(rho);
    let mut decay_k = DoubleDouble::ONE;
    let mut sum = DoubleDouble::ZERO;
    for k in 0..=(t.floor() as u64) {
        let x = DoubleDouble::sum(k as f64, -t).times(rho); // ρ(k - t), exactly enough
        let mut term = decay_k;
        for i in 1..=k {
            term = term.mul(x).divided_by(i as f64);
        }
        sum = sum.add(term);
        decay_k = decay_k.mul(decay);
    }
    ((1.0 - rho) * (rho * t).exp() * sum.value()).clamp(0.0, 1.0)
}

/// An unevaluated sum `hi + lo` of doubles with `|lo| <= ulp(hi)/2`: twice the precision
/// of `f64` (Dekker, Knuth's two-sum), enough for Erlang's alternating series.
#[derive(Clone, Copy, Debug)]
struct DoubleDouble {
    hi: f64,
    lo: f64,
}

impl DoubleDouble {
    const ZERO: DoubleDouble = DoubleDouble { hi: 0.0, lo: 0.0 };
    const ONE: DoubleDouble = DoubleDouble { hi: 1.0, lo: 0.0 };

    /// `a + b` exactly.
    fn sum(a: f64, b: f64) -> Self {
        let s = a + b;
        let bb = s - a;
        let error = (a - (s - bb)) + (b - bb);
        DoubleDouble::normalised(s, error)
    }

    fn normalised(hi: f64, lo: f64) -> Self {
        let s = hi + lo;
        DoubleDouble {
            hi: s,
            lo: lo - (s - hi),
        }
    }

    fn value(self) -> f64 {
        self.hi + self.lo
    }

    fn add(self, other: Self) -> Self {
        let s = DoubleDouble::sum(self.hi, other.hi);
        DoubleDouble::normalised(s.hi, s.lo + self.lo + other.lo)
    }

    fn mul(self, other: Self) -> Self {
        let p = self.hi * other.hi;
        let error = self.hi.mul_add(other.hi, -p) + self.hi * other.lo + self.lo * other.hi;
        DoubleDouble::normalised(p, error)
    }

    fn times(self, factor: f64) -> Self {
        self.mul(DoubleDouble {
            hi: factor,
            lo: 0.0,
        })
    }

    fn divided_by(self, divisor: f64) -> Self {
        let q1 = self.hi / divisor;
        let remainder = self.add(DoubleDouble { hi: q1, lo: 0.0 }.times(-divisor));
        let q2 = remainder.hi / divisor;
        DoubleDouble::normalised(q1, q2)
    }

    /// `e^{-x}` for `0 <= x <= 1` by its Taylor series.
    fn exp_neg(x: f64) -> Self {
        let mut term = DoubleDouble::ONE;
        let mut sum = DoubleDouble::ONE;
        for n in 1..60 {
            term = term.times(-x).divided_by(n as f64);
            sum = sum.add(term);
        }
        sum
    }
}

/// M/D/1 mean wait, Pollaczek–Khinchine: `ρ / (2(1-ρ))`.
pub fn md1_mean_wait(rho: f64) -> f64 {
    rho / (2.0 * (1.0 - rho))
}

/// The stationary law of the chain `N' = max(N - drain, 0) + Pois(a)` on `0..len`
/// (overflow lumped into the last state): the M/D/c number in system at load `a`
/// (`drain = c`), and the queue at completions of greedy batching (`drain = B`).
pub fn drained_poisson_chain(drain: usize, a: f64) -> Vec<f64> {
    // The tail decays like z^-n, with ln z = ρ (z - 1), ρ = a / drain (for any drain).
    let rho = a / drain as f64;
    assert!(rho < 1.0, "the chain is stable only for a < drain");
    let (mut low, mut high): (f64, f64) = (1.0 + 1e-12, 2.0);
    while high.ln() > rho * (high - 1.0) {
        high *= 2.0;
    }
    for _ in 0..200 {
        let middle = 0.5 * (low + high);
        if middle.ln() > rho * (middle - 1.0) {
            low = middle;
        } else {
            high = middle;
        }
    }
    truncated_drained_chain(drain, a, drain + (40.0 / low.ln()).ceil() as usize + 50)
}

/// The chain `N' = min(max(N - drain, 0) + Pois(a), len - 1)` on `0..len` and its
/// stationary law.
fn truncated_drained_chain(drain: usize, a: f64, len: usize) -> Vec<f64> {
    let arrivals = poisson_pmf(a, len);
    stationary(len, |from, to| {
        let base = from.saturating_sub(drain);
        if to < base {
            0.0
        } else if to + 1 < len {
            arrivals[to - base]
        } else {
            1.0 - arrivals[..to - base].iter().sum::<f64>()
        }
    })
}

/// M/D/c waiting-time distribution `P(W <= t)` from the number-in-system law `p` (see
/// [`drained_poisson_chain`]).
pub fn mdc_wait_cdf(c: usize, a: f64, p: &[f64], t: f64) -> f64 {
    if t < 0.0 {
        return 0.0;
    }
    let m = t.floor();
    let u = t - m;
    let limit = (m as i64 + 1) * c as i64 - 1;
    let arrivals = poisson_pmf(a * (1.0 - u), (limit + 1).max(0) as usize);
    let mut cumulative = Vec::with_capacity(arrivals.len());
    let mut running = 0.0;
    for pk in &arrivals {
        running += pk;
        cumulative.push(running);
    }
    // Y = max(N - c, 0): states 0..=c all map to Y = 0.
    p.iter()
        .enumerate()
        .map(|(n, &pn)| {
            let y = n.saturating_sub(c) as i64;
            if y > limit {
                0.0
            } else {
                pn * cumulative[(limit - y) as usize]
            }
        })
        .sum::<f64>()
        .min(1.0)
}

/// M/D/c mean wait by Little's law: `E[(N - c)^+] / λ`, in units of `D`.
pub fn mdc_mean_wait(c: usize, a: f64, p: &[f64]) -> f64 {
    let queue: f64 = p
        .iter()
        .enumerate()
        .map(|(n, &pn)| n.saturating_sub(c) as f64 * pn)
        .sum();
    queue / a
}

/// Erlang B: the blocking probability of c servers and no waiting room at load `a`.
pub fn erlang_b(c: usize, a: f64) -> f64 {
    (1..=c).fold(1.0, |b, k| a * b / (k as f64 + a * b))
}

/// M/D/1 with room for `capacity` requests in the system (one in service): the blocking
/// probability and the mean wait of admitted requests. The departure-epoch chain
/// `π` on `0..capacity` gives the time averages `p_j = π_j / (π_0 + ρ)` and
/// `p_capacity = 1 - 1 / (π_0 + ρ)` (Gross & Harris, M/G/1/K).
pub fn md1k(a: f64, capacity: usize) -> (f64, f64) {
    // Left behind at a departure: one fewer (none if empty) plus the arrivals during
    // the next service, up to the last place.
    let pi = truncated_drained_chain(1, a, capacity);
    let norm = pi[0] + a;
    let blocking = 1.0 - 1.0 / norm;
    let in_system: f64 = pi
        .iter()
        .enumerate()
        .map(|(j, &pj)| j as f64 * pj / norm)
        .sum::<f64>()
        + capacity as f64 * blocking;
    let sojourn = in_system / (a * (1.0 - blocking));
    (blocking, sojourn - 1.0)
}

/// M/D/1 admitting a request only if its wait plus service is at most `deadline`
/// (`>= 1`): the rejected fraction and the mean wait of admitted requests.
///
/// The workload `V` has an atom `P0` at 0 and density `f` on (0, deadline]; an arrival
/// is admitted iff `V <= deadline - 1` and then raises `V` by 1. Level crossings of `x`
/// balance: `f(x) = ρ [P0·1{x<1} + ∫_{max(0,x-1)}^{min(x,deadline-1)} f(y) dy]`, which is
/// solved forward in `x` by the implicit trapezoid rule on a grid of `steps` per unit
/// (`deadline * steps` must be whole). Rejection is `P(V > deadline - 1)` (PASTA).
pub fn md1_deadline(rho: f64, deadline: f64, steps: usize) -> (f64, f64) {
    assert!(deadline >= 1.0, "the deadline must allow one service");
    let h = 1.0 / steps as f64;
    let total = (deadline * steps as f64).round() as usize;
    assert!(
        (total as f64 * h - deadline).abs() < 1e-9,
        "deadline * steps must be whole"
    );
    let admit_until = total - steps; // grid index of deadline - 1
    // G = ∫ f / P0 on the grid. g has one jump, at x = 1 where the atom's up-crossings
    // stop, so each trapezoid uses the right limit at its left end and the left limit
    // at its right end.
    let mut cumulative = vec![0.0; total + 1];
    let mut moment = 0.0; // ∫_0^{deadline-1} x g(x) dx
    let behind = |cumulative: &[f64], i: usize| {
        if i >= steps {
            cumulative[i - steps]
        } else {
            0.0
        }
    };
    for i in 0..total {
        // Both ends of a step lie on the same side of the jump at x = 1.
        let atom = if i < steps { 1.0 } else { 0.0 };
        let left = rho * (atom + cumulative[i.min(admit_until)] - behind(&cumulative, i));
        let right_behind = behind(&cumulative, i + 1);
        let right = if i < admit_until {
            // Implicit: g_{i+1} = ρ(atom + G_i + h/2 (g_i + g_{i+1}) - G(x_{i+1} - 1)).
            rho * (atom + cumulative[i] + 0.5 * h * left - right_behind) / (1.0 - 0.5 * rho * h)
        } else {
            rho * (atom + cumulative[admit_until] - right_behind)
        };
        cumulative[i + 1] = cumulative[i] + 0.5 * h * (left + right);
        if i < admit_until {
            moment += 0.5 * h * (i as f64 * h * left + (i + 1) as f64 * h * right);
        }
    }
    let p0 = 1.0 / (1.0 + cumulative[total]);
    let rejected = p0 * (cumulative[total] - cumulative[admit_until]);
    let admitted_mass = 1.0 + cumulative[admit_until];
    (rejected, moment / admitted_mass)
}

/// Greedy batching (`M/D^[1,B]/1`, batch-independent service `D`): a free server takes
/// up to `B` waiting requests at once, or the next arrival alone when none wait.
pub struct GreedyBatching {
    a: f64,
    batch: usize,
    idle: f64,
    /// Law of the requests left waiting when a batch starts.
    left: Vec<f64>,
}

impl GreedyBatching {
    pub fn new(a: f64, batch: usize) -> Self {
        let q = drained_poisson_chain(batch, a);
        let idle = q[0] / (a + q[0]);
        let mut left = vec![0.0; q.len()];
        for (n, &qn) in q.iter().enumerate() {
            left[n.saturating_sub(batch)] += qn;
        }
        GreedyBatching {
            a,
            batch,
            idle,
            left,
        }
    }

    /// `P(X_α <= n)` for `X_α = L + Pois(aα)`: waiting requests seen at service age α.
    fn waiting_cdf(&self, age: f64, n: i64) -> f64 {
        if n < 0 {
            return 0.0;
        }
        let pmf = poisson_pmf(self.a * age, n as usize + 1);
        let mut cdf = Vec::with_capacity(pmf.len());
        let mut running = 0.0;
        for p in pmf {
            running += p;
            cdf.push(running);
        }
        self.left
            .iter()
            .enumerate()
            .take_while(|&(k, _)| k as i64 <= n)
            .map(|(k, &lk)| lk * cdf[(n - k as i64) as usize])
            .sum()
    }

    /// `P(W <= t)`: idle, or busy at a uniform age α with `W = (1 - α) + ⌊X_α/B⌋`.
    pub fn wait_cdf(&self, t: f64) -> f64 {
        if t < 0.0 {
            return 0.0;
        }
        let m = t.floor() as i64;
        let u = t - t.floor();
        let b = self.batch as i64;
        let within = simpson(0.0, 1.0 - u, |age| self.waiting_cdf(age, m * b - 1))
            + simpson(1.0 - u, 1.0, |age| self.waiting_cdf(age, (m + 1) * b - 1));
        (self.idle + (1.0 - self.idle) * within).min(1.0)
    }

    /// `E[W] = P(busy) (1/2 + E⌊X_α/B⌋)`, with `E⌊X/B⌋ = Σ_{j>=1} P(X >= jB)`.
    pub fn mean_wait(&self) -> f64 {
        let b = self.batch as i64;
        let rounds = simpson(0.0, 1.0, |age| {
            let mut sum = 0.0;
            for j in 1.. {
                let tail = 1.0 - self.waiting_cdf(age, j * b - 1);
                sum += tail;
                if tail < 1e-14 {
                    break;
                }
            }
            sum
        });
        (1.0 - self.idle) * (0.5 + rounds)
    }
}

/// The smallest `t` with `cdf(t) >= p`, to 1e-9 (bisection; `cdf` nondecreasing).
pub fn quantile(cdf: impl Fn(f64) -> f64, p: f64) -> f64 {
    let mut high = 1.0;
    while cdf(high) < p {
        high *= 2.0;
    }
    let mut low = 0.0;
    if cdf(low) >= p {
        return 0.0;
    }
    while high - low > 1e-9 {
        let middle = 0.5 * (low + high);
        if cdf(middle) >= p {
            high = middle;
        } else {
            low = middle;
        }
    }
    high
}

/// Composite Simpson's rule with 200 panels (the integrands are smooth).
fn simpson(low: f64, high: f64, f: impl Fn(f64) -> f64) -> f64 {
    const PANELS: usize = 200;
    if high <= low {
        return 0.0;
    }
    let h = (high - low) / PANELS as f64;
    let mut sum = f(low) + f(high);
    for i in 1..PANELS {
        let weight = if i % 2 == 1 { 4.0 } else { 2.0 };
        sum += weight * f(low + i as f64 * h);
    }
    sum * h / 3.0
}

/// The stationary law of a finite Markov chain given by `transition(from, to)`: solves
/// `π P = π`, `Σ π = 1` by Gaussian elimination with partial pivoting (the chains here
/// have a few hundred states; iterating them to convergence near ρ = 1 is slower).
fn stationary(len: usize, transition: impl Fn(usize, usize) -> f64) -> Vec<f64> {
    // Row `to` of (Pᵀ - I) π = 0, with the last row replaced by Σ π = 1; the last
    // column is the right-hand side.
    let mut matrix: Vec<Vec<f64>> = (0..len)
        .map(|to| {
            (0..=len)
                .map(|from| match from {
                    _ if to == len - 1 => 1.0,
                    _ if from == len => 0.0,
                    _ => transition(from, to) - if from == to { 1.0 } else { 0.0 },
                })
                .collect()
        })
        .collect();
    for column in 0..len {
        let pivot = (column..len)
            .max_by(|&x, &y| matrix[x][column].abs().total_cmp(&matrix[y][column].abs()))
            .expect("non-empty range");
        matrix.swap(column, pivot);
        let (done, rest) = matrix.split_at_mut(column + 1);
        let pivot_row = &done[column];
        for row in rest {
            let factor = row[column] / pivot_row[column];
            if factor != 0.0 {
                for (x, p) in row[column..].iter_mut().zip(&pivot_row[column..]) {
                    *x -= factor * p;
                }
            }
        }
    }
    let mut solution = vec![0.0; len];
    for row in (0..len).rev() {
        let known: f64 = (row + 1..len).map(|k| matrix[row][k] * solution[k]).sum();
        solution[row] = (matrix[row][len] - known) / matrix[row][row];
    }
    solution.iter().map(|&x| x.max(0.0)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erlang_formula_matches_crommelin_for_one_server() {
        for rho in [0.3, 0.5, 0.9] {
            let p = drained_poisson_chain(1, rho);
            for t in [0.0, 0.5, 1.0, 2.7, 10.0, 25.0] {
                let erlang = md1_wait_cdf(rho, t);
                let crommelin = mdc_wait_cdf(1, rho, &p, t);
                assert!(
                    (erlang - crommelin).abs() < 1e-12,
                    "ρ={rho} t={t}: {erlang} vs {crommelin}"
                );
            }
            let mean = mdc_mean_wait(1, rho, &p);
            assert!((mean - md1_mean_wait(rho)).abs() < 1e-9, "{mean}");
        }
    }

    #[test]
    fn issue_reference_values() {
        // To 1e-9 against a 60-digit evaluation of Erlang's formula (mpmath).
        let p99 = |rho| quantile(|t| md1_wait_cdf(rho, t), 0.99);
        assert!((p99(0.5) - 3.336_255_957).abs() < 1e-8, "{}", p99(0.5));
        assert!((p99(0.9) - 21.898_237_350).abs() < 1e-8, "{}", p99(0.9));
    }

    #[test]
    fn erlang_b_small_cases() {
        assert!((erlang_b(1, 1.0) - 0.5).abs() < 1e-15);
        assert!((erlang_b(2, 1.0) - 0.2).abs() < 1e-15);
    }

    #[test]
    fn one_place_system_is_erlang_b() {
        // Capacity 1: nobody waits, so M/D/1/1 blocks like Erlang B with one server.
        let (blocking, wait) = md1k(0.7, 1);
        assert!((blocking - erlang_b(1, 0.7)).abs() < 1e-12);
        assert!(wait.abs() < 1e-12);
    }

    #[test]
    fn large_capacity_approaches_the_infinite_queue() {
        let (blocking, wait) = md1k(0.5, 60);
        assert!(blocking < 1e-12);
        assert!((wait - md1_mean_wait(0.5)).abs() < 1e-9, "{wait}");
    }

    #[test]
    fn a_far_deadline_approaches_the_infinite_queue() {
        let (rejected, wait) = md1_deadline(0.5, 40.0, 500);
        assert!(rejected < 1e-9, "{rejected}");
        assert!((wait - md1_mean_wait(0.5)).abs() < 1e-5, "{wait}");
    }

    #[test]
    fn the_tightest_deadline_is_erlang_b() {
        // Deadline D: only arrivals to an empty system are admitted.
        let (rejected, wait) = md1_deadline(0.8, 1.0, 1000);
        assert!((rejected - erlang_b(1, 0.8)).abs() < 1e-6, "{rejected}");
        assert!(wait.abs() < 1e-12);
    }

    #[test]
    fn a_whole_deadline_is_a_queue_bound() {
        // With service D, admitting iff V + D <= K + 1 admits iff at most K are in the
        // system: M/D/1/(K+1). Two unrelated computations must agree.
        let (rejected, wait) = md1_deadline(0.9, 5.0, 2000);
        let (blocking, queue_wait) = md1k(0.9, 5);
        assert!(
            (rejected - blocking).abs() < 1e-6,
            "{rejected} vs {blocking}"
        );
        assert!((wait - queue_wait).abs() < 1e-5, "{wait} vs {queue_wait}");
    }

    #[test]
    fn batches_of_one_are_md1() {
        let greedy = GreedyBatching::new(0.7, 1);
        assert!(
            (greedy.mean_wait() - md1_mean_wait(0.7)).abs() < 1e-6,
            "{}",
            greedy.mean_wait()
        );
        for t in [0.0, 0.4, 1.5, 6.0] {
            let (x, y) = (greedy.wait_cdf(t), md1_wait_cdf(0.7, t));
            assert!((x - y).abs() < 1e-6, "t={t}: {x} vs {y}");
        }
    }
}
