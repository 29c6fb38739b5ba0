// The demo's chat page: one person's private chat with the bot, the people, the time machine.
// Everything the bot or a person wrote is put on the page as text nodes, never as HTML.
"use strict";

const CITIES = [
  ["Berlin", 52.52, 13.405], ["London", 51.507, -0.128], ["Madrid", 40.417, -3.704],
  ["New York", 40.713, -74.006], ["Los Angeles", 34.052, -118.244], ["São Paulo", -23.551, -46.633],
  ["Nairobi", -1.292, 36.822], ["Mumbai", 19.076, 72.878], ["Tokyo", 35.676, 139.65],
  ["Sydney", -33.869, 151.209],
];
const DEFAULT_USER = 100001;
const $ = (id) => document.getElementById(id);
const view = { user: null, state: null, rendered: new Map(), toastsSeen: new Map(), keyboard: null };
let refreshing = false, dirty = false, toastTimer = null;

// ---- talking to the demo ---------------------------------------------------------------------

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ user: view.user, ...body }),
  });
  const answer = await response.json().catch(() => ({ ok: false, error: "No answer from the demo." }));
  if (!answer.ok) throw new Error(answer.error || "That did not work.");
  return answer;
}

async function refresh() {
  if (refreshing) { dirty = true; return; }
  refreshing = true;
  try {
    do {
      dirty = false;
      const response = await fetch(`/api/state?user=${encodeURIComponent(view.user)}`, { cache: "no-store" });
      if (response.ok) render(await response.json());
      else if (response.status === 400 && view.user !== DEFAULT_USER) setTimeout(() => select(DEFAULT_USER), 0);
    } while (dirty);
  } finally {
    refreshing = false;
  }
}

function listen() {
  const events = new EventSource("/api/events");
  events.addEventListener("change", refresh);
  events.onerror = () => setTimeout(refresh, 1000);
}

// ---- rendering -------------------------------------------------------------------------------

function render(state) {
  if (state.user !== view.user) return;  // an answer for the person shown before a switch
  view.state = state;
  renderPeople(state);
  renderClock(state);
  renderMessages(state);
  renderKeyboard(state);
  renderToast(state);
  $("cli").textContent = `DATABASE_URL=${state.database_url} vitd-bot stats`;
  const busy = Boolean(state.busy);
  document.querySelectorAll("#machine button").forEach((b) => { b.disabled = busy || b.dataset.working === "1"; });
  $("busy").textContent = busy ? `Filling: ${state.busy}…` : "";
}

function person(state, id) { return state.people.find((p) => p.id === id); }

function renderPeople(state) {
  const nav = $("people");
  const signature = JSON.stringify([view.user, state.people]);
  if (signature === view.peopleSignature) return;  // a list rebuilt mid-click would lose the click
  view.peopleSignature = signature;
  nav.replaceChildren();
  state.people.forEach((p, index) => {
    const button = el("button", { class: `person${p.id === view.user ? " selected" : ""}`, type: "button" });
    button.dataset.id = p.id;
    button.append(el("div", { class: `avatar ${p.operator ? "op" : "c" + (index + 1)}` }, p.name[0]));
    const who = el("div", { class: "who" });
    const name = el("div", { class: "name" }, p.name);
    if (p.operator) name.append(el("span", { class: "badge" }, "operator"));
    const enrolled = p.status && p.status !== "enrolling";
    const about = enrolled ? p.subscriber_zone : `${p.zone} · ${p.time}`;
    who.append(name, el("div", { class: "about" }, about), el("div", { class: "state" }, describe(p)));
    button.append(who);
    button.addEventListener("click", () => select(p.id));
    nav.append(button);
  });
}

function describe(p) {
  if (!p.status) return "not enrolled yet";
  if (p.status === "enrolling") return `enrolling (answering: ${p.awaiting || "…"})`;
  if (p.status === "active") return `Day ${p.day} of 30 · daily at ${p.delivery_time}`;
  return `${p.status}${p.day ? ` · Day ${p.day} of 30` : ""}`;
}

function zoneOf(p) { return (p && (p.subscriber_zone || (p.status ? "UTC" : null))) || "UTC"; }

function renderClock(state) {
  const p = person(state, view.user);
  const zone = zoneOf(p);
  const now = new Date(state.now);
  const local = new Intl.DateTimeFormat("en-GB", {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZone: zone,
  }).format(now);
  const clock = $("clock");
  clock.replaceChildren(document.createTextNode(`${local} `), el("small", {}, `${p.name}'s time (${zone})`));
  if (state.shifted_days > 0) clock.append(el("small", {}, `${state.shifted_days} days ahead of real time`));
  if (p.next_delivery) {
    const next = new Intl.DateTimeFormat("en-GB", { weekday: "short", hour: "2-digit", minute: "2-digit", timeZone: zone })
      .format(new Date(p.next_delivery));
    clock.append(el("small", {}, `next scheduled message: ${next}`));
  }
  const dayInput = $("tm-day");
  const suggested = String(Math.min(30, (p.day || 0) + 1));
  if (document.activeElement !== dayInput && dayInput.dataset.for !== `${p.id}:${p.day}`) {
    dayInput.value = suggested;  // the next day, until the person types another
    dayInput.dataset.for = `${p.id}:${p.day}`;
  }
  $("chat-sub").textContent = `bot · chatting as ${p.name}${p.operator ? " (operator)" : ""}`;
}

function renderMessages(state) {
  const box = $("messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const zone = zoneOf(person(state, view.user));
  const dayOf = (m) => new Intl.DateTimeFormat("en-GB", { weekday: "long", day: "numeric", month: "long", timeZone: zone })
    .format(new Date(m.date * 1000));
  const keep = new Set();
  let previousDay = null, previousNode = null;
  for (const m of state.messages) {
    const day = dayOf(m);
    const key = `${m.from}:${m.id}`;
    const signature = JSON.stringify([m, day !== previousDay ? day : null, zone]);
    let entry = view.rendered.get(key);
    if (!entry || entry.signature !== signature) {
      const node = messageNode(m, day !== previousDay ? day : null, zone);
      if (entry) entry.node.replaceWith(node);
      entry = { node, signature };
      view.rendered.set(key, entry);
    }
    const wanted = previousNode ? previousNode.nextSibling : box.firstChild;
    if (wanted !== entry.node) box.insertBefore(entry.node, wanted);
    keep.add(key);
    previousDay = day;
    previousNode = entry.node;
  }
  for (const [key, entry] of view.rendered) {
    if (!keep.has(key)) { entry.node.remove(); view.rendered.delete(key); }
  }
  let empty = box.querySelector(".empty");
  if (!state.messages.length && !empty) {
    empty = el("div", { class: "empty" }, "No messages here yet. Send /start, or use ⚡ Quick enrol.");
    box.append(empty);
  } else if (state.messages.length && empty) {
    empty.remove();
  }
  if (atBottom || view.scrollDown) { box.scrollTop = box.scrollHeight; view.scrollDown = false; }
}

function messageNode(m, separator, zone) {
  const wrap = el("div", { class: "msg-wrap" });
  if (separator) wrap.append(el("div", { class: "day-sep" }, separator));
  const msg = el("div", { class: `msg ${m.from}` });
  msg.dataset.id = m.id;
  msg.dataset.kind = m.kind;
  const bubble = el("div", { class: "bubble" });
  if (m.kind === "photo") {
    bubble.classList.add("photo");
    const img = el("img", { alt: "image from the bot", src: m.file || "" });
    img.addEventListener("load", () => { const box = $("messages"); if (box.scrollHeight - box.scrollTop - box.clientHeight < 400) box.scrollTop = box.scrollHeight; });
    bubble.append(img);
    if (m.text) { const caption = el("div", { class: "caption" }); caption.append(formatted(m.text, m.entities)); bubble.append(caption); }
  } else if (m.kind === "document") {
    const link = el("a", { class: "doc", href: m.file || "#", download: m.filename || "file" });
    const info = el("div", {});
    info.append(el("div", { class: "fname" }, m.filename || "file"), el("div", { class: "fsize" }, size(m.size)));
    link.append(el("div", { class: "icon" }, "⬇"), info);
    bubble.append(link);
    if (m.text) bubble.append(formatted(m.text, m.entities));
  } else if (m.kind === "location") {
    const box = el("div", { class: "location" });
    box.append(el("span", { class: "pin" }, "📍"), el("span", {}, `Location ${m.location.latitude.toFixed(3)}, ${m.location.longitude.toFixed(3)}`));
    bubble.append(box);
  } else if (m.from === "bot") {
    bubble.append(formatted(m.text, m.entities));
  } else {
    bubble.append(document.createTextNode(m.text));
  }
  const time = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: zone }).format(new Date(m.date * 1000));
  bubble.append(el("span", { class: "meta" }, `${m.edited ? "edited " : ""}${time}`));
  msg.append(bubble);
  if (m.inline && m.inline.length) msg.append(inlineKeyboard(m));
  wrap.append(msg);
  return wrap;
}

function inlineKeyboard(m) {
  const keyboard = el("div", { class: "inline-keyboard" });
  for (const row of m.inline) {
    const line = el("div", { class: "inline-row" });
    for (const b of row) {
      const button = el("button", { class: `inline-btn${b.url ? " url" : ""}`, type: "button", title: b.text }, b.text);
      if (b.data) {
        button.dataset.data = b.data;
        button.addEventListener("click", () => act(() => post("/api/press", { message_id: m.id, data: b.data })));
      } else if (b.url) {
        button.addEventListener("click", () => window.open(b.url, "_blank", "noopener"));
      }
      line.append(button);
    }
    keyboard.append(line);
  }
  return keyboard;
}

// Telegram entities (offsets in UTF-16 code units, like JavaScript strings) as nested elements.
function formatted(text, entities) {
  const root = document.createDocumentFragment();
  const sorted = [...(entities || [])].sort((a, b) => a.offset - b.offset || b.length - a.length);
  const stack = [{ node: root, end: text.length }];
  let position = 0;
  const flush = (upTo) => {
    if (upTo > position) stack[stack.length - 1].node.append(document.createTextNode(text.slice(position, upTo)));
    position = Math.max(position, upTo);
  };
  for (const e of sorted) {
    while (stack.length > 1 && stack[stack.length - 1].end <= e.offset) { flush(stack[stack.length - 1].end); stack.pop(); }
    flush(e.offset);
    const end = Math.min(e.offset + e.length, stack[stack.length - 1].end);
    const node = entityNode(e, text.slice(e.offset, end));
    stack[stack.length - 1].node.append(node);
    stack.push({ node, end });
  }
  while (stack.length) { flush(stack[stack.length - 1].end); stack.pop(); }
  return root;
}

function entityNode(e, inner) {
  switch (e.type) {
    case "bold": return el("b");
    case "italic": return el("i");
    case "underline": return el("u");
    case "strikethrough": return el("s");
    case "code": return el("code");
    case "pre": return el("pre");
    case "blockquote": case "expandable_blockquote": return el("blockquote");
    case "spoiler": { const s = el("span", { class: "spoiler" }); s.addEventListener("click", () => s.classList.add("shown")); return s; }
    case "text_link": return link(e.url);
    case "url": return link(/^https?:\/\//i.test(inner) ? inner : `https://${inner}`);
    case "email": return link(`mailto:${inner}`);
    case "bot_command": {
      const c = el("span", { class: "command" });
      c.addEventListener("click", () => sendText(inner));
      return c;
    }
    default: return el("span");
  }
}

function link(url) {
  const safe = typeof url === "string" && /^(https?:|mailto:)/i.test(url);
  return el("a", safe ? { href: url, target: "_blank", rel: "noopener noreferrer" } : {});
}

function renderKeyboard(state) {
  let shown = null;
  for (const m of state.messages) {
    if (m.from === "bot" && m.keyboard) shown = { ...m.keyboard, after: m.id };
    else if (m.from === "bot" && m.remove_keyboard) shown = null;
    else if (m.from === "user" && shown && shown.one_time && m.id > shown.after) shown = null;
  }
  const panel = $("reply-keyboard");
  const signature = JSON.stringify(shown);
  if (signature === view.keyboard) return;
  view.keyboard = signature;
  panel.replaceChildren();
  panel.hidden = !shown;
  if (!shown) return;
  for (const row of shown.rows) {
    const line = el("div", { class: "kb-row" });
    for (const b of row) {
      const button = el("button", { type: "button" }, b.text);
      button.dataset.location = b.location ? "1" : "";
      button.addEventListener("click", () => (b.location ? openCityPicker() : sendText(b.text)));
      line.append(button);
    }
    panel.append(line);
  }
}

function renderToast(state) {
  const seen = view.toastsSeen.get(view.user);
  view.toastsSeen.set(view.user, state.toasts.length);
  // Presses the sample filler makes are not the person's own: no toast for them.
  if (seen === undefined || state.toasts.length <= seen || state.busy) return;
  toast(state.toasts[state.toasts.length - 1]);
}

function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, 2500);
}

// ---- acting ----------------------------------------------------------------------------------

async function act(doIt, working) {
  try {
    const answer = await doIt();
    if (answer && answer.note) setStatus(answer.note);
    else if (working) setStatus("");
    return answer;
  } catch (error) {
    if (working) setStatus(error.message, true); else toast(error.message);
  } finally {
    refresh();
  }
}

function sendText(text) {
  if (!text.trim()) return;
  view.scrollDown = true;
  act(() => post("/api/send", { text }));
}

function machine(button, body, path = "/api/time") {
  document.querySelectorAll("#machine button").forEach((b) => { b.disabled = true; b.dataset.working = "1"; });
  setStatus("Working…");
  view.scrollDown = true;
  act(() => post(path, body), true).finally(() => {
    document.querySelectorAll("#machine button").forEach((b) => { b.disabled = false; b.dataset.working = ""; });
  });
}

function setStatus(text, error = false) {
  const status = $("status");
  status.textContent = text;
  status.classList.toggle("error", error);
}

function select(id) {
  if (view.user === id) return;
  view.user = id;
  view.keyboard = null;
  view.scrollDown = true;
  for (const entry of view.rendered.values()) entry.node.remove();
  view.rendered.clear();
  history.replaceState(null, "", `#user=${id}`);
  setStatus("");
  $("menu").hidden = true;
  refresh();
}

function commands() { return (view.state && view.state.menu) || []; }

function commandButton(c, onPick) {
  const button = el("button", { type: "button" });
  button.dataset.command = c.command;
  button.append(el("span", { class: "cmd" }, `/${c.command}`), el("span", { class: "desc" }, c.description));
  button.addEventListener("click", () => onPick(c));
  return button;
}

function toggleMenu() {
  const menu = $("menu");
  $("suggest").hidden = true;
  if (!menu.hidden) { menu.hidden = true; return; }
  menu.replaceChildren(...commands().map((c) => commandButton(c, (picked) => { menu.hidden = true; sendText(`/${picked.command}`); })));
  if (!commands().length) menu.append(el("div", { class: "desc", style: "padding:8px 16px" }, "No commands published yet."));
  menu.hidden = false;
}

function suggest() {
  const input = $("text").value;
  const box = $("suggest");
  const match = /^\/(\w*)$/.exec(input);
  if (!match) { box.hidden = true; return; }
  const found = commands().filter((c) => c.command.startsWith(match[1].toLowerCase()));
  box.replaceChildren(...found.map((c) => commandButton(c, (picked) => {
    $("text").value = `/${picked.command} `;
    box.hidden = true;
    $("text").focus();
  })));
  box.hidden = !found.length;
}

function openCityPicker() {
  const list = $("cities");
  list.replaceChildren(...CITIES.map(([name, latitude, longitude]) => {
    const button = el("button", { type: "button" }, name);
    button.addEventListener("click", () => {
      $("city-picker").hidden = true;
      view.scrollDown = true;
      act(() => post("/api/location", { latitude, longitude }));
    });
    return button;
  }));
  $("city-picker").hidden = false;
}

// ---- helpers ---------------------------------------------------------------------------------

function el(tag, attributes = {}, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function size(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

// ---- wiring ----------------------------------------------------------------------------------

function start() {
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("text");
    const text = input.value;
    input.value = "";
    $("suggest").hidden = true;
    sendText(text);
  });
  $("text").addEventListener("input", suggest);
  $("menu-btn").addEventListener("click", toggleMenu);
  $("tm-next").addEventListener("click", (e) => machine(e.target, { to: "next" }));
  $("tm-morning").addEventListener("click", (e) => machine(e.target, { to: "morning" }));
  $("tm-day-form").addEventListener("submit", (event) => {
    event.preventDefault();
    machine(event.target, { to: "day", day: $("tm-day").value });
  });
  $("quick-enrol").addEventListener("click", (e) => machine(e.target, {}, "/api/enrol"));
  $("fill").addEventListener("click", (e) => machine(e.target, {}, "/api/fill"));
  $("city-cancel").addEventListener("click", () => { $("city-picker").hidden = true; });
  const fromHash = /user=(\d+)/.exec(location.hash);
  select(fromHash ? Number(fromHash[1]) : DEFAULT_USER);
  listen();
}

start();
