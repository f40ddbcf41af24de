//! The figures of the GAN-UNET report (training curves, basis grids of GAN-UNET and HALS on
//! the first test group) and the commands behind its numbers.

use super::cells::{curve, first_group, gan_grid};
use super::plan::{Model, Plan};
use super::report::PAIRS;
use crate::plot::line_plot;
use nmfnet_app::gan::dataset_id;
use nmfnet_datasets::catalog::{self, Split};

/// Training curves and grids, per data set.
pub fn figures(plan: &Plan, md: &mut String) -> anyhow::Result<()> {
    let out = &plan.out;
    md.push_str("\n## Figures\n\n");
    for ds in &plan.datasets {
        let mut series = Vec::new();
        for model in [
            Model::Gan,
            Model::Unet,
            Model::GanNnls,
            Model::GanNarrow,
            Model::GanNnlsNarrow,
        ] {
            if let Some(s) = curve(&plan.train_dir(ds, model), model.label(), false) {
                series.push(s);
            }
        }
        if !series.is_empty() {
            let stem = out.join(format!("training_{ds}"));
            line_plot(
                &stem,
                &format!("GAN-UNET training on {ds}"),
                "step",
                "ε of the training groups (mean of 50 steps)",
                &series,
            )?;
            md.push_str(&format!("![training {ds}](training_{ds}.png)\n\n"));
        }
        let id = dataset_id(ds)?;
        let test = catalog::load_images(id, Split::Test, &plan.data_dir)?;
        let group = first_group(&test)?;
        let model = plan.train_dir(ds, Model::Gan);
        if model.join("checkpoint.bin").is_file() {
            let e = gan_grid(&model, &group, &out.join(format!("grid_{ds}_gan_unet.png")))?;
            md.push_str(&format!(
                "GAN-UNET on the first {ds} test group (ε {e:.3}): inputs, reconstructions, basis images\n\n![](grid_{ds}_gan_unet.png)\n\n"
            ));
        }
        for model in [Model::GanNnls, Model::GanNnlsNarrow] {
            let dir = plan.train_dir(ds, model);
            if dir.join("checkpoint.bin").is_file() {
                let file = format!("grid_{ds}_{}.png", model.key());
                let e = gan_grid(&dir, &group, &out.join(&file))?;
                md.push_str(&format!(
                    "{} on the same group (ε {e:.3}):\n\n![]({file})\n\n",
                    model.label()
                ));
            }
        }
        let hals = out
            .join("cells")
            .join(ds)
            .join("baselines")
            .join("hals_direct_grid.png");
        if hals.is_file() {
            std::fs::copy(&hals, out.join(format!("grid_{ds}_hals.png")))?;
            md.push_str(&format!(
                "HALS run on the same group (direct):\n\n![](grid_{ds}_hals.png)\n\n"
            ));
        }
        for (from, to) in PAIRS {
            let m = plan.train_dir(from, Model::Gan);
            if to == ds && m.join("checkpoint.bin").is_file() {
                let e = gan_grid(
                    &m,
                    &group,
                    &out.join(format!("grid_{from}_model_on_{to}.png")),
                )?;
                md.push_str(&format!(
                    "The {from} model on the first {to} test group (ε {e:.3}):\n\n![](grid_{from}_model_on_{to}.png)\n\n"
                ));
            }
        }
    }
    Ok(())
}

/// The command of every training and comparison run.
pub fn commands(plan: &Plan, md: &mut String) {
    md.push_str("## Commands\n\n");
    for ds in &plan.datasets {
        md.push_str(&format!(
            "- `{}`\n- `{}`\n",
            plan.train_command(ds, Model::Gan),
            plan.baselines_command(ds)
        ));
        for model in plan.extra_models(ds) {
            md.push_str(&format!("- `{}`\n", plan.train_command(ds, model)));
        }
    }
}
