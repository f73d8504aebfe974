//! From the network's raw outputs to faces: scores through a sigmoid, boxes and keypoints
//! relative to their anchors, then MediaPipe's weighted non-maximum suppression (overlapping
//! boxes are averaged, weighted by score, rather than dropped).

use crate::face::{Face, Keypoint, KeypointName};
use crate::image::Letterbox;

/// Values per anchor in the regressors: box centre x, y, width, height, then six (x, y).
pub(crate) const VALUES_PER_ANCHOR: usize = 16;
/// Logits beyond ±this are clipped before the sigmoid (MediaPipe's `score_clipping_thresh`).
const LOGIT_CLIP: f32 = 100.0;
/// Boxes overlapping the best one by more than this IoU are merged into it.
const MERGE_IOU: f32 = 0.3;

/// A candidate in input fractions: box (x0, y0, x1, y1), then keypoints (x, y).
#[derive(Debug, Clone, Copy)]
struct Candidate {
    score: f32,
    corners: [f32; 4],
    keypoints: [[f32; 2]; 6],
}

impl Candidate {
    fn area(&self) -> f32 {
        (self.corners[2] - self.corners[0]).max(0.0) * (self.corners[3] - self.corners[1]).max(0.0)
    }

    fn iou(&self, other: &Candidate) -> f32 {
        let w = self.corners[2].min(other.corners[2]) - self.corners[0].max(other.corners[0]);
        let h = self.corners[3].min(other.corners[3]) - self.corners[1].max(other.corners[1]);
        let overlap = w.max(0.0) * h.max(0.0);
        let union = self.area() + other.area() - overlap;
        if union <= 0.0 {
            0.0
        } else {
            overlap / union
        }
    }
}

/// The anchors whose score reaches `min_score`, decoded (`input_size` in input pixels).
fn candidates(
    regressors: &[f32],
    logits: &[f32],
    anchors: &[[f32; 2]],
    input_size: f32,
    min_score: f32,
) -> Vec<Candidate> {
    let rows = regressors.chunks_exact(VALUES_PER_ANCHOR);
    rows.zip(logits)
        .zip(anchors)
        .filter_map(|((raw, &logit), &[ax, ay])| {
            let score = 1.0 / (1.0 + (-logit.clamp(-LOGIT_CLIP, LOGIT_CLIP)).exp());
            if score < min_score || !raw.iter().all(|v| v.is_finite()) {
                return None;
            }
            let (cx, cy) = (raw[0] / input_size + ax, raw[1] / input_size + ay);
            let (hw, hh) = (raw[2] / input_size / 2.0, raw[3] / input_size / 2.0);
            let mut keypoints = [[0.0; 2]; 6];
            for (k, point) in keypoints.iter_mut().enumerate() {
                let at = 4 + 2 * k;
                *point = [raw[at] / input_size + ax, raw[at + 1] / input_size + ay];
            }
            Some(Candidate {
                score,
                corners: [cx - hw, cy - hh, cx + hw, cy + hh],
                keypoints,
            })
        })
        .collect()
}

/// Weighted non-maximum suppression: the best remaining candidate absorbs every one that
/// overlaps it by more than [`MERGE_IOU`] (itself included), coordinates averaged by score;
/// the merged face keeps the best one's score.
fn weighted_nms(mut remaining: Vec<Candidate>) -> Vec<Candidate> {
    remaining.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept = Vec::new();
    while let Some(best) = remaining.first().copied() {
        // The best one always joins its own group, even as a degenerate box.
        let (overlapping, rest): (Vec<_>, Vec<_>) = remaining
            .into_iter()
            .enumerate()
            .partition(|(i, c)| *i == 0 || best.iou(c) > MERGE_IOU);
        let overlapping: Vec<Candidate> = overlapping.into_iter().map(|(_, c)| c).collect();
        let total: f32 = overlapping.iter().map(|c| c.score).sum();
        let mut merged = Candidate {
            score: best.score,
            corners: [0.0; 4],
            keypoints: [[0.0; 2]; 6],
        };
        for c in &overlapping {
            let weight = c.score / total;
            for (m, v) in merged.corners.iter_mut().zip(c.corners) {
                *m += v * weight;
            }
            for (m, v) in merged.keypoints.iter_mut().zip(c.keypoints) {
                m[0] += v[0] * weight;
                m[1] += v[1] * weight;
            }
        }
        kept.push(merged);
        remaining = rest.into_iter().map(|(_, c)| c).collect();
    }
    kept
}

/// Faces from the raw outputs, best first, in image pixels.
pub(crate) fn faces(
    regressors: &[f32],
    logits: &[f32],
    anchors: &[[f32; 2]],
    input_size: f32,
    placed: &Letterbox,
    min_score: f32,
) -> Vec<Face> {
    let found = candidates(regressors, logits, anchors, input_size, min_score);
    let to_x = |fraction: f32| placed.image_x(fraction * input_size);
    let to_y = |fraction: f32| placed.image_y(fraction * input_size);
    weighted_nms(found)
        .into_iter()
        .map(|c| {
            let (x0, y0) = (to_x(c.corners[0]), to_y(c.corners[1]));
            let (x1, y1) = (to_x(c.corners[2]), to_y(c.corners[3]));
            let keypoints = std::array::from_fn(|k| Keypoint {
                name: KeypointName::ALL[k],
                x: to_x(c.keypoints[k][0]),
                y: to_y(c.keypoints[k][1]),
            });
            Face {
                x: x0,
                y: y0,
                width: x1 - x0,
                height: y1 - y0,
                score: c.score,
                keypoints,
            }
        })
        .collect()
}
