//! `gan factorize`: one group of images factorised by a trained generator (one forward pass,
//! plus optional rounds of alternating HALS): H, W and a PNG grid of inputs, reconstructions
//! and basis images.

use super::checkpoint_training_config;
use crate::job::RunOptions;
use anyhow::bail;
use burn::module::AutodiffModule;
use burn::tensor::ElementConversion;
use ganunet_burn::{group_error, reconstruct};
use nmfnet_datasets::catalog::ImageSet;
use nmfnet_datasets::io::{atomic_write, gray_grid_png, read_image_folder, write_npy};
use nmfnet_datasets::Dense;
use nmfnet_train::checkpoint::load_checkpoint;
use nmfnet_train::runtime::backend::{dispatch, BackendJob, BackendKind};
use nmfnet_train::tasks::ganunet::{GanTask, GanTrainingConfig, PaddedImages};
use nmfnet_train::tasks::transfer::{to_device, to_host};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use symnmf_burn::SymNmfAutodiffBackend;

/// One group (a folder of images) to factorise. Written to `job.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GanFactorizeJob {
    /// Folder of a `gan train` run.
    pub checkpoint: PathBuf,
    /// A folder of exactly one group of same-size PNG/PGM images (file-name order).
    pub images: PathBuf,
    /// Rounds of alternating HALS after the forward pass.
    #[serde(default)]
    pub refine: usize,
    #[serde(default)]
    pub backend: BackendKind,
    /// The output folder (required): H.npy ((height·width) × k, one basis image per column),
    /// W.npy (k × m), grid.png.
    pub run: RunOptions,
}

#[derive(Serialize, Debug, Clone)]
pub struct GanFactorizeSummary {
    pub images: usize,
    pub k: usize,
    /// ε of this group (paper eq. 4).
    pub error: f64,
    pub seconds: f64,
}

struct FactorizeJob<'a> {
    cfg: GanTrainingConfig,
    dir: &'a Path,
    set: &'a ImageSet,
    refine: usize,
}

impl BackendJob for FactorizeJob<'_> {
    type Output = anyhow::Result<(Dense, Dense, Dense, f64, f64)>;
    fn run<B: SymNmfAutodiffBackend>(self, device: B::Device, _: &'static str) -> Self::Output {
        let mut task = GanTask::<B>::new(self.cfg.clone(), self.set, &device)?;
        load_checkpoint(self.dir, &mut task)?;
        let data = PaddedImages::new(self.set, &self.cfg.generator)?;
        let g = task.generator().valid();
        let m = self.cfg.generator.group;
        let all: Vec<usize> = (0..m).collect();
        let host = data.batch(&[&all]);
        let started = std::time::Instant::now();
        let y = to_device::<B::InnerBackend>(&Dense::new(1, host.len(), host)?, &device)
            .reshape([1, m, data.side, data.side]);
        let (h, w) = g.factorize(y.clone(), self.refine);
        let y_hat = reconstruct(h.clone(), w.clone());
        let secs = started.elapsed().as_secs_f64();
        let err = group_error(data.crop(y_hat.clone()), data.crop(y))
            .into_scalar()
            .elem::<f64>();
        let k = self.cfg.generator.k;
        let (hh, ww) = (data.height, data.width);
        let h_img = to_host(data.crop(h).reshape([k, hh * ww]));
        let rec = to_host(data.crop(y_hat).reshape([m, hh * ww]));
        let w = to_host(w.reshape([k, m]));
        Ok((h_img, w, rec, err, secs))
    }
}

/// A group factorised by a trained generator (one forward pass).
#[derive(Debug, Clone)]
pub struct Factorized {
    /// k × pixels, one basis image per row.
    pub h: Dense,
    /// k × m.
    pub w: Dense,
    /// m × pixels, the reconstructions.
    pub rec: Dense,
    /// ε of the group.
    pub error: f64,
    /// Seconds of the forward pass (and the refinement rounds).
    pub seconds: f64,
}

/// The most refinement rounds (HALS sweeps after the forward pass) a run may ask for: far
/// past where they stop paying (the fronts measure 0 to 10), and a bound on the time.
pub const MAX_REFINE: usize = 10_000;

/// Refuses a `refine` beyond [`MAX_REFINE`].
pub(crate) fn check_refine(refine: usize) -> anyhow::Result<()> {
    anyhow::ensure!(
        refine <= MAX_REFINE,
        "`refine` must be at most {MAX_REFINE} rounds, got {refine}"
    );
    Ok(())
}

/// Factorises `set` (exactly one group: as many images as the generator takes, one per row)
/// with the generator of the checkpoint in `checkpoint`, then `refine` rounds of alternating
/// HALS.
pub fn factorize_images(
    checkpoint: &Path,
    set: &ImageSet,
    refine: usize,
    backend: BackendKind,
) -> anyhow::Result<Factorized> {
    check_refine(refine)?;
    let cfg = checkpoint_training_config(checkpoint)?;
    anyhow::ensure!(
        set.images.nrows() == cfg.generator.group,
        "the generator factorises groups of {} images, got {}",
        cfg.generator.group,
        set.images.nrows()
    );
    let (h, w, rec, error, seconds) = dispatch(
        backend,
        FactorizeJob {
            cfg,
            dir: checkpoint,
            set,
            refine,
        },
    )??;
    Ok(Factorized {
        h,
        w,
        rec,
        error,
        seconds,
    })
}

/// Factorises the folder `job.images` and writes H.npy, W.npy and grid.png to its output
/// folder.
pub fn gan_factorize(job: &GanFactorizeJob) -> anyhow::Result<GanFactorizeSummary> {
    let (req, backend) = (job, job.backend);
    let cfg = checkpoint_training_config(&req.checkpoint)?;
    let folder = read_image_folder(&req.images)?;
    if job.run.resume() {
        bail!("`resume`: a factorisation is not checkpointed; run it again");
    }
    cfg.check_image_shape(
        folder.height,
        folder.width,
        &format!("the images of {}", req.images.display()),
    )?;
    let m = folder.matrix.ncols();
    if m != cfg.generator.group {
        bail!(
            "{} holds {m} images but the generator factorises groups of {}",
            req.images.display(),
            cfg.generator.group
        );
    }
    let Some(mut out) = job
        .run
        .open("gan-factorize", &[&req.checkpoint, &req.images])?
    else {
        bail!("`out` is required: the factorisation is written there");
    };
    // Images as rows (the folder reader gives pixels × images).
    let px = folder.height * folder.width;
    let mut rows = vec![0.0f32; m * px];
    for p in 0..px {
        for j in 0..m {
            rows[j * px + p] = folder.matrix.get(p, j);
        }
    }
    let set = ImageSet {
        images: Dense::new(m, px, rows.clone())?,
        height: folder.height,
        width: folder.width,
        labels: vec![0; m],
    };
    let Factorized {
        h,
        w,
        rec,
        error,
        seconds,
    } = factorize_images(&req.checkpoint, &set, req.refine, backend)?;
    // H with one basis image per column.
    let k = cfg.generator.k;
    let mut hcols = vec![0.0f32; px * k];
    for l in 0..k {
        for p in 0..px {
            hcols[p * k + l] = h.get(l, p);
        }
    }
    write_npy(&out.file("H.npy")?, &Dense::new(px, k, hcols)?)?;
    write_npy(&out.file("W.npy")?, &w)?;
    let mut tiles: Vec<Vec<f32>> = (0..m)
        .map(|j| rows[j * px..(j + 1) * px].to_vec())
        .collect();
    tiles.extend((0..m).map(|j| rec.row(j).to_vec()));
    tiles.extend((0..k).map(|l| h.row(l).to_vec()));
    atomic_write(
        &out.file("grid.png")?,
        &gray_grid_png(&tiles, folder.height, folder.width, 10)?,
    )?;
    let summary = GanFactorizeSummary {
        images: m,
        k,
        error,
        seconds,
    };
    crate::job::write_job(&mut out, job)?;
    out.commit()?;
    Ok(summary)
}
