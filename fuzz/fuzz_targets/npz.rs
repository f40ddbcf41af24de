//! The `scipy.sparse.save_npz` reader on arbitrary bytes, with its memory watched: a counting
//! allocator records the peak of live heap bytes during each call, and the target fails when it
//! passes a budget proportional to the input (the reader's own bound of 256 bytes per byte of
//! the archive, at least 64 MiB, times 8 for the decoded copies) — a small archive that claims
//! a huge shape or inflates like a bomb is a failure even when it does not crash.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fuzz_target!(|data: &[u8]| {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let _ = nmfnet_datasets::formats::npz::parse_sparse_npz(Path::new("x.npz"), data);
    let used = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    let budget = 8 * (data.len() * 256).max(64 << 20);
    assert!(
        used <= budget,
        "{} input bytes took {used} bytes of heap at the peak (budget {budget})",
        data.len()
    );
});
