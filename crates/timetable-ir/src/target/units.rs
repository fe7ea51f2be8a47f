//! Names of unit instances (`vxm.0`, `mem.17`) and streams (`e4`, `w0`).

use crate::registry::UnitClass;
use std::fmt;
use std::str::FromStr;

/// One functional unit instance: the `index`-th slice of a class, counted west to east.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnitId {
    pub class: UnitClass,
    pub index: u32,
}

impl UnitId {
    pub fn new(class: UnitClass, index: u32) -> Self {
        UnitId { class, index }
    }
}

impl fmt::Display for UnitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.class, self.index)
    }
}

impl FromStr for UnitId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a unit (expected `class.index` such as `vxm.0`)");
        let (class, index) = s.split_once('.').ok_or_else(bad)?;
        let class = UnitClass::from_name(class).ok_or_else(bad)?;
        let index = index.parse().map_err(|_| bad())?;
        Ok(UnitId { class, index })
    }
}

/// Which way a stream flows along the east–west axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    East,
    West,
}

impl Direction {
    /// +1 for east (towards higher positions), -1 for west.
    pub fn step(self) -> i64 {
        match self {
            Direction::East => 1,
            Direction::West => -1,
        }
    }
}

/// One stream: a direction and an index. A value of element type T occupies the
/// `T.bytes()` consecutive streams starting here (a stream group).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamId {
    pub dir: Direction,
    pub index: u32,
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = match self.dir {
            Direction::East => 'e',
            Direction::West => 'w',
        };
        write!(f, "{d}{}", self.index)
    }
}

impl FromStr for StreamId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a stream (expected `e<N>` or `w<N>`)");
        let dir = match s.chars().next() {
            Some('e') => Direction::East,
            Some('w') => Direction::West,
            _ => return Err(bad()),
        };
        let index = s[1..].parse().map_err(|_| bad())?;
        Ok(StreamId { dir, index })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in ["vxm.0", "mem.87", "mxm.1"] {
            assert_eq!(s.parse::<UnitId>().unwrap().to_string(), s);
        }
        for s in ["e0", "w31"] {
            assert_eq!(s.parse::<StreamId>().unwrap().to_string(), s);
        }
        assert!("x3".parse::<StreamId>().is_err());
        assert!("alu.1".parse::<UnitId>().is_err());
    }
}
