//! A thin IndexedDB layer: requests as futures, durable transactions, Blob ⇄ bytes.

use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbOpenDbRequest, IdbRequest, IdbTransaction, IdbVersionChangeEvent};

use super::js_error::BrowserError;

/// Turns a request's success or error event into a future of its result.
pub(crate) async fn request(request: &IdbRequest) -> Result<JsValue, BrowserError> {
    let promise = Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    JsFuture::from(promise).await?;
    request
        .result()
        .map_err(|error| BrowserError::from_js("读取本机存储", error))
}

impl From<JsValue> for BrowserError {
    fn from(value: JsValue) -> Self {
        // An IDBRequest's error event: the request's `error` says what happened.
        let detail = value
            .dyn_ref::<web_sys::Event>()
            .and_then(|event| event.target())
            .and_then(|target| target.dyn_into::<IdbRequest>().ok())
            .and_then(|request| request.error().ok().flatten())
            .map(JsValue::from)
            .unwrap_or(value);
        BrowserError::from_js("本机存储", detail)
    }
}

/// Opens database `name` at `version`, calling `upgrade` when it must be created or upgraded.
pub(crate) async fn open(
    name: &str,
    version: u32,
    upgrade: impl Fn(&IdbDatabase, &IdbTransaction, u32) -> Result<(), JsValue> + 'static,
) -> Result<IdbDatabase, BrowserError> {
    let factory = web_sys::window()
        .and_then(|window| window.indexed_db().ok().flatten())
        .ok_or_else(|| BrowserError::new("打开本机存储", "此浏览器不支持 IndexedDB"))?;
    let open_request: IdbOpenDbRequest = factory
        .open_with_u32(name, version)
        .map_err(|error| BrowserError::from_js("打开本机存储", error))?;
    let on_upgrade = Closure::<dyn FnMut(IdbVersionChangeEvent) -> Result<(), JsValue>>::new(
        move |event: IdbVersionChangeEvent| {
            let request: IdbOpenDbRequest = event
                .target()
                .expect("upgrade event target")
                .unchecked_into();
            let db: IdbDatabase = request.result()?.unchecked_into();
            let transaction = request
                .transaction()
                .ok_or_else(|| JsValue::from_str("no upgrade transaction"))?;
            upgrade(&db, &transaction, event.old_version() as u32)
        },
    );
    open_request.set_onupgradeneeded(Some(on_upgrade.as_ref().unchecked_ref()));
    let result = request(&open_request).await;
    open_request.set_onupgradeneeded(None);
    drop(on_upgrade);
    Ok(result?.unchecked_into())
}

/// A read-write transaction over `stores` whose completion means the data is on disk
/// (`durability: "strict"`).
pub(crate) fn durable_transaction(
    db: &IdbDatabase,
    stores: &[&str],
) -> Result<IdbTransaction, BrowserError> {
    let names: Array = stores.iter().map(|name| JsValue::from_str(name)).collect();
    let options = Object::new();
    Reflect::set(&options, &"durability".into(), &"strict".into())
        .map_err(|error| BrowserError::from_js("本机存储", error))?;
    // web-sys exposes the options dictionary (durability) only as an unstable API, so
    // `transaction(names, mode, options)` is called through JS.
    let transaction: js_sys::Function = Reflect::get(db, &"transaction".into())
        .map_err(|error| BrowserError::from_js("本机存储", error))?
        .unchecked_into();
    transaction
        .call3(db, &names, &"readwrite".into(), &options)
        .map(JsCast::unchecked_into)
        .map_err(|error| BrowserError::from_js("本机存储", error))
}

/// A read-only transaction over `stores`.
pub(crate) fn read_transaction(
    db: &IdbDatabase,
    stores: &[&str],
) -> Result<IdbTransaction, BrowserError> {
    let names: Array = stores.iter().map(|name| JsValue::from_str(name)).collect();
    db.transaction_with_str_sequence(&names)
        .map_err(|error| BrowserError::from_js("本机存储", error))
}

/// Waits for a transaction to complete (committed; durable for a strict one), or reports why
/// it aborted.
pub(crate) async fn committed(transaction: &IdbTransaction) -> Result<(), BrowserError> {
    let promise = Promise::new(&mut |resolve, reject| {
        transaction.set_oncomplete(Some(&resolve));
        transaction.set_onerror(Some(&reject));
        transaction.set_onabort(Some(&reject));
    });
    let outcome = JsFuture::from(promise).await;
    outcome.map(|_| ()).map_err(|_| {
        let error = transaction
            .error()
            .map(JsValue::from)
            .unwrap_or(JsValue::NULL);
        BrowserError::from_js("保存到本机存储失败", error)
    })
}

/// A Blob of `bytes` with MIME type `mime`.
pub(crate) fn blob_of(bytes: &[u8], mime: &str) -> Result<web_sys::Blob, BrowserError> {
    // A copy in JS memory: a Blob made over a view of wasm memory is refused by IndexedDB when
    // it is written ("Failed to write blobs (InvalidBlob)").
    let parts = Array::of1(&Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(|error| BrowserError::from_js("保存照片", error))
}

/// The bytes of a Blob.
pub(crate) async fn bytes_of(blob: &web_sys::Blob) -> Result<Vec<u8>, BrowserError> {
    let buffer = JsFuture::from(blob.array_buffer())
        .await
        .map_err(|error| BrowserError::from_js("读取照片", error))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}
