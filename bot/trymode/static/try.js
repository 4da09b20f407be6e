// The /try page: posts what you do to the desk's try-mode routes and shows what the local Slack
// received, polling /try/state. The HTML comes escaped from the server's Block Kit renderer.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  let last = {};
  let busy = false;

  function toast(text) {
    const el = $("toast");
    el.textContent = text;
    el.classList.remove("hidden");
    setTimeout(() => el.classList.add("hidden"), 3000);
  }

  async function post(path, body) {
    const response = await fetch(path, {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
    });
    if (!response.ok) {
      let message = "failed (" + response.status + ")";
      try { message = (await response.json()).error || message; } catch (e) { /* not JSON */ }
      toast(message);
    }
    refresh();
  }

  function put(id, html) {
    if (last[id] === html) return;
    const el = $(id);
    const stick = el.scrollTop + el.clientHeight >= el.scrollHeight - 20;
    el.innerHTML = html;
    last[id] = html;
    if (stick && el.classList.contains("feed")) el.scrollTop = el.scrollHeight;
  }

  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      const response = await fetch("/try/state?customer=" + encodeURIComponent($("customer").value));
      if (!response.ok) return;
      const state = await response.json();
      put("dm", state.dm);
      put("channel", state.channel);
      put("practice", state.practice);
      const overlay = $("modal-overlay");
      if (state.modal === null) {
        overlay.classList.add("hidden");
        last.modal = null;
      } else if (last.modal !== state.modal) {
        const typed = {};
        $("modal").querySelectorAll("input[data-block]").forEach((i) => { typed[i.dataset.block] = i.value; });
        $("modal").innerHTML = state.modal;
        $("modal").querySelectorAll("input[data-block]").forEach((i) => {
          if (typed[i.dataset.block]) i.value = typed[i.dataset.block];
        });
        last.modal = state.modal;
        overlay.classList.remove("hidden");
      }
    } finally {
      busy = false;
    }
  }

  function onClick(event) {
    const target = event.target.closest("button");
    if (!target) return;
    if (target.dataset.action !== undefined) {
      const message = target.closest("[data-origin]");
      if (target.dataset.confirm && !window.confirm(target.dataset.confirm)) return;
      post("/try/action", {origin: message ? message.dataset.origin : "", action: target.dataset.action,
                           value: target.dataset.value, block: target.dataset.block});
    } else if (target.dataset.modal) {
      const values = {};
      $("modal").querySelectorAll("input[data-block]").forEach((i) => { values[i.dataset.block] = i.value; });
      post("/try/modal", {do: target.dataset.modal, values: values});
    } else if (target.dataset.control) {
      const login = target.closest("[data-username]");
      const username = login ? login.dataset.username : "";
      if (target.dataset.control === "use") {
        $("dm-text").value = username + " " + login.querySelector(".token").textContent;
        $("dm-text").focus();
        return;
      }
      const company = login && login.querySelector("select.company");
      post("/try/practice", {control: target.dataset.control, username: username,
                             company: company ? company.value : null});
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.body.addEventListener("click", onClick);
    $("dm-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const text = $("dm-text").value;
      $("dm-text").value = "";
      post("/try/dm", {customer: $("customer").value, text: text});
    });
    $("command-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const text = $("command-text").value;
      $("command-text").value = "/nmbrs ";
      post("/try/command", {text: text});
    });
    $("customer").addEventListener("change", () => { last = {}; refresh(); });
    refresh();
    setInterval(refresh, 700);
  });
})();
