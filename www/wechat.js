// Inside WeChat's web-view only (app.js imports this file there and nowhere else): sets up
// WeChat's JS-SDK so the phone module can take the location from `wx.getLocation` (GCJ-02) as
// well as from the browser. The relay signs this page's URL (GET /v1/wechat/jsapi-config; its
// official account's secret stays there), the SDK (www/vendor/weixin/, from the npm package
// jweixin-module, scripts/vendor-web.sh) is loaded from the relay only after the relay said yes,
// and `wx.config` must report ready. Anything else (no WeChat configuration on the relay: 404
// `wechat_not_configured`; offline; a refused signature) leaves the page as it is outside
// WeChat: the browser's location alone. Never throws.

/** The JS-SDK, served by the relay. */
const SDK = "/vendor/weixin/jweixin.js";
/** How long `wx.config` may take to report, milliseconds. */
const CONFIG_TIMEOUT_MS = 8_000;
/** The JS-SDK calls the page uses. */
const JS_API_LIST = ["getLocation", "chooseImage"];

/**
 * Configures the JS-SDK for this page; resolves to true when `window.wx` is ready for
 * `wx.getLocation`, false when the page goes on without it (`window.wx` is then unset, so the
 * phone module uses the browser's location only).
 */
export async function setUpWechat() {
  try {
    // The URL WeChat checks: this page's, without its fragment, as the page has it now.
    const url = location.href.split("#")[0];
    const response = await fetch(`/v1/wechat/jsapi-config?url=${encodeURIComponent(url)}`);
    if (!response.ok) return false;
    const config = await response.json();
    const wx = await loadSdk();
    await configure(wx, config);
    window.wx = wx;
    return true;
  } catch (error) {
    console.warn("WeChat JS-SDK not used:", error?.message ?? error);
    return false;
  }
}

/** Loads the SDK and takes its `wx` away from `window` until it is configured. */
function loadSdk() {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = SDK;
    script.onload = () => {
      const wx = window.wx;
      delete window.wx;
      if (wx?.config) resolve(wx);
      else reject(new Error("the JS-SDK did not load"));
    };
    script.onerror = () => reject(new Error("the JS-SDK could not be fetched"));
    document.head.append(script);
  });
}

/** `wx.config` with the relay's signature; resolves on `wx.ready`, rejects on `wx.error`. */
function configure(wx, { appId, timestamp, nonceStr, signature }) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("wx.config timed out")), CONFIG_TIMEOUT_MS);
    wx.ready(() => {
      clearTimeout(timer);
      resolve();
    });
    wx.error((result) => {
      clearTimeout(timer);
      reject(new Error(`wx.config: ${result?.errMsg ?? "refused"}`));
    });
    wx.config({ debug: false, appId, timestamp, nonceStr, signature, jsApiList: JS_API_LIST });
  });
}
