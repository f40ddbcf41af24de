//! Class-balanced groups of images (SPEC §5): a group of m images holds m / C images of each
//! of the C classes (4 per digit for MNIST/Fashion, 1 per person for Olivetti). Training groups
//! are re-drawn every epoch from a seed; test groups are drawn once with a fixed seed.

use crate::config::GanUnetError;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// Splits the images (given by their labels) into as many disjoint class-balanced groups of
/// `group` images as the rarest class allows, shuffled by `seed`. Within a group the images
/// are ordered by class, so channel j always holds the same class.
pub fn balanced_groups(
    labels: &[usize],
    group: usize,
    seed: u64,
) -> Result<Vec<Vec<usize>>, GanUnetError> {
    if group == 0 {
        return Err(GanUnetError::EmptyGroup);
    }
    let classes = labels.iter().max().map_or(0, |m| m + 1);
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); classes];
    for (i, &l) in labels.iter().enumerate() {
        by_class[l].push(i);
    }
    by_class.retain(|c| !c.is_empty());
    let c = by_class.len();
    if c == 0 || !group.is_multiple_of(c) {
        return Err(GanUnetError::Unbalanced { group, classes: c });
    }
    let per = group / c;
    let count = by_class.iter().map(|v| v.len() / per).min().unwrap_or(0);
    if count == 0 {
        return Err(GanUnetError::Unbalanced { group, classes: c });
    }
    let mut rng = StdRng::seed_from_u64(seed);
    for v in &mut by_class {
        v.shuffle(&mut rng);
    }
    Ok((0..count)
        .map(|g| {
            by_class
                .iter()
                .flat_map(|v| v[g * per..(g + 1) * per].iter().copied())
                .collect()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_balanced_disjoint_and_seeded() {
        // 10 classes × 13 images, groups of 40: 4 per class, 3 groups (13 / 4).
        let labels: Vec<usize> = (0..130).map(|i| i % 10).collect();
        let g = balanced_groups(&labels, 40, 7).unwrap();
        assert_eq!(g.len(), 3);
        let mut seen = std::collections::HashSet::new();
        for grp in &g {
            assert_eq!(grp.len(), 40);
            for c in 0..10 {
                assert_eq!(grp.iter().filter(|&&i| labels[i] == c).count(), 4);
            }
            for (j, &i) in grp.iter().enumerate() {
                assert_eq!(labels[i], j / 4, "channel j holds class j / 4");
                assert!(seen.insert(i), "image {i} in two groups");
            }
        }
        assert_eq!(g, balanced_groups(&labels, 40, 7).unwrap());
        assert_ne!(g, balanced_groups(&labels, 40, 8).unwrap());
    }

    #[test]
    fn unbalanceable_requests_are_typed_errors() {
        let labels: Vec<usize> = (0..60).map(|i| i % 3).collect();
        assert_eq!(
            balanced_groups(&labels, 40, 0),
            Err(GanUnetError::Unbalanced {
                group: 40,
                classes: 3
            })
        );
        assert_eq!(
            balanced_groups(&labels, 0, 0),
            Err(GanUnetError::EmptyGroup)
        );
        assert!(balanced_groups(&[], 4, 0).is_err());
        // Too few images of one class for even one group.
        assert!(balanced_groups(&[0, 1, 1, 1], 4, 0).is_err());
    }
}
