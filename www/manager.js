// The site manager's page: log in (manager-login.js), pick a site; see its day (the day sheet
// and punch list with exports, manager-sheet.js; each punch's detail, manager-punch.js; today's
// punches on the map, manager-places.js), decide out-of-fence requests (manager-requests.js),
// draw its fence and approved work areas (manager-areas.js), create enrollment codes, revoke
// phones, assign persons to the site's roster, and see the log of manager actions.

import { FenceEditor, TILES } from "./manager-map.js";
import { api } from "./manager-api.js";
import { showLogin, startLogin } from "./manager-login.js";
import { createCode, showPhones, showRoster, showSignins } from "./manager-lists.js";
import { showTerminals } from "./manager-terminals.js";
import { loadPhoneModule } from "./phone-module.js";
import { showSiteRoster } from "./manager-roster.js";
import { showActions } from "./manager-actions.js";
import { setupAreas, showAreas } from "./manager-areas.js";
import { openPunch, setupPunchDialog } from "./manager-punch.js";
import { PunchPoints, setSiteShapes } from "./manager-places.js";
import { refreshRequests, setupRequests, showRequests } from "./manager-requests.js";
import { refreshToday, setupSheet, showSheet } from "./manager-sheet.js";
import { attendanceDate } from "./manager-view.js";

const $ = (id) => document.getElementById(id);
const TILES_KEY = "zj-manager-tiles";
/** How often today's sign-ins, punches (map, sheet) and requests are reloaded, milliseconds. */
const SIGNINS_EVERY_MS = 15_000;

let sites = [];
let site = null;
let editor = null;
/** Today's punches on the map. */
let points = null;
let names = new Map();
let lastCheck = { ok: false };

function message(id, text, ok) {
  const el = $(id);
  el.textContent = text;
  el.className = `message ${ok === undefined ? "" : ok ? "ok-text" : "bad-text"}`;
}

async function boot() {
  await startLogin(enter);
}

/** Opens the console once logged in, or asks to log in again when the relay refuses. */
async function enter() {
  try {
    sites = await api("GET", "/sites");
  } catch (error) {
    showLogin(error.message);
    return;
  }
  $("login").hidden = true;
  $("console").hidden = false;
  $("logout").hidden = false;
  await loadPhoneModule();
  editor = new FenceEditor($("map"), (check) => {
    lastCheck = check;
    message("fence-check", check.message, check.ok);
    $("save-fence").disabled = !check.ok || check.drawing;
  });
  editor.onTiles(() => setSiteShapes({ tiles: editor.source }));
  points = new PunchPoints(editor, openPunch);
  setupPunchDialog();
  setupSheet();
  setupRequests();
  setupAreas(editor);
  setupTiles();
  $("site").replaceChildren(...sites.map((s) => new Option(`${s.name}（${s.siteId}）`, s.siteId)));
  $("site").addEventListener("change", () => selectSite($("site").value));
  $("save-fence").addEventListener("click", saveFence);
  $("new-code").addEventListener("click", () => createCode(site));
  $("binding").addEventListener("change", () => {
    $("enroll-person").hidden = $("binding").value !== "personal";
  });
  $("reload-signins").addEventListener("click", () => {
    refreshSignins();
    refreshPoints();
    refreshToday();
  });
  setInterval(() => {
    refreshSignins();
    refreshPoints();
    refreshRequests({ quiet: true });
    refreshToday();
  }, SIGNINS_EVERY_MS);
  $("reload-actions").addEventListener("click", () => showActions(sites, names));
  if (sites.length) await selectSite(sites[0].siteId);
  else message("fence-check", "中继还没有工地：用 POST /v1/manager/sites 创建。", false);
}

/** The tile picker: OpenStreetMap, AMap (GCJ-02), or a URL of the manager's own. */
function setupTiles() {
  const kept = JSON.parse(localStorage.getItem(TILES_KEY) ?? "null") ?? { kind: "osm" };
  $("tiles").value = kept.kind;
  $("tile-url").value = kept.url ?? "";
  $("tile-crs").value = kept.crs ?? "wgs84";
  const apply = () => {
    const kind = $("tiles").value;
    const custom = kind === "custom";
    $("tile-url").hidden = !custom;
    $("tile-crs-row").hidden = !custom;
    const url = $("tile-url").value.trim();
    const source = custom ? { url, crs: $("tile-crs").value } : TILES[kind];
    if (custom && !url) return;
    localStorage.setItem(TILES_KEY, JSON.stringify({ kind, url, crs: $("tile-crs").value }));
    editor.setTiles(source);
  };
  for (const id of ["tiles", "tile-url", "tile-crs"]) $(id).addEventListener("change", apply);
  apply();
  if (!editor.tiles) editor.setTiles(TILES.osm);
}

async function selectSite(siteId) {
  site = sites.find((s) => s.siteId === siteId);
  $("site").value = siteId;
  $("code-box").hidden = true;
  message("fence-saved", "");
  const [fence, roster] = await Promise.all([
    api("GET", `/sites/${siteId}/fence`),
    showSiteRoster(site, useRoster),
  ]);
  useRoster(roster);
  setSiteShapes({ fence: fence?.geojson ?? null });
  if (fence) {
    $("max-accuracy").value = fence.maxAccuracyM;
    $("uncertain-policy").value = fence.uncertainPolicy;
    editor.showFence(fence.geojson);
    message("fence-saved", `当前围栏：第 ${fence.version} 版，${new Date(fence.updatedAtMs).toLocaleString("zh-CN", { hour12: false })} 保存`);
  } else {
    editor.clear();
  }
  await Promise.all([
    showRequests(site),
    showSheet(site),
    refreshPoints(),
    showAreas(site),
    showPhones(site),
    refreshSignins(),
    showActions(sites, names),
    showTerminals(site),
  ]);
}

/** Today's punches of the site (its attendance day) as points on the map. */
async function refreshPoints() {
  if (!site) return;
  const today = attendanceDate(site.dayStartHour);
  try {
    const answer = await api("GET", `/sites/${encodeURIComponent(site.siteId)}/punches?from=${today}&to=${today}`);
    points.show(answer?.punches);
  } catch {
    // Shown again on the next refresh.
  }
}

/** The site's roster: every person of its sn names the sign-ins; those on the site are offered
 * for personal codes. */
function useRoster(roster) {
  names = new Map(roster.map((person) => [person.personId, person.name]));
  showRoster(roster.filter((person) => person.onSite));
}

async function refreshSignins() {
  if (!site) return;
  try {
    await showSignins(site, names);
  } catch {
    // Shown again on the next refresh.
  }
}

async function saveFence() {
  const fence = editor.fence();
  if (!lastCheck.ok || !fence) return;
  $("save-fence").disabled = true;
  message("fence-saved", "正在保存…");
  try {
    const stored = await api("PUT", `/sites/${site.siteId}/fence`, {
      crs: "wgs84",
      maxAccuracyM: Number($("max-accuracy").value),
      uncertainPolicy: $("uncertain-policy").value,
      geojson: fence,
    });
    message("fence-saved", `已保存：第 ${stored.version} 版。工人手机下次定位时自动使用新围栏。`, true);
    setSiteShapes({ fence: stored.geojson });
    showActions(sites, names);
  } catch (error) {
    message("fence-saved", `没有保存：${error.message}`, false);
  } finally {
    $("save-fence").disabled = !lastCheck.ok;
  }
}

boot();
