// The manager page's map and fence editor: Leaflet with Leaflet-Geoman (vendored in
// www/vendor/), polygons with holes (Geoman's cut tool), checked as they are drawn with the
// phone module's own checkFence (the same validation the relay and the phones apply), and the
// fence's area. Tiles are configurable; GCJ-02 tiles (AMap) are drawn on by converting every
// vertex with the module's wgs84ToGcj02 / gcj02ToWgs84, so the fence is always kept in WGS-84.

import { checkFence, gcj02ToWgs84, wgs84ToGcj02 } from "/pkg/zj_attendance.js";

/** Tile sources; `crs` is the coordinate system the tiles are drawn in. */
export const TILES = {
  osm: {
    url: "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    crs: "wgs84",
    maxZoom: 19,
    attribution: "© OpenStreetMap 贡献者",
  },
  amap: {
    url: "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
    subdomains: "1234",
    crs: "gcj02",
    maxZoom: 18,
    attribution: "© 高德地图",
  },
};

/** A Leaflet tile layer of tile source `source` (`{url, crs, maxZoom?, subdomains?, attribution?}`). */
export function tileLayer(source) {
  return L.tileLayer(source.url, {
    maxZoom: source.maxZoom ?? 19,
    subdomains: source.subdomains ?? "abc",
    attribution: source.attribution ?? "",
  });
}

/** WGS-84 `[lng, lat]` → a Leaflet LatLng on tiles drawn in `crs` ("wgs84" or "gcj02"). */
export function toMapLatLng(crs, [lng, lat]) {
  const [x, y] = crs === "gcj02" ? wgs84ToGcj02(lng, lat) : [lng, lat];
  return L.latLng(y, x);
}

/** The polygons of a WGS-84 Feature or geometry (Polygon or MultiPolygon), as rings of
 * `[lng, lat]`; [] for anything else. */
export function polygonsOf(geojson) {
  const geometry = geojson?.geometry ?? geojson;
  if (geometry?.type === "Polygon") return [geometry.coordinates];
  if (geometry?.type === "MultiPolygon") return geometry.coordinates;
  return [];
}

/** Earth radius of the area formula, metres (WGS-84 semi-major axis). */
const EARTH_RADIUS_M = 6_378_137;
/** Square metres in a mu (亩), the unit site managers think in. */
const M2_PER_MU = 666.667;

/** Area of a ring of `[lng, lat]` degrees on the sphere, m² (positive). */
function ringAreaM2(ring) {
  const rad = Math.PI / 180;
  let sum = 0;
  for (let i = 0; i < ring.length - 1; i++) {
    const [lng1, lat1] = ring[i];
    const [lng2, lat2] = ring[i + 1];
    sum += (lng2 - lng1) * rad * (2 + Math.sin(lat1 * rad) + Math.sin(lat2 * rad));
  }
  return Math.abs((sum * EARTH_RADIUS_M * EARTH_RADIUS_M) / 2);
}

/** Area of MultiPolygon coordinates (shells minus holes), m². */
export function areaM2(multiPolygon) {
  return multiPolygon.reduce(
    (total, [shell, ...holes]) =>
      total + ringAreaM2(shell) - holes.reduce((sum, hole) => sum + ringAreaM2(hole), 0),
    0,
  );
}

/**
 * A map with polygons being edited: the site's fence, or its approved work areas (外勤区域).
 * `onChange(check)` hears every change; `subject` names what is drawn in the messages,
 * `global` is the window property that holds the Leaflet map (for the console and the
 * end-to-end tests), and `className` the CSS class of its polygons (their colour).
 */
export class FenceEditor {
  constructor(element, onChange, { subject = "围栏", global = "zjMap", className = "" } = {}) {
    this.onChange = onChange;
    this.subject = subject;
    this.pathOptions = { className };
    this.crs = "wgs84";
    this.tiles = null;
    this.source = null;
    this.tileListeners = [];
    this.map = L.map(element, { zoomControl: true }).setView([30.209, 120.211], 16);
    this.map.pm.setLang("zh");
    this.map.pm.addControls({
      position: "topleft",
      drawMarker: false,
      drawCircleMarker: false,
      drawPolyline: false,
      drawCircle: false,
      drawText: false,
      rotateMode: false,
    });
    this.map.pm.setGlobalOptions({ allowSelfIntersection: true, snappable: true, pathOptions: this.pathOptions });
    const changed = () => this.changed();
    this.map.on("pm:create", ({ layer }) => {
      this.watch(layer);
      changed();
    });
    this.map.on("pm:remove pm:cut", (event) => {
      if (event.layer && event.type === "pm:cut") this.watch(event.layer);
      changed();
    });
    this.map.on("pm:drawstart", ({ workingLayer }) => {
      workingLayer.on("pm:vertexadded", () => this.drawing(workingLayer));
    });
    window[global] = this.map;
  }

  /** Calls `listener()` after the tiles (and so perhaps the map's CRS) change. */
  onTiles(listener) {
    this.tileListeners.push(listener);
  }

  /** Re-checks when `layer` is edited. */
  watch(layer) {
    layer.on("pm:edit pm:dragend pm:vertexremoved", () => this.changed());
  }

  /** Uses tile source `source` (`{url, crs, …}`); the drawn fence is converted to its CRS. */
  setTiles(source) {
    const fence = this.fence();
    const centre = this.toWgs84(this.map.getCenter());
    this.tiles?.remove();
    this.crs = source.crs;
    this.source = source;
    this.tiles = tileLayer(source).addTo(this.map);
    this.map.setView(this.toMap(centre), this.map.getZoom(), { animate: false });
    if (fence) this.showFence(fence, false);
    for (const listener of this.tileListeners) listener();
  }

  /** `[lng, lat]` WGS-84 → a Leaflet LatLng in the tiles' CRS. */
  toMap(point) {
    return toMapLatLng(this.crs, point);
  }

  /** A Leaflet LatLng (or `[lng, lat]` in the tiles' CRS) → `[lng, lat]` WGS-84. */
  toWgs84(point) {
    const [lng, lat] = Array.isArray(point) ? point : [point.lng, point.lat];
    return this.crs === "gcj02" ? gcj02ToWgs84(lng, lat) : [lng, lat];
  }

  /** The drawn polygons. */
  polygons() {
    return this.map.pm.getGeomanLayers().filter((layer) => layer instanceof L.Polygon);
  }

  /** Shows `geojson` (a WGS-84 Feature or geometry, Polygon or MultiPolygon). */
  showFence(geojson, fit = true) {
    for (const layer of this.polygons()) layer.remove();
    const polygons = polygonsOf(geojson);
    for (const rings of polygons) {
      const latLngs = rings.map((ring) => ring.slice(0, -1).map((point) => this.toMap(point)));
      const layer = L.polygon(latLngs, this.pathOptions).addTo(this.map);
      this.watch(layer);
    }
    if (fit && polygons.length) this.map.fitBounds(L.featureGroup(this.polygons()).getBounds().pad(0.3));
    this.changed();
  }

  /** Removes every polygon. */
  clear() {
    for (const layer of this.polygons()) layer.remove();
    this.changed();
  }

  /** The drawn fence as a WGS-84 MultiPolygon geometry, or null when nothing is drawn. */
  fence() {
    const coordinates = [];
    for (const layer of this.polygons()) {
      // Full precision: Leaflet rounds to 6 decimals (about 10 cm) by default.
      const geometry = layer.toGeoJSON(false).geometry;
      const parts = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
      for (const rings of parts) {
        coordinates.push(rings.map((ring) => ring.map((point) => this.toWgs84(point))));
      }
    }
    return coordinates.length ? { type: "MultiPolygon", coordinates } : null;
  }

  /** Checks `fence` as the phones will: `{ok, message, areaM2}`. */
  check(fence) {
    if (!fence) return { ok: false, message: `还没有${this.subject}：用地图左侧的多边形工具点出它的边界。`, areaM2: 0 };
    const [lng, lat] = fence.coordinates[0][0][0];
    try {
      checkFence(fence, lng, lat, 10);
    } catch (error) {
      // A refused fence's error carries the problem in Chinese (`zh`), with its stable `code`
      // and `detail`, from the same validation the relay applies.
      return { ok: false, message: error.zh ?? error.message ?? String(error), areaM2: 0 };
    }
    const area = areaM2(fence.coordinates);
    return {
      ok: true,
      message: `${this.subject}有效：${fence.coordinates.length} 个多边形，面积 ${Math.round(area).toLocaleString("zh-CN")} 平方米（${(area / M2_PER_MU).toFixed(1)} 亩）`,
      areaM2: area,
    };
  }

  changed() {
    this.onChange(this.check(this.fence()));
  }

  /** While a polygon is being drawn: its vertices so far, checked as if closed now. */
  drawing(workingLayer) {
    const points = workingLayer.getLatLngs().map((point) => this.toWgs84(point));
    if (points.length < 3) {
      this.onChange({ ok: false, drawing: true, message: `正在画：已点 ${points.length} 个顶点，至少需要 3 个。`, areaM2: 0 });
      return;
    }
    const check = this.check({ type: "MultiPolygon", coordinates: [[[...points, points[0]]]] });
    this.onChange({ ...check, drawing: true, message: `正在画：${points.length} 个顶点。${check.message}` });
  }
}
