//! The model file: a converted TFLite graph, as `scripts/vendor-models.sh` writes it.
//!
//! ```text
//! bytes 0..4     b"ZJNN"
//! bytes 4..8     u32 LE: H, the length of the JSON header
//! bytes 8..8+H   the JSON header: input, outputs, the ops in execution order
//! zero bytes up to the next multiple of 4 from the file's start
//! the rest       the weights: IEEE-754 half floats, little-endian, packed
//! ```
//!
//! Each op names its input and output tensors (TFLite's tensor indices) and the output's NHWC
//! shape (batch 1); constants are `{offset, shape}` in half floats from the weights' start. Op
//! kinds: `conv2d` (filter `[O, KH, KW, I]`), `depthwise_conv2d` (filter `[1, KH, KW, C]`),
//! `add`, `relu`, `prelu`, `max_pool2d`, `pad` (zeros), `reshape`, `concatenation`. Parsing
//! checks every shape against the one the op computes, so a model that parses runs without
//! out-of-bounds indexing.

use serde::Deserialize;

/// A model file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// The file does not start with `ZJNN` and a header length that fits.
    #[error("not a model file (no ZJNN header)")]
    NotAModel,
    /// The JSON header does not parse.
    #[error("the model's header does not parse: {0}")]
    Header(String),
    /// A format version this code does not read.
    #[error("model format {0} is not supported (this code reads format 1)")]
    Format(u32),
    /// An op that cannot run as described.
    #[error("op {index} ({kind}): {problem}")]
    Op {
        /// Position in the op list.
        index: usize,
        /// The op's kind.
        kind: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// The model's input or an output is not what a face detector needs.
    #[error("model interface: {0}")]
    Interface(String),
}

/// A tensor's index in the model.
pub(crate) type TensorId = u32;

/// Height, width, channels of an activation (batch 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dims {
    pub(crate) h: usize,
    pub(crate) w: usize,
    pub(crate) c: usize,
}

impl Dims {
    /// Values in the tensor.
    pub(crate) fn len(self) -> usize {
        self.h * self.w * self.c
    }

    /// NHWC shapes of rank 1 to 4 (batch 1) as height × width × channels.
    fn from_shape(shape: &[usize]) -> Option<Self> {
        let dims = match *shape {
            [1, h, w, c] => Self { h, w, c },
            [1, w, c] => Self { h: 1, w, c },
            [1, c] => Self { h: 1, w: 1, c },
            [c] => Self { h: 1, w: 1, c },
            _ => return None,
        };
        Some(dims)
    }
}

/// A window op's geometry: kernel, stride and the zeros (or ignored cells) before each axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) kh: usize,
    pub(crate) kw: usize,
    pub(crate) stride_h: usize,
    pub(crate) stride_w: usize,
    pub(crate) pad_top: usize,
    pub(crate) pad_left: usize,
}

/// One step of the network, with its constants decoded and laid out for the kernels.
#[derive(Debug, Clone)]
pub(crate) enum OpKind {
    /// Convolution; `weights` as `[KH][KW][I][O]` (output channels innermost).
    Conv {
        window: Window,
        weights: Vec<f32>,
        bias: Vec<f32>,
    },
    /// Depthwise convolution (multiplier 1); `weights` as `[KH][KW][C]`.
    Depthwise {
        window: Window,
        weights: Vec<f32>,
        bias: Vec<f32>,
    },
    /// Elementwise sum of two tensors of the same shape.
    Add { other: TensorId },
    /// max(x, 0).
    Relu,
    /// x, or `alpha[c] · x` below zero.
    Prelu { alpha: Vec<f32> },
    /// Maximum over each window.
    MaxPool { window: Window },
    /// Zeros around the tensor: `(before, after)` per height, width, channels.
    Pad { paddings: [(usize, usize); 3] },
    /// The same values under another shape.
    Reshape,
    /// The inputs one after the other (concatenation on the outermost non-batch axis); the
    /// inputs after the first, with their value counts.
    Concat { others: Vec<(TensorId, usize)> },
}

/// An op of the network.
#[derive(Debug, Clone)]
pub(crate) struct Op {
    pub(crate) kind: OpKind,
    /// The first (or only) input.
    pub(crate) input: TensorId,
    pub(crate) input_dims: Dims,
    pub(crate) output: TensorId,
    pub(crate) output_dims: Dims,
    /// ReLU applied to the output (the model's fused activation, or a following `relu` folded
    /// in by the planner).
    pub(crate) relu: bool,
}

impl Op {
    /// Every tensor the op reads.
    pub(crate) fn inputs(&self) -> Vec<TensorId> {
        let mut inputs = vec![self.input];
        match &self.kind {
            OpKind::Add { other } => inputs.push(*other),
            OpKind::Concat { others } => inputs.extend(others.iter().map(|(t, _)| *t)),
            _ => {}
        }
        inputs
    }
}

/// A parsed model: input, outputs and ops.
#[derive(Debug, Clone)]
pub(crate) struct Model {
    pub(crate) input: TensorId,
    pub(crate) input_dims: Dims,
    /// Outputs by name, with their value counts.
    pub(crate) outputs: Vec<(String, TensorId, usize)>,
    pub(crate) ops: Vec<Op>,
}

#[derive(Deserialize)]
struct Header {
    format: u32,
    input: TensorRef,
    outputs: Vec<OutputRef>,
    ops: Vec<RawOp>,
}

#[derive(Deserialize)]
struct TensorRef {
    tensor: TensorId,
    shape: Vec<usize>,
}

#[derive(Deserialize)]
struct OutputRef {
    name: String,
    tensor: TensorId,
    shape: Vec<usize>,
}

#[derive(Deserialize, Clone, Copy)]
struct Constant {
    offset: usize,
    #[serde(default)]
    shape: ShapeOf4,
}

/// A constant's shape (up to rank 4).
#[derive(Deserialize, Clone, Copy, Default)]
#[serde(from = "Vec<usize>")]
struct ShapeOf4 {
    dims: [usize; 4],
    rank: usize,
}

impl From<Vec<usize>> for ShapeOf4 {
    fn from(shape: Vec<usize>) -> Self {
        let mut dims = [1; 4];
        let rank = shape.len().min(4);
        dims[..rank].copy_from_slice(&shape[..rank]);
        Self { dims, rank }
    }
}

impl ShapeOf4 {
    fn count(&self) -> usize {
        self.dims[..self.rank].iter().product()
    }
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Padding {
    Same,
    Valid,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
enum Activation {
    #[default]
    None,
    Relu,
}

#[derive(Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum RawOp {
    Conv2d {
        input: TensorId,
        output: TensorId,
        shape: Vec<usize>,
        filter: Constant,
        bias: Constant,
        stride: [usize; 2],
        padding: Padding,
        #[serde(default)]
        activation: Activation,
    },
    DepthwiseConv2d {
        input: TensorId,
        output: TensorId,
        shape: Vec<usize>,
        filter: Constant,
        bias: Constant,
        stride: [usize; 2],
        padding: Padding,
        #[serde(default)]
        activation: Activation,
        #[serde(default = "one")]
        multiplier: usize,
    },
    Add {
        inputs: [TensorId; 2],
        output: TensorId,
        shape: Vec<usize>,
        #[serde(default)]
        activation: Activation,
    },
    Relu {
        input: TensorId,
        output: TensorId,
        shape: Vec<usize>,
    },
    Prelu {
        input: TensorId,
        output: TensorId,
        shape: Vec<usize>,
        alpha: Constant,
    },
    MaxPool2d {
        input: TensorId,
        output: TensorId,
        shape: Vec<usize>,
        filter: [usize; 2],
        stride: [usize; 2],
        padding: Padding,
    },
    Pad {
        input: TensorId,
        output: TensorId,
        shape: Vec<usize>,
        paddings: [[usize; 2]; 4],
    },
    Reshape {
        input: TensorId,
        output: TensorId,
        shape: Vec<usize>,
    },
    Concatenation {
        inputs: Vec<TensorId>,
        output: TensorId,
        shape: Vec<usize>,
        axis: usize,
    },
}

fn one() -> usize {
    1
}

impl RawOp {
    fn kind_name(&self) -> &'static str {
        match self {
            RawOp::Conv2d { .. } => "conv2d",
            RawOp::DepthwiseConv2d { .. } => "depthwise_conv2d",
            RawOp::Add { .. } => "add",
            RawOp::Relu { .. } => "relu",
            RawOp::Prelu { .. } => "prelu",
            RawOp::MaxPool2d { .. } => "max_pool2d",
            RawOp::Pad { .. } => "pad",
            RawOp::Reshape { .. } => "reshape",
            RawOp::Concatenation { .. } => "concatenation",
        }
    }
}

/// Splits a model file into its header and its weights (as f32).
fn split(bytes: &[u8]) -> Result<(Header, Vec<f32>), ModelError> {
    let header_len = bytes
        .get(..8)
        .filter(|head| &head[..4] == b"ZJNN")
        .map(|head| u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize)
        .ok_or(ModelError::NotAModel)?;
    let json = bytes
        .get(8..8usize.saturating_add(header_len))
        .ok_or(ModelError::NotAModel)?;
    let header: Header =
        serde_json::from_slice(json).map_err(|e| ModelError::Header(e.to_string()))?;
    if header.format != 1 {
        return Err(ModelError::Format(header.format));
    }
    let weights_start = (8 + header_len).next_multiple_of(4);
    let weights = bytes
        .get(weights_start..)
        .unwrap_or_default()
        .chunks_exact(2)
        .map(|pair| half::f16::from_le_bytes([pair[0], pair[1]]).to_f32())
        .collect();
    Ok((header, weights))
}

/// Parses and checks a model file.
pub(crate) fn parse(bytes: &[u8]) -> Result<Model, ModelError> {
    let (header, weights) = split(bytes)?;
    let input_dims = Dims::from_shape(&header.input.shape)
        .ok_or_else(|| ModelError::Interface("the input is not an NHWC image".into()))?;
    let mut known = std::collections::HashMap::from([(header.input.tensor, input_dims)]);
    let mut ops = Vec::with_capacity(header.ops.len());
    for (index, raw) in header.ops.iter().enumerate() {
        let op = build_op(raw, &weights, &known).map_err(|problem| ModelError::Op {
            index,
            kind: raw.kind_name(),
            problem,
        })?;
        known.insert(op.output, op.output_dims);
        ops.push(op);
    }
    let outputs = header
        .outputs
        .iter()
        .map(|out| {
            let dims = known.get(&out.tensor).copied();
            let count: usize = out.shape.iter().product();
            match dims {
                Some(dims) if dims.len() == count => Ok((out.name.clone(), out.tensor, count)),
                _ => Err(ModelError::Interface(format!(
                    "output {} is not computed with shape {:?}",
                    out.name, out.shape
                ))),
            }
        })
        .collect::<Result<_, _>>()?;
    Ok(Model {
        input: header.input.tensor,
        input_dims,
        outputs,
        ops,
    })
}

/// The values of `constant`, which must hold `expected` of them.
fn take(weights: &[f32], constant: Constant, expected: usize) -> Result<Vec<f32>, String> {
    if constant.shape.count() != expected {
        return Err(format!(
            "a constant has {} values where {expected} are needed",
            constant.shape.count()
        ));
    }
    weights
        .get(constant.offset..constant.offset.saturating_add(expected))
        .map(<[f32]>::to_vec)
        .ok_or_else(|| format!("a constant lies outside the {} weights", weights.len()))
}

/// Output size and padding before, per axis, of a window op (TFLite's SAME and VALID).
fn window_axis(
    input: usize,
    kernel: usize,
    stride: usize,
    padding: Padding,
) -> Result<(usize, usize), String> {
    if kernel == 0 || stride == 0 {
        return Err("kernel and stride must be at least 1".into());
    }
    match padding {
        Padding::Same => {
            let out = input.div_ceil(stride);
            let total = ((out - 1) * stride + kernel).saturating_sub(input);
            Ok((out, total / 2))
        }
        Padding::Valid if input >= kernel => Ok(((input - kernel) / stride + 1, 0)),
        Padding::Valid => Err("the kernel is larger than the input".into()),
    }
}

/// The window of a `kh × kw` op over `input`, checked to produce `output`.
fn window(
    input: Dims,
    output: Dims,
    (kh, kw): (usize, usize),
    stride: [usize; 2],
    padding: Padding,
) -> Result<Window, String> {
    let (out_h, pad_top) = window_axis(input.h, kh, stride[0], padding)?;
    let (out_w, pad_left) = window_axis(input.w, kw, stride[1], padding)?;
    if (out_h, out_w) != (output.h, output.w) {
        return Err(format!(
            "computes {out_h}×{out_w} where the model says {}×{}",
            output.h, output.w
        ));
    }
    Ok(Window {
        kh,
        kw,
        stride_h: stride[0],
        stride_w: stride[1],
        pad_top,
        pad_left,
    })
}

/// Reorders a `[O][KH][KW][I]` filter to `[KH][KW][I][O]`.
fn output_channels_innermost(filter: &[f32], o: usize, taps: usize, i: usize) -> Vec<f32> {
    let mut out = vec![0.0; filter.len()];
    for oc in 0..o {
        for tap in 0..taps {
            for ic in 0..i {
                out[(tap * i + ic) * o + oc] = filter[(oc * taps + tap) * i + ic];
            }
        }
    }
    out
}

fn build_op(
    raw: &RawOp,
    weights: &[f32],
    known: &std::collections::HashMap<TensorId, Dims>,
) -> Result<Op, String> {
    let dims_of = |tensor: TensorId| {
        known
            .get(&tensor)
            .copied()
            .ok_or_else(|| format!("reads tensor {tensor} before it is computed"))
    };
    let output_dims = |shape: &[usize]| {
        Dims::from_shape(shape).ok_or_else(|| format!("output shape {shape:?} is not NHWC"))
    };
    let op = |kind, input, input_dims, output, output_dims, relu| Op {
        kind,
        input,
        input_dims,
        output,
        output_dims,
        relu,
    };
    match raw {
        RawOp::Conv2d {
            input,
            output,
            shape,
            filter,
            bias,
            stride,
            padding,
            activation,
        } => {
            let (i_dims, o_dims) = (dims_of(*input)?, output_dims(shape)?);
            let [o, kh, kw, i] = filter.shape.dims;
            if o != o_dims.c || i != i_dims.c {
                return Err("filter channels do not match the tensors".into());
            }
            let window = window(i_dims, o_dims, (kh, kw), *stride, *padding)?;
            let filter = take(weights, *filter, o * kh * kw * i)?;
            let kind = OpKind::Conv {
                window,
                weights: output_channels_innermost(&filter, o, kh * kw, i),
                bias: take(weights, *bias, o)?,
            };
            let relu = *activation == Activation::Relu;
            Ok(op(kind, *input, i_dims, *output, o_dims, relu))
        }
        RawOp::DepthwiseConv2d {
            input,
            output,
            shape,
            filter,
            bias,
            stride,
            padding,
            activation,
            multiplier,
        } => {
            let (i_dims, o_dims) = (dims_of(*input)?, output_dims(shape)?);
            let [_, kh, kw, c] = filter.shape.dims;
            if *multiplier != 1 || c != i_dims.c || c != o_dims.c {
                return Err("only multiplier 1 with matching channels is supported".into());
            }
            let kind = OpKind::Depthwise {
                window: window(i_dims, o_dims, (kh, kw), *stride, *padding)?,
                weights: take(weights, *filter, kh * kw * c)?,
                bias: take(weights, *bias, c)?,
            };
            let relu = *activation == Activation::Relu;
            Ok(op(kind, *input, i_dims, *output, o_dims, relu))
        }
        RawOp::Add {
            inputs: [a, b],
            output,
            shape,
            activation,
        } => {
            let (a_dims, b_dims, o_dims) = (dims_of(*a)?, dims_of(*b)?, output_dims(shape)?);
            if a_dims != b_dims || a_dims != o_dims {
                return Err("adds tensors of different shapes".into());
            }
            let relu = *activation == Activation::Relu;
            Ok(op(
                OpKind::Add { other: *b },
                *a,
                a_dims,
                *output,
                o_dims,
                relu,
            ))
        }
        RawOp::Relu {
            input,
            output,
            shape,
        } => {
            let (i_dims, o_dims) = (dims_of(*input)?, output_dims(shape)?);
            if i_dims != o_dims {
                return Err("changes the shape".into());
            }
            Ok(op(OpKind::Relu, *input, i_dims, *output, o_dims, true))
        }
        RawOp::Prelu {
            input,
            output,
            shape,
            alpha,
        } => {
            let (i_dims, o_dims) = (dims_of(*input)?, output_dims(shape)?);
            if i_dims != o_dims {
                return Err("changes the shape".into());
            }
            let alpha = take(weights, *alpha, i_dims.c)?;
            Ok(op(
                OpKind::Prelu { alpha },
                *input,
                i_dims,
                *output,
                o_dims,
                false,
            ))
        }
        RawOp::MaxPool2d {
            input,
            output,
            shape,
            filter,
            stride,
            padding,
        } => {
            let (i_dims, o_dims) = (dims_of(*input)?, output_dims(shape)?);
            if i_dims.c != o_dims.c {
                return Err("changes the channel count".into());
            }
            let window = window(i_dims, o_dims, (filter[0], filter[1]), *stride, *padding)?;
            Ok(op(
                OpKind::MaxPool { window },
                *input,
                i_dims,
                *output,
                o_dims,
                false,
            ))
        }
        RawOp::Pad {
            input,
            output,
            shape,
            paddings,
        } => {
            let (i_dims, o_dims) = (dims_of(*input)?, output_dims(shape)?);
            let [batch, h, w, c] = *paddings;
            let grown = |n: usize, [before, after]: [usize; 2]| n + before + after;
            if batch != [0, 0]
                || grown(i_dims.h, h) != o_dims.h
                || grown(i_dims.w, w) != o_dims.w
                || grown(i_dims.c, c) != o_dims.c
            {
                return Err("paddings do not match the output shape".into());
            }
            let paddings = [(h[0], h[1]), (w[0], w[1]), (c[0], c[1])];
            Ok(op(
                OpKind::Pad { paddings },
                *input,
                i_dims,
                *output,
                o_dims,
                false,
            ))
        }
        RawOp::Reshape {
            input,
            output,
            shape,
        } => {
            let i_dims = dims_of(*input)?;
            let o_dims = output_dims(shape)?;
            if i_dims.len() != o_dims.len() {
                return Err("changes the value count".into());
            }
            Ok(op(OpKind::Reshape, *input, i_dims, *output, o_dims, false))
        }
        RawOp::Concatenation {
            inputs,
            output,
            shape,
            axis,
        } => {
            let (first, others) = inputs.split_first().ok_or("has no inputs")?;
            let o_dims = output_dims(shape)?;
            let outer: usize = shape.get(1..*axis).unwrap_or_default().iter().product();
            if *axis == 0 || outer != 1 {
                return Err("only the outermost non-batch axis is supported".into());
            }
            let others = others
                .iter()
                .map(|&t| dims_of(t).map(|dims| (t, dims.len())))
                .collect::<Result<Vec<_>, _>>()?;
            let first_len = dims_of(*first)?.len();
            if first_len + others.iter().map(|(_, n)| n).sum::<usize>() != o_dims.len() {
                return Err("inputs do not add up to the output".into());
            }
            let kind = OpKind::Concat { others };
            Ok(op(kind, *first, dims_of(*first)?, *output, o_dims, false))
        }
    }
}
