//! The real photos of `testdata/` (made by `scripts/fetch-testdata.sh` from registry packages;
//! see `testdata/MANIFEST.json`), decoded to RGBA. Shared by the face, phone and relay tests
//! through `#[path]`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// A decoded test photo.
pub struct TestImage {
    /// The file's name without its extension.
    pub name: String,
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
    /// RGBA, row by row.
    pub rgba: Vec<u8>,
}

/// `testdata/` at the top of the workspace; panics with what to run when it is missing.
pub fn testdata_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    assert!(
        dir.join("MANIFEST.json").is_file(),
        "{} is missing: run ./scripts/fetch-testdata.sh (./scripts/test.sh does)",
        dir.display()
    );
    dir
}

/// Every photo in `testdata/<kind>/` (`faces`, `groups`, `nonfaces`), by name.
pub fn images(kind: &str) -> Vec<TestImage> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(testdata_dir().join(kind))
        .unwrap_or_else(|e| panic!("testdata/{kind}: {e}"))
        .map(|entry| entry.unwrap().path())
        .filter(|path| matches!(extension(path).as_str(), "png" | "jpg" | "jpeg"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "testdata/{kind} holds no photos");
    paths.iter().map(|path| decode(path)).collect()
}

/// One photo of `testdata/<kind>/` by file name.
pub fn image(kind: &str, file: &str) -> TestImage {
    decode(&testdata_dir().join(kind).join(file))
}

fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// Decodes a PNG or JPEG file to RGBA.
pub fn decode(path: &Path) -> TestImage {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let name = path.file_stem().unwrap().to_string_lossy().into_owned();
    let (width, height, rgba) = if extension(path) == "png" {
        decode_png(&bytes)
    } else {
        decode_jpeg(&bytes)
    };
    TestImage {
        name,
        width,
        height,
        rgba,
    }
}

fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buffer).unwrap();
    let pixels = &buffer[..info.buffer_size()];
    let rgba = match info.color_type {
        png::ColorType::Rgba => pixels.to_vec(),
        png::ColorType::Rgb => pixels
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        png::ColorType::GrayscaleAlpha => pixels
            .chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0], p[1]])
            .collect(),
        png::ColorType::Grayscale => pixels.iter().flat_map(|&g| [g, g, g, 255]).collect(),
        png::ColorType::Indexed => unreachable!("EXPAND turns palettes into RGB"),
    };
    (info.width, info.height, rgba)
}

fn decode_jpeg(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let options = zune_jpeg::zune_core::options::DecoderOptions::default()
        .jpeg_set_out_colorspace(zune_jpeg::zune_core::colorspace::ColorSpace::RGBA);
    let mut decoder =
        zune_jpeg::JpegDecoder::new_with_options(std::io::Cursor::new(bytes), options);
    let rgba = decoder.decode().unwrap();
    let (width, height) = decoder.dimensions().unwrap();
    (width as u32, height as u32, rgba)
}
