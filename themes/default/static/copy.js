// Adds a Copy button to each "embed this" snippet. Without JavaScript the snippets are still
// there to select and copy by hand; this only saves the selecting.
function addCopyButtons() {
  for (const area of document.querySelectorAll("textarea.snippet-text:not([data-copy])")) {
    area.dataset.copy = "";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy-button";
    button.textContent = "Copy";
    button.setAttribute("aria-describedby", area.id);
    const status = document.createElement("span");
    status.className = "copy-status";
    status.setAttribute("role", "status");
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(area.value);
        status.textContent = "Copied.";
      } catch {
        area.focus();
        area.select();
        status.textContent = "Selected: press Ctrl+C or ⌘C to copy.";
      }
      setTimeout(() => { status.textContent = ""; }, 4000);
    });
    const bar = document.createElement("div");
    bar.className = "copy-bar";
    bar.append(button, status);
    area.after(bar);
  }
}
addCopyButtons();
// The dev server can swap in a new <main> after an edit.
document.addEventListener("versus:updated", addCopyButtons);

