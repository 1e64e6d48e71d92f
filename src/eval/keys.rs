//! Interned keys: the values a `once`, a class or a cap groups awards by, held once per
//! batch however many awards share them, and named by a number.
//!
//! A batch of a million awards has few distinct keys (a firm's awards share its
//! recipient key), and the cross-case rules look each award's keys up again and again.
//! So each chunk's workers intern the keys they make into a table of their own, and the
//! batch, taking the chunks in input order, merges each table into its one
//! ([`KeyTable::absorb`]): the rules then group by a `u32`, not by hashing and comparing
//! facts, and an award holds a number, not a vector.

use crate::data::Fact;
use hashbrown::HashTable;
use std::hash::BuildHasher;

/// A key's facts, by its place in a [`KeyTable`]. Equal facts have equal ids in one
/// table; ids of different tables are not comparable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(u32);

/// Distinct keys in the order first seen, their facts end to end in one vector.
///
/// Nearly every award of a batch has a key of its own (`once per recipient, project`),
/// so a key is held in the fewest bytes: its facts in the arena, where they end (4
/// bytes), and its id in the index (4 bytes), which finds a key by hashing the facts
/// and comparing them with the arena's. An `Arc` and a map entry per key took about
/// twice that.
#[derive(Default)]
pub struct KeyTable {
    facts: Vec<Fact>,
    /// Key `i`'s facts are `facts[ends[i - 1] .. ends[i]]`.
    ends: Vec<u32>,
    index: HashTable<KeyId>,
    // Seeded per process, so that crafted keys cannot all collide.
    hasher: foldhash::fast::RandomState,
}

impl KeyTable {
    pub fn new() -> KeyTable {
        KeyTable::default()
    }

    /// The id of `facts`, added when new.
    pub fn intern(&mut self, facts: &[Fact]) -> KeyId {
        let hash = self.hasher.hash_one(facts);
        let (arena, ends) = (&self.facts, &self.ends);
        if let Some(&id) = self.index.find(hash, |&id| key_facts(arena, ends, id) == facts) {
            return id;
        }
        // INVARIANT: fewer than 2^32 keys and facts: each fact is 24 bytes, so a table
        // of 2^32 would need more than 100 GB.
        let id = KeyId(u32::try_from(self.ends.len()).unwrap_or(u32::MAX));
        self.facts.extend_from_slice(facts);
        self.ends.push(u32::try_from(self.facts.len()).unwrap_or(u32::MAX));
        let (hasher, arena, ends) = (&self.hasher, &self.facts, &self.ends);
        self.index.insert_unique(hash, id, |&id| hasher.hash_one(key_facts(arena, ends, id)));
        id
    }

    /// The id of `facts`, when the table has them.
    pub fn find(&self, facts: &[Fact]) -> Option<KeyId> {
        let hash = self.hasher.hash_one(facts);
        self.index.find(hash, |&id| self.facts(id) == facts).copied()
    }

    /// The facts of `id`; none for an id of another table.
    pub fn facts(&self, id: KeyId) -> &[Fact] {
        key_facts(&self.facts, &self.ends, id)
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Takes in `other`'s keys: what each of its ids is here ([`Remap::get`]).
    pub fn absorb(&mut self, other: KeyTable) -> Remap {
        let ids = (0..other.ends.len())
            .map(|index| self.intern(other.facts(KeyId(u32::try_from(index).unwrap_or(u32::MAX)))))
            .collect();
        Remap(ids)
    }
}

fn key_facts<'t>(facts: &'t [Fact], ends: &[u32], id: KeyId) -> &'t [Fact] {
    let index = id.0 as usize;
    let end = ends.get(index).map_or(0, |&end| end as usize);
    let start = index.checked_sub(1).and_then(|previous| ends.get(previous)).map_or(0, |&start| start as usize);
    facts.get(start..end).unwrap_or(&[])
}

/// What the ids of a table absorbed into another are there.
pub struct Remap(Vec<KeyId>);

impl Remap {
    /// `id` of the absorbed table, in the table that took it in.
    pub fn get(&self, id: KeyId) -> KeyId {
        self.0.get(id.0 as usize).copied().unwrap_or(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(value: &str) -> Fact {
        Fact::Text(value.into())
    }

    #[test]
    fn equal_facts_share_an_id_and_absorbing_renumbers_by_facts() {
        let mut batch = KeyTable::new();
        let a = batch.intern(&[text("E1"), Fact::Integer(2024)]);
        assert_eq!(batch.intern(&[text("E1"), Fact::Integer(2024)]), a);
        let b = batch.intern(&[text("E2")]);
        assert_ne!(a, b);

        let mut chunk = KeyTable::new();
        let chunk_b = chunk.intern(&[text("E2")]);
        let chunk_c = chunk.intern(&[text("E3")]);
        let remap = batch.absorb(chunk);
        assert_eq!(remap.get(chunk_b), b);
        assert_eq!(batch.facts(remap.get(chunk_c)), [text("E3")]);
        assert_eq!(batch.len(), 3);
    }
}
