//! The SSD anchors of BlazeFace short-range (MediaPipe's `SsdAnchorsCalculator` with the face
//! detection graph's options): a 16×16 grid with 2 anchors a cell, then an 8×8 grid with 6,
//! 896 in all, every anchor of unit size (`fixed_anchor_size`), so only centres matter.

/// Cells across and anchors per cell of each output grid, in output order.
const GRIDS: [(usize, usize); 2] = [(16, 2), (8, 6)];

/// Anchor centres as fractions of the input (x, y), in the model's output order.
pub(crate) fn anchor_centres() -> Vec<[f32; 2]> {
    let mut centres = Vec::with_capacity(896);
    for (cells, per_cell) in GRIDS {
        for y in 0..cells {
            for x in 0..cells {
                let centre = [
                    (x as f32 + 0.5) / cells as f32,
                    (y as f32 + 0.5) / cells as f32,
                ];
                centres.extend(std::iter::repeat_n(centre, per_cell));
            }
        }
    }
    centres
}
