//! A dense bit set over `0..domain`: the domain of the set-valued analyses (liveness,
//! initialized buffers). Joining is union, so it is a join-semilattice with the empty set
//! as bottom.

use crate::framework::JoinSemiLattice;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BitSet {
    words: Vec<u64>,
    domain: usize,
}

impl BitSet {
    /// The empty set over `0..domain`.
    pub fn new_empty(domain: usize) -> Self {
        BitSet {
            words: vec![0; domain.div_ceil(64)],
            domain,
        }
    }

    pub fn domain_size(&self) -> usize {
        self.domain
    }

    fn locate(&self, i: usize) -> (usize, u64) {
        assert!(
            i < self.domain,
            "bit {i} outside a set over 0..{}",
            self.domain
        );
        (i / 64, 1u64 << (i % 64))
    }

    /// Adds `i`; returns whether it was absent.
    pub fn insert(&mut self, i: usize) -> bool {
        let (w, bit) = self.locate(i);
        let absent = self.words[w] & bit == 0;
        self.words[w] |= bit;
        absent
    }

    /// Removes `i`; returns whether it was present.
    pub fn remove(&mut self, i: usize) -> bool {
        let (w, bit) = self.locate(i);
        let present = self.words[w] & bit != 0;
        self.words[w] &= !bit;
        present
    }

    pub fn contains(&self, i: usize) -> bool {
        let (w, bit) = self.locate(i);
        self.words[w] & bit != 0
    }

    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    pub fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// The members in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(w, &bits)| {
            let mut rest = bits;
            std::iter::from_fn(move || {
                if rest == 0 {
                    return None;
                }
                let bit = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                Some(w * 64 + bit)
            })
        })
    }

    /// Adds every member of `other`; returns whether `self` grew.
    pub fn union(&mut self, other: &BitSet) -> bool {
        assert_eq!(self.domain, other.domain, "sets over different domains");
        let mut changed = false;
        for (a, &b) in self.words.iter_mut().zip(&other.words) {
            let joined = *a | b;
            changed |= joined != *a;
            *a = joined;
        }
        changed
    }
}

impl JoinSemiLattice for BitSet {
    fn join(&mut self, other: &Self) -> bool {
        self.union(other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_remove_iterate() {
        let mut s = BitSet::new_empty(130);
        assert!(s.is_empty());
        assert!(s.insert(0));
        assert!(s.insert(64));
        assert!(s.insert(129));
        assert!(!s.insert(64));
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![0, 64, 129]);
        assert_eq!(s.count(), 3);
        assert!(s.remove(64));
        assert!(!s.remove(64));
        assert!(!s.contains(64) && s.contains(129));
    }

    #[test]
    fn join_reports_growth_only() {
        let mut a = BitSet::new_empty(70);
        let mut b = BitSet::new_empty(70);
        b.insert(3);
        b.insert(69);
        assert!(a.join(&b));
        assert!(!a.join(&b), "joining the same facts again changes nothing");
        a.insert(10);
        assert!(!a.join(&b));
        assert!(b.join(&a));
        assert_eq!(a, b);
    }
}
