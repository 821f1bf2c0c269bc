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
