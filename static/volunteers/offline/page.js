/*
 * The volunteer's pages without signal (see volunteers/offline.py).
 *
 * On every page of a volunteer (base.html loads it for them): signing out
 * first warns about visits not yet sent, then deletes the phone's caches and
 * the volunteer's queue.
 *
 * On the app's pages (#offline-app, under /volunteers/me/): registers the
 * service worker and asks it to keep the pages; shows whether there is a
 * signal; on "My elders" lists the visits waiting on the phone and those the
 * station refused (with the reason, to correct or discard); on the visit form
 * keeps the visit on the phone first (IndexedDB, with a new client id) and then
 * tries to send it. Waiting visits are sent on every page load with a signal,
 * when the signal comes back ("online"), when the page is shown again, with
 * "Send now", and by the service worker's Background Sync where the browser has
 * it. The server logs a visit once per client id, so sending twice is harmless.
 *
 * Every text shown comes from the page (#offline-strings, translated by Django).
 */
(function () {
  "use strict";

  const offline = window.CarecenterOffline;
  if (!offline || !window.indexedDB) return;
  const app = document.getElementById("offline-app");
  const strings = JSON.parse((document.getElementById("offline-strings") || {}).textContent || "{}");
  const FLASH_KEY = "carecenter-offline-flash";
  /** A page rendered longer ago than this was shown from the phone's copy. */
  const STALE_MS = 2 * 60 * 1000;

  function say(key, params) {
    return (strings[key] || key).replace(/%\((\w+)\)s/g, (match, name) =>
      params && params[name] !== undefined ? String(params[name]) : match
    );
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // --- Signing out: never silently; the phone forgets the volunteer ------------------

  document.querySelectorAll("form[data-signout]").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      if (form.dataset.cleared === "1") return;
      event.preventDefault();
      try {
        const user = (app && app.dataset.user) || (await offline.meta.get("user"));
        if (user) {
          const unsent = (await offline.queue.list(user)).length;
          const warning = (form.dataset.unsentWarning || "").replace("%(n)s", unsent);
          if (unsent && !window.confirm(warning)) return;
          await offline.queue.removeUser(user);
        }
        await offline.forgetPhone();
      } catch (error) {
        // Storage unavailable: nothing is kept on this phone, sign out anyway.
      }
      form.dataset.cleared = "1";
      form.submit();
    });
  });

  if (!app) return;

  // --- The app's pages -------------------------------------------------------------

  const user = app.dataset.user;
  const home = app.dataset.home;
  const stateUrl = app.dataset.state;
  const renderedAt = Number(app.dataset.renderedAt || 0);
  const stale = Date.now() - renderedAt > STALE_MS;
  const language = document.documentElement.lang || "zh-Hans";
  const onHome = location.pathname === home;
  const form = document.querySelector("form[data-offline-visit]");
  let signedOut = false;
  let sending = null;

  const timeFormat = new Intl.DateTimeFormat(language, {
    month: "numeric",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
  const dayFormat = new Intl.DateTimeFormat(language, {
    year: "numeric",
    month: "numeric",
    day: "numeric",
    weekday: "short",
  });

  function flash(text, kind) {
    try {
      sessionStorage.setItem(FLASH_KEY, JSON.stringify({ text, kind: kind || "success" }));
    } catch (error) {
      // private mode: the message is lost, not the visit
    }
  }

  function takeFlash() {
    try {
      const stored = sessionStorage.getItem(FLASH_KEY);
      sessionStorage.removeItem(FLASH_KEY);
      return stored ? JSON.parse(stored) : null;
    } catch (error) {
      return null;
    }
  }

  async function waitingRecords() {
    return offline.queue.list(user);
  }

  // A page shown from the phone's copy: its messages are old news.
  if (stale) {
    document.querySelectorAll("main > .alert-dismissible").forEach((node) => node.remove());
  }

  const flashed = takeFlash();

  async function renderStatus() {
    const box = document.getElementById("offline-status");
    if (!box) return;
    box.replaceChildren();
    if (!navigator.onLine || stale) {
      const alert = element("div", "alert alert-warning d-flex gap-2 offline-banner");
      alert.setAttribute("role", "status");
      alert.append(element("i", "bi bi-wifi-off"));
      const text = element("div");
      text.append(element("div", "", say("offline")));
      if (stale) {
        text.append(
          element("div", "small", say("kept_at", { time: timeFormat.format(new Date(renderedAt)) }))
        );
      }
      alert.append(text);
      alert.firstChild.setAttribute("aria-hidden", "true");
      box.append(alert);
    }
    const records = await waitingRecords();
    if (signedOut && records.some((r) => r.status === "waiting")) {
      const alert = element("div", "alert alert-info signed-out-banner", say("signed_out") + " ");
      const link = element("a", "alert-link", say("sign_in"));
      link.href = app.dataset.login;
      alert.append(link);
      box.append(alert);
    }
    if (flashed) {
      const alert = element("div", `alert alert-${flashed.kind} offline-flash`, flashed.text);
      alert.setAttribute("role", "status");
      box.append(alert);
    }
    if (!onHome && records.length) {
      const link = element("a", "alert alert-secondary d-block text-decoration-none queue-link");
      link.href = `${home}#offline-queue`;
      link.textContent = say("kept_count", { n: records.length });
      box.append(link);
    }
  }

  /** What the station said; a refusal without words says its status. */
  function errorsOf(record) {
    const errors = record.errors || {};
    if (errors.status && Object.keys(errors).length === 1) {
      return { non_field_errors: [say("error_server", { status: errors.status[0] })] };
    }
    return errors;
  }

  function reasonsOf(record) {
    return Object.values(errorsOf(record)).flat();
  }

  function describeWhen(display) {
    const day = dayFormat.format(new Date(`${display.day}T00:00`));
    return `${day} ${display.start}–${display.end}`;
  }

  async function renderQueue() {
    const panel = document.getElementById("offline-queue");
    const template = document.getElementById("queued-visit");
    if (!panel || !template) return;
    const records = await waitingRecords();
    const list = panel.querySelector("[data-queue-items]");
    list.replaceChildren();
    panel.hidden = records.length === 0;
    panel.querySelector("[data-send-now]").hidden =
      !navigator.onLine || !records.some((r) => r.status === "waiting");
    for (const record of records) {
      const card = template.content.firstElementChild.cloneNode(true);
      card.dataset.clientId = record.client_id;
      card.dataset.status = record.status;
      const field = (name) => card.querySelector(`[data-field="${name}"]`);
      field("elder").textContent = record.display.elder;
      field("when").textContent = describeWhen(record.display);
      field("services").textContent = (record.display.services || []).join("、");
      field("saved").textContent = say("saved_at", {
        time: timeFormat.format(new Date(record.saved_at)),
      });
      card.querySelector(`[data-state="${record.status}"]`).hidden = false;
      if (record.status === "refused") {
        card.classList.add("border-danger");
        const reasons = field("reasons");
        reasons.hidden = false;
        const items = element("ul", "mb-0 ps-3");
        reasonsOf(record).forEach((reason) => items.append(element("li", "", reason)));
        reasons.append(items);
        // Refused for who or whom, not for what was typed: nothing to correct here.
        const errors = record.errors || {};
        if (["elder", "volunteer", "client_id"].some((name) => errors[name])) {
          reasons.append(element("div", "mt-1", say("refused_elder")));
        } else {
          const fix = card.querySelector('[data-action="fix"]');
          fix.href = `${record.form_url}?fix=${encodeURIComponent(record.client_id)}`;
          fix.hidden = false;
        }
      }
      card.querySelector('[data-action="discard"]').addEventListener("click", async () => {
        if (!window.confirm(say("discard_confirm", { name: record.display.elder }))) return;
        await offline.queue.remove(record.client_id);
        await render();
      });
      list.append(card);
    }
  }

  async function render() {
    await renderStatus();
    await renderQueue();
  }

  /** Send what waits; on "My elders" show the fresh page once something went. */
  function send() {
    if (!navigator.onLine) return Promise.resolve({ state: "network", sent: 0 });
    if (!sending) {
      sending = offline
        .flush(stateUrl)
        .then(async (result) => {
          signedOut = result.state === "signed-out";
          await afterSending(result);
          return result;
        })
        .finally(() => {
          sending = null;
        });
    }
    return sending;
  }

  async function afterSending(result) {
    if (result.sent && onHome && !form) {
      flash(
        result.sent === 1
          ? say("sent", { name: result.sentNames[0] })
          : say("sent_many", { n: result.sent })
      );
      location.reload();
      return;
    }
    await render();
  }

  function askToKeepPages(force) {
    if (!("serviceWorker" in navigator) || !navigator.onLine) return;
    navigator.serviceWorker.ready.then((registration) => {
      const assets = performance
        .getEntriesByType("resource")
        .map((entry) => entry.name)
        .concat(
          [...document.querySelectorAll("link[rel=stylesheet], script[src]")].map(
            (node) => node.href || node.src
          )
        );
      (navigator.serviceWorker.controller || registration.active).postMessage({
        type: "refresh",
        assets,
        force,
      });
    });
  }

  function registerWorker() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker
      .register(app.dataset.worker, { scope: app.dataset.scope })
      .catch(() => null);
    navigator.serviceWorker.addEventListener("message", (event) => {
      const message = event.data || {};
      if (message.type === "refreshed" && message.outcome === "ok") {
        document.documentElement.dataset.offlineReady = "1";
        const ready = document.getElementById("offline-ready");
        if (ready) ready.hidden = false;
      } else if (message.type === "queue") {
        signedOut = message.result.state === "signed-out";
        afterSending(message.result);
      }
    });
  }

  function requestBackgroundSync() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready
      .then((registration) => registration.sync && registration.sync.register(offline.SYNC_TAG))
      .catch(() => null);
  }

  /**
   * Ask the browser not to evict the site's storage when the phone runs short
   * of space: it holds visits not yet sent. (Chromium grants it to an installed
   * app; elsewhere the request is harmless.)
   */
  function keepStorage() {
    if (navigator.storage && navigator.storage.persist) {
      navigator.storage.persist().catch(() => false);
    }
  }

  // --- The visit form: keep it on the phone first, then send ---------------------------

  function pad(n) {
    return String(n).padStart(2, "0");
  }

  /** The form's default: the last hour, to five minutes (as VisitForm does). */
  // The times a new visit comes filled in with: the last hour, unless it overlaps
  // the volunteer's latest visit; then from that visit's end until now, or, when
  // it ended just now, the hour before it began (volunteers/forms.py,
  // visit_default_times: the same rule). The day is the day the visit began.
  function defaultTimes() {
    let end = new Date();
    end.setSeconds(0, 0);
    end.setMinutes(end.getMinutes() - (end.getMinutes() % 5));
    let start = new Date(end.getTime() - 3600 * 1000);
    if (form.dataset.lastStart && form.dataset.lastEnd) {
      const lastStart = new Date(form.dataset.lastStart);
      const lastEnd = new Date(form.dataset.lastEnd);
      if (lastEnd > start && lastStart < end) {
        if (lastEnd < end) {
          start = lastEnd;
        } else {
          end = lastStart < end ? lastStart : end;
          start = new Date(end.getTime() - 3600 * 1000);
        }
      }
    }
    const time = (d) => `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    return { day: isoDay(start), start: time(start), end: time(end) };
  }

  function isoDay(d) {
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  }

  // An end before the start is on the next day: the visit crossed midnight.
  function endDay(day, start, end) {
    if (!day || !start || !end || end >= start) return day;
    const next = new Date(`${day}T00:00`);
    next.setDate(next.getDate() + 1);
    return isoDay(next);
  }

  const FIELD_OF = { started_at: "start", ended_at: "end" };

  function clearErrors() {
    form.querySelectorAll(".is-invalid").forEach((node) => node.classList.remove("is-invalid"));
    form.querySelectorAll(".offline-feedback").forEach((node) => node.remove());
    const summary = document.getElementById("visit-errors");
    summary.hidden = true;
    summary.replaceChildren();
  }

  function showErrors(errors) {
    const summary = document.getElementById("visit-errors");
    summary.replaceChildren(element("p", "mb-1 fw-semibold", say("check_form")));
    const list = element("ul", "mb-0 ps-3");
    for (const [field, messages] of Object.entries(errors)) {
      messages.forEach((message) => list.append(element("li", "", message)));
      const input = form.elements[FIELD_OF[field] || field];
      if (input && input.classList) {
        input.classList.add("is-invalid");
        input.setAttribute("aria-invalid", "true");
        const feedback = element("div", "invalid-feedback offline-feedback", messages.join(" "));
        input.insertAdjacentElement("afterend", feedback);
      }
    }
    summary.append(list);
    summary.hidden = false;
    summary.focus();
  }

  function readForm() {
    const value = (name) => (form.elements[name] ? form.elements[name].value.trim() : "");
    const number = (name) => (value(name) === "" ? null : Number(value(name)));
    const errors = {};
    const problem = (field, key) => (errors[field] = errors[field] || []).push(say(key));
    const day = value("day");
    const start = value("start");
    const end = value("end");
    if (!day) problem("day", "error_required");
    if (!start) problem("start", "error_required");
    if (!end) problem("end", "error_required");
    const lastDay = endDay(day, start, end);
    if (start && end && end === start) problem("end", "error_times");
    else if (day && end && new Date(`${lastDay}T${end}`).getTime() > Date.now() + 60 * 1000) {
      problem("end", "error_future");
    }
    const services = [...form.querySelectorAll("input[name=services]:checked")];
    const needsFollowUp = form.elements.needs_follow_up.checked;
    if (needsFollowUp && !value("follow_up_reason")) problem("follow_up_reason", "error_follow_up");
    // The times as the volunteer typed them, on the phone's clock and time zone.
    const moment = (time, on = day) => (on && time ? new Date(`${on}T${time}`).toISOString() : null);
    const payload = {
      elder: Number(form.dataset.elder),
      started_at: moment(start),
      ended_at: moment(end, lastDay),
      services: services.map((box) => box.value),
      notes: value("notes"),
      systolic: number("systolic"),
      diastolic: number("diastolic"),
      blood_sugar: value("blood_sugar") || null,
      needs_follow_up: needsFollowUp,
      follow_up_reason: needsFollowUp ? value("follow_up_reason") : "",
    };
    const display = {
      elder: form.dataset.elderName,
      day,
      start,
      end,
      services: services.map((box) => (form.querySelector(`label[for="${box.id}"]`) || box).textContent.trim()),
    };
    return { payload, display, errors };
  }

  function fillForm(record) {
    const { payload, display } = record;
    form.elements.day.value = display.day;
    form.elements.start.value = display.start;
    form.elements.end.value = display.end;
    form.querySelectorAll("input[name=services]").forEach((box) => {
      box.checked = payload.services.includes(box.value);
    });
    for (const name of ["notes", "systolic", "diastolic", "blood_sugar", "follow_up_reason"]) {
      if (form.elements[name]) form.elements[name].value = payload[name] === null ? "" : payload[name];
    }
    form.elements.needs_follow_up.checked = payload.needs_follow_up;
  }

  async function prepareForm() {
    const clientId = form.elements.client_id;
    clientId.value = offline.uuid();
    const fixing = new URLSearchParams(location.search).get("fix");
    const record = fixing ? await offline.queue.get(fixing) : null;
    if (record && record.user === user) {
      clientId.value = record.client_id;
      fillForm(record);
      const banner = document.getElementById("visit-fixing");
      banner.append(element("p", "mb-1 fw-semibold", say("fixing")));
      const list = element("ul", "mb-0 ps-3");
      reasonsOf(record).forEach((reason) => list.append(element("li", "", reason)));
      banner.append(list);
      banner.hidden = false;
    } else if (stale || form.dataset.bound !== "1") {
      // The phone's clock: the times it sends are read on it too.
      const now = defaultTimes();
      form.elements.day.value = now.day;
      form.elements.start.value = now.start;
      form.elements.end.value = now.end;
    }
  }

  async function submitVisit(event) {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    if (button.disabled) return;
    clearErrors();
    const { payload, display, errors } = readForm();
    if (Object.keys(errors).length) {
      showErrors(errors);
      return;
    }
    const record = {
      client_id: form.elements.client_id.value || offline.uuid(),
      user,
      status: "waiting",
      payload,
      display,
      form_url: location.pathname,
      saved_at: new Date().toISOString(),
    };
    button.disabled = true;
    try {
      await offline.queue.put(record);
    } catch (error) {
      // No storage on this phone (a private window): the ordinary form post.
      form.removeEventListener("submit", submitVisit);
      form.submit();
      return;
    }
    requestBackgroundSync();
    keepStorage();
    if (sending) await sending; // begun before this visit was kept: send again
    const result = await send();
    const after = await offline.queue.get(record.client_id);
    if (!after) {
      flash(say("sent", { name: display.elder }));
    } else if (after.status === "refused") {
      button.disabled = false;
      showErrors(errorsOf(after));
      return;
    } else if (result.state !== "signed-out") {
      flash(say("queued", { name: display.elder }), "info");
    }
    location.href = home;
  }

  // --- Start ----------------------------------------------------------------------

  (async () => {
    await offline.takeOver(user);
    const lastLanguage = await offline.meta.get("language");
    await offline.meta.set("language", language);
    registerWorker();
    askToKeepPages(lastLanguage !== undefined && lastLanguage !== language);
    if (form) {
      await prepareForm();
      form.addEventListener("submit", submitVisit);
      form.dataset.offlineReady = "1";
    }
    const panel = document.getElementById("offline-queue");
    if (panel) {
      panel.querySelector("[data-send-now]").addEventListener("click", () => send());
    }
    await render();
    window.addEventListener("online", () => {
      render();
      askToKeepPages(false);
      send();
    });
    window.addEventListener("offline", () => render());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") send();
    });
    await send();
    document.documentElement.dataset.offlineStarted = "1";
  })();
})();
