//! Whether a wgpu adapter works here, and what a wgpu case does without one.

/// Whether the wgpu backend has an adapter here (on a machine without a GPU: Mesa's lavapipe).
/// Without one the wgpu cases print a one-line skip message, unless `NMFNET_REQUIRE_WGPU=1`,
/// which makes them fail.
///
/// Generic (called with `backends::Wgpu`), so that the test binary that runs the wgpu cases is
/// the one that compiles wgpu's runtime, not this helper crate.
pub fn wgpu_ready<B: burn::tensor::backend::Backend>() -> bool {
    // Probed once: the probe swaps the process's panic hook, which must not race other tests.
    static READY: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ready = *READY.get_or_init(nmfnet_train::runtime::backend::backend_works::<B>);
    if !ready {
        no_wgpu_adapter();
    }
    ready
}

/// What a wgpu case does when no adapter works: fails under `NMFNET_REQUIRE_WGPU=1`, else
/// prints a one-line skip message.
pub fn no_wgpu_adapter() {
    if std::env::var("NMFNET_REQUIRE_WGPU").as_deref() == Ok("1") {
        panic!("NMFNET_REQUIRE_WGPU=1 but no wgpu adapter works (install mesa-vulkan-drivers libvulkan1)");
    }
    eprintln!(
        "skipping wgpu case: no wgpu adapter (set NMFNET_REQUIRE_WGPU=1 to make this an error)"
    );
}
