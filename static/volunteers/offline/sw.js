/*
 * The service worker of the volunteer's pages.
 *
 * Served by volunteers.views.service_worker from /volunteers/me/sw.js, after
 * store.js (self.CarecenterOffline), so its scope is /volunteers/me/ and it
 * controls nothing else. Registered with ?static=<STATIC_URL>&state=<the
 * offline.json URL>.
 *
 * - Pages of the scope (navigations): from the network first; a page the
 *   server marked with the Volunteer-Offline-Key header is kept in the cache of
 *   that user ("cc-pages-<key>"), stamped with the time. Without a network (or
 *   after NETWORK_TIMEOUT_MS without an answer) the kept page is shown if it is
 *   younger than max_age_seconds, else the kept "not saved" page, else the
 *   browser's own error.
 * - Static files asked for by those pages: from the cache ("cc-static-<v>"),
 *   refreshed in the background.
 * - Anything else (the API, offline.json, other users' or other roles' pages,
 *   every POST): untouched, never kept.
 * - "refresh" from a page: ask offline.json what to keep, keep the static
 *   files, the volunteer's pages and one visit form per paired elder; drop the
 *   pages no longer listed (an ended pairing).
 * - Background Sync ("carecenter-visits"): send the waiting visits.
 */
"use strict";

const offline = self.CarecenterOffline;
const SCOPE_PATH = new URL(self.registration.scope).pathname;
const WORKER_URL = new URL(self.location.href);
const STATIC_PREFIX = WORKER_URL.searchParams.get("static") || "/static/";
const STATE_URL = WORKER_URL.searchParams.get("state") || `${SCOPE_PATH}offline.json`;
const STATE_PATH = new URL(STATE_URL, self.location.origin).pathname;
const NOT_KEPT_PAGE = `${SCOPE_PATH}offline/`;
const OFFLINE_HEADER = "Volunteer-Offline-Key";
const KEPT_AT = "Kept-At";
const STATIC_CACHE_PREFIX = "cc-static-";
/** An answer slower than this is a dead signal: show the kept page meanwhile. */
const NETWORK_TIMEOUT_MS = 6000;
/** A kept visit form younger than this is not fetched again by a refresh. */
const PAGE_REFRESH_MS = 10 * 60 * 1000;
/** Until offline.json has said otherwise (settings.VOLUNTEER_OFFLINE_MAX_AGE). */
const DEFAULT_MAX_AGE_SECONDS = 7 * 24 * 3600;

function pageKey(url) {
  const parsed = new URL(url, self.location.origin);
  return parsed.origin + parsed.pathname;
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(Object.assign(new Error("timeout"), { timeout: true })), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      }
    );
  });
}

async function notify(message) {
  const clients = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  clients.forEach((client) => client.postMessage(message));
}

/** Keep a page the server marked for offline use, in its user's cache. */
async function keep(url, response) {
  const user = response.headers.get(OFFLINE_HEADER);
  if (!user || !response.ok || response.type !== "basic" || response.redirected) return false;
  await offline.takeOver(user);
  const headers = new Headers(response.headers);
  headers.set(KEPT_AT, String(Date.now()));
  const body = await response.blob();
  const cache = await caches.open(offline.PAGE_CACHE_PREFIX + user);
  await cache.put(pageKey(url), new Response(body, { status: 200, headers }));
  return true;
}

/** The kept copy of a page for the phone's current user, if still young enough. */
async function keptPage(url) {
  const user = await offline.meta.get("user");
  if (!user || !(await caches.has(offline.PAGE_CACHE_PREFIX + user))) return null;
  const cache = await caches.open(offline.PAGE_CACHE_PREFIX + user);
  const response = await cache.match(pageKey(url));
  if (!response) return null;
  const maxAge = (await offline.meta.get("max_age_seconds")) || DEFAULT_MAX_AGE_SECONDS;
  const keptAt = Number(response.headers.get(KEPT_AT) || 0);
  if (Date.now() - keptAt > maxAge * 1000) {
    await cache.delete(pageKey(url));
    return null;
  }
  return response;
}

function page(event) {
  const request = event.request;
  const network = fetch(request);
  event.waitUntil(network.then((response) => keep(request.url, response.clone())).catch(() => false));
  return (async () => {
    try {
      return await withTimeout(network, NETWORK_TIMEOUT_MS);
    } catch (error) {
      const kept = await keptPage(request.url);
      if (kept) return kept;
      if (error.timeout) {
        try {
          return await network;
        } catch (networkError) {
          // no network after all: fall through to the "not saved" page
        }
      }
      return (await keptPage(NOT_KEPT_PAGE)) || Response.error();
    }
  })();
}

async function staticCacheName() {
  return (await offline.meta.get("static_cache")) || `${STATIC_CACHE_PREFIX}0`;
}

function staticFile(event) {
  const request = event.request;
  const key = pageKey(request.url);
  const network = fetch(request).then(async (response) => {
    if (response.ok && response.type === "basic") {
      const cache = await caches.open(await staticCacheName());
      await cache.put(key, response.clone());
    }
    return response;
  });
  return (async () => {
    const cached = await caches.match(key);
    if (cached) {
      event.waitUntil(network.catch(() => null));
      return cached;
    }
    return network;
  })();
}

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    if (url.pathname.startsWith(SCOPE_PATH) && url.pathname !== STATE_PATH) {
      event.respondWith(page(event));
    }
    return;
  }
  if (url.pathname.startsWith(STATIC_PREFIX)) event.respondWith(staticFile(event));
});

/** Keep what offline.json lists (and the static files the page reported). */
async function refresh(reported, force) {
  const answer = await offline.session(STATE_URL);
  if (answer.state !== "ok") return answer.state;
  const state = answer.session;
  await offline.takeOver(state.user);
  await offline.meta.set("max_age_seconds", state.max_age_seconds);

  const staticName = STATIC_CACHE_PREFIX + state.assets_version;
  await offline.meta.set("static_cache", staticName);
  for (const name of await caches.keys()) {
    if (name.startsWith(STATIC_CACHE_PREFIX) && name !== staticName) await caches.delete(name);
  }
  const staticCache = await caches.open(staticName);
  const assets = new Set(
    [...state.assets, ...(reported || [])]
      .map(pageKey)
      .filter((url) => url.startsWith(self.location.origin + STATIC_PREFIX))
  );
  for (const url of assets) {
    if (await staticCache.match(url)) continue;
    try {
      const response = await fetch(url);
      if (response.ok) await staticCache.put(url, response);
    } catch (error) {
      return "network";
    }
  }

  const pageCache = await caches.open(offline.PAGE_CACHE_PREFIX + state.user);
  const wanted = new Set(state.pages.map(pageKey));
  for (const request of await pageCache.keys()) {
    if (!wanted.has(pageKey(request.url))) await pageCache.delete(request);
  }
  for (const url of wanted) {
    const kept = await pageCache.match(url);
    const keptAt = kept ? Number(kept.headers.get(KEPT_AT) || 0) : 0;
    if (!force && Date.now() - keptAt < PAGE_REFRESH_MS) continue;
    try {
      await keep(url, await fetch(url, { credentials: "same-origin", redirect: "manual" }));
    } catch (error) {
      return "network";
    }
  }
  await offline.meta.set("refreshed_at", Date.now());
  return "ok";
}

self.addEventListener("message", (event) => {
  const message = event.data || {};
  if (message.type === "refresh") {
    event.waitUntil(
      refresh(message.assets, message.force)
        .catch(() => "error")
        .then((outcome) => event.source && event.source.postMessage({ type: "refreshed", outcome }))
    );
  }
});

self.addEventListener("sync", (event) => {
  if (event.tag !== offline.SYNC_TAG) return;
  event.waitUntil(
    offline.flush(STATE_URL).then(async (result) => {
      await notify({ type: "queue", result });
      // Rejecting asks the browser to try again later, when it has a network.
      if (result.state === "network") throw new Error("no network");
    })
  );
});
