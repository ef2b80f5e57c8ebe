// The desk's upload form: the chosen photos, each with its title, description and progress; a
// presigned POST per photo straight to the raw bucket; then each photo's state, followed until
// nothing more happens to it by itself. Plain script, no library; served by the desk (CSP 'self').
"use strict";
(function () {
  const form = document.getElementById("upload");
  if (!form) return;
  const input = document.getElementById("files");
  const drop = document.getElementById("drop");
  const chosen = document.getElementById("chosen");
  const problem = document.getElementById("form-error");
  const send = document.getElementById("send");
  const maxFiles = Number(form.dataset.maxFiles);
  const maxBytes = Number(form.dataset.maxMb) * 1024 * 1024;
  let files = [];

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function stem(name) {
    return name.replace(/\.[^.]+$/, "").replace(/[_-]+/g, " ").trim();
  }

  function show(message) {
    problem.textContent = message;
    problem.hidden = !message;
    if (message) problem.focus();
  }
  problem.tabIndex = -1;

  function choose(list) {
    show("");
    for (const file of list) {
      if (files.length >= maxFiles) { show(`Upload at most ${maxFiles} photos at a time.`); break; }
      if (file.size > maxBytes) { show(`${file.name} is larger than ${form.dataset.maxMb} MB: export it again smaller.`); continue; }
      const n = files.length;
      const box = el("fieldset", {class: "file", id: `file-${n}`});
      box.append(el("legend", {}, file.name));
      const title = el("input", {type: "text", id: `title-${n}`, required: "", maxlength: form.dataset.maxTitle, value: stem(file.name)});
      const description = el("textarea", {id: `description-${n}`, rows: "3", maxlength: form.dataset.maxDescription});
      const bar = el("progress", {id: `progress-${n}`, max: "100", value: "0", "aria-label": `Upload of ${file.name}`});
      const status = el("p", {class: "hint", id: `status-${n}`, role: "status"}, "Not uploaded yet");
      box.append(el("label", {for: `title-${n}`}, "Title"), title,
                 el("label", {for: `description-${n}`}, "Description"), description, bar, status);
      chosen.append(box);
      files.push({file, title, description, bar, status, key: ""});
    }
  }

  input.addEventListener("change", () => { choose(input.files); input.value = ""; });
  form.addEventListener("change", (e) => { if (e.target !== input && !problem.hidden) show(""); });
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); choose(e.dataTransfer.files); });

  function declared() {
    const keys = ["category", "category-reason", "people", "release-forms", "children", "parental-permission",
                  "credit", "copyright", "licence", "publish-at"];
    return Object.fromEntries(keys.map((k) => [k, form.elements[k].value]));
  }

  function post(upload, item) {
    return new Promise((resolve) => {
      const data = new FormData();
      for (const [k, v] of Object.entries(upload.fields)) data.append(k, v);
      data.append("file", item.file);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", upload.url);
      xhr.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable) item.bar.value = Math.round((100 * e.loaded) / e.total);
      });
      xhr.addEventListener("load", () => {
        const ok = xhr.status >= 200 && xhr.status < 300;
        if (ok) item.bar.value = 100;
        item.status.textContent = ok ? "Uploaded: waiting for the checks" : `Not uploaded (the store answered ${xhr.status}): try again`;
        resolve(ok);
      });
      xhr.addEventListener("error", () => { item.status.textContent = "Not uploaded: the connection failed. Try again."; resolve(false); });
      xhr.send(data);
    });
  }

  async function follow() {
    const waiting = files.filter((f) => f.key && !f.final);
    if (!waiting.length) return;
    try {
      const reply = await fetch("/desk/photos/states", {credentials: "same-origin", headers: {Accept: "application/json"}});
      if (reply.ok) {
        const byKey = new Map((await reply.json()).photos.map((p) => [p.key, p]));
        for (const item of waiting) {
          const photo = byKey.get(item.key);
          if (!photo) continue;
          item.status.textContent = photo.why ? `${photo.label}. ${photo.why}` : photo.label;
          item.status.dataset.state = photo.state;
          item.final = photo.final;
        }
      }
    } catch (e) { /* offline for a moment: the next poll tries again */ }
    setTimeout(follow, 3000);
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    show("");
    const pending = files.filter((f) => !f.key);
    if (!pending.length) { show("Choose at least one photo."); input.focus(); return; }
    const missing = Array.from(form.querySelectorAll("[required]")).find((f) => !f.value.trim());
    if (missing) {
      const label = form.querySelector(`label[for="${missing.id}"]`);
      show(`Answer: ${label ? label.textContent.replace(/\s*\(.*\)\s*$/, "") : missing.name}.`);
      missing.focus();
      return;
    }
    send.disabled = true;
    const request = {
      csrf: form.elements.csrf.value, album: form.elements.album.value, declared: declared(),
      files: pending.map((f) => ({name: f.file.name, type: f.file.type, size: f.file.size,
                                title: f.title.value, description: f.description.value})),
    };
    const reply = await fetch(form.action, {method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", Accept: "application/json"}, body: JSON.stringify(request)});
    const answer = await reply.json().catch(() => ({error: "The desk did not answer: try again."}));
    if (!reply.ok) { show(answer.error || "The upload was refused."); send.disabled = false; return; }
    const results = await Promise.all(answer.uploads.map((upload, i) => {
      pending[i].status.textContent = "Uploading";
      return post(upload, pending[i]).then((ok) => { if (ok) pending[i].key = upload.key; return ok; });
    }));
    if (results.every(Boolean)) {
      send.textContent = "Uploaded";
    } else {
      show("Some photos were not uploaded: their messages say why. Upload again to retry them.");
      send.disabled = false;
    }
    follow();
  });
})();
