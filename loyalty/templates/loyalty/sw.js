{% load i18n %}{% autoescape off %}/* The member app's service worker (scope {{ scope }}): the pass screen and its assets stay usable offline.
 *
 * Pages in the scope: network first (the balance should be fresh). The pass falls back on its cached copy after
 * {{ timeout_ms }} ms or when there is no network: at the till speed matters, and the pass says as of when its
 * balance is. The other pages (history, wallet) wait longer for the network, then show their own cached copy with a
 * note that it is a saved copy from <time>; a page without a copy of its own shows the offline page, never the pass.
 * Assets: from the cache at once, refreshed in the background. The pass key is never cached: it is fetched with POST,
 * which this worker leaves alone, and kept in IndexedDB by the page.
 */
"use strict";

const CACHE = "agora-pass-{{ version }}";
const SCOPE = new URL({{ scope_json }}, self.location).href;
const PAGES = {{ pages_json }}.map((path) => new URL(path, self.location).href);
const ASSETS = {{ assets_json }}.map((path) => new URL(path, self.location).href);
const TIMEOUT_MS = {{ timeout_ms }};
// A slow network should rather keep a member waiting than show old data: only a long silence gives the saved copy.
const PAGE_TIMEOUT_MS = Math.max(TIMEOUT_MS, 10000);
const OFFLINE_HTML = {{ offline_html_json }};
{% get_current_language as LANGUAGE_CODE %}const LANGUAGE = "{{ LANGUAGE_CODE|escapejs }}";
const SAVED_NOTE = "{% filter escapejs %}{% include "loyalty/_saved_copy_note.html" with dated=True %}{% endfilter %}";
const SAVED_NOTE_UNDATED = "{% filter escapejs %}{% include "loyalty/_saved_copy_note.html" with dated=False %}{% endfilter %}";
const SAVED_AT = "X-Agora-Saved-At"; // when this worker kept a page (ms since 1970): the note's time

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(names.filter((name) => name.startsWith("agora-pass-") && name !== CACHE).map((name) => caches.delete(name)));
      await self.clients.claim();
      // The page that registered this worker was loaded before it existed: keep a copy of the pass now.
      await refresh(new Request(SCOPE, { credentials: "same-origin", redirect: "manual" })).catch(() => {});
    })()
  );
});

function pageKey(url) {
  const clean = new URL(url);
  clean.search = "";
  clean.hash = "";
  return clean.href;
}

async function refresh(request) {
  const response = await fetch(request);
  const key = pageKey(request.url);
  const cache = await caches.open(CACHE);
  // Only a page's plain address is kept: an older page of the history (?before=…) must not replace the first.
  if (response.ok && response.type === "basic" && PAGES.includes(key) && new URL(request.url).search === "") {
    await cache.put(key, await stamped(response.clone()));
  } else if (response.type === "opaqueredirect" || response.status === 403 || response.status === 404) {
    // Logged out, or no pass (any more): a copy of someone's pass must not outlive that.
    await Promise.all(PAGES.map((page) => cache.delete(page)));
  }
  return response;
}

/** The page as it came, with the moment it was kept (the body is already decoded: no encoding or length). */
async function stamped(response) {
  const headers = new Headers(response.headers);
  headers.set(SAVED_AT, String(Date.now()));
  headers.delete("Content-Encoding");
  headers.delete("Content-Length");
  return new Response(await response.blob(), { status: response.status, statusText: response.statusText, headers });
}

function isPass(url) {
  return pageKey(url) === SCOPE;
}

/** Text for an element's content (not an attribute). */
function escapeHtml(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A saved page with a note at the top of its content: it is a copy from <time> and may be out of date. */
async function withSavedNote(copy) {
  const savedAt = Number(copy.headers.get(SAVED_AT)) || Date.parse(copy.headers.get("Date") || "");
  let note = SAVED_NOTE_UNDATED;
  if (savedAt > 0) {
    const options = { day: "numeric", month: "long", hour: "2-digit", minute: "2-digit" };
    const when = new Intl.DateTimeFormat(LANGUAGE, options).format(new Date(savedAt));
    note = SAVED_NOTE.replace("{time}", `<time datetime="${new Date(savedAt).toISOString()}">${escapeHtml(when)}</time>`);
  }
  const html = await copy.text();
  const marked = /<main\b[^>]*>/.test(html)
    ? html.replace(/<main\b[^>]*>/, (open) => open + note)
    : html.replace(/<body\b[^>]*>/, (open) => open + note);
  const headers = new Headers(copy.headers);
  headers.delete("Content-Length");
  return new Response(marked, { status: copy.status, statusText: copy.statusText, headers });
}

/** The page's own saved copy, or nothing: only the pass may stand in for the pass (another page under its address
 * would pass old data off as that page). */
async function savedCopy(url) {
  const cache = await caches.open(CACHE);
  const copy = await cache.match(pageKey(url));
  if (!copy) return undefined;
  return isPass(url) ? copy : withSavedNote(copy);
}

function offlinePage() {
  return new Response(OFFLINE_HTML, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

async function networkFirst(event) {
  const url = event.request.url;
  const network = refresh(event.request);
  event.waitUntil(network.catch(() => {}));
  const patience = isPass(url) ? TIMEOUT_MS : PAGE_TIMEOUT_MS;
  const timeout = new Promise((resolve) => setTimeout(resolve, patience));
  try {
    const first = await Promise.race([network, timeout]);
    if (first) return first;
    // Still no answer: the saved copy if there is one, else go on waiting for the network.
    return (await savedCopy(url)) || (await network);
  } catch (error) {
    return (await savedCopy(url)) || offlinePage();
  }
}

async function staleWhileRevalidate(event) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(event.request);
  const network = fetch(event.request).then((response) => {
    if (response.ok) cache.put(event.request, response.clone());
    return response;
  });
  event.waitUntil(network.catch(() => {}));
  return cached || network;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.href.startsWith(SCOPE)) {
    event.respondWith(networkFirst(event));
  } else if (ASSETS.includes(pageKey(url.href))) {
    event.respondWith(staleWhileRevalidate(event));
  }
});
{% endautoescape %}
