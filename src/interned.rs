//! Slices held once, end to end in one vector, each named by its place: the mechanism
//! behind the batch's key table ([`crate::eval::KeyTable`]) and its case ids
//! ([`crate::data::CaseIds`]).
//!
//! A batch holds about as many keys and ids as cases, so each is held in the fewest
//! bytes: its items in the arena, where it ends (8 bytes), and its place in the index
//! (4 bytes), which finds a slice by hashing it and comparing it with the arena's. An
//! `Arc` and a map entry per slice took about twice that.

use hashbrown::HashTable;
use std::hash::{BuildHasher, Hash};

/// Distinct slices in the order first seen.
#[derive(Clone)]
pub(crate) struct SliceTable<T> {
    items: Vec<T>,
    /// Slice `i` is `items[ends[i - 1] .. ends[i]]`.
    ends: Vec<usize>,
    index: HashTable<u32>,
    // Seeded per process, so that crafted slices cannot all collide.
    hasher: foldhash::fast::RandomState,
}

impl<T> Default for SliceTable<T> {
    fn default() -> SliceTable<T> {
        SliceTable {
            items: Vec::new(),
            ends: Vec::new(),
            index: HashTable::new(),
            hasher: foldhash::fast::RandomState::default(),
        }
    }
}

impl<T: Hash + Eq + Clone> SliceTable<T> {
    /// Adds `slice`: its place, or `Err` with the place it already has.
    pub(crate) fn insert(&mut self, slice: &[T]) -> Result<u32, u32> {
        let hash = self.hasher.hash_one(slice);
        let (items, ends) = (&self.items, &self.ends);
        if let Some(&known) = self.index.find(hash, |&known| slice_at(items, ends, known) == slice) {
            return Err(known);
        }
        // INVARIANT: fewer than 2^32 slices: a batch holds one per key or case, and a
        // batch of 2^32 cases is past what one run reads (its records alone would be
        // hundreds of gigabytes).
        let place = u32::try_from(self.ends.len()).unwrap_or(u32::MAX);
        self.items.extend_from_slice(slice);
        self.ends.push(self.items.len());
        let (hasher, items, ends) = (&self.hasher, &self.items, &self.ends);
        self.index.insert_unique(hash, place, |&known| hasher.hash_one(slice_at(items, ends, known)));
        Ok(place)
    }

    /// The place of `slice`, when the table has it.
    pub(crate) fn find(&self, slice: &[T]) -> Option<u32> {
        let hash = self.hasher.hash_one(slice);
        self.index.find(hash, |&known| self.get(known) == slice).copied()
    }

    /// The slice at `place`; empty for a place the table does not have.
    pub(crate) fn get(&self, place: u32) -> &[T] {
        slice_at(&self.items, &self.ends, place)
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }
}

fn slice_at<'t, T>(items: &'t [T], ends: &[usize], place: u32) -> &'t [T] {
    let index = place as usize;
    let end = ends.get(index).copied().unwrap_or(0);
    let start = index.checked_sub(1).and_then(|previous| ends.get(previous)).copied().unwrap_or(0);
    items.get(start..end).unwrap_or(&[])
}
