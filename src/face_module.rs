//! The face detector, loaded on first use: `pkg/face-simd.wasm` where the browser runs wasm
//! SIMD, else `pkg/face-scalar.wasm` (both built from `crates/face-wasm` by
//! `scripts/build-pkg.sh`; a raw module with no imports, see that crate's doc for its exports),
//! and the model `pkg/blazeface-short.zjnn`, both fetched beside this module's own JS file. None
//! of the detector's code is in the first-load module: this file only moves bytes to and from
//! the detector's memory.
//!
//! One detector per page ([`shared`]), loaded once however many callers wait for it; the camera
//! step uses it synchronously per frame through [`SharedFaces`] (a [`FaceSource`]). The face
//! mesh for the blink (`pkg/face-landmark.zjnn`) is loaded into the same module only when a
//! blink first asks for eye openness.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Float32Array, Function, Object, Promise, Reflect, Uint8Array, WebAssembly};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use zj_phone::liveness::{Face, FaceSource, Frame, FACE_FLOATS};

/// The detector's exports' layout this file reads (`zj_face_wasm::ABI_VERSION`).
const ABI_VERSION: f64 = 1.0;
/// The model file, beside the detector.
const MODEL_FILE: &str = "blazeface-short.zjnn";
/// The face mesh model file, beside the detector.
const LANDMARKS_FILE: &str = "face-landmark.zjnn";
/// The smallest module using a SIMD instruction (`i8x16.popcnt`), as wasm-feature-detect
/// tests for SIMD: the browser validates it only if it runs wasm SIMD.
const SIMD_PROBE: [u8; 31] = [
    0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253,
    15, 253, 98, 11,
];

#[wasm_bindgen]
extern "C" {
    /// `import.meta.url` of the phone module's JS file (`pkg/zj_attendance.js`).
    #[wasm_bindgen(thread_local_v2, js_namespace = ["import", "meta"], js_name = url)]
    static MODULE_URL: JsValue;
}

/// Which build of the detector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// With wasm SIMD (`face-simd.wasm`).
    Simd,
    /// Without (`face-scalar.wasm`), for browsers without wasm SIMD.
    Scalar,
}

impl Flavour {
    /// The build this browser runs: SIMD when it validates a SIMD instruction.
    pub fn for_this_browser() -> Self {
        let probe = Uint8Array::from(&SIMD_PROBE[..]);
        match WebAssembly::validate(&probe.into()) {
            Ok(true) => Flavour::Simd,
            _ => Flavour::Scalar,
        }
    }

    /// The module's file name in `pkg/`.
    pub fn file(self) -> &'static str {
        match self {
            Flavour::Simd => "face-simd.wasm",
            Flavour::Scalar => "face-scalar.wasm",
        }
    }
}

/// Why no faces could be looked for. Each message is Chinese and says what to do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FaceModuleError {
    /// The detector or its model could not be fetched or started (offline before it was
    /// ever kept, or a broken download).
    #[error("人脸检测模块加载失败（{0}），请连上网络后重试。")]
    Unavailable(String),
    /// The image is not `width × height` RGBA pixels within 1..=8192 each way.
    #[error("图像尺寸不对（{0}）。")]
    BadImage(String),
    /// The detector failed while running (it is loaded again on the next call).
    #[error("人脸检测出错（{0}），请重试。")]
    Failed(String),
}

impl FaceModuleError {
    /// The machine `code` of the JS `Error`.
    pub fn code(&self) -> &'static str {
        match self {
            FaceModuleError::Unavailable(_) => "detectorUnavailable",
            FaceModuleError::BadImage(_) => "badImage",
            FaceModuleError::Failed(_) => "detectorFailed",
        }
    }
}

impl From<FaceModuleError> for JsValue {
    fn from(error: FaceModuleError) -> Self {
        super::js_values::thrown(&error.to_string(), error.code(), false)
    }
}

/// The message of a thrown JS value.
fn message_of(value: &JsValue) -> String {
    super::js_error::BrowserError::from_js("", value.clone()).message
}

/// Whether the face mesh is in the detector module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Landmarks {
    NotLoaded,
    Loading,
    Loaded,
    Failed,
}

/// A loaded detector: the instance's exports and the image buffer it keeps between calls.
#[derive(Debug)]
pub struct FaceModule {
    flavour: Flavour,
    /// Where its files came from.
    base: String,
    memory: JsValue,
    alloc: Function,
    free: Function,
    detect: Function,
    faces: Function,
    message_ptr: Function,
    message_len: Function,
    load_landmarks: Function,
    eye_openness: Function,
    landmarks: Landmarks,
    /// The image buffer in the detector's memory: address and length.
    image: Option<(u32, u32)>,
    /// The buffer a face is passed in (`eye_openness`).
    face: Option<u32>,
    /// The detector trapped: its state cannot be trusted any more.
    broken: bool,
}

/// `instance.exports[name]` as a function.
fn export(exports: &JsValue, name: &str) -> Result<Function, FaceModuleError> {
    Reflect::get(exports, &name.into())
        .ok()
        .and_then(|value| value.dyn_into::<Function>().ok())
        .ok_or_else(|| FaceModuleError::Unavailable(format!("模块缺少 {name}")))
}

/// Starts fetching `url` (the request goes out now; await the result with [`bytes_of`]).
fn fetch(url: &str) -> Result<Promise, FaceModuleError> {
    web_sys::window()
        .ok_or_else(|| FaceModuleError::Unavailable("no window".into()))
        .map(|window| window.fetch_with_str(url))
}

/// The body of a fetch started by [`fetch`] as an `ArrayBuffer`.
async fn bytes_of(fetched: Promise, url: &str) -> Result<JsValue, FaceModuleError> {
    let fail = |e: JsValue| FaceModuleError::Unavailable(message_of(&e));
    let response: web_sys::Response = JsFuture::from(fetched)
        .await
        .map_err(fail)?
        .unchecked_into();
    if !response.ok() {
        return Err(FaceModuleError::Unavailable(format!(
            "{url}: HTTP {}",
            response.status()
        )));
    }
    JsFuture::from(response.array_buffer().map_err(fail)?)
        .await
        .map_err(fail)
}

/// `f` called with numbers; a trap or a non-number is `Err`.
fn call(f: &Function, args: &[u32]) -> Result<f64, String> {
    let args: js_sys::Array = args.iter().map(|&a| JsValue::from(a)).collect();
    f.apply(&JsValue::UNDEFINED, &args)
        .map_err(|e| message_of(&e))?
        .as_f64()
        .ok_or_else(|| "not a number".into())
}

impl FaceModule {
    /// Fetches the `flavour` detector and the model from `base` (a URL ending in `/`, the
    /// folder of `pkg/`), starts it and loads the model.
    pub async fn load(base: &str, flavour: Flavour) -> Result<Self, FaceModuleError> {
        let unavailable = FaceModuleError::Unavailable;
        let (model_url, code_url) = (
            format!("{base}{MODEL_FILE}"),
            format!("{base}{}", flavour.file()),
        );
        // Both downloads go out at once.
        let (model, code) = (fetch(&model_url)?, fetch(&code_url)?);
        let code = bytes_of(code, &code_url).await?;
        let model = bytes_of(model, &model_url).await?;
        let compiled = JsFuture::from(WebAssembly::compile(&code))
            .await
            .map_err(|e| unavailable(message_of(&e)))?;
        let instance: WebAssembly::Instance = JsFuture::from(WebAssembly::instantiate_module(
            compiled.unchecked_ref(),
            &Object::new(),
        ))
        .await
        .map_err(|e| unavailable(message_of(&e)))?
        .unchecked_into();
        let exports: JsValue = instance.exports().into();
        let abi = export(&exports, "abi_version")?;
        if call(&abi, &[]) != Ok(ABI_VERSION) {
            return Err(unavailable("模块版本不符".into()));
        }
        let module = FaceModule {
            flavour,
            base: base.to_owned(),
            memory: Reflect::get(&exports, &"memory".into()).unwrap_or_default(),
            alloc: export(&exports, "alloc")?,
            free: export(&exports, "free")?,
            detect: export(&exports, "detect")?,
            faces: export(&exports, "faces")?,
            message_ptr: export(&exports, "message_ptr")?,
            message_len: export(&exports, "message_len")?,
            load_landmarks: export(&exports, "load_landmarks")?,
            eye_openness: export(&exports, "eye_openness")?,
            landmarks: Landmarks::NotLoaded,
            image: None,
            face: None,
            broken: false,
        };
        let load_model = export(&exports, "load_model")?;
        module.load_file(&load_model, &model)?;
        Ok(module)
    }

    /// Copies a model file (an `ArrayBuffer`) into the module and has `load` parse it.
    fn load_file(&self, load: &Function, file: &JsValue) -> Result<(), FaceModuleError> {
        let unavailable = FaceModuleError::Unavailable;
        let file = Uint8Array::new(file);
        let len = file.length();
        let ptr = self.allocate(len).map_err(unavailable)?;
        self.bytes(ptr, len).set(&file, 0);
        let status = call(load, &[ptr, len]);
        let _ = call(&self.free, &[ptr]);
        match status {
            Ok(0.0) => Ok(()),
            Ok(_) => Err(unavailable(format!("模型无法读取：{}", self.message()))),
            Err(trap) => Err(unavailable(trap)),
        }
    }

    /// Fetches the face mesh model from beside the detector at `base` (an `ArrayBuffer`, for
    /// [`FaceModule::set_landmarks`]).
    pub async fn fetch_landmarks(base: &str) -> Result<JsValue, FaceModuleError> {
        let url = format!("{base}{LANDMARKS_FILE}");
        bytes_of(fetch(&url)?, &url).await
    }

    /// Loads the face mesh model file (an `ArrayBuffer`) for [`FaceModule::eye_openness`].
    pub fn set_landmarks(&mut self, file: &JsValue) -> Result<(), FaceModuleError> {
        let loaded = self.load_file(&self.load_landmarks.clone(), file);
        self.landmarks = if loaded.is_ok() {
            Landmarks::Loaded
        } else {
            Landmarks::Failed
        };
        loaded
    }

    /// Lets the next ask for eye openness try loading the face mesh again after a failure
    /// (a new challenge: the network may be back).
    pub fn retry_landmarks(&mut self) {
        if self.landmarks == Landmarks::Failed {
            self.landmarks = Landmarks::NotLoaded;
        }
    }

    /// How open `face`'s eyes are in `rgba` (`width × height × 4` bytes): the mean eye aspect
    /// ratio (about 0.3 open, under 0.15 closed). Needs the face mesh ([`FaceModule::set_landmarks`]).
    pub fn eye_openness(
        &mut self,
        width: u32,
        height: u32,
        rgba: &[u8],
        face: &Face,
    ) -> Result<f32, FaceModuleError> {
        if self.landmarks != Landmarks::Loaded {
            return Err(FaceModuleError::Failed("没有加载人脸网格".into()));
        }
        if rgba.len() as u64 != u64::from(width) * u64::from(height) * 4 {
            return Err(FaceModuleError::BadImage(format!("{width}×{height}")));
        }
        let face_ptr = match self.face {
            Some(ptr) => ptr,
            None => {
                let ptr = self
                    .allocate((FACE_FLOATS * 4) as u32)
                    .map_err(FaceModuleError::Failed)?;
                self.face = Some(ptr);
                ptr
            }
        };
        let values = face.to_floats();
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let image = self.image_buffer(rgba.len() as u32)?;
        self.bytes(face_ptr, bytes.len() as u32).copy_from(&bytes);
        self.bytes(image, rgba.len() as u32).copy_from(rgba);
        match call(&self.eye_openness, &[image, width, height, face_ptr]) {
            Ok(open) if open >= 0.0 => Ok(open as f32),
            Ok(_) => Err(FaceModuleError::Failed(self.message())),
            Err(trap) => {
                self.broken = true;
                Err(FaceModuleError::Failed(trap))
            }
        }
    }

    /// Which build is running.
    pub fn flavour(&self) -> Flavour {
        self.flavour
    }

    /// A buffer of `len` bytes in the detector's memory.
    fn allocate(&self, len: u32) -> Result<u32, String> {
        match call(&self.alloc, &[len])? {
            ptr if ptr > 0.0 => Ok(ptr as u32),
            _ => Err(format!("内存不足（{len} 字节）")),
        }
    }

    /// A view of `len` bytes at `ptr` in the detector's memory (made after any call that may
    /// have grown it).
    fn bytes(&self, ptr: u32, len: u32) -> Uint8Array {
        let buffer = Reflect::get(&self.memory, &"buffer".into()).unwrap_or_default();
        Uint8Array::new_with_byte_offset_and_length(&buffer, ptr, len)
    }

    /// The detector's last error text.
    fn message(&self) -> String {
        let text = call(&self.message_ptr, &[])
            .and_then(|ptr| Ok((ptr as u32, call(&self.message_len, &[])? as u32)))
            .map(|(ptr, len)| self.bytes(ptr, len).to_vec());
        String::from_utf8_lossy(&text.unwrap_or_default()).into_owned()
    }

    /// The image buffer, grown to `len` bytes when smaller.
    fn image_buffer(&mut self, len: u32) -> Result<u32, FaceModuleError> {
        match self.image {
            Some((ptr, have)) if have >= len => return Ok(ptr),
            Some((ptr, _)) => {
                let _ = call(&self.free, &[ptr]);
                self.image = None;
            }
            None => {}
        }
        let ptr = self.allocate(len).map_err(FaceModuleError::Failed)?;
        self.image = Some((ptr, len));
        Ok(ptr)
    }

    /// The faces in a `width × height` RGBA image whose bytes `write` copies into the view
    /// it is given: best first, in the image's pixels.
    fn detect_with(
        &mut self,
        width: u32,
        height: u32,
        write: impl FnOnce(&Uint8Array),
    ) -> Result<Vec<Face>, FaceModuleError> {
        if self.broken {
            return Err(FaceModuleError::Failed("模块已停止".into()));
        }
        let len = u64::from(width) * u64::from(height) * 4;
        if !(1..=8192).contains(&width) || !(1..=8192).contains(&height) {
            return Err(FaceModuleError::BadImage(format!("{width}×{height}")));
        }
        let ptr = self.image_buffer(len as u32)?;
        write(&self.bytes(ptr, len as u32));
        let count = match call(&self.detect, &[ptr, width, height]) {
            Ok(count) if count >= 0.0 => count as u32,
            Ok(_) => return Err(FaceModuleError::Failed(self.message())),
            Err(trap) => {
                self.broken = true;
                return Err(FaceModuleError::Failed(trap));
            }
        };
        let at = call(&self.faces, &[]).map_err(FaceModuleError::Failed)? as u32;
        let buffer = Reflect::get(&self.memory, &"buffer".into()).unwrap_or_default();
        let values =
            Float32Array::new_with_byte_offset_and_length(&buffer, at, count * FACE_FLOATS as u32)
                .to_vec();
        Ok(values
            .chunks_exact(FACE_FLOATS)
            .filter_map(|face| face.try_into().ok().map(Face::from_floats))
            .collect())
    }

    /// The faces in `rgba` (`width × height × 4` bytes, row by row): best first, in pixels.
    pub fn detect_rgba(
        &mut self,
        width: u32,
        height: u32,
        rgba: &[u8],
    ) -> Result<Vec<Face>, FaceModuleError> {
        if rgba.len() as u64 != u64::from(width) * u64::from(height) * 4 {
            return Err(FaceModuleError::BadImage(format!(
                "{width}×{height} 需要 {} 字节，收到 {}",
                u64::from(width) * u64::from(height) * 4,
                rgba.len()
            )));
        }
        self.detect_with(width, height, |view| view.copy_from(rgba))
    }

    /// The faces in an `ImageData` (its pixels copied straight into the detector's memory).
    pub fn detect_image_data(
        &mut self,
        image: &web_sys::ImageData,
    ) -> Result<Vec<Face>, FaceModuleError> {
        let (width, height) = (image.width(), image.height());
        let data = Reflect::get(image, &"data".into()).unwrap_or_default();
        let data = Uint8Array::new(&data);
        if u64::from(data.length()) != u64::from(width) * u64::from(height) * 4 {
            return Err(FaceModuleError::BadImage(format!("{width}×{height}")));
        }
        self.detect_with(width, height, |view| view.set(&data, 0))
    }
}

/// The page's detector, shared by `detectFaces`, the camera step and the photo.
pub type SharedModule = Rc<RefCell<FaceModule>>;

/// The page's detector: where it loads from, and the detector once loaded or the load under
/// way.
#[derive(Default)]
struct Page {
    base: Option<String>,
    flavour: Option<Flavour>,
    module: Option<SharedModule>,
    loading: Option<Promise>,
    /// Why the last load failed.
    error: Option<FaceModuleError>,
}

thread_local! {
    static PAGE: RefCell<Page> = RefCell::new(Page::default());
}

/// Where the detector's files are: the folder of the phone module's JS file (as its wasm), or
/// the one [`set_location`] gave.
fn base_url() -> String {
    if let Some(base) = PAGE.with(|page| page.borrow().base.clone()) {
        return base;
    }
    let here = MODULE_URL.with(|url| url.as_string()).unwrap_or_default();
    match here.rfind('/') {
        Some(end) => here[..=end].to_owned(),
        None => "./".to_owned(),
    }
}

/// Loads the page's detector from `base` (a URL ending in `/`) instead of beside the phone
/// module, and as `flavour` when given: for tests, whose JS is served from elsewhere. Takes
/// effect on the next load (call before the first).
pub fn set_location(base: Option<String>, flavour: Option<Flavour>) {
    PAGE.with(|page| {
        let mut page = page.borrow_mut();
        page.base = base;
        page.flavour = flavour;
        page.module = None;
        page.loading = None;
        page.error = None;
    });
}

/// The URLs of the files the page's detector loads in this browser: the module, the model,
/// and the face mesh model (loaded when a blink first needs it).
pub fn files() -> [String; 3] {
    let base = base_url();
    let flavour = PAGE
        .with(|page| page.borrow().flavour)
        .unwrap_or_else(Flavour::for_this_browser);
    [
        format!("{base}{}", flavour.file()),
        format!("{base}{MODEL_FILE}"),
        format!("{base}{LANDMARKS_FILE}"),
    ]
}

/// The page's detector if it is loaded (and has not failed since).
pub fn loaded() -> Option<SharedModule> {
    PAGE.with(|page| page.borrow().module.clone())
        .filter(|module| !module.borrow().broken)
}

/// The page's detector, loading it on the first call; callers that arrive while it loads wait
/// for the same load. A failed load is tried again on the next call.
pub async fn shared() -> Result<SharedModule, FaceModuleError> {
    if let Some(module) = loaded() {
        return Ok(module);
    }
    let base = base_url();
    let promise = PAGE.with(|page| {
        let mut page = page.borrow_mut();
        if let Some(promise) = &page.loading {
            return promise.clone();
        }
        let flavour = page.flavour.unwrap_or_else(Flavour::for_this_browser);
        let promise = future_to_promise(async move {
            let result = FaceModule::load(&base, flavour).await;
            PAGE.with(|page| {
                let mut page = page.borrow_mut();
                page.loading = None;
                match result {
                    Ok(module) => page.module = Some(Rc::new(RefCell::new(module))),
                    Err(error) => page.error = Some(error),
                }
            });
            Ok(JsValue::UNDEFINED)
        });
        page.loading = Some(promise.clone());
        promise
    });
    let _ = JsFuture::from(promise).await;
    loaded().ok_or_else(|| {
        PAGE.with(|page| page.borrow().error.clone())
            .unwrap_or_else(|| FaceModuleError::Unavailable(String::new()))
    })
}

/// The page's detector as the liveness challenge's face source: `None` for a frame it could
/// not look at (the checks then fall back to the guide region for that frame, and say so).
/// The first ask for eye openness starts loading the face mesh (from the service worker's
/// cache once prefetched); until it is in, there is none.
pub struct SharedFaces(pub SharedModule);

impl FaceSource for SharedFaces {
    fn faces(&mut self, frame: &Frame<'_>) -> Option<Vec<Face>> {
        self.0
            .borrow_mut()
            .detect_rgba(frame.width(), frame.height(), frame.rgba())
            .ok()
    }

    fn eye_openness(&mut self, frame: &Frame<'_>, face: &Face) -> Option<f32> {
        let mut module = self.0.borrow_mut();
        match module.landmarks {
            Landmarks::Loaded => module
                .eye_openness(frame.width(), frame.height(), frame.rgba(), face)
                .ok(),
            Landmarks::NotLoaded => {
                module.landmarks = Landmarks::Loading;
                let (shared, base) = (self.0.clone(), module.base.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    let file = FaceModule::fetch_landmarks(&base).await;
                    let mut module = shared.borrow_mut();
                    match file {
                        Ok(file) => {
                            let _ = module.set_landmarks(&file);
                        }
                        // Tried again in the next challenge (`retry_landmarks`).
                        Err(_) => module.landmarks = Landmarks::Failed,
                    }
                });
                None
            }
            Landmarks::Loading | Landmarks::Failed => None,
        }
    }
}
