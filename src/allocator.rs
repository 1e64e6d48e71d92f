//! The CLI's allocator: mimalloc for everything but huge blocks, which go to the system
//! allocator.
//!
//! A run keeps one vector of award records and one of case summaries, each grown by
//! doubling. mimalloc moves a huge block to grow it: the old and the new block are alive
//! together and every byte is copied, so at 10M cases the growth of the awards from 2.4 to
//! 4.8 GB set the run's peak. glibc maps a block this large on its own and grows it with
//! `mremap`, which moves the pages instead of copying them, and frees it back to the
//! system at once.

use std::alloc::{GlobalAlloc, Layout, System};

/// From this size a block is the system's. glibc maps anything from 32 MiB on (its
/// largest dynamic mmap threshold), so every such block can be remapped.
const HUGE: usize = 32 << 20;

/// The system allocator grows with `mremap` only the blocks `malloc` can align.
const SYSTEM_ALIGN: usize = 16;

pub struct Allocator;

fn is_huge(layout: Layout) -> bool {
    layout.size() >= HUGE && layout.align() <= SYSTEM_ALIGN
}

// SAFETY: every block is freed and resized by the allocator that made it: which one is
// decided by the block's layout alone, which the caller passes back unchanged.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc`, passed on.
        unsafe {
            if is_huge(layout) {
                System.alloc(layout)
            } else {
                mimalloc::MiMalloc.alloc(layout)
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        unsafe {
            if is_huge(layout) {
                System.alloc_zeroed(layout)
            } else {
                mimalloc::MiMalloc.alloc_zeroed(layout)
            }
        }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        // SAFETY: `block` was made with `layout`, so by the allocator `is_huge` names.
        unsafe {
            if is_huge(layout) {
                System.dealloc(block, layout)
            } else {
                mimalloc::MiMalloc.dealloc(block, layout)
            }
        }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract for `realloc`: `block` was made with `layout`, and
        // `new_size` with its alignment is a valid layout.
        unsafe {
            let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
            match (is_huge(layout), is_huge(new_layout)) {
                (true, true) => System.realloc(block, layout, new_size),
                (false, false) => mimalloc::MiMalloc.realloc(block, layout, new_size),
                // Across the line: a new block from the other allocator, and a copy.
                (_, _) => {
                    let moved = self.alloc(new_layout);
                    if !moved.is_null() {
                        std::ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
                        self.dealloc(block, layout);
                    }
                    moved
                }
            }
        }
    }
}
