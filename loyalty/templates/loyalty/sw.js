{% autoescape off %}/* The member app's service worker (scope {{ scope }}): the pass screen and its assets stay usable offline.
 *
 * Pages in the scope: network first (the balance should be fresh), the cached copy after {{ timeout_ms }} ms
 * or when there is no network. Assets: from the cache at once, refreshed in the background. The pass key
 * is never cached: it is fetched with POST, which this worker leaves alone, and kept in IndexedDB by the page.
 */
"use strict";

const CACHE = "agora-pass-{{ version }}";
const SCOPE = new URL({{ scope_json }}, self.location).href;
const PAGES = {{ pages_json }}.map((path) => new URL(path, self.location).href);
const ASSETS = {{ assets_json }}.map((path) => new URL(path, self.location).href);
const TIMEOUT_MS = {{ timeout_ms }};
const OFFLINE_HTML = {{ offline_html_json }};

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
    await cache.put(key, response.clone());
  } else if (response.type === "opaqueredirect" || response.status === 403 || response.status === 404) {
    // Logged out, or no pass (any more): a copy of someone's pass must not outlive that.
    await Promise.all(PAGES.map((page) => cache.delete(page)));
  }
  return response;
}

async function cachedPage(url) {
  const cache = await caches.open(CACHE);
  return (await cache.match(pageKey(url))) || (await cache.match(SCOPE));
}

async function networkFirst(event) {
  const network = refresh(event.request);
  event.waitUntil(network.catch(() => {}));
  const timeout = new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS));
  try {
    const first = await Promise.race([network, timeout]);
    if (first) return first;
    return (await cachedPage(event.request.url)) || (await network);
  } catch (error) {
    const cached = await cachedPage(event.request.url);
    if (cached) return cached;
    return new Response(OFFLINE_HTML, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
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
