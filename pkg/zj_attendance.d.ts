/* tslint:disable */
/* eslint-disable */

/**
 * The phone module: enrollment, site and fence, location, clock-in, and the outbox.
 */
export class PhoneModule {
    private constructor();
    free(): void;
    [Symbol.dispose](): void;
    /**
     * Saves a clock-in: `{photo: Blob, personId?, liveness?, fallbackCapture?}`, using the last
     * `locate()` result. Resolves to the record id once the record is on disk; uploading
     * starts at once.
     */
    clockIn(options: any): Promise<any>;
    /**
     * Closes the storage (the module is unusable afterwards; tests reopen it).
     */
    close(): void;
    /**
     * Saves `{relayUrl, credentials: {sn, accessId, accessKey, accessSecret}}` given by a
     * team's own enrollment.
     */
    configure(config: any): Promise<any>;
    /**
     * Redeems an enrollment code at the relay (`relayUrl`, e.g. `location.origin`); resolves
     * to the site.
     */
    enroll(relay_url: string, code: string): Promise<any>;
    /**
     * Every failed record with its reason and photo (base64), as JSON text for a manager.
     */
    exportFailed(): Promise<any>;
    /**
     * Fetches the site, binding and fence from the relay; resolves to the site.
     */
    fetchSite(): Promise<any>;
    /**
     * Sends what is due now; resolves to the queue counts.
     */
    flush(): Promise<any>;
    /**
     * Sends a heartbeat (learns the relay's clock); resolves to the fence version the relay
     * announced, and refetches the site when it differs from the one kept.
     */
    heartbeat(): Promise<any>;
    /**
     * Whether the phone has credentials.
     */
    isEnrolled(): boolean;
    /**
     * Up to `limit` records in `state` (`"pending"`, `"sending"`, `"done"`, `"failed"`),
     * oldest first, without their photos.
     */
    list(state: string, limit?: number | null): Promise<any>;
    /**
     * Takes the location (browser, and WeChat when available) and judges it against the
     * fence; resolves to `{lng, lat, accuracyM, source, sourceCrs, fixAgeMs, warnings, fence:
     * {verdict, distanceM} | null, mayClockIn, message, takenAtMs}`.
     */
    locate(timeout_ms?: number | null): Promise<any>;
    /**
     * Calls `listener(event)` for each event: `{type: "saved" | "delivered" | "retry" |
     * "failed" | "halted" | "idle", recordId, message, counts}`.
     */
    onEvent(listener: Function): void;
    /**
     * Opens the module's storage (`dbName`, default `"zj-attendance"`) and what it kept.
     */
    static open(db_name?: string | null): Promise<PhoneModule>;
    /**
     * Puts a failed record back in the queue; resolves to whether there was one.
     */
    retry(record_id: string): Promise<any>;
    /**
     * The site as last fetched (`null` before enrollment).
     */
    site(): any;
    /**
     * Starts sending on its own: now, when the browser comes back online, when the page
     * becomes visible, and every 30 s.
     */
    start(): void;
    /**
     * `{pending, sending, done, failed, lastDeliveryMs, online, halted}`.
     */
    status(): Promise<any>;
    /**
     * Asks for persistent storage and reports `{persisted, usageBytes, quotaBytes, low,
     * message}`.
     */
    storage(): Promise<any>;
}

/**
 * Judges a WGS-84 fix (degrees, accuracy radius in metres) against `fence`, a GeoJSON Polygon,
 * MultiPolygon, Feature or FeatureCollection in WGS-84, validated with the default limits; the
 * cap on accuracy is `properties.maxAccuracyM` if a feature sets it, else 100 m
 * (`DEFAULT_MAX_ACCURACY_M`). Returns `{verdict: "inside" | "outside" | "uncertain",
 * distanceM}`, the distance in metres to the nearest boundary; throws on a bad fence or fix.
 */
export function checkFence(fence: object, lng: number, lat: number, accuracyM: number): { verdict: "inside" | "outside" | "uncertain"; distanceM: number };

/**
 * GCJ-02 → WGS-84 to better than 1 cm: `[lng, lat]` in degrees, unchanged outside China.
 * Throws on a position that is not finite degrees in range.
 */
export function gcj02ToWgs84(lng: number, lat: number): [number, number];

/**
 * WGS-84 → GCJ-02: `[lng, lat]` in degrees, unchanged outside China. Throws on a position that
 * is not finite degrees in range.
 */
export function wgs84ToGcj02(lng: number, lat: number): [number, number];

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

export interface InitOutput {
    readonly memory: WebAssembly.Memory;
    readonly __wbg_phonemodule_free: (a: number, b: number) => void;
    readonly checkFence: (a: any, b: number, c: number, d: number) => [number, number, number];
    readonly gcj02ToWgs84: (a: number, b: number) => [number, number, number];
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
    readonly phonemodule_retry: (a: number, b: number, c: number) => any;
    readonly phonemodule_site: (a: number) => [number, number, number];
    readonly phonemodule_start: (a: number) => [number, number];
    readonly phonemodule_status: (a: number) => any;
    readonly phonemodule_storage: (a: number) => any;
    readonly wgs84ToGcj02: (a: number, b: number) => [number, number, number];
    readonly wasm_bindgen__convert__closures_____invoke__h12a58abeb6e99768: (a: number, b: number, c: any, d: any) => void;
    readonly wasm_bindgen__convert__closures_____invoke__h4de2df6260f6ee29: (a: number, b: number, c: any) => [number, number];
    readonly wasm_bindgen__convert__closures_____invoke__haf52b6fa48eadc36: (a: number, b: number, c: any) => [number, number];
    readonly wasm_bindgen__convert__closures_____invoke__h928866037333b2b7: (a: number, b: number, c: any) => any;
    readonly wasm_bindgen__convert__closures_____invoke__h348c2d6ec1ed6b13: (a: number, b: number) => void;
    readonly wasm_bindgen__convert__closures_____invoke__h47738e6fb0cbd5c0: (a: number, b: number) => void;
    readonly __wbindgen_malloc: (a: number, b: number) => number;
    readonly __wbindgen_realloc: (a: number, b: number, c: number, d: number) => number;
    readonly __wbindgen_exn_store: (a: number) => void;
    readonly __externref_table_alloc: () => number;
    readonly __wbindgen_externrefs: WebAssembly.Table;
    readonly __wbindgen_destroy_closure: (a: number, b: number) => void;
    readonly __externref_table_dealloc: (a: number) => void;
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
