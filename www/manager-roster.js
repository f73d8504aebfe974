// The manager page's site roster: the persons of the site's platform sn (device number), which
// of them are on this site (its team phones may clock in only those), and a large button on
// each to put them on the site or take them off. While the sn has this one site, everyone is on
// it and there is nothing to assign. Names are shown as text, never as markup.

import { api } from "./manager-api.js";

const $ = (id) => document.getElementById(id);

/** A person's name and id as one line of text, whatever the data holds. */
export function personLabel(person) {
  const name = typeof person?.name === "string" && person.name ? person.name : "（无姓名）";
  return `${name}（${String(person?.personId ?? "?")}）`;
}

/**
 * Loads and shows `site`'s roster; resolves to the sn's persons (`{personId, name, onSite}`),
 * or [] when it could not be read. `changed(persons)` is called after each assignment.
 */
export async function showSiteRoster(site, changed = () => {}) {
  let roster;
  try {
    roster = await api("GET", `/sites/${encodeURIComponent(site.siteId)}/roster`);
  } catch (error) {
    $("roster-note").textContent = `花名册读取失败：${error.message}`;
    $("roster-list").replaceChildren();
    return [];
  }
  const persons = Array.isArray(roster?.persons) ? roster.persons : [];
  render(site, roster?.shared === true, persons, changed);
  return persons;
}

/** Fills the roster section: one row a person, with its button when the sn is shared. */
function render(site, shared, persons, changed) {
  $("roster-note").textContent = shared
    ? "这个设备号有多个工地：班组手机只能为本工地花名册上的人员打卡。点按钮加入或移出。"
    : "这个设备号只有这一个工地：平台下发的所有人员都在本工地花名册上。";
  const rows = persons.map((person) => {
    const li = document.createElement("li");
    li.className = `record roster-person ${person.onSite ? "on-site" : "off-site"}`;
    li.dataset.personId = String(person.personId ?? "");
    const label = document.createElement("span");
    label.textContent = `${personLabel(person)}${person.onSite ? " · 在本工地" : ""}`;
    li.append(label);
    if (shared) li.append(toggle(site, person, changed));
    return li;
  });
  if (!rows.length) {
    const li = document.createElement("li");
    li.className = "muted";
    li.textContent = "花名册还是空的：请先在平台下发人员。";
    rows.push(li);
  }
  $("roster-list").replaceChildren(...rows);
}

/** The button that puts `person` on the site or takes them off, then shows the roster again. */
function toggle(site, person, changed) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = person.onSite ? "secondary" : "primary";
  button.textContent = person.onSite ? "移出本工地" : "加入本工地";
  button.addEventListener("click", async () => {
    button.disabled = true;
    const ids = [String(person.personId)];
    const body = person.onSite ? { add: [], remove: ids } : { add: ids, remove: [] };
    try {
      await api("POST", `/sites/${encodeURIComponent(site.siteId)}/roster`, body);
      $("roster-message").textContent = "";
    } catch (error) {
      $("roster-message").textContent = `没有改成：${error.message}`;
    }
    changed(await showSiteRoster(site, changed));
  });
  return button;
}
