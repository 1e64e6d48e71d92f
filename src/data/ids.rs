//! Case ids held once per batch, end to end in one string, each named by a number.
//!
//! A batch keeps every readable case's id (to find duplicates, and to name the case in
//! its result) for as long as it runs. An `Arc<str>` per id is a block of its own (32
//! bytes for a 9-byte id) and a 16-byte pointer in each holder; here an id is its text,
//! where it ends (8 bytes) and its entry in the index (4 bytes).

use hashbrown::HashTable;
use std::hash::BuildHasher;

/// An id, by its place in a [`CaseIds`]. It neither orders nor compares with ids of
/// another table: ids order and compare as their text ([`CaseIds::get`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaseId(u32);

/// Distinct case ids in the order first seen.
#[derive(Clone, Default)]
pub struct CaseIds {
    text: String,
    /// Id `i` is `text[ends[i - 1] .. ends[i]]`.
    ends: Vec<usize>,
    index: HashTable<CaseId>,
    // Seeded per process, so that crafted ids cannot all collide.
    hasher: foldhash::fast::RandomState,
}

impl CaseIds {
    pub fn new() -> CaseIds {
        CaseIds::default()
    }

    /// Adds `id`: `Err` with the id it already has when it is there.
    pub fn insert(&mut self, id: &str) -> Result<CaseId, CaseId> {
        let hash = self.hasher.hash_one(id);
        let (text, ends) = (&self.text, &self.ends);
        if let Some(&known) = self.index.find(hash, |&known| id_text(text, ends, known) == id) {
            return Err(known);
        }
        // INVARIANT: fewer than 2^32 ids: each is at least one byte of input plus a
        // record around it, and a batch of 2^32 records is past what one run reads.
        let new = CaseId(u32::try_from(self.ends.len()).unwrap_or(u32::MAX));
        self.text.push_str(id);
        self.ends.push(self.text.len());
        let (hasher, text, ends) = (&self.hasher, &self.text, &self.ends);
        self.index.insert_unique(hash, new, |&known| hasher.hash_one(id_text(text, ends, known)));
        Ok(new)
    }

    /// The id of `id`, added when new.
    pub fn intern(&mut self, id: &str) -> CaseId {
        self.insert(id).unwrap_or_else(|known| known)
    }

    /// The text of `id`; empty for an id of another table.
    pub fn get(&self, id: CaseId) -> &str {
        id_text(&self.text, &self.ends, id)
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

fn id_text<'t>(text: &'t str, ends: &[usize], id: CaseId) -> &'t str {
    let index = id.0 as usize;
    let end = ends.get(index).copied().unwrap_or(0);
    let start = index.checked_sub(1).and_then(|previous| ends.get(previous)).copied().unwrap_or(0);
    text.get(start..end).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_held_once_and_a_second_insert_names_the_first() {
        let mut ids = CaseIds::new();
        let a = ids.insert("C1").unwrap();
        let b = ids.insert("案例-2").unwrap();
        let empty = ids.insert("").unwrap();
        assert_eq!(ids.insert("C1"), Err(a));
        assert_eq!(ids.intern("案例-2"), b);
        assert_eq!((ids.get(a), ids.get(b), ids.get(empty)), ("C1", "案例-2", ""));
        assert_eq!(ids.insert(""), Err(empty));
        assert_eq!(ids.len(), 3);
        assert_eq!(ids.get(CaseId(9)), "");
    }
}
