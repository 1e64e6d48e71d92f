//! Case ids held once per batch, end to end in one string, each named by a number.
//!
//! A batch keeps every readable case's id (to find duplicates, and to name the case in
//! its result) for as long as it runs. An `Arc<str>` per id is a block of its own (32
//! bytes for a 9-byte id) and a 16-byte pointer in each holder; here an id is its bytes
//! in one arena (a `SliceTable`) and a `u32` in each holder.

use crate::interned::SliceTable;

/// An id, by its place in a [`CaseIds`]. It neither orders nor compares with ids of
/// another table: ids order and compare as their text ([`CaseIds::get`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaseId(u32);

/// Distinct case ids in the order first seen.
#[derive(Clone, Default)]
pub struct CaseIds(SliceTable<u8>);

impl CaseIds {
    pub fn new() -> CaseIds {
        CaseIds::default()
    }

    /// Adds `id`: `Err` with the id it already has when it is there.
    pub fn insert(&mut self, id: &str) -> Result<CaseId, CaseId> {
        self.0.insert(id.as_bytes()).map(CaseId).map_err(CaseId)
    }

    /// The id of `id`, added when new.
    pub fn intern(&mut self, id: &str) -> CaseId {
        self.insert(id).unwrap_or_else(|known| known)
    }

    /// The text of `id`; empty for an id of another table.
    pub fn get(&self, id: CaseId) -> &str {
        // Only whole ids are held, so the bytes are the text they came from.
        std::str::from_utf8(self.0.get(id.0)).unwrap_or("")
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
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
