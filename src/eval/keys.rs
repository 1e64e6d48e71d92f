//! Interned keys: the values a `once`, a class or a cap groups awards by, held once per
//! batch however many awards share them, and named by a number.
//!
//! Awards share keys (a firm's awards share its recipient key), and the cross-case rules
//! look each award's keys up again and again.
//! So each chunk's workers intern the keys they make into a table of their own, and the
//! batch, taking the chunks in input order, merges each table into its one
//! ([`KeyTable::absorb`]): the rules then group by a `u32`, not by hashing and comparing
//! facts, and an award holds a number, not a vector.

use crate::data::Fact;
use crate::interned::SliceTable;

/// A key's facts, by its place in a [`KeyTable`]. Equal facts have equal ids in one
/// table; ids of different tables are not comparable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(u32);

/// Distinct keys in the order first seen, their facts end to end in one vector. Nearly
/// every award of a batch has a key of its own (`once per recipient, project`), so a
/// key is held in the fewest bytes (a `SliceTable`).
#[derive(Default)]
pub struct KeyTable(SliceTable<Fact>);

impl KeyTable {
    pub fn new() -> KeyTable {
        KeyTable::default()
    }

    /// The id of `facts`, added when new.
    pub fn intern(&mut self, facts: &[Fact]) -> KeyId {
        KeyId(self.0.insert(facts).unwrap_or_else(|known| known))
    }

    /// The id of `facts`, when the table has them.
    pub fn find(&self, facts: &[Fact]) -> Option<KeyId> {
        self.0.find(facts).map(KeyId)
    }

    /// The facts of `id`; none for an id of another table.
    pub fn facts(&self, id: KeyId) -> &[Fact] {
        self.0.get(id.0)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes in `other`'s keys: what each of its ids is here ([`Remap::get`]).
    pub fn absorb(&mut self, other: KeyTable) -> Remap {
        let ids = (0..other.0.len())
            .map(|index| self.intern(other.0.get(u32::try_from(index).unwrap_or(u32::MAX))))
            .collect();
        Remap(ids)
    }
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
