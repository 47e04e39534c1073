// Chunk worker entry (loaded by the main bundle as ./chunk_worker.bundle.js).
import "neuroglancer/unstable/chunk_worker.bundle.js";
