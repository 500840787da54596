// @ts-check
/** The console's only script: a copy button for what is shown once. The page works without it
 * (the button stays hidden); it never stores the value anywhere, only hands it to the clipboard. */

for (const button of document.querySelectorAll("button[data-copy]")) {
  if (!(button instanceof HTMLButtonElement) || !navigator.clipboard) continue;
  const source = document.getElementById(button.dataset.copy ?? "");
  const status = button.nextElementSibling;
  if (!source) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(source.textContent ?? "");
      if (status) status.textContent = "Copied.";
    } catch {
      if (status) status.textContent = "Copying failed: select the text and copy it by hand.";
    }
  });
}
