//! Graph algorithms over a snapshot (`http-api.md` §4.4, §4.8–§4.11): neighbours, breadth-first
//! walks (impact, ancestors, deps), cycles, shortest path. Pure functions of the snapshot; every
//! ordering rule of the spec is an index order, because node indexes are id ranks.

use std::collections::HashMap;

use petgraph::visit::{EdgeFiltered, EdgeRef};

use super::{Direction, EdgeFilter, Graph};
use crate::index::model::EdgeType;

/// How many edges a traversal examines between two calls of its `tick` callback (which lets
/// the caller stop it, e.g. at a time limit).
const TICK_EVERY: usize = 4096;

/// The direct neighbours of a node (§4.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Walk {
    /// Neighbour node indexes: outgoing first, then incoming, each in id order, no repeats.
    pub nodes: Vec<u32>,
    /// Edge indexes connecting the node to those neighbours, in the same order.
    pub edges: Vec<u32>,
}

/// Strongly connected components of a subgraph (§4.11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycles {
    /// Each cycle starts at its smallest id, then depth-first inside the component; cycles are
    /// sorted by their first id.
    pub cycles: Vec<Vec<u32>>,
    /// Nodes with an edge to themselves, in id order.
    pub self_loops: Vec<u32>,
}

/// A node reached by [`Graph::levels`]: its breadth-first depth (1 for the start's
/// neighbours) and the type of an edge that reached it from the previous level (the
/// alphabetically first type when several did).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reached {
    pub node: u32,
    pub depth: u32,
    pub via: EdgeType,
}

/// One step of a path: the node reached and the edge that reached it (none for the start).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathStep {
    pub node: u32,
    pub edge: Option<u32>,
}

impl Graph {
    /// Depth-1 neighbours (§4.4). For `Both`, outgoing neighbours come first, then incoming
    /// ones not already listed; `edges` holds every matching edge to a listed neighbour.
    pub fn neighbors(&self, i: u32, direction: Direction, filter: EdgeFilter) -> Walk {
        let mut seen = std::collections::HashSet::new();
        let mut walk = Walk {
            nodes: Vec::new(),
            edges: Vec::new(),
        };
        if matches!(direction, Direction::Outgoing | Direction::Both) {
            for (t, e) in self.out_edges(i, filter) {
                if seen.insert(t) {
                    walk.nodes.push(t);
                }
                walk.edges.push(e);
            }
        }
        if matches!(direction, Direction::Incoming | Direction::Both) {
            for (s, e) in self.in_edges(i, filter) {
                if seen.insert(s) {
                    walk.nodes.push(s);
                }
                // A self-loop was already listed as an outgoing edge.
                if !(direction == Direction::Both && s == i) {
                    walk.edges.push(e);
                }
            }
        }
        walk
    }

    /// Breadth-first walk from `start` (excluded from the result), level by level, each node's
    /// edges visited in id order of the other end. `Outgoing` follows edges forward (the
    /// dependencies, `/ancestors`), `Incoming` backward (the dependents, `/impact`); `Both`
    /// gives the outgoing walk followed by the incoming nodes not already listed (`/deps`).
    /// `depth` bounds the number of levels; `None` is unbounded.
    pub fn walk(
        &self,
        start: u32,
        direction: Direction,
        filter: EdgeFilter,
        depth: Option<u32>,
    ) -> Vec<u32> {
        match direction {
            Direction::Both => {
                let mut out = self.bfs(start, true, filter, depth);
                let mut listed = vec![false; self.nodes.len()];
                for &i in &out {
                    listed[i as usize] = true;
                }
                for i in self.bfs(start, false, filter, depth) {
                    if !listed[i as usize] {
                        out.push(i);
                    }
                }
                out
            }
            Direction::Outgoing => self.bfs(start, true, filter, depth),
            Direction::Incoming => self.bfs(start, false, filter, depth),
        }
    }

    fn bfs(&self, start: u32, forward: bool, filter: EdgeFilter, depth: Option<u32>) -> Vec<u32> {
        let mut seen = vec![false; self.nodes.len()];
        seen[start as usize] = true;
        let mut out = Vec::new();
        let mut frontier = vec![start];
        let mut level = 0u32;
        while !frontier.is_empty() && depth.is_none_or(|d| level < d) {
            level += 1;
            let mut next = Vec::new();
            for &n in &frontier {
                let mut visit = |m: u32| {
                    if !seen[m as usize] {
                        seen[m as usize] = true;
                        next.push(m);
                    }
                };
                if forward {
                    self.out_edges(n, filter).for_each(|(m, _)| visit(m));
                } else {
                    self.in_edges(n, filter).for_each(|(m, _)| visit(m));
                }
            }
            out.extend_from_slice(&next);
            frontier = next;
        }
        out
    }

    /// Cycles of the subgraph made of the chosen edge types (§4.11).
    pub fn cycles(&self, filter: EdgeFilter) -> Cycles {
        self.cycles_among(filter, &|_| true)
    }

    /// Cycles of the subgraph made of the chosen edge types between the nodes `keep` accepts
    /// (an edge takes part only when both its ends are kept). Same orderings as
    /// [`Graph::cycles`], which is this with every node kept.
    pub fn cycles_among(&self, filter: EdgeFilter, keep: &dyn Fn(u32) -> bool) -> Cycles {
        let sub = EdgeFiltered::from_fn(
            &self.g,
            |e: petgraph::graph::EdgeReference<'_, super::EdgeWeight>| {
                filter.contains(e.weight().ty)
                    && keep(e.source().index() as u32)
                    && keep(e.target().index() as u32)
            },
        );
        // Kosaraju's algorithm in petgraph is iterative: a deep chain cannot exhaust the stack.
        let mut component = vec![u32::MAX; self.nodes.len()];
        let mut cycles = Vec::new();
        for (k, scc) in petgraph::algo::kosaraju_scc(&sub).into_iter().enumerate() {
            if scc.len() < 2 {
                continue;
            }
            for n in &scc {
                component[n.index()] = k as u32;
            }
            let first = scc.iter().map(|n| n.index() as u32).min().unwrap_or(0);
            cycles.push(self.order_cycle(first, k as u32, &component, filter));
        }
        cycles.sort_unstable_by_key(|c| c[0]);
        let self_loops = (0..self.nodes.len() as u32)
            .filter(|&i| keep(i) && self.out_edges(i, filter).any(|(t, _)| t == i))
            .collect();
        Cycles { cycles, self_loops }
    }

    /// Depth-first preorder inside one component from its smallest id, successors in id order.
    fn order_cycle(&self, first: u32, k: u32, component: &[u32], filter: EdgeFilter) -> Vec<u32> {
        let mut order = Vec::new();
        let mut seen = std::collections::HashSet::new();
        // An explicit stack of successor iterators keeps deep components off the call stack.
        seen.insert(first);
        order.push(first);
        let mut stack: Vec<std::vec::IntoIter<u32>> =
            vec![self.successors_in(first, k, component, filter)];
        while let Some(top) = stack.last_mut() {
            match top.next() {
                Some(m) if seen.insert(m) => {
                    order.push(m);
                    stack.push(self.successors_in(m, k, component, filter));
                }
                Some(_) => {}
                None => {
                    stack.pop();
                }
            }
        }
        order
    }

    fn successors_in(
        &self,
        n: u32,
        k: u32,
        component: &[u32],
        filter: EdgeFilter,
    ) -> std::vec::IntoIter<u32> {
        let mut v: Vec<u32> = self
            .out_edges(n, filter)
            .map(|(t, _)| t)
            .filter(|&t| component[t as usize] == k)
            .collect();
        v.dedup();
        v.into_iter()
    }

    /// Breadth-first walk from `start` (excluded) over at most `max_depth` levels, level by
    /// level with **each level in id order** (`muql.md` §7): a node is listed once, at its
    /// smallest depth, with the alphabetically first type of the edges that reached it from
    /// the previous level. `Both` follows edges either way. `tick` is called before each level
    /// and every few thousand edges; its error stops the walk and is returned.
    pub fn levels<E>(
        &self,
        start: u32,
        direction: Direction,
        filter: EdgeFilter,
        max_depth: u32,
        mut tick: impl FnMut() -> Result<(), E>,
    ) -> Result<Vec<Reached>, E> {
        let mut seen = vec![false; self.nodes.len()];
        seen[start as usize] = true;
        let mut out = Vec::new();
        let mut frontier = vec![start];
        let mut depth = 0u32;
        let mut examined = 0usize;
        while !frontier.is_empty() && depth < max_depth {
            tick()?;
            depth += 1;
            // Nodes first reached on this level → the best edge type reaching them.
            let mut level: HashMap<u32, EdgeType> = HashMap::new();
            for &n in &frontier {
                let mut steps: Vec<(u32, u32)> = Vec::new();
                if matches!(direction, Direction::Outgoing | Direction::Both) {
                    steps.extend(self.out_edges(n, filter));
                }
                if matches!(direction, Direction::Incoming | Direction::Both) {
                    steps.extend(self.in_edges(n, filter));
                }
                for (m, e) in steps {
                    examined += 1;
                    if examined.is_multiple_of(TICK_EVERY) {
                        tick()?;
                    }
                    let ty = self.edges[e as usize].edge_type;
                    if !seen[m as usize] {
                        seen[m as usize] = true;
                        level.insert(m, ty);
                    } else if let Some(best) = level.get_mut(&m) {
                        if ty.as_str() < best.as_str() {
                            *best = ty;
                        }
                    }
                }
            }
            let mut next: Vec<u32> = level.keys().copied().collect();
            next.sort_unstable();
            out.extend(next.iter().map(|&m| Reached {
                node: m,
                depth,
                via: level[&m],
            }));
            frontier = next;
        }
        Ok(out)
    }

    /// A shortest path from `from` to `to` over outgoing edges of the chosen types, at most
    /// `max_depth` edges (`muql.md` §10): breadth-first with each frontier in id order and each
    /// node's successors in id order (for two edges to one successor, the alphabetically first
    /// type); the first predecessor found for a node is kept. `Ok(None)` when there is none;
    /// `tick` as in [`Graph::levels`].
    pub fn shortest_path<E>(
        &self,
        from: u32,
        to: u32,
        filter: EdgeFilter,
        max_depth: u32,
        mut tick: impl FnMut() -> Result<(), E>,
    ) -> Result<Option<Vec<PathStep>>, E> {
        if from == to {
            return Ok(Some(vec![PathStep {
                node: from,
                edge: None,
            }]));
        }
        let mut parent: Vec<Option<(u32, u32)>> = vec![None; self.nodes.len()];
        let mut seen = vec![false; self.nodes.len()];
        seen[from as usize] = true;
        let mut frontier = vec![from];
        let mut depth = 0u32;
        let mut examined = 0usize;
        while !frontier.is_empty() && depth < max_depth {
            tick()?;
            depth += 1;
            let mut next = Vec::new();
            for &n in &frontier {
                for (m, e) in self.out_edges(n, filter) {
                    examined += 1;
                    if examined.is_multiple_of(TICK_EVERY) {
                        tick()?;
                    }
                    if seen[m as usize] {
                        continue;
                    }
                    seen[m as usize] = true;
                    parent[m as usize] = Some((n, e));
                    if m == to {
                        return Ok(Some(self.unwind(from, to, &parent)));
                    }
                    next.push(m);
                }
            }
            next.sort_unstable();
            frontier = next;
        }
        Ok(None)
    }

    /// The path from `from` to `to` through the recorded predecessors.
    fn unwind(&self, from: u32, to: u32, parent: &[Option<(u32, u32)>]) -> Vec<PathStep> {
        let mut path = Vec::new();
        let mut cur = to;
        while cur != from {
            let Some((p, e)) = parent[cur as usize] else {
                break;
            };
            path.push(PathStep {
                node: cur,
                edge: Some(e),
            });
            cur = p;
        }
        path.push(PathStep {
            node: from,
            edge: None,
        });
        path.reverse();
        path
    }
}
