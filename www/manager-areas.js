// The site's approved work areas (外勤区域): places outside the fence where workers may clock in
// on an out-of-fence request (a supplier's yard, a second work area). Drawn in a dialog with the
// same editor as the fence (FenceEditor: polygons, holes, checked as the relay checks a fence),
// the fence shown beside them for reference; with the switch that approves a request made inside
// them at once. Shown as outlines on the page's map. GET / PUT
// /v1/manager/sites/{siteId}/work-areas.

import { api } from "./manager-api.js";
import { FenceEditor } from "./manager-map.js";
import { outline, setSiteShapes, siteShapes } from "./manager-places.js";
import { beijingTime, say } from "./manager-view.js";

const $ = (id) => document.getElementById(id);

let site = null;
/** The page's fence editor (its map shows the areas' outline) and the outline drawn on it. */
let mainEditor = null;
let mainOutline = null;
/** The dialog's editor, made when the dialog first opens (Leaflet needs a visible box). */
let editor = null;
/** The dialog's fence outline, for reference. */
let fenceOutline = null;
/** The areas as stored (`{geojson, autoApprove, version, updatedAtMs}`), or null. */
let stored = null;
let lastCheck = { ok: false };

/** Wires the card and the dialog (once, at start); `pageEditor` is the page's fence editor. */
export function setupAreas(pageEditor) {
  mainEditor = pageEditor;
  mainEditor.onTiles(drawOnPage);
  $("edit-areas").addEventListener("click", openEditor);
  $("areas-close").addEventListener("click", () => $("areas-dialog").close());
  $("save-areas").addEventListener("click", save);
}

/** Shows `selected`'s work areas. */
export async function showAreas(selected) {
  site = selected;
  stored = null;
  try {
    stored = await api("GET", `/sites/${encodeURIComponent(site.siteId)}/work-areas`);
  } catch (error) {
    if (error.status !== 404) {
      setSiteShapes({ areas: null });
      say("areas-status", `外勤区域读取失败：${error.message}。请刷新页面再试。`, false);
      drawOnPage();
      return;
    }
  }
  describe();
  drawOnPage();
}

/** The card's summary of the stored areas. */
function describe() {
  setSiteShapes({ areas: stored?.geojson ?? null });
  if (!stored) {
    say("areas-status", "还没有外勤区域：工人在围栏外打卡都要提交申请，由您逐条审批。");
    return;
  }
  const count = stored.geojson?.geometry?.coordinates?.length ?? 0;
  const auto = stored.autoApprove ? "区域内的申请自动批准" : "区域内的申请也要您审批";
  say("areas-status", `第 ${stored.version} 版，${count} 个区域，${auto}（${beijingTime(stored.updatedAtMs)} 保存）`);
}

/** The stored areas as an outline on the page's map. */
function drawOnPage() {
  mainOutline?.remove();
  mainOutline = stored ? outline(stored.geojson, mainEditor.crs, "area").addTo(mainEditor.map) : null;
}

/** Opens the dialog with the stored areas (or none) on the page's tiles. */
function openEditor() {
  $("areas-dialog").showModal();
  say("areas-saved", "");
  editor ??= new FenceEditor($("areas-map"), (check) => {
    lastCheck = check;
    say("areas-check", check.message, check.ok);
    $("save-areas").disabled = !check.ok || check.drawing;
  }, { subject: "外勤区域", global: "zjAreaMap", className: "area-shape" });
  editor.map.invalidateSize();
  if (editor.source !== mainEditor.source) editor.setTiles(mainEditor.source);
  fenceOutline?.remove();
  const { fence } = siteShapes();
  fenceOutline = fence ? outline(fence, editor.crs, "fence").addTo(editor.map) : null;
  $("auto-approve").checked = stored?.autoApprove ?? true;
  if (stored) {
    editor.showFence(stored.geojson);
  } else {
    editor.clear();
    const bounds = fenceOutline ? L.featureGroup(fenceOutline.getLayers()).getBounds() : null;
    if (bounds?.isValid()) editor.map.fitBounds(bounds.pad(2), { animate: false });
  }
}

/** Saves the drawn areas and the switch. */
async function save() {
  const geometry = editor.fence();
  if (!lastCheck.ok || !geometry) return;
  $("save-areas").disabled = true;
  say("areas-saved", "正在保存…");
  try {
    stored = await api("PUT", `/sites/${encodeURIComponent(site.siteId)}/work-areas`, {
      geojson: { type: "Feature", properties: {}, geometry },
      autoApprove: $("auto-approve").checked,
    });
    say("areas-saved", `已保存：第 ${stored.version} 版。之后的外勤申请按新区域判断。`, true);
    describe();
    drawOnPage();
  } catch (error) {
    say("areas-saved", `没有保存：${error.message}`, false);
  } finally {
    $("save-areas").disabled = !lastCheck.ok;
  }
}
