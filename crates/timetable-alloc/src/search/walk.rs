//! The depth-first walk: frames on an explicit stack, sub-problems split
//! off when the cuts allow, success and failure moving between them.

use std::cmp::Reverse;
use std::ops::Range;

use super::{Budget, Run, Searcher, UNPLACED, Undo};
use crate::order::Key;

/// A sub-problem: buffers (in `Searcher::part_buffers`) and their sections.
#[derive(Clone, Debug)]
pub(super) struct SubPart {
    pub buffers: Range<u32>,
    pub sections: Range<u32>,
    /// Stack index of the split that created it (`None` for the whole part).
    pub split: Option<u32>,
}

#[derive(Clone, Debug)]
pub(super) enum Frame {
    Node(Node),
    Split(Split),
}

/// A choice of the next buffer in a sub-problem.
#[derive(Clone, Debug)]
pub(super) struct Node {
    pub part: u32,
    /// Canonical order: candidates must come after the `(offset, rank)` of
    /// the buffer placed by the parent; `None` at a sub-problem's root.
    pub after: Option<(u64, u32)>,
    pub candidates: Range<u32>,
    pub next: u32,
    pub expanded: bool,
    /// Lengths of the trail and arenas when the node was created.
    trail: u32,
    parts: u32,
    part_buffers: u32,
}

/// Independent sub-problems solved one after the other.
#[derive(Clone, Debug)]
pub(super) struct Split {
    /// The sub-problem that was split.
    part: u32,
    children: Range<u32>,
    current: u32,
    trail: u32,
}

impl Searcher<'_> {
    /// Searches from scratch for at most `limit` nodes (and the budget).
    pub(super) fn run(&mut self, limit: u64, budget: &mut Budget) -> Run {
        self.reset();
        let limit = limit.min(budget.nodes);
        let cost = 1 + self.shape.ids.len() as u64 / 1024;
        let mut nodes = 0u64;
        self.push_root(0);
        let outcome = 'search: loop {
            let top = self.stack.len() - 1;
            let Frame::Node(mut node) = self.stack[top].clone() else {
                unreachable!("a split always has a sub-problem root above it");
            };
            if node.expanded {
                // Back from a failed child: take back its placement.
                self.undo_to(node.trail);
                self.candidates.truncate(node.candidates.end as usize);
                self.parts.truncate(node.parts as usize);
                self.part_buffers.truncate(node.part_buffers as usize);
            } else if !self.expand(&mut node) {
                let part = node.part;
                self.stack[top] = Frame::Node(node);
                if self.succeed(part) {
                    break Run::Found(self.offset.clone());
                }
                continue;
            }
            let mut child = None;
            while node.next < node.candidates.end {
                if nodes >= limit || (nodes % 4096 < cost && budget.out_of_time()) {
                    break 'search Run::Stopped;
                }
                nodes += cost;
                let c = self.candidates[node.next as usize];
                node.next += 1;
                child = self.try_place(&node, c);
                if child.is_some() {
                    break;
                }
                self.undo_to(node.trail);
            }
            let (root, part) = (node.after.is_none(), node.part);
            self.stack[top] = Frame::Node(node);
            match child {
                Some(Frame::Split(split)) => {
                    let first = split.current;
                    self.stack.push(Frame::Split(split));
                    self.push_root(first);
                }
                Some(frame) => self.stack.push(frame),
                None => {
                    self.stack.pop();
                    if root && !self.fail_part(part) {
                        break Run::Infeasible;
                    }
                }
            }
        };
        budget.nodes -= nodes.min(budget.nodes);
        outcome
    }

    /// A fresh node of sub-problem `part`.
    pub(super) fn node(&self, part: u32, after: Option<(u64, u32)>) -> Frame {
        Frame::Node(Node {
            part,
            after,
            candidates: 0..0,
            next: 0,
            expanded: false,
            trail: self.trail.len() as u32,
            parts: self.parts.len() as u32,
            part_buffers: self.part_buffers.len() as u32,
        })
    }

    fn push_root(&mut self, part: u32) {
        let frame = self.node(part, None);
        self.stack.push(frame);
    }

    /// Cuts sub-problem `part` at the sections no unplaced buffer crosses
    /// any more: the split frame (its first child's root goes above it), or
    /// `None` if no buffer is left to place.
    pub(super) fn split(&mut self, part: u32) -> Option<Frame> {
        let SubPart {
            buffers, sections, ..
        } = self.parts[part as usize].clone();
        self.new_cuts.sort_unstable();
        let first_child = self.parts.len() as u32;
        let split_index = self.stack.len() as u32;
        let bounds: Vec<u32> = self
            .new_cuts
            .iter()
            .map(|&s| s + 1)
            .chain(std::iter::once(sections.end))
            .collect();
        let mut lower = sections.start;
        for upper in bounds {
            let start = self.part_buffers.len();
            for k in buffers.clone() {
                let i = self.part_buffers[k as usize];
                let span = &self.shape.span[i as usize];
                if self.offset[i as usize] == UNPLACED && span.start >= lower && span.end <= upper {
                    self.part_buffers.push(i);
                }
            }
            let end = self.part_buffers.len();
            if end > start {
                if self.rerank {
                    self.rerank(start..end);
                }
                self.parts.push(SubPart {
                    buffers: start as u32..end as u32,
                    sections: lower..upper,
                    split: Some(split_index),
                });
            }
            lower = upper;
        }
        let children = first_child..self.parts.len() as u32;
        let trail = self.trail.len() as u32;
        (!children.is_empty()).then_some(Frame::Split(Split {
            part,
            children,
            current: first_child,
            trail,
        }))
    }

    /// Re-sorts a new sub-problem's buffers by the tree's keys, with `Total`
    /// taken from the pressure still unplaced, and hands them the ranks they
    /// held among themselves in that order.
    fn rerank(&mut self, members: Range<usize>) {
        let shape = self.shape;
        let mut keyed: Vec<([u128; 3], usize, u32)> = self.part_buffers[members]
            .iter()
            .map(|&i| {
                let iu = i as usize;
                let mut k = [0u128; 3];
                for (slot, key) in k.iter_mut().zip(self.keys) {
                    *slot = match key {
                        Key::Size => shape.statics[iu][0],
                        Key::Width => shape.statics[iu][1],
                        Key::Area => shape.statics[iu][2],
                        Key::Total => shape.span[iu]
                            .clone()
                            .map(|s| u128::from(self.remaining[s as usize]))
                            .max()
                            .unwrap_or(0),
                    };
                }
                (k, shape.ids[iu], i)
            })
            .collect();
        keyed.sort_unstable_by_key(|&(k, id, _)| (Reverse(k), id));
        let mut ranks: Vec<u32> = keyed
            .iter()
            .map(|&(_, _, i)| self.rank[i as usize])
            .collect();
        ranks.sort_unstable();
        for ((_, _, i), rank) in keyed.into_iter().zip(ranks) {
            let old = self.rank[i as usize];
            if old != rank {
                self.trail.push(Undo::Rank(i, old));
                self.rank[i as usize] = rank;
            }
        }
    }

    /// Sub-problem `part` is fully placed. Moves on to the next sibling
    /// sub-problem; `true` if everything is placed.
    fn succeed(&mut self, mut part: u32) -> bool {
        loop {
            let Some(split_index) = self.parts[part as usize].split else {
                return true;
            };
            let Frame::Split(split) = &mut self.stack[split_index as usize] else {
                unreachable!("a sub-problem's split is on the stack");
            };
            split.current += 1;
            if split.current < split.children.end {
                let next = split.current;
                self.push_root(next);
                return false;
            }
            part = split.part;
        }
    }

    /// The root of sub-problem `part` ran out of candidates: its siblings
    /// cannot help, so the split that made it fails as a whole. `false` if
    /// `part` is the whole problem.
    fn fail_part(&mut self, part: u32) -> bool {
        let Some(split_index) = self.parts[part as usize].split else {
            return false;
        };
        let Frame::Split(split) = &self.stack[split_index as usize] else {
            unreachable!("a sub-problem's split is on the stack");
        };
        self.undo_to(split.trail);
        self.stack.truncate(split_index as usize);
        true
    }
}
