// The inbox page. It signs in with a token kept only in this tab's sessionStorage (never in a
// URL), lists the inbox from the api, and follows GET /v1/stream to change what it shows as
// things happen. It keeps no state the api does not have: every change shown is one the api
// reported. Other people's text is only ever set as text (textContent), never as markup.

const TOKEN_KEY = "notify.token";
const PAGE = 50;
const $ = (id) => document.getElementById(id);

const state = {
  token: sessionStorage.getItem(TOKEN_KEY),
  user: "",
  items: new Map(), // id → NotificationView
  cursor: null, // next_cursor of the last page; null when there is no more
  more: true,
  loading: null, // the page load in progress
  generation: 0, // bumped when the list is loaded afresh: older loads are dropped
  unread: 0,
  open: null, // the notification shown in the detail pane
  lastEventId: null,
  stream: null, // AbortController of the stream
};

class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? `the server answered ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

// A UUIDv7, the operation id of a command (crypto.randomUUID needs a secure context).
function operationId() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  let t = Date.now();
  for (let i = 5; i >= 0; i--) {
    b[i] = t % 256;
    t = Math.floor(t / 256);
  }
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

async function api(path, method = "GET") {
  const headers = { Authorization: `Bearer ${state.token}` };
  if (method !== "GET") headers["Idempotency-Key"] = operationId();
  const response = await fetch(path, { method, headers, cache: "no-store" });
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  if (response.status === 401 && state.token) signOut("That token is not valid (any more).");
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

function showProblem(error) {
  const p = $("problem");
  p.textContent = error ? error.message : "";
  p.hidden = !error;
}

// ---- signing in and out ----

async function signIn(token) {
  state.token = token;
  const me = await api("/v1/me");
  if (!me.scopes.includes("inbox")) {
    state.token = null;
    throw new Error("This token lacks the inbox scope.");
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  state.user = me.user;
  $("user").textContent = me.user;
  $("signin").hidden = true;
  $("app").hidden = false;
  follow();
}

function signOut(why) {
  state.stream?.abort();
  sessionStorage.removeItem(TOKEN_KEY);
  Object.assign(state, { token: null, user: "", open: null, lastEventId: null, stream: null });
  state.items.clear();
  $("list").replaceChildren();
  $("detail").hidden = true;
  $("app").hidden = true;
  $("signin").hidden = false;
  const error = $("signin-error");
  error.textContent = why ?? "";
  error.hidden = !why;
  $("token").value = "";
  $("token").focus();
  document.title = "notify";
}

// ---- the list ----

function query() {
  const params = new URLSearchParams({ limit: String(PAGE) });
  const q = $("search").value.trim();
  if (q) params.set("q", q);
  if ($("only-unread").checked) params.set("unread", "true");
  return params;
}

async function reload() {
  state.generation += 1;
  state.items.clear();
  state.cursor = null;
  state.more = true;
  state.loading = null;
  render();
  await loadMore();
  await refreshCount();
}

async function loadMore() {
  if (state.loading || !state.more) return state.loading;
  const generation = state.generation;
  const params = query();
  if (state.cursor) params.set("before", state.cursor);
  state.loading = (async () => {
    try {
      const page = await api(`/v1/notifications?${params}`);
      if (generation !== state.generation) return;
      for (const item of page.items) state.items.set(item.id, item);
      state.cursor = page.next_cursor;
      state.more = page.next_cursor !== null;
      showProblem(null);
      render();
    } catch (error) {
      if (generation === state.generation) showProblem(error);
    } finally {
      if (generation === state.generation) state.loading = null;
    }
  })();
  return state.loading;
}

// Newest first, as the api orders them: by dispatch time, then id.
function ordered() {
  return [...state.items.values()].sort((a, b) =>
    a.dispatched_at === b.dispatched_at
      ? (a.id < b.id ? 1 : -1)
      : (a.dispatched_at < b.dispatched_at ? 1 : -1));
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
function ago(time) {
  const seconds = (new Date(time).getTime() - Date.now()) / 1000;
  for (const [unit, size] of [["year", 31536000], ["month", 2592000], ["day", 86400], ["hour", 3600], ["minute", 60]]) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  }
  return relative.format(Math.round(Math.min(seconds, 0)), "second");
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function headline(item) {
  return item.title ?? item.body.split("\n", 1)[0];
}

function row(item) {
  const li = element("li", item.read_at ? "item" : "item unread");
  li.dataset.id = item.id;
  const button = element("button", "open");
  button.type = "button";
  button.setAttribute("aria-current", String(state.open === item.id));
  const top = element("span", "top");
  top.append(element("span", "dot", item.read_at ? "" : "●"));
  top.append(element("span", "title", headline(item)));
  const time = element("time", "when", ago(item.dispatched_at));
  time.dateTime = item.dispatched_at;
  time.title = new Date(item.dispatched_at).toLocaleString();
  top.append(time);
  button.append(top);
  if (item.title) button.append(element("span", "excerpt", item.body));
  const meta = element("span", "meta");
  meta.append(element("span", "sender", item.sender));
  if (item.priority !== "normal") meta.append(element("span", `priority ${item.priority}`, item.priority));
  for (const tag of item.tags) meta.append(element("span", "tag", tag));
  if (item.status !== "dispatched" && item.status !== "delivered") meta.append(element("span", "status", item.status.replace("_", " ")));
  button.append(meta);
  button.addEventListener("click", () => openDetail(item.id));
  li.append(button);
  return li;
}

function render() {
  const focused = document.activeElement?.closest?.("li.item")?.dataset.id;
  const items = ordered();
  $("list").replaceChildren(...items.map(row));
  $("empty").hidden = items.length > 0 || state.more;
  if (focused) document.querySelector(`li.item[data-id="${CSS.escape(focused)}"] button`)?.focus();
}

function showCount() {
  $("unread").textContent = state.unread ? String(state.unread) : "";
  $("unread").title = `${state.unread} unread`;
  document.title = state.unread ? `(${state.unread}) Inbox · notify` : "Inbox · notify";
}

async function refreshCount() {
  try {
    state.unread = (await api("/v1/inbox/count")).unread;
    showCount();
  } catch (error) {
    showProblem(error);
  }
}

// ---- one notification ----

async function openDetail(id) {
  state.open = id;
  try {
    const [item, history] = await Promise.all([
      api(`/v1/notifications/${id}`),
      api(`/v1/notifications/${id}/events`),
    ]);
    if (state.open !== id) return;
    state.items.set(id, item);
    showDetail(item, history);
    render();
    $("detail").focus();
  } catch (error) {
    showProblem(error);
  }
}

function showDetail(item, history) {
  $("detail").hidden = false;
  document.body.classList.add("reading");
  $("detail-title").textContent = headline(item);
  const when = new Date(item.dispatched_at).toLocaleString();
  $("detail-meta").textContent = `From ${item.sender} · ${when} · ${item.priority} priority · ${item.status.replace("_", " ")}`;
  $("detail-tags").replaceChildren(...item.tags.map((t) => element("span", "tag", t)));
  $("detail-body").textContent = item.body;
  $("toggle-read").textContent = item.read_at ? "Mark unread" : "Mark read";
  $("detail-deliveries").replaceChildren(...item.deliveries.map((d) => {
    const tr = element("tr");
    for (const text of [d.channel, d.status, String(d.attempts), d.detail ?? ""]) tr.append(element("td", "", text));
    return tr;
  }));
  $("detail-history").replaceChildren(...history.events.map((e) => {
    const li = element("li");
    const time = element("time", "", new Date(e.time).toLocaleTimeString());
    time.dateTime = e.time;
    li.append(time, " ", element("span", "kind", e.kind));
    return li;
  }));
}

function closeDetail() {
  const id = state.open;
  state.open = null;
  $("detail").hidden = true;
  document.body.classList.remove("reading");
  render();
  if (id) document.querySelector(`li.item[data-id="${CSS.escape(id)}"] button`)?.focus();
}

async function refreshItem(id) {
  if (!state.items.has(id) && state.open !== id) return;
  const item = await api(`/v1/notifications/${id}`);
  state.items.set(id, item);
  render();
  if (state.open === id) showDetail(item, await api(`/v1/notifications/${id}/events`));
}

async function command(path) {
  try {
    await api(path, "POST");
    showProblem(null);
  } catch (error) {
    showProblem(error);
  }
}

// ---- the live stream ----

function setLive(text, live) {
  $("live").textContent = text;
  $("live").classList.toggle("on", live);
}

// Reads Server-Sent Events from `body`, awaiting `handle` for each in order.
async function readEvents(body, handle) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      let id = null;
      const data = [];
      for (const line of block.split("\n")) {
        if (!line || line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let text = colon < 0 ? "" : line.slice(colon + 1);
        if (text.startsWith(" ")) text = text.slice(1);
        if (field === "event") name = text;
        else if (field === "id") id = text;
        else if (field === "data") data.push(text);
      }
      if (data.length === 0) continue;
      await handle(name, JSON.parse(data.join("\n")));
      // Only once it is shown: a cut before that resumes with this event again.
      if (id !== null) state.lastEventId = id;
    }
  }
}

// Follows the stream until signed out, reconnecting after a cut where it left off.
async function follow() {
  const controller = new AbortController();
  state.stream = controller;
  let listed = false;
  let delay = 500;
  while (!controller.signal.aborted) {
    try {
      const headers = { Authorization: `Bearer ${state.token}`, Accept: "text/event-stream" };
      if (state.lastEventId) headers["Last-Event-ID"] = state.lastEventId;
      const response = await fetch("/v1/stream", { headers, signal: controller.signal, cache: "no-store" });
      if (response.status === 401) return signOut("That token is not valid (any more).");
      if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
      await readEvents(response.body, async (name, data) => {
        if (name === "ready") {
          delay = 500;
          setLive("live", true);
          // The list is loaded after the stream is open, so nothing falls between the two.
          if (!listed) {
            listed = true;
            await reload();
          } else {
            await refreshCount();
          }
        } else if (name === "reset") {
          await reload();
        } else {
          await apply(data);
        }
      });
      setLive("reconnecting…", false);
    } catch (error) {
      if (controller.signal.aborted) return;
      setLive(error instanceof ApiError ? `offline: ${error.message}` : "reconnecting…", false);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 15000);
  }
}

// Shows one change the stream reported.
async function apply(event) {
  const id = event.notification_id;
  try {
    switch (event.kind) {
      case "notification.dispatched": {
        const item = await api(`/v1/notifications/${id}`);
        // Only when it belongs in the list as filtered now; a search is run again to see it.
        if (!$("search").value.trim()) state.items.set(id, item);
        break;
      }
      case "notification.read":
      case "notification.unread": {
        const item = state.items.get(id);
        if (item) item.read_at = event.kind === "notification.read" ? event.time : null;
        if (state.open === id) $("toggle-read").textContent = item?.read_at ? "Mark unread" : "Mark read";
        break;
      }
      case "inbox.read_all":
        for (const item of state.items.values()) {
          if (!item.read_at && item.dispatched_at <= event.up_to) item.read_at = event.up_to;
        }
        break;
      case "delivery.succeeded":
      case "delivery.failed":
      case "notification.delivered":
      case "notification.failed":
        await refreshItem(id);
        break;
      default:
        return; // operation.resolved: this page waits for none
    }
    render();
    await refreshCount();
  } catch (error) {
    showProblem(error);
  }
}

// ---- wiring ----

function debounce(f, ms) {
  let timer;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(f, ms);
  };
}

function start() {
  $("signin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = $("token").value.trim();
    try {
      await signIn(token);
      $("signin-error").hidden = true;
    } catch (error) {
      $("signin-error").textContent = error.status === 401 ? "That token is not valid." : error.message;
      $("signin-error").hidden = false;
    }
  });
  $("signout").addEventListener("click", () => signOut());
  $("search").addEventListener("input", debounce(reload, 250));
  $("only-unread").addEventListener("change", reload);
  $("read-all").addEventListener("click", () => command("/v1/inbox/read-all"));
  $("close").addEventListener("click", closeDetail);
  $("toggle-read").addEventListener("click", () => {
    const item = state.items.get(state.open);
    if (item) command(`/v1/notifications/${item.id}/${item.read_at ? "unread" : "read"}`);
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && state.open) closeDetail();
    const typing = event.target.closest?.("input, textarea");
    if (event.key === "/" && !typing && !$("app").hidden) {
      event.preventDefault();
      $("search").focus();
    }
    if ((event.key === "j" || event.key === "k") && !typing) {
      const buttons = [...document.querySelectorAll("li.item button")];
      const at = buttons.indexOf(document.activeElement);
      const next = buttons[Math.max(0, Math.min(buttons.length - 1, at + (event.key === "j" ? 1 : -1)))];
      next?.focus();
    }
  });
  new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting) && state.token) loadMore();
  }).observe($("more"));
  setInterval(() => state.items.size && render(), 30000);

  if (state.token) {
    signIn(state.token).catch((error) => signOut(error.message));
  } else {
    signOut();
  }
}

start();
