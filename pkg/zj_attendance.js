/* @ts-self-types="./zj_attendance.d.ts" */

/**
 * A photo ready for the record.
 */
export class CapturedPhoto {
    static __wrap(ptr) {
        const obj = Object.create(CapturedPhoto.prototype);
        obj.__wbg_ptr = ptr;
        CapturedPhotoFinalization.register(obj, obj.__wbg_ptr, obj);
        return obj;
    }
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        CapturedPhotoFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_capturedphoto_free(ptr, 0);
    }
    /**
     * The JPEG's size, bytes (under 400 KB; usually at most 100 KB).
     * @returns {number}
     */
    get byteLength() {
        const ret = wasm.capturedphoto_byteLength(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * Pixels.
     * @returns {number}
     */
    get height() {
        const ret = wasm.capturedphoto_height(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * The JPEG as base64 without a `data:` prefix: the record's `img`.
     * @returns {string}
     */
    get jpegBase64() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.capturedphoto_jpegBase64(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * Whether the record is lower-trust (not taken from the live camera).
     * @returns {boolean}
     */
    get lowerTrust() {
        const ret = wasm.capturedphoto_lowerTrust(this.__wbg_ptr);
        return ret !== 0;
    }
    /**
     * `camera`, `wechat` or `fileInput`.
     * @returns {string}
     */
    get source() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.capturedphoto_source(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * Pixels.
     * @returns {number}
     */
    get width() {
        const ret = wasm.capturedphoto_width(this.__wbg_ptr);
        return ret >>> 0;
    }
}
if (Symbol.dispose) CapturedPhoto.prototype[Symbol.dispose] = CapturedPhoto.prototype.free;

/**
 * The front camera, running, with a canvas its frames are read through.
 */
export class LivenessCamera {
    static __wrap(ptr) {
        const obj = Object.create(LivenessCamera.prototype);
        obj.__wbg_ptr = ptr;
        LivenessCameraFinalization.register(obj, obj.__wbg_ptr, obj);
        return obj;
    }
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        LivenessCameraFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_livenesscamera_free(ptr, 0);
    }
    /**
     * The video's height, pixels.
     * @returns {number}
     */
    get height() {
        const ret = wasm.livenesscamera_height(this.__wbg_ptr);
        return ret >>> 0;
    }
    /**
     * Starts the front camera into `video` (`playsinline`, muted, `play()` called). Throws an
     * `Error` with a Chinese message, `code` (`unsupported`, `denied`, `notFound`, `inUse`,
     * `notPlaying`, `other`) and `fallback`.
     * @param {HTMLVideoElement} video
     * @returns {Promise<LivenessCamera>}
     */
    static start(video) {
        const ret = wasm.livenesscamera_start(video);
        return ret;
    }
    /**
     * Stops the camera's tracks and detaches the video now (`free()` does the same).
     */
    stop() {
        const ptr = this.__destroy_into_raw();
        wasm.livenesscamera_stop(ptr);
    }
    /**
     * The camera's `MediaStream` (stopped with the camera).
     * @returns {MediaStream}
     */
    get stream() {
        const ret = wasm.livenesscamera_stream(this.__wbg_ptr);
        return ret;
    }
    /**
     * The video's width, pixels.
     * @returns {number}
     */
    get width() {
        const ret = wasm.livenesscamera_width(this.__wbg_ptr);
        return ret >>> 0;
    }
}
if (Symbol.dispose) LivenessCamera.prototype[Symbol.dispose] = LivenessCamera.prototype.free;

/**
 * One liveness challenge, run frame by frame.
 */
export class LivenessSession {
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        LivenessSessionFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_livenesssession_free(ptr, 0);
    }
    /**
     * Analyses the camera's current frame at `nowMs` (`performance.now()`), keeping up to three
     * small evidence frames. Returns `{step, steps, done, prompt: {kind, textZh, …} | null,
     * quality: {issue, messageZh} | null, finished: {kind, outcome, score, passScore, method,
     * frames, adviceZh} | null}`.
     * @param {LivenessCamera} camera
     * @param {number} nowMs
     * @returns {any}
     */
    analyseFrame(camera, nowMs) {
        _assertClass(camera, LivenessCamera);
        const ret = wasm.livenesssession_analyseFrame(this.__wbg_ptr, camera.__wbg_ptr, nowMs);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return takeFromExternrefTable0(ret[0]);
    }
    /**
     * Analyses an RGBA frame the page read itself (`ImageData.data`, `width × height × 4`
     * bytes) at `nowMs`; as `analyseFrame`, but no evidence frames are kept.
     * @param {number} width
     * @param {number} height
     * @param {Uint8Array} rgba
     * @param {number} nowMs
     * @returns {any}
     */
    analyseRgba(width, height, rgba, nowMs) {
        const ptr0 = passArray8ToWasm0(rgba, wasm.__wbindgen_malloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.livenesssession_analyseRgba(this.__wbg_ptr, width, height, ptr0, len0, nowMs);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return takeFromExternrefTable0(ret[0]);
    }
    /**
     * The evidence JSON for the record of `photo` (the value of the param's `liveness` member):
     * challenge, per-check scores, the small frames, the photo's SHA-256 and a hash. A photo from
     * the fallback carries no checks (`overall: "inconclusive"`) and `lowerTrust: true`.
     * @param {CapturedPhoto} photo
     * @returns {string}
     */
    evidenceJson(photo) {
        let deferred2_0;
        let deferred2_1;
        try {
            _assertClass(photo, CapturedPhoto);
            const ret = wasm.livenesssession_evidenceJson(this.__wbg_ptr, photo.__wbg_ptr);
            var ptr1 = ret[0];
            var len1 = ret[1];
            if (ret[3]) {
                ptr1 = 0; len1 = 0;
                throw takeFromExternrefTable0(ret[2]);
            }
            deferred2_0 = ptr1;
            deferred2_1 = len1;
            return getStringFromWasm0(ptr1, len1);
        } finally {
            wasm.__wbindgen_free(deferred2_0, deferred2_1, 1);
        }
    }
    /**
     * A session for `nonce` (the relay's, from `POST /v1/challenge`), or for a local nonce from
     * `crypto.getRandomValues` when `nonce` is undefined or null. Throws on a malformed nonce.
     * @param {string | null} [nonce]
     */
    constructor(nonce) {
        var ptr0 = isLikeNone(nonce) ? 0 : passStringToWasm0(nonce, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
        var len0 = WASM_VECTOR_LEN;
        const ret = wasm.livenesssession_new(ptr0, len0);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        this.__wbg_ptr = ret[0];
        LivenessSessionFinalization.register(this, this.__wbg_ptr, this);
        return this;
    }
    /**
     * `relay` or `local`.
     * @returns {string}
     */
    get nonceSource() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.livenesssession_nonceSource(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * The nonce the challenge was drawn from.
     * @returns {string}
     */
    get nonce() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.livenesssession_nonce(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * The steps in order: `[{kind, textZh, timeLimitMs, colours?, stepMs?}]`; `kind` is
     * `flash`, `blink`, `turnLeft`, `turnRight` or `nod`; a flash lists its CSS colours, each
     * shown `stepMs` milliseconds.
     * @returns {any}
     */
    prompts() {
        const ret = wasm.livenesssession_prompts(this.__wbg_ptr);
        return ret;
    }
    /**
     * The CSS colour to paint over the page at `nowMs` (same clock as `analyseFrame`), or
     * `undefined` outside a flash.
     * @param {number} now_ms
     * @returns {string | undefined}
     */
    screenColour(now_ms) {
        const ret = wasm.livenesssession_screenColour(this.__wbg_ptr, now_ms);
        let v1;
        if (ret[0] !== 0) {
            v1 = getStringFromWasm0(ret[0], ret[1]);
            wasm.__wbindgen_free(ret[0], ret[1] * 1, 1);
        }
        return v1;
    }
    /**
     * Uses `callback(tMs)` for face landmarks from now on: it returns
     * `{eyes: [[{x, y} × 6] × 2], noseTip, faceLeft, faceRight}` in video pixels (eye points in
     * the 68-point order) or `null`. Blink and turn are then decided by the landmarks.
     * @param {Function} callback
     */
    setLandmarkSource(callback) {
        wasm.livenesssession_setLandmarkSource(this.__wbg_ptr, callback);
    }
    /**
     * The verdict so far: `{overall: "live" | "notLive" | "inconclusive", checks: [...]}`.
     * @returns {any}
     */
    verdict() {
        const ret = wasm.livenesssession_verdict(this.__wbg_ptr);
        return ret;
    }
}
if (Symbol.dispose) LivenessSession.prototype[Symbol.dispose] = LivenessSession.prototype.free;

/**
 * The phone module: enrollment, site and fence, location, clock-in, and the outbox.
 */
export class PhoneModule {
    static __wrap(ptr) {
        const obj = Object.create(PhoneModule.prototype);
        obj.__wbg_ptr = ptr;
        PhoneModuleFinalization.register(obj, obj.__wbg_ptr, obj);
        return obj;
    }
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        PhoneModuleFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_phonemodule_free(ptr, 0);
    }
    /**
     * A fresh liveness nonce from the relay, for `new LivenessSession(nonce)`; rejects when
     * offline (then use a local one: `new LivenessSession()`).
     * @returns {Promise<Challenge>}
     */
    challenge() {
        const ret = wasm.phonemodule_challenge(this.__wbg_ptr);
        return ret;
    }
    /**
     * Saves a clock-in: `{photo, personId?, liveness?, fallbackCapture?}` (photo: a Blob,
     * `capturePhoto()`'s result, or base64 JPEG), using the last
     * `locate()` result. Resolves to the record id once the record is on disk; uploading
     * starts at once.
     * @param {ClockInOptions} options
     * @returns {Promise<string>}
     */
    clockIn(options) {
        const ret = wasm.phonemodule_clockIn(this.__wbg_ptr, options);
        return ret;
    }
    /**
     * Closes the storage (the module is unusable afterwards; tests reopen it).
     */
    close() {
        wasm.phonemodule_close(this.__wbg_ptr);
    }
    /**
     * Saves `{relayUrl, credentials: {sn, accessId, accessKey, accessSecret}}` given by a
     * team's own enrollment.
     * @param {PhoneConfig} config
     * @returns {Promise<void>}
     */
    configure(config) {
        const ret = wasm.phonemodule_configure(this.__wbg_ptr, config);
        return ret;
    }
    /**
     * Redeems an enrollment code at the relay (`relayUrl`, e.g. `location.origin`); resolves
     * to the site.
     * @param {string} relay_url
     * @param {string} code
     * @returns {Promise<Site>}
     */
    enroll(relay_url, code) {
        const ptr0 = passStringToWasm0(relay_url, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
        const len0 = WASM_VECTOR_LEN;
        const ptr1 = passStringToWasm0(code, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
        const len1 = WASM_VECTOR_LEN;
        const ret = wasm.phonemodule_enroll(this.__wbg_ptr, ptr0, len0, ptr1, len1);
        return ret;
    }
    /**
     * Every failed record with its reason and photo (base64), as JSON text for a manager.
     * @returns {Promise<string>}
     */
    exportFailed() {
        const ret = wasm.phonemodule_exportFailed(this.__wbg_ptr);
        return ret;
    }
    /**
     * Fetches the site, binding and fence from the relay; resolves to the site.
     * @returns {Promise<Site>}
     */
    fetchSite() {
        const ret = wasm.phonemodule_fetchSite(this.__wbg_ptr);
        return ret;
    }
    /**
     * Sends what is due now; resolves to the queue counts.
     * @returns {Promise<StateCounts>}
     */
    flush() {
        const ret = wasm.phonemodule_flush(this.__wbg_ptr);
        return ret;
    }
    /**
     * Sends a heartbeat (learns the relay's clock); resolves to the fence version the relay
     * announced, and refetches the site when it differs from the one kept.
     * @returns {Promise<number | null>}
     */
    heartbeat() {
        const ret = wasm.phonemodule_heartbeat(this.__wbg_ptr);
        return ret;
    }
    /**
     * Whether the phone has credentials.
     * @returns {boolean}
     */
    isEnrolled() {
        const ret = wasm.phonemodule_isEnrolled(this.__wbg_ptr);
        return ret !== 0;
    }
    /**
     * Up to `limit` records in `state` (`"pending"`, `"sending"`, `"done"`, `"failed"`),
     * oldest first, without their photos.
     * @param {string} state
     * @param {number | null} [limit]
     * @returns {Promise<OutboxRecord[]>}
     */
    list(state, limit) {
        const ptr0 = passStringToWasm0(state, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.phonemodule_list(this.__wbg_ptr, ptr0, len0, isLikeNone(limit) ? Number.MAX_SAFE_INTEGER : (limit) >>> 0);
        return ret;
    }
    /**
     * Takes the location (browser, and WeChat when available) and judges it against the
     * fence; resolves to `{lng, lat, accuracyM, source, sourceCrs, fixAgeMs, warnings, fence:
     * {verdict, distanceM} | null, mayClockIn, message, takenAtMs}`.
     * @param {number | null} [timeout_ms]
     * @returns {Promise<LocationResult>}
     */
    locate(timeout_ms) {
        const ret = wasm.phonemodule_locate(this.__wbg_ptr, isLikeNone(timeout_ms) ? Number.MAX_SAFE_INTEGER : (timeout_ms) >>> 0);
        return ret;
    }
    /**
     * Calls `listener(event)` for each event: `{type: "saved" | "delivered" | "retry" |
     * "failed" | "halted" | "idle", recordId, message, counts}`.
     * @param {(event: PhoneEvent) => void} listener
     */
    onEvent(listener) {
        wasm.phonemodule_onEvent(this.__wbg_ptr, listener);
    }
    /**
     * Opens the module's storage (`dbName`, default `"zj-attendance"`) and what it kept.
     * @param {string | null} [db_name]
     * @returns {Promise<PhoneModule>}
     */
    static open(db_name) {
        var ptr0 = isLikeNone(db_name) ? 0 : passStringToWasm0(db_name, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
        var len0 = WASM_VECTOR_LEN;
        const ret = wasm.phonemodule_open(ptr0, len0);
        return ret;
    }
    /**
     * Puts a failed record back in the queue; resolves to whether there was one.
     * @param {string} record_id
     * @returns {Promise<boolean>}
     */
    retry(record_id) {
        const ptr0 = passStringToWasm0(record_id, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.phonemodule_retry(this.__wbg_ptr, ptr0, len0);
        return ret;
    }
    /**
     * The site as last fetched (`null` before enrollment).
     * @returns {Site | null}
     */
    site() {
        const ret = wasm.phonemodule_site(this.__wbg_ptr);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return takeFromExternrefTable0(ret[0]);
    }
    /**
     * Starts sending on its own: now, when the browser comes back online, when the page
     * becomes visible, and every 30 s.
     */
    start() {
        const ret = wasm.phonemodule_start(this.__wbg_ptr);
        if (ret[1]) {
            throw takeFromExternrefTable0(ret[0]);
        }
    }
    /**
     * `{pending, sending, done, failed, lastDeliveryMs, online, halted}`.
     * @returns {Promise<PhoneStatus>}
     */
    status() {
        const ret = wasm.phonemodule_status(this.__wbg_ptr);
        return ret;
    }
    /**
     * Asks for persistent storage and reports `{persisted, usageBytes, quotaBytes, low,
     * message}`.
     * @returns {Promise<StorageReport>}
     */
    storage() {
        const ret = wasm.phonemodule_storage(this.__wbg_ptr);
        return ret;
    }
}
if (Symbol.dispose) PhoneModule.prototype[Symbol.dispose] = PhoneModule.prototype.free;

/**
 * Takes the photo from the live camera: refused (throws, with a Chinese message and `code`
 * `tooDark`, `tooBright` or `blurred`) when the guide region is not good enough; else a JPEG
 * under 400 KB, aiming at 100 KB.
 * @param {LivenessCamera} camera
 * @returns {CapturedPhoto}
 */
export function capturePhoto(camera) {
    _assertClass(camera, LivenessCamera);
    const ret = wasm.capturePhoto(camera.__wbg_ptr);
    if (ret[2]) {
        throw takeFromExternrefTable0(ret[1]);
    }
    return CapturedPhoto.__wrap(ret[0]);
}

/**
 * Takes a photo without the live camera (call from a tap handler): WeChat's `chooseImage` with
 * the camera when `wx` is there (the page has run `wx.config`), else a file input opening the
 * front camera. Lower-trust. The same quality refusals as `capturePhoto`; `code: "cancelled"`
 * when the worker took no photo.
 * @returns {Promise<CapturedPhoto>}
 */
export function capturePhotoFallback() {
    const ret = wasm.capturePhotoFallback();
    return ret;
}

/**
 * Judges a WGS-84 fix (degrees, accuracy radius in metres) against `fence`, a GeoJSON Polygon,
 * MultiPolygon, Feature or FeatureCollection in WGS-84, validated with the default limits; the
 * cap on accuracy is `properties.maxAccuracyM` if a feature sets it, else 100 m
 * (`DEFAULT_MAX_ACCURACY_M`). Returns `{verdict: "inside" | "outside" | "uncertain",
 * distanceM}`, the distance in metres to the nearest boundary; throws on a bad fence or fix.
 * A fence the validation refuses throws an `Error` that also carries `code` (stable, e.g.
 * `open_ring`), `zh` (plain Chinese naming the problem and what to do) and `detail` (the ring
 * and the numbers: counts, limits, areas) — the same as the relay's `fence_invalid`.
 * @param {object} fence
 * @param {number} lng
 * @param {number} lat
 * @param {number} accuracyM
 * @returns {Check}
 */
export function checkFence(fence, lng, lat, accuracyM) {
    const ret = wasm.checkFence(fence, lng, lat, accuracyM);
    if (ret[2]) {
        throw takeFromExternrefTable0(ret[1]);
    }
    return takeFromExternrefTable0(ret[0]);
}

/**
 * GCJ-02 → WGS-84 to better than 1 cm: `[lng, lat]` in degrees, unchanged outside China.
 * Throws on a position that is not finite degrees in range.
 * @param {number} lng
 * @param {number} lat
 * @returns {[number, number]}
 */
export function gcj02ToWgs84(lng, lat) {
    const ret = wasm.gcj02ToWgs84(lng, lat);
    if (ret[2]) {
        throw takeFromExternrefTable0(ret[1]);
    }
    return takeFromExternrefTable0(ret[0]);
}

/**
 * The face guide oval the page draws over the preview: `{centreX, centreY, radiusX, radiusY}`,
 * the centre as fractions of the video's width and height, the radii as fractions of its
 * shorter side (in the video's own, unmirrored pixels).
 * @returns {{ centreX: number; centreY: number; radiusX: number; radiusY: number }}
 */
export function livenessGuide() {
    const ret = wasm.livenessGuide();
    return ret;
}

/**
 * WGS-84 → GCJ-02: `[lng, lat]` in degrees, unchanged outside China. Throws on a position that
 * is not finite degrees in range.
 * @param {number} lng
 * @param {number} lat
 * @returns {[number, number]}
 */
export function wgs84ToGcj02(lng, lat) {
    const ret = wasm.wgs84ToGcj02(lng, lat);
    if (ret[2]) {
        throw takeFromExternrefTable0(ret[1]);
    }
    return takeFromExternrefTable0(ret[0]);
}
function __wbg_get_imports() {
    const import0 = {
        __proto__: null,
        __wbg_Error_30c8987f7c2ed4e2: function(arg0, arg1) {
            const ret = Error(getStringFromWasm0(arg0, arg1));
            return ret;
        },
        __wbg___wbindgen_boolean_get_5b446f51afd21013: function(arg0) {
            const v = arg0;
            const ret = typeof(v) === 'boolean' ? v : undefined;
            return isLikeNone(ret) ? 0xFFFFFF : ret ? 1 : 0;
        },
        __wbg___wbindgen_debug_string_4687d8d8c2017d52: function(arg0, arg1) {
            const ret = debugString(arg1);
            const ptr1 = passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            const len1 = WASM_VECTOR_LEN;
            getDataViewMemory0().setInt32(arg0 + 4 * 1, len1, true);
            getDataViewMemory0().setInt32(arg0 + 4 * 0, ptr1, true);
        },
        __wbg___wbindgen_is_function_1f9d30630b8b1d3d: function(arg0) {
            const ret = typeof(arg0) === 'function';
            return ret;
        },
        __wbg___wbindgen_is_null_e343b7d08827ba72: function(arg0) {
            const ret = arg0 === null;
            return ret;
        },
        __wbg___wbindgen_is_string_90b56bc79aad6f6c: function(arg0) {
            const ret = typeof(arg0) === 'string';
            return ret;
        },
        __wbg___wbindgen_is_undefined_8865fb403f8fe9d8: function(arg0) {
            const ret = arg0 === undefined;
            return ret;
        },
        __wbg___wbindgen_number_get_2e0e7dee9f701a71: function(arg0, arg1) {
            const obj = arg1;
            const ret = typeof(obj) === 'number' ? obj : undefined;
            getDataViewMemory0().setFloat64(arg0 + 8 * 1, isLikeNone(ret) ? 0 : ret, true);
            getDataViewMemory0().setInt32(arg0 + 4 * 0, !isLikeNone(ret), true);
        },
        __wbg___wbindgen_string_get_0380ccaa2f57f0d9: function(arg0, arg1) {
            const obj = arg1;
            const ret = typeof(obj) === 'string' ? obj : undefined;
            var ptr1 = isLikeNone(ret) ? 0 : passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            var len1 = WASM_VECTOR_LEN;
            getDataViewMemory0().setInt32(arg0 + 4 * 1, len1, true);
            getDataViewMemory0().setInt32(arg0 + 4 * 0, ptr1, true);
        },
        __wbg___wbindgen_throw_41e9ee4f547fc59a: function(arg0, arg1) {
            throw new Error(getStringFromWasm0(arg0, arg1));
        },
        __wbg___wbindgen_typeof_e777a26e115d416b: function(arg0) {
            const ret = typeof arg0;
            return ret;
        },
        __wbg__wbg_cb_unref_dcc1a90847f04c41: function(arg0) {
            arg0._wbg_cb_unref();
        },
        __wbg_abort_f78b99d80248bacb: function(arg0) {
            arg0.abort();
        },
        __wbg_accuracy_26b6efe7b4cf1039: function(arg0) {
            const ret = arg0.accuracy;
            return ret;
        },
        __wbg_addEventListener_4d0db17c671ea324: function() { return handleError(function (arg0, arg1, arg2, arg3) {
            arg0.addEventListener(getStringFromWasm0(arg1, arg2), arg3);
        }, arguments); },
        __wbg_add_1cbad163d0b8605b: function() { return handleError(function (arg0, arg1) {
            const ret = arg0.add(arg1);
            return ret;
        }, arguments); },
        __wbg_arrayBuffer_0fe6e1300abcf908: function(arg0) {
            const ret = arg0.arrayBuffer();
            return ret;
        },
        __wbg_bound_28d4d4981b7923a4: function() { return handleError(function (arg0, arg1) {
            const ret = IDBKeyRange.bound(arg0, arg1);
            return ret;
        }, arguments); },
        __wbg_call_187d372bd5fdd4aa: function() { return handleError(function (arg0, arg1, arg2) {
            const ret = arg0.call(arg1, arg2);
            return ret;
        }, arguments); },
        __wbg_call_939a2607c4484b0b: function() { return handleError(function (arg0, arg1, arg2, arg3, arg4) {
            const ret = arg0.call(arg1, arg2, arg3, arg4);
            return ret;
        }, arguments); },
        __wbg_capturedphoto_new: function(arg0) {
            const ret = CapturedPhoto.__wrap(arg0);
            return ret;
        },
        __wbg_clearTimeout_c7bc4c3c7a7774af: function(arg0, arg1) {
            arg0.clearTimeout(arg1);
        },
        __wbg_click_d990e70c576b7c54: function(arg0) {
            arg0.click();
        },
        __wbg_close_4db7a0c12586beb7: function(arg0) {
            arg0.close();
        },
        __wbg_coords_6763aa4b31ea1992: function(arg0) {
            const ret = arg0.coords;
            return ret;
        },
        __wbg_count_191b57ccec64ceb3: function() { return handleError(function (arg0, arg1) {
            const ret = arg0.count(arg1);
            return ret;
        }, arguments); },
        __wbg_createElement_74049073a11f9c31: function() { return handleError(function (arg0, arg1, arg2) {
            const ret = arg0.createElement(getStringFromWasm0(arg1, arg2));
            return ret;
        }, arguments); },
        __wbg_createIndex_82b3af7d35051ece: function() { return handleError(function (arg0, arg1, arg2, arg3, arg4) {
            const ret = arg0.createIndex(getStringFromWasm0(arg1, arg2), getStringFromWasm0(arg3, arg4));
            return ret;
        }, arguments); },
        __wbg_createIndex_a15ba7a7d0d24c0f: function() { return handleError(function (arg0, arg1, arg2, arg3, arg4) {
            const ret = arg0.createIndex(getStringFromWasm0(arg1, arg2), arg3, arg4);
            return ret;
        }, arguments); },
        __wbg_createObjectStore_04975f5b5e182bfb: function() { return handleError(function (arg0, arg1, arg2, arg3) {
            const ret = arg0.createObjectStore(getStringFromWasm0(arg1, arg2), arg3);
            return ret;
        }, arguments); },
        __wbg_createObjectStore_84e0f5101158c82d: function() { return handleError(function (arg0, arg1, arg2) {
            const ret = arg0.createObjectStore(getStringFromWasm0(arg1, arg2));
            return ret;
        }, arguments); },
        __wbg_createObjectURL_2f3b38279fe61801: function() { return handleError(function (arg0, arg1) {
            const ret = URL.createObjectURL(arg1);
            const ptr1 = passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            const len1 = WASM_VECTOR_LEN;
            getDataViewMemory0().setInt32(arg0 + 4 * 1, len1, true);
            getDataViewMemory0().setInt32(arg0 + 4 * 0, ptr1, true);
        }, arguments); },
        __wbg_crypto_d3d085052e9d631f: function() { return handleError(function (arg0) {
            const ret = arg0.crypto;
            return ret;
        }, arguments); },
        __wbg_decode_215270d4d12cb9fe: function(arg0) {
            const ret = arg0.decode();
            return ret;
        },
        __wbg_delete_efcc1a7f91e815b8: function() { return handleError(function (arg0, arg1) {
            const ret = arg0.delete(arg1);
            return ret;
        }, arguments); },
        __wbg_document_9854e03c05fc8834: function(arg0) {
            const ret = arg0.document;
            return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
        },
        __wbg_drawImage_6f841fbe7ccefe78: function() { return handleError(function (arg0, arg1, arg2, arg3, arg4, arg5) {
            arg0.drawImage(arg1, arg2, arg3, arg4, arg5);
        }, arguments); },
        __wbg_drawImage_c0004b34389582f6: function() { return handleError(function (arg0, arg1, arg2, arg3, arg4, arg5) {
            arg0.drawImage(arg1, arg2, arg3, arg4, arg5);
        }, arguments); },
        __wbg_drawImage_e3d8585fe220ccdd: function() { return handleError(function (arg0, arg1, arg2, arg3, arg4, arg5) {
            arg0.drawImage(arg1, arg2, arg3, arg4, arg5);
        }, arguments); },
        __wbg_error_3da0c81bd4184d52: function(arg0) {
            const ret = arg0.error;
            return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
        },
        __wbg_error_6a23b57453026a47: function() { return handleError(function (arg0) {
            const ret = arg0.error;
            return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
        }, arguments); },
        __wbg_estimate_4d87d5635e2c1fb9: function() { return handleError(function (arg0) {
            const ret = arg0.estimate();
            return ret;
        }, arguments); },
        __wbg_fetch_8d9b732df7467c44: function(arg0) {
            const ret = fetch(arg0);
            return ret;
        },
        __wbg_files_cb1ce1b82f16c484: function(arg0) {
            const ret = arg0.files;
            return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
        },
        __wbg_from_296ca31f8d0f1c52: function(arg0) {
            const ret = Array.from(arg0);
            return ret;
        },
        __wbg_geolocation_fb19dd964e520db6: function() { return handleError(function (arg0) {
            const ret = arg0.geolocation;
            return ret;
        }, arguments); },
        __wbg_getAll_88f7699c4d2f2318: function() { return handleError(function (arg0, arg1, arg2) {
            const ret = arg0.getAll(arg1, arg2 >>> 0);
            return ret;
        }, arguments); },
        __wbg_getContext_051324720aa5b7e8: function() { return handleError(function (arg0, arg1, arg2, arg3) {
            const ret = arg0.getContext(getStringFromWasm0(arg1, arg2), arg3);
            return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
        }, arguments); },
        __wbg_getCurrentPosition_dc23d7ed0aef9e05: function() { return handleError(function (arg0, arg1, arg2, arg3) {
            arg0.getCurrentPosition(arg1, arg2, arg3);
        }, arguments); },
        __wbg_getImageData_a8175cf7f34afc20: function() { return handleError(function (arg0, arg1, arg2, arg3, arg4) {
            const ret = arg0.getImageData(arg1, arg2, arg3, arg4);
            return ret;
        }, arguments); },
        __wbg_getRandomValues_d6af6b966cb9aefc: function() { return handleError(function (arg0, arg1, arg2) {
            const ret = arg0.getRandomValues(getArrayU8FromWasm0(arg1, arg2));
            return ret;
        }, arguments); },
        __wbg_getTracks_392dfa2770245c36: function(arg0) {
            const ret = arg0.getTracks();
            return ret;
        },
        __wbg_getUserMedia_cc2950c67b950228: function() { return handleError(function (arg0, arg1) {
            const ret = arg0.getUserMedia(arg1);
            return ret;
        }, arguments); },
        __wbg_get_31af05bd4842a84f: function() { return handleError(function (arg0, arg1) {
            const ret = Reflect.get(arg0, arg1);
            return ret;
        }, arguments); },
        __wbg_get_5dde8a29f073d908: function(arg0, arg1) {
            const ret = arg0[arg1 >>> 0];
            return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
        },
        __wbg_get_6c896e0571ddae51: function(arg0, arg1) {
            const ret = arg0[arg1 >>> 0];
            return ret;
        },
        __wbg_get_e06b8725897cb193: function() { return handleError(function (arg0, arg1) {
            const ret = arg0.get(arg1);
            return ret;
        }, arguments); },
        __wbg_get_quota_f5ebee8256f3d113: function(arg0, arg1) {
            const ret = arg1.quota;
            getDataViewMemory0().setFloat64(arg0 + 8 * 1, isLikeNone(ret) ? 0 : ret, true);
            getDataViewMemory0().setInt32(arg0 + 4 * 0, !isLikeNone(ret), true);
        },
        __wbg_get_unchecked_288889d017702237: function(arg0, arg1) {
            const ret = arg0[arg1 >>> 0];
            return ret;
        },
        __wbg_get_usage_6aa9d4335dea12cb: function(arg0, arg1) {
            const ret = arg1.usage;
            getDataViewMemory0().setFloat64(arg0 + 8 * 1, isLikeNone(ret) ? 0 : ret, true);
            getDataViewMemory0().setInt32(arg0 + 4 * 0, !isLikeNone(ret), true);
        },
        __wbg_height_fc97e1a0c2e7331f: function(arg0) {
            const ret = arg0.height;
            return ret;
        },
        __wbg_index_00cd34642ec64608: function() { return handleError(function (arg0, arg1, arg2) {
            const ret = arg0.index(getStringFromWasm0(arg1, arg2));
            return ret;
        }, arguments); },
        __wbg_indexedDB_53d75531b7daa0cd: function() { return handleError(function (arg0) {
            const ret = arg0.indexedDB;
            return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
        }, arguments); },
        __wbg_instanceof_Blob_7c6191a4cd5834d3: function(arg0) {
            let result;
            try {
                result = arg0 instanceof Blob;
            } catch (_) {
                result = false;
            }
            const ret = result;
            return ret;
        },
        __wbg_instanceof_DomException_550db3f9465a933f: function(arg0) {
            let result;
            try {
                result = arg0 instanceof DOMException;
            } catch (_) {
                result = false;
            }
            const ret = result;
            return ret;
        },
        __wbg_instanceof_Error_80a725f81f2e102d: function(arg0) {
            let result;
            try {
                result = arg0 instanceof Error;
            } catch (_) {
                result = false;
            }
            const ret = result;
            return ret;
        },
        __wbg_instanceof_Event_2b6eee5e33662df6: function(arg0) {
            let result;
            try {
                result = arg0 instanceof Event;
            } catch (_) {
                result = false;
            }
            const ret = result;
            return ret;
        },
        __wbg_instanceof_HtmlCanvasElement_0a30c11fbbf41841: function(arg0) {
            let result;
            try {
                result = arg0 instanceof HTMLCanvasElement;
            } catch (_) {
                result = false;
            }
            const ret = result;
            return ret;
        },
        __wbg_instanceof_HtmlVideoElement_23ccafac1e35054c: function(arg0) {
            let result;
            try {
                result = arg0 instanceof HTMLVideoElement;
            } catch (_) {
                result = false;
            }
            const ret = result;
            return ret;
        },
        __wbg_instanceof_IdbCursorWithValue_824cba19af90f049: function(arg0) {
            let result;
            try {
                result = arg0 instanceof IDBCursorWithValue;
            } catch (_) {
                result = false;
            }
            const ret = result;
            return ret;
        },
        __wbg_instanceof_IdbRequest_d33cf2b2aa926afc: function(arg0) {
            let result;
            try {
                result = arg0 instanceof IDBRequest;
            } catch (_) {
                result = false;
            }
            const ret = result;
            return ret;
        },
        __wbg_instanceof_Response_b8758567269c30b2: function(arg0) {
            let result;
            try {
                result = arg0 instanceof Response;
            } catch (_) {
                result = false;
            }
            const ret = result;
            return ret;
        },
        __wbg_instanceof_Window_82d71df4eddf88bc: function(arg0) {
            let result;
            try {
                result = arg0 instanceof Window;
            } catch (_) {
                result = false;
            }
            const ret = result;
            return ret;
        },
        __wbg_isArray_e15a2ff68ffdbef2: function(arg0) {
            const ret = Array.isArray(arg0);
            return ret;
        },
        __wbg_key_46ce184affdc8d18: function() { return handleError(function (arg0) {
            const ret = arg0.key;
            return ret;
        }, arguments); },
        __wbg_latitude_ecfdf1faa9231eb1: function(arg0) {
            const ret = arg0.latitude;
            return ret;
        },
        __wbg_length_7f3c00c40364105e: function(arg0) {
            const ret = arg0.length;
            return ret;
        },
        __wbg_length_b5d0ffc9b832763b: function(arg0) {
            const ret = arg0.length;
            return ret;
        },
        __wbg_length_d4bdea10311bd9cf: function(arg0) {
            const ret = arg0.length;
            return ret;
        },
        __wbg_livenesscamera_new: function(arg0) {
            const ret = LivenessCamera.__wrap(arg0);
            return ret;
        },
        __wbg_longitude_a9a6596667f4ef27: function(arg0) {
            const ret = arg0.longitude;
            return ret;
        },
        __wbg_mediaDevices_c6780c95e820aeab: function() { return handleError(function (arg0) {
            const ret = arg0.mediaDevices;
            return ret;
        }, arguments); },
        __wbg_message_5f8387f0c32b90a7: function(arg0) {
            const ret = arg0.message;
            return ret;
        },
        __wbg_message_d988ea596c5f5c9a: function(arg0, arg1) {
            const ret = arg1.message;
            const ptr1 = passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            const len1 = WASM_VECTOR_LEN;
            getDataViewMemory0().setInt32(arg0 + 4 * 1, len1, true);
            getDataViewMemory0().setInt32(arg0 + 4 * 0, ptr1, true);
        },
        __wbg_name_30c2cf5d3e6226e8: function(arg0, arg1) {
            const ret = arg1.name;
            const ptr1 = passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            const len1 = WASM_VECTOR_LEN;
            getDataViewMemory0().setInt32(arg0 + 4 * 1, len1, true);
            getDataViewMemory0().setInt32(arg0 + 4 * 0, ptr1, true);
        },
        __wbg_name_e2eac7cdfa054f65: function(arg0) {
            const ret = arg0.name;
            return ret;
        },
        __wbg_naturalHeight_df41ba6a4a6b0d33: function(arg0) {
            const ret = arg0.naturalHeight;
            return ret;
        },
        __wbg_naturalWidth_c4c567dc88a9ee9a: function(arg0) {
            const ret = arg0.naturalWidth;
            return ret;
        },
        __wbg_navigator_2156486643462a87: function(arg0) {
            const ret = arg0.navigator;
            return ret;
        },
        __wbg_new_1dbf7428bba60a42: function(arg0) {
            const ret = new Uint8Array(arg0);
            return ret;
        },
        __wbg_new_2e41357094e99294: function() { return handleError(function () {
            const ret = new AbortController();
            return ret;
        }, arguments); },
        __wbg_new_343a093a3c2ffb4e: function(arg0, arg1) {
            const ret = new Error(getStringFromWasm0(arg0, arg1));
            return ret;
        },
        __wbg_new_5502aad30c185fc8: function(arg0, arg1) {
            try {
                var state0 = {a: arg0, b: arg1};
                var cb0 = (arg0, arg1) => {
                    const a = state0.a;
                    state0.a = 0;
                    try {
                        return wasm_bindgen__convert__closures_____invoke__h12a58abeb6e99768(a, state0.b, arg0, arg1);
                    } finally {
                        state0.a = a;
                    }
                };
                const ret = new Promise(cb0);
                return ret;
            } finally {
                state0.a = 0;
            }
        },
        __wbg_new_617a8cdb8bb1130e: function() {
            const ret = new Object();
            return ret;
        },
        __wbg_new_820eb53f620ccf82: function() { return handleError(function (arg0, arg1) {
            const ret = new URL(getStringFromWasm0(arg0, arg1));
            return ret;
        }, arguments); },
        __wbg_new_83ca405eae412a62: function() { return handleError(function () {
            const ret = new Headers();
            return ret;
        }, arguments); },
        __wbg_new_83f09a1ace2e582d: function() { return handleError(function () {
            const ret = new Image();
            return ret;
        }, arguments); },
        __wbg_new_d92488e3f585ed02: function() { return handleError(function () {
            const ret = new URLSearchParams();
            return ret;
        }, arguments); },
        __wbg_new_ee2291f50781bf1d: function() {
            const ret = new Array();
            return ret;
        },
        __wbg_new_from_slice_9a868026ffa4208a: function(arg0, arg1) {
            const ret = new Uint8Array(getArrayU8FromWasm0(arg0, arg1));
            return ret;
        },
        __wbg_new_no_args_549db978c37d28cc: function(arg0, arg1) {
            const ret = new Function(getStringFromWasm0(arg0, arg1));
            return ret;
        },
        __wbg_new_typed_b01cb72a8af741a3: function(arg0, arg1) {
            try {
                var state0 = {a: arg0, b: arg1};
                var cb0 = (arg0, arg1) => {
                    const a = state0.a;
                    state0.a = 0;
                    try {
                        return wasm_bindgen__convert__closures_____invoke__h12a58abeb6e99768(a, state0.b, arg0, arg1);
                    } finally {
                        state0.a = a;
                    }
                };
                const ret = new Promise(cb0);
                return ret;
            } finally {
                state0.a = 0;
            }
        },
        __wbg_new_with_str_2d1292ac88699448: function() { return handleError(function (arg0, arg1) {
            const ret = new Request(getStringFromWasm0(arg0, arg1));
            return ret;
        }, arguments); },
        __wbg_new_with_str_and_init_4618dee4e950224f: function() { return handleError(function (arg0, arg1, arg2) {
            const ret = new Request(getStringFromWasm0(arg0, arg1), arg2);
            return ret;
        }, arguments); },
        __wbg_new_with_u8_array_sequence_and_options_fccc08fe93f4b8fd: function() { return handleError(function (arg0, arg1) {
            const ret = new Blob(arg0, arg1);
            return ret;
        }, arguments); },
        __wbg_now_aa4ccb83129e9e55: function() {
            const ret = Date.now();
            return ret;
        },
        __wbg_objectStore_43178e7a3459e234: function() { return handleError(function (arg0, arg1, arg2) {
            const ret = arg0.objectStore(getStringFromWasm0(arg1, arg2));
            return ret;
        }, arguments); },
        __wbg_of_20798cb14708764f: function(arg0, arg1) {
            const ret = Array.of(arg0, arg1);
            return ret;
        },
        __wbg_of_d5dbecdc59e02e34: function(arg0) {
            const ret = Array.of(arg0);
            return ret;
        },
        __wbg_oldVersion_bee6d60861717ba6: function(arg0) {
            const ret = arg0.oldVersion;
            return ret;
        },
        __wbg_onLine_f6b59ad69e157268: function(arg0) {
            const ret = arg0.onLine;
            return ret;
        },
        __wbg_openCursor_0cf06b7395500893: function() { return handleError(function (arg0, arg1, arg2) {
            const ret = arg0.openCursor(arg1, __wbindgen_enum_IdbCursorDirection[arg2]);
            return ret;
        }, arguments); },
        __wbg_open_dbf85f9611885c1b: function() { return handleError(function (arg0, arg1, arg2, arg3) {
            const ret = arg0.open(getStringFromWasm0(arg1, arg2), arg3 >>> 0);
            return ret;
        }, arguments); },
        __wbg_parse_0fc53dead14b3b42: function() { return handleError(function (arg0, arg1) {
            const ret = JSON.parse(getStringFromWasm0(arg0, arg1));
            return ret;
        }, arguments); },
        __wbg_persist_b201b6aae57c4d30: function() { return handleError(function (arg0) {
            const ret = arg0.persist();
            return ret;
        }, arguments); },
        __wbg_phonemodule_new: function(arg0) {
            const ret = PhoneModule.__wrap(arg0);
            return ret;
        },
        __wbg_play_86145c1e0cb32fb6: function() { return handleError(function (arg0) {
            const ret = arg0.play();
            return ret;
        }, arguments); },
        __wbg_prototypesetcall_0e2bc23e51b9fbd2: function(arg0, arg1, arg2) {
            Uint8ClampedArray.prototype.set.call(getArrayU8FromWasm0(arg0, arg1), arg2);
        },
        __wbg_prototypesetcall_bc27214492979395: function(arg0, arg1, arg2) {
            Uint8Array.prototype.set.call(getArrayU8FromWasm0(arg0, arg1), arg2);
        },
        __wbg_push_2baf45db356cf468: function(arg0, arg1) {
            const ret = arg0.push(arg1);
            return ret;
        },
        __wbg_put_378af428b16ba8f2: function() { return handleError(function (arg0, arg1, arg2) {
            const ret = arg0.put(arg1, arg2);
            return ret;
        }, arguments); },
        __wbg_put_875ecf060e0a2fc6: function() { return handleError(function (arg0, arg1) {
            const ret = arg0.put(arg1);
            return ret;
        }, arguments); },
        __wbg_queueMicrotask_9833f9a49df95a49: function(arg0) {
            const ret = arg0.queueMicrotask;
            return ret;
        },
        __wbg_queueMicrotask_a72f977e97f23c5f: function(arg0) {
            queueMicrotask(arg0);
        },
        __wbg_resolve_0076e10020304ede: function(arg0) {
            const ret = Promise.resolve(arg0);
            return ret;
        },
        __wbg_result_ea60156c5cd4726f: function() { return handleError(function (arg0) {
            const ret = arg0.result;
            return ret;
        }, arguments); },
        __wbg_revokeObjectURL_479ff72c2d109d80: function() { return handleError(function (arg0, arg1) {
            URL.revokeObjectURL(getStringFromWasm0(arg0, arg1));
        }, arguments); },
        __wbg_search_c401c3a62c560ce7: function(arg0, arg1) {
            const ret = arg1.search;
            const ptr1 = passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            const len1 = WASM_VECTOR_LEN;
            getDataViewMemory0().setInt32(arg0 + 4 * 1, len1, true);
            getDataViewMemory0().setInt32(arg0 + 4 * 0, ptr1, true);
        },
        __wbg_setAttribute_9e7d603908f63705: function() { return handleError(function (arg0, arg1, arg2, arg3, arg4) {
            arg0.setAttribute(getStringFromWasm0(arg1, arg2), getStringFromWasm0(arg3, arg4));
        }, arguments); },
        __wbg_setInterval_aa4e3d3f590ce835: function() { return handleError(function (arg0, arg1, arg2) {
            const ret = arg0.setInterval(arg1, arg2);
            return ret;
        }, arguments); },
        __wbg_setTimeout_db7bbc18a17e152a: function() { return handleError(function (arg0, arg1, arg2) {
            const ret = arg0.setTimeout(arg1, arg2);
            return ret;
        }, arguments); },
        __wbg_set_145a351398b48c65: function() { return handleError(function (arg0, arg1, arg2) {
            const ret = Reflect.set(arg0, arg1, arg2);
            return ret;
        }, arguments); },
        __wbg_set_accept_06d626c479e21e36: function(arg0, arg1, arg2) {
            arg0.accept = getStringFromWasm0(arg1, arg2);
        },
        __wbg_set_af5932e3f78b5648: function() { return handleError(function (arg0, arg1, arg2, arg3, arg4) {
            arg0.set(getStringFromWasm0(arg1, arg2), getStringFromWasm0(arg3, arg4));
        }, arguments); },
        __wbg_set_audio_35ce197341593fcc: function(arg0, arg1) {
            arg0.audio = arg1;
        },
        __wbg_set_body_1fb0f1008bfc7df6: function(arg0, arg1) {
            arg0.body = arg1;
        },
        __wbg_set_enable_high_accuracy_8ea6f1c2c670ee90: function(arg0, arg1) {
            arg0.enableHighAccuracy = arg1 !== 0;
        },
        __wbg_set_headers_40ad33dcf016613f: function(arg0, arg1) {
            arg0.headers = arg1;
        },
        __wbg_set_height_c9789c1c77eaedff: function(arg0, arg1) {
            arg0.height = arg1 >>> 0;
        },
        __wbg_set_key_path_5b819da37f36b8ac: function(arg0, arg1) {
            arg0.keyPath = arg1;
        },
        __wbg_set_maximum_age_459f61161e345392: function(arg0, arg1) {
            arg0.maximumAge = arg1 >>> 0;
        },
        __wbg_set_method_dcb32343247ec427: function(arg0, arg1, arg2) {
            arg0.method = getStringFromWasm0(arg1, arg2);
        },
        __wbg_set_muted_ab60f6e11de6cc9d: function(arg0, arg1) {
            arg0.muted = arg1 !== 0;
        },
        __wbg_set_onabort_ce1ccad84ebb2dbd: function(arg0, arg1) {
            arg0.onabort = arg1;
        },
        __wbg_set_onchange_448456cb6fbbd47d: function(arg0, arg1) {
            arg0.onchange = arg1;
        },
        __wbg_set_oncomplete_14cd563f5d15546c: function(arg0, arg1) {
            arg0.oncomplete = arg1;
        },
        __wbg_set_onerror_00facdd255f06ed6: function(arg0, arg1) {
            arg0.onerror = arg1;
        },
        __wbg_set_onerror_24dddc0e8dc54601: function(arg0, arg1) {
            arg0.onerror = arg1;
        },
        __wbg_set_onsuccess_e970bffc8d0e7520: function(arg0, arg1) {
            arg0.onsuccess = arg1;
        },
        __wbg_set_onupgradeneeded_f9d42df70899331b: function(arg0, arg1) {
            arg0.onupgradeneeded = arg1;
        },
        __wbg_set_search_de4e8694f3b52c24: function(arg0, arg1, arg2) {
            arg0.search = getStringFromWasm0(arg1, arg2);
        },
        __wbg_set_signal_2dbd377604627f26: function(arg0, arg1) {
            arg0.signal = arg1;
        },
        __wbg_set_srcObject_85261b5c4c4f026e: function(arg0, arg1) {
            arg0.srcObject = arg1;
        },
        __wbg_set_src_e0fe5ef5d5c648aa: function(arg0, arg1, arg2) {
            arg0.src = getStringFromWasm0(arg1, arg2);
        },
        __wbg_set_timeout_d6ba9a2be6b0cc00: function(arg0, arg1) {
            arg0.timeout = arg1 >>> 0;
        },
        __wbg_set_type_19b6e3a56c3fa1f1: function(arg0, arg1, arg2) {
            arg0.type = getStringFromWasm0(arg1, arg2);
        },
        __wbg_set_type_dcf75b2afa60c694: function(arg0, arg1, arg2) {
            arg0.type = getStringFromWasm0(arg1, arg2);
        },
        __wbg_set_video_27e031d8964c4761: function(arg0, arg1) {
            arg0.video = arg1;
        },
        __wbg_set_width_b0e1267db4b196b5: function(arg0, arg1) {
            arg0.width = arg1 >>> 0;
        },
        __wbg_signal_e5a49a2d9c65b7f6: function(arg0) {
            const ret = arg0.signal;
            return ret;
        },
        __wbg_static_accessor_GLOBAL_266715b9d96ba635: function() {
            const ret = typeof global === 'undefined' ? null : global;
            return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
        },
        __wbg_static_accessor_GLOBAL_THIS_10fb7dc1ae063179: function() {
            const ret = typeof globalThis === 'undefined' ? null : globalThis;
            return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
        },
        __wbg_static_accessor_SELF_0b583911f537483a: function() {
            const ret = typeof self === 'undefined' ? null : self;
            return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
        },
        __wbg_static_accessor_WINDOW_d7f903d1508cbdc4: function() {
            const ret = typeof window === 'undefined' ? null : window;
            return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
        },
        __wbg_status_ce0a98d3c57125f3: function(arg0) {
            const ret = arg0.status;
            return ret;
        },
        __wbg_stop_ad7bb35078fb0a81: function(arg0) {
            arg0.stop();
        },
        __wbg_storage_f32f42a5cc35294c: function(arg0) {
            const ret = arg0.storage;
            return ret;
        },
        __wbg_stringify_52ff602c1cc4fbb6: function() { return handleError(function (arg0) {
            const ret = JSON.stringify(arg0);
            return ret;
        }, arguments); },
        __wbg_target_38ae9feb025b820c: function(arg0) {
            const ret = arg0.target;
            return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
        },
        __wbg_text_ff3f476b3d6b1246: function() { return handleError(function (arg0) {
            const ret = arg0.text();
            return ret;
        }, arguments); },
        __wbg_then_c949d5a25a4e78f8: function(arg0, arg1, arg2) {
            const ret = arg0.then(arg1, arg2);
            return ret;
        },
        __wbg_then_e71170d78fcf8954: function(arg0, arg1) {
            const ret = arg0.then(arg1);
            return ret;
        },
        __wbg_timestamp_360265c966effa63: function(arg0) {
            const ret = arg0.timestamp;
            return ret;
        },
        __wbg_toDataURL_916fbcd9bb83fb0a: function() { return handleError(function (arg0, arg1, arg2, arg3, arg4) {
            const ret = arg1.toDataURL(getStringFromWasm0(arg2, arg3), arg4);
            const ptr1 = passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            const len1 = WASM_VECTOR_LEN;
            getDataViewMemory0().setInt32(arg0 + 4 * 1, len1, true);
            getDataViewMemory0().setInt32(arg0 + 4 * 0, ptr1, true);
        }, arguments); },
        __wbg_toString_0a6162345e699dea: function(arg0) {
            const ret = arg0.toString();
            return ret;
        },
        __wbg_toString_83fab3d7c865ecd3: function(arg0) {
            const ret = arg0.toString();
            return ret;
        },
        __wbg_transaction_3a02c7e8ef4fa771: function(arg0) {
            const ret = arg0.transaction;
            return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
        },
        __wbg_transaction_747332f67552d966: function() { return handleError(function (arg0, arg1) {
            const ret = arg0.transaction(arg1);
            return ret;
        }, arguments); },
        __wbg_url_7bfada5c2297bc70: function(arg0, arg1) {
            const ret = arg1.url;
            const ptr1 = passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            const len1 = WASM_VECTOR_LEN;
            getDataViewMemory0().setInt32(arg0 + 4 * 1, len1, true);
            getDataViewMemory0().setInt32(arg0 + 4 * 0, ptr1, true);
        },
        __wbg_videoHeight_4070b88110b1ac0d: function(arg0) {
            const ret = arg0.videoHeight;
            return ret;
        },
        __wbg_videoWidth_ea74d0fb1493f025: function(arg0) {
            const ret = arg0.videoWidth;
            return ret;
        },
        __wbg_visibilityState_e95a61b3dcd3d0e9: function(arg0) {
            const ret = arg0.visibilityState;
            return (__wbindgen_enum_VisibilityState.indexOf(ret) + 1 || 3) - 1;
        },
        __wbg_width_3d0dce3d9892e35e: function(arg0) {
            const ret = arg0.width;
            return ret;
        },
        __wbindgen_generic_0000000000000001: function(arg0, arg1) {
            // Cast intrinsic for `Closure(Closure { owned: true, function: Function { arguments: [Externref], shim_idx: 333, ret: Result(Unit), inner_ret: Some(Result(Unit)) }, mutable: true }) -> Externref`.
            const ret = makeMutClosure(arg0, arg1, wasm_bindgen__convert__closures_____invoke__h4de2df6260f6ee29);
            return ret;
        },
        __wbindgen_generic_0000000000000002: function(arg0, arg1) {
            // Cast intrinsic for `Closure(Closure { owned: true, function: Function { arguments: [Externref], shim_idx: 5, ret: NamedExternref("Promise<any>"), inner_ret: Some(NamedExternref("Promise<any>")) }, mutable: true }) -> Externref`.
            const ret = makeMutClosure(arg0, arg1, wasm_bindgen__convert__closures_____invoke__h22a53cba4337daee);
            return ret;
        },
        __wbindgen_generic_0000000000000003: function(arg0, arg1) {
            // Cast intrinsic for `Closure(Closure { owned: true, function: Function { arguments: [NamedExternref("IDBVersionChangeEvent")], shim_idx: 4, ret: Result(Unit), inner_ret: Some(Result(Unit)) }, mutable: true }) -> Externref`.
            const ret = makeMutClosure(arg0, arg1, wasm_bindgen__convert__closures_____invoke__h71b018c494787276);
            return ret;
        },
        __wbindgen_generic_0000000000000004: function(arg0, arg1) {
            // Cast intrinsic for `Closure(Closure { owned: true, function: Function { arguments: [], shim_idx: 1, ret: Result(Externref), inner_ret: Some(Result(Externref)) }, mutable: true }) -> Externref`.
            const ret = makeMutClosure(arg0, arg1, wasm_bindgen__convert__closures_____invoke__h45350bb76bab522a);
            return ret;
        },
        __wbindgen_generic_0000000000000005: function(arg0, arg1) {
            // Cast intrinsic for `Closure(Closure { owned: true, function: Function { arguments: [], shim_idx: 2, ret: Unit, inner_ret: Some(Unit) }, mutable: false }) -> Externref`.
            const ret = makeClosure(arg0, arg1, wasm_bindgen__convert__closures_____invoke__h3293064e7afa9bc4);
            return ret;
        },
        __wbindgen_generic_0000000000000006: function(arg0, arg1) {
            // Cast intrinsic for `Closure(Closure { owned: true, function: Function { arguments: [], shim_idx: 3, ret: Unit, inner_ret: Some(Unit) }, mutable: true }) -> Externref`.
            const ret = makeMutClosure(arg0, arg1, wasm_bindgen__convert__closures_____invoke__h5e435779f6a1a6b2);
            return ret;
        },
        __wbindgen_generic_0000000000000007: function(arg0) {
            // Cast intrinsic for `F64 -> Externref`.
            const ret = arg0;
            return ret;
        },
        __wbindgen_generic_0000000000000008: function(arg0, arg1) {
            // Cast intrinsic for `Ref(String) -> Externref`.
            const ret = getStringFromWasm0(arg0, arg1);
            return ret;
        },
        __wbindgen_init_externref_table: function() {
            const table = wasm.__wbindgen_externrefs;
            const offset = table.grow(4);
            table.set(0, undefined);
            table.set(offset + 0, undefined);
            table.set(offset + 1, null);
            table.set(offset + 2, true);
            table.set(offset + 3, false);
        },
    };
    return {
        __proto__: null,
        "./zj_attendance_bg.js": import0,
    };
}

function wasm_bindgen__convert__closures_____invoke__h3293064e7afa9bc4(arg0, arg1) {
    wasm.wasm_bindgen__convert__closures_____invoke__h3293064e7afa9bc4(arg0, arg1);
}

function wasm_bindgen__convert__closures_____invoke__h5e435779f6a1a6b2(arg0, arg1) {
    wasm.wasm_bindgen__convert__closures_____invoke__h5e435779f6a1a6b2(arg0, arg1);
}

function wasm_bindgen__convert__closures_____invoke__h45350bb76bab522a(arg0, arg1) {
    const ret = wasm.wasm_bindgen__convert__closures_____invoke__h45350bb76bab522a(arg0, arg1);
    if (ret[2]) {
        throw takeFromExternrefTable0(ret[1]);
    }
    return takeFromExternrefTable0(ret[0]);
}

function wasm_bindgen__convert__closures_____invoke__h22a53cba4337daee(arg0, arg1, arg2) {
    const ret = wasm.wasm_bindgen__convert__closures_____invoke__h22a53cba4337daee(arg0, arg1, arg2);
    return ret;
}

function wasm_bindgen__convert__closures_____invoke__h4de2df6260f6ee29(arg0, arg1, arg2) {
    const ret = wasm.wasm_bindgen__convert__closures_____invoke__h4de2df6260f6ee29(arg0, arg1, arg2);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

function wasm_bindgen__convert__closures_____invoke__h71b018c494787276(arg0, arg1, arg2) {
    const ret = wasm.wasm_bindgen__convert__closures_____invoke__h71b018c494787276(arg0, arg1, arg2);
    if (ret[1]) {
        throw takeFromExternrefTable0(ret[0]);
    }
}

function wasm_bindgen__convert__closures_____invoke__h12a58abeb6e99768(arg0, arg1, arg2, arg3) {
    wasm.wasm_bindgen__convert__closures_____invoke__h12a58abeb6e99768(arg0, arg1, arg2, arg3);
}


const __wbindgen_enum_IdbCursorDirection = ["next", "nextunique", "prev", "prevunique"];


const __wbindgen_enum_VisibilityState = ["hidden", "visible"];
const CapturedPhotoFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_capturedphoto_free(ptr, 1));
const LivenessCameraFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_livenesscamera_free(ptr, 1));
const LivenessSessionFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_livenesssession_free(ptr, 1));
const PhoneModuleFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_phonemodule_free(ptr, 1));

function addToExternrefTable0(obj) {
    const idx = wasm.__externref_table_alloc();
    wasm.__wbindgen_externrefs.set(idx, obj);
    return idx;
}

function _assertClass(instance, klass) {
    if (!(instance instanceof klass)) {
        throw new Error(`expected instance of ${klass.name}`);
    }
}

const CLOSURE_DTORS = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(state => wasm.__wbindgen_destroy_closure(state.a, state.b));

function debugString(val) {
    // primitive types
    const type = typeof val;
    if (type == 'number' || type == 'boolean' || val == null) {
        return  `${val}`;
    }
    if (type == 'string') {
        return `"${val}"`;
    }
    if (type == 'symbol') {
        const description = val.description;
        if (description == null) {
            return 'Symbol';
        } else {
            return `Symbol(${description})`;
        }
    }
    if (type == 'function') {
        const name = val.name;
        if (typeof name == 'string' && name.length > 0) {
            return `Function(${name})`;
        } else {
            return 'Function';
        }
    }
    // objects
    if (Array.isArray(val)) {
        const length = val.length;
        let debug = '[';
        if (length > 0) {
            debug += debugString(val[0]);
        }
        for(let i = 1; i < length; i++) {
            debug += ', ' + debugString(val[i]);
        }
        debug += ']';
        return debug;
    }
    // Test for built-in
    const builtInMatches = /\[object ([^\]]+)\]/.exec(toString.call(val));
    let className;
    if (builtInMatches && builtInMatches.length > 1) {
        className = builtInMatches[1];
    } else {
        // Failed to match the standard '[object ClassName]'
        return toString.call(val);
    }
    if (className == 'Object') {
        // we're a user defined class or Object
        // JSON.stringify avoids problems with cycles, and is generally much
        // easier than looping through ownProperties of `val`.
        try {
            return 'Object(' + JSON.stringify(val) + ')';
        } catch (_) {
            return 'Object';
        }
    }
    // errors
    if (val instanceof Error) {
        return `${val.name}: ${val.message}\n${val.stack}`;
    }
    // TODO we could test for more things here, like `Set`s and `Map`s.
    return className;
}

function getArrayU8FromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return getUint8ArrayMemory0().subarray(ptr / 1, ptr / 1 + len);
}

let cachedDataViewMemory0 = null;
function getDataViewMemory0() {
    if (cachedDataViewMemory0 === null || cachedDataViewMemory0.buffer.detached === true || (cachedDataViewMemory0.buffer.detached === undefined && cachedDataViewMemory0.buffer !== wasm.memory.buffer)) {
        cachedDataViewMemory0 = new DataView(wasm.memory.buffer);
    }
    return cachedDataViewMemory0;
}

function getStringFromWasm0(ptr, len) {
    return decodeText(ptr >>> 0, len);
}

let cachedUint8ArrayMemory0 = null;
function getUint8ArrayMemory0() {
    if (cachedUint8ArrayMemory0 === null || cachedUint8ArrayMemory0.byteLength === 0) {
        cachedUint8ArrayMemory0 = new Uint8Array(wasm.memory.buffer);
    }
    return cachedUint8ArrayMemory0;
}

function handleError(f, args) {
    try {
        return f.apply(this, args);
    } catch (e) {
        const idx = addToExternrefTable0(e);
        wasm.__wbindgen_exn_store(idx);
    }
}

function isLikeNone(x) {
    return x === undefined || x === null;
}

function makeClosure(arg0, arg1, f) {
    const state = { a: arg0, b: arg1, cnt: 1 };
    const real = (...args) => {

        // First up with a closure we increment the internal reference
        // count. This ensures that the Rust closure environment won't
        // be deallocated while we're invoking it.
        state.cnt++;
        try {
            return f(state.a, state.b, ...args);
        } finally {
            real._wbg_cb_unref();
        }
    };
    real._wbg_cb_unref = () => {
        if (--state.cnt === 0) {
            wasm.__wbindgen_destroy_closure(state.a, state.b);
            state.a = 0;
            CLOSURE_DTORS.unregister(state);
        }
    };
    CLOSURE_DTORS.register(real, state, state);
    return real;
}

function makeMutClosure(arg0, arg1, f) {
    const state = { a: arg0, b: arg1, cnt: 1 };
    const real = (...args) => {

        // First up with a closure we increment the internal reference
        // count. This ensures that the Rust closure environment won't
        // be deallocated while we're invoking it.
        state.cnt++;
        const a = state.a;
        state.a = 0;
        try {
            return f(a, state.b, ...args);
        } finally {
            state.a = a;
            real._wbg_cb_unref();
        }
    };
    real._wbg_cb_unref = () => {
        if (--state.cnt === 0) {
            wasm.__wbindgen_destroy_closure(state.a, state.b);
            state.a = 0;
            CLOSURE_DTORS.unregister(state);
        }
    };
    CLOSURE_DTORS.register(real, state, state);
    return real;
}

function passArray8ToWasm0(arg, malloc) {
    const ptr = malloc(arg.length * 1, 1) >>> 0;
    getUint8ArrayMemory0().set(arg, ptr / 1);
    WASM_VECTOR_LEN = arg.length;
    return ptr;
}

function passStringToWasm0(arg, malloc, realloc) {
    if (realloc === undefined) {
        const buf = cachedTextEncoder.encode(arg);
        const ptr = malloc(buf.length, 1) >>> 0;
        getUint8ArrayMemory0().subarray(ptr, ptr + buf.length).set(buf);
        WASM_VECTOR_LEN = buf.length;
        return ptr;
    }

    let len = arg.length;
    let ptr = malloc(len, 1) >>> 0;

    const mem = getUint8ArrayMemory0();

    let offset = 0;

    for (; offset < len; offset++) {
        const code = arg.charCodeAt(offset);
        if (code > 0x7F) break;
        mem[ptr + offset] = code;
    }
    if (offset !== len) {
        if (offset !== 0) {
            arg = arg.slice(offset);
        }
        ptr = realloc(ptr, len, len = offset + arg.length * 3, 1) >>> 0;
        const view = getUint8ArrayMemory0().subarray(ptr + offset, ptr + len);
        const ret = cachedTextEncoder.encodeInto(arg, view);

        offset += ret.written;
        ptr = realloc(ptr, len, offset, 1) >>> 0;
    }

    WASM_VECTOR_LEN = offset;
    return ptr;
}

function takeFromExternrefTable0(idx) {
    const value = wasm.__wbindgen_externrefs.get(idx);
    wasm.__externref_table_dealloc(idx);
    return value;
}

let cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });
cachedTextDecoder.decode();
const MAX_SAFARI_DECODE_BYTES = 2146435072;
let numBytesDecoded = 0;
function decodeText(ptr, len) {
    numBytesDecoded += len;
    if (numBytesDecoded >= MAX_SAFARI_DECODE_BYTES) {
        cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });
        cachedTextDecoder.decode();
        numBytesDecoded = len;
    }
    return cachedTextDecoder.decode(getUint8ArrayMemory0().subarray(ptr, ptr + len));
}

const cachedTextEncoder = new TextEncoder();

if (!('encodeInto' in cachedTextEncoder)) {
    cachedTextEncoder.encodeInto = function (arg, view) {
        const buf = cachedTextEncoder.encode(arg);
        view.set(buf);
        return {
            read: arg.length,
            written: buf.length
        };
    };
}

let WASM_VECTOR_LEN = 0;

let wasmModule, wasmInstance, wasm;
function __wbg_finalize_init(instance, module) {
    wasmInstance = instance;
    wasm = instance.exports;
    wasmModule = module;
    cachedDataViewMemory0 = null;
    cachedUint8ArrayMemory0 = null;
    wasm.__wbindgen_start();
    return wasm;
}

async function __wbg_load(module, imports) {
    if (typeof Response === 'function' && module instanceof Response) {
        if (!module.ok) {
            throw new Error(`failed to fetch Wasm: ${module.status} ${module.statusText} fetching '${module.url}'`);
        }

        if (typeof WebAssembly.instantiateStreaming === 'function') {
            try {
                return await WebAssembly.instantiateStreaming(module, imports);
            } catch (e) {
                const validResponse = expectedResponseType(module.type);

                if (validResponse && module.headers.get('Content-Type') !== 'application/wasm') {
                    console.warn("`WebAssembly.instantiateStreaming` failed because your server does not serve Wasm with `application/wasm` MIME type. Falling back to `WebAssembly.instantiate` which is slower. Original error:\n", e);

                } else { throw e; }
            }
        }

        const bytes = await module.arrayBuffer();
        return await WebAssembly.instantiate(bytes, imports);
    } else {
        const instance = await WebAssembly.instantiate(module, imports);

        if (instance instanceof WebAssembly.Instance) {
            return { instance, module };
        } else {
            return instance;
        }
    }

    function expectedResponseType(type) {
        switch (type) {
            case 'basic': case 'cors': case 'default': return true;
        }
        return false;
    }
}

function initSync(module) {
    if (wasm !== undefined) return wasm;


    if (module !== undefined) {
        if (Object.getPrototypeOf(module) === Object.prototype) {
            ({module} = module)
        } else {
            console.warn('using deprecated parameters for `initSync()`; pass a single object instead')
        }
    }

    const imports = __wbg_get_imports();
    if (!(module instanceof WebAssembly.Module)) {
        module = new WebAssembly.Module(module);
    }
    const instance = new WebAssembly.Instance(module, imports);
    return __wbg_finalize_init(instance, module);
}

async function __wbg_init(module_or_path) {
    if (wasm !== undefined) return wasm;


    if (module_or_path !== undefined) {
        if (Object.getPrototypeOf(module_or_path) === Object.prototype) {
            ({module_or_path} = module_or_path)
        } else {
            console.warn('using deprecated parameters for the initialization function; pass a single object instead')
        }
    }

    if (module_or_path === undefined) {
        module_or_path = new URL('zj_attendance_bg.wasm', import.meta.url);
    }
    const imports = __wbg_get_imports();

    if (typeof module_or_path === 'string' || (typeof Request === 'function' && module_or_path instanceof Request) || (typeof URL === 'function' && module_or_path instanceof URL)) {
        module_or_path = fetch(module_or_path);
    }

    const { instance, module } = await __wbg_load(await module_or_path, imports);

    return __wbg_finalize_init(instance, module);
}

export { initSync, __wbg_init as default };
