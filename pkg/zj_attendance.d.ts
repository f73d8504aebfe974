/* tslint:disable */
/* eslint-disable */

/** What clockIn() takes: the photo as a Blob, capturePhoto()'s result, or base64 JPEG. */
export interface ClockInOptions {
    photo: Blob | CapturedPhoto | string;
    personId?: string;
    liveness?: object;
    fallbackCapture?: boolean;
    /** An out-of-fence request (外勤): only where locate() said `mayRequest`. */
    outOfFence?: OutOfFence;
}
/** One reason of an out-of-fence request, as outOfFenceReasons() lists them. */
export interface OutOfFenceReasonLabel {
    reason: OutOfFenceReason;
    label: string;
}


/**
 * A face found in an image, in the image's pixels (`x`, `y` the box's top-left corner).
 */
export interface Face {
    /**
     * Pixels from the image's left edge to the box.
     */
    x: number;
    /**
     * Pixels from the image's top edge to the box.
     */
    y: number;
    /**
     * The box's width, pixels.
     */
    width: number;
    /**
     * The box's height, pixels.
     */
    height: number;
    /**
     * The model's confidence, 0..=1.
     */
    score: number;
    /**
     * The six keypoints in [`KeypointName::ALL`]'s order.
     */
    keypoints: [Keypoint, Keypoint, Keypoint, Keypoint, Keypoint, Keypoint];
}

/**
 * A fence's answer for one fix; serialises as `{"verdict": "inside", "distanceM": 12.5}`.
 */
export interface Check {
    /**
     * The verdict.
     */
    verdict: Verdict;
    /**
     * Distance in metres from the fix's position to the nearest boundary (edge of any shell or
     * hole), whether inside or outside.
     */
    distanceM: number;
}

/**
 * A keypoint in image pixels.
 */
export interface Keypoint {
    /**
     * Which keypoint.
     */
    name: KeypointName;
    /**
     * Pixels from the image's left edge.
     */
    x: number;
    /**
     * Pixels from the image's top edge.
     */
    y: number;
}

/**
 * A liveness nonce (`POST /v1/challenge`), so the relay can tell a challenge was not planned
 * in advance.
 */
export interface Challenge {
    /**
     * 32 hex digits.
     */
    nonce: string;
    /**
     * When issued, epoch milliseconds.
     */
    issuedAtMs: number;
    /**
     * When it stops counting, epoch milliseconds.
     */
    expiresAtMs: number;
}

/**
 * A location as a record keeps it: WGS-84, with its provenance and warnings.
 */
export interface Located {
    /**
     * The source of the position used.
     */
    source: LocationSource;
    /**
     * The coordinate system that source reported in (the position here is WGS-84).
     */
    sourceCrs: Crs;
    /**
     * WGS-84 longitude, degrees.
     */
    lng: number;
    /**
     * WGS-84 latitude, degrees.
     */
    lat: number;
    /**
     * Accuracy radius, metres.
     */
    accuracyM: number;
    /**
     * Age of the fix when the record was made, milliseconds.
     */
    fixAgeMs: number;
    /**
     * Every warning sign seen; empty when none.
     */
    warnings: LocationWarning[];
}

/**
 * A location taken for a clock-in, with its fence check.
 */
export interface LocationResult extends Located {
    /**
     * The fence check, when the site has a fence.
     */
    fence: Check | null;
    /**
     * Whether a clock-in may go ahead here.
     */
    mayClockIn: boolean;
    /**
     * Whether an out-of-fence request (外勤) may be filed here instead: the fence refused the
     * fix (outside, or uncertain on a site that rejects uncertain fixes).
     */
    mayRequest: boolean;
    /**
     * Why not, or a warning to show (Chinese); empty when all is well.
     */
    message: string;
    /**
     * When it was taken, device clock, epoch milliseconds.
     */
    takenAtMs: number;
}

/**
 * A saved record and its delivery bookkeeping. The photo is stored apart, under the same id.
 */
export interface OutboxRecord {
    /**
     * The record's `recordId`: the key in every store.
     */
    id: string;
    /**
     * Enqueue order: records are sent oldest first.
     */
    seq: number;
    /**
     * `rank()` of `state`, kept beside it so stores can index the queue by (state, seq).
     */
    stateRank: number;
    /**
     * Where it is.
     */
    state: EntryState;
    /**
     * When it was saved, epoch milliseconds (device clock).
     */
    savedAtMs: number;
    /**
     * Sends tried so far.
     */
    attempts: number;
    /**
     * Not to be sent before this time, epoch milliseconds (back-off after a failure).
     */
    notBeforeMs: number;
    /**
     * While `sending`: the lease's end, epoch milliseconds.
     */
    leaseUntilMs: number;
    /**
     * When it became `done`, `failed` or `requested`, epoch milliseconds.
     */
    settledAtMs: number | null;
    /**
     * The last failure, as the worker should read it (Chinese), with its code when the relay
     * or platform gave one.
     */
    lastError: string | null;
    /**
     * The record itself, as the JSON text of its [`SignInDraft`].
     */
    draft: object;
}

/**
 * A sign that a location may not be genuine or current.
 */
export type LocationWarning = { kind: "staleFix"; ageMs: number } | { kind: "zeroAccuracy" } | { kind: "repeatedAccuracy"; accuracyM: number; count: number } | { kind: "sourcesDisagree"; distanceM: number } | { kind: "impossibleSpeed"; speedMps: number; distanceM: number };

/**
 * A site's current fence, as stored, as the manager gets it back and as phones get it.
 */
export interface SiteFence {
    /**
     * 1 for the site's first fence, one more at each change.
     */
    version: number;
    /**
     * When it was last changed, epoch milliseconds.
     */
    updatedAtMs: number;
    /**
     * Fixes less accurate than this are refused, metres.
     */
    maxAccuracyM: number;
    /**
     * What an uncertain verdict means on this site.
     */
    uncertainPolicy: UncertainPolicy;
    /**
     * The fence: a GeoJSON Feature with a WGS-84 MultiPolygon, for `checkFence`.
     */
    geojson: object;
}

/**
 * A worker on the site's roster.
 */
export interface RosterPerson {
    /**
     * The platform's person id.
     */
    personId: string;
    /**
     * The worker's name.
     */
    name: string;
}

/**
 * An out-of-fence request as a sign-in carries it (`outOfFence`, PROTOCOL.md §9).
 */
export interface OutOfFence {
    /**
     * Why, from the list.
     */
    reason: OutOfFenceReason;
    /**
     * The worker's own words; required for [`OutOfFenceReason::Other`], at most
     * [`OUT_OF_FENCE_NOTE_MAX_CHARS`] characters.
     */
    note?: string;
}

/**
 * How many records are in each state.
 */
export interface StateCounts {
    /**
     * Waiting.
     */
    pending: number;
    /**
     * Being sent.
     */
    sending: number;
    /**
     * At the platform.
     */
    done: number;
    /**
     * Refused for good.
     */
    failed: number;
    /**
     * Delivered as out-of-fence requests (外勤), kept by the relay for a manager: neither
     * waiting nor at the platform yet, so counted apart.
     */
    requested: number;
}

/**
 * One event for the page.
 */
export interface PhoneEvent {
    /**
     * What happened.
     */
    type: PhoneEventKind;
    /**
     * The record concerned, if any.
     */
    recordId: string | null;
    /**
     * For the worker (Chinese).
     */
    message: string;
    /**
     * Queue counts after the event.
     */
    counts: StateCounts;
}

/**
 * One of the phone's out-of-fence requests (`GET /v1/requests`).
 */
export interface PhoneRequest {
    /**
     * The record's `recordId`.
     */
    recordId: string;
    /**
     * The worker it clocks in.
     */
    personId: string;
    /**
     * The record's `recordTime`, epoch milliseconds.
     */
    recordTimeMs: number;
    /**
     * The request as filed.
     */
    outOfFence: OutOfFence;
    /**
     * Where it stands.
     */
    state: RequestState;
    /**
     * Approved by the site's approved work areas, without a manager.
     */
    autoApproved: boolean;
    /**
     * The manager's comment (`""` when none).
     */
    comment: string;
    /**
     * When it was decided, epoch milliseconds; `null` while pending.
     */
    decidedAtMs: number | null;
    /**
     * The platform accepted it (approved requests only; `false` while it is being sent).
     */
    atPlatform: boolean;
}

/**
 * The coordinate system a reading is expressed in.
 */
export type Crs = "wgs84" | "gcj02";

/**
 * The outbox and the link, for the page (`status()`).
 */
export interface PhoneStatus extends StateCounts {
    /**
     * When a record last reached the platform, epoch milliseconds.
     */
    lastDeliveryMs: number | null;
    /**
     * Whether the browser says it is online.
     */
    online: boolean;
    /**
     * Why sending stopped (credentials revoked), if it did.
     */
    halted: string | null;
}

/**
 * The phone's site (`GET /v1/site`, and in [`Enrollment`]).
 */
export interface Site {
    /**
     * The site's id.
     */
    siteId: string;
    /**
     * Its name, for the page.
     */
    name: string;
    /**
     * Personal or team phone.
     */
    binding: Binding;
    /**
     * The worker a personal phone belongs to (`null` on a team phone).
     */
    person: RosterPerson | null;
    /**
     * The roster a team phone picks from (empty on a personal phone).
     */
    persons: RosterPerson[];
    /**
     * The current fence; `null` while the site has none.
     */
    fence: SiteFence | null;
}

/**
 * The six keypoints of BlazeFace, in MediaPipe's order; sides are the subject's own.
 */
export type KeypointName = "rightEye" | "leftEye" | "noseTip" | "mouthCenter" | "rightEarTragion" | "leftEarTragion";

/**
 * The storage situation, for the page.
 */
export interface StorageReport {
    /**
     * The browser promised not to evict our data.
     */
    persisted: boolean;
    /**
     * Bytes used by this site.
     */
    usageBytes: number;
    /**
     * Bytes this site may use.
     */
    quotaBytes: number;
    /**
     * Space is running short: fewer than 50 MB or 10 % left.
     */
    low: boolean;
    /**
     * What to tell the worker (Chinese); empty when all is well.
     */
    message: string;
}

/**
 * What an uncertain fence verdict (the accuracy circle crosses the boundary) means on a site.
 */
export type UncertainPolicy = "reject" | "flag";

/**
 * What enrollment gives a phone: its login on the phone leg. The secret is the phone's own,
 * never the vendor's.
 */
export interface PhoneCredentials {
    /**
     * The sn the phone uses on the phone leg.
     */
    sn: string;
    /**
     * The phone's `accessId`.
     */
    accessId: string;
    /**
     * The phone's `accessKey`.
     */
    accessKey: string;
    /**
     * The phone's `accessSecret`: keys its signatures.
     */
    accessSecret: string;
}

/**
 * What happened, for [`PhoneEvent`].
 */
export type PhoneEventKind = "saved" | "delivered" | "retry" | "failed" | "requested" | "requestsChanged" | "halted" | "idle";

/**
 * Where a fix stands, given its accuracy.
 */
export type Verdict = "inside" | "outside" | "uncertain";

/**
 * Where a manager's decision on an out-of-fence request stands.
 */
export type RequestState = "pending" | "approved" | "rejected";

/**
 * Where a reading came from.
 */
export type LocationSource = "browser" | "wechat";

/**
 * Where a record is on its way to the platform.
 */
export type EntryState = "pending" | "sending" | "done" | "failed" | "requested";

/**
 * Where the relay is and who this phone is.
 */
export interface PhoneConfig {
    /**
     * The relay's base URL (no trailing slash).
     */
    relayUrl: string;
    /**
     * The phone's credentials.
     */
    credentials: PhoneCredentials;
}

/**
 * Whose phone this is.
 */
export type Binding = "personal" | "team";

/**
 * Why a worker clocks in outside the site's fence (外勤), from a short list; the page shows
 * [`OutOfFenceReason::label_zh`] and the relay's exports too.
 */
export type OutOfFenceReason = "supplier" | "second_area" | "meeting" | "errand" | "other";

/**
 * `GET /v1/requests`: the phone's own out-of-fence requests of the last 30 days, newest first
 * (at most 100).
 */
export interface PhoneRequests {
    /**
     * The requests.
     */
    requests: PhoneRequest[];
    /**
     * The same value as the heartbeat's `requestsChangedMs`.
     */
    changedAtMs: number | null;
}


/**
 * A photo ready for the record.
 */
export class CapturedPhoto {
    private constructor();
    free(): void;
    [Symbol.dispose](): void;
    /**
     * The JPEG's size, bytes (under 400 KB; usually at most 100 KB).
     */
    readonly byteLength: number;
    /**
     * The face the photo was cropped around, in the photo's pixels (`detectFaces`' shape), or
     * `undefined` when the detector was not loaded and the whole frame was kept.
     */
    readonly face: Face | undefined;
    /**
     * Pixels.
     */
    readonly height: number;
    /**
     * The JPEG as base64 without a `data:` prefix: the record's `img`.
     */
    readonly jpegBase64: string;
    /**
     * Whether the record is lower-trust (not taken from the live camera).
     */
    readonly lowerTrust: boolean;
    /**
     * `camera`, `wechat` or `fileInput`.
     */
    readonly source: string;
    /**
     * Pixels.
     */
    readonly width: number;
}

/**
 * The front camera, running, with a canvas its frames are read through.
 */
export class LivenessCamera {
    private constructor();
    free(): void;
    [Symbol.dispose](): void;
    /**
     * Starts the front camera into `video` (`playsinline`, muted, `play()` called). Throws an
     * `Error` with a Chinese message, `code` (`unsupported`, `denied`, `notFound`, `inUse`,
     * `notPlaying`, `other`) and `fallback`.
     */
    static start(video: HTMLVideoElement): Promise<LivenessCamera>;
    /**
     * Stops the camera's tracks and detaches the video now (`free()` does the same).
     */
    stop(): void;
    /**
     * The video's height, pixels.
     */
    readonly height: number;
    /**
     * The camera's `MediaStream` (stopped with the camera).
     */
    readonly stream: MediaStream;
    /**
     * The video's width, pixels.
     */
    readonly width: number;
}

/**
 * One liveness challenge, run frame by frame.
 */
export class LivenessSession {
    free(): void;
    [Symbol.dispose](): void;
    /**
     * Analyses the camera's current frame at `nowMs` (`performance.now()`), keeping up to three
     * small evidence frames. Returns `{step, steps, done, prompt: {kind, textZh, …} | null,
     * quality: {issue, messageZh} | null, finished: {kind, outcome, score, passScore, method,
     * frames, adviceZh} | null}`.
     */
    analyseFrame(camera: LivenessCamera, nowMs: number): any;
    /**
     * Analyses an RGBA frame the page read itself (`ImageData.data`, `width × height × 4`
     * bytes) at `nowMs`; as `analyseFrame`, but no evidence frames are kept.
     */
    analyseRgba(width: number, height: number, rgba: Uint8Array, nowMs: number): any;
    /**
     * The evidence JSON for the record of `photo` (the value of the param's `liveness` member):
     * challenge, per-check scores, the small frames, the photo's SHA-256 and a hash. A photo from
     * the fallback carries no checks (`overall: "inconclusive"`) and `lowerTrust: true`.
     */
    evidenceJson(photo: CapturedPhoto): string;
    /**
     * A session for `nonce` (the relay's, from `POST /v1/challenge`), or for a local nonce from
     * `crypto.getRandomValues` when `nonce` is undefined or null. Throws on a malformed nonce.
     * Uses the face detector when it is loaded (await `loadFaceDetector()` first); without it
     * the checks fall back to the guide oval (`faceDetector` false) and the verdict says so.
     */
    constructor(nonce?: string | null);
    /**
     * The steps in order: `[{kind, textZh, timeLimitMs, colours?, stepMs?}]`; `kind` is
     * `flash`, `blink`, `turnLeft`, `turnRight` or `nod`; a flash lists its CSS colours, each
     * shown `stepMs` milliseconds.
     */
    prompts(): any;
    /**
     * The CSS colour to paint over the page at `nowMs` (same clock as `analyseFrame`), or
     * `undefined` outside a flash.
     */
    screenColour(now_ms: number): string | undefined;
    /**
     * The verdict so far: `{overall: "live" | "notLive" | "inconclusive", checks: [...]}`.
     */
    verdict(): any;
    /**
     * Whether the face detector finds the face in each frame (false: it was not loaded, and
     * the checks analyse the guide oval, `method: "region"`).
     */
    readonly faceDetector: boolean;
    /**
     * `relay` or `local`.
     */
    readonly nonceSource: string;
    /**
     * The nonce the challenge was drawn from.
     */
    readonly nonce: string;
}

/**
 * The phone module: enrollment, site and fence, location, clock-in, and the outbox.
 */
export class PhoneModule {
    private constructor();
    free(): void;
    [Symbol.dispose](): void;
    /**
     * A fresh liveness nonce from the relay, for `new LivenessSession(nonce)`; rejects when
     * offline (then use a local one: `new LivenessSession()`).
     */
    challenge(): Promise<Challenge>;
    /**
     * Saves a clock-in: `{photo, personId?, liveness?, fallbackCapture?, outOfFence?}`
     * (photo: a Blob, `capturePhoto()`'s result, or base64 JPEG; outOfFence: `{reason, note}`,
     * an out-of-fence request where the last `locate()` said `mayRequest`), using the last
     * `locate()` result. Resolves to the record id once the record is on disk; uploading
     * starts at once. Rejects with `outOfFenceProblem()`'s message for a request that cannot
     * be filed.
     */
    clockIn(options: ClockInOptions): Promise<string>;
    /**
     * Closes the storage (the module is unusable afterwards; tests reopen it).
     */
    close(): void;
    /**
     * Saves `{relayUrl, credentials: {sn, accessId, accessKey, accessSecret}}` given by a
     * team's own enrollment.
     */
    configure(config: PhoneConfig): Promise<void>;
    /**
     * Redeems an enrollment code at the relay (`relayUrl`, e.g. `location.origin`); resolves
     * to the site.
     */
    enroll(relay_url: string, code: string): Promise<Site>;
    /**
     * Every failed record with its reason and photo (base64), as JSON text for a manager.
     */
    exportFailed(): Promise<string>;
    /**
     * Fetches the site, binding and fence from the relay; resolves to the site.
     */
    fetchSite(): Promise<Site>;
    /**
     * Sends what is due now; resolves to the queue counts.
     */
    flush(): Promise<StateCounts>;
    /**
     * Sends a heartbeat (learns the relay's clock); resolves to the fence version the relay
     * announced, and refetches the site when it differs from the one kept.
     */
    heartbeat(): Promise<number | null>;
    /**
     * Whether the phone has credentials.
     */
    isEnrolled(): boolean;
    /**
     * Up to `limit` records in `state` (`"pending"`, `"sending"`, `"done"`, `"failed"`,
     * `"requested"`), oldest first, without their photos.
     */
    list(state: string, limit?: number | null): Promise<OutboxRecord[]>;
    /**
     * Takes the location (browser, and WeChat when available) and judges it against the
     * fence; resolves to `{lng, lat, accuracyM, source, sourceCrs, fixAgeMs, warnings, fence:
     * {verdict, distanceM} | null, mayClockIn, message, takenAtMs}`.
     */
    locate(timeout_ms?: number | null): Promise<LocationResult>;
    /**
     * Calls `listener(event)` for each event: `{type: "saved" | "delivered" | "retry" |
     * "failed" | "requested" | "requestsChanged" | "halted" | "idle", recordId, message,
     * counts}`. `requested`: a record reached the relay as an out-of-fence request;
     * `requestsChanged`: a heartbeat said a manager decided a request (call `requests()`).
     */
    onEvent(listener: (event: PhoneEvent) => void): void;
    /**
     * Opens the module's storage (`dbName`, default `"zj-attendance"`) and what it kept.
     */
    static open(db_name?: string | null): Promise<PhoneModule>;
    /**
     * The phone's out-of-fence requests from the relay (`GET /v1/requests`): `{requests:
     * [{recordId, personId, recordTimeMs, outOfFence: {reason, note}, state: "pending" |
     * "approved" | "rejected", autoApproved, comment, decidedAtMs, atPlatform}], changedAtMs}`,
     * newest first. Call it on start, on a `requestsChanged` event, and when the worker asks.
     */
    requests(): Promise<PhoneRequests>;
    /**
     * Puts a failed record back in the queue; resolves to whether there was one.
     */
    retry(record_id: string): Promise<boolean>;
    /**
     * The site as last fetched (`null` before enrollment).
     */
    site(): Site | null;
    /**
     * Starts sending on its own: now, when the browser comes back online, when the page
     * becomes visible, and every 30 s.
     */
    start(): void;
    /**
     * `{pending, sending, done, failed, requested, lastDeliveryMs, online, halted}`.
     */
    status(): Promise<PhoneStatus>;
    /**
     * Asks for persistent storage and reports `{persisted, usageBytes, quotaBytes, low,
     * message}`.
     */
    storage(): Promise<StorageReport>;
}

/**
 * Takes the photo from the live camera. With the face detector loaded (`loadFaceDetector()`),
 * on a fresh detection of this frame: refused (throws, with a Chinese message and `code`)
 * when there is no face (`noFace`), a second face at least half the size (`secondFace`), the
 * face is under 128 px (`faceTooSmall`), turned over 20° (`notFrontal`) or would be under a
 * third of the photo (`faceTooSmallInPhoto`), or the face is too dark, too bright or blurred
 * (`tooDark`, `tooBright`, `blurred`); else the photo is cropped around the face (a face box
 * at least 128×128 px and a third of the photo). Without the detector, the whole frame, with
 * the same quality checks on the guide oval. A JPEG under 400 KB, aiming at 100 KB.
 */
export function capturePhoto(camera: LivenessCamera): CapturedPhoto;

/**
 * Takes a photo without the live camera (call from a tap handler): WeChat's `chooseImage` with
 * the camera when `wx` is there (the page has run `wx.config`), else a file input opening the
 * front camera. Lower-trust. The same refusals and crop as `capturePhoto` (loading the face
 * detector if it can; without it, the whole picture); `code: "cancelled"` when the worker took
 * no photo.
 */
export function capturePhotoFallback(): Promise<CapturedPhoto>;

/**
 * Judges a WGS-84 fix (degrees, accuracy radius in metres) against `fence`, a GeoJSON Polygon,
 * MultiPolygon, Feature or FeatureCollection in WGS-84, validated with the default limits; the
 * cap on accuracy is `properties.maxAccuracyM` if a feature sets it, else 100 m
 * (`DEFAULT_MAX_ACCURACY_M`). Returns `{verdict: "inside" | "outside" | "uncertain",
 * distanceM}`, the distance in metres to the nearest boundary; throws on a bad fence or fix.
 * A fence the validation refuses throws an `Error` that also carries `code` (stable, e.g.
 * `open_ring`), `zh` (plain Chinese naming the problem and what to do) and `detail` (the ring
 * and the numbers: counts, limits, areas) — the same as the relay's `fence_invalid`.
 */
export function checkFence(fence: object, lng: number, lat: number, accuracyM: number): Check;

/**
 * The faces in `image` (an `ImageData`), after non-maximum suppression, best first, only
 * those scoring at least 0.5: `[{x, y, width, height, score, keypoints: [{name, x, y}]}]` in
 * the image's pixels (`x, y` the box's top-left corner; keypoints in MediaPipe's order
 * `rightEye`, `leftEye`, `noseTip`, `mouthCenter`, `rightEarTragion`, `leftEarTragion`, the
 * subject's sides). Loads the detector on the first call (`face-simd.wasm` or
 * `face-scalar.wasm` and the model, beside this module). Rejects with an `Error` with a
 * Chinese `message` and `code` `detectorUnavailable`, `badImage` or `detectorFailed`.
 */
export function detectFaces(image: ImageData): Promise<Face[]>;

/**
 * The URLs of the files the detector loads in this browser (its SIMD or scalar module, the
 * model, and the face mesh a blink loads), for the page to keep for offline use once it is
 * usable.
 */
export function faceDetectorFiles(): string[];

/**
 * GCJ-02 → WGS-84 to better than 1 cm: `[lng, lat]` in degrees, unchanged outside China.
 * Throws on a position that is not finite degrees in range.
 */
export function gcj02ToWgs84(lng: number, lat: number): [number, number];

/**
 * The face guide oval the page draws over the preview: `{centreX, centreY, radiusX, radiusY}`,
 * the centre as fractions of the video's width and height, the radii as fractions of its
 * shorter side (in the video's own, unmirrored pixels).
 */
export function livenessGuide(): { centreX: number; centreY: number; radiusX: number; radiusY: number };

/**
 * Loads the face detector now (resolves at once when it is loaded). The camera step awaits
 * it before a challenge, so that the challenge and `capturePhoto` use it; when it rejects
 * (`code: "detectorUnavailable"`: offline before it was ever kept) the challenge falls back to
 * the guide oval and its verdict says `method: "region"`.
 */
export function loadFaceDetector(): Promise<void>;

/**
 * Why an out-of-fence request `{reason, note}` cannot be filed (Chinese, saying what to do),
 * or `undefined` when it can: the page checks before the camera step, with the same rule
 * `clockIn()` applies.
 */
export function outOfFenceProblem(request: OutOfFence): string | undefined;

/**
 * The reasons of an out-of-fence request in the order to list them, each with its Chinese
 * label: `[{reason, label}]` (the one list, `OutOfFenceReason`, that the relay's exports use).
 */
export function outOfFenceReasons(): OutOfFenceReasonLabel[];

/**
 * WGS-84 → GCJ-02: `[lng, lat]` in degrees, unchanged outside China. Throws on a position that
 * is not finite degrees in range.
 */
export function wgs84ToGcj02(lng: number, lat: number): [number, number];

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

export interface InitOutput {
    readonly memory: WebAssembly.Memory;
    readonly __wbg_capturedphoto_free: (a: number, b: number) => void;
    readonly __wbg_livenesscamera_free: (a: number, b: number) => void;
    readonly __wbg_livenesssession_free: (a: number, b: number) => void;
    readonly __wbg_phonemodule_free: (a: number, b: number) => void;
    readonly capturePhoto: (a: number) => [number, number, number];
    readonly capturePhotoFallback: () => any;
    readonly capturedphoto_byteLength: (a: number) => number;
    readonly capturedphoto_face: (a: number) => any;
    readonly capturedphoto_height: (a: number) => number;
    readonly capturedphoto_jpegBase64: (a: number) => [number, number];
    readonly capturedphoto_lowerTrust: (a: number) => number;
    readonly capturedphoto_source: (a: number) => [number, number];
    readonly capturedphoto_width: (a: number) => number;
    readonly checkFence: (a: any, b: number, c: number, d: number) => [number, number, number];
    readonly detectFaces: (a: any) => any;
    readonly faceDetectorFiles: () => any;
    readonly gcj02ToWgs84: (a: number, b: number) => [number, number, number];
    readonly livenessGuide: () => any;
    readonly livenesscamera_height: (a: number) => number;
    readonly livenesscamera_start: (a: any) => any;
    readonly livenesscamera_stop: (a: number) => void;
    readonly livenesscamera_stream: (a: number) => any;
    readonly livenesscamera_width: (a: number) => number;
    readonly livenesssession_analyseFrame: (a: number, b: number, c: number) => [number, number, number];
    readonly livenesssession_analyseRgba: (a: number, b: number, c: number, d: number, e: number, f: number) => [number, number, number];
    readonly livenesssession_evidenceJson: (a: number, b: number) => [number, number, number, number];
    readonly livenesssession_faceDetector: (a: number) => number;
    readonly livenesssession_new: (a: number, b: number) => [number, number, number];
    readonly livenesssession_nonce: (a: number) => [number, number];
    readonly livenesssession_nonceSource: (a: number) => [number, number];
    readonly livenesssession_prompts: (a: number) => any;
    readonly livenesssession_screenColour: (a: number, b: number) => [number, number];
    readonly livenesssession_verdict: (a: number) => any;
    readonly loadFaceDetector: () => any;
    readonly outOfFenceProblem: (a: any) => [number, number];
    readonly outOfFenceReasons: () => any;
    readonly phonemodule_challenge: (a: number) => any;
    readonly phonemodule_clockIn: (a: number, b: any) => any;
    readonly phonemodule_close: (a: number) => void;
    readonly phonemodule_configure: (a: number, b: any) => any;
    readonly phonemodule_enroll: (a: number, b: number, c: number, d: number, e: number) => any;
    readonly phonemodule_exportFailed: (a: number) => any;
    readonly phonemodule_fetchSite: (a: number) => any;
    readonly phonemodule_flush: (a: number) => any;
    readonly phonemodule_heartbeat: (a: number) => any;
    readonly phonemodule_isEnrolled: (a: number) => number;
    readonly phonemodule_list: (a: number, b: number, c: number, d: number) => any;
    readonly phonemodule_locate: (a: number, b: number) => any;
    readonly phonemodule_onEvent: (a: number, b: any) => void;
    readonly phonemodule_open: (a: number, b: number) => any;
    readonly phonemodule_requests: (a: number) => any;
    readonly phonemodule_retry: (a: number, b: number, c: number) => any;
    readonly phonemodule_site: (a: number) => [number, number, number];
    readonly phonemodule_start: (a: number) => [number, number];
    readonly phonemodule_status: (a: number) => any;
    readonly phonemodule_storage: (a: number) => any;
    readonly wgs84ToGcj02: (a: number, b: number) => [number, number, number];
    readonly wasm_bindgen__convert__closures_____invoke__h12a58abeb6e99768: (a: number, b: number, c: any, d: any) => void;
    readonly wasm_bindgen__convert__closures_____invoke__h4de2df6260f6ee29: (a: number, b: number, c: any) => [number, number];
    readonly wasm_bindgen__convert__closures_____invoke__haf8524ee7af08063: (a: number, b: number, c: any) => [number, number];
    readonly wasm_bindgen__convert__closures_____invoke__h54b02b67602b880b: (a: number, b: number, c: any) => any;
    readonly wasm_bindgen__convert__closures_____invoke__h5dd949bfce9864d6: (a: number, b: number) => [number, number, number];
    readonly wasm_bindgen__convert__closures_____invoke__h29e6069fe7d065dc: (a: number, b: number) => void;
    readonly wasm_bindgen__convert__closures_____invoke__he7f628548eeee91f: (a: number, b: number) => void;
    readonly __wbindgen_malloc: (a: number, b: number) => number;
    readonly __wbindgen_realloc: (a: number, b: number, c: number, d: number) => number;
    readonly __wbindgen_exn_store: (a: number) => void;
    readonly __externref_table_alloc: () => number;
    readonly __wbindgen_externrefs: WebAssembly.Table;
    readonly __wbindgen_destroy_closure: (a: number, b: number) => void;
    readonly __externref_table_dealloc: (a: number) => void;
    readonly __wbindgen_free: (a: number, b: number, c: number) => void;
    readonly __wbindgen_start: () => void;
}

export type SyncInitInput = BufferSource | WebAssembly.Module;

/**
 * Instantiates the given `module`, which can either be bytes or
 * a precompiled `WebAssembly.Module`.
 *
 * @param {{ module: SyncInitInput }} module - Passing `SyncInitInput` directly is deprecated.
 *
 * @returns {InitOutput}
 */
export function initSync(module: { module: SyncInitInput } | SyncInitInput): InitOutput;

/**
 * If `module_or_path` is {RequestInfo} or {URL}, makes a request and
 * for everything else, calls `WebAssembly.instantiate` directly.
 *
 * @param {{ module_or_path: InitInput | Promise<InitInput> }} module_or_path - Passing `InitInput` directly is deprecated.
 *
 * @returns {Promise<InitOutput>}
 */
export default function __wbg_init (module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>): Promise<InitOutput>;
