//! Deterministic data: `seed` constants, random inputs and dense literals, element by
//! element in row-major order (docs/semantics.md, section 8).

use crate::arith::{Arith, Float, Wide};
use crate::lanes::Lanes;
use half::{bf16, f16};
use timetable_ir::attr::{Dense, Number};
use timetable_ir::target::IntOverflow;
use timetable_ir::types::ElemType;

/// SplitMix64 (Steele, Lea and Flood 2014): the generator behind every `seed`.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// The seed of input number `index` when inputs are generated from `seed`.
pub fn input_seed(seed: u64, index: usize) -> u64 {
    seed.wrapping_mul(65536).wrapping_add(index as u64)
}

fn floats<T: Float>(rng: &mut SplitMix64, count: usize) -> Lanes {
    let scale = 2f32.powi(-24);
    T::wrap(
        (0..count)
            .map(|_| {
                let u = (rng.next_u64() >> 40) as f32 * scale;
                T::round_from(2.0 * u - 1.0)
            })
            .collect(),
    )
}

fn ints<T: Arith>(rng: &mut SplitMix64, count: usize) -> Lanes {
    T::wrap(
        (0..count)
            .map(|_| {
                let v = (rng.next_u64() >> 60) as i64 - 8;
                T::from_wide(Wide::Int(v), IntOverflow::Wrap)
            })
            .collect(),
    )
}

/// `count` elements of seed data: floats uniform in `[-1, 1)`, integers in `[-8, 7]`.
pub fn seed_data(seed: u64, elem: ElemType, count: usize) -> Lanes {
    let mut rng = SplitMix64::new(seed);
    match elem {
        ElemType::I8 => ints::<i8>(&mut rng, count),
        ElemType::I16 => ints::<i16>(&mut rng, count),
        ElemType::I32 => ints::<i32>(&mut rng, count),
        ElemType::F16 => floats::<f16>(&mut rng, count),
        ElemType::BF16 => floats::<bf16>(&mut rng, count),
        ElemType::F32 => floats::<f32>(&mut rng, count),
    }
}

fn number<T: Arith>(n: Number) -> Result<T, String> {
    match (n, T::TYPE.is_float()) {
        (Number::Int(i), false) => {
            let v = T::from_wide(Wide::Int(i), IntOverflow::Saturate);
            if v.to_f64() == i as f64 {
                Ok(v)
            } else {
                Err(format!("{i} does not fit `{}`", T::TYPE))
            }
        }
        (Number::Float(x), false) => Err(format!("{x} is not an integer (`{}`)", T::TYPE)),
        // Through f64 and f32, each rounding to nearest even.
        (n, true) => Ok(T::from_wide(
            Wide::Float(n.as_f64() as f32),
            IntOverflow::Wrap,
        )),
    }
}

fn numbers<T: Arith>(values: &[Number]) -> Result<Lanes, String> {
    values
        .iter()
        .map(|&n| number::<T>(n))
        .collect::<Result<Vec<T>, _>>()
        .map(T::wrap)
}

/// A dense literal as `count` elements (a splat repeats); an error says which number does
/// not fit or that the count is wrong.
pub fn dense_data(dense: &Dense, elem: ElemType, count: usize) -> Result<Lanes, String> {
    let values = dense.expand(count).ok_or_else(|| {
        format!(
            "the constant holds {} numbers, not {count}",
            dense.values.len()
        )
    })?;
    match elem {
        ElemType::I8 => numbers::<i8>(&values),
        ElemType::I16 => numbers::<i16>(&values),
        ElemType::I32 => numbers::<i32>(&values),
        ElemType::F16 => numbers::<f16>(&values),
        ElemType::BF16 => numbers::<bf16>(&values),
        ElemType::F32 => numbers::<f32>(&values),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_the_reference_sequence() {
        // First outputs of SplitMix64 seeded with 0 (the reference implementation).
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(r.next_u64(), 0x6e78_9e6a_a1b9_65f4);
    }

    #[test]
    fn seed_data_is_in_range_and_deterministic() {
        let a = seed_data(7, ElemType::F32, 1000);
        assert!(a.bits_eq(&seed_data(7, ElemType::F32, 1000)));
        assert!((0..1000).all(|i| (-1.0..1.0).contains(&a.value(i))));
        let b = seed_data(7, ElemType::I8, 1000);
        assert!((0..1000).all(|i| (-8.0..=7.0).contains(&b.value(i))));
        // f16 data is the f32 data rounded.
        let h = seed_data(7, ElemType::F16, 10);
        assert!((0..10).all(|i| f16::from_f32(a.value(i) as f32).to_f64() == h.value(i)));
        // A prefix of a longer stream is the shorter stream.
        assert!(seed_data(7, ElemType::F32, 10).bits_eq(&a.window(0, 10)));
    }

    #[test]
    fn dense_numbers_must_fit() {
        let d = Dense {
            shape: vec![2],
            values: vec![Number::Int(1), Number::Int(300)],
        };
        assert!(dense_data(&d, ElemType::I8, 2).unwrap_err().contains("300"));
        assert!(dense_data(&d, ElemType::I16, 2).is_ok());
        let f = Dense {
            shape: vec![],
            values: vec![Number::Float(0.1)],
        };
        let l = dense_data(&f, ElemType::BF16, 3).unwrap();
        assert_eq!(l.len(), 3);
        assert_eq!(l.bits(2), u32::from(bf16::from_f32(0.1).to_bits()));
    }
}
