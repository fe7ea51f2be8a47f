//! The replicas' next free times as a binary min-heap: a launch always goes to the
//! replica that frees up first, and the new free time is never earlier, so only a
//! sift-down is ever needed. `f64` has no `Ord`, hence no `BinaryHeap`.

#[derive(Clone, Debug)]
pub(crate) struct Servers {
    free: Vec<f64>,
}

impl Servers {
    pub(crate) fn new(replicas: u32) -> Self {
        Servers {
            free: vec![0.0; replicas as usize],
        }
    }

    /// When the first replica is free.
    #[inline]
    pub(crate) fn earliest(&self) -> f64 {
        self.free[0]
    }

    /// Occupies the first free replica until `until` (not before its current free time).
    #[inline]
    pub(crate) fn replace_earliest(&mut self, until: f64) {
        debug_assert!(until >= self.free[0]);
        let free = &mut self.free;
        let len = free.len();
        let mut hole = 0;
        loop {
            let left = 2 * hole + 1;
            if left >= len {
                break;
            }
            let right = left + 1;
            let child = if right < len && free[right] < free[left] {
                right
            } else {
                left
            };
            if free[child] >= until {
                break;
            }
            free[hole] = free[child];
            hole = child;
        }
        free[hole] = until;
    }

    /// Makes `self` a copy of `other` without allocating.
    pub(crate) fn copy_from(&mut self, other: &Servers) {
        self.free.clear();
        self.free.extend_from_slice(&other.free);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn always_hands_out_the_earliest() {
        let mut servers = Servers::new(3);
        let mut order = Vec::new();
        // Each launch lasts a different time; the heap must track the minimum.
        for service in [5.0, 3.0, 4.0, 1.0, 1.0, 2.0, 6.0] {
            let start = servers.earliest();
            order.push(start);
            servers.replace_earliest(start + service);
        }
        assert_eq!(order, vec![0.0, 0.0, 0.0, 3.0, 4.0, 4.0, 5.0]);
    }
}
