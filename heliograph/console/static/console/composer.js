// Live character count of the social posts in the incident and maintenance forms. The server
// counts each text the way its network does (the same code that checks the form on submit),
// so the count shown here always matches the one that accepts or rejects the post. Without
// this script the count is the one rendered with the form.
(() => {
  "use strict";

  const COUNT_DELAY_MS = 150;

  function csrfToken(form) {
    const input = form && form.querySelector('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }

  function describe(count, limit) {
    const text = `${count} of ${limit} characters`;
    return count > limit ? `${text}: ${count - limit} too many` : text;
  }

  // Count one post text area as it is edited. Requests are numbered, so a slow response
  // never replaces the count of a newer text.
  function liveCount(textarea) {
    const output = document.getElementById(`${textarea.id}-count`);
    if (!output || !output.dataset.countUrl) return;
    const skip = textarea.closest(".post")?.querySelector('input[type="checkbox"]');
    let timer = 0;
    let sent = 0;

    function showSkipped() {
      textarea.readOnly = Boolean(skip && skip.checked);
      textarea.classList.toggle("skipped", textarea.readOnly);
    }

    async function refresh() {
      const number = ++sent;
      const body = new URLSearchParams({
        network: textarea.dataset.postNetwork || "",
        text: textarea.value,
      });
      try {
        const response = await fetch(output.dataset.countUrl, {
          method: "POST",
          body,
          credentials: "same-origin",
          redirect: "manual",
          headers: { "X-CSRFToken": csrfToken(textarea.form) },
        });
        if (number !== sent) return;
        if (response.type === "opaqueredirect") {
          output.textContent = "You are signed out: the count is checked again when you publish.";
          return;
        }
        const reply = await response.json();
        if (!response.ok) {
          output.textContent = reply.error || `Counting failed with HTTP ${response.status}.`;
          return;
        }
        output.textContent = describe(reply.count, reply.limit);
        output.classList.toggle("over", reply.count > reply.limit);
      } catch (error) {
        if (number === sent) {
          output.textContent = "The count could not be updated: it is checked again when you publish.";
        }
      }
    }

    textarea.addEventListener("input", () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, COUNT_DELAY_MS);
    });
    if (skip) {
      skip.addEventListener("change", showSkipped);
      showSkipped();
    }
  }

  document.querySelectorAll("textarea[data-post-network]").forEach(liveCount);
})();
