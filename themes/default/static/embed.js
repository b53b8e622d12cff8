// Tells the page that frames this embed how tall it is, so the iframe can fit its content. It
// posts {"context":"iframe.resize","src":<this URL>,"height":<CSS px>} as a JSON string (the
// convention Embedly and Iframely hosts listen for) whenever the height changes. The embed
// needs no JavaScript to show; this is the only script it loads.
(() => {
  if (window.parent === window) return;
  let last = 0;
  const report = () => {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    const message = { context: "iframe.resize", src: location.href, height };
    window.parent.postMessage(JSON.stringify(message), "*");
  };
  if ("ResizeObserver" in window) new ResizeObserver(report).observe(document.documentElement);
  addEventListener("load", report);
  report();
})();
