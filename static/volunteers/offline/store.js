/*
 * The visits a volunteer saved on the phone, and their sending.
 *
 * Loaded by the volunteer's pages and, ahead of sw.js, by the service worker
 * (volunteers/offline.py serves both as /volunteers/me/sw.js), so both send the
 * same way. IndexedDB database "carecenter-offline":
 *
 * - "visits": one record per visit saved on the phone, keyed by its client id
 *   (a UUID made when it was saved): {client_id, user, status: "waiting" |
 *   "refused", payload (the fields of POST /api/v1/visits/), display (what the
 *   phone shows of it), form_url, saved_at, tried_at, and once refused its
 *   errors ({field: [messages]}) and reasons (the messages)}. A record leaves
 *   only when the server has the visit (201, or 200 for a repeat), or when the
 *   volunteer discards it or signs out.
 * - "meta": small values by key ("user": whose pages the phone keeps now,
 *   "refreshed_at", "max_age_seconds").
 *
 * Every record belongs to the user key of the volunteer who saved it, and is
 * shown and sent only while that volunteer is signed in: a phone shared by two
 * volunteers never sends one's visit under the other's name.
 */
(function (scope) {
  "use strict";

  const DB_NAME = "carecenter-offline";
  const DB_VERSION = 1;
  const LOCK = "carecenter-visit-queue";
  const SYNC_TAG = "carecenter-visits";
  const PAGE_CACHE_PREFIX = "cc-pages-";

  function promised(request) {
    return new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  let opening = null;
  function db() {
    if (!opening) {
      const request = scope.indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        const database = request.result;
        const visits = database.createObjectStore("visits", { keyPath: "client_id" });
        visits.createIndex("user", "user");
        database.createObjectStore("meta", { keyPath: "key" });
      };
      opening = promised(request).then((database) => {
        // Another tab upgrading, or the site's data being cleared: open again later.
        database.onversionchange = () => {
          database.close();
          opening = null;
        };
        return database;
      });
      opening.catch(() => {
        opening = null;
      });
    }
    return opening;
  }

  async function run(storeName, mode, work) {
    const database = await db();
    return new Promise((resolve, reject) => {
      const transaction = database.transaction(storeName, mode);
      let result;
      Promise.resolve(work(transaction.objectStore(storeName))).then((value) => {
        result = value;
      }, reject);
      transaction.oncomplete = () => resolve(result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  }

  const queue = {
    put(record) {
      return run("visits", "readwrite", (store) => promised(store.put(record)));
    },
    get(clientId) {
      return run("visits", "readonly", (store) => promised(store.get(clientId)));
    },
    remove(clientId) {
      return run("visits", "readwrite", (store) => promised(store.delete(clientId)));
    },
    /** The user's records, oldest first. */
    async list(user) {
      if (!user) return [];
      const records = await run("visits", "readonly", (store) =>
        promised(store.index("user").getAll(user))
      );
      return records.sort((a, b) => (a.saved_at < b.saved_at ? -1 : 1));
    },
    async removeUser(user) {
      const records = await queue.list(user);
      await run("visits", "readwrite", (store) =>
        Promise.all(records.map((record) => promised(store.delete(record.client_id))))
      );
      return records.length;
    },
  };

  const meta = {
    async get(key) {
      const row = await run("meta", "readonly", (store) => promised(store.get(key)));
      return row ? row.value : undefined;
    },
    set(key, value) {
      return run("meta", "readwrite", (store) => promised(store.put({ key, value })));
    },
    remove(key) {
      return run("meta", "readwrite", (store) => promised(store.delete(key)));
    },
  };

  /** A random (version 4) UUID; crypto.randomUUID where the browser has it. */
  function uuid() {
    if (scope.crypto && scope.crypto.randomUUID) return scope.crypto.randomUUID();
    const bytes = scope.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /** One sender at a time across the pages and the worker (Web Locks). */
  function exclusively(work) {
    if (scope.navigator && scope.navigator.locks) {
      return scope.navigator.locks.request(LOCK, work);
    }
    return work();
  }

  /** Every message of a DRF error body, in order: {"field": ["...", ...], ...}. */
  function messagesOf(body) {
    const out = [];
    (function walk(value) {
      if (typeof value === "string") out.push(value);
      else if (Array.isArray(value)) value.forEach(walk);
      else if (value && typeof value === "object") Object.values(value).forEach(walk);
    })(body);
    return out;
  }

  /**
   * Who is signed in, and a CSRF token: asked with a signal before sending.
   * {state: "ok", session} | {state: "signed-out"} | {state: "network"}.
   */
  async function session(stateUrl) {
    let response;
    try {
      response = await fetch(stateUrl, {
        credentials: "same-origin",
        cache: "no-store",
        redirect: "manual",
        headers: { Accept: "application/json" },
      });
    } catch (error) {
      return { state: "network" };
    }
    if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
      return { state: "signed-out" };
    }
    if (!response.ok) return { state: "network" };
    try {
      return { state: "ok", session: await response.json() };
    } catch (error) {
      return { state: "network" };
    }
  }

  /**
   * Send the signed-in volunteer's waiting visits, oldest first.
   *
   * 201 or 200 (a repeat of a visit the server has): the record goes. 400: the
   * station refused it (pairing ended, overlap, ...): it stays, "refused", with
   * the reasons, until corrected or discarded. No network, a server error or a
   * signed-out session: it stays waiting and the sending stops.
   * Returns {state: "done" | "network" | "signed-out", sent, refused, user}.
   */
  function flush(stateUrl) {
    return exclusively(async () => {
      const answer = await session(stateUrl);
      if (answer.state !== "ok") return { state: answer.state, sent: 0, refused: 0 };
      const { user, csrf, visits_url: visitsUrl } = answer.session;
      const result = { state: "done", sent: 0, refused: 0, user, sentNames: [] };
      const waiting = (await queue.list(user)).filter((r) => r.status === "waiting");
      for (const record of waiting) {
        let response;
        try {
          response = await fetch(visitsUrl, {
            method: "POST",
            credentials: "same-origin",
            redirect: "manual",
            headers: {
              "Content-Type": "application/json",
              Accept: "application/json",
              "X-CSRFToken": csrf,
            },
            body: JSON.stringify({ ...record.payload, client_id: record.client_id }),
          });
        } catch (error) {
          result.state = "network";
          break;
        }
        record.tried_at = new Date().toISOString();
        if (response.status === 200 || response.status === 201) {
          await queue.remove(record.client_id);
          result.sent += 1;
          result.sentNames.push(record.display.elder);
        } else if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
          result.state = "signed-out";
          break;
        } else if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
          let body = null;
          try {
            body = await response.json();
          } catch (error) {
            body = null;
          }
          record.status = "refused";
          record.errors = errorsOf(body, response.status);
          record.reasons = messagesOf(record.errors);
          await queue.put(record);
          result.refused += 1;
        } else {
          result.state = "network";
          break;
        }
      }
      return result;
    });
  }

  /** A refusal as {field: [messages]}; a body without messages keeps its status. */
  function errorsOf(body, status) {
    const errors = {};
    if (body && typeof body === "object" && !Array.isArray(body)) {
      for (const [field, value] of Object.entries(body)) {
        const messages = messagesOf(value);
        if (messages.length) errors[field] = messages;
      }
    } else if (messagesOf(body).length) {
      errors.non_field_errors = messagesOf(body);
    }
    if (!Object.keys(errors).length) errors.status = [String(status)];
    return errors;
  }

  /**
   * The phone now keeps the pages of ``user``: those kept for anyone else go
   * (a phone shared by two volunteers never shows one the other's elders).
   * Their waiting visits stay, hidden, until they sign in again.
   */
  async function takeOver(user) {
    if ((await meta.get("user")) === user) return;
    await meta.set("user", user);
    const names = await scope.caches.keys();
    await Promise.all(
      names
        .filter((name) => name.startsWith(PAGE_CACHE_PREFIX) && name !== PAGE_CACHE_PREFIX + user)
        .map((name) => scope.caches.delete(name))
    );
  }

  /** Signing out: every cache of the site on this phone, and whose it was. */
  async function forgetPhone() {
    const names = await scope.caches.keys();
    await Promise.all(names.filter((n) => n.startsWith("cc-")).map((n) => scope.caches.delete(n)));
    await meta.remove("user");
    await meta.remove("refreshed_at");
  }

  scope.CarecenterOffline = {
    DB_NAME,
    SYNC_TAG,
    PAGE_CACHE_PREFIX,
    queue,
    meta,
    uuid,
    session,
    flush,
    takeOver,
    forgetPhone,
    messagesOf,
  };
})(self);
