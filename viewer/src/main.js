// Main UI entry: neuroglancer's frontend modules plus its default viewer, bound
// to the URL hash ("#!{json state}"). This is neuroglancer's own lib/main.js
// without lib/util/google_tag_manager.js, so the page loads nothing remote.
import "neuroglancer";
import { setupDefaultViewer } from "neuroglancer/unstable/ui/default_viewer_setup.js";

setupDefaultViewer();
