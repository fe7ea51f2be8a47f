//! Bit-for-bit comparison of two runs' outputs (`timetable run`, differential tests).

use crate::tensor::Tensor;
use std::fmt;

/// The comparison of one output.
#[derive(Clone, Debug)]
pub struct OutputCheck {
    /// `expected name` or `expected name = actual name` when they differ.
    pub name: String,
    pub elements: usize,
    /// `None` when types and shapes match and every element has the same bits.
    pub problem: Option<Problem>,
}

#[derive(Clone, Debug)]
pub enum Problem {
    /// Different element type or shape.
    Type { expected: String, actual: String },
    /// Elements whose bits differ: how many, and the first one.
    Values {
        count: usize,
        index: Vec<usize>,
        expected: (f64, u32),
        actual: (f64, u32),
    },
}

/// The comparison of all outputs, in order.
#[derive(Clone, Debug)]
pub struct Comparison {
    pub outputs: Vec<OutputCheck>,
    /// Outputs on one side only.
    pub count_mismatch: Option<(usize, usize)>,
}

impl Comparison {
    pub fn matches(&self) -> bool {
        self.count_mismatch.is_none() && self.outputs.iter().all(|o| o.problem.is_none())
    }

    pub fn elements(&self) -> usize {
        self.outputs.iter().map(|o| o.elements).sum()
    }
}

/// Compares `actual` with `expected`, output by output, bit for bit.
pub fn compare(expected: &[(String, &Tensor)], actual: &[(String, &Tensor)]) -> Comparison {
    let outputs = expected
        .iter()
        .zip(actual)
        .map(|((en, e), (an, a))| {
            let name = if en == an {
                en.clone()
            } else {
                format!("{en} = {an}")
            };
            let problem = if e.shape != a.shape || e.elem() != a.elem() {
                Some(Problem::Type {
                    expected: e.type_name(),
                    actual: a.type_name(),
                })
            } else {
                let differ: Vec<usize> = (0..e.len())
                    .filter(|&i| e.data.bits(i) != a.data.bits(i))
                    .collect();
                differ.first().map(|&i| Problem::Values {
                    count: differ.len(),
                    index: e.index_of(i),
                    expected: (e.data.value(i), e.data.bits(i)),
                    actual: (a.data.value(i), a.data.bits(i)),
                })
            };
            OutputCheck {
                name,
                elements: e.len(),
                problem,
            }
        })
        .collect();
    Comparison {
        outputs,
        count_mismatch: (expected.len() != actual.len()).then_some((expected.len(), actual.len())),
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some((e, a)) = self.count_mismatch {
            writeln!(
                f,
                "  the reference has {e} output(s), the compiled program {a}"
            )?;
        }
        for o in &self.outputs {
            match &o.problem {
                None => writeln!(f, "  {}: {} elements identical", o.name, o.elements)?,
                Some(Problem::Type { expected, actual }) => writeln!(
                    f,
                    "  {}: reference `{expected}`, compiled `{actual}`",
                    o.name
                )?,
                Some(Problem::Values {
                    count,
                    index,
                    expected,
                    actual,
                }) => writeln!(
                    f,
                    "  {}: {count} of {} elements differ; first at {index:?}: reference {} ({:#x}), compiled {} ({:#x})",
                    o.name, o.elements, expected.0, expected.1, actual.0, actual.1
                )?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lanes::Lanes;

    #[test]
    fn reports_the_first_differing_element() {
        let a = Tensor::new(vec![2, 2], Lanes::F32(vec![1.0, 2.0, 3.0, 4.0])).unwrap();
        let b = Tensor::new(vec![2, 2], Lanes::F32(vec![1.0, 2.0, 3.5, -0.0])).unwrap();
        let c = compare(&[("y".into(), &a)], &[("y".into(), &b)]);
        assert!(!c.matches());
        let text = c.to_string();
        assert!(
            text.contains("2 of 4 elements differ; first at [1, 0]"),
            "{text}"
        );
        assert!(compare(&[("y".into(), &a)], &[("y".into(), &a)]).matches());
        // -0.0 and 0.0 differ in bits.
        let z = Tensor::new(vec![1], Lanes::F32(vec![0.0])).unwrap();
        let nz = Tensor::new(vec![1], Lanes::F32(vec![-0.0])).unwrap();
        assert!(!compare(&[("z".into(), &z)], &[("z".into(), &nz)]).matches());
    }
}
