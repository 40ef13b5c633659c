// Progressive enhancement: with JavaScript a switch flips in place; without it the same form posts and reloads.
document.querySelectorAll("form.consent-switch").forEach(form => {
  form.addEventListener("submit", async event => {
    event.preventDefault();
    const button = form.querySelector("button.switch");
    button.disabled = true;
    const response = await fetch(form.action, { method: "POST", body: new FormData(form), headers: { "X-Requested-With": "fetch" } });
    if (response.ok) {
      location.reload();
    } else {
      button.disabled = false;
      alert("Your choice could not be saved. Nothing was changed.");
    }
  });
});
