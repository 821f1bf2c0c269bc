// mehvar's only script: start the Jalali date picker once (it watches inputs with data-jdp,
// including ones htmx swaps in later), with Persian digits on Persian pages.
document.addEventListener("DOMContentLoaded", function () {
  if (window.jalaliDatepicker) {
    window.jalaliDatepicker.startWatch({
      persianDigits: document.body.dataset.lang === "fa",
      autoReadOnlyInput: false,
      zIndex: 2000,
    });
  }
});

// htmx swaps refused forms too: a 400/403/409/422 answer carries the form with its errors (or
// a "not allowed" notice) and belongs on the page; other errors are left alone.
if (window.htmx) {
  window.htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "(400|403|409|422)", swap: true, error: false },
    { code: "[45]..", swap: false, error: true },
    { code: "...", swap: false },
  ];
}
