// Async computation worker entry (loaded as ./async_computation.bundle.js).
import "neuroglancer/unstable/async_computation.bundle.js";
