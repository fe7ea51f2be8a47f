//! Test-only reference evaluators: one for tensor-level functions, one for unscheduled
//! machine-level functions, both on `f64` values rounded to each op's element type. They
//! check that lowering computes the same function (up to rounding order); the simulator
//! crate owns the bit-exact semantics.

#![allow(dead_code)]

pub mod machine;
pub mod tensor;

use timetable_ir::layout::Layout;
use timetable_ir::types::{ElemType, TensorType};

/// Rounds to what the element type can hold (integers wrap).
pub fn round(elem: ElemType, x: f64) -> f64 {
    match elem {
        ElemType::F32 => x as f32 as f64,
        ElemType::F16 => half::f16::from_f64(x).to_f64(),
        ElemType::BF16 => half::bf16::from_f64(x).to_f64(),
        ElemType::I8 | ElemType::I16 | ElemType::I32 => {
            let r = if x.is_finite() {
                x.round_ties_even() as i64
            } else {
                0
            };
            match elem {
                ElemType::I8 => r as i8 as f64,
                ElemType::I16 => r as i16 as f64,
                _ => r as i32 as f64,
            }
        }
    }
}

/// Deterministic data for a seed: small integers for integer types, values in [-2, 2)
/// otherwise.
pub fn seeded(seed: i64, count: usize, elem: ElemType) -> Vec<f64> {
    let mut state = seed as u64 ^ 0x5DEE_CE66_D1CE_4E5B;
    (0..count)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            let unit = (z >> 11) as f64 / (1u64 << 53) as f64;
            if elem.is_float() {
                round(elem, unit * 4.0 - 2.0)
            } else {
                (unit * 16.0).floor() - 8.0
            }
        })
        .collect()
}

/// Row-major data laid out in vectors (padding lanes zero).
pub fn to_layout(ty: &TensorType, data: &[f64], lanes: u32) -> Vec<Vec<f64>> {
    let layout = Layout::of(ty, lanes).expect("static");
    let mut vectors = vec![vec![0.0; lanes as usize]; layout.vectors() as usize];
    for (i, &x) in data.iter().enumerate() {
        let (v, l) = layout.position(i as u64);
        vectors[v as usize][l as usize] = x;
    }
    vectors
}

/// The row-major data of laid-out vectors, and whether every padding lane is zero.
pub fn from_layout(ty: &TensorType, vectors: &[Vec<f64>], lanes: u32) -> (Vec<f64>, bool) {
    let layout = Layout::of(ty, lanes).expect("static");
    let count = layout.used_lanes() as usize;
    let mut data = Vec::with_capacity(count);
    let mut used = vec![vec![false; lanes as usize]; vectors.len()];
    for i in 0..count {
        let (v, l) = layout.position(i as u64);
        data.push(vectors[v as usize][l as usize]);
        used[v as usize][l as usize] = true;
    }
    let clean = vectors
        .iter()
        .zip(&used)
        .all(|(vec, u)| vec.iter().zip(u).all(|(&x, &u)| u || x.to_bits() == 0));
    (data, clean)
}
