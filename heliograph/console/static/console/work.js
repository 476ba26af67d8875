// Live helpers of the incident, maintenance and service forms. Every form works without this
// script: the Preview button re-renders the form on the server with the same preview.
(() => {
  "use strict";

  const PREVIEW_DELAY_MS = 300;

  function csrfToken(form) {
    const input = form && form.querySelector('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }

  const SIGNED_OUT = "You are signed out: sign in again in another tab. What you typed is kept.";

  // Return why a response cannot be shown, or "" when it can. A signed-out request is
  // redirected to the login form, which `redirect: "manual"` turns into an opaque response.
  function problemWith(response, reply) {
    if (response.type === "opaqueredirect") return SIGNED_OUT;
    if (response.ok) return "";
    const type = response.headers.get("Content-Type") || "";
    if (type.startsWith("text/plain") && reply) return reply.slice(0, 300);
    return `The preview failed with HTTP ${response.status}. What you typed is kept.`;
  }

  function showEmpty(box) {
    const paragraph = document.createElement("p");
    paragraph.className = "preview-empty";
    paragraph.textContent = box.dataset.empty || "";
    box.replaceChildren(paragraph);
  }

  // Render the text as the public page will, through the server's own Markdown code, a
  // moment after the editor stops typing. Requests are numbered, so a slow response never
  // replaces a newer preview.
  function livePreview(textarea) {
    const box = document.getElementById(`${textarea.id}-preview`);
    if (!box) return;
    const note = document.getElementById(`${textarea.id}-preview-note`);
    const button = box.closest(".preview")?.querySelector(".preview-button");
    if (button) button.hidden = true;
    let timer = 0;
    let sent = 0;
    let shown = 0;

    async function render() {
      const number = ++sent;
      const text = textarea.value;
      const body = new FormData();
      body.append("text", text);
      try {
        const response = await fetch(box.dataset.previewUrl, {
          method: "POST",
          body,
          credentials: "same-origin",
          redirect: "manual",
          headers: { "X-CSRFToken": csrfToken(textarea.form) },
        });
        const reply = await response.text();
        if (number < shown) return;
        shown = number;
        const problem = problemWith(response, reply);
        if (problem) {
          note.textContent = problem;
          return;
        }
        note.textContent = "";
        if (reply.trim()) {
          // The fragment is the server's sanitised rendering, the same HTML the public page shows.
          box.innerHTML = reply;
        } else {
          showEmpty(box);
        }
      } catch {
        note.textContent = "The preview could not be updated; what you typed is kept.";
      }
    }

    textarea.addEventListener("input", () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(render, PREVIEW_DELAY_MS);
    });
  }

  function labelOf(input) {
    const label = input.closest("label") || document.querySelector(`label[for="${input.id}"]`);
    return label ? label.textContent.trim() : input.value;
  }

  function named(form, name) {
    return [...form.querySelectorAll("input")].filter(
      (input) => input.name === name || input.name.endsWith(`-${name}`),
    );
  }

  // The same sentence as `publish_summary` on the server.
  function summarize(form) {
    const line = form.querySelector("[data-summary]");
    if (!line) return;
    const checked = (name) => named(form, name).filter((input) => input.checked);
    const [state] = checked("state");
    const [status] = checked("status");
    const head = state && status ? `${labelOf(state)} · ${labelOf(status)}.`
      : "Choose a state and a status.";
    const services = checked("services").map(labelOf).join(", ");
    let tail;
    if (named(form, "scope").length === 0) {
      tail = services ? `Affected services: ${services}.`
        : "No service named: only the banner and the incident show it.";
    } else if (checked("scope")[0]?.value !== "some") {
      tail = "Concerns all the incident's affected services.";
    } else {
      tail = services ? `Concerns only: ${services}.` : "Concerns no service.";
    }
    line.textContent = `${head} ${tail}`;
  }

  // Show the services of an update only when it concerns some of them (a partial fix).
  function followScope(form) {
    const scope = named(form, "scope");
    const servicesRow = named(form, "services")[0]?.closest(".field");
    if (scope.length === 0 || !servicesRow) return;
    const apply = () => {
      servicesRow.hidden = scope.find((input) => input.checked)?.value !== "some";
    };
    scope.forEach((input) => input.addEventListener("change", apply));
    apply();
  }

  // Show the new group's name only when "A new group…" is chosen.
  function followGroupChoice(container) {
    const select = container.querySelector("select");
    const nameRow = container.querySelector('input[name$="new_group"]')?.closest(".field");
    if (!select || !nameRow) return;
    const apply = () => {
      nameRow.hidden = select.value !== "new";
    };
    select.addEventListener("change", () => {
      apply();
      if (!nameRow.hidden) nameRow.querySelector("input").focus();
    });
    apply();
  }

  // After a submit with errors, move focus to the list of problems, which links each field.
  const problems = document.querySelector(".form-problems");
  if (problems) {
    problems.tabIndex = -1;
    problems.focus();
  }

  document.querySelectorAll("textarea[data-markdown]").forEach(livePreview);
  document.querySelectorAll("form[data-summary-form]").forEach((form) => {
    form.addEventListener("change", () => summarize(form));
    followScope(form);
  });
  document.querySelectorAll("[data-group-choice]").forEach(followGroupChoice);
})();
