//! Running a parsed model: buffers planned once (a tensor's buffer is reused as soon as its
//! last reader has run), ReLUs folded into the op before them, then each op's kernel in turn.

use std::collections::HashMap;

use crate::kernels;
use crate::model::{Dims, Model, Op, OpKind, TensorId};

/// A model ready to run; see the module doc.
#[derive(Debug, Clone)]
pub(crate) struct Network {
    ops: Vec<Op>,
    /// The buffer each tensor lives in.
    slot_of: HashMap<TensorId, usize>,
    slots: Vec<Vec<f32>>,
    input: TensorId,
    input_dims: Dims,
    outputs: Vec<(String, TensorId)>,
}

impl Network {
    /// Plans `model`'s buffers.
    pub(crate) fn new(model: Model) -> Self {
        let keep: Vec<TensorId> = model.outputs.iter().map(|(_, t, _)| *t).collect();
        let ops = fold_relus(model.ops, &keep);
        let mut last_read: HashMap<TensorId, usize> = HashMap::new();
        for (index, op) in ops.iter().enumerate() {
            for tensor in op.inputs() {
                last_read.insert(tensor, index);
            }
        }
        let mut slot_of = HashMap::from([(model.input, 0)]);
        let mut sizes = vec![model.input_dims.len()];
        let mut free: Vec<usize> = Vec::new();
        for (index, op) in ops.iter().enumerate() {
            let slot = free.pop().unwrap_or_else(|| {
                sizes.push(0);
                sizes.len() - 1
            });
            sizes[slot] = sizes[slot].max(op.output_dims.len());
            slot_of.insert(op.output, slot);
            for tensor in op.inputs() {
                let done = last_read.get(&tensor) == Some(&index);
                let reused_later = keep.contains(&tensor) || tensor == model.input;
                if done && !reused_later && !free.contains(&slot_of[&tensor]) {
                    free.push(slot_of[&tensor]);
                }
            }
        }
        Self {
            ops,
            slot_of,
            slots: sizes.into_iter().map(|n| vec![0.0; n]).collect(),
            input: model.input,
            input_dims: model.input_dims,
            outputs: model
                .outputs
                .into_iter()
                .map(|(name, tensor, _)| (name, tensor))
                .collect(),
        }
    }

    /// The input's height, width and channels.
    pub(crate) fn input_dims(&self) -> Dims {
        self.input_dims
    }

    /// The input buffer, to be filled before [`Network::run`].
    pub(crate) fn input_mut(&mut self) -> &mut [f32] {
        let len = self.input_dims.len();
        &mut self.slots[self.slot_of[&self.input]][..len]
    }

    /// Copies `input` into the input buffer and runs; `false` (nothing run) when it has another
    /// length than the model's input.
    pub(crate) fn run_on(&mut self, input: &[f32]) -> bool {
        let slot = self.input_mut();
        if slot.len() != input.len() {
            return false;
        }
        slot.copy_from_slice(input);
        self.run();
        true
    }

    /// Runs every op on the input buffer.
    pub(crate) fn run(&mut self) {
        for op in &self.ops {
            let out_slot = self.slot_of[&op.output];
            let mut out = std::mem::take(&mut self.slots[out_slot]);
            let read = |tensor: TensorId, len: usize| &self.slots[self.slot_of[&tensor]][..len];
            let output = &mut out[..op.output_dims.len()];
            let input = read(op.input, op.input_dims.len());
            run_op(op, input, output, &read);
            self.slots[out_slot] = out;
        }
    }

    /// The values of the output called `name` after a run.
    pub(crate) fn output(&self, name: &str) -> Option<&[f32]> {
        let (_, tensor) = self.outputs.iter().find(|(n, _)| n == name)?;
        let op = self.ops.iter().find(|op| op.output == *tensor)?;
        Some(&self.slots[self.slot_of[tensor]][..op.output_dims.len()])
    }
}

/// One op's kernel.
fn run_op<'a>(
    op: &Op,
    input: &[f32],
    output: &mut [f32],
    read: &impl Fn(TensorId, usize) -> &'a [f32],
) {
    let (from, to) = (op.input_dims, op.output_dims);
    match &op.kind {
        OpKind::Conv {
            window,
            weights,
            bias,
        } => {
            let filter = kernels::Filter::new(window, weights, bias);
            kernels::conv(input, from, &filter, to, op.relu, output);
        }
        OpKind::Depthwise {
            window,
            weights,
            bias,
        } => {
            let filter = kernels::Filter::new(window, weights, bias);
            kernels::depthwise(input, from, &filter, to, op.relu, output);
        }
        OpKind::Add { other } => kernels::add(input, read(*other, from.len()), op.relu, output),
        OpKind::Relu => kernels::relu(input, output),
        OpKind::Prelu { alpha } => kernels::prelu(input, alpha, output),
        OpKind::MaxPool { window } => kernels::max_pool(input, from, window, to, output),
        OpKind::Pad { paddings } => kernels::pad(input, from, paddings, to, output),
        OpKind::Reshape => output.copy_from_slice(input),
        OpKind::Concat { others } => {
            let (head, mut rest) = output.split_at_mut(input.len());
            head.copy_from_slice(input);
            for &(other, len) in others {
                let (dest, tail) = rest.split_at_mut(len);
                dest.copy_from_slice(read(other, len));
                rest = tail;
            }
        }
    }
}

/// Folds each `relu` into the op before it when that op's output is read by the `relu` alone
/// (and is not a model output): one pass over the data fewer.
fn fold_relus(ops: Vec<Op>, keep: &[TensorId]) -> Vec<Op> {
    let mut readers: HashMap<TensorId, usize> = HashMap::new();
    for op in &ops {
        for tensor in op.inputs() {
            *readers.entry(tensor).or_default() += 1;
        }
    }
    let mut folded: Vec<Op> = Vec::with_capacity(ops.len());
    for op in ops {
        if let (OpKind::Relu, Some(previous)) = (&op.kind, folded.last_mut()) {
            let foldable = !matches!(previous.kind, OpKind::Reshape | OpKind::Concat { .. });
            if foldable
                && previous.output == op.input
                && readers.get(&op.input) == Some(&1)
                && !keep.contains(&op.input)
            {
                previous.relu = true;
                previous.output = op.output;
                continue;
            }
        }
        folded.push(op);
    }
    folded
}
