//! Settings of the C allocator for nmfnet's own processes (the command line, the benchmarks).
//!
//! A GAN-UNET training step at the paper's width allocates and frees hundreds of tensors of up
//! to 16 MB (gradients, their contiguous copies, Adam's updated moments and parameters). glibc
//! serves blocks above its mmap threshold (adjusted at run time, at most 32 MiB) with fresh
//! mappings and unmaps them when they are freed, so every step faulted the same memory in again,
//! page by page. Raising the mmap threshold to 256 MiB and the trim threshold to 512 MiB keeps
//! freed blocks in the heap for the next step. Measured on flex (2-core AMD EPYC, batch 1,
//! bench gan): a step 377 → 274 ms, Adam over the generator's 16.9 M parameters 103 → 55 ms; the
//! dense SymNMF-Net epoch at n = 9394 kept its peak memory (421 → 426 MB).
//!
//! Other allocators and platforms are left alone, and so is a threshold the user set through
//! glibc's own `MALLOC_MMAP_THRESHOLD_` / `MALLOC_TRIM_THRESHOLD_` variables. The Python module
//! does not call this: the allocator of a user's Python process is theirs.

/// Keeps freed memory for reuse instead of returning it to the system at every free (glibc on
/// Linux; a no-op elsewhere). Call once at the start of a process.
pub fn retain_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let set = |var: &str| std::env::var_os(var).is_some();
        // SAFETY: mallopt only changes the allocator's thresholds; it is called before the
        // process starts its worker threads.
        unsafe {
            if !set("MALLOC_MMAP_THRESHOLD_") {
                libc::mallopt(libc::M_MMAP_THRESHOLD, 256 << 20);
            }
            if !set("MALLOC_TRIM_THRESHOLD_") {
                libc::mallopt(libc::M_TRIM_THRESHOLD, 512 << 20);
            }
        }
    }
}
