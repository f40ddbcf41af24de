//! Progress bars on stderr: one over the steps of a training run, one over the iteration budget
//! of a classical solver. Both hide themselves when stderr is not a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The bar of [`crate::trainer::Trainer::run`]: `steps` in all, `start` already done (a resumed
/// run), the first metric and the ETA in its message.
pub fn step_bar(steps: usize, start: usize, label: &str) -> ProgressBar {
    let bar =
        ProgressBar::with_draw_target(Some(steps as u64), ProgressDrawTarget::stderr_with_hz(5));
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix} [{bar:30.cyan/blue}] {pos}/{len} {msg} [{elapsed_precise} < {eta_precise}]",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_prefix(label.to_string());
    bar.set_position(start as u64);
    bar
}

/// A bar over an iteration budget (classical solvers show the relative projected gradient in
/// its message); hidden when `quiet`.
pub fn iteration_bar(len: usize, label: &str, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len} it  {msg}  {elapsed} (ETA ≤ {eta})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_prefix(label.to_string());
    bar
}

/// A bar over a count of work items (groups of a data set), the work named in front of it;
/// hidden when `quiet`.
pub fn work_bar(len: usize, msg: String, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len as u64);
    pb.set_style(
        ProgressStyle::with_template("{msg:28} {bar:30} {pos}/{len} [{elapsed}<{eta}]")
            .expect("valid template"),
    );
    pb.set_message(msg);
    pb
}

/// A bar over the cells of a reproduction (the running cell in its message); hidden when
/// `quiet`.
pub fn cell_bar(len: usize, quiet: bool) -> ProgressBar {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(len as u64)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "reproduce [{bar:30}] {pos}/{len} cells  {msg}  {elapsed} (ETA {eta})",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar
}
