//! Matching observation expressions over a set of observations: finding a *binding*, one
//! observation (or one of its `number_observed` sightings) for each bracketed expression, such
//! that the operators and qualifiers hold.
//!
//! - `A AND B`, `A FOLLOWEDBY B` and `REPEATS` bind different sightings: an observed-data with
//!   `number_observed: 3` can serve three bracketed expressions, one with 1 only one.
//! - `FOLLOWEDBY`: some choice of times puts every left observation at or before every right one,
//!   that is, the latest `first_observed` on the left is not after the earliest `last_observed`
//!   on the right.
//! - `WITHIN d`: the binding's observation intervals all meet one window of length `d`, open at
//!   its end: the latest `first_observed` is less than `d` after the earliest `last_observed`.
//! - `START s STOP e`: every interval meets `[s, e)`.
//!
//! The search backtracks depth first and stops at the first binding. Sightings of one
//! observation are interchangeable, so they are counted rather than enumerated, and the
//! repetitions of `REPEATS` are taken in non-decreasing order, so the search never tries the same
//! binding twice in another order. A step budget bounds adversarial patterns.

use crate::time::Instant;

/// The pattern's operator tree with bracketed expressions numbered as leaves.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Leaf(usize),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    FollowedBy(Box<Node>, Box<Node>),
    Within(Box<Node>, i128),
    Repeats(Box<Node>, u32),
    StartStop(Box<Node>, Instant, Instant),
}

/// Time and count of one observation, as the search sees it.
#[derive(Debug, Clone, Copy)]
pub struct Slot {
    pub first: Instant,
    pub last: Instant,
    pub count: u32,
}

/// The search gave up: the pattern would take more steps than the budget allows on this input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("matching stopped after {0} steps; the pattern is too costly for this many observations")]
pub struct BudgetExceeded(pub u64);

pub struct Search<'a> {
    slots: &'a [Slot],
    /// For each leaf, the observations (indexes into `slots`) that satisfy it.
    sat: &'a [Vec<u32>],
    used: Vec<u32>,
    chosen: Vec<u32>,
    /// The WITHIN and START/STOP qualifiers whose expression is being enumerated: every
    /// observation chosen inside one is checked against it at once, so a branch that cannot
    /// satisfy it is cut before it grows (the spread of a WITHIN only widens).
    active: Vec<(usize, Limit)>,
    steps: u64,
    budget: u64,
    over: bool,
}

#[derive(Debug, Clone, Copy)]
enum Limit {
    Within(i128),
    Window(Instant, Instant),
}

type K<'k, 'a> = &'k mut dyn FnMut(&mut Search<'a>) -> bool;

impl<'a> Search<'a> {
    pub fn new(slots: &'a [Slot], sat: &'a [Vec<u32>], budget: u64) -> Self {
        Search {
            slots,
            sat,
            used: vec![0; slots.len()],
            chosen: Vec::new(),
            active: Vec::new(),
            steps: 0,
            budget,
            over: false,
        }
    }

    /// The first binding found: the observations it uses (an observation appears once per
    /// sighting it contributes), or None.
    pub fn run(mut self, node: &Node, must: Option<u32>) -> Result<Option<Vec<u32>>, BudgetExceeded> {
        let mut found = None;
        self.each(node, &mut |s| {
            if must.is_some_and(|m| !s.chosen.contains(&m)) {
                return false;
            }
            found = Some(s.chosen.clone());
            true
        });
        if self.over { Err(BudgetExceeded(self.steps)) } else { Ok(found) }
    }

    fn segment(&self, from: usize, to: usize) -> impl Iterator<Item = &Slot> {
        self.chosen[from..to].iter().map(|&o| &self.slots[o as usize])
    }

    /// Whether the observations chosen so far inside each active qualifier still satisfy it.
    fn within_limits(&self) -> bool {
        self.active.iter().all(|&(start, limit)| match limit {
            Limit::Window(from, to) => {
                let o = &self.slots[*self.chosen.last().unwrap_or(&0) as usize];
                o.first < to && o.last >= from
            }
            Limit::Within(d) => {
                let end = self.chosen.len();
                let latest_first = self.segment(start, end).map(|o| o.first).max();
                let earliest_last = self.segment(start, end).map(|o| o.last).min();
                latest_first.zip(earliest_last).is_none_or(|(f, l)| f - l < d)
            }
        })
    }

    /// Enumerate `e` under a qualifier: the limit is active while `e` chooses observations and
    /// lifted while the continuation (the rest of the pattern) runs.
    fn limited(&mut self, e: &Node, limit: Limit, k: K<'_, 'a>) -> bool {
        let start = self.chosen.len();
        self.active.push((start, limit));
        let found = self.each(e, &mut |s| {
            let mine = s.active.pop();
            let r = k(s);
            if let Some(m) = mine {
                s.active.push(m);
            }
            r
        });
        self.active.pop();
        found
    }

    fn each(&mut self, node: &Node, k: K<'_, 'a>) -> bool {
        if self.over {
            return false;
        }
        match node {
            Node::Leaf(i) => {
                let sat = self.sat;
                for &o in &sat[*i] {
                    self.steps += 1;
                    if self.steps > self.budget {
                        self.over = true;
                        return false;
                    }
                    let oi = o as usize;
                    if self.used[oi] < self.slots[oi].count {
                        self.used[oi] += 1;
                        self.chosen.push(o);
                        let done = self.within_limits() && k(self);
                        self.chosen.pop();
                        self.used[oi] -= 1;
                        if done {
                            return true;
                        }
                    }
                }
                false
            }
            Node::Or(a, b) => self.each(a, k) || self.each(b, k),
            Node::And(a, b) => self.each(a, &mut |s| s.each(b, k)),
            Node::FollowedBy(a, b) => {
                let start = self.chosen.len();
                self.each(a, &mut |s| {
                    let mid = s.chosen.len();
                    let latest_first = s.segment(start, mid).map(|o| o.first).max();
                    s.each(b, &mut |s| {
                        let earliest_last = s.segment(mid, s.chosen.len()).map(|o| o.last).min();
                        latest_first <= earliest_last && k(s)
                    })
                })
            }
            Node::Within(e, d) => self.limited(e, Limit::Within(*d), k),
            Node::StartStop(e, start_t, stop_t) => {
                if start_t >= stop_t {
                    return false;
                }
                self.limited(e, Limit::Window(*start_t, *stop_t), k)
            }
            Node::Repeats(e, n) => self.repeat(e, *n, None, k),
        }
    }

    /// `n` more repetitions of `e`, each starting no earlier (in chosen-observation order) than
    /// the one before, so that each multiset of repetitions is tried once.
    fn repeat(&mut self, e: &Node, n: u32, floor: Option<u32>, k: K<'_, 'a>) -> bool {
        if n == 0 {
            return k(self);
        }
        // One bracketed expression repeated: give up at once when the sightings left (from the
        // floor on) cannot make up the repetitions still needed.
        if let Node::Leaf(i) = e {
            let left: u64 = self.sat[*i]
                .iter()
                .filter(|&&o| floor.is_none_or(|f| o >= f))
                .map(|&o| u64::from(self.slots[o as usize].count - self.used[o as usize]))
                .sum();
            if left < u64::from(n) {
                return false;
            }
        }
        let start = self.chosen.len();
        self.each(e, &mut |s| {
            let head = s.chosen.get(start).copied();
            if let (Some(h), Some(f)) = (head, floor)
                && h < f
            {
                return false;
            }
            s.repeat(e, n - 1, head, k)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(first: i128, last: i128, count: u32) -> Slot {
        Slot { first, last, count }
    }

    fn run(node: &Node, slots: &[Slot], sat: &[Vec<u32>]) -> Option<Vec<u32>> {
        Search::new(slots, sat, 1_000_000).run(node, None).unwrap()
    }

    #[test]
    fn and_needs_two_sightings() {
        let and = Node::And(Box::new(Node::Leaf(0)), Box::new(Node::Leaf(0)));
        assert_eq!(run(&and, &[slot(0, 0, 1)], &[vec![0]]), None);
        assert_eq!(run(&and, &[slot(0, 0, 2)], &[vec![0]]), Some(vec![0, 0]));
    }

    #[test]
    fn followed_by_order() {
        let fb = Node::FollowedBy(Box::new(Node::Leaf(0)), Box::new(Node::Leaf(1)));
        let slots = [slot(10, 20, 1), slot(0, 5, 1)];
        assert_eq!(run(&fb, &slots, &[vec![0], vec![1]]), None);
        assert_eq!(run(&fb, &slots, &[vec![1], vec![0]]), Some(vec![1, 0]));
        // Overlapping intervals can be ordered.
        let slots = [slot(0, 10, 1), slot(5, 6, 1)];
        assert_eq!(run(&fb, &slots, &[vec![0], vec![1]]), Some(vec![0, 1]));
    }

    #[test]
    fn within_and_start_stop_bounds() {
        let and = Node::And(Box::new(Node::Leaf(0)), Box::new(Node::Leaf(1)));
        let slots = [slot(0, 0, 1), slot(10, 10, 1)];
        let sat = [vec![0], vec![1]];
        assert!(run(&Node::Within(Box::new(and.clone()), 11), &slots, &sat).is_some());
        assert!(run(&Node::Within(Box::new(and.clone()), 10), &slots, &sat).is_none(), "the window is open at its end");
        let ss = |a, b| Node::StartStop(Box::new(Node::Leaf(0)), a, b);
        let one = [slot(10, 20, 1)];
        assert!(run(&ss(20, 30), &one, &[vec![0]]).is_some(), "start is inclusive");
        assert!(run(&ss(0, 10), &one, &[vec![0]]).is_none(), "stop is exclusive");
        assert!(run(&ss(30, 30), &one, &[vec![0]]).is_none());
    }

    #[test]
    fn repeats_count_sightings_and_budget_stops_blowup() {
        let r = Node::Repeats(Box::new(Node::Leaf(0)), 3);
        assert!(run(&r, &[slot(0, 0, 3)], &[vec![0]]).is_some());
        assert!(run(&r, &[slot(0, 0, 2)], &[vec![0]]).is_none());
        assert!(run(&r, &[slot(0, 0, 2), slot(0, 0, 1)], &[vec![0, 1]]).is_some());
        // 40 observations, 41 repetitions: impossible, known at once from the sightings left.
        let slots = vec![slot(0, 0, 1); 40];
        let sat = [(0..40).collect::<Vec<u32>>()];
        let r = Node::Repeats(Box::new(Node::Leaf(0)), 41);
        assert_eq!(Search::new(&slots, &sat, 100).run(&r, None), Ok(None));
        // Where no bound applies, the budget stops the search.
        let pair = Node::And(Box::new(Node::Leaf(0)), Box::new(Node::Leaf(0)));
        let r = Node::Repeats(Box::new(pair), 21);
        assert!(Search::new(&slots, &sat, 10_000).run(&r, None).is_err());
    }

    #[test]
    fn within_prunes_as_it_chooses() {
        // 300 hits 100 s apart, then a burst of 5 within a minute: REPEATS 5 WITHIN 60 finds the
        // burst without exhausting the budget on the scattered hits.
        let mut slots: Vec<Slot> = (0..300).map(|i| slot(i * 100, i * 100, 1)).collect();
        slots.extend((0..5).map(|i| slot(40_000 + i * 10, 40_000 + i * 10, 1)));
        let sat = [(0..slots.len() as u32).rev().collect::<Vec<u32>>()];
        let r = Node::Within(Box::new(Node::Repeats(Box::new(Node::Leaf(0)), 5)), 60);
        let found = Search::new(&slots, &sat, 200_000).run(&r, Some(304)).unwrap();
        assert_eq!(
            found.map(|mut b| {
                b.sort();
                b
            }),
            Some(vec![300, 301, 302, 303, 304])
        );
        let scattered = &slots[..300];
        let sat = [(0..300u32).rev().collect::<Vec<u32>>()];
        assert_eq!(Search::new(scattered, &sat, 200_000).run(&r, Some(299)), Ok(None));
    }
}
