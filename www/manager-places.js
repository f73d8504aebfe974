// What the manager page shows on maps besides the polygons being edited: a fence or work areas
// as outlines (never editable, never part of what is saved), today's punches as points coloured
// by the relay's verdict with a legend, and one place (a punch's or a request's fix with its
// accuracy circle, the fence it was judged against, the site's work areas) on a small map of its
// own. Every coordinate is WGS-84 and drawn on the tiles' CRS (GCJ-02 for AMap).

import { polygonsOf, tileLayer, toMapLatLng } from "./manager-map.js";
import { beijingClock, el, finite, list, metres, VERDICT_ZH } from "./manager-view.js";

/** What the page knows of the selected site: `{fence, areas, tiles}` (WGS-84 GeoJSON, the
 * page map's tile source). */
let shapes = { fence: null, areas: null, tiles: null };

/** Updates what the page knows of the selected site's fence, work areas and tiles. */
export function setSiteShapes(changes) {
  shapes = { ...shapes, ...changes };
}

/** The selected site's fence, work areas and the page map's tile source. */
export function siteShapes() {
  return shapes;
}

/** Where a place map looks before it has anything to show (Hangzhou, `[lat, lng]`). */
const DEFAULT_VIEW = [30.209, 120.211];

/** The verdict classes of a point: the relay's verdict, or "none" when it had none. */
const VERDICT_CLASSES = ["inside", "outside", "uncertain", "none"];

/** The legend's words for each verdict class. */
const LEGEND_ZH = { ...VERDICT_ZH, none: "无判定" };

/** The verdict class of a relay verdict of any shape. */
function verdictClass(verdict) {
  return VERDICT_CLASSES.includes(verdict) && verdict !== "none" ? verdict : "none";
}

/**
 * The outline of `geojson`'s polygons on a map in `crs`, as a layer group (ignored by the
 * editor's tools); `kind` ("fence" or "area") picks its CSS class. Empty for no polygons.
 */
export function outline(geojson, crs, kind) {
  const group = L.layerGroup();
  for (const rings of polygonsOf(geojson)) {
    const latLngs = rings.map((ring) => ring.slice(0, -1).map((point) => toMapLatLng(crs, point)));
    L.polygon(latLngs, { pmIgnore: true, interactive: false, className: `outline-${kind}` }).addTo(group);
  }
  return group;
}

/** The point of a punch or request (`{lng, lat}`), or null when it has none. */
function pointOf(place) {
  const lng = finite(place?.lng);
  const lat = finite(place?.lat);
  return lng === null || lat === null ? null : [lng, lat];
}

/**
 * Today's punches on the editor's map: one dot a punch, coloured by verdict, named on hover,
 * opening its detail (`onPick(punch)`) when clicked; a legend counts each colour. Redrawn
 * when the tiles change CRS.
 */
export class PunchPoints {
  constructor(editor, onPick) {
    this.editor = editor;
    this.onPick = onPick;
    this.punches = [];
    this.layer = L.layerGroup().addTo(editor.map);
    this.legend = L.control({ position: "bottomright" });
    this.legend.onAdd = () => {
      this.legendBox = el("div", "map-legend");
      return this.legendBox;
    };
    this.legend.addTo(editor.map);
    editor.onTiles(() => this.draw());
  }

  /** Shows `punches` (the punch list's entries). */
  show(punches) {
    this.punches = list(punches);
    this.draw();
  }

  draw() {
    this.layer.clearLayers();
    const counts = Object.fromEntries(VERDICT_CLASSES.map((kind) => [kind, 0]));
    for (const punch of this.punches) {
      const point = pointOf(punch);
      if (!point) continue;
      const kind = verdictClass(punch.verdict);
      counts[kind] += 1;
      const dot = L.circleMarker(this.editor.toMap(point), {
        radius: 9,
        pmIgnore: true,
        className: `punch-point verdict-${kind}`,
      });
      // A node, not a string: Leaflet puts a string tooltip in as HTML, and names are typed in.
      dot.bindTooltip(el("span", "", `${punch.name ?? punch.personId ?? "?"} ${beijingClock(punch.recordTime)} ${LEGEND_ZH[kind]}`));
      dot.on("click", () => this.onPick(punch));
      dot.addTo(this.layer);
    }
    this.legendBox.replaceChildren(
      el("strong", "", "今日打卡"),
      ...VERDICT_CLASSES.map((kind) => {
        const row = el("div", `legend-row verdict-${kind}`);
        row.append(el("span", "swatch"), el("span", "", `${LEGEND_ZH[kind]} ${counts[kind]}`));
        return row;
      }),
    );
  }
}

/**
 * A small read-only map of one place in `element`, on tile source `source`: the fix with its
 * accuracy circle, the fence and the work areas as outlines; zoomed to show them.
 */
export class PlaceMap {
  constructor(element, source) {
    this.crs = source.crs;
    // A view from the start: Leaflet adds layers (and can measure them) only once it has one.
    this.map = L.map(element, { zoomControl: true, attributionControl: false }).setView(DEFAULT_VIEW, 12);
    tileLayer(source).addTo(this.map);
    this.layer = L.layerGroup().addTo(this.map);
  }

  /** Shows `{point: {lng, lat}, accuracyM, verdict, fence, areas}` (any may be missing). */
  show({ point, accuracyM, verdict, fence, areas }) {
    this.map.invalidateSize();
    this.layer.clearLayers();
    const shown = L.featureGroup().addTo(this.layer);
    if (fence) outline(fence, this.crs, "fence").eachLayer((layer) => layer.addTo(shown));
    if (areas) outline(areas, this.crs, "area").eachLayer((layer) => layer.addTo(shown));
    const at = pointOf(point);
    if (at) {
      const latLng = toMapLatLng(this.crs, at);
      const radius = finite(accuracyM);
      if (radius !== null && radius > 0) {
        L.circle(latLng, { radius, className: "accuracy-circle", interactive: false }).addTo(shown);
      }
      L.circleMarker(latLng, { radius: 9, className: `punch-point verdict-${verdictClass(verdict)}` })
        .bindTooltip(radius === null ? "打卡位置" : `打卡位置（精度 ±${metres(radius)}）`)
        .addTo(shown);
    }
    const bounds = shown.getBounds();
    if (bounds.isValid()) this.map.fitBounds(bounds.pad(0.2), { maxZoom: 18, animate: false });
    else this.map.setView(DEFAULT_VIEW, 12, { animate: false });
  }
}
