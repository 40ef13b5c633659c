// With JavaScript on, a choice posts the same way as without: the form submits, the server saves it (or
// says why not) and the page shows what was saved. The script only keeps a second click from sending the
// choice twice. (It used to post with fetch, which followed the redirect and used up the one-time message,
// and looked for a switch button the "Turn both on" form does not have.)
document.querySelectorAll("form.consent-switch").forEach(form => {
  form.addEventListener("submit", event => {
    const button = event.submitter;
    if (button) {
      // After the browser has read the form, so the button's own name and value still go with it.
      setTimeout(() => { button.disabled = true; }, 0);
    }
  });
});
