//! Face landmarks for the blink: MediaPipe's face mesh (`face_landmark.tflite`, Apache-2.0, 468
//! points), run on a square crop around a detected face, turned so the eyes are level, as
//! MediaPipe's face landmark graph prepares it. Loaded only when a blink is asked.

use crate::face::{Face, KeypointName};
use crate::image::Image;
use crate::model::{self, ModelError};
use crate::network::Network;

/// Points of the mesh.
pub const MESH_POINTS: usize = 468;
/// The crop's side over the face box's longer side (MediaPipe's `scale_x`, `scale_y`).
const CROP_OVER_FACE: f32 = 1.5;
/// Six points of each eye for the eye aspect ratio, in the order p1 (outer corner), p2, p3
/// (upper lid), p4 (inner corner), p5, p6 (lower lid): the subject's right eye, then left.
const EYES: [[usize; 6]; 2] = [
    [33, 160, 158, 133, 153, 144],
    [263, 387, 385, 362, 380, 373],
];

/// The mesh's raw outputs, for holding it to another runtime of the same model.
#[derive(Debug, Clone, PartialEq)]
pub struct MeshOutput {
    /// 468 × (x, y, z) in input pixels of the 192×192 crop.
    pub points: Vec<f32>,
    /// The face-presence logit.
    pub presence: f32,
}

/// Landmarks of one face, in image pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceMesh {
    /// 468 points: x and y in image pixels, z in the same scale (depth, negative towards the
    /// camera).
    pub points: Vec<[f32; 3]>,
    /// How sure the model is that the crop holds a face, 0..=1.
    pub presence: f32,
}

impl FaceMesh {
    /// The eye aspect ratio of both eyes, averaged (Soukupová and Čech, 2016:
    /// (|p2−p6| + |p3−p5|) / (2 |p1−p4|)); about 0.25–0.35 open, under 0.15 closed; 0 for a
    /// degenerate mesh.
    pub fn eye_openness(&self) -> f32 {
        let d = |a: usize, b: usize| {
            let (p, q) = (self.points[a], self.points[b]);
            (p[0] - q[0]).hypot(p[1] - q[1])
        };
        let ratio = |[p1, p2, p3, p4, p5, p6]: [usize; 6]| {
            let width = d(p1, p4);
            if width <= f32::EPSILON {
                0.0
            } else {
                (d(p2, p6) + d(p3, p5)) / (2.0 * width)
            }
        };
        (ratio(EYES[0]) + ratio(EYES[1])) / 2.0
    }
}

/// Where the crop lies in the image: its centre, side and rotation (radians; the crop's x axis
/// is `(cos, sin)` in image pixels).
#[derive(Debug, Clone, Copy)]
struct Crop {
    centre: (f32, f32),
    side: f32,
    rotation: f32,
}

impl Crop {
    /// MediaPipe's region of interest for `face`: the box's centre, its longer side × 1.5,
    /// turned by the line from the right eye to the left.
    fn around(face: &Face) -> Self {
        let (rx, ry) = face.point(KeypointName::RightEye);
        let (lx, ly) = face.point(KeypointName::LeftEye);
        Self {
            centre: face.centre(),
            side: face.width.max(face.height) * CROP_OVER_FACE,
            rotation: (ly - ry).atan2(lx - rx),
        }
    }

    /// A crop coordinate (0..=1 each way) in image pixels.
    fn to_image(self, u: f32, v: f32) -> (f32, f32) {
        let (sin, cos) = self.rotation.sin_cos();
        let (du, dv) = ((u - 0.5) * self.side, (v - 0.5) * self.side);
        (
            self.centre.0 + du * cos - dv * sin,
            self.centre.1 + du * sin + dv * cos,
        )
    }
}

/// The face mesh model, ready to run.
#[derive(Debug, Clone)]
pub struct LandmarkModel {
    network: Network,
    points_output: String,
    presence_output: String,
}

impl LandmarkModel {
    /// Parses a model file and checks that it is a face mesh: a 192×192 RGB input, an output
    /// of 468 × 3 values and one of a single value.
    pub fn new(model_bytes: &[u8]) -> Result<Self, ModelError> {
        let model = model::parse(model_bytes)?;
        let dims = model.input_dims;
        if (dims.h, dims.w, dims.c) != (192, 192, 3) {
            return Err(ModelError::Interface("the input is not 192×192 RGB".into()));
        }
        let named = |count: usize| {
            model
                .outputs
                .iter()
                .find(|(_, _, n)| *n == count)
                .map(|(name, _, _)| name.clone())
        };
        let (Some(points_output), Some(presence_output)) = (named(MESH_POINTS * 3), named(1))
        else {
            return Err(ModelError::Interface(
                "outputs are not 468 × 3 points and a presence score".into(),
            ));
        };
        Ok(Self {
            network: Network::new(model),
            points_output,
            presence_output,
        })
    }

    /// The mesh of `face` in `image`.
    pub fn landmarks(&mut self, image: &Image<'_>, face: &Face) -> FaceMesh {
        let crop = Crop::around(face);
        let side = self.network.input_dims().w;
        fill_crop(image, crop, side, self.network.input_mut());
        self.network.run();
        let raw = self.outputs();
        let points = raw
            .points
            .chunks_exact(3)
            .map(|p| {
                let (x, y) = crop.to_image(p[0] / side as f32, p[1] / side as f32);
                [x, y, p[2] / side as f32 * crop.side]
            })
            .collect();
        FaceMesh {
            points,
            presence: 1.0 / (1.0 + (-raw.presence).exp()),
        }
    }

    /// Runs the network on a prepared input (192 × 192 × 3 values in 0..=1, row by row);
    /// `None` when `input` has another length.
    pub fn run_network(&mut self, input: &[f32]) -> Option<MeshOutput> {
        self.network.run_on(input).then(|| self.outputs())
    }

    fn outputs(&self) -> MeshOutput {
        let points = self.network.output(&self.points_output).unwrap_or_default();
        let presence = self
            .network
            .output(&self.presence_output)
            .unwrap_or_default();
        MeshOutput {
            points: points.to_vec(),
            presence: presence.first().copied().unwrap_or(f32::NEG_INFINITY),
        }
    }
}

/// Samples `crop` of `image` into `input` (`side × side × 3`, 0..=1, bilinear; black outside).
fn fill_crop(image: &Image<'_>, crop: Crop, side: usize, input: &mut [f32]) {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let rgba = image.rgba();
    let at = |x: usize, y: usize, c: usize| f32::from(rgba[(y * w + x) * 4 + c]);
    for (i, pixel) in input.chunks_exact_mut(3).enumerate() {
        let u = ((i % side) as f32 + 0.5) / side as f32;
        let v = ((i / side) as f32 + 0.5) / side as f32;
        let (sx, sy) = crop.to_image(u, v);
        let (sx, sy) = (sx - 0.5, sy - 0.5);
        if sx < -0.5 || sy < -0.5 || sx > w as f32 - 0.5 || sy > h as f32 - 0.5 {
            pixel.fill(0.0);
            continue;
        }
        let (x0, y0) = (sx.floor().max(0.0) as usize, sy.floor().max(0.0) as usize);
        let (x0, y0) = (x0.min(w - 1), y0.min(h - 1));
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let (fx, fy) = (
            (sx - x0 as f32).clamp(0.0, 1.0),
            (sy - y0 as f32).clamp(0.0, 1.0),
        );
        for (c, value) in pixel.iter_mut().enumerate() {
            let top = at(x0, y0, c) * (1.0 - fx) + at(x1, y0, c) * fx;
            let bottom = at(x0, y1, c) * (1.0 - fx) + at(x1, y1, c) * fx;
            *value = (top * (1.0 - fy) + bottom * fy) / 255.0;
        }
    }
}
