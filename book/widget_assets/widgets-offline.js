// Load the ipywidgets manager's fonts from the book itself (vendor/html-manager/ next to this file),
// not from a CDN. Must run before embed-amd.js; fetched by book/fetch_assets.sh.
window.__jupyter_widgets_assets_path__ = new URL("vendor/html-manager/", document.currentScript.src).href;
