// Vite's module types for tests: `import text from "./file?raw"` and `import.meta.glob`, used by
// tests that check the code's layers, docs and config against the code.
/// <reference types="vite/client" />
