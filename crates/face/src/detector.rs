//! The face detector: a model file, planned once, run on images.

use crate::anchors::anchor_centres;
use crate::decode::{self, VALUES_PER_ANCHOR};
use crate::face::Face;
use crate::image::{letterbox, Image};
use crate::model::{self, ModelError};
use crate::network::Network;

/// Faces scoring below this (0..=1) are not reported.
pub const MIN_SCORE: f32 = 0.5;

/// The network's raw outputs, for holding it to another runtime of the same model.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkOutput {
    /// 896 anchors × 16 values: box offset x, y, width, height and six keypoints (x, y), in
    /// input pixels relative to the anchor.
    pub regressors: Vec<f32>,
    /// 896 face logits (before the sigmoid).
    pub classificators: Vec<f32>,
}

/// BlazeFace short-range, ready to run; see the crate doc. Holds about 3 MB of buffers.
#[derive(Debug, Clone)]
pub struct Detector {
    network: Network,
    anchors: Vec<[f32; 2]>,
}

impl Detector {
    /// Parses a model file and checks that it is a BlazeFace short-range detector: a 128×128
    /// RGB input, `regressors` of 896 × 16 and `classificators` of 896 values.
    pub fn new(model_bytes: &[u8]) -> Result<Self, ModelError> {
        let model = model::parse(model_bytes)?;
        let anchors = anchor_centres();
        let dims = model.input_dims;
        if (dims.h, dims.w, dims.c) != (128, 128, 3) {
            return Err(ModelError::Interface("the input is not 128×128 RGB".into()));
        }
        let count = |name: &str| {
            model
                .outputs
                .iter()
                .find(|(n, _, _)| n == name)
                .map(|(_, _, count)| *count)
        };
        if count("regressors") != Some(anchors.len() * VALUES_PER_ANCHOR)
            || count("classificators") != Some(anchors.len())
        {
            return Err(ModelError::Interface(
                "outputs are not 896 × 16 regressors and 896 classificators".into(),
            ));
        }
        Ok(Self {
            network: Network::new(model),
            anchors,
        })
    }

    /// The faces in `image` scoring at least [`MIN_SCORE`], merged, best first, in its pixels.
    pub fn detect(&mut self, image: &Image<'_>) -> Vec<Face> {
        let dims = self.network.input_dims();
        let placed = letterbox(image, dims, self.network.input_mut());
        self.network.run();
        let (regressors, logits) = self.outputs();
        decode::faces(
            regressors,
            logits,
            &self.anchors,
            dims.w as f32,
            &placed,
            MIN_SCORE,
        )
    }

    /// Runs the network on a prepared input (128 × 128 × 3 values in −1..=1, row by row);
    /// `None` when `input` has another length.
    pub fn run_network(&mut self, input: &[f32]) -> Option<NetworkOutput> {
        if !self.network.run_on(input) {
            return None;
        }
        let (regressors, logits) = self.outputs();
        Some(NetworkOutput {
            regressors: regressors.to_vec(),
            classificators: logits.to_vec(),
        })
    }

    fn outputs(&self) -> (&[f32], &[f32]) {
        let get = |name| self.network.output(name).unwrap_or_default();
        (get("regressors"), get("classificators"))
    }
}
