// Reorder services, and whole groups of them, with the mouse, touch or keyboard.
//
// Items (`[data-sortable-item]`) move only within their own list (`[data-sortable]`): services
// within their block, blocks within the page's list. Every change of order is saved at once
// as the full list of service ids. The Up and Down buttons, which post a form each, keep
// working without this script.
//
// The dragged item itself never moves in the document: its neighbours are moved around it,
// so the handle keeps keyboard focus and pointer capture.
(() => {
  "use strict";

  const root = document.querySelector('[data-sortable="blocks"]');
  if (!root) return;
  const status = document.getElementById("reorder-status");
  const errorBox = document.getElementById("reorder-error");
  const csrf = document.querySelector('input[name="csrfmiddlewaretoken"]')?.value || "";

  const itemsOf = (list) => [...list.children].filter((el) => el.matches("[data-sortable-item]"));
  const listOf = (item) => item.parentElement;
  const indexOf = (item) => itemsOf(listOf(item)).indexOf(item);
  const where = (item) => `position ${indexOf(item) + 1} of ${itemsOf(listOf(item)).length}`;
  const order = () => [...root.querySelectorAll("[data-service-id]")].map((el) => el.dataset.serviceId);
  const announce = (text) => {
    status.textContent = text;
  };

  let saved = order().join(",");

  // Move `item` one place up (-1) or down (+1) by moving its neighbour across it.
  function step(item, direction) {
    const items = itemsOf(listOf(item));
    const neighbour = items[indexOf(item) + direction];
    if (!neighbour) return false;
    if (direction < 0) item.after(neighbour);
    else item.before(neighbour);
    return true;
  }

  function moveTo(item, index) {
    while (indexOf(item) > index && step(item, -1));
    while (indexOf(item) < index && step(item, 1));
  }

  // Keep the no-script Up and Down buttons right: the first item cannot go up, the last down.
  function refreshButtons() {
    for (const list of [root, ...root.querySelectorAll('[data-sortable="services"]')]) {
      const items = itemsOf(list);
      items.forEach((item, index) => {
        const form = item.querySelector("form.move");
        if (!form) return;
        form.querySelector('[data-move="up"]').disabled = index === 0;
        form.querySelector('[data-move="down"]').disabled = index === items.length - 1;
      });
    }
  }

  async function save(item) {
    const current = order().join(",");
    refreshButtons();
    if (current === saved) {
      announce(`${item.dataset.label} stays at ${where(item)}.`);
      return;
    }
    const body = new FormData();
    body.append("order", current);
    root.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(root.dataset.orderUrl, {
        method: "POST",
        body,
        credentials: "same-origin",
        redirect: "manual",
        headers: { "X-CSRFToken": csrf },
      });
      if (response.type === "opaqueredirect") {
        throw new Error("You are signed out: sign in again in another tab.");
      }
      const reply = await response.json().catch(() => ({}));
      if (!response.ok) {
        throw new Error(reply.error || `The server responded with HTTP ${response.status}.`);
      }
      saved = current;
      errorBox.hidden = true;
      announce(`Saved: ${item.dataset.label} is now at ${where(item)}.`);
    } catch (error) {
      errorBox.hidden = false;
      errorBox.textContent = `The new order was not saved. ${error.message} ` +
        "Reload the page to see the saved order.";
      announce(errorBox.textContent);
    } finally {
      root.removeAttribute("aria-busy");
    }
  }

  // Pointer: drag an item by its handle; it follows the pointer within its list.
  let drag = null;

  function onPointerMove(event) {
    if (!drag) return;
    const others = itemsOf(drag.list).filter((el) => el !== drag.item);
    let target = others.length;
    for (const [index, other] of others.entries()) {
      const box = other.getBoundingClientRect();
      if (event.clientY < box.top + box.height / 2) {
        target = index;
        break;
      }
    }
    moveTo(drag.item, target);
  }

  function onPointerUp() {
    if (!drag) return;
    const { item } = drag;
    drag = null;
    item.classList.remove("dragging");
    document.body.classList.remove("sorting");
    document.removeEventListener("pointermove", onPointerMove);
    document.removeEventListener("pointerup", onPointerUp);
    document.removeEventListener("pointercancel", onPointerUp);
    save(item);
  }

  root.addEventListener("pointerdown", (event) => {
    const handle = event.target.closest("[data-handle]");
    if (!handle || event.button !== 0 || drag) return;
    const item = handle.closest("[data-sortable-item]");
    event.preventDefault();
    handle.focus();
    drag = { item, list: listOf(item) };
    item.classList.add("dragging");
    document.body.classList.add("sorting");
    document.addEventListener("pointermove", onPointerMove);
    document.addEventListener("pointerup", onPointerUp);
    document.addEventListener("pointercancel", onPointerUp);
  });

  // Keyboard: Space or Enter picks an item up, the arrow keys move it, Space or Enter drops
  // it, Escape puts it back where it was.
  let grabbed = null;

  function release(handle, item) {
    handle.setAttribute("aria-pressed", "false");
    item.classList.remove("grabbed");
    grabbed = null;
  }

  root.addEventListener("keydown", (event) => {
    const handle = event.target.closest("[data-handle]");
    if (!handle) return;
    const item = handle.closest("[data-sortable-item]");
    const key = event.key;
    if (grabbed !== item) {
      if (key !== " " && key !== "Enter") return;
      event.preventDefault();
      grabbed = item;
      grabbed.dataset.from = String(indexOf(item));
      handle.setAttribute("aria-pressed", "true");
      item.classList.add("grabbed");
      announce(`Picked up ${item.dataset.label}, ${where(item)}. Move it with the up and down ` +
        "arrow keys, drop it with Space, or press Escape to cancel.");
      return;
    }
    if (key === "ArrowUp" || key === "ArrowDown") {
      event.preventDefault();
      const moved = step(item, key === "ArrowUp" ? -1 : 1);
      announce(moved ? `${item.dataset.label}, ${where(item)}.`
        : `${item.dataset.label} is already ${key === "ArrowUp" ? "first" : "last"}.`);
    } else if (key === " " || key === "Enter") {
      event.preventDefault();
      release(handle, item);
      save(item);
    } else if (key === "Escape") {
      event.preventDefault();
      moveTo(item, Number(item.dataset.from));
      release(handle, item);
      announce(`Cancelled: ${item.dataset.label} is back at ${where(item)}.`);
    }
  });

  // Leaving a picked-up item with Tab drops it where it is.
  root.addEventListener("focusout", (event) => {
    const handle = event.target.closest("[data-handle]");
    if (!handle || !grabbed || handle.closest("[data-sortable-item]") !== grabbed) return;
    const item = grabbed;
    release(handle, item);
    save(item);
  });

  root.querySelectorAll("[data-handle]").forEach((handle) => {
    handle.hidden = false;
    handle.setAttribute("aria-pressed", "false");
  });
})();
