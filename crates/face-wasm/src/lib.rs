//! The face detector ([`zj_face`]) as a small raw WebAssembly module, without wasm-bindgen:
//! `scripts/build-pkg.sh` builds it twice, with wasm SIMD (`pkg/face-simd.wasm`) and without
//! (`pkg/face-scalar.wasm`), and the phone module loads the one the browser can run on first
//! use (`src/face_module.rs`). It imports nothing and exports its `memory` and these functions
//! (every argument and result an `i32`; a negative result is one of the `ERR_*` codes):
//!
//! | export | what |
//! |---|---|
//! | `abi_version() -> u32` | [`ABI_VERSION`]: the layout below; the loader refuses another |
//! | `alloc(len) -> ptr` | a zeroed buffer of `len` bytes (1 ..= [`MAX_ALLOC`]) owned by the module; 0 when it cannot |
//! | `free(ptr) -> status` | gives a buffer from `alloc` back |
//! | `load_model(ptr, len) -> status` | parses the model file written into a buffer (the buffer may be freed after) |
//! | `detect(ptr, width, height) -> count` | finds faces in the RGBA image (`width × height × 4` bytes) at the start of a buffer |
//! | `faces() -> ptr` | the faces of the last `detect`: `count ×` [`FACE_FLOATS`] little-endian `f32` |
//! | `load_landmarks(ptr, len) -> status` | parses the face mesh model file (`face-landmark.zjnn`) written into a buffer |
//! | `eye_openness(ptr, width, height, face_ptr) -> f32` | the mean eye aspect ratio of the face (one face's [`FACE_FLOATS`] values at the start of the buffer at `face_ptr`) in the image; negative on failure |
//! | `message_ptr() -> ptr`, `message_len() -> len` | the last error's text (UTF-8, English) |
//!
//! A face is `x, y, width, height, score`, then the six keypoints' `x, y` in MediaPipe's order
//! (right eye, left eye, nose tip, mouth centre, right ear tragion, left ear tragion), in the
//! image's pixels. The face mesh is loaded only when a blink needs it. Every pointer the caller passes is looked up among the live buffers first,
//! so a wrong one is refused (`ERR_BUFFER`), never read; no input makes the module panic.

#![warn(unreachable_pub)]

use std::cell::RefCell;

pub use zj_face::FACE_FLOATS;
use zj_face::{Detector, Face, Image, LandmarkModel};

/// The version of the exports' layout described in the crate doc.
pub const ABI_VERSION: u32 = 1;
/// The largest buffer `alloc` gives: an 8192 × 8192 RGBA image, the largest `detect` takes.
pub const MAX_ALLOC: usize = 8192 * 8192 * 4;

/// The pointer (and length) given is not (inside) a live buffer from `alloc`.
pub const ERR_BUFFER: i32 = -1;
/// `detect` before a model was loaded.
pub const ERR_NO_MODEL: i32 = -2;
/// The model file cannot be used (`message_*` says why).
pub const ERR_MODEL: i32 = -3;
/// Width or height outside 1 ..= 8192, or the buffer is smaller than the image.
pub const ERR_IMAGE: i32 = -4;
/// A call arrived while another was running (cannot happen on one thread; refused rather
/// than trusted).
pub const ERR_BUSY: i32 = -5;
/// `eye_openness` before the face mesh was loaded.
pub const ERR_NO_LANDMARKS: i32 = -6;

/// Everything the module holds.
#[derive(Default)]
struct State {
    /// Live buffers from `alloc`; a pointer is their address in linear memory.
    buffers: Vec<Box<[u8]>>,
    detector: Option<Detector>,
    landmarks: Option<LandmarkModel>,
    /// The last `detect`'s faces, [`FACE_FLOATS`] values each.
    faces: Vec<f32>,
    /// The last error's text.
    message: String,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// Runs `f` on the state; [`ERR_BUSY`] (as `busy`) if it is already borrowed.
fn with_state<T>(busy: T, f: impl FnOnce(&mut State) -> T) -> T {
    STATE.with(|state| match state.try_borrow_mut() {
        Ok(mut state) => f(&mut state),
        Err(_) => busy,
    })
}

impl State {
    /// The live buffer starting at `ptr`.
    fn buffer(&self, ptr: usize) -> Option<&[u8]> {
        self.buffers
            .iter()
            .find(|buffer| buffer.as_ptr() as usize == ptr)
            .map(|buffer| &buffer[..])
    }

    fn fail(&mut self, code: i32, message: impl Into<String>) -> i32 {
        self.message = message.into();
        code
    }
}

/// A zeroed buffer of `len` bytes (1 ..= [`MAX_ALLOC`]); its address, or 0 when `len` is out
/// of range or memory cannot grow.
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn alloc(len: usize) -> usize {
    if !(1..=MAX_ALLOC).contains(&len) {
        return 0;
    }
    let mut bytes = Vec::new();
    if bytes.try_reserve_exact(len).is_err() {
        return 0;
    }
    bytes.resize(len, 0u8);
    let buffer = bytes.into_boxed_slice();
    let ptr = buffer.as_ptr() as usize;
    with_state(0, |state| {
        state.buffers.push(buffer);
        ptr
    })
}

/// Gives back the buffer at `ptr`: 0, or [`ERR_BUFFER`] when there is none.
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn free(ptr: usize) -> i32 {
    with_state(ERR_BUSY, |state| {
        match state
            .buffers
            .iter()
            .position(|buffer| buffer.as_ptr() as usize == ptr)
        {
            Some(index) => {
                state.buffers.swap_remove(index);
                0
            }
            None => ERR_BUFFER,
        }
    })
}

/// Parses the model file in the first `len` bytes of the buffer at `ptr` and keeps it for
/// `detect` (replacing any model loaded before): 0, [`ERR_BUFFER`] or [`ERR_MODEL`].
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn load_model(ptr: usize, len: usize) -> i32 {
    with_state(ERR_BUSY, |state| {
        let parsed = match state.buffer(ptr).and_then(|buffer| buffer.get(..len)) {
            Some(bytes) => Detector::new(bytes),
            None => return state.fail(ERR_BUFFER, "load_model: not a buffer from alloc"),
        };
        match parsed {
            Ok(detector) => {
                state.detector = Some(detector);
                0
            }
            Err(error) => state.fail(ERR_MODEL, error.to_string()),
        }
    })
}

/// Finds the faces in the `width × height` RGBA image at the start of the buffer at `ptr`:
/// how many (their values at `faces()`), or [`ERR_BUFFER`], [`ERR_IMAGE`], [`ERR_NO_MODEL`].
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn detect(ptr: usize, width: u32, height: u32) -> i32 {
    with_state(ERR_BUSY, |state| {
        let State {
            buffers,
            detector,
            faces,
            message,
            ..
        } = state;
        let Some(buffer) = buffers.iter().find(|b| b.as_ptr() as usize == ptr) else {
            *message = "detect: not a buffer from alloc".into();
            return ERR_BUFFER;
        };
        let Some(detector) = detector.as_mut() else {
            *message = "detect: no model loaded".into();
            return ERR_NO_MODEL;
        };
        let image = match image_in(buffer, width, height) {
            Ok(image) => image,
            Err(text) => {
                *message = text;
                return ERR_IMAGE;
            }
        };
        faces.clear();
        let found = detector.detect(&image);
        for face in &found {
            faces.extend(face.to_floats());
        }
        i32::try_from(found.len()).unwrap_or(i32::MAX)
    })
}

/// The `width × height` RGBA image at the start of `buffer`.
fn image_in(buffer: &[u8], width: u32, height: u32) -> Result<Image<'_>, String> {
    let len = (width as usize)
        .checked_mul(height as usize)
        .and_then(|pixels| pixels.checked_mul(4));
    len.and_then(|len| buffer.get(..len))
        .ok_or_else(|| format!("a {width}×{height} image does not fit the buffer"))
        .and_then(|rgba| Image::new(width, height, rgba).map_err(|e| e.to_string()))
}

/// Parses the face mesh model file in the first `len` bytes of the buffer at `ptr` and keeps
/// it for `eye_openness`: 0, [`ERR_BUFFER`] or [`ERR_MODEL`].
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn load_landmarks(ptr: usize, len: usize) -> i32 {
    with_state(ERR_BUSY, |state| {
        let parsed = match state.buffer(ptr).and_then(|buffer| buffer.get(..len)) {
            Some(bytes) => LandmarkModel::new(bytes),
            None => return state.fail(ERR_BUFFER, "load_landmarks: not a buffer from alloc"),
        };
        match parsed {
            Ok(model) => {
                state.landmarks = Some(model);
                0
            }
            Err(error) => state.fail(ERR_MODEL, error.to_string()),
        }
    })
}

/// How open the eyes of a face are in the `width × height` RGBA image at the start of the
/// buffer at `ptr`: the mean eye aspect ratio of both eyes (about 0.3 open, under 0.15 closed),
/// the face being [`FACE_FLOATS`] little-endian `f32` at the start of the buffer at `face_ptr`.
/// Negative on failure (`message_*` says why: [`ERR_NO_LANDMARKS`], a wrong buffer or image).
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn eye_openness(ptr: usize, width: u32, height: u32, face_ptr: usize) -> f32 {
    with_state(ERR_BUSY as f32, |state| {
        let face = match state.buffer(face_ptr).and_then(read_face) {
            Some(face) => face,
            None => return state.fail(ERR_BUFFER, "eye_openness: no face in that buffer") as f32,
        };
        let State {
            buffers,
            landmarks,
            message,
            ..
        } = state;
        let Some(buffer) = buffers.iter().find(|b| b.as_ptr() as usize == ptr) else {
            *message = "eye_openness: not a buffer from alloc".into();
            return ERR_BUFFER as f32;
        };
        let Some(landmarks) = landmarks.as_mut() else {
            *message = "eye_openness: no face mesh loaded".into();
            return ERR_NO_LANDMARKS as f32;
        };
        match image_in(buffer, width, height) {
            Ok(image) => landmarks.landmarks(&image, &face).eye_openness(),
            Err(text) => {
                *message = text;
                ERR_IMAGE as f32
            }
        }
    })
}

/// A face from the first [`FACE_FLOATS`] little-endian `f32` of `bytes`.
fn read_face(bytes: &[u8]) -> Option<Face> {
    let bytes = bytes.get(..FACE_FLOATS * 4)?;
    let values = std::array::from_fn(|i| {
        let b = &bytes[4 * i..4 * i + 4];
        f32::from_le_bytes([b[0], b[1], b[2], b[3]])
    });
    Some(Face::from_floats(&values))
}

/// The address of the last `detect`'s faces (valid until the next call into the module).
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn faces() -> usize {
    with_state(0, |state| state.faces.as_ptr() as usize)
}

/// The address of the last error's text (UTF-8; `message_len()` bytes).
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn message_ptr() -> usize {
    with_state(0, |state| state.message.as_ptr() as usize)
}

/// The length of the last error's text, bytes.
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn message_len() -> usize {
    with_state(0, |state| state.message.len())
}

/// [`ABI_VERSION`].
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub extern "C" fn abi_version() -> u32 {
    ABI_VERSION
}

/// The faces of the last `detect` (for the native tests: what `faces()` points at).
pub fn last_faces() -> Vec<f32> {
    with_state(Vec::new(), |state| state.faces.clone())
}

/// The last error's text (for the native tests: what `message_*` point at).
pub fn last_message() -> String {
    with_state(String::new(), |state| state.message.clone())
}

/// Copies `bytes` into the buffer at `ptr` (for the native tests, which cannot write through
/// an address as JS does through `memory`); false when `ptr` is not a buffer that large.
pub fn write_buffer(ptr: usize, bytes: &[u8]) -> bool {
    with_state(false, |state| {
        match state
            .buffers
            .iter_mut()
            .find(|b| b.as_ptr() as usize == ptr)
            .and_then(|b| b.get_mut(..bytes.len()))
        {
            Some(slot) => {
                slot.copy_from_slice(bytes);
                true
            }
            None => false,
        }
    })
}
