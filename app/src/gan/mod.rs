//! GAN-UNET: training ([`train`]), the error ε of a trained generator on a data set's fixed
//! groups ([`eval`]), one group factorised by it ([`factorize`]), and the classical MU/HALS/ANLS
//! comparisons on the same groups ([`baselines`]), and both on one time–error plot ([`front`]).

pub mod baselines;
pub mod eval;
pub mod factorize;
pub mod front;
pub mod train;

use anyhow::{bail, Context};
use nmfnet_datasets::catalog::{self, DatasetId, ImageSet, Split};
use nmfnet_train::tasks::ganunet::GanTrainingConfig;
use std::path::Path;

/// The data set behind a GAN-UNET name: mnist, fashion or face (olivetti).
pub fn dataset_id(name: &str) -> anyhow::Result<DatasetId> {
    Ok(match name {
        "mnist" => DatasetId::Mnist,
        "fashion" => DatasetId::Fashion,
        "face" | "olivetti" => DatasetId::Olivetti,
        other => bail!("unknown GAN-UNET data set {other:?} (mnist, fashion, face)"),
    })
}

/// The training and test images of a GAN-UNET data set.
pub(crate) fn load_splits(
    name: &str,
    data_dir: Option<&Path>,
) -> anyhow::Result<(ImageSet, ImageSet)> {
    let id = dataset_id(name)?;
    let dir = catalog::data_dir(data_dir)?;
    Ok((
        catalog::load_images(id, Split::Train, &dir)?,
        catalog::load_images(id, Split::Test, &dir)?,
    ))
}

/// The training config saved in a `gan train` checkpoint folder.
pub fn checkpoint_training_config(dir: &Path) -> anyhow::Result<GanTrainingConfig> {
    let (value, state) = nmfnet_train::checkpoint::checkpoint_contents(dir)?;
    let cfg: GanTrainingConfig = serde_json::from_value(value)
        .with_context(|| format!("{} does not hold a GAN-UNET checkpoint", dir.display()))?;
    // The generator's weights are in the state as f32: a config naming a wider model than the
    // state holds is refused before that model is built (a few bytes could ask for gigabytes).
    // Counted only for a config that can be built (its widths and levels within bounds).
    cfg.generator.validate()?;
    if !(1..=10).contains(&cfg.generator.levels) {
        anyhow::bail!(
            "{} names generator.levels = {}: at most 10",
            dir.display(),
            cfg.generator.levels
        );
    }
    let params = cfg.generator.parameter_count();
    if (state as u64) < params.saturating_mul(4) {
        anyhow::bail!(
            "{} holds {state} bytes of state, but the generator its config describes has {params} parameters ({} bytes as f32): the config is not this state's",
            dir.display(),
            params.saturating_mul(4)
        );
    }
    Ok(cfg)
}
